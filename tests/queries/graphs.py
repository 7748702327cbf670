"""Tiny ownership graphs for the regime tests, written as native bundles and loaded for real.

``build(folder, edges, designations)`` writes a bundle from Python lists and loads it into a
fresh workspace::

    g = build(tmp_path / "ofac1", [("X", "A", "50"), ("A", "B", "50")], [("X", "ofac-sdn")])
    g.status("ofac-sdn")  # {'X': 'designated', 'A': 'restricted', 'B': 'restricted'}

An edge is ``(owner, owned, share[, kind, arrangement, start, end])``; a designation is
``(entity, regime[, listed, effective, removed, list, program])`` or a dict of bundle columns.
Every id mentioned becomes an entity (named after its id) with the jurisdiction given in
``jurisdictions`` (none by default).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ownergraph
from ownergraph.graph.view import GraphView
from ownergraph.graph.workspace import Workspace
from ownergraph.queries.reference import reference_restricted
from ownergraph.queries.restricted import RestrictedRow, restricted
from ownergraph.queries.rows import Rows

Edge = tuple[Any, ...]
DesignationSpec = tuple[Any, ...] | Mapping[str, Any]

EDGE_COLUMNS = ("owner_id", "owned_id", "share", "kind", "arrangement", "start", "end")
DESIGNATION_COLUMNS = ("entity_id", "regime", "listed", "effective", "removed", "list", "program")
DEFAULT_LISTED = "2020-01-01"


def _write(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(columns))
        w.writeheader()
        for r in rows:
            w.writerow({c: ("" if r.get(c) is None else r[c]) for c in columns})


def write_bundle(
    folder: Path,
    edges: Sequence[Edge],
    designations: Sequence[DesignationSpec],
    *,
    jurisdictions: Mapping[str, str | None] | None = None,
    entities: Sequence[str] = (),
) -> Path:
    """Write the bundle folder and return it."""
    folder.mkdir(parents=True, exist_ok=False)
    jur = dict(jurisdictions or {})
    ownership = []
    for n, e in enumerate(edges, start=1):
        row = dict(zip(EDGE_COLUMNS, e, strict=False))
        row["source"] = f"test edge {n}"
        ownership.append(row)
    des = []
    for d in designations:
        row = dict(d) if isinstance(d, Mapping) else dict(zip(DESIGNATION_COLUMNS, d, strict=False))
        row.setdefault("listed", DEFAULT_LISTED)
        row.setdefault("source", "test designation")
        des.append(row)
    ids: list[str] = list(entities)
    for r in ownership:
        ids.extend([r["owner_id"], r["owned_id"]])
    ids.extend(r["entity_id"] for r in des)
    ids.extend(jur)
    seen = list(dict.fromkeys(ids))
    _write(folder / "entities.csv", ("id", "name", "jurisdiction"),
           [{"id": i, "name": i, "jurisdiction": jur.get(i)} for i in seen])
    _write(folder / "ownership.csv", (*EDGE_COLUMNS, "source"), ownership)
    _write(folder / "designations.csv", (*DESIGNATION_COLUMNS, "source"), des)
    return folder


@dataclass
class Graph:
    """A loaded test graph: statuses and rows per regime and date, from both implementations."""

    ws: Workspace
    as_of: str

    def view(self, as_of: str | dt.date | None = None) -> GraphView:
        return self.ws.graph(as_of=as_of or self.as_of)

    def rows(self, regime: str, as_of: str | dt.date | None = None) -> Rows[RestrictedRow]:
        """Rows of the array implementation, checked equal to the networkx reference."""
        view = self.view(as_of)
        got = restricted(view, regime)
        ref = reference_restricted(view, regime)
        assert [r.model_dump() for r in got] == [r.model_dump() for r in ref]
        return got

    def status(self, regime: str, as_of: str | dt.date | None = None) -> dict[str, str]:
        return {r.id: r.status for r in self.rows(regime, as_of)}

    def row(self, regime: str, entity: str, as_of: str | dt.date | None = None) -> RestrictedRow:
        (hit,) = [r for r in self.rows(regime, as_of) if r.id == entity]
        return hit

    def close(self) -> None:
        self.ws.close()


def build(
    folder: Path,
    edges: Sequence[Edge],
    designations: Sequence[DesignationSpec],
    *,
    jurisdictions: Mapping[str, str | None] | None = None,
    entities: Sequence[str] = (),
    as_of: str = "2025-01-01",
) -> Graph:
    """Write a bundle under ``folder/bundle``, load it into ``folder/ws`` and return the graph."""
    bundle = write_bundle(folder / "bundle", edges, designations, jurisdictions=jurisdictions,
                          entities=entities)
    ws = ownergraph.open(folder / "ws")
    (report,) = ws.load([bundle])
    assert report.rejected == 0, report.first_reject
    return Graph(ws, as_of)


def seeds(regime: str, *ids: str, **columns: Any) -> list[dict[str, Any]]:
    """Designations of ``ids`` under ``regime`` with shared extra columns."""
    return [{"entity_id": i, "regime": regime, **columns} for i in ids]
