"""Probe: ``path`` and look-through latency at 1M entities, next to the networkx reference.

``python -m bench.paths_probe [--nodes 1000000] [--pairs 200] [--no-networkx] [--json OUT]`` builds
two graphs as real :class:`~ownergraph.graph.view.GraphView` objects straight from arrays (the
tables the workspace cache builds, via :func:`ownergraph.queries.reference_paths.view_from_arrays`;
loading a 1M bundle through a workspace is measured elsewhere):

* ``random``: ``nodes`` entities and ``1.5 × nodes`` uniformly random owner → owned edges;
* ``realistic``: the seeded bundle of :mod:`bench.generate` (pyramids, hubs, funds, bands,
  unknown shares, a few cross-holdings), its CSV read back with pyarrow.

On each it times, per call, p50/p95 over seeded random pairs (plus pairs through the biggest
hub): ``paths(k=1)`` undirected and directed and ``paths(k=3)``, the id lookups alone
(``view.index``), and ``networkx`` (``reference_paths`` on an ``nx.Graph``/``nx.DiGraph`` built
from the same arrays). On ``realistic`` it also times ``ownership(look_through=True)`` up for
random companies and down for random owners and the biggest holder, and the per-pair dense
networkx reference on the queries whose cone is small enough for it. Prints one line per
measurement and optionally writes JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from bench.generate import generate
from ownergraph.graph.shares import parse_share
from ownergraph.graph.view import GraphView
from ownergraph.queries.ownership import ownership
from ownergraph.queries.paths import paths, paths_between
from ownergraph.queries.reference_paths import reference_lookthrough, reference_paths, view_from_arrays

__all__ = ["main", "random_view", "realistic_view"]


def random_view(nodes: int, edges_per_node: float = 1.5, seed: int = 7) -> GraphView:
    """Uniformly random owner → owned edges with random exact shares."""
    rng = np.random.default_rng(seed)
    m = int(nodes * edges_per_node)
    src = rng.integers(0, nodes, m)
    dst = rng.integers(0, nodes, m)
    key = np.unique(src * nodes + dst)
    src, dst = key // nodes, key % nodes
    ppm = rng.integers(10_000, 1_000_000, len(src))
    return view_from_arrays([f"e{i}" for i in range(nodes)], src, dst, ppm)


def realistic_view(nodes: int, seed: int = 7) -> GraphView:
    """The :mod:`bench.generate` bundle's ownership edges as a view (shares parsed vectorised)."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), nodes, seed=seed)
        t = pacsv.read_csv(
            str(Path(tmp) / "ownership.csv"),
            convert_options=pacsv.ConvertOptions(
                column_types={"share": pa.string()}, strings_can_be_null=False
            ),
        )
    src = pc.cast(pc.utf8_slice_codeunits(t["owner_id"], 1), pa.int64()).to_numpy()
    dst = pc.cast(pc.utf8_slice_codeunits(t["owned_id"], 1), pa.int64()).to_numpy()
    text = t["share"]
    is_num = pc.match_substring_regex(text, r"^[0-9]+(\.[0-9]*)?$")
    numeric = is_num.to_numpy(zero_copy_only=False)
    lo = np.zeros(len(src), dtype=np.int64)
    hi = np.zeros(len(src), dtype=np.int64)
    flags = np.zeros(len(src), dtype=np.int64)
    pct = pc.cast(pc.if_else(is_num, text, "0"), pa.float64()).to_numpy()
    ppm = np.round(pct * 10_000).astype(np.int64)
    lo[numeric], hi[numeric] = ppm[numeric], ppm[numeric]
    other = np.flatnonzero(~numeric)
    strings = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    for value in set(strings[other].tolist()):
        share = parse_share(value)
        rows = other[strings[other] == value]
        lo[rows], hi[rows], flags[rows] = share.lo, share.hi, share.to_flags()
    kinds = t["kind"].to_pylist()
    return view_from_arrays([f"e{i}" for i in range(nodes)], src, dst, lo, hi, flags=flags, kinds=kinds)


def _nx_graphs(view: GraphView) -> tuple[nx.Graph[str], nx.DiGraph[str]]:
    ids = view.ids()
    edges = [(ids[s], ids[t]) for s, t in zip(view.src.tolist(), view.dst.tolist(), strict=True)]
    und: nx.Graph[str] = nx.Graph()
    und.add_nodes_from(ids)
    und.add_edges_from(edges)
    di: nx.DiGraph[str] = nx.DiGraph()
    di.add_nodes_from(ids)
    di.add_edges_from(edges)
    return und, di


def _nx_share_graph(view: GraphView) -> nx.DiGraph[str]:
    ids = view.ids()
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_nodes_from(ids)
    unknown = (view.flags & 4) != 0
    for s, t, lo, hi, unk, k in zip(
        view.src.tolist(),
        view.dst.tolist(),
        (view.lo / 10_000).tolist(),
        (view.hi / 10_000).tolist(),
        unknown.tolist(),
        view.kind.tolist(),
        strict=True,
    ):
        if k == 0:
            g.add_edge(
                ids[s], ids[t], kind="shares", share_min=None if unk else lo, share_max=None if unk else hi
            )
    return g


def _times(fn: Callable[[Any], Any], items: list[Any]) -> tuple[np.ndarray, list[Any]]:
    out, results = [], []
    for item in items:
        t0 = time.perf_counter()
        results.append(fn(item))
        out.append(time.perf_counter() - t0)
    return np.array(out) * 1000, results


def _line(report: dict[str, Any], graph: str, name: str, ms: np.ndarray, extra: str = "") -> None:
    p50, p95, mx = (float(np.percentile(ms, 50)), float(np.percentile(ms, 95)), float(ms.max()))
    report.setdefault(graph, {})[name] = {"n": len(ms), "p50_ms": p50, "p95_ms": p95, "max_ms": mx}
    print(
        f"{graph:10s} {name:42s} n={len(ms):4d}  p50 {p50:9.2f} ms  p95 {p95:9.2f} ms  max {mx:9.2f} ms"
        f"  {extra}",
        flush=True,
    )


def probe_paths(
    view: GraphView,
    graph: str,
    pairs: int,
    seed: int,
    with_nx: bool,
    report: dict[str, Any],
    nx_pairs: int = 20,
) -> None:
    rng = np.random.default_rng(seed)
    ids = view.ids()
    deg = np.diff(view.out_ptr) + np.diff(view.in_ptr)
    hub = int(np.argmax(deg))
    sample = [(ids[a], ids[b]) for a, b in rng.integers(0, view.n, (pairs, 2)).tolist()]
    sample += [(ids[hub], ids[b]) for b in rng.integers(0, view.n, max(1, pairs // 10)).tolist()]
    t0 = time.perf_counter()
    paths(view, sample[0][0], sample[0][1])  # builds the cached adjacency once
    report.setdefault(graph, {})["first_call_s"] = time.perf_counter() - t0
    ms, nodes = _times(lambda p: (view.index(p[0]), view.index(p[1])), sample)
    _line(report, graph, "id lookups (2 × view.index)", ms)
    ms, _ = _times(lambda st: paths_between(view, st[0], st[1]), nodes)
    _line(report, graph, "paths_between k=1 undirected (ids resolved)", ms)
    ms, _ = _times(lambda st: paths_between(view, st[0], st[1], k=3), nodes)
    _line(report, graph, "paths_between k=3 undirected (ids resolved)", ms)
    for name, kw in (
        ("paths k=1 undirected", {}),
        ("paths k=1 directed", {"directed": True}),
        ("paths k=3 undirected", {"k": 3}),
    ):
        ms, res = _times(lambda p, kw=kw: paths(view, p[0], p[1], **kw), sample)  # type: ignore[misc]
        found = sum(1 for r in res if r)
        lengths = [r[0].length for r in res if r]
        _line(
            report,
            graph,
            name,
            ms,
            f"found {found}/{len(res)}, mean length {np.mean(lengths) if lengths else float('nan'):.1f}",
        )
    if not with_nx:
        return
    t0 = time.perf_counter()
    und, di = _nx_graphs(view)
    build = time.perf_counter() - t0
    report[graph]["networkx_build_s"] = build
    print(f"{graph:10s} networkx Graph + DiGraph build: {build:.1f} s", flush=True)
    runs: list[tuple[str, nx.Graph[str], dict[str, Any], int]] = [
        ("networkx k=1 undirected", und, {}, nx_pairs),
        ("networkx k=1 directed (no hop bound)", di, {"directed": True}, max(2, nx_pairs // 10)),
        ("networkx k=3 undirected", und, {"k": 3}, nx_pairs),
    ]
    for name, g, kw, count in runs:
        some = sample[:count]
        ms, res = _times(lambda p, g=g, kw=kw: reference_paths(g, p[0], p[1], **kw), some)  # type: ignore[misc]
        mine = [paths(view, a, b, **kw) for a, b in some]
        # networkx has no hop bound: compare the paths within paths()'s max_depth (12)
        agree = all(
            [len(x) - 1 for x in r if len(x) <= 13] == [row.length for row in m]
            for r, m in zip(res, mine, strict=True)
        )
        _line(report, graph, name, ms, f"lengths agree with paths(): {agree}")
    del und, di


def probe_lookthrough(
    view: GraphView, graph: str, queries: int, seed: int, with_nx: bool, report: dict[str, Any]
) -> None:
    rng = np.random.default_rng(seed + 1)
    ids = view.ids()
    indeg = np.diff(view.in_ptr)
    outdeg = np.diff(view.out_ptr)
    owned = np.flatnonzero(indeg > 0)
    owners = np.flatnonzero(outdeg > 0)
    ups = [ids[i] for i in rng.choice(owned, queries, replace=False).tolist()]
    downs = [ids[i] for i in rng.choice(owners, queries, replace=False).tolist()]
    hub = ids[int(np.argmax(outdeg))]
    ownership(view, ups[0], look_through=True)
    ms, res = _times(lambda q: ownership(view, q, look_through=True), ups)
    _line(
        report, graph, "look-through up (random owned)", ms, f"mean rows {np.mean([len(r) for r in res]):.1f}"
    )
    ms, res = _times(lambda q: ownership(view, q, direction="down", look_through=True), downs)
    _line(
        report,
        graph,
        "look-through down (random owner)",
        ms,
        f"mean rows {np.mean([len(r) for r in res]):.1f}, max {max(len(r) for r in res)}",
    )
    ms, res = _times(lambda q: ownership(view, q, direction="down", look_through=True), [hub] * 3)
    _line(report, graph, "look-through down (biggest holder)", ms, f"rows {len(res[0])}")
    ms, res = _times(
        lambda q: ownership(view, q, direction="down", look_through=True, min_share=10), [hub] * 3
    )
    _line(report, graph, "look-through down (biggest holder, ≥10%)", ms, f"rows {len(res[0])}")
    if not with_nx:
        return
    t0 = time.perf_counter()
    g = _nx_share_graph(view)
    print(f"{graph:10s} networkx share DiGraph build: {time.perf_counter() - t0:.1f} s", flush=True)
    small = [q for q in ups if len(nx.ancestors(g, q)) <= 40][: max(10, queries // 2)]
    ms, _ = _times(lambda q: reference_lookthrough(g, q), small)
    _line(report, graph, "networkx reference up (cone ≤ 40)", ms)
    ms, _ = _times(lambda q: ownership(view, q, look_through=True), small)
    _line(report, graph, "look-through up, same queries", ms)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--graphs", nargs="+", default=["random", "realistic"], choices=["random", "realistic"])
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--nx-pairs", type=int, default=20, help="pairs timed with networkx (a tenth directed)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    report: dict[str, Any] = {"nodes": a.nodes, "seed": a.seed}
    for graph in a.graphs:
        t0 = time.perf_counter()
        if graph == "random":
            view = random_view(a.nodes, seed=a.seed)
        else:
            view = realistic_view(a.nodes, seed=a.seed)
        built = time.perf_counter() - t0
        report[graph] = {"build_s": built, "n": view.n, "m": view.m}
        print(f"{graph:10s} view built in {built:.1f} s: {view.n} nodes, {view.m} edges", flush=True)
        probe_paths(view, graph, a.pairs, a.seed, not a.no_networkx, report, a.nx_pairs)
        if graph == "realistic":
            probe_lookthrough(view, graph, a.queries, a.seed, not a.no_networkx, report)
        del view
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {report['peak_rss_mb']:.0f} MB")
    if a.json:
        a.json.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
