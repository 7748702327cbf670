"""Who is restricted under a regime, as of a date, and exactly why (SPEC §6, ``docs/regimes.md``).

:func:`restricted` evaluates one regime on a :class:`~ownergraph.graph.view.GraphView` and
returns three-valued statuses: ``designated`` (the seeds), ``restricted`` and
``possibly_restricted``; everything else is not restricted and is not printed.

The semantics, shared with the networkx reference in :mod:`ownergraph.queries.reference`:

* **Units.** Aggregating regimes (OFAC, BIS, EU) have one unit: all seeds together. The UK
  (``majority-chain``) has one unit per designated person ``d``: only ``d`` and what ``d``
  already owns or controls count, and stakes are pooled across holders only within one joint
  ``arrangement`` (Schedule 1: each party holds the combined shares of all parties).
* **Two monotone fixpoints per unit.** *Lower*: an entity joins when the sum of the lower
  bounds of its counting edges from members meets the threshold for certain (``Σlo > T``, or
  ``Σlo == T`` with an inclusive threshold or any open lower bound), when the votes sum is a
  certain majority, or when a member holds a ``controlled`` edge (board/control, control limb).
  *Upper*: the same with upper bounds (``Σhi > T``, or ``Σhi == T`` with an inclusive threshold
  and no open upper bound) over the members of the upper fixpoint, where ``possibly-controlled``
  edges (consolidation) count too. Unknown shares are ``[0, 100]``, so they make their target
  possibly restricted. Attribution cascades: a member's stake counts in full, never multiplied.
* **Statuses.** Restricted = members of some lower fixpoint, possibly restricted = members of
  some upper fixpoint that are not restricted; seeds stay designated. ``iteration`` is the
  synchronous round in which the entity joined (0 for seeds), minimised over units (ties by the
  designated person's id). Scope filters rows, not attribution: an out-of-scope entity (BIS:
  jurisdiction ``US``) gets no row, but a stake held through it still counts ("owned, directly or
  indirectly"), and it appears in bases with ``owner_status`` ``out_of_scope``. While a dated rule
  is suspended or not in force, and for NS-CMIC and ``info``, only seeds are rows.
* **Derivation.** Each derived row's ``basis`` lists the counting edges into it from the
  members of the chosen unit's final fixpoint (plus pooled arrangement partners), ``share`` is
  the sum of their ``shares`` edges as an interval, and ``rule`` is the first that holds of
  ownership, votes, board, control, consolidation.

The fixpoints run round by round, vectorised over the view's CSR arrays
(:func:`~ownergraph.graph.backend.array_fixpoints`); a round touches only the edges out of the
members that joined in the previous one, so they are O(V + E) in the restricted cone, and only
derived rows become Python objects. :func:`evaluate` stops at the statuses; its
:class:`Evaluation` explains rows on demand, so whole-graph callers (``loopholes``,
``exposure``) pay for the rows they print only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from ownergraph.errors import InputError
from ownergraph.graph.backend import FixpointRule
from ownergraph.graph.cache import NO_DATE_LO, days
from ownergraph.graph.model import OWNERSHIP_KINDS, REGIME_IDS, parse_date
from ownergraph.graph.shares import PPM, Share
from ownergraph.graph.view import GraphView, date_of
from ownergraph.queries.regimes import Regime, RegimeParams, get_regime, regime_params
from ownergraph.queries.rows import BasisItem, Row, Rows, ShareCols, constructed, paused_gc, share_columns

__all__ = [
    "STATUSES",
    "Cause",
    "Evaluation",
    "Owner",
    "RestrictedRow",
    "Status",
    "aggregate_share",
    "evaluate",
    "explanation",
    "program_tokens",
    "restricted",
    "seed_dates",
]

Status = Literal["designated", "restricted", "possibly_restricted"]
STATUSES: tuple[Status, ...] = ("designated", "restricted", "possibly_restricted")
Cause = Literal["listed", "ownership", "votes", "board", "control", "consolidation"]
Owner = tuple[str, str | None, str, str]
"""A basis item as the explanation needs it: owner id, owner status, edge kind, share text."""

_SHARES, _VOTES, _CTRL, _POSS = 1, 2, 3, 4
_BOARD, _CONTROL = OWNERSHIP_KINDS.index("board"), OWNERSHIP_KINDS.index("control")
_CAUSES: tuple[Cause, ...] = ("ownership", "votes", "board", "control", "consolidation")
I64s = npt.NDArray[np.int64]
_ROLE_CODE = {"shares": _SHARES, "votes": _VOTES, "controlled": _CTRL, "possibly-controlled": _POSS}
_STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}
_MAX_OWNERS_TEXT = 4
_OWNER_STATUS_TEXT = {
    "designated": "designated",
    "restricted": "restricted",
    "possibly_restricted": "possibly restricted",
    "out_of_scope": "out of scope, owned by listed parties",
}


class RestrictedRow(Row):
    """One entity's status under one regime as of a date, with its derivation.

    ``share_min``/``share_max``/``share`` are the aggregate attributed ownership interval (the
    sum of the ``shares`` edges in ``basis``), null for seeds and for rows derived by control
    alone. ``chain_of`` names the designated person whose majority-stake chain derived a UK row.
    """

    id: str
    name: str
    regime: str
    status: Status
    share_min: float | None = None
    share_max: float | None = None
    share: str | None = None
    basis: list[BasisItem] = Field(default_factory=list)
    rule: str
    iteration: int = 0
    as_of: dt.date
    effective: dt.date | None = None
    divest_by: dt.date | None = None
    chain_of: str | None = None
    explanation: str


_BY_OWNER_KIND = itemgetter(0, 1)
_BY_KEY = itemgetter(0)
_SEED_FIELDS = frozenset(
    ("id", "name", "regime", "status", "rule", "iteration", "as_of", "effective", "divest_by", "explanation")
)
"""The fields a seed row gives explicitly (the others keep their defaults), as ``model_fields_set``."""
_DERIVED_FIELDS = frozenset(
    ("id", "name", "regime", "status", "basis", "rule", "iteration", "as_of", "chain_of", "explanation")
)
_SHARED_FIELDS = _DERIVED_FIELDS | {"share_min", "share_max", "share"}
_BASIS_FIELDS = frozenset(BasisItem.model_fields)


def _sum_columns(parts: Iterable[tuple[int, int, int]]) -> tuple[int, int, int] | None:
    """:func:`aggregate_share` on ``(lo, hi, flags)`` columns (flags as :meth:`Share.to_flags`)."""
    lo = hi = 0
    lo_open = hi_open = False
    n = known = 0
    for plo, phi, fl in parts:
        n += 1
        known += not fl & 4
        lo += plo
        hi += phi
        lo_open = lo_open or bool(fl & 1)
        hi_open = hi_open or bool(fl & 2)
    return _total(n, known, lo, hi, lo_open, hi_open)


@lru_cache(maxsize=65536)
def _total_cols(n: int, known: int, lo: int, hi: int, lo_open: bool, hi_open: bool) -> ShareCols | None:
    """:func:`_total` with its output fields, cached on the ints (the derivations' sums)."""
    total = _total(n, known, lo, hi, lo_open, hi_open)
    return None if total is None else share_columns(*total)


def _total(n: int, known: int, lo: int, hi: int, lo_open: bool, hi_open: bool) -> tuple[int, int, int] | None:
    """The sum of ``n`` share intervals (``known`` of them known; an unknown one adds ``[0, 100]``)
    from the sums of their bounds and whether any bound is open: capped at 100%, unknown when
    every part is, ``None`` for no parts."""
    if n == 0:
        return None
    if known == 0:
        return 0, PPM, 4
    if lo >= PPM:
        lo, lo_open = PPM, False
    if hi >= PPM:
        hi, hi_open = PPM, False
    if lo == hi:
        lo_open = hi_open = False
    return lo, hi, int(lo_open) | int(hi_open) << 1


# -- helpers shared with the reference implementation -----------------------------------------


def aggregate_share(parts: Iterable[Share]) -> Share | None:
    """The sum of share intervals: bounds add, a bound is open if any summand's is, capped at 100%.

    ``None`` for no parts; unknown when every part is unknown.

    Examples
    --------
    >>> from ownergraph.graph.shares import parse_share
    >>> str(aggregate_share([parse_share("25"), parse_share("(25,50]")]))
    '(50,75]'
    >>> str(aggregate_share([parse_share("60"), parse_share("70")]))
    '100'
    """
    total = _sum_columns((s.lo, s.hi, s.to_flags()) for s in parts)
    return None if total is None else Share.from_columns(*total)


def program_tokens(program: str | None) -> set[str]:
    """Programme tags of a published programme string: ``"NPWMD] [IFSR"`` → ``{"NPWMD", "IFSR"}``."""
    if not program:
        return set()
    return {t.upper() for t in re.split(r"[\[\];,\s]+", program) if t}


def seed_dates(
    regime: Regime, listed: dt.date | None, effective: dt.date | None
) -> tuple[dt.date | None, dt.date | None]:
    """``effective`` and ``divest_by`` of a seed row from its designation's dates.

    NS-CMIC: effective as published, else listing + 60 days; divest by listing + 365 days.
    Other regimes: the published effective date, else the listing date; no divestment date.

    Examples
    --------
    >>> from ownergraph.queries.regimes import get_regime
    >>> seed_dates(get_regime("ofac-ns-cmic"), dt.date(2021, 6, 3), None)
    (datetime.date(2021, 8, 2), datetime.date(2022, 6, 3))
    """
    eff = effective
    if eff is None and listed is not None:
        eff = listed + dt.timedelta(days=regime.effective_after_days or 0)
    divest = None
    if regime.divest_after_days is not None and listed is not None:
        divest = listed + dt.timedelta(days=regime.divest_after_days)
    return eff, divest


@lru_cache(maxsize=4096)
def _pct(s: Share | None) -> str:
    if s is None:
        return "no stake"
    return "an unknown share" if not s.known else f"{s}%"


def _owners_text(owners: Sequence[Owner]) -> str:
    parts = []
    for owner_id, owner_status, kind, share in owners[:_MAX_OWNERS_TEXT]:
        status = _OWNER_STATUS_TEXT.get(owner_status or "", "joint-arrangement partner")
        pct = "unknown" if share == "unknown" else f"{share}%"
        parts.append(f"{owner_id} ({status}) {kind} {pct}")
    more = len(owners) - _MAX_OWNERS_TEXT
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def explanation(
    regime: Regime,
    params: RegimeParams,
    *,
    status: Status,
    cause: Cause,
    rule: str,
    name: str,
    iteration: int,
    share: Share | None = None,
    votes: Share | None = None,
    owners: Sequence[Owner] = (),
    chain_of: str | None = None,
    list_name: str | None = None,
    program: str | None = None,
    listed: dt.date | None = None,
    effective: dt.date | None = None,
    divest_by: dt.date | None = None,
    via: str | None = None,
) -> str:
    """The one-sentence explanation of a row (the same text from both implementations).

    ``owners`` are the basis items in order as ``(owner_id, owner_status, kind, share)``.

    Examples
    --------
    >>> from ownergraph.graph.shares import parse_share
    >>> from ownergraph.queries.regimes import get_regime, regime_params
    >>> explanation(get_regime("ofac-sdn"), regime_params("ofac-sdn", "2025-01-01"), status="restricted",
    ...             cause="ownership", rule="ofac-50-aggregate", name="B", iteration=2,
    ...             share=parse_share("50"), owners=[("A", "restricted", "shares", "50")])
    'B is restricted under OFAC SDN (50 Percent Rule): designated or restricted owners hold 50% in \
aggregate (A (restricted) shares 50%), ≥ 50% (ofac-50-aggregate, round 2).'
    """
    rname = regime.name
    tail = f" ({rule}, round {iteration})."
    if cause == "listed":
        on = list_name or regime.seeds
        text = f"{name} is designated under {rname}: on {on}"
        if program:
            text += f" ({program})"
        if via:
            text += f", {via}"
        if listed:
            text += f", listed {listed.isoformat()}"
        text += "."
        if regime.divest_after_days is not None:
            eff = effective.isoformat() if effective else "unknown"
            div = divest_by.isoformat() if divest_by else "unknown"
            text += (
                f" US-person purchases are prohibited from {eff}"
                f" and divestment is allowed until {div};"
                " the restriction does not pass to parents or subsidiaries (OFAC FAQ 857)."
            )
        elif regime.indirect == "none":
            text += " Named-only list: context, no propagation."
        elif not params.propagates:
            text += (
                f" The ownership rule is {params.rule_status.replace('-', ' ')} on"
                f" {params.as_of.isoformat()}, so it does not extend to owned entities."
            )
        return text
    who_text = _owners_text(owners)
    if status == "restricted":
        if cause == "ownership":
            if chain_of is not None:
                return (
                    f"{name} is owned by designated person {chain_of} under {rname}: its majority-stake"
                    f" chain holds {_pct(share)} ({who_text}), {params.threshold_text}" + tail
                )
            return (
                f"{name} is restricted under {rname}: designated or restricted owners hold {_pct(share)}"
                f" in aggregate ({who_text}), {params.threshold_text}" + tail
            )
        if cause == "votes":
            who = (
                f"designated person {chain_of} and its chain"
                if chain_of
                else "designated or restricted owners"
            )
            return (
                f"{name} is restricted under {rname}: {who} hold {_pct(votes)} of the votes, a majority"
                f" ({who_text})" + tail
            )
        who = f" through the chain of designated person {chain_of}" if chain_of else ""
        return f"{name} is controlled{who} under {rname} (control limb: {cause}) ({who_text})" + tail
    if cause == "ownership":
        return (
            f"{name} is possibly restricted under {rname}: owners that are or may be restricted hold"
            f" {_pct(share)} ({who_text}), which may be {params.threshold_text}" + tail
        )
    if cause == "votes":
        return (
            f"{name} is possibly restricted under {rname}: owners that are or may be restricted hold"
            f" {_pct(votes)} of the votes, possibly a majority ({who_text})" + tail
        )
    if cause == "consolidation":
        return (
            f"{name} is possibly restricted under {rname}: consolidated by an owner that is or may be"
            f" restricted, a rebuttable presumption of control ({who_text})" + tail
        )
    return (
        f"{name} is possibly restricted under {rname}: an owner that may be restricted holds a {cause}"
        f" right over it ({who_text})" + tail
    )


# -- the array implementation ------------------------------------------------------------------


@dataclass(slots=True)
class _Derived:
    node: int
    level: int
    upper: bool
    chain: int | None
    members: dict[int, int]
    edges: list[int]
    cause: Cause
    share: ShareCols | None
    votes: ShareCols | None


class _Engine:
    """One regime's fixpoints and derivations over a view's CSR arrays."""

    def __init__(self, view: GraphView, params: RegimeParams) -> None:
        self.view = view
        self.params = params
        self.roles = tuple(_ROLE_CODE.get(r, 0) for r in params.roles)
        self.T = params.threshold_ppm if params.threshold_ppm is not None else PPM + 1
        self.incl = params.inclusive
        self.VT = params.votes_threshold_ppm if params.votes_threshold_ppm is not None else PPM + 1
        self.vincl = params.votes_inclusive
        self.pool = params.pool_arrangements
        self.rule = FixpointRule(self.roles, self.T, self.incl, self.VT, self.vincl, self.pool)
        self._scope: dict[int, bool] = {}

    def bind(self, view: GraphView) -> None:
        """Read derivations from ``view``'s arrays: the fixpoint view itself in memory, the
        edges into the derived entities read from the server on Neo4j (``view.around``)."""
        self.view = view
        self.ptr = view.out_ptr
        self.in_ptr = view.in_ptr
        self.in_edges = view.in_edges
        self.src = view.src
        self.dst = view.dst
        self.lo = view.lo
        self.hi = view.hi
        self.flags = view.flags
        self.kind = view.kind
        self._arr: dict[int, str | None] = {}
        self._has_arr: npt.NDArray[np.bool_] | None = None
        self._arr_col: pa.ChunkedArray | None = None
        if self.pool and view.m:
            col = view.table("edges").column("arrangement")
            valid = pc.is_valid(col).to_numpy(zero_copy_only=False)
            self._has_arr = np.asarray(valid, dtype=bool)[view.edge_rows]
            self._arr_col = col

    def in_scope(self, y: int) -> bool:
        if not self.params.foreign_only:
            return True
        hit = self._scope.get(y)
        if hit is None:
            jur = self.view.jurisdiction(y)
            home = self.params.home_country or ""
            hit = jur is None or jur.split("-")[0].upper() != home
            self._scope[y] = hit
        return hit

    def prefetch_scope(self, nodes: Iterable[int]) -> None:
        """Look up the jurisdictions of many nodes at once (BIS scope)."""
        if not self.params.foreign_only:
            return
        todo = [y for y in nodes if y not in self._scope]
        if not todo:
            return
        jur = self.view.jurisdictions(todo)
        home = self.params.home_country or ""
        for y, j in zip(todo, jur, strict=True):
            self._scope[y] = j is None or str(j).split("-")[0].upper() != home

    def arrangement(self, e: int) -> str | None:
        if self._has_arr is None or self._arr_col is None or not self._has_arr[e]:
            return None
        if e not in self._arr:
            self._arr[e] = self._arr_col[int(self.view.edge_rows[e])].as_py()
        return self._arr[e]

    def fixpoints(self, units: Sequence[Iterable[int]], upper: bool) -> list[dict[int, int]]:
        """Members of the lower (``upper=False``) or upper fixpoint from each unit's seeds, with
        rounds: the engine's primitive (numpy in memory, rounds of Cypher on a Neo4j server,
        all the units in one query per round)."""
        return self.view.fixpoints(units, upper, self.rule)

    def derive_all(
        self, items: Sequence[tuple[int, dict[int, int], bool, int, int | None]]
    ) -> list[_Derived]:
        """Derivations of many entities: ``(node, unit members, upper, round, chain)`` each.

        Vectorised over the in-edges of all of them at once (one CSR gather): an edge counts
        when its role counts in the entity's fixpoint (possible control only in the upper one)
        and its owner is a member of the entity's unit (plus, with pooling, the edges of the
        same joint arrangement and role); the sums of the counting shares and votes edges (lower
        bounds, or upper bounds in the upper fixpoint, an unknown share as ``[0, 100]``) give the
        cause, the first of ownership, votes, board, control and consolidation that holds.
        """
        k = len(items)
        if not k:
            return []
        ys = np.fromiter((it[0] for it in items), dtype=np.int64, count=k)
        starts, ends = self.in_ptr[ys], self.in_ptr[ys + 1]
        lens = ends - starts
        total = int(lens.sum())
        offsets = np.cumsum(lens) - lens
        es = self.in_edges[np.repeat(starts - offsets, lens) + np.arange(total, dtype=np.int64)]
        item = np.repeat(np.arange(k, dtype=np.int64), lens)
        srcs = self.src[es].astype(np.int64)
        kinds = self.kind[es]
        roles = np.asarray(self.roles, dtype=np.int8)[kinds]
        uppers = np.fromiter((it[2] for it in items), dtype=bool, count=k)
        up = uppers[item]
        # owners that are members of the entity's unit: (unit, node) keys, units by identity
        unit_of: dict[int, int] = {}
        units: list[dict[int, int]] = []
        for it in items:
            if unit_of.setdefault(id(it[1]), len(units)) == len(units):
                units.append(it[1])
        unit = np.fromiter((unit_of[id(it[1])] for it in items), dtype=np.int64, count=k)
        nodes = [np.fromiter(m, dtype=np.int64, count=len(m)) for m in units]
        span = 1 + max(int(srcs.max(initial=0)), *(int(a.max(initial=0)) for a in nodes))
        member_keys = np.concatenate([u * span + a for u, a in enumerate(nodes)])
        inc = (roles != 0) & ((roles != _POSS) | up) & np.isin(unit[item] * span + srcs, member_keys)
        if self.pool and self._has_arr is not None and inc.any():
            # pooled: every edge into the entity of an arrangement and role a counting edge has
            pos = np.flatnonzero(self._has_arr[es] & ((roles == _SHARES) | (roles == _VOTES)))
            if len(pos):
                codes: dict[str | None, int] = {}
                code = np.fromiter(
                    (codes.setdefault(self.arrangement(e), len(codes)) for e in es[pos].tolist()),
                    dtype=np.int64,
                    count=len(pos),
                )
                group = (item[pos] * (len(codes) + 1) + code) * 8 + roles[pos]
                inc[pos[np.isin(group, group[inc[pos]])]] = True
        sel = np.flatnonzero(inc)
        at, r, e_sel = item[sel], roles[sel], es[sel]
        fl = self.flags[e_sel].astype(np.int64)
        lo, hi = self.lo[e_sel].astype(np.int64), self.hi[e_sel].astype(np.int64)
        unknown = (fl & 4) > 0
        up_sel = up[sel]
        bound = np.where(up_sel, np.where(unknown, PPM, hi), np.where(unknown, 0, lo))
        opened = ~unknown & ((fl & np.where(up_sel, 2, 1)) > 0)

        def per_item(mask: npt.NDArray[np.bool_], weights: npt.NDArray[np.int64] | None = None) -> I64s:
            return np.bincount(at[mask], weights=None if weights is None else weights[mask], minlength=k)

        cols = []  # per role: parts, known parts, sums of lo and hi, any open lo/hi, meets
        for role in (_SHARES, _VOTES):
            is_r = r == role
            tot = per_item(is_r, bound).astype(np.int64)
            opn = per_item(is_r & opened) > 0
            votes = role == _VOTES
            meets = np.where(
                uppers, self.rule.meets(tot, opn, votes, True), self.rule.meets(tot, opn, votes, False)
            )
            known = is_r & ~unknown
            cols.append(
                (
                    per_item(is_r).tolist(),
                    per_item(known).tolist(),
                    per_item(known, lo).astype(np.int64).tolist(),
                    (per_item(known, hi) + PPM * per_item(is_r & unknown)).astype(np.int64).tolist(),
                    (per_item(known & ((fl & 1) > 0)) > 0).tolist(),
                    (per_item(known & ((fl & 2) > 0)) > 0).tolist(),
                    (meets & (per_item(is_r) > 0)),
                )
            )
        limb = r >= _CTRL
        board = per_item(limb & (self.kind[e_sel] == _BOARD)) > 0
        control = per_item(limb & (self.kind[e_sel] == _CONTROL)) > 0
        cause = np.select([cols[0][6], cols[1][6], board, control], [0, 1, 2, 3], 4).tolist()
        bounds = np.searchsorted(at, np.arange(k + 1)).tolist()
        edges = e_sel.tolist()
        (sn, sk, slo, shi, slo_o, shi_o, _m), (vn, vk, vlo, vhi, vlo_o, vhi_o, _v) = cols
        return [
            _Derived(
                y,
                level,
                upper,
                chain,
                members,
                edges[bounds[j] : bounds[j + 1]],
                _CAUSES[cause[j]],
                _total_cols(sn[j], sk[j], slo[j], shi[j], slo_o[j], shi_o[j]),
                _total_cols(vn[j], vk[j], vlo[j], vhi[j], vlo_o[j], vhi_o[j]),
            )
            for j, (y, members, upper, level, chain) in enumerate(items)
        ]


def _rule_of(regime: Regime, cause: Cause) -> str:
    rules = regime.rules
    name = {
        "listed": rules.listed,
        "ownership": rules.ownership,
        "votes": rules.votes,
        "board": rules.board,
        "control": rules.control,
        "consolidation": rules.consolidation,
    }[cause]
    return name or rules.control or rules.ownership or rules.listed


@dataclass(slots=True)
class _Seed:
    node: int
    list_name: str | None
    program: str | None
    listed: dt.date | None
    effective: dt.date | None
    via: str | None


def _active_designations(view: GraphView, regime_id: str) -> tuple[npt.NDArray[np.int64], pa.Table]:
    """Rows of the designations table active on the view's date for one regime, earliest first."""
    t = view.table("designations")
    if t.num_rows == 0:
        return np.zeros(0, np.int64), t
    reg = t.column("regime").to_numpy()
    listed = t.column("listed").to_numpy()
    effective = t.column("effective").to_numpy()
    removed = t.column("removed").to_numpy()
    d = days(view.as_of)
    since = np.where(listed != NO_DATE_LO, listed, effective)
    rows = np.flatnonzero((reg == REGIME_IDS.index(regime_id)) & (since <= d) & (d < removed))
    rows = rows[np.argsort(since[rows], kind="stable")]
    return rows.astype(np.int64), t


_day_or_none = lru_cache(maxsize=65536)(date_of)
""":func:`~ownergraph.graph.view.date_of` cached: seeds share a few thousand listing days."""


def _seeds(view: GraphView, regime: Regime) -> dict[int, _Seed]:
    out: dict[int, _Seed] = {}
    sources: list[tuple[str, tuple[str, ...] | None, str | None]] = [(regime.id, None, None)]
    for extra in regime.also_seeded_by:
        sources.append((extra.regime, extra.programs, extra.note))
    for rid, programs, via in sources:
        rows, t = _active_designations(view, rid)
        if len(rows) == 0:
            continue
        nodes = t.column("node").to_numpy()[rows].tolist()
        progs = t.column("program").take(pa.array(rows)).to_pylist()
        keep = [
            k
            for k in range(len(rows))
            if nodes[k] not in out and (programs is None or program_tokens(progs[k]) & set(programs))
        ]
        first: dict[int, int] = {}
        for k in keep:
            first.setdefault(nodes[k], k)
        if not first:
            continue
        sel = np.array([rows[k] for k in first.values()], dtype=np.int64)
        lists = t.column("list").take(pa.array(sel)).to_pylist()
        listed = t.column("listed").to_numpy()[sel].tolist()
        eff = t.column("effective").to_numpy()[sel].tolist()
        for j, (node, k) in enumerate(first.items()):
            out[node] = _Seed(node, lists[j], progs[k], _day_or_none(listed[j]), _day_or_none(eff[j]), via)
    return out


def restricted(
    view: GraphView, regime: str | Regime, *, as_of: dt.date | str | None = None
) -> Rows[RestrictedRow]:
    """Statuses under one regime as of the view's date, each with its derivation.

    Parameters
    ----------
    view
        The graph as of a date (``ws.graph(as_of=...)``).
    regime
        A regime id (``ofac-sdn``, ``ofac-ssi``, ``ofac-ns-cmic``, ``bis-entity-list``, ``eu``,
        ``uk``, ``info``) or a :class:`~ownergraph.queries.regimes.Regime`.
    as_of
        Evaluate on another date: the view's workspace is asked for that date's view.

    Returns
    -------
    Rows[RestrictedRow]
        ``designated`` rows, then ``restricted``, then ``possibly_restricted``, each by round
        and id.

    Raises
    ------
    NotFoundError
        For an unknown regime id.

    Examples
    --------
    >>> import tempfile, pathlib, ownergraph, ownergraph.data
    >>> bundle = pathlib.Path(ownergraph.data.__file__).parent / "sensetime"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ws = ownergraph.open(tmp)
    ...     _ = ws.load([bundle])
    ...     rows = restricted(ws.graph(as_of="2022-01-07"), "ofac-ns-cmic")
    ...     ws.close()
    >>> [(r.id, r.status, str(r.effective), str(r.divest_by)) for r in rows]
    [('sensetime-group-ltd', 'designated', '2022-02-08', '2022-12-10')]
    """
    reg = get_regime(regime)
    if as_of is not None:
        day = parse_date(as_of, field="as_of")
        if day is not None and day != view.as_of:
            if view.workspace is None:
                raise InputError(
                    f"this view is as of {view.as_of}", field="as_of", value=day,
                    fix="build a view for that date with ws.graph(as_of=...)",
                )
            view = view.workspace.graph(day)
    with paused_gc():
        return evaluate(view, reg).rows()


@dataclass
class Evaluation:
    """One regime evaluated on one view: every status, with the derivations left to build on demand.

    The fixpoints fix every status; explaining a row (basis, share, rule, sentence) costs far
    more than deciding it, so :meth:`rows` builds rows only for the nodes asked for. Queries that
    read statuses of the whole graph (``loopholes``, ``exposure``) take :attr:`status` and
    explain only the entities they report.
    """

    view: GraphView
    regime: Regime
    params: RegimeParams
    seeds: dict[int, _Seed]
    status: dict[int, Status]
    """Every node with a status: seeds, then derived nodes (out-of-scope nodes have none)."""
    best: dict[int, tuple[int, bool, int | None, dict[int, int]]]
    """Derived node -> (round, upper, chain, members of the unit's final fixpoint)."""
    engine: _Engine | None

    def in_scope(self, node: int) -> bool:
        return True if self.engine is None else self.engine.in_scope(node)

    def rows(self, nodes: Iterable[int] | None = None) -> Rows[RestrictedRow]:
        """The explained rows of ``nodes`` that have a status (default: all), in output order."""
        if nodes is None:
            seeds, want = list(self.seeds), list(self.best)
        else:
            pick = set(nodes)
            seeds = [x for x in self.seeds if x in pick]
            want = [x for x in self.best if x in pick]
        derived: list[_Derived] = []
        if want and self.engine is not None:
            best = self.best
            # the edges into the derived entities: the view itself in memory, read from the
            # server on Neo4j
            self.engine.bind(self.view.around(want, "in"))
            derived = self.engine.derive_all(
                [(y, best[y][3], best[y][1], best[y][0], best[y][2]) for y in want]
            )
            return _rows(self, self.engine.view, seeds, derived)
        return _rows(self, self.view.around((), "in"), seeds, derived)  # seeds only: no edges


def evaluate(view: GraphView, regime: str | Regime) -> Evaluation:
    """Run one regime's fixpoints on ``view``: every status, no row built yet (see :class:`Evaluation`).

    Examples
    --------
    >>> import tempfile, pathlib, ownergraph, ownergraph.data
    >>> bundle = pathlib.Path(ownergraph.data.__file__).parent / "sensetime"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ws = ownergraph.open(tmp)
    ...     _ = ws.load([bundle])
    ...     ev = evaluate(ws.graph(as_of="2022-01-07"), "ofac-ns-cmic")
    ...     rows = ev.rows()
    ...     ws.close()
    >>> list(ev.status.values()), [r.id for r in rows]
    (['designated'], ['sensetime-group-ltd'])
    """
    reg = get_regime(regime)
    params = regime_params(reg, view.as_of)
    seeds = _seeds(view, reg)
    status: dict[int, Status] = dict.fromkeys(seeds, "designated")
    seed_nodes = sorted(seeds)
    if not (params.propagates and seed_nodes):
        return Evaluation(view, reg, params, seeds, status, {}, None)
    eng = _Engine(view, params)
    best_r: dict[int, tuple[int, str, int | None, dict[int, int]]] = {}
    best_p: dict[int, tuple[int, str, int | None, dict[int, int]]] = {}
    if params.indirect == "majority-chain":
        units: list[tuple[int | None, list[int]]] = [(d, [d]) for d in seed_nodes]
    else:
        units = [(None, seed_nodes)]
    done = {upper: eng.fixpoints([members for _chain, members in units], upper) for upper in (False, True)}
    for u, (chain, members) in enumerate(units):
        key: str | None = "" if chain is None else None
        for upper, best in ((False, best_r), (True, best_p)):
            fp = done[upper][u]
            if len(fp) == len(members):
                continue
            if key is None:
                key = view.id(chain) if chain is not None else ""
            eng.prefetch_scope(fp)
            scope = eng.in_scope if params.foreign_only else None
            if not best:  # the first unit: no tie to break (every unit of OFAC, BIS and the EU)
                best.update(
                    (y, (k, key, chain, fp))
                    for y, k in fp.items()
                    if y not in seeds and (scope is None or scope(y))
                )
                continue
            for y, k in fp.items():
                if y in seeds or (scope is not None and not scope(y)):
                    continue
                cur = best.get(y)
                if cur is None or (k, key) < (cur[0], cur[1]):
                    best[y] = (k, key, chain, fp)
    derived: dict[int, tuple[int, bool, int | None, dict[int, int]]] = {
        y: (k, False, chain, fp) for y, (k, _key, chain, fp) in best_r.items()
    }
    for y, (k, _key, chain, fp) in best_p.items():
        if y not in derived:
            derived[y] = (k, True, chain, fp)
    for y, (_k, upper, _c, _fp) in derived.items():
        status[y] = "possibly_restricted" if upper else "restricted"
    return Evaluation(view, reg, params, seeds, status, derived, eng)


def _rows(
    ev: Evaluation, view: GraphView, seeds: Sequence[int], derived: Sequence[_Derived]
) -> Rows[RestrictedRow]:
    """Build the rows from values that are valid by construction (ids, names, dates and shares
    read from the validated workspace, statuses and rules from this module), so without a second
    pydantic validation (:func:`~ownergraph.queries.rows.constructed`).
    ``view`` holds the edges the derivations name (``ev.view`` or a server read around them)."""
    reg, params, status = ev.regime, ev.params, ev.status
    edge_ids = sorted({e for dv in derived for e in dv.edges})
    e_arr = np.asarray(edge_ids, dtype=np.int64)
    e_src = view.src[e_arr].tolist()
    e_lo, e_hi = view.lo[e_arr].tolist(), view.hi[e_arr].tolist()
    e_flags, e_kind = view.flags[e_arr].tolist(), view.kind[e_arr].tolist()
    nodes_needed = {*seeds, *(dv.node for dv in derived), *e_src}
    nodes_needed.update(dv.chain for dv in derived if dv.chain is not None)
    node_list = sorted(nodes_needed)
    ids = dict(zip(node_list, view.ids_of(node_list), strict=True))
    names = dict(zip(node_list, view.names(node_list), strict=True))
    src_vals: list[str | None] = []
    if edge_ids:
        src_vals = view.table("edges").column("source").take(pa.array(view.edge_rows[e_arr])).to_pylist()
    edge_info = {
        e: (
            e_src[i],
            ids[e_src[i]],
            OWNERSHIP_KINDS[e_kind[i]],
            share_columns(e_lo[i], e_hi[i], e_flags[i]),
            src_vals[i],
        )
        for i, e in enumerate(edge_ids)
    }
    out: list[tuple[tuple[int, int, str], RestrictedRow]] = []
    as_of = view.as_of
    listed_rule = reg.rules.listed
    rule_of: dict[Cause, str] = {c: _rule_of(reg, c) for c in get_args(Cause)}
    for node in seeds:
        sd = ev.seeds[node]
        eff, divest = seed_dates(reg, sd.listed, sd.effective)
        name = names[node]
        text = explanation(
            reg,
            params,
            status="designated",
            cause="listed",
            rule=listed_rule,
            name=name,
            iteration=0,
            list_name=sd.list_name,
            program=sd.program,
            listed=sd.listed,
            effective=eff,
            divest_by=divest,
            via=sd.via,
        )
        node_id = ids[node]
        values: dict[str, object] = {
            "id": node_id,
            "name": name,
            "regime": reg.id,
            "status": "designated",
            "share_min": None,
            "share_max": None,
            "share": None,
            "basis": [],
            "rule": listed_rule,
            "iteration": 0,
            "as_of": as_of,
            "effective": eff,
            "divest_by": divest,
            "chain_of": None,
            "explanation": text,
        }
        out.append(((0, 0, node_id), constructed(RestrictedRow, values, set(_SEED_FIELDS))))
    in_scope = ev.in_scope
    for dv in derived:
        y = dv.node
        y_id = ids[y]
        items: list[tuple[str, str, str | None, ShareCols, str | None]] = []
        for e in dv.edges:
            owner, owner_id, kind, cols, source = edge_info[e]
            owner_status: str | None = status.get(owner)
            if owner_status is None and owner in dv.members and not in_scope(owner):
                owner_status = "out_of_scope"
            items.append((owner_id, kind, owner_status, cols, source))
        if len(items) > 1:
            items.sort(key=_BY_OWNER_KIND)
        basis: list[BasisItem] = []
        owners: list[Owner] = []
        for owner_id, kind, owner_status, cols, source in items:
            item = {
                "owner_id": owner_id,
                "kind": kind,
                "share_min": cols[1],
                "share_max": cols[2],
                "share": cols[3],
                "source": source,
                "owned_id": y_id,
                "owner_status": owner_status,
            }
            basis.append(constructed(BasisItem, item, set(_BASIS_FIELDS)))
            owners.append((owner_id, owner_status, kind, cols[3]))
        st: Status = "possibly_restricted" if dv.upper else "restricted"
        rule = rule_of[dv.cause]
        chain_id = None if dv.chain is None else ids[dv.chain]
        text = explanation(
            reg,
            params,
            status=st,
            cause=dv.cause,
            rule=rule,
            name=names[y],
            iteration=dv.level,
            share=dv.share[0] if dv.share is not None else None,
            votes=dv.votes[0] if dv.votes is not None else None,
            owners=owners,
            chain_of=chain_id,
        )
        share_min, share_max, share = (None, None, None) if dv.share is None else dv.share[1:]
        values = {
            "id": y_id,
            "name": names[y],
            "regime": reg.id,
            "status": st,
            "share_min": share_min,
            "share_max": share_max,
            "share": share,
            "basis": basis,
            "rule": rule,
            "iteration": dv.level,
            "as_of": as_of,
            "effective": None,
            "divest_by": None,
            "chain_of": chain_id,
            "explanation": text,
        }
        given = set(_DERIVED_FIELDS if dv.share is None else _SHARED_FIELDS)
        out.append(((_STATUS_RANK[st], dv.level, y_id), constructed(RestrictedRow, values, given)))
    out.sort(key=_BY_KEY)
    return Rows([row for _, row in out])
