"""Open Ownership Beneficial Ownership Data Standard (``--format bods``): BODS 0.1–0.3 statements
and 0.4 records, as a JSON array, JSON lines, or a single object (or objects one after another).

The version is read **per statement**: ``statementId``/``recordType`` is 0.4, ``statementID`` is
0.1–0.3 (``publicationDetails.bodsVersion`` tells 0.3 from 0.2; without it, 0.3's camelCase
interest types, ``directOrIndirect`` or ``publicListing`` do). A file is read twice, keeping only
ids between the passes (bounded memory): the first pass learns which statements are present,
which 0.2/0.3 statements ``replacesStatements`` retire, and which 0.4 statement is the latest of
each record; the second emits.

**Entities and persons** → :class:`Entity` ``bods:<statementID>`` (0.1–0.3) or ``bods:<recordId>``
(0.4). Versions: a 0.2/0.3 statement replaced by another statement *in the file* is not emitted,
and references to it follow the replacement; of a 0.4 record only the latest statement (by
``statementDate``, then file order) is emitted — a ``closed`` latest relationship ends its
interests on that date. (Replacements across files are not resolved: loads are per file.)
Kinds: registered and legal entities → company, ``state``/``stateBody`` → government,
``arrangement`` → organization, anonymous/unknown entities → unknown (reason in notes), every
person → person. Identifiers: scheme ``XI-LEI``/``LEI`` → ``lei``; national company registers by
org-id scheme (:data:`REGISTER_SCHEMES`: ``GB-COH`` → ``registration:GB:<n>``, ``DK-CVR`` →
``registration:DK:<n>``, …) and GLEIF registration-authority codes used as ``schemeName`` (as
GLEIF-derived BODS does) through :data:`~ownergraph.loaders.gleif.REGISTRATION_AUTHORITIES`;
everything else is a note. Persons get no registration identifiers (a person's register number is
not a company number). ``publicListing.securitiesListings`` → :class:`Listing` (MIC, ISIN, ticker;
the ISIN also becomes an ``isin`` identifier of the issuer, a CUSIP a ``cusip`` one).

**Relationships** → one :class:`Ownership` per interest, interested party → subject. Interest types
(0.2 kebab-case or 0.3/0.4 camelCase): shareholding → ``shares``, voting rights → ``votes``,
appointment of board → ``board``; other influence or control, senior managing official, trust and
arrangement roles, contractual and board-member rights → ``control``; unknown/unpublished interests
and a relationship with no interests → ``shares`` with an unknown share (the register asserts
*some* ownership or control). Exception: ``other-influence-or-control`` with
``beneficialOwnershipOrControl: false`` from a GLEIF-derived source → ``consolidation`` — in Open
Ownership's GLEIF pipeline (the ``bodspipelines`` files) this one code stands for every Level 2
relationship (accounting consolidation, but also fund management and sub-funds, which it does
not distinguish), so the weakest reading is taken. Shares (:func:`bods_share`): ``exact`` wins
(float noise such as ``26.150000000000002`` rounds to whole ppm); ranges use ``minimum``/``maximum``
with ``exclusiveMinimum``/``exclusiveMaximum`` as **booleans in 0.1–0.3** (defaults: minimum
inclusive, maximum exclusive) and as **numbers — the exclusive bounds themselves — in 0.4**; each
value is read by its JSON type, so ``true`` is never the number 1. An indirect interest that
summarises a chain whose component records are all in the file (``componentRecords`` /
``componentStatementIDs``) is not emitted: the chain carries it, and both would count twice.

An **unspecified interested party** (``unspecified{reason, description}`` in 0.2/0.3, ``{reason,
description}`` in 0.4, e.g. ``subjectExemptFromDisclosure`` for listed companies) is kept as an
``Entity`` of kind ``unknown`` with id ``bods:<statement or record id>:unspecified`` — one per
relationship, hence per subject — and the reason in its notes, owning the subject. A reference to a
statement or record that is not in the file gets a stub entity ``bods:<id>`` named by the id (kind
from the reference in 0.2/0.3; in 0.4 ``company`` for a subject, which is always an entity, and
``unknown`` for an interested party), so edges never dangle and split files join by id when both
are loaded.

Compressed input (``.json.gz``, a zip of BODS files) is read as a stream through
:mod:`ownergraph.loaders.compressed`; the members of one archive are one load, indexed together.

This module stops at parsing: nothing is written and no entities are matched beyond identifiers.
"""

from __future__ import annotations

import codecs
import datetime as dt
import itertools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

import orjson

from ownergraph.errors import DateError, FormatError, InputError, ShareError
from ownergraph.graph.model import normalize_identifier, parse_date
from ownergraph.graph.shares import Share, pct_to_ppm
from ownergraph.loaders.base import Item, make_record, register
from ownergraph.loaders.compressed import Member, register_stream
from ownergraph.loaders.gleif import registration_id

__all__ = [
    "INTEREST_KINDS",
    "REGISTER_SCHEMES",
    "bods_share",
    "bods_version",
    "interest_kind",
    "iter_json",
    "iter_json_stream",
    "parse_bods",
    "parse_bods_members",
]

REGISTER_SCHEMES: dict[str, str] = {
    "GB-COH": "GB",  # Companies House
    "DK-CVR": "DK",  # Det Centrale Virksomhedsregister
    "IE-CRO": "IE",  # Companies Registration Office
    "NL-KVK": "NL",  # Kamer van Koophandel
    "NO-BRC": "NO",  # Brønnøysund Register Centre
    "FI-PRO": "FI",  # Finnish Patent and Registration Office (Business ID)
    "SE-BLV": "SE",  # Bolagsverket
    "EE-RIK": "EE",  # Estonian Centre of Registers (registry code)
    "CZ-ICO": "CZ",  # IČO
    "HK-CR": "HK",  # Hong Kong Companies Registry (the C.R. No. that OFAC cites)
    "SG-ACRA": "SG",  # ACRA Unique Entity Number
}
"""org-id.guide schemes of national company registers → country: each issues one nationally
unique company number, the same number space as ``registration:<CC>`` everywhere else (GLEIF
registration authorities, OFAC ``Registration Number``/``C.R. No.``). Other schemes (tax ids,
state registers, internal ids) are notes."""

INTEREST_KINDS: dict[str, str] = {
    "shareholding": "shares",
    "votingrights": "votes",
    "appointmentofboard": "board",
    "otherinfluenceorcontrol": "control",
    "seniormanagingofficial": "control",
    "settloroftrust": "control",
    "trusteeoftrust": "control",
    "protectoroftrust": "control",
    "beneficiaryoftrust": "control",
    "otherinfluenceorcontroloftrust": "control",
    "settlor": "control",
    "trustee": "control",
    "protector": "control",
    "beneficiaryoflegalarrangement": "control",
    "rightstosurplusassetsondissolution": "control",
    "rightstoprofitorincome": "control",
    "rightsgrantedbycontract": "control",
    "conditionalrightsgrantedbycontract": "control",
    "controlviacompanyrulesorarticles": "control",
    "controlbylegalframework": "control",
    "boardmember": "control",
    "boardchair": "control",
    "enjoymentanduseofassets": "control",
    "righttoprofitorincomefromassets": "control",
    "nominee": "control",
    "nominator": "control",
    "unknowninterest": "shares",
    "unpublishedinterest": "shares",
}
"""Interest type, lower case without ``-``/``_`` (so 0.2 ``voting-rights`` and 0.4 ``votingRights``
meet) → Ownership kind."""

_LEI_RE = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")
_RA_RE = re.compile(r"^RA\d{6}$")
_JUR_RE = re.compile(r"^([A-Z]{2})(?:-[A-Z0-9]{1,3})?$")
_CHUNK = 1 << 20
_MAX_VALUE = 256 << 20
_ENTITY_KINDS = {
    "registeredentity": "company",
    "legalentity": "company",
    "state": "government",
    "statebody": "government",
    "arrangement": "organization",
    "anonymousentity": "unknown",
    "unknownentity": "unknown",
}


# -- reading JSON: an array, lines, or objects one after another -----------------------------------

_Input = tuple[str, str, Callable[[], IO[bytes]]]
"""What one parse reads: (display name for messages, file name for sources, binary opener)."""


def _open_path(p: Path) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        try:
            return open(p, "rb")
        except OSError as e:
            raise FormatError(f"cannot read the file: {e.strerror}", file=str(p)) from None

    return opener



def iter_json(path: Path) -> Iterator[tuple[str, Any] | InputError]:
    """Yield ``(where, value)`` for each top-level value of a file: array elements, JSON lines,
    or the object(s) in it; ``where`` is ``line N`` or ``item N (line L)``.

    A bad JSON line is an :class:`InputError` and the next line is read; a JSON array that is
    malformed cannot be resynchronised and raises :class:`FormatError`. Memory stays near the size
    of the largest single value.
    """
    with _open_path(path)() as raw:
        yield from iter_json_stream(raw, str(path))


def iter_json_stream(raw: IO[bytes], file: str) -> Iterator[tuple[str, Any] | InputError]:
    """:func:`iter_json` over a binary stream (read once, front to back; no seeking)."""
    head = raw.read(_CHUNK)
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    stripped = head.lstrip()
    if not stripped:
        raise FormatError("empty file", file=file, fix="pass a BODS JSON or JSON-lines file")
    if stripped[:1] not in (b"[", b"{"):
        raise FormatError("not JSON (expected [ or {)", file=file, line=1,
                          value=stripped[:20].decode("utf-8", "replace"),
                          fix="pass a BODS JSON array or JSON-lines file")
    lines_mode = False
    if stripped[:1] == b"{":
        first_line = stripped.split(b"\n", 1)[0]
        try:
            lines_mode = isinstance(orjson.loads(first_line), dict)
        except orjson.JSONDecodeError:
            lines_mode = False
    chunks = itertools.chain([head], iter(lambda: raw.read(_CHUNK), b""))
    if lines_mode:
        yield from _iter_lines(chunks, file)
    else:
        yield from _iter_stream(chunks, file, array=stripped[:1] == b"[")


def _iter_lines(chunks: Iterator[bytes], file: str) -> Iterator[tuple[str, Any] | InputError]:
    n = 0
    parts: list[bytes] = []
    for chunk in itertools.chain(chunks, [b"\n"]):
        if b"\n" not in chunk:  # a line longer than a chunk: gather it without rescanning
            parts.append(chunk)
            continue
        lines = (b"".join(parts) + chunk).split(b"\n")
        parts = [lines.pop()]
        for line in lines:
            n += 1
            if not line.strip():
                continue
            try:
                yield f"line {n}", orjson.loads(line)
            except orjson.JSONDecodeError as e:
                yield InputError(f"malformed JSON line: {e}", file=file, line=n,
                                 fix="each line must be one complete JSON object")


def _iter_stream(chunks: Iterator[bytes], file: str, *, array: bool
                 ) -> Iterator[tuple[str, Any] | InputError]:
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    buf = ""
    pos = 0
    line = 1
    eof = False
    count = 0
    skip = re.compile(r"[\s,]*" if array else r"\s*")

    def more() -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        chunk = next(chunks, b"")
        try:
            text = utf8.decode(chunk, final=not chunk)
        except UnicodeDecodeError as e:
            raise FormatError(f"not UTF-8 ({e.reason})", file=file, line=line,
                              fix="BODS files are UTF-8; re-save the file as UTF-8") from None
        if not chunk:
            eof = True
        buf = buf[pos:] + text
        pos = 0
        return bool(chunk) or bool(text)

    more()
    if array:
        pos = buf.index("[") + 1
        line += buf.count("\n", 0, pos)
    while True:
        m = skip.match(buf, pos)
        end = m.end() if m else pos
        line += buf.count("\n", pos, end)
        pos = end
        if pos >= len(buf):
            if more():
                continue
            if array:
                raise FormatError("JSON array not closed (missing ])", file=file, line=line,
                                  fix="the file may be cut short; re-download it")
            return
        if array and buf[pos] == "]":
            rest = buf[pos + 1:]
            while more():
                rest = buf
                buf = ""
            if rest.strip():
                raise FormatError("content after the closing ]", file=file, line=line)
            return
        try:
            value, end = decoder.raw_decode(buf, pos)
        except json.JSONDecodeError as e:
            if len(buf) - pos < _MAX_VALUE and more():
                continue
            raise FormatError(f"malformed JSON: {e.msg}", file=file,
                              line=line + buf.count("\n", pos, max(pos, e.pos)),
                              fix="check the file is one JSON array, JSON lines, or JSON objects") from None
        count += 1
        where = f"item {count} (line {line})"
        line += buf.count("\n", pos, end)
        pos = end
        yield where, value


# -- versions, shares, interests ------------------------------------------------------------------


def bods_version(st: dict[str, Any]) -> str | None:
    """``"0.2"`` (for 0.1–0.2), ``"0.3"`` or ``"0.4"`` for one statement; None if it is none.

    >>> bods_version({"statementID": "a", "statementType": "entityStatement"})
    '0.2'
    >>> bods_version({"statementId": "a", "recordType": "entity"})
    '0.4'
    """
    pub = st.get("publicationDetails")
    declared = str(pub.get("bodsVersion") or "") if isinstance(pub, dict) else ""
    if "recordType" in st or "recordDetails" in st or ("statementId" in st and "statementID" not in st):
        return declared if declared[:3] >= "0.4" else "0.4"
    if "statementID" not in st:
        return None
    if declared.startswith("0.3"):
        return "0.3"
    if declared.startswith(("0.1", "0.2")):
        return "0.2"
    if "publicListing" in st or "jurisdiction" in st or "entitySubtype" in st:
        return "0.3"
    interests = st.get("interests")
    if isinstance(interests, list):
        for i in interests:
            camel = isinstance(i, dict) and re.search(r"[a-z][A-Z]", str(i.get("type")))
            if isinstance(i, dict) and ("directOrIndirect" in i or camel):
                return "0.3"
    return "0.2"


def _num(v: Any) -> Decimal | None:
    """A JSON number (never a boolean) or numeric string as a Decimal."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float, str)):
        try:
            d = Decimal(str(v).strip())
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


def bods_share(share: Any, version: str = "0.2") -> Share:
    """The :class:`Share` of a BODS ``share`` object.

    0.1–0.3: ``exclusiveMinimum``/``exclusiveMaximum`` are booleans (defaults false / true); 0.4:
    they are the exclusive bounds. A value's JSON type decides how it is read.

    >>> str(bods_share({"minimum": 25, "maximum": 50, "exclusiveMinimum": True, "exclusiveMaximum": False}))
    '(25,50]'
    >>> str(bods_share({"minimum": 75, "exclusiveMaximum": 100}, "0.4"))
    '[75,100)'
    >>> str(bods_share({"exact": 26.150000000000002}))
    '26.15'
    """
    if not isinstance(share, dict):
        return Share.unknown()
    exact = _num(share.get("exact"))
    if exact is not None:
        return Share.exact(exact)
    mn, mx = _num(share.get("minimum")), _num(share.get("maximum"))
    raw_xmn, raw_xmx = share.get("exclusiveMinimum"), share.get("exclusiveMaximum")
    xmn, xmx = _num(raw_xmn), _num(raw_xmx)
    if mn is None and mx is None and xmn is None and xmx is None:
        return Share.unknown()
    numeric = version >= "0.4"
    lo, lo_open = Decimal(0), False
    if xmn is not None:
        lo, lo_open = xmn, True
        if mn is not None and mn > lo:
            lo, lo_open = mn, False
    elif mn is not None:
        lo, lo_open = mn, raw_xmn is True
    hi, hi_open = Decimal(100), False
    if xmx is not None:
        hi, hi_open = xmx, True
        if mx is not None and mx < hi:
            hi, hi_open = mx, False
    elif mx is not None:
        hi = mx
        hi_open = raw_xmx if isinstance(raw_xmx, bool) else not numeric
    if lo == hi:
        return Share.exact(lo)
    text = f"{'(' if lo_open else '['}{lo},{hi}{')' if hi_open else ']'}"
    try:
        return Share(lo=pct_to_ppm(lo, text=text), hi=pct_to_ppm(hi, text=text), lo_open=lo_open,
                     hi_open=hi_open)
    except ShareError:
        raise
    except ValueError:  # pydantic wraps the model's own check
        raise ShareError("inverted or empty interval", value=text,
                         fix="minimum must lie below maximum") from None


def interest_kind(itype: Any, *, beneficial: Any = None, gleif_derived: bool = False) -> str | None:
    """The Ownership kind of an interest type, or None if the type is not a BODS code.

    >>> interest_kind("voting-rights"), interest_kind("votingRights"), interest_kind("settlor-of-trust")
    ('votes', 'votes', 'control')
    >>> interest_kind("other-influence-or-control", beneficial=False, gleif_derived=True)
    'consolidation'
    """
    key = re.sub(r"[-_\s]", "", str(itype or "unknownInterest")).lower()
    kind = INTEREST_KINDS.get(key)
    if kind == "control" and key == "otherinfluenceorcontrol" and gleif_derived and beneficial is False:
        return "consolidation"
    return kind


# -- statements ------------------------------------------------------------------------------------


@dataclass
class _St:
    """One statement, version-independent: ``ref`` is the graph id (statementID or recordId)."""

    where: str
    version: str
    sid: str
    kind: str  # entity | person | relationship
    ref: str
    date: str
    status: str
    details: dict[str, Any]
    raw: dict[str, Any]


_TYPES_02 = {"entityStatement": "entity", "personStatement": "person",
             "ownershipOrControlStatement": "relationship"}


def _statement(where: str, obj: Any, file: str) -> _St | InputError:
    if not isinstance(obj, dict):
        return InputError("not a JSON object", file=file, line=where, fix="each BODS statement is an object")
    version = bods_version(obj)
    if version is None:
        return InputError("not a BODS statement (no statementID or statementId)", file=file, line=where,
                          fix="pass BODS statements; other JSON is not this format")
    if version >= "0.4":
        sid = str(obj.get("statementId") or obj.get("statementID") or "").strip()
        ref = str(obj.get("recordId") or "").strip()
        kind = str(obj.get("recordType") or "").strip().lower()
        details = obj.get("recordDetails")
        if not isinstance(details, dict):
            return InputError("statement without recordDetails", file=file, line=where, field="recordDetails",
                              value=sid or None)
        if not ref:
            return InputError("statement without a recordId", file=file, line=where, field="recordId",
                              value=sid or None)
    else:
        sid = str(obj.get("statementID") or "").strip()
        ref = sid
        kind = _TYPES_02.get(str(obj.get("statementType") or "").strip(), "")
        details = obj
    if not sid:
        return InputError("statement without an id", file=file, line=where, field="statementID")
    if kind not in ("entity", "person", "relationship"):
        return InputError("unknown statement or record type", file=file, line=where,
                          field="statementType" if version < "0.4" else "recordType",
                          value=obj.get("statementType") or obj.get("recordType"),
                          fix="expected entity, person or ownership-or-control/relationship")
    return _St(where, version, sid, kind, ref, str(obj.get("statementDate") or "").strip(),
               str(obj.get("recordStatus") or "").strip().lower(), details, obj)


@dataclass
class _Index:
    """Pass one: ids only."""

    present: dict[str, str] = field(default_factory=dict)  # ref → kind
    first: dict[str, int] = field(default_factory=dict)  # 0.2 statementID → first sequence number
    replaced_by: dict[str, str] = field(default_factory=dict)  # 0.2 statementID → replacing statementID
    latest: dict[str, tuple[str, int]] = field(default_factory=dict)  # 0.4 recordId → (date, seq)
    statements: int = 0

    def resolve(self, ref: str) -> str:
        hops = 0
        while ref in self.replaced_by and hops < 1000:
            ref = self.replaced_by[ref]
            hops += 1
        return ref


def _index(inputs: list[_Input]) -> _Index:
    idx = _Index()
    seq = 0
    for file, _name, opener in inputs:
        with opener() as raw:
            for item in iter_json_stream(raw, file):
                if isinstance(item, InputError):
                    continue
                st = _statement(item[0], item[1], file)
                if isinstance(st, InputError):
                    continue
                seq += 1
                idx.statements += 1
                idx.present.setdefault(st.ref, st.kind)
                if st.version >= "0.4":
                    prev = idx.latest.get(st.ref)
                    if prev is None or st.date >= prev[0]:
                        idx.latest[st.ref] = (st.date, seq)
                else:
                    idx.first.setdefault(st.sid, seq)
                    for old in st.raw.get("replacesStatements") or ():
                        if isinstance(old, str) and old.strip() and old.strip() != st.sid:
                            idx.replaced_by[old.strip()] = st.sid
    return idx


# -- entities --------------------------------------------------------------------------------------


def _country(jur: Any) -> tuple[str | None, str | None]:
    code = str(jur.get("code") or "").strip().upper() if isinstance(jur, dict) else ""
    name = str(jur.get("name") or "").strip() if isinstance(jur, dict) else ""
    if not code:
        return None, (f"jurisdiction: {name}" if name else None)
    m = _JUR_RE.match(code)
    if not m:
        return None, f"jurisdiction: {code}" + (f" ({name})" if name and name != code else "")
    return m.group(1), (f"jurisdiction: {code}" if code != m.group(1) else None)


def _add(ids: dict[str, list[str]], scheme: str, value: str) -> None:
    vals = ids.setdefault(scheme, [])
    if value not in vals:
        vals.append(value)


def _identifiers(items: Any, *, person: bool, jurisdiction: str | None = None
                 ) -> tuple[dict[str, list[str]], list[str]]:
    ids: dict[str, list[str]] = {}
    notes: list[str] = []
    for ident in items if isinstance(items, list) else ():
        if not isinstance(ident, dict):
            continue
        value = " ".join(str(ident.get("id") or "").split())
        scheme = str(ident.get("scheme") or "").strip()
        scheme_name = str(ident.get("schemeName") or "").strip()
        if not value:
            continue
        up = scheme.upper()
        if up in ("XI-LEI", "LEI") or (not scheme and "legal entity identifier" in scheme_name.lower()):
            if _LEI_RE.match(value.upper()):
                _add(ids, "lei", value.upper())
                continue
        elif not person and up in REGISTER_SCHEMES:
            compact = value.replace(" ", "")
            _add(ids, "registration", f"{REGISTER_SCHEMES[up]}:{compact if compact.isdigit() else value}")
            continue
        elif not person and not scheme and _RA_RE.match(scheme_name.upper()):
            reg = registration_id(scheme_name, value, jurisdiction)
            if reg:
                _add(ids, "registration", reg)
                continue
        notes.append(f"identifier {scheme or scheme_name or '?'}: {value}")
    return ids, notes


def _date_or_note(value: Any, label: str, notes: list[str]) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        d = parse_date(text, field=label)
    except DateError:
        notes.append(f"{label}: {text} (not a date)")
        return None
    if d is not None and d > dt.date.today():
        notes.append(f"{label}: {text} (in the future)")
        return None
    return d.isoformat() if d else None


def _source_text(st: _St, file_name: str) -> str:
    parts = [f"BODS {st.version} ({file_name})"]
    src = st.raw.get("source")
    if isinstance(src, dict) and str(src.get("description") or "").strip():
        parts.append(str(src["description"]).strip())
    pub = st.raw.get("publicationDetails")
    publisher = pub.get("publisher") if isinstance(pub, dict) else None
    if isinstance(publisher, dict) and str(publisher.get("name") or "").strip():
        parts.append(f"published by {str(publisher['name']).strip()}")
    return "; ".join(parts)


def _gleif_derived(st: _St) -> bool:
    src = st.raw.get("source")
    if not isinstance(src, dict):
        return False
    return "gleif" in f"{src.get('description') or ''} {src.get('url') or ''}".lower()


def _person_name(d: dict[str, Any]) -> tuple[str, list[str]]:
    names: list[str] = []
    for n in d.get("names") or ():
        if not isinstance(n, dict):
            continue
        full = str(n.get("fullName") or "").strip()
        if not full:
            parts = [str(n.get(k) or "").strip() for k in ("givenName", "patronymicName", "familyName")]
            full = " ".join(p for p in parts if p)
        if full and full not in names:
            names.append(full)
    return (names[0], names[1:]) if names else ("", [])


def _entity_items(st: _St, file: str, file_name: str) -> Iterator[Item]:
    d = st.details
    notes: list[str] = []
    eid = f"bods:{st.ref}"
    source = _source_text(st, file_name)
    aliases: list[str] = []
    if st.kind == "person":
        kind = "person"
        name, aliases = _person_name(d)
        ptype = str(d.get("personType") or "").strip()
        if ptype and ptype != "knownPerson":
            notes.append(f"person type: {ptype}")
        nat = [str(x.get("code") or x.get("name") or "").strip() for x in d.get("nationalities") or ()
               if isinstance(x, dict)]
        if nat := [x for x in nat if x]:
            notes.append("nationality: " + ", ".join(nat))
        country = None
        unspecified = d.get("unspecifiedPersonDetails")
        incorporated = dissolved = None
    else:
        etype = d.get("entityType")
        tname = str(etype.get("type") if isinstance(etype, dict) else etype or "").strip()
        kind = _ENTITY_KINDS.get(tname.lower(), "company")
        sub = d.get("entitySubtype")
        if isinstance(sub, dict) and str(sub.get("generalCategory") or "").lower() in ("state", "statebody"):
            kind = "government"
        if tname and tname not in ("registeredEntity", "legalEntity"):
            notes.append(f"entity type: {tname}" + (
                f" ({etype.get('subtype')})" if isinstance(etype, dict) and etype.get("subtype") else ""))
        name = str(d.get("name") or "").strip()
        aliases = [str(a).strip() for a in d.get("alternateNames") or () if str(a).strip()]
        country, jnote = _country(d.get("jurisdiction") or d.get("incorporatedInJurisdiction"))
        if jnote:
            notes.append(jnote)
        unspecified = d.get("unspecifiedEntityDetails")
        incorporated = _date_or_note(d.get("foundingDate"), "foundingDate", notes)
        dissolved = _date_or_note(d.get("dissolutionDate"), "dissolutionDate", notes)
    if isinstance(unspecified, dict) and unspecified.get("reason"):
        notes.append(f"unspecified: {unspecified.get('reason')}" + (
            f" — {unspecified.get('description')}" if unspecified.get("description") else ""))
    ids, id_notes = _identifiers(d.get("identifiers"), person=kind == "person", jurisdiction=country)
    notes += id_notes
    if st.status == "closed":
        notes.append(f"BODS record closed on {st.date}" if st.date else "BODS record closed")
    listings: list[dict[str, Any]] = []
    errors: list[InputError] = []
    pl = d.get("publicListing")
    if isinstance(pl, dict):
        if pl.get("hasPublicListing") is True:
            notes.append("publicly listed")
        for sl in pl.get("securitiesListings") or ():
            if not isinstance(sl, dict):
                continue
            raw_sec = sl.get("security")
            sec: dict[str, Any] = raw_sec if isinstance(raw_sec, dict) else {}
            mic = str(sl.get("marketIdentifierCode") or sl.get("operatingMarketIdentifierCode") or "")
            mic = mic.strip().upper()
            scheme = str(sec.get("idScheme") or "").strip().lower()
            sec_id = str(sec.get("id") or "").strip().upper()
            isin = None
            if scheme == "isin" and sec_id:
                try:
                    isin = normalize_identifier("isin", sec_id)[1]
                    _add(ids, "isin", isin)
                except InputError as e:
                    errors.append(e.located(file=file, line=st.where, field="security.id"))
            elif scheme == "cusip" and sec_id:
                _add(ids, "cusip", sec_id)
            listings.append({"entity_id": eid, "mic": mic or None, "ticker": sec.get("ticker"),
                             "isin": isin, "source": source})
    if not name:
        name = st.ref
        notes.append("name not given in the statement")
    rec = make_record("entity", {
        "id": eid, "name": name, "kind": kind, "jurisdiction": country, "aliases": aliases,
        "identifiers": ids, "incorporated": incorporated, "dissolved": dissolved, "notes": notes,
        "sources": [source],
    }, file=file, line=st.where)
    if isinstance(rec, InputError):
        yield rec
        return
    yield rec, f"{file_name}:{st.where}"
    yield from errors
    for data in listings:
        lrec = make_record("listing", data, file=file, line=st.where)
        yield lrec if isinstance(lrec, InputError) else (lrec, f"{file_name}:{st.where}")


# -- relationships ---------------------------------------------------------------------------------


@dataclass
class _Ctx:
    idx: _Index
    file: str
    file_name: str
    stubbed: set[str] = field(default_factory=set)


def _ref(value: Any) -> tuple[str, str | None]:
    """``(reference, kind hint)`` of a subject/interested party that points at a statement."""
    if isinstance(value, str):
        return value.strip(), None
    if isinstance(value, dict):
        if value.get("describedByEntityStatement"):
            return str(value["describedByEntityStatement"]).strip(), "company"
        if value.get("describedByPersonStatement"):
            return str(value["describedByPersonStatement"]).strip(), "person"
    return "", None


def _unspecified(value: Any) -> tuple[str, str] | None:
    """``(reason, description)`` of an unspecified party (0.2 ``{unspecified: …}``, 0.4 ``{reason}``)."""
    if not isinstance(value, dict) or not value:
        return None
    if "describedByEntityStatement" in value or "describedByPersonStatement" in value:
        return None
    inner: Any = value.get("unspecified", value)
    while isinstance(inner, dict) and "unspecified" in inner and "reason" not in inner:
        inner = inner["unspecified"]  # bodspipelines nests {"unspecified": {"unspecified": "<REASON>"}}
    if isinstance(inner, dict):
        return (str(inner.get("reason") or "").strip() or "unknown",
                str(inner.get("description") or "").strip())
    return str(inner or "").strip() or "unknown", ""


def _stub_items(ref: str, kind: str, ctx: _Ctx, where: str, source: str) -> Iterator[Item]:
    if ref in ctx.stubbed or ref in ctx.idx.present:
        return
    ctx.stubbed.add(ref)
    rec = make_record("entity", {
        "id": f"bods:{ref}", "name": ref, "kind": kind,
        "notes": [f"name unknown: statement {ref} is not in the loaded file"], "sources": [source],
    }, file=ctx.file, line=where)
    yield rec if isinstance(rec, InputError) else (rec, f"{ctx.file_name}:{where}")


def _relationship_items(st: _St, ctx: _Ctx) -> Iterator[Item]:
    d = st.details
    file, where = ctx.file, st.where
    source = _source_text(st, ctx.file_name)
    components = d.get("componentRecords") if st.version >= "0.4" else d.get("componentStatementIDs")
    if isinstance(components, list) and components and all(
            isinstance(c, str) and ctx.idx.resolve(c) in ctx.idx.present for c in components):
        return  # an indirect summary of a chain that is in the file
    subject, hint = _ref(d.get("subject"))
    if not subject:
        yield InputError("relationship without a subject", file=file, line=where, field="subject")
        return
    subject = ctx.idx.resolve(subject)
    yield from _stub_items(subject, hint or "company", ctx, where, source)  # subjects are entities
    party = d.get("interestedParty")
    owner, phint = _ref(party)
    if owner:
        owner = ctx.idx.resolve(owner)
        yield from _stub_items(owner, phint or ("company" if st.version < "0.4" else "unknown"), ctx, where,
                               source)
        owner_id = f"bods:{owner}"
    else:
        un = _unspecified(party)
        if un is None:
            yield InputError("relationship without an interested party", file=file, line=where,
                             field="interestedParty")
            return
        reason, desc = un
        owner_id = f"bods:{st.ref}:unspecified"
        notes = [f"unspecified interested party: {reason}"]
        if desc:
            notes.append(f"description: {desc}")
        notes.append(f"subject: bods:{subject}")
        rec = make_record("entity", {"id": owner_id, "name": f"Unspecified party ({reason})",
                                     "kind": "unknown", "notes": notes, "sources": [source]},
                          file=file, line=where)
        if isinstance(rec, InputError):
            yield rec
            return
        yield rec, f"{ctx.file_name}:{where}"
    interests = [i for i in d.get("interests") or () if isinstance(i, dict)]
    gleif = _gleif_derived(st)
    closed_on = st.date if st.status == "closed" else None
    if not interests:
        rec = make_record("ownership", {
            "owner_id": owner_id, "owned_id": f"bods:{subject}", "share": None, "kind": "shares",
            "end": closed_on, "source": f"{source}; statement {st.sid}: no interests stated",
        }, file=file, line=where)
        yield rec if isinstance(rec, InputError) else (rec, f"{ctx.file_name}:{where}")
        return
    for n, it in enumerate(interests, start=1):
        loc = f"{where}, interest {n}"
        itype = it.get("type")
        kind = interest_kind(itype, beneficial=it.get("beneficialOwnershipOrControl"), gleif_derived=gleif)
        if kind is None:
            yield InputError("unknown interest type", file=file, line=loc, field="interests.type",
                             value=itype, fix="use a BODS interestType code such as shareholding")
            continue
        try:
            share = bods_share(it.get("share"), st.version)
        except ShareError as e:
            yield e.located(file=file, line=loc, field="interests.share")
            continue
        level = it.get("interestLevel") or it.get("directOrIndirect")
        bits = [f"statement {st.sid}: {itype or 'unknownInterest'}"]
        if it.get("details"):
            bits.append(str(it["details"]))
        if level:
            bits.append(str(level))
        if it.get("beneficialOwnershipOrControl") is not None:
            bits.append(f"beneficialOwnershipOrControl {str(it['beneficialOwnershipOrControl']).lower()}")
        rec = make_record("ownership", {
            "owner_id": owner_id, "owned_id": f"bods:{subject}", "share": share, "kind": kind,
            "start": it.get("startDate") or None, "end": it.get("endDate") or closed_on,
            "source": f"{source}; " + ", ".join(bits),
        }, file=file, line=loc)
        yield rec if isinstance(rec, InputError) else (rec, f"{ctx.file_name}:{loc}")


# -- the loader ------------------------------------------------------------------------------------


def _sniff(path: Path, head: bytes) -> bool:
    if path.is_dir():
        return False
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if body[:1] not in (b"[", b"{"):
        return False
    return bool(re.search(rb'"statementI[Dd]"\s*:', head)) and bool(
        re.search(rb'"(?:statementType|recordType|recordDetails)"\s*:', head))


@register("bods", "Open Ownership BODS 0.2/0.3/0.4 (JSON array, JSON lines or one object)", _sniff)
def parse_bods(path: Path) -> Iterator[Item]:
    """Yield the entities, persons, relationships and listings of a BODS file."""
    return _parse([(str(path), path.name, _open_path(path))])


@register_stream("bods")
def parse_bods_members(members: Sequence[Member]) -> Iterator[Item]:
    """The same from compressed input (``.json.gz``, or a zip of files): one load, so statements
    in one member may refer to, or replace, statements in another."""
    return _parse([(m.display, m.name, m.open) for m in members])


def _parse(inputs: list[_Input]) -> Iterator[Item]:
    idx = _index(inputs)
    if idx.statements == 0:
        raise FormatError("no BODS statements in the file", file=inputs[0][0] if inputs else None,
                          fix="BODS statements carry statementID (0.2/0.3) or statementId (0.4)")
    ctx = _Ctx(idx, "", "")
    seq = 0
    for file, name, opener in inputs:
        ctx.file, ctx.file_name = file, name
        with opener() as raw:
            for item in iter_json_stream(raw, file):
                if isinstance(item, InputError):
                    yield item
                    continue
                st = _statement(item[0], item[1], file)
                if isinstance(st, InputError):
                    yield st
                    continue
                seq += 1
                if st.version >= "0.4":
                    if idx.latest[st.ref][1] != seq:
                        continue  # a later statement of this record is in the file
                elif st.sid in idx.replaced_by or idx.first.get(st.sid) != seq:
                    continue  # replaced by a later statement, or a repeat of one already read
                if st.kind == "relationship":
                    yield from _relationship_items(st, ctx)
                else:
                    yield from _entity_items(st, file, name)
