"""SEC 13F loader, on the real files in ``../shared/data/sec_13f``.

The two real files are from different filings (MetLife's cover page declares 6 entries; the
information table has 255 rows), so the tests that need a matching pair use copies of the real
cover page with ``tableEntryTotal``, ``periodOfReport`` and ``signatureDate`` edited (said so in
each test); the small information tables written here are constructed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import Entity, Holding, Record
from ownergraph.graph.workspace import Workspace
from ownergraph.loaders.base import Item, detect_format
from ownergraph.loaders.sec13f import (
    cusip_check_digit,
    isin_from_cusip,
    load_files,
    parse_sec13f,
    value_multiplier,
)

ROOT = Path(__file__).parents[2]
SEC = ROOT / ".." / "shared" / "data" / "sec_13f"
TABLE = SEC / "edgartools_13F-HR.infotable.xml"
COVER = SEC / "edgartools_metlife.13F-HR.primarydoc.xml"
NS = "http://www.sec.gov/edgar/document/thirteenf/informationtable"


def split(items: list[Item]) -> tuple[list[Record], list[InputError]]:
    return [i[0] for i in items if not isinstance(i, InputError)], [
        i for i in items if isinstance(i, InputError)
    ]


def holdings(recs: list[Record]) -> list[Holding]:
    return [r for r in recs if isinstance(r, Holding)]


def entities(recs: list[Record]) -> dict[str, Entity]:
    return {r.id: r for r in recs if isinstance(r, Entity)}


def by_cusip(recs: list[Record], cusip: str) -> Holding:
    (h,) = [h for h in holdings(recs) if h.cusip == cusip]
    return h


def edited_cover(
    folder: Path,
    *,
    entries: str = "255",
    period: str | None = None,
    signed: str | None = "keep",
    name: str = "primary_doc.xml",
) -> Path:
    """A copy of the real MetLife cover page with the summary/period/signature edited."""
    text = COVER.read_text(encoding="utf-8")
    text = text.replace(
        "<tableEntryTotal>6</tableEntryTotal>", f"<tableEntryTotal>{entries}</tableEntryTotal>"
    )
    if period:
        text = text.replace(
            "<periodOfReport>12-31-2021</periodOfReport>", f"<periodOfReport>{period}</periodOfReport>"
        )
        text = text.replace(
            "<reportCalendarOrQuarter>12-31-2021</reportCalendarOrQuarter>",
            f"<reportCalendarOrQuarter>{period}</reportCalendarOrQuarter>",
        )
    if signed is None:
        text = text.replace("<signatureDate>03-22-2023</signatureDate>", "")
    elif signed != "keep":
        text = text.replace(
            "<signatureDate>03-22-2023</signatureDate>", f"<signatureDate>{signed}</signatureDate>"
        )
    out = folder / name
    out.write_text(text, encoding="utf-8")
    return out


def small_table(
    folder: Path,
    rows: list[dict[str, str]],
    *,
    name: str = "infotable.xml",
    prefix: str = "",
    namespace: bool = True,
    head: str = '<?xml version="1.0"?>\n',
) -> Path:
    """A constructed information table with the documented elements."""
    p = f"{prefix}:" if prefix else ""
    xmlns = (f' xmlns:{prefix}="{NS}"' if prefix else f' xmlns="{NS}"') if namespace else ""
    body = []
    for r in rows:
        put = f"<{p}putCall>{r['putCall']}</{p}putCall>" if "putCall" in r else ""
        body.append(
            f"<{p}infoTable><{p}nameOfIssuer>{r.get('name', 'X CORP')}</{p}nameOfIssuer>"
            f"<{p}titleOfClass>COM</{p}titleOfClass><{p}cusip>{r['cusip']}</{p}cusip>"
            f"<{p}value>{r.get('value', '1000')}</{p}value><{p}shrsOrPrnAmt>"
            f"<{p}sshPrnamt>{r.get('shares', '10')}</{p}sshPrnamt>"
            f"<{p}sshPrnamtType>{r.get('type', 'SH')}</{p}sshPrnamtType></{p}shrsOrPrnAmt>{put}"
            f"<{p}investmentDiscretion>SOLE</{p}investmentDiscretion></{p}infoTable>"
        )
    path = folder / name
    path.write_text(
        f"{head}<{p}informationTable{xmlns}>{''.join(body)}</{p}informationTable>\n", encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module")
def real() -> tuple[list[Record], list[InputError]]:
    return split(list(parse_sec13f(SEC)))


# -- the real files ------------------------------------------------------------------------------


def test_real_files_are_detected_and_load_as_one() -> None:
    assert detect_format(TABLE) == detect_format(COVER) == detect_format(SEC) == "sec13f"
    both = sorted([COVER.resolve(), TABLE.resolve()])
    assert sorted(p.resolve() for p in load_files(TABLE)) == both
    assert sorted(p.resolve() for p in load_files(COVER)) == both
    assert sorted(p.resolve() for p in load_files(SEC)) == both


def test_real_counts(real: tuple[list[Record], list[InputError]]) -> None:
    recs, errs = real
    assert len(errs) == 1
    hs = holdings(recs)
    ents = entities(recs)
    assert len(hs) == 255
    # 255 issuers (every CUSIP differs), MetLife, its 3 other managers, the unknown filer
    assert len([e for e in ents if e.startswith("cusip:")]) == 255
    assert len(ents) == 255 + 1 + 3 + 1
    assert len(recs) == 255 + 260


def test_real_pair_is_not_paired_because_the_counts_differ(
    real: tuple[list[Record], list[InputError]],
) -> None:
    recs, errs = real
    (err,) = errs
    assert err.file and err.file.endswith(TABLE.name)
    assert "declares 6 entries, this table has 255" in str(err)
    assert err.fix and "accession number" in err.fix
    holder = "sec:unknown-filer:edgartools_13F-HR.infotable"
    assert {h.holder_id for h in holdings(recs)} == {holder}
    unknown = entities(recs)[holder]
    assert unknown.kind == "unknown"
    assert any("cover page" in n for n in unknown.notes)
    # no period, no unit: values are left empty rather than off by a factor of 1000
    assert all(h.value is None and h.as_of is None for h in holdings(recs))


def test_real_cover_page(real: tuple[list[Record], list[InputError]]) -> None:
    ents = entities(real[0])
    met = ents["sec:0001099219"]
    assert met.name == "METLIFE INC"
    assert met.identifiers == {"cik": ("0001099219",)}
    assert any("13F COMBINATION REPORT for the period 2021-12-31" in n for n in met.notes)
    assert any("PROVIDA PENSION FUND ADMINISTRATOR (CIK 0000931588" in n for n in met.notes)
    assert ents["sec:0000728618"].name == "METROPOLITAN LIFE INSURANCE CO/NY"
    assert ents["sec:0001529735"].identifiers == {"cik": ("0001529735",)}


def test_apple_isin_from_cusip(real: tuple[list[Record], list[InputError]]) -> None:
    recs = real[0]
    assert isin_from_cusip("037833100") == "US0378331005"
    apple = by_cusip(recs, "037833100")
    assert apple.isin == "US0378331005"
    assert apple.shares == 58228
    assert apple.entity_id == "cusip:037833100"
    issuer = entities(recs)["cusip:037833100"]
    assert issuer.name == "APPLE INC"
    assert issuer.identifiers == {"cusip": ("037833100",), "isin": ("US0378331005",)}


def test_every_real_cusip_has_a_valid_check_digit(real: tuple[list[Record], list[InputError]]) -> None:
    for h in holdings(real[0]):
        assert h.cusip is not None
        assert cusip_check_digit(h.cusip[:8]) == int(h.cusip[8])


def test_cins_numbers_get_no_isin(real: tuple[list[Record], list[InputError]]) -> None:
    recs = real[0]
    accenture = by_cusip(recs, "G1151C101")  # Irish issuer: ISIN IE00B4BNMY34, not derivable
    assert accenture.isin is None
    assert "isin" not in entities(recs)["cusip:G1151C101"].identifiers
    cins = [h for h in holdings(recs) if h.cusip and not h.cusip[0].isdigit()]
    assert len(cins) == 5 and all(h.isin is None for h in cins)


def test_principal_amounts_have_no_shares(real: tuple[list[Record], list[InputError]]) -> None:
    prn = [h for h in holdings(real[0]) if h.source and "principal amount" in h.source]
    assert len(prn) == 3
    assert all(h.shares is None for h in prn)
    assert by_cusip(real[0], "46435UAA9").source == (
        "SEC 13F information table, period unknown: IBONDS 27 ETF; SOLE; principal amount 16,480"
    )


def test_leading_newline_before_xml_declaration() -> None:
    from xml.etree.ElementTree import ParseError

    from defusedxml.ElementTree import parse

    assert TABLE.read_bytes().startswith(b"\n<?xml")
    with pytest.raises(ParseError):  # what a strict parser does with the real file
        parse(str(TABLE))
    recs, errs = split(list(parse_sec13f(TABLE)))
    assert len(holdings(recs)) == 255 and len(errs) == 1  # the loaded pair does not match


# -- pairs and value units (edited copies of the real cover page) --------------------------------


@pytest.mark.parametrize(
    ("period", "signed", "factor"),
    [
        ("12-31-2021", "02-10-2022", 1000),  # filed on the old form: thousands
        ("12-31-2021", "keep", 1),  # the real signature date, 03-22-2023: dollars
        ("09-30-2022", None, 1000),  # no signature date: by period
        ("12-31-2022", None, 1),
    ],
)
def test_value_units_by_date(tmp_path: Path, period: str, signed: str | None, factor: int) -> None:
    shutil.copy(TABLE, tmp_path / TABLE.name)
    edited_cover(tmp_path, period=period, signed=signed)
    recs, errs = split(list(parse_sec13f(tmp_path)))
    assert errs == []
    apple = by_cusip(recs, "037833100")
    assert apple.holder_id == "sec:0001099219"
    assert apple.value == 8239330 * factor
    assert apple.as_of is not None and apple.as_of.strftime("%m-%d-%Y") == period
    assert apple.source == f"SEC 13F 13F-HR period {apple.as_of}: COM; SOLE"
    assert "sec:unknown-filer:edgartools_13F-HR.infotable" not in entities(recs)


def test_value_multiplier_rule() -> None:
    import datetime as dt

    assert value_multiplier(dt.date(2022, 9, 30), dt.date(2023, 1, 2))[0] == 1000
    assert value_multiplier(dt.date(2022, 9, 30), dt.date(2023, 1, 3))[0] == 1
    assert value_multiplier(dt.date(2022, 9, 30), None)[0] == 1000
    assert value_multiplier(dt.date(2022, 10, 1), None)[0] == 1


def test_pair_by_accession_number(tmp_path: Path) -> None:
    acc = "0001099219-23-000012"
    shutil.copy(TABLE, tmp_path / f"{acc}-infotable.xml")
    shutil.copy(COVER, tmp_path / f"{acc}-primary_doc.xml")  # the real cover: 6 entries declared
    small_table(tmp_path, [{"cusip": "037833100"}], name="other-infotable.xml")
    assert [p.name for p in load_files(tmp_path / f"{acc}-infotable.xml")] == [
        f"{acc}-infotable.xml",
        f"{acc}-primary_doc.xml",
    ]
    recs, errs = split(list(parse_sec13f(tmp_path)))
    assert errs == []
    hs = holdings(recs)
    assert sum(h.holder_id == "sec:0001099219" for h in hs) == 255
    assert sum(h.holder_id == "sec:unknown-filer:other-infotable" for h in hs) == 1
    met = entities(recs)["sec:0001099219"]
    assert "the cover page declares 6 entries; the table has 255" in met.notes


def test_either_file_of_a_pair_is_one_load(tmp_path: Path, ws: Workspace) -> None:
    folder = tmp_path / "filing"
    folder.mkdir()
    table = shutil.copy(TABLE, folder / "infotable.xml")
    cover = edited_cover(folder)
    (first,) = ws.load([table])
    assert first.format == "sec13f" and first.rejected == 0 and first.added == 255 + 255 + 4
    (second,) = ws.load([cover])
    assert second.already_loaded and second.sha256 == first.sha256
    tables = ws.tables()
    assert tables["holdings"].num_rows == 255


def test_workspace_load_of_the_real_folder(ws: Workspace) -> None:
    (report,) = ws.load([SEC])
    assert report.format == "sec13f"
    assert report.added == 255 + 260
    assert report.rejected == 1  # the unpaired table, reported; nothing dangles
    assert ws.tables()["holdings"].num_rows == 255


# -- constructed tables --------------------------------------------------------------------------


def test_prefixed_and_plain_namespaces(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    small_table(a, [{"cusip": "037833100"}], prefix="ns1")
    small_table(b, [{"cusip": "037833100"}], namespace=False, head="\r\n  \n")
    for folder in (a, b):
        assert detect_format(folder / "infotable.xml") == "sec13f"
        recs, errs = split(list(parse_sec13f(folder / "infotable.xml")))
        assert errs == [] and by_cusip(recs, "037833100").shares == 10


def test_bad_cusips_are_rejected_with_their_row(tmp_path: Path) -> None:
    small_table(
        tmp_path,
        [
            {"cusip": "037833100"},
            {"cusip": "037833109"},  # wrong check digit
            {"cusip": "37833100"},  # a spreadsheet ate the leading zero
            {"cusip": "594918104", "value": "n/a"},
        ],
    )
    recs, errs = split(list(parse_sec13f(tmp_path / "infotable.xml")))
    assert len(holdings(recs)) == 1
    assert [(e.line, e.field) for e in errs] == [
        ("infoTable 2", "cusip"),
        ("infoTable 3", "cusip"),
        ("infoTable 4", "value"),
    ]
    assert "check digit" in str(errs[0]) and "leading zeros" in str(errs[1])


def test_options_keep_no_shares(tmp_path: Path) -> None:
    small_table(tmp_path, [{"cusip": "037833100", "putCall": "Call", "shares": "500"}])
    recs, _ = split(list(parse_sec13f(tmp_path / "infotable.xml")))
    h = by_cusip(recs, "037833100")
    assert h.shares is None and h.source and "CALL option on 500 shares" in h.source


def test_dtd_and_entities_are_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE informationTable [<!ENTITY a "aaaaaaaaaa">]>\n'
        f'<informationTable xmlns="{NS}"><infoTable><nameOfIssuer>&a;</nameOfIssuer>'
        "<cusip>037833100</cusip></infoTable></informationTable>\n"
    )
    (tmp_path / "infotable.xml").write_text(bomb, encoding="utf-8")
    with pytest.raises(FormatError, match="refused XML construct"):
        list(parse_sec13f(tmp_path / "infotable.xml"))


def test_malformed_table_is_a_format_error(tmp_path: Path) -> None:
    path = small_table(tmp_path, [{"cusip": "037833100"}])
    path.write_text(path.read_text(encoding="utf-8")[:-30], encoding="utf-8")
    with pytest.raises(FormatError, match="malformed XML"):
        list(parse_sec13f(path))
