"""Named-only US lists kept as CSV: the DoD Section 1260H list (``--format dod1260h``) and the
BIS Military-Intelligence End User list (``--format mieu``).

**DoD 1260H** (header ``Name,Clean Name,Alias,Previous Name,Parent Name,Note,Start date,End date,
Source Url``; one row per entity per edition): each row yields the :class:`Entity`
``dod1260h:<slug of Clean Name>`` (rows of one entity in several editions give the same id, so
they are one entity; identical records de-duplicate by content), named by ``Clean Name``, with
aliases from ``Alias`` and ``Previous Name`` (``;``-separated) and from ``Name`` when it differs
(its trailing ``*`` — a footnote marker of the 2021/2022 PDFs — stripped); one
:class:`Designation` per edition (regime ``info``, listed = ``Start date``, removed = ``End date``);
``Note`` as a note; and ``Parent Name`` as a :class:`Claim` (``relation="parent"``).

**BIS MIEU** (header ``Type,Name,Alias,Country,Topics,Program,Date,End date,Source URL``): the
entity ``mieu:<slug of Name>`` with jurisdiction from ``Country`` and a designation under
:data:`MIEU_REGIME` — ``info``, as SPEC §6 lists "BIS MIEU" among the named-only lists (the
BIS Affiliates rule seeds from the Entity List and the *MEU* list, a different list).

This module stops at parsing: no names are matched to other entities (parents stay claims) and
nothing is written.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.snapshots import ListSnapshot
from ownergraph.loaders.base import Item, dict_rows, emit_records, register

__all__ = ["DOD_HEADER", "DOD_LIST", "MIEU_HEADER", "MIEU_LIST", "MIEU_REGIME", "parse_dod1260h",
           "parse_mieu", "slug"]

DOD_HEADER = ("Name", "Clean Name", "Alias", "Previous Name", "Parent Name", "Note", "Start date",
              "End date", "Source Url")
MIEU_HEADER = ("Type", "Name", "Alias", "Country", "Topics", "Program", "Date", "End date", "Source URL")
DOD_LIST = "DoD Section 1260H list"
DOD_PROGRAM = "Section 1260H, NDAA FY2021 (Chinese military companies)"
MIEU_LIST = "BIS Military-Intelligence End User List (MIEU)"
MIEU_REGIME = "info"
"""SPEC §6: BIS MIEU is a named-only list (``info``); change here if the regime table changes."""

_MIEU_KINDS = {
    "organization": "organization", "company": "company", "legalentity": "company",
    "person": "person", "individual": "person", "publicbody": "government", "government": "government",
}


def slug(name: str) -> str:
    """A lowercase ASCII slug with hyphens; apostrophes vanish (``Xi’an`` → ``xian``).

    >>> slug("SenseTime Group, Inc."), slug("AVIC Xi’an Aircraft Industry Group Company Ltd.")
    ('sensetime-group-inc', 'avic-xian-aircraft-industry-group-company-ltd')
    """
    s = re.sub(r"['’‘`´]", "", name)
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip()]


def _header_of(head: bytes) -> tuple[str, ...]:
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r")
    try:
        return tuple(h.strip() for h in next(csv.reader([first.decode("utf-8", errors="replace")])))
    except (csv.Error, StopIteration):
        return ()


def _rows(path: Path, header: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]] | InputError]:
    file = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FormatError(f"not UTF-8 (byte {e.start})", file=file,
                          fix="re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    got = tuple(h.strip() for h in (reader.fieldnames or []))
    missing = [h for h in header if h not in got]
    if missing:
        raise FormatError(f"missing column(s) {', '.join(missing)}", file=file, line=1,
                          fix="the header must be " + ",".join(header))
    yield from dict_rows(reader, file)


def _sniff_dod(path: Path, head: bytes) -> bool:
    return not path.is_dir() and _header_of(head)[: len(DOD_HEADER)] == DOD_HEADER


def _sniff_mieu(path: Path, head: bytes) -> bool:
    return not path.is_dir() and _header_of(head)[: len(MIEU_HEADER)] == MIEU_HEADER


def dod_snapshot(path: Path) -> ListSnapshot:
    """The DoD 1260H CSV is a full snapshot of the list (its editions end by ``End date``)."""
    return ListSnapshot(lambda _d: ("dod1260h", DOD_LIST))


def mieu_snapshot(path: Path) -> ListSnapshot:
    """The BIS MIEU CSV is a full snapshot of the list."""
    return ListSnapshot(lambda _d: ("mieu", MIEU_LIST))


@register("dod1260h", "DoD Section 1260H Chinese military companies list (CSV)", _sniff_dod,
          snapshot=dod_snapshot)
def parse_dod1260h(path: Path) -> Iterator[Item]:
    """Yield an entity, a designation and parent claims per row of the DoD 1260H CSV."""
    file = str(path)
    for item in _rows(path, DOD_HEADER):
        if isinstance(item, InputError):
            yield item
            continue
        line, row = item
        raw_name = row["Name"].rstrip().rstrip("*").rstrip()
        name = row["Clean Name"] or raw_name
        if not name:
            yield InputError("row without a name", file=file, line=line, field="Clean Name",
                             fix="fill Name or Clean Name")
            continue
        key = slug(name)
        if not key:
            yield InputError("name gives an empty id", file=file, line=line, field="Clean Name", value=name,
                             fix="the name needs at least one letter or digit")
            continue
        eid = f"dod1260h:{key}"
        start, end, url = row["Start date"], row["End date"], row["Source Url"]
        source = f"{DOD_LIST}, {start} edition" if start else DOD_LIST
        aliases = [*_split(row["Alias"]), *_split(row["Previous Name"])]
        if raw_name and raw_name != name:
            aliases.append(raw_name)
        records: list[tuple[str, dict[str, Any]]] = [
            ("entity", {"id": eid, "name": name, "kind": "company", "aliases": aliases,
                        "notes": [row["Note"]] if row["Note"] else [], "sources": [source]}),
            ("designation", {"entity_id": eid, "regime": "info", "list": DOD_LIST, "program": DOD_PROGRAM,
                             "listed": start or None, "removed": end or None, "reference": url or None,
                             "source": source}),
        ]
        records += [("claim", {"subject_id": eid, "relation": "parent", "name": parent, "source": source})
                    for parent in _split(row["Parent Name"])]
        yield from emit_records(records, file, line, f"{path.name}:{line}")


@register("mieu", "BIS Military-Intelligence End User list (CSV)", _sniff_mieu, snapshot=mieu_snapshot)
def parse_mieu(path: Path) -> Iterator[Item]:
    """Yield an entity and a designation per row of the BIS MIEU CSV."""
    file = str(path)
    for item in _rows(path, MIEU_HEADER):
        if isinstance(item, InputError):
            yield item
            continue
        line, row = item
        name = row["Name"]
        key = slug(name)
        if not key:
            yield InputError("row without a name", file=file, line=line, field="Name", value=name or None,
                             fix="fill the Name column")
            continue
        eid = f"mieu:{key}"
        country = row["Country"].upper()
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            yield InputError("not an ISO 3166 alpha-2 code", file=file, line=line, field="Country",
                             value=row["Country"], fix="write e.g. CN, RU; kept without a jurisdiction")
            country = ""
        notes = [f"Topics: {row['Topics']}"] if row["Topics"] else []
        records: list[tuple[str, dict[str, Any]]] = [
            ("entity", {"id": eid, "name": name, "kind": _MIEU_KINDS.get(row["Type"].lower(), "organization"),
                        "jurisdiction": country or None, "aliases": _split(row["Alias"]), "notes": notes,
                        "sources": [MIEU_LIST]}),
            ("designation", {"entity_id": eid, "regime": MIEU_REGIME, "list": MIEU_LIST,
                             "program": row["Program"] or None, "listed": row["Date"] or None,
                             "removed": row["End date"] or None, "reference": row["Source URL"] or None,
                             "source": MIEU_LIST}),
        ]
        yield from emit_records(records, file, line, f"{path.name}:{line}")
