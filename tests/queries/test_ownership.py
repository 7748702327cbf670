"""ownership(): direct owners/holdings and look-through (integrated) ownership.

Worked examples from docs/algorithms.md §2.1.3 are checked exactly (against a dense solve in
Fraction arithmetic) through a real workspace; property tests compare the cone-restricted
Neumann implementation with the per-pair dense networkx reference on random small graphs.
"""

from __future__ import annotations

import csv
import datetime as dt
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import ownergraph
from ownergraph.errors import InputError, NotFoundError
from ownergraph.graph.view import GraphView
from ownergraph.queries.ownership import LOOK_THROUGH_MEASURE, ClosedLoopError, OwnershipRow, ownership
from ownergraph.queries.reference_paths import reference_lookthrough, view_from_arrays

TOL = 1e-9
FIELDS = ["owner_id", "owned_id", "share", "kind", "arrangement", "start", "end", "source"]


def build(tmp_path: Path, edges: list[tuple[Any, ...]], as_of: str = "2024-01-01") -> GraphView:
    """A view through the real workspace: edges are (owner, owned, share[, kind[, start, end]])."""
    bundle = tmp_path / "bundle"
    bundle.mkdir(parents=True)
    ids = sorted({x for e in edges for x in e[:2]})
    with open(bundle / "entities.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "kind"])
        for i in ids:
            w.writerow([i, f"{i} Ltd", "person" if i in ("P", "Q") else "company"])
    with open(bundle / "ownership.csv", "w", newline="") as f:
        dw = csv.DictWriter(f, FIELDS)
        dw.writeheader()
        for n, e in enumerate(edges):
            row = {
                "owner_id": e[0],
                "owned_id": e[1],
                "share": e[2],
                "kind": e[3] if len(e) > 3 else "shares",
                "source": f"src{n}",
            }
            if len(e) > 4:
                row["start"], row["end"] = e[4], e[5]
            dw.writerow(row)
    ws = ownergraph.open(tmp_path / "ws")
    ws.load([bundle])
    return ws.graph(as_of=as_of)


def by_other(rows: list[OwnershipRow], direction: str = "up") -> dict[str, OwnershipRow]:
    return {(r.owner_id if direction == "up" else r.owned_id): r for r in rows}


def exact_integrated(
    edges: list[tuple[str, str, Fraction]],
) -> tuple[list[str], list[list[Fraction]], list[list[Fraction]]]:
    """Raw T = D - I and first-passage T[i,j]/D[i,i] by Gauss–Jordan in Fraction arithmetic."""
    nodes = sorted({x for e in edges for x in e[:2]})
    pos = {x: i for i, x in enumerate(nodes)}
    n = len(nodes)
    m = [[Fraction(int(i == j)) for j in range(n)] * 2 for i in range(n)]
    for a, b, s in edges:
        m[pos[a]][pos[b]] -= s
    for c in range(n):
        p = next(r for r in range(c, n) if m[r][c] != 0)
        m[c], m[p] = m[p], m[c]
        piv = m[c][c]
        m[c] = [x / piv for x in m[c]]
        for r in range(n):
            if r != c and m[r][c] != 0:
                f = m[r][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
    d = [row[n:] for row in m]
    raw = [[d[i][j] - int(i == j) for j in range(n)] for i in range(n)]
    first = [[raw[i][j] / d[i][i] if i != j else Fraction(0) for j in range(n)] for i in range(n)]
    return nodes, raw, first


EX1 = [("P", "A", 60), ("A", "B", 70), ("P", "B", 10)]
EX2 = [("A", "B1", 100), ("A", "B2", 80), ("B1", "C", 20), ("B2", "C", 35)]
EX6 = [("A", "B", 50), ("B", "A", 50), ("P", "A", 50), ("Q", "B", 50)]
EX8 = [*EX1, ("A", "C", 45), ("B", "C", 50), ("P", "C", 5)]


def check_exact(view: GraphView, edges: list[tuple[str, str, int]]) -> None:
    nodes, raw, first = exact_integrated([(a, b, Fraction(s, 100)) for a, b, s in edges])
    for j, owned in enumerate(nodes):
        rows = by_other(ownership(view, owned, look_through=True))
        for i, owner in enumerate(nodes):
            if i == j or raw[i][j] == 0:
                assert owner not in rows
                continue
            r = rows[owner]
            assert abs(r.value / 100 - float(first[i][j])) < TOL  # type: ignore[operator]
            assert abs(r.raw / 100 - float(raw[i][j])) < TOL  # type: ignore[operator]
            assert r.share_min == pytest.approx(r.value, abs=1e-9)
            assert r.share_max == pytest.approx(r.value, abs=1e-9)


# -- worked examples ------------------------------------------------------------------------------
def test_ex1_pyramid(tmp_path: Path) -> None:
    view = build(tmp_path, EX1)
    rows = by_other(ownership(view, "B", look_through=True))
    assert abs(rows["P"].value - 52.0) < TOL * 100  # type: ignore[operator]
    assert rows["P"].share == "52" and rows["P"].depth == 1
    assert rows["A"].share == "70"
    assert all(
        r.measure == LOOK_THROUGH_MEASURE and r.kind == "shares" and r.source is None for r in rows.values()
    )
    assert LOOK_THROUGH_MEASURE == (
        "integrated (look-through) ownership — economic, not a legal status (OFAC FAQ 401)"
    )
    down = by_other(ownership(view, "P", direction="down", look_through=True), "down")
    assert down["B"].value == pytest.approx(52.0, abs=1e-9)
    assert down["A"].value == pytest.approx(60.0, abs=1e-9)
    assert down["B"].owner_id == "P" and down["B"].owned_id == "B"
    check_exact(view, EX1)


def test_ex2_eurostat(tmp_path: Path) -> None:
    view = build(tmp_path, EX2)
    rows = by_other(ownership(view, "C", look_through=True))
    assert abs(rows["A"].value / 100 - 0.48) < TOL  # type: ignore[operator]
    assert rows["A"].depth == 2 and rows["B1"].depth == 1
    check_exact(view, EX2)


def test_ex6_cross_holding(tmp_path: Path) -> None:
    view = build(tmp_path, EX6)
    up_b = by_other(ownership(view, "B", look_through=True))
    assert abs(up_b["A"].raw / 100 - 2 / 3) < TOL  # type: ignore[operator]
    assert abs(up_b["A"].value / 100 - 1 / 2) < TOL  # type: ignore[operator]
    assert abs(up_b["P"].value / 100 - 1 / 3) < TOL  # type: ignore[operator]
    up_a = by_other(ownership(view, "A", look_through=True))
    assert abs(up_a["P"].value / 100 - 2 / 3) < TOL  # type: ignore[operator]
    assert abs((up_a["P"].value + up_a["Q"].value) / 100 - 1) < TOL  # type: ignore[operator]
    down_a = by_other(ownership(view, "A", direction="down", look_through=True), "down")
    assert abs(down_a["B"].value / 100 - 1 / 2) < TOL  # type: ignore[operator]
    assert abs(down_a["B"].raw / 100 - 2 / 3) < TOL  # type: ignore[operator]
    check_exact(view, EX6)


def test_ex8_multi_path(tmp_path: Path) -> None:
    view = build(tmp_path, EX8)
    rows = by_other(ownership(view, "C", look_through=True))
    assert abs(rows["P"].value / 100 - 0.58) < TOL  # type: ignore[operator]
    check_exact(view, EX8)


# -- direct ---------------------------------------------------------------------------------------
def test_direct_rows_all_kinds_sorted_with_sources(tmp_path: Path) -> None:
    view = build(
        tmp_path,
        [("P", "A", 60), ("X", "A", "(25,50]"), ("Y", "A", ""), ("Z", "A", "", "board"), ("A", "B", 70)],
    )
    rows = ownership(view, "A")
    assert [(r.owner_id, r.share, r.kind, r.depth) for r in rows] == [
        ("P", "60", "shares", 1),
        ("X", "(25,50]", "shares", 1),
        ("Y", "unknown", "shares", 1),
        ("Z", "unknown", "board", 1),
    ]
    assert rows[0].source == "src0" and rows[0].measure == "direct" and rows[0].owner_name == "P Ltd"
    assert rows[1].share_min == 25.0 and rows[1].share_max == 50.0
    assert rows[2].share_min is None and rows[2].share_max is None
    # min_share filters on share_max; unknown shares stay
    assert [r.owner_id for r in ownership(view, "A", min_share=55)] == ["P", "Y", "Z"]
    down = ownership(view, "A", direction="down")
    assert [(r.owner_id, r.owned_id, r.share) for r in down] == [("A", "B", "70")]
    assert ownership(view, "A").to_frame().shape[0] == 4


def test_unknown_id(tmp_path: Path) -> None:
    view = build(tmp_path, EX1)
    with pytest.raises(NotFoundError):
        ownership(view, "nobody")
    with pytest.raises(NotFoundError):
        ownership(view, "nobody", look_through=True)
    with pytest.raises(InputError, match=r"direction.*sideways.*use up or down"):
        ownership(view, "A", direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"max_depth.*0"):
        ownership(view, "A", max_depth=0)


# -- look-through details -----------------------------------------------------------------------------
def test_only_share_edges_count(tmp_path: Path) -> None:
    view = build(tmp_path, [*EX1, ("Q", "B", 40, "votes"), ("Q", "A", 30, "control")])
    rows = by_other(ownership(view, "B", look_through=True))
    assert set(rows) == {"A", "P"}
    assert rows["P"].value == pytest.approx(52.0, abs=1e-9)


def test_unknown_share_excluded_from_value_but_bounded(tmp_path: Path) -> None:
    view = build(tmp_path, [("P", "A", ""), ("X", "A", 40), ("A", "B", 50)])
    rows = by_other(ownership(view, "B", look_through=True))
    p = rows["P"]
    assert p.value == 0.0 and p.share_min == 0.0
    assert p.share_max == pytest.approx(30.0, abs=1e-9)  # unknown ≤ 100% − 40% known, times 50%
    assert p.share == "[0,30]" and p.note is not None and "unknown" in p.note
    assert rows["X"].share == "20" and rows["X"].note is None
    assert rows["A"].share == "50"


def test_banded_shares_give_interval_and_midpoint(tmp_path: Path) -> None:
    view = build(tmp_path, [("P", "A", "(25,50]"), ("A", "B", 100)])
    p = by_other(ownership(view, "B", look_through=True))["P"]
    assert (p.share_min, p.value, p.share_max) == pytest.approx((25.0, 37.5, 50.0))
    assert p.share == "[25,50]"


def test_min_share_and_max_depth(tmp_path: Path) -> None:
    view = build(tmp_path, EX8)
    rows = ownership(view, "C", look_through=True, min_share=50)
    assert [r.owner_id for r in rows] == ["A", "P", "B"]  # A 45 + 70·50 = 80, P 58, B 50
    assert rows[0].value == pytest.approx(80.0, abs=1e-9)
    shallow = by_other(ownership(view, "C", look_through=True, max_depth=1))
    assert set(shallow) == {"A", "B", "P"}
    # stakes still count longer paths
    assert shallow["P"].value == pytest.approx(58.0, abs=1e-9)
    chain = build(tmp_path / "chain", [("A", "B", 50), ("B", "C", 50), ("C", "D", 50)])
    assert [r.owner_id for r in ownership(chain, "D", look_through=True, max_depth=2)] == ["C", "B"]


def test_ended_edge_is_not_used(tmp_path: Path) -> None:
    edges = [("P", "A", 60), ("A", "B", 70), ("P", "B", 10, "shares", "2020-01-01", "2023-01-01")]
    view = build(tmp_path, edges, as_of="2024-01-01")
    assert by_other(ownership(view, "B", look_through=True))["P"].value == pytest.approx(42.0, abs=1e-9)
    assert [r.owner_id for r in ownership(view, "B")] == ["A"]
    old = view.workspace.graph(as_of="2022-06-30")  # type: ignore[union-attr]
    assert by_other(ownership(old, "B", look_through=True))["P"].value == pytest.approx(52.0, abs=1e-9)


def test_closed_loop_is_a_data_error(tmp_path: Path) -> None:
    view = build(tmp_path, [("A", "B", 100), ("B", "A", 100), ("A", "C", 30), ("P", "C", 20)])
    with pytest.raises(ClosedLoopError, match="closed ownership loop: A, B"):
        ownership(view, "C", look_through=True)
    with pytest.raises(ClosedLoopError):
        ownership(view, "A", direction="down", look_through=True)
    assert len(ownership(view, "C")) == 2  # direct still answers
    assert by_other(ownership(view, "P", direction="down", look_through=True), "down")["C"].share == "20"


def test_closed_loop_off_the_known_walks_does_not_raise(tmp_path: Path) -> None:
    # the loop reaches C only through an unknown share: no point value flows, the bound is open
    view = build(tmp_path, [("A", "B", 100), ("B", "A", 100), ("A", "C", ""), ("P", "C", 20)])
    rows = by_other(ownership(view, "C", look_through=True))
    assert (rows["A"].value, rows["A"].share_min, rows["A"].share_max) == (0.0, 0.0, 100.0)
    assert rows["A"].raw == 0.0 and rows["B"].share_max == 100.0
    assert rows["P"].share == "20"


def test_unknown_share_cycle_leaves_upper_bound_unbounded(tmp_path: Path) -> None:
    view = build(tmp_path, [("A", "B", ""), ("B", "A", ""), ("A", "C", 30), ("P", "C", 20)])
    rows = by_other(ownership(view, "C", look_through=True))
    assert rows["A"].value == pytest.approx(30.0) and rows["A"].share_max == 100.0
    assert rows["B"].value == 0.0 and rows["B"].share_max == 100.0
    assert rows["B"].note is not None and "unbounded" in rows["B"].note
    assert rows["P"].share == "20"


def test_persons_conserve_ownership(tmp_path: Path) -> None:
    # §2.1.2 item 2: Σ persons T[p, j] + Σ companies leak_k D[k, j] = 1
    edges = [("P", "A", 50), ("Q", "A", 30), ("A", "B", 60), ("B", "A", 20), ("Q", "B", 40)]
    view = build(tmp_path, edges)
    rows = by_other(ownership(view, "B", look_through=True))
    persons = rows["P"].value + rows["Q"].value  # type: ignore[operator]
    assert persons == pytest.approx(100.0, abs=1e-9)  # no leakage left: A and B are fully owned


def test_bundled_case_study() -> None:
    import importlib.resources
    import tempfile

    ws = ownergraph.open(tempfile.mkdtemp())
    ws.load([importlib.resources.files("ownergraph.data") / "sensetime"])  # type: ignore[list-item]
    view = ws.graph(as_of="2024-01-01")
    rows = by_other(ownership(view, "shenzhen-sensetime", look_through=True))
    assert rows["sensetime-group-ltd"].share == "100"
    assert rows["qualcomm"].share_min == 0.0 and rows["qualcomm"].share_max == 100.0
    assert rows["qualcomm"].depth == 3


# -- the array-built view matches the workspace ---------------------------------------------------
def test_view_from_arrays_matches_workspace(tmp_path: Path) -> None:
    ws_view = build(tmp_path, EX8)
    ids = ws_view.ids()
    pos = {x: i for i, x in enumerate(ids)}
    arr = view_from_arrays(
        ids, [pos[a] for a, _, _ in EX8], [pos[b] for _, b, _ in EX8], [s * 10_000 for _, _, s in EX8]
    )
    for name in ("src", "dst", "lo", "hi", "flags", "kind", "out_ptr", "in_ptr", "in_edges"):
        assert np.array_equal(getattr(arr, name), getattr(ws_view, name)), name
    names = {"owner_name", "owned_name"}
    assert [r.model_dump(exclude=names) for r in ownership(arr, "C", look_through=True)] == [
        r.model_dump(exclude=names) for r in ownership(ws_view, "C", look_through=True)
    ]


# -- property tests against the networkx reference -------------------------------------------------
SHARE = st.one_of(
    st.integers(1, 20).map(lambda x: ("exact", x * 50_000, x * 50_000)),
    st.tuples(st.integers(0, 19), st.integers(1, 20))
    .filter(lambda t: t[0] < t[1])
    .map(lambda t: ("band", t[0] * 50_000, t[1] * 50_000)),
    st.just(("unknown", 0, 1_000_000)),
)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[GraphView, int]:
    n = draw(st.integers(2, 7))
    raw = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                SHARE,
                st.sampled_from(["shares"] * 5 + ["votes"]),
            ),
            min_size=1,
            max_size=14,
        )
    )
    edges = {(u, v, k): s for u, v, s, k in raw if u != v}
    items = list(edges.items())
    view = view_from_arrays(
        [f"n{i}" for i in range(n)],
        [u for (u, _, _), _ in items],
        [v for (_, v, _), _ in items],
        [s[1] for _, s in items],
        [s[2] for _, s in items],
        flags=[4 if s[0] == "unknown" else 0 for _, s in items],
        kinds=[k for (_, _, k), _ in items],
    )
    return view, draw(st.integers(0, n - 1))


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.sampled_from(["up", "down"]))
def test_matches_reference(case: tuple[GraphView, int], direction: Any) -> None:
    view, q = case
    listed = [
        (view.id(int(a)), view.id(int(b)), int(lo), int(hi), int(f), int(k))
        for a, b, lo, hi, f, k in zip(
            view.src, view.dst, view.lo, view.hi, view.flags, view.kind, strict=True
        )
    ]
    note(repr(listed))
    qid = view.id(q)
    try:
        ref = reference_lookthrough(view, qid, direction=direction)
    except ClosedLoopError:
        with pytest.raises(ClosedLoopError):
            ownership(view, qid, direction=direction, look_through=True)
        return
    rows = ownership(view, qid, direction=direction, look_through=True)
    got = {(r.owner_id if direction == "up" else r.owned_id): r for r in rows}
    ref = {k: v for k, v in ref.items() if v.share_max > 1e-9}
    got = {k: v for k, v in got.items() if (v.share_max or 0) > 1e-9}
    assert set(got) == set(ref)
    for key, want in ref.items():
        r = got[key]
        assert r.value == pytest.approx(want.value, abs=1e-7)
        assert r.share_min == pytest.approx(want.share_min, abs=1e-7)
        assert r.share_max == pytest.approx(want.share_max, abs=1e-7)
        assert (r.raw is None) == (want.raw is None)
        if want.raw is not None:
            assert r.raw == pytest.approx(want.raw, rel=1e-7, abs=1e-7)
        assert r.depth == want.depth
        assert r.share_min <= r.value and r.share_max <= 100.0  # type: ignore[operator]
        assert r.value <= r.share_max or (r.value > 100.0 and r.note is not None)  # type: ignore[operator]
    # direct rows are the view's edges into / out of q
    direct = ownership(view, qid, direction=direction)
    edges = view.in_of(q) if direction == "up" else view.out_of(q)
    assert len(direct) == len(edges)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(graphs())
def test_first_passage_of_persons_at_most_one(case: tuple[GraphView, int]) -> None:
    view, q = case
    try:
        rows = ownership(view, view.id(q), look_through=True)
    except ClosedLoopError:
        return
    has_owner = np.zeros(view.n, dtype=bool)
    has_owner[view.dst[view.kind == 0]] = True
    roots = [r for r in rows if not has_owner[view.index(r.owner_id)]]
    total_max_share = sum(r.value for r in roots)  # type: ignore[misc]
    # persons' exact stakes never double count: at most the known part of q (≤ 100% if columns ≤ 1)
    col = np.zeros(view.n)
    known = (view.kind == 0) & ((view.flags & 4) == 0)
    np.add.at(col, view.dst, np.where(known, (view.lo + view.hi) / 2e4, 0.0))
    if (col <= 100.0 + 1e-9).all():
        assert total_max_share <= 100.0 + 1e-7


def test_large_dates_arrays_view() -> None:
    view = view_from_arrays(
        ["P", "A", "B"],
        [0, 1, 0],
        [1, 2, 2],
        [600_000, 700_000, 100_000],
        end=[None, None, dt.date(2023, 1, 1)],
    )
    assert by_other(ownership(view, "B", look_through=True))["P"].value == pytest.approx(42.0)
