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
from pathlib import Path
from typing import Any

import orjson

from ownergraph.errors import WorkspaceError
from ownergraph.graph.model import (
    Claim,
    Designation,
    Entity,
    Holding,
    Listing,
    Ownership,
    Record,
    SameAs,
    Venue,
)

__all__ = ["SCHEMA_VERSION", "Store", "record_id"]

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
        try:
            self.conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        except sqlite3.Error as e:
            raise WorkspaceError(f"{path}: cannot open the workspace database: {e}") from None
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=OFF")
            self.conn.executescript(_SCHEMA)
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

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.set_meta("generation", str(self.generation() + 1))
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def start_load(self, path: str, fmt: str, sha256: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO loads (path, format, sha256, started) VALUES (?,?,?,?)",
            (path, fmt, sha256, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        )
        assert cur.lastrowid is not None
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
        for record, locator in items:
            table, row = _row(record, load_id, locator)
            rows[table].append(row)
            if isinstance(record, Entity):
                keys.extend((k, row[0], load_id) for k in record.strong_keys())
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

    def dangling(self, load_id: int) -> list[tuple[str, int, str | None, str, str]]:
        """Records of one load that name an id no stored entity answers to.

        Returns ``(table, seq, locator, field, value)`` for each.
        """
        out: list[tuple[str, int, str | None, str, str]] = []
        seen: set[int] = set()
        for field in ("owner_id", "owned_id"):
            sql = (
                f"SELECT seq, locator, {field} FROM ownership o WHERE load_id=? AND NOT EXISTS"
                f" (SELECT 1 FROM entity_key k WHERE k.key = o.{field})"
            )
            for s, loc, v in self.conn.execute(sql, (load_id,)):
                if s not in seen:
                    seen.add(s)
                    out.append(("ownership", s, loc, field, v))
        checks = (
            ("listing", "entity_id"),
            ("designation", "entity_id"),
            ("holding", "holder_id"),
            ("holding", "entity_id"),
            ("claim", "subject_id"),
            ("sameas", "id_a"),
            ("sameas", "id_b"),
        )
        seen_other: set[int] = set()
        for type_, field in checks:
            sql = (
                f"SELECT seq, locator, json_extract(data, '$.{field}') AS v FROM other o"
                " WHERE load_id=? AND type=? AND v IS NOT NULL"
                " AND NOT EXISTS (SELECT 1 FROM entity_key k WHERE k.key = v)"
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


_TYPES = (Entity, Ownership, Venue, Listing, Designation, Claim, Holding, SameAs)
