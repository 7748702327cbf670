"""Ownership shares as exact intervals of parts per million.

A share is what a source says about a stake: an exact percentage (``50``), a band with open or
closed bounds (``(25,50]``, ``[75,100)``, ``25-50``), a one-sided bound (``>50``, ``>=50``,
``<25``) or nothing at all (``unknown``). Shares are stored as integers in parts per million so
that the 50% boundaries on which the regimes differ (OFAC ``>= 50``, UK ``> 50``) are compared
exactly; floats never decide a status. This module parses and prints shares; the fixpoints that
sum them live in :mod:`ownergraph.queries`.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from ownergraph.errors import ShareError

__all__ = ["PPM", "Share", "format_ppm", "parse_share", "pct_to_ppm", "share_text"]

PPM = 1_000_000
"""100% in parts per million."""

_UNKNOWN = {"", "unknown", "?", "n/a", "na", "none", "null", "undisclosed", "-"}
_NUM = r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*%?\s*"
_RE_EXACT = re.compile(rf"^{_NUM}$")
_RE_RANGE = re.compile(rf"^{_NUM}(?:-|–|—|to)({_NUM})$")
_RE_BRACKET = re.compile(rf"^\s*([\[(]){_NUM},{_NUM}([\])])\s*$")
_RE_CMP = re.compile(rf"^\s*(>=|≥|=>|>|<=|≤|=<|<){_NUM}$")


def pct_to_ppm(value: str | float | int | Decimal, *, text: str | None = None) -> int:
    """Convert a percentage to integer parts per million, rounding half to even.

    >>> pct_to_ppm("26.150000000000002")
    261500
    """
    try:
        d = Decimal(str(value).strip().rstrip("%").strip())
    except InvalidOperation:
        raise ShareError(
            "not a percentage",
            value=text if text is not None else value,
            fix="write a number between 0 and 100, an interval like (25,50], or leave it empty",
        ) from None
    if not d.is_finite():
        raise ShareError("not a finite percentage", value=text if text is not None else value)
    ppm = int((d * 10_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if ppm < 0 or ppm > PPM:
        raise ShareError(
            "share outside 0–100%",
            value=text if text is not None else value,
            fix="shares are percentages of the owned entity, between 0 and 100",
        )
    return ppm


def format_ppm(ppm: int) -> str:
    """Print parts per million as a percentage without trailing zeros: 500000 -> '50'."""
    whole, frac = divmod(ppm, 10_000)
    if frac == 0:
        return str(whole)
    return f"{whole}.{frac:04d}".rstrip("0")


class Share(BaseModel):
    """An interval of ownership in parts per million, with open or closed bounds.

    ``known=False`` marks an unknown share, which behaves as ``[0, 100]`` in the fixpoints but
    prints as ``unknown``.

    >>> str(parse_share(">50"))
    '(50,100]'
    >>> parse_share("25-50").hi
    500000
    """

    model_config = ConfigDict(frozen=True)

    lo: int = 0
    hi: int = PPM
    lo_open: bool = False
    hi_open: bool = False
    known: bool = True

    @model_validator(mode="after")
    def _check(self) -> Share:
        if not (0 <= self.lo <= PPM and 0 <= self.hi <= PPM):
            raise ShareError("share outside 0–100%", value=self._text())
        if self.lo > self.hi or (self.lo == self.hi and (self.lo_open or self.hi_open)):
            raise ShareError(
                "inverted or empty interval",
                value=self._text(),
                fix="write the lower bound first, e.g. (25,50]",
            )
        return self

    @classmethod
    def unknown(cls) -> Share:
        return cls(lo=0, hi=PPM, known=False)

    @classmethod
    def exact(cls, pct: str | float | int | Decimal) -> Share:
        p = pct_to_ppm(pct)
        return cls(lo=p, hi=p)

    @property
    def is_exact(self) -> bool:
        return self.known and self.lo == self.hi

    @property
    def min_pct(self) -> float | None:
        """Lower bound in percent for output (null when unknown)."""
        return None if not self.known else self.lo / 10_000

    @property
    def max_pct(self) -> float | None:
        return None if not self.known else self.hi / 10_000

    def _text(self) -> str:
        return share_text(self.lo, self.hi, self.to_flags())

    def __str__(self) -> str:
        return self._text()

    def to_flags(self) -> int:
        """Pack the three booleans into one small integer for columnar storage."""
        return int(self.lo_open) | int(self.hi_open) << 1 | int(not self.known) << 2

    @classmethod
    def from_columns(cls, lo: int, hi: int, flags: int) -> Share:
        if flags & 4:
            return cls.unknown()
        return cls(lo=lo, hi=hi, lo_open=bool(flags & 1), hi_open=bool(flags & 2))


def share_text(lo: int, hi: int, flags: int) -> str:
    """The canonical interval string of a share in columnar form (ppm bounds and
    :meth:`Share.to_flags` bits): ``50``, ``(25,50]``, ``unknown``.

    >>> share_text(250000, 500000, 1), share_text(500000, 500000, 0), share_text(0, 1000000, 4)
    ('(25,50]', '50', 'unknown')
    """
    if flags & 4:
        return "unknown"
    if lo == hi and not flags & 3:
        return format_ppm(lo)
    return f"{'(' if flags & 1 else '['}{format_ppm(lo)},{format_ppm(hi)}{')' if flags & 2 else ']'}"


def parse_share(value: Any) -> Share:
    """Parse the share syntax of SPEC §4.

    Accepts ``50``, ``50%``, ``50.5``, ``25-50`` (closed), ``(25,50]``, ``[75,100)``, ``>50``,
    ``>=50``, ``<25``, ``<=25`` and empty/``unknown``. Raises :class:`ShareError` on values
    outside 0–100, inverted intervals and anything else.

    >>> str(parse_share("[75,100)")), str(parse_share("")), str(parse_share("50%"))
    ('[75,100)', 'unknown', '50')
    """
    if value is None:
        return Share.unknown()
    if isinstance(value, Share):
        return value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return Share.exact(value)
    text = str(value)
    t = text.strip().lower()
    if t in _UNKNOWN:
        return Share.unknown()
    if t.startswith("-"):
        raise ShareError("share outside 0–100%", value=text)
    try:
        m = _RE_EXACT.match(t)
        if m:
            return Share.exact(m.group(1))
        m = _RE_BRACKET.match(t)
        if m:
            return Share(
                lo=pct_to_ppm(m.group(2), text=text),
                hi=pct_to_ppm(m.group(3), text=text),
                lo_open=m.group(1) == "(",
                hi_open=m.group(4) == ")",
            )
        m = _RE_RANGE.match(t)
        if m:
            return Share(lo=pct_to_ppm(m.group(1), text=text), hi=pct_to_ppm(m.group(3), text=text))
        m = _RE_CMP.match(t)
        if m:
            op, p = m.group(1), pct_to_ppm(m.group(2), text=text)
            if op == ">":
                return Share(lo=p, hi=PPM, lo_open=True)
            if op in (">=", "≥", "=>"):
                return Share(lo=p, hi=PPM)
            if op == "<":
                return Share(lo=0, hi=p, hi_open=True)
            return Share(lo=0, hi=p)
    except ShareError as e:
        if e.value != text:
            raise ShareError(e.reason, value=text, fix=e.fix) from None
        raise
    except ValueError as e:  # pydantic wraps validator errors
        raise ShareError(_first_error(e), value=text) from None
    raise ShareError(
        "not a share",
        value=text,
        fix="write 50, 50%, 25-50, (25,50], [75,100), >50, >=50, <25 or leave it empty",
    )


def _first_error(e: ValueError) -> str:
    msg = str(e)
    for known in ("inverted or empty interval", "share outside 0–100%"):
        if known in msg:
            return known
    return "not a share"
