"""The trade.gov CSL loader: the real 2025 CSV, real rows of the 2019 layout and the JSON form."""

from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path

import pytest

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import Claim, Designation, Entity, Record
from ownergraph.graph.workspace import Workspace
from ownergraph.loaders.base import Item, detect_format
from ownergraph.loaders.csl import list_code, parse_csl, parse_ids, split_multi

ROOT = Path(__file__).parents[2]
CSL = ROOT / ".." / "shared" / "data" / "us_csl"
CURRENT = CSL / "watchman_consolidated_2025.csv"
DPL_TSV = CSL / "watchman_bis_dpl.tsv"
FIXTURES = ROOT / "tests" / "fixtures"
OLD = FIXTURES / "csl_2019_sample.csv"
JSON = FIXTURES / "csl_sample.json"
OFAC_CONS = ROOT / "ownergraph" / "data" / "ofac_cons" / "cons_prim.csv"
CETC13 = "csl:99ed1b052fdb09695fae1ba87516d8a0882b0df04652e07aeb5ce7be"


def split(items: list[Item]) -> tuple[list[Record], list[InputError]]:
    return ([i[0] for i in items if not isinstance(i, InputError)],
            [i for i in items if isinstance(i, InputError)])


def load(path: Path) -> list[Record]:
    recs, errs = split(list(parse_csl(path)))
    assert errs == []
    return recs


def entities(recs: list[Record]) -> dict[str, Entity]:
    return {r.id: r for r in recs if isinstance(r, Entity)}


def regimes(recs: list[Record]) -> collections.Counter[str]:
    return collections.Counter(r.regime for r in recs if isinstance(r, Designation))


@pytest.fixture(scope="module")
def current() -> list[Record]:
    return load(CURRENT)


# -- detection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [CURRENT, OLD, JSON, DPL_TSV], ids=lambda p: p.name)
def test_detected(path: Path) -> None:
    assert detect_format(path) == "csl"


def test_bis_dpl_native_file() -> None:
    """BIS's own DPL file is not CSL-shaped (Name, Street_Address, ..., FR_Citation; tabs; US
    dates) but is one of the CSL's lists: read as DPL rows with the older layout's ids."""
    header = DPL_TSV.read_text(encoding="utf-8").split("\n", 1)[0]
    assert header.split("\t")[:2] == ['"Name"', '"Street_Address"']
    recs = load(DPL_TSV)
    assert regimes(recs) == {"info": 546}
    ents = entities(recs)
    assert len(ents) == 414  # a party with several orders or addresses has several rows
    ash = [d for d in recs if isinstance(d, Designation) and d.entity_id == "csl:dpl:i-ash"]
    assert {(d.listed, d.removed) for d in ash} >= {(dt.date(2003, 6, 19), dt.date(2056, 6, 29))}
    adrian = ents["csl:dpl:adrian-manuel-hernandez"]  # " ADRIAN MANUEL HERNANDEZ": space stripped
    assert adrian.name == "ADRIAN MANUEL HERNANDEZ"
    assert "csl:dpl:adrian-manuel-hernandez" in entities(load(OLD))  # the same id in the 2019 CSV


def test_not_a_csl_file(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("source,name\nA,B\n", encoding="utf-8")
    with pytest.raises(FormatError, match="not a CSL CSV"):
        list(parse_csl(p))


# -- the current layout -----------------------------------------------------------------------------


def test_current_counts_by_regime(current: list[Record]) -> None:
    assert collections.Counter(type(r).__name__ for r in current) == {"Entity": 13, "Designation": 13}
    # Entity List + MEU seed the BIS regime; SDN, SSI by their lists; ISN, UVL, DTC, DPL, FSE and
    # the two PLC rows are named-only lists
    assert regimes(current) == {"info": 7, "ofac-ssi": 3, "bis-entity-list": 2, "ofac-sdn": 1}
    by_list = {r.list: r.regime for r in current if isinstance(r, Designation)}
    assert by_list["Military End User (MEU) List - Bureau of Industry and Security"] == "bis-entity-list"
    assert by_list["Foreign Sanctions Evaders (FSE) - Treasury Department"] == "info"


def test_entity_list_row(current: list[Record]) -> None:
    e = entities(current)[CETC13]
    assert e.name == "China Electronics Technology Group Corporation 13th Research Institute (CETC 13)"
    assert e.aliases == ("Hebei Semiconductor Research Institute", "HSRI",
                         "Hebei Institute of Semiconductors", "Hebei Semiconductor Institute",
                         "Hebei Semiconductor", "CETC Research Institute 13")
    assert e.jurisdiction == "CN"  # "…, China; and …, China, …, CN": one country
    assert e.identifiers == {"opensanctions": (f"trade-csl-{CETC13[4:]}",)}
    (d,) = [r for r in current if isinstance(r, Designation) and r.entity_id == CETC13]
    assert (d.listed, d.removed, d.reference) == (dt.date(2018, 8, 1), None, "83 FR 37423; 87 FR 77505")


def test_treasury_rows_carry_ofac_ids(current: list[Record]) -> None:
    ents = entities(current)
    treasury = {k: v for k, v in ents.items() if "ofac" in v.identifiers}
    assert set(treasury) == {"csl:9673", "csl:52291", "csl:18300", "csl:26182", "csl:9651", "csl:28603",
                             "csl:18283"}
    assert all(v.identifiers["ofac"] == (k[4:],) for k, v in treasury.items())
    rim = ents["csl:52291"]
    assert rim.kind == "person" and rim.jurisdiction is None  # addresses in CN and KP
    assert "Passport, 836238033, KP" in rim.notes and "Gender, Male" in rim.notes


def test_ids_registration_only_when_labelled_with_a_country(current: list[Record]) -> None:
    ents = entities(current)
    assert ents["csl:28603"].identifiers["registration"] == ("CH:CH-660.0.559.011-2",)
    assert "V.A.T. Number, CHE-267.936.404, CH" in ents["csl:28603"].notes  # a tax number
    assert "registration" not in ents["csl:18300"].identifiers  # "Registration ID, C122790": no country
    assert "Registration ID, C122790" in ents["csl:18300"].notes
    assert "registration" not in ents["csl:18283"].identifiers


def test_successor_clause_and_kinds(current: list[Record]) -> None:
    ents = entities(current)
    sino = ents["csl:233a4d725770c81fb561ffe3842c14010c2201971d6be62eca1e613b"]
    assert sino.name == "Sinobright Import and Export Company"
    assert "Listed with any successor, sub-unit, or subsidiary thereof" in sino.notes
    # BIS/State rows leave the type empty: a birth date or nationality makes a person
    assert ents["csl:9651"].kind == "person" and ents["csl:9651"].jurisdiction == "PS"
    assert ents["csl:1b5979e8fd3920a1a0985bf5088dad930a6a5562d1513f9e4b015e42"].kind == "company"


def test_dpl_denial_order_ends_in_the_future(current: list[Record]) -> None:
    (d,) = [r for r in current
            if isinstance(r, Designation) and r.list and r.list.startswith("Denied Persons")]
    assert (d.listed, d.removed) == (dt.date(2002, 3, 4), dt.date(2056, 6, 29))


def test_treasury_rows_merge_with_ofac(ws: Workspace) -> None:
    ws.load([OFAC_CONS], format="ofac-csv")
    (r,) = ws.load([CURRENT])
    assert (r.format, r.rejected) == ("csl", 0)
    view = ws.graph()
    for n in ("18300", "28603", "18283", "9673", "9651"):  # on both lists
        assert view.index(f"csl:{n}") == view.index(f"ofac:{n}")
    assert view.id(view.index("csl:18300")) == "ofac:18300"  # the first id seen stays canonical
    assert view.index(CETC13) in view.designated("bis-entity-list").tolist()


# -- the older layout (no _id) ----------------------------------------------------------------------


def test_old_layout() -> None:
    recs = load(OLD)
    ents = entities(recs)
    assert len(ents) == 14
    assert regimes(recs) == {"ofac-sdn": 5, "ofac-ssi": 3, "info": 4, "bis-entity-list": 2}
    # no _id: Treasury rows by entity number (what _id is in the current layout), others by slug
    assert {"csl:dpl:adrian-manuel-hernandez", "csl:isn:183rd-guard-air-defense-missile-regiment",
            "csl:el:32-group-china-ltd", "csl:dtc:a-c-international-trade-inc", "csl:20264"} <= set(ents)
    assert ents["csl:dpl:adrian-manuel-hernandez"].name == "ADRIAN MANUEL HERNANDEZ"  # leading space
    # ids in the old order: [country, ]number, type
    assert "Tax ID No., 80-0890696, US" in ents["csl:20264"].notes
    assert ents["csl:18748"].identifiers["registration"] == ("RU:1137746390572",)
    assert "registration" not in ents["csl:19692"].identifiers  # "1148904001971, Registration ID"
    assert ents["csl:18228"].identifiers["registration"] == ("CH:CHE-427.006.032", "CH:CH-020.1.066.499-9")
    assert ents["csl:el:54th-research-institute-of-china"].aliases == (
        "China Electronics Technology Group Corp. (CETC) 54th Research Institute",
        "Communication, Telemetry and Telecontrol Research Institute (CTI)",
        "Shijiazhuang Communication Observation and Control Technology Institute.",
    )
    assert ents["csl:el:32-group-china-ltd"].jurisdiction == "HK"
    assert ents["csl:27304"].kind == "vessel" and ents["csl:27304"].jurisdiction == "IR"  # flag
    claims = {(c.subject_id, c.name) for c in recs if isinstance(c, Claim)}
    assert claims == {("csl:23156", "YUSONG SHIPPING CO"), ("csl:18792", "ROSTEC"),
                      ("csl:19692", "OPEN JOINT STOCK COMPANY GAZPROM"), ("csl:18748", "SBERBANK OF RUSSIA")}
    (dpl,) = [d for d in recs
              if isinstance(d, Designation) and d.entity_id == "csl:dpl:adrian-manuel-hernandez"]
    assert (dpl.listed, dpl.removed) == (dt.date(2017, 10, 16), dt.date(2020, 10, 13))


# -- JSON -------------------------------------------------------------------------------------------


def test_json_form_matches_the_csv(current: list[Record]) -> None:
    recs = load(JSON)
    ents = entities(recs)
    csv_ents = entities(current)
    assert len(ents) == 6
    for eid, e in ents.items():
        c = csv_ents[eid]
        assert (e.name, e.kind, e.jurisdiction, e.aliases, e.identifiers) == (
            c.name, c.kind, c.jurisdiction, c.aliases, c.identifiers), eid
    json_des = {(d.entity_id, d.regime, d.list, d.program, d.listed, d.removed, d.reference)
                for d in recs if isinstance(d, Designation)}
    csv_des = {(d.entity_id, d.regime, d.list, d.program, d.listed, d.removed, d.reference)
               for d in current if isinstance(d, Designation)}
    assert json_des <= csv_des
    assert regimes(recs) == {"bis-entity-list": 2, "ofac-ssi": 1, "ofac-sdn": 1, "info": 2}


# -- pieces and bad input ---------------------------------------------------------------------------


def test_parse_ids_both_orders() -> None:
    assert parse_ids(["Business Registration Number, CH-660.0.559.011-2, CH"], current=True) == [
        ("Business Registration Number", "CH-660.0.559.011-2", "CH")]
    assert parse_ids(["CO, 811038291-3, NIT #"], current=False) == [("NIT #", "811038291-3", "CO")]
    assert parse_ids(["IMO 8898831, Vessel Registration Identification"], current=False) == [
        ("Vessel Registration Identification", "IMO 8898831", None)]
    # a two-part entry whose label stands at the other end is read the other way
    assert parse_ids(["1148904001971, Registration ID"], current=True) == [
        ("Registration ID", "1148904001971", None)]
    assert parse_ids(["Secondary sanctions risk:, North Korea Sanctions Regulations, sections 510.201"],
                     current=True)[0][0] == "Secondary sanctions risk:"


def test_split_and_codes() -> None:
    assert split_multi("A; B; and C") == ["A", "B", "C"]
    assert split_multi("") == []
    assert list_code("Capta List (CAP) - Treasury Department") == "CAP"
    assert list_code("Denied Persons List (DPL) - Bureau of Industry and Security") == "DPL"


def test_bad_rows(tmp_path: Path) -> None:
    text = OLD.read_text(encoding="utf-8").split("\n")
    header = text[0]
    rows = [
        text[1],
        "Entity List (EL) - Bureau of Industry and Security,,,,,,,,2018-01-01,,,,,,,,,,,,,,,,,,,",
        "Entity List (EL) - Bureau of Industry and Security,,,,Bad Date Co,,,,2018-13-01,,,,,,,,,,,,,,,,,,,",
    ]
    p = tmp_path / "bad.csv"
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    recs, errs = split(list(parse_csl(p)))
    assert sorted(e.id for e in recs if isinstance(e, Entity)) == ["csl:dpl:adrian-manuel-hernandez",
                                                                   "csl:el:bad-date-co"]
    assert [(e.line, e.field) for e in errs] == [(3, "name"), (4, "listed")]


# -- docs/sources.md --------------------------------------------------------------------------------


def doc_table(heading: str) -> list[list[str]]:
    """The body rows of the first table under ``heading`` in docs/sources.md, cells stripped."""
    text = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    lines = [ln for ln in section.splitlines() if ln.startswith("|")]
    return [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines[2:]]


def test_docs_sources_tables() -> None:
    from ownergraph.queries.regimes import regime_for_list

    rows = doc_table("## trade.gov Consolidated Screening List")
    assert len(rows) == 13
    for code, source, programme, regime, _why in rows:
        assert regime_for_list(source, programme) == regime.strip("`"), source
        assert list_code(source) == code
