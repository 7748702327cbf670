"""OFAC legacy CSV and advanced XML loaders, on the real files in ``../shared/data/ofac``."""

from __future__ import annotations

import collections
import datetime as dt
import shutil
from pathlib import Path

import pytest

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import Claim, Designation, Entity, Listing, Ownership, Record
from ownergraph.loaders.base import LOADERS, Item, detect_format
from ownergraph.loaders.ofac import find_siblings, parse_ofac_csv, parse_ofac_date, parse_ofac_xml

ROOT = Path(__file__).parents[2]
OFAC = ROOT / ".." / "shared" / "data" / "ofac"
CONS = OFAC / "watchman_cons_prim.csv"
SDN = OFAC / "watchman_ofactest_sdn.csv"
XML = OFAC / "urbanfortnight_cons_advanced_2020-03-17.xml"
PACKAGED = ROOT / "ownergraph" / "data" / "ofac_cons"


def split(items: list[Item]) -> tuple[list[Record], list[InputError]]:
    recs = [i[0] for i in items if not isinstance(i, InputError)]
    errs = [i for i in items if isinstance(i, InputError)]
    return recs, errs


@pytest.fixture(scope="module")
def cons() -> tuple[list[Record], list[InputError]]:
    return split(list(parse_ofac_csv(CONS)))


def entities(recs: list[Record]) -> dict[str, Entity]:
    return {r.id: r for r in recs if isinstance(r, Entity)}


def of(recs: list[Record], kind: type, eid: str) -> list[Record]:
    return [
        r
        for r in recs
        if isinstance(r, kind) and eid in (getattr(r, "entity_id", None), getattr(r, "subject_id", None))
    ]


# -- consolidated list: counts and the case -------------------------------------------------------


def test_consolidated_counts(cons: tuple[list[Record], list[InputError]]) -> None:
    recs, _errs = cons
    ents = entities(recs)
    des = [r for r in recs if isinstance(r, Designation)]
    assert len(ents) == 442
    assert len({d.entity_id for d in des}) == 442  # every party is designated
    assert len({d.entity_id for d in des if d.regime == "ofac-ns-cmic"}) == 68
    assert len({d.entity_id for d in des if d.regime == "ofac-ssi"}) == 286
    assert not any(d.regime == "ofac-sdn" for d in des)  # the consolidated file makes nobody an SDN
    by_list = collections.Counter(d.list for d in des)
    assert by_list["Non-SDN Palestinian Legislative Council List (NS-PLC)"] == 78
    assert by_list["Non-SDN Menu-Based Sanctions List (NS-MBS)"] == 96
    assert collections.Counter(type(r).__name__ for r in recs) == {
        "Entity": 442,
        "Designation": 534,
        "Claim": 283,
        "Listing": 205,
    }


def test_sensetime_33114(cons: tuple[list[Record], list[InputError]]) -> None:
    recs, _ = cons
    e = entities(recs)["ofac:33114"]
    assert e.name == "SENSETIME GROUP LIMITED"
    assert e.kind == "company"
    assert e.jurisdiction == "HK"  # the C.R. No. says Hong Kong; the address row says "China"
    assert e.identifiers["registration"] == ("HK:2162198",)
    assert e.identifiers["ofac"] == ("33114",)
    assert "SENSETIME GROUP LTD" in e.aliases
    assert "HK:2162198" in e.identifiers["registration"]
    [d] = of(recs, Designation, "ofac:33114")
    assert isinstance(d, Designation)
    assert (d.regime, d.program) == ("ofac-ns-cmic", "CMIC-EO13959")
    assert d.list == "Non-SDN Chinese Military-Industrial Complex Companies List (NS-CMIC)"
    assert d.listed == dt.date(2021, 12, 10)
    assert d.effective == dt.date(2022, 2, 8)
    assert d.reference is not None and "2022-12-10" in d.reference  # divestment date
    assert of(recs, Listing, "ofac:33114") == []  # no ticker, no ISIN: the named company is not listed


def test_cmic_listings_and_issuer_isins(cons: tuple[list[Record], list[InputError]]) -> None:
    recs, _ = cons
    ents = entities(recs)
    mobile = of(recs, Listing, "ofac:30923")
    assert {x.isin for x in mobile if isinstance(x, Listing) and x.isin} >= {"HK0941009539", "US16941M1099"}
    assert any(isinstance(x, Listing) and (x.mic, x.ticker) == ("XHKG", "941") for x in mobile)
    assert "HK0941009539" in ents["ofac:30923"].identifiers["isin"]  # issuer China Mobile Limited
    hik = of(recs, Listing, "ofac:30946")
    assert any(isinstance(x, Listing) and (x.mic, x.ticker) == ("XSHE", "002415") for x in hik)
    # Dawning: the issuer named is "Sugon Information Industry": a listing, not an identifier
    assert "isin" not in ents["ofac:33113"].identifiers
    assert any(isinstance(x, Listing) and x.isin == "CNE100001TW7" for x in of(recs, Listing, "ofac:33113"))
    # "Equity Ticker 603019CN" (no space) is still read
    assert any(isinstance(x, Listing) and x.ticker == "603019" for x in of(recs, Listing, "ofac:33113"))


def test_pitfalls_crlf_ctrl_z_and_null(cons: tuple[list[Record], list[InputError]]) -> None:
    raw = CONS.read_bytes()
    assert raw.endswith(b"\r\n\x1a") and b"-0- ," in raw  # the real file has all three
    recs, errs = cons
    assert all(e.line != 443 for e in errs)  # no bogus row from the Ctrl-Z line
    e = entities(recs)["ofac:33114"]
    assert all("-0-" not in x for x in (e.name, *e.aliases, *e.notes))
    assert all("\r" not in n and "\x1a" not in n for ent in entities(recs).values() for n in ent.notes)
    assert entities(recs)["ofac:9639"].kind == "person"


def test_remarks_continued_in_comments(cons: tuple[list[Record], list[InputError]]) -> None:
    recs, _ = cons
    ents = entities(recs)
    # prim remarks end in "Registration Numbe", the comments file continues "r 1027700342890 (Russia)"
    assert ents["ofac:17014"].identifiers["registration"] == ("RU:1027700342890",)
    assert "RUSAG" in ents["ofac:17014"].aliases
    # cut inside "... (USCC) 91110000710934369E " + "(China); a.k.a. 'CCCC'."
    assert ents["ofac:30930"].identifiers["registration"] == ("CN:91110000710934369E",)
    assert "CCCC" in ents["ofac:30930"].aliases


def test_linked_to_claims(cons: tuple[list[Record], list[InputError]]) -> None:
    recs, _ = cons
    claims = [r for r in recs if isinstance(r, Claim)]
    assert len(claims) == 283 and {c.relation for c in claims} == {"linked to"}
    names = {(c.subject_id, c.name) for c in claims}
    # a name that ends the remarks keeps its own full stop, not the remarks' one
    assert ("ofac:30923", "CHINA MOBILE COMMUNICATIONS GROUP CO., LTD.") in names
    assert ("ofac:9647", "HAMAS") in names
    assert collections.Counter(c.name for c in claims)["PUBLIC JOINT STOCK COMPANY GAZPROM"] == 51


def test_real_data_problems_are_located(cons: tuple[list[Record], list[InputError]]) -> None:
    _recs, errs = cons
    assert len(errs) == 5
    assert all(e.file == str(CONS) and isinstance(e.line, int) and e.field == "Remarks" for e in errs)
    bad_isins = {e.value for e in errs if "ISIN" in e.reason}
    assert bad_isins == {"ISIN BRC1EODR004", "ISIN CND10002K094", "ISIN CND10002G601"}
    shared = [e for e in errs if "also given for OFAC entity" in e.reason]
    assert {e.line for e in shared} == {84, 275}  # 17017 BM BANK JSC and 20002 (Kyiv)


def test_shared_registration_does_not_merge(cons: tuple[list[Record], list[InputError]]) -> None:
    ents = entities(cons[0])
    for eid in ("ofac:17017", "ofac:20002"):
        assert "RU:1027700159497" not in ents[eid].identifiers.get("registration", ())
        assert any("1027700159497" in n for n in ents[eid].notes)


def test_sdn_file() -> None:
    recs, errs = split(list(parse_ofac_csv(SDN)))
    ents = entities(recs)
    assert len(ents) == 17
    kinds = collections.Counter(e.kind for e in ents.values())
    assert kinds == {"person": 4, "company": 7, "vessel": 4, "aircraft": 2}
    des = [r for r in recs if isinstance(r, Designation)]
    assert {d.regime for d in des if d.entity_id == "ofac:28603"} == {"ofac-sdn", "ofac-ssi"}
    assert all(d.regime == "ofac-sdn" for d in des if d.entity_id != "ofac:28603")
    assert ents["ofac:19709"].identifiers["registration"] == ("GB:03632365",)  # "UK Company Number"
    assert ents["ofac:44525"].identifiers["registration"] == ("US:0582030", "US:M99000000961")
    assert ents["ofac:50972"].jurisdiction == "CK"  # vessel flag Cook Islands
    # comments continue 33151's remarks: LEI and Czech company number are at the end
    assert ents["ofac:33151"].identifiers["lei"] == ("5299007NTWCC3U23WM81",)
    assert ents["ofac:33151"].identifiers["registration"] == ("CZ:07486049",)
    claims = {(c.subject_id, c.name) for c in recs if isinstance(c, Claim)}
    assert ("ofac:52327", "BRECALIN HONG KONG CO LTD") in claims
    assert ("ofac:11195", "ISLAMIC REVOLUTIONARY GUARD CORPS") in claims
    # the test set's add/alt files hold rows of parties outside its prim file: reported, located
    assert errs and all("not in watchman_ofactest_sdn.csv" in e.reason and e.field == "ent_num" for e in errs)


# -- files, siblings and detection ----------------------------------------------------------------


def test_siblings_both_naming_schemes() -> None:
    assert {k: p.name for k, p in find_siblings(CONS).items()} == {
        "add": "watchman_cons_add.csv",
        "alt": "watchman_cons_alt.csv",
        "comments": "watchman_cons_comments.csv",
    }
    assert {k: p.name for k, p in find_siblings(PACKAGED / "cons_prim.csv").items()} == {
        "add": "cons_add.csv",
        "alt": "cons_alt.csv",
        "comments": "cons_comments.csv",
    }
    assert {k: p.name for k, p in find_siblings(SDN).items()} == {
        "add": "watchman_ofactest_add.csv",
        "alt": "watchman_ofactest_alt.csv",
        "comments": "watchman_ofactest_sdn_comments.csv",
    }


def test_packaged_copy_loads_the_same(cons: tuple[list[Record], list[InputError]]) -> None:
    recs, errs = split(list(parse_ofac_csv(PACKAGED)))  # the folder: one load of four files
    assert len(recs) == len(cons[0]) and len(errs) == len(cons[1])
    assert entities(recs)["ofac:33114"] == entities(cons[0])["ofac:33114"].model_copy(
        update={"sources": ("OFAC Consolidated (non-SDN) list (cons_prim.csv)",)}
    )


def test_detection() -> None:
    assert detect_format(CONS) == "ofac-csv"
    assert detect_format(SDN) == "ofac-csv"
    assert detect_format(PACKAGED) == "ofac-csv"
    assert detect_format(XML) == "ofac-xml"
    with pytest.raises(FormatError):
        detect_format(OFAC / "watchman_cons_alt.csv")  # a sibling is not loaded on its own


def test_bad_rows_are_yielded_located(tmp_path: Path) -> None:
    nulls = b"-0- ," * 7
    rows = [
        b'1,"GOOD CO",-0- ,"CMIC-EO13959",' + nulls + b'"Listing Date (CMIC) 10-Dec-2021."',
        b'2,"SHORT ROW",-0- ,"SDGT"',
        b'x3,"BAD NUMBER",-0- ,"SDGT",' + nulls + b"-0- ",
        b'4,"BAD DATE",-0- ,"CMIC-EO13959",' + nulls + b'"Listing Date (CMIC) 31 Feb 2021."',
        b'1,"DUPLICATE",-0- ,"SDGT",' + nulls + b"-0- ",
    ]
    (tmp_path / "cons_prim.csv").write_bytes(b"\r\n".join(rows) + b"\r\n\x1a")
    (tmp_path / "cons_alt.csv").write_bytes(b'99,1,"aka","NOBODY",-0- \r\n\x1a')
    recs, errs = split(list(parse_ofac_csv(tmp_path / "cons_prim.csv")))
    prim = str(tmp_path / "cons_prim.csv")
    got = {(e.file, e.line, e.field) for e in errs}
    assert got == {
        (prim, 2, "row"),
        (prim, 3, "ent_num"),
        (prim, 4, "Remarks"),
        (prim, 5, "ent_num"),
        (str(tmp_path / "cons_alt.csv"), 1, "ent_num"),
    }
    assert all(e.fix for e in errs)
    des = {d.entity_id: d for d in recs if isinstance(d, Designation)}
    assert des["ofac:1"].listed == dt.date(2021, 12, 10)  # 10-Dec-2021 form
    assert des["ofac:4"].listed is None  # the bad date is reported, the party still loads


def test_not_a_prim_file(tmp_path: Path) -> None:
    p = tmp_path / "other.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(FormatError):
        list(LOADERS["ofac-csv"].parse(p))
    with pytest.raises(FormatError):
        list(parse_ofac_csv(tmp_path))  # a folder without prim files


def test_dates() -> None:
    assert parse_ofac_date("10 Dec 2021") == parse_ofac_date("10-Dec-2021") == dt.date(2021, 12, 10)
    with pytest.raises(InputError):
        parse_ofac_date("circa 1955")


# -- advanced XML --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xml() -> tuple[list[Record], list[InputError]]:
    return split(list(parse_ofac_xml(XML)))


def test_xml_counts(xml: tuple[list[Record], list[InputError]]) -> None:
    recs, errs = xml
    assert errs == []
    assert collections.Counter(type(r).__name__ for r in recs) == {
        "Entity": 375,
        "Designation": 384,
        "Ownership": 276,
    }
    des = [r for r in recs if isinstance(r, Designation)]
    assert collections.Counter(d.regime for d in des) == {"ofac-ssi": 290, "info": 85, "ofac-sdn": 9}
    assert not any(d.list == "Consolidated List" for d in des)


def test_xml_ownership_direction(xml: tuple[list[Record], list[InputError]]) -> None:
    recs, _ = xml
    own = [r for r in recs if isinstance(r, Ownership)]
    assert {o.kind for o in own} == {"shares"} and not any(o.share.known for o in own)
    # ProfileRelationship 2211: From 18267 (Orenburgneft) "Owned or Controlled By" To 17022 (Rosneft)
    [o] = [o for o in own if o.owned_id == "ofac:18267"]
    assert o.owner_id == "ofac:17022" and o.source is not None and "Owned or Controlled By" in o.source
    ents = entities(recs)
    assert ents["ofac:17022"].identifiers["registration"] == ("RU:1027700043502",)
    assert ents["ofac:9639"].name == "HANIYA, Ismail Abdul Salah" and ents["ofac:9639"].kind == "person"
    [d] = [d for d in recs if isinstance(d, Designation) and d.entity_id == "ofac:18267"]
    assert (d.regime, d.program, d.listed) == ("ofac-ssi", "UKRAINE-EO13662", dt.date(2015, 7, 30))


def test_xml_refuses_entities(tmp_path: Path) -> None:
    p = tmp_path / "evil.xml"
    p.write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
        '<Sanctions xmlns="http://www.un.org/sanctions/1.0">&a;</Sanctions>'
    )
    with pytest.raises(FormatError):
        list(parse_ofac_xml(p))
    q = tmp_path / "broken.xml"
    shutil.copy(XML, q)
    q.write_bytes(q.read_bytes()[:50000])
    with pytest.raises(FormatError):
        list(parse_ofac_xml(q))


def test_a_changed_sibling_file_is_a_new_load(tmp_path: Path) -> None:
    """The load's sha256 covers prim, add, alt and comments: editing one sibling is not 'already loaded'."""
    import ownergraph

    src = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ofac"
    for name in (
        "watchman_cons_prim.csv",
        "watchman_cons_add.csv",
        "watchman_cons_alt.csv",
        "watchman_cons_comments.csv",
    ):
        shutil.copy(src / name, tmp_path / name)
    ws = ownergraph.open(tmp_path / "ws")
    first = ws.load([tmp_path / "watchman_cons_prim.csv"])[0]
    assert not first.already_loaded and first.added > 0
    assert ws.load([tmp_path / "watchman_cons_prim.csv"])[0].already_loaded
    with open(tmp_path / "watchman_cons_alt.csv", "ab") as f:
        f.write(b'33114,99999,"aka","SENSETIME TEST ALIAS",-0-\r\n')
    again = ws.load([tmp_path / "watchman_cons_prim.csv"])[0]
    assert not again.already_loaded
    ws.close()
