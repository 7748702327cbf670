"""Regimes as data: thresholds, aggregation, indirect method, edge kinds and dated windows.

Each sanctions or export-control regime of SPEC §6 is one frozen :class:`Regime` record whose
fields are the parameters of ``docs/regimes.md`` (the rule book): the threshold in parts per
million and whether it is inclusive (``≥``) or strict (``>``), aggregation across designated
owners, the indirect method (``cascade``, ``majority-chain`` or ``none``), the control limb,
how each edge kind counts, the scope and the dated windows (the BIS Affiliates rule's
suspension, the EU's 2024 change from ``>50%`` to ``≥50%``, NS-CMIC's +60/+365 days). Dates are
data: :func:`regime_params` resolves them for one ``as_of`` date, and nothing else in the code
compares against a legal date. The mapping from published list names to regimes
(:data:`LIST_TO_REGIME`, :func:`regime_for_list`) is a table here too, so loaders never
scatter it. This module only describes rules; :mod:`ownergraph.queries.restricted` applies them.

Examples
--------
>>> get_regime("uk").threshold_ppm, get_regime("uk").inclusive
(500000, False)
>>> regime_params("eu", "2024-07-02").inclusive, regime_params("eu", "2024-07-03").inclusive
(False, True)
>>> regime_for_list("Entity List (EL) - Bureau of Industry and Security")
'bis-entity-list'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ownergraph.errors import InputError, NotFoundError
from ownergraph.graph.list_regimes import LIST_TO_REGIME, ListMapping, regime_for_list
from ownergraph.graph.model import OWNERSHIP_KINDS, parse_date
from ownergraph.graph.shares import format_ppm
from ownergraph.queries.rows import Row, Rows

__all__ = [
    "LIST_TO_REGIME",
    "REGIMES",
    "SOURCES",
    "EdgeKindRule",
    "EdgeRole",
    "IndirectMethod",
    "ListMapping",
    "Regime",
    "RegimeParams",
    "RegimeRow",
    "RuleIds",
    "RuleStatus",
    "RuleWindow",
    "SeedSource",
    "ThresholdWindow",
    "get_regime",
    "regime_for_list",
    "regime_params",
    "regime_table",
    "regimes_markdown",
]

EdgeRole = Literal["shares", "votes", "controlled", "possibly-controlled", "finding", "ignored"]
"""How an edge kind counts under a regime.

``shares``: summed against the ownership threshold. ``votes``: summed against the votes
threshold (EU control indicator, UK votes limb). ``controlled``: one such edge from a designated
or restricted owner makes the owned entity restricted (control limb). ``possibly-controlled``:
makes it possibly restricted (a rebuttable presumption, e.g. accounting consolidation).
``finding``: does not count, but is reported by ``loopholes`` (control without ownership).
``ignored``: does not count.
"""
IndirectMethod = Literal["cascade", "majority-chain", "none"]
RuleStatus = Literal["in-force", "suspended", "not-in-force"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")

SOURCES: dict[str, str] = {
    "R1": "OFAC FAQ 398 (control vs ownership): ofac.treasury.gov/faqs/398",
    "R2": "OFAC FAQ 401 (indirect ownership; Examples 1-3): ofac.treasury.gov/faqs/401",
    "R3": "OFAC FAQs 398-402, 'Entities Owned by Blocked Persons (50% Rule)': "
    "home.treasury.gov/policy-issues/financial-sanctions/faqs/topic/1521",
    "R4": "Lexology summaries of the August 2014 OFAC guidance (Example 3; 25% + 25%)",
    "R5": "2014 OFAC guidance and FAQ summaries (Sandler Travis; Goodwin; Cleary Gottlieb; "
    "National Law Review: aggregation across programmes, SSI parallel, divestment)",
    "R6": "Federal Register doc 2025-19001, 'Expansion of End-User Controls To Cover Affiliates of "
    "Certain Listed Entities', 90 FR 47201 (effective 2025-09-29)",
    "R7": "15 CFR Part 744 Supp. No. 8 (Affiliates rule text)",
    "R8": "Thompson Hine SmarTrade, Oct 2025 (15 CFR 744.11(a)(1); strict liability)",
    "R9": "BIS Entity List FAQs #43/#45 (ownership only; foreign branches)",
    "R10": "One Year Suspension of Expansion of End-User Controls for Affiliates of Certain Listed "
    "Entities, FR Vol. 90 No. 216 (2025-11-12): suspended 2025-11-10 to 2026-11-09, reimposed "
    "absent a future extension (Skadden; Squire Patton Boggs; Arnold & Porter; Mondaq/Lowenstein: "
    "most restrictive owner, Red Flag 29)",
    "R11": "Troutman Pepper, 'Dissecting the nuances of BIS's new Affiliates Rule' (TGL No. 7)",
    "R12": "OFAC FAQs 857, 859, 861, 863 (NS-CMIC: no 50% rule; 60 days; publicly traded securities)",
    "R13": "OFAC FAQ 860 (ADRs, ETFs, index and mutual funds): ofac.treasury.gov/faqs/860",
    "R14": "OFAC FAQ 1048, 1047, 902, 903 (NS-CMIC after the divestment window)",
    "R16": "EU: Council Best Practices update of 3 July 2024 (DLA Piper; Akin Gump; Sorainen); "
    "Commission consolidated FAQs on Reg. 269/2014 (FAQ 1 presumption, FAQ 8 aggregation); "
    "ecolex 2023 (indirect holdings)",
    "R17": "UK: SI 2019/136 reg. 7; SI 2019/855 Sch. 1 (joint arrangements, majority-stake chains); "
    "OFSI general guidance para 4.14 (March 2022); OFSI ownership and control guidance (Aug 2024)",
    "SY4": "Sayari, May 2026 (expects the 2026-11-10 BIS snapback)",
    "EAR744.8": "15 CFR 744.8(a)(1) licence requirement for SDNs tagged [NPWMD] or [IFSR] "
    "(verify the programme list against the current eCFR text)",
    "SPEC6": "ownergraph SPEC §6 (edge kinds per regime; list to regime mapping)",
}
"""The citations behind every parameter, keyed as in ``docs/regimes.md``."""


class RuleWindow(BaseModel):
    """A dated status of a regime's propagation rule; ``start``/``end`` are inclusive, ``None`` open."""

    model_config = _FROZEN

    start: dt.date | None = None
    end: dt.date | None = None
    status: RuleStatus
    note: str = ""
    sources: tuple[str, ...] = ()

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` falls in the window (bounds inclusive)."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


class ThresholdWindow(BaseModel):
    """A dated ownership threshold; ``start``/``end`` inclusive, ``None`` open."""

    model_config = _FROZEN

    start: dt.date | None = None
    end: dt.date | None = None
    threshold_ppm: int
    inclusive: bool
    note: str = ""
    sources: tuple[str, ...] = ()

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` falls in the window (bounds inclusive)."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


class EdgeKindRule(BaseModel):
    """How one edge kind (SPEC §4 ``kind``) counts under a regime."""

    model_config = _FROZEN

    kind: str
    role: EdgeRole
    note: str = ""


class RuleIds(BaseModel):
    """The rule names written in result rows, one per way a status can be derived."""

    model_config = _FROZEN

    listed: str
    ownership: str | None = None
    votes: str | None = None
    board: str | None = None
    control: str | None = None
    consolidation: str | None = None


class SeedSource(BaseModel):
    """Designations under another regime that also seed this one (e.g. SDNs under § 744.8(a)(1))."""

    model_config = _FROZEN

    regime: str
    programs: tuple[str, ...]
    note: str = ""
    sources: tuple[str, ...] = ()


class Regime(BaseModel):
    """One regime's rules as data (SPEC §6, ``docs/regimes.md`` §2.6).

    Thresholds are parts per million (``500000`` is 50%); ``inclusive`` means ``≥``. Dated
    values are in ``threshold_windows`` and ``rule_windows``; resolve them with
    :func:`regime_params`.

    Examples
    --------
    >>> r = get_regime("ofac-sdn")
    >>> r.threshold_ppm, r.inclusive, r.aggregate, r.indirect
    (500000, True, True, 'cascade')
    >>> r.role("board")
    'finding'
    """

    model_config = _FROZEN

    id: str
    name: str
    seeds: str
    seed_lists: tuple[str, ...] = ()
    threshold_ppm: int | None = None
    inclusive: bool = True
    threshold_windows: tuple[ThresholdWindow, ...] = ()
    votes_threshold_ppm: int | None = None
    votes_inclusive: bool = False
    aggregate: bool = False
    indirect: IndirectMethod = "none"
    pool_arrangements: bool = False
    control_limb: bool = False
    edge_kinds: tuple[EdgeKindRule, ...] = ()
    foreign_only: bool = False
    home_country: str | None = None
    rule_windows: tuple[RuleWindow, ...] = ()
    effective_after_days: int | None = None
    divest_after_days: int | None = None
    also_seeded_by: tuple[SeedSource, ...] = ()
    rules: RuleIds
    effect: str = ""
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def role(self, kind: str) -> EdgeRole:
        """How edges of ``kind`` count (``ignored`` for kinds the regime does not name)."""
        for rule in self.edge_kinds:
            if rule.kind == kind:
                return rule.role
        return "ignored"


class RegimeParams(BaseModel):
    """A regime's parameters resolved for one date (what the fixpoint needs).

    ``roles`` is indexed like :data:`ownergraph.graph.model.OWNERSHIP_KINDS`. ``propagates``
    is false for regimes without propagation and while a dated rule is suspended or not yet in
    force; seeds stay ``designated`` either way.
    """

    model_config = _FROZEN

    regime: str
    as_of: dt.date
    threshold_ppm: int | None
    inclusive: bool
    votes_threshold_ppm: int | None
    votes_inclusive: bool
    aggregate: bool
    indirect: IndirectMethod
    pool_arrangements: bool
    control_limb: bool
    roles: tuple[EdgeRole, ...]
    foreign_only: bool
    home_country: str | None
    rule_status: RuleStatus
    window: RuleWindow | None = None
    propagates: bool

    @property
    def threshold_text(self) -> str:
        """``≥ 50%`` or ``> 50%`` (empty without a threshold)."""
        return _threshold_text(self.threshold_ppm, self.inclusive)


@lru_cache(maxsize=64)
def _threshold_text(ppm: int | None, inclusive: bool) -> str:
    """:attr:`RegimeParams.threshold_text`, cached: every explained row repeats it."""
    if ppm is None:
        return ""
    return ("≥ " if inclusive else "> ") + format_ppm(ppm) + "%"


_OFAC_KINDS = (
    EdgeKindRule(kind="shares", role="shares", note="ownership, summed"),
    EdgeKindRule(kind="votes", role="ignored", note="no (the rule speaks only to ownership)"),
    EdgeKindRule(kind="board", role="finding", note="no — a control-without-ownership finding (FAQ 398)"),
    EdgeKindRule(kind="control", role="finding", note="no — a control-without-ownership finding (FAQ 398)"),
    EdgeKindRule(kind="consolidation", role="ignored", note="no"),
)
_EU_KINDS = (
    EdgeKindRule(kind="shares", role="shares", note="ownership, summed across designated persons"),
    EdgeKindRule(kind="votes", role="votes", note="control indicator: a majority of votes → controlled"),
    EdgeKindRule(kind="board", role="controlled", note="controlled (right to appoint a board majority)"),
    EdgeKindRule(kind="control", role="controlled", note="controlled (dominant influence, e.g. a VIE)"),
    EdgeKindRule(
        kind="consolidation", role="possibly-controlled", note="possibly controlled (rebuttable presumption)"
    ),
)
_UK_KINDS = (
    EdgeKindRule(kind="shares", role="shares", note="ownership (shares limb), per designated person"),
    EdgeKindRule(kind="votes", role="votes", note="votes limb (> 50%), per designated person"),
    EdgeKindRule(kind="board", role="controlled", note="controlled (board limb)"),
    EdgeKindRule(kind="control", role="controlled", note="controlled (second condition)"),
    EdgeKindRule(kind="consolidation", role="possibly-controlled", note="possibly controlled"),
)
_NO_KINDS = tuple(EdgeKindRule(kind=k, role="ignored", note="no propagation") for k in OWNERSHIP_KINDS)

_D = dt.date

REGIMES: dict[str, Regime] = {
    r.id: r
    for r in (
        Regime(
            id="ofac-sdn",
            name="OFAC SDN (50 Percent Rule)",
            seeds="SDN list, all blocking programmes",
            seed_lists=("Specially Designated Nationals (SDN) - Treasury Department",),
            threshold_ppm=500_000,
            inclusive=True,
            aggregate=True,
            indirect="cascade",
            edge_kinds=_OFAC_KINDS,
            rules=RuleIds(listed="ofac-sdn-listed", ownership="ofac-50-aggregate"),
            effect="blocking of all property and interests in property",
            notes=(
                "aggregation across programmes (FAQ 399)",
                "control alone does not block (FAQ 398)",
                "never multiply shares along a chain (FAQ 401)",
            ),
            sources=("R1", "R2", "R3", "R4", "R5"),
        ),
        Regime(
            id="ofac-ssi",
            name="OFAC Sectoral Sanctions Identifications (50% rule)",
            seeds="Sectoral Sanctions Identifications list",
            seed_lists=("Sectoral Sanctions Identifications List (SSI) - Treasury Department",),
            threshold_ppm=500_000,
            inclusive=True,
            aggregate=True,
            indirect="cascade",
            edge_kinds=_OFAC_KINDS,
            rules=RuleIds(listed="ofac-ssi-listed", ownership="ofac-ssi-50-aggregate"),
            effect="directive-specific prohibitions",
            sources=("R5",),
        ),
        Regime(
            id="ofac-ns-cmic",
            name="OFAC Non-SDN Chinese Military-Industrial Complex (NS-CMIC)",
            seeds="NS-CMIC list",
            seed_lists=("Non-SDN Chinese Military-Industrial Complex Companies List (NS-CMIC)",),
            indirect="none",
            edge_kinds=_NO_KINDS,
            effective_after_days=60,
            divest_after_days=365,
            rules=RuleIds(listed="ofac-ns-cmic-listed"),
            effect="purchase or sale by US persons of publicly traded securities of the named entity (and "
            "instruments giving exposure to them); effective listing + 60 days; divest by listing + 365 days",
            notes=("no propagation to parents or subsidiaries (FAQ 857)",),
            sources=("R12", "R13", "R14"),
        ),
        Regime(
            id="bis-entity-list",
            name="BIS Entity List (Affiliates rule)",
            seeds="Entity List ∪ MEU list ∪ SDNs under § 744.8(a)(1) programmes",
            seed_lists=(
                "Entity List (EL) - Bureau of Industry and Security",
                "Military End User (MEU) List - Bureau of Industry and Security",
            ),
            threshold_ppm=500_000,
            inclusive=True,
            aggregate=True,
            indirect="cascade",
            edge_kinds=_OFAC_KINDS,
            foreign_only=True,
            home_country="US",
            rule_windows=(
                RuleWindow(
                    end=_D(2025, 9, 28),
                    status="not-in-force",
                    note="before the Affiliates rule: named entities and their branches only",
                    sources=("R6",),
                ),
                RuleWindow(
                    start=_D(2025, 9, 29),
                    end=_D(2025, 11, 9),
                    status="in-force",
                    note="IFR 90 FR 47201 effective 2025-09-29",
                    sources=("R6", "R7"),
                ),
                RuleWindow(
                    start=_D(2025, 11, 10),
                    end=_D(2026, 11, 9),
                    status="suspended",
                    note="one-year suspension (FR Vol. 90 No. 216); the 'legally distinct' standard applies",
                    sources=("R10",),
                ),
                RuleWindow(
                    start=_D(2026, 11, 10),
                    status="in-force",
                    note="reimposed automatically absent a future extension (verify)",
                    sources=("R10", "SY4"),
                ),
            ),
            also_seeded_by=(
                SeedSource(
                    regime="ofac-sdn",
                    programs=("NPWMD", "IFSR"),
                    note="SDNs designated under programmes listed in § 744.8(a)(1)",
                    sources=("R7", "EAR744.8"),
                ),
            ),
            rules=RuleIds(listed="bis-entity-list-listed", ownership="bis-affiliates-50-aggregate"),
            effect="licence requirement of the most restrictive listed owner",
            notes=(
                "foreign entities only (unknown jurisdiction counts as foreign)",
                "unknown share of a listed owner = Red Flag 29 → possibly restricted",
            ),
            sources=("R6", "R7", "R8", "R9", "R10", "R11"),
        ),
        Regime(
            id="eu",
            name="EU asset freeze (owned or controlled)",
            seeds="EU consolidated financial sanctions list",
            seed_lists=("EU consolidated list",),
            threshold_ppm=500_000,
            inclusive=True,
            threshold_windows=(
                ThresholdWindow(
                    end=_D(2024, 7, 2),
                    threshold_ppm=500_000,
                    inclusive=False,
                    note="> 50% before the Best Practices update",
                    sources=("R16",),
                ),
                ThresholdWindow(
                    start=_D(2024, 7, 3),
                    threshold_ppm=500_000,
                    inclusive=True,
                    note="≥ 50% from the Best Practices update of 3 July 2024",
                    sources=("R16",),
                ),
            ),
            votes_threshold_ppm=500_000,
            votes_inclusive=False,
            aggregate=True,
            indirect="cascade",
            control_limb=True,
            edge_kinds=_EU_KINDS,
            rules=RuleIds(
                listed="eu-listed",
                ownership="eu-50-aggregate",
                votes="eu-control-limb",
                board="eu-control-limb",
                control="eu-control-limb",
                consolidation="eu-control-limb",
            ),
            effect="asset freeze; no funds or economic resources made available",
            notes=(
                "indirect chains: no official arithmetic; cascade by default (ecolex 2023)",
                "control presumption is rebuttable (Commission FAQ 1)",
            ),
            sources=("R16",),
        ),
        Regime(
            id="uk",
            name="UK asset freeze (owned or controlled, SAMLA reg. 7)",
            seeds="UK sanctions list (asset freeze)",
            seed_lists=("UK sanctions list",),
            threshold_ppm=500_000,
            inclusive=False,
            votes_threshold_ppm=500_000,
            votes_inclusive=False,
            aggregate=False,
            indirect="majority-chain",
            pool_arrangements=True,
            control_limb=True,
            edge_kinds=_UK_KINDS,
            rules=RuleIds(
                listed="uk-listed",
                ownership="uk-majority-chain",
                votes="uk-votes-limb",
                board="uk-board-limb",
                control="uk-control-limb",
                consolidation="uk-control-limb",
            ),
            effect="asset freeze",
            notes=(
                "no aggregation across designated persons unless their stakes are under one joint "
                "arrangement (Sch. 1: each party holds the combined shares)",
                "indirect holdings through the person's own majority-stake chain",
            ),
            sources=("R17",),
        ),
        Regime(
            id="info",
            name="Named-only lists (context)",
            seeds="DoD 1260H, BIS MIEU, DPL, NS-MBS, NS-PLC and other named-only lists",
            indirect="none",
            edge_kinds=_NO_KINDS,
            rules=RuleIds(listed="info-listed"),
            effect="none; shown as context",
            sources=("SPEC6",),
        ),
    )
}
"""Every regime by id, in the order of SPEC §6 (the same ids as ``REGIME_IDS`` of the model)."""


def get_regime(regime: str | Regime) -> Regime:
    """The :class:`Regime` with id ``regime`` (a :class:`Regime` is returned as is).

    Raises
    ------
    NotFoundError
        If no regime has that id.

    Examples
    --------
    >>> get_regime("bis-entity-list").foreign_only
    True
    """
    if isinstance(regime, Regime):
        return regime
    key = str(regime).strip().lower()
    try:
        return REGIMES[key]
    except KeyError:
        raise NotFoundError(f"no regime {regime!r}; use one of {', '.join(REGIMES)}") from None


def _day(value: dt.date | str) -> dt.date:
    d = parse_date(value, field="as_of")
    if d is None:
        raise InputError("a date is needed", field="as_of", value=value, fix="pass a date as YYYY-MM-DD")
    return d


def regime_params(regime: str | Regime, as_of: dt.date | str) -> RegimeParams:
    """Resolve a regime's dated values for ``as_of``.

    Parameters
    ----------
    regime
        A regime id or :class:`Regime`.
    as_of
        The date (``datetime.date`` or ISO string).

    Returns
    -------
    RegimeParams
        Threshold and inclusiveness in force on that date, the edge roles, and whether the
        propagation rule applies (``propagates``).

    Examples
    --------
    >>> [regime_params("bis-entity-list", d).rule_status
    ...  for d in ("2025-09-28", "2025-10-15", "2026-03-01", "2026-11-10")]
    ['not-in-force', 'in-force', 'suspended', 'in-force']
    >>> regime_params("eu", "2020-01-01").threshold_text
    '> 50%'
    """
    r = get_regime(regime)
    day = _day(as_of)
    threshold, inclusive = r.threshold_ppm, r.inclusive
    for tw in r.threshold_windows:
        if tw.contains(day):
            threshold, inclusive = tw.threshold_ppm, tw.inclusive
            break
    status: RuleStatus = "in-force"
    window: RuleWindow | None = None
    for rw in r.rule_windows:
        if rw.contains(day):
            status, window = rw.status, rw
            break
    return RegimeParams(
        regime=r.id,
        as_of=day,
        threshold_ppm=threshold,
        inclusive=inclusive,
        votes_threshold_ppm=r.votes_threshold_ppm,
        votes_inclusive=r.votes_inclusive,
        aggregate=r.aggregate,
        indirect=r.indirect,
        pool_arrangements=r.pool_arrangements,
        control_limb=r.control_limb,
        roles=tuple(r.role(k) for k in OWNERSHIP_KINDS),
        foreign_only=r.foreign_only,
        home_country=r.home_country,
        rule_status=status,
        window=window,
        propagates=r.indirect != "none" and status == "in-force" and threshold is not None,
    )


# -- source lists → regimes --------------------------------------------------------------------


# -- documentation -----------------------------------------------------------------------------


def _date_text(d: dt.date | None, open_text: str) -> str:
    return d.isoformat() if d else open_text


def _sources_text(keys: tuple[str, ...]) -> str:
    return " ".join(f"[{k}]" for k in keys)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def regimes_markdown(regimes: Mapping[str, Regime] | None = None) -> str:
    """The parameter, edge-kind, window and list-mapping tables of ``docs/regimes.md``.

    Generated from :data:`REGIMES` and :data:`LIST_TO_REGIME`; a test checks that the project's
    ``docs/regimes.md`` contains exactly this text.

    Examples
    --------
    >>> regimes_markdown().splitlines()[0]
    '## Parameters'
    """
    regs = dict(regimes or REGIMES)
    out = ["## Parameters", ""]
    out.append("| id | name | seeds | threshold | aggregate | indirect | control limb | scope | sources |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for r in regs.values():
        if r.threshold_ppm is None:
            thr = "n/a"
        elif r.threshold_windows:
            thr = "; ".join(
                f"{'≥' if w.inclusive else '>'} {format_ppm(w.threshold_ppm)}% "
                f"({_date_text(w.start, '…')} → {_date_text(w.end, '…')})"
                for w in r.threshold_windows
            )
        else:
            thr = f"{'≥' if r.inclusive else '>'} {format_ppm(r.threshold_ppm)}%"
        if r.votes_threshold_ppm is not None:
            thr += f"; votes {'≥' if r.votes_inclusive else '>'} {format_ppm(r.votes_threshold_ppm)}%"
        scope = f"foreign only (home {r.home_country})" if r.foreign_only else "all"
        out.append(
            f"| `{r.id}` | {_cell(r.name)} | {_cell(r.seeds)} | {thr} | {'yes' if r.aggregate else 'no'} "
            f"| {r.indirect}{' (joint arrangements pooled)' if r.pool_arrangements else ''} "
            f"| {'yes' if r.control_limb else 'no'} | {scope} | {_sources_text(r.sources)} |"
        )
    out += ["", "## Edge kinds", ""]
    out.append("| kind | " + " | ".join(f"`{r.id}`" for r in regs.values()) + " |")
    out.append("|---|" + "---|" * len(regs))
    for k in OWNERSHIP_KINDS:
        cells = []
        for r in regs.values():
            rule = next((e for e in r.edge_kinds if e.kind == k), None)
            cells.append(f"{rule.role}: {_cell(rule.note)}" if rule else "ignored")
        out.append(f"| `{k}` | " + " | ".join(cells) + " |")
    out += ["", "## Dated windows and dates", ""]
    out.append("| regime | from | to | value | note | sources |")
    out.append("|---|---|---|---|---|---|")
    for r in regs.values():
        for tw in r.threshold_windows:
            out.append(
                f"| `{r.id}` | {_date_text(tw.start, '—')} | {_date_text(tw.end, '—')} "
                f"| threshold {'≥' if tw.inclusive else '>'} {format_ppm(tw.threshold_ppm)}% "
                f"| {_cell(tw.note)} | {_sources_text(tw.sources)} |"
            )
        for rw in r.rule_windows:
            out.append(
                f"| `{r.id}` | {_date_text(rw.start, '—')} | {_date_text(rw.end, '—')} | rule {rw.status} "
                f"| {_cell(rw.note)} | {_sources_text(rw.sources)} |"
            )
        if r.effective_after_days is not None:
            out.append(
                f"| `{r.id}` | listing | | effective = listing + {r.effective_after_days} days "
                "(unless published) | | " + _sources_text(r.sources) + " |"
            )
        if r.divest_after_days is not None:
            out.append(
                f"| `{r.id}` | listing | | divest by = listing + {r.divest_after_days} days | | "
                + _sources_text(r.sources)
                + " |"
            )
        for s in r.also_seeded_by:
            out.append(
                f"| `{r.id}` | | | also seeded by `{s.regime}` programmes {', '.join(s.programs)} "
                f"| {_cell(s.note)} | {_sources_text(s.sources)} |"
            )
    out += ["", "## Rule names", ""]
    out.append("| regime | listed | ownership | votes | board | control | consolidation |")
    out.append("|---|---|---|---|---|---|---|")
    for r in regs.values():
        ru = r.rules
        rule_cells: list[str | None] = [
            ru.listed,
            ru.ownership,
            ru.votes,
            ru.board,
            ru.control,
            ru.consolidation,
        ]
        out.append(f"| `{r.id}` | " + " | ".join(f"`{c}`" if c else "—" for c in rule_cells) + " |")
    out += ["", "## Source lists → regimes", ""]
    out.append("First matching row wins; a list that matches no row maps to `info`.")
    out.append("")
    out.append("| # | list name pattern | programme pattern | regime | what | examples |")
    out.append("|---|---|---|---|---|---|")
    for i, m in enumerate(LIST_TO_REGIME, start=1):
        out.append(
            f"| {i} | {f'`{_cell(m.lists)}`' if m.lists else '—'} "
            f"| {f'`{_cell(m.programs)}`' if m.programs else '—'} | `{m.regime}` | {_cell(m.description)} "
            f"| {'; '.join(_cell(e) for e in m.examples)} |"
        )
    out += ["", "## Sources", ""]
    for key, text in SOURCES.items():
        out.append(f"- [{key}] {text}")
    return "\n".join(out) + "\n"


class RegimeRow(Row):
    """One regime's rule as it stands on a date, for ``ownergraph regimes``."""

    id: str
    name: str
    seeds: str
    threshold: str
    aggregate: bool
    indirect: str
    control_limb: bool
    scope: str
    rule_status: str
    propagates: bool
    windows: list[str]
    sources: list[str]
    as_of: dt.date


def regime_table(as_of: dt.date | str) -> Rows[RegimeRow]:
    """Every regime's parameters resolved for ``as_of``, with its dated windows and sources.

    Examples
    --------
    >>> rows = regime_table("2026-03-01")
    >>> [r.rule_status for r in rows if r.id == "bis-entity-list"]
    ['suspended']
    """
    out: Rows[RegimeRow] = Rows()
    for rid, reg in REGIMES.items():
        p = regime_params(reg, as_of)
        windows = [
            f"{w.start or '…'} → {w.end or '…'}: {w.status}" + (f" ({w.note})" if w.note else "")
            for w in reg.rule_windows
        ] + [
            f"{w.start or '…'} → {w.end or '…'}: {'≥' if w.inclusive else '>'} {format_ppm(w.threshold_ppm)}%"
            for w in reg.threshold_windows
        ]
        out.append(
            RegimeRow(
                id=rid,
                name=reg.name,
                seeds=reg.seeds,
                threshold=p.threshold_text or "n/a",
                aggregate=reg.aggregate,
                indirect=reg.indirect,
                control_limb=reg.control_limb,
                scope=f"foreign entities only (not {reg.home_country})"
                if reg.foreign_only
                else "all entities",
                rule_status=str(p.rule_status),
                propagates=p.propagates,
                windows=windows,
                sources=[SOURCES.get(s, s) for s in reg.sources],
                as_of=p.as_of,
            )
        )
    return out
