"""The records of SPEC §4: validation at the boundary, with errors that name field and value."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from ownergraph.errors import DateError, InputError
from ownergraph.graph.model import (
    REGIME_IDS,
    STRONG_SCHEMES,
    Designation,
    Entity,
    Holding,
    Listing,
    Ownership,
    SameAs,
    Venue,
    isin_check_digit,
    normalize_identifier,
    parse_date,
)
from ownergraph.graph.shares import parse_share
from ownergraph.loaders.base import make_record

LEI = "529900T8BM49AURSDO55"


def reject(type_: str, data: dict[str, Any]) -> InputError:
    """Validate through the loader path and return the located error."""
    out = make_record(type_, data, file="f.csv", line=7)
    assert isinstance(out, InputError), f"accepted: {out!r}"
    assert "f.csv:line 7" in str(out)
    return out


# -- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-12-10", dt.date(2021, 12, 10)),
        ("2016-03", dt.date(2016, 3, 1)),
        ("2019", dt.date(2019, 1, 1)),
        ("2021-12-10T08:30:00Z", dt.date(2021, 12, 10)),
        ("2021-12-10T08:30:00.123+08:00", dt.date(2021, 12, 10)),
        ("2021-12-10 08:30", dt.date(2021, 12, 10)),
        (" 2021-12-10 ", dt.date(2021, 12, 10)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("", None),
        ("   ", None),
        (None, None),
        (dt.datetime(2021, 12, 10, 23, 59), dt.date(2021, 12, 10)),
        (dt.date(2021, 12, 10), dt.date(2021, 12, 10)),
    ],
)
def test_parse_date(text: Any, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10/12/2021", "not an ISO date"),
        ("20211210", "not an ISO date"),
        ("yesterday", "not an ISO date"),
        ("2021-1-5", "not an ISO date"),
        ("2021-12-10X", "not an ISO date"),
        ("21-12-10", "not an ISO date"),
        ("2021-13-01", "no such date"),
        ("2021-02-30", "no such date"),
        ("2023-02-29", "no such date"),
        ("2021-00", "no such date"),
    ],
)
def test_bad_dates_name_field_and_value(text: str, reason: str) -> None:
    with pytest.raises(DateError) as info:
        parse_date(text, field="start")
    assert info.value.reason == reason
    assert info.value.field == "start" and info.value.value == text
    assert f"field 'start' = {text!r}" in str(info.value)


def test_bad_date_in_a_record_is_located() -> None:
    e = reject("ownership", {"owner_id": "a", "owned_id": "b", "start": "2021-02-30"})
    assert isinstance(e, DateError)
    assert e.field == "start" and e.value == "2021-02-30"


def test_dates_on_records() -> None:
    o = Ownership(owner_id="a", owned_id="b", start="2020", end="2021-06")
    assert (o.start, o.end) == (dt.date(2020, 1, 1), dt.date(2021, 6, 1))
    e = Entity(id="x", name="X", incorporated="2014-10-15T00:00:00")
    assert e.incorporated == dt.date(2014, 10, 15) and e.dissolved is None


# -- entities --------------------------------------------------------------------------------


def test_entity_defaults_and_normalisation() -> None:
    e = Entity(id=" a ", name=" Acme ", jurisdiction=" hk ", kind="COMPANY", aliases="A; Acme Co;;A")
    assert (e.id, e.name, e.jurisdiction, e.kind) == ("a", "Acme", "HK", "company")
    assert e.aliases == ("A", "Acme Co")
    assert Entity(id="a", name="A", kind="").kind == "company"
    assert Entity(id="a", name="A", jurisdiction="").jurisdiction is None
    assert Entity(id="a", name="A", jurisdiction="us-de").jurisdiction == "US-DE"


@pytest.mark.parametrize("jur", ["Hong Kong", "HKG", "H", "1A", "U$"])
def test_bad_jurisdiction(jur: str) -> None:
    e = reject("entity", {"id": "a", "name": "A", "jurisdiction": jur})
    assert e.field == "jurisdiction"
    assert "ISO 3166" in e.reason
    assert e.value == jur.strip().upper()


def test_entity_needs_id_name_and_a_known_kind() -> None:
    assert reject("entity", {"id": "a", "name": ""}).field == "name"
    assert reject("entity", {"name": "A"}).field == "id"
    e = reject("entity", {"id": "a", "name": "A", "kind": "spaceship"})
    assert e.field == "kind" and e.value == "spaceship"
    for kind in ("person", "fund", "government", "organization", "vessel", "aircraft", "unknown"):
        assert Entity(id="a", name="A", kind=kind).kind == kind


def test_records_are_frozen_and_strict() -> None:
    e = Entity(id="a", name="A")
    with pytest.raises(ValidationError):
        e.name = "B"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        Entity(id="a", name="A", colour="red")  # type: ignore[call-arg]


# -- identifiers -----------------------------------------------------------------------------


def test_identifiers_string_form_splits_at_the_first_colon() -> None:
    e = Entity(
        id="a",
        name="A",
        identifiers=f"lei:{LEI.lower()};registration:hk:2162198; wikidata:q42 ;cik:0001;isin:US0378331005",
    )
    assert e.identifiers == {
        "cik": ("0001",),
        "isin": ("US0378331005",),
        "lei": (LEI,),
        "registration": ("HK:2162198",),
        "wikidata": ("Q42",),
    }


def test_identifiers_mapping_and_list_forms() -> None:
    a = Entity(id="a", name="A", identifiers={"lei": LEI, "registration": ["HK:2162198", "HK:2162198"]})
    b = Entity(id="a", name="A", identifiers=[f"lei:{LEI}", ("registration", "HK:2162198")])
    assert a.identifiers == b.identifiers == {"lei": (LEI,), "registration": ("HK:2162198",)}
    assert Entity(id="a", name="A", identifiers="").identifiers == {}


def test_strong_keys_leave_out_cik_and_cusip() -> None:
    e = Entity(id="a", name="A", identifiers=f"lei:{LEI};cik:320193;cusip:037833100;ofac:33114")
    assert e.strong_keys() == ["a", f"lei:{LEI}", "ofac:33114"]
    assert "cik" not in STRONG_SCHEMES and "cusip" not in STRONG_SCHEMES
    assert set(STRONG_SCHEMES) == {"lei", "registration", "isin", "ofac", "opensanctions", "wikidata"}


@pytest.mark.parametrize(
    ("body", "digit"),
    [("US037833100", 5), ("AU0000XVGZA", 3), ("GB000263494", 6), ("US594918104", 5)],
)
def test_isin_check_digit(body: str, digit: int) -> None:
    assert isin_check_digit(body) == digit
    assert normalize_identifier("isin", f"{body.lower()}{digit}") == ("isin", f"{body}{digit}")


@pytest.mark.parametrize(
    ("ident", "reason"),
    [
        ("isin:US0378331006", "check digit"),
        ("isin:US03783310", "check digit"),
        ("isin:0U0378331005", "check digit"),
        ("lei:529900T8BM49AURSDO5", "LEI"),
        ("lei:529900T8BM49AURSDOXX", "LEI"),
        ("registration:2162198", "country code"),
        ("registration:HKG:2162198", "country code"),
        ("registration:HK:", "country code"),
        ("lei:", "scheme:value"),
        ("2162198", "without a scheme"),
    ],
)
def test_bad_identifiers_name_the_value(ident: str, reason: str) -> None:
    e = reject("entity", {"id": "a", "name": "A", "identifiers": ident})
    assert reason in e.reason
    assert e.field == "identifiers"
    assert str(e.value).lower().startswith(ident.split(":")[0].lower())


# -- ownership ---------------------------------------------------------------------------------


def test_ownership_defaults() -> None:
    o = Ownership(owner_id="a", owned_id="b")
    assert o.kind == "shares" and o.share == parse_share("unknown")
    assert o.arrangement is None and o.start is None and o.end is None
    o = Ownership(owner_id="a", owned_id="b", share="(25,50]", kind=" VOTES ", arrangement="")
    assert (str(o.share), o.kind, o.arrangement) == ("(25,50]", "votes", None)
    for kind in ("shares", "votes", "board", "control", "consolidation"):
        assert Ownership(owner_id="a", owned_id="b", kind=kind).kind == kind


def test_self_ownership_rejected() -> None:
    e = reject("ownership", {"owner_id": "acme", "owned_id": " acme ", "share": "10"})
    assert "cannot own itself" in e.reason
    assert e.field == "owned_id" and e.value == "acme"


def test_end_before_start_rejected_and_same_day_allowed() -> None:
    e = reject("ownership", {"owner_id": "a", "owned_id": "b", "start": "2021-05-02", "end": "2021-05-01"})
    assert "end before start" in e.reason and e.field == "end" and e.value == "2021-05-01"
    o = Ownership(owner_id="a", owned_id="b", start="2021-05-01", end="2021-05-01")
    assert o.start == o.end


def test_bad_share_in_a_record_names_the_value() -> None:
    e = reject("ownership", {"owner_id": "a", "owned_id": "b", "share": "(60,40]"})
    assert "inverted" in e.reason and e.value == "(60,40]"
    assert "'(60,40]'" in str(e)
    e = reject("ownership", {"owner_id": "a", "owned_id": "b", "share": "150%"})
    assert "outside 0–100" in e.reason and e.value == "150%"


def test_bad_ownership_kind() -> None:
    e = reject("ownership", {"owner_id": "a", "owned_id": "b", "kind": "friendship"})
    assert e.field == "kind" and e.value == "friendship"


# -- venues, listings, designations, holdings, same-as ---------------------------------------


def test_venue_mic() -> None:
    assert Venue(mic=" xhkg ").mic == "XHKG"
    assert reject("venue", {"mic": "XHK"}).field == "mic"


def test_listing_needs_mic_or_isin_and_checks_both() -> None:
    assert Listing(entity_id="a", mic="XHKG", ticker="0020").mic == "XHKG"
    assert Listing(entity_id="a", isin="US0378331005").isin == "US0378331005"
    assert "needs a mic or an isin" in reject("listing", {"entity_id": "a", "ticker": "0020"}).reason
    assert "MIC" in reject("listing", {"entity_id": "a", "mic": "HKEX1"}).reason
    assert "check digit" in reject("listing", {"entity_id": "a", "isin": "US0378331006"}).reason


def test_designation_regimes() -> None:
    d = Designation(entity_id="a", regime=" OFAC-NS-CMIC ", listed="2021-12-10")
    assert d.regime == "ofac-ns-cmic" and d.listed == dt.date(2021, 12, 10)
    for r in REGIME_IDS:
        assert Designation(entity_id="a", regime=r).regime == r
    e = reject("designation", {"entity_id": "a", "regime": "OFAC-XYZ"})
    assert e.field == "regime" and e.value == "ofac-xyz"
    assert "unknown regime" in e.reason and "ofac-sdn" in str(e)
    assert reject("designation", {"entity_id": "a", "regime": ""}).field == "regime"


def test_holding_needs_a_target() -> None:
    h = Holding(holder_id="fund", isin="US0378331005", shares="", value="12.5", weight=None)
    assert (h.shares, h.value, h.weight) == (None, 12.5, None)
    assert "needs entity_id, isin or cusip" in reject("holding", {"holder_id": "fund"}).reason


def test_sameas_and_unknown_record_type() -> None:
    s = SameAs(id_a="a", id_b="b")
    assert (s.id_a, s.id_b, s.type) == ("a", "b", "sameas")
    e = make_record("company", {"id": "a"}, file="f.jsonl", line=3)
    assert isinstance(e, InputError) and e.field == "type" and e.value == "company"
