"""List snapshots (SPEC §5): a designation absent from a newer snapshot of the same list is removed
on that snapshot's date; snapshots are ordered by date, not load order; reloading changes
nothing; a party that reappears is active again; history is kept and explained.

Two snapshots are made from the real OFAC consolidated CSV set (``data/ofac/watchman_cons_*``):
the real files, and a copy without some parties' rows. The real 2020 ``CONS_ADVANCED.XML`` and
the 2025 CSV set are a real pair of snapshots of the same list.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

import ownergraph
from ownergraph.cli import cli
from ownergraph.errors import DateError
from ownergraph.graph.cache import NO_DATE_HI, NO_DATE_LO
from ownergraph.graph.engine import open_view
from ownergraph.graph.neo4j_store import push
from ownergraph.graph.snapshots import SnapshotRecorder, snapshot_periods
from ownergraph.graph.workspace import Workspace
from ownergraph.queries.restricted import restricted
from tests.graph import conftest_neo4j

OFAC = Path("/work/shared/data/ofac")
CONS = sorted(OFAC.glob("watchman_cons_*.csv"))
XML_2020 = OFAC / "urbanfortnight_cons_advanced_2020-03-17.xml"
SENSETIME, RAB = "33114", "17014"  # NS-CMIC; SSI + NS-MBS (Russian Agricultural Bank)
OLD, NEW, AGAIN = "2025-01-10", "2025-06-01", "2025-09-01"


def cons_set(folder: Path, drop: tuple[str, ...] = ()) -> Path:
    """The real consolidated CSV set copied to ``folder`` without the rows of ``drop`` parties;
    returns the prim file (a load reads its siblings)."""
    folder.mkdir(parents=True)
    for f in CONS:
        if not drop:
            shutil.copy(f, folder / f.name)
            continue
        lines = f.read_bytes().split(b"\r\n")
        kept = [ln for ln in lines if ln.split(b",", 1)[0] not in {d.encode() for d in drop}]
        assert len(kept) < len(lines) or "comments" in f.name
        (folder / f.name).write_bytes(b"\r\n".join(kept))
    return folder / "watchman_cons_prim.csv"


@pytest.fixture
def snaps(tmp_path: Path) -> dict[str, Path]:
    return {"full": cons_set(tmp_path / "full"), "cut": cons_set(tmp_path / "cut", (SENSETIME, RAB))}


def designated(ws: Workspace, as_of: str, regime: str) -> set[str]:
    return {r.id for r in restricted(ws.graph(as_of), regime) if r.status == "designated"}


def periods(ws: Workspace) -> list[tuple[Any, ...]]:
    """The designation rows as (entity, regime, list, program, listed, effective, removed,
    reference); not the locator: the cut file numbers its lines differently."""
    rows = ws.graph("2000-01-01").designation_rows(active_only=False)
    keys = ("entity_id", "regime", "list", "program", "listed", "effective", "removed", "reference")
    return sorted((tuple(str(r[k]) for k in keys) for r in rows), key=str)


def test_newer_snapshot_removes_absent_parties(tmp_path: Path, snaps: dict[str, Path]) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    (old,) = ws.load([snaps["full"]], snapshot_date=OLD)
    assert old.snapshot and f"dated {OLD} from --snapshot-date" in old.snapshot
    assert "OFAC consolidated" in old.snapshot
    (new,) = ws.load([snaps["cut"]], snapshot_date=NEW)
    assert new.added == 0 and new.duplicate > 0  # the same records: only the absences are new facts
    for regime, party in (("ofac-ns-cmic", SENSETIME), ("ofac-ssi", RAB)):
        assert f"ofac:{party}" in designated(ws, "2025-03-01", regime)
        assert f"ofac:{party}" not in designated(ws, "2025-07-01", regime)
        assert f"ofac:{party}" not in designated(ws, dt.date.today().isoformat(), regime)
    # everybody else stays designated
    before = designated(ws, "2025-03-01", "ofac-ns-cmic") - {f"ofac:{SENSETIME}"}
    assert before and before == designated(ws, "2025-07-01", "ofac-ns-cmic")
    # the record keeps its own listing date; the row says why it ended
    (row,) = [
        r for r in ws.graph().designation_rows(ws.graph().index(f"ofac:{SENSETIME}"), active_only=False)
    ]
    assert row["listed"] == dt.date(2021, 12, 10) and row["removed"] == dt.date(2025, 6, 1)
    assert row["history"].startswith(f"removed {NEW}: absent from the OFAC consolidated snapshot of {NEW}")
    assert (
        str(snaps["cut"].resolve()) in row["history"]
        and f"last present in the OFAC consolidated snapshot of {OLD}" in row["history"]
    )
    ws.close()


def test_load_order_does_not_matter(tmp_path: Path, snaps: dict[str, Path]) -> None:
    a = ownergraph.open(tmp_path / "a")
    a.load([snaps["full"]], snapshot_date=OLD)
    a.load([snaps["cut"]], snapshot_date=NEW)
    b = ownergraph.open(tmp_path / "b")
    b.load([snaps["cut"]], snapshot_date=NEW)  # the newer one first
    b.load([snaps["full"]], snapshot_date=OLD)
    assert periods(a) == periods(b)
    for d in ("2025-03-01", "2025-07-01"):
        assert designated(a, d, "ofac-ns-cmic") == designated(b, d, "ofac-ns-cmic")
    assert f"ofac:{SENSETIME}" in designated(b, "2025-03-01", "ofac-ns-cmic")
    assert f"ofac:{SENSETIME}" not in designated(b, "2025-07-01", "ofac-ns-cmic")
    a.close()
    b.close()


def test_reloading_changes_nothing(tmp_path: Path, snaps: dict[str, Path]) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    ws.load([snaps["full"]], snapshot_date=OLD)
    ws.load([snaps["cut"]], snapshot_date=NEW)
    ws.load([XML_2020])
    gen, rows = ws.store.generation(), periods(ws)
    for date in (None, NEW):  # no date, or the date it already has
        (again,) = ws.load([snaps["cut"]], snapshot_date=date)
        assert again.already_loaded and again.snapshot is None
    (same,) = ws.load([XML_2020], snapshot_date="2024-01-01")  # a file that states its date keeps it
    assert same.already_loaded
    assert ws.store.generation() == gen and periods(ws) == rows
    assert ws.store.conn.execute("SELECT count(*) FROM snapshot").fetchone()[0] == 3
    ws.close()


def test_same_file_on_a_new_date_is_a_new_snapshot(tmp_path: Path, snaps: dict[str, Path]) -> None:
    """A list re-published unchanged: the records are not read again, the date is recorded."""
    ws = ownergraph.open(tmp_path / "ws")
    ws.load([snaps["full"]], snapshot_date=OLD)
    ws.load([snaps["cut"]], snapshot_date=NEW)
    loads = len(ws.store.loads())
    (r,) = ws.load([snaps["full"]], snapshot_date=AGAIN)
    assert not r.already_loaded and r.added == 0 and r.read == 0
    assert r.snapshot and f"dated {AGAIN} from --snapshot-date; the same content as load 1" in r.snapshot
    assert len(ws.store.loads()) == loads + 1
    assert f"ofac:{SENSETIME}" in designated(ws, "2025-10-01", "ofac-ns-cmic")
    ws.close()


def test_reappearing_party_is_active_again(tmp_path: Path, snaps: dict[str, Path]) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    ws.load([snaps["full"]], snapshot_date=OLD)
    ws.load([snaps["cut"]], snapshot_date=NEW)
    back = cons_set(tmp_path / "back")  # the full list again, a later publication
    (b,) = ws.load([back], snapshot_date=AGAIN)
    assert b.snapshot and f"dated {AGAIN}" in b.snapshot
    sid = f"ofac:{SENSETIME}"
    # relisted some day after the snapshot that lacked it: from the earliest such day
    back_from = "2025-06-02"
    assert sid in designated(ws, "2025-03-01", "ofac-ns-cmic")
    assert sid not in designated(ws, NEW, "ofac-ns-cmic")
    assert sid in designated(ws, back_from, "ofac-ns-cmic")
    assert sid in designated(ws, "2025-10-01", "ofac-ns-cmic")
    rows = ws.graph().designation_rows(ws.graph().index(sid), active_only=False)
    spans = sorted((str(r["listed"]), str(r["removed"])) for r in rows)
    assert spans == [("2021-12-10", NEW), (back_from, "None")]
    again = next(r for r in rows if str(r["listed"]) == back_from)
    assert again["history"].startswith(
        f"active again from {back_from}: listed between {NEW} and {AGAIN};"
        f" in the OFAC consolidated snapshot of {AGAIN}"
    )
    assert f"absent from the OFAC consolidated snapshot of {NEW}" in again["history"]
    ws.close()


def test_cli_snapshot_date_and_show_as_of(tmp_path: Path, snaps: dict[str, Path]) -> None:
    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), *args])

    r = run("load", str(snaps["full"]), "--snapshot-date", OLD)
    assert r.exit_code == 0, r.output
    assert f"snapshot of OFAC consolidated (531 designations) dated {OLD} from --snapshot-date" in r.output
    r = run("load", str(snaps["cut"]), "--snapshot-date", NEW)
    assert r.exit_code == 0, r.output

    def ids(as_of: str) -> set[str]:
        out = run("--as-of", as_of, "restricted", "--regime", "ofac-ns-cmic", "--format", "json")
        assert out.exit_code == 0, out.output
        return {x["id"] for x in json.loads(out.stdout) if x["status"] == "designated"}

    assert f"ofac:{SENSETIME}" in ids("2025-03-01") and f"ofac:{SENSETIME}" not in ids("2025-07-01")
    shown = run("--as-of", "2025-07-01", "show", f"ofac:{SENSETIME}")
    assert shown.exit_code == 0, shown.output
    assert f"removed {NEW}: absent from the OFAC consolidated snapshot of {NEW}" in shown.stdout
    data = run("--as-of", "2025-07-01", "show", f"ofac:{SENSETIME}", "--format", "json")
    assert data.exit_code == 0, data.output
    ((d,),) = [e["designations"] for e in json.loads(data.stdout)]
    assert d["removed"] == NEW and "absent from the OFAC consolidated snapshot" in d["history"]


def test_future_snapshot_date_is_rejected(tmp_path: Path, snaps: dict[str, Path]) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    with pytest.raises(DateError, match="date in the future"):
        ws.load([snaps["full"]], snapshot_date=future)
    assert ws.store.loads() == []
    r = CliRunner().invoke(
        cli, ["--workspace", str(tmp_path / "ws"), "load", str(snaps["full"]), "--snapshot-date", future]
    )
    assert r.exit_code != 0 and "--snapshot-date" in r.output and future in r.output
    ws.close()


def test_snapshot_date_must_be_a_full_day(tmp_path: Path, snaps: dict[str, Path]) -> None:
    """``2025`` is no day to date removals by: rejected, not read as 2025-01-01."""
    ws = ownergraph.open(tmp_path / "ws")
    for bad in ("2025", "2025-06", "20250601", "2025-6-1"):
        with pytest.raises(DateError, match="a snapshot date must be a full date") as e:
            ws.load([snaps["full"]], snapshot_date=bad)
        assert e.value.field == "--snapshot-date" and e.value.value == bad
    assert ws.store.loads() == []
    r = CliRunner().invoke(
        cli, ["--workspace", str(tmp_path / "ws"), "load", str(snaps["full"]), "--snapshot-date", "2025"]
    )
    assert r.exit_code != 0 and "'2025'" in r.output and "YYYY-MM-DD" in r.output
    ws.close()


def test_undated_snapshot_that_removes_warns(tmp_path: Path, snaps: dict[str, Path]) -> None:
    """A file that states no date, dated by --snapshot-date or the load date, and marking
    designations removed: the report says how many, and how to undo it if it was an extract."""
    ws = ownergraph.open(tmp_path / "ws")
    (old,) = ws.load([snaps["full"]], snapshot_date=OLD)
    assert old.snapshot_warnings == ()  # the first snapshot of its list removes nothing
    (new,) = ws.load([snaps["cut"]], snapshot_date=NEW)
    gone = [r for r in periods(ws) if r[0] in (f"ofac:{SENSETIME}", f"ofac:{RAB}") and r[6] == NEW]
    assert new.snapshot_warnings == (
        f"{len(gone)} designations of OFAC consolidated absent from {snaps['cut'].resolve()} are marked"
        f" removed on {NEW}; if it is a partial extract, reload it with --not-snapshot",
    )
    assert len(gone) >= 2
    (same,) = ws.load([cons_set(tmp_path / "again")], snapshot_date=AGAIN)  # the full list: no removal
    assert same.snapshot_warnings == ()
    ws.close()
    # a file that states its own date (the XML) removes by that date without a warning
    ws = ownergraph.open(tmp_path / "ws2")
    ws.load([snaps["cut"]], snapshot_date="2019-01-01")
    (x,) = ws.load([XML_2020])
    assert x.snapshot_warnings == () and "DateOfIssue" in (x.snapshot or "")
    ws.close()
    # the CLI prints it; the load date dates a file that states none
    r = CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws3"), "load", str(snaps["full"]),
                                 "--snapshot-date", OLD])
    assert r.exit_code == 0 and "warning:" not in r.output, r.output
    r = CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws3"), "load", str(snaps["cut"])])
    assert r.exit_code == 0, r.output
    today = dt.date.today().isoformat()
    assert (
        f"  warning: {len(gone)} designations of OFAC consolidated absent from {snaps['cut'].resolve()}"
        f" are marked removed on {today}; if it is a partial extract, reload it with --not-snapshot"
    ) in r.output


def test_not_snapshot_reload_retracts_the_snapshot(tmp_path: Path, snaps: dict[str, Path]) -> None:
    """A partial extract recorded as a snapshot by mistake: reloading it with --not-snapshot
    deletes its snapshot (its records stay), and the parties it lacked are active again."""
    ws = ownergraph.open(tmp_path / "ws")
    ws.load([snaps["full"]], snapshot_date=OLD)
    ws.load([snaps["cut"]], snapshot_date=NEW)
    ws.load([snaps["cut"]], snapshot_date=AGAIN)  # re-published too: both go
    assert f"ofac:{SENSETIME}" not in designated(ws, "2025-07-01", "ofac-ns-cmic")
    records = {r[:4] for r in periods(ws)}  # entity, regime, list, programme: the records
    (r,) = ws.load([snaps["cut"]], not_snapshot=True)
    assert not r.already_loaded and r.snapshot == (
        f"snapshot of OFAC consolidated (528 designations) dated {NEW}, OFAC consolidated"
        f" (528 designations) dated {AGAIN} retracted (--not-snapshot): its absences remove nothing;"
        " the records stay"
    )
    assert ws.store.conn.execute("SELECT count(*) FROM snapshot").fetchone()[0] == 1
    assert {r[:4] for r in periods(ws)} == records
    for d in ("2025-07-01", "2025-10-01"):
        assert f"ofac:{SENSETIME}" in designated(ws, d, "ofac-ns-cmic")
    (again,) = ws.load([snaps["cut"]], not_snapshot=True)  # nothing left to retract
    assert again.already_loaded
    ws.close()
    # the CLI says so; with a date only that date's snapshot goes
    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws2"), *args])

    assert run("load", str(snaps["full"]), "--snapshot-date", OLD).exit_code == 0
    assert run("load", str(snaps["cut"]), "--snapshot-date", NEW).exit_code == 0
    assert run("load", str(snaps["cut"]), "--snapshot-date", AGAIN).exit_code == 0
    out = run("load", str(snaps["cut"]), "--not-snapshot", "--snapshot-date", NEW)
    assert out.exit_code == 0, out.output
    assert f"dated {NEW} retracted (--not-snapshot)" in out.output and AGAIN not in out.output
    ws = ownergraph.open(tmp_path / "ws2")
    assert f"ofac:{SENSETIME}" in designated(ws, "2025-07-01", "ofac-ns-cmic")
    assert f"ofac:{SENSETIME}" not in designated(ws, "2025-10-01", "ofac-ns-cmic")
    ws.close()


def test_load_date_when_nothing_else(tmp_path: Path, snaps: dict[str, Path]) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    (r,) = ws.load([snaps["full"]])
    today = dt.date.today().isoformat()
    assert r.snapshot and f"dated {today} from load date" in r.snapshot
    ws.close()


def test_not_snapshot_removes_nothing(tmp_path: Path, snaps: dict[str, Path]) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    ws.load([snaps["full"]], snapshot_date=OLD)
    (r,) = ws.load([snaps["cut"]], snapshot_date=NEW, not_snapshot=True)
    assert r.snapshot and "partial extract" in r.snapshot
    assert f"ofac:{SENSETIME}" in designated(ws, "2025-07-01", "ofac-ns-cmic")
    (again,) = ws.load([snaps["cut"]], snapshot_date=AGAIN, not_snapshot=True)  # not re-published either
    assert again.already_loaded
    assert f"ofac:{SENSETIME}" in designated(ws, "2025-10-01", "ofac-ns-cmic")
    ws.close()


def test_failed_load_records_no_snapshot(tmp_path: Path, snaps: dict[str, Path]) -> None:
    """The snapshot facts are written in the load's transaction: a load that fails leaves none."""
    from ownergraph.graph.workspace import StrictLoadError

    ws = ownergraph.open(tmp_path / "ws")
    ws.load([snaps["full"]], snapshot_date=OLD)
    with pytest.raises(StrictLoadError):  # the real set has a located reject (a shared registration)
        ws.load([snaps["cut"]], snapshot_date=NEW, strict=True)
    assert ws.store.conn.execute("SELECT count(*) FROM snapshot").fetchone()[0] == 1
    assert f"ofac:{SENSETIME}" in designated(ws, "2025-07-01", "ofac-ns-cmic")
    ws.close()


def test_real_xml_2020_then_csv_2025(tmp_path: Path) -> None:
    """The real pair: parties on the 2020 CONS_ADVANCED.XML and not in the 2025 cons_prim.csv
    were removed by the 2025 snapshot; the XML's date comes from its DateOfIssue."""
    ws = ownergraph.open(tmp_path / "ws")
    (x,) = ws.load([XML_2020], snapshot_date="2021-01-01")  # the file's own date wins
    assert (
        x.snapshot
        and "dated 2020-03-17 from DateOfIssue in the file; --snapshot-date 2021-01-01 not used" in x.snapshot
    )
    (c,) = ws.load([OFAC / "watchman_cons_prim.csv"], snapshot_date="2025-12-19")
    assert c.snapshot and "dated 2025-12-19" in c.snapshot
    g20, g26 = ws.graph("2020-06-01"), ws.graph("2026-01-01")
    gone = {r["entity_id"] for r in g20.designation_rows()} - {r["entity_id"] for r in g26.designation_rows()}
    xml_only = {
        r["entity_id"]
        for r in g20.designation_rows(active_only=False)
        if "advanced XML" in (r["source"] or "")
    } - {r["entity_id"] for r in g26.designation_rows(active_only=False) if "list (" in (r["source"] or "")}
    assert gone == xml_only and len(gone) == 10
    for eid in gone:
        rows = g26.designation_rows(g26.index(eid), active_only=False)
        assert all(str(r["removed"]) == "2025-12-19" and "absent from" in r["history"] for r in rows)
    # the legacy CSV states no listing dates: the 2022 Russia (NS-MBS) listings, absent from the
    # 2020 XML, were listed some day after it, and are active from its next day, as with the CSV alone
    mbs = "Non-SDN Menu-Based Sanctions List (NS-MBS)"
    on_2024 = [r for r in ws.graph("2024-06-01").designation_rows() if r["list"] == mbs]
    assert len(on_2024) == 96
    assert all(
        r["history"].startswith(f"active from {r['listed']}: listed between 2020-03-17 and 2025-12-19;")
        for r in on_2024
    )
    # the day after the XML, or the date the CSV's remarks give (2022-02-22, 2022-02-24)
    assert {str(r["listed"]) for r in on_2024} == {"2020-03-18", "2022-02-22", "2022-02-24"}
    assert not [r for r in ws.graph("2020-03-17").designation_rows() if r["list"] == mbs]
    ws.close()


def test_recorder_refuses_designation_batches(tmp_path: Path, snaps: dict[str, Path]) -> None:
    """A bulk parser's column batch of designations would slip past the recorder and the snapshot
    be recorded without them (every designation of the list removed): it is refused, by file."""
    import pyarrow as pa

    from ownergraph.errors import OwnergraphError
    from ownergraph.loaders import LOADERS
    from ownergraph.loaders.base import RecordBatch

    rec = SnapshotRecorder.for_load(LOADERS["ofac-csv"].snapshot, snaps["full"], OLD)
    entities = RecordBatch("entity", pa.table({"id": ["ofac:1"]}), ["prim.csv:1"])
    assert list(rec.watch([entities])) == [entities]  # no designations in it: passed through
    batch = RecordBatch("designation", pa.table({"entity_id": ["ofac:1"]}), ["prim.csv:1"])
    with pytest.raises(OwnergraphError, match="column batch") as e:
        list(rec.watch([entities, batch]))
    assert str(snaps["full"].resolve()) in str(e.value) and "--not-snapshot" in str(e.value)
    off = SnapshotRecorder.for_load(LOADERS["ofac-csv"].snapshot, snaps["full"], OLD, enabled=False)
    assert list(off.watch([batch])) == [batch]  # no snapshot recorded: nothing to miss


def test_bundle_is_not_a_snapshot(tmp_path: Path, sensetime_dir: Path) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    (r,) = ws.load([sensetime_dir], snapshot_date=OLD)
    assert r.snapshot == "not a list snapshot; --snapshot-date not used"
    ws.close()


# -- the pure function against a plain reference ------------------------------------------------


def reference_active(dates: list[int], present: list[bool], since: int, removed: int, d: int) -> bool:
    """Whether one designation (one record) is active on day ``d``, read straight off the rules:
    the latest snapshot date on or before ``d`` decides (snapshots of one date count as one);
    before the first, the first does; the record's own dates bound everything; a period after an
    absence starts on the day after the snapshot that lacked it unless the record's own date falls
    later (listed somewhere between the two snapshots: the earliest day is assumed)."""
    groups = sorted(set(dates))
    on = [any(p for dd, p in zip(dates, present, strict=True) if dd == g) for g in groups]
    if not d < removed:
        return False
    last = max((i for i, g in enumerate(groups) if g <= d), default=-1)
    if last == -1:
        return on[0] and since <= d
    if on[last]:
        j = last
        while j > 0 and on[j - 1]:
            j -= 1
        start = since if j == 0 or since > groups[j - 1] else groups[j - 1] + 1
        return start <= d
    # absent now: active from the day after this snapshot (or the record's own later date) if the
    # next one has it
    return last + 1 < len(groups) and on[last + 1] and max(since, groups[last] + 1) <= d


dates_st = st.lists(st.integers(0, 40), min_size=1, max_size=6)


day_st = st.integers(-5, 45)
record_st = st.tuples(
    st.integers(0, 2),  # key
    st.integers(0, 1),  # list
    st.one_of(st.just(int(NO_DATE_LO)), day_st),  # own since
    st.one_of(st.just(int(NO_DATE_HI)), day_st),  # own removal
)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), dates=dates_st, records=st.lists(record_st, min_size=1, max_size=5))
def test_periods_match_reference(data: st.DataObject, dates: list[int], records: list[Any]) -> None:
    """Random presence matrices (3 keys x the snapshots of 2 lists, dates with ties) and records
    with random own dates: every record is active exactly when the reference says."""
    n = len(dates)
    list_dates = [dates, [d + 1 for d in dates]]  # list 1: other dates, the same keys
    present = [
        [data.draw(st.lists(st.booleans(), min_size=n, max_size=n)) for _key in range(3)] for _lst in range(2)
    ]
    for key, lst, _s, _r in records:
        if not any(present[lst][key]):
            present[lst][key][0] = True  # a governed record came from one of its list's snapshots
    snap_list = np.array([0] * n + [1] * n, dtype=np.int64)
    snap_date = np.array(list_dates[0] + list_dates[1], dtype=np.int32)
    m = [(lst * n + i, key) for lst in range(2) for key in range(3) for i in range(n) if present[lst][key][i]]
    p = snapshot_periods(
        snap_list,
        snap_date,
        np.array([a for a, _ in m], dtype=np.int64),
        np.array([b for _, b in m], dtype=np.int64),
        np.array([r[1] for r in records], dtype=np.int64),
        np.array([r[0] for r in records], dtype=np.int64),
        np.array([r[2] for r in records], dtype=np.int32),
        np.array([r[3] for r in records], dtype=np.int32),
    )
    assert set(p.row.tolist()) == set(range(len(records)))
    assert (np.diff(p.row) >= 0).all()
    for j, (key, lst, since, removed) in enumerate(records):
        mine = p.row == j
        for d in range(-6, 48):
            got = bool(((p.since[mine] <= d) & (d < p.removed[mine])).any())
            want = reference_active(list_dates[lst], present[lst][key], since, removed, d)
            assert got == want, (j, d, p)


def test_ungoverned_records_keep_their_dates() -> None:
    p = snapshot_periods(
        np.array([0], dtype=np.int64),
        np.array([10], dtype=np.int32),
        np.array([0], dtype=np.int64),
        np.array([0], dtype=np.int64),
        np.array([-1, 0], dtype=np.int64),
        np.array([-1, 0], dtype=np.int64),
        np.array([3, 4], dtype=np.int32),
        np.array([7, NO_DATE_HI], dtype=np.int32),
    )
    assert p.row.tolist() == [0, 1] and p.since.tolist() == [3, 4] and p.removed.tolist() == [7, NO_DATE_HI]
    assert p.end_snap.tolist() == [-1, -1] and p.last_snap.tolist() == [-1, 0]


neo4j_uri = conftest_neo4j.neo4j_uri  # the session fixture


def test_neo4j_engine_answers_the_same(tmp_path: Path, snaps: dict[str, Path], neo4j_uri: str) -> None:
    """The derived periods are what push writes: Neo4j answers `restricted` as of each date as the
    memory engine does, including the second period of a party that came back."""
    ws = ownergraph.open(tmp_path / "ws")
    ws.load([snaps["full"]], snapshot_date=OLD)
    ws.load([snaps["cut"]], snapshot_date=NEW)
    ws.load([snaps["full"]], snapshot_date=AGAIN)
    auth = conftest_neo4j.neo4j_auth()
    push(ws, neo4j_uri, replace=True, **auth)
    for as_of in ("2025-03-01", NEW, "2025-07-01", "2025-10-01"):
        view = open_view("neo4j", uri=neo4j_uri, as_of=as_of, **auth)
        try:
            for regime in ("ofac-ns-cmic", "ofac-ssi"):
                got = {r.id for r in restricted(view, regime) if r.status == "designated"}
                assert got == designated(ws, as_of, regime), (as_of, regime)
        finally:
            view.close()
    assert f"ofac:{SENSETIME}" not in designated(ws, NEW, "ofac-ns-cmic")
    ws.close()
