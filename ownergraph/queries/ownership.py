"""Owners and holdings of an entity, direct or look-through (integrated ownership).

``ownership(view, id)`` lists the direct owners (``direction="up"``) or holdings (``"down"``) of
an entity: one row per active edge of any kind, with its share interval and source.

``ownership(view, id, look_through=True)`` is the *economic* measure of ``docs/algorithms.md``
§2.1: stakes multiply along ownership chains and add over parallel paths, so an owner of 60% of
A, which owns 70% of B, holds 42% of B through A. It never decides a legal status (SPEC §6:
OFAC FAQ 401 blocks on aggregate direct stakes, not on multiplied ones), and every look-through
row says so in its ``measure`` field. Only ``shares`` edges count; votes, board seats, control
and consolidation are not economic stakes.

How it is computed:

* the query runs on the BFS cone of the entity (its upstream owners for ``up``, its downstream
  holdings for ``down``) — nothing else can carry a stake to or from it;
* ``T = A + A² + …`` (``A[i, j]`` = share of ``j`` held by ``i``) is summed by a truncated
  Neumann series of sparse matrix–vector products on that cone (exact after as many terms as the
  longest chain on a DAG; geometric inside cycles);
* inside cycles a walk can come back to its owner and count twice, so each stake is the
  *first-passage* stake ``T[i, j] / (1 + T[i, i])`` (§2.1.2 item 3), with ``1 + T[i, i]`` taken
  from a small dense solve on ``i``'s strongly connected component; the uncorrected walk sum is
  reported as ``raw``;
* shares that are intervals give an interval stake: ``share_min`` from the lower bounds (an
  unknown share counts as 0), ``share_max`` from the upper bounds (an unknown share counts as
  100% *capped* so that, with the other owners of the same company at their lower bounds, the
  company is at most 100% owned), and ``value``, the point estimate, from exact shares and the
  midpoints of bands (capped the same way) — unknown shares are left out of it. Rows say so in
  ``note``;
* a closed loop with no leakage (a strongly connected component whose internal shares sum to
  100% for every member, e.g. A owns 100% of B and B owns 100% of A) makes ``I - A`` singular:
  when such a loop lies on a walk to (``up``) or from (``down``) the entity, it is a data error and
  raises :class:`ClosedLoopError` naming the entities. When only the upper bounds loop (cycles of
  unknown shares), the upper bound of every entity with a walk through the loop is unbounded and
  its ``share_max`` is 100.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu, spsolve

from ownergraph.errors import InputError
from ownergraph.graph.model import OWNERSHIP_KINDS
from ownergraph.graph.shares import PPM, format_ppm
from ownergraph.graph.view import GraphView
from ownergraph.queries.rows import Row, Rows, share_fields

__all__ = ["LOOK_THROUGH_MEASURE", "ClosedLoopError", "OwnershipRow", "ownership"]

LOOK_THROUGH_MEASURE = "integrated (look-through) ownership — economic, not a legal status (OFAC FAQ 401)"
"""The ``measure`` label of every look-through row."""
DIRECT_MEASURE = "direct"

Direction = Literal["up", "down"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_SHARES = OWNERSHIP_KINDS.index("shares")
_UNKNOWN_FLAG = 4
_EPS = 1e-12
_RHO_DIVERGENT = 1.0 - 1e-9
_EIG_LIMIT = 600
"""Largest non-leaky component whose spectral radius is computed exactly; larger ones are
treated as divergent (conservative)."""
_DENSE_LIMIT = 3000
"""Largest strongly connected component whose diagonal of ``(I - A)^-1`` is taken from a dense
inverse; larger components use a sparse LU."""
_TOL = 1e-15
_MAX_ITER = 5000

_NOTE_INTERVAL = (
    "interval from banded or unknown shares: share_min counts unknown shares as 0, share_max as up to "
    "100% (capped by the other owners' known stakes); value uses exact shares and band midpoints and "
    "leaves unknown shares out"
)
_NOTE_OVER = (
    "value above 100%: the shares held in some company on the way add up to more than 100% (a data "
    "error: overlapping sources?); share_max stays at 100"
)
_NOTE_UNBOUNDED = "share_max unbounded by the data (a cycle of unknown or over-100% shares): shown as 100"


class ClosedLoopError(InputError):
    """A closed ownership loop (no outside owners) makes look-through ownership undefined."""


class OwnershipRow(Row):
    """One owner (``up``) or holding (``down``) of the queried entity.

    Direct rows are edges: ``depth`` 1, ``kind`` and ``source`` of the edge, ``measure``
    ``"direct"``. Look-through rows are integrated stakes: ``share_min``/``share_max`` bound the
    first-passage stake in percent, ``value`` is the point estimate, ``raw`` the uncorrected walk
    sum (differs only inside cycles; null when the walk sum diverges), ``depth`` the shortest hop
    distance over ``shares`` edges, ``kind`` ``"shares"``, ``source`` null, ``measure``
    :data:`LOOK_THROUGH_MEASURE`.
    """

    owner_id: str
    owned_id: str
    owner_name: str
    owned_name: str
    share_min: float | None
    share_max: float | None
    share: str
    kind: str
    depth: int
    source: str | None = None
    measure: str = DIRECT_MEASURE
    value: float | None = None
    raw: float | None = None
    note: str | None = None


# -- per-view caches ---------------------------------------------------------------------------------
_SHARE_MASK: weakref.WeakKeyDictionary[GraphView, BoolArray] = weakref.WeakKeyDictionary()


def _share_mask(view: GraphView) -> BoolArray:
    mask = _SHARE_MASK.get(view)
    if mask is None:
        mask = np.asarray(view.kind == _SHARES, dtype=bool)
        _SHARE_MASK[view] = mask
    return mask


def _gather(ptr: IntArray, items: IntArray, nodes: IntArray) -> IntArray:
    """Concatenate ``items[ptr[v]:ptr[v+1]]`` for every ``v`` in ``nodes`` (vectorised CSR gather)."""
    starts = ptr[nodes]
    counts = ptr[nodes + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total, dtype=np.int64)
    return np.asarray(items[offsets], dtype=np.int64)


def _cone(view: GraphView, q: int, direction: Direction, keep: BoolArray) -> tuple[IntArray, IntArray]:
    """Nodes of the BFS cone of ``q`` over ``keep`` edges and their hop distance (``q`` first)."""
    if direction == "up":
        ptr, items, other = view.in_ptr, view.in_edges, view.src
    else:
        ptr, items, other = view.out_ptr, view.out_edges, view.dst
    seen = np.zeros(view.n, dtype=bool)
    seen[q] = True
    frontier = np.array([q], dtype=np.int64)
    levels = [frontier]
    while frontier.size:
        edges = _gather(ptr, items, frontier)
        edges = edges[keep[edges]]
        nbrs = np.asarray(other[edges], dtype=np.int64)
        nbrs = np.unique(nbrs[~seen[nbrs]])
        seen[nbrs] = True
        if nbrs.size:
            levels.append(nbrs)
        frontier = nbrs
    nodes = np.concatenate(levels)
    depth = np.concatenate([np.full(len(lv), d, dtype=np.int64) for d, lv in enumerate(levels)])
    return nodes, depth


# -- the linear algebra ------------------------------------------------------------------------------
@dataclass
class _Stakes:
    first: FloatArray
    """First-passage stakes (fractions) per local node; ``inf`` where unbounded."""
    raw: FloatArray
    """Uncorrected walk sums; ``inf`` where they diverge."""


def _components(a: sp.csr_matrix) -> tuple[int, IntArray]:
    ncomp, labels = connected_components(a, directed=True, connection="strong")
    return int(ncomp), np.asarray(labels, dtype=np.int64)


def _blocks(a: sp.csr_matrix, labels: IntArray, comps: IntArray) -> dict[int, sp.csr_matrix]:
    """The diagonal blocks ``A[K, K]`` of the components ``comps``, in one pass over ``a``.

    Block rows and columns follow the members' order in ``np.flatnonzero(labels == c)``.
    """
    coo = a.tocoo()
    rows, cols = np.asarray(coo.row, dtype=np.int64), np.asarray(coo.col, dtype=np.int64)
    wanted = np.zeros(int(labels.max()) + 1, dtype=bool)
    wanted[comps] = True
    inside = (labels[rows] == labels[cols]) & wanted[labels[rows]]
    rows, cols, vals = rows[inside], cols[inside], np.asarray(coo.data)[inside]
    # position of each node within its component (members in increasing node order)
    order = np.argsort(labels, kind="stable")
    sizes = np.bincount(labels, minlength=len(wanted))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels)) - starts[labels[order]]
    comp = labels[rows]
    by = np.argsort(comp, kind="stable")
    rows, cols, vals, comp = rows[by], cols[by], vals[by], comp[by]
    cuts = np.searchsorted(comp, comps, side="left"), np.searchsorted(comp, comps, side="right")
    out: dict[int, sp.csr_matrix] = {}
    for c, lo, hi in zip(comps.tolist(), cuts[0].tolist(), cuts[1].tolist(), strict=True):
        k = int(sizes[c])
        out[c] = sp.csr_matrix((vals[lo:hi], (rank[rows[lo:hi]], rank[cols[lo:hi]])), shape=(k, k))
    return out


def _divergent(sub: sp.csr_matrix) -> bool:
    """Whether the walk sums inside one strongly connected component diverge (ρ ≥ 1)."""
    col = np.asarray(sub.sum(axis=0)).ravel()
    if col.max() <= 1.0 + _EPS and col.min() < 1.0 - _EPS:
        return False  # irreducible, substochastic and leaking somewhere: ρ < 1
    if sub.shape[0] > _EIG_LIMIT:
        return True
    rho = float(np.max(np.abs(np.linalg.eigvals(sub.toarray()))))
    return rho >= _RHO_DIVERGENT


def _reaching(m: sp.csr_matrix, targets: BoolArray) -> BoolArray:
    """Nodes with a walk (in ``m``'s graph, ``i → k`` when ``m[i, k] > 0``) into ``targets``."""
    mask = targets.copy()
    pattern = m.copy()
    pattern.data = np.ones_like(pattern.data)
    while True:
        grown = mask | (pattern @ mask.astype(np.float64) > 0)
        if np.array_equal(grown, mask):
            return mask
        mask = grown


def _neumann(m: sp.csr_matrix, q: int) -> FloatArray:
    """``Σ_{t≥1} (m^t)[:, q]`` by a truncated Neumann series (exact solve if it converges slowly)."""
    term = np.asarray(m[:, [q]].toarray()).ravel()
    total = term.copy()
    for _ in range(_MAX_ITER):
        term = m @ term
        peak = float(term.max()) if term.size else 0.0
        if peak == 0.0:
            return total
        total += term
        if peak <= _TOL * max(1.0, float(total.max())):
            return total
    # ρ very close to 1: solve (I - m) y = m e_q exactly instead
    rhs = np.asarray(m[:, [q]].toarray()).ravel()
    ident = sp.identity(m.shape[0], format="csc")
    return np.asarray(spsolve((ident - m).tocsc(), rhs), dtype=np.float64)


def _diag_inverse(sub: sp.csr_matrix, want: IntArray) -> FloatArray:
    """``[(I - A_KK)^-1]_ii`` for the ``want`` positions of the component block ``sub``."""
    k = sub.shape[0]
    if k <= _DENSE_LIMIT:
        inv = np.linalg.inv(np.eye(k) - sub.toarray())
        return np.asarray(np.diag(inv)[want], dtype=np.float64)
    lu = splu((sp.identity(k, format="csc") - sub).tocsc())
    out = np.empty(len(want))
    for start in range(0, len(want), 256):
        block = want[start : start + 256]
        rhs = np.zeros((k, len(block)))
        rhs[block, np.arange(len(block))] = 1.0
        sol = lu.solve(rhs)
        out[start : start + len(block)] = sol[block, np.arange(len(block))]
    return out


def _stakes(
    a: sp.csr_matrix, q: int, direction: Direction, *, strict: bool, label: Callable[[int], str]
) -> _Stakes:
    """First-passage and raw stakes between local node ``q`` and every node of its cone.

    ``a`` is the cone's share matrix (row = owner). For ``up`` the column ``T[:, q]``, for
    ``down`` the row ``T[q, :]``. ``strict`` raises :class:`ClosedLoopError` on divergence
    instead of marking the affected stakes unbounded.
    """
    size = a.shape[0]
    m = a if direction == "up" else a.T.tocsr()
    ncomp, labels = _components(a)
    counts = np.bincount(labels, minlength=ncomp)
    big = np.flatnonzero(counts > 1)
    loops: list[IntArray] = []
    blocked = np.zeros(size, dtype=bool)
    comps: list[tuple[IntArray, sp.csr_matrix]] = []
    if big.size:
        order = np.argsort(labels, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(counts)))
        blocks = _blocks(a, labels, big)
        for c in big.tolist():
            members = order[bounds[c] : bounds[c + 1]]
            if _divergent(blocks[c]):
                loops.append(members)
                blocked[members] = True
            else:
                comps.append((members, blocks[c]))
    if loops:
        # only components with a positive-weight walk on to q matter (all members or none)
        onto_q = np.zeros(size, dtype=bool)
        onto_q[q] = True
        onto_q = _reaching(m, onto_q)
        loops = [members for members in loops if onto_q[members[0]]]
        blocked &= onto_q
    if loops and strict:
        worst = max(loops, key=len)
        shown = ", ".join(label(i) for i in worst[:10].tolist()) + (" …" if len(worst) > 10 else "")
        raise ClosedLoopError(
            f"closed ownership loop: {shown} hold {'one another' if len(worst) > 1 else 'itself'} "
            "with no stake left to outside owners (shares within the loop sum to 100% or more), so "
            "look-through ownership is undefined",
            fix="a data error: check these edges with `ownership ID` (without --look-through) and "
            "correct or end one of them",
        )
    # walk sums diverge exactly for the nodes with a walk into such a component (q included)
    affected = _reaching(m, blocked) if loops else blocked
    if affected.any():
        keep = (~affected).astype(np.float64)
        m = sp.diags(keep) @ m @ sp.diags(keep)
        m = m.tocsr()
        m.eliminate_zeros()
    raw = _neumann(m, q)
    raw[affected] = np.inf
    first = raw.copy()
    if direction == "down":
        if np.isfinite(raw[q]):  # else q's own cycles diverge: raw stays (inf where reached)
            first = raw / (1.0 + raw[q])
    else:
        for members, block in comps:
            pos = np.flatnonzero(~affected[members])
            if pos.size:
                ok = members[pos]
                first[ok] = raw[ok] / _diag_inverse(block, pos)
    return _Stakes(first=first, raw=raw)


# -- the query -----------------------------------------------------------------------------------------
def ownership(
    view: GraphView,
    id: str,
    *,
    direction: Direction = "up",
    look_through: bool = False,
    min_share: float = 0.0,
    max_depth: int | None = None,
) -> Rows[OwnershipRow]:
    """Owners or holdings of an entity, direct or look-through.

    Parameters
    ----------
    view : GraphView
        The graph as of a date (only edges active on that date exist in it).
    id : str
        Any id or ``scheme:value`` identifier of the entity.
    direction : {"up", "down"}
        ``"up"`` lists owners (the default), ``"down"`` holdings.
    look_through : bool
        False: the direct edges of any kind. True: integrated (multiplied and summed) stakes over
        ``shares`` edges with the first-passage cycle correction — an economic measure, never a
        legal status.
    min_share : float
        Keep rows whose ``share_max`` is at least this percentage (unknown direct shares are kept).
    max_depth : int, optional
        Look-through only: report entities at most this many hops away. Stakes still count every
        path, longer ones and cycles included.

    Returns
    -------
    Rows[OwnershipRow]
        Direct rows sorted by decreasing ``share_max`` (unknown last); look-through rows by
        decreasing ``value``, then ``share_max``, depth and id. The entity itself is not listed.

    Raises
    ------
    NotFoundError
        No entity answers to ``id``.
    ClosedLoopError
        Look-through only: a closed ownership loop with no leakage lies on a walk to (``up``) or
        from (``down``) the entity (a data error).

    Examples
    --------
    >>> import importlib.resources, tempfile, ownergraph
    >>> ws = ownergraph.open(tempfile.mkdtemp())
    >>> _ = ws.load([importlib.resources.files("ownergraph.data") / "sensetime"])
    >>> view = ws.graph(as_of="2024-01-01")
    >>> [(r.owner_id, r.share) for r in ownership(view, "shenzhen-sensetime")]
    [('sensetime-group-ltd', '100')]
    >>> rows = ownership(view, "shenzhen-sensetime", look_through=True)
    >>> [(r.owner_id, r.share, r.value, r.depth) for r in rows][:2]
    [('sensetime-group-ltd', '100', 100.0, 1), ('sensetime-group-inc', '[0,100]', 0.0, 2)]
    """
    if direction not in ("up", "down"):
        raise InputError("unknown direction", field="direction", value=direction, fix="use up or down")
    if max_depth is not None and max_depth < 1:
        raise InputError("depth below 1", field="max_depth", value=max_depth, fix="pass 1 or more")
    q = view.index(id)
    if not look_through:
        return _direct(view.around([q], "in" if direction == "up" else "out"), q, direction, min_share)
    # the cone and the edges at its nodes (gathered hop by hop on a Neo4j server)
    return _look_through(view.cone(q, direction, frozenset({_SHARES})), q, direction, min_share, max_depth)


def _direct(view: GraphView, q: int, direction: Direction, min_share: float) -> Rows[OwnershipRow]:
    edges = view.in_of(q) if direction == "up" else view.out_of(q)
    rows: list[OwnershipRow] = []
    for e in edges.tolist():
        info = view.edge(e)
        fields = share_fields(info.share)
        top = fields["share_max"]
        if top is not None and top < min_share:
            continue
        rows.append(
            OwnershipRow(
                owner_id=info.owner_id,
                owned_id=info.owned_id,
                owner_name=view.name(info.owner),
                owned_name=view.name(info.owned),
                kind=info.kind,
                depth=1,
                source=info.source,
                measure=DIRECT_MEASURE,
                **fields,
            )
        )
    rows.sort(key=lambda r: (r.share_max is None, -(r.share_max or 0.0), r.owner_id, r.owned_id, r.kind))
    return Rows(rows)


def _look_through(
    view: GraphView, q: int, direction: Direction, min_share: float, max_depth: int | None
) -> Rows[OwnershipRow]:
    keep = _share_mask(view)
    nodes, depth = _cone(view, q, direction, keep)
    size = len(nodes)
    if size == 1:
        return Rows()
    # the cone in canonical-id order (q first) and its edges by (owner, owned) position, so that
    # floating-point sums run in the same order whatever the engine's node numbers
    rest = _Names(view, nodes).bulk(np.arange(1, size, dtype=np.int64))[0]
    canon = np.concatenate(([0], 1 + np.argsort(np.array(rest, dtype=object), kind="stable")))
    nodes, depth = nodes[canon], depth[canon]
    order = np.argsort(nodes, kind="stable")
    sorted_nodes = nodes[order]

    def local(glob: IntArray) -> IntArray:
        return np.asarray(order[np.searchsorted(sorted_nodes, glob)], dtype=np.int64)

    # share edges inside the cone (the cone is closed under the walk direction)
    ptr, items = (view.in_ptr, view.in_edges) if direction == "up" else (view.out_ptr, view.out_edges)
    e = _gather(ptr, items, nodes)
    e = e[keep[e]]
    rows_l, cols_l = local(view.src[e].astype(np.int64)), local(view.dst[e].astype(np.int64))
    by = np.lexsort((cols_l, rows_l))
    e, rows_l, cols_l = e[by], rows_l[by], cols_l[by]
    lo = view.lo[e].astype(np.float64) / PPM
    hi = view.hi[e].astype(np.float64) / PPM
    unknown = (view.flags[e] & _UNKNOWN_FLAG) != 0
    exact = (~unknown) & (view.lo[e] == view.hi[e])
    lo = np.where(unknown, 0.0, lo)
    point = np.where(unknown, 0.0, (lo + hi) / 2.0)
    names = _Names(view, nodes)

    def matrix(values: FloatArray) -> sp.csr_matrix:
        mat = sp.csr_matrix((values, (rows_l, cols_l)), shape=(size, size))
        mat.eliminate_zeros()
        return mat

    if exact.all():
        pt = _stakes(matrix(point), 0, direction, strict=True, label=names.id)
        low, high = pt, pt
    else:
        upper = np.where(unknown, 1.0, hi)
        # cap: with every other owner of the company at its lower bound, at most 100% in all
        owned_nodes = np.asarray(view.dst[e], dtype=np.int64)
        uniq, inv = np.unique(owned_nodes, return_inverse=True)
        col_lo = _lower_sums(view, uniq, keep)[inv]
        upper = np.maximum(lo, np.minimum(upper, 1.0 - (col_lo - lo)))
        upper[upper < _EPS] = 0.0
        point = np.minimum(point, upper)  # a band's midpoint never above its capped upper bound
        pt = _stakes(matrix(point), 0, direction, strict=True, label=names.id)
        low = _stakes(matrix(lo), 0, direction, strict=True, label=names.id)
        high = _stakes(matrix(upper), 0, direction, strict=False, label=names.id)

    # every number vectorised; Python only builds the rows that are kept
    top = high.first[1:]
    value = 100.0 * pt.first[1:]
    value[(value > 100.0) & (value <= 100.0 + 1e-9)] = 100.0  # rounding noise at a full stake
    smax = np.maximum(100.0 * np.minimum(1.0, top), np.minimum(value, 100.0))
    smin = np.minimum(100.0 * low.first[1:], value)
    raw = 100.0 * pt.raw[1:]
    hops = depth[1:]
    keep_row = (smax > 0.0) & (smax >= min_share)
    if max_depth is not None:
        keep_row &= hops <= max_depth
    notes = np.select([value > 100.0 + 1e-9, ~np.isfinite(top), smax - smin > 1e-9], [1, 2, 3], default=0)
    sel = np.flatnonzero(keep_row)
    sel = sel[np.lexsort((hops[sel], -smax[sel], -value[sel]))]
    note_text = (None, _NOTE_OVER, _NOTE_UNBOUNDED, _NOTE_INTERVAL)
    qid, qname = view.id(q), view.name(q)
    up = direction == "up"
    out: list[OwnershipRow] = []
    other_ids, other_names = names.bulk(sel + 1)
    for other, other_name, lo_, hi_, val, rw, d, nt in zip(
        other_ids,
        other_names,
        smin[sel].tolist(),
        smax[sel].tolist(),
        value[sel].tolist(),
        raw[sel].tolist(),
        hops[sel].tolist(),
        notes[sel].tolist(),
        strict=True,
    ):
        out.append(
            OwnershipRow(
                owner_id=other if up else qid,
                owned_id=qid if up else other,
                owner_name=other_name if up else qname,
                owned_name=qname if up else other_name,
                share_min=lo_,
                share_max=hi_,
                share=_interval(lo_, hi_),
                kind="shares",
                depth=d,
                source=None,
                measure=LOOK_THROUGH_MEASURE,
                value=val,
                raw=rw if math.isfinite(rw) else None,
                note=note_text[nt],
            )
        )
    # ties (equal value, share_max and depth) by id
    out.sort(key=lambda r: (-(r.value or 0.0), -(r.share_max or 0.0), r.depth, r.owner_id, r.owned_id))
    return Rows(out)


def _lower_sums(view: GraphView, owned: IntArray, keep: BoolArray) -> FloatArray:
    """Sum of the known lower bounds of every share owner of each ``owned`` node (fractions)."""
    starts = view.in_ptr[owned]
    counts = view.in_ptr[owned + 1] - starts
    e = _gather(view.in_ptr, view.in_edges, owned)
    lo = np.where(keep[e] & ((view.flags[e] & _UNKNOWN_FLAG) == 0), view.lo[e].astype(np.float64), 0.0)
    seg = np.repeat(np.arange(len(owned)), counts)
    return np.bincount(seg, weights=lo, minlength=len(owned)) / PPM


def _interval(smin: float, smax: float) -> str:
    """The canonical share string of an integrated stake (ppm precision, closed bounds)."""
    a, b = round(smin * 10_000), round(smax * 10_000)
    if a == b:
        return format_ppm(a)
    return f"[{format_ppm(a)},{format_ppm(b)}]"


class _Names:
    """Ids and names of cone nodes (by local position); ``bulk`` fetches many at once."""

    def __init__(self, view: GraphView, nodes: IntArray) -> None:
        self._view = view
        self._nodes = nodes

    def id(self, i: int) -> str:
        return self._view.id(int(self._nodes[i]))

    def bulk(self, local: IntArray) -> tuple[list[str], list[str]]:
        """Ids and names of the local positions ``local``, in order."""
        nodes = self._nodes[local]
        return self._view.ids_of(nodes), self._view.names(nodes)
