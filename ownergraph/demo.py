"""The SenseTime case study (SPEC §1) end to end: what ``ownergraph demo`` runs.

It loads the bundled case-study facts together with the real public lists they cite (the OFAC
consolidated list and the DoD 1260H list, shipped as package data), then prints what the graph
shows. This module only composes library calls; every finding comes from :mod:`ownergraph.queries`.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from ownergraph.graph.workspace import LoadReport, Workspace

__all__ = ["DEMO_DIR", "demo_sources", "load_demo"]

DEMO_DIR = "ownergraph-demo"
LISTED_PARENT = "sensetime-group-inc"


def _data(*parts: str) -> Path:
    return Path(str(resources.files("ownergraph.data").joinpath(*parts)))


def demo_sources() -> list[tuple[Path, str | None]]:
    """The files of the case study, in load order, with their format (``None``: detect)."""
    out: list[tuple[Path, str | None]] = [(_data("sensetime"), "bundle")]
    from ownergraph.loaders import LOADERS

    ofac = _data("ofac_cons", "cons_prim.csv")
    if ofac.exists() and "ofac-csv" in LOADERS:
        out.append((ofac, "ofac-csv"))
    dod = _data("dod1260h", "dod_1260h.csv")
    if dod.exists() and "dod1260h" in LOADERS:
        out.append((dod, "dod1260h"))
    return out


def load_demo(folder: str | Path = DEMO_DIR, *, echo: Callable[[str], None] = print) -> tuple[Workspace, list[LoadReport]]:
    """Open ``folder/workspace`` and load the case study into it (idempotent)."""
    ws = Workspace(Path(folder) / "workspace")
    reports: list[LoadReport] = []
    for path, fmt in demo_sources():
        for r in ws.load([path], format=fmt):
            reports.append(r)
            if r.already_loaded:
                echo(f"  {path.name}: already in the workspace")
            else:
                echo(f"  {path.name} ({r.format}): read {r.read:,}, added {r.added:,}, "
                     f"rejected {r.rejected:,}")
    return ws, reports
