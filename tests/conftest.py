"""Shared fixtures: bundles written from Python rows, fresh workspaces, the SenseTime case.

``bundle(name, entities=[...], ownership=[...], ...)`` writes a native bundle folder (one CSV
per record kind, header = the union of the row keys in first-seen order) under ``tmp_path`` and
returns its path; ``jsonl(name, records)`` writes the JSON-lines form. ``ws`` is an empty
workspace, ``sensetime_ws`` one with the case-study bundle loaded; both are closed afterwards.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import pytest

import ownergraph
from ownergraph.graph.workspace import Workspace

Rows = Sequence[Mapping[str, Any]]
BundleFactory = Callable[..., Path]

_FILES = {
    "entities": "entities.csv",
    "ownership": "ownership.csv",
    "venues": "venues.csv",
    "listings": "listings.csv",
    "designations": "designations.csv",
    "holdings": "holdings.csv",
    "sameas": "sameas.csv",
    "claims": "claims.csv",
}


def write_csv(path: Path, rows: Rows, *, columns: Sequence[str] | None = None) -> Path:
    """Write dict rows as a UTF-8 CSV; the header is ``columns`` or the union of row keys."""
    cols: list[str] = list(columns) if columns else []
    if not columns:
        for r in rows:
            cols.extend(k for k in r if k not in cols)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return path


@pytest.fixture
def bundle(tmp_path: Path) -> BundleFactory:
    """Factory: ``bundle("b1", entities=[{"id": "a", "name": "A"}], ownership=[...])`` -> folder.

    Only the record kinds passed are written (``entities`` defaults to an empty file with the
    ``id,name`` header, so a bundle is always loadable).
    """

    def make(name: str = "bundle", **kinds: Rows) -> Path:
        unknown = set(kinds) - set(_FILES)
        if unknown:
            raise TypeError(f"unknown record kinds {sorted(unknown)}; use {sorted(_FILES)}")
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=False)
        if "entities" not in kinds:
            write_csv(folder / "entities.csv", [], columns=["id", "name"])
        for kind, rows in kinds.items():
            write_csv(folder / _FILES[kind], rows)
        return folder

    return make


@pytest.fixture
def jsonl(tmp_path: Path) -> Callable[[str, Rows], Path]:
    """Factory: ``jsonl("b.jsonl", [{"type": "entity", ...}, ...])`` -> file."""

    def make(name: str, records: Rows) -> Path:
        path = tmp_path / name
        path.write_bytes(b"".join(orjson.dumps(dict(r)) + b"\n" for r in records))
        return path

    return make


@pytest.fixture
def sensetime_dir() -> Path:
    """The case-study bundle shipped as package data."""
    return Path(str(resources.files("ownergraph.data").joinpath("sensetime")))


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """An empty workspace under ``tmp_path/ws``."""
    w = ownergraph.open(tmp_path / "ws")
    try:
        yield w
    finally:
        w.close()


@pytest.fixture
def sensetime_ws(ws: Workspace, sensetime_dir: Path) -> Workspace:
    """A workspace with the SenseTime bundle loaded."""
    (report,) = ws.load([sensetime_dir])
    assert report.rejected == 0, report.first_reject
    return ws
