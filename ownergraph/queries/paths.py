"""The k shortest ownership/control paths between two entities (SPEC §7 ``path``).

A path is a sequence of distinct entities joined by active ownership/control edges, counted in
hops. By default hops may follow an edge either way — two subsidiaries meet at their common
parent — and each hop says which way it went: ``down`` (from owner to owned) or ``up`` (from
owned to owner). ``directed=True`` follows owner → owned only.

Paths are found with BFS semantics, never by enumerating simple paths (which ran 40–51 s from a
hub at 1M nodes, ``docs/algorithms.md`` §0): the first path by a level-synchronous
*bidirectional* BFS that always grows the side with the smaller frontier, vectorised over the
CSR arrays of the :class:`~ownergraph.graph.view.GraphView`; further paths by Yen's k-shortest
loopless paths algorithm, whose spur searches are the same bounded bidirectional BFS. Every
search stops at ``max_depth`` hops. Among equally short paths the choice is deterministic but
arbitrary. When two entities are joined by several edges (kinds, directions), a hop shows one:
``shares`` before other kinds (in the order of ``OWNERSHIP_KINDS``), ``down`` before ``up``, the
larger share first.

This module finds and explains paths; look-through stakes along them are
:mod:`ownergraph.queries.ownership`.
"""

from __future__ import annotations

import heapq
import itertools
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ownergraph.errors import InputError
from ownergraph.graph.model import OWNERSHIP_KINDS
from ownergraph.graph.view import GraphView
from ownergraph.queries.rows import Row, Rows, share_fields

__all__ = ["PathEdge", "PathRow", "paths", "paths_between"]

IntArray = npt.NDArray[np.int64]


class PathEdge(Row):
    """One hop of a path: the edge it uses and the way it was walked."""

    owner_id: str
    owned_id: str
    direction: Literal["down", "up"]
    kind: str
    share_min: float | None
    share_max: float | None
    share: str
    source: str | None = None


class PathRow(Row):
    """One path: ``path`` lists canonical ids from the first entity to the second."""

    rank: int
    length: int
    path: list[str]
    edges: list[PathEdge]


# -- adjacency -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Adjacency:
    """CSR adjacency over the allowed edges: out (owner → owned), in (owned ← owner) and both
    merged (``und``: a node's out-neighbours, then its in-neighbours) for undirected searches."""

    n: int
    out_ptr: IntArray
    out_nbr: IntArray
    out_eid: IntArray
    in_ptr: IntArray
    in_nbr: IntArray
    in_eid: IntArray
    und_ptr: IntArray
    und_nbr: IntArray


_ADJ: weakref.WeakKeyDictionary[GraphView, dict[frozenset[int] | None, _Adjacency]] = (
    weakref.WeakKeyDictionary()
)


def _adjacency(view: GraphView, kinds: frozenset[int] | None) -> _Adjacency:
    per_view = _ADJ.setdefault(view, {})
    adj = per_view.get(kinds)
    if adj is not None:
        return adj
    n = view.n
    out_eid = np.asarray(view.out_edges, dtype=np.int64)
    in_eid = np.asarray(view.in_edges, dtype=np.int64)
    if kinds is None:
        out_ptr, in_ptr = np.asarray(view.out_ptr, np.int64), np.asarray(view.in_ptr, np.int64)
    else:
        keep = np.isin(view.kind, np.fromiter(kinds, dtype=view.kind.dtype))
        out_eid, in_eid = out_eid[keep[out_eid]], in_eid[keep[in_eid]]
        out_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(view.src[out_eid], minlength=n), out=out_ptr[1:])
        in_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(view.dst[in_eid], minlength=n), out=in_ptr[1:])
    out_nbr = np.asarray(view.dst[out_eid], dtype=np.int64)
    in_nbr = np.asarray(view.src[in_eid], dtype=np.int64)
    # merged CSR without sorting: node u's slots are its out-neighbours, then its in-neighbours
    und_ptr = out_ptr + in_ptr
    out_deg, in_deg = np.diff(out_ptr), np.diff(in_ptr)
    und_nbr = np.empty(len(out_nbr) + len(in_nbr), dtype=np.int64)
    owner = np.repeat(np.arange(n, dtype=np.int64), out_deg)
    und_nbr[und_ptr[owner] + np.arange(len(out_nbr)) - out_ptr[owner]] = out_nbr
    owned = np.repeat(np.arange(n, dtype=np.int64), in_deg)
    und_nbr[und_ptr[owned] + out_deg[owned] + np.arange(len(in_nbr)) - in_ptr[owned]] = in_nbr
    adj = _Adjacency(
        n=n,
        out_ptr=out_ptr,
        out_nbr=out_nbr,
        out_eid=out_eid,
        in_ptr=in_ptr,
        in_nbr=in_nbr,
        in_eid=in_eid,
        und_ptr=und_ptr,
        und_nbr=und_nbr,
    )
    per_view[kinds] = adj
    return adj


def _expand(ptr: IntArray, nbr: IntArray, frontier: IntArray) -> tuple[IntArray, IntArray]:
    """Neighbours of every frontier node and, aligned, the frontier node they came from."""
    starts = ptr[frontier]
    counts = ptr[frontier + 1] - starts
    total = int(counts.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if len(frontier) == 1:
        start = int(starts[0])
        return nbr[start : start + total], np.full(total, frontier[0], dtype=np.int64)
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total, dtype=np.int64)
    return nbr[offsets], np.repeat(frontier, counts)


def _weight(ptr: IntArray, frontier: IntArray) -> int:
    return int((ptr[frontier + 1] - ptr[frontier]).sum())


# -- bidirectional BFS ---------------------------------------------------------------------------
def _bidirectional(
    adj: _Adjacency,
    s: int,
    t: int,
    max_len: int,
    directed: bool,
    banned: IntArray | None = None,
    banned_next: IntArray | None = None,
) -> list[int] | None:
    """A shortest path ``s → t`` of at most ``max_len`` hops avoiding ``banned`` nodes and the hops
    ``s — x`` for ``x`` in ``banned_next``; ``None`` when there is none.

    Level-synchronous: each round grows the side whose frontier has fewer edges to scan by one
    hop. The first round in which a side reaches a node the other side has seen closes a
    shortest path (no node was seen by both before, so none is shorter).
    """
    if s == t:
        return [s]
    if max_len < 1:
        return None
    if directed:
        (ptr_f, nbr_f), (ptr_b, nbr_b) = (adj.out_ptr, adj.out_nbr), (adj.in_ptr, adj.in_nbr)
    else:
        ptr_f = ptr_b = adj.und_ptr
        nbr_f = nbr_b = adj.und_nbr
    # predecessor + 1 (0 = unseen): calloc'd arrays touch only the pages the search visits
    pred_f = np.zeros(adj.n, dtype=np.int64)
    pred_b = np.zeros(adj.n, dtype=np.int64)
    pred_f[s] = s + 1
    pred_b[t] = t + 1
    block: npt.NDArray[np.bool_] | None = None
    if banned is not None and banned.size:
        block = np.zeros(adj.n, dtype=bool)
        block[banned] = True
    nexts = banned_next if banned_next is not None and banned_next.size else None
    front_f = np.array([s], dtype=np.int64)
    front_b = np.array([t], dtype=np.int64)
    wf, wb = _weight(ptr_f, front_f), _weight(ptr_b, front_b)
    depth = 0  # hops covered by both sides together
    while wf and wb and depth < max_len:
        forward = wf <= wb
        if forward:
            nb, par = _expand(ptr_f, nbr_f, front_f)
            mine, other = pred_f, pred_b
        else:
            nb, par = _expand(ptr_b, nbr_b, front_b)
            mine, other = pred_b, pred_f
        keep = mine[nb] == 0
        if block is not None:
            keep &= ~block[nb]
        if nexts is not None:
            if forward and front_f.size == 1 and int(front_f[0]) == s:  # hops out of s
                keep &= ~np.isin(nb, nexts)
            elif not forward:
                at_s = nb == s
                if at_s.any():
                    keep &= ~(at_s & np.isin(par, nexts))
        nb, par = nb[keep], par[keep]
        new, first = np.unique(nb, return_index=True)
        mine[new] = par[first] + 1
        depth += 1
        met = new[other[new] != 0]
        if met.size:
            return _join(pred_f, pred_b, int(met[0]))
        if forward:
            front_f, wf = new, _weight(ptr_f, new)
        else:
            front_b, wb = new, _weight(ptr_b, new)
    return None


def _join(pred_f: IntArray, pred_b: IntArray, meet: int) -> list[int]:
    head = [meet]
    while (p := int(pred_f[head[-1]]) - 1) != head[-1]:
        head.append(p)
    head.reverse()
    node = meet
    while (p := int(pred_b[node]) - 1) != node:
        head.append(p)
        node = p
    return head


def _k_shortest(adj: _Adjacency, s: int, t: int, k: int, max_len: int, directed: bool) -> list[list[int]]:
    """Yen's k shortest loopless paths, each spur path a bounded bidirectional BFS.

    Two standard savings: a path found from spur index ``i`` only spawns spurs from ``i`` on
    (Lawler), and a spur search is bounded by the length of the candidate that would be the
    last one needed, since a longer one could never be returned.
    """
    first = _bidirectional(adj, s, t, max_len, directed)
    if first is None:
        return []
    found = [first]
    deviation = [0]
    if s == t:
        return found
    heap: list[tuple[int, int, int, list[int]]] = []
    queued: set[tuple[int, ...]] = {tuple(first)}
    counter = 0
    while len(found) < k:
        prev, start = found[-1], deviation[-1]
        need = k - len(found)
        for i in range(start, len(prev) - 1):
            bound = max_len
            if len(heap) >= need:
                bound = min(bound, heapq.nsmallest(need, heap)[-1][0])
            if i + 1 > bound:
                break
            root = prev[: i + 1]
            spur = root[-1]
            nexts = {p[i + 1] for p in found if len(p) > i + 1 and p[: i + 1] == root}
            tail = _bidirectional(
                adj,
                spur,
                t,
                bound - i,
                directed,
                banned=np.asarray(root[:-1], dtype=np.int64),
                banned_next=np.fromiter(nexts, dtype=np.int64, count=len(nexts)),
            )
            if tail is None:
                continue
            cand = root[:-1] + tail
            key = tuple(cand)
            if key not in queued:
                queued.add(key)
                counter += 1
                heapq.heappush(heap, (len(cand) - 1, counter, i, cand))
        if not heap:
            break
        _, _, dev, path = heapq.heappop(heap)
        found.append(path)
        deviation.append(dev)
    return found


# -- explanation ---------------------------------------------------------------------------------
def _hop(view: GraphView, adj: _Adjacency, u: int, v: int, directed: bool) -> PathEdge:
    lo, hi = adj.out_ptr[u], adj.out_ptr[u + 1]
    cands = [(e, "down") for e in adj.out_eid[lo:hi][adj.out_nbr[lo:hi] == v].tolist()]
    if not directed:
        lo, hi = adj.in_ptr[u], adj.in_ptr[u + 1]
        cands += [(e, "up") for e in adj.in_eid[lo:hi][adj.in_nbr[lo:hi] == v].tolist()]
    e, way = min(cands, key=lambda c: (int(view.kind[c[0]]), c[1] != "down", -int(view.hi[c[0]]), c[0]))
    info = view.edge(e)
    return PathEdge(
        owner_id=info.owner_id,
        owned_id=info.owned_id,
        direction="down" if way == "down" else "up",
        kind=info.kind,
        source=info.source,
        **share_fields(info.share),
    )


def _kind_codes(kinds: Iterable[str] | None) -> frozenset[int] | None:
    if kinds is None:
        return None
    wanted = [kinds] if isinstance(kinds, str) else list(kinds)
    bad = [k for k in wanted if k not in OWNERSHIP_KINDS]
    if bad:
        raise InputError(
            "unknown edge kind",
            field="kinds",
            value=", ".join(bad),
            fix="use " + ", ".join(OWNERSHIP_KINDS),
        )
    codes = frozenset(OWNERSHIP_KINDS.index(k) for k in wanted)
    return None if len(codes) == len(OWNERSHIP_KINDS) else codes


def paths(
    view: GraphView,
    a: str,
    b: str,
    *,
    k: int = 1,
    directed: bool = False,
    max_depth: int = 12,
    kinds: Iterable[str] | None = None,
) -> Rows[PathRow]:
    """The k shortest ownership/control paths between two entities, by hops.

    Parameters
    ----------
    view : GraphView
        The graph as of a date (only edges active on that date exist in it).
    a, b : str
        Any id or ``scheme:value`` identifier of the two entities.
    k : int
        How many paths, shortest first (fewer when fewer exist within ``max_depth``).
    directed : bool
        False (the default): hops may follow an edge either way, each labelled ``down`` (owner →
        owned) or ``up``. True: owner → owned only, from ``a`` down to ``b``.
    max_depth : int
        Longest path considered, in hops.
    kinds : iterable of str, optional
        Edge kinds to walk (``shares``, ``votes``, ``board``, ``control``, ``consolidation``);
        all by default.

    Returns
    -------
    Rows[PathRow]
        ``rank`` (1 = shortest), ``length`` (hops), ``path`` (canonical ids from ``a`` to ``b``)
        and ``edges`` (one :class:`PathEdge` per hop with its direction and source). Empty when
        no path of at most ``max_depth`` hops exists. For ``a == b`` the single path ``[a]``.

    Raises
    ------
    NotFoundError
        No entity answers to ``a`` or ``b``.
    InputError
        An unknown edge kind.

    Examples
    --------
    >>> import importlib.resources, tempfile, ownergraph
    >>> ws = ownergraph.open(tempfile.mkdtemp())
    >>> _ = ws.load([importlib.resources.files("ownergraph.data") / "sensetime"])
    >>> view = ws.graph(as_of="2024-01-01")
    >>> row = paths(view, "qualcomm", "shenzhen-sensetime", directed=True)[0]
    >>> row.length, row.path
    (3, ['qualcomm', 'sensetime-group-inc', 'sensetime-group-ltd', 'shenzhen-sensetime'])
    >>> [(h.direction, h.share) for h in paths(view, "shenzhen-sensetime", "beijing-sensetime")[0].edges]
    [('up', '100'), ('up', 'unknown'), ('down', 'unknown')]
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k!r}")
    if max_depth < 0:
        raise ValueError(f"max_depth must not be negative, not {max_depth!r}")
    return paths_between(
        view, view.index(a), view.index(b), k=k, directed=directed, max_depth=max_depth, kinds=kinds
    )


def paths_between(
    view: GraphView,
    s: int,
    t: int,
    *,
    k: int = 1,
    directed: bool = False,
    max_depth: int = 12,
    kinds: Iterable[str] | None = None,
) -> Rows[PathRow]:
    """:func:`paths` between two node numbers (ids already resolved with ``view.index``).

    Examples
    --------
    >>> from ownergraph.queries.reference_paths import view_from_arrays
    >>> view = view_from_arrays(["P", "A", "B"], [0, 0], [1, 2], [600_000, 400_000])
    >>> paths_between(view, 1, 2)[0].path
    ['A', 'P', 'B']
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k!r}")
    adj = _adjacency(view, _kind_codes(kinds))
    found = _k_shortest(adj, int(s), int(t), k, max_depth, directed)
    rows: list[PathRow] = []
    for rank, nodes in enumerate(found, start=1):
        hops = [_hop(view, adj, u, v, directed) for u, v in itertools.pairwise(nodes)]
        rows.append(PathRow(rank=rank, length=len(nodes) - 1, path=[view.id(x) for x in nodes], edges=hops))
    return Rows(rows)
