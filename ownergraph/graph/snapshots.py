"""Snapshots of a published list: a designation absent from a newer snapshot of the same list
was removed on that snapshot's date (SPEC §5).

Records are never deleted or rewritten. A load that is a full snapshot of a list (OFAC SDN,
OFAC consolidated, the CSL, DoD 1260H, BIS MIEU, an OpenSanctions dataset in a full FtM export)
stores, next to its records and in its own transaction, *which designations the list contained*
and the snapshot's date (table ``snapshot``, one row per list per load; the keys are one Arrow
blob per row, read back in one piece). The history is derived
from those facts whenever the columnar cache is built (:func:`apply_snapshots`, called once from
:func:`ownergraph.graph.cache.build_cache`), by the pure function :func:`snapshot_periods`:

* **The same list** is a list key a loader declares per designation (:class:`ListSnapshot`):
  ``ofac-sdn`` / ``ofac-cons`` (the legacy CSV set and the advanced XML of one list are one list),
  ``csl``, ``dod1260h``, ``mieu``, ``opensanctions:<datasets>``. Delta files and bundles are not
  snapshots (a delta carries its own deletions; a bundle is curated and dates its own removals).
* **The same designation** is the source's key: the entity id *as the list writes it*
  (``ofac:<ent_num>``, ``csl:<_id>``, an FtM id) with the regime. Not the merged entity: identity
  resolution changes with every same-as and new source, while a list's own key does not, so
  history derived from it never shifts. Programme texts are left out because the CSV and the XML
  of one OFAC list spell them differently (one record per programme vs ``"A; B"``); the regime is
  what the restriction depends on, so a party moved from one regime to another ends the first.
* **Order** is the snapshot's date, never the load order: an older snapshot loaded later changes
  nothing it should not. Snapshots of one list with the same date are read as one (present in
  either). Presence in consecutive snapshots forms one active period.
* A period **ends** on the date of the first later snapshot that lacks the designation, unless
  the record states an earlier removal (the record wins). The last period is open unless the
  record states a removal.
* A period **starts** with the record's own date (``listed``, else ``effective``) when the list's
  first snapshot has it. After a snapshot *k* that lacked it (a reappearance, or a designation
  first seen later, in *k+1*) it was listed some day between the two snapshots' dates: the period
  starts on the record's own date if that falls after snapshot *k*, else on the day after
  snapshot *k* — the earliest it can have been listed. An older snapshot loaded later therefore
  moves a newer listing back to that day at most, never forward, and a screening answer errs
  towards a false positive, never a false negative.

Each derived row carries ``history``: why it starts or ends, naming the snapshots and files.

A file that states no date is dated by ``--snapshot-date`` or the load date, so a partial extract
loaded as a snapshot would end the rest of its list: :meth:`SnapshotRecorder.save` warns when such
a snapshot removes designations, and :func:`retract` (``load --not-snapshot`` on a loaded file)
deletes the snapshot rows recorded from that content.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc

from ownergraph.errors import DateError, OwnergraphError
from ownergraph.graph.model import REGIME_IDS, Designation, parse_date
from ownergraph.graph.model import _past as _model_past
from ownergraph.graph.store import Store

__all__ = [
    "ListSnapshot",
    "Periods",
    "SnapshotRecorder",
    "apply_snapshots",
    "designation_key",
    "republish",
    "retract",
    "snapshot_periods",
]

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]

_NO_LO = np.int32(-(2**31))  # the cache's open start (cache.NO_DATE_LO; cache imports this module)
_NO_HI = np.int32(2**31 - 1)  # the cache's open end
_EPOCH = dt.date(1970, 1, 1)

_COLUMNS = "load_id, list_key, label, snapshot_date, date_from, designations, members"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshot (
  snapshot_id INTEGER PRIMARY KEY, load_id INTEGER NOT NULL, list_key TEXT NOT NULL,
  label TEXT NOT NULL, snapshot_date TEXT NOT NULL, date_from TEXT NOT NULL, designations INTEGER NOT NULL,
  members BLOB NOT NULL
);
"""


def designation_key(entity_id: str, regime: str) -> str:
    """The key of one designation within its list: the list's own entity id and the regime.

    >>> designation_key("ofac:33114", "ofac-ns-cmic")
    'ofac:33114 ofac-ns-cmic'
    """
    return f"{entity_id} {regime}"


@dataclass(frozen=True)
class ListSnapshot:
    """What a loader declares about one load that is a full snapshot of one or more lists.

    ``list_of`` names the list (``(key, label)``) a designation of the load belongs to, or
    ``None`` for one that is not part of a snapshot. ``date`` is the publication date the content
    states (``None`` when the format has none: the ``--snapshot-date`` or the load date is used),
    ``date_from`` says where it was read.
    """

    list_of: Callable[[Designation], tuple[str, str] | None]
    date: dt.date | None = None
    date_from: str = ""


_USER_DATES = ("--snapshot-date", "load date")
"""How a snapshot is dated when its file states no date (``date_from`` starts with one)."""


_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse(value: str | dt.date) -> dt.date:
    """A ``--snapshot-date``: a full day, since removals are dated by it (``2025`` is no day)."""
    if not isinstance(value, dt.date) and not _FULL_DATE.fullmatch(str(value).strip()):
        raise DateError(
            "a snapshot date must be a full date",
            field="--snapshot-date",
            value=str(value),
            fix="write YYYY-MM-DD, the day the list was published",
        )
    d = parse_date(value, field="--snapshot-date")
    assert d is not None  # a full date matched
    return d


def _past(d: dt.date, what: str, file: str | None = None) -> dt.date:
    """The model's PastDate rule for a snapshot date, the error located."""
    try:
        _model_past(d)
    except DateError as e:
        raise e.located(file=file, field=what) from None
    return d


@dataclass
class SnapshotRecorder:
    """Notes the designations one load streams through and stores them as snapshot facts.

    Made by :meth:`for_load`; :meth:`watch` passes the loader's items through unchanged,
    :meth:`save` writes the ``snapshot`` tables in the load's open transaction and returns the
    line for the load report (``None`` when the load is not a snapshot).
    """

    info: ListSnapshot | None
    date: dt.date | None = None
    date_from: str = ""
    note: str | None = None
    members: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    path: str = ""
    warnings: list[str] = field(default_factory=list)
    """Filled by :meth:`save`: removals that rest on a date the file does not state."""

    @classmethod
    def for_load(
        cls,
        declare: Callable[[Path], ListSnapshot | None] | None,
        path: Path,
        snapshot_date: str | dt.date | None = None,
        *,
        enabled: bool = True,
    ) -> SnapshotRecorder:
        """The recorder of one load of ``path``.

        ``declare`` is the loader's snapshot declaration (``LoaderSpec.snapshot``);
        ``snapshot_date`` the user's date for formats that carry none (default: today);
        ``enabled=False`` loads a partial extract whose absences mean nothing.
        """
        given = _past(_parse(snapshot_date), "--snapshot-date") if snapshot_date is not None else None
        info = declare(path) if declare is not None and enabled else None
        if info is None:
            why = "a partial extract (--not-snapshot)" if not enabled and declare else "not a list snapshot"
            return cls(None, note=f"{why}; --snapshot-date not used" if given else None)
        where = str(path.resolve())
        if info.date is not None:
            _past(info.date, info.date_from or "snapshot date", str(path))
            note = ""
            if given is not None and given != info.date:
                note = f"; --snapshot-date {given.isoformat()} not used"
            return cls(info, info.date, info.date_from + note, path=where)
        if given is not None:
            return cls(info, given, "--snapshot-date", path=where)
        today = "load date (the file states none; pass --snapshot-date)"
        return cls(info, dt.date.today(), today, path=where)

    def watch(self, items: Iterable[Any]) -> Iterator[Any]:
        """The items, unchanged; the designations among them are noted by list."""
        if self.info is None:
            yield from items
            return
        list_of = self.info.list_of
        members = self.members
        for item in items:
            if isinstance(item, tuple) and isinstance(item[0], Designation):
                d = item[0]
                lst = list_of(d)
                if lst is not None:
                    members.setdefault(lst, set()).add(designation_key(d.entity_id, d.regime))
            elif getattr(item, "type", None) == "designation":
                # a bulk batch of designations (loaders.base.RecordBatch) would go unnoted and the
                # snapshot be recorded without them: every designation of the list removed
                raise OwnergraphError(
                    f"{self.path}: a list snapshot's designations came as a column batch, which the"
                    " snapshot recorder cannot read; the loader must yield designations as records"
                    " (or load with --not-snapshot)"
                )
            yield item

    def save(self, conn: sqlite3.Connection, load_id: int) -> str | None:
        """Store this load's snapshots (in the caller's open transaction); the report line."""
        if self.info is None or not self.members:
            return self.note if self.info is None else "list snapshot without designations: nothing recorded"
        assert self.date is not None
        _create(conn)
        parts = []
        for (key, label), keys in sorted(self.members.items()):
            conn.execute(
                f"INSERT INTO snapshot ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
                (load_id, key, label, self.date.isoformat(), self.date_from, len(keys), _pack(sorted(keys))),
            )
            parts.append(f"{label} ({len(keys):,} designations)")
            if self.date_from.startswith(_USER_DATES):
                self.warnings += _removal_warning(conn, load_id, key, label, self.date, keys, self.path)
        return f"snapshot of {', '.join(parts)} dated {self.date.isoformat()} from {self.date_from}"


def _unpack(blob: bytes) -> set[str]:
    return set(pa.ipc.open_stream(blob).read_all().column("key").to_pylist())


def _removal_warning(
    conn: sqlite3.Connection, load_id: int, key: str, label: str, date: dt.date, keys: set[str], path: str
) -> list[str]:
    """The warning for a snapshot dated by the user (or the load date) that removes designations:
    the ones in the list's latest earlier snapshot and in no snapshot of this date. A partial
    extract loaded as a snapshot would otherwise silently end the rest of its list."""
    rows = conn.execute(
        "SELECT snapshot_date, members FROM snapshot WHERE list_key=? AND load_id!=? AND snapshot_date<=?",
        (key, load_id, date.isoformat()),
    ).fetchall()
    earlier = max((str(d) for d, _ in rows if str(d) < date.isoformat()), default=None)
    if earlier is None:
        return []
    gone: set[str] = set()
    for d, blob in rows:
        if str(d) == earlier:
            gone |= _unpack(blob)
    gone -= keys
    for d, blob in rows:
        if str(d) == date.isoformat() and gone:
            gone -= _unpack(blob)  # snapshots of one date are read as one
    if not gone:
        return []
    return [
        f"{len(gone):,} designations of {label} absent from {path} are marked removed on"
        f" {date.isoformat()}; if it is a partial extract, reload it with --not-snapshot"
    ]


def republish(
    store: Store, prior: int, path: str, snapshot_date: str | dt.date | None
) -> tuple[str, tuple[str, ...]] | None:
    """Record an already loaded list file as a new snapshot on another ``--snapshot-date``.

    The records are not read again (they are stored), but the list's state on that date is a new
    fact: a party that returns in a re-published file identical to an earlier one is active
    again. Nothing happens (``None``) without a date, for a file that is no snapshot or states
    its own date, and for a date already recorded for this content. Returns the report line and
    the warnings of :meth:`SnapshotRecorder.save`.
    """
    if snapshot_date is None:
        return None
    date = _past(_parse(snapshot_date), "--snapshot-date")
    conn = store.conn
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='snapshot'").fetchone() is None:
        return None
    rows = conn.execute(
        "SELECT snapshot_id, list_key, label, date_from, designations FROM snapshot WHERE load_id=?", (prior,)
    ).fetchall()
    if not rows or not all(str(r[3]).startswith(_USER_DATES) for r in rows):
        return None
    sha, fmt = conn.execute("SELECT sha256, format FROM loads WHERE load_id=?", (prior,)).fetchone()
    store.begin()  # the check and the insert under one write lock: two processes cannot both add it
    try:
        seen = conn.execute(
            "SELECT 1 FROM snapshot s JOIN loads l USING (load_id) WHERE l.sha256=? AND l.format=?"
            " AND s.snapshot_date=?",
            (sha, fmt, date.isoformat()),
        ).fetchone()
        if seen is not None:
            store.rollback()
            return None
        lid = store.start_load(path, fmt, sha)
        parts, warnings = [], []
        for sid, key, label, _from, n in rows:
            conn.execute(
                f"INSERT INTO snapshot ({_COLUMNS}) SELECT ?, list_key, label, ?, ?, designations, members"
                " FROM snapshot WHERE snapshot_id=?",
                (lid, date.isoformat(), f"--snapshot-date (the content of load {prior})", sid),
            )
            parts.append(f"{label} ({n:,} designations)")
            (blob,) = conn.execute("SELECT members FROM snapshot WHERE snapshot_id=?", (sid,)).fetchone()
            warnings += _removal_warning(conn, lid, key, label, date, _unpack(blob), path)
        store.finish_load(lid, seconds=0.0, counts={"read": 0, "added": 0})
        store.commit()
    except BaseException:
        store.rollback()
        raise
    return (
        f"snapshot of {', '.join(parts)} dated {date.isoformat()} from --snapshot-date;"
        f" the same content as load {prior}, records not read again"
    ), tuple(warnings)


def retract(store: Store, sha256: str, fmt: str, snapshot_date: str | dt.date | None) -> str | None:
    """``--not-snapshot`` on an already loaded file: the snapshot(s) recorded from its content
    (all, or the one of ``snapshot_date``) were a mistake — a partial extract — and are deleted.

    The records stay; their list's periods are derived again without the retracted snapshot.
    ``None`` when the content recorded no such snapshot. Returns the report line.
    """
    conn = store.conn
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='snapshot'").fetchone() is None:
        return None
    query = (
        "SELECT s.snapshot_id, s.label, s.snapshot_date, s.designations FROM snapshot s"
        " JOIN loads l USING (load_id) WHERE l.sha256=? AND l.format=?"
    )
    args: tuple[str, ...] = (sha256, fmt)
    if snapshot_date is not None:
        query += " AND s.snapshot_date=?"
        args += (_parse(snapshot_date).isoformat(),)
    store.begin()  # read and delete under one write lock
    try:
        rows = conn.execute(query + " ORDER BY s.snapshot_id", args).fetchall()
        if not rows:
            store.rollback()
            return None
        conn.executemany("DELETE FROM snapshot WHERE snapshot_id=?", [(r[0],) for r in rows])
        store.commit()
    except BaseException:
        store.rollback()
        raise
    gone = ", ".join(f"{label} ({n:,} designations) dated {d}" for _sid, label, d, n in rows)
    return f"snapshot of {gone} retracted (--not-snapshot): its absences remove nothing; the records stay"


def _create(conn: sqlite3.Connection) -> None:
    """The snapshot tables, created inside an open transaction (``executescript`` would commit)."""
    for stmt in _SCHEMA.split(";"):
        if stmt.strip():
            conn.execute(stmt)


class Periods(NamedTuple):
    """The active periods of designation records (:func:`snapshot_periods`), one per row.

    Snapshot columns are snapshot indexes, -1 where none: ``start_snap`` the snapshot the period
    starts with after an absence, ``absent_before`` the one that lacked it just before,
    ``end_snap`` the first later one lacking it, ``last_snap`` the last one that has it.
    """

    row: I64
    since: I32
    removed: I32
    start_snap: I64
    absent_before: I64
    end_snap: I64
    last_snap: I64


def snapshot_periods(
    snap_list: I64,
    snap_date: I32,
    member_snap: I64,
    member_key: I64,
    rec_list: I64,
    rec_key: I64,
    rec_since: I32,
    rec_removed: I32,
) -> Periods:
    """The active periods of designation records given the snapshots of their lists.

    Parameters
    ----------
    snap_list, snap_date
        Per snapshot: its list (an integer) and date (int32 days, any order, ties allowed).
    member_snap, member_key
        Pairs: snapshot ``member_snap[j]`` contains designation key ``member_key[j]`` (integers).
    rec_list, rec_key
        Per record: the list and key that govern it, -1 for a record no snapshot governs.
    rec_since, rec_removed
        Per record: its own start (``listed`` else ``effective``) and removal, int32 days with
        the cache's open bounds.

    Returns
    -------
    Periods
        Rows sorted by record then start; every record has at least one row (an ungoverned one
        exactly one, with its own dates).

    Examples
    --------
    Key 0 is in snapshots 0 (day 10) and 2 (day 30) but not in 1 (day 20): two periods, the
    second from day 21, the earliest day it can have been listed again.

    >>> i64 = lambda *v: np.array(v, dtype=np.int64)
    >>> p = snapshot_periods(i64(0, 0, 0), np.array([10, 20, 30], np.int32), i64(0, 2, 1), i64(0, 0, 1),
    ...                      i64(0), i64(0), np.array([5], np.int32), np.array([2**31 - 1], np.int32))
    >>> p.since.tolist(), p.removed.tolist(), p.end_snap.tolist()
    ([5, 21], [20, 2147483647], [1, -1])
    """
    n_rec = len(rec_key)
    s_order = np.lexsort((np.arange(len(snap_list)), snap_date, snap_list))
    sl, sd = snap_list[s_order], snap_date[s_order]
    new_group = np.ones(len(sl), dtype=np.bool_)
    new_group[1:] = (sl[1:] != sl[:-1]) | (sd[1:] != sd[:-1])
    gid_sorted = np.cumsum(new_group) - 1
    gid = np.empty(len(sl), dtype=np.int64)
    gid[s_order] = gid_sorted
    g_first = np.flatnonzero(new_group)
    g_list, g_date, g_rep = sl[g_first], sd[g_first], s_order[g_first]  # rep: first snapshot loaded
    n_groups = len(g_first)
    list_start = np.ones(n_groups, dtype=np.bool_)
    list_start[1:] = g_list[1:] != g_list[:-1]
    g_pos = np.arange(n_groups) - np.maximum.accumulate(np.where(list_start, np.arange(n_groups), 0))
    list_end = np.ones(n_groups, dtype=np.bool_)
    list_end[:-1] = list_start[1:]
    g_last_of_list = np.empty(n_groups, dtype=np.int64)  # the last group of each group's list
    ends = np.flatnonzero(list_end)
    g_last_of_list[:] = ends[np.searchsorted(ends, np.arange(n_groups))] if n_groups else 0

    n_keys = int(max(member_key.max(initial=-1), rec_key.max(initial=-1))) + 1
    # presence of (list, key) in group, as one sorted unique code per pair
    m_group = gid[member_snap]
    pk = g_list[m_group] * n_keys + member_key
    code = _sorted_unique(pk * max(n_groups, 1) + m_group)
    pk_u, grp_u = code // max(n_groups, 1), code % max(n_groups, 1)
    run_start = np.ones(len(code), dtype=np.bool_)
    run_start[1:] = (pk_u[1:] != pk_u[:-1]) | (grp_u[1:] != grp_u[:-1] + 1)
    starts = np.flatnonzero(run_start)
    stops = np.append(starts[1:], len(code)) - 1
    run_pk, run_g0, run_g1 = pk_u[starts], grp_u[starts], grp_u[stops]

    # records → their runs
    governed = rec_key >= 0
    rec_pk = np.where(governed, rec_list * n_keys + rec_key, -1)
    lo = np.searchsorted(run_pk, rec_pk, side="left")
    hi = np.searchsorted(run_pk, rec_pk, side="right")
    n_runs = np.where(governed, hi - lo, 0)
    n_rows = np.maximum(n_runs, 1)
    row = np.repeat(np.arange(n_rec, dtype=np.int64), n_rows)
    first = np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    k = np.arange(len(row)) - first  # period number within the record
    has_run = n_runs[row] > 0
    run = np.where(has_run, lo[row] + k, 0)
    own_since, own_removed = rec_since[row], rec_removed[row]
    since, removed = own_since.copy(), own_removed.copy()
    start_snap = np.full(len(row), -1, dtype=np.int64)
    absent_before = np.full(len(row), -1, dtype=np.int64)
    end_snap = np.full(len(row), -1, dtype=np.int64)
    last_snap = np.full(len(row), -1, dtype=np.int64)
    if len(run_pk):
        g0, g1 = run_g0[run], run_g1[run]
        after_absence = has_run & (g_pos[g0] > 0)
        prev_date = g_date[np.maximum(g0 - 1, 0)]
        # listed some day after the snapshot that lacked it: the earliest such day unless the
        # record dates itself later (a screening tool prefers a false positive to a false negative)
        from_snapshot = after_absence & ~(own_since > prev_date)
        since = np.where(from_snapshot, prev_date.astype(np.int64) + 1, own_since).astype(np.int32)
        start_snap = np.where(after_absence, g_rep[g0], -1)
        absent_before = np.where(after_absence, g_rep[np.maximum(g0 - 1, 0)], -1)
        ended = has_run & (g1 < g_last_of_list[g1])
        end_g = np.minimum(g1 + 1, n_groups - 1)
        removed = np.where(ended, np.minimum(own_removed, g_date[end_g]), own_removed).astype(np.int32)
        end_snap = np.where(ended, g_rep[end_g], -1)
        last_snap = np.where(has_run, g_rep[g1], -1)
    # a later period that the record's own removal already closed is no period at all
    keep = (k == 0) | (since < removed)
    return Periods(
        row[keep],
        since[keep],
        removed[keep],
        start_snap[keep],
        absent_before[keep],
        end_snap[keep],
        last_snap[keep],
    )


def _sorted_unique(a: I64) -> I64:
    """``np.unique`` of an int64 array by one sort (numpy's hashing path is slower here)."""
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def _day(d: int) -> str:
    return (_EPOCH + dt.timedelta(days=int(d))).isoformat()


def _pack(keys: list[str]) -> bytes:
    """Designation keys as one Arrow IPC stream (one string column)."""
    table = pa.table({"key": pa.array(keys, pa.string())})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _read_members(conn: sqlite3.Connection, sid_pos: Mapping[int, int]) -> tuple[I64, I64, pa.Array]:
    """``(snapshot position, key number)`` of every key a snapshot held, and the keys by number."""
    parts: list[pa.Array] = []
    owner: list[I64] = []
    for sid, blob in conn.execute("SELECT snapshot_id, members FROM snapshot ORDER BY snapshot_id"):
        col = pa.ipc.open_stream(blob).read_all().column("key").combine_chunks()
        parts.append(col)
        owner.append(np.full(len(col), sid_pos[int(sid)], dtype=np.int64))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), pa.array([], pa.string())
    enc = pa.concat_arrays(parts).dictionary_encode()
    return np.concatenate(owner), enc.indices.to_numpy().astype(np.int64), enc.dictionary


def _governing(
    designations: pa.Table,
    entity_ids: list[str],
    snaps: list[Any],
    snap_list: I64,
    members: tuple[I64, I64, pa.Array],
) -> tuple[I64, I64]:
    """The list and key number governing each designation row (-1 for none): a snapshot that the
    row's own load recorded holds its key."""
    m_snap, m_key, key_names = members
    n = designations.num_rows
    rec_list = np.full(n, -1, dtype=np.int64)
    rec_key = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(m_snap) == 0:
        return rec_list, rec_key
    regime_names = pa.array(REGIME_IDS, pa.string()).take(designations.column("regime").combine_chunks())
    keys = pc.binary_join_element_wise(pa.array(entity_ids, pa.string()), regime_names, " ")
    kid = np.asarray(pc.fill_null(pc.index_in(keys, value_set=key_names), -1).to_numpy(), dtype=np.int64)
    n_keys = len(key_names)
    held = _sorted_unique(m_snap * n_keys + m_key)
    load_ids = designations.column("load_id").to_numpy().astype(np.int64)
    for s in range(len(snaps)):  # a load records one snapshot per list, so few per load
        rows = np.flatnonzero((load_ids == int(snaps[s][1])) & (kid >= 0) & (rec_key < 0))
        if len(rows):
            code = s * n_keys + kid[rows]
            ok = rows[held[np.minimum(np.searchsorted(held, code), len(held) - 1)] == code]
            rec_list[ok], rec_key[ok] = snap_list[s], kid[ok]
    return rec_list, rec_key


def apply_snapshots(
    conn: sqlite3.Connection,
    designations: pa.Table,
    entity_ids: list[str],
    load_paths: Mapping[int, str],
) -> pa.Table:
    """The cache's designation table with snapshot history applied (the hook in ``build_cache``).

    ``entity_ids`` are the records' entity ids as written (the list's key, before identity
    resolution). Rows are repeated per active period with ``listed``/``removed`` set to the
    period's bounds where a snapshot sets them, and a ``history`` column says why.
    """
    has = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='snapshot'").fetchone()
    snaps = (
        conn.execute(
            "SELECT snapshot_id, load_id, list_key, label, snapshot_date FROM snapshot ORDER BY snapshot_id"
        ).fetchall()
        if has
        else []
    )
    if not snaps:
        return designations.append_column("history", pa.nulls(designations.num_rows, pa.string()))
    sid_pos = {int(r[0]): i for i, r in enumerate(snaps)}
    lists = sorted({str(r[2]) for r in snaps})
    list_id = {k: i for i, k in enumerate(lists)}
    snap_list = np.array([list_id[r[2]] for r in snaps], dtype=np.int64)
    snap_date = np.array([(dt.date.fromisoformat(r[4]) - _EPOCH).days for r in snaps], dtype=np.int32)
    members = _read_members(conn, sid_pos)
    m_snap, m_key, _names = members
    rec_list, rec_key = _governing(designations, entity_ids, snaps, snap_list, members)
    listed = designations.column("listed").to_numpy()
    effective = designations.column("effective").to_numpy()
    own_since = np.where(listed != _NO_LO, listed, effective).astype(np.int32)
    own_removed = designations.column("removed").to_numpy().astype(np.int32)
    p = snapshot_periods(
        snap_list,
        snap_date,
        m_snap,
        m_key,
        rec_list,
        rec_key,
        own_since,
        own_removed,
    )
    out = designations.take(pa.array(p.row))
    moved = p.since != own_since[p.row]
    new_listed = np.where(moved, p.since, out.column("listed").to_numpy()).astype(np.int32)
    out = out.set_column(out.schema.get_field_index("listed"), "listed", pa.array(new_listed))
    out = out.set_column(out.schema.get_field_index("removed"), "removed", pa.array(p.removed))

    def snap_text(s: int) -> str:
        _sid, lid, _key, label, date = snaps[s]
        return f"the {label} snapshot of {date} (file {load_paths.get(int(lid), '?')})"

    # only rows a snapshot governs say anything; rows that say the same are written once
    said = np.flatnonzero((p.start_snap >= 0) | (p.last_snap >= 0))
    started, ended = p.start_snap[said] >= 0, p.end_snap[said] >= 0
    again = np.zeros(len(p.row), dtype=np.bool_)
    again[1:] = p.row[1:] == p.row[:-1]
    facts = np.stack(
        [
            p.start_snap[said],
            p.absent_before[said],
            np.where(started, p.since[said], 0),
            started & again[said],
            p.end_snap[said],
            np.where(ended, p.removed[said], 0),
            p.last_snap[said],
        ],
        axis=1,
    ).astype(np.int64)
    which = np.zeros(len(said), dtype=np.int64)  # the combination of facts, numbered densely
    for col in facts.T:
        u, inv = np.unique(col, return_inverse=True)
        which = np.unique(which * len(u) + inv.reshape(-1), return_inverse=True)[1].reshape(-1)
    first = np.full(int(which.max(initial=-1)) + 1, len(which), dtype=np.int64)
    np.minimum.at(first, which, np.arange(len(which)))
    combos = facts[first]
    texts = []
    for start, before, since, is_again, end, removed, last in combos.tolist():
        parts = []
        if start >= 0:
            parts.append(
                f"active {'again from' if is_again else 'from'} {_day(since)}: listed between"
                f" {snaps[before][4]} and {snaps[start][4]}; in {snap_text(start)},"
                f" absent from {snap_text(before)}"
            )
        if end >= 0:
            if removed < snap_date[end]:
                parts.append(f"removed {_day(removed)} as the record states")
            else:
                parts.append(f"removed {_day(removed)}: absent from {snap_text(end)}")
            parts.append(f"last present in {snap_text(last)}")
        else:
            parts.append(f"present in {snap_text(last)}, the latest of its list")
        texts.append("; ".join(parts))
    idx = np.full(len(p.row), -1, dtype=np.int64)
    idx[said] = which
    history = pa.array(texts, pa.string()).take(pa.array(idx, mask=idx < 0))
    return out.append_column("history", history)
