"""Each query on the Neo4j engine next to the in-memory engine: ``python -m bench.engines``.

``python -m bench.engines WORKSPACE --uri bolt://127.0.0.1:7687 [--push] [--as-of 2025-01-01]``
opens the same graph through both engines of :func:`ownergraph.graph.engine.open_view`
(``--push`` first writes the workspace to the server with ``neo4j_store.push(replace=True)``),
times opening the view, ``restricted`` per regime, direct and look-through ownership of 20
targets, 20 ``path`` queries (k=1 and k=3), ``loopholes`` and a 1,000-line ``exposure`` on each
(every Neo4j step on a fresh view, so it pays for what it reads; best of two runs, the first
also compiling the Cypher), checks that the rows are
equal, and prints a table with the ratios and whether the step read the whole graph's arrays
(``--json`` writes the figures too).

Where one Cypher statement can do the same job the plain way (SPEC §10: "the equivalent Cypher
on Neo4j"), it is timed too, on the same server in the same run: direct ownership as one
``MATCH`` per target, paths with ``shortestPath`` (k=1) and ``SHORTEST 3`` (k=3) under the same
active-on-the-date filter (their path lengths are checked against ours), and look-through as the
sum over every ownership path of at most 6 hops of the product of lower-bound shares, the path
enumeration SPEC §10 warns about (an approximation: no cycle correction, no intervals). The
fixpoint queries (``restricted``, ``loopholes``, ``exposure``) have no one-statement Cypher
equivalent. Start a server with
``ownergraph._testing.neo4j.Neo4jServer`` (see ``docs/neo4j.md``).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from ownergraph.graph.engine import open_view
from ownergraph.graph.model import REGIME_IDS
from ownergraph.graph.neo4j_cypher import ACTIVE
from ownergraph.graph.neo4j_store import EDGE_TYPES
from ownergraph.graph.view import GraphView
from ownergraph.graph.workspace import open_workspace
from ownergraph.queries.exposure import exposure
from ownergraph.queries.loopholes import loopholes
from ownergraph.queries.ownership import ClosedLoopError, ownership
from ownergraph.queries.paths import paths
from ownergraph.queries.restricted import restricted


def _time(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _dump(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in rows]


def _lookthrough(view: GraphView, key: str) -> Sequence[Any]:
    try:
        return ownership(view, key, look_through=True)
    except ClosedLoopError:
        return []


_TYPES = "|".join(sorted(set(EDGE_TYPES.values())))
_TIMEOUT = 120.0
"""Seconds a plain-Cypher step may take before it is reported as timed out."""


def _plain_steps(
    uri: str, as_of: str, targets: Sequence[str], pairs: Sequence[tuple[str, str]]
) -> dict[str, Callable[[], Any]]:
    """The steps one Cypher statement can do the plain way, each returning what to compare:
    owner counts per target, path lengths per pair."""
    from neo4j import GraphDatabase, Query

    drv = GraphDatabase.driver(uri, auth=None)

    def rows(text: str, **params: Any) -> list[Any]:
        with drv.session() as s:
            return list(s.run(Query(text, timeout=_TIMEOUT), as_of=as_of, **params))

    direct = (
        f"MATCH (o:Entity)-[r:{_TYPES}]->(t:Entity {{id: $id}}) WHERE {ACTIVE} "
        "RETURN o.id AS owner, o.name AS name, type(r) AS type, r.ppm_lo AS lo, r.ppm_hi AS hi"
    )
    look = (
        f"MATCH p = (o:Entity)-[:OWNS*1..6]->(t:Entity {{id: $id}}) "
        f"WHERE all(r IN relationships(p) WHERE {ACTIVE}) "
        "RETURN o.id AS owner,"
        " sum(reduce(s = 1.0, r IN relationships(p) | s * coalesce(r.ppm_lo, 0) / 1e6)) AS share"
    )
    shortest = (
        f"MATCH (a:Entity {{id: $a}}), (b:Entity {{id: $b}}) "
        f"MATCH p = shortestPath((a)-[:{_TYPES}*..12]-(b)) WHERE all(r IN relationships(p) WHERE {ACTIVE}) "
        "RETURN length(p) AS n"
    )
    three = (
        f"MATCH p = SHORTEST 3 (a:Entity {{id: $a}})(()-[r:{_TYPES}]-() WHERE {ACTIVE}){{1,12}}"
        "(b:Entity {id: $b}) "
        "RETURN length(p) AS n ORDER BY n"
    )
    return {
        "direct ownership x20": lambda: [len(rows(direct, id=t)) for t in targets],
        "look-through x20": lambda: [len(rows(look, id=t)) for t in targets],
        "path x20 (k=1)": lambda: [[r["n"] for r in rows(shortest, a=a, b=b)] for a, b in pairs],
        "path x20 (k=3)": lambda: [[r["n"] for r in rows(three, a=a, b=b)] for a, b in pairs],
    }


def _lengths(found: Any) -> list[list[int]]:
    return [[int(p["length"]) for p in per_pair] for per_pair in found]


def run(workspace: Path, uri: str, *, as_of: str, push_first: bool, seed: int = 7) -> list[dict[str, Any]]:
    """Each step on the memory engine (one view, built once) and on a fresh Neo4j view each
    (so a step pays for whatever it reads from the server, nothing is shared between steps)."""
    ws = open_workspace(workspace)
    if push_first:
        from ownergraph.graph.neo4j_store import push

        report = push(ws, uri, replace=True)
        print(f"push: {report.seconds:.1f}s, {report.relationships_per_second:,.0f} rel/s")
    memory_open, mem = _time(lambda: open_view("memory", workspace=ws, as_of=as_of))
    neo4j_open, neo = _time(lambda: open_view("neo4j", uri=uri, as_of=as_of))
    rnd = random.Random(seed)
    ids = mem.ids()
    targets = rnd.sample(ids, 20)
    pairs = [tuple(rnd.sample(ids, 2)) for _ in range(20)]
    lines = [{"id": i} for i in rnd.sample(ids, 1000)]

    def regime_step(regime: str) -> Callable[[GraphView], Any]:
        return lambda v: _dump(restricted(v, regime))

    steps: list[tuple[str, Callable[[GraphView], Any]]] = [
        (f"restricted {r}", regime_step(r)) for r in REGIME_IDS if r != "info"
    ]
    steps += [
        ("direct ownership x20", lambda v: [_dump(ownership(v, t)) for t in targets]),
        ("look-through x20", lambda v: [_dump(_lookthrough(v, t)) for t in targets]),
        ("path x20 (k=1)", lambda v: [_dump(paths(v, a, b)) for a, b in pairs]),
        ("path x20 (k=3)", lambda v: [_dump(paths(v, a, b, k=3)) for a, b in pairs]),
        ("loopholes (all patterns)", lambda v: _dump(loopholes(v))),
        ("exposure 1,000 lines", lambda v: _dump(exposure(v, lines))),
    ]
    plain = _plain_steps(uri, str(as_of), targets, pairs)
    out: list[dict[str, Any]] = [
        {"step": "open view", "memory": memory_open, "neo4j": neo4j_open, "same": True, "whole": False}
    ]
    neo.close()
    for name, step in steps:
        # best of two runs each: the first also pays for the server compiling its Cypher
        tm, a = min(_time(partial(step, mem)) for _ in range(2))
        runs = []
        for _ in range(2):
            view = open_view("neo4j", uri=uri, as_of=as_of)
            tn, b = _time(partial(step, view))
            runs.append((tn, b, bool(getattr(view, "loaded", True)), dict(getattr(view, "timings", {}))))
            view.close()
        tn, b, whole, read = min(runs, key=lambda r: r[0])
        row: dict[str, Any] = {"step": name, "memory": tm, "neo4j": tn, "same": a == b, "whole": whole}
        row["read"] = read
        if name in plain:
            try:
                row["cypher"], got = min(_time(plain[name]) for _ in range(2))
            except Exception as exc:  # a plain statement over the server's timeout: say so
                row["cypher"], row["cypher_error"] = None, f"{type(exc).__name__}: {str(exc)[:120]}"
            else:
                if name.startswith("path"):  # a path search must find paths of the same lengths
                    row["cypher_same"] = got == _lengths(a)
        out.append(row)
    ws.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--uri", required=True)
    ap.add_argument("--as-of", default="2025-01-01")
    ap.add_argument("--push", action="store_true")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    rows = run(a.workspace, a.uri, as_of=a.as_of, push_first=a.push)
    print(
        f"{'step':<28}{'memory':>10}{'neo4j':>10}{'ratio':>8}  same rows  whole graph read"
        f"{'plain cypher':>14}{'÷ ours':>8}  same lengths"
    )
    for r in rows:
        ratio = r["neo4j"] / max(r["memory"], 1e-9)
        times = f"{r['memory']:>9.3f}s{r['neo4j']:>9.3f}s{ratio:>8.1f}"
        plain = ""
        if "cypher_error" in r:
            plain = f"{'timed out' if 'imeout' in r['cypher_error'] else 'failed':>14}"
        elif r.get("cypher") is not None:
            over = r["cypher"] / max(r["neo4j"], 1e-9)
            plain = f"{r['cypher']:>13.3f}s{over:>8.1f}  {r.get('cypher_same', '')}"
        print(f"{r['step']:<28}{times}  {r['same']!s:<9}  {r['whole']!s:<16}{plain}")
    total = [r for r in rows if r["step"] != "open view"]
    ratio = statistics.median(r["neo4j"] / max(r["memory"], 1e-9) for r in total)
    tm, tn = sum(r["memory"] for r in total), sum(r["neo4j"] for r in total)
    print(f"queries: memory {tm:.2f}s, neo4j {tn:.2f}s, median ratio {ratio:.2f}")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
