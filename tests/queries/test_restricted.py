"""Every test vector of docs/regimes.md and algorithms.md §2.3, on real workspaces.

Ids say where a vector comes from: ``official-*`` are the worked examples of OFAC FAQs and the
rule texts as listed in docs/regimes.md (OFAC-1..5, BIS-1..5, EU-1..3, UK-1..5); ``derived-*``
are derived from the rule text (OFAC-D1..D6, algorithms.md §2.3.3 Ex1-Ex6, the §2.3.4 interval
examples, and our own edge cases). Every status is checked on both the array implementation and
the networkx reference (``Graph.rows`` asserts they agree row for row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from ownergraph.errors import NotFoundError
from ownergraph.queries.reference import reference_restricted
from ownergraph.queries.restricted import RestrictedRow, aggregate_share, evaluate, restricted
from tests.queries.graphs import Edge, Graph, build

Make = Callable[..., Graph]
D, R, P = "designated", "restricted", "possibly_restricted"
BIS_IN_FORCE = "2025-10-15"


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Make]:
    graphs: list[Graph] = []

    def factory(edges: Sequence[Edge], designations: Sequence[Any], **kw: Any) -> Graph:
        g = build(tmp_path / f"g{len(graphs)}", edges, designations, **kw)
        graphs.append(g)
        return g

    yield factory
    for g in graphs:
        g.close()


def des(regimes: str | Sequence[str], *ids: str, **columns: Any) -> list[dict[str, Any]]:
    """Designate ``ids`` under each of ``regimes``."""
    regs = [regimes] if isinstance(regimes, str) else list(regimes)
    return [{"entity_id": i, "regime": r, **columns} for r in regs for i in ids]


def basis_of(g: Graph, regime: str, entity: str, as_of: str | None = None) -> list[tuple[str, str, str]]:
    return [(b.owner_id, b.kind, b.share) for b in g.row(regime, entity, as_of).basis]


# -- status vectors ------------------------------------------------------------------------------

# (edges, designations, {regime: {entity: status}}, as_of, jurisdictions)
VECTORS: list[Any] = [
    # OFAC FAQ 401 / 2014 guidance (docs/regimes.md §2.1)
    pytest.param([("X", "A", "50"), ("A", "B", "50")], des("ofac-sdn", "X"),
                 {"ofac-sdn": {"X": D, "A": R, "B": R}}, None, None, id="official-OFAC-1"),
    pytest.param([("X", "A", "50"), ("X", "B", "50"), ("A", "C", "25"), ("B", "C", "25")],
                 des("ofac-sdn", "X"),
                 {"ofac-sdn": {"X": D, "A": R, "B": R, "C": R}}, None, None, id="official-OFAC-2"),
    pytest.param([("X", "A", "50"), ("X", "B", "10"), ("A", "B", "40")], des("ofac-sdn", "X"),
                 {"ofac-sdn": {"X": D, "A": R, "B": R}}, None, None, id="official-OFAC-3"),
    pytest.param([("X", "E", "25"), ("Y", "E", "25")],
                 [*des("ofac-sdn", "X", program="SDGT"), *des("ofac-sdn", "Y", program="UKRAINE-EO13661")],
                 {"ofac-sdn": {"X": D, "Y": D, "E": R}}, None, None, id="official-OFAC-4"),
    pytest.param([("X", "E", "20"), ("X", "E", "", "board"), ("X", "E", "", "control")],
                 des(["ofac-sdn", "ofac-ssi", "bis-entity-list"], "X"),
                 {"ofac-sdn": {"X": D}, "ofac-ssi": {"X": D}}, None, None, id="official-OFAC-5"),
    # derived OFAC edge cases (docs/regimes.md §2.1)
    pytest.param([("X", "A", "49.99"), ("A", "B", "100")], des("ofac-sdn", "X"),
                 {"ofac-sdn": {"X": D}}, None, None, id="derived-OFAC-D1"),
    pytest.param([("X", "A", "50"), ("A", "B", "30"), ("Y", "B", "20")], des("ofac-sdn", "X", "Y"),
                 {"ofac-sdn": {"X": D, "Y": D, "A": R, "B": R}}, None, None, id="derived-OFAC-D2"),
    pytest.param([("X", "A", "50"), ("A", "B", "60"), ("B", "A", "10")], des("ofac-sdn", "X"),
                 {"ofac-sdn": {"X": D, "A": R, "B": R}}, None, None, id="derived-OFAC-D3-cycle"),
    pytest.param([("X", "E", "25-50")], des("ofac-sdn", "X"),
                 {"ofac-sdn": {"X": D, "E": P}}, None, None, id="derived-OFAC-D5"),
    pytest.param([("X", "E", "(50,75]")], des("ofac-sdn", "X"),
                 {"ofac-sdn": {"X": D, "E": R}}, None, None, id="derived-OFAC-D6"),
    # BIS Affiliates rule (docs/regimes.md §2.2)
    pytest.param([("P", "E", "30"), ("Q", "E", "25")],
                 [*des("bis-entity-list", "P", list="Entity List (EL) - Bureau of Industry and Security"),
                  *des("bis-entity-list", "Q",
                       list="Military End User (MEU) List - Bureau of Industry and Security")],
                 {"bis-entity-list": {"P": D, "Q": D, "E": R}}, BIS_IN_FORCE, None, id="official-BIS-1"),
    pytest.param([("P", "A", "60"), ("A", "B", "50")], des("bis-entity-list", "P"),
                 {"bis-entity-list": {"P": D, "A": R, "B": R}}, BIS_IN_FORCE, {"A": "CN", "B": "HK"},
                 id="official-BIS-2"),
    pytest.param([("P", "E", "unknown")], des("bis-entity-list", "P"),
                 {"bis-entity-list": {"P": D, "E": P}}, BIS_IN_FORCE, None, id="official-BIS-3"),
    pytest.param([("P", "A", "60"), ("A", "B", "50")], des("bis-entity-list", "P"),
                 {"bis-entity-list": {"P": D}}, "2026-03-01", {"A": "CN", "B": "HK"},
                 id="official-BIS-4-suspended"),
    pytest.param([("P", "A", "60"), ("A", "B", "50")], des("bis-entity-list", "P"),
                 {"bis-entity-list": {"P": D, "A": R, "B": R}}, "2026-11-10", {"A": "CN", "B": "HK"},
                 id="official-BIS-4-reimposed"),
    pytest.param([("P", "A", "60"), ("A", "B", "50")], des("bis-entity-list", "P"),
                 {"bis-entity-list": {"P": D}}, "2025-09-28", None, id="official-BIS-4-before-rule"),
    pytest.param([("P", "E", "100")], des("bis-entity-list", "P"),
                 {"bis-entity-list": {"P": D}}, BIS_IN_FORCE, {"E": "US"}, id="official-BIS-5"),
    # EU (docs/regimes.md §2.4)
    pytest.param([("DP1", "E", "30"), ("DP2", "E", "25")], des("eu", "DP1", "DP2"),
                 {"eu": {"DP1": D, "DP2": D, "E": R}}, None, None, id="official-EU-1"),
    pytest.param([("DP", "E", "50")], des("eu", "DP"),
                 {"eu": {"DP": D, "E": R}}, "2024-07-03", None, id="official-EU-2-from-2024-07-03"),
    pytest.param([("DP", "E", "50")], des("eu", "DP"),
                 {"eu": {"DP": D}}, "2024-07-02", None, id="official-EU-2-before-2024-07-03"),
    pytest.param([("DP", "E", "10"), ("DP", "E", "", "board")], des("eu", "DP"),
                 {"eu": {"DP": D, "E": R}}, None, None, id="official-EU-3"),
    # UK (docs/regimes.md §2.5)
    pytest.param([("DP", "E", "50")], des(["uk", "ofac-sdn"], "DP"),
                 {"uk": {"DP": D}, "ofac-sdn": {"DP": D, "E": R}}, None, None, id="official-UK-1"),
    pytest.param([("DP1", "E", "30"), ("DP2", "E", "25")], des(["uk", "eu", "ofac-sdn"], "DP1", "DP2"),
                 {"uk": {"DP1": D, "DP2": D}, "eu": {"DP1": D, "DP2": D, "E": R},
                  "ofac-sdn": {"DP1": D, "DP2": D, "E": R}}, None, None, id="official-UK-2-no-arrangement"),
    pytest.param([("DP1", "E", "30", "shares", "J1"), ("DP2", "E", "25", "shares", "J1")],
                 des("uk", "DP1", "DP2"),
                 {"uk": {"DP1": D, "DP2": D, "E": R}}, None, None, id="official-UK-2-joint-arrangement"),
    pytest.param([("DP", "A", "51"), ("A", "C", "30"), ("DP", "C", "25")], des("uk", "DP"),
                 {"uk": {"DP": D, "A": R, "C": R}}, None, None, id="official-UK-3"),
    pytest.param([("DP", "A", "40"), ("A", "C", "100")], des("uk", "DP"),
                 {"uk": {"DP": D}}, None, None, id="official-UK-4"),
    pytest.param([("DP", "A", "40"), ("DP", "A", "", "board"), ("A", "C", "100")], des("uk", "DP"),
                 {"uk": {"DP": D, "A": R, "C": R}}, None, None, id="official-UK-4-control-condition"),
    pytest.param([("DP", "E", "20"), ("DP", "E", "60", "votes")], des(["uk", "eu", "ofac-sdn"], "DP"),
                 {"uk": {"DP": D, "E": R}, "eu": {"DP": D, "E": R}, "ofac-sdn": {"DP": D}},
                 None, None, id="official-UK-5"),
    # algorithms.md §2.3.3 worked examples
    pytest.param([("P", "A", "60"), ("A", "B", "70"), ("P", "B", "10")], des(["ofac-sdn", "eu", "uk"], "P"),
                 {"ofac-sdn": {"P": D, "A": R, "B": R}, "eu": {"P": D, "A": R, "B": R},
                  "uk": {"P": D, "A": R, "B": R}}, None, None, id="derived-Ex1"),
    pytest.param([("A", "B1", "100"), ("A", "B2", "80"), ("B1", "C", "20"), ("B2", "C", "35")],
                 des(["ofac-sdn", "eu", "uk"], "A"),
                 {"ofac-sdn": {"A": D, "B1": R, "B2": R, "C": R}, "eu": {"A": D, "B1": R, "B2": R, "C": R},
                  "uk": {"A": D, "B1": R, "B2": R, "C": R}}, None, None, id="derived-Ex2"),
    pytest.param([("X", "A", "50"), ("A", "B", "50")], des(["ofac-sdn", "eu", "uk"], "X"),
                 {"ofac-sdn": {"X": D, "A": R, "B": R}, "eu": {"X": D, "A": R, "B": R}, "uk": {"X": D}},
                 None, None, id="derived-Ex3b"),
    pytest.param([("X", "A", "45"), ("A", "C", "90"), ("X", "C", "10")], des(["ofac-sdn", "eu", "uk"], "X"),
                 {"ofac-sdn": {"X": D}, "eu": {"X": D}, "uk": {"X": D}}, None, None, id="derived-Ex4"),
    pytest.param([("X", "C", "30"), ("Y", "C", "25")], des(["ofac-sdn", "eu", "uk"], "X", "Y"),
                 {"ofac-sdn": {"X": D, "Y": D, "C": R}, "eu": {"X": D, "Y": D, "C": R},
                  "uk": {"X": D, "Y": D}},
                 None, None, id="derived-Ex5"),
    pytest.param([("A", "B", "50"), ("B", "A", "50"), ("P", "A", "50"), ("Q", "B", "50")],
                 des("ofac-sdn", "P"),
                 {"ofac-sdn": {"P": D, "A": R, "B": R}}, None, None, id="derived-Ex6"),
    # algorithms.md §2.3.4 uncertain percentages
    pytest.param([("X", "A", "[50,75]"), ("X", "B", "[25,50]"), ("A", "B", "[25,50]")], des("ofac-sdn", "X"),
                 {"ofac-sdn": {"X": D, "A": R, "B": R}}, None, None, id="derived-intervals-definitely"),
    pytest.param([("X", "A", "[25,50]"), ("A", "B", "[75,100]")], des("ofac-sdn", "X"),
                 {"ofac-sdn": {"X": D, "A": P, "B": P}}, None, None, id="derived-intervals-possibly"),
    # our own derived edge cases: open bounds, unknown shares, control limb, no propagation
    pytest.param([("X", "E", "(50,75]"), ("Y", "F", "[50,75]"), ("Z", "G", "(25,50)")],
                 des(["uk", "ofac-sdn"], "X", "Y", "Z"),
                 {"uk": {"X": D, "Y": D, "Z": D, "E": R, "F": P},
                  "ofac-sdn": {"X": D, "Y": D, "Z": D, "E": R, "F": R}}, None, None,
                 id="derived-open-bounds"),
    pytest.param([("X", "E", "(30,40]", "shares", "J1"), ("Y", "E", "20", "shares", "J1"),
                  ("X", "F", "[30,40)", "shares", "J2"), ("Y", "F", "20", "shares", "J2"),
                  ("X", "G", "[20,30)"), ("Y", "G", "20"), ("X", "H", "[20,30]"), ("Y", "H", "20")],
                 des(["ofac-sdn", "uk"], "X", "Y"),
                 {"ofac-sdn": {"X": D, "Y": D, "E": R, "F": R, "H": P},
                  "uk": {"X": D, "Y": D, "E": R, "F": P}}, None, None, id="derived-open-bound-sums"),
    pytest.param([("X", "A", "unknown"), ("A", "B", "100"), ("B", "C", "10")],
                 des(["ofac-sdn", "eu", "uk"], "X"),
                 {"ofac-sdn": {"X": D, "A": P, "B": P}, "eu": {"X": D, "A": P, "B": P},
                  "uk": {"X": D, "A": P, "B": P}},
                 None, None, id="derived-unknown-spreads-possibly"),
    pytest.param([("X", "A", "", "consolidation"), ("A", "B", "100")], des(["eu", "uk", "ofac-sdn"], "X"),
                 {"eu": {"X": D, "A": P, "B": P}, "uk": {"X": D, "A": P, "B": P}, "ofac-sdn": {"X": D}},
                 None, None, id="derived-consolidation-possibly"),
    pytest.param([("X", "A", "", "control"), ("A", "B", "60")], des(["eu", "uk", "ofac-sdn"], "X"),
                 {"eu": {"X": D, "A": R, "B": R}, "uk": {"X": D, "A": R, "B": R}, "ofac-sdn": {"X": D}},
                 None, None, id="derived-control-limb-cascades"),
    pytest.param([("X", "E", "40", "votes"), ("Y", "E", "20", "votes")], des(["eu", "uk"], "X", "Y"),
                 {"eu": {"X": D, "Y": D, "E": R}, "uk": {"X": D, "Y": D}}, None, None,
                 id="derived-votes-aggregate-eu-not-uk"),
    pytest.param([("X", "E", "50", "votes")], des(["eu", "uk"], "X"),
                 {"eu": {"X": D}, "uk": {"X": D}}, None, None, id="derived-votes-half-is-no-majority"),
    pytest.param([("DP1", "E", "30", "shares", "J1"), ("NP", "E", "25", "shares", "J1")], des("uk", "DP1"),
                 {"uk": {"DP1": D, "E": R}}, None, None, id="derived-UK-arrangement-with-partner"),
    pytest.param([("DP1", "E", "30", "shares", "J1"), ("DP2", "E", "25", "shares", "J2")],
                 des("uk", "DP1", "DP2"),
                 {"uk": {"DP1": D, "DP2": D}}, None, None, id="derived-UK-different-arrangements"),
    pytest.param([("X", "A", "100"), ("A", "B", "100")], des(["ofac-ns-cmic", "info"], "A"),
                 {"ofac-ns-cmic": {"A": D}, "info": {"A": D}}, None, None, id="derived-no-propagation"),
    pytest.param([("P", "U", "100"), ("U", "F", "100")], des("bis-entity-list", "P"),
                 {"bis-entity-list": {"P": D, "F": R}}, BIS_IN_FORCE, {"U": "US", "F": "CN"},
                 id="derived-BIS-through-US-intermediary"),
    pytest.param([("P", "E", "100")], des("bis-entity-list", "P"),
                 {"bis-entity-list": {"P": D}}, BIS_IN_FORCE, {"E": "US-DE"},
                 id="derived-BIS-US-subdivision"),
]


@pytest.mark.parametrize(("edges", "designations", "expected", "as_of", "jurisdictions"), VECTORS)
def test_vector(
    make: Make, edges: list[Edge], designations: list[dict[str, Any]],
    expected: Mapping[str, Mapping[str, str]], as_of: str | None, jurisdictions: dict[str, str] | None,
) -> None:
    g = make(edges, designations, jurisdictions=jurisdictions, as_of=as_of or "2025-01-01")
    for regime, statuses in expected.items():
        assert g.status(regime) == dict(statuses), regime


# -- derivations: basis, rounds, rules, shares -------------------------------------------------


def test_official_ofac_1_basis_is_attributed_not_multiplied(make: Make) -> None:
    g = make([("X", "A", "50"), ("A", "B", "50")], des("ofac-sdn", "X"))
    b = g.row("ofac-sdn", "B")
    assert (b.iteration, b.share, b.share_min, b.share_max) == (2, "50", 50.0, 50.0)
    assert b.rule == "ofac-50-aggregate"
    assert basis_of(g, "ofac-sdn", "B") == [("A", "shares", "50")]
    assert b.basis[0].owner_status == "restricted" and b.basis[0].source == "test edge 2"
    assert g.row("ofac-sdn", "A").iteration == 1
    x = g.row("ofac-sdn", "X")
    assert (x.share, x.share_min, x.basis, x.iteration, x.rule) == (None, None, [], 0, "ofac-sdn-listed")


def test_official_ofac_2_and_3_bases(make: Make) -> None:
    g = make([("X", "A", "50"), ("X", "B", "50"), ("A", "C", "25"), ("B", "C", "25")], des("ofac-sdn", "X"))
    c = g.row("ofac-sdn", "C")
    assert (c.iteration, c.share) == (2, "50")
    assert basis_of(g, "ofac-sdn", "C") == [("A", "shares", "25"), ("B", "shares", "25")]
    g3 = make([("X", "A", "50"), ("X", "B", "10"), ("A", "B", "40")], des("ofac-sdn", "X"))
    assert basis_of(g3, "ofac-sdn", "B") == [("A", "shares", "40"), ("X", "shares", "10")]
    assert g3.row("ofac-sdn", "B").iteration == 2
    assert [b.owner_status for b in g3.row("ofac-sdn", "B").basis] == ["restricted", "designated"]


def test_official_ofac_4_aggregates_across_programmes(make: Make) -> None:
    g = make([("X", "E", "25"), ("Y", "E", "25")],
             [*des("ofac-sdn", "X", program="SDGT"), *des("ofac-sdn", "Y", program="UKRAINE-EO13661")])
    e = g.row("ofac-sdn", "E")
    assert (e.iteration, e.share, e.rule) == (1, "50", "ofac-50-aggregate")
    assert "≥ 50%" in e.explanation and "X (designated)" in e.explanation


def test_official_uk_3_majority_chain(make: Make) -> None:
    g = make([("DP", "A", "51"), ("A", "C", "30"), ("DP", "C", "25")], des("uk", "DP"))
    c = g.row("uk", "C")
    assert (c.iteration, c.share, c.rule, c.chain_of) == (2, "55", "uk-majority-chain", "DP")
    assert basis_of(g, "uk", "C") == [("A", "shares", "30"), ("DP", "shares", "25")]
    assert "majority-stake chain" in c.explanation


def test_official_uk_2_joint_arrangement_basis(make: Make) -> None:
    g = make([("DP1", "E", "30", "shares", "J1"), ("DP2", "E", "25", "shares", "J1")],
             des("uk", "DP1", "DP2"))
    e = g.row("uk", "E")
    assert (e.share, e.chain_of, e.iteration) == ("55", "DP1", 1)
    assert basis_of(g, "uk", "E") == [("DP1", "shares", "30"), ("DP2", "shares", "25")]


def test_official_uk_5_votes_limb(make: Make) -> None:
    g = make([("DP", "E", "20"), ("DP", "E", "60", "votes")], des(["uk", "eu"], "DP"))
    e = g.row("uk", "E")
    assert (e.rule, e.share) == ("uk-votes-limb", "20")
    assert basis_of(g, "uk", "E") == [("DP", "shares", "20"), ("DP", "votes", "60")]
    assert g.row("eu", "E").rule == "eu-control-limb"


def test_official_eu_3_control_finding_basis(make: Make) -> None:
    g = make([("DP", "E", "10"), ("DP", "E", "", "board")], des("eu", "DP"))
    e = g.row("eu", "E")
    assert (e.status, e.rule, e.share, e.iteration) == ("restricted", "eu-control-limb", "10", 1)
    assert basis_of(g, "eu", "E") == [("DP", "board", "unknown"), ("DP", "shares", "10")]
    assert "control limb" in e.explanation


def test_control_only_row_has_no_share(make: Make) -> None:
    g = make([("DP", "E", "", "control")], des(["uk", "eu"], "DP"))
    e = g.row("uk", "E")
    assert (e.share, e.share_min, e.share_max, e.rule) == (None, None, None, "uk-control-limb")
    assert g.row("eu", "E").rule == "eu-control-limb"


def test_official_ofac_5_control_is_not_ownership(make: Make) -> None:
    g = make([("X", "E", "20"), ("X", "E", "", "board")], des(["ofac-sdn", "eu"], "X"))
    assert "E" not in g.status("ofac-sdn")
    assert g.row("eu", "E").status == "restricted"


def test_derived_ofac_d3_cycle_terminates_with_rounds(make: Make) -> None:
    g = make([("X", "A", "50"), ("A", "B", "60"), ("B", "A", "10")], des("ofac-sdn", "X"))
    assert g.row("ofac-sdn", "A").iteration == 1
    assert g.row("ofac-sdn", "B").iteration == 2
    # A's basis: X's 50% and the 10% held back by B (restricted in round 2)
    assert basis_of(g, "ofac-sdn", "A") == [("B", "shares", "10"), ("X", "shares", "50")]
    assert g.row("ofac-sdn", "A").share == "60"


def test_derived_ofac_d4_ended_edge(make: Make) -> None:
    g = make([("X", "A", "100", "shares", None, None, "2024-04-01")],
             des("ofac-sdn", "X", listed="2024-05-01"))
    assert g.status("ofac-sdn", "2024-03-01") == {}
    for day in ("2024-05-01", "2025-01-01", "2030-06-30"):
        assert g.status("ofac-sdn", day) == {"X": D}


def test_derived_ofac_d5_d6_share_intervals(make: Make) -> None:
    g = make([("X", "E", "25-50"), ("X", "F", "(50,75]")], des("ofac-sdn", "X"))
    e = g.row("ofac-sdn", "E")
    assert (e.status, e.share, e.share_min, e.share_max) == (P, "[25,50]", 25.0, 50.0)
    assert "possibly" in e.explanation
    f = g.row("ofac-sdn", "F")
    assert (f.status, f.share) == (R, "(50,75]")


def test_derived_intervals_share_sums(make: Make) -> None:
    g = make([("X", "A", "[50,75]"), ("X", "B", "[25,50]"), ("A", "B", "[25,50]")], des("ofac-sdn", "X"))
    b = g.row("ofac-sdn", "B")
    assert (b.share, b.iteration) == ("[50,100]", 2)


def test_derived_possibly_spreads_with_rounds(make: Make) -> None:
    g = make([("X", "A", "[25,50]"), ("A", "B", "[75,100]")], des("ofac-sdn", "X"))
    a, b = g.row("ofac-sdn", "A"), g.row("ofac-sdn", "B")
    assert (a.status, a.iteration, b.status, b.iteration) == (P, 1, P, 2)
    assert b.basis[0].owner_status == P


def test_official_bis_1_and_2(make: Make) -> None:
    g = make([("P", "A", "60"), ("A", "B", "50")], des("bis-entity-list", "P"),
             jurisdictions={"A": "CN", "B": "HK"}, as_of=BIS_IN_FORCE)
    b = g.row("bis-entity-list", "B")
    assert (b.iteration, b.rule) == (2, "bis-affiliates-50-aggregate")


def test_official_bis_4_window_boundaries(make: Make) -> None:
    g = make([("P", "A", "60")], des("bis-entity-list", "P"), jurisdictions={"A": "CN"})
    expected = {"2025-09-28": False, "2025-09-29": True, "2025-11-09": True, "2025-11-10": False,
                "2026-03-01": False, "2026-11-09": False, "2026-11-10": True, "2030-01-01": True}
    for day, restricted_ in expected.items():
        assert ("A" in g.status("bis-entity-list", day)) is restricted_, day
    assert "suspended" in g.row("bis-entity-list", "P", "2026-03-01").explanation


def test_derived_bis_us_intermediary_in_basis(make: Make) -> None:
    g = make([("P", "U", "100"), ("U", "F", "100")], des("bis-entity-list", "P"),
             jurisdictions={"U": "US", "F": "CN"}, as_of=BIS_IN_FORCE)
    f = g.row("bis-entity-list", "F")
    assert [(b.owner_id, b.owner_status) for b in f.basis] == [("U", "out_of_scope")]
    assert f.iteration == 2


def test_bis_seeded_by_sdn_under_744_8_programmes(make: Make) -> None:
    g = make([("S", "A", "100"), ("T", "B", "100")],
             [*des("ofac-sdn", "S", program="NPWMD] [IFSR"), *des("ofac-sdn", "T", program="SDGT")],
             as_of=BIS_IN_FORCE)
    assert g.status("bis-entity-list") == {"S": D, "A": R}
    assert "§ 744.8(a)(1)" in g.row("bis-entity-list", "S").explanation


def test_eu_threshold_window(make: Make) -> None:
    g = make([("DP", "E", "50")], des("eu", "DP"))
    assert "E" not in g.status("eu", "2024-07-02")
    assert g.row("eu", "E", "2024-07-03").status == R


# -- NS-CMIC and info: seeds only, with dates ---------------------------------------------------


def test_official_ns_cmic_proven_honour(make: Make) -> None:
    g = make([("HUAWEI", "PHC", "100"), ("PHC", "SUB", "100")],
             des("ofac-ns-cmic", "PHC", listed="2021-06-03", list="NS-CMIC", program="CMIC-EO13959"),
             as_of="2021-09-01")
    (row,) = g.rows("ofac-ns-cmic")
    assert (row.id, row.status, row.effective, row.divest_by) == (
        "PHC", D, dt.date(2021, 8, 2), dt.date(2022, 6, 3))
    assert "FAQ 857" in row.explanation
    assert g.status("ofac-ns-cmic", "2021-06-02") == {}


def test_official_ns_cmic_sensetime_fixture(make: Make) -> None:
    g = make([("sensetime-group-inc", "sensetime-group-ltd", "unknown"),
              ("sensetime-group-ltd", "shenzhen-sensetime", "100")],
             des("ofac-ns-cmic", "sensetime-group-ltd", listed="2021-12-10"), as_of="2022-01-07")
    (row,) = g.rows("ofac-ns-cmic")
    assert (row.effective, row.divest_by) == (dt.date(2022, 2, 8), dt.date(2022, 12, 10))


def test_ns_cmic_published_effective_date_wins(make: Make) -> None:
    g = make([], des("ofac-ns-cmic", "E", listed="2021-06-03", effective="2021-08-03"), entities=["E"])
    (row,) = g.rows("ofac-ns-cmic")
    assert (row.effective, row.divest_by) == (dt.date(2021, 8, 3), dt.date(2022, 6, 3))


def test_sensetime_bundle(sensetime_ws: Any) -> None:
    view = sensetime_ws.graph(as_of="2022-01-07")
    rows = restricted(view, "ofac-ns-cmic")
    assert [(r.id, r.status) for r in rows] == [("sensetime-group-ltd", D)]
    bis = restricted(sensetime_ws.graph(as_of=BIS_IN_FORCE), "bis-entity-list")
    assert [(r.id, r.status) for r in bis] == [("beijing-sensetime", D)]
    for regime in ("ofac-sdn", "ofac-ns-cmic", "bis-entity-list", "eu", "uk", "info"):
        assert restricted(view, regime) == reference_restricted(view, regime)


# -- API details ---------------------------------------------------------------------------------


def test_as_of_argument_and_unknown_regime(make: Make) -> None:
    g = make([("X", "A", "100")], des("ofac-sdn", "X", listed="2024-05-01"))
    view = g.view("2024-01-01")
    assert restricted(view, "ofac-sdn") == []
    assert [r.id for r in restricted(view, "ofac-sdn", as_of="2024-06-01")] == ["X", "A"]
    with pytest.raises(NotFoundError):
        restricted(view, "ofac-xyz")


def test_rows_are_json_ready(make: Make) -> None:
    g = make([("X", "A", "(25,50]"), ("Y", "A", "25")], des("ofac-sdn", "X", "Y"))
    a = g.row("ofac-sdn", "A").model_dump(mode="json")
    assert a["share"] == "(50,75]" and a["as_of"] == "2025-01-01"
    assert {"owner_id", "kind", "share_min", "share_max", "share", "source"} <= set(a["basis"][0])
    frame = g.rows("ofac-sdn").to_frame()
    assert list(frame["status"]) == [D, D, R]


def test_aggregate_share_caps_and_unknowns() -> None:
    from ownergraph.graph.shares import parse_share

    assert aggregate_share([]) is None
    assert str(aggregate_share([parse_share("unknown"), parse_share("")])) == "unknown"
    assert str(aggregate_share([parse_share("unknown"), parse_share("30")])) == "[30,100]"
    assert str(aggregate_share([parse_share(">60"), parse_share("50")])) == "100"


# -- statuses first, rows on demand (evaluate) -------------------------------------------------------


@pytest.mark.parametrize("regime", ["ofac-sdn", "bis-entity-list", "eu", "uk"])
def test_evaluation_explains_any_subset_as_the_full_query(make: Make, regime: str) -> None:
    # pooled UK arrangement, a BIS out-of-scope intermediary, votes, a possible (unknown) stake
    g = make(
        [("X", "A", "60"), ("A", "B", "30", "shares", "J1"), ("Y", "B", "25", "shares", "J1"),
         ("X", "U", "100"), ("U", "F", "100"), ("X", "V", "60", "votes"), ("A", "W", "unknown"),
         ("W", "Z", "100")],
        des(["ofac-sdn", "bis-entity-list", "eu", "uk"], "X", "Y"),
        jurisdictions={"U": "US", "F": "CN"}, as_of=BIS_IN_FORCE,
    )
    view = g.view()
    full = g.rows(regime)
    ev = evaluate(view, regime)
    assert {view.id(n): s for n, s in ev.status.items()} == {r.id: r.status for r in full}
    assert ev.rows() == full
    nodes = sorted(ev.status)
    for k in range(len(nodes)):
        part = {nodes[k], nodes[-1 - k], view.index("B")}
        assert ev.rows(part) == [r for r in full if view.index(r.id) in part]
    assert ev.rows([]) == []
    assert len(full) > 3, [(r.id, r.status) for r in full]
    # rows are built without a second validation (rows.constructed): each is the row that
    # validating its own explicitly-set fields gives, value types and fields set included
    for r in full:
        again = RestrictedRow.model_validate(r.model_dump(exclude_unset=True))
        assert again == r and again.model_dump_json() == r.model_dump_json()
        assert again.model_fields_set == r.model_fields_set
        assert [b.model_fields_set for b in again.basis] == [b.model_fields_set for b in r.basis]
        assert [type(v) for v in again.__dict__.values()] == [type(v) for v in r.__dict__.values()]
