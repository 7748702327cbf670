"""The records of the ownership graph (SPEC §4): frozen pydantic models validated at the boundary.

Loaders yield these records; the workspace stores them with their provenance; queries read the
columnar cache built from them. Edge meaning is declared once here: an :class:`Ownership` points
from ``owner_id`` to ``owned_id`` and its ``kind`` says what the stake is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from ownergraph.errors import DateError, InputError
from ownergraph.graph.shares import Share, parse_share

__all__ = [
    "ENTITY_KINDS",
    "OWNERSHIP_KINDS",
    "REGIME_IDS",
    "STRONG_SCHEMES",
    "Claim",
    "Designation",
    "Entity",
    "EntityKind",
    "Holding",
    "Listing",
    "Ownership",
    "OwnershipKind",
    "Provenance",
    "Record",
    "SameAs",
    "Venue",
    "isin_check_digit",
    "parse_date",
]

EntityKind = Literal[
    "company", "person", "fund", "government", "organization", "vessel", "aircraft", "unknown"
]
ENTITY_KINDS: tuple[str, ...] = get_args(EntityKind)
OwnershipKind = Literal["shares", "votes", "board", "control", "consolidation"]
OWNERSHIP_KINDS: tuple[str, ...] = get_args(OwnershipKind)
REGIME_IDS: tuple[str, ...] = (
    "ofac-sdn",
    "ofac-ssi",
    "ofac-ns-cmic",
    "bis-entity-list",
    "eu",
    "uk",
    "info",
)
STRONG_SCHEMES: tuple[str, ...] = ("lei", "registration", "isin", "ofac", "opensanctions", "wikidata")
"""Identifier schemes that merge entities from different sources (SPEC §4). ``cik`` and
``cusip`` are kept as identifiers but do not merge on their own."""

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_date(value: Any, *, field: str | None = None) -> dt.date | None:
    """Parse an ISO date; ``YYYY`` and ``YYYY-MM`` mean the first day of the period.

    Datetimes are cut to their date. Empty values are ``None``.

    >>> parse_date("2021-12-10"), parse_date("2016-03"), parse_date("")
    (datetime.date(2021, 12, 10), datetime.date(2016, 3, 1), None)
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    m = _DATE_RE.match(text[:10] if len(text) > 10 and text[10] in "T " else text)
    if not m:
        raise DateError("not an ISO date", field=field, value=text, fix="write YYYY-MM-DD (or YYYY, YYYY-MM)")
    try:
        return dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        raise DateError("no such date", field=field, value=text, fix="check day and month") from None


def _date(v: Any) -> dt.date | None:
    return parse_date(v)


def _past(d: dt.date | None) -> dt.date | None:
    if d is not None and d > dt.date.today():
        raise DateError(
            "date in the future",
            value=d.isoformat(),
            fix="check the year; facts are dated when they happened",
        )
    return d


Date = Annotated[dt.date | None, BeforeValidator(_date)]
PastDate = Annotated[dt.date | None, BeforeValidator(_date), AfterValidator(_past)]
"""A date that cannot lie in the future (incorporation, listing, the start of a stake)."""


def _empty_none(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return v


OptStr = Annotated[str | None, BeforeValidator(_empty_none)]


def _str_tuple(v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        v = [p for p in v.split(";")]
    out: list[str] = []
    for item in v:
        s = str(item).strip()
        if s and s not in out:
            out.append(s)
    return tuple(out)


StrTuple = Annotated[tuple[str, ...], BeforeValidator(_str_tuple)]


def isin_check_digit(body: str) -> int:
    """The ISO 6166 check digit of the first 11 characters of an ISIN (Luhn over digits).

    >>> isin_check_digit("US037833100")  # Apple, ISIN US0378331005
    5
    """
    digits = "".join(str(int(c, 36)) for c in body.upper())
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return (10 - total % 10) % 10


_ISIN_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")
_LEI_RE = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")


def normalize_identifier(scheme: str, value: str) -> tuple[str, str]:
    """Normalise one identifier; raise :class:`InputError` when a strong one is malformed."""
    scheme = scheme.strip().lower()
    value = value.strip()
    if not scheme or not value:
        raise InputError("identifier needs scheme:value", field="identifiers", value=f"{scheme}:{value}")
    if scheme == "lei":
        value = value.upper()
        if not _LEI_RE.match(value):
            raise InputError("not a 20-character LEI", field="identifiers", value=f"lei:{value}")
    elif scheme == "isin":
        value = value.upper()
        if not _ISIN_RE.match(value) or isin_check_digit(value[:11]) != int(value[11]):
            raise InputError("not a valid ISIN (check digit)", field="identifiers", value=f"isin:{value}")
    elif scheme == "registration":
        cc, _, number = value.partition(":")
        if len(cc.strip()) != 2 or not number.strip():
            raise InputError(
                "registration needs a country code and a number",
                field="identifiers",
                value=f"registration:{value}",
                fix="write registration:HK:2162198",
            )
        value = f"{cc.strip().upper()}:{number.strip()}"
    elif scheme == "wikidata":
        value = value.upper()
    return scheme, value


def _identifiers(v: Any) -> dict[str, tuple[str, ...]]:
    if v is None or v == "":
        return {}
    pairs: list[tuple[str, str]] = []
    if isinstance(v, str):
        for part in v.split(";"):
            part = part.strip()
            if not part:
                continue
            scheme, sep, value = part.partition(":")
            if not sep:
                raise InputError(
                    "identifier without a scheme",
                    field="identifiers",
                    value=part,
                    fix="write scheme:value, e.g. lei:529900T8BM49AURSDO55",
                )
            pairs.append((scheme, value))
    elif isinstance(v, Mapping):
        for scheme, values in v.items():
            if isinstance(values, str):
                values = [values]
            pairs.extend((str(scheme), str(x)) for x in values)
    else:
        for item in v:
            if isinstance(item, str):
                scheme, _, value = item.partition(":")
                pairs.append((scheme, value))
            else:
                pairs.append((str(item[0]), str(item[1])))
    out: dict[str, list[str]] = {}
    for scheme, value in pairs:
        s, val = normalize_identifier(scheme, value)
        vals = out.setdefault(s, [])
        if val not in vals:
            vals.append(val)
    return {k: tuple(vals) for k, vals in sorted(out.items())}


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Provenance(_Record):
    """Where a record came from: file, line or record id in it, source name, load time."""

    file: OptStr = None
    record: OptStr = None
    source: OptStr = None
    loaded: dt.datetime | None = None


class Entity(_Record):
    """A company, person, fund, government, organisation, vessel, aircraft or unknown party."""

    type: Literal["entity"] = "entity"
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: EntityKind = "company"
    jurisdiction: OptStr = None
    aliases: StrTuple = ()
    identifiers: Annotated[dict[str, tuple[str, ...]], BeforeValidator(_identifiers)] = {}
    incorporated: PastDate = None
    dissolved: PastDate = None
    notes: StrTuple = ()
    sources: StrTuple = ()

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            return "company"
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("jurisdiction")
    @classmethod
    def _jur(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip().upper()
        if not re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", v):
            raise InputError(
                "not an ISO 3166 alpha-2 code", field="jurisdiction", value=v, fix="write e.g. HK, KY, US"
            )
        return v

    def strong_keys(self) -> list[str]:
        """The strong keys this entity answers to: its id and each strong identifier."""
        out = [self.id]
        for scheme in STRONG_SCHEMES:
            out.extend(f"{scheme}:{v}" for v in self.identifiers.get(scheme, ()))
        return out


class Ownership(_Record):
    """A stake of ``owner_id`` in ``owned_id``: shares, votes, board or other control, or an
    accounting-consolidation parent."""

    type: Literal["ownership"] = "ownership"
    owner_id: str = Field(min_length=1)
    owned_id: str = Field(min_length=1)
    share: Annotated[Share, BeforeValidator(parse_share)] = Share.unknown()
    kind: OwnershipKind = "shares"
    arrangement: OptStr = None
    start: PastDate = None
    end: Date = None
    source: OptStr = None

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            return "shares"
        return v.strip().lower() if isinstance(v, str) else v

    @model_validator(mode="after")
    def _check(self) -> Ownership:
        if self.owner_id == self.owned_id:
            raise InputError(
                "an entity cannot own itself",
                field="owned_id",
                value=self.owned_id,
                fix="check the owner_id and owned_id columns",
            )
        if self.start and self.end and self.end < self.start:
            raise InputError("end before start", field="end", value=self.end.isoformat())
        return self


class Venue(_Record):
    """A trading venue by ISO 10383 MIC."""

    type: Literal["venue"] = "venue"
    mic: str = Field(pattern=r"^[A-Z0-9]{4}$")
    name: OptStr = None
    country: OptStr = None
    operating_mic: OptStr = None
    status: OptStr = None
    source: OptStr = None

    @field_validator("mic", mode="before")
    @classmethod
    def _mic(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v


class Listing(_Record):
    """A security of an entity traded on a venue (by MIC) or identified by ISIN."""

    type: Literal["listing"] = "listing"
    entity_id: str = Field(min_length=1)
    mic: OptStr = None
    ticker: OptStr = None
    isin: OptStr = None
    listed: PastDate = None
    delisted: Date = None
    source: OptStr = None

    @model_validator(mode="after")
    def _check(self) -> Listing:
        if not self.mic and not self.isin:
            raise InputError("a listing needs a mic or an isin", field="mic", fix="fill mic or isin")
        if self.mic and not re.fullmatch(r"[A-Z0-9]{4}", self.mic.upper()):
            raise InputError("not a 4-character ISO 10383 MIC", field="mic", value=self.mic)
        if self.isin:
            try:
                normalize_identifier("isin", self.isin)
            except InputError as e:
                raise InputError(
                    e.reason, field="isin", value=self.isin, fix="check the ISIN's 12 characters"
                ) from None
        return self


class Designation(_Record):
    """An entity named on a list, mapped to a regime (SPEC §6)."""

    type: Literal["designation"] = "designation"
    entity_id: str = Field(min_length=1)
    regime: str
    list: OptStr = None
    program: OptStr = None
    listed: PastDate = None
    effective: Date = None
    removed: Date = None
    reference: OptStr = None
    source: OptStr = None

    @field_validator("regime", mode="before")
    @classmethod
    def _regime(cls, v: Any) -> Any:
        v = str(v or "").strip().lower()
        if v not in REGIME_IDS:
            raise InputError(
                "unknown regime", field="regime", value=v, fix="use one of " + ", ".join(REGIME_IDS)
            )
        return v


class Claim(_Record):
    """A relation a source asserts to something it names but does not identify."""

    type: Literal["claim"] = "claim"
    subject_id: str = Field(min_length=1)
    relation: str = Field(min_length=1)
    name: str = Field(min_length=1)
    source: OptStr = None


class Holding(_Record):
    """An investor's position in a security or entity (13F-style or portfolio data)."""

    type: Literal["holding"] = "holding"
    holder_id: str = Field(min_length=1)
    entity_id: OptStr = None
    isin: OptStr = None
    cusip: OptStr = None
    shares: float | None = None
    value: float | None = None
    weight: float | None = None
    as_of: Date = None
    source: OptStr = None

    @field_validator("shares", "value", "weight", mode="before")
    @classmethod
    def _num(cls, v: Any) -> Any:
        return None if v is None or (isinstance(v, str) and not v.strip()) else v

    @model_validator(mode="after")
    def _check(self) -> Holding:
        if not (self.entity_id or self.isin or self.cusip):
            raise InputError("a holding needs entity_id, isin or cusip", field="entity_id")
        return self


class SameAs(_Record):
    """An explicit statement that two ids name the same entity."""

    type: Literal["sameas"] = "sameas"
    id_a: str = Field(min_length=1)
    id_b: str = Field(min_length=1)
    source: OptStr = None
    who: OptStr = None
    at: dt.datetime | None = None


Record = Entity | Ownership | Venue | Listing | Designation | Claim | Holding | SameAs
RECORD_TYPES: dict[str, type[_Record]] = {
    "entity": Entity,
    "ownership": Ownership,
    "venue": Venue,
    "listing": Listing,
    "designation": Designation,
    "claim": Claim,
    "holding": Holding,
    "sameas": SameAs,
}

