"""A workspace: a folder with the record store (``ownergraph.db`` and, for records a bulk path
validated by column, its Arrow segments in ``records/``), the columnar cache (``cache/``) and
reject reports (``rejects/``).

:func:`open_workspace` (exported as ``ownergraph.open``) is the entry point of the Python API::

    ws = ownergraph.open("ownergraph-data")
    ws.load(["bundle/"])
    view = ws.graph(as_of="2022-01-07")

A load is one transaction per file: it commits whole or not at all, so a crash or ``kill -9``
mid-load leaves the workspace as it was; loading the same file again adds nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ownergraph.errors import FormatError, InputError, WorkspaceError
from ownergraph.graph.cache import build_cache, read_cache
from ownergraph.graph.model import Record, parse_date
from ownergraph.graph.snapshots import SnapshotRecorder, republish, retract
from ownergraph.graph.store import Store
from ownergraph.graph.view import GraphView

__all__ = ["DEFAULT_WORKSPACE", "LoadReport", "Workspace", "open_workspace"]

DEFAULT_WORKSPACE = "ownergraph-data"
_BATCH = 5000


class LoadReport(BaseModel):
    """What one load did: counts per file and where the reject report is."""

    model_config = ConfigDict(frozen=True)

    path: str
    format: str
    sha256: str
    read: int = 0
    added: int = 0
    duplicate: int = 0
    rejected: int = 0
    merged: int = 0
    seconds: float = 0.0
    already_loaded: bool = False
    rejects_file: str | None = None
    first_reject: str | None = None
    snapshot: str | None = None
    """Which list snapshot the load recorded and where its date comes from (snapshots.py)."""
    snapshot_warnings: tuple[str, ...] = ()
    """Designations a snapshot dated by --snapshot-date or the load date marks removed."""


def _sha256(path: Path, files: Sequence[Path] | None = None) -> str:
    """The sha256 of everything one load reads (names relative to ``path`` and contents)."""
    h = hashlib.sha256()
    if files is None:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    base = path if path.is_dir() else path.parent
    for p in files:
        if len(files) > 1:
            h.update(p.relative_to(base).as_posix().encode() + b"\0")
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _input_bytes(path: Path, files: Sequence[Path] | None = None) -> int:
    """The size of everything one load reads."""
    if files is None:
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    return sum(p.stat().st_size for p in files)


class StrictLoadError(InputError):
    """``--strict``: a bad record failed the whole load; nothing was written."""


class Workspace:
    """A workspace folder. Not thread-safe; one writer at a time (SQLite locks the file)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise WorkspaceError(f"{self.path}: exists and is not a folder; choose another --workspace")
        self.path.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.path / "ownergraph.db")
        self._tables: dict[str, Any] | None = None
        self._views: dict[dt.date, GraphView] = {}

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- cache ---------------------------------------------------------------------------------
    @property
    def cache_dir(self) -> Path:
        return self.path / "cache"

    def cache_meta(self) -> dict[str, Any]:
        import json

        try:
            meta: dict[str, Any] = json.loads((self.cache_dir / "meta.json").read_text())
            return meta
        except (OSError, ValueError):
            return {}

    def refresh(self, *, force: bool = False) -> dict[str, Any]:
        """Rebuild the columnar cache if the store changed since it was built."""
        meta = self.cache_meta()
        if force or meta.get("generation") != self.store.generation():
            from ownergraph.loaders.mic import builtin_venues

            meta = build_cache(self.store, self.cache_dir, list(builtin_venues()))
            self._tables = None
            self._views.clear()
        return meta

    def tables(self) -> dict[str, Any]:
        if self._tables is None:
            self.refresh()
            try:
                self._tables = read_cache(self.cache_dir)
            except (OSError, ValueError):  # a damaged cache (pyarrow.ArrowInvalid is a ValueError)
                self.refresh(force=True)
                self._tables = read_cache(self.cache_dir)
        return self._tables

    def graph(self, as_of: str | dt.date | None = None) -> GraphView:
        """The graph as of a date (default: today) as an in-memory view."""
        d = parse_date(as_of, field="as_of") if as_of is not None else dt.date.today()
        assert d is not None
        if d not in self._views:
            self._views[d] = GraphView(self.tables(), d, workspace=self, load_paths=self.store.load_paths())
        return self._views[d]

    # -- loading -------------------------------------------------------------------------------
    def load(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        format: str | None = None,
        strict: bool = False,
        progress: Callable[[int], None] | None = None,
        on_detect: Callable[[Path, str], None] | None = None,
        snapshot_date: str | dt.date | None = None,
        not_snapshot: bool = False,
    ) -> list[LoadReport]:
        """Load files, one transaction each; rebuild the cache once at the end.

        A file that is a full snapshot of a list is dated by its content, else by
        ``snapshot_date``, else by today; ``not_snapshot`` loads it as a partial extract whose
        absences remove nothing (:mod:`ownergraph.graph.snapshots`).
        """
        from ownergraph.loaders.base import LOADERS, detect_format

        reports = []
        changed = False
        try:
            for p in paths:
                path = Path(p)
                fmt = format or detect_format(path)
                if fmt not in LOADERS:
                    raise FormatError(
                        "unknown format",
                        file=str(path),
                        field="--format",
                        value=fmt,
                        fix="use one of " + ", ".join(sorted(LOADERS)),
                    )
                if on_detect:
                    on_detect(path, fmt)
                report = self._load_one(
                    path, fmt, strict=strict, progress=progress, snap=(snapshot_date, not not_snapshot)
                )
                reports.append(report)
                changed = changed or report.added > 0 or not report.already_loaded
        finally:
            if changed:
                self.refresh()
        return reports

    def _load_one(
        self,
        path: Path,
        fmt: str,
        *,
        strict: bool,
        progress: Callable[[int], None] | None,
        snap: tuple[str | dt.date | None, bool] = (None, True),
    ) -> LoadReport:
        from ownergraph.loaders.base import LOADERS, RecordBatch

        if not path.exists():
            raise FormatError("no such file or folder", file=str(path))
        from ownergraph.loaders.compressed import compressed_parser

        spec = LOADERS[fmt]
        packed = compressed_parser(path, fmt)  # a .gz/.bz2/.zip file read as streams, else None
        files = spec.files(path) if spec.files and packed is None else None
        sha = _sha256(path, files)
        prior = self.store.find_load(sha, fmt)
        if prior is not None:
            # the same list file re-published on another --snapshot-date is a new snapshot fact;
            # with --not-snapshot, its snapshot recorded by mistake is retracted (snapshots.py)
            if not snap[1]:
                gone = retract(self.store, sha, fmt, snap[0])
                if gone is not None:
                    return LoadReport(path=str(path), format=fmt, sha256=sha, snapshot=gone)
            prior_id, where = int(prior["load_id"]), str(path.resolve())
            noted = republish(self.store, prior_id, where, snap[0]) if snap[1] else None
            if noted is not None:
                line, warns = noted
                return LoadReport(path=str(path), format=fmt, sha256=sha, snapshot=line,
                                  snapshot_warnings=warns)
            return LoadReport(path=str(path), format=fmt, sha256=sha, already_loaded=True)
        t0 = time.perf_counter()
        parse = packed or spec.bulk or spec.parse
        declare = spec.snapshot if packed is None else None  # list snapshots are read uncompressed
        recorder = SnapshotRecorder.for_load(declare, path, snap[0], enabled=snap[1])  # snapshots.py
        counts = {"read": 0, "added": 0, "duplicate": 0, "rejected": 0, "merged": 0}
        rejects: list[InputError] = []
        store = self.store
        store.begin(cache_bytes=_input_bytes(path, files))
        try:
            load_id = store.start_load(str(path.resolve()), fmt, sha)
            batch: list[tuple[Record, str | None]] = []
            for item in recorder.watch(parse(path)):
                if isinstance(item, RecordBatch):
                    # rows validated column-wise: stored in stream order, after what came before
                    if batch:
                        a, d = store.insert(batch, load_id)
                        counts["added"] += a
                        counts["duplicate"] += d
                        batch.clear()
                    counts["read"] += len(item)
                    a, d = store.insert_columns(item.type, item.columns, item.locators, load_id)
                    counts["added"] += a
                    counts["duplicate"] += d
                    if progress:
                        progress(counts["read"])
                    continue
                counts["read"] += 1
                if isinstance(item, InputError):
                    if strict:
                        raise StrictLoadError(
                            item.reason,
                            file=item.file or str(path),
                            line=item.line,
                            field=item.field,
                            value=item.value,
                            fix="--strict: nothing was loaded; fix the record or load without --strict",
                        )
                    rejects.append(item)
                    continue
                batch.append(item)
                if len(batch) >= _BATCH:
                    a, d = store.insert(batch, load_id)
                    counts["added"] += a
                    counts["duplicate"] += d
                    batch.clear()
                    if progress:
                        progress(counts["read"])
            if batch:
                a, d = store.insert(batch, load_id)
                counts["added"] += a
                counts["duplicate"] += d
            if progress:
                progress(counts["read"])
            known = store.drop_known(load_id)  # bulk rows an earlier load already stored
            counts["added"] -= known
            counts["duplicate"] += known
            dangling = store.dangling(load_id)
            if dangling:
                if strict:
                    _t, _s, loc, field, value = dangling[0]
                    raise StrictLoadError(
                        "refers to an id no entity has",
                        file=str(path),
                        line=loc,
                        field=field,
                        value=value,
                        fix="--strict: nothing was loaded; add the entity or fix the id",
                    )
                by_table: dict[str, list[int]] = {}
                for table, seq, loc, field, value in dangling:
                    by_table.setdefault(table, []).append(seq)
                    rejects.append(
                        InputError(
                            "refers to an id no entity has",
                            file=str(path),
                            line=loc,
                            field=field,
                            value=value,
                            fix="add the entity or fix the id",
                        )
                    )
                for table, seqs in by_table.items():
                    store.delete(table, seqs)
                counts["added"] -= len(dangling)
            counts["rejected"] = len(rejects)
            counts["merged"] = store.shared_key_records(load_id)
            snapshot_note = recorder.save(store.conn, load_id)  # list snapshot facts, same transaction
            seconds = time.perf_counter() - t0
            store.finish_load(load_id, seconds=seconds, counts=counts)
            store.commit()
        except BaseException:
            store.rollback()
            raise
        rejects_file = self._write_rejects(load_id, path, rejects) if rejects else None
        return LoadReport(
            path=str(path),
            format=fmt,
            sha256=sha,
            seconds=round(time.perf_counter() - t0, 3),
            rejects_file=rejects_file,
            first_reject=str(rejects[0]) if rejects else None,
            snapshot=snapshot_note,
            snapshot_warnings=tuple(recorder.warnings),
            **counts,
        )

    def _write_rejects(self, load_id: int, path: Path, rejects: Iterable[InputError]) -> str:
        folder = self.path / "rejects"
        folder.mkdir(exist_ok=True)
        out = folder / f"{load_id:04d}-{path.name}.rejects.csv"
        with open(out, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["file", "line", "field", "value", "reason", "fix"])
            for e in rejects:
                w.writerow([e.file or str(path), e.line, e.field, e.value, e.reason, e.fix])
        return str(out)

    # -- same-as -------------------------------------------------------------------------------
    def sameas(
        self, a: str, b: str, *, undo: bool = False, who: str | None = None, source: str | None = None
    ) -> int:
        """Record (or undo) that two ids name one entity; returns the number of records changed."""
        from ownergraph.graph.model import SameAs

        view = self.graph()
        view.index(a)
        view.index(b)
        store = self.store
        store.begin()
        try:
            if undo:
                n = store.undo_sameas(a, b)
            else:
                rec = SameAs(
                    id_a=a,
                    id_b=b,
                    source=source or "accepted by reviewer",
                    who=who or os.environ.get("USER") or "unknown",
                    at=dt.datetime.now(dt.UTC).replace(microsecond=0),
                )
                lid = store.start_load(
                    "sameas", "sameas", hashlib.sha256(f"{a}\0{b}\0{rec.at}".encode()).hexdigest()
                )
                n, _ = store.insert([(rec, "ownergraph sameas")], lid)
                store.finish_load(lid, seconds=0.0, counts={"read": 1, "added": n})
            store.commit()
        except BaseException:
            store.rollback()
            raise
        self.refresh()
        return n


def open_workspace(path: str | os.PathLike[str] | None = None) -> Workspace:
    """Open (or create) a workspace folder; default ``$OWNERGRAPH_WORKSPACE`` or ``./ownergraph-data``."""
    return Workspace(path or os.environ.get("OWNERGRAPH_WORKSPACE") or DEFAULT_WORKSPACE)
