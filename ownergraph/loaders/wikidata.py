"""Wikidata entity JSON (``--format wikidata``).

Reads the documented Wikibase JSON in every shape it is published in, streamed line by line:

* an API response ``{"entities": {"Q…": {…}, …}}`` (``wbgetentities``, ``Special:EntityData``),
  on one line or pretty-printed (read whole, up to 1 GiB);
* a JSON dump (``latest-all.json``): ``[``, then one entity object per line with a trailing comma,
  then ``]``; also plain JSON lines of entities or of API responses. Lines longer than 64 MiB are
  rejected. Compressed dumps (``.json.gz``/``.json.bz2``) stream through
  :mod:`ownergraph.loaders.compressed`.

Items (``"type": "item"``) become an :class:`Entity` ``wd:<QID>`` (identifier ``wikidata``), named
by the English label (else ``mul``, else the first language in code order, else the QID), with the
English and ``mul`` aliases and the other languages' labels as aliases, the English description
as a note, kind from ``P31`` (:data:`KIND_BY_CLASS`; anything else is a company), ``P571``/``P576``
as incorporated/dissolved (not for persons), and identifiers ``lei`` (``P1278``) and ``isin``
(``P946``), each validated (a malformed one is reported and left out; the entity stays).
Properties and lexemes are skipped; a ``missing`` entity in an API response is reported.

Statements of deprecated rank are skipped (they record what is wrong or superseded); ``somevalue``
and ``novalue`` snaks have no ``datavalue``. Edges, all with the statement id as locator:

* ``P127`` owned by → :class:`Ownership` owner = value, owned = subject, kind ``shares``, share
  from qualifier ``P1107`` proportion (0–1 → percent; unit ``Q11229`` percent is taken as
  percent; bounds are ignored) else unknown; a proportion outside 0–1 is reported;
* ``P749`` parent organization → kind ``control`` from the parent to the subject, and ``P355``
  has subsidiary → ``control`` from the subject to the value. Both directions are read because
  editors do not keep them symmetric; the two statements of one link yield identical records,
  stored once;
* dates from qualifiers ``P580``/``P582`` (start/end); a ``somevalue`` owner or parent becomes an
  entity of kind ``unknown`` ``wd:<statement id>``; ``novalue`` becomes a note.

Wikidata time values carry a precision: 9 = year, 10 = month, 11 = day; ``00`` month or day
means the first; precision coarser than a year (decade, century) and BCE dates are dropped.

``P414`` stock exchange → :class:`Listing` on the exchange's MIC with each ticker of qualifier
``P249`` (dates ``P580``/``P582``). Wikidata has no MIC property on most exchanges, so the MIC comes
from :data:`EXCHANGE_MIC`, a small table of major exchanges whose QIDs were checked against
several independent public mappings. A listing on an exchange not in the table cannot be a
:class:`Listing` (which needs a MIC or an ISIN); it is kept as a note on the entity with the
exchange's QID and tickers.

Referenced items (owners, parents, subsidiaries) that the file does not contain become stub
entities ``wd:<QID>`` of kind ``unknown``, named by the QID, so that no edge dangles; loading the
item's own JSON adds its name and kind. Which items were seen and referenced is kept in bitsets
indexed by the QID number (about 16 MB each for today's Q-number range), so a dump streams in
bounded memory; a full dump yields every item, so filter it to the items you need first.

This module stops at parsing: it resolves no names and merges nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

import orjson

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import normalize_identifier
from ownergraph.loaders.base import Item, make_record, register
from ownergraph.loaders.compressed import Member, is_compressed, members_of, open_members, register_stream

__all__ = [
    "EXCHANGE_MIC",
    "KIND_BY_CLASS",
    "parse_wikidata",
    "parse_wikidata_members",
    "wikidata_date",
]

EXCHANGE_MIC: dict[str, str] = {
    "Q13677": "XNYS",  # New York Stock Exchange
    "Q82059": "XNAS",  # Nasdaq
    "Q496672": "XHKG",  # Hong Kong Stock Exchange
    "Q739514": "XSHG",  # Shanghai Stock Exchange
    "Q517750": "XSHE",  # Shenzhen Stock Exchange
    "Q217475": "XTKS",  # Tokyo Stock Exchange (segment of XJPX)
    "Q171240": "XLON",  # London Stock Exchange
    "Q2385849": "XPAR",  # Euronext Paris
    "Q478720": "XAMS",  # Euronext Amsterdam
    "Q151139": "XFRA",  # Frankfurt Stock Exchange
    "Q819468": "XETR",  # Xetra
    "Q661834": "XSWX",  # SIX Swiss Exchange
    "Q936563": "XMIL",  # Borsa Italiana
    "Q1019992": "XSTO",  # Nasdaq Stockholm
    "Q818723": "XTSE",  # Toronto Stock Exchange
    "Q732670": "XASX",  # Australian Securities Exchange
    "Q638740": "XNSE",  # National Stock Exchange of India
    "Q548621": "XTAI",  # Taiwan Stock Exchange
}
"""Wikidata exchange item → ISO 10383 MIC. Each QID was found with the same meaning in at least
two independent public code bases that map Wikidata exchanges (ticker/quote tools); exchanges
whose QID sources disagree (NYSE American, Korea Exchange) are left out on purpose."""

KIND_BY_CLASS: dict[str, str] = {
    "Q5": "person",  # human
    "Q6256": "government",  # country
    "Q3624078": "government",  # sovereign state
    "Q7275": "government",  # state
    "Q327333": "government",  # government agency
    "Q43229": "organization",  # organization
    "Q163740": "organization",  # nonprofit organization
    "Q4830453": "company",  # business
    "Q783794": "company",  # company
    "Q891723": "company",  # public company
    "Q6881511": "company",  # enterprise
    "Q167037": "company",  # corporation
    "Q219577": "company",  # holding company
    "Q658255": "company",  # subsidiary
    "Q1589009": "company",  # privately held company
}
"""``P31`` (instance of) class → entity kind; the first class found here decides."""

_QID = re.compile(r"^Q[1-9]\d*$")
_TIME = re.compile(r"^([+-])(\d{1,16})-(\d{2})-(\d{2})T")
_MAX_LINE = 64 * 1024 * 1024
_MAX_DOCUMENT = 1024 * 1024 * 1024
_PERCENT_UNIT = "http://www.wikidata.org/entity/Q11229"
_CONTROL_SOURCE = "Wikidata P749 parent organization / P355 has subsidiary"


# -- values --------------------------------------------------------------------------------------


def wikidata_date(value: Any) -> dt.date | None:
    """A Wikidata time value as a date, by its precision (``None`` when coarser than a year).

    >>> wikidata_date({"time": "+2008-00-00T00:00:00Z", "precision": 9})
    datetime.date(2008, 1, 1)
    >>> wikidata_date({"time": "+2016-03-17T00:00:00Z", "precision": 10})
    datetime.date(2016, 3, 1)
    >>> wikidata_date({"time": "+1990-00-00T00:00:00Z", "precision": 8}) is None
    True
    """
    if not isinstance(value, Mapping):
        return None
    m = _TIME.match(str(value.get("time", "")))
    precision = value.get("precision")
    if not m or m.group(1) == "-" or not isinstance(precision, int) or precision < 9:
        return None
    year, month, day = int(m.group(2)), int(m.group(3)), int(m.group(4))
    if not 1 <= year <= 9999:
        return None
    month = month if precision >= 10 and month else 1
    day = day if precision >= 11 and day else 1
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _statements(entity: Mapping[str, Any], prop: str) -> list[Mapping[str, Any]]:
    claims = entity.get("claims") or {}
    out = claims.get(prop) if isinstance(claims, Mapping) else None
    if not isinstance(out, list):
        return []
    return [s for s in out if isinstance(s, Mapping) and s.get("rank") != "deprecated"]


def _snak_value(snak: Any) -> Any:
    if not isinstance(snak, Mapping) or snak.get("snaktype") != "value":
        return None
    dv = snak.get("datavalue")
    return dv.get("value") if isinstance(dv, Mapping) else None


def _item_id(snak: Any) -> str | None:
    v = _snak_value(snak)
    if isinstance(v, Mapping):
        qid = v.get("id")
        if qid is None and v.get("numeric-id") is not None and v.get("entity-type") == "item":
            qid = f"Q{v['numeric-id']}"
        if isinstance(qid, str) and _QID.match(qid):
            return qid
    return None


def _qualifiers(stmt: Mapping[str, Any], prop: str) -> list[Any]:
    q = stmt.get("qualifiers") or {}
    out = q.get(prop) if isinstance(q, Mapping) else None
    return out if isinstance(out, list) else []


def _qual_date(stmt: Mapping[str, Any], prop: str) -> dt.date | None:
    for snak in _qualifiers(stmt, prop):
        d = wikidata_date(_snak_value(snak))
        if d is not None:
            return d
    return None


def _share(stmt: Mapping[str, Any]) -> Decimal | None:
    """The percent of qualifier P1107 (proportion), or ``None``; raises InputError when invalid."""
    for snak in _qualifiers(stmt, "P1107"):
        v = _snak_value(snak)
        if not isinstance(v, Mapping):
            continue
        try:
            amount = Decimal(str(v.get("amount", "")).lstrip("+"))
        except InvalidOperation:
            raise InputError(
                "P1107 proportion is not a number", field="P1107", value=v.get("amount")
            ) from None
        unit = str(v.get("unit", "1"))
        if unit == _PERCENT_UNIT:
            pct = amount
        elif unit == "1":
            if not 0 <= amount <= 1:
                raise InputError(
                    "P1107 proportion outside 0–1",
                    field="P1107",
                    value=v.get("amount"),
                    fix="P1107 is a proportion (0.49 = 49%); correct the Wikidata statement",
                )
            pct = amount * 100
        else:
            raise InputError(
                "P1107 proportion with a unit",
                field="P1107",
                value=unit,
                fix="expected no unit (a proportion) or percent (Q11229)",
            )
        return pct.normalize() if pct else Decimal(0)
    return None


def _label(entity: Mapping[str, Any]) -> str | None:
    labels = entity.get("labels") or {}
    if not isinstance(labels, Mapping):
        return None
    for lang in ("en", "mul", *sorted(labels)):
        lab = labels.get(lang)
        if isinstance(lab, Mapping) and str(lab.get("value", "")).strip():
            return str(lab["value"]).strip()
    return None


def _aliases(entity: Mapping[str, Any], name: str) -> list[str]:
    out: list[str] = []
    aliases = entity.get("aliases") or {}
    if isinstance(aliases, Mapping):
        for lang in ("en", "mul"):
            for a in aliases.get(lang) or []:
                if isinstance(a, Mapping) and a.get("value"):
                    out.append(str(a["value"]))
    labels = entity.get("labels") or {}
    if isinstance(labels, Mapping):
        for lang in sorted(labels):
            lab = labels[lang]
            if isinstance(lab, Mapping) and lab.get("value"):
                out.append(str(lab["value"]))
    seen = {name.casefold()}
    result = []
    for a in out:
        a = a.strip()
        if a and a.casefold() not in seen:
            seen.add(a.casefold())
            result.append(a)
    return result


def _kind(entity: Mapping[str, Any]) -> str:
    for stmt in _statements(entity, "P31"):
        qid = _item_id(stmt.get("mainsnak"))
        if qid in KIND_BY_CLASS:
            return KIND_BY_CLASS[qid]
    return "company"


# -- seen / referenced items ---------------------------------------------------------------------


class _QidSet:
    """A set of Q-numbers: a bitset below 2**28 (at most 32 MB, bounded memory for a full dump;
    today's items are below Q140000000), a plain set above."""

    _BITS_BELOW = 1 << 28

    def __init__(self) -> None:
        self._bits = bytearray()
        self._big: set[int] = set()

    def add(self, qid: str) -> None:
        n = int(qid[1:])
        if n >= self._BITS_BELOW:
            self._big.add(n)
            return
        i = n >> 3
        if i >= len(self._bits):
            self._bits.extend(bytes(max(i + 1 - len(self._bits), len(self._bits))))
        self._bits[i] |= 1 << (n & 7)

    def __contains__(self, qid: object) -> bool:
        if not isinstance(qid, str):
            return False
        n = int(qid[1:])
        if n >= self._BITS_BELOW:
            return n in self._big
        i = n >> 3
        return i < len(self._bits) and bool(self._bits[i] & (1 << (n & 7)))

    def missing_from(self, other: _QidSet) -> Iterator[str]:
        """QIDs in ``self`` and not in ``other``, in numeric order."""
        for m in re.finditer(rb"[^\x00]", self._bits):
            i = m.start()
            o = other._bits[i] if i < len(other._bits) else 0
            rest = self._bits[i] & ~o
            for b in range(8):
                if rest & (1 << b):
                    yield f"Q{i * 8 + b}"
        for n in sorted(self._big - other._big):
            yield f"Q{n}"


# -- entities → records --------------------------------------------------------------------------


def _rec(type_: str, data: dict[str, Any], file: str, locator: str) -> Item:
    rec = make_record(type_, data, file=file, line=locator)
    return rec if isinstance(rec, InputError) else (rec, locator)


def _edges(
    entity: Mapping[str, Any], qid: str, name: str, file: str, notes: list[str], referenced: _QidSet
) -> Iterator[Item]:
    subject = f"wd:{qid}"
    for prop, kind, label in (("P127", "shares", "owner"), ("P749", "control", "parent")):
        for stmt in _statements(entity, prop):
            snak = stmt.get("mainsnak") or {}
            sid = str(stmt.get("id") or f"{qid}${prop}")
            snaktype = snak.get("snaktype") if isinstance(snak, Mapping) else None
            if snaktype == "novalue":
                notes.append(f"Wikidata: no {label} ({prop} 'no value')")
                continue
            try:
                share = _share(stmt)
            except InputError as e:
                yield e.located(file=file, line=sid)
                continue
            if snaktype == "somevalue":
                owner = f"wd:{sid}"
                yield _rec(
                    "entity",
                    {
                        "id": owner,
                        "name": f"unknown {label} of {name}",
                        "kind": "unknown",
                        "notes": [
                            f"Wikidata says {name} has an {label} but not who ({prop} 'unknown value')"
                        ],
                        "sources": [f"Wikidata {qid}"],
                    },
                    file,
                    sid,
                )
            else:
                value = _item_id(snak)
                if value is None:
                    yield InputError("statement without an item value", file=file, line=sid, field=prop)
                    continue
                referenced.add(value)
                owner = f"wd:{value}"
            yield _rec(
                "ownership",
                {
                    "owner_id": owner,
                    "owned_id": subject,
                    "kind": kind,
                    "share": share if share is not None else None,
                    "start": _qual_date(stmt, "P580"),
                    "end": _qual_date(stmt, "P582"),
                    "source": "Wikidata P127 owned by" if prop == "P127" else _CONTROL_SOURCE,
                },
                file,
                sid,
            )
    for stmt in _statements(entity, "P355"):
        sid = str(stmt.get("id") or f"{qid}$P355")
        value = _item_id(stmt.get("mainsnak"))
        if value is None:
            continue
        try:
            share = _share(stmt)
        except InputError as e:
            yield e.located(file=file, line=sid)
            continue
        referenced.add(value)
        yield _rec(
            "ownership",
            {
                "owner_id": subject,
                "owned_id": f"wd:{value}",
                "kind": "control",
                "share": share,
                "start": _qual_date(stmt, "P580"),
                "end": _qual_date(stmt, "P582"),
                "source": _CONTROL_SOURCE,
            },
            file,
            sid,
        )


def _listings(entity: Mapping[str, Any], qid: str, file: str, notes: list[str]) -> Iterator[Item]:
    for stmt in _statements(entity, "P414"):
        sid = str(stmt.get("id") or f"{qid}$P414")
        exchange = _item_id(stmt.get("mainsnak"))
        if exchange is None:
            continue
        tickers = [
            str(v).strip()
            for v in (_snak_value(s) for s in _qualifiers(stmt, "P249"))
            if isinstance(v, str) and v.strip()
        ]
        mic = EXCHANGE_MIC.get(exchange)
        if mic is None:
            notes.append(
                f"listed on Wikidata exchange {exchange} (no MIC known)"
                + (f", ticker {', '.join(tickers)}" if tickers else "")
            )
            continue
        per_ticker: list[str | None] = [*tickers] or [None]
        for ticker in per_ticker:
            yield _rec(
                "listing",
                {
                    "entity_id": f"wd:{qid}",
                    "mic": mic,
                    "ticker": ticker,
                    "listed": _qual_date(stmt, "P580"),
                    "delisted": _qual_date(stmt, "P582"),
                    "source": f"Wikidata P414 stock exchange {exchange}",
                },
                file,
                sid,
            )


def _identifiers(
    entity: Mapping[str, Any], qid: str, file: str
) -> tuple[dict[str, list[str]], list[InputError]]:
    ids: dict[str, list[str]] = {"wikidata": [qid]}
    errors: list[InputError] = []
    for prop, scheme in (("P1278", "lei"), ("P946", "isin")):
        for stmt in _statements(entity, prop):
            v = _snak_value(stmt.get("mainsnak"))
            if not isinstance(v, str):
                continue
            try:
                _, norm = normalize_identifier(scheme, v)
            except InputError as e:
                errors.append(
                    InputError(
                        f"{e.reason}; left out of the entity",
                        file=file,
                        line=str(stmt.get("id") or qid),
                        field=prop,
                        value=v,
                        fix="correct the Wikidata statement",
                    )
                )
                continue
            if norm not in ids.setdefault(scheme, []):
                ids[scheme].append(norm)
    return ids, errors


def _entity_items(entity: Any, file: str, locator: str, seen: _QidSet, referenced: _QidSet) -> Iterator[Item]:
    if not isinstance(entity, Mapping):
        yield InputError("not a Wikidata entity object", file=file, line=locator)
        return
    qid = str(entity.get("id") or entity.get("title") or "")
    if "missing" in entity:
        yield InputError(
            "the response says this entity is missing",
            file=file,
            line=locator,
            value=qid,
            fix="check the QID; deleted items have no JSON",
        )
        return
    if entity.get("type") != "item":
        return  # properties, lexemes, media info: not parties
    if not _QID.match(qid):
        yield InputError("item without a Q-id", file=file, line=locator, field="id", value=qid)
        return
    loc = qid
    name = _label(entity) or qid
    kind = _kind(entity)
    notes: list[str] = []
    descriptions = entity.get("descriptions")
    desc = descriptions.get("en") if isinstance(descriptions, Mapping) else None
    if isinstance(desc, Mapping) and desc.get("value"):
        notes.append(f"Wikidata: {desc['value']}")
    ids, errors = _identifiers(entity, qid, file)
    yield from errors
    edge_items = list(_edges(entity, qid, name, file, notes, referenced))
    listing_items = list(_listings(entity, qid, file, notes))
    today = dt.date.today()
    inc = dis = None
    if kind != "person":
        inc = next(
            (
                d
                for s in _statements(entity, "P571")
                if (d := wikidata_date(_snak_value(s.get("mainsnak")))) and d <= today
            ),
            None,
        )
        dis = next(
            (
                d
                for s in _statements(entity, "P576")
                if (d := wikidata_date(_snak_value(s.get("mainsnak")))) and d <= today
            ),
            None,
        )
    rev = entity.get("lastrevid")
    seen.add(qid)
    yield _rec(
        "entity",
        {
            "id": f"wd:{qid}",
            "name": name,
            "kind": kind,
            "aliases": _aliases(entity, name),
            "identifiers": ids,
            "incorporated": inc,
            "dissolved": dis,
            "notes": notes,
            "sources": [f"Wikidata {qid}" + (f" revision {rev}" if rev else "")],
        },
        file,
        loc,
    )
    yield from edge_items
    yield from listing_items


# -- reading -------------------------------------------------------------------------------------


def _loads_line(s: bytes) -> Any:
    """One dump line: an object (or array) with the dump's ``[``/``]`` and trailing comma."""
    s = s.rstrip(b",").rstrip()
    try:
        return orjson.loads(s)
    except orjson.JSONDecodeError:
        t = s[1:] if s.startswith(b"[") else s
        t = t[:-1] if t.endswith(b"]") else t
        return orjson.loads(t.strip().rstrip(b",").rstrip())


def _objects(f: IO[bytes], display: str) -> Iterator[tuple[Any, str] | InputError]:
    """The JSON objects of a Wikidata file with their locators (``line N``)."""
    line_no = 0
    first = True
    while True:
        raw = f.readline(_MAX_LINE + 1)
        if not raw:
            return
        line_no += 1
        if len(raw) > _MAX_LINE and not raw.endswith(b"\n"):
            while True:
                more = f.readline(_MAX_LINE)
                if not more or more.endswith(b"\n"):
                    break
            yield InputError(
                "line longer than 64 MiB; skipped",
                file=display,
                line=line_no,
                fix="a Wikidata entity fits in a few MB; check the file",
            )
            continue
        s = raw.removeprefix(b"\xef\xbb\xbf").strip() if first else raw.strip()
        if s in (b"", b"[", b"]"):
            continue
        was_first, first = first, False
        try:
            obj = _loads_line(s)
        except orjson.JSONDecodeError as e:
            if was_first and s.startswith(b"{"):
                # a pretty-printed document: read it whole
                rest = f.read(_MAX_DOCUMENT + 1)
                if len(rest) > _MAX_DOCUMENT:
                    raise FormatError(
                        "pretty-printed JSON document over 1 GiB",
                        file=display,
                        fix="use the JSON dump form (one entity per line)",
                    ) from None
                try:
                    yield orjson.loads(s + b"\n" + rest), "document"
                except orjson.JSONDecodeError as e2:
                    raise FormatError(
                        f"malformed JSON: {e2}", file=display, fix="re-download the file"
                    ) from None
                return
            hint = " (the file is not UTF-8)" if "utf-8" in str(e).lower() else ""
            yield InputError(
                f"malformed JSON line{hint}: {e}", file=display, line=line_no, fix="re-download the file"
            )
            continue
        for o in obj if isinstance(obj, list) else [obj]:
            yield o, f"line {line_no}"


def _read(member: Member, seen: _QidSet, referenced: _QidSet) -> Iterator[Item]:
    with member.open() as f:
        for got in _objects(f, member.display):
            if isinstance(got, InputError):
                yield got
                continue
            obj, loc = got
            if isinstance(obj, Mapping) and isinstance(obj.get("entities"), Mapping):
                for key, ent in obj["entities"].items():
                    yield from _entity_items(
                        ent, member.display, f"{loc} {key}" if loc != "document" else key, seen, referenced
                    )
            elif isinstance(obj, Mapping) and "type" in obj and "id" in obj:
                yield from _entity_items(obj, member.display, loc, seen, referenced)
            else:
                yield InputError(
                    "not a Wikidata entity or API response",
                    file=member.display,
                    line=loc,
                    fix='expected {"entities": {...}} or one entity object per line',
                )


@register_stream("wikidata")
def parse_wikidata_members(members: Sequence[Member]) -> Iterator[Item]:
    """Yield the records of Wikidata JSON files (or archive members), stubs for referenced items last."""
    seen, referenced = _QidSet(), _QidSet()
    for m in members:
        yield from _read(m, seen, referenced)
    for qid in referenced.missing_from(seen):
        yield _rec(
            "entity",
            {
                "id": f"wd:{qid}",
                "name": qid,
                "kind": "unknown",
                "identifiers": {"wikidata": [qid]},
                "notes": [
                    "named by its QID: the item is referenced but not in the loaded file; load its "
                    "Wikidata JSON to get its name and kind"
                ],
                "sources": ["Wikidata (referenced item)"],
            },
            members[-1].display if members else "",
            qid,
        )


_SNIFF_ENTITIES = re.compile(rb'^\[?\s*\{\s*"entities"\s*:')
_SNIFF_ITEM = re.compile(rb'"type"\s*:\s*"item"')
_SNIFF_ID = re.compile(rb'"id"\s*:\s*"Q\d+"')


def _sniff(path: Path, head: bytes) -> bool:
    if path.is_dir():
        return False
    h = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if _SNIFF_ENTITIES.match(h):
        return True
    if not h.startswith((b"[", b"{")):
        return False
    first = h.lstrip(b"[ \t\r\n")[:65536]
    return bool(
        _SNIFF_ITEM.search(first)
        and _SNIFF_ID.search(first)
        and (b'"claims"' in first or b'"labels"' in first)
    )


@register(
    "wikidata", "Wikidata entity JSON (API response or dump; P127, P749, P355, P414, P1278, P946)", _sniff
)
def parse_wikidata(path: Path) -> Iterator[Item]:
    """Yield the entities, ownership edges and listings of a Wikidata JSON file."""
    if path.is_dir():
        raise FormatError("a folder, not a Wikidata JSON file", file=str(path), fix="pass the JSON file")
    if is_compressed(path):
        with open_members(path) as members:
            yield from parse_wikidata_members(members)
        return
    yield from parse_wikidata_members(members_of(path))
