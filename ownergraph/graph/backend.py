"""The one interface both engines implement: the primitives the queries use.

A query (:mod:`ownergraph.queries`) is a plain function that takes a view first and reads only
what :class:`GraphBackend` lists: node ids and names, the active ownership/control edges as
CSR arrays in both directions, the cache tables (designations, listings, holdings, the raw edge
records), and key resolution. The in-memory engine (:class:`~ownergraph.graph.view.GraphView`,
over a workspace's columnar cache) and the Neo4j engine
(:class:`~ownergraph.graph.neo4j_view.Neo4jView`, the same arrays read from a server with
parameterised Cypher) both provide them, so no query is written twice;
:func:`ownergraph.graph.engine.open_view` is the one place that chooses between them.

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

__all__ = ["ENGINES", "Engine", "GraphBackend", "canonical_rank"]

Engine = Literal["memory", "neo4j"]
ENGINES: Final[tuple[Engine, ...]] = ("memory", "neo4j")
"""The engines :func:`~ownergraph.graph.engine.open_view` knows, the default first."""

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


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
