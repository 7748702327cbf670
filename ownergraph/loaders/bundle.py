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
import io
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import RECORD_TYPES
from ownergraph.loaders import columnar
from ownergraph.loaders.base import BulkItem, Item, RecordBatch, make_record, register

__all__ = ["BUNDLE_FILES", "parse_bundle", "parse_bundle_bulk"]

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
_MAX_FIELD = columnar.MAX_FIELD



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
    # csv's field limit is process-wide and other libraries set it (followthemoney raises it
    # at import): assert ours each time a bundle CSV is opened, or an oversized field would pass
    csv.field_size_limit(_MAX_FIELD)
    return open(path, encoding="utf-8-sig", newline="")


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k.strip(): v for k, v in row.items() if k}


def _columns(type_: str) -> set[str]:
    """The columns a bundle file of this record type takes."""
    fields = set(RECORD_TYPES[type_].model_fields) - {"type"}
    if type_ == "entity":
        fields = (fields - {"sources"}) | {"source", "sources"}
    return fields


def _check_header(path: Path, type_: str, fieldnames: Sequence[str] | None) -> None:
    file = str(path)
    header = [h.strip() for h in (fieldnames or [])]
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


def _validate_row(type_: str, data: dict[str, Any], path: Path, line: int) -> Item:
    """One row (cells by stripped column name, empty cells as ``""``) through pydantic."""
    if type_ == "entity" and "source" in data:
        data["sources"] = data.pop("source")
    rec = make_record(type_, data, file=str(path), line=line)
    return rec if isinstance(rec, InputError) else (rec, f"{path.name}:{line}")


def _duplicate(path: Path, line: int, eid: str, first: int) -> InputError:
    return InputError(
        f"duplicate id (first on line {first})",
        file=str(path),
        line=line,
        field="id",
        value=eid,
        fix="give each entity one row; put other names in aliases",
    )


def _reader_items(
    reader: csv.DictReader[str], path: Path, type_: str, first_line: dict[str, int], line_base: int = 0
) -> Iterator[Item]:
    """Rows of a CSV reader, validated one by one; ``line_base`` lines precede the reader's text."""
    file = str(path)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except (csv.Error, UnicodeDecodeError) as e:
            yield InputError(f"unreadable CSV row: {e}", file=file, line=reader.line_num + 1 + line_base)
            return
        line = reader.line_num + line_base
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
            eid = (data.get("id") or "").strip()
            if eid in first_line:
                yield _duplicate(path, line, eid, first_line[eid])
                continue
            if eid:
                first_line[eid] = line
        yield _validate_row(type_, data, path, line)


def _csv_items(path: Path, type_: str) -> Iterator[Item]:
    with _open_text(path) as f:
        reader = csv.DictReader(f)
        _check_header(path, type_, reader.fieldnames)
        yield from _reader_items(reader, path, type_, {})


# -- the bulk path -------------------------------------------------------------------------------


def _all_utf8(path: Path) -> bool:
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as f:
            while block := f.read(columnar.CHUNK_BYTES):
                dec.decode(block)
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _data_offset(path: Path) -> int | None:
    """Byte offset just after the header line, or None if it cannot be found simply."""
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    start = 3 if head.startswith(codecs.BOM_UTF8) else 0
    ends = [i for i in (head.find(b"\n", start), head.find(b"\r", start)) if i >= 0]
    if not ends:
        return None
    end = min(ends)
    if head[end : end + 2] == b"\r\n":
        return end + 2
    return end + 1


def _bulk_csv_items(path: Path, type_: str) -> Iterator[BulkItem]:
    """The rows of one bundle CSV: plain rows as column-validated batches, the others (and
    every row of a chunk that is not plain as a whole) through :func:`_reader_items`."""
    with _open_text(path) as f:
        reader = csv.DictReader(f)
        fieldnames = list(reader.fieldnames or [])
        _check_header(path, type_, fieldnames)
        header_lines = reader.line_num
    names = [h.strip() for h in fieldnames]
    named = [h for h in names if h]
    offset = _data_offset(path) if header_lines == 1 else None
    if (
        type_ not in columnar.BULK_TYPES
        or offset is None
        or len(set(named)) != len(named)
        or not _all_utf8(path)
    ):
        yield from _csv_items(path, type_)
        return
    positional = [f"c{i}" for i in range(len(names))]
    keep = [(p, n) for p, n in zip(positional, names, strict=True) if n]
    first_line = _FirstLines()
    for ready in _prepared(path, type_, offset, positional, keep, first_line):
        if isinstance(ready, columnar.Chunk):
            with open(path, "rb") as raw:
                raw.seek(ready.offset)
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                rest = csv.DictReader(text, fieldnames=fieldnames)
                yield from _reader_items(rest, path, type_, first_line.as_dict(), ready.first_line - 1)
            return
        yield from _chunk_items(path, type_, ready, first_line)


@dataclass(frozen=True)
class _Ready:
    """One chunk parsed and validated column-wise."""

    table: pa.Table
    lines: npt.NDArray[np.int64]
    v: columnar.Validated
    dup: npt.NDArray[np.bool_]
    """Rows whose entity id an earlier row has."""
    locators: pa.Array


def _prepared(
    path: Path,
    type_: str,
    offset: int,
    positional: list[str],
    keep: list[tuple[str, str]],
    first_line: _FirstLines,
) -> Iterator[_Ready | columnar.Chunk]:
    """Each chunk of the file parsed, validated and checked for duplicate ids, in file order;
    the first that cannot be parsed column-wise comes back as its bare :class:`Chunk`, and
    ends the iteration.

    The next chunk is read, parsed and validated in a worker thread while the caller stores
    this one: the Arrow kernels release the GIL, so on two cores that work overlaps the
    caller's. One worker, so chunks come back in order and at most two are held at a time.
    """
    chunks = columnar.iter_chunks(path, offset, 2)

    def prepare() -> _Ready | columnar.Chunk | None:
        chunk = next(chunks, None)
        if chunk is None:
            return None
        table = columnar.parse_chunk(chunk, positional)
        if table is None:
            return chunk
        table = pa.table({n: table.column(p) for p, n in keep})
        v = columnar.validate(type_, table)
        lines = chunk.lines
        dup = first_line.add(v.ids, lines) if v.ids is not None else np.zeros(len(lines), dtype=np.bool_)
        locators = pc.binary_join_element_wise(f"{path.name}:", pc.cast(pa.array(lines), pa.string()), "")
        return _Ready(table, lines, v, dup, locators)

    with ThreadPoolExecutor(1, thread_name_prefix="bundle-csv") as pool:
        ahead = pool.submit(prepare)
        while (item := ahead.result()) is not None:
            if isinstance(item, _Ready):
                ahead = pool.submit(prepare)
            yield item
            if not isinstance(item, _Ready):
                return


class _FirstLines:
    """The first line of each entity id seen so far in one file, for duplicate-id rejects:
    column-validated chunks are kept as Arrow columns and checked with one hash pass per chunk;
    :meth:`as_dict` turns them into the dict the per-row reader updates."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self._ids: list[pa.Array] = []
        self._lines: list[npt.NDArray[np.int64]] = []
        # chunks are added by the worker that prepares them while the reader asks about the
        # ones before (a first line, once known, never changes)
        self._lock = threading.Lock()

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return self._as_dict()

    def _as_dict(self) -> dict[str, int]:
        for ids, lines in zip(self._ids, self._lines, strict=True):
            for eid, line in zip(ids.to_pylist(), lines.tolist(), strict=True):
                self.rows.setdefault(eid, line)
        self._ids.clear()
        self._lines.clear()
        return self.rows

    def first(self, eid: str) -> int:
        return self.as_dict()[eid]

    def add(self, ids: pa.Array, lines: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Register a chunk's ids (null: none); returns which rows repeat an id seen before
        (in an earlier chunk or row, or earlier in this chunk)."""
        with self._lock:
            return self._add(ids, lines)

    def _add(self, ids: pa.Array, lines: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        valid = np.asarray(pc.is_valid(ids).to_numpy(zero_copy_only=False), dtype=np.bool_)
        # one hash pass over the chunk's ids: codes are given in order of first appearance, so a
        # row repeats an id of this chunk exactly when its code is not above every earlier one
        codes = pc.dictionary_encode(ids).indices
        codes_np = np.asarray(pc.fill_null(codes, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        seen_max = np.maximum.accumulate(np.concatenate(([-1], codes_np)))[:-1]
        dup: npt.NDArray[np.bool_] = valid & (codes_np <= seen_max)
        # the ids kept from earlier chunks probe a hash table of this chunk's ids (Arrow hashes
        # the value set, the small side here)
        earlier = pa.concat_arrays([*self._ids, pa.array(list(self.rows), pa.string())])
        if len(earlier):
            hit = pc.drop_null(pc.index_in(earlier, value_set=ids)).to_numpy(zero_copy_only=False)
            dup[np.asarray(hit, dtype=np.int64)] = True
        dup &= valid
        keep = pa.array(valid & ~dup)
        self._ids.append(ids.filter(keep))
        self._lines.append(lines[valid & ~dup])
        return dup


def _chunk_items(path: Path, type_: str, ready: _Ready, first_line: _FirstLines) -> Iterator[BulkItem]:
    table, v, dup, locators = ready.table, ready.v, ready.dup, ready.locators
    n = table.num_rows
    line_list: list[int] = ready.lines.tolist()
    special = np.flatnonzero(~v.ok | dup).tolist()
    raw = table.take(pa.array(special, pa.int64())).to_pylist() if special else []
    start = 0
    for i, row in zip(special, raw, strict=True):
        if i > start:
            yield RecordBatch(type_, v.columns.slice(start, i - start), locators.slice(start, i - start))
        start = i + 1
        line = line_list[i]
        if dup[i]:
            assert v.ids is not None
            eid = v.ids[i].as_py() or ""
            yield _duplicate(path, line, eid, first_line.first(eid))
            continue
        data = {k: ("" if val is None else val) for k, val in row.items()}
        yield _validate_row(type_, data, path, line)
    if start < n:
        yield RecordBatch(type_, v.columns.slice(start, n - start), locators.slice(start, n - start))


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


def _bundle_items(path: Path, csv_items: Any) -> Iterator[Any]:
    if path.is_dir():
        if not (path / "entities.csv").exists():
            raise FormatError("a bundle folder needs entities.csv", file=str(path))
        known = set(BUNDLE_FILES)
        for extra in sorted(p.name for p in path.glob("*.csv") if p.name not in known):
            print(f"warning: {path / extra}: not a bundle file, ignored", file=sys.stderr)
        for name, type_ in BUNDLE_FILES.items():
            p = path / name
            if p.exists():
                yield from csv_items(p, type_)
    else:
        yield from _jsonl_items(path)


def parse_bundle_bulk(path: Path) -> Iterator[BulkItem]:
    """:func:`parse_bundle` with plain CSV rows validated column-wise and yielded as
    :class:`~ownergraph.loaders.base.RecordBatch` items: the same outcome, in the same order."""
    yield from _bundle_items(path, _bulk_csv_items)


@register(
    "bundle",
    "native bundle: a folder of CSVs or JSON lines with a type field",
    _sniff,
    bulk=parse_bundle_bulk,
)
def parse_bundle(path: Path) -> Iterator[Item]:
    """Yield the records of a bundle folder (entities first) or JSON-lines file."""
    yield from _bundle_items(path, _csv_items)
