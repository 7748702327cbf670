"""ISO 10383 MICs: the built-in venue list and ``--format mic``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from ownergraph.errors import InputError
from ownergraph.graph.model import Venue
from ownergraph.graph.workspace import Workspace
from ownergraph.loaders.base import detect_format
from ownergraph.loaders.mic import builtin_venues, parse_mic

HEADER = (
    '"MIC","OPERATING MIC","OPRT/SGMT","MARKET NAME-INSTITUTION DESCRIPTION","LEGAL ENTITY NAME","LEI",'
    '"MARKET CATEGORY CODE","ACRONYM","ISO COUNTRY CODE (ISO 3166)","CITY","WEBSITE","STATUS",'
    '"CREATION DATE","LAST UPDATE DATE","LAST VALIDATION DATE","EXPIRY DATE","COMMENTS"\n'
)


def _row(mic: str, op: str, name: str, country: str, status: str = "ACTIVE") -> str:
    cells = [
        mic,
        op,
        "OPRT" if mic == op else "SGMT",
        name,
        "",
        "",
        "",
        "",
        country,
        "",
        "",
        status,
        "20200101",
        "",
        "",
        "",
        "",
    ]
    return ",".join(f'"{c}"' for c in cells) + "\n"


@pytest.fixture
def mic_file(tmp_path: Path) -> Path:
    p = tmp_path / "ISO10383_MIC.csv"
    p.write_text(
        "\ufeff"
        + HEADER
        + _row("XTST", "XTST", "TEST EXCHANGE", "KY")
        + _row("TSEG", "XTST", "TEST EXCHANGE - SEGMENT", "KY")
        + _row("", "XTST", "NO MIC", "KY")
        + _row("XOLD", "XOLD", "OLD EXCHANGE", "GB", status="EXPIRED")
        + _row("bad!", "bad!", "BAD", "GB"),
        encoding="utf-8",
    )
    return p


def test_builtin_list_knows_hkex_and_its_segments() -> None:
    venues = {v["mic"]: v for v in builtin_venues()}
    assert len(venues) > 2500
    assert venues["XHKG"]["name"] == "HONG KONG EXCHANGES AND CLEARING LTD"
    assert (venues["XHKG"]["country"], venues["XHKG"]["operating_mic"], venues["XHKG"]["status"]) == (
        "HK",
        "XHKG",
        "ACTIVE",
    )
    assert venues["SHSC"]["operating_mic"] == "XHKG"
    for mic in ("XNYS", "XNAS", "XLON", "XSHG"):
        assert mic in venues
    assert all(Venue.model_validate(v) for v in list(venues.values())[:50])
    assert builtin_venues() is builtin_venues()  # parsed once


def test_parse_mic(mic_file: Path) -> None:
    items: list[Any] = list(parse_mic(mic_file))
    good = [x for x in items if not isinstance(x, InputError)]
    bad = [x for x in items if isinstance(x, InputError)]
    assert [(v.mic, v.operating_mic, v.country, v.status) for v, _ in good] == [
        ("XTST", "XTST", "KY", "ACTIVE"),
        ("TSEG", "XTST", "KY", "ACTIVE"),
        ("XOLD", "XOLD", "GB", "EXPIRED"),
    ]
    assert [loc for _, loc in good] == ["line 2", "line 3", "line 5"]
    assert good[0][0].source == "ISO 10383 MIC register"
    assert [(e.line, e.field) for e in bad] == [(4, "MIC"), (6, "mic")]
    assert all(e.file == str(mic_file) for e in bad)


def test_detect_and_load_mic(mic_file: Path, ws: Workspace) -> None:
    assert detect_format(mic_file) == "mic"
    (r,) = ws.load([mic_file])
    assert (r.format, r.added, r.rejected) == ("mic", 3, 2)
    venues = {v["mic"]: v for v in ws.graph().table("venues").to_pylist()}
    assert venues["TSEG"]["operating_mic"] == "XTST"
    assert venues["XOLD"]["status"] == "EXPIRED"
    assert "XHKG" in venues  # the built-in list stays


def test_load_the_shipped_register(ws: Workspace) -> None:
    path = Path(str(resources.files("ownergraph.data").joinpath("iso10383_mic.csv")))
    (r,) = ws.load([path])
    assert r.format == "mic" and r.rejected == 0
    assert r.added == len(builtin_venues())
    assert ws.graph().table("venues").num_rows == len(builtin_venues())
