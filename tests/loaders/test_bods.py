"""BODS loader (0.2/0.3 statements, 0.4 records; JSON array, JSON lines, one object) on the real
files in ``../shared/data/bods``, every pitfall on fixtures built from real statements, and
end-to-end loads including an LEI merge with GLEIF."""

from __future__ import annotations

import collections
import copy
import datetime as dt
import gzip
import json
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest

import ownergraph
from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import Entity, Listing, Ownership, Record
from ownergraph.graph.shares import Share
from ownergraph.loaders.base import Item, detect_format
from ownergraph.loaders.bods import bods_share, bods_version, interest_kind, iter_json, parse_bods

ROOT = Path(__file__).parents[2]
DATA = ROOT / ".." / "shared" / "data"
BODS = DATA / "bods"
DK1 = BODS / "bodsdata_dk_cvr_test-bods-data-1.json"
DK2 = BODS / "bodsdata_dk_cvr_test-bods-data-2.json"
GLEIF_LEI = BODS / "bodspipelines_gleif_to_bods02_lei-data-out.json"
GLEIF_RR = BODS / "bodspipelines_gleif_to_bods02_rr-data-out.json"
V04 = BODS / "v04_official_examples"
ENTITY_OWNING = V04 / "datastandard_bods-package-entity-owning-entity.json"
FI_SOE = V04 / "datastandard_bods-package-fi-soe.json"
EXEMPT = V04 / "datastandard_listed-company-exempt-from-disclosure.json"
PLC = V04 / "datastandard_plc-entity-statement.json"
PSC = sorted((BODS / "uk_psc_source").glob("*.json"))


def split(items: list[Item]) -> tuple[list[Record], list[InputError]]:
    return ([i[0] for i in items if not isinstance(i, InputError)],
            [i for i in items if isinstance(i, InputError)])


def load(path: Path) -> list[Record]:
    recs, errs = split(list(parse_bods(path)))
    assert errs == []
    return recs


def entities(recs: list[Record]) -> dict[str, Entity]:
    return {r.id: r for r in recs if isinstance(r, Entity)}


def edges(recs: list[Record]) -> list[Ownership]:
    return [r for r in recs if isinstance(r, Ownership)]


def statements(path: Path) -> list[dict[str, Any]]:
    return [v for _w, v in (i for i in iter_json(path) if not isinstance(i, InputError))]


def write_lines(path: Path, objs: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(o) for o in objs) + b"\n")
    return path


def kinds(recs: list[Record]) -> collections.Counter[tuple[str, str]]:
    return collections.Counter((type(r).__name__, getattr(r, "kind", "")) for r in recs)


# -- every real file ----------------------------------------------------------------------------------


REAL = [DK1, DK2, GLEIF_LEI, GLEIF_RR, ENTITY_OWNING, FI_SOE, EXEMPT, PLC]


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_every_real_bods_file_is_detected_and_loads_clean(path: Path) -> None:
    assert detect_format(path) == "bods"
    assert load(path)


@pytest.mark.parametrize("path", PSC, ids=lambda p: p.name)
def test_psc_source_records_are_not_bods(path: Path) -> None:
    with pytest.raises(FormatError, match="cannot detect"):
        detect_format(path)
    with pytest.raises(FormatError, match="no BODS statements"):
        list(parse_bods(path))


def test_dk_cvr_json_lines_0_2() -> None:
    recs = load(DK1)
    assert kinds(recs) == {("Entity", "person"): 4 + 2, ("Entity", "company"): 6, ("Ownership", "shares"): 6,
                           ("Ownership", "votes"): 5}
    ents = entities(recs)
    assert ents["bods:11262152698769124205"].name == "Thomas Sandø Iversen"
    assert "identifier DK Centrale Virksomhedsregister: 4000185461" in ents["bods:11262152698769124205"].notes
    assert "registration" not in ents["bods:11262152698769124205"].identifiers  # a person's unit number
    stubs = [e for e in ents.values() if e.notes and e.notes[0].startswith("name unknown")]
    assert len(stubs) == 8  # the fixture's subjects and two owners are not in the file
    first = edges(recs)[0]
    # float noise 26.150000000000002 → exactly 26.15 %
    assert first.share == Share(lo=261_500, hi=261_500) and str(first.share) == "26.15"
    assert (first.start, first.end) == (dt.date(2021, 6, 8), dt.date(2023, 3, 30))


def test_dk_cvr_repeats_and_empty_interests() -> None:
    raw = statements(DK2)
    assert len(raw) == 10 and len({s["statementID"] for s in raw}) == 7  # three lines are repeats
    recs = load(DK2)
    own = edges(recs)
    assert len(own) == 7
    no_interests = [o for o in own if "no interests stated" in (o.source or "")]
    assert len(no_interests) == 5 and all(o.kind == "shares" and not o.share.known for o in no_interests)
    assert sorted(str(o.share) for o in own if o.kind == "votes") == ["52.28", "68.66"]


def test_gleif_derived_bods() -> None:
    ents = entities(load(GLEIF_LEI))
    assert len(ents) == 5 and all("lei" in e.identifiers for e in ents.values())
    dentsu = ents["bods:11739b48-9df9-2d05-34aa-79c04d5cca06"]
    # GLEIF's registration authority code as schemeName → the same registration id as the GLEIF loader
    assert dentsu.identifiers["registration"] == ("GB:01403668",) and dentsu.jurisdiction == "GB"
    assert dentsu.incorporated == dt.date(1978, 12, 5)
    recs = load(GLEIF_RR)
    own = edges(recs)
    # other-influence-or-control, beneficialOwnershipOrControl false, source GLEIF → consolidation
    assert len(own) == 10 and {o.kind for o in own} == {"consolidation"}
    assert not any(o.share.known for o in own)
    # its references are unversioned ids its own entity statements do not use: all 16 are stubs
    assert len(entities(recs)) == 16 and not set(entities(recs)) & set(ents)


def test_v04_entity_owning_entity_numeric_bounds() -> None:
    recs = load(ENTITY_OWNING)
    ents = entities(recs)
    assert ents["bods:12b7dd0770ce"].identifiers == {"registration": ("GB:03209885",)}
    (own,) = edges(recs)
    assert (own.owner_id, own.owned_id) == ("bods:e83cce729ada", "bods:12b7dd0770ce")  # MVJ → JENEX
    # {"minimum": 75, "exclusiveMaximum": 100}: 75 inclusive, 100 an exclusive *number*
    assert own.share == Share(lo=750_000, hi=1_000_000, hi_open=True) and str(own.share) == "[75,100)"


def test_v04_state_owned_chain() -> None:
    recs = load(FI_SOE)
    ents = entities(recs)
    assert {e.name: e.kind for e in ents.values()} == {
        "Gasgrid Finland Oy": "company", "Suomen Kaasuverkko Oy": "company",
        "Valtiovarainministerio": "government", "Suomen tasavalta": "government"}
    assert ents["bods:19f1c5afe9d7"].identifiers == {"registration": ("FI:3007894-1",)}
    got = {(o.owner_id[5:], o.owned_id[5:], o.kind, str(o.share)) for o in edges(recs)}
    assert got == {("0199c515a699", "19f1c5afe9d7", "shares", "76.5"),
                   ("7ff95ba3682c", "0199c515a699", "shares", "100"),
                   ("7ff95ba3682c", "19f1c5afe9d7", "shares", "23.5"),
                   ("05ce06ec97b1", "7ff95ba3682c", "control", "unknown")}
    # the state's indirect 100% is a summary of the chain above (componentRecords): not a second edge


def test_unspecified_party_is_kept() -> None:
    recs = load(EXEMPT)
    ents = entities(recs)
    party = ents["bods:fa402c4818f9:unspecified"]
    assert party.kind == "unknown" and party.name == "Unspecified party (subjectExemptFromDisclosure)"
    assert "unspecified interested party: subjectExemptFromDisclosure" in party.notes
    assert any("listed on a recognised stock exchange" in n for n in party.notes)
    (own,) = edges(recs)
    assert (own.owner_id, own.owned_id, own.share.known) == (party.id, "bods:4c7ea3bfbe6c", False)


def test_unspecified_0_2_and_bodspipelines_nesting(tmp_path: Path) -> None:
    base = statements(DK1)[0]
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    a["statementID"], a["interestedParty"] = "u1", {"unspecified": {"reason": "no-beneficial-owners",
                                                                     "description": "Listed on XLON"}}
    b["statementID"], b["interestedParty"] = "u2", {"unspecified": {"unspecified": "NO_KNOWN_PERSON"}}
    recs = load(write_lines(tmp_path / "u.jsonl", [a, b]))
    ents = entities(recs)
    assert ents["bods:u1:unspecified"].notes[:2] == ("unspecified interested party: no-beneficial-owners",
                                                     "description: Listed on XLON")
    assert ents["bods:u2:unspecified"].name == "Unspecified party (NO_KNOWN_PERSON)"
    assert {o.owner_id for o in edges(recs)} == {"bods:u1:unspecified", "bods:u2:unspecified"}


def test_listings_from_public_listing() -> None:
    recs = load(PLC)
    (az,) = entities(recs).values()
    assert az.name == "AstraZeneca PLC" and az.jurisdiction == "GB"
    assert az.identifiers == {"cusip": ("046353108",), "isin": ("GB0009895292", "US0463531089"),
                              "lei": ("PY6ZZQWO2IZFZC3IOL08",), "registration": ("GB:02723534",)}
    listings = [(r.mic, r.ticker, r.isin) for r in recs if isinstance(r, Listing)]
    assert listings == [("XLON", "AZN", "GB0009895292"), ("XLOM", "0A4J", "US0463531089"),
                        ("XSTO", "AZN", "GB0009895292"), ("XNAS", "AZN", None)]


# -- shares: the boolean/number pitfall -------------------------------------------------------------


def test_0_2_boolean_exclusive_minimum_is_not_the_number_one(tmp_path: Path) -> None:
    st = copy.deepcopy(statements(DK1)[0])
    st["interests"] = [{"type": "shareholding", "startDate": "2021-06-08", "share": {
        "minimum": 25, "maximum": 50, "exclusiveMinimum": True, "exclusiveMaximum": False}}]
    (own,) = edges(load(write_lines(tmp_path / "s.jsonl", [st])))
    assert own.share == Share(lo=250_000, hi=500_000, lo_open=True)
    assert str(own.share) == "(25,50]"  # a naive reader would give [1,50] or [25,0]


@pytest.mark.parametrize(("share", "version", "expected"), [
    ({"minimum": 25, "maximum": 50}, "0.2", "[25,50)"),  # 0.2 defaults: min inclusive, max exclusive
    ({"minimum": 25, "maximum": 50, "exclusiveMaximum": False}, "0.2", "[25,50]"),
    ({"minimum": 75, "maximum": 100, "exclusiveMinimum": False, "exclusiveMaximum": False}, "0.2",
     "[75,100]"),
    ({"minimum": 25, "exclusiveMinimum": True}, "0.3", "(25,100]"),
    ({"minimum": 25, "maximum": 50}, "0.4", "[25,50]"),  # 0.4: minimum/maximum are inclusive
    ({"exclusiveMinimum": 25, "maximum": 50}, "0.4", "(25,50]"),
    ({"exclusiveMinimum": 50, "exclusiveMaximum": 75}, "0.4", "(50,75)"),
    ({"exact": 50.0, "minimum": 50.0, "maximum": 50.0}, "0.2", "50"),
    ({"minimum": 50, "maximum": 50}, "0.2", "50"),
    ({}, "0.4", "unknown"),
    (None, "0.2", "unknown"),
])
def test_share_forms(share: Any, version: str, expected: str) -> None:
    assert str(bods_share(share, version)) == expected


def test_bad_shares_are_located_errors(tmp_path: Path) -> None:
    st = copy.deepcopy(statements(DK1)[0])
    st["interests"] = [{"type": "shareholding", "share": {"minimum": 60, "maximum": 40}},
                       {"type": "shareholding", "share": {"exact": 140}},
                       {"type": "voting-rights", "share": {"exact": 10}},
                       {"type": "sharesholding"}]
    recs, errs = split(list(parse_bods(write_lines(tmp_path / "s.jsonl", [st]))))
    assert [(e.line, e.field) for e in errs] == [
        ("line 1, interest 1", "interests.share"), ("line 1, interest 2", "interests.share"),
        ("line 1, interest 4", "interests.type")]
    assert [(o.kind, str(o.share)) for o in edges(recs)] == [("votes", "10")]


def test_interest_kinds() -> None:
    types = ("shareholding", "voting-rights", "appointment-of-board", "senior-managing-official",
             "trustee-of-trust", "beneficiaryOfLegalArrangement", "unknownInterest", None, "nonsense")
    assert [interest_kind(t) for t in types] == [
        "shares", "votes", "board", "control", "control", "control", "shares", "shares", None]
    assert interest_kind("otherInfluenceOrControl", beneficial=False) == "control"  # not GLEIF-derived


# -- versions -----------------------------------------------------------------------------------------


def test_version_detection_per_statement(tmp_path: Path) -> None:
    v02 = statements(DK1)[0]
    v04 = statements(ENTITY_OWNING)[2]
    v03 = copy.deepcopy(v02)
    v03["statementID"] = "v03"
    v03["publicationDetails"]["bodsVersion"] = "0.3"
    v03["interests"] = [{"type": "votingRights", "directOrIndirect": "direct",
                         "share": {"minimum": 25, "maximum": 50, "exclusiveMinimum": True}}]
    assert [bods_version(s) for s in (v02, v03, v04)] == ["0.2", "0.3", "0.4"]
    recs = edges(load(write_lines(tmp_path / "mixed.jsonl", [v02, v03, v04])))
    assert [(o.kind, str(o.share)) for o in recs] == [
        ("shares", "26.15"), ("votes", "26.15"), ("votes", "(25,50)"), ("shares", "[75,100)")]


def test_0_4_records_are_versioned(tmp_path: Path) -> None:
    """Later statements for one recordId replace earlier ones; a closed record ends the interest."""
    jenex, mvj, rel = statements(ENTITY_OWNING)
    renamed = copy.deepcopy(jenex)
    renamed.update(statementId="jenex-2", statementDate="2019-01-01", recordStatus="updated")
    renamed["recordDetails"]["name"] = "JENEX HOLDINGS LIMITED"
    rel2 = copy.deepcopy(rel)
    rel2.update(statementId="rel-2", statementDate="2018-01-01", recordStatus="updated")
    rel2["recordDetails"]["interests"][0]["share"] = {"exact": 100}
    rel3 = copy.deepcopy(rel2)
    rel3.update(statementId="rel-3", statementDate="2020-03-01", recordStatus="closed")
    # file order is not date order: the 2019 rename comes first, the 2017 original last
    recs = load(write_lines(tmp_path / "v.jsonl", [renamed, mvj, rel3, rel, rel2, jenex]))
    ents = entities(recs)
    assert ents["bods:12b7dd0770ce"].name == "JENEX HOLDINGS LIMITED"
    (own,) = edges(recs)
    assert str(own.share) == "100" and own.end == dt.date(2020, 3, 1)
    assert "statement rel-3" in (own.source or "")


def test_0_2_replaces_statements(tmp_path: Path) -> None:
    st = statements(DK1)
    person = next(s for s in st if s["statementID"] == "11262152698769124205")
    ooc = next(s for s in st if s["statementID"] == "5849172354525159338")  # points at that person
    newer = copy.deepcopy(person)
    newer.update(statementID="person-v2", replacesStatements=["11262152698769124205"])
    newer["names"] = [{"type": "individual", "fullName": "Thomas S. Iversen"}]
    ended = copy.deepcopy(ooc)
    ended.update(statementID="ooc-v2", replacesStatements=["5849172354525159338"])
    for i in ended["interests"]:
        i["endDate"] = "2024-01-31"
    recs = load(write_lines(tmp_path / "r.jsonl", [person, ooc, newer, ended]))
    ents = entities(recs)
    assert "bods:11262152698769124205" not in ents
    assert ents["bods:person-v2"].name == "Thomas S. Iversen"
    own = edges(recs)
    assert len(own) == 2 and {o.owner_id for o in own} == {"bods:person-v2"}
    assert {o.end for o in own} == {dt.date(2024, 1, 31)}
    # a relationship still naming the replaced statement follows the replacement
    old_ref = copy.deepcopy(ooc)
    old_ref["statementID"] = "other"
    recs = load(write_lines(tmp_path / "r2.jsonl", [person, newer, old_ref]))
    assert {o.owner_id for o in edges(recs)} == {"bods:person-v2"}


# -- serialisations -----------------------------------------------------------------------------------


def test_json_lines_array_single_object_and_concatenated(tmp_path: Path) -> None:
    objs = statements(ENTITY_OWNING)
    forms = {
        "lines.json": b"\n".join(orjson.dumps(o) for o in objs),
        "array.json": json.dumps(objs, indent=2).encode(),
        "compact.json": orjson.dumps(objs),
        "pretty-concatenated.json": b"\n".join(json.dumps(o, indent=2).encode() for o in objs),
        "bom.json": b"\xef\xbb\xbf" + orjson.dumps(objs),
    }
    expected = load(ENTITY_OWNING)
    for name, data in forms.items():
        (tmp_path / name).mkdir()
        p = tmp_path / name / ENTITY_OWNING.name  # the same name: sources cite it
        p.write_bytes(data)
        assert detect_format(p) == "bods", name
        assert load(p) == expected, name
    single = tmp_path / PLC.name
    single.write_text(json.dumps(statements(PLC)[0], indent=2))
    assert load(single) == load(PLC)


def test_large_array_streams_across_chunks(tmp_path: Path) -> None:
    """An array bigger than the read chunk, with values cut at chunk edges, reads whole."""
    base = statements(DK1)[2]  # a person statement
    objs = []
    for i in range(4000):
        o = copy.deepcopy(base)
        o["statementID"] = f"p{i}"
        o["names"][0]["fullName"] = f"Person {i} " + "x" * (i % 97)
        objs.append(o)
    p = tmp_path / "big.json"
    p.write_bytes(json.dumps(objs, indent=1).encode())
    assert p.stat().st_size > 2 << 20
    ents = list(entities(load(p)).values())
    assert len(ents) == 4000 and ents[-1].name.startswith("Person 3999")


def test_malformed_json(tmp_path: Path) -> None:
    good = orjson.dumps(statements(DK1)[2])
    lines = tmp_path / "lines.json"
    lines.write_bytes(good + b"\n{broken\n" + good.replace(b"11262152698769124205", b"x2") + b"\n[1]\n")
    recs, errs = split(list(parse_bods(lines)))
    assert len(recs) == 2
    assert [(e.line, e.reason.split(":")[0]) for e in errs] == [(2, "malformed JSON line"),
                                                              ("line 4", "not a JSON object")]
    arr = tmp_path / "array.json"
    arr.write_bytes(b"[" + good + b", {oops}]")
    with pytest.raises(FormatError, match="malformed JSON"):
        list(parse_bods(arr))
    cut = tmp_path / "cut.json"
    cut.write_bytes(b"[" + good + b",")
    with pytest.raises(FormatError, match="not closed"):
        list(parse_bods(cut))
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'[{"statementID": "x", "statementType": "personStatement",'
                      b' "names": [{"fullName": "S\xf8ren"}]}]')
    with pytest.raises(FormatError, match="not UTF-8"):
        list(parse_bods(latin))


# -- end to end --------------------------------------------------------------------------------------


def test_end_to_end_bods_as_of(tmp_path: Path) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    try:
        reports = ws.load([FI_SOE, DK1, EXEMPT])
        assert [(r.format, r.rejected) for r in reports] == [("bods", 0)] * 3
        view = ws.graph(as_of="2022-06-30")
        gasgrid = view.index("bods:19f1c5afe9d7")
        owners = {view.edge(int(e)).owner_id: str(view.edge(int(e)).share) for e in view.in_of(gasgrid)}
        assert owners == {"bods:0199c515a699": "76.5", "bods:7ff95ba3682c": "23.5"}
        assert view.index("registration:FI:3007894-1") == gasgrid
        before = ws.graph(as_of="2019-12-31")  # the shareholdings start on 2020-01-01
        assert len(before.in_of(before.index("bods:19f1c5afe9d7"))) == 0
        # DK: 26.15 % from 2021-06-08 to 2023-03-30
        subject = "bods:7845798686713765040"

        def held(day: str) -> list[str]:
            v = ws.graph(as_of=day)
            return sorted(f"{v.edge(int(e)).kind}:{v.edge(int(e)).share}" for e in v.in_of(v.index(subject)))

        assert held("2022-01-01") == ["shares:26.15", "votes:26.15"]
        assert held("2023-06-01") == []
        # the unspecified owner of the listed company is a node with its reason
        listed = view.index("bods:4c7ea3bfbe6c")
        (e,) = view.in_of(listed)
        assert view.kind_of(view.edge(int(e)).owner) == "unknown"
    finally:
        ws.close()


def test_lei_merge_across_gleif_and_bods(tmp_path: Path) -> None:
    """The GLEIF→BODS pipeline output and the GLEIF golden copy it came from share LEIs."""
    gleif = DATA / "gleif"
    ws = ownergraph.open(tmp_path / "ws")
    try:
        reports = ws.load([gleif / "bodspipelines_lei-data.xml", gleif / "bodspipelines_rr-data.xml",
                           GLEIF_LEI])
        assert reports[2].merged == 5  # every BODS entity statement found its GLEIF record
        view = ws.graph(as_of="2023-06-30")
        node = view.index("bods:11739b48-9df9-2d05-34aa-79c04d5cca06")
        assert node == view.index("lei:213800FERQ5LE3H7WJ58") == view.index("registration:GB:01403668")
        assert view.id(node) == "lei:213800FERQ5LE3H7WJ58"  # canonical: the first id seen
        fund = view.index("bods:04c98917-93f2-bd6d-1c9b-40411dc9b8b3")
        assert fund == view.index("lei:001GPB6A9XPE8XJICC14")
        assert {view.edge(int(e)).kind for e in view.in_of(fund)} == {"control"}  # fund manager, umbrella
    finally:
        ws.close()


def test_bods_relationship_onto_a_gleif_entity(tmp_path: Path) -> None:
    """A tiny 0.4 fixture from real statements: MVJ LIMITED holding DENTSU INTERNATIONAL LIMITED,
    identified only by its LEI, joins the GLEIF record by that LEI."""
    jenex, mvj, rel = statements(ENTITY_OWNING)
    dentsu = copy.deepcopy(jenex)
    dentsu.update(statementId="dentsu-1", recordId="dentsu")
    dentsu["recordDetails"]["name"] = "DENTSU INTERNATIONAL LIMITED"
    dentsu["recordDetails"]["identifiers"] = [{"scheme": "XI-LEI", "id": "213800FERQ5LE3H7WJ58"}]
    rel["recordDetails"]["subject"] = "dentsu"
    fixture = write_lines(tmp_path / "dentsu.jsonl", [dentsu, mvj, rel])
    ws = ownergraph.open(tmp_path / "ws")
    try:
        ws.load([DATA / "gleif" / "bodspipelines_lei-data.xml", fixture])
        view = ws.graph(as_of="2023-06-30")
        node = view.index("lei:213800FERQ5LE3H7WJ58")
        (e,) = view.in_of(node)
        edge = view.edge(int(e))
        assert (edge.owner_id, str(edge.share), edge.kind) == ("bods:e83cce729ada", "[75,100)", "shares")
        assert view.name(node) == "DENTSU INTERNATIONAL LIMITED"
    finally:
        ws.close()


def test_compressed_bods_is_one_load_across_members(tmp_path: Path) -> None:
    """A zip of split files (as bodsdata exports are): a statement in one member replaces, and is
    referred to from, another."""
    st = statements(DK1)
    person = next(s for s in st if s["statementID"] == "11262152698769124205")
    ooc = next(s for s in st if s["statementID"] == "5849172354525159338")
    newer = copy.deepcopy(person)
    newer.update(statementID="person-v2", replacesStatements=["11262152698769124205"])
    archive = tmp_path / "bods.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("part-1.json", orjson.dumps([person, ooc]))
        z.writestr("part-2.json", orjson.dumps(newer) + b"\n")
    gz = tmp_path / DK1.name
    gz = gz.with_name(gz.name + ".gz")
    gz.write_bytes(gzip.compress(DK1.read_bytes()))
    ws = ownergraph.open(tmp_path / "ws")
    try:
        (zipped,) = ws.load([archive])
        assert zipped.rejected == 0
        view = ws.graph(as_of="2023-06-01")
        subject = view.index("bods:12618949488003013987")
        assert {view.edge(int(e)).owner_id for e in view.in_of(subject)} == {"bods:person-v2"}
        (dk,) = ws.load([gz])  # a .json.gz: JSON lines through the stream reader
        assert (dk.format, dk.read, dk.rejected) == ("bods", len(load(DK1)), 0)
    finally:
        ws.close()
