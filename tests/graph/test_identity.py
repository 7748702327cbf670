"""Identity (SPEC §4): merge only on a shared strong identifier or an explicit same-as record;
the canonical id is the first the workspace saw; every id answers; never merge on a name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ownergraph.errors import NotFoundError
from ownergraph.graph.workspace import Workspace
from ownergraph.queries.lookup import search, show

LEI = "529900T8BM49AURSDO55"
STRONG = [
    ("lei", LEI),
    ("registration", "HK:2162198"),
    ("isin", "KYG8008V1061"),  # a valid check digit: the model rejects bad ISINs
    ("ofac", "33114"),
    ("opensanctions", "NK-abc123"),
    ("wikidata", "Q56433045"),
]


@pytest.mark.parametrize(("scheme", "value"), STRONG)
def test_merge_on_each_strong_identifier_across_bundles(
    ws: Workspace, bundle: Callable[..., Path], scheme: str, value: str
) -> None:
    b1 = bundle(
        "first",
        entities=[
            {"id": "acme-1", "name": "Acme Holdings", "identifiers": f"{scheme}:{value}"},
            {"id": "parent", "name": "Parent"},
        ],
        ownership=[{"owner_id": "parent", "owned_id": "acme-1", "share": "60"}],
    )
    b2 = bundle(
        "second",
        entities=[
            {"id": "acme-2", "name": "ACME HOLDINGS LTD", "identifiers": f"{scheme}:{value}"},
            {"id": "sub", "name": "Sub"},
        ],
        ownership=[{"owner_id": "acme-2", "owned_id": "sub", "share": "100"}],
    )
    ws.load([b1])
    (report,) = ws.load([b2])
    assert report.merged == 1
    view = ws.graph()
    assert view.n == 3  # acme (merged), parent, sub
    i = view.index("acme-1")
    assert view.index("acme-2") == view.index(f"{scheme}:{value}") == i
    assert view.id(i) == "acme-1"  # canonical = first seen
    assert view.name(i) == "Acme Holdings"
    # edges from both sources meet at the merged node, under the canonical id
    assert [view.edge(e).owner_id for e in view.in_of(i)] == ["parent"]
    assert [view.edge(e).owned_id for e in view.out_of(i)] == ["sub"]
    assert view.edge(int(view.out_of(i)[0])).owner_id == "acme-1"
    detail = show(view, "acme-2")
    assert detail.id == "acme-1"
    assert detail.ids[0] == "acme-1"
    assert set(detail.ids) == {"acme-1", "acme-2", f"{scheme}:{value}"}
    assert detail.identifiers == {scheme: [value]}
    assert {r["id"] for r in detail.records} == {"acme-1", "acme-2"}
    assert "ACME HOLDINGS LTD" in detail.aliases


def test_canonical_id_is_first_seen_whatever_the_order(tmp_path: Path, bundle: Callable[..., Path]) -> None:
    import ownergraph

    a = bundle("a", entities=[{"id": "a-id", "name": "A", "identifiers": f"lei:{LEI}"}])
    b = bundle("b", entities=[{"id": "b-id", "name": "B", "identifiers": f"lei:{LEI}"}])
    for order, canonical in (([a, b], "a-id"), ([b, a], "b-id")):
        with ownergraph.open(tmp_path / f"ws-{canonical}") as w:
            w.load(order)
            view = w.graph()
            assert view.n == 1
            assert view.id(view.index(f"lei:{LEI}")) == canonical
            assert view.index("a-id") == view.index("b-id") == 0


def test_never_merge_on_name(ws: Workspace, bundle: Callable[..., Path]) -> None:
    ws.load(
        [
            bundle("one", entities=[{"id": "st-inc", "name": "SenseTime Group", "jurisdiction": "KY"}]),
            bundle(
                "two",
                entities=[
                    {"id": "st-ltd", "name": "SenseTime Group", "jurisdiction": "HK"},
                    {"id": "st-ltd-2", "name": "SenseTime Group", "jurisdiction": "HK"},
                ],
            ),
        ]
    )
    view = ws.graph()
    assert view.n == 3
    assert len({view.index(x) for x in ("st-inc", "st-ltd", "st-ltd-2")}) == 3
    assert sorted(r.id for r in search(view, "SenseTime Group")) == ["st-inc", "st-ltd", "st-ltd-2"]
    with pytest.raises(NotFoundError):
        view.index("SenseTime Group")


@pytest.mark.parametrize("ident", ["cik:0001834908", "cusip:G8008V106"])
def test_cik_and_cusip_alone_do_not_merge(ws: Workspace, bundle: Callable[..., Path], ident: str) -> None:
    ws.load(
        [
            bundle("one", entities=[{"id": "x1", "name": "X", "identifiers": ident}]),
            bundle("two", entities=[{"id": "x2", "name": "X", "identifiers": ident}]),
        ]
    )
    view = ws.graph()
    assert view.n == 2 and view.index("x1") != view.index("x2")
    with pytest.raises(NotFoundError):
        view.index(ident)
    assert show(view, "x1").identifiers == {ident.split(":")[0]: [ident.split(":", 1)[1]]}


def test_sameas_file_merges(ws: Workspace, bundle: Callable[..., Path]) -> None:
    ws.load([bundle("one", entities=[{"id": "p", "name": "P"}, {"id": "q", "name": "Q"}])])
    assert ws.graph().n == 2
    ws.load([bundle("two", sameas=[{"id_a": "q", "id_b": "p", "source": "analyst"}])])
    view = ws.graph()
    assert view.n == 1
    assert view.id(view.index("q")) == "p"  # p was seen first
    assert set(show(view, "q").ids) == {"p", "q"}


def test_sameas_in_the_same_bundle(ws: Workspace, bundle: Callable[..., Path]) -> None:
    ws.load(
        [
            bundle(
                "one",
                entities=[{"id": "p", "name": "P"}, {"id": "q", "name": "Q"}, {"id": "r", "name": "R"}],
                sameas=[{"id_a": "p", "id_b": "q"}],
            )
        ]
    )
    view = ws.graph()
    assert view.n == 2 and view.index("p") == view.index("q") != view.index("r")


def test_sameas_api_merges_and_undo_splits(ws: Workspace, bundle: Callable[..., Path]) -> None:
    ws.load(
        [
            bundle(
                "one",
                entities=[
                    {"id": "dod-st", "name": "SenseTime Group, Inc."},
                    {"id": "st-inc", "name": "SenseTime Group Inc."},
                    {"id": "investor", "name": "Investor"},
                ],
                ownership=[{"owner_id": "investor", "owned_id": "st-inc", "share": "5"}],
            )
        ]
    )
    assert ws.graph().n == 3
    gen = ws.store.generation()
    assert ws.sameas("st-inc", "dod-st", who="tester", source="review") == 1
    assert ws.store.generation() == gen + 1
    view = ws.graph()
    assert view.n == 2
    i = view.index("st-inc")
    assert view.index("dod-st") == i and view.id(i) == "dod-st"
    assert [view.edge(e).owner_id for e in view.in_of(i)] == ["investor"]
    (rec,) = [d for _l, _loc, _s, d in ws.store.iter_other("sameas")]
    assert (rec["who"], rec["source"]) == ("tester", "review") and rec["at"]
    # the same-as is a load of its own, kept in the history
    assert [ld["format"] for ld in ws.store.loads()][-1] == "sameas"

    assert ws.sameas("dod-st", "st-inc", undo=True) == 1
    view = ws.graph()
    assert view.n == 3
    assert view.index("st-inc") != view.index("dod-st")
    assert view.id(view.index("st-inc")) == "st-inc"
    # history is kept: the record is marked undone, not deleted
    assert list(ws.store.iter_other("sameas")) == []
    assert len(list(ws.store.iter_other("sameas", include_undone=True))) == 1
    # undoing again changes nothing
    assert ws.sameas("dod-st", "st-inc", undo=True) == 0


def test_sameas_api_rejects_unknown_ids(ws: Workspace, bundle: Callable[..., Path]) -> None:
    ws.load([bundle("one", entities=[{"id": "p", "name": "P"}])])
    gen = ws.store.generation()
    with pytest.raises(NotFoundError, match="nope"):
        ws.sameas("p", "nope")
    assert ws.store.generation() == gen


def test_sameas_survives_reopen(tmp_path: Path, bundle: Callable[..., Path]) -> None:
    import ownergraph

    b = bundle("one", entities=[{"id": "p", "name": "P"}, {"id": "q", "name": "Q"}])
    with ownergraph.open(tmp_path / "w") as w:
        w.load([b])
        w.sameas("p", "q")
    with ownergraph.open(tmp_path / "w") as w:
        assert w.graph().n == 1


def test_a_record_bridging_two_entities_merges_all_three(ws: Workspace, bundle: Callable[..., Path]) -> None:
    ws.load(
        [
            bundle(
                "one",
                entities=[
                    {"id": "gleif-a", "name": "A (GLEIF)", "identifiers": f"lei:{LEI}"},
                    {"id": "reg-b", "name": "B (registry)", "identifiers": "registration:HK:2162198"},
                    {"id": "other", "name": "Other"},
                ],
            )
        ]
    )
    assert ws.graph().n == 3
    ws.load(
        [
            bundle(
                "bridge",
                entities=[
                    {
                        "id": "bridge-c",
                        "name": "C",
                        "identifiers": f"lei:{LEI};registration:hk:2162198",
                    }
                ],
            )
        ]
    )
    view = ws.graph()
    assert view.n == 2
    i = view.index("gleif-a")
    assert view.index("reg-b") == view.index("bridge-c") == i
    assert view.id(i) == "gleif-a"
    assert set(show(view, "reg-b").ids) == {
        "gleif-a",
        "reg-b",
        "bridge-c",
        f"lei:{LEI}",
        "registration:HK:2162198",
    }
    assert ws.cache_meta()["merged_entities"] == 1


def test_transitive_merge_through_sameas_and_identifier(ws: Workspace, bundle: Callable[..., Path]) -> None:
    ws.load(
        [
            bundle(
                "one",
                entities=[
                    {"id": "a", "name": "A", "identifiers": "wikidata:Q1"},
                    {"id": "b", "name": "B"},
                    {"id": "c", "name": "C", "identifiers": "wikidata:q1"},
                ],
                sameas=[{"id_a": "b", "id_b": "wikidata:Q1"}],
            )
        ]
    )
    view = ws.graph()
    assert view.n == 1 and view.id(0) == "a"


def test_an_edge_inside_a_merged_entity_is_dropped(ws: Workspace, bundle: Callable[..., Path]) -> None:
    ws.load(
        [
            bundle(
                "one",
                entities=[
                    {"id": "a", "name": "A", "identifiers": f"lei:{LEI}"},
                    {"id": "b", "name": "B", "identifiers": f"lei:{LEI}"},
                ],
                ownership=[{"owner_id": "a", "owned_id": "b", "share": "100"}],
            )
        ]
    )
    view = ws.graph()
    assert (view.n, view.m) == (1, 0)
    assert ws.cache_meta()["self_loops_after_merge"] == 1


def test_merged_entity_takes_missing_attributes(ws: Workspace, bundle: Callable[..., Path]) -> None:
    ws.load(
        [
            bundle("one", entities=[{"id": "a", "name": "A", "kind": "unknown", "identifiers": "ofac:1"}]),
            bundle(
                "two",
                entities=[
                    {"id": "b", "name": "B", "kind": "fund", "jurisdiction": "KY", "identifiers": "ofac:1"}
                ],
            ),
        ]
    )
    view = ws.graph()
    assert (view.id(0), view.name(0), view.kind_of(0), view.jurisdiction(0)) == ("a", "A", "fund", "KY")
