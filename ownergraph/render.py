"""Rendering result rows for people (rich tables) and pipes (JSON, CSV).

JSON is one array of row objects on stdout; in CSV, list- and dict-valued fields are
JSON-encoded strings (SPEC §7).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

__all__ = ["FORMATS", "render"]

FORMATS = ("table", "json", "csv")
_FULL = {"explanation", "reason", "name", "source", "windows", "path"}
"""Columns a table never cuts: an explanation is the point of a row."""


def _plain(rows: Sequence[BaseModel] | BaseModel) -> list[dict[str, Any]]:
    if isinstance(rows, BaseModel):
        return [rows.model_dump(mode="json")]
    return [r.model_dump(mode="json") for r in rows]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _short(v: Any, width: int = 60, *, column: str = "") -> str:
    if isinstance(v, list) and not v:
        return ""
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        s = (" → " if column == "path" else "\n").join(v)
    elif isinstance(v, list) and v and isinstance(v[0], dict):
        s = "; ".join(f"{d.get('owner_id', '')} {d.get('share', '')} {d.get('kind', '')}".strip() for d in v)
    else:
        s = _cell(v)
    return s if len(s) <= width else s[: width - 1] + "…"


def render(
    rows: Sequence[BaseModel] | BaseModel,
    fmt: str,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> str:
    """Render rows as ``table``, ``json`` or ``csv`` text."""
    data = _plain(rows)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    cols = list(columns) if columns else (list(data[0].keys()) if data else [])
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(list(data[0].keys()) if data else cols)
        for d in data:
            w.writerow([_cell(v) for v in d.values()])
        return buf.getvalue()
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for c in cols:
        table.add_column(c, overflow="fold")
    for d in data:
        table.add_row(*[_short(d.get(c), 10_000 if c in _FULL else 60, column=c) for c in cols])
    out = io.StringIO()
    console = Console(file=out, width=160, force_terminal=False, color_system=None)
    console.print(table if data else "(no rows)")
    return out.getvalue()
