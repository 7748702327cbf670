"""The US Consolidated Screening List of trade.gov (``--format csl``): CSV in the current layout
(first column ``_id``) and the older one (no ``_id``), and the JSON download/search form
(``{"results": [...]}``, ``id`` instead of ``_id``, multi-valued fields as arrays).

Each row yields an :class:`~ownergraph.graph.model.Entity` and one :class:`Designation`:

* **id** ``csl:<_id>``. A row without ``_id`` (older layout) is ``csl:<entity_number>`` when it is a
  Treasury row — the current layout's ``_id`` of a Treasury row *is* its OFAC entity number, so
  both layouts give the entity the same id — else ``csl:<list code>:<slug of the name>`` (SPEC §4;
  list code from the parenthesised abbreviation of ``source``: ``EL``, ``DPL``, ``MBS``, ...).
* **identifiers**: ``ofac:<entity_number>`` on Treasury rows, so they merge with the OFAC loader's
  records (the CSL republishes OFAC's lists); ``opensanctions:trade-csl-<_id>`` on other rows and
  ``opensanctions:ofac-<entity_number>`` on Treasury rows — the ids OpenSanctions' ``us_trade_csl``
  crawler gives the same rows, so FtM records that list them as referents merge too; ``lei`` from
  ``Legal Entity Number`` ids; ``registration:CC:number`` from ids whose type is a registration
  label (:data:`REGISTRATION_LABELS`) **and** that name their country — a number without one, or
  under a tax or other label, stays a note.
* **ids** are parsed in both orders: current ``type, number[, country]`` and older
  ``[country, ]number, type``; entries that are not identifiers (``Gender``, ``Secondary sanctions
  risk:``, directive determinations, websites) become notes.
* **names**: the suffix ``; and any successor, sub-unit, or subsidiary thereof`` is cut from the
  name and kept as a note; ``alt_names`` are split on ``"; "`` and ``"; and "``.
* **jurisdiction**: the one country of the registration identifiers, else a vessel's flag, else
  the one country the addresses end with (the trailing ISO code of each ``"; "``- or
  ``"; and "``-separated address, or a country name); several countries give none.
* **kind**: ``type`` (``Individual`` → person, ``Entity`` → company, ``Vessel``, ``Aircraft``);
  BIS and State rows leave it empty — a row with a birth date, birthplace, nationality or
  citizenship is a person, any other a company (noted).
* **designation**: regime from :func:`ownergraph.graph.list_regimes.regime_for_list` of ``source``
  and ``programs`` (Entity List and MEU → ``bis-entity-list``, SDN → ``ofac-sdn``, SSI →
  ``ofac-ssi``, CMIC → ``ofac-ns-cmic``, every other list → ``info``), ``listed`` = ``start_date``,
  ``removed`` = ``end_date`` (a DPL denial order's expiry may lie in the future), reference = the
  Federal Register notice(s), else the OFAC entity number.
* ``(Linked To: …)`` in remarks and ``vessel_owner`` become :class:`Claim` records.

**BIS's own Denied Persons List file** (``dpl.txt``), one of the CSL's component lists in its
native form, is read too although it is not CSL-shaped: tab-separated, every field quoted,
columns ``Name, Street_Address, City, State, Country, Postal_Code, Effective_Date,
Expiration_Date, Standard_Order, Last_Update, Action, FR_Citation``, dates ``MM/DD/YYYY``, names
with leading spaces; no ``source``, aliases, programmes or ids. Each row is read as a CSL row of
the DPL (``csl:dpl:<slug>``, as the older CSV layout names DPL rows, so the two merge), with
``Effective_Date``/``Expiration_Date`` as listing and removal and ``Action``/``Last_Update`` as
notes. Affiliations hidden in BIS names (``Affiliated Entity: …``) are left in the name.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.list_regimes import regime_for_list
from ownergraph.graph.model import normalize_identifier
from ownergraph.graph.snapshots import ListSnapshot
from ownergraph.loaders.base import Item, dict_rows, emit_records, register
from ownergraph.loaders.lists import slug
from ownergraph.loaders.ofac import country_code

__all__ = [
    "COLUMNS",
    "DPL_COLUMNS",
    "REGISTRATION_LABELS",
    "list_code",
    "parse_csl",
    "parse_ids",
    "split_multi",
]


COLUMNS: tuple[str, ...] = (
    "source", "entity_number", "type", "programs", "name", "title", "addresses",
    "federal_register_notice", "start_date", "end_date", "standard_order", "license_requirement",
    "license_policy", "call_sign", "vessel_type", "gross_tonnage", "gross_registered_tonnage",
    "vessel_flag", "vessel_owner", "remarks", "source_list_url", "alt_names", "citizenships",
    "dates_of_birth", "nationalities", "places_of_birth", "source_information_url", "ids",
)
"""The CSV columns of both layouts (the current one adds ``_id`` in front)."""

REGISTRATION_LABELS: frozenset[str] = frozenset(s.lower() for s in (
    "Registration ID", "Registration Number", "Registration No.", "Business Registration Number",
    "Public Registration Number", "Company Number", "UK Company Number", "Commercial Registry Number",
    "Certificate of Incorporation Number", "Business Registration Document #", "C.R. No.",
    "Unified Social Credit Code (USCC)", "Matricula Mercantil No", "Chamber of Commerce Number",
))
"""``ids`` types that are company registration numbers (compared case-insensitively)."""

_SUFFIX = re.compile(r"[;,]?\s*(?:and\s+)?any successor,? sub-unit,? or subsidiary thereof\.?\s*$", re.I)
_MULTI = re.compile(r";\s+(?:and\s+)?")
_LINKED = re.compile(r"\(Linked To:\s*([^)]+)\)")
_ADDRESS_PARTS = ("address", "city", "state", "postal_code", "country")
_PERSON_HINTS = ("dates_of_birth", "places_of_birth", "nationalities", "citizenships")
_KINDS = {"individual": "person", "entity": "company", "vessel": "vessel", "aircraft": "aircraft"}
_NOTE_COLUMNS = (
    ("title", "Title"), ("dates_of_birth", "Date of birth"), ("places_of_birth", "Place of birth"),
    ("nationalities", "Nationality"), ("citizenships", "Citizenship"), ("call_sign", "Call sign"),
    ("vessel_type", "Vessel type"), ("vessel_flag", "Vessel flag"), ("gross_tonnage", "Gross tonnage"),
    ("gross_registered_tonnage", "Gross registered tonnage"), ("license_requirement", "License requirement"),
    ("license_policy", "License policy"), ("standard_order", "Standard order"),
)


def split_multi(text: str | None) -> list[str]:
    """Split a multi-valued CSL cell on ``"; "`` and BIS's ``"; and "``.

    >>> split_multi("Hebei Semiconductor; HSRI; and CETC Research Institute 13")
    ['Hebei Semiconductor', 'HSRI', 'CETC Research Institute 13']
    """
    out: list[str] = []
    for part in _MULTI.split(text or ""):
        p = part.strip()
        if p and p not in out:
            out.append(p)
    return out


def list_code(source: str) -> str:
    """The short code of a CSL source list: the parenthesised abbreviation, API style.

    >>> list_code("Entity List (EL) - Bureau of Industry and Security")
    'EL'
    >>> list_code("Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department")
    'MBS'
    """
    m = re.search(r"\(([^)]+)\)", source)
    code = m.group(1) if m else source.split(" - ")[0]
    code = re.sub(r"\s+list$", "", code.strip(), flags=re.I)
    code = re.sub(r"^ns-", "", code, flags=re.I)
    return slug(code).upper() or "CSL"


def _is_code(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{2}", text.strip()))


def parse_ids(entries: list[str], *, current: bool) -> list[tuple[str, str, str | None]]:
    """``(type, number, country)`` of each ``ids`` entry.

    Current layout: ``type, number[, country]``; older layout: ``[country, ]number, type``. A
    two-part entry whose order contradicts the layout (a known label at the other end) is read
    the other way.

    >>> parse_ids(["Passport, 836238033, KP", "Registration ID, C122790"], current=True)
    [('Passport', '836238033', 'KP'), ('Registration ID', 'C122790', None)]
    >>> parse_ids(["US, 80-0890696, Tax ID No.", "5030056754, Tax ID No."], current=False)
    [('Tax ID No.', '80-0890696', 'US'), ('Tax ID No.', '5030056754', None)]
    """
    out: list[tuple[str, str, str | None]] = []
    for entry in entries:
        parts = [p.strip() for p in entry.split(", ")]
        parts = [p for p in parts if p]
        if len(parts) < 2:
            if parts:
                out.append(("", parts[0], None))
            continue
        forward = current
        if len(parts) == 2 and parts[0].lower() not in REGISTRATION_LABELS and (
                parts[1].lower() in REGISTRATION_LABELS or parts[1].endswith(("No.", "#", "Number"))):
            forward = False
        elif len(parts) == 2 and parts[0].lower() in REGISTRATION_LABELS:
            forward = True
        if forward:
            country = parts[-1] if len(parts) >= 3 and _is_code(parts[-1]) else None
            number = ", ".join(parts[1:-1] if country else parts[1:])
            out.append((parts[0], number, country))
        else:
            country = parts[0] if len(parts) >= 3 and _is_code(parts[0]) else None
            number = ", ".join(parts[1:-1] if country else parts[:-1])
            out.append((parts[-1], number, country))
    return out


@dataclass
class _Row:
    """One CSL row, layout-independent."""

    line: int
    rid: str | None
    values: dict[str, str]
    programs: list[str]
    alt_names: list[str]
    addresses: list[tuple[str, str | None]]
    ids: list[tuple[str, str, str | None]]
    lists: dict[str, list[str]] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return self.values.get(key, "")


def _address_country(text: str) -> str | None:
    last = text.rsplit(",", 1)[-1].strip()
    return last if _is_code(last) else country_code(last)


def _csv_rows(path: Path) -> Iterator[_Row | InputError]:
    file = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FormatError(f"not UTF-8 (byte {e.start})", file=file,
                          fix="re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
    if _is_dpl(text[:4096]):
        yield from _dpl_rows(path, text)
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("source", "name", "alt_names", "ids") if c not in header]
    if missing:
        raise FormatError(f"not a CSL CSV: missing column(s) {', '.join(missing)}", file=file, line=1,
                          fix="expected the trade.gov consolidated.csv header")
    current = "_id" in header
    for item in dict_rows(reader, file):
        if isinstance(item, InputError):
            yield item
            continue
        line, values = item
        addresses = [(a, _address_country(a)) for a in split_multi(values.get("addresses"))]
        yield _Row(
            line=line, rid=values.get("_id") or None, values=values,
            programs=split_multi(values.get("programs")), alt_names=split_multi(values.get("alt_names")),
            addresses=addresses, ids=parse_ids(split_multi(values.get("ids")), current=current),
            lists={k: split_multi(values.get(k)) for k in _PERSON_HINTS},
        )


DPL_COLUMNS: tuple[str, ...] = (
    "Name", "Street_Address", "City", "State", "Country", "Postal_Code", "Effective_Date",
    "Expiration_Date", "Standard_Order", "Last_Update", "Action", "FR_Citation",
)
"""The header of BIS's native Denied Persons List file (``dpl.txt``)."""
DPL_SOURCE = "Denied Persons List (DPL) - Bureau of Industry and Security"


def _us_date(text: str) -> str:
    """``MM/DD/YYYY`` → ISO; anything else is returned as is (and rejected by the model)."""
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    return f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}" if m else text.strip()


def _dpl_rows(path: Path, text: str) -> Iterator[_Row | InputError]:
    file = str(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t")
    missing = [c for c in DPL_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise FormatError(f"not a BIS DPL file: missing column(s) {', '.join(missing)}", file=file, line=1)
    for raw in reader:
        line = reader.line_num
        if None in raw:
            yield InputError("more cells than header columns", file=file, line=line)
            continue
        v = {k: (x or "").strip() for k, x in raw.items() if k}
        parts = [v["Street_Address"], v["City"], v["State"], v["Postal_Code"], v["Country"]]
        cc = v["Country"].upper() if _is_code(v["Country"].upper()) else None
        notes = [f"{k.replace('_', ' ')}: {v[k]}" for k in ("Action", "Last_Update") if v[k]]
        values = {
            "source": DPL_SOURCE, "name": v["Name"], "start_date": _us_date(v["Effective_Date"]),
            "end_date": _us_date(v["Expiration_Date"]), "standard_order": v["Standard_Order"],
            "federal_register_notice": v["FR_Citation"], "remarks": "; ".join(notes),
        }
        yield _Row(line=line, rid=None, values=values, programs=[], alt_names=[],
                   addresses=[(", ".join(p for p in parts if p), cc)] if any(parts) else [], ids=[])


def _strs(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else split_multi(str(value))
    return [str(v).strip() for v in items if v is not None and str(v).strip()]


def _json_rows(path: Path) -> Iterator[_Row | InputError]:
    file = str(path)
    try:
        doc = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as e:
        raise FormatError(f"not JSON: {e}", file=file, fix="expected {\"results\": [...]}") from None
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, list):
        raise FormatError("no results array", file=file, field="results", fix="expected {\"results\": [...]}")
    for n, res in enumerate(results, start=1):
        if not isinstance(res, dict):
            yield InputError("result is not an object", file=file, line=f"results[{n - 1}]")
            continue
        values = {k: str(v).strip() for k, v in res.items() if isinstance(v, (str, int, float)) and v != ""}
        addresses: list[tuple[str, str | None]] = []
        for a in res.get("addresses") or []:
            if isinstance(a, dict):
                parts = [str(a.get(k) or "").strip() for k in _ADDRESS_PARTS]
                ctry = parts[-1]
                cc = ctry.upper() if _is_code(ctry.upper()) else country_code(ctry)
                addresses.append((", ".join(p for p in parts if p), cc))
            elif str(a).strip():
                addresses.append((str(a).strip(), _address_country(str(a))))
        ids: list[tuple[str, str, str | None]] = []
        for i in res.get("ids") or []:
            if isinstance(i, dict):
                ctry = str(i.get("country") or "").strip()
                cc = ctry.upper() if _is_code(ctry.upper()) else country_code(ctry)
                ids.append((str(i.get("type") or "").strip(), str(i.get("number") or "").strip(), cc))
            elif str(i).strip():
                ids.extend(parse_ids([str(i)], current=True))
        yield _Row(
            line=n, rid=str(res.get("id") or res.get("_id") or "").strip() or None, values=values,
            programs=_strs(res.get("programs")), alt_names=_strs(res.get("alt_names")),
            addresses=addresses, ids=ids, lists={k: _strs(res.get(k)) for k in _PERSON_HINTS},
        )


def _is_treasury(row: _Row) -> bool:
    return bool(re.fullmatch(r"\d+", row.get("entity_number"))) and "treasury" in row.get("source").lower()


def _records(row: _Row, name: str) -> tuple[list[tuple[str, dict[str, Any]]], list[InputError]]:
    """The records of one row and the located problems found in its details."""
    errors: list[InputError] = []
    source_list = row.get("source")
    raw_name = row.get("name")
    notes: list[str] = []
    entity_name = _SUFFIX.sub("", raw_name).strip()
    if entity_name != raw_name:
        notes.append("Listed with any successor, sub-unit, or subsidiary thereof")
    entity_number = row.get("entity_number")
    treasury = _is_treasury(row)
    if row.rid:
        eid = f"csl:{row.rid}"
    elif treasury:
        eid = f"csl:{entity_number}"
    else:
        eid = f"csl:{list_code(source_list).lower()}:{slug(entity_name)}"
    identifiers: dict[str, list[str]] = {}

    def add(scheme: str, value: str, raw: str) -> None:
        try:
            s, v = normalize_identifier(scheme, value)
        except InputError as e:
            errors.append(InputError(e.reason, field="ids", value=raw, fix="kept as a note"))
            notes.append(raw)
            return
        vals = identifiers.setdefault(s, [])
        if v not in vals:
            vals.append(v)

    if treasury:
        add("ofac", entity_number, f"entity_number {entity_number}")
        add("opensanctions", f"ofac-{entity_number}", f"entity_number {entity_number}")
    elif row.rid and re.fullmatch(r"[0-9a-f]{20,}", row.rid):
        add("opensanctions", f"trade-csl-{row.rid}", f"_id {row.rid}")
    isins: list[str] = []
    for id_type, number, country in row.ids:
        raw = ", ".join(p for p in (id_type, number, country) if p)
        label = id_type.strip().lower()
        if label in REGISTRATION_LABELS and number and country:
            add("registration", f"{country}:{number}", raw)
            if label not in ("registration id", "registration number"):
                notes.append(raw)
        elif label == "legal entity number" and number:
            add("lei", number, raw)
        elif label == "isin" and number:
            isins.append(number)
        else:
            notes.append(raw)
    for column, label in _NOTE_COLUMNS:
        vals = row.lists.get(column) or ([row.get(column)] if row.get(column) else [])
        if vals:
            notes.append(f"{label}: {'; '.join(vals)}")
    notes += [f"Address: {text}" for text, _cc in row.addresses if text]
    remarks = row.get("remarks")
    links = [m.strip() for m in _LINKED.findall(remarks)]
    if remarks:
        notes.append(f"Remarks: {remarks}")
    kind = _KINDS.get(row.get("type").lower())
    if kind is None:
        kind = "person" if any(row.lists.get(k) for k in _PERSON_HINTS) else "company"
        notes.append(f"Type not given by the list; read as {kind}")
    reg_countries = {v.partition(":")[0] for v in identifiers.get("registration", [])}
    addr_countries = {cc for _t, cc in row.addresses if cc}
    flag = country_code(row.get("vessel_flag")) if kind == "vessel" else None
    jurisdiction = (next(iter(reg_countries)) if len(reg_countries) == 1
                    else flag if flag and not reg_countries
                    else next(iter(addr_countries)) if not reg_countries and len(addr_countries) == 1
                    else None)
    aliases = [a for a in row.alt_names if a != entity_name]
    source = f"trade.gov Consolidated Screening List ({name}): {source_list}"
    programs = "; ".join(row.programs) or None
    reference = row.get("federal_register_notice") or (f"OFAC entity {entity_number}" if treasury else None)
    records: list[tuple[str, dict[str, Any]]] = [
        ("entity", {"id": eid, "name": entity_name, "kind": kind, "jurisdiction": jurisdiction,
                    "aliases": aliases, "identifiers": identifiers, "notes": notes, "sources": [source]}),
        ("designation", {"entity_id": eid, "regime": regime_for_list(source_list, programs),
                         "list": source_list, "program": programs, "listed": row.get("start_date") or None,
                         "removed": row.get("end_date") or None, "reference": reference, "source": source}),
    ]
    records += [("listing", {"entity_id": eid, "isin": i, "source": source}) for i in isins]
    records += [("claim", {"subject_id": eid, "relation": "linked to", "name": n, "source": source})
                for n in dict.fromkeys(links)]
    if row.get("vessel_owner"):
        records.append(("claim", {"subject_id": eid, "relation": "vessel owner",
                                  "name": row.get("vessel_owner"), "source": source}))
    return records, errors


def _head_text(head: bytes) -> str:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").decode("utf-8", errors="replace")


def _is_dpl(text: str) -> bool:
    first = text.split("\n", 1)[0].rstrip("\r")
    try:
        cols = tuple(c.strip() for c in next(csv.reader([first], delimiter="\t")))
    except (csv.Error, StopIteration):
        return False
    return cols[: len(DPL_COLUMNS)] == DPL_COLUMNS


def _sniff(path: Path, head: bytes) -> bool:
    """A CSV whose header has the CSL columns, a JSON object with a ``results`` array of rows
    that have ``source`` and ``name``, or BIS's tab-separated DPL file."""
    if path.is_dir():
        return False
    text = _head_text(head)
    if text.startswith("{"):
        return bool(re.search(r'"results"\s*:\s*\[', text) and '"source"' in text and '"name"' in text)
    if _is_dpl(text):
        return True
    first = text.split("\n", 1)[0].rstrip("\r")
    try:
        cols = {c.strip() for c in next(csv.reader([first]))}
    except (csv.Error, StopIteration):
        return False
    return {"source", "entity_number", "name", "alt_names", "ids", "programs"} <= cols


BIS_DPL_LIST = ("bis-dpl", "BIS Denied Persons List (dpl.txt)")
"""BIS's own DPL file is a list of its own, not the CSL's DPL: it keys a party ``csl:dpl:<slug>``
where the CSL keys it ``csl:<_id>``, so as one list each file would remove the other's parties."""


def csl_snapshot(path: Path) -> ListSnapshot:
    """A CSL file is a full snapshot of each component list it holds (``EL``, ``DPL``, ...);
    BIS's ``dpl.txt`` is a snapshot of :data:`BIS_DPL_LIST` only. No file date is read."""
    try:
        with open(path, "rb") as f:
            dpl = _is_dpl(_head_text(f.read(4096)))
    except OSError:
        dpl = False
    if dpl:
        return ListSnapshot(lambda _d: BIS_DPL_LIST)
    return ListSnapshot(lambda d: (f"csl:{d.list}", f"CSL {d.list}") if d.list else None)


@register("csl", "trade.gov Consolidated Screening List (CSV, both layouts, or JSON)", _sniff,
          snapshot=csl_snapshot)
def parse_csl(path: Path) -> Iterator[Item]:
    """Yield an entity, a designation and any claims or listings per CSL row."""
    file = str(path)
    with open(path, "rb") as f:
        is_json = _head_text(f.read(4096)).startswith("{")
    rows = _json_rows(path) if is_json else _csv_rows(path)
    for row in rows:
        if isinstance(row, InputError):
            yield row
            continue
        line: int | str = f"results[{row.line - 1}]" if is_json else row.line
        locator = f"{path.name}:{line}"
        if not row.get("name"):
            yield InputError("row without a name", file=file, line=line, field="name", fix="fill the name")
            continue
        if not row.rid and not _is_treasury(row) and not slug(_SUFFIX.sub("", row.get("name"))):
            yield InputError("name gives an empty id", file=file, line=line, field="name",
                             value=row.get("name"), fix="the name needs at least one letter or digit")
            continue
        if not row.get("source"):
            yield InputError("row without a source list", file=file, line=line, field="source",
                             fix="fill the source column")
            continue
        records, errors = _records(row, path.name)
        for e in errors:
            yield e.located(file=file, line=line)
        yield from emit_records(records, file, line, locator)
