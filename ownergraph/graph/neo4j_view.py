"""The Neo4j engine: the graph as of one date, read from a Neo4j server.

A :class:`Neo4jView` answers the same primitives as the in-memory
:class:`~ownergraph.graph.view.GraphView` (:class:`~ownergraph.graph.backend.GraphBackend`), so
every query in :mod:`ownergraph.queries` runs on it unchanged and gives the same rows. It reads
the property graph written by :func:`ownergraph.graph.neo4j_store.push` (schema in
``docs/neo4j-schema.md``) with a few parameterised Cypher queries, one per record kind, and
lays the records out as the in-memory engine's columns:

* ``:Entity`` nodes become dense node numbers in canonical-id order;
* ownership/control relationships (``OWNS``, ``VOTES``, ``BOARD``, ``CONTROLS``,
  ``CONSOLIDATES``) that have started by the date (``start <= $as_of``: the server leaves out
  the future) become the edge records; the shared view code then keeps the edges active on the
  date, one per (owner, owned, kind) by latest ``start`` and then ``seq``, and builds the CSR
  arrays the queries walk. Ended records stay in the table: the ``timing`` loophole reads them;
* ``DESIGNATED``, ``LISTED_ON`` (plus the MIC-less listings kept as ``Entity.isins``) and
  ``HOLDS`` relationships become the designation, listing and holding tables.

Whole-graph queries (``restricted``, ``loopholes``, ``exposure``) need every active edge, so
the view reads them once and the fixpoints and breadth-first searches run on the arrays, in the
code the in-memory engine uses. Keys are resolved on the server: a canonical id maps to its
node number directly, any other id or ``scheme:value`` identifier is looked up in
``Entity.ids`` by one Cypher query per batch, so the view never downloads the identifiers.

What the server does not hold is not in the view: claims (names only, never pushed), aliases
and per-record provenance of entities (``show`` and name matching by alias need the
workspace), the load order of records (ties that the in-memory engine breaks by it are broken
here by canonical id and file position), and the dates and sources of listings without a MIC
(only their ISINs are pushed; they count as listed on every date).

The view holds one driver until :meth:`close` (or the end of a ``with`` block).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from ownergraph.errors import EngineError, NotFoundError
from ownergraph.graph.cache import NO_DATE_HI, NO_DATE_LO, days
from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS, REGIME_IDS
from ownergraph.graph.neo4j_store import DEFAULT_URI, EDGE_TYPES, _connect
from ownergraph.graph.shares import parse_share
from ownergraph.graph.view import GraphView

if TYPE_CHECKING:
    from neo4j import EagerResult

    from ownergraph.graph.backend import FixpointRule
    from ownergraph.graph.neo4j_store import _Conn

__all__ = ["Neo4jView", "canonical_layout", "read_tables"]

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


def read_tables(
    conn: _Conn, as_of: dt.date, *, timings: dict[str, float] | None = None
) -> tuple[dict[str, pa.Table], dict[int, str]]:
    """The graph a Neo4j server holds, as the cache tables a view for ``as_of`` reads.

    Returns the tables (``nodes``, ``keys`` (empty: keys are resolved on the server), ``edges``
    (the ownership/control records started by ``as_of``), ``edges_by_dst``, ``designations``,
    ``listings``, ``holdings``, ``claims`` (empty) and ``venues``) and the file of each synthetic
    load id. ``timings`` collects the seconds of each step.
    """
    clock = time.perf_counter()

    def lap(what: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        if timings is not None:
            timings[what] = round(now - clock, 4)
        clock = now

    loads = _Loads()
    schema = _Schema(conn)
    # -- nodes (numbered here in the server's order; canonical_layout renumbers them) -------------------
    ent = _rows(conn, _ENTITY_COLUMNS, schema.query("MATCH (e:Entity)", _ENTITY_COLUMNS, "Entity"))
    lap("read entities")
    ids: list[str] = ent["id"]
    index = pd.Index(ids, dtype=object)

    def nodes_of(values: Sequence[str]) -> pa.Array:
        return pa.array(np.asarray(index.get_indexer(pd.Index(list(values), dtype=object)), dtype=np.int32))

    kind_code = {k: i for i, k in enumerate(ENTITY_KINDS)}
    nodes = pa.table(
        {
            "id": _strings(ids),
            "name": _strings(ent["name"]),
            "kind": pa.array(np.array([kind_code.get(k, _UNKNOWN_KIND) for k in ent["kind"]], np.int8)),
            "jurisdiction": _strings(ent["jurisdiction"]),
            "records": pa.array(np.ones(len(ids), dtype=np.int32)),
        }
    )
    keys = pa.table({"key": pa.array([], pa.string()), "node": pa.array([], pa.int32())})
    # -- ownership/control records that have started by the date ----------------------------------------
    types = "|".join(t for t in EDGE_TYPES.values() if t in schema.types)
    match = f"MATCH (a:Entity)-[r:{types}]->(b:Entity) WHERE r.start IS NULL OR r.start <= $as_of"
    query = schema.query(match, _EDGE_COLUMNS) if types else None
    e = _rows(conn, _EDGE_COLUMNS, query, {"as_of": as_of.isoformat()})
    lap("read edges")
    lo, hi, flags = _share_columns(e["share"])
    seq = pa.array([-1 if s is None else s for s in e["seq"]], pa.int64())
    edges = pa.table(
        {
            "src": nodes_of(e["src"]),
            "dst": nodes_of(e["dst"]),
            "lo": pa.array(lo),
            "hi": pa.array(hi),
            "flags": pa.array(flags),
            "kind": pa.array(np.array([_KIND_OF_TYPE[t] for t in e["type"]], dtype=np.int8)),
            "start": pa.array(_day_column(e["start"], NO_DATE_LO)),
            "end": pa.array(_day_column(e["end"], NO_DATE_HI)),
            "arrangement": _strings(e["arrangement"]),
            "source": _strings(e["source"]),
            "load_id": loads.column(e["file"]),
            "locator": _strings(e["locator"]),
            "seq": seq,
        }
    )
    lap("edge columns")
    # -- designations -------------------------------------------------------------------------------------
    d = _rows(
        conn,
        _DESIGNATION_COLUMNS,
        schema.query(
            "MATCH (e:Entity)-[d:DESIGNATED]->(g:Regime)", _DESIGNATION_COLUMNS, "DESIGNATED", "Regime"
        ),
    )
    designations = pa.table(
        {
            "node": nodes_of(d["node"]),
            "regime": pa.array(np.array([REGIME_IDS.index(r) for r in d["regime"]], dtype=np.int8)),
            "listed": pa.array(_day_column(d["listed"], NO_DATE_LO)),
            "effective": pa.array(_day_column(d["effective"], NO_DATE_LO)),
            "removed": pa.array(_day_column(d["removed"], NO_DATE_HI)),
            **{c: _strings(d[c]) for c in ("list", "program", "reference", "source")},
            "load_id": loads.column(d["file"]),
            "locator": _strings(d["locator"]),
        }
    )
    lap("designations")
    # -- listings on a venue, then listings without one (pushed only as Entity.isins) -------------------
    li = _rows(
        conn,
        _LISTING_COLUMNS,
        schema.query("MATCH (e:Entity)-[l:LISTED_ON]->(v:Venue)", _LISTING_COLUMNS, "LISTED_ON", "Venue"),
    )
    on_venue = set(zip(li["node"], li["isin"], strict=True))
    extra = _rows(
        conn,
        _ISIN_COLUMNS,
        schema.query("MATCH (e:Entity) WHERE e.isins IS NOT NULL", _ISIN_COLUMNS, "Entity", "isins"),
    )
    for node, isins in zip(extra["node"], extra["isins"], strict=True):
        for isin in isins:
            if (node, isin) not in on_venue:
                for col in li.values():
                    col.append(None)
                li["node"][-1], li["isin"][-1] = node, isin
    listings = pa.table(
        {
            "node": nodes_of(li["node"]),
            **{c: _strings(li[c]) for c in ("mic", "ticker", "isin")},
            "listed": pa.array(_day_column(li["listed"], NO_DATE_LO)),
            "delisted": pa.array(_day_column(li["delisted"], NO_DATE_HI)),
            "source": _strings(li["source"]),
            "load_id": loads.column(li["file"]),
            "locator": _strings(li["locator"]),
        }
    )
    lap("listings")
    # -- holdings (of resolved securities), venues; claims are never pushed ------------------------------
    h = _rows(
        conn,
        _HOLDING_COLUMNS,
        schema.query("MATCH (h:Entity)-[x:HOLDS]->(t:Entity)", _HOLDING_COLUMNS, "HOLDS"),
    )
    holdings = pa.table(
        {
            "holder": nodes_of(h["holder"]),
            "node": nodes_of(h["node"]),
            "isin": _strings(h["isin"]),
            "cusip": _strings(h["cusip"]),
            **{c: pa.array(h[c], pa.float64()) for c in ("shares", "value", "weight")},
            "as_of": pa.array(_day_column(h["as_of"], NO_DATE_LO)),
            "source": _strings(h["source"]),
            "load_id": loads.column(h["file"]),
            "locator": _strings(h["locator"]),
        }
    )
    claims = pa.table(
        {
            "node": pa.array([], pa.int32()),
            **{c: pa.array([], pa.string()) for c in ("relation", "name", "source")},
            "load_id": pa.array([], pa.int32()),
            "locator": pa.array([], pa.string()),
        }
    )
    v = _rows(conn, _VENUE_COLUMNS, schema.query("MATCH (v:Venue)", _VENUE_COLUMNS, "Venue"))
    venues = pa.table({c: _strings(vals) for c, vals in v.items()})
    lap("holdings and venues")
    tables = {
        "nodes": nodes,
        "keys": keys,
        "edges": edges,
        "edges_by_dst": pa.table({"row": pa.array([], pa.int64())}),
        "designations": designations,
        "listings": listings,
        "holdings": holdings,
        "claims": claims,
        "venues": venues,
    }
    paths = loads.paths()
    tables = canonical_layout(tables, paths)
    lap("layout")
    return tables, paths


class Neo4jView(GraphView):
    """The graph as of one date, read from a Neo4j server (the ``neo4j`` engine).

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
        self.timings: dict[str, float] = {}
        """Seconds spent per step of reading the graph (for benchmarks)."""
        self._stack = ExitStack()
        self._closed = False
        self._present_types: set[str] | None = None
        try:
            self._conn = self._stack.enter_context(_connect(uri, user, password, database))
            self.server_version = self._conn.version
            tables, paths = read_tables(self._conn, day or dt.date.today(), timings=self.timings)
        except BaseException:
            self._stack.close()
            raise
        started = time.perf_counter()
        super().__init__(tables, day or dt.date.today(), workspace=None, load_paths=paths)
        self.timings["view"] = round(time.perf_counter() - started, 4)
        self._canonical = pd.Index(self.ids(), dtype=object)
        log.debug("read %s entities and %s active edges from %s in %s", self.n, self.m, uri, self.timings)

    # -- lifecycle -------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the driver (the arrays stay usable; key lookups need the server)."""
        self._closed = True
        self._stack.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Neo4jView {self.uri} database={self.database!r} as_of={self.as_of} n={self.n} m={self.m}>"

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

    def all_keys(self, i: int) -> list[str]:
        """Every id and strong identifier node ``i`` answers to (canonical id first)."""
        res = self._connection().run(_Q_ALL_KEYS, {"id": self.id(i)}, read=True)
        return [str(k) for k in (res.records[0]["ids"] or [])] if res.records else [self.id(i)]

    # -- the work on the server ------------------------------------------------------------------
    def fixpoint(self, seeds: Iterable[int], upper: bool, rule: FixpointRule) -> dict[int, int]:
        """A regime's fixpoint computed on the server, one round of Cypher per synchronous round
        (:func:`ownergraph.graph.neo4j_cypher.fixpoint`)."""
        from ownergraph.graph import neo4j_cypher

        return neo4j_cypher.fixpoint(
            self._connection(), self._types(), self.as_of, self._ids_of, self._nodes_of, seeds, upper, rule
        )

    def _types(self) -> set[str]:
        """Relationship types in use in the database (read once)."""
        if self._present_types is None:
            res = self._connection().run(
                "CALL db.relationshipTypes() YIELD relationshipType RETURN collect(relationshipType) AS t",
                read=True,
            )
            self._present_types = {str(t) for t in res.records[0]["t"]}
        return self._present_types

    def _ids_of(self, nodes: Sequence[int]) -> list[str]:
        ids = self.ids()
        return [ids[int(i)] for i in nodes]

    def _nodes_of(self, keys: Sequence[str]) -> npt.NDArray[np.int64]:
        return np.asarray(self._canonical.get_indexer(pd.Index(list(keys), dtype=object)), dtype=np.int64)

    def _connection(self) -> _Conn:
        if self._closed:
            raise EngineError(f"this Neo4j view of {self.uri} is closed; open another with open_view()")
        return self._conn
