"""The benchmark suite (SPEC §10, docs/algorithms.md §7): ``python -m bench``.

For each size it generates (or reuses) a seeded bundle with planted motifs
(:mod:`bench.generate`), then runs every operation of SPEC §10 in its own subprocess, so that
each one's peak RSS is its own (``os.wait4`` rusage of that child): ``load`` (bundle →
workspace, a fresh workspace per run), ``open`` (open the workspace, build the view, answer one
``ownership`` query), ``restricted`` per regime, ``loopholes`` (all patterns), look-through
(p50/p95 over 100 targets, and the biggest holder), ``path`` (p50/p95 over 100 pairs),
``exposure`` of a 1,000-line portfolio, ``viz`` of a 500-node neighbourhood and, when a Neo4j
server can be started here, ``neo4j push``. Every figure is the median of ``--repeat`` runs.

Beside each figure: the networkx reference (``ownergraph.queries.reference`` and
``reference_paths`` on ``view.to_networkx()``), timed in its own subprocess on the same graph in
the same run, with the ratio; the references are also compared with the answers
(differential testing). They are skipped above ``--nx-max`` entities (the networkx build alone
takes minutes there), and the table says so.

The planted motifs are checked at every size: the timed ``restricted``, ``loopholes`` and
``exposure`` runs check their own answers, and a ``motifs`` step checks every vector on its own
date. A wrong answer fails the run (exit status 1) after the results are written.

Output: a table on the terminal, JSON at ``--out`` and the same table as Markdown next to it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.generate import (
    BENCH_AS_OF,
    GENERATOR_VERSION,
    REGIMES,
    generate,
    load_expected,
    parse_size,
    shape_failures,
    shape_stats,
)

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
MARK = "BENCH-RESULT "
GIB = 1024**3

# SPEC §10 targets (1M entities, 2 cores): (key, limit, unit); met when the figure is at most the limit
TARGETS: dict[str, tuple[float, str]] = {
    "load": (10.0, "s"),
    "open": (1.0, "s"),
    **{f"restricted:{r}": (0.2, "s") for r in REGIMES},
    "loopholes": (2.0, "s"),
    "lookthrough": (0.100, "p95 s"),
    "path": (0.020, "p95 s"),
    "exposure": (1.0, "s"),
    "peak": (2 * GIB, "bytes"),
    "neo4j": (50_000, "rel/s ≥"),
}



def _tree_bytes(folder: Path, skip: str | None = None) -> int:
    """Bytes of the files under ``folder`` (leaving out its subfolder ``skip``)."""
    return sum(
        f.stat().st_size
        for f in folder.rglob("*")
        if f.is_file() and (skip is None or f.relative_to(folder).parts[0] != skip)
    )

def _fmt_size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1_000}k" if n % 1_000 == 0 else str(n)


# -- the child side: one operation, timed, its result as one JSON line ----------------------------


def _rng(seed: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([seed, salt])


def _targets(view: Any, seed: int, count: int = 100) -> list[str]:
    """Look-through targets: ``count`` companies with at least one owner (seeded)."""
    from ownergraph.graph.model import ENTITY_KINDS

    indeg = np.diff(view.in_ptr)
    cand = np.flatnonzero((indeg > 0) & (view.kinds == ENTITY_KINDS.index("company")))
    pick = _rng(seed, 1).choice(cand, size=min(count + 1, len(cand)), replace=False)
    return [view.id(int(i)) for i in pick]


def _pairs(view: Any, seed: int, count: int = 100) -> list[tuple[str, str]]:
    """Path pairs: ``count + 1`` random pairs of entities (seeded; the first warms up)."""
    ab = _rng(seed, 2).integers(0, view.n, size=(count + 1, 2))
    return [(view.id(int(a)), view.id(int(b))) for a, b in ab.tolist()]


def _hub(view: Any) -> str:
    return str(view.id(int(np.argmax(np.diff(view.out_ptr)))))


def _pcts(ms: Sequence[float]) -> dict[str, float]:
    a = np.asarray(ms, dtype=float)
    return {
        "p50": float(np.percentile(a, 50)),
        "p95": float(np.percentile(a, 95)),
        "max": float(a.max()),
        "n": len(a),
    }


def _profiled(fn: Callable[[], Any], top: int = 18) -> tuple[Any, list[str]]:
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    out = prof.runcall(fn)
    lines = []
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats(key).print_stats(top)
        text = buf.getvalue()
        body = text[text.find("ncalls") :] if "ncalls" in text else text
        lines.append(f"-- sorted by {key} --\n{body.strip()}")
    return out, lines


def _child(a: argparse.Namespace) -> dict[str, Any]:
    t_imp = time.perf_counter()
    import ownergraph
    from ownergraph.queries import exposure, loopholes, ownership, paths, restricted

    imports = time.perf_counter() - t_imp
    op: str = a.child
    bundle, ws_path = Path(a.bundle), Path(a.ws)
    expected = load_expected(bundle)
    res: dict[str, Any] = {
        "op": op,
        "imports_s": imports,
        "failures": [],
        "extra": {},
        "loadavg_start": os.getloadavg()[0],
    }
    profile: list[str] = []

    def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
        nonlocal profile
        t0 = time.perf_counter()
        if a.profile:
            out, profile = _profiled(fn)
        else:
            out = fn()
        return out, time.perf_counter() - t0

    if op == "load":
        shutil.rmtree(ws_path, ignore_errors=True)
        ws = ownergraph.open(ws_path)
        reports, secs = timed(lambda: ws.load([bundle]))
        r = reports[0]
        res["seconds"] = secs
        res["extra"] = {
            "read": r.read,
            "added": r.added,
            "rejected": r.rejected,
            "merged": r.merged,
            # the record store: SQLite plus the Arrow segments of bulk loads (records/)
            "store_mb": round(_tree_bytes(ws_path, skip="cache") / 1e6, 1),
            "cache_mb": round(_tree_bytes(ws_path / "cache") / 1e6, 1),
        }
        if r.rejected:
            res["failures"].append(f"load rejected {r.rejected} records; first: {r.first_reject}")
        ws.close()
        return {**res, "profile": profile}
    if op == "open":
        target = f"e{a.size - 1}"

        def first_answer() -> tuple[float, float, int]:
            t0 = time.perf_counter()
            ws = ownergraph.open(ws_path)
            view = ws.graph(as_of=a.as_of)
            t1 = time.perf_counter()
            rows = ownership(view, target)
            return t1 - t0, time.perf_counter() - t1, len(rows)

        (view_s, answer_s, n_rows), secs = timed(first_answer)
        res["seconds"] = secs
        res["extra"] = {
            "open_and_view_s": view_s,
            "answer_s": answer_s,
            "rows": n_rows,
            "imports_s": imports,
            "with_imports_s": secs + imports,
        }
        return {**res, "profile": profile}
    ws = ownergraph.open(ws_path)
    t0 = time.perf_counter()
    view = ws.graph(as_of=a.as_of)
    res["extra"]["view_s"] = time.perf_counter() - t0
    if op.startswith("restricted:"):
        regime = op.split(":", 1)[1]
        rows, secs = timed(lambda: restricted(view, regime))
        res["seconds"] = secs
        by: dict[str, int] = {}
        for r in rows:
            by[r.status] = by.get(r.status, 0) + 1
        res["extra"]["rows"] = by
        from bench.generate import restricted_failures

        items = [x for x in expected["restricted"] if x["as_of"] == a.as_of]
        res["failures"] += restricted_failures(items, rows, regime)
        res["extra"]["checked_vectors"] = sum(1 for x in items if x["regime"] == regime)
    elif op == "loopholes":
        rows, secs = timed(lambda: loopholes(view))
        res["seconds"] = secs
        by = {}
        for r in rows:
            by[r.pattern] = by.get(r.pattern, 0) + 1
        res["extra"]["findings"] = by
        from bench.generate import loophole_failures

        items = [m for m in expected["loopholes"] if a.as_of in m["as_of"]]
        res["failures"] += loophole_failures(items, rows)
        res["extra"]["checked_motifs"] = len(items)
    elif op == "lookthrough":
        targets = _targets(view, a.seed)
        t0 = time.perf_counter()
        ownership(view, targets[0], look_through=True)
        res["extra"]["first_call_s"] = time.perf_counter() - t0
        per: dict[str, float] = {}
        rows_n: list[int] = []
        errors = 0

        def run_all() -> None:
            nonlocal errors
            for q in targets[1:]:
                t = time.perf_counter()
                try:
                    rows_n.append(len(ownership(view, q, look_through=True)))
                except Exception:  # a closed loop is a data error the query reports; count it
                    errors += 1
                per[q] = (time.perf_counter() - t) * 1000

        _, secs = timed(run_all)
        hub = _hub(view)
        hub_ms = []
        for _ in range(3):
            t = time.perf_counter()
            hub_rows = ownership(view, hub, direction="down", look_through=True)
            hub_ms.append((time.perf_counter() - t) * 1000)
        res.update(_pcts(list(per.values())))
        res["seconds"] = res["p95"] / 1000
        res["extra"].update(
            per_target_ms=per,
            mean_rows=float(np.mean(rows_n)) if rows_n else 0.0,
            errors=errors,
            hub=hub,
            hub_ms=float(np.median(hub_ms)),
            hub_rows=len(hub_rows),
        )
    elif op == "path":
        pairs = _pairs(view, a.seed)
        t0 = time.perf_counter()
        paths(view, *pairs[0])
        res["extra"]["first_call_s"] = time.perf_counter() - t0
        ms: list[float] = []
        lengths: list[int | None] = []

        def run_all() -> None:
            for s, t in pairs[1:]:
                t1 = time.perf_counter()
                rows = paths(view, s, t)
                ms.append((time.perf_counter() - t1) * 1000)
                lengths.append(rows[0].length if rows else None)

        _, secs = timed(run_all)
        res.update(_pcts(ms))
        res["seconds"] = res["p95"] / 1000
        res["extra"].update(lengths=lengths, found=sum(x is not None for x in lengths))
    elif op == "exposure":
        from bench.generate import exposure_failures, portfolio

        lines, first = portfolio(bundle, 1_000, seed=a.seed)
        rows, secs = timed(lambda: exposure(view, lines))
        res["seconds"] = secs
        resolved = {r.line for r in rows if r.entity_id is not None}
        res["extra"].update(lines=len(lines), resolved=len(resolved), rows=len(rows))
        res["failures"] += exposure_failures(expected["exposure"], rows, first)
    elif op == "viz":
        from ownergraph.viz import neighbourhood, render

        deg = np.diff(view.out_ptr) + np.diff(view.in_ptr)
        focus = view.id(int(np.argmax(deg)))
        out = Path(a.ws).parent / "viz.html"
        _, secs = timed(lambda: render(view, out, focus=focus, depth=2, max_nodes=500))
        res["seconds"] = secs
        nb = neighbourhood(view, focus, depth=2, max_nodes=500)
        res["extra"].update(
            focus=focus,
            nodes=len(nb.nodes),
            collapsed=len(nb.more),
            html_mb=round(out.stat().st_size / 1e6, 2),
        )
    elif op == "neo4j":
        from ownergraph._testing.neo4j import Neo4jServer
        from ownergraph.graph.neo4j_store import push

        with Neo4jServer(heap=a.neo4j_heap, pagecache=a.neo4j_pagecache) as server:
            report, secs = timed(lambda: push(ws, server.uri, replace=True))
            res["seconds"] = secs
            rels = sum(report.relationships.values())
            res["extra"].update(
                relationships=rels,
                nodes=sum(report.nodes.values()),
                rel_per_s=report.relationships_per_second,
                push_s=report.seconds,
                server_rss_mb=round((server.rss_bytes() or 0) / 1e6),
                server_startup_s=server.startup_seconds,
                heap=a.neo4j_heap,
            )
    elif op == "networkx":
        res.update(_networkx(a, view, expected))
    elif op == "motifs":
        from bench.generate import check_workspace

        fails, secs = timed(lambda: check_workspace(ws, expected, folder=bundle))
        res["seconds"] = secs
        res["failures"] += fails
        res["extra"].update(
            vectors=len(expected["restricted"]),
            motifs=len(expected["loopholes"]),
            exposure_lines=len(expected["exposure"]),
        )
    else:
        raise SystemExit(f"unknown operation {op!r}")
    ws.close()
    return {**res, "profile": profile}


def _networkx(a: argparse.Namespace, view: Any, expected: dict[str, Any]) -> dict[str, Any]:
    """The plain way, on the same view: networkx build, reference_restricted per regime,
    reference_lookthrough on the look-through targets with small cones, reference_paths on the
    path pairs; each compared with the fast answer (untimed)."""
    import networkx as nx

    from ownergraph.graph.view import GraphView
    from ownergraph.queries import ownership, paths, restricted
    from ownergraph.queries.reference import reference_restricted
    from ownergraph.queries.reference_paths import reference_lookthrough, reference_paths

    out: dict[str, Any] = {"failures": [], "extra": {}}
    ex = out["extra"]
    t0 = time.perf_counter()
    g = view.to_networkx()
    ex["build_s"] = time.perf_counter() - t0
    full = GraphView.to_networkx

    def cached(nodes: Any = None) -> Any:  # the reference asks for the whole view: reuse the build
        return g if nodes is None else full(view, nodes)

    view.to_networkx = cached
    ex["restricted"] = {}
    for regime in REGIMES:
        t0 = time.perf_counter()
        ref = reference_restricted(view, regime)
        secs = time.perf_counter() - t0
        ours = restricted(view, regime)
        agree = [r.model_dump() for r in ours] == [r.model_dump() for r in ref]
        ex["restricted"][regime] = {"seconds": secs, "agree": agree, "rows": len(ref)}
        if not agree:
            out["failures"].append(f"networkx reference_restricted disagrees with restricted [{regime}]")
    # look-through: targets whose upstream share cone is small enough for the dense reference
    shares = nx.subgraph_view(g, filter_edge=lambda u, v, k: g[u][v][k].get("kind") == "shares")
    per: dict[str, float] = {}
    agree_lt = True
    for q in _targets(view, a.seed)[1:]:
        if len(per) >= a.nx_lookthrough or len(nx.ancestors(shares, q)) > 40:
            continue
        t0 = time.perf_counter()
        ref_lt = reference_lookthrough(g, q)
        per[q] = (time.perf_counter() - t0) * 1000
        got = {r.owner_id: r for r in ownership(view, q, look_through=True) if (r.share_max or 0) > 1e-9}
        want = {k: v for k, v in ref_lt.items() if v.share_max > 1e-9}
        if set(got) != set(want) or any(
            abs(got[k].value - w.value) > 1e-6 or abs((got[k].share_max or 0) - w.share_max) > 1e-6
            for k, w in want.items()
        ):
            agree_lt = False
    ex["lookthrough"] = {
        "per_target_ms": per,
        **(_pcts(list(per.values())) if per else {}),
        "agree": agree_lt,
    }
    if not agree_lt:
        out["failures"].append("networkx reference_lookthrough disagrees with ownership(look_through=True)")
    # paths: a simple undirected graph, as reference_paths takes it
    t0 = time.perf_counter()
    und: nx.Graph[str] = nx.Graph()
    und.add_nodes_from(g)
    und.add_edges_from(g.edges())
    ex["undirected_build_s"] = time.perf_counter() - t0
    ms: list[float] = []
    agree_p = True
    for s, t in _pairs(view, a.seed)[1:]:
        t0 = time.perf_counter()
        ref_p = reference_paths(und, s, t)
        ms.append((time.perf_counter() - t0) * 1000)
        ours_p = paths(view, s, t)
        if [len(p) - 1 for p in ref_p] != [r.length for r in ours_p]:
            agree_p = False
    ex["path"] = {**_pcts(ms), "agree": agree_p}
    if not agree_p:
        out["failures"].append("networkx reference_paths disagrees with paths (lengths)")
    out["seconds"] = ex["build_s"]
    return out


def _vmhwm() -> int | None:
    """This process's peak resident set (``VmHWM``, bytes). Unlike ``ru_maxrss`` it starts afresh at
    ``exec``: a child's ``ru_maxrss`` (``RUSAGE_SELF``, ``RUSAGE_CHILDREN`` or ``wait4``) also
    counts the parent's resident set at the ``fork``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def child_main(argv: Sequence[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", required=True)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--as-of", default=BENCH_AS_OF)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--nx-lookthrough", type=int, default=30)
    ap.add_argument("--neo4j-heap", default="2g")
    ap.add_argument("--neo4j-pagecache", default="1g")
    a = ap.parse_args(argv)
    res = _child(a)
    res["loadavg_end"] = os.getloadavg()[0]
    res["self_maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    res["vmhwm_bytes"] = _vmhwm()
    sys.stdout.write(MARK + json.dumps(res) + "\n")
    sys.stdout.flush()


# -- the parent side ----------------------------------------------------------------------------------


def _run_child(
    op: str, bundle: Path, ws: Path, size: int, a: argparse.Namespace, *, profile: bool = False
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.suite",
        "--child",
        op,
        "--bundle",
        str(bundle),
        "--ws",
        str(ws),
        "--size",
        str(size),
        "--seed",
        str(a.seed),
        "--as-of",
        BENCH_AS_OF,
        "--neo4j-heap",
        a.neo4j_heap,
    ]
    if profile:
        cmd.append("--profile")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    err_path = ws.parent / f"stderr-{op.replace(':', '-')}.txt"
    t0 = time.perf_counter()
    with open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    line = next((x for x in stdout.splitlines() if x.startswith(MARK)), None)
    if proc.returncode != 0 or line is None:
        tail = err_path.read_text()[-1500:]
        return {
            "op": op,
            "error": f"exit {proc.returncode}: {tail.strip().splitlines()[-1] if tail else ''}",
            "stderr_tail": tail,
            "failures": [f"{op} crashed (exit {proc.returncode})"],
            "peak_rss_bytes": usage.ru_maxrss * 1024,
            "wall_s": wall,
        }
    res: dict[str, Any] = json.loads(line[len(MARK) :])
    res["wait4_maxrss_bytes"] = usage.ru_maxrss * 1024
    res["peak_rss_bytes"] = res.get("vmhwm_bytes") or usage.ru_maxrss * 1024
    res["wall_s"] = wall
    return res


def _median(runs: Sequence[dict[str, Any]], key: str) -> float | None:
    vals = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
    return float(statistics.median(vals)) if vals else None


def _summary(op: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": runs, "repeats": len(runs)}
    out["seconds"] = _median(runs, "seconds")
    for k in ("p50", "p95"):
        if any(k in r for r in runs):
            out[k] = _median(runs, k)
    out["peak_rss_bytes"] = max((r.get("peak_rss_bytes", 0) for r in runs), default=0)
    out["failures"] = sorted({f for r in runs for f in r.get("failures", [])})
    out["errors"] = [r["error"] for r in runs if "error" in r]
    if op == "lookthrough":
        out["hub_ms"] = _median([r.get("extra", {}) for r in runs], "hub_ms")
    if op == "neo4j":
        out["rel_per_s"] = _median([r.get("extra", {}) for r in runs], "rel_per_s")
    return out


def _nx_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    good = [r for r in runs if "error" not in r]
    out: dict[str, Any] = {
        "repeats": len(runs),
        "runs": runs,
        "errors": [r["error"] for r in runs if "error" in r],
        "failures": sorted({f for r in runs for f in r.get("failures", [])}),
        "peak_rss_bytes": max((r.get("peak_rss_bytes", 0) for r in runs), default=0),
    }
    if not good:
        return out
    ex = [r["extra"] for r in good]
    out["build_s"] = statistics.median(e["build_s"] for e in ex)
    out["restricted"] = {
        reg: statistics.median(e["restricted"][reg]["seconds"] for e in ex) for reg in REGIMES
    }
    lt = [e["lookthrough"] for e in ex if "p95" in e["lookthrough"]]
    if lt:
        out["lookthrough"] = {k: statistics.median(x[k] for x in lt) for k in ("p50", "p95")}
        out["lookthrough"]["n"] = lt[0]["n"]
        out["lookthrough_targets"] = list(lt[0]["per_target_ms"])
        per: dict[str, list[float]] = {}
        for x in lt:
            for q, v in x["per_target_ms"].items():
                per.setdefault(q, []).append(v)
        out["lookthrough_per_target"] = {q: statistics.median(v) for q, v in per.items()}
    out["path"] = {k: statistics.median(e["path"][k] for e in ex) for k in ("p50", "p95")}
    return out


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in (
        "ownergraph",
        "numpy",
        "scipy",
        "pyarrow",
        "pandas",
        "networkx",
        "pydantic",
        "neo4j",
        "pyvis",
    ):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "absent"
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
        out["git"] = rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        out["git"] = "unknown"
    return out


def _machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem / GIB, 1),
        "host": platform.node(),
        "platform": platform.platform(),
    }


# -- the table -------------------------------------------------------------------------------------------


def _t(s: float | None) -> str:
    if s is None:
        return "—"
    if s >= 100:
        return f"{s:.0f} s"
    if s >= 1:
        return f"{s:.2f} s"
    return f"{s * 1000:.0f} ms" if s >= 0.01 else f"{s * 1000:.1f} ms"


def _ms(v: float | None) -> str:
    return "—" if v is None else (f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 1 else f"{v:.2f}")


def _mb(b: float) -> str:
    return f"{b / 2**20:,.0f} MB" if b else "—"


def _met(value: float | None, key: str, lower_is_better: bool = True) -> str:
    if value is None or key not in TARGETS:
        return ""
    limit = TARGETS[key][0]
    ok = value <= limit if lower_is_better else value >= limit
    return "✓" if ok else "✗"


def _ratio(ref: float | None, ours: float | None) -> str:
    if not ref or not ours:
        return ""
    r = ref / ours
    return f"{r:,.0f}×" if r >= 10 else f"{r:.1f}×" if r >= 1 else f"{r:.2f}× (networkx faster)"


def table_rows(size_res: dict[str, Any]) -> list[list[str]]:
    """One row per operation: operation, ours, target, met, networkx, ratio, peak RSS."""
    ops, nxs = size_res["ops"], size_res.get("networkx")
    nx_note = size_res.get("networkx_skipped")
    rows: list[list[str]] = []

    def add(name: str, ours: str, target: str, met: str, ref: str, ratio: str, rss: float) -> None:
        rows.append([name, ours, target, met, ref, ratio, _mb(rss)])

    def err(op: str) -> str | None:
        s = ops.get(op)
        return f"FAILED ({s['errors'][0][:60]})" if s and s["errors"] else None

    nref = nx_note or "—"
    if "load" in ops:
        s = ops["load"]
        add(
            "load (bundle → workspace)",
            err("load") or _t(s["seconds"]),
            "≤ 10 s",
            _met(s["seconds"], "load"),
            "—",
            "",
            s["peak_rss_bytes"],
        )
    if "open" in ops:
        s = ops["open"]
        add(
            "open → first answer",
            err("open") or _t(s["seconds"]),
            "≤ 1 s",
            _met(s["seconds"], "open"),
            "—",
            "",
            s["peak_rss_bytes"],
        )
    for reg in REGIMES:
        op = f"restricted:{reg}"
        if op in ops:
            s = ops[op]
            ref = nxs["restricted"][reg] if nxs and "restricted" in nxs else None
            add(
                f"restricted {reg}",
                err(op) or _t(s["seconds"]),
                "≤ 0.2 s",
                _met(s["seconds"], op),
                _t(ref) if ref is not None else nref,
                _ratio(ref, s["seconds"]),
                s["peak_rss_bytes"],
            )
    if "loopholes" in ops:
        s = ops["loopholes"]
        add(
            "loopholes (all 9 patterns)",
            err("loopholes") or _t(s["seconds"]),
            "≤ 2 s",
            _met(s["seconds"], "loopholes"),
            "— (no reference)",
            "",
            s["peak_rss_bytes"],
        )
    if "lookthrough" in ops:
        s = ops["lookthrough"]
        ours = err("lookthrough") or f"{_ms(s.get('p50'))} / {_ms(s.get('p95'))} ms"
        ref, ratio = nref, ""
        if nxs and "lookthrough" in nxs:
            r = nxs["lookthrough"]
            ref = f"{_ms(r['p50'])} / {_ms(r['p95'])} ms (n={r['n']}, cone ≤ 40)"
            per = [
                v
                for run in s["runs"]
                for q, v in run.get("extra", {}).get("per_target_ms", {}).items()
                if q in nxs["lookthrough_per_target"]
            ]
            if per:
                ratio = _ratio(r["p95"], float(np.percentile(per, 95))) + " (same targets)"
        add(
            "look-through p50 / p95 (100 targets)",
            ours,
            "p95 ≤ 100 ms",
            _met((s.get("p95") or 0) / 1000, "lookthrough"),
            ref,
            ratio,
            s["peak_rss_bytes"],
        )
        if s.get("hub_ms") is not None:
            add(
                "look-through, biggest holder (down)",
                f"{_ms(s['hub_ms'])} ms",
                "—",
                "",
                "— (cone too big)",
                "",
                s["peak_rss_bytes"],
            )
    if "path" in ops:
        s = ops["path"]
        ref = f"{_ms(nxs['path']['p50'])} / {_ms(nxs['path']['p95'])} ms" if nxs and "path" in nxs else nref
        ratio = _ratio(nxs["path"]["p95"] / 1000, (s.get("p95") or 0) / 1000) if nxs and "path" in nxs else ""
        add(
            "path p50 / p95 (100 pairs)",
            err("path") or f"{_ms(s.get('p50'))} / {_ms(s.get('p95'))} ms",
            "p95 ≤ 20 ms",
            _met((s.get("p95") or 0) / 1000, "path"),
            ref,
            ratio,
            s["peak_rss_bytes"],
        )
    if "exposure" in ops:
        s = ops["exposure"]
        add(
            "exposure (1,000 lines)",
            err("exposure") or _t(s["seconds"]),
            "≤ 1 s",
            _met(s["seconds"], "exposure"),
            "— (no reference)",
            "",
            s["peak_rss_bytes"],
        )
    if "viz" in ops:
        s = ops["viz"]
        add(
            "viz (500-node neighbourhood)",
            err("viz") or _t(s["seconds"]),
            "—",
            "",
            "—",
            "",
            s["peak_rss_bytes"],
        )
    if "neo4j" in ops:
        s = ops["neo4j"]
        rate = s.get("rel_per_s")
        ours = err("neo4j") or f"{_t(s['seconds'])} ({rate:,.0f} rel/s)" if rate else err("neo4j") or "—"
        add(
            "neo4j push",
            ours,
            "≥ 50k rel/s",
            _met(rate, "neo4j", lower_is_better=False),
            "—",
            "",
            s["peak_rss_bytes"],
        )
    elif size_res.get("neo4j_skipped"):
        add("neo4j push", f"skipped: {size_res['neo4j_skipped']}", "≥ 50k rel/s", "", "", "", 0)
    if nxs and "build_s" in nxs:
        add("networkx build (view.to_networkx)", "—", "", "", _t(nxs["build_s"]), "", nxs["peak_rss_bytes"])
    peak = max((s["peak_rss_bytes"] for k, s in ops.items() if k not in ("neo4j", "motifs")), default=0)
    add("peak memory (max over ops)", _mb(peak), "≤ 2 GiB", _met(peak, "peak"), "", "", peak)
    return rows


HEADER = [
    "operation",
    "ours (median)",
    "SPEC §10 target (1M)",
    "met",
    "networkx reference",
    "ratio",
    "peak RSS",
]


def render_table(results: dict[str, Any], markdown: bool = False) -> str:
    lines: list[str] = []
    meta = results["meta"]
    for key, sr in results["sizes"].items():
        n_e = sr.get("counts", {}).get("entities")
        head = (
            f"{key}: {n_e:,} entities, {sr.get('counts', {}).get('ownership', 0):,} ownership edges "
            f"(preset {meta['preset']}, seed {meta['seed']}, as of {BENCH_AS_OF}, repeats {sr['repeat']}, "
            f"load average {sr['loadavg'][0]:.1f}–{sr['loadavg'][1]:.1f} "
            f"on {meta['machine']['cores']} cores, {sr.get('started', '')[:16]}, git {sr.get('git', '?')})"
        )
        rows = table_rows(sr)
        planted = sr.get("planted", "")
        if markdown:
            lines += [f"**{head}**", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
            lines += ["| " + " | ".join(r) + " |" for r in rows]
            lines += ["", f"Planted motifs: {planted}", ""]
        else:
            widths = [max(len(str(r[i])) for r in [HEADER, *rows]) for i in range(len(HEADER))]
            lines += [head, "  ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True))]
            lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
            lines += [f"planted motifs: {planted}", ""]
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------------------------------------


OPS = ["open", *(f"restricted:{r}" for r in REGIMES), "loopholes", "lookthrough", "path", "exposure", "viz"]


def _bundle(work: Path, preset: str, size: int, seed: int, log: Callable[[str], None]) -> tuple[Path, float]:
    folder = work / f"{preset}-{_fmt_size(size)}-s{seed}"
    bundle = folder / "bundle"
    try:
        exp = load_expected(bundle)
        if exp.get("generator_version") == GENERATOR_VERSION and exp.get("entities") == size:
            return bundle, 0.0
    except (OSError, ValueError):
        pass
    shutil.rmtree(bundle, ignore_errors=True)
    log(f"generating {_fmt_size(size)} ({preset}, seed {seed}) ...")
    t0 = time.perf_counter()
    generate(bundle, size, seed=seed, preset=preset, motifs=True)
    return bundle, time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--child" in argv:
        child_main(argv)
        return 0
    ap = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes", default="10k,100k,1m", help="comma-separated entity counts (default 10k,100k,1m)"
    )
    ap.add_argument("--large", action="store_true", help="also run 10M entities (SPEC §10 headroom; long)")
    ap.add_argument(
        "--repeat", type=int, default=None, help="runs per operation (default 3 up to 100k, else 1)"
    )
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    ap.add_argument(
        "--work",
        type=Path,
        default=ROOT / "bench" / "results" / "work",
        help="bundles (kept and reused) and workspaces",
    )
    ap.add_argument("--preset", default="realistic", choices=["realistic", "stress"])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--append", action="store_true", help="keep the other sizes already in --out (each size says when)"
    )
    ap.add_argument("--ops", default=None, help="comma-separated subset of operations (debugging)")
    ap.add_argument(
        "--nx-max",
        type=parse_size,
        default=100_000,
        help="largest size with the networkx reference (default 100k)",
    )
    ap.add_argument("--no-neo4j", action="store_true", help="skip the Neo4j push")
    ap.add_argument("--neo4j-heap", default="2g")
    ap.add_argument(
        "--neo4j-max", type=parse_size, default=1_000_000, help="largest size pushed to Neo4j (default 1m)"
    )
    ap.add_argument(
        "--profile-misses",
        action="store_true",
        help="re-run each operation that misses its target under cProfile (top frames in the JSON)",
    )
    a = ap.parse_args(argv)
    sizes = [parse_size(s) for s in a.sizes.split(",") if s.strip()]
    if a.large and 10_000_000 not in sizes:
        sizes.append(10_000_000)
    only = set(a.ops.split(",")) if a.ops else None

    def log(msg: str) -> None:
        print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)

    neo4j_reason: str | None = None
    if a.no_neo4j:
        neo4j_reason = "--no-neo4j"
    else:
        try:
            from ownergraph._testing.neo4j import availability

            neo4j_reason = availability()
        except ImportError as e:
            neo4j_reason = f"neo4j driver missing ({e})"
    results: dict[str, Any] = {
        "meta": {
            "started": dt.datetime.now().isoformat(timespec="seconds"),
            "preset": a.preset,
            "seed": a.seed,
            "as_of": BENCH_AS_OF,
            "versions": _versions(),
            "machine": _machine(),
            "argv": argv,
            "neo4j": neo4j_reason or "available",
        },
        "sizes": {},
    }
    if a.append and a.out.exists():  # keep the sizes of an earlier run that this one does not redo
        old = json.loads(a.out.read_text())
        results["sizes"] = {k: v for k, v in old.get("sizes", {}).items() if v["entities"] not in sizes}
    failures: list[str] = []
    for size in sizes:
        key = _fmt_size(size)
        repeat = a.repeat or (3 if size <= 100_000 else 1)
        la0 = os.getloadavg()[0]
        bundle, gen_s = _bundle(a.work, a.preset, size, a.seed, log)
        ws = bundle.parent / "ws"
        exp = load_expected(bundle)
        sr: dict[str, Any] = {
            "entities": size,
            "repeat": repeat,
            "generate_s": gen_s,
            "counts": exp["counts"],
            "started": dt.datetime.now().isoformat(timespec="seconds"),
            "git": results["meta"]["versions"]["git"],
            "ops": {},
        }
        results["sizes"][key] = sr
        log(f"{key}: shape statistics ...")
        sr["shape"] = shape_stats(bundle)
        sr["shape_failures"] = shape_failures(sr["shape"], a.preset)

        def want(op: str) -> bool:
            return only is None or op in only or op.split(":")[0] in only

        if want("load") or not (ws / "cache" / "meta.json").exists():
            runs = []
            for k in range(repeat):
                log(f"{key}: load run {k + 1}/{repeat} ...")
                runs.append(_run_child("load", bundle, ws, size, a))
            sr["ops"]["load"] = _summary("load", runs)
        for op in OPS:
            if not want(op):
                continue
            runs = []
            for k in range(repeat):
                log(f"{key}: {op} run {k + 1}/{repeat} ...")
                runs.append(_run_child(op, bundle, ws, size, a))
            sr["ops"][op] = _summary(op, runs)
        if want("motifs"):
            log(f"{key}: checking every planted answer on its own date ...")
            sr["ops"]["motifs"] = _summary("motifs", [_run_child("motifs", bundle, ws, size, a)])
        if want("neo4j"):
            if neo4j_reason is None and size > a.neo4j_max:
                sr["neo4j_skipped"] = f"> --neo4j-max {_fmt_size(a.neo4j_max)}"
            elif neo4j_reason is None:
                runs = []
                for k in range(repeat):
                    log(f"{key}: neo4j push run {k + 1}/{repeat} ...")
                    runs.append(_run_child("neo4j", bundle, ws, size, a))
                sr["ops"]["neo4j"] = _summary("neo4j", runs)
            else:
                sr["neo4j_skipped"] = neo4j_reason
        if want("networkx"):
            if size <= a.nx_max:
                runs = []
                for k in range(repeat):
                    log(f"{key}: networkx reference run {k + 1}/{repeat} ...")
                    runs.append(_run_child("networkx", bundle, ws, size, a))
                sr["networkx"] = _nx_summary(runs)
            else:
                sr["networkx_skipped"] = f"skipped (> {_fmt_size(a.nx_max)}: minutes)"
        if a.profile_misses:
            sr["profiles"] = {}
            for op, s in sr["ops"].items():
                if op not in TARGETS or op == "neo4j":
                    continue
                fig = s.get("p95") / 1000 if s.get("p95") is not None else s.get("seconds")
                if fig is not None and fig > TARGETS[op][0]:
                    log(f"{key}: profiling {op} ({_t(fig)} > {_t(TARGETS[op][0])}) ...")
                    run = _run_child(op, bundle, ws, size, a, profile=True)
                    sr["profiles"][op] = {"seconds": run.get("seconds"), "top": run.get("profile", [])}
        sr["loadavg"] = [la0, os.getloadavg()[0]]
        mine = [f"{key} {f}" for s in sr["ops"].values() for f in s["failures"]]
        mine += [f"{key} {f}" for f in sr.get("networkx", {}).get("failures", [])]
        sr["planted"] = (
            "OK — " + f"{len(exp['restricted'])} vector checks, {len(exp['loopholes'])} loophole motifs, "
            f"{len(exp['exposure'])} exposure lines"
            if not mine
            else f"FAILED ({len(mine)} failures)"
        )
        sr["failures"] = mine
        sr["finished"] = dt.datetime.now().isoformat(timespec="seconds")
        failures += mine
        results["sizes"] = dict(sorted(results["sizes"].items(), key=lambda kv: kv[1]["entities"]))
        results["failures"] = [f for v in results["sizes"].values() for f in v.get("failures", [])]
        results["meta"]["finished"] = dt.datetime.now().isoformat(timespec="seconds")
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(results, indent=1, default=str))
        a.out.with_suffix(".md").write_text(render_table(results, markdown=True))
        print(render_table({**results, "sizes": {key: sr}}), flush=True)
    log(f"results: {a.out} (and {a.out.with_suffix('.md')})")
    if failures:
        print("\nFAILED — wrong answers:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
