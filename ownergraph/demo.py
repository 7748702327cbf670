"""The SenseTime case study (SPEC §1) end to end: what ``ownergraph demo`` runs.

It loads the bundled case-study facts together with the real public lists they cite (the OFAC
consolidated list and the DoD 1260H list, shipped as package data), then asks the graph the
case's questions. This module only composes library calls; every finding comes from
:mod:`ownergraph.queries` and every picture from :mod:`ownergraph.viz`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ownergraph.graph.view import GraphView
from ownergraph.graph.workspace import LoadReport, Workspace

__all__ = ["DEMO_DIR", "INVESTORS", "LISTED_PARENT", "DemoResult", "demo_sources", "load_demo", "run_demo"]

DEMO_DIR = "ownergraph-demo"
LISTED_PARENT = "sensetime-group-inc"
DESIGNATED_SUBSIDIARY = "sensetime-group-ltd"
INVESTORS = ("qualcomm", "fidelity-international", "silver-lake", "idg-capital")
DOD_RECORD = "dod1260h:sensetime-group-inc"
REGIMES = ("ofac-ns-cmic", "bis-entity-list")


def _data(*parts: str) -> Path:
    return Path(str(resources.files("ownergraph.data").joinpath(*parts)))


def demo_sources() -> list[tuple[Path, str]]:
    """The files of the case study in load order, with their format."""
    return [
        (_data("sensetime"), "bundle"),
        (_data("ofac_cons", "cons_prim.csv"), "ofac-csv"),
        (_data("dod1260h", "dod_1260h.csv"), "dod1260h"),
    ]


def load_demo(
    folder: str | Path = DEMO_DIR, *, echo: Callable[[str], None] = print
) -> tuple[Workspace, list[LoadReport]]:
    """Open ``folder/workspace`` and load the case study into it (idempotent)."""
    ws = Workspace(Path(folder) / "workspace")
    reports: list[LoadReport] = []
    for path, fmt in demo_sources():
        for r in ws.load([path], format=fmt):
            reports.append(r)
            if r.already_loaded:
                echo(f"  {path.name} ({r.format}): already in the workspace")
            else:
                extra = f", {r.rejected:,} rejected (see {r.rejects_file})" if r.rejected else ""
                echo(f"  {path.name} ({r.format}): read {r.read:,}, added {r.added:,}{extra}")
    return ws, reports


@dataclass
class DemoResult:
    """What the case study found, as rows (the CLI renders them)."""

    folder: Path
    view: GraphView
    merged_ids: list[str]
    findings: list[Any] = field(default_factory=list)
    exposure: list[Any] = field(default_factory=list)
    candidates: list[Any] = field(default_factory=list)
    html: Path | None = None


def run_demo(
    folder: str | Path = DEMO_DIR,
    *,
    as_of: dt.date | None = None,
    echo: Callable[[str], None] = print,
    picture: bool = True,
) -> tuple[Workspace, DemoResult]:
    """Load the case study and answer its questions (SPEC §1); write ``folder/sensetime.html``."""
    from ownergraph.queries.candidates import candidates
    from ownergraph.queries.exposure import exposure
    from ownergraph.queries.loopholes import loopholes

    folder = Path(folder)
    ws, _ = load_demo(folder, echo=echo)
    view = ws.graph(as_of=as_of)
    sub = view.index(DESIGNATED_SUBSIDIARY)
    result = DemoResult(folder=folder, view=view, merged_ids=sorted(view.all_keys(sub)))
    result.findings = [
        r
        for r in loopholes(view, regimes=REGIMES, patterns=("listed-parent", "name-mismatch"))
        if LISTED_PARENT in r.path
    ]
    result.exposure = [
        r
        for r in exposure(view, [{"id": i} for i in INVESTORS], regimes=(*REGIMES, "info"))
        if r.relation != "self"
    ]
    result.candidates = [
        c for c in candidates(view, min_score=80, limit=100_000) if DOD_RECORD in (c.a, c.b)
    ]
    if picture:
        from ownergraph.viz import render

        listed = [r for r in result.findings if r.pattern == "listed-parent"]
        result.html = Path(
            str(
                render(
                    listed,
                    folder / "sensetime.html",
                    view=view,
                    title=f"SenseTime: listed parent → designated subsidiaries ({view.as_of})",
                )
            )
        )
    return ws, result
