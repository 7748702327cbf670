"""Plain networkx reference implementations of look-through ownership and k shortest paths.

These are the slow, obviously-correct versions that :mod:`ownergraph.queries.ownership` and
:mod:`ownergraph.queries.paths` are tested and benchmarked against (SPEC §10: every figure next to
the plain way). They work on ``view.to_networkx()`` — or on any networkx graph whose edges carry
``kind``, ``share_min`` and ``share_max`` (percent, ``None`` when unknown) — and share no code with
the fast versions:

* :func:`reference_lookthrough` solves ``T = M (I - M)^-1`` densely *per pair*, on the nodes that
  lie on some walk between the two entities, once as is (the raw walk sum) and once with the
  owner's incoming edges cut (the first-passage stake, ``docs/algorithms.md`` §2.1.2 item 3);
  a walk sum diverges when that submatrix has spectral radius ≥ 1. Cost: cubic per pair — for
  tests and small cones only.
* :func:`reference_paths` takes the first ``k`` paths by length and then by their sequence of
  ids (the order :mod:`~ownergraph.queries.paths` defines) from every path
  ``networkx.shortest_simple_paths`` yields up to the ``k``-th one's length, on the undirected
  (or directed) simple graph of the allowed edge kinds.

:func:`view_from_arrays` builds a real :class:`~ownergraph.graph.view.GraphView` from edge arrays
(the same tables the workspace cache builds, without a store) so that tests and benchmarks can
make thousands of small graphs, or one of a million nodes, quickly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ownergraph.graph.cache import NO_DATE_HI, NO_DATE_LO, days
from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS
from ownergraph.graph.view import GraphView
from ownergraph.queries.ownership import ClosedLoopError

__all__ = ["RefStake", "reference_lookthrough", "reference_paths", "view_from_arrays"]

FloatMatrix = npt.NDArray[np.float64]
_RHO = 1.0 - 1e-9


@dataclass(frozen=True)
class RefStake:
    """A reference integrated stake, in percent (``raw`` is ``None`` when the walk sum diverges)."""

    value: float
    raw: float | None
    share_min: float
    share_max: float
    depth: int


def _graph(source: GraphView | nx.Graph[Any], key: str) -> tuple[nx.Graph[Any], str]:
    if isinstance(source, GraphView):
        return source.to_networkx(), source.id(source.index(key))
    if key not in source:
        raise KeyError(key)
    return source, key


def _edges(g: nx.Graph[Any], kinds: Iterable[str] | None) -> Iterable[tuple[Any, Any, dict[str, Any]]]:
    allowed = None if kinds is None else set(kinds)
    for u, v, data in g.edges(data=True):
        if allowed is None or data.get("kind") in allowed:
            yield u, v, data


def _share_view(g: nx.Graph[Any]) -> Any:
    """The ``shares`` edges of directed ``g`` as a read-only view (no copy of the graph)."""
    view_of: Any = nx.subgraph_view
    if g.is_multigraph():

        def multi(u: Any, v: Any, k: Any) -> bool:
            return bool(g[u][v][k].get("kind") == "shares")

        return view_of(g, filter_edge=multi)

    def simple(u: Any, v: Any) -> bool:
        return bool(g[u][v].get("kind") == "shares")

    return view_of(g, filter_edge=simple)


def _walk_sum(m: FloatMatrix, i: int, j: int) -> float:
    """``Σ_{t≥1} (m^t)[i, j]`` on the nodes between ``i`` and ``j``; ``inf`` if it diverges."""
    g: nx.DiGraph[int] = nx.DiGraph()
    g.add_nodes_from(range(len(m)))
    g.add_edges_from(zip(*np.nonzero(m), strict=True))
    between = (nx.descendants(g, i) | {i}) & (nx.ancestors(g, j) | {j})
    if i not in nx.ancestors(g, j):
        return 0.0
    sub = sorted(between)
    small = m[np.ix_(sub, sub)]
    if float(np.max(np.abs(np.linalg.eigvals(small)))) >= _RHO:
        return float("inf")
    total = small @ np.linalg.inv(np.eye(len(sub)) - small)
    return float(total[sub.index(i), sub.index(j)])


def reference_lookthrough(
    source: GraphView | nx.Graph[Any],
    id: str,
    *,
    direction: Literal["up", "down"] = "up",
) -> dict[str, RefStake]:
    """Integrated stakes of every owner in ``id`` (``up``) or of ``id`` in every holding (``down``).

    Same meaning as ``ownership(view, id, look_through=True)``: ``shares`` edges only; point
    values from exact shares and band midpoints (at most the capped upper bound) with unknown
    shares left out; ``share_min`` with
    unknown shares at 0; ``share_max`` with unknown shares at 100% capped by the known lower
    bounds of the other owners of the same company, 100 when the upper-bound walk sum diverges,
    and never above 100.

    Parameters
    ----------
    source : GraphView or networkx.Graph
        A view (converted with ``to_networkx()``) or a graph with ``kind``/``share_min``/
        ``share_max`` edge attributes.
    id : str
        The entity (any id for a view; the node key for a graph).
    direction : {"up", "down"}
        Owners of ``id`` or holdings of ``id``.

    Returns
    -------
    dict of str to RefStake
        Keyed by the other entity's id; entities with no possible stake are left out.

    Raises
    ------
    ClosedLoopError
        The point-value walk sum between ``id`` and some entity diverges (a closed loop).

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_edge("P", "A", kind="shares", share_min=60.0, share_max=60.0)
    0
    >>> g.add_edge("A", "B", kind="shares", share_min=70.0, share_max=70.0)
    0
    >>> g.add_edge("P", "B", kind="shares", share_min=10.0, share_max=10.0)
    0
    >>> round(reference_lookthrough(g, "B")["P"].value, 9)
    52.0
    """
    g, q = _graph(source, id)
    h = _share_view(g)
    cone = nx.ancestors(h, q) if direction == "up" else nx.descendants(h, q)
    if not cone:
        return {}
    dist = nx.single_source_shortest_path_length(nx.reverse_view(h) if direction == "up" else h, q)
    nodes = [q, *sorted(cone, key=str)]
    pos = {x: i for i, x in enumerate(nodes)}
    size = len(nodes)
    pt, lo, hi = np.zeros((size, size)), np.zeros((size, size)), np.zeros((size, size))
    for v in nodes:
        owners = [(u, d.get("share_min"), d.get("share_max")) for u, _, d in h.in_edges(v, data=True)]
        for u, share_lo, share_hi in owners:
            if u not in pos:
                continue
            a, b = pos[u], pos[v]
            known = share_lo is not None
            low = share_lo / 100 if known else 0.0
            high = share_hi / 100 if known else 1.0
            lo[a, b] = low
            others = sum(w_lo / 100 for w, w_lo, _ in owners if w != u and w_lo is not None)
            hi[a, b] = max(low, min(high, 1.0 - others))
            if hi[a, b] < 1e-12:
                hi[a, b] = 0.0
            pt[a, b] = min((low + high) / 2, hi[a, b]) if known else 0.0
    out: dict[str, RefStake] = {}
    for x in nodes[1:]:
        i, j = (pos[x], 0) if direction == "up" else (0, pos[x])
        stakes = []
        for m in (pt, lo, hi):
            raw = _walk_sum(m, i, j)
            cut = m.copy()
            cut[:, i] = 0.0
            stakes.append((raw, _walk_sum(cut, i, j)))
        (raw_pt, f_pt), (_, f_lo), (raw_hi, f_hi) = stakes
        if not np.isfinite(raw_pt):
            raise ClosedLoopError("closed ownership loop between the pair (reference)")
        top = 100.0 if not np.isfinite(raw_hi) else 100.0 * min(1.0, f_hi)
        if top <= 0.0:
            continue
        out[str(x)] = RefStake(
            value=100.0 * f_pt,
            raw=100.0 * raw_pt if np.isfinite(raw_pt) else None,
            share_min=100.0 * f_lo,
            share_max=top,
            depth=int(dist[x]),
        )
    return out


def reference_paths(
    source: GraphView | nx.Graph[Any],
    a: str,
    b: str,
    *,
    k: int = 1,
    directed: bool = False,
    max_depth: int = 12,
    kinds: Iterable[str] | None = None,
) -> list[list[str]]:
    """The first ``k`` shortest simple paths (node lists) with at most ``max_depth`` hops.

    Parameters
    ----------
    source : GraphView or networkx.Graph
        A view (converted with ``to_networkx()``) or any networkx graph with a ``kind`` edge
        attribute (a simple undirected graph is used as is when ``kinds`` is None).
    a, b : str
        The two entities.
    k, directed, max_depth, kinds
        As in :func:`ownergraph.queries.paths.paths`.

    Returns
    -------
    list of list of str
        Paths in order of length, ties by their sequence of ids.

    Examples
    --------
    >>> g = nx.MultiDiGraph([("P", "A"), ("P", "B")], kind="shares")
    >>> reference_paths(g, "A", "B"), reference_paths(g, "A", "B", directed=True)
    ([['A', 'P', 'B']], [])
    """
    g, s = _graph(source, a)
    _, t = _graph(g, b) if not isinstance(source, GraphView) else (g, source.id(source.index(b)))
    if not g.is_directed() and not g.is_multigraph() and kinds is None:
        simple: nx.Graph[Any] = g
    else:
        simple = nx.DiGraph() if directed else nx.Graph()
        simple.add_nodes_from(g.nodes)
        simple.add_edges_from((u, v) for u, v, _ in _edges(g, kinds))
    if s == t:
        return [[s]]
    # every simple path up to the k-th one's length, then the first k by (length, ids)
    found: list[list[str]] = []
    try:
        for p in nx.shortest_simple_paths(simple, s, t):
            if len(p) - 1 > max_depth or (len(found) >= k and len(p) > len(found[k - 1])):
                break
            found.append(p)
    except nx.NetworkXNoPath:
        return []
    return sorted(found, key=lambda p: (len(p), [str(x) for x in p]))[:k]


def _days(values: Sequence[dt.date | None] | None, m: int, missing: np.int32) -> npt.NDArray[np.int32]:
    if values is None:
        return np.full(m, missing, dtype=np.int32)
    return np.array([missing if d is None else days(d) for d in values], dtype=np.int32)


def view_from_arrays(
    ids: Sequence[str],
    src: npt.ArrayLike,
    dst: npt.ArrayLike,
    lo: npt.ArrayLike,
    hi: npt.ArrayLike | None = None,
    *,
    flags: npt.ArrayLike | None = None,
    kinds: Sequence[str] | None = None,
    start: Sequence[dt.date | None] | None = None,
    end: Sequence[dt.date | None] | None = None,
    sources: Sequence[str | None] | None = None,
    as_of: dt.date = dt.date(2024, 1, 1),
) -> GraphView:
    """A :class:`GraphView` over the given nodes and edges, without a workspace.

    Parameters
    ----------
    ids : sequence of str
        Canonical ids; node ``i`` is ``ids[i]`` (its name is its id, its kind ``company``).
    src, dst : array_like of int
        Owner and owned node of each edge (self-loops are dropped, as the cache does).
    lo, hi : array_like of int
        Share bounds in parts per million (``hi`` defaults to ``lo``).
    flags : array_like of int, optional
        Share flags (bit 0 open lower bound, bit 1 open upper bound, bit 2 unknown).
    kinds : sequence of str, optional
        Edge kinds (default ``shares``).
    start, end : sequence of date or None, optional
        Validity of each edge (open by default).
    sources : sequence of str or None, optional
        The ``source`` of each edge.
    as_of : datetime.date
        The view's date.

    Returns
    -------
    GraphView

    Examples
    --------
    >>> view = view_from_arrays(["P", "A"], [0], [1], [600_000])
    >>> view.n, view.m, str(view.share(0))
    (2, 1, '60')
    """
    s = np.asarray(src, dtype=np.int32)
    t = np.asarray(dst, dtype=np.int32)
    lo_a = np.asarray(lo, dtype=np.int32)
    hi_a = lo_a if hi is None else np.asarray(hi, dtype=np.int32)
    m = len(s)
    fl = np.zeros(m, dtype=np.int8) if flags is None else np.asarray(flags, dtype=np.int8)
    kd = (
        np.zeros(m, dtype=np.int8)
        if kinds is None
        else np.array([OWNERSHIP_KINDS.index(k) for k in kinds], dtype=np.int8)
    )
    st, en = _days(start, m, NO_DATE_LO), _days(end, m, NO_DATE_HI)
    src_col: list[str | None] = [None] * m if sources is None else list(sources)
    keep = np.flatnonzero(s != t)
    keep = keep[np.lexsort((t[keep], s[keep]))]
    n = len(ids)
    id_arr = pa.array(list(ids), pa.string())
    str_none = pa.array([None] * len(keep), pa.string())
    tables = {
        "nodes": pa.table(
            {
                "id": id_arr,
                "name": id_arr,
                "kind": pa.array(np.full(n, ENTITY_KINDS.index("company"), dtype=np.int8)),
                "jurisdiction": pa.array([None] * n, pa.string()),
                "records": pa.array(np.ones(n, dtype=np.int32)),
            }
        ),
        "keys": pa.table({"key": id_arr, "node": pa.array(np.arange(n, dtype=np.int32))}),
        "edges": pa.table(
            {
                "src": pa.array(s[keep]),
                "dst": pa.array(t[keep]),
                "lo": pa.array(lo_a[keep]),
                "hi": pa.array(hi_a[keep]),
                "flags": pa.array(fl[keep]),
                "kind": pa.array(kd[keep]),
                "start": pa.array(st[keep]),
                "end": pa.array(en[keep]),
                "arrangement": str_none,
                "source": pa.array([src_col[i] for i in keep.tolist()], pa.string()),
                "load_id": pa.array(np.zeros(len(keep), dtype=np.int32)),
                "locator": str_none,
                "seq": pa.array(np.arange(len(keep), dtype=np.int64)),
            }
        ),
        "edges_by_dst": pa.table({"row": pa.array(np.argsort(t[keep], kind="stable").astype(np.int64))}),
        "designations": pa.table(
            {
                "node": pa.array([], pa.int32()),
                "regime": pa.array([], pa.int8()),
                "listed": pa.array([], pa.int32()),
                "effective": pa.array([], pa.int32()),
                "removed": pa.array([], pa.int32()),
            }
        ),
        "listings": pa.table(
            {
                "node": pa.array([], pa.int32()),
                "mic": pa.array([], pa.string()),
                "ticker": pa.array([], pa.string()),
                "isin": pa.array([], pa.string()),
                "listed": pa.array([], pa.int32()),
                "delisted": pa.array([], pa.int32()),
                "source": pa.array([], pa.string()),
                "load_id": pa.array([], pa.int32()),
                "locator": pa.array([], pa.string()),
            }
        ),
        "claims": pa.table({"node": pa.array([], pa.int32())}),
    }
    return GraphView(tables, as_of)
