"""Wikidata loader: the real person entity in ``../shared/data/wikidata`` (structure), and a
company fixture.

``tests/fixtures/wikidata_company.json`` is CONSTRUCTED, not real: no real Wikidata company entity
with P127/P355/P749/P414/P1278/P946 was available (see the data folder's SOURCES.md). It follows
the documented Wikibase JSON structure exactly (``wbgetentities`` response, statements with
``mainsnak``/``qualifiers``/``qualifiers-order``/``id``/``rank``), uses QIDs in the Q900000000
range for its made-up items (real QIDs only for exchanges and classes: Q496672 HKEX, Q13677
NYSE, Q82059 Nasdaq, Q891723 public company, Q219577 holding company), a made-up LEI and ISINs
with correct check digits, and one malformed of each.
"""

from __future__ import annotations

import csv
import gzip
import json
from decimal import Decimal
from pathlib import Path

import pytest

from ownergraph.errors import InputError
from ownergraph.graph.model import Entity, Listing, Ownership, Record
from ownergraph.graph.workspace import Workspace
from ownergraph.loaders.base import Item, detect_format
from ownergraph.loaders.wikidata import EXCHANGE_MIC, parse_wikidata, wikidata_date

ROOT = Path(__file__).parents[2]
PERSON = (
    ROOT / ".." / "shared" / "data" / "wikidata" / "nomenklatura_wbgetentities_Q22682071_Kirill_Shamalov.json"
)
MIC_CSV = ROOT / ".." / "shared" / "data" / "iso10383_mic" / "ISO10383_MIC.csv"
COMPANY = ROOT / "tests" / "fixtures" / "wikidata_company.json"
Q1, Q2 = "wd:Q900000001", "wd:Q900000002"


def split(items: list[Item]) -> tuple[list[Record], list[InputError]]:
    return [i[0] for i in items if not isinstance(i, InputError)], [
        i for i in items if isinstance(i, InputError)
    ]


def entities(recs: list[Record]) -> dict[str, Entity]:
    return {r.id: r for r in recs if isinstance(r, Entity)}


def edges(recs: list[Record]) -> list[Ownership]:
    return [r for r in recs if isinstance(r, Ownership)]


@pytest.fixture(scope="module")
def company() -> tuple[list[Record], list[InputError]]:
    return split(list(parse_wikidata(COMPANY)))


# -- the real file -------------------------------------------------------------------------------


def test_real_person_entity() -> None:
    assert detect_format(PERSON) == "wikidata"
    recs, errs = split(list(parse_wikidata(PERSON)))
    assert errs == []
    (e,) = recs  # employer, spouse, ... are not ownership: nothing is referenced, no stubs
    assert isinstance(e, Entity)
    assert e.id == "wd:Q22682071" and e.name == "Kirill Shamalov" and e.kind == "person"
    assert e.aliases == ("Kirill Nikolaevich Shamalov",)
    assert e.identifiers == {"wikidata": ("Q22682071",)}
    assert e.incorporated is None  # P569 is a birth date, and persons get no P571
    assert e.sources == ("Wikidata Q22682071 revision 2483686414",)


def test_real_statement_structure() -> None:
    data = json.loads(PERSON.read_text(encoding="utf-8"))
    claims = data["entities"]["Q22682071"]["claims"]
    (employer,) = claims["P108"]
    start = employer["qualifiers"]["P580"][0]["datavalue"]["value"]
    assert start["time"] == "+2008-00-00T00:00:00Z" and start["precision"] == 9
    assert str(wikidata_date(start)) == "2008-01-01"
    (child,) = claims["P40"]  # a real somevalue snak: no datavalue
    assert child["mainsnak"]["snaktype"] == "somevalue" and "datavalue" not in child["mainsnak"]


# -- the constructed company ---------------------------------------------------------------------


def test_company_entity(company: tuple[list[Record], list[InputError]]) -> None:
    e = entities(company[0])[Q1]
    assert e.name == "Example Robotics Group"
    assert e.kind == "company"
    assert e.aliases == ("Example Robotics", "ERG", "示例机器人集团")
    assert e.identifiers == {
        "isin": ("KYG0000EX013",),
        "lei": ("529900EXAMPLE0000170",),
        "wikidata": ("Q900000001",),
    }
    assert e.incorporated is not None and e.incorporated.isoformat() == "2014-10-15"
    assert "listed on Wikidata exchange Q900000077 (no MIC known), ticker EXR" in e.notes
    parent = entities(company[0])[Q2]
    assert parent.name == "Beispiel Mutter Holding"  # no English label: any language
    assert "Wikidata: no parent (P749 'no value')" in parent.notes


def test_company_rejects(company: tuple[list[Record], list[InputError]]) -> None:
    errs = company[1]
    assert [(e.field, e.value) for e in errs] == [
        ("P1278", "NOT-A-LEI"),
        ("P946", "KYG0000EX019"),
        ("P1107", "+1.5"),
        (None, "Q900000005"),
    ]
    assert all(e.file == str(COMPANY) and e.line for e in errs)
    assert errs[2].line == "Q900000001$00000000-0000-4000-8000-000000000010"


def test_owned_by_with_proportion_and_dates(company: tuple[list[Record], list[InputError]]) -> None:
    shares = {(o.owner_id, o.owned_id): o for o in edges(company[0]) if o.kind == "shares"}
    big = shares[(Q2, Q1)]
    assert str(big.share) == "49" and big.start is not None and big.start.isoformat() == "2008-01-01"
    small = shares[("wd:Q900000003", Q1)]  # unit percent (Q11229), month precision
    assert str(small.share) == "15" and small.start is not None and small.start.isoformat() == "2014-10-01"
    unknown = [o for (owner, _), o in shares.items() if owner.startswith("wd:Q900000001$")]
    assert len(unknown) == 1 and str(unknown[0].share) == "unknown"
    assert entities(company[0])[unknown[0].owner_id].kind == "unknown"
    # deprecated (Q900000009) and rejected (Q900000008) statements leave no edge and no stub
    ids = entities(company[0])
    assert "wd:Q900000009" not in ids and "wd:Q900000008" not in ids
    assert len(shares) == 3


def test_parent_and_subsidiary_are_control(company: tuple[list[Record], list[InputError]]) -> None:
    control = [o for o in edges(company[0]) if o.kind == "control"]
    assert sorted((o.owner_id, o.owned_id, str(o.end)) for o in control) == [
        (Q2, Q1, "2020-06-15"),  # P749 on the subsidiary, ended
        (Q2, Q1, "None"),  # P355 on the parent
        (Q2, "wd:Q900000004", "None"),
    ]


def test_listings(company: tuple[list[Record], list[InputError]]) -> None:
    lst = sorted((r for r in company[0] if isinstance(r, Listing)), key=lambda r: r.mic or "")
    assert [(r.mic, r.ticker, str(r.listed)) for r in lst] == [
        ("XHKG", "0020", "2021-12-30"),
        ("XNYS", "EXRG", "None"),
    ]
    assert lst[0].source == "Wikidata P414 stock exchange Q496672"
    # the deprecated Nasdaq listing is skipped
    assert all(r.ticker != "OLD" for r in lst)


def test_stubs_for_referenced_items(company: tuple[list[Record], list[InputError]]) -> None:
    ids = entities(company[0])
    for qid in ("Q900000003", "Q900000004"):
        stub = ids[f"wd:{qid}"]
        assert stub.name == qid and stub.kind == "unknown" and stub.identifiers == {"wikidata": (qid,)}
    assert len(ids) == 2 + 1 + 2  # two items, the unknown owner, two stubs


def test_every_edge_endpoint_is_an_entity(company: tuple[list[Record], list[InputError]]) -> None:
    ids = entities(company[0])
    for o in edges(company[0]):
        assert o.owner_id in ids and o.owned_id in ids


def test_dump_lines_give_the_same_records(
    tmp_path: Path, company: tuple[list[Record], list[InputError]]
) -> None:
    data = json.loads(COMPANY.read_text(encoding="utf-8"))
    items = [e for e in data["entities"].values() if "missing" not in e]
    lines = ["["] + [json.dumps(e, ensure_ascii=False) + "," for e in items[:-1]]
    lines += [json.dumps(items[-1], ensure_ascii=False), "]"]
    dump = tmp_path / "latest-all.json"
    dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert detect_format(dump) == "wikidata"
    recs, errs = split(list(parse_wikidata(dump)))
    assert len(errs) == 3  # the three bad statements; the missing entity is not in a dump
    assert sorted(map(repr, recs)) == sorted(map(repr, company[0]))
    packed = tmp_path / "latest-all.json.gz"
    packed.write_bytes(gzip.compress(dump.read_bytes()))
    recs_gz, _ = split(list(parse_wikidata(packed)))
    assert sorted(map(repr, recs_gz)) == sorted(map(repr, recs))


def test_malformed_line_is_reported_and_skipped(tmp_path: Path) -> None:
    person = json.loads(PERSON.read_text(encoding="utf-8"))["entities"]["Q22682071"]
    path = tmp_path / "lines.json"
    path.write_text(
        "[\n" + json.dumps(person) + ',\n{"type": "item", "id": "Q1", "labels": {}, "claims": {\n]\n',
        encoding="utf-8",
    )
    recs, errs = split(list(parse_wikidata(path)))
    assert [e.line for e in errs] == [3]
    assert [r.id for r in recs if isinstance(r, Entity)] == ["wd:Q22682071"]


def test_share_outside_proportion_is_not_a_share() -> None:
    assert wikidata_date({"time": "-0500-00-00T00:00:00Z", "precision": 9}) is None
    assert wikidata_date({"time": "+2020-02-30T00:00:00Z", "precision": 11}) is None
    assert Decimal("0.49") * 100 == Decimal("49.00")


def test_exchange_table_mics_are_active_in_the_iso_register() -> None:
    with open(MIC_CSV, encoding="utf-8-sig", newline="") as f:
        active = {r["MIC"] for r in csv.DictReader(f) if r["STATUS"] == "ACTIVE"}
    assert set(EXCHANGE_MIC.values()) <= active


def test_workspace_load_leaves_nothing_dangling(ws: Workspace) -> None:
    (report,) = ws.load([COMPANY])
    assert report.format == "wikidata"
    assert report.rejected == 4  # the four bad records above; no dangling edge
    assert ws.tables()["listings"].num_rows == 2
