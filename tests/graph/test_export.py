"""Exports (SPEC §7, §9): ``neo4j-admin`` import CSV — checked by importing it with the real
import tool into a stopped server and querying the result —, GraphML and JSON lines, and the
``ownergraph export`` command."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pyarrow as pa
import pytest
from click.testing import CliRunner, Result

from ownergraph._testing.neo4j import Neo4jServer, import_tool_command
from ownergraph.cli import cli
from ownergraph.graph.export import (
    _CSV_CHUNK,
    EXPORTERS,
    Neo4jCsvExport,
    _field,
    _write_csv,
    export_graphml,
    export_json,
    export_neo4j_csv,
    iter_json_records,
)
from ownergraph.graph.neo4j_store import KIND_LABELS, cypher, property_graph, push
from ownergraph.graph.workspace import Workspace, open_workspace
from tests.graph.conftest_neo4j import require_local_neo4j

Bundle = Callable[..., Path]

TRICKY_NAME = 'Acme "Holdings", Ltd.\nsecond line'


@pytest.fixture
def tricky_ws(sensetime_ws: Workspace, bundle: Bundle) -> Workspace:
    """The case study plus values that stress CSV: quotes, commas, a newline, a ``;`` in an id."""
    sensetime_ws.load(
        [
            bundle(
                "tricky",
                entities=[
                    {"id": "odd;id", "name": TRICKY_NAME, "kind": "person"},
                    {"id": "back\\slash", "name": "Trailing backslash \\", "kind": "organization"},
                ],
                ownership=[{"owner_id": "odd;id", "owned_id": "back\\slash", "share": "[10,20)",
                            "source": 'said "so", twice'}],
                listings=[{"entity_id": "back\\slash", "isin": "US0378331005"}],
            )
        ]
    )
    return sensetime_ws


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def test_neo4j_csv_files_headers_and_values(sensetime_ws: Workspace, tmp_path: Path) -> None:
    out = export_neo4j_csv(sensetime_ws, tmp_path / "csv")
    assert [p.name for p in out.node_files] == ["entities.csv", "venues.csv", "regimes.csv"]
    assert [p.name for p in out.relationship_files] == ["owns.csv", "designated.csv", "listed_on.csv"]
    assert out.array_delimiter == ";" and not out.multiline
    header, rows = _read(out.folder / "entities.csv")
    assert header == ["id:ID(Entity)", "name:string", "kind:string", "jurisdiction:string", "ids:string[]",
                      "regimes:string[]", "isins:string[]", "h:string", ":LABEL"]
    ltd = next(r for r in rows if r[0] == "sensetime-group-ltd")
    assert ltd[4] == "sensetime-group-ltd;registration:HK:2162198" and ltd[-1] == "Entity;Company"
    assert ltd[6] == ""  # null: no isins
    header, rows = _read(out.folder / "owns.csv")
    assert header[:3] == [":START_ID(Entity)", ":END_ID(Entity)", ":TYPE"]
    typed = {"share_min:double", "share_max:double", "ppm_lo:long", "start:string", "share:string"}
    assert typed <= set(header)
    assert all(r[2] == "OWNS" for r in rows)
    assert len(rows) == 7
    header, rows = _read(out.folder / "designated.csv")
    assert header[:2] == [":START_ID(Entity)", ":END_ID(Regime)"]
    header, rows = _read(out.folder / "listed_on.csv")
    assert header[:2] == [":START_ID(Entity)", ":END_ID(Venue)"]
    assert rows[0][:3] == ["sensetime-group-inc", "XHKG", "LISTED_ON"]
    assert out.import_args("neo4j") == [
        "neo4j", *(f"--nodes={p.resolve()}" for p in out.node_files),
        *(f"--relationships={p.resolve()}" for p in out.relationship_files), "--array-delimiter=;",
    ]
    assert "neo4j-admin database import full neo4j" in (out.folder / "import.sh").read_text()
    assert "REQUIRE n.id IS UNIQUE;" in (out.folder / "schema.cypher").read_text()
    raw = (out.folder / "owns.csv").read_text().splitlines()
    assert ',"unknown",,,,,' in raw[1]  # nulls are empty and unquoted; strings are quoted


def test_neo4j_csv_quoting_delimiter_and_multiline(tricky_ws: Workspace, tmp_path: Path) -> None:
    out = export_neo4j_csv(tricky_ws, tmp_path / "csv")
    assert out.array_delimiter == "|"  # an id holds ";"
    assert out.multiline
    assert out.import_args()[-2:] == ["--array-delimiter=|", "--multiline-fields=true"]
    _, rows = _read(out.folder / "entities.csv")
    odd = next(r for r in rows if r[0] == "odd;id")
    assert odd[1] == TRICKY_NAME and odd[4] == "odd;id" and odd[-1] == "Entity|Person"
    _, owns = _read(out.folder / "owns.csv")
    row = next(r for r in owns if r[0] == "odd;id")
    assert row[1] == "back\\slash" and 'said "so", twice' in row


def test_json_lines_hold_every_record(tricky_ws: Workspace) -> None:
    buf = io.StringIO()
    n = export_json(tricky_ws, buf)
    lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    assert n == len(lines)
    by_type: dict[str, list[dict[str, object]]] = {}
    for rec in lines:
        by_type.setdefault(str(rec["type"]), []).append(rec)
    assert {k: len(v) for k, v in by_type.items()} == {
        "entity": 10, "ownership": 8, "designation": 3, "listing": 2, "venue": 1,
    }
    ltd = next(e for e in by_type["entity"] if e["id"] == "sensetime-group-ltd")
    assert ltd["ids"] == ["sensetime-group-ltd", "registration:HK:2162198"]
    band = next(o for o in by_type["ownership"] if o["owner_id"] == "odd;id")
    assert (band["share"], band["share_min"], band["share_max"]) == ("[10,20)", 10.0, 20.0)
    assert any(li["mic"] is None and li["isin"] == "US0378331005" for li in by_type["listing"])
    nsc = next(d for d in by_type["designation"] if d["regime"] == "ofac-ns-cmic")
    assert (nsc["entity_id"], nsc["listed"], nsc["removed"]) == ("sensetime-group-ltd", "2021-12-10", None)
    assert list(iter_json_records(tricky_ws)) == lines


def test_graphml_round_trips_through_networkx(tricky_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "g.graphml"
    nodes, edges = export_graphml(tricky_ws.graph(as_of="2022-01-07"), path)
    g = nx.read_graphml(path, force_multigraph=True)
    assert (g.number_of_nodes(), g.number_of_edges()) == (nodes, edges) == (10, 8)
    assert g.graph["as_of"] == "2022-01-07"
    assert json.loads(g.nodes["sensetime-group-ltd"]["designations"]) == ["ofac-ns-cmic"]
    assert json.loads(g.nodes["sensetime-group-inc"]["listings"]) == ["XHKG:0020"]
    assert g.nodes["odd;id"]["name"] == TRICKY_NAME
    attrs = next(iter(g.get_edge_data("sensetime-group-ltd", "shenzhen-sensetime").values()))
    assert (attrs["share"], attrs["share_min"], attrs["kind"]) == ("100", 100.0, "shares")
    unknown = next(iter(g.get_edge_data("sensetime-group-inc", "sensetime-group-ltd").values()))
    assert unknown["share"] == "unknown" and "share_min" not in unknown


def test_exporters_registry() -> None:
    assert set(EXPORTERS) == {"ftm", "graphml", "json", "neo4j-csv"}


def _import(out: Neo4jCsvExport, home: Path) -> tuple[Neo4jServer, float]:
    """Run the real ``neo4j-admin database import full`` of ``out`` into a fresh server home."""
    srv = Neo4jServer(home=home)
    srv.write_config()
    args = [*out.import_args("neo4j"), "--overwrite-destination=true", f"--report-file={home / 'report'}"]
    started = time.perf_counter()
    done = subprocess.run(import_tool_command(srv.home, args), capture_output=True, text=True, timeout=600,
                          cwd=home, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "IMPORT DONE" in done.stdout
    return srv, time.perf_counter() - started


@pytest.mark.neo4j
@pytest.mark.slow
def test_neo4j_csv_imports_with_the_real_tool(tricky_ws: Workspace, tmp_path: Path) -> None:
    """Export, import into a never-started server home with ``neo4j-admin database import full``,
    start it, and find the same graph that ``push`` writes (so a push afterwards writes nothing)."""
    require_local_neo4j()
    out = export_neo4j_csv(tricky_ws, tmp_path / "csv")
    srv, seconds = _import(out, tmp_path / "home")
    g = property_graph(tricky_ws)
    with srv:
        uri = srv.uri
        labels = cypher(uri, "MATCH (n) RETURN labels(n) AS l, count(*) AS c")
        by_label: dict[str, int] = {}
        for r in labels:
            for lab in r["l"]:
                by_label[lab] = by_label.get(lab, 0) + r["c"]
        assert {k: by_label.get(k, 0) for k in g.node_counts()} == g.node_counts()
        assert by_label["Person"] == 1 and by_label["Organization"] == 1
        types = cypher(uri, "MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c")
        assert {r["t"]: r["c"] for r in types} == g.rel_counts()
        (odd,) = cypher(uri, "MATCH (n:Entity {id: 'odd;id'})-[o:OWNS]->(m) RETURN n, o, m.id AS m")
        assert odd["n"]["name"] == TRICKY_NAME and odd["n"]["ids"] == ["odd;id"]
        assert (odd["m"], odd["o"]["share"], odd["o"]["share_min"], odd["o"]["source"]) == (
            "back\\slash", "[10,20)", 10.0, 'said "so", twice'
        )
        (bs,) = cypher(uri, "MATCH (n:Entity {id: 'back\\\\slash'}) RETURN n.name AS name, n.isins AS isins")
        assert bs == {"name": "Trailing backslash \\", "isins": ["US0378331005"]}
        rows = cypher(
            uri,
            "MATCH (p:Entity)-[:OWNS*1..6]->(d:Entity)-[x:DESIGNATED]->(:Regime {id: 'ofac-ns-cmic'}) "
            "WHERE EXISTS { (p)-[:LISTED_ON]->(:Venue {mic: 'XHKG'}) } "
            "RETURN p.id AS parent, d.id AS designated, x.listed AS listed",
        )
        assert rows == [
            {"parent": "sensetime-group-inc", "designated": "sensetime-group-ltd", "listed": "2021-12-10"}
        ]
        again = push(tricky_ws, uri)  # the imported store equals what push would write
        assert (again.written, again.nodes_created, again.relationships_created) == (0, 0, 0)
        assert (again.stale_nodes, again.stale_relationships) == (0, 0)
    print(f"\nneo4j-admin import of {sum(g.node_counts().values())} nodes: {seconds:.1f}s")


@pytest.mark.neo4j
@pytest.mark.slow
def test_neo4j_csv_of_a_generated_graph_holds_every_value(tmp_path: Path) -> None:
    """A generated 3,000-entity graph (every edge kind, bands, unknown shares, designations,
    listings): the vectorised CSV writer's strings, doubles, longs, lists and nulls come back from
    the real import tool exactly as ``property_graph`` has them, and a push afterwards writes
    nothing."""
    require_local_neo4j()
    from bench.generate import generate

    generate(tmp_path / "bundle", 3_000, seed=11)
    ws = open_workspace(tmp_path / "ws")
    ws.load([tmp_path / "bundle"])
    out = export_neo4j_csv(ws, tmp_path / "csv")
    g = property_graph(ws)
    srv, seconds = _import(out, tmp_path / "home")
    with srv:
        uri = srv.uri
        labels_q = "MATCH (n) UNWIND labels(n) AS l RETURN l, count(*) AS c"
        nodes = {r["l"]: r["c"] for r in cypher(uri, labels_q)}
        assert {k: nodes[k] for k in g.node_counts()} == g.node_counts()
        rels = {r["t"]: r["c"] for r in cypher(uri, "MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c")}
        assert rels == g.rel_counts()
        ent = g.nodes[0]
        want = {row["id"]: row for row in pa.table(ent.columns).to_pylist()}
        have = cypher(uri, "MATCH (n:Entity) RETURN n")
        assert len(have) == len(want)
        for rec in have:
            node = rec["n"]
            labels = node.pop("_labels")
            assert node == {k: v for k, v in want[node["id"]].items() if v is not None}
            assert labels == sorted(["Entity", KIND_LABELS[node["kind"]]])
        for rs in g.rels:
            want_rels = {row["key"]: row for row in pa.table(rs.columns).to_pylist()}
            got = cypher(uri, f"MATCH ()-[r:{rs.type}]->() RETURN r")
            for rec in got:
                r = rec["r"]
                row = want_rels[r["key"]]
                assert {k: v for k, v in r.items() if not k.startswith("_")} == {
                    k: v for k, v in row.items() if v is not None
                }, rs.type
        again = push(ws, uri)
        assert (again.written, again.nodes_created, again.relationships_created) == (0, 0, 0)
    ws.close()
    print(f"\nneo4j-admin import of {sum(g.node_counts().values())} nodes: {seconds:.1f}s")


def test_neo4j_csv_fields_as_java_reads_them() -> None:
    """Nulls are empty and unquoted, strings always quoted (quotes doubled), floats as Java parses
    them (``NaN``, ``Infinity``), lists joined by the array delimiter."""
    assert _field(pa.array(['a"b', None, ""]), "string", ";").to_pylist() == ['"a""b"', "", '""']
    floats = pa.array([0.25, None, math.nan, math.inf, -math.inf, 100.0])
    assert _field(floats, "double", ";").to_pylist() == ["0.25", "", "NaN", "Infinity", "-Infinity", "100"]
    assert _field(pa.array([7, None], pa.int64()), "long", ";").to_pylist() == ["7", ""]
    lists = pa.array([["x", "y"], None, ["z"]]).slice(1)  # a sliced list array keeps its offsets right
    assert _field(lists, "string[]", "|").to_pylist() == ["", '"z"']


def test_neo4j_csv_chunks_spell_values_alike_with_and_without_a_nan(tmp_path: Path) -> None:
    """Arrow's CSV writer formats a chunk; a chunk with a NaN float is joined from ``_field``
    texts instead. Both spell every type the same way, so the same row reads the same in either."""
    n = _CSV_CHUNK + 4
    pattern: list[tuple[Any, ...]] = [
        ('a"b,c', ["x", "y"], 7, 0.25, True),
        (None, None, None, None, None),
        ("", [], -1, 100.0, False),
    ]
    rows = [pattern[i % 3] for i in range(n - 1)] + [('a"b,c', ["x", "y"], 7, math.nan, True)]
    columns = [
        pa.array([r[0] for r in rows], pa.string()),
        pa.array([r[1] for r in rows], pa.list_(pa.string())),
        pa.array([r[2] for r in rows], pa.int64()),
        pa.array([r[3] for r in rows], pa.float64()),
        pa.array([r[4] for r in rows], pa.bool_()),
        "OWNS",
    ]
    types = ["string", "string[]", "long", "double", "boolean", "string"]
    path = tmp_path / "mixed.csv"
    assert _write_csv(path, ["s", "l", "i", "f", "b", ":TYPE"], columns, types, ";") is False
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0] == "s,l,i,f,b,:TYPE" and lines[-1] == "" and len(lines) == n + 2
    body = lines[1:-1]
    assert body[:3] == ['"a""b,c","x;y",7,0.25,true,"OWNS"', ',,,,,"OWNS"', '"","",-1,100,false,"OWNS"']
    assert all(body[r] == body[r % 3] for r in range(_CSV_CHUNK, n - 1))  # the _field chunk
    assert body[-1] == '"a""b,c","x;y",7,NaN,true,"OWNS"'


@pytest.mark.parametrize("value", ["two\nlines", "carriage\rreturn", "plain"])
@pytest.mark.parametrize("nan", [False, True])
def test_neo4j_csv_finds_a_value_spanning_lines(tmp_path: Path, value: str, nan: bool) -> None:
    """``--multiline-fields`` is asked for exactly when a value holds a line feed or a carriage
    return, whichever way its chunk was formatted."""
    columns: list[pa.Array | str] = [pa.array(["x", value]), pa.array([1.0, math.nan if nan else 2.0])]
    multiline = _write_csv(tmp_path / "m.csv", ["s", "f:double"], columns, ["string", "double"], ";")
    assert multiline is (value != "plain")


# -- CLI ---------------------------------------------------------------------------------------------------


def _run(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), *args])


def test_cli_export(tmp_path: Path, sensetime_dir: Path) -> None:
    assert _run(tmp_path, "load", str(sensetime_dir)).exit_code == 0
    r = _run(tmp_path, "export", "--to", "json")
    assert r.exit_code == 0, r.output
    records = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(records) == 8 + 7 + 3 + 1 + 1 and "20 records" in r.stderr
    r = _run(tmp_path, "--as-of", "2022-01-07", "export", "--to", "graphml")
    assert r.exit_code == 0, r.output
    assert nx.read_graphml(io.BytesIO(r.stdout_bytes)).number_of_nodes() == 8
    r = _run(tmp_path, "export", "--to", "graphml", "-o", str(tmp_path / "g.graphml"))
    assert r.exit_code == 0 and r.stdout == "" and (tmp_path / "g.graphml").exists()
    r = _run(tmp_path, "export", "--to", "neo4j-csv", "-o", str(tmp_path / "csv"))
    assert r.exit_code == 0 and r.stdout == "", r.output
    assert "neo4j-admin database import full neo4j --nodes=" in r.stderr
    assert (tmp_path / "csv" / "entities.csv").exists()
    r = _run(tmp_path, "export", "--to", "neo4j-csv")
    assert r.exit_code == 2 and "-o DIR" in r.stderr


@pytest.mark.parametrize("to", ["json", "ftm", "graphml"])
def test_cli_export_to_an_unwritable_path_is_one_line(tmp_path: Path, sensetime_dir: Path, to: str) -> None:
    """A missing folder (or no permission, a full disk) is one line naming the path, exit 1."""
    assert _run(tmp_path, "load", str(sensetime_dir)).exit_code == 0
    target = tmp_path / "no-such-folder" / "out.txt"
    r = _run(tmp_path, "export", "--to", to, "-o", str(target))
    assert r.exit_code == 1, r.output
    (line,) = r.stderr.strip().splitlines()
    assert str(target) in line and "cannot write" in line and "writable path" in line
    assert "Traceback" not in r.output and not target.parent.exists()
