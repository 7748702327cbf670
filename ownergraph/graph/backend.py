"""The one interface both engines implement: the primitives the queries use.

A query (:mod:`ownergraph.queries`) is a plain function that takes a view first and reads only
what :class:`GraphBackend` lists: node ids and names, the active ownership/control edges as
CSR arrays in both directions, the cache tables (designations, listings, holdings, the raw edge
records), key resolution, and the primitives that carry a query's work: ``fixpoints`` (a
regime's 50% rule, for one unit or many at once), ``steps`` (one BFS hop, for paths),
``cone`` (look-through ownership) and ``around`` (the edges at some nodes: to explain an
answer, and hop by hop the subgraph a loophole or exposure search needs). The in-memory engine
(:class:`~ownergraph.graph.view.GraphView`, over a workspace's columnar cache) runs them on its
arrays; the Neo4j engine (:class:`~ownergraph.graph.neo4j_view.Neo4jView`) runs them on the
server in parameterised Cypher and reads the whole graph's arrays only when a caller reads
them directly. So no
query is written twice; :func:`ownergraph.graph.engine.open_view` is the one place that
chooses between them. No answer depends on node numbers (which differ between the engines):
ties are broken by canonical id (:func:`canonical_rank`).

Edge semantics shared by both engines: an edge is active on the view's date when
``start <= date <= end``; one edge per (owner, owned, kind) is kept, the one with the latest
``start`` and then the latest record (``seq``); a designation is active when
``since <= date < removed`` (``since`` is the listing date, else the effective date); a listing
when ``listed <= date < delisted``. Missing dates are open.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import networkx as nx
    import pyarrow as pa

    from ownergraph.graph.neo4j_view import Neo4jView
    from ownergraph.graph.shares import Share
    from ownergraph.graph.view import EdgeInfo, GraphView
    from ownergraph.graph.workspace import Workspace
    from ownergraph.queries.paths import Steps

__all__ = [
    "ENGINES",
    "Engine",
    "FixpointRule",
    "GraphBackend",
    "array_fixpoints",
    "canonical_rank",
]

Engine = Literal["memory", "neo4j"]
ENGINES: Final[tuple[Engine, ...]] = ("memory", "neo4j")
"""The engines :func:`~ownergraph.graph.engine.open_view` knows, the default first."""

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


ROLE_SHARES, ROLE_VOTES, ROLE_CONTROLLED, ROLE_POSSIBLY = 1, 2, 3, 4
"""What an edge kind counts as under a regime (0: nothing), see :class:`FixpointRule`."""


@dataclass(frozen=True)
class FixpointRule:
    """The numbers of one regime's 50% rule that a fixpoint needs (``docs/regimes.md``).

    ``roles[k]`` is what edge kind ``k`` (index into ``OWNERSHIP_KINDS``) counts as: 0 nothing,
    1 shares, 2 votes, 3 control (joins the lower fixpoint), 4 possible control (joins only the
    upper one). ``threshold``/``votes_threshold`` are in parts per million (above 100% when the
    rule has none), ``inclusive`` when reaching them exactly counts; ``pool`` pools the stakes of a
    joint arrangement (UK Schedule 1).
    """

    roles: tuple[int, ...]
    threshold: int
    inclusive: bool
    votes_threshold: int
    votes_inclusive: bool
    pool: bool

    def meets(self, total: Any, open_bound: Any, votes: Any, upper: bool) -> Bools:
        """Whether sums of lower (``upper=False``) or upper bounds meet the threshold for certain
        (lower) or possibly (upper): above it, or at it when inclusive and (lower) any summand's
        bound is open, or (upper) none is. Element-wise over arrays (or scalars) of sums, open
        flags and whether each is a votes sum: the one statement of the rule both engines and
        the derivations use.

        >>> rule = FixpointRule(roles=(1, 0, 0, 0, 0), threshold=500_000, inclusive=True,
        ...                     votes_threshold=500_000, votes_inclusive=False, pool=False)
        >>> rule.meets([500_000, 500_000, 400_000], [False, True, False], False, upper=True).tolist()
        [True, False, False]
        """
        totals = np.asarray(total, dtype=np.int64)
        opened = np.asarray(open_bound, dtype=bool)
        is_votes = np.asarray(votes, dtype=bool)
        thr = np.where(is_votes, self.votes_threshold, self.threshold)
        inc = np.where(is_votes, self.votes_inclusive, self.inclusive)
        at = (inc & ~opened) if upper else (inc | opened)
        return np.asarray((totals > thr) | ((totals == thr) & at), dtype=bool)


class GraphBackend(Protocol):
    """The graph as of one date. Nodes are dense ints ``0..n-1``; ids are canonical ids.

    Edge number ``e`` indexes the arrays ``src``, ``dst``, ``lo``, ``hi`` (parts per million),
    ``flags`` (1 open lower bound, 2 open upper bound, 4 unknown), ``kind`` (index into
    ``OWNERSHIP_KINDS``) and ``edge_rows`` (its row in ``table("edges")``). ``out_edges`` and
    ``in_edges`` list edge numbers by owner and by owned node, delimited by ``out_ptr`` and
    ``in_ptr``. ``kinds`` is the entity kind per node (index into ``ENTITY_KINDS``).
    """

    as_of: dt.date
    workspace: Workspace | None
    n: int
    m: int
    kinds: I8
    src: I32
    dst: I32
    lo: I32
    hi: I32
    flags: I8
    kind: I8
    edge_rows: I64
    out_ptr: I64
    out_edges: I64
    in_ptr: I64
    in_edges: I64

    # nodes
    def id(self, i: int) -> str: ...
    def name(self, i: int) -> str: ...
    def names(self, nodes: Sequence[int] | I64) -> list[str]: ...
    def ids_of(self, nodes: Sequence[int] | I64) -> list[str]: ...
    def kind_of(self, i: int) -> str: ...
    def jurisdiction(self, i: int) -> str | None: ...
    def jurisdictions(self, nodes: Sequence[int] | I64) -> list[str | None]: ...
    def ids(self) -> list[str]: ...

    # keys: any id or ``scheme:value`` identifier an entity answers to
    def index(self, key: str) -> int: ...
    def indices(self, keys: Sequence[str]) -> I64: ...
    def all_keys(self, i: int) -> list[str]: ...

    # edges
    def out_of(self, i: int) -> I64: ...
    def in_of(self, i: int) -> I64: ...
    def share(self, e: int) -> Share: ...
    def edge_kind(self, e: int) -> str: ...
    def edge(self, e: int) -> EdgeInfo: ...

    # designations, listings, holdings, claims and the raw tables
    def designated(self, regime: str) -> I64: ...
    def designation_rows(
        self, i: int | None = None, regime: str | None = None, *, active_only: bool = True
    ) -> list[dict[str, Any]]: ...
    def listing_rows(self, i: int | None = None, *, active_only: bool = True) -> list[dict[str, Any]]: ...
    def listed_nodes(self) -> I64: ...
    def claim_rows(self, i: int) -> list[dict[str, Any]]: ...
    def table(self, name: str) -> pa.Table: ...

    # the primitives that carry a query's work (on the server for the Neo4j engine)
    def steps(self, kinds: frozenset[int] | None, directed: bool) -> Steps: ...
    def around(self, nodes: Iterable[int], direction: str = "both") -> GraphView: ...
    def cone(self, q: int, direction: str, kinds: frozenset[int]) -> GraphView: ...

    # the regimes' fixpoint (restricted, loopholes, exposure)
    def fixpoints(
        self, units: Sequence[Iterable[int]], upper: bool, rule: FixpointRule
    ) -> list[dict[int, int]]: ...

    # the researchers' API
    def to_networkx(self, nodes: Iterable[int] | None = None) -> nx.MultiDiGraph[str]: ...


if TYPE_CHECKING:  # mypy checks here that both engines implement the interface

    def _memory_engine(view: GraphView) -> GraphBackend:
        return view

    def _neo4j_engine(view: Neo4jView) -> GraphBackend:
        return view


_RANKS: weakref.WeakKeyDictionary[Any, I64] = weakref.WeakKeyDictionary()


def canonical_rank(view: GraphBackend) -> I64:
    """Each node's position in canonical-id order (built once per view).

    Ties that would otherwise be broken by node number (which differs between the engines: load
    order in a workspace, canonical order on a server) are broken by this rank instead, so both
    engines choose the same among equal candidates.

    Examples
    --------
    >>> from ownergraph.queries.reference_paths import view_from_arrays
    >>> canonical_rank(view_from_arrays(["b", "c", "a"], [0], [1], [1])).tolist()
    [1, 2, 0]
    """
    rank = _RANKS.get(view)
    if rank is None:
        import pyarrow.compute as pc

        order = pc.sort_indices(view.table("nodes").column("id")).to_numpy()
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order), dtype=np.int64)
        _RANKS[view] = rank
    return rank


_ARRANGED: weakref.WeakKeyDictionary[Any, tuple[I64, I64, I64]] = weakref.WeakKeyDictionary()
"""Per view: the edges that belong to a joint arrangement (sorted), their owned nodes and their
arrangements as small ints (:func:`_arranged`)."""


def _arranged(view: GraphView) -> tuple[I64, I64, I64]:
    """The edges of ``view`` that belong to a joint arrangement, with their owned node and their
    arrangement encoded as an int (once per view: the UK runs a fixpoint per designated person)."""
    hit = _ARRANGED.get(view)
    if hit is None:
        import pyarrow as pa
        import pyarrow.compute as pc

        col = view.table("edges").column("arrangement")
        valid = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False), dtype=bool)
        edges = np.flatnonzero(valid[view.edge_rows]).astype(np.int64)
        arr = np.zeros(0, dtype=np.int64)
        if len(edges):
            names = col.take(pa.array(view.edge_rows[edges])).combine_chunks()
            codes = pc.dictionary_encode(names).indices
            arr = np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)
        hit = _ARRANGED[view] = (edges, view.dst[edges].astype(np.int64), arr)
    return hit


def _in_sorted(keys: I64, sorted_keys: I64) -> npt.NDArray[np.bool_]:
    """Whether each of ``keys`` is in the sorted array ``sorted_keys``."""
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return np.asarray(sorted_keys[pos] == keys)


class _Rounds:
    """The state of :func:`array_fixpoints` over keys ``unit * n + node``: which keys are members,
    and the running shares and votes sums (and open flags) of the keys ``key * 2 + votes``.

    Dense arrays over the whole key space when it is small (one unit: every regime but the UK),
    so a round touches only its own keys; sorted key arrays otherwise (the UK's thousands of
    units), merged once a round.
    """

    def __init__(self, size: int, seeds: I64, dense_keys: int) -> None:
        self.dense = size <= dense_keys
        if self.dense:
            self.member = np.zeros(size, dtype=bool)
            self.member[seeds] = True
            self.sums = np.zeros(2 * size, dtype=np.int64)
            self.opened = np.zeros(2 * size, dtype=bool)
        else:
            self.members = seeds
            self.keys = np.zeros(0, dtype=np.int64)
            self.sums = np.zeros(0, dtype=np.int64)
            self.opened = np.zeros(0, dtype=bool)

    def fresh(self, keys: I64) -> npt.NDArray[np.bool_]:
        """Which of ``keys`` are not members yet."""
        return ~self.member[keys] if self.dense else ~_in_sorted(keys, self.members)

    def join(self, keys: I64) -> None:
        """Make ``keys`` (sorted, unique, not members) members."""
        if self.dense:
            self.member[keys] = True
        else:
            self.members = np.union1d(self.members, keys)

    def add(self, keys: I64, sums: I64, opened: Bools) -> tuple[I64, I64, Bools]:
        """Add one round's summands; the distinct keys they touched with their running totals."""
        cand, inv = np.unique(keys, return_inverse=True)
        inv = inv.reshape(-1)
        if self.dense:
            # float sums of ppm ints are exact far beyond any real total (2**53)
            self.sums[cand] += np.bincount(inv, weights=sums).astype(np.int64)
            self.opened[cand] |= np.bincount(inv, weights=opened) > 0
            return cand, self.sums[cand], self.opened[cand]
        merged, inv = np.unique(np.concatenate([self.keys, keys]), return_inverse=True)
        inv = inv.reshape(-1)
        self.keys = merged
        self.sums = np.bincount(inv, weights=np.concatenate([self.sums, sums])).astype(np.int64)
        self.opened = np.bincount(inv, weights=np.concatenate([self.opened, opened])) > 0
        pos = np.searchsorted(merged, cand)
        return cand, self.sums[pos], self.opened[pos]


_DENSE_KEYS = 1 << 24
"""The largest key space :class:`_Rounds` keeps in dense arrays (19 bytes a key, allocated
zeroed by the OS, so only the pages a fixpoint touches are resident)."""


def seed_levels(units: Sequence[Iterable[int]]) -> list[dict[int, int]]:
    """Each unit's seeds at round 0: where both engines' fixpoints start."""
    return [dict.fromkeys(map(int, seeds), 0) for seeds in units]


def array_fixpoints(
    view: GraphView,
    units: Sequence[Iterable[int]],
    upper: bool,
    rule: FixpointRule,
    *,
    dense_keys: int | None = None,
) -> list[dict[int, int]]:
    """The in-memory engine's fixpoints: members of the lower (``upper=False``) or upper fixpoint
    from each unit's seeds, each with the synchronous round in which it joined (0 for seeds).

    Round-synchronous and vectorised over the view's CSR arrays, for all the units at once (the
    UK runs one unit per designated person), as the Neo4j engine runs a Cypher query per round:
    a (unit, node) pair is the key ``unit * n + node``. Round ``r + 1`` reads only the edges out
    of the members that joined in round ``r``, adds their lower (upper) bounds to the running
    sums of their targets, and admits the targets a member controls (upper: possibly controls)
    or whose shares or votes sum meets the threshold (:meth:`FixpointRule.meets`). Sums only
    grow, so a target not reached in a round cannot newly meet it. With ``rule.pool`` an
    arranged edge counts its whole joint arrangement (the edges into the same node with the same
    arrangement and role), once per unit. Each round costs O(edges out of its new members), so a
    fixpoint is O(V + E) in the restricted cone. ``dense_keys`` caps the key space kept in dense
    arrays (default ``_DENSE_KEYS``; the tests pass 0 to check the sorted arrays give the same).
    """
    levels = seed_levels(units)
    n = view.n
    if not view.m or not n:
        return levels
    frontier = np.unique(
        np.fromiter((u * n + x for u, lv in enumerate(levels) for x in lv), dtype=np.int64)
    )
    state = _Rounds(len(units) * n, frontier, _DENSE_KEYS if dense_keys is None else dense_keys)
    roles = np.asarray(rule.roles, dtype=np.int8)
    ptr, dst, kind, flags = view.out_ptr, view.dst, view.kind, view.flags
    bound = view.hi if upper else view.lo
    bit = 2 if upper else 1
    # pooled joint arrangements: group the arranged edges by (owned node, arrangement, role)
    group: I64 | None = None
    if rule.pool:
        a_edges, a_dst, a_arr = _arranged(view)
        if len(a_edges):
            a_role = roles[kind[a_edges]].astype(np.int64)
            gkeys = (a_dst * (int(a_arr.max()) + 1) + a_arr) * 8 + a_role
            _u, group = np.unique(gkeys, return_inverse=True)
            g_n = len(_u)
            g_sum = np.bincount(group, weights=bound[a_edges], minlength=g_n).astype(np.int64)
            g_open = np.bincount(group, weights=(flags[a_edges] & bit) > 0, minlength=g_n) > 0
            g_dst, g_role = np.zeros(g_n, np.int64), np.zeros(g_n, np.int64)
            g_dst[group], g_role[group] = a_dst, a_role
            pooled = np.zeros(0, dtype=np.int64)  # unit * groups + group, already counted
    rnd = 0
    while len(frontier):
        rnd += 1
        fu, fx = np.divmod(frontier, n)
        starts, ends = ptr[fx], ptr[fx + 1]
        lens = ends - starts
        total = int(lens.sum())
        if total == 0:
            break
        offsets = np.cumsum(lens) - lens
        e = np.repeat(starts - offsets, lens) + np.arange(total, dtype=np.int64)
        eu = np.repeat(fu, lens)
        r = roles[kind[e]]
        keep = (r != 0) if upper else ((r != 0) & (r != ROLE_POSSIBLY))
        e, eu, r = e[keep], eu[keep], r[keep]
        key = eu * n + dst[e]
        fresh = state.fresh(key)
        e, eu, r, key = e[fresh], eu[fresh], r[fresh], key[fresh]
        controlled = r >= ROLE_CONTROLLED
        joined = [key[controlled]]
        counting = ~controlled
        e, eu, r, key = e[counting], eu[counting], r[counting], key[counting]
        c_key, c_sum, c_open = key * 2 + (r == ROLE_VOTES), bound[e].astype(np.int64), (flags[e] & bit) > 0
        if group is not None and len(e):
            arranged = _in_sorted(e, a_edges)
            if arranged.any():
                g = group[np.searchsorted(a_edges, e[arranged])]
                gk = np.unique(eu[arranged] * g_n + g)
                gk = gk[~_in_sorted(gk, pooled)]
                pooled = np.union1d(pooled, gk)
                gu, g = np.divmod(gk, g_n)
                g_key = (gu * n + g_dst[g]) * 2 + (g_role[g] == ROLE_VOTES)
                c_key = np.concatenate([c_key[~arranged], g_key])
                c_sum = np.concatenate([c_sum[~arranged], g_sum[g]])
                c_open = np.concatenate([c_open[~arranged], g_open[g]])
        if len(c_key):
            cand, tot, opened = state.add(c_key, c_sum, c_open)
            joined.append(cand[rule.meets(tot, opened, (cand & 1) == 1, upper)] >> 1)
        frontier = np.unique(np.concatenate(joined))
        if len(frontier):
            state.join(frontier)
            ju, jx = np.divmod(frontier, n)
            for u, x in zip(ju.tolist(), jx.tolist(), strict=True):
                levels[u][x] = rnd
    return levels
