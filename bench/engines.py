"""Each query on the Neo4j engine next to the in-memory engine: ``python -m bench.engines``.

``python -m bench.engines WORKSPACE --uri bolt://127.0.0.1:7687 [--push] [--as-of 2025-01-01]``
opens the same graph through both engines of :func:`ownergraph.graph.engine.open_view`
(``--push`` first writes the workspace to the server with ``neo4j_store.push(replace=True)``),
times opening the view, ``restricted`` per regime, direct and look-through ownership of 20
targets, 20 ``path`` queries (k=1 and k=3), ``loopholes`` and a 1,000-line ``exposure`` on each
(every Neo4j step on a fresh view, so it pays for what it reads; best of two runs, the first
also compiling the Cypher), checks that the rows are
equal, and prints a table with the ratios and whether the step read the whole graph's arrays
(``--json`` writes the figures too). Start a server with
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
        out.append({"step": name, "memory": tm, "neo4j": tn, "same": a == b, "whole": whole, "read": read})
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
    print(f"{'step':<28}{'memory':>10}{'neo4j':>10}{'ratio':>8}  same rows  whole graph read")
    for r in rows:
        ratio = r["neo4j"] / max(r["memory"], 1e-9)
        times = f"{r['memory']:>9.3f}s{r['neo4j']:>9.3f}s{ratio:>8.1f}"
        print(f"{r['step']:<28}{times}  {r['same']!s:<9}  {r['whole']}")
    total = [r for r in rows if r["step"] != "open view"]
    ratio = statistics.median(r["neo4j"] / max(r["memory"], 1e-9) for r in total)
    tm, tn = sum(r["memory"] for r in total), sum(r["neo4j"] for r in total)
    print(f"queries: memory {tm:.2f}s, neo4j {tn:.2f}s, median ratio {ratio:.2f}")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
