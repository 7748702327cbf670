"""What every loader shares: the item types it yields, the registry, and format detection.

A loader is a generator that only parses: it yields ``(record, locator)`` pairs for good records
and :class:`~ownergraph.errors.InputError` instances (not raised) for bad ones, each naming the
file, line or record, field and value. A file that is malformed as a whole raises
:class:`~ownergraph.errors.FormatError`. Writing to the workspace is the workspace's job.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import RECORD_TYPES, Record
from ownergraph.graph.snapshots import ListSnapshot

__all__ = [
    "LOADERS",
    "BulkItem",
    "Item",
    "LoaderSpec",
    "RecordBatch",
    "detect_format",
    "dict_rows",
    "emit_records",
    "from_validation_error",
    "make_record",
    "read_head",
    "register",
]

Item = tuple[Record, str | None] | InputError
"""What a loader yields: a record with its locator (``line 12``, a record id), or a rejection."""


@dataclass(frozen=True)
class RecordBatch:
    """Records of one type that passed column-wise validation, ready for the store.

    ``columns`` holds the normalised store columns (``ENTITY_COLUMNS`` or ``OWNERSHIP_COLUMNS`` of
    :mod:`ownergraph.graph.store`): exactly what storing the pydantic record of each row would
    write. ``locators`` gives each row's ``file:line``. A batch stands for its rows at its place
    in the stream: items before it come from earlier lines, items after it from later ones.
    """

    type: str
    columns: Any  # pyarrow.Table
    locators: Any  # pyarrow string Array: built by column, no Python string per row

    def __len__(self) -> int:
        return len(self.locators)


BulkItem = Item | RecordBatch
"""What a bulk parser yields: items, and batches of rows validated column-wise."""


@dataclass(frozen=True)
class LoaderSpec:
    """A registered format: its name, a content sniffer and the parser."""

    name: str
    description: str
    sniff: Callable[[Path, bytes], bool]
    parse: Callable[[Path], Iterator[Item]]
    files: Callable[[Path], list[Path]] | None = None
    """The files one load of ``path`` reads (for the load's sha256); default: the file, or every
    file under a folder."""
    bulk: Callable[[Path], Iterator[BulkItem]] | None = None
    """A parser with the same outcome as ``parse`` that may also yield :class:`RecordBatch`
    items; the workspace prefers it."""
    snapshot: Callable[[Path], ListSnapshot | None] | None = None
    """For a format whose files are full snapshots of a list: which list each designation
    belongs to and the date the content states (:mod:`ownergraph.graph.snapshots`)."""


LOADERS: dict[str, LoaderSpec] = {}


def register(
    name: str,
    description: str,
    sniff: Callable[[Path, bytes], bool],
    files: Callable[[Path], list[Path]] | None = None,
    bulk: Callable[[Path], Iterator[BulkItem]] | None = None,
    snapshot: Callable[[Path], ListSnapshot | None] | None = None,
) -> Callable[[Callable[[Path], Iterator[Item]]], Callable[[Path], Iterator[Item]]]:
    """Decorator registering a parser under a ``--format`` name."""

    def deco(fn: Callable[[Path], Iterator[Item]]) -> Callable[[Path], Iterator[Item]]:
        LOADERS[name] = LoaderSpec(name, description, sniff, fn, files, bulk, snapshot)
        return fn

    return deco


def read_head(path: Path, n: int = 65536) -> bytes:
    """The first ``n`` bytes of a file (of ``entities.csv`` for a folder)."""
    target = path
    if path.is_dir():
        for cand in ("entities.csv", "entities.jsonl"):
            if (path / cand).exists():
                target = path / cand
                break
        else:
            return b""
    with open(target, "rb") as f:
        return f.read(n)


def detect_format(path: Path) -> str:
    """Detect a file's format from its content (and, for folders, the files in it)."""
    if not path.exists():
        raise FormatError("no such file or folder", file=str(path), fix="check the path")
    _ensure_registered()
    head = read_head(path)
    if path.is_file():
        from ownergraph.loaders.compressed import compression_of, detect_inner_format

        if compression_of(head):  # sniff the decompressed content, member by member
            return detect_inner_format(path)
    for spec in LOADERS.values():
        try:
            if spec.sniff(path, head):
                return spec.name
        except OSError:
            continue
    raise FormatError(
        "cannot detect the format",
        file=str(path),
        fix="pass --format with one of: " + ", ".join(sorted(LOADERS)),
    )


def _ensure_registered() -> None:
    # importing the package registers every loader module
    import ownergraph.loaders  # noqa: F401


def from_validation_error(e: ValidationError, *, file: str | None, line: int | str | None) -> InputError:
    """Turn pydantic's error into one located :class:`InputError`."""
    err = e.errors()[0]
    ctx = err.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, InputError):
        return inner.located(file=file, line=line, field=".".join(str(p) for p in err["loc"]) or None)
    field = ".".join(str(p) for p in err["loc"]) or None
    value = err.get("input")
    if isinstance(value, dict):
        value = None
    msg = str(err.get("msg", "invalid value"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if err.get("type") == "missing":
        return InputError(
            "required field is missing or empty", file=file, line=line, field=field, fix="fill the column"
        )
    return InputError(msg, file=file, line=line, field=field, value=value)


def make_record(type_: str, data: dict[str, Any], *, file: str, line: int | str) -> Record | InputError:
    """Validate one raw record of ``type_`` (``entity``, ``ownership``, ...)."""
    cls = RECORD_TYPES.get(type_)
    if cls is None:
        return InputError(
            "unknown record type",
            file=file,
            line=line,
            field="type",
            value=type_,
            fix="use one of " + ", ".join(RECORD_TYPES),
        )
    try:
        rec: Record = cls.model_validate(data)  # type: ignore[assignment]
    except ValidationError as e:
        return from_validation_error(e, file=file, line=line)
    except InputError as e:
        return e.located(file=file, line=line)
    return rec


def dict_rows(
    reader: csv.DictReader[str], file: str
) -> Iterator[tuple[int, dict[str, str]] | InputError]:
    """The rows of a CSV with a header as ``(line, {column: stripped value})``; a row that the csv
    module cannot read or that has more cells than the header becomes a located rejection."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield InputError(f"unreadable CSV row: {e}", file=file, line=reader.line_num)
            continue
        line = reader.line_num
        if None in row:
            yield InputError(
                "more cells than header columns", file=file, line=line, fix="quote cells that contain commas"
            )
            continue
        yield line, {(k or "").strip(): (v or "").strip() for k, v in row.items()}


def emit_records(
    records: Iterable[tuple[str, dict[str, Any]]], file: str, line: int | str, locator: str
) -> Iterator[Item]:
    """The records one source row became, validated: each as ``(record, locator)`` or a located
    rejection; an entity that fails ends the row, since the rest of it refers to that entity."""
    for type_, data in records:
        rec = make_record(type_, data, file=file, line=line)
        if isinstance(rec, InputError):
            yield rec
            if type_ == "entity":
                return
        else:
            yield rec, locator
