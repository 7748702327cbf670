"""GLEIF golden copy: Level 1 (LEI-CDF), Level 2 relationships (RR-CDF) and reporting exceptions,
as CSV (``--format gleif-csv``) or XML (``--format gleif-xml``).

A file's family is read from its content: the XML namespace of its root (``leidata``, ``rr``,
``repex``) or the CSV header (``LEI,Entity.LegalName,…``; ``Relationship.StartNode.NodeID,…``;
``LEI,ExceptionCategory,…``). A folder is one load of every GLEIF file of that syntax in it, Level 1
first, so that relationships know which LEIs the Level 1 files named.

**Level 1** → one :class:`Entity` ``lei:<LEI>``: the legal name, other and transliterated names as
aliases, the ``lei`` identifier, the country part of ``LegalJurisdiction`` (the subdivision, e.g.
``US-MA``, kept as a note), ``EntityCategory`` as the kind (FUND → fund, SOLE_PROPRIETOR → person,
RESIDENT_GOVERNMENT_ENTITY → government, INTERNATIONAL_ORGANIZATION → organization, else company),
``EntityCreationDate`` (CDF 3) as incorporation, ``EntityExpirationDate`` as dissolution, and notes
for entity and registration status, legal form (ELF code and ``OtherLegalForm``), category,
registration authority, expiry, successor and associated entities. ``RegistrationAuthorityEntityID``
becomes ``registration:<CC>:<number>`` only for the authorities in :data:`REGISTRATION_AUTHORITIES`
(see there why that is safe); otherwise it is a note.

**Level 2** → one :class:`Ownership` per relationship record, with an unknown share (Level 2 is
accounting consolidation; the quantifier columns are empty in practice and, when filled, are cited
in ``source`` rather than read as a shareholding). StartNode is the child, EndNode the parent:

============================== ======================== ==========================================
relationship type              kind                     owner → owned
============================== ======================== ==========================================
IS_DIRECTLY_CONSOLIDATED_BY    ``consolidation``        parent → child
IS_ULTIMATELY_CONSOLIDATED_BY  ``consolidation``        ultimate parent → child (an indirect link;
                                                        the view keeps one edge per pair and kind)
IS_INTERNATIONAL_BRANCH_OF     ``control``              head office → branch (no separate person)
IS_FUND-MANAGED_BY             ``control``              fund manager → fund (control by contract)
IS_SUBFUND_OF                  ``control``              umbrella fund → sub-fund (a compartment)
IS_FEEDER_TO                   ``shares``               feeder → master fund (it holds units)
============================== ======================== ==========================================

An unknown relationship type is rejected with its locator. ``start`` is the earliest
``RELATIONSHIP_PERIOD`` start (accounting and filing periods are not the relationship's dates);
``end`` its end. A relationship with status **INACTIVE is kept as history**: it ends at its
relationship period's end or, without one (every INACTIVE row of the 2019 file), at the record's
``LastUpdateDate`` — the date by which GLEIF reported it inactive — so ``--as-of`` still sees it in
the past and not today. Records whose registration is ANNULLED or DUPLICATE (issued in error) are
skipped. Every LEI a relationship names that the loaded Level 1 file(s) did not define gets a stub
``Entity`` ``lei:<LEI>`` named by the LEI (kind ``company``, note "name unknown: not in the loaded
Level 1 file"), so edges never dangle; the stub merges with the real record by its LEI whenever
that is loaded.

**Reporting exceptions** → an :class:`Entity` ``lei:<LEI>`` (named by the LEI, merging with the
Level 1 record) whose notes say ``reporting exception: <category> <reason>`` — e.g.
NON_CONSOLIDATING or NO_KNOWN_PERSON: a positive statement that the entity declares no reportable
parent, and why.

Dates are ISO 8601 dates or datetimes (cut to the date as written) or Unix-epoch **milliseconds**
(``1352922180000``, 257 rows of the 2019 RR file), see :func:`gleif_date`. XML is streamed with
``defusedxml`` (no DTDs, no entity expansion), each record cleared and detached once read, so memory
stays bounded; CSV is streamed with the :mod:`csv` module. Compressed input (a ``.gz`` file, or the
``.zip`` that GLEIF publishes) is read through :mod:`ownergraph.loaders.compressed` as a stream,
never extracted. Progress is counted by the workspace.

This module stops at parsing: it writes nothing and resolves nothing beyond the file(s) it reads.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ownergraph.errors import DateError, FormatError, InputError
from ownergraph.graph.model import parse_date
from ownergraph.loaders.base import Item, make_record, register
from ownergraph.loaders.compressed import Member, register_stream

__all__ = [
    "NS_LEI",
    "NS_REPEX",
    "NS_RR",
    "REGISTRATION_AUTHORITIES",
    "RELATIONSHIP_KINDS",
    "STUB_NOTE",
    "gleif_date",
    "gleif_files",
    "parse_gleif_csv",
    "parse_gleif_csv_members",
    "parse_gleif_xml",
    "parse_gleif_xml_members",
    "registration_id",
]

NS_LEI = "http://www.gleif.org/data/schema/leidata/2016"
NS_RR = "http://www.gleif.org/data/schema/rr/2016"
NS_REPEX = "http://www.gleif.org/data/schema/repex/2016"
_NS_FAMILY = {NS_LEI: "lei", NS_RR: "rr", NS_REPEX: "repex"}
_FAMILY_ORDER = {"lei": 0, "rr": 1, "repex": 2}

STUB_NOTE = "name unknown: not in the loaded Level 1 file"

REGISTRATION_AUTHORITIES: dict[str, str] = {
    "RA000585": "GB",  # Companies House (company numbers are UK-wide: 01403668, SC084330, NI…)
    "RA000170": "DK",  # Erhvervsstyrelsen, Det Centrale Virksomhedsregister (CVR number)
    "RA000402": "IE",  # Companies Registration Office (CRO number)
    "RA000463": "NL",  # Kamer van Koophandel (KvK number)
    "RA000472": "NO",  # Brønnøysund, Foretaksregisteret (organisation number)
    "RA000473": "NO",  # Brønnøysund, Enhetsregisteret (the same organisation number)
    "RA000188": "FI",  # Patentti- ja rekisterihallitus (Business ID, Y-tunnus)
    "RA000181": "EE",  # Äriregister (registry code)
    "RA000163": "CZ",  # Obchodní rejstřík (IČO)
    "RA000523": "SG",  # ACRA (Unique Entity Number)
    "RA000469": "NG",  # Corporate Affairs Commission (RC number)
}
"""Registration authorities (GLEIF RA list codes) whose ``RegistrationAuthorityEntityID`` becomes a
``registration:<CC>:<number>`` identifier.

Why this is safe: a registration identifier *merges* entities across sources (SPEC §4), so it must
mean the same number space everywhere it is used. Each authority here is the primary company
register of one country, issuing one nationally unique number per company — the number other
sources cite for that country (BODS ``GB-COH``/``DK-CVR``/``IE-CRO``…, OFAC ``Registration
Number``). It is applied only when the entity's ``LegalJurisdiction`` is that country (or absent).
Deliberately left out: the US and Canada (numbers are per state or province, so ``US:<n>`` would
collide), Germany (Handelsregister numbers are per local court), Hong Kong (GLEIF's HK authorities
file the Business Registration Number, not the Companies Registry ``C.R. No.`` that OFAC cites),
New Zealand (RA000466 files the NZBN on some records and the company number on others),
Luxembourg and Ireland's fund registers (fund numbers, a second number space in one country), and
the placeholders RA888888/RA999999. Everything else is kept as a note
``registration authority RA… entity id …``."""

RELATIONSHIP_KINDS: dict[str, str] = {
    "IS_DIRECTLY_CONSOLIDATED_BY": "consolidation",
    "IS_ULTIMATELY_CONSOLIDATED_BY": "consolidation",
    "IS_INTERNATIONAL_BRANCH_OF": "control",
    "IS_FUND-MANAGED_BY": "control",
    "IS_SUBFUND_OF": "control",
    "IS_FEEDER_TO": "shares",
}
"""Relationship type → :class:`~ownergraph.graph.model.Ownership` kind (see the module docstring)."""

_OWNER_IS_START = frozenset({"IS_FEEDER_TO"})  # the feeder (StartNode) holds units of the master
_VOID_REGISTRATIONS = frozenset({"ANNULLED", "DUPLICATE"})

_CATEGORY_KIND = {
    "FUND": "fund",
    "SOLE_PROPRIETOR": "person",
    "RESIDENT_GOVERNMENT_ENTITY": "government",
    "INTERNATIONAL_ORGANIZATION": "organization",
}

_MS_RE = re.compile(r"^-?\d{9,}$")
_LEI_RE = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")
_JUR_RE = re.compile(r"^([A-Z]{2})(?:-[A-Z0-9]{1,3})?$")


# -- small helpers ---------------------------------------------------------------------------------


def gleif_date(value: str | None, *, field: str | None = None) -> dt.date | None:
    """A GLEIF date: ISO date or datetime (the date as written), or Unix-epoch milliseconds.

    >>> gleif_date("2012-11-29T16:33:00.000Z"), gleif_date("1352922180000"), gleif_date("")
    (datetime.date(2012, 11, 29), datetime.date(2012, 11, 14), None)
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _MS_RE.match(text):
        try:
            return dt.datetime.fromtimestamp(int(text) / 1000, dt.UTC).date()
        except (OverflowError, OSError, ValueError):
            raise DateError("not a Unix-millisecond timestamp", field=field, value=text) from None
    return parse_date(text, field=field)


def registration_id(ra: str | None, number: str | None, jurisdiction: str | None = None) -> str | None:
    """``<CC>:<number>`` for a registration authority of :data:`REGISTRATION_AUTHORITIES`, else None.

    Digits-only numbers lose their spaces (``923 609 016`` → ``923609016``).

    >>> registration_id("RA000585", "01403668", "GB"), registration_id("RA000665", "S000005113", "US")
    ('GB:01403668', None)
    """
    cc = REGISTRATION_AUTHORITIES.get((ra or "").strip().upper())
    num = " ".join((number or "").split())
    if not cc or not num:
        return None
    if jurisdiction:
        m = _JUR_RE.match(jurisdiction.strip().upper())
        if not m or m.group(1) != cc:
            return None
    compact = num.replace(" ", "")
    return f"{cc}:{compact if compact.isdigit() else num}"


def _jurisdiction(value: str | None) -> tuple[str | None, str | None]:
    """``(country, subdivision note)`` of a ``LegalJurisdiction``."""
    text = (value or "").strip().upper()
    if not text:
        return None, None
    m = _JUR_RE.match(text)
    if not m:
        return None, f"legal jurisdiction: {text}"
    return m.group(1), (f"legal jurisdiction: {text}" if text != m.group(1) else None)


def _stub(lei: str, source: str, note: str = STUB_NOTE) -> dict[str, Any]:
    return {"id": f"lei:{lei}", "name": lei, "kind": "company", "identifiers": {"lei": [lei]},
            "notes": [note], "sources": [source]}


@dataclass
class _Ctx:
    """What one load knows across files: the LEIs the Level 1 files defined (kept only when
    relationship or exception files follow in the same load: ~100 bytes an LEI), stubs emitted."""

    track: bool = False
    known: set[str] = field(default_factory=set)
    stubbed: set[str] = field(default_factory=set)


# -- the three record families, independent of syntax --------------------------------------------


@dataclass
class _L1:
    lei: str
    name: str = ""
    other_names: list[str] = field(default_factory=list)
    jurisdiction: str = ""
    category: str = ""
    subcategory: str = ""
    elf: str = ""
    other_form: str = ""
    status: str = ""
    created: str = ""
    expired: str = ""
    expiry_reason: str = ""
    ra: str = ""
    ra_other: str = ""
    ra_entity: str = ""
    successors: list[str] = field(default_factory=list)
    associated: list[str] = field(default_factory=list)
    reg_status: str = ""


@dataclass
class _RR:
    start: str
    start_type: str
    end: str
    end_type: str
    rtype: str
    status: str = ""
    periods: list[tuple[str, str, str]] = field(default_factory=list)
    qualifiers: list[str] = field(default_factory=list)
    quantifiers: list[str] = field(default_factory=list)
    reg_status: str = ""
    last_update: str = ""
    corroboration: str = ""


def _l1_items(r: _L1, ctx: _Ctx, file: str, line: int | str, locator: str, source: str) -> Iterator[Item]:
    lei = r.lei.strip().upper()
    if not _LEI_RE.match(lei):
        yield InputError("not a 20-character LEI", file=file, line=line, field="LEI", value=r.lei or None)
        return
    if ctx.track:
        ctx.known.add(lei)
    notes: list[str] = []
    country, sub = _jurisdiction(r.jurisdiction)
    if sub:
        notes.append(sub)
    identifiers: dict[str, list[str]] = {"lei": [lei]}
    reg = registration_id(r.ra, r.ra_entity, r.jurisdiction)
    if reg:
        identifiers["registration"] = [reg]
    elif r.ra_entity.strip() or r.ra_other.strip():
        ra = r.ra.strip() or "?"
        text = f"registration authority {ra}"
        if r.ra_other.strip():
            text += f" ({r.ra_other.strip()})"
        if r.ra_entity.strip():
            text += f" entity id {r.ra_entity.strip()}"
        notes.append(text)
    if r.status:
        notes.append(f"GLEIF entity status: {r.status}")
    if r.reg_status:
        notes.append(f"LEI registration status: {r.reg_status}")
    if r.category:
        notes.append(f"entity category: {r.category}" + (f" ({r.subcategory})" if r.subcategory else ""))
    if r.elf or r.other_form:
        notes.append("legal form: " + " ".join(p for p in (
            f"ELF {r.elf}" if r.elf else "", f"({r.other_form})" if r.other_form else "") if p))
    if r.expiry_reason:
        notes.append(f"expired: {r.expiry_reason}" + (f" {r.expired}" if r.expired else ""))
    notes.extend(f"successor LEI: {s}" for s in r.successors if s)
    notes.extend(r.associated)
    errors: list[InputError] = []

    def date(value: str, fname: str) -> dt.date | None:
        try:
            d = gleif_date(value, field=fname)
        except DateError as e:
            errors.append(e.located(file=file, line=line))
            return None
        if d is not None and d > dt.date.today():
            notes.append(f"{fname}: {value} (in the future)")
            return None
        return d

    incorporated = date(r.created, "EntityCreationDate")
    dissolved = date(r.expired, "EntityExpirationDate")
    yield from errors
    rec = make_record("entity", {
        "id": f"lei:{lei}", "name": r.name.strip() or lei, "kind": _CATEGORY_KIND.get(r.category, "company"),
        "jurisdiction": country,
        "aliases": [n for n in r.other_names if n.strip() and n.strip() != r.name.strip()],
        "identifiers": identifiers, "incorporated": incorporated, "dissolved": dissolved, "notes": notes,
        "sources": [source],
    }, file=file, line=line)
    yield rec if isinstance(rec, InputError) else (rec, locator)


def _rr_items(r: _RR, ctx: _Ctx, file: str, line: int | str, locator: str, source: str) -> Iterator[Item]:
    rtype = r.rtype.strip().upper()
    kind = RELATIONSHIP_KINDS.get(rtype)
    if kind is None:
        yield InputError("unknown relationship type", file=file, line=line, field="RelationshipType",
                         value=r.rtype or None, fix="expected one of " + ", ".join(RELATIONSHIP_KINDS))
        return
    if r.reg_status.strip().upper() in _VOID_REGISTRATIONS:
        return
    ends: list[str] = []
    for value, vtype, fname in ((r.start, r.start_type, "StartNode"), (r.end, r.end_type, "EndNode")):
        lei = value.strip().upper()
        if vtype.strip().upper() not in ("", "LEI") or not _LEI_RE.match(lei):
            yield InputError("relationship node is not an LEI", file=file, line=line, field=f"{fname}.NodeID",
                             value=f"{vtype}:{value}")
            return
        ends.append(lei)
    child, parent = ends
    status = r.status.strip().upper()
    try:
        starts, stops = [], []
        for ps, pe, ptype in r.periods:
            if ptype.strip().upper() != "RELATIONSHIP_PERIOD":
                continue
            if (d := gleif_date(ps, field="Period.startDate")) is not None:
                starts.append(d)
            if (d := gleif_date(pe, field="Period.endDate")) is not None:
                stops.append(d)
        start = min(starts) if starts else None
        end = max(stops) if stops else None
        if status == "INACTIVE" and end is None:
            end = gleif_date(r.last_update, field="LastUpdateDate")
    except DateError as e:
        yield e.located(file=file, line=line)
        return
    for lei in (child, parent):
        if lei not in ctx.known and lei not in ctx.stubbed:
            ctx.stubbed.add(lei)
            rec = make_record("entity", _stub(lei, source), file=file, line=line)
            yield rec if isinstance(rec, InputError) else (rec, locator)
    owner, owned = (child, parent) if rtype in _OWNER_IS_START else (parent, child)
    parts = [f"{source}: {rtype} {status or '?'}"]
    if status == "INACTIVE" and not stops:
        parts.append("inactive by LastUpdateDate")
    parts += r.qualifiers + r.quantifiers
    if r.corroboration:
        parts.append(f"corroboration {r.corroboration}")
    rec = make_record("ownership", {
        "owner_id": f"lei:{owner}", "owned_id": f"lei:{owned}", "share": None, "kind": kind,
        "start": start, "end": end, "source": "; ".join(parts),
    }, file=file, line=line)
    yield rec if isinstance(rec, InputError) else (rec, locator)


def _repex_items(lei: str, category: str, reasons: list[str], references: list[str], ctx: _Ctx,
                 file: str, line: int | str, locator: str, source: str) -> Iterator[Item]:
    lei = lei.strip().upper()
    if not _LEI_RE.match(lei):
        yield InputError("not a 20-character LEI", file=file, line=line, field="LEI", value=lei or None)
        return
    reason = " ".join(x.strip() for x in reasons if x.strip()) or "?"
    note = f"reporting exception: {category.strip() or '?'} {reason}"
    if refs := [x.strip() for x in references if x.strip()]:
        note += f" ({'; '.join(refs)})"
    data = _stub(lei, source, note)
    if lei not in ctx.known:
        data["notes"] = [note, STUB_NOTE]
    rec = make_record("entity", data, file=file, line=line)
    yield rec if isinstance(rec, InputError) else (rec, locator)


# -- CSV -------------------------------------------------------------------------------------------


def _csv_header(head: bytes) -> list[str]:
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r")
    try:
        return [h.strip() for h in next(csv.reader([first.decode("utf-8", errors="replace")]))]
    except (csv.Error, StopIteration):
        return []


def _csv_family(header: list[str]) -> str | None:
    if header[:2] == ["LEI", "Entity.LegalName"]:
        return "lei"
    if header[:1] == ["Relationship.StartNode.NodeID"]:
        return "rr"
    if header[:2] == ["LEI", "ExceptionCategory"]:
        return "repex"
    return None


class _Cols:
    """Column positions of one CSV header. Rows are padded to ``width + 1`` cells before use, so
    a column the header lacks reads the last, empty cell."""

    def __init__(self, header: list[str]) -> None:
        self.index = {h: i for i, h in enumerate(header)}
        self.width = len(header)

    def __call__(self, name: str) -> int:
        return self.index.get(name, self.width)

    def numbered(self, pattern: str) -> list[int]:
        """The numbers ``n`` of columns matching ``pattern`` (one ``(\\d+)`` group), in order."""
        rx = re.compile(pattern)
        return sorted(int(m.group(1)) for h in self.index if (m := rx.fullmatch(h)))


def _l1_csv(c: _Cols) -> Callable[[list[str]], _L1]:
    names = [c(f"Entity.OtherEntityNames.OtherEntityName.{n}")
             for n in c.numbered(r"Entity\.OtherEntityNames\.OtherEntityName\.(\d+)")]
    tr = "Entity.TransliteratedOtherEntityNames.TransliteratedOtherEntityName"
    names += [c(f"{tr}.{n}") for n in c.numbered(re.escape(tr) + r"\.(\d+)")]
    successors = [c(f"Entity.SuccessorEntity.{n}.SuccessorLEI")
                  for n in c.numbered(r"Entity\.SuccessorEntity\.(\d+)\.SuccessorLEI")]
    successors.append(c("Entity.SuccessorEntity.SuccessorLEI"))
    (lei, name, jur, cat, subcat, elf, other_form, status, created, expired, reason, ra, ra_other, ra_entity,
     reg_status, a_type, a_lei, a_name) = (c(h) for h in (
        "LEI", "Entity.LegalName", "Entity.LegalJurisdiction", "Entity.EntityCategory",
        "Entity.EntitySubCategory", "Entity.LegalForm.EntityLegalFormCode", "Entity.LegalForm.OtherLegalForm",
        "Entity.EntityStatus", "Entity.EntityCreationDate", "Entity.EntityExpirationDate",
        "Entity.EntityExpirationReason", "Entity.RegistrationAuthority.RegistrationAuthorityID",
        "Entity.RegistrationAuthority.OtherRegistrationAuthorityID",
        "Entity.RegistrationAuthority.RegistrationAuthorityEntityID", "Registration.RegistrationStatus",
        "Entity.AssociatedEntity.type", "Entity.AssociatedEntity.AssociatedLEI",
        "Entity.AssociatedEntity.AssociatedEntityName"))

    def build(row: list[str]) -> _L1:
        assoc = []
        if who := (row[a_lei].strip() or row[a_name].strip()):
            assoc.append(f"associated entity ({row[a_type].strip() or '?'}): {who}")
        return _L1(
            lei=row[lei].strip(), name=row[name].strip(),
            other_names=[v for i in names if (v := row[i].strip())],
            jurisdiction=row[jur].strip(), category=row[cat].strip(), subcategory=row[subcat].strip(),
            elf=row[elf].strip(), other_form=row[other_form].strip(), status=row[status].strip(),
            created=row[created].strip(), expired=row[expired].strip(), expiry_reason=row[reason].strip(),
            ra=row[ra].strip(), ra_other=row[ra_other].strip(), ra_entity=row[ra_entity].strip(),
            successors=[v for i in successors if (v := row[i].strip())], associated=assoc,
            reg_status=row[reg_status].strip(),
        )

    return build


def _rr_csv(c: _Cols) -> Callable[[list[str]], _RR]:
    periods = [(c(f"Relationship.Period.{n}.startDate"), c(f"Relationship.Period.{n}.endDate"),
                c(f"Relationship.Period.{n}.periodType"))
               for n in c.numbered(r"Relationship\.Period\.(\d+)\.periodType")]
    quals = [(c(f"Relationship.Qualifiers.{n}.QualifierDimension"),
              c(f"Relationship.Qualifiers.{n}.QualifierCategory"))
             for n in c.numbered(r"Relationship\.Qualifiers\.(\d+)\.QualifierDimension")]
    qp = "Relationship.Quantifiers" if any(
        h.startswith("Relationship.Quantifiers.") for h in c.index) else "Relationship.Qualifiers"
    quants = [(c(f"{qp}.{n}.MeasurementMethod"), c(f"{qp}.{n}.QuantifierAmount"),
               c(f"{qp}.{n}.QuantifierUnits"))
              for n in c.numbered(re.escape(qp) + r"\.(\d+)\.MeasurementMethod")]
    start, start_type, end, end_type, rtype, status, reg_status, last_update, corroboration = (c(h) for h in (
        "Relationship.StartNode.NodeID", "Relationship.StartNode.NodeIDType", "Relationship.EndNode.NodeID",
        "Relationship.EndNode.NodeIDType", "Relationship.RelationshipType", "Relationship.RelationshipStatus",
        "Registration.RegistrationStatus", "Registration.LastUpdateDate", "Registration.ValidationSources"))

    def build(row: list[str]) -> _RR:
        return _RR(
            start=row[start].strip(), start_type=row[start_type].strip(), end=row[end].strip(),
            end_type=row[end_type].strip(), rtype=row[rtype].strip(), status=row[status].strip(),
            periods=[(row[si], row[ei], row[ti]) for si, ei, ti in periods if row[ti]],
            qualifiers=[f"{row[di].strip().replace('_', ' ').lower() or 'qualifier'} {row[ci].strip()}"
                        for di, ci in quals if row[ci].strip()],
            quantifiers=[f"{row[mi].strip()} {row[ai].strip()} {row[ui].strip()}".strip()
                         for mi, ai, ui in quants if row[ai].strip()],
            reg_status=row[reg_status].strip(), last_update=row[last_update].strip(),
            corroboration=row[corroboration].strip(),
        )

    return build


def _parse_csv(raw: IO[bytes], file: str, name: str, ctx: _Ctx) -> Iterator[Item]:
    with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise FormatError("empty file", file=file, fix="pass a GLEIF golden-copy CSV") from None
        except (csv.Error, UnicodeDecodeError) as e:
            raise FormatError(f"unreadable header: {e}", file=file) from None
        family = _csv_family(header)
        if family is None:
            raise FormatError("not a GLEIF golden-copy CSV (unknown header)", file=file, line=1,
                              value=",".join(header[:3]),
                              fix="expected LEI,Entity.LegalName,… or Relationship.StartNode.NodeID,…")
        cols = _Cols(header)
        width = cols.width
        source = {"lei": f"GLEIF Level 1 LEI-CDF ({name})", "rr": f"GLEIF Level 2 RR-CDF ({name})",
                  "repex": f"GLEIF reporting exceptions ({name})"}[family]
        l1 = _l1_csv(cols) if family == "lei" else None
        rr = _rr_csv(cols) if family == "rr" else None
        reasons = [i for i, h in enumerate(header) if h.startswith("ExceptionReason")]
        refs = [i for i, h in enumerate(header) if h.startswith("ExceptionReference")]
        lei_i, cat_i = cols("LEI"), cols("ExceptionCategory")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                yield InputError(f"unreadable CSV row: {e}", file=file, line=reader.line_num,
                                 fix="check quoting; a field may be cut or far too long")
                continue
            except UnicodeDecodeError as e:
                raise FormatError(f"not UTF-8 (near byte {e.start} of a block)", file=file,
                                  line=reader.line_num,
                                  fix="GLEIF files are UTF-8; re-download the file") from None
            line = reader.line_num
            if not any(row):
                continue
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            row.append("")
            locator = f"{name}:{line}"
            if l1 is not None:
                yield from _l1_items(l1(row), ctx, file, line, locator, source)
            elif rr is not None:
                yield from _rr_items(rr(row), ctx, file, line, locator, source)
            else:
                yield from _repex_items(row[lei_i], row[cat_i], [row[i] for i in reasons],
                                        [row[i] for i in refs], ctx, file, line, locator, source)


# -- XML -------------------------------------------------------------------------------------------

_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(LEIData|RelationshipData|ReportingExceptionData)\b")


def _xml_family(head: bytes) -> str | None:
    m = _XML_ROOT.search(head[:8192])
    if not m:
        return None
    window = head[m.start(): m.start() + 2048]
    for ns, fam in _NS_FAMILY.items():
        if ns.encode() in window:
            return fam
    return None


class _X:
    """Namespaced paths into one record element."""

    def __init__(self, ns: str) -> None:
        self.ns = ns
        self._cache: dict[str, str] = {}

    def p(self, path: str) -> str:
        q = self._cache.get(path)
        if q is None:
            q = "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))
            self._cache[path] = q
        return q

    def text(self, el: Any, path: str) -> str:
        return str(el.findtext(self.p(path)) or "").strip()

    def all(self, el: Any, path: str) -> list[Any]:
        return list(el.findall(self.p(path)))


def _l1_xml(el: Any, x: _X) -> _L1:
    t = x.text
    names = [str(n.text or "").strip() for n in x.all(el, "Entity/OtherEntityNames/OtherEntityName")]
    names += [str(n.text or "").strip()
              for n in x.all(el, "Entity/TransliteratedOtherEntityNames/TransliteratedOtherEntityName")]
    assoc = []
    for a in x.all(el, "Entity/AssociatedEntity"):
        who = t(a, "AssociatedLEI") or t(a, "AssociatedEntityName")
        if who:
            assoc.append(f"associated entity ({a.get('type') or '?'}): {who}")
    return _L1(
        lei=t(el, "LEI"), name=t(el, "Entity/LegalName"), other_names=[n for n in names if n],
        jurisdiction=t(el, "Entity/LegalJurisdiction"), category=t(el, "Entity/EntityCategory"),
        subcategory=t(el, "Entity/EntitySubCategory"), elf=t(el, "Entity/LegalForm/EntityLegalFormCode"),
        other_form=t(el, "Entity/LegalForm/OtherLegalForm"), status=t(el, "Entity/EntityStatus"),
        created=t(el, "Entity/EntityCreationDate"), expired=t(el, "Entity/EntityExpirationDate"),
        expiry_reason=t(el, "Entity/EntityExpirationReason"),
        ra=t(el, "Entity/RegistrationAuthority/RegistrationAuthorityID"),
        ra_other=t(el, "Entity/RegistrationAuthority/OtherRegistrationAuthorityID"),
        ra_entity=t(el, "Entity/RegistrationAuthority/RegistrationAuthorityEntityID"),
        successors=[s for s in (t(e, "SuccessorLEI") for e in x.all(el, "Entity/SuccessorEntity")) if s],
        associated=assoc, reg_status=t(el, "Registration/RegistrationStatus"),
    )


def _rr_xml(el: Any, x: _X) -> _RR:
    t = x.text
    rel = el.find(x.p("Relationship"))
    if rel is None:
        rel = el
    periods = [(t(p, "StartDate"), t(p, "EndDate"), t(p, "PeriodType"))
               for p in x.all(rel, "RelationshipPeriods/RelationshipPeriod")]
    qualifiers = [f"{t(q, 'QualifierDimension').replace('_', ' ').lower() or 'qualifier'} "
                  f"{t(q, 'QualifierCategory')}"
                  for q in x.all(rel, "RelationshipQualifiers/RelationshipQualifier")
                  if t(q, "QualifierCategory")]
    quantifiers = [f"{t(q, 'MeasurementMethod')} {t(q, 'QuantifierAmount')} {t(q, 'QuantifierUnits')}".strip()
                   for q in x.all(rel, "RelationshipQuantifiers/RelationshipQuantifier")
                   if t(q, "QuantifierAmount")]
    return _RR(
        start=t(rel, "StartNode/NodeID"), start_type=t(rel, "StartNode/NodeIDType"),
        end=t(rel, "EndNode/NodeID"), end_type=t(rel, "EndNode/NodeIDType"),
        rtype=t(rel, "RelationshipType"), status=t(rel, "RelationshipStatus"), periods=periods,
        qualifiers=qualifiers, quantifiers=quantifiers, reg_status=t(el, "Registration/RegistrationStatus"),
        last_update=t(el, "Registration/LastUpdateDate"),
        corroboration=t(el, "Registration/ValidationSources"),
    )


_RECORD_TAGS = {"lei": "LEIRecord", "rr": "RelationshipRecord", "repex": "Exception"}


def _parse_xml(raw: IO[bytes], file: str, name: str, ctx: _Ctx) -> Iterator[Item]:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    family: str | None = None
    x: _X | None = None
    record_tag = ""
    stack: list[Any] = []
    content_date = ""
    n = 0
    source = ""
    try:
        for event, el in iterparse(raw, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                if family is None:
                    ns = str(el.tag)[1:].partition("}")[0]
                    family = _NS_FAMILY.get(ns)
                    if family is None or not str(el.tag).startswith("{"):
                        raise FormatError("not a GLEIF golden-copy XML file (unknown root namespace)",
                                          file=file, value=str(el.tag),
                                          fix="expected LEI-CDF, RR-CDF or repex XML")
                    x = _X(ns)
                    record_tag = x.p(_RECORD_TAGS[family])
                stack.append(el)
                continue
            stack.pop()
            assert x is not None and family is not None
            tag = el.tag
            if tag != record_tag:
                if tag == x.p("ContentDate") and not content_date:
                    content_date = (el.text or "").strip()[:10]
                continue
            n += 1
            if not source:
                label = {"lei": "Level 1 LEI-CDF", "rr": "Level 2 RR-CDF", "repex": "reporting exceptions"}
                dated = f", {content_date}" if content_date else ""
                source = f"GLEIF {label[family]} ({name}{dated})"
            if family == "lei":
                r1 = _l1_xml(el, x)
                loc = f"LEIRecord {r1.lei or n}"
                yield from _l1_items(r1, ctx, file, loc, f"{name}:{loc}", source)
            elif family == "rr":
                r2 = _rr_xml(el, x)
                loc = f"RelationshipRecord {n} ({r2.start} {r2.rtype} {r2.end})"
                yield from _rr_items(r2, ctx, file, loc, f"{name}:{loc}", source)
            else:
                lei = x.text(el, "LEI")
                loc = f"Exception {n} ({lei})"
                yield from _repex_items(
                    lei, x.text(el, "ExceptionCategory"),
                    [str(e.text or "") for e in x.all(el, "ExceptionReason")],
                    [str(e.text or "") for e in x.all(el, "ExceptionReference")],
                    ctx, file, loc, f"{name}:{loc}", source)
            el.clear()
            if stack:
                stack[-1].remove(el)  # detach: the container keeps no trace of records read
    except ParseError as e:
        raise FormatError(f"malformed XML: {e}", file=file, fix="re-download the file") from None
    except DefusedXmlException as e:
        raise FormatError(f"refused XML construct: {e}", file=file,
                          fix="GLEIF files have no DTD or entities; this file is not one") from None
    if family is None:
        raise FormatError("empty XML file", file=file)


# -- folders, sniffing, registration ---------------------------------------------------------------


def _family_of(p: Path, syntax: str) -> str | None:
    try:
        with open(p, "rb") as f:
            head = f.read(8192)
    except OSError:
        return None
    return _csv_family(_csv_header(head)) if syntax == "csv" else _xml_family(head)


def gleif_files(path: Path, syntax: str = "csv") -> list[Path]:
    """The GLEIF files one load of ``path`` reads: the file, or the folder's GLEIF files of one
    syntax (``csv``/``xml``), Level 1 first, then relationships, then reporting exceptions."""
    if not path.is_dir():
        return [path]
    found = []
    for p in sorted(path.iterdir()):
        if p.is_file() and (fam := _family_of(p, syntax)) is not None:
            found.append((_FAMILY_ORDER[fam], p.name, p))
    return [p for _o, _n, p in sorted(found)]


_Input = tuple[str, str, Callable[[], IO[bytes]]]
"""What one parse reads: (display name for messages, file name for sources, binary opener)."""


def _open_path(p: Path) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        try:
            return open(p, "rb")
        except OSError as e:
            raise FormatError(f"cannot read the file: {e.strerror}", file=str(p)) from None

    return opener


def _parse_inputs(inputs: list[tuple[str | None, _Input]], syntax: str) -> Iterator[Item]:
    """Parse inputs of one syntax in one load: Level 1 first, so that relationships know its LEIs."""
    families = [fam for fam, _i in inputs]
    ctx = _Ctx(track="lei" in families and ("rr" in families or "repex" in families))
    parse = _parse_csv if syntax == "csv" else _parse_xml
    for _fam, (file, name, opener) in sorted(inputs, key=lambda t: _FAMILY_ORDER.get(t[0] or "", 0)):
        with opener() as raw:
            yield from parse(raw, file, name, ctx)


def _parse(path: Path, syntax: str) -> Iterator[Item]:
    if not path.is_dir():
        yield from _parse_inputs([(None, (str(path), path.name, _open_path(path)))], syntax)
        return
    files = gleif_files(path, syntax)
    if not files:
        raise FormatError(f"no GLEIF {syntax.upper()} files in the folder", file=str(path),
                          fix="pass a golden-copy file or a folder holding them")
    yield from _parse_inputs([(_family_of(p, syntax), (str(p), p.name, _open_path(p))) for p in files],
                             syntax)


def _parse_members(members: Sequence[Member], syntax: str) -> Iterator[Item]:
    inputs: list[tuple[str | None, _Input]] = []
    for m in members:
        head = m.head(8192)
        fam = _csv_family(_csv_header(head)) if syntax == "csv" else _xml_family(head)
        if fam is None:
            yield InputError(f"not a GLEIF golden-copy {syntax.upper()} file; skipped", file=m.display,
                             fix="load the other files of the archive with their own format")
            continue
        inputs.append((fam, (m.display, m.name, m.open)))
    if not inputs:
        raise FormatError(f"no GLEIF {syntax.upper()} files in the archive", file=members[0].display
                          if members else None, fix="pass a golden-copy file or an archive holding them")
    yield from _parse_inputs(inputs, syntax)


def _sniff_csv(path: Path, head: bytes) -> bool:
    if path.is_dir():
        return not (path / "entities.csv").exists() and bool(gleif_files(path, "csv"))
    return _csv_family(_csv_header(head)) is not None


def _sniff_xml(path: Path, head: bytes) -> bool:
    if path.is_dir():
        return not (path / "entities.csv").exists() and bool(gleif_files(path, "xml"))
    return _xml_family(head) is not None


def _files_csv(path: Path) -> list[Path]:
    return gleif_files(path, "csv")


def _files_xml(path: Path) -> list[Path]:
    return gleif_files(path, "xml")


@register("gleif-csv", "GLEIF golden copy CSV: Level 1, Level 2 relationships, reporting exceptions",
          _sniff_csv, files=_files_csv)
def parse_gleif_csv(path: Path) -> Iterator[Item]:
    """Yield the entities and relationships of a GLEIF golden-copy CSV file (or a folder of them)."""
    return _parse(path, "csv")


@register("gleif-xml", "GLEIF golden copy XML: LEI-CDF, RR-CDF, reporting exceptions",
          _sniff_xml, files=_files_xml)
def parse_gleif_xml(path: Path) -> Iterator[Item]:
    """Yield the entities and relationships of a GLEIF golden-copy XML file (or a folder of them)."""
    return _parse(path, "xml")


@register_stream("gleif-csv")
def parse_gleif_csv_members(members: Sequence[Member]) -> Iterator[Item]:
    """The same from compressed input: a ``.csv.gz`` or the golden copy's ``.csv.zip``."""
    return _parse_members(members, "csv")


@register_stream("gleif-xml")
def parse_gleif_xml_members(members: Sequence[Member]) -> Iterator[Item]:
    """The same from compressed input: a ``.xml.gz`` or the golden copy's ``.xml.zip``."""
    return _parse_members(members, "xml")
