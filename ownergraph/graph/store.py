"""The durable record store of a workspace: one SQLite file, one transaction per load.

Every record a loader yields is kept verbatim with its provenance (load, file, line or record
id). Records are keyed by a content hash, so loading the same data twice adds nothing. Entities
are *not* merged here: merging is derived from the stored records (shared strong identifiers and
same-as records) when the columnar cache is built (:mod:`ownergraph.graph.cache`), so that an
undone same-as or a new source never rewrites history.

This module stops at storage: it does not parse files and does not answer queries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

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
    "json_strings",
    "record_id",
    "record_ids",
]

SCHEMA_VERSION = 1

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
"""

_ENTITY_SQL = (
    "INSERT OR IGNORE INTO entity (rid, load_id, locator, id, name, kind, jurisdiction, aliases,"
    " identifiers, incorporated, dissolved, notes, sources) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_OWNERSHIP_SQL = (
    "INSERT OR IGNORE INTO ownership (rid, load_id, locator, owner_id, owned_id, lo, hi, flags,"
    ' kind, arrangement, start, "end", source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)'
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


def record_id(record: Record) -> str:
    """A stable content hash of a record (its type and every field), used to de-duplicate."""
    data = record.model_dump(mode="json")
    return hashlib.blake2b(orjson.dumps(data, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def byte_table(chars: str) -> npt.NDArray[np.bool_]:
    """A lookup table of the bytes that encode ``chars`` (ASCII only) for :func:`has_bytes`."""
    lut = np.zeros(256, dtype=np.bool_)
    lut[[ord(c) for c in chars]] = True
    return lut


def has_bytes(col: pa.Array | pa.ChunkedArray, lut: npt.NDArray[np.bool_]) -> bool:
    """Whether any value of a string column contains one of the bytes of ``lut``: one pass over
    the column's character data, far cheaper than a regular expression per value."""
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
    return bool(lut[chars].any())


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


def _pylist(col: pa.Array | pa.ChunkedArray) -> list[Any]:
    """A column as Python values for ``executemany``; repeated strings share one object."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    n = len(col)
    if col.null_count == n:
        return [None] * n
    if pa.types.is_integer(col.type) and col.null_count == 0:
        out: list[Any] = col.to_numpy().tolist()
        return out
    if pa.types.is_string(col.type) and n >= 1024:
        enc = pc.dictionary_encode(col)
        values = enc.dictionary.to_pylist()
        if len(values) * 8 <= n:
            values.append(None)
            idx = pc.fill_null(enc.indices, len(values) - 1).to_numpy().tolist()
            return list(map(values.__getitem__, idx))
    out = col.to_pylist()
    return out


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
    rid = record_id(record)
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
    return "other", (rid, load_id, locator, record.type, _json(record.model_dump(mode="json")))


class Store:
    """A workspace's SQLite file. Use :meth:`transaction` for one load."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._refs: dict[int, _LoadRefs] = {}
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
        self._refs.clear()
        if cache_bytes is not None:
            kib = min(max(cache_bytes, _CACHE_MIN), _CACHE_MAX) >> 10
            self.conn.execute(f"PRAGMA cache_size=-{int(kib)}")
        self.conn.execute("BEGIN IMMEDIATE")

    def _end(self) -> None:
        self._refs.clear()
        self.conn.execute(f"PRAGMA cache_size={int(self._cache_size)}")

    def commit(self) -> None:
        self.set_meta("generation", str(self.generation() + 1))
        self.conn.execute("COMMIT")
        self._end()

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self._end()

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
            rows[table].append(row)
            if isinstance(record, Entity):
                keys.extend((k, row[0], load_id) for k in record.strong_keys())
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
        self, type_: str, table: pa.Table, locators: Sequence[str], load_id: int
    ) -> tuple[int, int]:
        """Insert rows given as normalised store columns (:data:`ENTITY_COLUMNS` or
        :data:`OWNERSHIP_COLUMNS`) in the open transaction, in order; the bulk twin of
        :meth:`insert`, storing exactly what it would store for the same records.

        Returns ``(added, duplicates)``.
        """
        n = table.num_rows
        if n == 0:
            return 0, 0
        if type_ not in _COLUMN_TYPES:
            raise ValueError(f"no column form for {type_} records")
        names, sql = _COLUMN_TYPES[type_]
        table = table.select(list(names))
        rids = record_ids(type_, table)
        cols = [_pylist(table.column(name)) for name in names]
        before = self.conn.total_changes
        self.conn.executemany(sql, zip(rids, repeat(load_id, n), locators, *cols, strict=True))
        added = self.conn.total_changes - before
        track = self._refs.get(load_id)
        if type_ == "entity":
            ids, idents = cols[0], cols[5]
            keys: list[tuple[str, str, int]] = list(zip(ids, rids, repeat(load_id, n), strict=True))
            for i in (i for i, v in enumerate(idents) if v != "{}"):
                keys.extend((k, rids[i], load_id) for k in _keys_from_json(idents[i]))
            self.conn.executemany(_KEY_SQL, keys)
            if track is not None:
                track.keys.append(table.column("id").combine_chunks())
                track.py_keys.extend(k for k, _r, _l in keys[n:])
        elif track is not None:
            track.refs.extend(table.column(f).combine_chunks() for f in _REF_FIELDS[type_])
        return added, n - added

    def dangling(self, load_id: int) -> list[tuple[str, int, str | None, str, str]]:
        """Records of one load that name an id no stored entity answers to.

        Returns ``(table, seq, locator, field, value)`` for each. Within the load's transaction
        only the ids the load did not define itself are looked up in ``entity_key``; the rows
        that name one of those missing are then found in one pass.
        """
        track = self._refs.pop(load_id, None)
        if track is None:
            return self._dangling(load_id, "NOT EXISTS (SELECT 1 FROM entity_key k WHERE k.key = {v})")
        missing: list[str] = []
        cand = track.missing()
        for i in range(0, len(cand), 500):
            chunk = cand[i : i + 500]
            q = ",".join("?" * len(chunk))
            found = {r[0] for r in self.conn.execute(f"SELECT key FROM entity_key WHERE key IN ({q})", chunk)}
            missing.extend(c for c in chunk if c not in found)
        if not missing:
            return []
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS dangling_key (key TEXT PRIMARY KEY)")
        self.conn.execute("DELETE FROM temp.dangling_key")
        self.conn.executemany("INSERT OR IGNORE INTO temp.dangling_key VALUES (?)", ((m,) for m in missing))
        try:
            return self._dangling(load_id, "{v} IN (SELECT key FROM temp.dangling_key)")
        finally:
            self.conn.execute("DELETE FROM temp.dangling_key")

    def _dangling(self, load_id: int, unknown: str) -> list[tuple[str, int, str | None, str, str]]:
        """The dangling rows of a load; ``unknown`` is the SQL test that value ``{v}`` names no
        stored entity."""
        out: list[tuple[str, int, str | None, str, str]] = []
        seen: set[int] = set()
        for field in _REF_FIELDS["ownership"]:
            sql = f"SELECT seq, locator, {field} FROM ownership o WHERE load_id=? AND " + unknown.format(
                v=f"o.{field}"
            )
            for s, loc, v in self.conn.execute(sql, (load_id,)):
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

    def delete(self, table: str, seqs: Sequence[int]) -> None:
        assert table in ("ownership", "other", "entity")
        self.conn.executemany(f"DELETE FROM {table} WHERE seq=?", [(s,) for s in seqs])

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
        out.sort(key=lambda r: r["seq"])
        return out

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
        for t, n in self.conn.execute("SELECT type, count(*) FROM other GROUP BY type"):
            out[str(t)] = int(n)
        return out

