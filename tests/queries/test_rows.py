"""Shared row helpers: shares from view columns, and the collector pause around row building."""

from __future__ import annotations

import gc

import pytest

from ownergraph.graph.shares import parse_share
from ownergraph.queries.rows import paused_gc, share_columns, share_fields


@pytest.mark.parametrize("text", ["50", "(25,50]", "[75,100)", ">50", "<25", "unknown", "0", "12.3456"])
def test_share_columns_match_the_share_model(text: str) -> None:
    s = parse_share(text)
    share, lo, hi, out = share_columns(s.lo, s.hi, s.to_flags())
    assert share == s
    assert {"share_min": lo, "share_max": hi, "share": out} == share_fields(s)
    assert share_columns(s.lo, s.hi, s.to_flags()) is share_columns(s.lo, s.hi, s.to_flags())


def test_paused_gc_restores_the_collector_even_on_errors() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: the inner block leaves the outer pause alone
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), paused_gc():
        _ = 1 / 0
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # a caller's own pause is kept
    finally:
        gc.enable()
