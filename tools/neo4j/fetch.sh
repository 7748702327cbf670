#!/usr/bin/env bash
# Fetch the Neo4j Community jars from Maven Central into tools/neo4j/lib (idempotent).
# Re-runs Maven only when lib/ has no neo4j-<version>.jar; ~/.m2 caches the download.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="$here/lib"
version="$(sed -n 's:.*<neo4j.version>\(.*\)</neo4j.version>.*:\1:p' "$here/pom.xml")"
if [[ ! -f "$lib/neo4j-$version.jar" ]]; then
  # a stale lib/ (other version) would mix jars on the classpath: start clean
  rm -rf "$lib"
  mvn -B -q -f "$here/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib"
fi
if ! unzip -l "$lib/neo4j-$version.jar" | grep -q 'org/neo4j/server/CommunityEntryPoint.class'; then
  echo "fetch.sh: $lib/neo4j-$version.jar lacks CommunityEntryPoint" >&2
  exit 1
fi
echo "neo4j $version: $(find "$lib" -maxdepth 1 -name '*.jar' | wc -l) jars, $(du -sh "$lib" | cut -f1) in $lib"
