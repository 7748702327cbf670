"""Shares: every syntax of SPEC §4, every rejection, exact ppm arithmetic, round trips."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ownergraph.errors import InputError, ShareError
from ownergraph.graph.shares import PPM, Share, format_ppm, parse_share, pct_to_ppm


@pytest.mark.parametrize(
    ("text", "lo", "hi", "lo_open", "hi_open", "printed"),
    [
        ("50", 500_000, 500_000, False, False, "50"),
        ("50%", 500_000, 500_000, False, False, "50"),
        (" 50 % ", 500_000, 500_000, False, False, "50"),
        ("12.5", 125_000, 125_000, False, False, "12.5"),
        ("0.0001", 1, 1, False, False, "0.0001"),
        (".5", 5_000, 5_000, False, False, "0.5"),
        ("0", 0, 0, False, False, "0"),
        ("100", PPM, PPM, False, False, "100"),
        ("25-50", 250_000, 500_000, False, False, "[25,50]"),
        ("25%-50%", 250_000, 500_000, False, False, "[25,50]"),
        ("25 to 50", 250_000, 500_000, False, False, "[25,50]"),
        ("25–50", 250_000, 500_000, False, False, "[25,50]"),
        ("(25,50]", 250_000, 500_000, True, False, "(25,50]"),
        ("[75,100)", 750_000, PPM, False, True, "[75,100)"),
        ("(25,50)", 250_000, 500_000, True, True, "(25,50)"),
        ("[25,50]", 250_000, 500_000, False, False, "[25,50]"),
        ("[50,50]", 500_000, 500_000, False, False, "50"),
        (">50", 500_000, PPM, True, False, "(50,100]"),
        (">=50", 500_000, PPM, False, False, "[50,100]"),
        ("≥50", 500_000, PPM, False, False, "[50,100]"),
        ("<25", 0, 250_000, False, True, "[0,25)"),
        ("<=25", 0, 250_000, False, False, "[0,25]"),
    ],
)
def test_share_syntax(text: str, lo: int, hi: int, lo_open: bool, hi_open: bool, printed: str) -> None:
    s = parse_share(text)
    assert (s.lo, s.hi, s.lo_open, s.hi_open, s.known) == (lo, hi, lo_open, hi_open, True)
    assert str(s) == printed
    assert parse_share(printed) == s


@pytest.mark.parametrize("text", ["", "  ", "unknown", "UNKNOWN", "?", "n/a", "undisclosed", "-", None])
def test_unknown_share(text: str | None) -> None:
    s = parse_share(text)
    assert s == Share.unknown()
    assert not s.known and str(s) == "unknown"
    assert (s.min_pct, s.max_pct) == (None, None)
    # an unknown share behaves as [0, 100] in the fixpoints but is not the same as [0,100]
    assert (s.lo, s.hi) == (0, PPM)
    assert s != parse_share("[0,100]")


def test_numbers_and_share_instances() -> None:
    assert parse_share(50) == parse_share("50")
    assert parse_share(12.5) == parse_share("12.5")
    assert parse_share(Decimal("33.3333")).lo == 333_333
    s = parse_share("(25,50]")
    assert parse_share(s) is s


def test_open_bounds_decide_the_50_percent_boundary() -> None:
    assert parse_share(">50").lo_open and not parse_share(">=50").lo_open
    assert parse_share(">50").lo == parse_share(">=50").lo == 500_000
    assert parse_share("50").is_exact and not parse_share(">=50").is_exact
    assert not Share.unknown().is_exact


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("101", "outside 0–100"),
        ("100.5", "outside 0–100"),
        ("-5", "outside 0–100"),
        ("-0.1%", "outside 0–100"),
        ("(25,150]", "outside 0–100"),
        ("25-101", "outside 0–100"),
        (">=100.01", "outside 0–100"),
        ("50-25", "inverted or empty"),
        ("(50,25]", "inverted or empty"),
        ("(50,50]", "inverted or empty"),
        ("[50,50)", "inverted or empty"),
        ("(0,0)", "inverted or empty"),
        (">100", "inverted or empty"),
        ("<0", "inverted or empty"),
        ("abc", "not a share"),
        ("1e2", "not a share"),
        ("fifty", "not a share"),
        ("(25,50", "not a share"),
        ("25,50", "not a share"),
        ("50%%", "not a share"),
        ("25-50-75", "not a share"),
        ("nan", "not a share"),
    ],
)
def test_share_rejections_name_the_value(text: str, reason: str) -> None:
    with pytest.raises(ShareError) as info:
        parse_share(text)
    e = info.value
    assert isinstance(e, InputError) and isinstance(e, ValueError)
    assert reason in e.reason
    assert e.value == text
    assert repr(text) in str(e)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1, 100.01])
def test_numeric_rejections(value: float) -> None:
    with pytest.raises(ShareError):
        parse_share(value)


def test_share_model_rejects_bad_intervals_directly() -> None:
    with pytest.raises(ValueError, match="inverted or empty interval"):
        Share(lo=600_000, hi=500_000)
    with pytest.raises(ValueError, match="outside 0–100"):
        Share(lo=0, hi=PPM + 1)
    with pytest.raises(ValueError, match="inverted or empty interval"):
        Share(lo=5, hi=5, lo_open=True)


def test_share_is_frozen() -> None:
    s = parse_share("50")
    with pytest.raises(ValueError):
        s.lo = 0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("ppm", "text"),
    [
        (0, "0"),
        (1, "0.0001"),
        (10, "0.001"),
        (500_000, "50"),
        (505_000, "50.5"),
        (PPM, "100"),
        (333_333, "33.3333"),
    ],
)
def test_format_ppm(ppm: int, text: str) -> None:
    assert format_ppm(ppm) == text
    assert pct_to_ppm(text) == ppm


def test_ppm_rounds_half_to_even_and_absorbs_float_noise() -> None:
    assert pct_to_ppm("26.150000000000002") == 261_500
    assert pct_to_ppm(0.1 + 0.2) == 3_000  # 0.30000000000000004
    assert pct_to_ppm("0.00005") == 0  # half to even
    assert pct_to_ppm("0.00015") == 2
    assert pct_to_ppm("50%") == 500_000


def test_ppm_sums_are_exact_where_floats_are_not() -> None:
    assert 0.1 + 0.2 != 0.3
    assert pct_to_ppm("0.1") + pct_to_ppm("0.2") == pct_to_ppm("0.3")
    # three stakes of 16.6667% and one of 50%: floats drift, ppm do not
    parts = ["16.6667", "16.6667", "16.6666", "50"]
    assert sum(pct_to_ppm(p) for p in parts) == PPM


def test_flags_round_trip() -> None:
    for text in ["50", "(25,50]", "[75,100)", "(25,50)", "unknown", ">50", "<25"]:
        s = parse_share(text)
        assert Share.from_columns(s.lo, s.hi, s.to_flags()) == s


# -- properties ------------------------------------------------------------------------------


@st.composite
def shares(draw: st.DrawFn) -> Share:
    if draw(st.integers(0, 9)) == 0:
        return Share.unknown()
    a = draw(st.integers(0, PPM))
    b = draw(st.integers(0, PPM))
    lo, hi = min(a, b), max(a, b)
    if lo == hi:
        return Share(lo=lo, hi=hi)
    return Share(lo=lo, hi=hi, lo_open=draw(st.booleans()), hi_open=draw(st.booleans()))


@settings(deadline=None)  # no timing flakes on a loaded CI machine
@given(shares())
def test_round_trip_through_the_canonical_string(s: Share) -> None:
    assert parse_share(str(s)) == s
    assert Share.from_columns(s.lo, s.hi, s.to_flags()) == s


@settings(deadline=None)  # no timing flakes on a loaded CI machine
@given(shares())
def test_percent_fields_match_the_ppm(s: Share) -> None:
    if s.known:
        assert s.min_pct is not None and s.max_pct is not None
        assert pct_to_ppm(repr(s.min_pct)) == s.lo
        assert pct_to_ppm(repr(s.max_pct)) == s.hi
    else:
        assert s.min_pct is None and s.max_pct is None


@settings(deadline=None)  # no timing flakes on a loaded CI machine
@given(st.lists(st.integers(0, PPM // 10), min_size=1, max_size=10))
def test_ppm_sums_are_exact(parts: list[int]) -> None:
    # sums of percentages with up to 4 decimals are exact as ppm, whatever floats would do
    texts = [format_ppm(p) for p in parts]
    assert sum(pct_to_ppm(t) for t in texts) == sum(parts)
    total = sum(Decimal(t) for t in texts)
    if total <= 100:
        assert pct_to_ppm(total) == sum(parts)


@settings(deadline=None)  # no timing flakes on a loaded CI machine
@given(st.integers(0, PPM))
def test_exact_percentages_round_trip(ppm: int) -> None:
    assert pct_to_ppm(format_ppm(ppm)) == ppm
    s = parse_share(format_ppm(ppm))
    assert s.is_exact and s.lo == ppm
