"""The in-memory view (SPEC §3): the graph as of a date, one edge per (owner, owned, kind),
designations and listings as of the date, and the networkx conversion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from ownergraph.errors import NotFoundError, OwnergraphError
from ownergraph.graph.view import GraphView, date_of, pair_order
from ownergraph.graph.workspace import Workspace

Bundle = Callable[..., Path]


@pytest.fixture
def dated(ws: Workspace, bundle: Bundle) -> Workspace:
    ws.load(
        [
            bundle(
                "dated",
                entities=[
                    {"id": "a", "name": "A", "jurisdiction": "US"},
                    {"id": "b", "name": "B", "kind": "fund"},
                    {"id": "c", "name": "C"},
                    {"id": "d", "name": "D"},
                ],
                ownership=[
                    {
                        "owner_id": "a",
                        "owned_id": "b",
                        "share": "60",
                        "start": "2020-01-01",
                        "end": "2020-12-31",
                        "source": "register",
                    },
                    {"owner_id": "b", "owned_id": "c", "share": "(25,50]", "start": "2019-06", "source": "s"},
                    {"owner_id": "c", "owned_id": "d", "share": "", "end": "2021", "source": "s"},
                ],
                designations=[
                    {"entity_id": "a", "regime": "ofac-sdn", "listed": "2021-12-10", "removed": "2023-01-01"},
                    {"entity_id": "c", "regime": "eu", "effective": "2022-03-15"},
                    {"entity_id": "d", "regime": "uk"},
                ],
                listings=[
                    {
                        "entity_id": "a",
                        "mic": "XHKG",
                        "ticker": "0020",
                        "listed": "2021-12-30",
                        "delisted": "2024-01-01",
                    },
                    {"entity_id": "b", "isin": "US0378331005"},
                ],
            )
        ]
    )
    return ws


def edges(view: GraphView) -> set[tuple[str, str]]:
    return {(view.id(int(s)), view.id(int(t))) for s, t in zip(view.src, view.dst, strict=True)}


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2019-05-31", {("c", "d")}),
        ("2019-06-01", {("b", "c"), ("c", "d")}),
        ("2019-12-31", {("b", "c"), ("c", "d")}),
        ("2020-01-01", {("a", "b"), ("b", "c"), ("c", "d")}),  # start inclusive
        ("2020-12-31", {("a", "b"), ("b", "c"), ("c", "d")}),  # end inclusive
        ("2021-01-01", {("b", "c"), ("c", "d")}),  # "2021" = 2021-01-01, inclusive
        ("2021-01-02", {("b", "c")}),
    ],
)
def test_edges_as_of_a_date(dated: Workspace, as_of: str, expected: set[tuple[str, str]]) -> None:
    view = dated.graph(as_of=as_of)
    assert view.as_of == dt.date.fromisoformat(as_of)
    assert edges(view) == expected
    assert view.m == len(expected)


def test_edge_details(dated: Workspace) -> None:
    view = dated.graph(as_of="2020-06-01")
    (e,) = view.out_of(view.index("a"))
    info = view.edge(int(e))
    assert (info.owner_id, info.owned_id, info.kind) == ("a", "b", "shares")
    assert str(info.share) == "60" and info.share.min_pct == 60.0
    assert (info.start, info.end) == (dt.date(2020, 1, 1), dt.date(2020, 12, 31))
    assert info.source == "register"
    assert info.file == str((dated.path.parent / "dated").resolve())
    assert info.locator == "ownership.csv:2"
    assert info.alternatives == 0
    assert info.cite() == f"register · {info.file} · ownership.csv:2"
    (e2,) = view.out_of(view.index("c"))
    info2 = view.edge(int(e2))
    assert str(info2.share) == "unknown" and info2.share.min_pct is None
    assert info2.start is None and info2.end == dt.date(2021, 1, 1)


def test_csr_both_ways_matches_the_edge_list(dated: Workspace) -> None:
    view = dated.graph(as_of="2020-06-01")
    for i in range(view.n):
        assert sorted(int(view.dst[e]) for e in view.out_of(i)) == sorted(
            int(t) for s, t in zip(view.src, view.dst, strict=True) if s == i
        )
        assert all(view.dst[e] == i for e in view.in_of(i))
        assert len(view.in_of(i)) == int(np.sum(view.dst == i))


def test_parallel_edges_from_two_sources_counted_once(ws: Workspace, bundle: Bundle) -> None:
    ws.load(
        [
            bundle(
                "registry-2019",
                entities=[{"id": "p", "name": "P"}, {"id": "q", "name": "Q"}],
                ownership=[
                    {
                        "owner_id": "p",
                        "owned_id": "q",
                        "share": "30",
                        "start": "2019-01-01",
                        "source": "registry 2019",
                    }
                ],
            ),
            bundle(
                "registry-2021",
                ownership=[
                    {
                        "owner_id": "p",
                        "owned_id": "q",
                        "share": "45",
                        "start": "2021-01-01",
                        "source": "registry 2021",
                    },
                    {
                        "owner_id": "p",
                        "owned_id": "q",
                        "share": ">50",
                        "kind": "votes",
                        "start": "2021-01-01",
                        "source": "registry 2021",
                    },
                ],
            ),
            bundle(
                "news-2020",  # loaded last but older: the latest start wins, not the latest load
                ownership=[
                    {
                        "owner_id": "p",
                        "owned_id": "q",
                        "share": "35",
                        "start": "2020-01-01",
                        "source": "news 2020",
                    }
                ],
            ),
        ]
    )
    late = ws.graph(as_of="2022-01-01")
    assert late.m == 2  # one shares edge and one votes edge; never summed
    by_kind = {late.edge_kind(e): late.edge(e) for e in range(late.m)}
    assert str(by_kind["shares"].share) == "45" and by_kind["shares"].source == "registry 2021"
    assert by_kind["shares"].alternatives == 2
    assert str(by_kind["votes"].share) == "(50,100]" and by_kind["votes"].alternatives == 0
    mid = ws.graph(as_of="2020-06-01")
    assert mid.m == 1
    assert (str(mid.edge(0).share), mid.edge(0).source, mid.edge(0).alternatives) == ("35", "news 2020", 1)
    early = ws.graph(as_of="2019-06-01")
    assert (early.m, str(early.share(0)), early.edge(0).alternatives) == (1, "30", 0)


def test_parallel_edges_with_the_same_start_keep_the_latest_record(ws: Workspace, bundle: Bundle) -> None:
    ws.load(
        [
            bundle(
                "one",
                entities=[{"id": "p", "name": "P"}, {"id": "q", "name": "Q"}],
                ownership=[{"owner_id": "p", "owned_id": "q", "share": "10", "source": "first"}],
            ),
            bundle("two", ownership=[{"owner_id": "p", "owned_id": "q", "share": "20", "source": "second"}]),
        ]
    )
    view = ws.graph()
    assert view.m == 1
    assert (str(view.share(0)), view.edge(0).source, view.edge(0).alternatives) == ("20", "second", 1)


def test_parallel_edges_through_merged_ids_count_once(ws: Workspace, bundle: Bundle) -> None:
    ws.load(
        [
            bundle(
                "one",
                entities=[{"id": "p", "name": "P"}, {"id": "q", "name": "Q", "identifiers": "ofac:7"}],
                ownership=[{"owner_id": "p", "owned_id": "q", "share": "10", "start": "2020"}],
            ),
            bundle(
                "two",
                entities=[{"id": "q-alias", "name": "Q", "identifiers": "ofac:7"}],
                ownership=[{"owner_id": "p", "owned_id": "q-alias", "share": "20", "start": "2021"}],
            ),
        ]
    )
    view = ws.graph(as_of="2022-01-01")
    assert (view.n, view.m) == (2, 1)
    assert (view.edge(0).owned_id, str(view.share(0)), view.edge(0).alternatives) == ("q", "20", 1)


@pytest.mark.parametrize(
    ("as_of", "sdn", "eu", "uk"),
    [
        ("2021-12-09", [], [], ["d"]),
        ("2021-12-10", ["a"], [], ["d"]),  # listed inclusive
        ("2022-03-14", ["a"], [], ["d"]),
        ("2022-03-15", ["a"], ["c"], ["d"]),  # effective used when listed is empty
        ("2022-12-31", ["a"], ["c"], ["d"]),
        ("2023-01-01", [], ["c"], ["d"]),  # removed exclusive
    ],
)
def test_designations_as_of_a_date(
    dated: Workspace, as_of: str, sdn: list[str], eu: list[str], uk: list[str]
) -> None:
    view = dated.graph(as_of=as_of)
    assert [view.id(i) for i in view.designated("ofac-sdn")] == sdn
    assert [view.id(i) for i in view.designated("eu")] == eu
    assert [view.id(i) for i in view.designated("uk")] == uk
    assert len(view.designated("bis-entity-list")) == 0
    active = view.designation_rows()
    assert sorted(r["entity_id"] for r in active) == sorted(sdn + eu + uk)


def test_designation_rows(dated: Workspace) -> None:
    view = dated.graph(as_of="2022-06-01")
    (row,) = view.designation_rows(view.index("a"))
    assert row["regime"] == "ofac-sdn" and row["entity_id"] == "a"
    assert (row["listed"], row["removed"], row["effective"]) == (
        dt.date(2021, 12, 10),
        dt.date(2023, 1, 1),
        None,
    )
    assert row["file"] == str((dated.path.parent / "dated").resolve())
    assert row["locator"] == "designations.csv:2"
    assert view.designation_rows(regime="eu")[0]["entity_id"] == "c"
    later = dated.graph(as_of="2023-06-01")
    assert later.designation_rows(later.index("a")) == []
    assert len(later.designation_rows(later.index("a"), active_only=False)) == 1


@pytest.mark.parametrize(
    ("as_of", "listed"),
    [("2021-12-29", ["b"]), ("2021-12-30", ["a", "b"]), ("2023-12-31", ["a", "b"]), ("2024-01-01", ["b"])],
)
def test_listings_active(dated: Workspace, as_of: str, listed: list[str]) -> None:
    view = dated.graph(as_of=as_of)
    assert sorted(view.id(i) for i in view.listed_nodes()) == listed
    assert sorted(r["entity_id"] for r in view.listing_rows()) == listed
    assert len(view.listing_rows(active_only=False)) == 2


def test_listing_rows(dated: Workspace) -> None:
    view = dated.graph(as_of="2022-01-07")
    (row,) = view.listing_rows(view.index("a"))
    assert (row["mic"], row["ticker"], row["isin"]) == ("XHKG", "0020", None)
    assert (row["listed"], row["delisted"]) == (dt.date(2021, 12, 30), dt.date(2024, 1, 1))
    (row_b,) = view.listing_rows(view.index("b"))
    assert (row_b["mic"], row_b["isin"], row_b["listed"]) == (None, "US0378331005", None)


def test_index_and_lookups(dated: Workspace) -> None:
    view = dated.graph()
    i = view.index(" b ")
    assert (view.id(i), view.name(i), view.kind_of(i), view.jurisdiction(i)) == ("b", "B", "fund", None)
    assert view.jurisdiction(view.index("a")) == "US"
    assert view.ids() == ["a", "b", "c", "d"]
    assert view.indices(["d", "nope", "a"]).tolist() == [3, -1, 0]
    assert view.indices([]).tolist() == []
    with pytest.raises(NotFoundError, match="ownergraph search") as info:
        view.index("nope")
    assert isinstance(info.value, KeyError) and isinstance(info.value, OwnergraphError)
    assert str(info.value).startswith("no entity answers to 'nope'")
    assert view.all_keys(i) == ["b"]


def test_date_of() -> None:
    assert date_of(0) == dt.date(1970, 1, 1)
    assert date_of(19_000) == dt.date(2022, 1, 8)
    assert date_of(-(2**31)) is None and date_of(2**31 - 1) is None


def test_to_networkx(dated: Workspace) -> None:
    view = dated.graph(as_of="2022-06-01")
    g = view.to_networkx()
    assert isinstance(g, nx.MultiDiGraph)
    assert g.graph["as_of"] == "2022-06-01"
    assert sorted(g.nodes) == ["a", "b", "c", "d"]
    assert g.nodes["a"] == {
        "name": "A",
        "kind": "company",
        "jurisdiction": "US",
        "designations": ["ofac-sdn"],
        "listings": ["XHKG:0020"],
    }
    assert g.nodes["b"]["listings"] == ["?:US0378331005"] and g.nodes["b"]["kind"] == "fund"
    assert g.nodes["c"]["designations"] == ["eu"]
    assert sorted(g.edges()) == [("b", "c")]
    ((_, _, data),) = g.edges(data=True)
    assert data == {
        "share": "(25,50]",
        "share_min": 25.0,
        "share_max": 50.0,
        "kind": "shares",
        "arrangement": None,
        "source": "s",
        "start": "2019-06-01",
        "end": None,
    }


def test_to_networkx_subgraph(dated: Workspace) -> None:
    view = dated.graph(as_of="2020-06-01")
    a, b, c = (view.index(x) for x in "abc")
    sub = view.to_networkx([a, b, b])
    assert sorted(sub.nodes) == ["a", "b"]
    assert list(sub.edges()) == [("a", "b")]
    assert sub.edges["a", "b", 0]["share"] == "60"
    assert sorted(view.to_networkx([a, c]).nodes) == ["a", "c"]
    assert list(view.to_networkx([a, c]).edges()) == []
    assert view.to_networkx([]).number_of_nodes() == 0
    full = view.to_networkx()
    assert full.number_of_edges() == view.m == 3


def test_to_networkx_of_parallel_kinds(ws: Workspace, bundle: Bundle) -> None:
    ws.load(
        [
            bundle(
                "kinds",
                entities=[{"id": "p", "name": "P"}, {"id": "q", "name": "Q"}],
                ownership=[
                    {"owner_id": "p", "owned_id": "q", "share": "40", "kind": "shares"},
                    {"owner_id": "p", "owned_id": "q", "share": "", "kind": "board"},
                ],
            )
        ]
    )
    g = ws.graph().to_networkx()
    assert g.number_of_edges("p", "q") == 2
    assert sorted(d["kind"] for _, _, d in g.edges(data=True)) == ["board", "shares"]


def test_empty_view(ws: Workspace) -> None:
    view = ws.graph()
    assert (view.n, view.m) == (0, 0)
    assert len(view.designated("eu")) == 0 and len(view.listed_nodes()) == 0
    assert view.to_networkx().number_of_nodes() == 0


# -- the backend primitives (the Neo4j engine runs the same ones on the server) --------------------


def test_canonical_rank_orders_nodes_by_id(ws: Workspace, bundle: Bundle) -> None:
    from ownergraph.graph.backend import canonical_rank

    ws.load([bundle("r", entities=[{"id": x, "name": x.upper()} for x in ("m", "b", "z", "a")])])
    view = ws.graph()
    rank = canonical_rank(view)
    assert sorted(range(view.n), key=lambda i: int(rank[i])) == sorted(range(view.n), key=view.id)
    assert canonical_rank(view) is rank  # built once per view


def test_memory_primitives(dated: Workspace) -> None:
    from ownergraph.graph.backend import FixpointRule
    from ownergraph.graph.model import OWNERSHIP_KINDS

    view = dated.graph(as_of="2020-06-01")
    assert view.around([0]) is view and view.cone(0, "up", frozenset({0})) is view
    a, b, c, d = (view.index(x) for x in "abcd")
    steps = view.steps(None, directed=True)
    nb, par = steps.forward(np.array([a, b], dtype=np.int64))
    assert sorted(zip(par.tolist(), nb.tolist(), strict=True)) == [(a, b), (b, c)]
    nb, par = view.steps(None, directed=False).backward(np.array([b], dtype=np.int64))
    assert sorted(nb.tolist()) == sorted([a, c]) and set(par.tolist()) == {b}
    shares = tuple(1 if k == "shares" else 0 for k in OWNERSHIP_KINDS)
    rule = FixpointRule(shares, 500_000, True, 1_000_001, False, False)
    # a holds 60% of b: b joins in round 1; b's (25,50] of c reaches 50% only possibly, and
    # c's unknown share of d up to 100%
    assert view.fixpoints([[a]], False, rule) == [{a: 0, b: 1}]
    assert view.fixpoints([[a]], True, rule) == [{a: 0, b: 1, c: 2, d: 3}]
    assert rule.meets(500_000, True, False, upper=False) and not rule.meets(500_000, True, False, upper=True)
    # many units at once (the UK's one chain per designated person): each its own fixpoint
    units = [[a], [c], [b, d]]
    for upper in (False, True):
        assert view.fixpoints(units, upper, rule) == [view.fixpoints([u], upper, rule)[0] for u in units]
    assert view.fixpoints([[c]], False, rule) == [{c: 0}] and view.fixpoints([], True, rule) == []
    # nodes handed to ``around`` are not even read by an engine that holds every edge
    assert view.around(iter(lambda: 1 / 0, None)) is view


def test_indices_scan_and_hash_index_agree(dated: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """A few keys are found by a scan of the key column, without the hash index of every key;
    many keys (or any once :meth:`GraphView.index` was asked often) through that index: the same
    answers either way, repeated and unknown keys included."""
    import ownergraph.graph.view as view_module

    keys = ["d", "nope", "a", "d", "", "c"]
    view = dated.graph()
    scanned = view.indices(keys).tolist()
    assert view._key_index is None
    monkeypatch.setattr(view_module, "SCAN_MAX", 2)
    fresh = dated.graph()
    hashed = fresh.indices(keys).tolist()
    assert fresh._key_index is not None
    assert scanned == hashed == [3, -1, 0, 3, -1, 2]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(hst.lists(hst.tuples(*(hst.integers(0, 4),) * 2, hst.integers(0, 2), hst.integers(0, 3)), max_size=60))
def test_pair_order_is_the_full_lexsort(rows: list[tuple[int, int, int, int]]) -> None:
    """Sorting only the runs of repeated (src, dst) pairs gives the whole-array lexsort."""
    rows.sort(key=lambda r: (r[0], r[1]))  # the cache's order; the rest of each row is arbitrary
    src, dst, kind, start = (np.array([r[i] for r in rows], dtype=np.int64) for i in range(4))
    seq = np.arange(len(rows))[::-1].copy()  # records not in file order within a pair
    want = np.lexsort((seq, start, kind, dst, src))
    assert pair_order(src, dst, kind, start, seq).tolist() == want.tolist()
