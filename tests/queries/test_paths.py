"""paths(): k shortest ownership/control paths, undirected by default, with hop directions.

Example graphs go through a real workspace; property tests compare path lengths with
networkx.shortest_simple_paths on random small graphs (with cycles and parallel edges) and check
that every returned path is a loopless walk over real edges in the allowed directions.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ownergraph
from ownergraph.errors import InputError, NotFoundError
from ownergraph.graph.model import OWNERSHIP_KINDS
from ownergraph.graph.view import GraphView
from ownergraph.queries.paths import PathRow, paths
from ownergraph.queries.reference_paths import reference_paths, view_from_arrays

FIELDS = ["owner_id", "owned_id", "share", "kind", "arrangement", "start", "end", "source"]


def build(tmp_path: Path, edges: list[tuple[Any, ...]], as_of: str = "2024-01-01") -> GraphView:
    """A view through the real workspace: edges are (owner, owned[, share[, kind[, start, end]]])."""
    bundle = tmp_path / "bundle"
    bundle.mkdir(parents=True)
    ids = sorted({x for e in edges for x in e[:2]})
    with open(bundle / "entities.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name"])
        w.writerows([i, i] for i in ids)
    with open(bundle / "ownership.csv", "w", newline="") as f:
        dw = csv.DictWriter(f, FIELDS)
        dw.writeheader()
        for e in edges:
            row = {
                "owner_id": e[0],
                "owned_id": e[1],
                "share": e[2] if len(e) > 2 else 100,
                "kind": e[3] if len(e) > 3 else "shares",
                "source": f"{e[0]}->{e[1]}",
            }
            if len(e) > 4:
                row["start"], row["end"] = e[4], e[5]
            dw.writerow(row)
    ws = ownergraph.open(tmp_path / "ws")
    ws.load([bundle])
    return ws.graph(as_of=as_of)


def hops(row: PathRow) -> list[tuple[str, str, str, str]]:
    return [(e.owner_id, e.owned_id, e.direction, e.kind) for e in row.edges]


def test_siblings_meet_at_common_parent(tmp_path: Path) -> None:
    view = build(tmp_path, [("P", "A", 60), ("P", "B", "(25,50]")])
    [row] = paths(view, "A", "B")
    assert row.path == ["A", "P", "B"] and row.length == 2 and row.rank == 1
    assert hops(row) == [("P", "A", "up", "shares"), ("P", "B", "down", "shares")]
    assert row.edges[0].share == "60" and row.edges[1].share == "(25,50]"
    assert row.edges[1].share_min == 25.0 and row.edges[1].share_max == 50.0
    assert row.edges[0].source == "P->A"
    assert paths(view, "A", "B", directed=True) == []
    dumped = row.model_dump(mode="json")
    assert dumped["edges"][0] == {
        "owner_id": "P",
        "owned_id": "A",
        "direction": "up",
        "kind": "shares",
        "share_min": 60.0,
        "share_max": 60.0,
        "share": "60",
        "source": "P->A",
    }


def test_directed_follows_owner_to_owned(tmp_path: Path) -> None:
    view = build(tmp_path, [("P", "A"), ("A", "B"), ("B", "C"), ("P", "C", "")])
    [row] = paths(view, "P", "C", directed=True)
    assert row.path == ["P", "C"] and row.edges[0].share == "unknown" and row.edges[0].share_min is None
    rows = paths(view, "P", "C", directed=True, k=3)
    assert [r.path for r in rows] == [["P", "C"], ["P", "A", "B", "C"]]
    assert all(e.direction == "down" for r in rows for e in r.edges)
    assert paths(view, "C", "P", directed=True) == []
    assert [r.path for r in paths(view, "C", "P")] == [["C", "P"]]
    assert paths(view, "C", "P")[0].edges[0].direction == "up"


def test_k_shortest_ordering_and_ranks(tmp_path: Path) -> None:
    #   S - A - T (2), S - B - C - T and S - D - E - T (3), S - F - G - H - T (4)
    edges = [
        ("S", "A"),
        ("A", "T"),
        ("S", "B"),
        ("B", "C"),
        ("C", "T"),
        ("D", "S"),
        ("D", "E"),
        ("T", "E"),
        ("S", "F"),
        ("F", "G"),
        ("G", "H"),
        ("H", "T"),
    ]
    view = build(tmp_path, edges)
    rows = paths(view, "S", "T", k=10)
    assert [r.length for r in rows] == [2, 3, 3, 4]
    assert [r.rank for r in rows] == [1, 2, 3, 4]
    assert rows[0].path == ["S", "A", "T"]
    assert {tuple(r.path) for r in rows[1:3]} == {("S", "B", "C", "T"), ("S", "D", "E", "T")}
    assert len({tuple(r.path) for r in rows}) == 4
    d_row = next(r for r in rows if r.path[1] == "D")
    assert [e.direction for e in d_row.edges] == ["up", "down", "up"]
    assert [r.length for r in paths(view, "S", "T", k=2)] == [2, 3]
    assert [r.length for r in paths(view, "S", "T", k=10, max_depth=3)] == [2, 3, 3]
    assert paths(view, "S", "T", max_depth=1) == []


def test_ended_edge_is_not_used(tmp_path: Path) -> None:
    edges = [("A", "B"), ("B", "C"), ("C", "D"), ("A", "D", 50, "shares", "2019-01-01", "2022-12-31")]
    view = build(tmp_path, edges, as_of="2024-01-01")
    assert paths(view, "A", "D")[0].path == ["A", "B", "C", "D"]
    old = view.workspace.graph(as_of="2020-06-01")  # type: ignore[union-attr]
    assert paths(old, "A", "D")[0].path == ["A", "D"]


def test_kinds_filter_and_parallel_edges(tmp_path: Path) -> None:
    view = build(tmp_path, [("A", "B", 40), ("B", "C", 30), ("A", "C", "", "board"), ("A", "B", 60, "votes")])
    assert paths(view, "A", "C")[0].path == ["A", "C"]
    assert hops(paths(view, "A", "C")[0]) == [("A", "C", "down", "board")]
    only = paths(view, "A", "C", kinds=["shares"])
    assert only[0].path == ["A", "B", "C"]
    # the shares edge is shown where shares and votes join the same pair
    assert hops(paths(view, "A", "B")[0]) == [("A", "B", "down", "shares")]
    assert hops(paths(view, "A", "B", kinds=["votes"])[0]) == [("A", "B", "down", "votes")]
    assert paths(view, "A", "C", kinds=["votes"]) == []
    assert paths(view, "A", "C", kinds=list(OWNERSHIP_KINDS))[0].length == 1
    with pytest.raises(InputError, match="unknown edge kind"):
        paths(view, "A", "C", kinds=["friendship"])


def test_same_entity_unknown_ids_and_arguments(tmp_path: Path) -> None:
    view = build(tmp_path, [("A", "B")])
    [row] = paths(view, "A", "A", k=3)
    assert row.path == ["A"] and row.length == 0 and row.edges == []
    with pytest.raises(NotFoundError):
        paths(view, "A", "nobody")
    with pytest.raises(NotFoundError):
        paths(view, "nobody", "A")
    with pytest.raises(InputError, match=r"k.*0.*pass 1 or more"):
        paths(view, "A", "B", k=0)
    with pytest.raises(InputError, match=r"max_depth.*-1"):
        paths(view, "A", "B", max_depth=-1)


def test_mutual_holding_both_directions(tmp_path: Path) -> None:
    view = build(tmp_path, [("A", "B", 50), ("B", "A", 30)])
    [row] = paths(view, "A", "B")
    assert hops(row) == [("A", "B", "down", "shares")]  # down before up between the same pair
    [back] = paths(view, "B", "A", directed=True)
    assert hops(back) == [("B", "A", "down", "shares")]


def test_bundled_case_study() -> None:
    import importlib.resources
    import tempfile

    ws = ownergraph.open(tempfile.mkdtemp())
    ws.load([importlib.resources.files("ownergraph.data") / "sensetime"])  # type: ignore[list-item]
    view = ws.graph(as_of="2024-01-01")
    row = paths(view, "sensetime-group-inc", "shenzhen-sensetime", directed=True)[0]
    assert row.path == ["sensetime-group-inc", "sensetime-group-ltd", "shenzhen-sensetime"]
    assert all(e.source for e in row.edges)


# -- property tests -----------------------------------------------------------------------------------
@st.composite
def cases(draw: st.DrawFn) -> tuple[GraphView, int, int]:
    n = draw(st.integers(2, 9))
    raw = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from(["shares", "shares", "board"])
            ),
            max_size=22,
        )
    )
    edges = sorted({e for e in raw if e[0] != e[1]})
    view = view_from_arrays(
        [f"n{i}" for i in range(n)],
        [u for u, _, _ in edges],
        [v for _, v, _ in edges],
        [500_000] * len(edges),
        kinds=[k for _, _, k in edges],
    )
    return view, draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))


@settings(max_examples=150, derandomize=True, deadline=None)
@given(
    cases(),
    st.integers(1, 5),
    st.booleans(),
    st.integers(1, 7),
    st.sampled_from([None, ("shares",), ("shares", "board")]),
)
def test_matches_reference(
    case: tuple[GraphView, int, int], k: int, directed: bool, max_depth: int, kinds: tuple[str, ...] | None
) -> None:
    view, a, b = case
    ida, idb = view.id(a), view.id(b)
    rows = paths(view, ida, idb, k=k, directed=directed, max_depth=max_depth, kinds=kinds)
    want = reference_paths(view, ida, idb, k=k, directed=directed, max_depth=max_depth, kinds=kinds)
    assert [r.path for r in rows] == want  # the same paths, ties by their sequence of ids
    assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
    assert len({tuple(r.path) for r in rows}) == len(rows)
    allowed = set(kinds) if kinds else set(OWNERSHIP_KINDS)
    pairs = {
        (view.id(int(s)), view.id(int(t)), OWNERSHIP_KINDS[int(c)])
        for s, t, c in zip(view.src, view.dst, view.kind, strict=True)
    }
    for r in rows:
        assert r.path[0] == ida and r.path[-1] == idb
        assert len(set(r.path)) == len(r.path) == r.length + 1 <= max_depth + 1
        for (u, v), e in zip(zip(r.path, r.path[1:], strict=False), r.edges, strict=True):
            assert e.kind in allowed and (e.owner_id, e.owned_id, e.kind) in pairs
            if e.direction == "down":
                assert (e.owner_id, e.owned_id) == (u, v)
            else:
                assert not directed and (e.owner_id, e.owned_id) == (v, u)
