"""The Neo4j engine: the graph as of one date on a Neo4j server.

A :class:`Neo4jView` answers the same primitives as the in-memory
:class:`~ownergraph.graph.view.GraphView` (:class:`~ownergraph.graph.backend.GraphBackend`), so
every query in :mod:`ownergraph.queries` runs on it unchanged and gives the same rows. It reads
the property graph written by :func:`ownergraph.graph.neo4j_store.push` (schema in
``docs/neo4j-schema.md``) with parameterised Cypher, and nothing before a query needs it.

The primitives that carry a query's work run on the server (:mod:`ownergraph.graph.neo4j_cypher`):
``fixpoints`` (``restricted``, and through it ``loopholes`` and ``exposure``) in one
Cypher round per synchronous round (all the UK's chains in one), ``steps`` (the BFS hops of
``path``) one query per hop, ``cone`` (the look-through cone of ``ownership``) hop by hop;
``around`` reads only the edges at some nodes: to explain an answer with the shared code
(derivations, hops, stakes), and hop by hop the subgraph a loophole or exposure search needs.

What is read is laid out as the in-memory engine's columns, each table when first needed:

* ``:Entity`` nodes become dense node numbers in canonical-id order (the node table is read
  once: every answer names entities by id);
* ownership/control relationships (``OWNS``, ``VOTES``, ``BOARD``, ``CONTROLS``,
  ``CONSOLIDATES``) that have started by the date (``start <= $as_of``: the server leaves out
  the future) become edge records; the shared view code keeps the edges active on the date, one
  per (owner, owned, kind) by latest ``start`` and then ``seq``, and builds the CSR arrays. The
  whole graph's edges are read only when a caller reads the view's arrays directly (no query
  does; :attr:`Neo4jView.loaded` tells). Ended records stay in the
  table: the ``timing`` loophole reads them;
* ``DESIGNATED``, ``LISTED_ON`` (plus the MIC-less listings kept as ``Entity.isins``) and
  ``HOLDS`` relationships become the designation, listing and holding tables.

Keys are resolved on the server: a canonical id maps to its node number directly, any other id
or ``scheme:value`` identifier is looked up in ``Entity.ids`` by one Cypher query per batch, so
the view never downloads the identifiers.

What the server does not hold is not in the view: claims (names only, never pushed), aliases
and per-record provenance of entities (``show`` and name matching by alias need the
workspace), the load order of records (no answer depends on it: ties are broken by canonical
id and file position on both engines), and the dates and sources of listings without a MIC
(only their ISINs are pushed; they count as listed on every date).

The view holds one driver until :meth:`close` (or the end of a ``with`` block).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from ownergraph.errors import EngineError, NotFoundError
from ownergraph.graph.cache import NO_DATE_HI, NO_DATE_LO, TABLES, days
from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS, REGIME_IDS
from ownergraph.graph.neo4j_store import DEFAULT_URI, EDGE_TYPES, _connect
from ownergraph.graph.shares import parse_share
from ownergraph.graph.view import GraphView

if TYPE_CHECKING:
    from neo4j import EagerResult

    from ownergraph.graph.backend import FixpointRule
    from ownergraph.graph.neo4j_store import _Conn
    from ownergraph.queries.paths import Steps

__all__ = ["Neo4jView", "canonical_layout"]

log = logging.getLogger(__name__)

_KIND_OF_TYPE: Final[dict[str, int]] = {t: OWNERSHIP_KINDS.index(k) for k, t in EDGE_TYPES.items()}
_UNKNOWN_KIND: Final = ENTITY_KINDS.index("unknown")

# -- Cypher -----------------------------------------------------------------------------------------
# Labels, types and property names come from the fixed schema of docs/neo4j-schema.md, never from
# data; the date and the keys travel as parameters. A property the database has never seen is
# read as null, and a type or label it has never seen is not matched at all: naming one draws a
# server notification. Each query returns one record holding its rows as a list of lists
# (``collect`` of a list keeps nulls, which ``collect`` of a value drops); the driver decodes
# that several times faster than one record per row.

Columns = tuple[tuple[str, str], ...]
"""(name, Cypher expression) of each column a query returns."""


def _cols(spec: str) -> Columns:
    """``"src=a.id dst=b.id"`` → ``(("src", "a.id"), ("dst", "b.id"))``."""
    return tuple((name, expr) for name, _, expr in (item.partition("=") for item in spec.split()))


_ENTITY_COLUMNS: Final = _cols("id=e.id name=e.name kind=e.kind jurisdiction=e.jurisdiction")
_EDGE_COLUMNS: Final = _cols(
    "src=a.id dst=b.id type=type(r) share=r.share start=r.start end=r.end arrangement=r.arrangement"
    " source=r.source file=r.file locator=r.locator seq=r.seq"
)
_EDGE_ID_COLUMNS: Final = (*_EDGE_COLUMNS, ("eid", "elementId(r)"))
_DESIGNATION_COLUMNS: Final = _cols(
    "node=e.id regime=g.id listed=d.listed effective=d.effective removed=d.removed list=d.list"
    " program=d.program reference=d.reference source=d.source file=d.file locator=d.locator"
)
_LISTING_COLUMNS: Final = _cols(
    "node=e.id mic=v.mic ticker=l.ticker isin=l.isin listed=l.listed delisted=l.delisted source=l.source"
    " file=l.file locator=l.locator"
)
_ISIN_COLUMNS: Final = _cols("node=e.id isins=e.isins")
_HOLDING_COLUMNS: Final = _cols(
    "holder=h.id node=t.id isin=x.isin cusip=x.cusip shares=x.shares value=x.value weight=x.weight"
    " as_of=x.as_of source=x.source file=x.file locator=x.locator"
)
_VENUE_COLUMNS: Final = _cols(
    "mic=v.mic name=v.name country=v.country operating_mic=v.operating_mic status=v.status"
)
_Q_KEYS: Final = (
    "MATCH (e:Entity) WHERE any(k IN e.ids WHERE k IN $keys) "
    "RETURN collect([e.id, [k IN e.ids WHERE k IN $keys]]) AS rows"
)
_Q_ALL_KEYS: Final = "MATCH (e:Entity {id: $id}) RETURN e.ids AS ids"
_FACT_COLUMNS: Final = _cols("id=e.id name=e.name jurisdiction=e.jurisdiction")
_Facts = tuple[str, str | None]
"""A node's name and jurisdiction."""


class _Schema:
    """Labels, relationship types and property keys in use in the database."""

    def __init__(self, conn: _Conn) -> None:
        def names(query: str) -> set[str]:
            return {str(r["x"]) for r in conn.run(query, read=True).records}

        self.labels = names("CALL db.labels() YIELD label RETURN label AS x")
        self.types = names("CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType AS x")
        self.keys = names("CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey AS x")

    def query(self, match: str, columns: Columns, *needs: str) -> str | None:
        """``{match} RETURN collect([...]) AS rows``, absent properties read as null; None when
        a label, relationship type or property key in ``needs`` is not in use (no rows)."""
        if not all(t in self.labels or t in self.types or t in self.keys for t in needs):
            return None
        items = []
        for _name, expr in columns:
            var, dot, key = expr.partition(".")
            items.append("null" if dot and var.isidentifier() and key not in self.keys else expr)
        return f"{match} RETURN collect([{', '.join(items)}]) AS rows"


def _rows(
    conn: _Conn, columns: Columns, query: str | None, params: Mapping[str, Any] | None = None
) -> dict[str, list[Any]]:
    """Run a ``collect([...]) AS rows`` query; its rows by column name. No query: no rows."""
    names = [name for name, _expr in columns]
    rows: list[list[Any]] = []
    if query is not None:
        res: EagerResult = conn.run(query, params, read=True)
        rows = res.records[0]["rows"] if res.records else []
    if not rows:
        return {c: [] for c in names}
    return {c: list(v) for c, v in zip(names, zip(*rows, strict=True), strict=True)}


# -- column helpers ---------------------------------------------------------------------------------


def _day_column(values: Sequence[str | None], missing: np.int32) -> npt.NDArray[np.int32]:
    """ISO dates as days since 1970 (the cache's unit); ``missing`` for null."""
    memo: dict[str | None, int] = {None: int(missing)}
    out = np.empty(len(values), dtype=np.int32)
    for k, v in enumerate(values):
        d = memo.get(v)
        if d is None:
            d = memo[v] = days(dt.date.fromisoformat(str(v)))
        out[k] = d
    return out


def _share_columns(
    texts: Sequence[str | None],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int8]]:
    """``lo``, ``hi`` (ppm) and ``flags`` from the canonical share strings (parsed once each)."""
    memo: dict[str | None, tuple[int, int, int]] = {}
    lo = np.empty(len(texts), dtype=np.int32)
    hi = np.empty(len(texts), dtype=np.int32)
    flags = np.empty(len(texts), dtype=np.int8)
    for k, t in enumerate(texts):
        got = memo.get(t)
        if got is None:
            s = parse_share(t)
            got = memo[t] = (s.lo, s.hi, s.to_flags())
        lo[k], hi[k], flags[k] = got
    return lo, hi, flags


def _locator_key(locator: str | None) -> tuple[str, int]:
    """``ownership.csv:12`` → ``("ownership.csv:", 12)``: records in file order."""
    if not locator:
        return ("", -1)
    m = re.match(r"^(.*?)(\d+)$", locator)
    return (m.group(1), int(m.group(2))) if m else (locator, -1)


class _Loads:
    """Synthetic load ids for the ``file`` values read from the server (``load_paths``)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def column(self, files: Sequence[str | None]) -> pa.Array:
        ids = [-1 if f is None else self.ids.setdefault(f, len(self.ids) + 1) for f in files]
        return pa.array(ids, pa.int32())

    def paths(self) -> dict[int, str]:
        return {i: f for f, i in self.ids.items()}


def _strings(values: Sequence[Any]) -> pa.Array:
    return pa.array(values, pa.string())


# -- reading -----------------------------------------------------------------------------------------


def _record_order(table: pa.Table, paths: Mapping[int, str]) -> list[int]:
    """Rows by file, position in the file, then content: the canonical record order."""
    files = [paths.get(int(i), "") if i is not None else "" for i in table.column("load_id").to_pylist()]
    locators = [_locator_key(x) for x in table.column("locator").to_pylist()]
    rest = [c for c in table.column_names if c not in ("load_id", "locator")]
    texts = [["" if v is None else str(v) for v in table.column(c).to_pylist()] for c in rest]
    content = zip(*texts, strict=True) if texts else iter(() for _ in files)
    keys = [(f, *loc, *row) for f, loc, row in zip(files, locators, content, strict=True)]
    return sorted(range(len(keys)), key=keys.__getitem__)


def canonical_layout(tables: Mapping[str, pa.Table], load_paths: Mapping[int, str]) -> dict[str, pa.Table]:
    """Cache tables laid out in the canonical order both engines can reproduce.

    Nodes are numbered in canonical-id order; edge records are sorted by (owner, owned) and
    then record number (``seq``), as the cache sorts them; designations, listings, holdings and
    claims by file, position in the file and content. The Neo4j engine reads the server's
    records in this layout; a workspace's tables (nodes in load order, records in store order)
    give the same layout, so the two engines hold the same arrays.
    """
    ids = tables["nodes"].column("id").to_pylist()
    order = sorted(range(len(ids)), key=ids.__getitem__)
    new = np.empty(len(ids), dtype=np.int64)
    new[order] = np.arange(len(ids), dtype=np.int64)

    def renumber(t: pa.Table, *cols: str) -> pa.Table:
        for c in cols:
            old = t.column(c).to_numpy().astype(np.int64)
            mapped = np.where(old >= 0, new[np.maximum(old, 0)], old) if len(new) else old
            t = t.set_column(t.column_names.index(c), c, pa.array(mapped.astype(np.int32)))
        return t

    out = dict(tables)
    out["nodes"] = tables["nodes"].take(pa.array(order, pa.int64()))
    out["keys"] = renumber(tables["keys"], "node")
    e = renumber(tables["edges"], "src", "dst")
    cols_e = [e.column(c).to_numpy() for c in ("seq", "dst", "src")]
    e = e.take(pa.array(np.lexsort(cols_e)))
    out["edges"] = e
    out["edges_by_dst"] = pa.table(
        {"row": pa.array(np.argsort(e.column("dst").to_numpy(), kind="stable").astype(np.int64))}
    )
    records = {
        "designations": ("node",),
        "listings": ("node",),
        "holdings": ("holder", "node"),
        "claims": ("node",),
    }
    for name, cols in records.items():
        t = renumber(tables[name], *cols)
        out[name] = t.take(pa.array(_record_order(t, load_paths), pa.int64()))
    return out


class _Reader:
    """Reads the cache tables of one date from the server, one table (or one part of the edges)
    at a time, in the canonical layout of :func:`canonical_layout` (nodes in canonical-id order,
    records sorted as there), so each table equals the one the workspace's cache would give."""

    def __init__(self, conn: _Conn, as_of: dt.date, timings: dict[str, float] | None = None) -> None:
        self.conn = conn
        self.as_of = as_of
        self.timings = timings if timings is not None else {}
        self.schema = _Schema(conn)
        self.loads = _Loads()
        self.paths: dict[int, str] = {}
        """Load id → file of every record read so far (one dict, kept up to date)."""
        self._index: pd.Index | None = None

    def _lap(self, what: str, since: float) -> None:
        self.timings[what] = round(self.timings.get(what, 0.0) + time.perf_counter() - since, 4)

    def _sync_paths(self) -> None:
        self.paths.update(self.loads.paths())

    @property
    def index(self) -> pd.Index:
        assert self._index is not None, "read the nodes first"
        return self._index

    def nodes_of(self, values: Sequence[str]) -> pa.Array:
        got = self.index.get_indexer(pd.Index(list(values), dtype=object))
        return pa.array(np.asarray(got, dtype=np.int32))

    def records(self, t: pa.Table) -> pa.Table:
        """Records in file order (as :func:`canonical_layout` sorts them)."""
        self._sync_paths()
        return t.take(pa.array(_record_order(t, self.paths), pa.int64()))

    def _regime_codes(self, regimes: Sequence[str]) -> npt.NDArray[np.int8]:
        """Regime ids of ``:DESIGNATED`` relationships as int8 codes; an id this version does not
        know (a database pushed by another version) is an EngineError naming it."""
        code = {r: i for i, r in enumerate(REGIME_IDS)}
        unknown = sorted({r for r in regimes if r not in code})
        if unknown:
            raise EngineError(
                f"Neo4j at {self.conn.uri} (database {self.conn.database!r}): :DESIGNATED relationships"
                f" name regime {unknown[0]!r} this version does not know (field regime; known:"
                f" {', '.join(REGIME_IDS)}); push the workspace again with --replace using this version"
            )
        return np.array([code[r] for r in regimes], dtype=np.int8)

    # -- one table each ----------------------------------------------------------------------------
    def ids(self) -> list[str]:
        """Canonical ids in node order (the numbering), read alone: ids are all a path search or
        a key lookup needs, and they read several times faster than the whole node table."""
        if self._index is None:
            clock = time.perf_counter()
            got = _rows(
                self.conn, _cols("id=e.id"), self.schema.query("MATCH (e:Entity)", _cols("id=e.id"), "Entity")
            )
            ids = sorted(str(x) for x in got["id"])
            self._index = pd.Index(ids, dtype=object)
            self._lap("read ids", clock)
        return list(self._index)

    def nodes(self) -> pa.Table:
        clock = time.perf_counter()
        ent = _rows(
            self.conn, _ENTITY_COLUMNS, self.schema.query("MATCH (e:Entity)", _ENTITY_COLUMNS, "Entity")
        )
        order = sorted(range(len(ent["id"])), key=ent["id"].__getitem__)
        ids = [ent["id"][k] for k in order]
        self._index = pd.Index(ids, dtype=object)
        kind_code = {k: i for i, k in enumerate(ENTITY_KINDS)}
        kinds = [kind_code.get(ent["kind"][k], _UNKNOWN_KIND) for k in order]
        t = pa.table(
            {
                "id": _strings(ids),
                "name": _strings([ent["name"][k] for k in order]),
                "kind": pa.array(np.array(kinds, np.int8)),
                "jurisdiction": _strings([ent["jurisdiction"][k] for k in order]),
                "records": pa.array(np.ones(len(ids), dtype=np.int32)),
            }
        )
        self._lap("read entities", clock)
        return t

    def edges(self, around: Sequence[str] | None = None, direction: str = "both") -> pa.Table:
        """The ownership/control records started by the date (ended ones too: the ``timing``
        loophole reads them): all of them, or those into (``in``), out of (``out``) or at
        (``both``) the entities ``around``, sorted by (owner, owned, record)."""
        clock = time.perf_counter()
        types = "|".join(t for t in EDGE_TYPES.values() if t in self.schema.types)
        started = "(r.start IS NULL OR r.start <= $as_of)"
        params: dict[str, Any] = {"as_of": self.as_of.isoformat()}
        matches: list[str] = []
        if around is None:
            matches.append(f"MATCH (a:Entity)-[r:{types}]->(b:Entity) WHERE {started}")
        else:
            params["ids"] = list(around)
            if direction in ("in", "both"):
                matches.append(
                    f"UNWIND $ids AS i MATCH (a:Entity)-[r:{types}]->(b:Entity {{id: i}}) WHERE {started}"
                )
            if direction in ("out", "both"):
                matches.append(
                    f"UNWIND $ids AS i MATCH (a:Entity {{id: i}})-[r:{types}]->(b:Entity) WHERE {started}"
                )
        e: dict[str, list[Any]] = {c: [] for c, _ in _EDGE_COLUMNS}
        seen: set[str] = set()
        for match in matches if types else []:
            got = _rows(
                self.conn,
                _EDGE_ID_COLUMNS,
                self.schema.query(match, _EDGE_ID_COLUMNS),
                params,
            )
            for k, eid in enumerate(got["eid"]):
                if eid not in seen:  # a record between two entities of ``around`` comes twice
                    seen.add(eid)
                    for c in e:
                        e[c].append(got[c][k])
        lo, hi, flags = _share_columns(e["share"])
        t = pa.table(
            {
                "src": self.nodes_of(e["src"]),
                "dst": self.nodes_of(e["dst"]),
                "lo": pa.array(lo),
                "hi": pa.array(hi),
                "flags": pa.array(flags),
                "kind": pa.array(np.array([_KIND_OF_TYPE[x] for x in e["type"]], dtype=np.int8)),
                "start": pa.array(_day_column(e["start"], NO_DATE_LO)),
                "end": pa.array(_day_column(e["end"], NO_DATE_HI)),
                "arrangement": _strings(e["arrangement"]),
                "source": _strings(e["source"]),
                "load_id": self.loads.column(e["file"]),
                "locator": _strings(e["locator"]),
                "seq": pa.array([-1 if s is None else s for s in e["seq"]], pa.int64()),
            }
        )
        cols = [t.column(c).to_numpy() for c in ("seq", "dst", "src")]
        t = t.take(pa.array(np.lexsort(cols)))
        self._sync_paths()
        self._lap("read edges", clock)
        return t

    def designations(self) -> pa.Table:
        clock = time.perf_counter()
        d = _rows(
            self.conn,
            _DESIGNATION_COLUMNS,
            self.schema.query(
                "MATCH (e:Entity)-[d:DESIGNATED]->(g:Regime)", _DESIGNATION_COLUMNS, "DESIGNATED", "Regime"
            ),
        )
        t = pa.table(
            {
                "node": self.nodes_of(d["node"]),
                "regime": pa.array(self._regime_codes(d["regime"])),
                "listed": pa.array(_day_column(d["listed"], NO_DATE_LO)),
                "effective": pa.array(_day_column(d["effective"], NO_DATE_LO)),
                "removed": pa.array(_day_column(d["removed"], NO_DATE_HI)),
                **{c: _strings(d[c]) for c in ("list", "program", "reference", "source")},
                "load_id": self.loads.column(d["file"]),
                "locator": _strings(d["locator"]),
            }
        )
        t = self.records(t)
        self._lap("designations", clock)
        return t

    def listings(self) -> pa.Table:
        """Listings on a venue, then listings without one (pushed only as ``Entity.isins``)."""
        clock = time.perf_counter()
        li = _rows(
            self.conn,
            _LISTING_COLUMNS,
            self.schema.query(
                "MATCH (e:Entity)-[l:LISTED_ON]->(v:Venue)", _LISTING_COLUMNS, "LISTED_ON", "Venue"
            ),
        )
        on_venue = set(zip(li["node"], li["isin"], strict=True))
        extra = _rows(
            self.conn,
            _ISIN_COLUMNS,
            self.schema.query("MATCH (e:Entity) WHERE e.isins IS NOT NULL", _ISIN_COLUMNS, "Entity", "isins"),
        )
        for node, isins in zip(extra["node"], extra["isins"], strict=True):
            for isin in isins:
                if (node, isin) not in on_venue:
                    for col in li.values():
                        col.append(None)
                    li["node"][-1], li["isin"][-1] = node, isin
        t = pa.table(
            {
                "node": self.nodes_of(li["node"]),
                **{c: _strings(li[c]) for c in ("mic", "ticker", "isin")},
                "listed": pa.array(_day_column(li["listed"], NO_DATE_LO)),
                "delisted": pa.array(_day_column(li["delisted"], NO_DATE_HI)),
                "source": _strings(li["source"]),
                "load_id": self.loads.column(li["file"]),
                "locator": _strings(li["locator"]),
            }
        )
        t = self.records(t)
        self._lap("listings", clock)
        return t

    def holdings(self) -> pa.Table:
        """Holdings of resolved securities."""
        clock = time.perf_counter()
        h = _rows(
            self.conn,
            _HOLDING_COLUMNS,
            self.schema.query("MATCH (h:Entity)-[x:HOLDS]->(t:Entity)", _HOLDING_COLUMNS, "HOLDS"),
        )
        t = pa.table(
            {
                "holder": self.nodes_of(h["holder"]),
                "node": self.nodes_of(h["node"]),
                "isin": _strings(h["isin"]),
                "cusip": _strings(h["cusip"]),
                **{c: pa.array(h[c], pa.float64()) for c in ("shares", "value", "weight")},
                "as_of": pa.array(_day_column(h["as_of"], NO_DATE_LO)),
                "source": _strings(h["source"]),
                "load_id": self.loads.column(h["file"]),
                "locator": _strings(h["locator"]),
            }
        )
        t = self.records(t)
        self._lap("holdings", clock)
        return t

    def venues(self) -> pa.Table:
        v = _rows(self.conn, _VENUE_COLUMNS, self.schema.query("MATCH (v:Venue)", _VENUE_COLUMNS, "Venue"))
        return pa.table({c: _strings(vals) for c, vals in v.items()})

    @staticmethod
    def keys() -> pa.Table:
        """Empty: keys are resolved on the server."""
        return pa.table({"key": pa.array([], pa.string()), "node": pa.array([], pa.int32())})

    @staticmethod
    def claims() -> pa.Table:
        """Empty: claims are never pushed."""
        return pa.table(
            {
                "node": pa.array([], pa.int32()),
                **{c: pa.array([], pa.string()) for c in ("relation", "name", "source")},
                "load_id": pa.array([], pa.int32()),
                "locator": pa.array([], pa.string()),
            }
        )


def _by_dst(edges: pa.Table) -> pa.Table:
    return pa.table(
        {"row": pa.array(np.argsort(edges.column("dst").to_numpy(), kind="stable").astype(np.int64))}
    )


class _Tables(Mapping[str, pa.Table]):
    """The cache tables of a :class:`Neo4jView`, each read from the server when first asked for."""

    def __init__(self, reader: _Reader) -> None:
        self._reader = reader
        self._have: dict[str, pa.Table] = {}

    def __getitem__(self, name: str) -> pa.Table:
        t = self._have.get(name)
        if t is None:
            r = self._reader
            if r._index is None:
                r.ids()
            if name in ("edges", "edges_by_dst"):
                self._have["edges"] = r.edges()
                self._have["edges_by_dst"] = _by_dst(self._have["edges"])
            elif name in TABLES:
                self._have[name] = getattr(r, name)()
            else:
                raise KeyError(name)
            t = self._have[name]
        return t

    def __iter__(self) -> Iterator[str]:
        return iter(TABLES)

    def __len__(self) -> int:
        return len(TABLES)


class _Around(Mapping[str, pa.Table]):
    """A subgraph's tables: its own edges, every other table the parent view's."""

    def __init__(self, parent: _Tables, edges: pa.Table) -> None:
        self._parent = parent
        self._edges = {"edges": edges, "edges_by_dst": _by_dst(edges)}

    def __getitem__(self, name: str) -> pa.Table:
        got = self._edges.get(name)
        return got if got is not None else self._parent[name]

    def __iter__(self) -> Iterator[str]:
        return iter(TABLES)

    def __len__(self) -> int:
        return len(TABLES)


class _SubView(GraphView):
    """A subgraph of a :class:`Neo4jView` (:meth:`Neo4jView.around`): its own edges, the
    parent's node numbering; node names, kinds and every other table come from the parent when
    first used, so a search that shows only ids never reads the node table."""

    def __init__(self, parent: Neo4jView, edges: pa.Table) -> None:
        self._parent = parent
        tables = _Around(parent._tables, edges)
        GraphView.__init__(self, tables, parent.as_of, load_paths=parent._reader.paths)

    def _index_nodes(self, tables: Mapping[str, pa.Table]) -> None:
        self.n = self._parent.n

    def __getattr__(self, name: str) -> Any:
        if name in ("_ids", "_names", "kinds") and "_parent" in self.__dict__:
            return getattr(self._parent, name)
        raise AttributeError(name)

    def ids(self) -> list[str]:
        return self._parent.ids()

    def name(self, i: int) -> str:
        return self._parent.name(i)

    def names(self, nodes: Sequence[int] | npt.NDArray[np.int64]) -> list[str]:
        return self._parent.names(nodes)

    def jurisdiction(self, i: int) -> str | None:
        return self._parent.jurisdiction(i)

    def jurisdictions(self, nodes: Sequence[int] | npt.NDArray[np.int64]) -> list[str | None]:
        return self._parent.jurisdictions(nodes)

    def ids_of(self, nodes: Sequence[int] | npt.NDArray[np.int64]) -> list[str]:
        return self._parent.ids_of(nodes)


_ID_ATTRS: Final = frozenset({"n", "_ids"})
_NODE_ATTRS: Final = frozenset({"_names", "kinds"})
_DESIGNATION_ATTRS: Final = frozenset({"_des_active", "_des_node", "_des_regime"})
_EDGE_ATTRS: Final = frozenset(
    {
        "m",
        "src",
        "dst",
        "lo",
        "hi",
        "flags",
        "kind",
        "edge_rows",
        "out_ptr",
        "out_edges",
        "in_ptr",
        "in_edges",
        "_alternatives",
    }
)


class Neo4jView(GraphView):
    """The graph as of one date on a Neo4j server (the ``neo4j`` engine), read lazily.

    Opening the view reads nothing. The queries' work runs on the server through the backend
    primitives (:meth:`fixpoints`, :meth:`steps`, :meth:`around`, :meth:`cone`); the node table
    (canonical ids, names, kinds, jurisdictions) and each other table are read once when first
    needed (the node numbering needs only the ids), and the whole graph's edge arrays only when
    a caller reads them directly (:attr:`loaded` tells).

    Parameters
    ----------
    uri
        Bolt URI (``bolt://host:7687``, ``neo4j+s://xxxx.databases.neo4j.io``).
    user, password
        Credentials; omit both when auth is off.
    database
        Database name (Community has only ``neo4j``).
    as_of
        The date (default today).

    Raises
    ------
    EngineError
        One line naming the URI and the fix when the server is unreachable, refuses the
        credentials or the query, or is older than 5.0.

    Examples
    --------
    >>> from ownergraph.queries import restricted  # doctest: +SKIP
    >>> with Neo4jView("bolt://localhost:7687", as_of="2022-01-07") as view:  # doctest: +SKIP
    ...     rows = restricted(view, "ofac-ns-cmic")
    """

    def __init__(
        self,
        uri: str = DEFAULT_URI,
        *,
        user: str | None = None,
        password: str | None = None,
        database: str = "neo4j",
        as_of: dt.date | str | None = None,
    ) -> None:
        from ownergraph.graph.model import parse_date

        day = parse_date(as_of, field="as_of") if as_of is not None else None
        self.uri = uri
        self.database = database
        self.as_of = day or dt.date.today()
        self.workspace = None
        self.timings: dict[str, float] = {}
        """Seconds spent per step of reading the graph (for benchmarks)."""
        self._stack = ExitStack()
        self._closed = False
        self._present_types: set[str] | None = None
        self._canonical_index: pd.Index | None = None
        self._id_cache = None
        self._key_index = None
        self._lookups = 0
        self._key_nodes = None
        self._facts: dict[int, _Facts] = {}
        try:
            self._conn = self._stack.enter_context(_connect(uri, user, password, database))
            self.server_version = self._conn.version
            self._reader = _Reader(self._conn, self.as_of, self.timings)
        except BaseException:
            self._stack.close()
            raise
        self._tables = _Tables(self._reader)
        self._t = self._tables
        self._load_paths = self._reader.paths

    # -- what is read lazily -------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        """Node, designation and edge arrays, read from the server when first used."""
        if name.startswith("__") or "_tables" not in self.__dict__:
            raise AttributeError(name)
        if name in _ID_ATTRS:
            ids = self._reader.ids()
            self.n = len(ids)
            self._ids = pa.array(ids, pa.string())
            self._id_cache = ids
        elif name in _NODE_ATTRS:
            GraphView._index_nodes(self, self._tables)
        elif name in _DESIGNATION_ATTRS:
            self._index_designations(self._tables["designations"])
        elif name in _EDGE_ATTRS:
            clock = time.perf_counter()
            GraphView.__init__(self, self._tables, self.as_of, workspace=None, load_paths=self._reader.paths)
            self._t = self._tables
            self.timings["whole-graph arrays"] = round(time.perf_counter() - clock, 4)
        else:
            raise AttributeError(name)
        return object.__getattribute__(self, name)

    @property
    def loaded(self) -> bool:
        """Whether the whole graph's edges were read (a query walked the arrays directly)."""
        return "src" in self.__dict__

    @property
    def _canonical(self) -> pd.Index:
        if self._canonical_index is None:
            self._canonical_index = pd.Index(self.ids(), dtype=object)
        return self._canonical_index

    # -- lifecycle -------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the driver (what was read stays usable; anything else needs the server)."""
        self._closed = True
        self._stack.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Neo4jView {self.uri} database={self.database!r} as_of={self.as_of}>"

    # -- keys, resolved on the server ----------------------------------------------------------------
    def index(self, key: str) -> int:
        """The node answering to ``key``: any of an entity's ids or ``scheme:value`` identifiers."""
        k = key.strip()
        node = int(self.indices([k])[0])
        if node < 0:
            raise NotFoundError(
                f"no entity answers to {k!r} on {self.uri} (database {self.database!r});"
                " check the id, or push the workspace again"
            )
        return node

    def indices(self, keys: Sequence[str]) -> npt.NDArray[np.int64]:
        """Vectorised :meth:`index` (-1 where nothing answers): canonical ids map to their node
        directly; every other key is looked up in ``Entity.ids`` by one query on the server."""
        wanted = list(keys)
        out = np.asarray(self._canonical.get_indexer(pd.Index(wanted, dtype=object)), dtype=np.int64)
        miss = np.flatnonzero(out < 0)
        if len(miss):
            ask = sorted({wanted[k] for k in miss.tolist()})
            got = _rows(self._connection(), _cols("id=_ keys=_"), _Q_KEYS, {"keys": ask})
            found: dict[str, int] = {}
            nodes = self._canonical.get_indexer(pd.Index(got["id"], dtype=object)).tolist()
            for node, hits in zip(nodes, got["keys"], strict=True):
                for hit in hits:
                    found[hit] = min(found.get(hit, node), node)
            for k in miss.tolist():
                out[k] = found.get(wanted[k], -1)
        return out

    def name(self, i: int) -> str:
        return self.names([i])[0]

    def names(self, nodes: Sequence[int] | npt.NDArray[np.int64]) -> list[str]:
        """The names of node numbers ``nodes``, in order (:meth:`_node_facts`)."""
        got = self._node_facts(nodes)
        return GraphView.names(self, nodes) if got is None else [name for name, _j in got]

    def jurisdiction(self, i: int) -> str | None:
        return self.jurisdictions([i])[0]

    def jurisdictions(self, nodes: Sequence[int] | npt.NDArray[np.int64]) -> list[str | None]:
        """The jurisdictions of node numbers ``nodes``, in order (:meth:`_node_facts`)."""
        got = self._node_facts(nodes)
        return GraphView.jurisdictions(self, nodes) if got is None else [j for _n, j in got]

    def _node_facts(self, nodes: Sequence[int] | npt.NDArray[np.int64]) -> list[_Facts] | None:
        """Name and jurisdiction of node numbers ``nodes``, in order, from one server query for
        those not asked before (by unique id, so explaining a few rows never reads the node
        table); None when a query read the node table already, or when more than a quarter of
        all nodes are asked for (then reading the table is cheaper)."""
        wanted = [int(i) for i in np.asarray(nodes, dtype=np.int64).reshape(-1)]
        cache = self._facts
        missing = sorted({i for i in wanted if i not in cache})
        if "_names" in self.__dict__ or len(missing) > self.n // 4:
            return None
        if missing:
            clock = time.perf_counter()
            ids = self.ids_of(missing)
            match = "UNWIND $ids AS id MATCH (e:Entity {id: id})"
            query = self._reader.schema.query(match, _FACT_COLUMNS, "Entity")
            got = _rows(self._connection(), _FACT_COLUMNS, query, {"ids": ids})
            facts = {
                str(k): (str(n), None if j is None else str(j))
                for k, n, j in zip(got["id"], got["name"], got["jurisdiction"], strict=True)
            }
            cache.update((i, facts[x]) for i, x in zip(missing, ids, strict=True))
            self.timings["names"] = round(self.timings.get("names", 0.0) + time.perf_counter() - clock, 4)
        return [cache[i] for i in wanted]

    def all_keys(self, i: int) -> list[str]:
        """Every id and strong identifier node ``i`` answers to (canonical id first)."""
        res = self._connection().run(_Q_ALL_KEYS, {"id": self.id(i)}, read=True)
        return [str(k) for k in (res.records[0]["ids"] or [])] if res.records else [self.id(i)]

    # -- the work on the server ------------------------------------------------------------------
    def fixpoints(
        self, units: Sequence[Iterable[int]], upper: bool, rule: FixpointRule
    ) -> list[dict[int, int]]:
        """The fixpoints of many units on the server, one round of Cypher per synchronous round
        for all of them (:func:`ownergraph.graph.neo4j_cypher.fixpoints`)."""
        from ownergraph.graph import neo4j_cypher

        return neo4j_cypher.fixpoints(
            self._connection(), self._types(), self.as_of, self.ids_of, self._nodes_of, units, upper, rule
        )

    def steps(self, kinds: frozenset[int] | None, directed: bool) -> Steps:
        """One BFS hop per Cypher query, for the shared path searches."""
        from ownergraph.graph import neo4j_cypher

        return neo4j_cypher.Steps(
            self._connection(),
            self._types(),
            self.as_of,
            self.n,
            self.ids_of,
            self._nodes_of,
            kinds,
            directed,
        )

    def around(self, nodes: Iterable[int], direction: str = "both") -> GraphView:
        """The subgraph of the edges into (``in``), out of (``out``) or at (``both``) ``nodes``,
        read from the server; nodes keep their numbers (the whole graph's arrays once read)."""
        if self.loaded:
            return self
        keys = self.ids_of(sorted({int(x) for x in nodes}))
        return _SubView(self, self._reader.edges(keys, direction))

    def cone(self, q: int, direction: str, kinds: frozenset[int]) -> GraphView:
        """The subgraph at every entity with a walk of ``kinds`` edges to (``up``) or from
        (``down``) ``q``, gathered hop by hop on the server."""
        if self.loaded:
            return self
        from ownergraph.graph import neo4j_cypher

        nodes = neo4j_cypher.cone(
            self._connection(), self._types(), self.as_of, self.ids_of, self._nodes_of, q, direction, kinds
        )
        return self.around(nodes)

    def _types(self) -> set[str]:
        """Relationship types in use in the database (read once)."""
        if self._present_types is None:
            self._present_types = set(self._reader.schema.types)
        return self._present_types

    def ids_of(self, nodes: Sequence[int] | npt.NDArray[np.int64]) -> list[str]:
        """Canonical ids of node numbers ``nodes``, in order (from the id list read once)."""
        ids = self.ids()
        return [ids[int(i)] for i in nodes]

    def _nodes_of(self, keys: Sequence[str]) -> npt.NDArray[np.int64]:
        return np.asarray(self._canonical.get_indexer(pd.Index(list(keys), dtype=object)), dtype=np.int64)

    def _connection(self) -> _Conn:
        if self._closed:
            raise EngineError(f"this Neo4j view of {self.uri} is closed; open another with open_view()")
        return self._conn
