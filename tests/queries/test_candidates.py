"""Review candidates: name matches proposed, never merged; accepting one with ``sameas`` merges."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import ownergraph.queries.candidates as cand
from ownergraph.cli import cli
from ownergraph.graph.workspace import Workspace
from ownergraph.queries.candidates import CandidateRow, candidates, normalize_name

DOD = Path(str(resources.files("ownergraph.data").joinpath("dod1260h", "dod_1260h.csv")))
OFAC_CONS = Path(str(resources.files("ownergraph.data").joinpath("ofac_cons", "cons_prim.csv")))
DOD_ST = "dod1260h:sensetime-group-inc"
ST_INC = "sensetime-group-inc"
ST_LTD = "sensetime-group-ltd"


def pair(rows: list[CandidateRow], a: str, b: str) -> CandidateRow | None:
    return next((r for r in rows if {r.a, r.b} == {a, b}), None)


@pytest.fixture
def case(sensetime_ws: Workspace) -> Workspace:
    (r,) = sensetime_ws.load([DOD], format="dod1260h")
    assert r.rejected == 0
    return sensetime_ws


def test_sensetime_dod_name_is_a_candidate_not_a_merge(case: Workspace) -> None:
    view = case.graph()
    assert view.index(DOD_ST) != view.index(ST_INC)  # a name never merges by itself
    rows = candidates(view)
    hit = pair(rows, DOD_ST, ST_INC)
    assert hit is not None and hit.kind == "entity" and hit.score >= 85
    assert {hit.a_name, hit.b_name} == {"SenseTime Group, Inc.", "SenseTime Group Inc."}
    assert hit.reason.startswith("names 100% alike after removing legal forms")
    assert "KY" in hit.reason
    # the listed Cayman parent and the designated HK company share a name but not a legal form or a
    # jurisdiction: not a candidate at the default threshold
    assert pair(rows, ST_INC, ST_LTD) is None
    low = pair(candidates(view, min_score=0, limit=100_000), ST_INC, ST_LTD)
    assert low is not None and "legal forms differ" in low.reason and "KY vs HK" in low.reason
    # the DoD name resembles the HK "Limited" too, but less
    ltd = pair(rows, DOD_ST, ST_LTD)
    assert ltd is None or ltd.score < hit.score


def test_accepting_merges_and_undo_splits(case: Workspace) -> None:
    assert pair(candidates(case.graph()), DOD_ST, ST_INC) is not None
    assert case.sameas(DOD_ST, ST_INC, source="SenseTime annual report: the listed parent") == 1
    view = case.graph()
    assert view.index(DOD_ST) == view.index(ST_INC)
    # merged: never proposed again
    assert pair(candidates(view, min_score=0, limit=100_000), DOD_ST, ST_INC) is None
    assert case.sameas(DOD_ST, ST_INC, undo=True) == 1
    view = case.graph()
    assert view.index(DOD_ST) != view.index(ST_INC)
    assert pair(candidates(view), DOD_ST, ST_INC) is not None


def test_claims_name_their_probable_entity(case: Workspace) -> None:
    (r,) = case.load([OFAC_CONS], format="ofac-csv")
    assert r.added > 0  # (its 5 rejects are OFAC details kept as notes, see test_ofac)
    rows = candidates(case.graph(), limit=100_000)
    subject = "dod1260h:hangzhou-hikvision-digital-technology-co-ltd"
    hik = [c for c in rows if c.kind == "claim" and c.a == subject]
    targets = {c.b for c in hik}
    # the DoD row's parent "China Electronics Technology Group Corporation" is on both lists
    assert {"dod1260h:china-electronics-technology-group-corporation", "ofac:30936"} <= targets
    top = next(c for c in hik if c.b == "ofac:30936")
    assert top.a_name == "China Electronics Technology Group Corporation" and top.score == 100
    assert top.reason.startswith("parent of Hangzhou Hikvision Digital Technology Co., Ltd. named")


def test_claim_already_resolved_by_an_edge_is_skipped(ws: Workspace, bundle: Callable[..., Path]) -> None:
    ents = [{"id": "sub", "name": "Acme Widgets Ltd", "jurisdiction": "GB"},
            {"id": "par", "name": "ACME HOLDINGS LIMITED", "jurisdiction": "GB"}]
    claims = [{"subject_id": "sub", "relation": "parent", "name": "Acme Holdings Ltd.", "source": "a list"}]
    ws.load([bundle("one", entities=ents, claims=claims)])
    (c,) = [r for r in candidates(ws.graph()) if r.kind == "claim"]
    assert (c.a, c.b, c.a_name, c.score) == ("sub", "par", "Acme Holdings Ltd.", 100)
    ws.load([bundle("two", ownership=[{"owner_id": "par", "owned_id": "sub", "share": "100"}])])
    assert [r for r in candidates(ws.graph()) if r.kind == "claim"] == []


def test_scoring_rules(ws: Workspace, bundle: Callable[..., Path]) -> None:
    ents = [
        {"id": "a1", "name": "Shenzhen SenseTime Technology Co. Ltd.", "jurisdiction": "CN"},
        {"id": "a2", "name": "Shenzhen DJI Technology Co., Ltd.", "jurisdiction": "CN"},
        {"id": "b1", "name": "CETC 13th Research Institute"},
        {"id": "b2", "name": "CETC 14th Research Institute"},
        {"id": "c1", "name": "Kalashnikov Concern JSC", "jurisdiction": "RU"},
        {"id": "c2", "name": "AO Kalashnikov Concern", "jurisdiction": "RU"},
        {"id": "p1", "name": "John Smith", "kind": "person"},
        {"id": "p2", "name": "John Smith Ltd"},
        {"id": "v1", "name": "Grace One", "kind": "vessel"},
        {"id": "v2", "name": "GRACE ONE", "kind": "vessel", "aliases": "Adrian Darya 1"},
    ]
    ws.load([bundle("s", entities=ents)])
    rows = candidates(ws.graph(), min_score=0, limit=100_000)
    dji = pair(rows, "a1", "a2")
    assert dji is not None and dji.score < 85
    assert "different distinctive words (sensetime vs dji)" in dji.reason
    inst = pair(rows, "b1", "b2")
    assert inst is not None and inst.score < 85 and "numbers differ (13th vs 14th)" in inst.reason
    kal = pair(rows, "c1", "c2")
    assert kal is not None and kal.score == 100 and "both RU" in kal.reason
    assert pair(rows, "p1", "p2") is None  # a person is never paired with a company
    vessel = pair(rows, "v1", "v2")
    assert vessel is not None and vessel.score == 100


def test_normalize_name() -> None:
    assert normalize_name("SENSETIME GROUP LIMITED") == ("sensetime group", frozenset({"ltd"}))
    assert normalize_name("JSC Kalashnikov Concern")[0] == normalize_name("Kalashnikov Concern, AO")[0]
    assert normalize_name("Société Générale S.A.") == ("societe generale", frozenset({"sa"}))
    assert normalize_name("Limited")[0] == "limited"  # nothing but a legal form: kept
    assert normalize_name("AO Sa Co Holdings")[0] == "sa co holdings"  # short forms only at the ends


def test_blocking_keeps_comparisons_near_linear(
    ws: Workspace, bundle: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(7)
    syll = ["ka", "lo", "mi", "ne", "ro", "ta", "shi", "zhen", "hua", "wei", "xin", "tong", "bao", "gor"]
    vocab = sorted({"".join(rng.choice(syll) for _ in range(rng.randint(3, 4))) for _ in range(8000)})
    common = ["China", "Technology", "Group", "Holding", "Trading", "Bank", "Energy", "Investment"]
    forms = ["Co., Ltd.", "Limited", "Inc.", "LLC", "JSC", ""]
    n = 6000
    names = [" ".join([rng.choice(common), *(rng.choice(vocab).capitalize() for _ in range(2)),
                       rng.choice(forms)]).strip() for _ in range(n)]
    ents: list[dict[str, Any]] = [{"id": f"e{i}", "name": nm} for i, nm in enumerate(names)]
    planted = [(f"e{i}", f"d{i}") for i in range(0, n, 600)]
    ents += [{"id": d, "name": names[int(e[1:])].upper().replace("LIMITED", "LTD")} for e, d in planted]
    ws.load([bundle("big", entities=ents)])
    cells = 0
    real = cand._cdist

    def counting(a: list[str], b: list[str], cut: float) -> Any:
        nonlocal cells
        cells += len(a) * len(b)
        return real(a, b, cut)

    monkeypatch.setattr(cand, "_cdist", counting)
    rows = candidates(ws.graph(), limit=100_000)
    total = len(ents)
    assert cells < total * total / 20  # all pairs would be total²
    for e, d in planted:
        assert pair(rows, e, d) is not None


def test_cli_candidates(case: Workspace) -> None:
    case.close()
    r = CliRunner().invoke(cli, ["--workspace", str(case.path), "candidates", "--min-score", "95",
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert any({x["a"], x["b"]} == {DOD_ST, ST_INC} for x in rows)
    assert set(rows[0]) == {"a", "b", "a_name", "b_name", "score", "reason", "kind"}
    assert all(x["score"] >= 95 for x in rows)
    r = CliRunner().invoke(cli, ["--workspace", str(case.path), "candidates", "--min-score", "101"])
    assert r.exit_code == 2
