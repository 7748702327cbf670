"""The in-memory engine: a read-only view of the graph as of one date, over the columnar cache.

A :class:`GraphView` holds the ownership/control edges active on its date (start ≤ date ≤ end)
as CSR arrays in both directions, one edge per (owner, owned, kind): where sources overlap
(the same stake reported by several snapshots or sources) the most recent record is used and the
others are counted, never summed. It answers the primitives queries need (owners and holdings of
a node, designations and listings as of the date) and converts any part of itself to networkx.
Query logic lives in :mod:`ownergraph.queries`, not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ownergraph.errors import NotFoundError
from ownergraph.graph.cache import EPOCH, NO_DATE_HI, NO_DATE_LO, days
from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS, REGIME_IDS
from ownergraph.graph.shares import Share

if TYPE_CHECKING:
    import networkx as nx

    from ownergraph.graph.backend import FixpointRule
    from ownergraph.graph.workspace import Workspace
    from ownergraph.queries.paths import Steps

__all__ = ["SCAN_MAX", "EdgeInfo", "GraphView", "date_of", "scan_positions"]

IntArray = npt.NDArray[np.int32]


SCAN_MAX = 50_000
"""Up to this many keys are looked up by one Arrow scan of a column (tens of ms per million rows)
rather than by building a hash index of the whole column (about 0.4 s per million)."""


def pair_order(
    src: npt.NDArray[Any],
    dst: npt.NDArray[Any],
    kind: npt.NDArray[Any],
    start: npt.NDArray[Any],
    seq: npt.NDArray[Any],
) -> npt.NDArray[np.int64]:
    """The order ``np.lexsort((seq, start, kind, dst, src))`` of edges already sorted by
    ``(src, dst)``: only the runs of a repeated pair are sorted (by kind, start, record), in
    place. At 10M entities 13 of 14.8M edges sit in such runs, and the whole-array lexsort took 6 s.

    >>> pair_order(np.array([0, 0, 1]), np.array([1, 1, 2]), np.array([0, 0, 0]),
    ...            np.array([5, 3, 0]), np.array([0, 1, 2])).tolist()
    [1, 0, 2]
    """
    order = np.arange(len(src), dtype=np.int64)
    rep = (src[1:] == src[:-1]) & (dst[1:] == dst[:-1])
    if rep.any():
        in_run = np.zeros(len(src), dtype=bool)
        in_run[1:] |= rep
        in_run[:-1] |= rep
        idx = np.flatnonzero(in_run)
        run = np.cumsum(np.concatenate(([True], ~rep)))[idx]  # ascending, so each run keeps its place
        order[idx] = idx[np.lexsort((seq[idx], start[idx], kind[idx], run))]
    return order


def scan_positions(column: pa.ChunkedArray, keys: Sequence[str]) -> npt.NDArray[np.int64]:
    """Row of each key in a column of distinct strings (-1 where absent), by one vectorised scan.

    Cheaper than a hash index of the whole column when there are few keys: the scan hashes only
    the keys and probes each row once.

    >>> scan_positions(pa.chunked_array([["a", "b", "c"]]), ["c", "x", "a", "c"]).tolist()
    [2, -1, 0, 2]
    """
    uniq = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    where = pc.index_in(column, value_set=pa.array(list(uniq), pa.string()))
    hit = np.flatnonzero(np.asarray(pc.is_valid(where).to_numpy(zero_copy_only=False), dtype=np.bool_))
    row_of = np.full(len(uniq), -1, dtype=np.int64)
    row_of[np.asarray(where.take(pa.array(hit)).to_numpy(zero_copy_only=False), dtype=np.int64)] = hit
    return row_of[np.fromiter((uniq[k] for k in keys), dtype=np.int64, count=len(keys))]


def date_of(d: int) -> dt.date | None:
    """The date of a cache day number, ``None`` for the open sentinels."""
    if d in (int(NO_DATE_LO), int(NO_DATE_HI)):
        return None
    return EPOCH + dt.timedelta(days=int(d))


@dataclass(frozen=True)
class EdgeInfo:
    """One active edge with everything an explanation needs."""

    index: int
    owner: int
    owned: int
    owner_id: str
    owned_id: str
    share: Share
    kind: str
    arrangement: str | None
    start: dt.date | None
    end: dt.date | None
    source: str | None
    file: str | None
    locator: str | None
    alternatives: int

    def cite(self) -> str:
        """Source, file and line in one string."""
        parts = [p for p in (self.source, self.file, self.locator) if p]
        return " · ".join(parts) if parts else "unknown source"


class GraphView:
    """The graph as of one date. Node numbers are dense ints; ids are canonical ids."""

    def __init__(
        self,
        tables: Mapping[str, pa.Table],
        as_of: dt.date,
        *,
        workspace: Workspace | None = None,
        load_paths: dict[int, str] | None = None,
    ) -> None:
        self.as_of = as_of
        self.workspace = workspace
        self._t = tables
        self._load_paths = load_paths if load_paths is not None else {}
        self._index_nodes(tables)
        self._id_cache: list[str] | None = None
        self._key_index: Any = None
        self._lookups = 0
        self._key_nodes: npt.NDArray[np.int32] | None = None
        d = days(as_of)
        edges = tables["edges"]
        start = edges.column("start").to_numpy()
        end = edges.column("end").to_numpy()
        active = np.flatnonzero((start <= d) & (d <= end))
        src = edges.column("src").to_numpy()[active]
        dst = edges.column("dst").to_numpy()[active]
        kind = edges.column("kind").to_numpy()[active]
        seq = edges.column("seq").to_numpy()[active]
        st = start[active]
        # one edge per (src, dst, kind): the latest start, then the latest record
        order = pair_order(src, dst, kind, st, seq)
        s, t, k = src[order], dst[order], kind[order]
        last = np.ones(len(order), dtype=bool)
        if len(order) > 1:
            last[:-1] = (s[1:] != s[:-1]) | (t[1:] != t[:-1]) | (k[1:] != k[:-1])
        group_start = (
            np.flatnonzero(np.concatenate(([True], last[:-1]))) if len(order) else np.zeros(0, np.int64)
        )
        chosen = order[last]
        self._alternatives = (
            (np.flatnonzero(last) - group_start).astype(np.int32) if len(order) else np.zeros(0, np.int32)
        )
        self.edge_rows: npt.NDArray[np.int64] = active[chosen]
        self.src: IntArray = src[chosen]
        self.dst: IntArray = dst[chosen]
        self.lo: IntArray = edges.column("lo").to_numpy()[self.edge_rows]
        self.hi: IntArray = edges.column("hi").to_numpy()[self.edge_rows]
        self.flags: npt.NDArray[np.int8] = edges.column("flags").to_numpy()[self.edge_rows]
        self.kind: npt.NDArray[np.int8] = kind[chosen]
        self.m = len(self.src)
        # CSR both ways: edges are already sorted by (src, dst)
        self.out_ptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.src, minlength=self.n), out=self.out_ptr[1:])
        self.out_edges = np.arange(self.m, dtype=np.int64)
        # in-order: the cache's permutation of all edges by dst, restricted to the chosen ones
        pos = np.full(edges.num_rows, -1, dtype=np.int64)
        pos[self.edge_rows] = np.arange(self.m)
        by_dst = pos[tables["edges_by_dst"].column("row").to_numpy()]
        self.in_edges: npt.NDArray[np.int64] = by_dst[by_dst >= 0]
        self.in_ptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.dst, minlength=self.n), out=self.in_ptr[1:])
        self._index_designations(tables["designations"])

    def _index_nodes(self, tables: Mapping[str, pa.Table]) -> None:
        """Node count, ids, names and kinds from the node table (a subgraph of the Neo4j engine
        takes them from its parent view instead, reading names only when asked for)."""
        nodes = tables["nodes"]
        self.n = nodes.num_rows
        self._ids = nodes.column("id").combine_chunks()
        self._names = nodes.column("name").combine_chunks()
        self.kinds: npt.NDArray[np.int8] = nodes.column("kind").to_numpy()

    def _index_designations(self, des: pa.Table) -> None:
        """The designations active as of the date."""
        d = days(self.as_of)
        listed = des.column("listed").to_numpy()
        effective = des.column("effective").to_numpy()
        since = np.where(listed != NO_DATE_LO, listed, effective)
        removed = des.column("removed").to_numpy()
        self._des_active = np.flatnonzero((since <= d) & (d < removed))
        self._des_node = des.column("node").to_numpy()
        self._des_regime = des.column("regime").to_numpy()

    # -- nodes ---------------------------------------------------------------------------------
    def id(self, i: int) -> str:
        return str(self._ids[int(i)].as_py())

    def name(self, i: int) -> str:
        return str(self._names[int(i)].as_py())

    def ids_of(self, nodes: Sequence[int] | npt.NDArray[np.int64]) -> list[str]:
        """The canonical ids of node numbers ``nodes``, in order (one Arrow take)."""
        take = pa.array(np.asarray(nodes, dtype=np.int64).reshape(-1))
        return [str(x) for x in self._ids.take(take).to_pylist()]

    def names(self, nodes: Sequence[int] | npt.NDArray[np.int64]) -> list[str]:
        """The names of node numbers ``nodes``, in order (one Arrow take; the Neo4j engine asks
        the server for just these, so explaining a few rows never reads the node table)."""
        take = pa.array(np.asarray(nodes, dtype=np.int64).reshape(-1))
        return [str(x) for x in self._names.take(take).to_pylist()]

    def kind_of(self, i: int) -> str:
        return ENTITY_KINDS[int(self.kinds[int(i)])]

    def jurisdiction(self, i: int) -> str | None:
        v = self._t["nodes"].column("jurisdiction")[int(i)].as_py()
        return None if v is None else str(v)

    def jurisdictions(self, nodes: Sequence[int] | npt.NDArray[np.int64]) -> list[str | None]:
        """The jurisdictions of node numbers ``nodes``, in order (one Arrow take)."""
        take = pa.array(np.asarray(nodes, dtype=np.int64).reshape(-1))
        col = self._t["nodes"].column("jurisdiction").take(take).to_pylist()
        return [None if v is None else str(v) for v in col]

    def ids(self) -> list[str]:
        """All canonical ids, in node order (built once)."""
        if self._id_cache is None:
            self._id_cache = self._ids.to_pylist()
        return self._id_cache

    def index(self, key: str) -> int:
        """The node answering to ``key``: any of an entity's ids or ``scheme:value`` identifiers.

        The first lookups scan the key column (a few ms per million keys); from the third on, a
        hash index is built once and lookups take microseconds.
        """
        self._lookups += 1
        if self._lookups > 2:
            self._hash_keys()
        node = int(self.indices([key.strip()])[0])
        if node < 0:
            raise NotFoundError(
                f"no entity answers to {key!r} in this workspace; try `ownergraph search TEXT`"
            )
        return node

    def _hash_keys(self) -> None:
        """Build the hash index of every key (about 0.4 s per million), once."""
        if self._key_index is None:
            import pandas as pd

            self._key_index = pd.Index(self._t["keys"].column("key").to_pandas())
            self._key_nodes = self._t["keys"].column("node").to_numpy()

    def indices(self, keys: Sequence[str]) -> npt.NDArray[np.int64]:
        """Vectorised :meth:`index`: -1 where nothing answers.

        Up to :data:`SCAN_MAX` keys are found by one scan of the key column that hashes only
        them (tens of ms per million keys); more keys, or any once :meth:`index` has been asked
        often, through a hash index of every key built once per view.
        """
        out = np.full(len(keys), -1, dtype=np.int64)
        if self._key_index is None and len(keys) <= SCAN_MAX:
            table = self._t["keys"]
            if len(keys) and table.num_rows:
                rows = scan_positions(table.column("key"), keys)
                found = rows >= 0
                nodes = table.column("node").take(pa.array(rows[found]))
                out[found] = np.asarray(nodes.to_numpy(), dtype=np.int64)
            return out
        self._hash_keys()
        assert self._key_nodes is not None
        pos = np.asarray(self._key_index.get_indexer(list(keys)), dtype=np.int64)
        good = pos >= 0
        out[good] = self._key_nodes[pos[good]]
        return out

    def all_keys(self, i: int) -> list[str]:
        """Every id and strong identifier node ``i`` answers to."""
        keys = self._t["keys"]
        hit = pc.indices_nonzero(pc.equal(keys.column("node"), int(i)))
        return [str(keys.column("key")[j.as_py()].as_py()) for j in hit]

    # -- edges ---------------------------------------------------------------------------------
    def out_of(self, i: int) -> npt.NDArray[np.int64]:
        """Edge numbers from owner ``i`` (its holdings)."""
        return self.out_edges[self.out_ptr[i] : self.out_ptr[i + 1]]

    def in_of(self, i: int) -> npt.NDArray[np.int64]:
        """Edge numbers into ``i`` (its owners)."""
        return self.in_edges[self.in_ptr[i] : self.in_ptr[i + 1]]

    def share(self, e: int) -> Share:
        return Share.from_columns(int(self.lo[e]), int(self.hi[e]), int(self.flags[e]))

    def edge_kind(self, e: int) -> str:
        return OWNERSHIP_KINDS[int(self.kind[e])]

    def edge(self, e: int) -> EdgeInfo:
        row = int(self.edge_rows[e])
        t = self._t["edges"]
        load_id = int(t.column("load_id")[row].as_py())
        owner, owned = int(self.src[e]), int(self.dst[e])
        return EdgeInfo(
            index=int(e),
            owner=owner,
            owned=owned,
            owner_id=self.id(owner),
            owned_id=self.id(owned),
            share=self.share(e),
            kind=self.edge_kind(e),
            arrangement=t.column("arrangement")[row].as_py(),
            start=date_of(int(t.column("start")[row].as_py())),
            end=date_of(int(t.column("end")[row].as_py())),
            source=t.column("source")[row].as_py(),
            file=self._load_paths.get(load_id),
            locator=t.column("locator")[row].as_py(),
            alternatives=int(self._alternatives[e]),
        )

    # -- designations and listings ---------------------------------------------------------------
    def designated(self, regime: str) -> npt.NDArray[np.int64]:
        """Nodes designated under ``regime`` as of the view's date (sorted, unique)."""
        r = REGIME_IDS.index(regime)
        rows = self._des_active[self._des_regime[self._des_active] == r]
        return np.unique(self._des_node[rows]).astype(np.int64)

    def designation_rows(
        self, i: int | None = None, regime: str | None = None, *, active_only: bool = True
    ) -> list[dict[str, Any]]:
        """Designation records (of node ``i`` and/or a regime) with their sources."""
        des = self._t["designations"]
        rows = self._des_active if active_only else np.arange(des.num_rows)
        if i is not None:
            rows = rows[self._des_node[rows] == i]
        if regime is not None:
            rows = rows[self._des_regime[rows] == REGIME_IDS.index(regime)]
        out = []
        for r in rows.tolist():
            d = {c: des.column(c)[r].as_py() for c in des.column_names}
            d["regime"] = REGIME_IDS[d["regime"]]
            for c in ("listed", "effective", "removed"):
                d[c] = date_of(d[c])
            d["entity_id"] = self.id(d.pop("node"))
            d["file"] = self._load_paths.get(d.pop("load_id"))
            out.append(d)
        return out

    def listing_rows(self, i: int | None = None, *, active_only: bool = True) -> list[dict[str, Any]]:
        lis = self._t["listings"]
        node = lis.column("node").to_numpy()
        rows = np.arange(lis.num_rows) if i is None else np.flatnonzero(node == i)
        if active_only:
            d = days(self.as_of)
            listed = lis.column("listed").to_numpy()[rows]
            delisted = lis.column("delisted").to_numpy()[rows]
            rows = rows[(listed <= d) & (d < delisted)]
        out = []
        for r in rows.tolist():
            row = {c: lis.column(c)[r].as_py() for c in lis.column_names}
            row["listed"], row["delisted"] = date_of(row["listed"]), date_of(row["delisted"])
            row["entity_id"] = self.id(row.pop("node"))
            row["file"] = self._load_paths.get(row.pop("load_id"))
            out.append(row)
        return out

    def listed_nodes(self) -> npt.NDArray[np.int64]:
        """Nodes with a listing active as of the view's date."""
        lis = self._t["listings"]
        d = days(self.as_of)
        listed = lis.column("listed").to_numpy()
        delisted = lis.column("delisted").to_numpy()
        node = lis.column("node").to_numpy()
        return np.unique(node[(listed <= d) & (d < delisted)]).astype(np.int64)

    def claim_rows(self, i: int) -> list[dict[str, Any]]:
        cl = self._t["claims"]
        rows = np.flatnonzero(cl.column("node").to_numpy() == i)
        out = []
        for r in rows.tolist():
            row = {c: cl.column(c)[r].as_py() for c in cl.column_names}
            row["subject_id"] = self.id(row.pop("node"))
            row["file"] = self._load_paths.get(row.pop("load_id"))
            out.append(row)
        return out

    def table(self, name: str) -> pa.Table:
        """A raw cache table (``holdings``, ``venues``, ...) for queries that need it."""
        return self._t[name]

    # -- the primitives that carry a query's work (on the server for the Neo4j engine) ----------
    def steps(self, kinds: frozenset[int] | None, directed: bool) -> Steps:
        """One BFS hop over this view's CSR arrays (edge kinds ``kinds``, all when None), for
        the path searches of :mod:`ownergraph.queries.paths`."""
        from ownergraph.queries.paths import csr_steps

        return csr_steps(self, kinds, directed)

    def around(self, nodes: Iterable[int], direction: str = "both") -> GraphView:
        """A view holding at least the edges at ``nodes`` (this one: it holds every edge)."""
        return self

    def cone(self, q: int, direction: str, kinds: frozenset[int]) -> GraphView:
        """A view holding at least the cone of ``q`` (this one: it holds every edge)."""
        return self

    # -- the regimes' fixpoint -----------------------------------------------------------------
    def fixpoints(
        self, units: Sequence[Iterable[int]], upper: bool, rule: FixpointRule
    ) -> list[dict[int, int]]:
        """Members of a regime's lower or upper fixpoint from each unit's seeds, with the round in
        which each joined (the UK's one unit per designated person), all the units at once
        (:func:`~ownergraph.graph.backend.array_fixpoints`)."""
        from ownergraph.graph.backend import array_fixpoints

        return array_fixpoints(self, units, upper, rule)

    # -- networkx ------------------------------------------------------------------------------
    def to_networkx(self, nodes: Iterable[int] | None = None) -> nx.MultiDiGraph[str]:
        """The view (or the subgraph induced by ``nodes``) as a ``networkx.MultiDiGraph``.

        Nodes are canonical ids with ``name``, ``kind``, ``jurisdiction``, ``designations``
        (regime list) and ``listings`` (``MIC:ticker``); edges carry ``share`` (the canonical
        interval string), ``share_min``/``share_max`` (percent, None when unknown), ``kind``,
        ``source``, ``start`` and ``end``.
        """
        import networkx as nx

        if nodes is None:
            keep = np.arange(self.n)
        else:
            keep = np.unique(np.fromiter((int(x) for x in nodes), dtype=np.int64))
        mask = np.zeros(self.n, dtype=bool)
        mask[keep] = True
        g: nx.MultiDiGraph[str] = nx.MultiDiGraph(as_of=self.as_of.isoformat())
        regimes: dict[int, list[str]] = {}
        act = self._des_active
        for node, reg in zip(self._des_node[act].tolist(), self._des_regime[act].tolist(), strict=True):
            if mask[node]:
                regimes.setdefault(node, []).append(REGIME_IDS[reg])
        lis = self._t["listings"]
        lnode = lis.column("node").to_numpy()
        listings: dict[int, list[str]] = {}
        for r in np.flatnonzero(mask[lnode]).tolist() if len(lnode) else []:
            mic = lis.column("mic")[r].as_py() or "?"
            tick = lis.column("ticker")[r].as_py() or lis.column("isin")[r].as_py() or ""
            listings.setdefault(int(lnode[r]), []).append(f"{mic}:{tick}")
        ids = self._ids
        for i in keep.tolist():
            g.add_node(
                ids[i].as_py(),
                name=self.name(i),
                kind=self.kind_of(i),
                jurisdiction=self.jurisdiction(i),
                designations=sorted(set(regimes.get(i, []))),
                listings=listings.get(i, []),
            )
        sel = np.flatnonzero(mask[self.src] & mask[self.dst])
        t = self._t["edges"]
        for e in sel.tolist():
            s = self.share(e)
            row = int(self.edge_rows[e])
            g.add_edge(
                ids[int(self.src[e])].as_py(),
                ids[int(self.dst[e])].as_py(),
                key=int(e),
                share=str(s),
                share_min=s.min_pct,
                share_max=s.max_pct,
                kind=self.edge_kind(e),
                arrangement=t.column("arrangement")[row].as_py(),
                source=t.column("source")[row].as_py(),
                start=(d.isoformat() if (d := date_of(int(t.column("start")[row].as_py()))) else None),
                end=(d2.isoformat() if (d2 := date_of(int(t.column("end")[row].as_py()))) else None),
            )
        return g
