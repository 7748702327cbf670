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
search stops at ``max_depth`` hops. Among equally short paths the one with the smallest sequence
of canonical ids comes first, so both engines give the same paths whatever their node numbers.
When two entities are joined by several edges (kinds, directions), a hop shows one: ``shares``
before other kinds (in the order of ``OWNERSHIP_KINDS``), ``down`` before ``up``, the larger
share first.

This module finds and explains paths; look-through stakes along them are
:mod:`ownergraph.queries.ownership`.
"""

from __future__ import annotations

import heapq
import itertools
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from ownergraph.errors import InputError
from ownergraph.graph.model import OWNERSHIP_KINDS
from ownergraph.graph.view import GraphView
from ownergraph.queries.rows import Row, Rows, share_fields

__all__ = ["PathEdge", "PathRow", "Steps", "csr_steps", "paths", "paths_between"]

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
class Steps(Protocol):
    """One hop of a search, forward (owner → owned, or either way) and backward, over a frontier.

    The in-memory engine expands its CSR arrays (:class:`_CsrSteps`); the Neo4j engine answers
    the same calls with one Cypher query each, so the searches below are shared.
    """

    @property
    def n(self) -> int:
        """Node count (the size of the search's arrays)."""
        ...

    def forward(self, frontier: IntArray) -> tuple[IntArray, IntArray]:
        """Neighbours one hop forward of every frontier node and, aligned, the node they came from."""
        ...

    def backward(self, frontier: IntArray) -> tuple[IntArray, IntArray]:
        """The same one hop backward (from owned to owner; either way when undirected)."""
        ...

    def weight(self, frontier: IntArray, forward: bool) -> int:
        """The work of expanding ``frontier`` (to grow the cheaper side first)."""
        ...


@dataclass(frozen=True)
class _CsrSteps:
    adj: _Adjacency
    directed: bool

    @property
    def n(self) -> int:
        return self.adj.n

    def _side(self, forward: bool) -> tuple[IntArray, IntArray]:
        a = self.adj
        if not self.directed:
            return a.und_ptr, a.und_nbr
        return (a.out_ptr, a.out_nbr) if forward else (a.in_ptr, a.in_nbr)

    def forward(self, frontier: IntArray) -> tuple[IntArray, IntArray]:
        return _expand(*self._side(True), frontier)

    def backward(self, frontier: IntArray) -> tuple[IntArray, IntArray]:
        return _expand(*self._side(False), frontier)

    def weight(self, frontier: IntArray, forward: bool) -> int:
        return _weight(self._side(forward)[0], frontier)


def csr_steps(view: GraphView, kinds: frozenset[int] | None, directed: bool) -> Steps:
    """The in-memory engine's :class:`Steps`: CSR expansions over the edges of ``kinds``."""
    return _CsrSteps(_adjacency(view, kinds), directed)


def _bidirectional(
    steps: Steps,
    ids: Callable[[int], str],
    s: int,
    t: int,
    max_len: int,
    banned: IntArray | None = None,
    banned_next: IntArray | None = None,
) -> list[int] | None:
    """The first shortest path ``s → t`` of at most ``max_len`` hops avoiding ``banned`` nodes and
    the hops ``s — x`` for ``x`` in ``banned_next``, among all such paths the one whose sequence of
    canonical ids (``ids``) is smallest; ``None`` when there is none.

    Level-synchronous: each round grows the side whose frontier has less work by one hop. The
    first round in which a side reaches nodes the other side has seen finds the distance ``d``
    and *every* node at distance ``df`` from ``s`` and ``db = d - df`` from ``t`` (the meeting
    set), so :func:`_canonical` can pick the smallest path by id without depending on node
    numbers or on which side grew (both engines give the same path).
    """
    if s == t:
        return [s]
    if max_len < 1:
        return None
    # BFS level + 1 (0 = unseen): calloc'd arrays touch only the pages the search visits
    dist_f = np.zeros(steps.n, dtype=np.int64)
    dist_b = np.zeros(steps.n, dtype=np.int64)
    dist_f[s] = 1
    dist_b[t] = 1
    block: npt.NDArray[np.bool_] | None = None
    if banned is not None and banned.size:
        block = np.zeros(steps.n, dtype=bool)
        block[banned] = True
    nexts = banned_next if banned_next is not None and banned_next.size else None
    levels_f = [np.array([s], dtype=np.int64)]
    levels_b = [np.array([t], dtype=np.int64)]
    wf, wb = steps.weight(levels_f[0], True), steps.weight(levels_b[0], False)
    while wf and wb and len(levels_f) + len(levels_b) - 2 < max_len:
        forward = wf <= wb
        if forward:
            nb, par = steps.forward(levels_f[-1])
            mine, other, levels = dist_f, dist_b, levels_f
        else:
            nb, par = steps.backward(levels_b[-1])
            mine, other, levels = dist_b, dist_f, levels_b
        keep = mine[nb] == 0
        if block is not None:
            keep &= ~block[nb]
        if nexts is not None:
            if forward and len(levels) == 1:  # hops out of s
                keep &= ~np.isin(nb, nexts)
            elif not forward:
                at_s = nb == s
                if at_s.any():
                    keep &= ~(at_s & np.isin(par, nexts))
        new = np.unique(nb[keep])
        mine[new] = len(levels) + 1
        levels.append(new)
        met = new[other[new] != 0]
        if met.size:
            return _canonical(steps, ids, s, levels_f, levels_b, dist_f, dist_b, met, nexts)
        if forward:
            wf = steps.weight(new, True) if new.size else 0
        else:
            wb = steps.weight(new, False) if new.size else 0
    return None


def _smallest(ids: Callable[[int], str], nodes: IntArray) -> int:
    best: int = min(np.unique(nodes).tolist(), key=ids)
    return best


def _canonical(
    steps: Steps,
    ids: Callable[[int], str],
    s: int,
    levels_f: list[IntArray],
    levels_b: list[IntArray],
    dist_f: IntArray,
    dist_b: IntArray,
    meet: IntArray,
    nexts: IntArray | None,
) -> list[int]:
    """The shortest path by smallest sequence of ids through the meeting set ``meet``.

    ``on[i]`` are the nodes at forward level ``i`` that lead to ``meet`` in ``df - i`` hops
    (found backward from ``meet``); the path then takes, hop by hop, the smallest id among the
    next nodes that stay on a shortest path (``on[i]`` forward, then one backward level less).
    """
    df, db = len(levels_f) - 1, len(levels_b) - 1
    on: list[IntArray] = [meet]
    for i in range(df - 1, 0, -1):
        nb, _ = steps.backward(on[-1])
        on.append(np.unique(nb[dist_f[nb] == i + 1]))
    on.reverse()  # on[i - 1]: level i of the forward side, i = 1..df
    path = [s]
    for i in range(1, df + db + 1):
        nb, _ = steps.forward(np.array([path[-1]], dtype=np.int64))
        if i <= df:
            ok = np.isin(nb, on[i - 1])
        else:
            ok = dist_b[nb] == df + db - i + 1
        if i == 1 and nexts is not None:
            ok &= ~np.isin(nb, nexts)
        path.append(_smallest(ids, nb[ok]))
    return path


def _k_shortest(
    steps: Steps, ids: Callable[[int], str], s: int, t: int, k: int, max_len: int
) -> list[list[int]]:
    """Yen's k shortest loopless paths, each spur path a bounded bidirectional BFS.

    Paths are ordered by length, then by their sequence of canonical ids; every spur search
    returns the smallest spur in that order, so Yen's algorithm returns the first ``k`` paths in
    it: the answer depends on the graph only, not on node numbering. Two standard savings: a path
    found from spur index ``i`` only spawns spurs from ``i`` on (Lawler), and a spur search is
    bounded by the length of the candidate that would be the last one needed, since a longer
    one could never be returned.
    """
    first = _bidirectional(steps, ids, s, t, max_len)
    if first is None:
        return []
    found = [first]
    deviation = [0]
    if s == t:
        return found
    heap: list[tuple[int, tuple[str, ...], int, list[int]]] = []
    queued: set[tuple[int, ...]] = {tuple(first)}
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
                steps,
                ids,
                spur,
                t,
                bound - i,
                banned=np.asarray(root[:-1], dtype=np.int64),
                banned_next=np.fromiter(nexts, dtype=np.int64, count=len(nexts)),
            )
            if tail is None:
                continue
            cand = root[:-1] + tail
            key = tuple(cand)
            if key not in queued:
                queued.add(key)
                heapq.heappush(heap, (len(cand) - 1, tuple(ids(x) for x in cand), i, cand))
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
        raise InputError("fewer than one path asked", field="k", value=k, fix="pass 1 or more")
    if max_depth < 0:
        raise InputError("negative depth", field="max_depth", value=max_depth, fix="pass 0 or more")
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
        raise InputError("fewer than one path asked", field="k", value=k, fix="pass 1 or more")
    codes = _kind_codes(kinds)
    found = _k_shortest(view.steps(codes, directed), view.id, int(s), int(t), k, max_depth)
    # the hops are explained from the edges at the paths' nodes (the whole view in memory)
    sub = view.around({x for nodes in found for x in nodes})
    adj = _adjacency(sub, codes)
    rows: list[PathRow] = []
    for rank, nodes in enumerate(found, start=1):
        hops = [_hop(sub, adj, u, v, directed) for u, v in itertools.pairwise(nodes)]
        rows.append(PathRow(rank=rank, length=len(nodes) - 1, path=[view.id(x) for x in nodes], edges=hops))
    return Rows(rows)
