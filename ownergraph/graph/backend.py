"""The one interface both engines implement: the primitives the queries use.

A query (:mod:`ownergraph.queries`) is a plain function that takes a view first and reads only
what :class:`GraphBackend` lists: node ids and names, the active ownership/control edges as
CSR arrays in both directions, the cache tables (designations, listings, holdings, the raw edge
records), key resolution, and the primitives that carry a query's work: ``fixpoint`` (a
regime's 50% rule; ``fixpoints`` for many units at once), ``steps`` (one BFS hop, for paths),
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

__all__ = ["ENGINES", "Engine", "FixpointRule", "GraphBackend", "array_fixpoint", "canonical_rank"]

Engine = Literal["memory", "neo4j"]
ENGINES: Final[tuple[Engine, ...]] = ("memory", "neo4j")
"""The engines :func:`~ownergraph.graph.engine.open_view` knows, the default first."""

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


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

    def meets(self, total: int, open_bound: bool, votes: bool, upper: bool) -> bool:
        """Whether a sum of lower (``upper=False``) or upper bounds meets the threshold for certain
        (lower) or possibly (upper): above it, or at it when inclusive and (lower) any summand's
        bound is open, or (upper) none is."""
        thr, inc = (self.votes_threshold, self.votes_inclusive) if votes else (self.threshold, self.inclusive)
        if total != thr:
            return total > thr
        return (inc and not open_bound) if upper else (inc or open_bound)


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
    def fixpoint(self, seeds: Iterable[int], upper: bool, rule: FixpointRule) -> dict[int, int]: ...
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


_ARRANGED: weakref.WeakKeyDictionary[Any, npt.NDArray[np.bool_]] = weakref.WeakKeyDictionary()
"""Per view: which edges belong to a joint arrangement."""


def array_fixpoint(view: GraphView, seeds: Iterable[int], upper: bool, rule: FixpointRule) -> dict[int, int]:
    """The in-memory engine's fixpoint: members of the lower (``upper=False``) or upper fixpoint
    from ``seeds``, each with the synchronous round in which it joined (0 for seeds).

    A FIFO worklist over the view's CSR arrays in pure Python: it touches only the edges out of
    members, so it is O(V + E) in the restricted cone. Members are processed in round order, so
    an entity that crosses the threshold while the members of round ``r`` are processed joins in
    round ``r + 1``: the synchronous semantics the Neo4j engine computes round by round.
    """
    level: dict[int, int] = {}
    for s in seeds:
        level.setdefault(int(s), 0)
    queue = list(level)
    ptr, dst, kind, flags = view.out_ptr, view.dst, view.kind, view.flags
    in_ptr, in_edges = view.in_ptr, view.in_edges
    bound = view.hi if upper else view.lo
    bit = 2 if upper else 1
    roles = rule.roles
    T, incl, VT, vincl = rule.threshold, rule.inclusive, rule.votes_threshold, rule.votes_inclusive
    has_arr: npt.NDArray[np.bool_] | None = None
    arr_col: Any = None
    if rule.pool and view.m:
        arr_col = view.table("edges").column("arrangement")
        has_arr = _ARRANGED.get(view)
        if has_arr is None:  # once per view: the UK runs one fixpoint per designated person
            import pyarrow.compute as pc

            valid = np.asarray(pc.is_valid(arr_col).to_numpy(zero_copy_only=False), dtype=bool)
            has_arr = _ARRANGED[view] = valid[view.edge_rows]
    arrangements: dict[int, str | None] = {}

    def arrangement(e: int) -> str | None:
        if has_arr is None or not has_arr[e]:
            return None
        if e not in arrangements:
            arrangements[e] = arr_col[int(view.edge_rows[e])].as_py()
        return arrangements[e]

    pool = has_arr is not None
    acc: dict[int, list[int]] = {}
    counted: dict[int, set[int]] = {}
    pooled: set[tuple[int, str, int]] = set()
    i = 0
    while i < len(queue):
        x = queue[i]
        i += 1
        a = int(ptr[x])
        b = int(ptr[x + 1])
        if a == b:
            continue
        nxt = level[x] + 1
        ys = dst[a:b].tolist()
        ks = kind[a:b].tolist()
        vals: list[int] | None = None
        fls: list[int] = []
        for j in range(b - a):
            y = ys[j]
            if y in level:
                continue
            r = roles[ks[j]]
            if r == 0:
                continue
            if r >= ROLE_CONTROLLED:
                if r == ROLE_CONTROLLED or upper:
                    level[y] = nxt
                    queue.append(y)
                continue
            if vals is None:
                vals = bound[a:b].tolist()
                fls = flags[a:b].tolist()
            st = acc.get(y)
            if st is None:
                st = acc[y] = [0, 0, 0, 0]
            o = 0 if r == ROLE_SHARES else 2
            if pool:
                e = a + j
                cs = counted.setdefault(y, set())
                if e in cs:
                    continue
                cs.add(e)
                st[o] += vals[j]
                st[o + 1] |= fls[j] & bit
                arr = arrangement(e)
                if arr is not None and (y, arr, r) not in pooled:
                    pooled.add((y, arr, r))
                    for e2 in in_edges[in_ptr[y] : in_ptr[y + 1]].tolist():
                        if e2 not in cs and roles[int(kind[e2])] == r and arrangement(e2) == arr:
                            cs.add(e2)
                            st[o] += int(bound[e2])
                            st[o + 1] |= int(flags[e2]) & bit
            else:
                st[o] += vals[j]
                st[o + 1] |= fls[j] & bit
            if o == 0:
                thr, inc = T, incl
            else:
                thr, inc = VT, vincl
            tot = st[o]
            if tot > thr or (tot == thr and ((inc and not st[o + 1]) if upper else (inc or st[o + 1]))):
                level[y] = nxt
                queue.append(y)
    return level
