"""OpenSanctions / FollowTheMoney entity files (``--format ftm``): ``entities.ftm.json`` lines and
delta files, read as plain JSON (the ``followthemoney`` library is not needed).

**Envelope.** One JSON object per line: ``{"id", "caption", "schema", "properties": {name: [str,
...]}, "datasets", "referents", ...}``; a delta line wraps it as ``{"op": "ADD"|"MOD"|"DEL",
"entity": {...}}``. ADD and MOD lines are read like entity lines (a MOD is the entity's new
version; the workspace keeps both, as it keeps every record). A **DEL line is a counted reject**
(reason "DEL not applied"): the workspace never deletes history, and a silently skipped DEL would
let a designation the publisher withdrew look current; load a full snapshot to mark it removed.
Every property is multi-valued, dates may be partial (``2016``, ``2016-03``) and key order varies.

**Schemata.** ``Person``, ``Company``, ``Organization``, ``LegalEntity``, ``PublicBody``,
``Vessel`` and ``Airplane`` become an :class:`~ownergraph.graph.model.Entity` whose id is the FtM id
verbatim: name from ``caption`` (else the first ``name``), aliases from the other ``name`` values
and ``alias``/``weakAlias``/``previousName``; jurisdiction from ``jurisdiction``, else ``country``,
else ``mainCountry`` — only when that property has one value; identifiers ``opensanctions:<id>``
and ``opensanctions:<referent>`` for each merged source id, ``ofac:<n>`` for ``ofac-<n>`` ids (the
OpenSanctions id of OFAC entity ``n``, SPEC §8), ``lei`` from ``leiCode``, ``isin`` from
``isinCode`` (check digit verified), ``wikidata`` from ``wikidataId``, and ``registration`` — see
:func:`registrations`. Incorporation is the earliest ``incorporationDate``, dissolution the latest
``dissolutionDate`` (an OpenSanctions entity may merge several registry records); INN, KPP, tax
and other numbers, topics, legal form and status stay as notes. A malformed identifier or date is
reported as a located error and left out; the entity is kept.

``Ownership`` (owner → asset) becomes an :class:`Ownership` of kind ``shares``: ``percentage``
parsed by :func:`parse_percentage` (``49``, ``50%``, ``25,5``, ``25-50``, ``more than 50``; several
different values give the interval between them; none — e.g. a ``role: subsidiary of`` record —
gives an unknown share; an unparseable one is reported and the edge kept with an unknown share),
``startDate``/``endDate`` as the widest period a partial date allows (``2016`` starts 2016-01-01
and ends 2016-12-31). **Overlapping snapshots.** Registry-derived records of one owner → asset
pair from the same datasets often share the participant's first ``startDate`` and differ only in
share and ``endDate`` (real: Zakharov → LLC CST 50 % ended 2023-03-02, 48 % ended 2023-12-21, 51 %
open, all "from" 2015-11-25; the share counts of the three periods add up only this way). They
are successive versions, so the loader chains them: sorted by end date, each record starts no
earlier than the previous one ended (the stated start is kept in the record's ``source``). An
ended record therefore ends, and the view never sees two versions of one stake at once.
``ownershipType`` and ``role`` are kept in ``source``. ``Directorship`` becomes a ``control`` edge
director → organization with an unknown share. What ``export --to ftm`` writes comes back: an
``ownershipType`` that is a BODS interest type or ``accounting-consolidation`` sets the kind
(``votes``, ``consolidation``; ``shares`` otherwise), a Directorship ``role``
``appointment-of-board`` makes a ``board`` edge, and a ``percentage`` in the interval syntax
(``(25,50]``) keeps its open bounds. Several ``ownershipType`` values give ``shares`` when any of
them means shares (then votes, then consolidation): ``["shareholding", "voting-rights"]`` stays in
the share sums. The arrangement is read **only** from a ``legalBasis`` value marked
``ownergraph-arrangement:`` (:data:`~ownergraph.graph.ftm_vocab.ARRANGEMENT_PREFIX`, which the
export writes): an arrangement pools stakes under the UK rule, and a publisher's free-text
``legalBasis`` repeated on unrelated records must not; that text stays in ``source``.

``Sanction`` becomes a :class:`Designation` of its ``entity``. The regime comes from
:func:`ownergraph.graph.list_regimes.regime_for_list` — the one list → regime table — asked in this
order, the first answer other than ``info`` winning: each ``programId`` (``US-NS-CMIC``,
``US-BIS-EL``, ``EU-UKR``, ``GB-RUS``, ...), the dataset when it names the list
(:data:`DATASET_LISTS`: ``us_ofac_sdn`` is the SDN list, whatever the programme), each
``program``, each ``authority`` — except for datasets that are not sanctions lists with an
ownership rule (:data:`NAMED_ONLY_DATASETS`: the EU travel bans) and Sanctions with the
``programId`` :data:`INFO_PROGRAM_ID`, which are ``info``. ``list`` is
the dataset with the authority in brackets; ``listed`` the earliest ``listingDate``, else the
earliest ``startDate``; for NS-CMIC rows with both, ``effective`` is the earliest ``startDate``
after listing (OFAC's "Effective Date (CMIC)"); ``removed`` is the latest ``endDate``.

``Security`` becomes a :class:`Listing` of its ``issuer`` (ISIN, ticker; the MIC only when a
``mic`` value or a ``keywords`` value ``MIC:<mic>`` is given — FtM defines no venue; ``listed``
from ``issueDate``, ``delisted`` from ``maturityDate``); a Security without a valid ISIN or MIC is
a counted reject. Other schemata (Address, Family, Passport,
Associate, ...) are not part of the model and are skipped without a count.

This module stops at parsing: it writes nothing, matches no names and computes no status.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ownergraph.errors import DateError, FormatError, InputError, ShareError
from ownergraph.graph.ftm_vocab import (
    DATASET_LISTS,
    INFO_PROGRAM_ID,
    MIC_KEYWORD,
    NAMED_ONLY_DATASETS,
    OWNERSHIP_TYPES,
    arrangement_of,
    ftm_regime,
    valid_ogrn,
)
from ownergraph.graph.ftm_vocab import ftm_values as _vals
from ownergraph.graph.model import Designation, normalize_identifier, parse_date
from ownergraph.graph.shares import Share, parse_share
from ownergraph.graph.snapshots import ListSnapshot
from ownergraph.loaders.base import Item, make_record, register
from ownergraph.loaders.bods import interest_kind

__all__ = [
    "DATASET_LISTS",
    "ENTITY_SCHEMATA",
    "INFO_PROGRAM_ID",
    "NAMED_ONLY_DATASETS",
    "ftm_regime",
    "parse_ftm",
    "parse_percentage",
    "registrations",
    "valid_ogrn",
]


ENTITY_SCHEMATA: dict[str, str] = {
    "Person": "person",
    "Company": "company",
    "Organization": "organization",
    "LegalEntity": "company",
    "PublicBody": "government",
    "Vessel": "vessel",
    "Airplane": "aircraft",
}
"""FtM schema → entity kind. ``LegalEntity`` (a party whose kind the source does not say) is
counted a company, the model's default."""

_NAME_PROPS = ("alias", "weakAlias", "previousName")
_NOTE_IDS = (
    ("innCode", "INN"), ("kppCode", "KPP"), ("taxNumber", "Tax number"), ("vatCode", "VAT"),
    ("okpoCode", "OKPO"), ("swiftBic", "SWIFT/BIC"), ("permId", "PermID"),
    ("uniqueEntityId", "SAM UEI"), ("cikCode", "CIK"), ("imoNumber", "IMO"),
    ("idNumber", "ID number"), ("passportNumber", "Passport"),
)
_NOTE_TEXT = (("legalForm", "Legal form"), ("status", "Status"), ("topics", "Topics"))
_CMIC_REGIME = "ofac-ns-cmic"
_UNKNOWN = Share.unknown()
_TYPE_KINDS = {t: k for k, t in OWNERSHIP_TYPES.items() if k == "consolidation"}
"""``ownershipType`` values (besides the BODS interest types, :func:`~ownergraph.loaders.bods.interest_kind`)
that set an edge's kind; the FtM export writes them."""


# compiled once: the module-level re cache lookup showed in the profile of a large file
_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"\d{4}-\d{2}")
_CC = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")
_OFAC_ID = re.compile(r"ofac-(\d+)")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_DASH = re.compile(r"\s*-\s*")


# -- values --------------------------------------------------------------------------------------


def _period_end(text: str, d: dt.date) -> dt.date:
    """The last day of the period a partial date names (``2016`` → 2016-12-31)."""
    t = text.strip()
    if _YEAR.fullmatch(t):
        return dt.date(d.year, 12, 31)
    if _MONTH.fullmatch(t):
        return dt.date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])
    return d


def _dates(values: list[str], field: str, errors: list[InputError], *, end: bool = False) -> list[dt.date]:
    """Parse FtM dates (full, ``YYYY-MM``, ``YYYY``, or datetimes); bad ones become errors.

    An end date that names a month or a year means its last day (the widest period)."""
    out: list[dt.date] = []
    for v in values:
        try:
            d = parse_date(v, field=field)
        except DateError as e:
            errors.append(InputError(e.reason, field=field, value=v, fix="date left out"))
            continue
        if d is not None:
            out.append(_period_end(v, d) if end else d)
    return out


_BRACKET = re.compile(r"^[\[(]\s*[0-9.]+\s*,\s*[0-9.]+\s*[\])]$")
_RANGE_WORDS = (
    (re.compile(r"^between\s+(.+?)\s+and\s+(.+)$"), r"\1-\2"),
    (re.compile(r"^(?:more than|over|above|greater than)\s+(.+)$"), r">\1"),
    (re.compile(r"^(?:at least|not less than|minimum)\s+(.+)$"), r">=\1"),
    (re.compile(r"^(?:less than|under|below)\s+(.+)$"), r"<\1"),
    (re.compile(r"^(?:up to|at most|not more than|maximum)\s+(.+)$"), r"<=\1"),
    (re.compile(r"^(.+?)\s+to\s+(.+)$"), r"\1-\2"),
)


def _one_percentage(text: str) -> Share:
    t = " ".join(text.strip().lower().replace("percent", "%").split())
    if _BRACKET.match(t):  # the interval syntax of SPEC §4, as the FtM export writes open bounds
        return parse_share(t)
    t = t.replace("%", "").replace("–", "-").replace("—", "-").replace("≥", ">=").replace("≤", "<=")
    t = _DECIMAL_COMMA.sub(".", t)  # decimal comma: 25,5
    for pattern, repl in _RANGE_WORDS:
        if pattern.match(t):
            t = pattern.sub(repl, t)
            break
    t = _DASH.sub("-", t).strip()
    return parse_share(t)


def parse_percentage(values: Iterable[str]) -> Share:
    """The share a (multi-valued) FtM ``percentage`` gives.

    Accepts ``49``, ``50%``, ``25.5``, ``25,5``, ranges (``25-50``, ``25 – 50 %``, ``25 to 50``,
    ``between 25 and 50``), bounds (``>50``, ``more than 50%``, ``up to 25``) and the interval
    syntax of SPEC §4. No value is an unknown share; several different values give the closed
    interval from the lowest to the highest. Raises :class:`~ownergraph.errors.ShareError`.

    >>> str(parse_percentage(["50%"])), str(parse_percentage(["25,5"])), str(parse_percentage([]))
    ('50', '25.5', 'unknown')
    >>> str(parse_percentage(["between 25% and 50%"])), str(parse_percentage(["48", "51"]))
    ('[25,50]', '[48,51]')
    """
    return _percentage(tuple(str(v) for v in values))


@functools.lru_cache(maxsize=4096)
def _percentage(values: tuple[str, ...]) -> Share:
    """:func:`parse_percentage`, cached: a file repeats a few hundred percentages (shares are
    immutable, so one object can serve every edge); errors are not cached and raise again."""
    shares = [_one_percentage(v) for v in values if v.strip()]
    known = [s for s in shares if s.known]
    if not known:
        return _UNKNOWN
    if all(s == known[0] for s in known):
        return known[0]
    return Share(lo=min(s.lo for s in known), hi=max(s.hi for s in known))


def _country(props: dict[str, Any]) -> str | None:
    """The single country of ``jurisdiction``, else ``country``, else ``mainCountry``."""
    for name in ("jurisdiction", "country", "mainCountry"):
        vals = {v.upper() for v in _vals(props, name)}
        vals.discard("ZZ")  # FtM's "unknown"
        if len(vals) == 1:
            cc = vals.pop()
            return cc if _CC.fullmatch(cc) else None
        if vals:
            return None  # several countries: none is *the* jurisdiction
    return None


def registrations(props: dict[str, Any], country: str | None) -> tuple[list[str], list[str]]:
    """``(registration identifiers as "CC:number", notes)`` of one FtM legal entity.

    ``ogrnCode`` values with a valid check digit are Russian registrations (``RU:``) whatever
    the entity's country — the OGRN is the Russian state registration number by definition.
    ``registrationNumber`` values become ``CC:number`` only when the entity has one country
    (:func:`_country`); a value that is also the entity's INN, KPP or tax number is a tax id and
    stays a note, as does every number when the country is unknown or ambiguous.

    >>> registrations({"registrationNumber": ["1841015504", "1101841007938"],
    ...                "innCode": ["1841015504"]}, "RU")
    (['RU:1101841007938'], ['Registration number 1841015504 (the INN/tax number)'])
    >>> registrations({"registrationNumber": ["808000714"]}, None)
    ([], ['Registration number 808000714 (no single country)'])
    """
    regs: list[str] = []
    notes: list[str] = []
    for v in _vals(props, "ogrnCode"):
        if valid_ogrn(v):
            regs.append(f"RU:{v}")
        else:
            notes.append(f"OGRN {v} (check digit does not match)")
    tax = {v for name in ("innCode", "kppCode", "taxNumber") for v in _vals(props, name)}
    for v in _vals(props, "registrationNumber"):
        if v in tax:
            notes.append(f"Registration number {v} (the INN/tax number)")
        elif country is None or "-" in country:
            notes.append(f"Registration number {v} (no single country)")
        elif f"{country}:{v}" not in regs:
            regs.append(f"{country}:{v}")
    return regs, notes


# -- regimes -------------------------------------------------------------------------------------


# -- the loader ----------------------------------------------------------------------------------


@dataclass
class _Ctx:
    """What one file's parse carries: where it is, and the buffered ownership records."""

    file: str
    name: str
    ownership: list[tuple[tuple[str, str, str, str], dt.date | None, dict[str, Any], int, str]] = field(
        default_factory=list
    )


def _located(errors: list[InputError], ctx: _Ctx, line: int, eid: str) -> Iterator[InputError]:
    for e in errors:
        yield InputError(
            e.reason, file=ctx.file, line=line, field=e.field, value=e.value,
            fix=(e.fix + f" (FtM entity {eid})") if e.fix else f"FtM entity {eid}",
        )


def _source(datasets: list[str]) -> str:
    return "OpenSanctions" + (f" ({', '.join(datasets)})" if datasets else "")


def _entity(obj: dict[str, Any], kind: str, ctx: _Ctx, line: int) -> Iterator[Item]:
    eid: str = obj["id"]
    props: dict[str, Any] = obj["properties"]
    errors: list[InputError] = []
    names = _vals(props, "name")
    caption = str(obj.get("caption") or "").strip()
    name = caption or (names[0] if names else "")
    if not name:
        yield InputError("entity without a name or caption", file=ctx.file, line=line, field="name",
                         value=eid, fix="the line needs properties.name or caption")
        return
    aliases = [a for a in [*names, *(v for p in _NAME_PROPS for v in _vals(props, p))] if a != name]
    referents = [str(r) for r in obj.get("referents") or [] if str(r).strip()]
    os_ids = [eid, *referents]
    identifiers: dict[str, list[str]] = {"opensanctions": os_ids}
    notes: list[str] = []

    def add(scheme: str, value: str, label: str) -> None:
        try:
            s, v = normalize_identifier(scheme, value)
        except InputError as e:
            errors.append(InputError(e.reason, field=label, value=value, fix="kept as a note"))
            notes.append(f"{label} {value}")
            return
        vals = identifiers.setdefault(s, [])
        if v not in vals:
            vals.append(v)

    for i in os_ids:
        if m := _OFAC_ID.fullmatch(i):
            add("ofac", m.group(1), "id")
    for v in _vals(props, "leiCode"):
        add("lei", v, "leiCode")
    for v in _vals(props, "isinCode"):
        add("isin", v, "isinCode")
    for v in _vals(props, "wikidataId"):
        add("wikidata", v, "wikidataId")
    country = _country(props)
    regs, reg_notes = registrations(props, country)
    for r in regs:
        add("registration", r, "registrationNumber")
    notes += reg_notes
    for prop, label in _NOTE_IDS:
        notes += [f"{label} {v}" for v in _vals(props, prop)]
    for prop, label in _NOTE_TEXT:
        vals = _vals(props, prop)
        if vals:
            notes.append(f"{label}: {', '.join(vals)}")
    notes += _vals(props, "notes")
    inc = _dates(_vals(props, "incorporationDate"), "incorporationDate", errors)
    dis = _dates(_vals(props, "dissolutionDate"), "dissolutionDate", errors, end=True)
    if len(inc) > 1:
        notes.append("Incorporation dates: " + ", ".join(d.isoformat() for d in sorted(inc)))
    if len(dis) > 1:
        notes.append("Dissolution dates: " + ", ".join(d.isoformat() for d in sorted(dis)))
    today = dt.date.today()
    incorporated = min((d for d in inc if d <= today), default=None)
    dissolved = max((d for d in dis if d <= today), default=None)
    datasets = [str(d) for d in obj.get("datasets") or []]
    yield from _located(errors, ctx, line, eid)
    rec = make_record("entity", {
        "id": eid, "name": name, "kind": kind, "jurisdiction": country, "aliases": aliases,
        "identifiers": identifiers, "incorporated": incorporated, "dissolved": dissolved, "notes": notes,
        "sources": [_source(datasets)],
    }, file=ctx.file, line=line)
    yield rec if isinstance(rec, InputError) else (rec, f"{ctx.name}:{line}")


def _one_ref(props: dict[str, Any], prop: str, ctx: _Ctx, line: int, eid: str) -> str | InputError:
    vals = _vals(props, prop)
    if len(vals) != 1:
        return InputError(
            "needs exactly one " + prop, file=ctx.file, line=line, field=prop,
            value=", ".join(vals) or None, fix=f"FtM entity {eid}",
        )
    return vals[0]


def _edge(obj: dict[str, Any], ctx: _Ctx, line: int) -> Iterator[Item]:
    """Ownership and Directorship: buffered (ownership) or yielded (directorship)."""
    eid: str = obj["id"]
    props: dict[str, Any] = obj["properties"]
    schema = obj["schema"]
    a_prop, b_prop = ("owner", "asset") if schema == "Ownership" else ("director", "organization")
    a = _one_ref(props, a_prop, ctx, line, eid)
    b = _one_ref(props, b_prop, ctx, line, eid)
    for x in (a, b):
        if isinstance(x, InputError):
            yield x
    if isinstance(a, InputError) or isinstance(b, InputError):
        return
    errors: list[InputError] = []
    starts_raw = _vals(props, "startDate")
    starts = _dates(starts_raw, "startDate", errors)
    ends = _dates(_vals(props, "endDate"), "endDate", errors, end=True)
    start = min(starts, default=None)
    end = max(ends, default=None)
    datasets = sorted(str(d) for d in obj.get("datasets") or [])
    details = [f"{schema} {eid}"]
    for prop in ("role", "ownershipType", "percentage", "sharesCount", "legalBasis"):
        vals = [v for v in _vals(props, prop) if not (prop == "legalBasis" and arrangement_of([v]))]
        if vals:
            details.append(f"{prop} {', '.join(vals)}")
    share: Share = _UNKNOWN
    # several values (["shareholding", "voting-rights"]) give the first kind of this order: an
    # edge that is also a shareholding must stay in the regimes' share sums
    allowed = ("shares", "votes", "consolidation") if schema == "Ownership" else ("board", "control")
    said = {_TYPE_KINDS.get(v.lower()) or interest_kind(v)
            for v in _vals(props, "ownershipType" if schema == "Ownership" else "role")}
    kind = next((k for k in allowed if k in said), "shares" if schema == "Ownership" else "control")
    if schema == "Ownership":
        try:
            share = parse_percentage(_vals(props, "percentage"))
        except ShareError as e:
            pct = ", ".join(_vals(props, "percentage"))
            errors.append(InputError(e.reason, field="percentage", value=pct,
                                     fix="edge kept with an unknown share"))
    yield from _located(errors, ctx, line, eid)
    data: dict[str, Any] = {
        "owner_id": a, "owned_id": b, "share": share,
        "kind": kind, "start": start, "end": end,
        "arrangement": arrangement_of(_vals(props, "legalBasis")),  # only the export's marked value
        "source": f"{_source(datasets)}: {'; '.join(details)}",
    }
    if schema == "Ownership":
        key = (a, b, ",".join(datasets), min(starts_raw, default=""))
        ctx.ownership.append((key, end, data, line, eid))
        return
    rec = make_record("ownership", data, file=ctx.file, line=line)
    yield rec if isinstance(rec, InputError) else (rec, f"{ctx.name}:{line}")


def _chain(ctx: _Ctx) -> Iterator[Item]:
    """Yield the buffered ownership records, chaining successive versions of one stake."""
    groups: dict[tuple[str, str, str, str], list[int]] = {}
    for i, (key, _end, _data, _line, _eid) in enumerate(ctx.ownership):
        groups.setdefault(key, []).append(i)
    for key, members in groups.items():
        if len(members) > 1 and key[3] and any(ctx.ownership[i][1] for i in members):
            order = sorted(members, key=lambda i: (ctx.ownership[i][1] or dt.date.max, i))
            prev_end: dt.date | None = None
            for i in order:
                data = ctx.ownership[i][2]
                if prev_end is not None and (data["start"] is None or data["start"] < prev_end):
                    stated = data["start"].isoformat() if data["start"] else "none"
                    data["source"] += (f"; start set to the end of the previous version of this stake"
                                       f" (stated startDate {stated})")
                    data["start"] = prev_end
                prev_end = ctx.ownership[i][1] or prev_end
        for i in members:
            _key, _end, data, line, _eid = ctx.ownership[i]
            rec = make_record("ownership", data, file=ctx.file, line=line)
            yield rec if isinstance(rec, InputError) else (rec, f"{ctx.name}:{line}")
    ctx.ownership.clear()


def _sanction(obj: dict[str, Any], ctx: _Ctx, line: int) -> Iterator[Item]:
    eid: str = obj["id"]
    props: dict[str, Any] = obj["properties"]
    target = _one_ref(props, "entity", ctx, line, eid)
    if isinstance(target, InputError):
        yield target
        return
    errors: list[InputError] = []
    datasets = [str(d) for d in obj.get("datasets") or []]
    regime, decided_by = ftm_regime(props, datasets)
    listing = _dates(_vals(props, "listingDate"), "listingDate", errors)
    starts = _dates(_vals(props, "startDate"), "startDate", errors)
    ends = _dates(_vals(props, "endDate"), "endDate", errors, end=True)
    listed = min(listing, default=None) or min(starts, default=None)
    effective = None
    if regime == _CMIC_REGIME and listing and listed is not None:
        effective = min((d for d in starts if d > listed), default=None)
    yield from _located(errors, ctx, line, eid)
    authority = "; ".join(_vals(props, "authority"))
    list_name = (decided_by if decided_by in DATASET_LISTS.values()
                 else ", ".join(datasets) + (f" ({authority})" if authority else "") if datasets
                 else authority or None)
    program = "; ".join(_vals(props, "program") + _vals(props, "programId")) or None
    reference = "; ".join(_vals(props, "authorityId") + _vals(props, "unscId")) or f"OpenSanctions {eid}"
    rec = make_record("designation", {
        "entity_id": target, "regime": regime, "list": list_name, "program": program, "listed": listed,
        "effective": effective, "removed": max(ends, default=None), "reference": reference,
        "source": f"{_source(datasets)}: Sanction {eid}" + (f" ({authority})" if authority else ""),
    }, file=ctx.file, line=line)
    yield rec if isinstance(rec, InputError) else (rec, f"{ctx.name}:{line}")


def _security(obj: dict[str, Any], ctx: _Ctx, line: int) -> Iterator[Item]:
    eid: str = obj["id"]
    props: dict[str, Any] = obj["properties"]
    issuer = _one_ref(props, "issuer", ctx, line, eid)
    if isinstance(issuer, InputError):
        yield issuer
        return
    errors: list[InputError] = []
    isins: list[str] = []
    for v in _vals(props, "isin"):
        try:
            isins.append(normalize_identifier("isin", v)[1])
        except InputError as e:
            errors.append(InputError(e.reason, field="isin", value=v, fix="left out"))
    mics = [m.upper() for m in _vals(props, "mic")]
    mics += [m.group(1).upper() for k in _vals(props, "keywords") if (m := MIC_KEYWORD.match(k))]
    tickers = _vals(props, "ticker")
    maturity = _dates(_vals(props, "maturityDate"), "maturityDate", errors, end=True)
    issued = _dates(_vals(props, "issueDate"), "issueDate", errors)
    yield from _located(errors, ctx, line, eid)
    if not isins and not mics:
        yield InputError("a Security without a valid ISIN or a MIC cannot be a listing", file=ctx.file,
                         line=line, field="isin", value=eid, fix="the security needs an isin")
        return
    datasets = [str(d) for d in obj.get("datasets") or []]
    targets: list[str | None] = [*isins] or [None]
    for isin in targets:
        rec = make_record("listing", {
            "entity_id": issuer, "isin": isin, "mic": mics[0] if mics else None,
            "ticker": tickers[0] if tickers else None, "listed": min(issued, default=None),
            "delisted": max(maturity, default=None),
            "source": f"{_source(datasets)}: Security {eid}",
        }, file=ctx.file, line=line)
        yield rec if isinstance(rec, InputError) else (rec, f"{ctx.name}:{line}")


def _dispatch(obj: dict[str, Any], ctx: _Ctx, line: int) -> Iterator[Item]:
    schema = obj["schema"]
    if schema in ENTITY_SCHEMATA:
        yield from _entity(obj, ENTITY_SCHEMATA[schema], ctx, line)
    elif schema in ("Ownership", "Directorship"):
        yield from _edge(obj, ctx, line)
    elif schema == "Sanction":
        yield from _sanction(obj, ctx, line)
    elif schema == "Security":
        yield from _security(obj, ctx, line)


def _envelope(raw: bytes, ctx: _Ctx, line: int) -> dict[str, Any] | InputError | None:
    """The entity of one line (``None`` for a blank line), or why it is rejected."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        return InputError(f"not JSON: {e}", file=ctx.file, line=line, fix="one JSON object per line")
    if not isinstance(obj, dict):
        return InputError("not a JSON object", file=ctx.file, line=line, fix="one JSON object per line")
    if "op" in obj:
        op = str(obj.get("op") or "").upper()
        ent = obj.get("entity")
        eid = ent.get("id") if isinstance(ent, dict) else None
        if op == "DEL":
            return InputError(
                "DEL not applied: the workspace keeps history and never deletes a record", file=ctx.file,
                line=line, field="op", value=eid,
                fix="load a full snapshot of the dataset to mark designations absent from it as removed",
            )
        if op not in ("ADD", "MOD"):
            return InputError("unknown delta op", file=ctx.file, line=line, field="op", value=obj.get("op"),
                              fix="expected ADD, MOD or DEL")
        obj = ent
        if not isinstance(obj, dict):
            return InputError("delta line without an entity object", file=ctx.file, line=line, field="entity")
    eid = obj.get("id")
    if not isinstance(eid, str) or not eid.strip():
        return InputError("entity without an id", file=ctx.file, line=line, field="id")
    if not isinstance(obj.get("schema"), str):
        return InputError("entity without a schema", file=ctx.file, line=line, field="schema", value=eid)
    props = obj.get("properties")
    if props is None:
        obj["properties"] = {}
    elif not isinstance(props, dict):
        return InputError("properties is not an object", file=ctx.file, line=line, field="properties",
                          value=eid)
    obj["id"] = eid.strip()
    return obj


_HEAD_ENTITY = re.compile(rb'^\{.*"schema"\s*:\s*"[A-Za-z]+".*"properties"\s*:\s*\{|'
                          rb'^\{.*"properties"\s*:\s*\{.*"schema"\s*:\s*"[A-Za-z]+"', re.S)
_HEAD_DELTA = re.compile(rb'^\{\s*"op"\s*:\s*"(?:ADD|MOD|DEL)"\s*,\s*"entity"\s*:\s*\{', re.S)


def _sniff(path: Path, head: bytes) -> bool:
    """A first line that is a JSON object with ``schema`` and ``properties``, or ``op`` and ``entity``."""
    if path.is_dir():
        return False
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    if not first.startswith(b"{"):
        return False
    try:
        obj = orjson.loads(first)
    except orjson.JSONDecodeError:  # a first line longer than the head: look at its start
        return bool(_HEAD_DELTA.match(first) or _HEAD_ENTITY.match(first[:8192]))
    if not isinstance(obj, dict):
        return False
    if "op" in obj and isinstance(obj.get("entity"), dict):
        return True
    return isinstance(obj.get("schema"), str) and isinstance(obj.get("properties"), dict)


def _dataset_list(d: Designation) -> tuple[str, str] | None:
    """The OpenSanctions dataset(s) a Sanction came from, read from the source it was given."""
    m = re.match(r"OpenSanctions \(([^)]*)\)", d.source or "")
    return (f"opensanctions:{m.group(1)}", f"OpenSanctions {m.group(1)}") if m else None


def ftm_snapshot(path: Path) -> ListSnapshot | None:
    """A full FtM export is a snapshot of each dataset its Sanctions come from; a delta file is
    none (it carries its own ADD/MOD/DEL, and DEL is reported, not applied)."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    if _HEAD_DELTA.match(first):
        return None
    return ListSnapshot(_dataset_list)


@register("ftm", "OpenSanctions / FollowTheMoney entities (JSON lines, delta files)", _sniff,
          snapshot=ftm_snapshot)
def parse_ftm(path: Path) -> Iterator[Item]:
    """Yield the entities, ownership and directorship edges, designations and listings of an FtM
    JSON-lines (or delta) file; ownership edges come last, after the whole file is read."""
    ctx = _Ctx(file=str(path), name=path.name)
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below; a generator holds it across yields
    except OSError as e:
        raise FormatError(f"cannot read: {e.strerror}", file=str(path)) from None
    with f:
        for line, raw in enumerate(f, start=1):
            if line == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            obj = _envelope(raw, ctx, line)
            if isinstance(obj, InputError):
                yield obj
            elif obj is not None:
                yield from _dispatch(obj, ctx, line)
    yield from _chain(ctx)
