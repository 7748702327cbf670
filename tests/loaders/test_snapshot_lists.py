"""What each list loader declares about snapshots (SPEC §5): the list a designation belongs to and
the date the content states — OFAC advanced XML's ``DateOfIssue``, CSL per component list, DoD
1260H and MIEU as whole lists whose own end dates win, FtM full exports per dataset, delta files
and bundles not at all. Real files from ``data/``."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest

import ownergraph
from ownergraph.errors import DateError, FormatError
from ownergraph.graph.model import Designation
from ownergraph.loaders import LOADERS
from ownergraph.loaders.ofac import xml_date_of_issue

DATA = Path("/work/shared/data")
XML_2020 = DATA / "ofac/urbanfortnight_cons_advanced_2020-03-17.xml"
DOD = DATA / "other_lists/opensanctions_us_dod_1260h_chinese_milcorps.csv"
MIEU = DATA / "other_lists/opensanctions_us_bis_mieu.csv"
CSL = DATA / "us_csl/watchman_consolidated_2025.csv"
DPL = DATA / "us_csl/watchman_bis_dpl.tsv"
FTM_FULL = DATA / "opensanctions_ftm/yente_zala_entities.ftm.json"
FTM_DELTA = DATA / "opensanctions_ftm/yente_t2_20240527194702_entities.delta.json"


def test_ofac_xml_date_of_issue_from_content(tmp_path: Path) -> None:
    assert xml_date_of_issue(XML_2020.read_bytes()[:65536]) == dt.date(2020, 3, 17)
    decl = LOADERS["ofac-xml"].snapshot
    assert decl is not None
    info = decl(XML_2020)
    assert (
        info is not None and info.date == dt.date(2020, 3, 17) and info.date_from == "DateOfIssue in the file"
    )
    d = Designation(entity_id="ofac:1", regime="ofac-ssi")
    assert info.list_of(d) == ("ofac-cons", "OFAC consolidated")
    # date and list are read from the content, not the name: a renamed copy keeps both
    renamed = tmp_path / "SDN_ADVANCED.XML"
    shutil.copy(XML_2020, renamed)
    again = decl(renamed)
    assert (
        again is not None
        and again.date == dt.date(2020, 3, 17)
        and again.list_of(d) == ("ofac-cons", "OFAC consolidated")
    )
    ws = ownergraph.open(tmp_path / "ws")
    (r,) = ws.load([renamed])
    assert r.snapshot and r.snapshot.startswith("snapshot of OFAC consolidated (")
    assert {k for (k,) in ws.store.conn.execute("SELECT list_key FROM snapshot")} == {"ofac-cons"}
    ws.close()
    # entries on no "Consolidated List" (91512 in this file): an SDN file, whatever its name says
    data = XML_2020.read_bytes()
    assert b'<List ID="91512">Consolidated List</List>' in data
    sdn = tmp_path / "cons_advanced.xml"
    sdn.write_bytes(data.replace(b'ListID="91512"', b'ListID="1550"'))
    third = decl(sdn)
    assert third is not None and third.list_of(d) == ("ofac-sdn", "OFAC SDN")


def test_ofac_xml_invalid_date_of_issue_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "cons_advanced.xml"
    bad.write_bytes(XML_2020.read_bytes().replace(b"<Month>3</Month>", b"<Month>13</Month>", 1))
    with pytest.raises(FormatError, match="DateOfIssue is no date") as e:
        xml_date_of_issue(bad.read_bytes()[:65536], str(bad))
    assert e.value.file == str(bad) and e.value.value == "2020-13-17"
    ws = ownergraph.open(tmp_path / "ws")
    with pytest.raises(FormatError, match="DateOfIssue") as e:
        ws.load([bad])
    assert e.value.file == str(bad) and ws.store.loads() == []
    ws.close()


def test_ofac_csv_sdn_and_cons_are_two_lists(tmp_path: Path) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    (r,) = ws.load([DATA / "ofac"], format="ofac-csv", snapshot_date="2025-05-16")
    assert r.snapshot and "OFAC SDN (" in r.snapshot and "OFAC consolidated (" in r.snapshot
    keys = {k for (k,) in ws.store.conn.execute("SELECT list_key FROM snapshot")}
    assert keys == {"ofac-sdn", "ofac-cons"}
    ws.close()


def test_csl_snapshot_per_component_list(tmp_path: Path) -> None:
    """BIS's own DPL file is a list of its own (``bis-dpl``): it keys parties differently from the
    CSL (``csl:dpl:<slug>`` vs ``csl:<_id>``), so it removes nothing of the CSL, DPL included."""
    ws = ownergraph.open(tmp_path / "ws")
    (c,) = ws.load([CSL], snapshot_date="2025-01-01")
    assert c.snapshot and "CSL Denied Persons List (DPL)" in c.snapshot
    before = {(r["entity_id"], r["list"]) for r in ws.graph("2025-02-01").designation_rows()}
    assert any("(DPL)" in (x[1] or "") for x in before)
    (r,) = ws.load([DPL], snapshot_date="2025-03-01")
    assert r.snapshot and r.snapshot.startswith("snapshot of BIS Denied Persons List (dpl.txt) (")
    assert "CSL" not in r.snapshot
    keys = {k for (k,) in ws.store.conn.execute("SELECT list_key FROM snapshot WHERE load_id=2")}
    assert keys == {"bis-dpl"}
    after = {(r["entity_id"], r["list"]) for r in ws.graph("2025-04-01").designation_rows()}
    assert before <= after  # nothing of the CSL is removed, its DPL rows included
    g = ws.graph("2025-04-01")
    ash = [r for r in g.designation_rows(active_only=False) if g.name(g.index(r["entity_id"])) == "I. ASH"]
    assert {r["entity_id"].startswith("csl:dpl:") for r in ash} == {True, False}  # on both files
    assert all(str(r["removed"]) != "2025-03-01" and "absent from" not in (r["history"] or "") for r in ash)
    assert {r["entity_id"] for r in ash} <= {r["entity_id"] for r in g.designation_rows()}
    ws.close()


def test_dod_record_end_date_wins(tmp_path: Path) -> None:
    """A DoD 1260H company dropped from a newer snapshot ends on that snapshot's date, unless its
    row already says an earlier end (Megvii: End date 2025-01-07)."""
    with DOD.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    megvii = "Beijing Megvii Technology Co., Ltd."
    assert any(x["Clean Name"] == megvii and x["End date"] == "2025-01-07" for x in rows)
    open_row = next(x for x in rows if not x["End date"] and x["Clean Name"])
    new = tmp_path / "dod_new.csv"
    with new.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(x for x in rows if x["Clean Name"] not in (megvii, open_row["Clean Name"]))
    ws = ownergraph.open(tmp_path / "ws")
    (a,) = ws.load([DOD], snapshot_date="2024-12-01")
    assert a.snapshot and "DoD Section 1260H list" in a.snapshot
    ws.load([new], snapshot_date="2025-06-01")
    g = ws.graph()
    by_name = {g.name(g.index(r["entity_id"])): r for r in g.designation_rows(active_only=False)}
    m = [r for r in g.designation_rows(active_only=False) if g.name(g.index(r["entity_id"])) == megvii]
    assert m and max(str(r["removed"]) for r in m) == "2025-01-07"
    assert any("as the record states" in (r["history"] or "") for r in m)
    o = by_name[open_row["Clean Name"]]
    assert (
        str(o["removed"]) == "2025-06-01"
        and "absent from the DoD Section 1260H list snapshot" in o["history"]
    )
    ws.close()


def test_mieu_is_a_list_snapshot(tmp_path: Path) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    (r,) = ws.load([MIEU])
    assert r.snapshot and "BIS Military-Intelligence End User List (MIEU)" in r.snapshot
    assert f"dated {dt.date.today().isoformat()} from load date" in r.snapshot
    ws.close()


def test_ftm_full_export_is_a_dataset_snapshot_delta_is_not(tmp_path: Path) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    (full,) = ws.load([FTM_FULL], snapshot_date="2025-01-01")
    assert full.snapshot and full.snapshot.startswith("snapshot of OpenSanctions ")
    keys = {k for (k,) in ws.store.conn.execute("SELECT list_key FROM snapshot")}
    assert keys and all(k.startswith("opensanctions:") for k in keys)
    (delta,) = ws.load([FTM_DELTA], snapshot_date="2025-01-01")
    assert delta.snapshot == "not a list snapshot; --snapshot-date not used"
    decl = LOADERS["ftm"].snapshot
    assert decl is not None and decl(FTM_DELTA) is None
    ws.close()


def test_ofac_xml_future_date_of_issue_is_rejected(tmp_path: Path) -> None:
    data = XML_2020.read_bytes()
    future = tmp_path / "cons_advanced.xml"
    future.write_bytes(data.replace(b"<Year>2020</Year>", b"<Year>2999</Year>", 1))
    ws = ownergraph.open(tmp_path / "ws")
    with pytest.raises(DateError, match="date in the future") as e:
        ws.load([future])
    assert e.value.file == str(future) and e.value.value == "2999-03-17"
    assert ws.store.loads() == []
    ws.close()
