"""SEC Form 13F holdings (``--format sec13f``): the information table and the cover page XML.

A 13F filing has two XML documents. The **information table** (root ``informationTable``, ns
``http://www.sec.gov/edgar/document/thirteenf/informationtable``, with or without a namespace or
prefix) lists the manager's positions, one ``infoTable`` each; it does not name the manager. The
**cover page** (``edgarSubmission``, ns ``http://www.sec.gov/edgar/thirteenffiler``) names the
filer (``headerData/filerInfo/filer/credentials/cik``, ``coverPage/filingManager/name``) and the
period (``periodOfReport``, ``MM-DD-YYYY``). Both are parsed with ``defusedxml`` (no DTDs, no
entity expansion) after stripping whitespace before ``<?xml`` (real information tables begin
with a newline, which XML parsers reject). Information tables are streamed.

**One load, two files.** A cover page and an information table are one load (``files=`` lists
both, so the load's sha256 covers both) when they are partners:

1. both file names contain the same EDGAR accession number (``0001099219-23-000012`` or the
   18 digits without dashes), or else
2. they are the only cover page and the only information table in their folder (or archive) —
   and the cover page's ``summaryPage/tableEntryTotal`` (when given) equals the number of
   ``infoTable`` rows. A count that differs means they are different filings: they are not
   paired, and the load reports it as a located error (the real ``shared/data/sec_13f`` files
   are such a case: MetLife's cover page declares 6 entries, the information table has 255).

Loading either file of a pair, or the folder, loads both. A cover page of a ``13F NOTICE`` is
never paired by rule 2.

**Records.** The filer is an :class:`Entity` ``sec:<CIK>`` (CIK zero-padded to 10 digits,
identifier ``cik``) named by ``filingManager/name``, with notes on the report; the ``otherManager``
entries with a CIK become entities too (no edge: the form names them, it does not say how they
relate). Each ``infoTable`` row becomes a :class:`Holding` of the filer (an information table
without its cover page is held by ``sec:unknown-filer:<file stem>``, an entity of kind
``unknown`` whose notes say how to fix it) in the issuer entity ``cusip:<CUSIP>`` — one
:class:`Entity` per CUSIP, named by ``nameOfIssuer``, with identifiers ``cusip`` and, for
CUSIPs that begin with a digit, the ISIN ``US`` + CUSIP + check digit — so that holdings are
never dangling and merge, through the ISIN, with the issuer as other sources know it.
Issuer entities are per security, not per issuer: Alphabet's class A and class C shares are two
entities until a source that knows both ISINs (Wikidata P946, GLEIF's ISIN map) joins them; an
issuer-number (first six characters) grouping would wrongly merge every ETF of a trust.

ISINs: a CUSIP whose first character is a letter is a CINS number (a non-North-American issue,
e.g. Accenture ``G1151C101`` → ``IE00B4BNMY34``): no ISIN can be derived. A CUSIP starting with a
digit is a US or Canadian issue; Canadian issues have ``CA`` ISINs, which the CUSIP cannot tell
apart — they get a ``US`` ISIN that no other security has (the ISIN embeds the CUSIP), so the
cost is a missed join, never a wrong merge. A CUSIP with a wrong check digit is rejected.

**Numbers.** ``shares`` is ``sshPrnamt`` when ``sshPrnamtType`` is ``SH`` and the row is not an
option; principal amounts (``PRN``) and ``putCall`` rows keep ``shares`` empty and say what they
are in ``source``. ``value`` is in USD. Filers reported it in thousands of dollars until the form
changed on 2023-01-03; every filing made from that day — amendments and late filings for earlier
periods included — reports dollars. The filing date is not in the XML, so the cover page's
``signatureDate`` decides (the real MetLife cover page: period 2021-12-31, signed 2023-03-22,
dollars); without one, periods up to 2022-09-30 are taken as thousands. An information table
without its cover page has no period: its values are left empty (unless its rows carry
``figi``, which only the 2023 form has), and the unknown filer's notes say so.

This module stops at parsing: holdings are positions of the manager, not ownership of the issuer.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import isin_check_digit
from ownergraph.loaders.base import Item, make_record, register
from ownergraph.loaders.compressed import Member, is_compressed, members_of, open_members, register_stream

__all__ = [
    "DOLLAR_VALUES_FROM",
    "Cover",
    "accession_of",
    "cusip_check_digit",
    "doc_kind",
    "isin_from_cusip",
    "load_files",
    "parse_mdy",
    "parse_sec13f",
    "parse_sec13f_members",
    "read_cover",
    "value_multiplier",
]

DOLLAR_VALUES_FROM = dt.date(2023, 1, 3)
"""Filings made from this day report ``value`` in dollars (before: thousands of dollars)."""
_LAST_THOUSANDS_PERIOD = dt.date(2022, 9, 30)
_COVER_MAX = 16 * 1024 * 1024

_ROOT = re.compile(rb"<(?:[\w.-]+:)?(informationTable|edgarSubmission)[\s/>]")
_ACCESSION = re.compile(r"(?<!\d)(\d{10})-?(\d{2})-?(\d{6})(?!\d)")
_CUSIP = re.compile(r"^[0-9A-Z]{6}[0-9A-Z*@#]{2}[0-9]$")
_MDY = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")


# -- small parts ---------------------------------------------------------------------------------


def doc_kind(head: bytes) -> str | None:
    """``cover``, ``table`` or ``None`` from a document's first bytes.

    >>> doc_kind(b"\\n<?xml version='1.0'?><informationTable xmlns='x'>"), doc_kind(b"<a/>")
    ('table', None)
    """
    m = _ROOT.search(head[:8192])
    if not m:
        return None
    if m.group(1) == b"informationTable":
        return "table"
    return "cover" if b"thirteenffiler" in head[:8192] else None


def cusip_check_digit(body: str) -> int:
    """The check digit of a CUSIP's first 8 characters (the modulus-10 double-add-double).

    >>> cusip_check_digit("03783310"), cusip_check_digit("G1151C10")
    (0, 1)
    """
    total = 0
    for i, ch in enumerate(body.upper()):
        if ch.isdigit():
            v = int(ch)
        elif ch.isalpha():
            v = ord(ch) - ord("A") + 10
        else:
            v = {"*": 36, "@": 37, "#": 38}[ch]
        if i % 2 == 1:
            v *= 2
        total += v // 10 + v % 10
    return (10 - total % 10) % 10


def isin_from_cusip(cusip: str) -> str | None:
    """The US ISIN of a CUSIP that begins with a digit; ``None`` for CINS numbers.

    >>> isin_from_cusip("037833100"), isin_from_cusip("G1151C101")
    ('US0378331005', None)
    """
    if not cusip[:1].isdigit():
        return None
    body = "US" + cusip.upper()
    return body + str(isin_check_digit(body))


def accession_of(name: str) -> str | None:
    """The EDGAR accession number in a file name, as 18 digits.

    >>> accession_of("0001099219-23-000012-primary_doc.xml"), accession_of("infotable.xml")
    ('000109921923000012', None)
    """
    m = _ACCESSION.search(name)
    return "".join(m.groups()) if m else None


def parse_mdy(text: str, *, field: str) -> dt.date:
    """A 13F date: ``MM-DD-YYYY`` (ISO ``YYYY-MM-DD`` is accepted too).

    >>> parse_mdy("12-31-2021", field="periodOfReport")
    datetime.date(2021, 12, 31)
    """
    t = text.strip()
    try:
        m = _MDY.match(t)
        if m:
            return dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        return dt.date.fromisoformat(t)
    except ValueError:
        raise InputError("not a 13F date", field=field, value=text, fix="expected MM-DD-YYYY") from None


def value_multiplier(period: dt.date | None, signed: dt.date | None) -> tuple[int | None, str]:
    """``(factor to USD, why)`` for a filing's ``value`` column (``None``: unknown).

    >>> value_multiplier(dt.date(2021, 12, 31), dt.date(2022, 2, 10))[0]
    1000
    >>> value_multiplier(dt.date(2021, 12, 31), dt.date(2023, 3, 22))[0]
    1
    >>> value_multiplier(dt.date(2022, 12, 31), None)[0], value_multiplier(None, None)[0]
    (1, None)
    """
    if signed is not None:
        if signed >= DOLLAR_VALUES_FROM:
            return 1, f"13F values are in USD (signed {signed}, on or after {DOLLAR_VALUES_FROM})"
        return 1000, f"13F values were in thousands of USD (signed {signed}); converted to USD"
    if period is not None:
        if period > _LAST_THOUSANDS_PERIOD:
            return 1, f"13F values are in USD (period {period}, after {_LAST_THOUSANDS_PERIOD})"
        return 1000, (
            f"13F values taken as thousands of USD (period {period}, no signature date); converted to USD"
        )
    return None, ""


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _number(text: str | None, *, field: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        d = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise InputError("not a number", field=field, value=text, fix="write digits only") from None
    if not d.is_finite() or d < 0:
        raise InputError("not a non-negative number", field=field, value=text)
    return float(d)


class _SkipLeadingSpace(io.RawIOBase):
    """A stream without the BOM and whitespace before ``<?xml`` (which XML parsers reject)."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner
        self._started = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while True:
            data = self._inner.read(len(b))
            if not data:
                return 0
            if not self._started:
                if data.startswith(b"\xef\xbb\xbf"):
                    data = data[3:]
                data = data.lstrip()
                if not data:
                    continue
                self._started = True
            n = len(data)
            b[:n] = data
            return n

    def close(self) -> None:
        self._inner.close()
        super().close()


def _xml_error(e: Exception, display: str) -> FormatError:
    from defusedxml import DefusedXmlException

    if isinstance(e, DefusedXmlException):
        return FormatError(
            f"refused XML construct: {e}",
            file=display,
            fix="13F documents have no DTD or entities; this file is not one",
        )
    return FormatError(f"malformed XML: {e}", file=display, fix="re-download the filing")


# -- cover page ----------------------------------------------------------------------------------


@dataclass
class Cover:
    """What a cover page (``edgarSubmission``) says."""

    display: str
    name: str
    cik: str
    filer: str
    period: dt.date | None
    signed: dt.date | None
    submission: str | None
    report_type: str | None
    amendment: str | None
    file_number: str | None
    entries: int | None
    value_total: float | None
    other_managers: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    """``(name, CIK, 13F file number)`` of each other manager named on the cover page."""

    @property
    def holder_id(self) -> str:
        return f"sec:{self.cik}"

    @property
    def notice(self) -> bool:
        return "NOTICE" in (self.report_type or "").upper()


def _at(root: Any, *names: str) -> Any:
    cur = [root]
    for n in names:
        cur = [c for e in cur for c in e if _local(c.tag) == n]
        if not cur:
            return None
    return cur[0]


def _text(root: Any, *names: str) -> str | None:
    el = _at(root, *names)
    if el is None or el.text is None:
        return None
    return el.text.strip() or None


def _cik(text: str | None, display: str) -> str:
    t = (text or "").strip()
    if not t.isdigit() or len(t) > 10:
        raise FormatError(
            "cover page without a valid CIK",
            file=display,
            value=text,
            fix="headerData/filerInfo/filer/credentials/cik must be up to 10 digits",
        )
    return t.zfill(10)


def read_cover(member: Member) -> Cover:
    """Parse a cover page (raises :class:`FormatError` when it is malformed as a whole)."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    with member.open() as f:
        data = f.read(_COVER_MAX + 1)
    if len(data) > _COVER_MAX:
        raise FormatError(
            "cover page larger than 16 MiB",
            file=member.display,
            fix="a 13F cover page is a few KB; check the file",
        )
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as e:
        raise _xml_error(e, member.display) from None
    if _local(root.tag) != "edgarSubmission":
        raise FormatError(
            "not a 13F cover page (root is not edgarSubmission)",
            file=member.display,
            value=_local(root.tag),
            fix="pass the primary document of a 13F filing",
        )
    cik = _cik(_text(root, "headerData", "filerInfo", "filer", "credentials", "cik"), member.display)
    filer = _text(root, "formData", "coverPage", "filingManager", "name")
    if not filer:
        raise FormatError(
            "cover page without coverPage/filingManager/name",
            file=member.display,
            fix="pass the primary document of a 13F filing",
        )
    dates: dict[str, dt.date | None] = {}
    for key, path in (
        ("period", ("headerData", "filerInfo", "periodOfReport")),
        ("quarter", ("formData", "coverPage", "reportCalendarOrQuarter")),
        ("signed", ("formData", "signatureBlock", "signatureDate")),
    ):
        raw = _text(root, *path)
        try:
            dates[key] = parse_mdy(raw, field=path[-1]) if raw else None
        except InputError as e:
            raise FormatError(
                e.reason, file=member.display, field=e.field, value=e.value, fix=e.fix
            ) from None
    amendment = None
    if (_text(root, "formData", "coverPage", "isAmendment") or "").lower() in ("true", "y", "yes", "1"):
        no = _text(root, "formData", "coverPage", "amendmentNo")
        kind = _text(root, "formData", "coverPage", "amendmentInfo", "amendmentType")
        amendment = "amendment" + (f" no. {no}" if no else "") + (f" ({kind})" if kind else "")
    entries_raw = _text(root, "formData", "summaryPage", "tableEntryTotal")
    total_raw = _text(root, "formData", "summaryPage", "tableValueTotal")
    others: list[tuple[str, str | None, str | None]] = []
    for el in root.iter():
        if _local(el.tag) != "otherManager":
            continue
        name = _text(el, "name")
        if not name:
            continue
        raw_cik = _text(el, "cik")
        ocik = raw_cik.zfill(10) if raw_cik and raw_cik.isdigit() and len(raw_cik) <= 10 else None
        entry = (name, ocik, _text(el, "form13FFileNumber"))
        if all((o[0], o[1]) != (entry[0], entry[1]) for o in others):
            others.append(entry)
    try:
        entries = int(entries_raw) if entries_raw else None
        value_total = _number(total_raw, field="tableValueTotal")
    except (ValueError, InputError):
        entries, value_total = None, None
    return Cover(
        display=member.display,
        name=member.name,
        cik=cik,
        filer=filer,
        period=dates["period"] or dates["quarter"],
        signed=dates["signed"],
        submission=_text(root, "headerData", "submissionType"),
        report_type=_text(root, "formData", "coverPage", "reportType"),
        amendment=amendment,
        file_number=_text(root, "formData", "coverPage", "form13FFileNumber"),
        entries=entries,
        value_total=value_total,
        other_managers=others,
    )


# -- information table ---------------------------------------------------------------------------


def _table_rows(member: Member) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream an information table: ``(row number, {local name: text})`` per ``infoTable``."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    n = 0
    root = None
    with member.open() as raw, io.BufferedReader(_SkipLeadingSpace(raw)) as f:
        try:
            for event, el in iterparse(f, events=("start", "end"), forbid_dtd=True):
                if event == "start":
                    if root is None:
                        root = el
                        if _local(el.tag) != "informationTable":
                            raise FormatError(
                                "not a 13F information table (root is not informationTable)",
                                file=member.display,
                                value=_local(el.tag),
                                fix="pass the information table of a 13F filing",
                            )
                    continue
                if _local(el.tag) != "infoTable":
                    continue
                n += 1
                row: dict[str, str] = {}
                for child in el.iter():
                    if len(child) == 0 and child.text is not None and child.text.strip():
                        row.setdefault(_local(child.tag), child.text.strip())
                yield n, row
                el.clear()
                if root is not None:
                    root.clear()
        except (ParseError, DefusedXmlException) as e:
            raise _xml_error(e, member.display) from None


def _scan_table(member: Member) -> tuple[int, bool]:
    """``(number of rows, whether any row has a figi)`` — a first, cheap pass."""
    rows = 0
    figi = False
    for _, row in _table_rows(member):
        rows += 1
        figi = figi or "figi" in row
    return rows, figi


# -- pairing -------------------------------------------------------------------------------------


@dataclass
class _Doc:
    member: Member
    kind: str
    cover: Cover | None = None
    rows: int = 0
    figi: bool = False


def _classify(members: Sequence[Member]) -> tuple[list[_Doc], list[InputError]]:
    docs: list[_Doc] = []
    errors: list[InputError] = []
    for m in members:
        kind = doc_kind(m.head())
        if kind is None:
            errors.append(
                InputError(
                    "not a 13F cover page or information table; skipped",
                    file=m.display,
                    fix="a 13F load takes edgarSubmission (13F) and informationTable XML files",
                )
            )
            continue
        docs.append(_Doc(m, kind))
    return docs, errors


def _pair(docs: list[_Doc]) -> tuple[list[tuple[_Doc | None, _Doc | None]], list[InputError]]:
    """Pair cover pages with information tables (see the module docstring)."""
    covers = sorted((d for d in docs if d.kind == "cover"), key=lambda d: d.member.name)
    tables = sorted((d for d in docs if d.kind == "table"), key=lambda d: d.member.name)
    pairs: list[tuple[_Doc | None, _Doc | None]] = []
    errors: list[InputError] = []
    used: set[int] = set()
    by_acc: dict[str, list[_Doc]] = {}
    for d in tables:
        acc = accession_of(d.member.name)
        if acc:
            by_acc.setdefault(acc, []).append(d)
    for c in covers:
        acc = accession_of(c.member.name)
        partners = by_acc.get(acc, []) if acc else []
        if len(partners) == 1 and id(partners[0]) not in used:
            pairs.append((c, partners[0]))
            used.update((id(c), id(partners[0])))
    rest_c = [c for c in covers if id(c) not in used and not accession_of(c.member.name)]
    rest_t = [t for t in tables if id(t) not in used and not accession_of(t.member.name)]
    if len(rest_c) == 1 and len(rest_t) == 1 and rest_c[0].cover and not rest_c[0].cover.notice:
        c, t = rest_c[0], rest_t[0]
        assert c.cover is not None
        if c.cover.entries is not None and c.cover.entries != t.rows:
            errors.append(
                InputError(
                    f"not paired with cover page {c.member.name} ({c.cover.filer}, period "
                    f"{c.cover.period}): it declares {c.cover.entries} entries, this table has {t.rows}",
                    file=t.member.display,
                    field="tableEntryTotal",
                    value=c.cover.entries,
                    fix="put each filing's two files in a folder of their own, or name both with the "
                    "filing's accession number; the table is loaded with an unknown filer",
                )
            )
        else:
            pairs.append((c, t))
            used.update((id(c), id(t)))
    pairs += [(c, None) for c in covers if id(c) not in used]
    pairs += [(None, t) for t in tables if id(t) not in used]
    return pairs, errors


# -- records -------------------------------------------------------------------------------------


def _filer_records(cover: Cover, notes: list[str]) -> Iterator[Item]:
    base = [
        f"SEC Form {cover.submission or '13F'}"
        + (f" {cover.report_type}" if cover.report_type else "")
        + (f" for the period {cover.period}" if cover.period else ""),
    ]
    if cover.file_number:
        base.append(f"13F file number {cover.file_number}")
    if cover.amendment:
        base.append(f"13F {cover.amendment}")
    if cover.entries is not None:
        base.append(f"13F table entries declared: {cover.entries}")
    for name, cik, num in cover.other_managers:
        extra = ", ".join(x for x in (f"CIK {cik}" if cik else "", f"file number {num}" if num else "") if x)
        base.append(f"13F other manager: {name}" + (f" ({extra})" if extra else ""))
    yield _rec(
        "entity",
        {
            "id": cover.holder_id,
            "name": cover.filer,
            "kind": "company",
            "identifiers": {"cik": [cover.cik]},
            "notes": base + notes,
            "sources": ["SEC Form 13F cover page"],
        },
        cover.display,
        "cover page",
    )
    for name, cik, _num in cover.other_managers:
        if cik and cik != cover.cik:
            yield _rec(
                "entity",
                {
                    "id": f"sec:{cik}",
                    "name": name,
                    "kind": "company",
                    "identifiers": {"cik": [cik]},
                    "sources": ["SEC Form 13F cover page (other manager)"],
                },
                cover.display,
                "cover page otherManager",
            )


def _rec(type_: str, data: dict[str, Any], file: str, locator: str) -> Item:
    rec = make_record(type_, data, file=file, line=locator)
    return rec if isinstance(rec, InputError) else (rec, locator)


def _holdings(
    table: _Doc,
    holder: str,
    period: dt.date | None,
    factor: int | None,
    label: str,
    issuers: set[str],
) -> Iterator[Item]:
    display = table.member.display
    for n, row in _table_rows(table.member):
        loc = f"infoTable {n}"
        try:
            cusip = (row.get("cusip") or "").upper()
            if not cusip:
                raise InputError("no cusip", field="cusip", fix="every infoTable needs its 9-character CUSIP")
            if not _CUSIP.match(cusip):
                raise InputError(
                    "not a 9-character CUSIP",
                    field="cusip",
                    value=cusip,
                    fix="check the CUSIP (spreadsheets strip leading zeros)",
                )
            if cusip_check_digit(cusip[:8]) != int(cusip[8]):
                raise InputError(
                    "CUSIP check digit is wrong",
                    field="cusip",
                    value=cusip,
                    fix="check the CUSIP (spreadsheets strip leading zeros)",
                )
            value = _number(row.get("value"), field="value")
            amount = _number(row.get("sshPrnamt"), field="sshPrnamt")
        except InputError as e:
            yield e.located(file=display, line=loc)
            continue
        kind = (row.get("sshPrnamtType") or "").upper()
        put_call = row.get("putCall")
        shares = amount if kind == "SH" and not put_call else None
        what = [row.get("titleOfClass") or "", row.get("investmentDiscretion") or ""]
        if put_call:
            what.append(
                f"{put_call.upper()} option on {amount:,.0f} shares"
                if amount is not None
                else f"{put_call.upper()} option"
            )
        elif kind == "PRN" and amount is not None:
            what.append(f"principal amount {amount:,.0f}")
        elif kind not in ("SH", "PRN"):
            what.append(f"sshPrnamtType {kind or 'missing'}")
        if row.get("otherManager"):
            what.append(f"other managers {row['otherManager']}")
        isin = isin_from_cusip(cusip)
        eid = f"cusip:{cusip}"
        if eid not in issuers:
            issuers.add(eid)
            ids: dict[str, list[str]] = {"cusip": [cusip]}
            if isin:
                ids["isin"] = [isin]
            yield _rec(
                "entity",
                {
                    "id": eid,
                    "name": row.get("nameOfIssuer") or cusip,
                    "kind": "company",
                    "identifiers": ids,
                    "sources": ["SEC Form 13F information table"],
                    "notes": [
                        f"issuer of CUSIP {cusip}"
                        + (f" ({row['titleOfClass']})" if row.get("titleOfClass") else "")
                    ],
                },
                display,
                loc,
            )
        row_factor = factor if factor is not None else (1 if table.figi else None)
        yield _rec(
            "holding",
            {
                "holder_id": holder,
                "entity_id": eid,
                "cusip": cusip,
                "isin": isin,
                "shares": shares,
                "value": value * row_factor if value is not None and row_factor is not None else None,
                "as_of": period,
                "source": f"{label}: " + "; ".join(w for w in what if w),
            },
            display,
            loc,
        )


def _stem(name: str) -> str:
    base = Path(name).name
    return base[:-4] if base.lower().endswith(".xml") else base


@register_stream("sec13f")
def parse_sec13f_members(members: Sequence[Member]) -> Iterator[Item]:
    """Yield the records of 13F documents (files or archive members), paired as documented."""
    docs, errors = _classify(members)
    yield from errors
    for d in docs:
        if d.kind == "cover":
            d.cover = read_cover(d.member)
        else:
            d.rows, d.figi = _scan_table(d.member)
    pairs, errors = _pair(docs)
    yield from errors
    issuers: set[str] = set()
    for cover_doc, table in pairs:
        cover = cover_doc.cover if cover_doc else None
        if cover is not None:
            notes: list[str] = []
            factor, why = value_multiplier(cover.period, cover.signed)
            if table is not None:
                notes.append(f"13F information table: {table.member.name} ({table.rows} rows)")
                if why:
                    notes.append(why)
                if cover.entries is not None and cover.entries != table.rows:
                    notes.append(
                        f"the cover page declares {cover.entries} entries; the table has {table.rows}"
                    )
            yield from _filer_records(cover, notes)
            if table is not None:
                label = f"SEC 13F {cover.submission or '13F-HR'} period {cover.period}"
                yield from _holdings(table, cover.holder_id, cover.period, factor, label, issuers)
        elif table is not None:
            holder = f"sec:unknown-filer:{_stem(table.member.name)}"
            notes = [
                "the filer of this 13F information table is not named in it: load its cover page "
                "(the filing's primary document, edgarSubmission) with it — in the same folder or "
                "archive, or named with the same accession number — to attribute these holdings",
            ]
            if table.figi:
                notes.append("13F values are in USD (the rows carry FIGIs, which only the 2023 form has)")
            else:
                notes.append(
                    "values left empty: without the cover page the period, and so the unit "
                    "(thousands of USD before 2023-01-03, USD after), is unknown"
                )
            yield _rec(
                "entity",
                {
                    "id": holder,
                    "name": f"unknown 13F filer ({table.member.name})",
                    "kind": "unknown",
                    "notes": notes,
                    "sources": ["SEC Form 13F information table"],
                },
                table.member.display,
                "informationTable",
            )
            yield from _holdings(
                table, holder, None, None, "SEC 13F information table, period unknown", issuers
            )


# -- files and registration ----------------------------------------------------------------------


def _head(path: Path, n: int = 8192) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def _folder_docs(folder: Path) -> list[tuple[Path, str]]:
    out = []
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() == ".xml":
            try:
                kind = doc_kind(_head(p))
            except OSError:
                continue
            if kind:
                out.append((p, kind))
    return out


def load_files(path: Path) -> list[Path]:
    """Every file one load of ``path`` reads: a folder's 13F documents, or a file with its partner
    (same accession number; or the only other 13F document of the other kind in its folder)."""
    if path.is_dir():
        return [p for p, _ in _folder_docs(path)]
    if is_compressed(path):
        return [path]
    docs = _folder_docs(path.parent)
    acc = accession_of(path.name)
    if acc:
        return sorted({path, *(p for p, _ in docs if accession_of(p.name) == acc)})
    others = [(p, k) for p, k in docs if not accession_of(p.name)]
    kinds = sorted(k for _, k in others)
    if kinds == ["cover", "table"] and any(p == path for p, _ in others):
        return sorted(p for p, _ in others)
    return [path]


def _sniff(path: Path, head: bytes) -> bool:
    if path.is_dir():
        return bool(_folder_docs(path))
    return doc_kind(head) is not None


@register(
    "sec13f",
    "SEC Form 13F information table and cover page XML (a pair, a folder, or one of them)",
    _sniff,
    files=load_files,
)
def parse_sec13f(path: Path) -> Iterator[Item]:
    """Yield the filer, issuer and holding records of a 13F filing (see the module docstring)."""
    if path.is_file() and is_compressed(path):
        with open_members(path) as members:
            yield from parse_sec13f_members(members)
        return
    files = load_files(path)
    if not files:
        raise FormatError(
            "no 13F cover page or information table XML in this folder",
            file=str(path),
            fix="point at a folder holding a filing's primary_doc.xml and information table",
        )
    members = [m for f in files for m in members_of(f)]
    yield from parse_sec13f_members(members)
