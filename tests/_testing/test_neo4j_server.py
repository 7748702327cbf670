"""A real Neo4j Community server from the Maven jars: start, write, bulk import, stop.

Skipped with a one-line reason when java or the jars (``tools/neo4j/fetch.sh``) are
missing, except under CI (env ``CI`` true), where that is a collection error instead.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from neo4j import GraphDatabase, RoutingControl

from ownergraph._testing.neo4j import (
    IMPORT_MAIN_CLASS,
    Neo4jServer,
    Neo4jServerError,
    availability,
    import_tool_command,
)

_REASON = availability()
if _REASON is not None:
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off"):
        pytest.fail(f"CI needs a Neo4j server: {_REASON}", pytrace=False)
    pytest.skip(_REASON, allow_module_level=True)

pytestmark = pytest.mark.neo4j

DB = "neo4j"


@pytest.fixture(scope="module")
def server() -> Iterator[Neo4jServer]:
    with Neo4jServer() as srv:
        print(f"\nneo4j start {srv.startup_seconds:.2f}s, rss {srv.rss_bytes()} B")
        yield srv


def test_return_1_and_version(server: Neo4jServer) -> None:
    assert server.uri.startswith("bolt://127.0.0.1:")
    with GraphDatabase.driver(server.uri, auth=None) as driver:
        records, _, keys = driver.execute_query("RETURN 1 AS x", database_=DB)
        assert keys == ["x"]
        assert records[0]["x"] == 1
        records, _, _ = driver.execute_query(
            "CALL dbms.components() YIELD name, versions, edition RETURN edition, versions[0] AS version",
            database_=DB,
        )
    assert records[0]["edition"] == "community"
    assert records[0]["version"].startswith("5.26.")


def test_unwind_100k_nodes_in_batches_of_10k(
    server: Neo4jServer, record_property: Callable[[str, object], None]
) -> None:
    total, batch = 100_000, 10_000
    rows = [{"id": i, "name": f"n{i}", "pct": i / total} for i in range(total)]
    with GraphDatabase.driver(server.uri, auth=None) as driver:
        driver.execute_query("MATCH (n:Bulk) DETACH DELETE n", database_=DB)
        started = time.perf_counter()
        for start in range(0, total, batch):
            summary = driver.execute_query(
                "UNWIND $rows AS r CREATE (:Bulk {id: r.id, name: r.name, pct: r.pct})",
                rows=rows[start : start + batch],
                database_=DB,
                routing_=RoutingControl.WRITE,
            ).summary
            assert summary.counters.nodes_created == batch
        elapsed = time.perf_counter() - started
        records, _, _ = driver.execute_query(
            "MATCH (n:Bulk) RETURN count(n) AS c",
            database_=DB,
            routing_=RoutingControl.READ,
        )
        driver.execute_query("MATCH (n:Bulk) DETACH DELETE n", database_=DB)
    assert records[0]["c"] == total
    rate = total / elapsed
    record_property("unwind_nodes_per_second", round(rate))
    print(f"\nUNWIND CREATE {total} nodes in {elapsed:.2f}s = {rate:,.0f} nodes/s")
    assert rate > 1_000  # catches pathological slowness only; 2-core CI does far better


def _write_csvs(directory: Path) -> list[str]:
    (directory / "companies.csv").write_text(
        "id:ID,name,jurisdiction,:LABEL\nC1,Acme Ltd,GB,Company\nC2,Beta GmbH,DE,Company\n"
    )
    (directory / "persons.csv").write_text("id:ID,name,:LABEL\nP1,Jane Doe,Person\n")
    (directory / "owns.csv").write_text(
        ":START_ID,:END_ID,:TYPE,pct:double\nP1,C1,OWNS,51.0\nC1,C2,OWNS,100.0\n"
    )
    return [
        DB,
        f"--nodes={directory / 'companies.csv'}",
        f"--nodes={directory / 'persons.csv'}",
        f"--relationships={directory / 'owns.csv'}",
        "--overwrite-destination=true",
        "--high-parallel-io=off",
    ]


def test_import_tool_round_trip(tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    srv = Neo4jServer(home=tmp_path / "home")
    with srv:  # first start creates the system and neo4j databases; then it stops
        first = srv.startup_seconds
    assert srv.pid is None

    args = _write_csvs(srv.import_dir)
    cmd = import_tool_command(srv.home, args)
    assert IMPORT_MAIN_CLASS in cmd
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    import_seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "IMPORT DONE" in done.stdout

    with srv:  # second start on the same home serves the imported store
        second = srv.startup_seconds
        with GraphDatabase.driver(srv.uri, auth=None) as driver:
            nodes, _, _ = driver.execute_query(
                "MATCH (n) RETURN count(n) AS c",
                database_=DB,
                routing_=RoutingControl.READ,
            )
            owns, _, _ = driver.execute_query(
                "MATCH (:Person {name: 'Jane Doe'})-[o:OWNS]->(c:Company) "
                "RETURN c.name AS name, o.pct AS pct",
                database_=DB,
                routing_=RoutingControl.READ,
            )
            rels, _, _ = driver.execute_query(
                "MATCH ()-[r:OWNS]->() RETURN count(r) AS c",
                database_=DB,
                routing_=RoutingControl.READ,
            )
    assert nodes[0]["c"] == 3
    assert rels[0]["c"] == 2
    assert [(r["name"], r["pct"]) for r in owns] == [("Acme Ltd", 51.0)]
    record_property("import_seconds", round(import_seconds, 2))
    print(f"\nstart {first:.2f}s, import {import_seconds:.2f}s, restart {second:.2f}s")


def test_misspelt_setting_fails_fast_with_log() -> None:
    srv = Neo4jServer(extra_settings={"server.bolt.listen_adress": "127.0.0.1:1"})
    started = time.perf_counter()
    with pytest.raises(Neo4jServerError, match="Unrecognized setting") as info:
        srv.start()
    assert time.perf_counter() - started < 60
    assert "server.bolt.listen_adress" in str(info.value)
    assert not srv.home.exists()  # a temp home is removed after a failed start
