"""ISO 10383 Market Identifier Codes: the venue list (``--format mic``), also built in.

Segment MICs keep their operating MIC so that a listing on a segment (``SHSC``) rolls up to its
exchange (``XHKG``); expired rows are kept with their status. Dates are ``YYYYMMDD``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ownergraph.errors import InputError
from ownergraph.graph.model import Venue
from ownergraph.loaders.base import Item, make_record, register

__all__ = ["builtin_venues", "parse_mic"]

_HEADER = b'"MIC","OPERATING MIC"'


def _rows(text: str, file: str) -> Iterator[tuple[int, dict[str, Any] | InputError]]:
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        line = reader.line_num
        mic = (row.get("MIC") or "").strip()
        if not mic:
            yield line, InputError("row without a MIC", file=file, line=line, field="MIC")
            continue
        yield (
            line,
            {
                "mic": mic,
                "name": (row.get("MARKET NAME-INSTITUTION DESCRIPTION") or "").strip() or None,
                "country": (row.get("ISO COUNTRY CODE (ISO 3166)") or "").strip() or None,
                "operating_mic": (row.get("OPERATING MIC") or "").strip() or None,
                "status": (row.get("STATUS") or "").strip() or None,
                "source": "ISO 10383 MIC register",
            },
        )


def _sniff(path: Path, head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf").startswith(_HEADER)


@register("mic", "ISO 10383 MIC register CSV", _sniff)
def parse_mic(path: Path) -> Iterator[Item]:
    """Yield one :class:`Venue` per row of an ISO 10383 CSV."""
    text = path.read_text(encoding="utf-8-sig")
    for line, data in _rows(text, str(path)):
        if isinstance(data, InputError):
            yield data
            continue
        rec = make_record("venue", data, file=str(path), line=line)
        yield rec if isinstance(rec, InputError) else (rec, f"line {line}")


@cache
def builtin_venues() -> tuple[dict[str, Any], ...]:
    """The bundled ISO 10383 list (May 2025) as plain dicts, for the cache."""
    text = resources.files("ownergraph.data").joinpath("iso10383_mic.csv").read_text(encoding="utf-8-sig")
    out = []
    for _line, data in _rows(text, "iso10383_mic.csv"):
        if isinstance(data, dict):
            out.append(Venue.model_validate(data).model_dump())
    return tuple(out)
