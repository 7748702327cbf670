"""The Neo4j engine's storage side (SPEC §9): the property graph, ``push``, ``cypher`` and their
errors, on a real Neo4j server (``neo4j_uri``; skipped locally without java or the jars, failing
in CI), plus the ``ownergraph neo4j`` commands."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from click.testing import CliRunner, Result
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError

from ownergraph._testing.neo4j import Neo4jServer, free_port
from ownergraph.cli import cli
from ownergraph.errors import EngineError
from ownergraph.graph.neo4j_store import (
    EDGE_TYPES,
    KIND_LABELS,
    NodeSet,
    RelSet,
    check_server_version,
    cypher,
    property_graph,
    push,
)
from ownergraph.graph.workspace import Workspace
from tests.graph import conftest_neo4j
from tests.graph.conftest_neo4j import neo4j_auth, require_local_neo4j

neo4j_uri = conftest_neo4j.neo4j_uri  # the session fixture

Bundle = Callable[..., Path]

LISTED_PARENT_QUERY = """
MATCH (parent:Entity)-[l:LISTED_ON]->(v:Venue)
WHERE coalesce(l.listed, '0000') <= $as_of AND $as_of < coalesce(l.delisted, '9999')
MATCH chain = (parent)-[:OWNS|VOTES|BOARD|CONTROLS*1..6]->(d:Entity)
WHERE all(r IN relationships(chain)
          WHERE coalesce(r.start, '0000') <= $as_of AND $as_of <= coalesce(r.end, '9999'))
MATCH (d)-[des:DESIGNATED]->(g:Regime)
WHERE coalesce(des.listed, des.effective, '0000') <= $as_of AND $as_of < coalesce(des.removed, '9999')
  AND NOT EXISTS {
    MATCH (parent)-[pd:DESIGNATED]->(g)
    WHERE coalesce(pd.listed, pd.effective, '0000') <= $as_of AND $as_of < coalesce(pd.removed, '9999')
  }
RETURN parent.id AS parent, v.mic AS mic, l.ticker AS ticker, d.id AS designated, g.id AS regime,
       des.listed AS listed, [n IN nodes(chain) | n.id] AS path,
       [r IN relationships(chain) | r.source] AS sources
ORDER BY designated, size(path)
"""


# -- the property graph (no server) ----------------------------------------------------------------


@pytest.fixture
def mixed_ws(ws: Workspace, bundle: Bundle) -> Workspace:
    """Every edge kind, entity kinds, dated and open-interval shares, a holding, an ISIN-only
    listing and a claim."""
    ws.load(
        [
            bundle(
                "mixed",
                entities=[
                    {"id": "p1", "name": "Jane Doe", "kind": "person", "jurisdiction": "GB"},
                    {"id": "f1", "name": "Fund One", "kind": "fund"},
                    {"id": "c1", "name": 'Acme "Holdings", Ltd.', "identifiers": "lei:529900T8BM49AURSDO55"},
                    {"id": "c2", "name": "Beta GmbH", "jurisdiction": "DE"},
                    {"id": "c3", "name": "Gamma", "kind": "unknown"},
                ],
                ownership=[
                    {"owner_id": "p1", "owned_id": "c1", "share": "(25,50]", "kind": "shares",
                     "start": "2019-06-01", "source": "register"},
                    {"owner_id": "p1", "owned_id": "c1", "share": "60", "kind": "votes"},
                    {"owner_id": "c1", "owned_id": "c2", "share": "", "kind": "board", "end": "2023-12-31"},
                    {"owner_id": "c1", "owned_id": "c3", "share": ">50", "kind": "control",
                     "arrangement": "A"},
                    {"owner_id": "c1", "owned_id": "c3", "share": "100", "kind": "consolidation"},
                ],
                listings=[
                    {"entity_id": "c1", "mic": "XLON", "ticker": "ACM", "listed": "2015-01-02"},
                    {"entity_id": "c2", "isin": "US0378331005"},
                ],
                designations=[{"entity_id": "c2", "regime": "eu", "listed": "2022-03-15", "source": "EU"}],
                holdings=[{"holder_id": "f1", "entity_id": "c1", "shares": "1000", "weight": "0.5",
                           "as_of": "2024-06-30"}],
                claims=[{"subject_id": "c3", "relation": "parent", "name": "Some Parent Ltd"}],
            )
        ]
    )
    return ws


def _flat(value: Any) -> bool:
    """A Neo4j property value: a primitive, or a list of primitives (no maps)."""
    if isinstance(value, list):
        return all(isinstance(v, (str, int, float, bool)) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


def _py(values: Any) -> list[Any]:
    """An Arrow column of the property graph as Python values."""
    return list(values.to_pylist())


def _cols(s: NodeSet | RelSet) -> dict[str, list[Any]]:
    return {c: _py(v) for c, v in s.columns.items()}


def test_property_graph_of_the_case_study(sensetime_ws: Workspace) -> None:
    g = property_graph(sensetime_ws)
    assert g.node_counts() == {"Entity": 8, "Venue": 1, "Regime": 3}
    assert g.rel_counts() == {"OWNS": 7, "DESIGNATED": 3, "LISTED_ON": 1}
    ent = _cols(g.nodes[0])
    row = {c: v[ent["id"].index("sensetime-group-ltd")] for c, v in ent.items()}
    assert row["ids"] == ["sensetime-group-ltd", "registration:HK:2162198"]
    assert row["regimes"] == ["ofac-ns-cmic"] and row["isins"] is None
    assert set(_py(g.nodes[0].extra_labels)) == {"Company", "Fund"}
    owns_set = next(rs for rs in g.rels if rs.type == "OWNS")
    owns, src = _cols(owns_set), _py(owns_set.src)
    i = src.index("sensetime-group-ltd")
    assert _py(owns_set.dst)[i] == "shenzhen-sensetime"
    assert [owns[c][i] for c in ("share", "share_min", "ppm_hi")] == ["100", 100.0, 10**6]
    unknown = src.index("sensetime-group-inc")
    assert owns["share"][unknown] == "unknown" and owns["share_min"][unknown] is None
    des = next(rs for rs in g.rels if rs.type == "DESIGNATED")
    assert des.end == ("Regime", "id") and sorted(_py(des.dst)) == ["bis-entity-list", "info", "ofac-ns-cmic"]
    assert _cols(des)["listed"][_py(des.src).index("sensetime-group-ltd")] == "2021-12-10"
    lis = next(rs for rs in g.rels if rs.type == "LISTED_ON")
    assert (_py(lis.src), _py(lis.dst), _cols(lis)["ticker"]) == (["sensetime-group-inc"], ["XHKG"], ["0020"])
    for columns in [*(_cols(ns) for ns in g.nodes), *(_cols(rs) for rs in g.rels)]:
        for col, values in columns.items():
            assert all(_flat(v) for v in values), col
    for rs in g.rels:
        assert len(set(_py(rs.columns["key"]))) == len(rs)
    again = property_graph(sensetime_ws)
    assert [_cols(rs) for rs in again.rels] == [_cols(rs) for rs in g.rels]
    assert [_cols(ns) for ns in again.nodes] == [_cols(ns) for ns in g.nodes]


def test_property_graph_maps_every_kind(mixed_ws: Workspace) -> None:
    g = property_graph(mixed_ws)
    assert g.rel_counts() == {
        "OWNS": 1, "VOTES": 1, "BOARD": 1, "CONTROLS": 1, "CONSOLIDATES": 1,
        "DESIGNATED": 1, "LISTED_ON": 1, "HOLDS": 1,
    }
    ent = _cols(g.nodes[0])
    labels = dict(zip(ent["id"], _py(g.nodes[0].extra_labels), strict=True))
    assert labels == {"p1": "Person", "f1": "Fund", "c1": "Company", "c2": "Company", "c3": "Unknown"}
    assert ent["isins"][ent["id"].index("c2")] == ["US0378331005"]
    assert ent["ids"][ent["id"].index("c1")] == ["c1", "lei:529900T8BM49AURSDO55"]
    rels = {rs.type: rs for rs in g.rels}
    owns = _cols(rels["OWNS"])
    assert owns["share"] == ["(25,50]"] and owns["start"] == ["2019-06-01"]
    assert (owns["share_min"], owns["share_max"]) == ([25.0], [50.0])
    board = _cols(rels["BOARD"])
    assert board["end"] == ["2023-12-31"] and board["share"] == ["unknown"]
    control = _cols(rels["CONTROLS"])
    assert control["share"] == ["(50,100]"] and control["arrangement"] == ["A"]
    holds = rels["HOLDS"]
    assert (_py(holds.src), _py(holds.dst), _cols(holds)["shares"], _cols(holds)["as_of"]) == (
        ["f1"], ["c1"], [1000.0], ["2024-06-30"]
    )
    assert g.skipped == {
        "listings without a MIC (kept as Entity.isins)": 1,
        "claims (names only; they stay in the workspace)": 1,
    }
    assert set(EDGE_TYPES.values()) <= set(g.rel_counts())


def test_property_graph_keeps_one_row_per_key(sensetime_ws: Workspace) -> None:
    """Relationship rows with the same content (hence the same ``key``) collapse into one."""
    tables = dict(sensetime_ws.tables())
    edges = tables["edges"]
    tables["edges"] = pa.concat_tables([edges, edges.slice(2), edges])
    g = property_graph(tables, load_paths=sensetime_ws.store.load_paths())
    once = property_graph(sensetime_ws)
    assert g.duplicates == 2 * edges.num_rows - 2
    assert [_cols(rs) for rs in g.rels] == [_cols(rs) for rs in once.rels]


def test_server_version_check() -> None:
    for ok in ("5.0.0", "5.26.30", "5.27-aura", "2025.08.0", "2026.01.1"):
        check_server_version(ok, "bolt://x:7687")
    with pytest.raises(EngineError) as info:
        check_server_version("4.4.30", "bolt://old:7687")
    msg = str(info.value)
    assert "bolt://old:7687" in msg and "too old" in msg and "5.0 or later" in msg and "upgrade" in msg


def _ws_state(ws: Workspace) -> tuple[int, str, dict[str, float]]:
    files = {str(p): p.stat().st_mtime for p in ws.path.rglob("*") if p.is_file() and "-wal" not in p.name}
    return ws.store.generation(), json.dumps(ws.cache_meta(), sort_keys=True), files


def test_server_down_is_one_clear_line_and_leaves_the_workspace(sensetime_ws: Workspace) -> None:
    sensetime_ws.tables()
    before = _ws_state(sensetime_ws)
    uri = f"bolt://127.0.0.1:{free_port()}"
    started = time.perf_counter()
    with pytest.raises(EngineError) as info:
        push(sensetime_ws, uri)
    assert time.perf_counter() - started < 15  # no 30 s of driver retries
    msg = str(info.value)
    assert "\n" not in msg and uri in msg and "cannot reach Neo4j" in msg and "start the server" in msg
    assert _ws_state(sensetime_ws) == before


def test_a_uri_that_is_not_bolt_is_refused(sensetime_ws: Workspace) -> None:
    for uri in ("http://localhost:7474", "localhost:7687"):
        with pytest.raises(EngineError, match="speaks Bolt"):
            push(sensetime_ws, uri)


# -- on a server --------------------------------------------------------------------------------------


def _counts(uri: str) -> dict[str, int]:
    rows = cypher(
        uri,
        "MATCH (n) WHERE n:Entity OR n:Venue OR n:Regime WITH count(n) AS nodes "
        "OPTIONAL MATCH (:Entity)-[r]->() RETURN nodes, count(r) AS rels",
        **neo4j_auth(),
    )
    return {"nodes": rows[0]["nodes"], "rels": rows[0]["rels"]}


@pytest.mark.neo4j
def test_push_then_push_again_changes_nothing(neo4j_uri: str, sensetime_ws: Workspace) -> None:
    seen: list[tuple[int, int, str]] = []
    first = push(sensetime_ws, neo4j_uri, replace=True, progress=lambda d, t, s: seen.append((d, t, s)),
                 **neo4j_auth())
    assert first.server_version and first.replaced
    assert first.nodes == {"Entity": 8, "Venue": 1, "Regime": 3}
    assert first.relationships == {"OWNS": 7, "DESIGNATED": 3, "LISTED_ON": 1}
    assert (first.nodes_created, first.relationships_created, first.written) == (12, 11, 23)
    assert (first.stale_nodes, first.stale_relationships) == (0, 0)
    assert seen[-1][0] == seen[-1][1] == 23
    counts = _counts(neo4j_uri)
    assert counts == {"nodes": 12, "rels": 11}

    second = push(sensetime_ws, neo4j_uri, **neo4j_auth())
    assert (second.nodes_created, second.relationships_created, second.properties_set, second.written) == (
        0, 0, 0, 0
    )
    assert _counts(neo4j_uri) == counts

    # even when every row is written again (hashes spoiled), MERGE on ids creates nothing
    cypher(neo4j_uri, "MATCH (n:Entity) SET n.h = 'x' WITH count(*) AS c "
                      "MATCH (:Entity)-[r]->() SET r.h = 'x'", **neo4j_auth())
    third = push(sensetime_ws, neo4j_uri, batch=3, **neo4j_auth())
    assert third.written == 8 + 11 and third.nodes_created == 0 and third.relationships_created == 0
    assert _counts(neo4j_uri) == counts
    assert push(sensetime_ws, neo4j_uri, **neo4j_auth()).written == 0


def _db_state(uri: str) -> tuple[list[str], list[str]]:
    """Every node (labels and every property) and every relationship (type, endpoints and every
    property), as sorted JSON texts: what the database holds, not just the client's hashes."""
    auth = neo4j_auth()
    nodes = cypher(uri, "MATCH (n) RETURN labels(n) AS l, properties(n) AS p", **auth)
    rels = cypher(uri, "MATCH (a)-[r]->(b) RETURN type(r) AS t, coalesce(a.id, a.mic) AS a,"
                       " coalesce(b.id, b.mic) AS b, properties(r) AS p", **auth)
    def text(r: dict[str, Any]) -> str:
        return json.dumps(r, sort_keys=True, default=str)

    return sorted(text({**r, "l": sorted(r["l"])}) for r in nodes), sorted(text(r) for r in rels)


@pytest.mark.neo4j
def test_parallel_sessions_write_what_one_session_writes(neo4j_uri: str, tmp_path: Path) -> None:
    from bench.generate import generate

    ws = Workspace(tmp_path / "ws")
    try:
        # a realistic 3k graph: parents with hundreds of subsidiaries, so concurrent batches
        # of 50 relationships lock the same hub nodes
        generate(tmp_path / "bundle", 3_000, seed=3)
        (report,) = ws.load([tmp_path / "bundle"])
        assert report.rejected == 0
        one = push(ws, neo4j_uri, replace=True, workers=1, **neo4j_auth())
        want = _db_state(neo4j_uri)
        threads: set[str] = set()
        many = push(ws, neo4j_uri, replace=True, workers=4, batch=50,
                    progress=lambda *_: threads.add(threading.current_thread().name), **neo4j_auth())
        writers = {t for t in threads if t.startswith("ownergraph-push")}
        assert len(writers) > 1, threads  # the batches were written by more than one session
        assert (many.nodes, many.relationships) == (one.nodes, one.relationships)
        assert many.relationships["OWNS"] > 4_000
        created = (many.nodes_created, many.relationships_created)
        assert created == (one.nodes_created, one.relationships_created)
        assert _db_state(neo4j_uri) == want
        again = push(ws, neo4j_uri, workers=4, batch=50, **neo4j_auth())
        assert (again.written, again.properties_set, again.stale_relationships) == (0, 0, 0)
    finally:
        ws.close()


def test_run_all_raises_the_first_failure_and_starts_no_more() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from ownergraph.graph.neo4j_store import _run_all

    started: list[int] = []
    pulled: list[int] = []

    def job(i: int) -> None:
        started.append(i)
        if i == 3:
            raise EngineError("batch 3 failed")
        time.sleep(0.05)

    def jobs() -> Iterator[Callable[[], None]]:
        for i in range(1_000):
            pulled.append(i)  # a job's batch is built when it is pulled: at most 2 x workers wait
            yield lambda i=i: job(i)

    with ThreadPoolExecutor(max_workers=2) as pool, pytest.raises(EngineError, match="batch 3"):
        _run_all(pool, jobs(), 2)
    assert 3 in started and len(started) < 10
    assert len(pulled) <= 2 * 2 + 3, pulled  # not the whole generator up front


def test_push_refuses_zero_workers(sensetime_ws: Workspace) -> None:
    with pytest.raises(ValueError, match="workers must be at least 1"):
        push(sensetime_ws, "bolt://127.0.0.1:1", workers=0)


@pytest.mark.neo4j
def test_schema_labels_and_properties(neo4j_uri: str, sensetime_ws: Workspace) -> None:
    push(sensetime_ws, neo4j_uri, replace=True, **neo4j_auth())
    auth = neo4j_auth()
    constraints = cypher(neo4j_uri, "SHOW CONSTRAINTS YIELD labelsOrTypes, properties "
                                    "RETURN labelsOrTypes[0] AS l, properties[0] AS p", **auth)
    assert {("Entity", "id"), ("Venue", "mic"), ("Regime", "id")} <= {(r["l"], r["p"]) for r in constraints}
    indexes = cypher(neo4j_uri, "SHOW INDEXES YIELD labelsOrTypes, properties "
                                "RETURN labelsOrTypes[0] AS l, properties[0] AS p", **auth)
    assert ("Entity", "name") in {(r["l"], r["p"]) for r in indexes}
    (ltd,) = cypher(neo4j_uri, "MATCH (n:Entity {id: $id}) RETURN n", {"id": "sensetime-group-ltd"}, **auth)
    node = ltd["n"]
    assert node["_labels"] == ["Company", "Entity"]
    assert node["ids"] == ["sensetime-group-ltd", "registration:HK:2162198"]
    assert (node["name"], node["kind"], node["jurisdiction"], node["regimes"]) == (
        "SenseTime Group Limited", "company", "HK", ["ofac-ns-cmic"]
    )
    (d,) = cypher(neo4j_uri, "MATCH (:Entity {id: 'sensetime-group-ltd'})-[d:DESIGNATED]->(g:Regime) "
                             "RETURN d, g.id AS regime", **auth)
    assert d["regime"] == "ofac-ns-cmic"
    assert {k: d["d"][k] for k in ("regime", "program", "listed", "effective", "reference")} == {
        "regime": "ofac-ns-cmic", "program": "CMIC-EO13959", "listed": "2021-12-10",
        "effective": "2022-02-08", "reference": "OFAC entity 33114",
    }
    assert d["d"]["file"].endswith("sensetime") and d["d"]["locator"] == "designations.csv:2"
    (v,) = cypher(neo4j_uri, "MATCH (:Entity)-[l:LISTED_ON]->(v:Venue) RETURN v.mic AS mic, v.country AS c, "
                             "l.ticker AS t, l.listed AS listed", **auth)
    assert v == {"mic": "XHKG", "c": "HK", "t": "0020", "listed": "2021-12-30"}
    rows = cypher(neo4j_uri, "MATCH (:Entity {id: 'sensetime-group-ltd'})-[o:OWNS]->(c) "
                             "RETURN o.share AS share, o.share_min AS lo, o.ppm_hi AS hi, o.start AS start",
                  **auth)
    assert rows == [{"share": "100", "lo": 100.0, "hi": 1_000_000, "start": None}]


@pytest.mark.neo4j
def test_the_listed_parent_path_of_the_case_study(neo4j_uri: str, sensetime_ws: Workspace) -> None:
    push(sensetime_ws, neo4j_uri, replace=True, **neo4j_auth())
    rows = cypher(neo4j_uri, LISTED_PARENT_QUERY, {"as_of": "2022-01-07"}, **neo4j_auth())
    assert [(r["parent"], r["mic"], r["ticker"], r["designated"], r["regime"]) for r in rows] == [
        ("sensetime-group-inc", "XHKG", "0020", "beijing-sensetime", "bis-entity-list"),
        ("sensetime-group-inc", "XHKG", "0020", "sensetime-group-ltd", "ofac-ns-cmic"),
    ]
    ltd = rows[1]
    assert ltd["path"] == ["sensetime-group-inc", "sensetime-group-ltd"]
    assert ltd["listed"] == "2021-12-10" and "Guardian" in ltd["sources"][0]
    # before the IPO (2021-12-30) there is no listed parent
    assert cypher(neo4j_uri, LISTED_PARENT_QUERY, {"as_of": "2021-12-01"}, **neo4j_auth()) == []


@pytest.mark.neo4j
def test_every_kind_round_trips(neo4j_uri: str, mixed_ws: Workspace) -> None:
    report = push(mixed_ws, neo4j_uri, replace=True, **neo4j_auth())
    assert report.skipped and report.relationships["HOLDS"] == 1
    auth = neo4j_auth()
    types = cypher(neo4j_uri, "MATCH (a:Entity)-[r]->(b) "
                              "RETURN type(r) AS t, a.id AS a, coalesce(b.id, b.mic) AS b ORDER BY t", **auth)
    assert [(r["t"], r["a"], r["b"]) for r in types] == [
        ("BOARD", "c1", "c2"), ("CONSOLIDATES", "c1", "c3"), ("CONTROLS", "c1", "c3"),
        ("DESIGNATED", "c2", "eu"), ("HOLDS", "f1", "c1"), ("LISTED_ON", "c1", "XLON"),
        ("OWNS", "p1", "c1"), ("VOTES", "p1", "c1"),
    ]
    labels = cypher(neo4j_uri, "MATCH (n:Entity) RETURN n.id AS id, labels(n) AS l ORDER BY id", **auth)
    assert {r["id"]: sorted(r["l"]) for r in labels}["c3"] == ["Entity", "Unknown"]
    (acme,) = cypher(neo4j_uri, "MATCH (n:Entity {id: 'c1'}) RETURN n.name AS name", **auth)
    assert acme["name"] == 'Acme "Holdings", Ltd.'
    assert set(KIND_LABELS.values()) >= {lab for r in labels for lab in r["l"]} - {"Entity"}


@pytest.mark.neo4j
def test_stale_data_is_reported_and_replace_mirrors(
    neo4j_uri: str, sensetime_ws: Workspace, tmp_path: Path, bundle: Bundle
) -> None:
    push(sensetime_ws, neo4j_uri, replace=True, **neo4j_auth())
    other = Workspace(tmp_path / "other-ws")
    try:
        other.load([bundle("other", entities=[{"id": "sensetime-group-ltd", "name": "SenseTime Group Limited",
                                               "kind": "unknown"}, {"id": "x", "name": "X"}],
                           ownership=[{"owner_id": "x", "owned_id": "sensetime-group-ltd", "share": "10"}])])
        kept = push(other, neo4j_uri, **neo4j_auth())
        # Neo4j: the 12 case-study nodes plus x; the workspace: 2 entities
        assert kept.stale_nodes == 11 and kept.stale_relationships == 11
        (row,) = cypher(neo4j_uri, "MATCH (n:Entity {id: 'sensetime-group-ltd'}) RETURN labels(n) AS l",
                        **neo4j_auth())
        assert sorted(row["l"]) == ["Entity", "Unknown"]  # the kind label follows the workspace
        mirrored = push(other, neo4j_uri, replace=True, **neo4j_auth())
        assert (mirrored.stale_nodes, mirrored.stale_relationships) == (0, 0)
        assert mirrored.deleted_nodes == 13 and mirrored.deleted_relationships == 12
        assert _counts(neo4j_uri) == {"nodes": 2, "rels": 1}
    finally:
        other.close()


@pytest.mark.neo4j
def test_wrong_database_is_one_clear_line(neo4j_uri: str, sensetime_ws: Workspace) -> None:
    with pytest.raises(EngineError) as info:
        push(sensetime_ws, neo4j_uri, database="nosuchdb", **neo4j_auth())
    msg = str(info.value)
    assert "\n" not in msg and "'nosuchdb' does not exist" in msg and neo4j_uri in msg and "--database" in msg


@pytest.mark.neo4j
def test_cypher_returns_plain_rows_and_errors_are_one_line(neo4j_uri: str, sensetime_ws: Workspace) -> None:
    push(sensetime_ws, neo4j_uri, replace=True, **neo4j_auth())
    auth = neo4j_auth()
    rows = cypher(
        neo4j_uri,
        "MATCH p = (a:Entity {id: $id})-[:OWNS]->(b:Entity {id: 'shenzhen-sensetime'}) "
        "RETURN p, date('2021-12-10') AS d, duration('P60D') AS wait, {x: [1, 2.5, true]} AS m",
        {"id": "sensetime-group-ltd"},
        read_only=True,
        **auth,
    )
    assert len(rows) == 1
    path = rows[0]["p"]
    assert [n["id"] for n in path["nodes"]] == ["sensetime-group-ltd", "shenzhen-sensetime"]
    rel = path["relationships"][0]
    assert (rel["_type"], rel["_start"], rel["_end"], rel["share"]) == (
        "OWNS", "sensetime-group-ltd", "shenzhen-sensetime", "100"
    )
    assert (rows[0]["d"], rows[0]["wait"], rows[0]["m"]) == ("2021-12-10", "P60D", {"x": [1, 2.5, True]})
    json.dumps(rows)
    with pytest.raises(EngineError) as info:
        cypher(neo4j_uri, "RETRUN 1", **auth)
    msg = str(info.value)
    assert "\n" not in msg and neo4j_uri in msg and "SyntaxError" in msg


@pytest.fixture(scope="module")
def auth_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second local server with authentication on (the session one runs without).

    Started here rather than by ``Neo4jServer.start()``, whose readiness probe connects without
    credentials and so never sees an authenticating server as ready: an ``AuthError`` for an
    unknown user is the sign of readiness here.
    """
    require_local_neo4j()
    srv = Neo4jServer(
        home=tmp_path_factory.mktemp("neo4j-auth"),
        extra_settings={"dbms.security.auth_enabled": "true", "dbms.security.auth_max_failed_attempts": "0"},
    )
    port = free_port()
    srv.write_config(port)
    uri = f"bolt://127.0.0.1:{port}"
    with srv.console_log.open("wb") as console:
        proc = subprocess.Popen(
            srv.command(), stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
            cwd=srv.home, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                tail = srv.console_log.read_text()[-2000:]
                pytest.fail(f"auth server exited with {proc.returncode}: {tail}")
            try:
                with GraphDatabase.driver(uri, auth=("probe", "probe"), connection_timeout=2.0,
                                          max_transaction_retry_time=0.0) as driver:
                    driver.verify_connectivity()
            except AuthError:
                break
            except (DriverError, Neo4jError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"auth server not ready after 120 s; see {srv.home}/logs")
            time.sleep(0.5)
        yield uri
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.neo4j
@pytest.mark.slow
def test_wrong_credentials_are_one_clear_line(auth_uri: str, sensetime_ws: Workspace) -> None:
    for user, password in (("neo4j", "wrong-password"), (None, None)):
        with pytest.raises(EngineError) as info:
            push(sensetime_ws, auth_uri, user=user, password=password)
        msg = str(info.value)
        assert "\n" not in msg and auth_uri in msg, msg
        assert "credentials" in msg and "--user/--password" in msg, msg


# -- CLI --------------------------------------------------------------------------------------------------


def _run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), *args], env=env)


def _auth_args() -> list[str]:
    auth = neo4j_auth()
    out = []
    if auth["user"]:
        out += ["--user", str(auth["user"])]
    if auth["password"]:
        out += ["--password", str(auth["password"])]
    return out


@pytest.mark.neo4j
def test_cli_push_and_cypher(neo4j_uri: str, tmp_path: Path, sensetime_dir: Path) -> None:
    assert _run(tmp_path, "load", str(sensetime_dir)).exit_code == 0
    r = _run(tmp_path, "neo4j", "push", "--uri", neo4j_uri, "--replace", *_auth_args())
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    assert f"pushed to {neo4j_uri}" in r.stderr and "Entity 8" in r.stderr and "OWNS 7" in r.stderr
    # the URI from the group option and from the environment
    r = _run(tmp_path, "neo4j", "--uri", neo4j_uri, *_auth_args(), "push")
    assert r.exit_code == 0, r.output
    assert "written 0, created 0 nodes and 0 relationships" in r.stderr
    env = {"NEO4J_URI": neo4j_uri}
    r = _run(tmp_path, "neo4j", "cypher", "--format", "json", *_auth_args(),
             "MATCH (e:Entity) WHERE e.name CONTAINS $q RETURN e.id AS id, e.regimes AS regimes ORDER BY id",
             "-p", "q=SenseTime Group", env=env)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == [
        {"id": "sensetime-group-inc", "regimes": ["info"]},
        {"id": "sensetime-group-ltd", "regimes": ["ofac-ns-cmic"]},
    ]
    r = _run(tmp_path, "neo4j", "cypher", "--format", "csv", *_auth_args(), "RETURN $n AS n, $xs AS xs",
             "-p", "n=42", "-p", "xs=[1,2]", env=env)
    assert r.exit_code == 0 and r.stdout.splitlines() == ["n,xs", "42,\"[1, 2]\""], r.output
    r = _run(tmp_path, "neo4j", "cypher", "--database", "nosuchdb", *_auth_args(), "RETURN 1", env=env)
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.startswith("error: database 'nosuchdb' does not exist")
    assert len(r.stderr.splitlines()) == 1


def test_cli_server_down_exits_1_with_one_line(tmp_path: Path, sensetime_dir: Path) -> None:
    assert _run(tmp_path, "load", str(sensetime_dir)).exit_code == 0
    uri = f"bolt://127.0.0.1:{free_port()}"
    for args in (["neo4j", "push", "--uri", uri], ["neo4j", "cypher", "RETURN 1"]):
        r = _run(tmp_path, *args, env={"NEO4J_URI": uri})
        assert r.exit_code == 1 and r.stdout == "", r.output
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: cannot reach Neo4j at {uri}"), r.stderr
    r = _run(tmp_path, "neo4j", "cypher", "RETURN 1", "-p", "novalue")
    assert r.exit_code == 2


def test_env_does_not_override_a_given_option(tmp_path: Path) -> None:
    down = f"bolt://127.0.0.1:{free_port()}"
    r = _run(tmp_path, "neo4j", "--uri", down, "cypher", "RETURN 1",
             env={"NEO4J_URI": "bolt://elsewhere.invalid:7687"})
    assert r.exit_code == 1 and down in r.stderr, r.stderr


@pytest.mark.neo4j
def test_an_unknown_regime_on_the_server_is_one_clear_error(neo4j_uri: str, sensetime_ws: Workspace) -> None:
    from ownergraph.graph.engine import open_view
    from ownergraph.queries.restricted import restricted

    auth = neo4j_auth()
    push(sensetime_ws, neo4j_uri, replace=True, **auth)
    cypher(neo4j_uri, "MATCH (e:Entity {id: 'sensetime-group-ltd'}) MERGE (g:Regime {id: 'xyz-future'}) "
                      "CREATE (e)-[:DESIGNATED {key: 'k-xyz', h: 'x'}]->(g)", **auth)
    want = r"regime 'xyz-future' this version does not know.*--replace"
    try:
        with open_view("neo4j", uri=neo4j_uri, as_of="2022-01-07", **auth) as view, \
                pytest.raises(EngineError, match=want):
            restricted(view, "ofac-ns-cmic")
    finally:
        push(sensetime_ws, neo4j_uri, replace=True, **auth)
