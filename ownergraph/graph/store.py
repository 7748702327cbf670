"""The durable record store of a workspace: a SQLite file (with Arrow segments beside it), one
transaction per load.

Every record a loader yields is kept verbatim with its provenance (load, file, line or record
id). Records are keyed by a content hash, so loading the same data twice adds nothing.

Records validated column-wise (:meth:`Store.insert_columns`, the bulk path of a load) are not
written row by row: one SQLite row costs microseconds plus its place in the record-id index,
most of a million-row load. They are kept as *segments*, one Arrow IPC file per load and record
type under ``records/``, written when the load commits and registered by a row of the ``segment``
table in the same transaction: a load killed before its commit leaves at most an unregistered
file, which is ignored and removed by the next commit. Rows from the per-record path stay in
SQLite. Both share one ``seq`` numbering per record type (stream order) and one content-hash
space (segments do not store the hashes: equal stored columns are equal records, found by one
Arrow hash pass), and :meth:`Store.records` reads them back as one table. Entities
are *not* merged here: merging is derived from the stored records (shared strong identifiers and
same-as records) when the columnar cache is built (:mod:`ownergraph.graph.cache`), so that an
undone same-as or a new source never rewrites history.

This module stops at storage: it does not parse files and does not answer queries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from ownergraph.errors import WorkspaceError
from ownergraph.graph.model import (
    STRONG_SCHEMES,
    Entity,
    Ownership,
    Record,
)

__all__ = [
    "ENTITY_COLUMNS",
    "OWNERSHIP_COLUMNS",
    "SCHEMA_VERSION",
    "Store",
    "byte_table",
    "has_bytes",
    "in_thread",
    "json_strings",
    "record_id",
    "record_ids",
]

_T = TypeVar("_T")

SCHEMA_VERSION = 2
"""2: bulk-loaded records kept as Arrow segments (``segment`` table, ``records/``)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS loads (
  load_id INTEGER PRIMARY KEY, path TEXT NOT NULL, format TEXT NOT NULL, sha256 TEXT NOT NULL,
  started TEXT NOT NULL, finished TEXT, seconds REAL,
  read INTEGER DEFAULT 0, added INTEGER DEFAULT 0, duplicate INTEGER DEFAULT 0,
  rejected INTEGER DEFAULT 0, merged INTEGER DEFAULT 0, counts TEXT
);
CREATE TABLE IF NOT EXISTS entity (
  seq INTEGER PRIMARY KEY, rid TEXT UNIQUE NOT NULL, load_id INTEGER, locator TEXT,
  id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, jurisdiction TEXT,
  aliases TEXT, identifiers TEXT, incorporated TEXT, dissolved TEXT, notes TEXT, sources TEXT
);
CREATE INDEX IF NOT EXISTS entity_id ON entity(id);
CREATE TABLE IF NOT EXISTS entity_key (key TEXT NOT NULL, rid TEXT NOT NULL, load_id INTEGER,
  PRIMARY KEY (key, rid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ownership (
  seq INTEGER PRIMARY KEY, rid TEXT UNIQUE NOT NULL, load_id INTEGER, locator TEXT,
  owner_id TEXT NOT NULL, owned_id TEXT NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL,
  flags INTEGER NOT NULL, kind TEXT NOT NULL, arrangement TEXT, start TEXT, "end" TEXT, source TEXT
);
CREATE TABLE IF NOT EXISTS other (
  seq INTEGER PRIMARY KEY, rid TEXT UNIQUE NOT NULL, load_id INTEGER, locator TEXT,
  type TEXT NOT NULL, data TEXT NOT NULL, undone TEXT
);
CREATE INDEX IF NOT EXISTS other_type ON other(type);
CREATE TABLE IF NOT EXISTS segment (
  load_id INTEGER NOT NULL, type TEXT NOT NULL, file TEXT NOT NULL, rows INTEGER NOT NULL,
  PRIMARY KEY (load_id, type)
);
"""

_ENTITY_SQL = (
    "INSERT OR IGNORE INTO entity (seq, rid, load_id, locator, id, name, kind, jurisdiction, aliases,"
    " identifiers, incorporated, dissolved, notes, sources) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_OWNERSHIP_SQL = (
    "INSERT OR IGNORE INTO ownership (seq, rid, load_id, locator, owner_id, owned_id, lo, hi, flags,"
    ' kind, arrangement, start, "end", source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)'
)
_CACHE_MIN = 2 << 20
"""About SQLite's default page cache (``PRAGMA cache_size=-2000``)."""
_CACHE_MAX = 512 << 20

ENTITY_COLUMNS = (
    "id",
    "name",
    "kind",
    "jurisdiction",
    "aliases",
    "identifiers",
    "incorporated",
    "dissolved",
    "notes",
    "sources",
)
"""The columns of an entity row after ``rid, load_id, locator``, as :meth:`Store.insert_columns`
takes them: strings, the lists and the identifiers as their stored JSON text."""
OWNERSHIP_COLUMNS = (
    "owner_id",
    "owned_id",
    "lo",
    "hi",
    "flags",
    "kind",
    "arrangement",
    "start",
    "end",
    "source",
)
"""The columns of an ownership row after ``rid, load_id, locator`` (``lo``, ``hi``, ``flags``
integers, the rest strings)."""
_COLUMN_TYPES = {"entity": (ENTITY_COLUMNS, _ENTITY_SQL), "ownership": (OWNERSHIP_COLUMNS, _OWNERSHIP_SQL)}
_KEY_SQL = "INSERT OR IGNORE INTO entity_key (key, rid, load_id) VALUES (?,?,?)"
_OTHER_SQL = "INSERT OR IGNORE INTO other (rid, load_id, locator, type, data) VALUES (?,?,?,?,?)"


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _json(v: Any) -> str:
    return orjson.dumps(v).decode()


def record_id(record: Record, data: dict[str, Any] | None = None) -> str:
    """A stable content hash of a record (its type and every field), used to de-duplicate;
    ``data`` is its ``model_dump(mode="json")`` when the caller has it already."""
    if data is None:
        data = record.model_dump(mode="json")
    return hashlib.blake2b(orjson.dumps(data, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def byte_table(chars: str) -> npt.NDArray[np.bool_]:
    """A lookup table of the bytes that encode ``chars`` (ASCII only) for :func:`has_bytes`."""
    lut = np.zeros(256, dtype=np.bool_)
    lut[[ord(c) for c in chars]] = True
    return lut


def _byte_runs(lut: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """The runs of consecutive bytes of a :func:`byte_table` as ``(first, last)``."""
    on = np.flatnonzero(lut)
    if len(on) == 0:
        return []
    breaks = np.flatnonzero(np.diff(on) > 1)
    firsts = np.concatenate(([on[0]], on[breaks + 1]))
    lasts = np.concatenate((on[breaks], [on[-1]]))
    return list(zip(firsts.tolist(), lasts.tolist(), strict=True))


def has_bytes(col: pa.Array | pa.ChunkedArray, lut: npt.NDArray[np.bool_]) -> bool:
    """Whether any value of a string column contains one of the bytes of ``lut``: a few
    vectorised comparisons over the column's character data (one per run of consecutive bytes),
    far cheaper than a regular expression per value.

    >>> col = pa.array(["ab", None, 'c"d'])
    >>> has_bytes(col, byte_table('"')), has_bytes(col, byte_table("\\x00\\x01\\n"))
    (True, False)
    """
    if isinstance(col, pa.ChunkedArray):
        return any(has_bytes(c, lut) for c in col.chunks)
    if len(col) == 0 or col.null_count == len(col):
        return False
    _validity, offsets, data = col.buffers()[:3]
    if data is None:
        return False
    width = np.int64 if pa.types.is_large_string(col.type) else np.int32
    bounds = np.frombuffer(offsets, dtype=width)[[col.offset, col.offset + len(col)]]
    chars = np.frombuffer(data, dtype=np.uint8)[int(bounds[0]) : int(bounds[1])]
    for first, last in _byte_runs(lut):
        if first == last:
            hit = bool((chars == first).any())
        elif first == 0:
            hit = bool((chars <= last).any())
        else:
            hit = bool(((chars >= first) & (chars <= last)).any())
        if hit:
            return True
    return False


_JSON_SPECIAL = byte_table("".join(map(chr, range(32))) + '"\\')


def json_strings(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each value as the JSON string literal ``orjson`` writes for it (null -> ``null``)."""
    col = pc.cast(col, pa.string())
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    quoted = pc.binary_join_element_wise('"', col, '"', "")
    if not has_bytes(col, _JSON_SPECIAL):
        return pc.fill_null(quoted, "null")
    special = np.asarray(
        pc.fill_null(pc.match_substring_regex(col, r'[\x00-\x1f"\\]'), False).to_numpy(zero_copy_only=False),
        dtype=np.bool_,
    )
    if special.any():
        vals = [orjson.dumps(v).decode() for v in col.filter(pa.array(special)).to_pylist()]
        quoted = pc.replace_with_mask(quoted, pa.array(special), pa.array(vals, pa.string()))
    return pc.fill_null(quoted, "null")


def _join(*parts: Any) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _record_json(type_: str, table: pa.Table) -> pa.Array:
    """The JSON :func:`record_id` hashes, built from normalised store columns."""
    c = table.column
    if type_ == "entity":
        return _join(
            '{"aliases":', c("aliases"),
            ',"dissolved":', json_strings(c("dissolved")),
            ',"id":', json_strings(c("id")),
            ',"identifiers":', c("identifiers"),
            ',"incorporated":', json_strings(c("incorporated")),
            ',"jurisdiction":', json_strings(c("jurisdiction")),
            ',"kind":', json_strings(c("kind")),
            ',"name":', json_strings(c("name")),
            ',"notes":', c("notes"),
            ',"sources":', c("sources"),
            ',"type":"entity"}',
        )  # fmt: skip
    if type_ == "ownership":
        flags = c("flags")

        def flag(bit: int, when: str, other: str) -> pa.Array:
            return pc.if_else(pc.not_equal(pc.bit_wise_and(flags, bit), 0), when, other)

        return _join(
            '{"arrangement":', json_strings(c("arrangement")),
            ',"end":', json_strings(c("end")),
            ',"kind":', json_strings(c("kind")),
            ',"owned_id":', json_strings(c("owned_id")),
            ',"owner_id":', json_strings(c("owner_id")),
            ',"share":{"hi":', pc.cast(c("hi"), pa.string()),
            ',"hi_open":', flag(2, "true", "false"),
            ',"known":', flag(4, "false", "true"),
            ',"lo":', pc.cast(c("lo"), pa.string()),
            ',"lo_open":', flag(1, "true", "false"),
            '},"source":', json_strings(c("source")),
            ',"start":', json_strings(c("start")),
            ',"type":"ownership"}',
        )  # fmt: skip
    raise ValueError(f"no column form for {type_} records")


def record_ids(type_: str, table: pa.Table) -> list[str]:
    """:func:`record_id` of every row of normalised store columns (``entity`` or ``ownership``)."""
    data = pc.cast(_record_json(type_, table), pa.binary()).to_pylist()
    blake = hashlib.blake2b
    return [blake(d, digest_size=16).hexdigest() for d in data]


def _with_ids(type_: str, table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """``columns`` of segment rows, with their record ids computed if asked for."""
    if "rid" in columns and "rid" not in table.column_names:
        ids = record_ids(type_, table.select(list(_COLUMN_TYPES[type_][0])))
        table = table.append_column("rid", pa.array(ids, pa.string()))
    return table.select(list(columns))


def _ids_of(type_: str, tables: Sequence[pa.Table]) -> pa.ChunkedArray:
    """The record ids of segment rows (computed: segments do not keep them)."""
    return pa.chunked_array(
        [_with_ids(type_, t, ["rid"]).column("rid").combine_chunks() for t in tables], pa.string()
    )


def _segment_schema(type_: str, *, rid: bool = True) -> pa.Schema:
    """The columns of :meth:`Store.records` for ``entity`` or ``ownership``; ``rid=False``: of a
    segment file, which does not keep record ids (:func:`record_ids` derives them from the
    columns when asked: hashing a million records is seconds of a load, and equal records are
    found without it, see :meth:`Store._distinct`)."""
    head = [("seq", pa.int64()), ("rid", pa.string()), ("load_id", pa.int64()), ("locator", pa.string())]
    if not rid:
        del head[1]
    if type_ == "entity":
        return pa.schema(head + [(c, pa.string()) for c in ENTITY_COLUMNS])
    ints = {"lo", "hi", "flags"}
    return pa.schema(head + [(c, pa.int64() if c in ints else pa.string()) for c in OWNERSHIP_COLUMNS])


_SEGMENT_TYPES = ("entity", "ownership")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_LEI_ONLY = r'^\{"lei":\["(?P<v>[^"\\]*)"\]\}$'
"""Identifiers JSON holding exactly one LEI (what the bulk path writes), read without orjson."""


def strong_keys(identifiers: pa.Array | pa.ChunkedArray) -> tuple[npt.NDArray[np.int64], pa.Array]:
    """The strong keys (``scheme:value``) in a column of stored identifiers JSON, as the row of
    each key and the keys, in row order and, within a row, in :data:`STRONG_SCHEMES` order.

    >>> rows, keys = strong_keys(pa.array(['{}', '{"lei":["X1"]}', '{"isin":["A"],"lei":["Y"]}']))
    >>> rows.tolist(), keys.to_pylist()
    ([1, 2, 2], ['lei:X1', 'lei:Y', 'isin:A'])
    """
    if isinstance(identifiers, pa.ChunkedArray):
        identifiers = identifiers.combine_chunks()
    some = np.flatnonzero(
        np.asarray(
            pc.fill_null(pc.not_equal(identifiers, "{}"), False).to_numpy(zero_copy_only=False),
            dtype=np.bool_,
        )
    )
    if len(some) == 0:
        return np.zeros(0, dtype=np.int64), pa.array([], pa.string())
    vals = identifiers.take(pa.array(some))
    lei = pc.struct_field(pc.extract_regex(vals, _LEI_ONLY), "v")
    simple = np.asarray(pc.is_valid(lei).to_numpy(zero_copy_only=False), dtype=np.bool_)
    rows = [some[simple]]
    keys: list[pa.Array] = [pc.binary_join_element_wise("lei:", lei.filter(pa.array(simple)), "")]
    if not simple.all():
        other_rows: list[int] = []
        other_keys: list[str] = []
        for i, text in zip(some[~simple].tolist(), vals.filter(pa.array(~simple)).to_pylist(), strict=True):
            ks = _keys_from_json(text)
            other_rows.extend([i] * len(ks))
            other_keys.extend(ks)
        rows.append(np.asarray(other_rows, dtype=np.int64))
        keys.append(pa.array(other_keys, pa.string()))
    row = np.concatenate(rows)
    order = np.argsort(row, kind="stable")
    return row[order], pa.concat_arrays([k.cast(pa.string()) for k in keys]).take(pa.array(order))


def _entity_keys(table: pa.Table) -> tuple[npt.NDArray[np.int64], pa.Array]:
    """Every key of entity rows (each row's id, then its strong keys) with the row of each."""
    n = table.num_rows
    rows, keys = strong_keys(table.column("identifiers"))
    ids = table.column("id").combine_chunks()
    return np.concatenate([np.arange(n, dtype=np.int64), rows]), pa.concat_arrays([ids, keys])


def _is_in(
    values: pa.Array | pa.ChunkedArray, value_set: pa.Array | pa.ChunkedArray
) -> npt.NDArray[np.bool_]:
    """Whether each value is one of ``value_set`` (null: False)."""
    if isinstance(value_set, pa.ChunkedArray):
        value_set = value_set.combine_chunks()
    if len(value_set) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=np.bool_)
    hit = pc.is_in(values, value_set=value_set)
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=np.bool_)


_MIX = np.uint64(0x9E3779B97F4A7C15)


def _hash_prefix(rids: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.uint64]:
    """A 64-bit integer folded from the first 16 hex digits of each record id: equal ids give
    equal integers, and distinct ids almost never do (callers check candidates exactly).

    >>> k = _hash_prefix(pa.array(["0" * 32, "0" * 15 + "1" + "0" * 16, "0" * 32]))
    >>> bool(k[0] == k[2]), bool(k[0] == k[1])
    (True, False)
    """
    if isinstance(rids, pa.ChunkedArray):
        rids = rids.combine_chunks()
    n = len(rids)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    offsets = np.frombuffer(rids.buffers()[1], dtype=np.int32)[rids.offset : rids.offset + n + 1]
    if rids.null_count or not bool((np.diff(offsets) == 32).all()):
        raise ValueError("record ids must be 32 hex digits")
    data = np.frombuffer(rids.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(n, 32)
    words = np.ascontiguousarray(data[:, :16]).view(np.uint64)
    out: npt.NDArray[np.uint64] = words[:, 0] ^ (words[:, 1] * _MIX)
    return out


def read_columns(
    conn: Any, sql: str, schema: pa.Schema, params: Sequence[Any] = (), batch: int = 200_000
) -> pa.Table:
    """The rows of a query as an Arrow table, fetched in batches (no list of all the rows) and
    converted by Arrow as struct values (no Python transposition)."""
    cur = conn.execute(sql, params)
    struct = pa.struct(list(schema))
    parts: list[pa.Table] = []
    while part := cur.fetchmany(batch):
        parts.append(pa.Table.from_struct_array(pa.array(part, type=struct)))
        del part
    if not parts:
        return schema.empty_table()
    return pa.concat_tables(parts).combine_chunks()


def _keys_from_json(identifiers: str) -> list[str]:
    ids = orjson.loads(identifiers)
    return [f"{s}:{v}" for s in STRONG_SCHEMES for v in ids.get(s, ())]


_REF_FIELDS: dict[str, tuple[str, ...]] = {
    "ownership": ("owner_id", "owned_id"),
    "listing": ("entity_id",),
    "designation": ("entity_id",),
    "holding": ("holder_id", "entity_id"),
    "claim": ("subject_id",),
    "sameas": ("id_a", "id_b"),
}
"""The fields of each record type that must name a stored entity (checked by
:meth:`Store.dangling`)."""


def in_thread(fn: Callable[..., _T], *args: Any) -> Future[_T]:
    """``fn(*args)`` run in a new thread: for Arrow and numpy work that releases the GIL, so that
    it overlaps with the caller's on a second core. Its result or exception comes back through
    the future's ``result()``.

    >>> in_thread(int, "7").result()
    7
    >>> in_thread(int, "x").result()
    Traceback (most recent call last):
    ValueError: invalid literal for int() with base 10: 'x'
    """
    future: Future[_T] = Future()

    def run() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as e:  # handed to the caller by result()
            future.set_exception(e)

    threading.Thread(target=run, name="ownergraph-worker", daemon=True).start()
    return future


class _LoadRefs:
    """What one open load stored: the entity keys it added and the ids its records name, so
    that :meth:`Store.dangling` asks SQLite only about ids this load did not define itself."""

    def __init__(self) -> None:
        self.keys: list[pa.Array] = []
        self.refs: list[pa.Array] = []
        self.py_keys: list[str] = []
        self.py_refs: list[str] = []

    def missing(self) -> list[str]:
        """The distinct referenced ids that are not keys of this load, in no particular order."""
        keys = pa.chunked_array([*self.keys, pa.array(self.py_keys, pa.string())], pa.string())
        refs = pa.chunked_array([*self.refs, pa.array(self.py_refs, pa.string())], pa.string())
        if len(refs) == 0:
            return []
        outside = pc.invert(pc.is_in(refs, value_set=keys.combine_chunks()))
        out: list[str] = pc.unique(pc.drop_null(refs.filter(outside))).to_pylist()
        return out


def _row(record: Record, load_id: int, locator: str | None) -> tuple[str, tuple[Any, ...]]:
    """The table and row for one record."""
    data = record.model_dump(mode="json")
    rid = record_id(record, data)
    if isinstance(record, Entity):
        return "entity", (
            rid,
            load_id,
            locator,
            record.id,
            record.name,
            record.kind,
            record.jurisdiction,
            _json(record.aliases),
            _json(record.identifiers),
            _iso(record.incorporated),
            _iso(record.dissolved),
            _json(record.notes),
            _json(record.sources),
        )
    if isinstance(record, Ownership):
        s = record.share
        return "ownership", (
            rid,
            load_id,
            locator,
            record.owner_id,
            record.owned_id,
            s.lo,
            s.hi,
            s.to_flags(),
            record.kind,
            record.arrangement,
            _iso(record.start),
            _iso(record.end),
            record.source,
        )
    return "other", (rid, load_id, locator, record.type, _json(data))


class Store:
    """A workspace's SQLite file. Use :meth:`transaction` for one load."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._refs: dict[int, _LoadRefs] = {}
        self._missing: dict[int, Future[list[str]]] = {}
        try:
            self.conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        except sqlite3.Error as e:
            raise WorkspaceError(f"{path}: cannot open the workspace database: {e}") from None
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=OFF")
            self.conn.executescript(_SCHEMA)
            self._cache_size = int(self.conn.execute("PRAGMA cache_size").fetchone()[0])
        except sqlite3.DatabaseError as e:
            self.conn.close()
            raise WorkspaceError(
                f"{path}: not an ownergraph workspace database ({e}); point --workspace at an"
                " empty folder or an existing workspace"
            ) from None
        self.segment_dir = path.parent / "records"
        self._segments: dict[str, pa.Table] = {}
        self._pending: dict[str, list[pa.Table]] = {}
        self._seq: dict[str, int] = {}
        v = self.meta("schema_version")
        if v is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif int(v) > SCHEMA_VERSION:
            raise WorkspaceError(
                f"{path}: workspace schema {v} is newer than this ownergraph ({SCHEMA_VERSION});"
                " upgrade ownergraph"
            )

    def close(self) -> None:
        self.conn.close()

    # -- meta ---------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def generation(self) -> int:
        """A number that changes with every committed change; the cache records it."""
        return int(self.meta("generation") or 0)

    # -- loads --------------------------------------------------------------------------------
    def find_load(self, sha256: str, fmt: str) -> sqlite3.Row | None:
        self.conn.row_factory = sqlite3.Row
        try:
            row: sqlite3.Row | None = self.conn.execute(
                "SELECT * FROM loads WHERE sha256=? AND format=? AND finished IS NOT NULL",
                (sha256, fmt),
            ).fetchone()
            return row
        finally:
            self.conn.row_factory = None

    def loads(self) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT * FROM loads ORDER BY load_id")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def begin(self, *, cache_bytes: int | None = None) -> None:
        """Open the write transaction of a load.

        ``cache_bytes`` sizes SQLite's page cache for it (clamped to 2–512 MiB; the default
        afterwards): index pages touched in random order by content hashes then stay in memory
        instead of being spilled to the WAL and read back, while a load larger than the cache
        still spills as it goes.
        """
        self._end_state()
        if cache_bytes is not None:
            kib = min(max(cache_bytes, _CACHE_MIN), _CACHE_MAX) >> 10
            self.conn.execute(f"PRAGMA cache_size=-{int(kib)}")
        self.conn.execute("BEGIN IMMEDIATE")

    def _end_state(self) -> None:
        self._refs.clear()
        self._missing.clear()
        self._pending.clear()
        self._seq.clear()

    def _end(self) -> None:
        self._end_state()
        self.conn.execute(f"PRAGMA cache_size={int(self._cache_size)}")

    def commit(self) -> None:
        """Write the open load's segments, register them and commit, all or nothing."""
        self._write_segments()
        self.set_meta("generation", str(self.generation() + 1))
        self.conn.execute("COMMIT")
        self._end()

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self._end()

    # -- segments -----------------------------------------------------------------------------
    def _segment_files(self, type_: str) -> list[str]:
        rows = self.conn.execute("SELECT file FROM segment WHERE type=? ORDER BY load_id", (type_,))
        return [str(r[0]) for r in rows]

    def _segment(self, file: str) -> pa.Table:
        """One segment file, memory-mapped (files never change once registered)."""
        table = self._segments.get(file)
        if table is None:
            try:
                source = pa.memory_map(str(self.segment_dir / file), "r")
                table = ipc.open_file(source).read_all()
            except (OSError, pa.ArrowInvalid) as e:
                raise WorkspaceError(
                    f"{self.segment_dir / file}: a stored record segment is missing or damaged ({e});"
                    " restore the workspace folder from a backup or reload its files into a new one"
                ) from None
            self._segments[file] = table
        return table

    def _stored_segments(self, type_: str) -> list[pa.Table]:
        """The committed segments of a record type, oldest load first."""
        return [self._segment(f) for f in self._segment_files(type_)]

    def _pending_table(self, type_: str) -> pa.Table | None:
        parts = self._pending.get(type_)
        if not parts:
            return None
        if len(parts) > 1:
            parts[:] = [pa.concat_tables(parts)]
        return parts[0]

    def _write_segments(self) -> None:
        """Write each pending segment of the open load (fsync'd) and register it; then remove
        files no committed or pending segment names (left by a load killed before its commit)."""
        if not self._pending and not self.segment_dir.exists():
            return
        self.segment_dir.mkdir(exist_ok=True)
        load_ids = list(self._refs)
        for type_ in _SEGMENT_TYPES:
            table = self._pending_table(type_)
            if table is None or table.num_rows == 0:
                continue
            load_id = int(table.column("load_id")[0].as_py())
            assert load_ids == [] or load_id in load_ids
            name = f"{load_id:06d}-{type_}-{secrets.token_hex(4)}.arrow"
            with open(self.segment_dir / name, "wb") as f:
                with ipc.new_file(f, table.schema) as writer:
                    writer.write_table(table)
                f.flush()
                os.fsync(f.fileno())
            self.conn.execute(
                "INSERT INTO segment (load_id, type, file, rows) VALUES (?,?,?,?)",
                (load_id, type_, name, table.num_rows),
            )
            # a version 1 store is a version 2 store without segments; older ownergraphs
            # must not open one with segments (they would not see those records)
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        if hasattr(os, "O_DIRECTORY"):
            fd = os.open(self.segment_dir, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        known = {str(r[0]) for r in self.conn.execute("SELECT file FROM segment")}
        for p in self.segment_dir.iterdir():
            if p.name not in known:
                p.unlink(missing_ok=True)

    def _next_seqs(self, type_: str, n: int) -> int:
        """Reserve ``n`` record numbers of ``type_`` in stream order; returns the first."""
        if type_ not in self._seq:
            top = self.conn.execute(f"SELECT max(seq) FROM {type_}").fetchone()[0] or 0
            for t in self._stored_segments(type_):
                if t.num_rows:
                    top = max(top, int(pc.max(t.column("seq")).as_py()))
            self._seq[type_] = int(top) + 1
        first = self._seq[type_]
        self._seq[type_] = first + n
        return first

    def records(self, type_: str, columns: Sequence[str] | None = None) -> pa.Table:
        """Every stored ``entity`` or ``ownership`` record (SQLite rows, segments and the open
        load's pending rows) as one Arrow table in ``seq`` order; columns as
        :func:`_segment_schema` names them."""
        schema = _segment_schema(type_)
        names = list(columns or schema.names)
        read = names if "seq" in names else [*names, "seq"]
        sub = pa.schema([schema.field(c) for c in read])
        cols = ", ".join(f'"{c}"' for c in read)
        parts = [read_columns(self.conn, f"SELECT {cols} FROM {type_} ORDER BY seq", sub)]
        parts += [_with_ids(type_, t, read) for t in self._stored_segments(type_)]
        pending = self._pending_table(type_)
        if pending is not None:
            parts.append(_with_ids(type_, pending, read))
        parts = [p for p in parts if p.num_rows]
        if not parts:
            return sub.empty_table().select(names)
        table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        if len(parts) > 1:  # each source is in seq order; interleave them
            seq = table.column("seq").to_numpy()
            if not bool((np.diff(seq) > 0).all()):
                table = table.take(pa.array(np.argsort(seq, kind="stable")))
        return table.select(names).combine_chunks()

    def start_load(self, path: str, fmt: str, sha256: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO loads (path, format, sha256, started) VALUES (?,?,?,?)",
            (path, fmt, sha256, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        )
        assert cur.lastrowid is not None
        self._refs[int(cur.lastrowid)] = _LoadRefs()
        return int(cur.lastrowid)

    def finish_load(self, load_id: int, *, seconds: float, counts: dict[str, Any]) -> None:
        self.conn.execute(
            "UPDATE loads SET finished=?, seconds=?, read=?, added=?, duplicate=?, rejected=?,"
            " merged=?, counts=? WHERE load_id=?",
            (
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                seconds,
                counts.get("read", 0),
                counts.get("added", 0),
                counts.get("duplicate", 0),
                counts.get("rejected", 0),
                counts.get("merged", 0),
                _json(counts),
                load_id,
            ),
        )

    # -- records ------------------------------------------------------------------------------
    def insert(self, items: Iterable[tuple[Record, str | None]], load_id: int) -> tuple[int, int]:
        """Insert records (with their locators) in the open transaction.

        Returns ``(added, duplicates)``.
        """
        rows: dict[str, list[tuple[Any, ...]]] = {"entity": [], "ownership": [], "other": []}
        keys: list[tuple[str, str, int]] = []
        track = self._refs.get(load_id)
        for record, locator in items:
            table, row = _row(record, load_id, locator)
            if table != "other":
                row = (self._next_seqs(table, 1), *row)
            rows[table].append(row)
            if isinstance(record, Entity):
                keys.extend((k, row[1], load_id) for k in record.strong_keys())
            elif track is not None:
                for field in _REF_FIELDS.get(record.type, ()):
                    v = getattr(record, field)
                    if v is not None:
                        track.py_refs.append(v)
        if track is not None:
            track.py_keys.extend(k for k, _r, _l in keys)
        before = self.conn.total_changes
        n = 0
        for table, sql in (("entity", _ENTITY_SQL), ("ownership", _OWNERSHIP_SQL), ("other", _OTHER_SQL)):
            if rows[table]:
                self.conn.executemany(sql, rows[table])
                n += len(rows[table])
        added = self.conn.total_changes - before
        if keys:
            self.conn.executemany(_KEY_SQL, keys)
        return added, n - added

    def insert_columns(
        self, type_: str, table: pa.Table, locators: pa.Array | Sequence[str], load_id: int
    ) -> tuple[int, int]:
        """Add rows given as normalised store columns (:data:`ENTITY_COLUMNS` or
        :data:`OWNERSHIP_COLUMNS`) to the open load, in order; the bulk twin of :meth:`insert`,
        storing exactly what it would store for the same records, as a segment written at commit.

        Returns ``(rows, 0)``: :meth:`drop_known` then removes the rows stored before them, by
        earlier loads or earlier in this one.
        """
        n = table.num_rows
        if n == 0:
            return 0, 0
        if type_ not in _COLUMN_TYPES:
            raise ValueError(f"no column form for {type_} records")
        names, _sql = _COLUMN_TYPES[type_]
        table = table.select(list(names))
        first = self._next_seqs(type_, n)
        schema = _segment_schema(type_, rid=False)
        cols = [
            pa.array(np.arange(first, first + n, dtype=np.int64)),
            pa.array(np.full(n, load_id, dtype=np.int64)),
            locators if isinstance(locators, pa.Array) else pa.array(locators, pa.string()),
            *(table.column(c).cast(schema.field(c).type) for c in names),
        ]
        seg = pa.Table.from_arrays(cols, schema=schema)
        self._pending.setdefault(type_, []).append(seg)
        track = self._refs.get(load_id)
        if track is not None:
            if type_ == "entity":
                track.keys.append(seg.column("id").combine_chunks())
                track.keys.append(strong_keys(seg.column("identifiers"))[1])
            else:
                track.refs.extend(seg.column(f).combine_chunks() for f in _REF_FIELDS[type_])
        return n, 0

    def _stored_keys(self) -> pa.Array:
        """Every key (id and strong identifier) of the committed entity segments."""
        parts = [_entity_keys(t)[1] for t in self._stored_segments("entity")]
        return pa.concat_arrays(parts) if parts else pa.array([], pa.string())

    def _distinct(self, type_: str, tables: Sequence[pa.Table]) -> bool:
        """Whether no record occurs twice among these tables' rows: stored columns are equal
        exactly when the record ids are. Rows are first told apart by their id (entities) or
        their two ends (ownership), one Arrow hash pass over short strings; only rows sharing
        those are compared on every column."""
        names = list(_COLUMN_TYPES[type_][0])
        parts = [t.select(names) for t in tables if t.num_rows]
        n = sum(p.num_rows for p in parts)
        if n < 2:
            return True
        table = pa.concat_tables(parts)
        if type_ == "entity":
            key = table.column("id")
        else:
            key = pc.binary_join_element_wise(table.column("owner_id"), table.column("owned_id"), "\x00")
        indices = pc.dictionary_encode(key.combine_chunks()).indices
        codes = np.asarray(pc.fill_null(indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        if (codes < 0).any():  # no id: compare everything
            shared = np.ones(n, dtype=np.bool_)
        else:
            shared = np.bincount(codes)[codes] > 1
        if not shared.any():
            return True
        same = table.filter(pa.array(shared))
        groups = same.group_by(names, use_threads=False).aggregate([])
        return bool(groups.num_rows == same.num_rows)

    def _this_load(self, type_: str, load_id: int) -> pa.Table:
        """The open load's SQLite rows of a type (``seq``, ``rid`` and the stored columns)."""
        schema = _segment_schema(type_)
        read = ["seq", "rid", *_COLUMN_TYPES[type_][0]]
        cols = ", ".join(f'"{c}"' for c in read)
        sub = pa.schema([schema.field(c) for c in read])
        return read_columns(
            self.conn, f"SELECT {cols} FROM {type_} WHERE load_id=? ORDER BY seq", sub, (load_id,)
        )

    def _drop_repeats(self, load_id: int) -> int:
        """Remove the open load's records that repeat one stored earlier in the same load (its
        pending segment rows, and its SQLite rows repeating a pending row): the first of each
        content hash in ``seq`` order stays, as ``INSERT OR IGNORE`` keeps it among SQLite rows."""
        dropped = 0
        work: list[tuple[str, pa.Table, pa.Table]] = []
        for type_ in _SEGMENT_TYPES:
            pending = self._pending_table(type_)
            if pending is not None and pending.num_rows:
                work.append((type_, pending, self._this_load(type_, load_id)))
        # the types' checks are Arrow hash passes, which release the GIL: side by side
        checks = [in_thread(self._distinct, type_, [mine, pending]) for type_, pending, mine in work]
        for (type_, pending, mine), check in zip(work, checks, strict=True):
            if check.result():
                continue
            # some record repeats (rare in real files): find which by record id
            n_sql = mine.num_rows
            seq = np.concatenate([mine.column("seq").to_numpy(), pending.column("seq").to_numpy()])
            rid = pa.chunked_array(
                [
                    *mine.column("rid").chunks,
                    _with_ids(type_, pending, ["rid"]).column("rid").combine_chunks(),
                ],
                pa.string(),
            )
            # candidates first: equal 64-bit prefixes of the hashes (a sort of integers); exact
            # check on those
            prefix = _hash_prefix(rid)
            order = np.argsort(prefix, kind="stable")
            same = prefix[order[1:]] == prefix[order[:-1]]
            if not same.any():
                continue
            cand = np.unique(np.concatenate([order[1:][same], order[:-1][same]]))
            cand = cand[np.argsort(seq[cand], kind="stable")]
            first: set[str] = set()
            repeat = np.zeros(len(seq), dtype=np.bool_)
            for i, r in zip(cand.tolist(), rid.take(pa.array(cand)).to_pylist(), strict=True):
                if r in first:
                    repeat[i] = True
                else:
                    first.add(r)
            dropped += int(repeat.sum())
            if repeat[:n_sql].any():
                self.delete(type_, seq[:n_sql][repeat[:n_sql]].tolist())
            if repeat[n_sql:].any():
                self._pending[type_] = [pending.filter(pa.array(~repeat[n_sql:]))]
        return dropped

    def drop_known(self, load_id: int) -> int:
        """Remove from the open load the records stored before them (by content hash): earlier
        in this load, or by earlier loads in SQLite or in a committed segment. Returns how
        many."""
        track = self._refs.get(load_id)
        if track is not None:
            # what :meth:`dangling` asks next, found meanwhile: dropping records (stored already)
            # changes no answer, as the ids they define are stored too
            self._missing[load_id] = in_thread(track.missing)
        dropped = self._drop_repeats(load_id)
        for type_ in _SEGMENT_TYPES:
            segments = self._stored_segments(type_)
            old_ids: pa.ChunkedArray | None = None
            pending = self._pending_table(type_)
            if pending is not None and pending.num_rows:
                known = np.zeros(pending.num_rows, dtype=np.bool_)
                pending_ids: pa.Array | None = None
                if segments and not self._distinct(type_, [*segments, pending]):
                    old_ids = _ids_of(type_, segments)
                    pending_ids = _ids_of(type_, [pending]).combine_chunks()
                    known |= _is_in(pending_ids, old_ids)
                older_sql = f"SELECT EXISTS (SELECT 1 FROM {type_} WHERE load_id<>?)"
                if self.conn.execute(older_sql, (load_id,)).fetchone()[0]:
                    if pending_ids is None:
                        pending_ids = _ids_of(type_, [pending]).combine_chunks()
                    rids = pending_ids.to_pylist()
                    found = self._present(f"SELECT rid FROM {type_} WHERE rid IN ({{q}})", rids)
                    if found:
                        known |= np.fromiter((r in found for r in rids), dtype=np.bool_, count=len(rids))
                if known.any():
                    dropped += int(known.sum())
                    self._pending[type_] = [pending.filter(pa.array(~known))]
            if segments:
                mine = self._this_load(type_, load_id)
                if mine.num_rows and not self._distinct(type_, [*segments, mine]):
                    old_ids = old_ids if old_ids is not None else _ids_of(type_, segments)
                    known = _is_in(mine.column("rid"), old_ids)
                    if known.any():
                        dropped += int(known.sum())
                        gone = mine.filter(pa.array(known))
                        self.delete(type_, gone.column("seq").to_pylist())
                        if type_ == "entity":
                            self.conn.executemany(
                                "DELETE FROM entity_key WHERE rid=? AND load_id=?",
                                [(r, load_id) for r in gone.column("rid").to_pylist()],
                            )
        return dropped

    def dangling(self, load_id: int) -> list[tuple[str, int, str | None, str, str]]:
        """Records of one load that name an id no stored entity answers to.

        Returns ``(table, seq, locator, field, value)`` for each, ownership by field then in
        ``seq`` order, then the other records. Within the load's transaction only the ids the
        load did not define itself are looked up in ``entity_key`` and in the committed
        segments; the rows that name one of those missing are then found in one pass.
        """
        track = self._refs.pop(load_id, None)
        found_early = self._missing.pop(load_id, None)
        if track is None:
            cand = self._referenced(load_id)
        else:
            cand = track.missing() if found_early is None else found_early.result()
        missing: list[str] = []
        stored_keys = self._stored_keys() if cand and self._segment_files("entity") else None
        for i in range(0, len(cand), 500):
            chunk = cand[i : i + 500]
            q = ",".join("?" * len(chunk))
            found = {r[0] for r in self.conn.execute(f"SELECT key FROM entity_key WHERE key IN ({q})", chunk)}
            if stored_keys is not None:
                hit = _is_in(pa.array(chunk, pa.string()), stored_keys)
                found.update(c for c, h in zip(chunk, hit.tolist(), strict=True) if h)
            missing.extend(c for c in chunk if c not in found)
        if not missing:
            return []
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS dangling_key (key TEXT PRIMARY KEY)")
        self.conn.execute("DELETE FROM temp.dangling_key")
        self.conn.executemany("INSERT OR IGNORE INTO temp.dangling_key VALUES (?)", ((m,) for m in missing))
        try:
            return self._dangling(load_id, "{v} IN (SELECT key FROM temp.dangling_key)", missing)
        finally:
            self.conn.execute("DELETE FROM temp.dangling_key")

    def _referenced(self, load_id: int) -> list[str]:
        """The distinct ids a load's records name (outside a tracked load)."""
        refs: set[str] = set()
        for field in _REF_FIELDS["ownership"]:
            refs.update(
                r[0] for r in self.conn.execute(f"SELECT {field} FROM ownership WHERE load_id=?", (load_id,))
            )
            pending = self._pending_table("ownership")
            if pending is not None:
                refs.update(pending.column(field).to_pylist())
        for type_, fields in _REF_FIELDS.items():
            if type_ != "ownership":
                for field in fields:
                    sql = f"SELECT json_extract(data, '$.{field}') FROM other WHERE load_id=? AND type=?"
                    refs.update(r[0] for r in self.conn.execute(sql, (load_id, type_)) if r[0] is not None)
        return sorted(refs)

    def _dangling(
        self, load_id: int, unknown: str, missing: list[str]
    ) -> list[tuple[str, int, str | None, str, str]]:
        """The dangling rows of a load; ``unknown`` is the SQL test that value ``{v}`` names no
        stored entity, ``missing`` those ids."""
        out: list[tuple[str, int, str | None, str, str]] = []
        seen: set[int] = set()
        pending = self._pending_table("ownership")
        for field in _REF_FIELDS["ownership"]:
            sql = f"SELECT seq, locator, {field} FROM ownership o WHERE load_id=? AND " + unknown.format(
                v=f"o.{field}"
            )
            hits = [(int(s), loc, v) for s, loc, v in self.conn.execute(sql, (load_id,))]
            if pending is not None and pending.num_rows:
                mask = _is_in(pending.column(field), pa.array(missing, pa.string()))
                if mask.any():
                    sel = pending.filter(pa.array(mask))
                    hits += zip(
                        sel.column("seq").to_pylist(),
                        sel.column("locator").to_pylist(),
                        sel.column(field).to_pylist(),
                        strict=True,
                    )
                    hits.sort(key=lambda h: h[0])
            for s, loc, v in hits:
                if s not in seen:
                    seen.add(s)
                    out.append(("ownership", s, loc, field, v))
        seen_other: set[int] = set()
        for type_, fields in _REF_FIELDS.items():
            if type_ == "ownership":
                continue
            for field in fields:
                sql = (
                    f"SELECT seq, locator, json_extract(data, '$.{field}') AS v FROM other o"
                    " WHERE load_id=? AND type=? AND v IS NOT NULL AND " + unknown.format(v="v")
                )
                for s, loc, v in self.conn.execute(sql, (load_id, type_)):
                    if s not in seen_other:
                        seen_other.add(s)
                        out.append(("other", s, loc, field, v))
        return out

    def _present(self, sql: str, values: Sequence[str], *params: Any) -> set[str]:
        """The ``values`` that ``sql`` finds: its first column, asked 500 values at a time (SQLite's
        parameter limit); ``{q}`` in ``sql`` stands for the placeholders, ``params`` go first."""
        found: set[str] = set()
        for i in range(0, len(values), 500):
            chunk = list(values[i : i + 500])
            q = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.conn.execute(sql.format(q=q), [*params, *chunk]))
        return found

    def delete(self, table: str, seqs: Sequence[int]) -> None:
        """Delete records of the open load by ``seq``, from SQLite and its pending segments."""
        assert table in ("ownership", "other", "entity")
        self.conn.executemany(f"DELETE FROM {table} WHERE seq=?", [(s,) for s in seqs])
        pending = self._pending_table(table) if table in _SEGMENT_TYPES else None
        if pending is not None and seqs:
            gone = _is_in(pending.column("seq"), pa.array(list(seqs), pa.int64()))
            if gone.any():
                self._pending[table] = [pending.filter(pa.array(~gone))]

    def shared_key_records(self, load_id: int) -> int:
        """Entity records of a load that share a key (id or strong identifier) with an entity
        record of another load: the ones that merge into entities the workspace already had."""
        other_sql = bool(
            self.conn.execute(
                "SELECT EXISTS (SELECT 1 FROM entity_key WHERE load_id<>?)", (load_id,)
            ).fetchone()[0]
        )
        stored = self._stored_keys() if self._segment_files("entity") else None
        if not other_sql and stored is None:
            return 0
        merged: set[str] = set()
        if other_sql:
            merged.update(
                r[0]
                for r in self.conn.execute(
                    "SELECT DISTINCT k.rid FROM entity_key k WHERE k.load_id=? AND EXISTS ("
                    " SELECT 1 FROM entity_key k2 WHERE k2.key=k.key AND k2.load_id<>?)",
                    (load_id, load_id),
                )
            )
        if stored is not None:
            mine = read_columns(
                self.conn,
                "SELECT key, rid FROM entity_key WHERE load_id=?",
                pa.schema([("key", pa.string()), ("rid", pa.string())]),
                (load_id,),
            )
            hit = _is_in(mine.column("key"), stored)
            merged.update(mine.column("rid").filter(pa.array(hit)).to_pylist())
        pending = self._pending_table("entity")
        if pending is not None and pending.num_rows:
            rows, keys = _entity_keys(pending)
            hit = np.zeros(len(keys), dtype=np.bool_)
            if stored is not None:
                hit |= _is_in(keys, stored)
            if other_sql:
                vals = keys.to_pylist()
                found = self._present(
                    "SELECT key FROM entity_key WHERE load_id<>? AND key IN ({q})", vals, load_id
                )
                hit |= np.fromiter((v in found for v in vals), dtype=np.bool_, count=len(vals))
            # pending rows are records of their own, none of them in SQLite
            return len(merged) + len(np.unique(rows[hit]))
        return len(merged)

    def iter_other(
        self, type_: str, *, include_undone: bool = False
    ) -> Iterator[tuple[int, str | None, int, dict[str, Any]]]:
        """Yield ``(load_id, locator, seq, data)`` of venue/listing/designation/... records."""
        sql = "SELECT load_id, locator, seq, data FROM other WHERE type=?"
        if not include_undone:
            sql += " AND undone IS NULL"
        for load_id, locator, seq, data in self.conn.execute(sql + " ORDER BY seq", (type_,)):
            yield load_id, locator, seq, orjson.loads(data)

    def entity_rows(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Stored entity records with these ids, oldest first, with their load's file."""
        out: list[dict[str, Any]] = []
        for i in range(0, len(ids), 500):
            chunk = list(ids[i : i + 500])
            q = ",".join("?" * len(chunk))
            cur = self.conn.execute(
                "SELECT e.*, l.path AS file FROM entity e LEFT JOIN loads l USING (load_id)"
                f" WHERE e.id IN ({q}) ORDER BY e.seq",
                chunk,
            )
            cols = [c[0] for c in cur.description]
            out.extend(dict(zip(cols, r, strict=True)) for r in cur.fetchall())
        segments = self._stored_segments("entity")
        if segments and ids:
            paths = self.load_paths()
            want = pa.array(list(ids), pa.string())
            names = _segment_schema("entity").names
            for t in segments:
                hits = _with_ids("entity", t.filter(pa.array(_is_in(t.column("id"), want))), names)
                for r in hits.to_pylist():
                    r["file"] = paths.get(r["load_id"])
                    out.append(r)
        out.sort(key=lambda r: r["seq"])
        return out

    def name_rows(self, *, with_aliases: bool = False) -> list[tuple[str, str, str]]:
        """``(id, name, aliases JSON)`` of every entity record in ``seq`` order (only those with
        aliases when ``with_aliases``): what name matching reads."""
        t = self.records("entity", ["id", "name", "aliases"])
        if with_aliases:
            t = t.filter(pc.not_equal(t.column("aliases"), "[]"))
        return list(zip(*(t.column(c).to_pylist() for c in ("id", "name", "aliases")), strict=True))

    def search_names(self, text: str, limit: int) -> list[tuple[str, str, str]]:
        """``(id, name, aliases JSON)`` of the first ``limit`` entity records (in ``seq`` order)
        whose name or aliases contain ``text`` (ASCII case ignored, as SQL ``LIKE``)."""
        escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        rows: list[tuple[int, str, str, str]] = list(
            self.conn.execute(
                "SELECT seq, id, name, aliases FROM entity WHERE name LIKE ? ESCAPE '\\'"
                " OR aliases LIKE ? ESCAPE '\\' ORDER BY seq LIMIT ?",
                (pattern, pattern, limit),
            )
        )
        # SQLite's LIKE folds the case of ASCII letters only: so does this
        low = pattern.translate(_ASCII_LOWER)
        for t in self._stored_segments("entity"):
            hit = pc.or_(
                pc.match_like(pc.ascii_lower(t.column("name")), low),
                pc.match_like(pc.ascii_lower(t.column("aliases")), low),
            )
            sel = t.filter(hit).slice(0, limit)
            rows += zip(*(sel.column(c).to_pylist() for c in ("seq", "id", "name", "aliases")), strict=True)
        rows.sort(key=lambda r: r[0])
        return [(i, n, a) for _s, i, n, a in rows[:limit]]

    def load_paths(self) -> dict[int, str]:
        return {int(r[0]): str(r[1]) for r in self.conn.execute("SELECT load_id, path FROM loads")}

    def undo_sameas(self, id_a: str, id_b: str) -> int:
        """Mark same-as records between two ids as undone (history is kept)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        n = 0
        for seq, data in self.conn.execute(
            "SELECT seq, data FROM other WHERE type='sameas' AND undone IS NULL"
        ).fetchall():
            d = orjson.loads(data)
            if {d["id_a"], d["id_b"]} == {id_a, id_b}:
                self.conn.execute("UPDATE other SET undone=? WHERE seq=?", (now, seq))
                n += 1
        return n

    def counts(self) -> dict[str, int]:
        out = {
            "entity": int(self.conn.execute("SELECT count(*) FROM entity").fetchone()[0]),
            "ownership": int(self.conn.execute("SELECT count(*) FROM ownership").fetchone()[0]),
        }
        for t, n in self.conn.execute("SELECT type, sum(rows) FROM segment GROUP BY type"):
            out[str(t)] += int(n)
        for t, parts in self._pending.items():
            out[t] += sum(p.num_rows for p in parts)
        for t, n in self.conn.execute("SELECT type, count(*) FROM other GROUP BY type"):
            out[str(t)] = int(n)
        return out
