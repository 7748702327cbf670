"""Regimes as data (SPEC §6): parameters, edge kinds, dated windows, the list → regime table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ownergraph.errors import NotFoundError
from ownergraph.graph.model import OWNERSHIP_KINDS, REGIME_IDS
from ownergraph.queries.regimes import (
    LIST_TO_REGIME,
    REGIMES,
    SOURCES,
    get_regime,
    regime_for_list,
    regime_params,
    regimes_markdown,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "regimes.md"


def test_every_model_regime_is_described_in_order() -> None:
    assert tuple(REGIMES) == REGIME_IDS
    for r in REGIMES.values():
        assert r.sources and all(s in SOURCES for s in r.sources), r.id
        assert {k.kind for k in r.edge_kinds} == set(OWNERSHIP_KINDS), r.id


@pytest.mark.parametrize(
    ("regime", "threshold", "inclusive", "aggregate", "indirect", "control", "foreign"),
    [
        ("ofac-sdn", 500_000, True, True, "cascade", False, False),
        ("ofac-ssi", 500_000, True, True, "cascade", False, False),
        ("ofac-ns-cmic", None, True, False, "none", False, False),
        ("bis-entity-list", 500_000, True, True, "cascade", False, True),
        ("eu", 500_000, True, True, "cascade", True, False),
        ("uk", 500_000, False, False, "majority-chain", True, False),
        ("info", None, True, False, "none", False, False),
    ],
)
def test_parameter_matrix(regime: str, threshold: int | None, inclusive: bool, aggregate: bool,
                          indirect: str, control: bool, foreign: bool) -> None:
    """docs/regimes.md §2.6, one row per regime (EU's default is its current ≥ 50%)."""
    r = get_regime(regime)
    assert (r.threshold_ppm, r.inclusive, r.aggregate, r.indirect, r.control_limb, r.foreign_only) == (
        threshold, inclusive, aggregate, indirect, control, foreign)


EDGE_TABLE = {  # SPEC §6 "Which edge kinds count, per regime"
    "shares": ("shares", "shares", "shares"),
    "votes": ("ignored", "votes", "votes"),
    "board": ("finding", "controlled", "controlled"),
    "control": ("finding", "controlled", "controlled"),
    "consolidation": ("ignored", "possibly-controlled", "possibly-controlled"),
}


@pytest.mark.parametrize("kind", OWNERSHIP_KINDS)
def test_edge_kind_table(kind: str) -> None:
    us, eu, uk = EDGE_TABLE[kind]
    for regime in ("ofac-sdn", "ofac-ssi", "bis-entity-list"):
        assert get_regime(regime).role(kind) == us
    assert get_regime("eu").role(kind) == eu
    assert get_regime("uk").role(kind) == uk
    assert get_regime("ofac-ns-cmic").role(kind) == get_regime("info").role(kind) == "ignored"


@pytest.mark.parametrize(
    ("day", "status", "propagates"),
    [("2025-09-28", "not-in-force", False), ("2025-09-29", "in-force", True),
     ("2025-11-09", "in-force", True), ("2025-11-10", "suspended", False),
     ("2026-11-09", "suspended", False), ("2026-11-10", "in-force", True)],
)
def test_bis_affiliates_rule_windows(day: str, status: str, propagates: bool) -> None:
    p = regime_params("bis-entity-list", day)
    assert (p.rule_status, p.propagates, p.foreign_only, p.home_country) == (status, propagates, True, "US")


def test_bis_seeded_by_744_8_sdn_programmes() -> None:
    (extra,) = get_regime("bis-entity-list").also_seeded_by
    assert (extra.regime, extra.programs) == ("ofac-sdn", ("NPWMD", "IFSR"))


@pytest.mark.parametrize(("day", "inclusive"), [("2019-01-01", False), ("2024-07-02", False),
                                                ("2024-07-03", True), (dt.date(2030, 1, 1), True)])
def test_eu_threshold_changes_on_2024_07_03(day: str | dt.date, inclusive: bool) -> None:
    p = regime_params("eu", day)
    assert (p.threshold_ppm, p.inclusive) == (500_000, inclusive)
    assert p.threshold_text == ("≥ 50%" if inclusive else "> 50%")


def test_ns_cmic_dates_and_no_propagation() -> None:
    r = get_regime("ofac-ns-cmic")
    assert (r.effective_after_days, r.divest_after_days) == (60, 365)
    for regime in ("ofac-ns-cmic", "info"):
        assert regime_params(regime, "2025-01-01").propagates is False
    for regime in ("ofac-sdn", "ofac-ssi", "eu", "uk"):
        assert regime_params(regime, "2025-01-01").propagates is True


def test_uk_params() -> None:
    p = regime_params("uk", "2025-01-01")
    assert (p.threshold_text, p.votes_threshold_ppm, p.votes_inclusive, p.pool_arrangements) == (
        "> 50%", 500_000, False, True)
    assert p.roles == tuple(get_regime("uk").role(k) for k in OWNERSHIP_KINDS)


def test_unknown_regime() -> None:
    with pytest.raises(NotFoundError, match="no regime 'ofac'"):
        get_regime("ofac")
    assert get_regime(" OFAC-SDN ") is REGIMES["ofac-sdn"]
    assert get_regime(REGIMES["uk"]) is REGIMES["uk"]


@pytest.mark.parametrize(
    ("list_name", "program", "regime"),
    [
        # the 13 source lists of the US Consolidated Screening List, as published
        ("Specially Designated Nationals (SDN) - Treasury Department", "SDGT", "ofac-sdn"),
        ("Specially Designated Nationals (SDN) - Treasury Department", "UKRAINE-EO13662", "ofac-sdn"),
        ("Sectoral Sanctions Identifications List (SSI) - Treasury Department", "UKRAINE-EO13662",
         "ofac-ssi"),
        ("Non-SDN Chinese Military-Industrial Complex Companies List (CMIC) - Treasury Department",
         "CMIC-EO13959", "ofac-ns-cmic"),
        ("Entity List (EL) - Bureau of Industry and Security", None, "bis-entity-list"),
        ("Military End User (MEU) List - Bureau of Industry and Security", None, "bis-entity-list"),
        ("Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department", "RUSSIA-EO14024", "info"),
        ("Palestinian Legislative Council List (PLC) - Treasury Department", "NS-PLC", "info"),
        ("Correspondent Account or Payable-Through Account Sanctions (CAPTA) - Treasury Department", None,
         "info"),
        ("Foreign Sanctions Evaders (FSE) - Treasury Department", None, "info"),
        ("Unverified List (UVL) - Bureau of Industry and Security", None, "info"),
        ("Denied Persons List (DPL) - Bureau of Industry and Security", None, "info"),
        ("Nonproliferation Sanctions (ISN) - State Department", None, "info"),
        ("ITAR Debarred (DTC) - State Department", None, "info"),
        # OFAC legacy CSV: the consolidated (non-SDN) file, by programme
        ("consolidated", "CMIC-EO13959", "ofac-ns-cmic"),
        ("consolidated", "UKRAINE-EO13662] [RUSSIA-EO14024", "ofac-ssi"),
        ("consolidated", "RUSSIA-EO14024", "info"),
        ("consolidated", "561-Related", "info"),
        ("SDN", "NPWMD] [IFSR", "ofac-sdn"),
        # OpenSanctions / FtM programme ids and other named-only lists
        ("US-BIS-EL", None, "bis-entity-list"),
        ("US-BIS-MIEU", None, "info"),
        ("Military-Intelligence End User (MIEU) List", None, "info"),
        ("DoD Section 1260H list (Chinese military companies)", "1260H", "info"),
        ("EU-UKR", None, "eu"),
        ("EU consolidated list", "UKR", "eu"),
        ("GB-RUS", None, "uk"),
        ("UK sanctions list", None, "uk"),
        ("The Russia (Sanctions) (EU Exit) Regulations 2019", None, "uk"),
        (None, None, "info"),
        ("", "", "info"),
    ],
)
def test_list_to_regime(list_name: str | None, program: str | None, regime: str) -> None:
    assert regime_for_list(list_name, program) == regime


def test_list_mapping_examples_map_to_their_row() -> None:
    for row in LIST_TO_REGIME:
        assert row.regime in REGIMES
        for example in row.examples:
            name, _, program = example.partition(" / ")
            assert regime_for_list(name, program or None) == row.regime, example


def test_docs_tables_are_generated_from_the_data() -> None:
    text = DOCS.read_text(encoding="utf-8")
    begin = "<!-- BEGIN GENERATED: ownergraph.queries.regimes.regimes_markdown() -->\n"
    end = "<!-- END GENERATED -->"
    assert begin in text and end in text
    generated = text.split(begin, 1)[1].split(end, 1)[0]
    assert generated == regimes_markdown(), "regenerate docs/regimes.md from regimes_markdown()"
