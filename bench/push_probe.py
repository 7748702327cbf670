"""Probe: ``neo4j push`` and ``export --to neo4j-csv`` + ``neo4j-admin import`` on a loaded workspace.

``python bench/push_probe.py WORKSPACE [--impl DIR ...] [--heap 2g] [--pagecache 1g] [--again]``
``[--plain] [--export] [--json OUT]`` starts one Neo4j test server
(:class:`~ownergraph._testing.neo4j.Neo4jServer`)
and, for each ``--impl`` (a checkout whose ``ownergraph`` package is imported, default this one),
runs ``push(ws, uri, replace=True)`` in its own child process, so the same server and the same
moment of machine load serve both the baseline and the change (ratios stay honest on a busy
machine). Per push it reports: seconds, nodes/s (the node stages, from the progress callback),
rels/s (the relationship stages), the child's peak RSS (``ru_maxrss``) and the server's RSS and
peak (``VmHWM``) afterwards. ``--again`` times a second push of the same workspace (a no-op).
``--plain`` also times the plain way (SPEC §10's baseline): the same property graph written with
the pattern of ``docs/neo4j.md`` — map rows, ``MERGE`` on the key then ``SET += props``, 5,000
rows per ``execute_query`` — into the same server after clearing it. ``--export`` times
``export_neo4j_csv`` in a child per impl and then a real ``neo4j-admin database import full``
of the last export into a stopped server home (then starts it and counts).

The script runs as a file (``python bench/push_probe.py``), not ``-m``, so a child can import
``ownergraph`` from another checkout through ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


def _no_rust() -> None:
    """Turn off ``neo4j-rust-ext`` (the pure-Python PackStream) when the probe is asked to."""
    if os.environ.get("PUSH_PROBE_NO_RUST"):
        from neo4j._codec.packstream import v1

        # the driver picks its (un)packer when the classes are defined: put the Python ones back
        def py_pack(self: Any, data: Any, dehydration_hooks: Any = None) -> None:
            self._py_pack(data, dehydration_hooks)

        def py_unpack(self: Any, hydration_hooks: Any = None) -> Any:
            return self._unpack(hydration_hooks=hydration_hooks)

        v1.Packer._pack = py_pack  # type: ignore[attr-defined]
        v1.Unpacker.unpack = py_unpack  # type: ignore[method-assign]
        v1._rust_pack = None  # type: ignore[attr-defined]


def _child_push(ws_path: str, uri: str, again: bool) -> dict[str, Any]:
    _no_rust()
    import ownergraph
    from ownergraph.graph.neo4j_store import push

    marks: dict[str, float] = {}
    counts: dict[str, int] = {}

    def progress(done: int, total: int, stage: str) -> None:
        now = time.perf_counter()
        if stage == "clearing":
            marks["clear"] = now
            return
        kind = "rels" if stage.startswith(":") and stage[1:].isupper() else "nodes"
        marks.setdefault(f"{kind}_first", now)
        marks[f"{kind}_last"] = now
        counts[kind] = done

    ws = ownergraph.open(ws_path)
    t0 = time.perf_counter()
    report = push(ws, uri, replace=True, progress=progress)
    total = time.perf_counter() - t0
    n_nodes = sum(report.nodes.values())
    n_rels = sum(report.relationships.values())
    out: dict[str, Any] = {
        "module": ownergraph.__file__,
        "seconds": round(total, 2),
        "report_seconds": report.seconds,
        "nodes": n_nodes,
        "rels": n_rels,
        "rels_per_s_report": report.relationships_per_second,
        "written": report.written,
    }
    rel_start = marks.get("nodes_last", t0)
    if "rels_last" in marks:
        out["rels_per_s"] = round(n_rels / (marks["rels_last"] - rel_start))
    if "nodes_last" in marks:
        # the node stages begin after the schema and the clearing; the first node progress call
        # comes after the first batch, so time from the "clearing" call (or the push start)
        out["nodes_per_s"] = round(n_nodes / (marks["nodes_last"] - marks.get("clear", t0)))
    out["prepare_and_nodes_s"] = round(rel_start - t0, 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    from neo4j._codec.packstream import v1

    out["rust_packer"] = v1._rust_pack is not None  # type: ignore[attr-defined]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["client_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
    if again:
        t1 = time.perf_counter()
        second = push(ws, uri)
        out["again_seconds"] = round(time.perf_counter() - t1, 2)
        out["again_written"] = second.written
        out["again_properties_set"] = second.properties_set
        out["peak_rss_mb_after_again"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    ws.close()
    return out


def _child_plain(ws_path: str, uri: str) -> dict[str, Any]:
    """Push the way docs/neo4j.md shows it (the baseline): MERGE + ``SET += props`` per map row."""
    from neo4j import GraphDatabase

    import ownergraph
    from ownergraph.graph.neo4j_store import SCHEMA_STATEMENTS, property_graph

    ws = ownergraph.open(ws_path)
    graph = property_graph(ws)
    batch = 5_000
    with GraphDatabase.driver(uri, auth=None) as drv, drv.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        for stmt in SCHEMA_STATEMENTS:
            drv.execute_query(stmt)
        t0 = time.perf_counter()
        n_nodes = n_rels = 0
        for ns in graph.nodes:
            q = f"UNWIND $rows AS r MERGE (n:{ns.label} {{{ns.key}: r.k}}) SET n += r.props"
            cols = {name: col.to_pylist() for name, col in ns.columns.items()}
            keys = cols.pop(ns.key)
            for b in range(0, len(keys), batch):
                rows = [
                    {"k": keys[i], "props": {c: v[i] for c, v in cols.items() if v[i] is not None}}
                    for i in range(b, min(b + batch, len(keys)))
                ]
                drv.execute_query(q, rows=rows)
            n_nodes += len(keys)
        t1 = time.perf_counter()
        for rs in graph.rels:
            (sl, sk), (el, ek) = rs.start, rs.end
            q = (
                f"UNWIND $rows AS r MATCH (a:{sl} {{{sk}: r.s}}) MATCH (b:{el} {{{ek}: r.e}}) "
                f"MERGE (a)-[x:{rs.type} {{key: r.k}}]->(b) SET x += r.props"
            )
            cols = {name: col.to_pylist() for name, col in rs.columns.items()}
            src, dst, keys = rs.src.to_pylist(), rs.dst.to_pylist(), cols.pop("key")
            for b in range(0, len(keys), batch):
                rows = [
                    {"s": src[i], "e": dst[i], "k": keys[i],
                     "props": {c: v[i] for c, v in cols.items() if v[i] is not None}}
                    for i in range(b, min(b + batch, len(keys)))
                ]
                drv.execute_query(q, rows=rows)
            n_rels += len(keys)
        t2 = time.perf_counter()
    ws.close()
    return {
        "seconds": round(t2 - t0, 2),
        "nodes": n_nodes,
        "rels": n_rels,
        "nodes_per_s": round(n_nodes / (t1 - t0)),
        "rels_per_s": round(n_rels / (t2 - t1)),
    }


def _child_export(ws_path: str, folder: str) -> dict[str, Any]:
    import ownergraph
    from ownergraph.graph.export import export_neo4j_csv

    ws = ownergraph.open(ws_path)
    t0 = time.perf_counter()
    res = export_neo4j_csv(ws, folder)
    secs = time.perf_counter() - t0
    ws.close()
    rows = sum(res.nodes.values()) + sum(res.relationships.values())
    return {
        "module": ownergraph.__file__,
        "seconds": round(secs, 2),
        "rows": rows,
        "rows_per_s": round(rows / secs),
        "mb": round(sum(p.stat().st_size for p in Path(folder).glob("*.csv")) / 1e6, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "import_args": res.import_args("neo4j"),
    }


def _run_child(impl: str, args: list[str]) -> dict[str, Any]:
    """Run this script as a child on checkout ``impl`` (``DIR`` or ``DIR:norust``)."""
    path, _, flag = impl.partition(":")
    env = {**os.environ, "PYTHONPATH": path}
    if flag == "norust":
        env["PUSH_PROBE_NO_RUST"] = "1"
    proc = subprocess.run(
        [sys.executable, str(HERE), "--child", *args], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _server_mem(pid: int | None) -> dict[str, int]:
    out: dict[str, int] = {}
    if pid is None:
        return out
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0].lower() + "_mb"] = int(line.split()[1]) // 1024
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workspace")
    ap.add_argument(
        "--impl",
        action="append",
        help="checkout to import ownergraph from (DIR, or DIR:norust for the pure-Python packer)",
    )
    ap.add_argument("--heap", default="2g")
    ap.add_argument("--pagecache", default="1g")
    ap.add_argument("--again", action="store_true", help="also time a second (no-op) push")
    ap.add_argument("--no-push", action="store_true")
    ap.add_argument("--export", action="store_true", help="time neo4j-csv export and the real import")
    ap.add_argument("--plain", action="store_true", help="also time the docs/neo4j.md MERGE pattern")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--uri", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        if a.folder:
            out = _child_export(a.workspace, a.folder)
        elif a.plain:
            out = _child_plain(a.workspace, a.uri)
        else:
            out = _child_push(a.workspace, a.uri, a.again)
        print(json.dumps(out))
        return 0

    from ownergraph._testing.neo4j import Neo4jServer, import_tool_command

    impls: list[str] = a.impl or [str(HERE.parents[1])]
    results: dict[str, Any] = {"load_average": os.getloadavg(), "heap": a.heap, "pagecache": a.pagecache}
    if not a.no_push:
        with Neo4jServer(heap=a.heap, pagecache=a.pagecache) as server:
            for impl in impls:
                args = [a.workspace, "--uri", server.uri] + (["--again"] if a.again else [])
                r = _run_child(impl, args)
                r.update({f"server_{k}": v for k, v in _server_mem(server.pid).items()})
                results[f"push {impl}"] = r
                print(f"push {impl}: {json.dumps(r)}", flush=True)
            if a.plain:
                r = _run_child(impls[0], [a.workspace, "--uri", server.uri, "--plain"])
                results["push plain (docs/neo4j.md pattern)"] = r
                print(f"push plain: {json.dumps(r)}", flush=True)
    if a.export:
        work = Path(tempfile.mkdtemp(prefix="push-probe-", dir=Path(a.workspace).parent))
        try:
            last: dict[str, Any] = {}
            for k, impl in enumerate(impls):
                folder = work / f"csv{k}"
                last = _run_child(impl, [a.workspace, "--folder", str(folder)])
                results[f"export {impl}"] = {x: y for x, y in last.items() if x != "import_args"}
                print(f"export {impl}: {json.dumps(results[f'export {impl}'])}", flush=True)
            if "import_args" in last:
                server = Neo4jServer(home=work / "home", heap=a.heap, pagecache=a.pagecache, remove_home=True)
                server.write_config()
                cmd = import_tool_command(
                    server.home, [*last["import_args"], "--overwrite-destination=true"], heap=a.heap
                )
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
                secs = time.perf_counter() - t0
                imp: dict[str, Any] = {"seconds": round(secs, 1), "returncode": proc.returncode}
                if proc.returncode == 0:
                    from neo4j import GraphDatabase

                    with server, GraphDatabase.driver(server.uri, auth=None) as driver:
                        rec = driver.execute_query(
                            "MATCH (n) WITH count(n) AS n MATCH ()-[r]->() RETURN n, count(r) AS r",
                            database_="neo4j",
                        ).records[0]
                        imp.update(nodes=rec["n"], rels=rec["r"], startup_s=server.startup_seconds)
                else:
                    imp["stderr"] = proc.stderr[-2000:]
                results["import"] = imp
                print(f"import: {json.dumps(imp)}", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if a.json:
        a.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
