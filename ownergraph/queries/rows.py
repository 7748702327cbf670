"""The shape every query result shares (SPEC §7 output conventions).

Result rows are frozen pydantic models. Shares are percentages: ``share_min``/``share_max``
(null when unknown) plus ``share``, the canonical interval string (``50``, ``(25,50]``,
``unknown``), so open bounds are never lost. Each ``basis`` item is a :class:`BasisItem`.
Lists of rows are :class:`Rows`, which convert to pandas with ``.to_frame()``.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from ownergraph.graph.shares import Share, share_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BasisItem",
    "Row",
    "Rows",
    "ShareCols",
    "constructed",
    "finding_id",
    "paused_gc",
    "rows_to_frame",
    "share_columns",
    "share_fields",
]


def share_fields(share: Share) -> dict[str, Any]:
    """``share_min``, ``share_max`` and ``share`` of an interval, per the output conventions."""
    return {"share_min": share.min_pct, "share_max": share.max_pct, "share": str(share)}


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run a block with the cyclic garbage collector paused (reference counting still frees).

    A query that builds thousands of result rows allocates tens of thousands of small acyclic
    containers; every 700 allocations trigger a collection, and the full ones walk every live
    object of the session, which cost 30-40% of ``restricted``, ``loopholes`` and ``exposure``
    at 1M entities. Nothing those queries build is cyclic, so pausing loses nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


ShareCols = tuple[Share, float | None, float | None, str]
"""A share with its output fields: the interval, ``share_min``, ``share_max`` and ``share``."""


@lru_cache(maxsize=65536)
def share_columns(lo: int, hi: int, flags: int) -> ShareCols:
    """An edge's share from the view's columns (ppm bounds, :meth:`Share.to_flags` bits) with its
    output fields, cached on the ints: a few distinct shares recur across thousands of edges, and
    building and printing a validated :class:`Share` costs microseconds each time.

    >>> share_columns(250000, 500000, 1)[1:]
    (25.0, 50.0, '(25,50]')
    """
    s = Share.from_columns(lo, hi, flags)
    return s, s.min_pct, s.max_pct, share_text(lo, hi, flags)


class Row(BaseModel):
    """Base of every result row: frozen, JSON-ready with ``model_dump(mode="json")``."""

    model_config = ConfigDict(frozen=True)


class BasisItem(Row):
    """One reason in a derivation: an owner's edge into the subject, with its source."""

    owner_id: str
    kind: str
    share_min: float | None
    share_max: float | None
    share: str
    source: str | None = None
    owned_id: str | None = None
    owner_status: str | None = None


R = TypeVar("R", bound=Row)


class Rows(list[R], Generic[R]):
    """A list of result rows with a pandas view."""

    def to_frame(self) -> pd.DataFrame:
        return rows_to_frame(self)


_new = object.__new__
_set = object.__setattr__


def constructed(cls: type[R], values: dict[str, Any], fields_set: set[str]) -> R:
    """A row of ``cls`` from values that are already valid: what ``cls.model_construct`` builds.

    For queries that return thousands of rows whose every value comes from the validated
    workspace or from the query's own typed code: validating them again cost ``restricted`` a
    fifth of its time at 1M entities, and ``model_construct`` is slower still (a Python loop
    over the fields of each row). ``values`` must hold every field of ``cls`` in declaration
    order (``__dict__`` order is the dump order) with the types validation would give;
    ``fields_set`` names the ones given explicitly, as validating a dict without the defaulted
    keys would record them. The rows are the same pydantic models, equal to validated ones
    (the tests of each caller check that against ``model_validate`` of their own dumps).
    """
    row = _new(cls)
    _set(row, "__dict__", values)
    _set(row, "__pydantic_fields_set__", fields_set)
    _set(row, "__pydantic_extra__", None)
    _set(row, "__pydantic_private__", None)
    return row


def rows_to_frame(rows: Iterable[Row]) -> pd.DataFrame:
    """Rows as a pandas DataFrame (list fields stay Python lists)."""
    import pandas as pd

    return pd.DataFrame([r.model_dump(mode="json") for r in rows])


def finding_id(pattern: str, regime: str, path: Sequence[str]) -> str:
    """A stable short hash of a finding's pattern, regime and path (``viz --finding`` takes it)."""
    text = "\x1f".join([pattern, regime, *path])
    return hashlib.sha1(text.encode()).hexdigest()[:10]
