"""DoD 1260H and BIS MIEU loaders on the real files, and the end-to-end SenseTime identity test."""

from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path

import pytest

import ownergraph
from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import Claim, Designation, Entity, Record
from ownergraph.loaders.base import Item, detect_format
from ownergraph.loaders.lists import parse_dod1260h, parse_mieu, slug

ROOT = Path(__file__).parents[2]
SHARED = ROOT / ".." / "shared" / "data"
DOD = SHARED / "other_lists" / "opensanctions_us_dod_1260h_chinese_milcorps.csv"
MIEU = SHARED / "other_lists" / "opensanctions_us_bis_mieu.csv"
PACKAGE_DATA = ROOT / "ownergraph" / "data"


def split(items: list[Item]) -> tuple[list[Record], list[InputError]]:
    return ([i[0] for i in items if not isinstance(i, InputError)],
            [i for i in items if isinstance(i, InputError)])


@pytest.fixture(scope="module")
def dod() -> list[Record]:
    recs, errs = split(list(parse_dod1260h(DOD)))
    assert errs == []
    return recs


def test_dod_counts(dod: list[Record]) -> None:
    counts = collections.Counter(type(r).__name__ for r in dod)
    assert counts == {"Entity": 397, "Designation": 397, "Claim": 197}
    assert len({r.id for r in dod if isinstance(r, Entity)}) == 227  # one entity per name, many editions
    des = [r for r in dod if isinstance(r, Designation)]
    assert {d.regime for d in des} == {"info"} and {d.list for d in des} == {"DoD Section 1260H list"}
    assert collections.Counter(d.listed for d in des)[dt.date(2025, 1, 7)] == 133
    assert sum(1 for d in des if d.removed) == 21


def test_dod_sensetime(dod: list[Record]) -> None:
    eid = "dod1260h:sensetime-group-inc"
    ents = [r for r in dod if isinstance(r, Entity) and r.id == eid]
    assert {e.name for e in ents} == {"SenseTime Group, Inc."}
    des = sorted((d for d in dod if isinstance(d, Designation) and d.entity_id == eid),
                 key=lambda d: d.listed or dt.date.min)
    assert [d.listed for d in des] == [dt.date(2025, 1, 7), dt.date(2026, 6, 8)]
    assert des[0].removed is None and des[0].reference is not None and des[0].reference.endswith(".PDF")
    assert any("SASAC" in n for e in ents for n in e.notes)


def test_dod_star_stripped_and_aliases(dod: list[Record]) -> None:
    ents = [r for r in dod if isinstance(r, Entity)]
    assert not any(r.name.endswith("*") or any(a.endswith("*") for a in r.aliases) for r in ents)
    [hik] = [e for e in ents if e.id == "dod1260h:hangzhou-hikvision-digital-technology-co-ltd"
             and e.sources == ("DoD Section 1260H list, 2021-06-03 edition",)]
    assert hik.name == "Hangzhou Hikvision Digital Technology Co., Ltd."
    assert set(hik.aliases) == {"Hikvision", "Hangzhou Hikvision Digital Technology Co., Ltd. (Hikvision)"}
    zemic = [e for e in ents if e.id == "dod1260h:avic-chengdu-aircraft-co-ltd"]
    assert {"Zhonghang Electronic Measuring Instruments Company Limited", "ZEMIC"} <= set(zemic[0].aliases)


def test_dod_parents_are_claims(dod: list[Record]) -> None:
    claims = [r for r in dod if isinstance(r, Claim)]
    assert {c.relation for c in claims} == {"parent"}
    assert Claim(subject_id="dod1260h:hangzhou-hikvision-digital-technology-co-ltd", relation="parent",
                 name="China Electronics Technology Group Corporation",
                 source="DoD Section 1260H list, 2021-06-03 edition") in claims


def test_slug() -> None:
    assert slug("SenseTime Group, Inc.") == "sensetime-group-inc"
    assert slug("Xi'an") == slug("Xi’an") == "xian"
    assert slug("Société Générale") == "societe-generale"


def test_mieu() -> None:
    recs, errs = split(list(parse_mieu(MIEU)))
    assert errs == []
    ents = {r.id: r for r in recs if isinstance(r, Entity)}
    assert len(ents) == 13
    gru = ents["mieu:main-intelligence-directorate"]
    assert (gru.jurisdiction, gru.aliases, gru.kind) == ("RU", ("GRU",), "organization")
    des = [r for r in recs if isinstance(r, Designation)]
    assert len(des) == 13 and {d.regime for d in des} == {"info"}  # SPEC §6: BIS MIEU is named-only
    assert {d.program for d in des} == {"US-BIS-MIEU"}


def test_detection_and_bad_rows(tmp_path: Path) -> None:
    assert detect_format(DOD) == "dod1260h"
    assert detect_format(MIEU) == "mieu"
    p = tmp_path / "dod.csv"
    p.write_text(
        "Name,Clean Name,Alias,Previous Name,Parent Name,Note,Start date,End date,Source Url\n"
        "Good Co*,Good Co,,,,,2021-06-03,,\n"
        ",,,,,,2021-06-03,,\n"
        "Bad Date Co,Bad Date Co,,,,,03/06/2021,,\n",
        encoding="utf-8",
    )
    recs, errs = split(list(parse_dod1260h(p)))
    assert [(e.line, e.field) for e in errs] == [(3, "Clean Name"), (4, "listed")]
    assert all(e.file == str(p) for e in errs)
    assert [r.id for r in recs if isinstance(r, Entity)] == ["dod1260h:good-co", "dod1260h:bad-date-co"]
    q = tmp_path / "wrong.csv"
    q.write_text("Name,Clean Name\nx,y\n")
    with pytest.raises(FormatError):
        list(parse_dod1260h(q))


def test_end_to_end_sensetime_identity(tmp_path: Path) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    try:
        reports = ws.load([PACKAGE_DATA / "ofac_cons", PACKAGE_DATA / "dod1260h" / "dod_1260h.csv",
                           PACKAGE_DATA / "sensetime"])
        assert [r.format for r in reports] == ["ofac-csv", "dod1260h", "bundle"]
        assert [r.rejected for r in reports] == [5, 0, 0]  # OFAC: 3 bad ISINs, 1 shared registration x2
        view = ws.graph(as_of="2026-07-01")
        i = view.index("ofac:33114")
        assert i == view.index("sensetime-group-ltd") == view.index("registration:HK:2162198")
        assert view.id(i) == "ofac:33114"  # canonical id: the first id the workspace saw
        assert view.index("dod1260h:sensetime-group-inc") != view.index("sensetime-group-inc")
        assert view.index("ofac:17017") != view.index("ofac:20002")
        again = ws.load([PACKAGE_DATA / "ofac_cons"])
        assert again[0].already_loaded
    finally:
        ws.close()
