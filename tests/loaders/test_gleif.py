"""GLEIF golden-copy loaders (Level 1, Level 2 relationships, reporting exceptions; CSV and XML) on
the real files in ``../shared/data/gleif``, the pitfalls they contain, and an end-to-end load."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import gzip
import re
import shutil
import tracemalloc
import zipfile
from pathlib import Path

import pytest

import ownergraph
from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import Entity, Ownership, Record
from ownergraph.loaders.base import Item, detect_format
from ownergraph.loaders.gleif import (
    STUB_NOTE,
    gleif_date,
    gleif_files,
    parse_gleif_csv,
    parse_gleif_xml,
    registration_id,
)

ROOT = Path(__file__).parents[2]
GLEIF = ROOT / ".." / "shared" / "data" / "gleif"
L1_CSV = GLEIF / "ft_gleifr_test-gleif-entities.csv"
RR_CSV = GLEIF / "ft_gleifr_test-gleif-relationships.csv"
L1_XML = GLEIF / "bodspipelines_lei-data.xml"
RR_XML = GLEIF / "bodspipelines_rr-data.xml"
REPEX_XML = GLEIF / "bodspipelines_repex-data.xml"


def split(items: list[Item]) -> tuple[list[Record], list[InputError]]:
    return ([i[0] for i in items if not isinstance(i, InputError)],
            [i for i in items if isinstance(i, InputError)])


def entities(recs: list[Record]) -> dict[str, Entity]:
    return {r.id: r for r in recs if isinstance(r, Entity)}


def edges(recs: list[Record]) -> list[Ownership]:
    return [r for r in recs if isinstance(r, Ownership)]


def raw_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def l1_csv() -> list[Record]:
    recs, errs = split(list(parse_gleif_csv(L1_CSV)))
    assert errs == []
    return recs


@pytest.fixture(scope="module")
def rr_csv() -> list[Item]:
    return list(parse_gleif_csv(RR_CSV))


# -- every real file loads; detection ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), [
    ("ft_gleifr_test-gleif-entities.csv", "gleif-csv"),
    ("ft_gleifr_test-gleif-relationships.csv", "gleif-csv"),
    ("bodspipelines_lei-data.xml", "gleif-xml"), ("bodspipelines_rr-data.xml", "gleif-xml"),
    ("bodspipelines_repex-data.xml", "gleif-xml"),
])
def test_every_real_file_is_detected_and_loads_clean(name: str, fmt: str) -> None:
    assert detect_format(GLEIF / name) == fmt
    parse = parse_gleif_csv if fmt == "gleif-csv" else parse_gleif_xml
    recs, errs = split(list(parse(GLEIF / name)))
    assert errs == [] and recs


def test_the_elf_code_list_is_not_gleif_data() -> None:
    elf = GLEIF / "opensanctions_vendored_gleif_elf-codes-1.4.1.csv"
    with pytest.raises(FormatError, match="not a GLEIF golden-copy CSV"):
        list(parse_gleif_csv(elf))
    with pytest.raises(FormatError, match="not a GLEIF golden-copy XML"):
        list(parse_gleif_xml(GLEIF / ".." / "ofac" / "urbanfortnight_cons_advanced_2020-03-17.xml"))


# -- Level 1 ------------------------------------------------------------------------------------------


def test_level1_csv_counts(l1_csv: list[Record]) -> None:
    rows = raw_rows(L1_CSV)
    ents = entities(l1_csv)
    assert len(ents) == len(rows) == 400
    assert collections.Counter(e.kind for e in ents.values()) == {"company": 365, "fund": 35}
    assert sum(r["Entity.EntityCategory"] == "FUND" for r in rows) == 35
    # a registration number only for the company registers whose country is clear
    regs = collections.Counter(v.split(":")[0] for e in ents.values()
                               for v in e.identifiers.get("registration", ()))
    assert regs == {"NG": 302, "GB": 2, "IE": 2, "NL": 1, "CZ": 1}
    assert sum(1 for e in ents.values() if e.dissolved) == 7
    statuses = collections.Counter(n for e in ents.values() for n in e.notes
                                   if n.startswith("GLEIF entity status"))
    assert statuses == {"GLEIF entity status: ACTIVE": 387, "GLEIF entity status: INACTIVE": 13}


def test_level1_fields(l1_csv: list[Record]) -> None:
    ents = entities(l1_csv)
    fund = ents["lei:001GPB6A9XPE8XJICC14"]
    assert fund.name == "FIDELITY ADVISOR SERIES I - Fidelity Advisor Leveraged Company Stock Fund"
    assert fund.kind == "fund" and fund.jurisdiction == "US"
    assert fund.identifiers == {"lei": ("001GPB6A9XPE8XJICC14",)}  # SEC series ids do not merge
    assert "registration authority RA000665 entity id S000005113" in fund.notes
    assert "legal form: ELF 9999 (OTHER)" in fund.notes
    gb = [e for e in ents.values() if "GB:SC084330" in e.identifiers.get("registration", ())]
    assert [e.name for e in gb] == ["Invitrogen Europe Limited"]
    de = next(e for e in ents.values() if "registration authority RA000304 entity id HRB 118213" in e.notes)
    assert "registration" not in de.identifiers  # Handelsregister numbers are per court


def test_level1_xml_2023(tmp_path: Path) -> None:
    recs, errs = split(list(parse_gleif_xml(L1_XML)))
    assert errs == []
    ents = entities(recs)
    assert len(ents) == 13
    fund = ents["lei:001GPB6A9XPE8XJICC14"]
    # the same LEI renamed since 2019, its jurisdiction now a subdivision, ELF 8888 now
    assert fund.name == "Fidelity Advisor Leveraged Company Stock Fund"
    assert fund.aliases == ("FIDELITY ADVISOR SERIES I - Fidelity Advisor Leveraged Company Stock Fund",)
    assert fund.jurisdiction == "US" and "legal jurisdiction: US-MA" in fund.notes
    assert fund.incorporated == dt.date(2012, 11, 29)
    assert "legal form: ELF 8888 (FUND)" in fund.notes
    assert fund.sources == ("GLEIF Level 1 LEI-CDF (bodspipelines_lei-data.xml, 2023-06-05)",)
    assert ents["lei:213800FERQ5LE3H7WJ58"].identifiers["registration"] == ("GB:01403668",)


def test_registration_only_when_the_country_is_clear() -> None:
    assert registration_id("RA000585", "01403668", "GB") == "GB:01403668"
    assert registration_id("RA000585", "01403668", "JE") is None  # not a Companies House company
    assert registration_id("RA000472", "923 609 016", "NO") == "NO:923609016"
    assert registration_id("RA000602", "2835527", "US-DE") is None  # a state register
    assert registration_id("RA999999", "123", "GB") is None
    assert registration_id("RA000585", "", "GB") is None


# -- Level 2 ------------------------------------------------------------------------------------------


def test_level2_csv_counts(rr_csv: list[Item]) -> None:
    recs, errs = split(rr_csv)
    assert errs == []
    rows = raw_rows(RR_CSV)
    own = edges(recs)
    assert len(own) == len(rows) == 400
    assert collections.Counter(o.kind for o in own) == {"consolidation": 398, "control": 2}
    assert all(not o.share.known for o in own)  # accounting consolidation: no percentages
    refs = {r[f"Relationship.{end}.NodeID"] for r in rows for end in ("StartNode", "EndNode")}
    stubs = entities(recs)
    assert set(stubs) == {f"lei:{x}" for x in refs} and len(stubs) == 435
    assert all(s.notes == (STUB_NOTE,) and s.name == s.id[4:] and s.kind == "company" for s in stubs.values())


def test_level2_direction_and_branch(rr_csv: list[Item]) -> None:
    own = edges(split(rr_csv)[0])
    first = own[0]  # 001GPB6A9XPE8XJICC14 IS_DIRECTLY_CONSOLIDATED_BY C7J4FOV6ELAVE39B7M82
    assert (first.owner_id, first.owned_id) == ("lei:C7J4FOV6ELAVE39B7M82", "lei:001GPB6A9XPE8XJICC14")
    assert first.start == dt.date(2018, 6, 15)  # the RELATIONSHIP_PERIOD, not the accounting period
    assert "IS_DIRECTLY_CONSOLIDATED_BY ACTIVE" in (first.source or "")
    branches = [o for o in own if "IS_INTERNATIONAL_BRANCH_OF" in (o.source or "")]
    assert len(branches) == 2 and {o.kind for o in branches} == {"control"}


def test_unix_millisecond_dates(rr_csv: list[Item]) -> None:
    """257 rows of the 2019 file carry epoch milliseconds; every one parses, and to the right day."""
    rows = raw_rows(RR_CSV)
    ms = [n for n, r in enumerate(rows, start=2) if any(re.fullmatch(r"\d{12,13}", v) for v in r.values())]
    assert len(ms) == 257
    row = rows[2]  # line 4: RELATIONSHIP_PERIOD start 1498089600000
    assert row["Relationship.Period.2.startDate"] == "1498089600000"
    by_line = {loc: r for r, loc in (i for i in rr_csv if not isinstance(i, InputError))
               if isinstance(r, Ownership)}
    assert by_line["ft_gleifr_test-gleif-relationships.csv:4"].start == dt.date(2017, 6, 22)
    assert gleif_date("1498089600000") == dt.datetime.fromtimestamp(1498089600, dt.UTC).date()
    assert gleif_date("2016-07-14T00:00:00Z") == dt.date(2016, 7, 14)
    assert gleif_date("2016-07-14T00:00:00.000Z") == dt.date(2016, 7, 14)


def test_inactive_relationships_end_by_their_last_update(rr_csv: list[Item]) -> None:
    rows = raw_rows(RR_CSV)
    inactive = {n: r for n, r in enumerate(rows, start=2)
                if r["Relationship.RelationshipStatus"] == "INACTIVE"}
    assert len(inactive) == 13
    by_line = {loc: r for r, loc in (i for i in rr_csv if not isinstance(i, InputError))
               if isinstance(r, Ownership)}
    for n, row in inactive.items():
        edge = by_line[f"ft_gleifr_test-gleif-relationships.csv:{n}"]
        assert edge.end == gleif_date(row["Registration.LastUpdateDate"])
        assert "inactive by LastUpdateDate" in (edge.source or "")
    assert sum(1 for o in by_line.values() if o.end is not None) == 13


def test_level2_xml_relationship_types() -> None:
    recs, errs = split(list(parse_gleif_xml(RR_XML)))
    assert errs == []
    own = edges(recs)
    types = collections.Counter((re.search(r"(IS_[A-Z_-]+)", o.source or "").group(1), o.kind)  # type: ignore[union-attr]
                                for o in own)
    assert types == {("IS_FUND-MANAGED_BY", "control"): 5, ("IS_SUBFUND_OF", "control"): 3,
                     ("IS_DIRECTLY_CONSOLIDATED_BY", "consolidation"): 1,
                     ("IS_ULTIMATELY_CONSOLIDATED_BY", "consolidation"): 1}
    fund_managed = next(o for o in own if "IS_FUND-MANAGED_BY" in (o.source or ""))
    assert fund_managed.owner_id == "lei:5493001Z012YSB2A0K51"  # the manager (EndNode) → the fund
    assert fund_managed.owned_id == "lei:001GPB6A9XPE8XJICC14"
    assert len(entities(recs)) == 16  # stubs: every LEI named, no Level 1 file in this load


def test_feeder_and_unknown_types_and_annulled(tmp_path: Path) -> None:
    header = RR_CSV.read_text(encoding="utf-8").split("\n", 1)[0]
    cols = header.split(",")

    def row(start: str, end: str, rtype: str, reg: str = "PUBLISHED") -> str:
        cells = dict.fromkeys(cols, "")
        cells.update({"Relationship.StartNode.NodeID": start, "Relationship.StartNode.NodeIDType": "LEI",
                      "Relationship.EndNode.NodeID": end, "Relationship.EndNode.NodeIDType": "LEI",
                      "Relationship.RelationshipType": rtype, "Relationship.RelationshipStatus": "ACTIVE",
                      "Registration.RegistrationStatus": reg})
        return ",".join(cells[c] for c in cols)

    a, b = "001GPB6A9XPE8XJICC14", "C7J4FOV6ELAVE39B7M82"
    p = tmp_path / "rr.csv"
    p.write_text("\n".join([header, row(a, b, "IS_FEEDER_TO"), row(a, b, "IS_COUSIN_OF"),
                            row(a, b, "IS_DIRECTLY_CONSOLIDATED_BY", "ANNULLED"),
                            row(a, "NOT-AN-LEI", "IS_SUBFUND_OF")]))
    recs, errs = split(list(parse_gleif_csv(p)))
    (feeder,) = edges(recs)
    assert (feeder.owner_id, feeder.owned_id, feeder.kind) == (f"lei:{a}", f"lei:{b}", "shares")
    assert [(e.line, e.field, e.reason) for e in errs] == [
        (3, "RelationshipType", "unknown relationship type"),
        (5, "EndNode.NodeID", "relationship node is not an LEI"),
    ]


# -- reporting exceptions, folders ---------------------------------------------------------------------


def test_reporting_exceptions_are_notes_on_the_child() -> None:
    recs, errs = split(list(parse_gleif_xml(REPEX_XML)))
    assert errs == []
    ents = entities(recs)
    assert len(ents) == 10
    reasons = collections.Counter(n for e in ents.values() for n in e.notes if n.startswith("reporting"))
    assert reasons == {
        "reporting exception: DIRECT_ACCOUNTING_CONSOLIDATION_PARENT NON_CONSOLIDATING": 6,
        "reporting exception: DIRECT_ACCOUNTING_CONSOLIDATION_PARENT NO_KNOWN_PERSON": 3,
        "reporting exception: DIRECT_ACCOUNTING_CONSOLIDATION_PARENT NON_PUBLIC": 1,
    }
    assert ents["lei:004L5FPTUREIWK9T2N63"].notes[0].endswith("NON_CONSOLIDATING")


def test_repex_csv(tmp_path: Path) -> None:
    p = tmp_path / "repex.csv"
    p.write_text('"LEI","ExceptionCategory","ExceptionReason","ExceptionReference"\n'
                 '"004L5FPTUREIWK9T2N63","ULTIMATE_ACCOUNTING_CONSOLIDATION_PARENT","NATURAL_PERSONS",""\n')
    assert detect_format(p) == "gleif-csv"
    (ent,) = entities(split(list(parse_gleif_csv(p)))[0]).values()
    assert ent.notes == ("reporting exception: ULTIMATE_ACCOUNTING_CONSOLIDATION_PARENT NATURAL_PERSONS",
                         STUB_NOTE)


def test_a_folder_is_one_load_level1_first(tmp_path: Path) -> None:
    for f in (RR_XML, REPEX_XML, L1_XML):
        shutil.copy(f, tmp_path / f.name)
    assert [p.name for p in gleif_files(tmp_path, "xml")] == [L1_XML.name, RR_XML.name, REPEX_XML.name]
    assert detect_format(tmp_path) == "gleif-xml"
    recs, errs = split(list(parse_gleif_xml(tmp_path)))
    assert errs == []
    stubs = [e for e in recs if isinstance(e, Entity) and "name unknown" in " ".join(e.notes)]
    # the RR file names 16 LEIs, 3 of them defined by the Level 1 file; 3 exceptions name LEIs not in it
    assert len([s for s in stubs if s.notes == (STUB_NOTE,)]) == 13
    assert len(stubs) == 16
    assert len(edges(recs)) == 10
    # the shared data folder mixes 2019 CSV and 2023 XML: each syntax loads on its own
    assert detect_format(GLEIF) == "gleif-csv"
    assert [p.name for p in gleif_files(GLEIF, "csv")] == [L1_CSV.name, RR_CSV.name]
    folder = split(list(parse_gleif_csv(GLEIF)))[0]
    assert sum(1 for e in folder if isinstance(e, Entity)) == 400 + 397  # only 17 rows have both ends in L1


# -- malformed input -----------------------------------------------------------------------------------


def test_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "l1.csv"
    bad.write_text("LEI,Entity.LegalName,Entity.EntityCreationDate\nNOT-AN-LEI,X,\n"
                   "5493001Z012YSB2A0K51,Y,yesterday\n\"5493001Z012YSB2A0K51,broken\n")
    recs, errs = split(list(parse_gleif_csv(bad)))
    assert [(e.line, e.field) for e in errs][:2] == [(2, "LEI"), (3, "EntityCreationDate")]
    assert list(entities(recs)) == ["lei:5493001Z012YSB2A0K51"]  # a bad date drops the date, not the entity
    broken = tmp_path / "rr.xml"
    broken.write_text('<?xml version="1.0"?>'
                      '<rr:RelationshipData xmlns:rr="http://www.gleif.org/data/schema/rr/2016">'
                      "<rr:RelationshipRecords><rr:RelationshipRecord>")
    with pytest.raises(FormatError, match="malformed XML"):
        list(parse_gleif_xml(broken))
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                    '<lei:LEIData xmlns:lei="http://www.gleif.org/data/schema/leidata/2016">&a;</lei:LEIData>')
    with pytest.raises(FormatError, match="refused XML construct"):
        list(parse_gleif_xml(bomb))


@pytest.mark.slow
def test_xml_streams_with_bounded_memory(tmp_path: Path) -> None:
    """Records are detached once read: peak memory does not grow with the file."""
    text = L1_XML.read_text(encoding="utf-8")
    start = text.index("<lei:LEIRecord ")
    end = text.rindex("</lei:LEIRecords>")
    record = text[start: text.index("</lei:LEIRecord>", start) + len("</lei:LEIRecord>")]

    def write(n: int) -> Path:
        p = tmp_path / f"l1-{n}.xml"
        with open(p, "w", encoding="utf-8") as f:
            f.write(text[:start])
            for i in range(n):
                f.write(record.replace("001GPB6A9XPE8XJICC14", f"{i:018d}00"))
            f.write(text[end:])
        return p

    p = write(3000)
    size = p.stat().st_size
    tracemalloc.start()
    try:
        count = sum(1 for _ in parse_gleif_xml(p))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 3000
    assert size > 10_000_000 and peak < size / 8  # a tree of every record would be several times the file


# -- end to end ----------------------------------------------------------------------------------------


def test_end_to_end_level1_and_level2(tmp_path: Path) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    try:
        reports = ws.load([L1_CSV, RR_CSV])
        got = [(r.format, r.read, r.rejected) for r in reports]
        assert got == [("gleif-csv", 400, 0), ("gleif-csv", 835, 0)]
        assert reports[1].merged == 38  # stubs for LEIs the Level 1 file already loaded
        view = ws.graph(as_of="2019-09-01")
        child = view.index("lei:00TV1D5YIV5IDUGWBW29")
        parents = {view.edge(int(e)).owner_id: view.edge(int(e)) for e in view.in_of(child)}
        edge = parents["lei:549300J4MR4TMTZPUP92"]
        assert edge.kind == "consolidation" and not edge.share.known and edge.start == dt.date(2017, 6, 22)
        assert view.name(child) != "00TV1D5YIV5IDUGWBW29"  # named by Level 1, loaded first
        # INACTIVE edges are history: present before their last update, gone after
        rows = raw_rows(RR_CSV)
        row = next(r for r in rows if r["Relationship.RelationshipStatus"] == "INACTIVE")
        last = gleif_date(row["Registration.LastUpdateDate"])
        assert last is not None
        key = (f"lei:{row['Relationship.EndNode.NodeID']}", f"lei:{row['Relationship.StartNode.NodeID']}")

        def has(view: ownergraph.graph.view.GraphView) -> bool:
            i = view.index(key[1])
            return any(view.edge(int(e)).owner_id == key[0] for e in view.in_of(i))

        assert has(ws.graph(as_of=last)) and not has(ws.graph(as_of=last + dt.timedelta(days=1)))
        # loading the same files again adds nothing
        again = ws.load([L1_CSV, RR_CSV])
        assert all(r.already_loaded for r in again)
    finally:
        ws.close()


def test_relationships_loaded_before_level1_keep_the_legal_name(tmp_path: Path) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    try:
        ws.load([RR_XML, L1_XML])
        view = ws.graph(as_of="2023-06-30")
        name = view.name(view.index("lei:001GPB6A9XPE8XJICC14"))
        assert name == "Fidelity Advisor Leveraged Company Stock Fund"
    finally:
        ws.close()


def test_the_golden_copy_zip_loads_as_a_stream(tmp_path: Path) -> None:
    """GLEIF publishes zips; members are read in place, Level 1 first whatever the zip order."""
    archive = tmp_path / "golden-copy.csv.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(RR_CSV, RR_CSV.name)
        z.write(L1_CSV, L1_CSV.name)
    gz = tmp_path / "rr-data.xml.gz"
    gz.write_bytes(gzip.compress(RR_XML.read_bytes()))
    ws = ownergraph.open(tmp_path / "ws")
    try:
        zipped, xml = ws.load([archive, gz])
        assert (zipped.read, zipped.rejected) == (400 + 397 + 400, 0)
        assert (xml.read, xml.rejected) == (26, 0)
        view = ws.graph(as_of="2019-09-01")
        name = view.name(view.index("lei:00TV1D5YIV5IDUGWBW29"))
        assert name == "Ceridian Corporation Retirement Plan Trust"  # Level 1 read first
    finally:
        ws.close()
