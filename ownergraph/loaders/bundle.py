"""The native bundle: a folder of CSVs or one JSON-lines file (SPEC §5, docs/bundle-format.md).

Folder: ``entities.csv`` (required), ``venues.csv``, ``ownership.csv``, ``listings.csv``,
``designations.csv``, ``holdings.csv``, ``sameas.csv`` and ``claims.csv``, UTF-8 with a header
row; empty cells mean unknown. JSON lines: one object per line with ``"type"`` set to
``entity``, ``ownership``, ``venue``, ``listing``, ``designation``, ``holding``, ``sameas`` or
``claim`` and the same fields (lists may be JSON arrays).
"""

from __future__ import annotations

import codecs
import csv
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import RECORD_TYPES
from ownergraph.loaders.base import Item, make_record, register

__all__ = ["BUNDLE_FILES", "parse_bundle"]

BUNDLE_FILES: dict[str, str] = {
    "entities.csv": "entity",
    "venues.csv": "venue",
    "ownership.csv": "ownership",
    "listings.csv": "listing",
    "designations.csv": "designation",
    "holdings.csv": "holding",
    "sameas.csv": "sameas",
    "claims.csv": "claim",
}
_REQUIRED = {
    "entity": ("id", "name"),
    "ownership": ("owner_id", "owned_id"),
    "venue": ("mic",),
    "listing": ("entity_id",),
    "designation": ("entity_id", "regime"),
    "holding": ("holder_id",),
    "sameas": ("id_a", "id_b"),
    "claim": ("subject_id", "relation", "name"),
}
_MAX_FIELD = 10 * 1024 * 1024

csv.field_size_limit(_MAX_FIELD)


def _sniff(path: Path, head: bytes) -> bool:
    if path.is_dir():
        return (path / "entities.csv").exists()
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    if not first.startswith(b"{"):
        return False
    try:
        obj = orjson.loads(first)
    except orjson.JSONDecodeError:
        try:  # not UTF-8: still a bundle, so that the parser can say what is wrong with it
            obj = orjson.loads(first.decode("utf-8", "replace"))
        except orjson.JSONDecodeError:
            return False
    return isinstance(obj, dict) and obj.get("type") in {*BUNDLE_FILES.values()}


def _check_utf8(path: Path) -> None:
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 20)
        # incremental: a multi-byte character cut at the end of the megabyte is not an error
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < 1 << 20)
    except UnicodeDecodeError as e:
        raise FormatError(
            f"not UTF-8 (byte {e.start} of the first megabyte)",
            file=str(path),
            fix="re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
        ) from None


def _open_text(path: Path) -> Any:
    _check_utf8(path)
    return open(path, encoding="utf-8-sig", newline="")


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k.strip(): v for k, v in row.items() if k}


def _columns(type_: str) -> set[str]:
    """The columns a bundle file of this record type takes."""
    fields = set(RECORD_TYPES[type_].model_fields) - {"type"}
    if type_ == "entity":
        fields = (fields - {"sources"}) | {"source", "sources"}
    return fields


def _csv_items(path: Path, type_: str) -> Iterator[Item]:
    file = str(path)
    with _open_text(path) as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in _REQUIRED[type_] if c not in header]
        if missing:
            raise FormatError(
                f"missing required column(s) {', '.join(missing)}",
                file=file,
                line=1,
                fix=f"the header of {path.name} needs {', '.join(_REQUIRED[type_])}",
            )
        if type_ == "holding" and not ({"entity_id", "isin"} & set(header)):
            raise FormatError("holdings need an entity_id or isin column", file=file, line=1)
        known = _columns(type_)
        unknown = [h for h in header if h and h not in known]
        if unknown:
            raise FormatError(
                f"unknown column(s) {', '.join(unknown)}",
                file=file,
                line=1,
                fix=f"{path.name} takes {', '.join(sorted(known))}; rename or remove the others",
            )
        first_line: dict[str, int] = {}
        line = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as e:
                yield InputError(f"unreadable CSV row: {e}", file=file, line=reader.line_num + 1)
                return
            line = reader.line_num
            if None in row:
                yield InputError(
                    "more cells than header columns",
                    file=file,
                    line=line,
                    fix="quote cells that contain commas",
                )
                continue
            data = {k: v for k, v in _clean(row).items() if v is not None}
            if type_ == "entity":
                if "source" in data:
                    data["sources"] = data.pop("source")
                eid = (data.get("id") or "").strip()
                if eid in first_line:
                    yield InputError(
                        f"duplicate id (first on line {first_line[eid]})",
                        file=file,
                        line=line,
                        field="id",
                        value=eid,
                        fix="give each entity one row; put other names in aliases",
                    )
                    continue
                if eid:
                    first_line[eid] = line
            rec = make_record(type_, data, file=file, line=line)
            yield rec if isinstance(rec, InputError) else (rec, f"{path.name}:{line}")


def _jsonl_items(path: Path) -> Iterator[Item]:
    file = str(path)
    _check_utf8(path)
    with open(path, "rb") as f:
        n = 0
        while raw := f.readline(_MAX_FIELD + 1):
            n += 1
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if len(raw) > _MAX_FIELD and not raw.endswith(b"\n"):
                while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass  # skip the rest of the line with bounded memory
                yield InputError(
                    f"line longer than {_MAX_FIELD // (1 << 20)} MiB",
                    file=file,
                    line=n,
                    fix="split the record or shorten its fields",
                )
                continue
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as e:
                yield InputError(f"malformed JSON: {e}", file=file, line=n)
                continue
            if not isinstance(obj, dict):
                yield InputError("a line must be a JSON object", file=file, line=n)
                continue
            type_ = str(obj.pop("type", ""))
            if type_ == "entity":
                if "source" in obj:
                    obj["sources"] = obj.pop("source")
                for key in ("aliases", "notes", "sources"):
                    if isinstance(obj.get(key), str):
                        obj[key] = obj[key].split(";")
            rec = make_record(type_, obj, file=file, line=n)
            yield rec if isinstance(rec, InputError) else (rec, f"{path.name}:{n}")


@register("bundle", "native bundle: a folder of CSVs or JSON lines with a type field", _sniff)
def parse_bundle(path: Path) -> Iterator[Item]:
    """Yield the records of a bundle folder (entities first) or JSON-lines file."""
    if path.is_dir():
        if not (path / "entities.csv").exists():
            raise FormatError("a bundle folder needs entities.csv", file=str(path))
        known = set(BUNDLE_FILES)
        for extra in sorted(p.name for p in path.glob("*.csv") if p.name not in known):
            print(f"warning: {path / extra}: not a bundle file, ignored", file=sys.stderr)
        for name, type_ in BUNDLE_FILES.items():
            p = path / name
            if p.exists():
                yield from _csv_items(p, type_)
    else:
        yield from _jsonl_items(path)
