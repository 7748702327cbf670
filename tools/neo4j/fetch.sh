#!/usr/bin/env bash
# Fetch the Neo4j Community jars from Maven Central into tools/neo4j/lib (idempotent).
# Runs Maven only when lib/ lacks neo4j-<version>.jar for the version pinned in pom.xml;
# ~/.m2 caches the download. Prints the jar count and size. Needs mvn, java and python3.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="$here/lib"
version="$(sed -n 's:.*<neo4j.version>\(.*\)</neo4j.version>.*:\1:p' "$here/pom.xml")"
jar="$lib/neo4j-$version.jar"
if [[ ! -f "$jar" ]]; then
  rm -rf "$lib" # a lib/ of another version would mix two versions on the classpath
  mvn -B -q -f "$here/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib"
fi
python3 - "$jar" <<'PY'
import sys, zipfile
if "org/neo4j/server/CommunityEntryPoint.class" not in zipfile.ZipFile(sys.argv[1]).namelist():
    sys.exit(f"fetch.sh: {sys.argv[1]} lacks org.neo4j.server.CommunityEntryPoint")
PY
echo "neo4j $version: $(find "$lib" -maxdepth 1 -name '*.jar' | wc -l) jars, $(du -sh "$lib" | cut -f1) in $lib"
