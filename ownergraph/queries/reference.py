"""A plain networkx reference implementation of :func:`ownergraph.queries.restricted.restricted`.

It computes the same three-valued statuses, rounds, bases, shares, rules and explanations as the
array implementation, but the straightforward way: synchronous rounds over
``view.to_networkx()`` that re-sum all in-edges of every entity the last round's new members
hold a stake in (and once per designated person for the UK). Tests compare the two on random
graphs and the benchmark reports the ratio. The semantics are described in
:mod:`ownergraph.queries.restricted`; only the row formatting helpers
(:func:`~ownergraph.queries.restricted.explanation`,
:func:`~ownergraph.queries.restricted.aggregate_share`,
:func:`~ownergraph.queries.restricted.seed_dates`) are shared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from ownergraph.errors import InputError
from ownergraph.graph.model import parse_date
from ownergraph.graph.shares import Share, parse_share
from ownergraph.graph.view import GraphView
from ownergraph.queries.regimes import Regime, RegimeParams, get_regime, regime_params
from ownergraph.queries.restricted import (
    STATUSES,
    Cause,
    RestrictedRow,
    Status,
    aggregate_share,
    explanation,
    program_tokens,
    seed_dates,
)
from ownergraph.queries.rows import BasisItem, Rows, share_fields

__all__ = ["reference_restricted"]

_SUMMED = ("shares", "votes")


@dataclass(frozen=True)
class _Edge:
    owner: str
    owned: str
    kind: str
    role: str
    share: Share
    arrangement: str | None
    source: str | None


def _meets(total: int, any_open: bool, threshold: int, inclusive: bool, upper: bool) -> bool:
    """Whether a sum of lower (``upper=False``) or upper bounds certainly / possibly meets the threshold."""
    if total > threshold:
        return True
    if total < threshold:
        return False
    if upper:
        return inclusive and not any_open
    return inclusive or any_open


class _Reference:
    def __init__(self, view: GraphView, regime: Regime, params: RegimeParams) -> None:
        self.view = view
        self.regime = regime
        self.params = params
        self.g: nx.MultiDiGraph[str] = view.to_networkx()
        self.in_edges: dict[str, list[_Edge]] = {n: [] for n in self.g.nodes}
        for u, v, key, data in self.g.edges(keys=True, data=True):
            arrangement = data.get("arrangement", None)
            if "arrangement" not in data:
                arrangement = view.edge(int(key)).arrangement
            kind = str(data["kind"])
            self.in_edges[v].append(
                _Edge(
                    u, v, kind, regime.role(kind), parse_share(data["share"]), arrangement, data.get("source")
                )
            )

    def in_scope(self, node: str) -> bool:
        if not self.params.foreign_only:
            return True
        jur = self.g.nodes[node].get("jurisdiction")
        return jur is None or str(jur).split("-")[0].upper() != self.params.home_country

    def counted(self, node: str, members: set[str], upper: bool) -> list[_Edge]:
        """The edges into ``node`` that count for a unit with these members."""
        roles = {"shares", "votes", "controlled"} | ({"possibly-controlled"} if upper else set())
        edges = [e for e in self.in_edges[node] if e.role in roles and e.owner in members]
        if self.params.pool_arrangements:
            pools = {(e.arrangement, e.role) for e in edges if e.arrangement and e.role in _SUMMED}
            edges += [e for e in self.in_edges[node] if e not in edges and (e.arrangement, e.role) in pools]
        return edges

    def cause(self, edges: list[_Edge], upper: bool) -> Cause | None:
        """Which condition the counted edges satisfy first (None when none holds)."""
        p = self.params
        for role, threshold, inclusive in (
            ("shares", p.threshold_ppm, p.inclusive),
            ("votes", p.votes_threshold_ppm, p.votes_inclusive),
        ):
            part = [e.share for e in edges if e.role == role]
            if part and threshold is not None:
                total = sum(s.hi if upper else s.lo for s in part)
                any_open = any(s.hi_open if upper else s.lo_open for s in part)
                if _meets(total, any_open, threshold, inclusive, upper):
                    return "ownership" if role == "shares" else "votes"
        control_causes: tuple[Cause, ...] = ("board", "control", "consolidation")
        for kind in control_causes:
            if any(e.kind == kind and e.role in ("controlled", "possibly-controlled") for e in edges):
                return kind
        return None

    def fixpoint(self, seeds: Iterable[str], upper: bool) -> dict[str, int]:
        """Synchronous rounds: each round re-tests, against all members, every non-member that
        the previous round's new members hold an edge into (nothing else can have changed)."""
        level = dict.fromkeys(seeds, 0)
        new = list(level)
        k = 0
        while new:
            k += 1
            members = set(level)
            candidates = {v for u in new for v in self.g.successors(u)} - members
            new = [n for n in candidates if self.cause(self.counted(n, members, upper), upper) is not None]
            for n in new:
                level[n] = k
        return level


def _owner_status(
    ref: _Reference, status: dict[str, Status], members: dict[str, int], owner: str
) -> str | None:
    if owner in status:
        return status[owner]
    if owner in members and not ref.in_scope(owner):
        return "out_of_scope"
    return None


def _seeds(view: GraphView, regime: Regime) -> dict[str, dict[str, Any]]:
    """Seed entity id -> its earliest active designation record (plus ``via``)."""
    out: dict[str, dict[str, Any]] = {}
    sources: list[tuple[str, tuple[str, ...] | None, str | None]] = [(regime.id, None, None)]
    sources += [(s.regime, s.programs, s.note) for s in regime.also_seeded_by]
    for rid, programs, via in sources:
        rows = view.designation_rows(regime=rid)
        rows = [r for r in rows if programs is None or program_tokens(r["program"]) & set(programs)]
        rows.sort(key=lambda r: r["listed"] or r["effective"] or dt.date.min)
        for r in rows:
            if r["entity_id"] not in out:
                out[r["entity_id"]] = {**r, "via": via}
    return out


def reference_restricted(
    view: GraphView, regime: str | Regime, *, as_of: dt.date | str | None = None
) -> Rows[RestrictedRow]:
    """The rows :func:`~ownergraph.queries.restricted.restricted` returns, computed on networkx.

    Parameters
    ----------
    view
        The graph as of a date.
    regime
        A regime id or :class:`~ownergraph.queries.regimes.Regime`.
    as_of
        Another date (the view's workspace is asked for that date's view).

    Returns
    -------
    Rows[RestrictedRow]

    Examples
    --------
    >>> import tempfile, pathlib, ownergraph, ownergraph.data
    >>> from ownergraph.queries.restricted import restricted
    >>> bundle = pathlib.Path(ownergraph.data.__file__).parent / "sensetime"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ws = ownergraph.open(tmp)
    ...     _ = ws.load([bundle])
    ...     view = ws.graph(as_of="2025-10-15")
    ...     same = reference_restricted(view, "bis-entity-list") == restricted(view, "bis-entity-list")
    ...     ws.close()
    >>> same
    True
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
    params = regime_params(reg, view.as_of)
    ref = _Reference(view, reg, params)
    seeds = _seeds(view, reg)
    # unit key ("" for the single aggregate unit, else the designated person's id) -> fixpoints
    units: list[tuple[str | None, list[str]]]
    if params.indirect == "majority-chain":
        units = [(d, [d]) for d in sorted(seeds)]
    else:
        units = [(None, sorted(seeds))]
    best: dict[bool, dict[str, tuple[int, str, str | None, dict[str, int]]]] = {False: {}, True: {}}
    if params.propagates and seeds:
        for chain, members in units:
            for upper in (False, True):
                fp = ref.fixpoint(members, upper)
                for node, k in fp.items():
                    if node in seeds or not ref.in_scope(node):
                        continue
                    cur = best[upper].get(node)
                    if cur is None or (k, chain or "") < (cur[0], cur[1]):
                        best[upper][node] = (k, chain or "", chain, fp)
    status: dict[str, Status] = dict.fromkeys(seeds, "designated")
    for node in best[False]:
        status[node] = "restricted"
    for node in best[True]:
        status.setdefault(node, "possibly_restricted")
    rows: list[RestrictedRow] = []
    for node, rec in seeds.items():
        eff, divest = seed_dates(reg, rec["listed"], rec["effective"])
        name = str(ref.g.nodes[node]["name"])
        rows.append(
            RestrictedRow(
                id=node,
                name=name,
                regime=reg.id,
                status="designated",
                rule=reg.rules.listed,
                iteration=0,
                as_of=view.as_of,
                effective=eff,
                divest_by=divest,
                explanation=explanation(
                    reg,
                    params,
                    status="designated",
                    cause="listed",
                    rule=reg.rules.listed,
                    name=name,
                    iteration=0,
                    list_name=rec["list"],
                    program=rec["program"],
                    listed=rec["listed"],
                    effective=eff,
                    divest_by=divest,
                    via=rec["via"],
                ),
            )
        )
    for node, st in status.items():
        if st == "designated":
            continue
        upper = st == "possibly_restricted"
        k, _key, chain, fp = best[upper][node]
        edges = ref.counted(node, set(fp), upper)
        cause = ref.cause(edges, upper)
        assert cause is not None
        rule = getattr(reg.rules, cause) or reg.rules.control or reg.rules.ownership or reg.rules.listed
        basis = sorted(
            (
                BasisItem(
                    owner_id=e.owner,
                    kind=e.kind,
                    **share_fields(e.share),
                    source=e.source,
                    owned_id=node,
                    owner_status=_owner_status(ref, status, fp, e.owner),
                )
                for e in edges
            ),
            key=lambda b: (b.owner_id, b.kind),
        )
        share = aggregate_share(e.share for e in edges if e.role == "shares")
        votes = aggregate_share(e.share for e in edges if e.role == "votes")
        name = str(ref.g.nodes[node]["name"])
        fields = (
            share_fields(share)
            if share is not None
            else {"share_min": None, "share_max": None, "share": None}
        )
        rows.append(
            RestrictedRow(
                id=node,
                name=name,
                regime=reg.id,
                status=st,
                **fields,
                basis=basis,
                rule=rule,
                iteration=k,
                as_of=view.as_of,
                chain_of=chain,
                explanation=explanation(
                    reg,
                    params,
                    status=st,
                    cause=cause,
                    rule=rule,
                    name=name,
                    iteration=k,
                    share=share,
                    votes=votes,
                    chain_of=chain,
                    owners=[(b.owner_id, b.owner_status, b.kind, b.share) for b in basis],
                ),
            )
        )
    rank = {s: i for i, s in enumerate(STATUSES)}
    rows.sort(key=lambda r: (rank[r.status], r.iteration, r.id))
    return Rows(rows)
