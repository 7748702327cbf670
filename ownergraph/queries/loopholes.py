"""Loophole paths: where a restriction stops at a corporate boundary while money still flows
across it (SPEC §7, ``docs/regimes.md`` §2.7).

:func:`loopholes` runs nine named patterns over a :class:`~ownergraph.graph.view.GraphView`
for each regime and returns one :class:`LoopholeRow` per finding, each with its path of
canonical ids, the edges of that path with their sources, and one sentence that names the
entities, the shares, the rule and where the rule comes from:

============================= =============================================================
``listed-parent`` (L1)        a designated entity under an ownership/control chain (any share,
                              unknown included) whose ancestor is listed and is neither
                              designated nor restricted under the same regime
``unlisted-affiliate`` (L2)   an NS-CMIC entity whose group (group parents and their
                              subsidiaries, path ≤ ``max_depth``) holds other listed issuers
                              that are not named (the nearest ``max_affiliates`` per entity)
``name-mismatch`` (L3)        a designated entity without a listing and a listed relative
                              (ancestor, descendant or one under a common parent, path ≤
                              ``max_depth``) with a near-identical name: token-set similarity
                              ≥ 0.6 without legal-form words (name-matched,
                              issuer-unconfirmed, ``docs/regimes.md`` §2.3)
``aggregation-split`` (L4)    stakes each below the threshold that pool past it: restricted
                              under OFAC/EU/BIS, not under the UK
``sub-threshold`` (L5)        a designated holding just below the threshold (default band
                              ``[40%, 50%)``)
``control-without-ownership`` board, control, votes or consolidation edges from a designated or
(L6)                          restricted party without a majority stake: a finding for
                              OFAC/BIS, counted as control for the EU and the UK
``exposure-wrapper`` (L7)     funds holding a designated or restricted issuer, by ownership
                              edges or holdings
``timing`` (L8)               an ownership edge that starts or ends within N days (default 90)
                              of a designation of either party
``cycle`` (L9)                circular ownership (a strongly connected component of two or more
                              entities) containing a designated or restricted entity
============================= =============================================================

Statuses come from :func:`ownergraph.queries.restricted.restricted` (computed once per view
and regime, and shared with :mod:`ownergraph.queries.exposure`). Traversals are
level-synchronous multi-source BFS over the view's CSR arrays, one pass for all regimes at
once; nothing enumerates simple paths (name candidates for L3 come from a token index with
prefix filtering, so names are never compared all against all). "Group" traversals (L2, L3)
only pass through company-like entities (``company``, ``organization``, ``unknown``) and, for
L2, only along edges that may confer control (upper bound at least 50%, unknown included), so
that an individual or a fund with many minority stakes does not make one group of everything
it owns.

This module finds and explains findings; it decides no status and draws nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ownergraph.errors import InputError
from ownergraph.graph.cache import NO_DATE_HI, NO_DATE_LO, days
from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS, REGIME_IDS
from ownergraph.graph.shares import PPM, Share, format_ppm
from ownergraph.graph.view import SCAN_MAX, GraphView, date_of, scan_positions
from ownergraph.queries.regimes import Regime, RegimeParams, get_regime
from ownergraph.queries.restricted import Evaluation, RestrictedRow, evaluate
from ownergraph.queries.rows import (
    BasisItem,
    Row,
    Rows,
    finding_id,
    paused_gc,
    share_columns,
    share_fields,
)

__all__ = [
    "DEFAULT_REGIMES",
    "PATTERNS",
    "STATUS_NAMES",
    "ExplainedRows",
    "LoopholeEdge",
    "LoopholeRow",
    "RegimeStatus",
    "canonical_nodes",
    "loopholes",
    "name_similarity",
    "name_tokens",
    "regime_status",
]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

PATTERNS: tuple[str, ...] = (
    "listed-parent",
    "unlisted-affiliate",
    "name-mismatch",
    "aggregation-split",
    "sub-threshold",
    "control-without-ownership",
    "exposure-wrapper",
    "timing",
    "cycle",
)
"""The loophole patterns of SPEC §7, in report order."""

DEFAULT_REGIMES: tuple[str, ...] = tuple(r for r in REGIME_IDS if r != "info")
"""Regimes searched when none are named: every regime that restricts something (``info`` is
context only; name it explicitly to search it)."""

STATUS_NAMES: tuple[str, ...] = ("not_restricted", "designated", "restricted", "possibly_restricted")
"""Status codes of :class:`RegimeStatus` (index = code)."""

_NONE, _DES, _RES, _POSS = 0, 1, 2, 3
_CODE_OF = {name: i for i, name in enumerate(STATUS_NAMES)}
_GROUP_KINDS = ("company", "organization", "unknown")
_GROUP_MIN_PPM = PPM // 2
_SHARES = OWNERSHIP_KINDS.index("shares")
_VOTES = OWNERSHIP_KINDS.index("votes")

_RULE_SOURCE: dict[str, str] = {
    "ofac-sdn": "OFAC 50 Percent Rule, FAQs 398-401",
    "ofac-ssi": "OFAC 50 Percent Rule as applied to SSI directives, FAQ 398-401",
    "ofac-ns-cmic": "E.O. 13959 as amended, OFAC FAQ 857",
    "bis-entity-list": "BIS Affiliates rule, 15 CFR 744.11(a)(1) and Supp. No. 8 to Part 744",
    "eu": "EU Best Practices (3 July 2024) and Commission FAQ 8 on Reg. 269/2014",
    "uk": "UK SAMLA regulations reg. 7 and Schedule 1; OFSI general guidance para 4.14",
    "info": "named-only list (no propagation)",
}


# -- rows ------------------------------------------------------------------------------------------


class LoopholeEdge(Row):
    """One edge of a finding's path (or its evidence), owner → owned, with its source.

    ``kind`` is an ownership kind (``shares``, ``votes``, ``board``, ``control``,
    ``consolidation``) or ``holding`` for a position from holdings data (then ``weight`` may be
    set). ``start``/``end`` are the edge's dates when known.
    """

    owner_id: str
    owned_id: str
    kind: str
    share_min: float | None
    share_max: float | None
    share: str
    source: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    weight: float | None = None


class LoopholeRow(Row):
    """One loophole finding (SPEC §7).

    ``path`` lists canonical ids (for ``listed-parent`` from the listed ancestor down to the
    designated entity; for ``cycle`` from the designated entity round to itself); ``edges``
    are the path's edges in order; ``basis`` the evidence edges with the regime status of each
    owner. ``mic``/``ticker`` name the traded line of the listed entity involved, if any.
    """

    finding_id: str
    pattern: str
    regime: str
    designated_id: str
    designated_status: str
    subject_id: str
    subject_status: str
    mic: str | None = None
    ticker: str | None = None
    path: list[str]
    edges: list[LoopholeEdge]
    basis: list[BasisItem]
    explanation: str
    as_of: dt.date


# -- statuses (shared with exposure) --------------------------------------------------------------


class ExplainedRows(Mapping[int, RestrictedRow]):
    """The :class:`~ownergraph.queries.restricted.RestrictedRow` of every node with a status,
    built on first access (one batch per :meth:`prefetch`) and kept.

    Building every explained row of a large regime costs several times its fixpoint, and the
    whole-graph queries print only a few of them; iteration and ``len`` see every node with a
    status without building anything.
    """

    def __init__(self, ev: Evaluation) -> None:
        self._ev = ev
        self._built: dict[int, RestrictedRow] = {}

    def prefetch(self, nodes: Iterable[int]) -> None:
        """Build the rows of many nodes in one batch (nodes without a status are skipped)."""
        status, built = self._ev.status, self._built
        todo = {int(x) for x in nodes}
        todo = {x for x in todo if x in status and x not in built}
        if not todo:
            return
        asked = sorted(todo)
        ids = self._ev.view.ids_of(asked)
        node_of = dict(zip(ids, asked, strict=True))
        built.update((node_of[r.id], r) for r in self._ev.rows(asked))

    def __getitem__(self, node: int) -> RestrictedRow:
        hit = self._built.get(node)
        if hit is None:
            if node not in self._ev.status:
                raise KeyError(node)
            self.prefetch([node])
            hit = self._built[node]
        return hit

    def __iter__(self) -> Iterator[int]:
        return iter(self._ev.status)

    def __len__(self) -> int:
        return len(self._ev.status)

    def __contains__(self, node: object) -> bool:
        return node in self._ev.status


@dataclass(frozen=True)
class RegimeStatus:
    """Every node's status under one regime as of the view's date.

    ``code`` is indexed by node (see :data:`STATUS_NAMES`); ``rows`` maps every node with a
    status to its :class:`~ownergraph.queries.restricted.RestrictedRow`, built when first read.
    """

    regime: Regime
    params: RegimeParams
    code: npt.NDArray[np.int8]
    rows: ExplainedRows

    def name(self, i: int) -> str:
        """The status name of node ``i`` (``not_restricted`` included)."""
        return STATUS_NAMES[int(self.code[i])]

    def owner_status(self, i: int) -> str | None:
        """The status of node ``i`` as written in a basis item (``None`` when not restricted)."""
        c = int(self.code[i])
        return None if c == _NONE else STATUS_NAMES[c]


_STATUS_CACHE: weakref.WeakKeyDictionary[GraphView, dict[str, RegimeStatus]] = weakref.WeakKeyDictionary()
_ID_INDEX: weakref.WeakKeyDictionary[GraphView, pd.Index] = weakref.WeakKeyDictionary()
def canonical_nodes(view: GraphView, ids: Sequence[str]) -> I64:
    """Node numbers of canonical ids (-1 where ``ids[k]`` is not a canonical id).

    A few ids are found by one vectorised scan of the id column; many, or any once the view has
    one, through a hash index of the view's canonical ids built once per view (``view.indices``
    also resolves every key and identifier, but rebuilds its hash table on each call).
    """
    if len(ids) == 0:
        return _empty_i64()
    index = _ID_INDEX.get(view)
    if index is None and len(ids) <= SCAN_MAX:
        return scan_positions(view.table("nodes").column("id"), ids)
    if index is None:
        index = _ID_INDEX[view] = pd.Index(view.ids())
    return np.asarray(index.get_indexer(pd.Index(list(ids))), dtype=np.int64)


def regime_status(view: GraphView, regime: str | Regime) -> RegimeStatus:
    """Statuses of every node under ``regime``, computed once per view.

    The codes come straight from the fixpoints (:func:`~ownergraph.queries.restricted.evaluate`);
    the explained rows are built only for the nodes a caller reads from ``rows``.

    Parameters
    ----------
    view
        The graph as of a date.
    regime
        A regime id or :class:`~ownergraph.queries.regimes.Regime`.

    Returns
    -------
    RegimeStatus
        Status codes per node and the restricted rows by node.
    """
    reg = get_regime(regime)
    per_view = _STATUS_CACHE.setdefault(view, {})
    hit = per_view.get(reg.id)
    if hit is not None:
        return hit
    ev = evaluate(view, reg)
    code = np.zeros(view.n, dtype=np.int8)
    if ev.status:
        nodes = np.fromiter(ev.status.keys(), dtype=np.int64, count=len(ev.status))
        code[nodes] = np.fromiter(
            (_CODE_OF[s] for s in ev.status.values()), dtype=np.int8, count=len(ev.status)
        )
    out = RegimeStatus(reg, ev.params, code, ExplainedRows(ev))
    per_view[reg.id] = out
    return out


# -- names -------------------------------------------------------------------------------------------

_LEGAL_WORDS = """limited ltd inc incorporated corp corporation co company companies plc llc lp llp sa ag
gmbh nv bv spa srl sarl sas pte pty jsc pjsc ojsc oao ooo zao kk bhd sdn tbk ab asa oy oyj se kg the of and"""
_LEGAL_FORMS: frozenset[str] = frozenset(_LEGAL_WORDS.split())


def name_tokens(name: str) -> frozenset[str]:
    """The words of a name, case-folded, without legal-form words and single letters.

    Examples
    --------
    >>> sorted(name_tokens("SenseTime Group Limited"))
    ['group', 'sensetime']
    >>> sorted(name_tokens("Beijing SenseTime Technology Development Co., Ltd."))
    ['beijing', 'development', 'sensetime', 'technology']
    """
    words = re.findall(r"\w+", name.casefold())
    kept = frozenset(w for w in words if w not in _LEGAL_FORMS and not (len(w) == 1 and w.isascii()))
    return kept or frozenset(words)


def name_similarity(a: str, b: str) -> float:
    """Token-set (Jaccard) similarity of two names after removing legal-form words.

    Examples
    --------
    >>> name_similarity("SenseTime Group Limited", "SenseTime Group Inc.")
    1.0
    >>> beijing = "Beijing SenseTime Technology Development Co., Ltd."
    >>> round(name_similarity(beijing, "SenseTime Group Inc."), 2)
    0.2
    """
    ta, tb = name_tokens(a), name_tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


# -- the traversal kernel ----------------------------------------------------------------------------

Adjacency = tuple[I64, I64, npt.NDArray[Any]]
"""``(ptr, edge numbers, other endpoint by edge)``: the view's CSR in one direction."""


@dataclass
class _Pairs:
    """BFS results as (label, node) pairs: ``parent`` is the pair it was reached from (-1 at a
    source), ``edge`` the edge used; each (label, node) appears once, at its BFS depth."""

    label: I64
    node: I64
    depth: I64
    parent: I64
    edge: I64

    def chain(self, p: int) -> tuple[list[int], list[int]]:
        """Nodes and edges from the label's source to pair ``p``."""
        nodes: list[int] = []
        edges: list[int] = []
        while p >= 0:
            nodes.append(int(self.node[p]))
            e = int(self.edge[p])
            if e >= 0:
                edges.append(e)
            p = int(self.parent[p])
        nodes.reverse()
        edges.reverse()
        return nodes, edges


def _empty_i64() -> I64:
    return np.zeros(0, dtype=np.int64)


def _expand(adj: Adjacency, frontier_nodes: I64) -> tuple[I64, I64]:
    """For each frontier position, the positions and edge numbers of its CSR neighbours."""
    ptr, eids, _ = adj
    starts = ptr[frontier_nodes]
    cnt = ptr[frontier_nodes + 1] - starts
    total = int(cnt.sum())
    if total == 0:
        return _empty_i64(), _empty_i64()
    pos = np.repeat(np.arange(len(frontier_nodes), dtype=np.int64), cnt)
    off = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(starts, cnt)
    return pos, np.asarray(eids[off], dtype=np.int64)


def _bfs(
    adjs: Sequence[Adjacency],
    sources: I64,
    n: int,
    max_depth: int,
    *,
    edge_ok: B | None = None,
    enter_ok: B | None = None,
    stop_at: B | None = None,
    rank: I64 | None = None,
) -> _Pairs:
    """Level-synchronous multi-source BFS; label ``k`` is ``sources[k]``.

    ``edge_ok`` filters edges, ``enter_ok`` the nodes a search may enter (sources are always
    in). With ``stop_at``, a label stops after the first level at which it reaches such a node.
    With ``rank`` (each node's canonical rank, :func:`~ownergraph.graph.backend.canonical_rank`)
    every level is kept in the order of the paths' sequences of canonical ids, so a node reached
    several ways keeps the path with the smallest ids, whatever the node numbers.
    """
    k = len(sources)
    labels = [np.arange(k, dtype=np.int64)]
    nodes = [np.asarray(sources, dtype=np.int64)]
    depths = [np.zeros(k, dtype=np.int64)]
    parents = [np.full(k, -1, dtype=np.int64)]
    edges = [np.full(k, -1, dtype=np.int64)]
    seen = np.unique(labels[0] * n + nodes[0])
    frontier = np.arange(k, dtype=np.int64)
    f_label, f_node = labels[0], nodes[0]
    total = k
    for depth in range(1, max_depth + 1):
        if len(frontier) == 0:
            break
        got_pos: list[I64] = []
        got_e: list[I64] = []
        got_v: list[I64] = []
        for adj in adjs:
            pos, e = _expand(adj, f_node)
            if len(e) == 0:
                continue
            v = np.asarray(adj[2][e], dtype=np.int64)
            ok = np.ones(len(e), dtype=bool)
            if edge_ok is not None:
                ok &= edge_ok[e]
            if enter_ok is not None:
                ok &= enter_ok[v]
            got_pos.append(pos[ok])
            got_e.append(e[ok])
            got_v.append(v[ok])
        if not got_pos:
            break
        pos = np.concatenate(got_pos)
        e = np.concatenate(got_e)
        v = np.concatenate(got_v)
        if len(v) == 0:
            break
        if rank is not None:  # candidates in path order: parent's position, then the node's rank
            by = np.lexsort((e, rank[v], pos))
            pos, e, v = pos[by], e[by], v[by]
        key = f_label[pos] * n + v
        ukey, first = np.unique(key, return_index=True)
        at = np.searchsorted(seen, ukey)
        at_c = np.minimum(at, len(seen) - 1) if len(seen) else at
        known = (at < len(seen)) & (seen[at_c] == ukey) if len(seen) else np.zeros(len(ukey), dtype=bool)
        keep = np.sort(first[~known])
        if len(keep) == 0:
            break
        fresh = ukey[~known]
        seen = np.insert(seen, np.searchsorted(seen, fresh), fresh)
        new_label = f_label[pos[keep]]
        new_node = v[keep]
        labels.append(new_label)
        nodes.append(new_node)
        depths.append(np.full(len(keep), depth, dtype=np.int64))
        parents.append(frontier[pos[keep]])
        edges.append(e[keep])
        new_idx = np.arange(total, total + len(keep), dtype=np.int64)
        total += len(keep)
        if stop_at is not None:
            done = np.unique(new_label[stop_at[new_node]])
            alive = ~np.isin(new_label, done)
            new_idx, new_label, new_node = new_idx[alive], new_label[alive], new_node[alive]
        frontier, f_label, f_node = new_idx, new_label, new_node
    return _Pairs(
        np.concatenate(labels),
        np.concatenate(nodes),
        np.concatenate(depths),
        np.concatenate(parents),
        np.concatenate(edges),
    )


def _join(a: _Pairs, b: _Pairs, max_total: int | None = None, rank: I64 | None = None) -> tuple[I64, I64]:
    """Pairs of ``a`` and ``b`` meeting at a common node, the nearest meeting per label pair.

    Returns positions into ``a`` and ``b``; for each (a-label, b-label) the meeting with the
    smallest total depth (ties: smaller meeting node, by ``rank`` when given).
    """
    order = np.argsort(b.node, kind="stable")
    bn = b.node[order]
    lo = np.searchsorted(bn, a.node, side="left")
    hi = np.searchsorted(bn, a.node, side="right")
    cnt = hi - lo
    total = int(cnt.sum())
    if total == 0:
        return _empty_i64(), _empty_i64()
    pa_ = np.repeat(np.arange(len(a.node), dtype=np.int64), cnt)
    off = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)
    pb = order[off]
    tot = a.depth[pa_] + b.depth[pb]
    if max_total is not None:
        ok = tot <= max_total
        pa_, pb, tot = pa_[ok], pb[ok], tot[ok]
    if len(pa_) == 0:
        return pa_, pb
    nb = int(b.label.max()) + 1 if len(b.label) else 1
    key = a.label[pa_] * nb + b.label[pb]
    meet = a.node[pa_] if rank is None else rank[a.node[pa_]]
    srt = np.lexsort((meet, tot, key))
    key_s = key[srt]
    first = np.ones(len(srt), dtype=bool)
    first[1:] = key_s[1:] != key_s[:-1]
    sel = srt[first]
    return pa_[sel], pb[sel]


# -- the subgraph a search needs ---------------------------------------------------------------------


class _Lazy(Iterable[int]):
    """Nodes computed when first iterated. :meth:`GraphView.around` of an engine that holds
    every edge never iterates its nodes, so the walks that find a region cost nothing there."""

    def __init__(self, make: Callable[[], I64]) -> None:
        self._make = make
        self._nodes: I64 | None = None

    def __iter__(self) -> Iterator[int]:
        if self._nodes is None:
            self._nodes = self._make()
        return iter(self._nodes.tolist())


def _reach(
    view: GraphView,
    sources: I64,
    direction: str,
    depth: int,
    *,
    enter: B | None = None,
    expand: B | None = None,
    control: bool = False,
    hold: tuple[I64, I64] | None = None,
) -> I64:
    """Nodes within ``depth`` hops of ``sources`` (included) ``up`` to owners or ``down`` to
    holdings, walked one hop at a time through ``view.around`` (on the Neo4j engine one bounded
    query per hop, reading only the edges at the frontier).

    ``enter`` limits the nodes a hop may reach, ``expand`` the nodes beyond the sources a hop
    may leave, ``control`` the edges to those that may confer control (as the group searches);
    ``hold`` (holder, node) adds the positions of holdings data (up: node to holder).
    """
    up = direction == "up"
    seen = np.zeros(view.n, dtype=bool)
    frontier = np.unique(np.asarray(sources, dtype=np.int64))
    seen[frontier] = True
    for step in range(depth):
        if step and expand is not None:
            frontier = frontier[expand[frontier]]
        if len(frontier) == 0:
            break
        sub = view.around(frontier.tolist(), "in" if up else "out")
        adj = (sub.in_ptr, sub.in_edges, sub.src) if up else (sub.out_ptr, sub.out_edges, sub.dst)
        _, e = _expand(adj, frontier)
        if control:
            e = e[np.asarray(sub.hi, dtype=np.int64)[e] >= _GROUP_MIN_PPM]
        parts = [np.asarray(adj[2][e], dtype=np.int64)]
        if hold is not None and len(hold[0]):
            frm, to = (hold[1], hold[0]) if up else hold
            parts.append(to[np.isin(frm, frontier)])
        nxt = np.unique(np.concatenate(parts))
        if enter is not None:
            nxt = nxt[enter[nxt]]
        frontier = nxt[~seen[nxt]]
        seen[frontier] = True
    return np.flatnonzero(seen).astype(np.int64)


def _region(view: GraphView, nodes: Callable[[], I64], direction: str) -> GraphView:
    """A view holding at least the edges into (``in``), out of (``out``) or at (``both``) the
    nodes ``nodes()`` returns: the edges a search needs, computed only by an engine that does
    not hold them all (the memory engine returns ``view`` without calling ``nodes``)."""
    return view.around(_Lazy(nodes), direction)


# -- per-view context ----------------------------------------------------------------------------------


@dataclass
class _Des:
    day: int
    listed: dt.date | None
    list_name: str | None
    program: str | None
    reference: str | None
    source: str | None


class _Ctx:
    """Lazy per-call lookups: names, listings, designation dates, edge sources, adjacencies."""

    def __init__(self, view: GraphView) -> None:
        self.view = view
        self.n = view.n
        self.as_of_day = days(view.as_of)
        self._names: dict[int, str] = {}
        self._ids: dict[int, str] = {}
        self._lines: dict[int, list[tuple[str | None, str | None, str | None]]] = {}
        self._lis_rows = self._lis_nodes = np.zeros(0, dtype=np.int64)
        self._listed: B | None = None
        self._edges: dict[int, LoopholeEdge] = {}
        self._basis: dict[tuple[int, str], BasisItem] = {}
        self._hops: dict[tuple[int, int], str] = {}
        self._des: dict[tuple[int, str], _Des] | None = None
        self._des_any: dict[int, _Des] | None = None

    def on(self, sub: GraphView) -> _Ctx:
        """This context over ``sub``, a view holding the edges a search needs (from
        :func:`_region`; the same numbering): node lookups are shared, edge lookups are not
        (edge numbers are the subgraph's)."""
        if sub is self.view:
            return self
        other = _Ctx(sub)
        other._names, other._ids, other._lines = self._names, self._ids, self._lines
        if self._listed is not None:
            other._listed, other._lis_rows, other._lis_nodes = self._listed, self._lis_rows, self._lis_nodes
        other._des, other._des_any = self._des, self._des_any
        return other

    # the view's arrays, read when a search first needs them (on Neo4j: the subgraph's)
    @cached_property
    def up(self) -> Adjacency:
        v = self.view
        return (v.in_ptr, v.in_edges, v.src)

    @cached_property
    def down(self) -> Adjacency:
        v = self.view
        return (v.out_ptr, v.out_edges, v.dst)

    @cached_property
    def kind_code(self) -> npt.NDArray[np.int8]:
        return np.asarray(self.view.kinds)

    @cached_property
    def group_kind(self) -> B:
        return np.isin(self.kind_code, [ENTITY_KINDS.index(k) for k in _GROUP_KINDS])

    @cached_property
    def group_edge(self) -> B:
        return np.asarray(self.view.hi, dtype=np.int64) >= _GROUP_MIN_PPM

    @cached_property
    def known(self) -> B:
        known: B = (np.asarray(self.view.flags) & 4) == 0
        return known

    # names and ids
    def id(self, i: int) -> str:
        s = self._ids.get(i)
        if s is None:
            s = self._ids[i] = self.view.id(i)
        return s

    def name(self, i: int) -> str:
        s = self._names.get(i)
        if s is None:
            s = self._names[i] = self.view.name(i)
        return s

    def prefetch(self, nodes: Iterable[int]) -> None:
        """Fetch the ids and names of many nodes at once (one Arrow take, or one server query)."""
        want = sorted({i for i in map(int, nodes) if i not in self._ids})
        if not want:
            return
        self._ids.update(zip(want, self.view.ids_of(want), strict=True))
        self._names.update(zip(want, self.view.names(want), strict=True))

    # listings
    def _load_listings(self) -> None:
        lis = self.view.table("listings")
        node = lis.column("node").to_numpy().astype(np.int64)
        listed = lis.column("listed").to_numpy()
        delisted = lis.column("delisted").to_numpy()
        d = self.as_of_day
        rows = np.flatnonzero((listed <= d) & (d < delisted))
        rows = rows[np.argsort(node[rows], kind="stable")]
        self._lis_rows, self._lis_nodes = rows.astype(np.int64), node[rows]
        mask = np.zeros(self.n, dtype=bool)
        mask[self._lis_nodes] = True
        self._listed = mask

    @property
    def listed(self) -> B:
        """Nodes with a listing active on the view's date."""
        if self._listed is None:
            self._load_listings()
        assert self._listed is not None
        return self._listed

    def lines(self, i: int) -> list[tuple[str | None, str | None, str | None]]:
        """Active listings of node ``i`` as ``(mic, ticker, isin)``, sorted."""
        hit = self._lines.get(i)
        if hit is not None:
            return hit
        if self._listed is None:
            self._load_listings()
        a, b = np.searchsorted(self._lis_nodes, [i, i + 1])
        lis = self.view.table("listings")
        out = []
        for r in self._lis_rows[a:b].tolist():
            out.append(
                (lis.column("mic")[r].as_py(), lis.column("ticker")[r].as_py(), lis.column("isin")[r].as_py())
            )
        out.sort(key=lambda t: (t[0] or "~", t[1] or "~", t[2] or "~"))
        self._lines[i] = out
        return out

    def listing(self, i: int) -> tuple[str | None, str | None]:
        """The first active listing of node ``i`` as ``(mic, ticker or isin)``."""
        lines = self.lines(i)
        if not lines:
            return None, None
        mic, ticker, isin = lines[0]
        return mic, ticker or isin

    def line_text(self, i: int) -> str:
        """``listed on XHKG as 0020`` (all active lines)."""
        parts = []
        for mic, ticker, isin in self.lines(i):
            code = ticker or isin or "?"
            parts.append(f"on {mic} as {code}" if mic else f"as {code}")
        return "listed " + " and ".join(parts) if parts else "listed"

    # designations
    def _load_des(self) -> None:
        t = self.view.table("designations")
        out: dict[tuple[int, str], _Des] = {}
        anyd: dict[int, _Des] = {}
        if t.num_rows:
            listed = t.column("listed").to_numpy()
            eff = t.column("effective").to_numpy()
            removed = t.column("removed").to_numpy()
            since = np.where(listed != NO_DATE_LO, listed, eff)
            d = self.as_of_day
            rows = np.flatnonzero((since <= d) & (d < removed))
            rows = rows[np.argsort(since[rows], kind="stable")]
            if len(rows):
                idx = pa.array(rows)
                node = t.column("node").to_numpy()[rows].tolist()
                reg = t.column("regime").to_numpy()[rows].tolist()
                cols = {
                    c: t.column(c).take(idx).to_pylist() for c in ("list", "program", "reference", "source")
                }
                for j in range(len(rows)):
                    r = int(rows[j])
                    rec = _Des(
                        int(since[r]),
                        date_of(int(since[r])),
                        cols["list"][j],
                        cols["program"][j],
                        cols["reference"][j],
                        cols["source"][j],
                    )
                    out.setdefault((int(node[j]), REGIME_IDS[int(reg[j])]), rec)
                    anyd.setdefault(int(node[j]), rec)
        self._des, self._des_any = out, anyd

    def designation(self, i: int, regime: str) -> _Des | None:
        """The earliest active designation of node ``i`` under ``regime`` (or any, for seeds
        that another regime's list seeds)."""
        if self._des is None or self._des_any is None:
            self._load_des()
        assert self._des is not None and self._des_any is not None
        return self._des.get((i, regime)) or self._des_any.get(i)

    def designation_days(self, nodes: I64, regime: str) -> I64:
        """Day numbers of :meth:`designation` for many nodes (a huge negative number if none)."""
        t = self.view.table("designations")
        out = np.full(len(nodes), np.iinfo(np.int64).min // 4, dtype=np.int64)
        if t.num_rows == 0 or len(nodes) == 0:
            return out
        listed = t.column("listed").to_numpy().astype(np.int64)
        eff = t.column("effective").to_numpy().astype(np.int64)
        removed = t.column("removed").to_numpy().astype(np.int64)
        since = np.where(listed != int(NO_DATE_LO), listed, eff)
        node = t.column("node").to_numpy().astype(np.int64)
        reg = t.column("regime").to_numpy()
        d = self.as_of_day
        active = (since <= d) & (d < removed)
        big = np.iinfo(np.int64).max // 4
        for mask in (active, active & (reg == REGIME_IDS.index(regime))):
            first = np.full(self.n, big, dtype=np.int64)
            np.minimum.at(first, node[mask], since[mask])
            got = first[nodes]
            out = np.where(got < big, got, out)
        return out

    def designated_text(self, i: int, st: RegimeStatus) -> str:
        """``designated under ofac-ns-cmic on 2021-12-10`` / ``restricted under eu``."""
        reg = st.regime.id
        code = int(st.code[i])
        if code == _DES:
            d = self.designation(i, reg)
            when = f" on {d.listed.isoformat()}" if d is not None and d.listed else ""
            return f"designated under {reg}{when}"
        return f"{STATUS_NAMES[code].replace('_', ' ')} under {reg}"

    # edges
    def prefetch_edges(self, edges: Iterable[int]) -> None:
        """Build the :class:`LoopholeEdge` of many active edges with one Arrow take per column."""
        want = sorted({e for e in map(int, edges) if e not in self._edges})
        if not want:
            return
        v = self.view
        w = np.asarray(want, dtype=np.int64)
        self.prefetch(np.concatenate([v.src[w], v.dst[w]]).tolist())
        t = v.table("edges")
        idx = pa.array(v.edge_rows[w])
        src = t.column("source").take(idx).to_pylist()
        start = t.column("start").take(idx).to_numpy().tolist()
        end = t.column("end").take(idx).to_numpy().tolist()
        src_n, dst_n, kind = v.src[w].tolist(), v.dst[w].tolist(), v.kind[w].tolist()
        lo, hi, flags = v.lo[w].tolist(), v.hi[w].tolist(), v.flags[w].tolist()
        for k, e in enumerate(want):
            _share, share_min, share_max, text = share_columns(lo[k], hi[k], flags[k])
            self._edges[e] = LoopholeEdge(
                owner_id=self.id(src_n[k]),
                owned_id=self.id(dst_n[k]),
                kind=OWNERSHIP_KINDS[kind[k]],
                share_min=share_min,
                share_max=share_max,
                share=text,
                source=src[k],
                start=None if start[k] == int(NO_DATE_LO) else date_of(start[k]),
                end=None if end[k] == int(NO_DATE_HI) else date_of(end[k]),
                weight=None,
            )

    def share(self, e: int) -> Share:
        """The share of an active edge (cached on its columns)."""
        v = self.view
        return share_columns(int(v.lo[e]), int(v.hi[e]), int(v.flags[e]))[0]

    def share_text(self, e: int) -> str:
        """The canonical interval string of an edge's share (cached on its columns)."""
        v = self.view
        return share_columns(int(v.lo[e]), int(v.hi[e]), int(v.flags[e]))[3]

    def edge_item(self, e: int) -> LoopholeEdge:
        item = self._edges.get(e)
        if item is None:
            self.prefetch_edges([e])
            item = self._edges[e]
        return item

    def basis_item(self, e: int, st: RegimeStatus) -> BasisItem:
        key = (e, st.regime.id)
        hit = self._basis.get(key)
        if hit is not None:
            return hit
        it = self.edge_item(e)
        hit = self._basis[key] = BasisItem(
            owner_id=it.owner_id,
            kind=it.kind,
            share_min=it.share_min,
            share_max=it.share_max,
            share=it.share,
            source=it.source,
            owned_id=it.owned_id,
            owner_status=st.owner_status(int(self.view.src[e])),
        )
        return hit

    # sentences
    def hop_text(self, e: int, frm: int) -> str:
        """``owns (30%) B`` or ``is owned (30%) by A`` for one hop of a path from ``frm``."""
        hit = self._hops.get((e, frm))
        if hit is None:
            hit = self._hops[(e, frm)] = self._hop_text(e, frm)
        return hit

    def _hop_text(self, e: int, frm: int) -> str:
        v = self.view
        owner, owned = int(v.src[e]), int(v.dst[e])
        kind = OWNERSHIP_KINDS[int(v.kind[e])]
        text = self.share_text(e)
        pct = "share unknown" if text == "unknown" else f"{text}%"
        down = owner == frm
        other = self.name(owned if down else owner)
        if kind == "shares":
            return f"owns ({pct}) {other}" if down else f"is owned ({pct}) by {other}"
        if kind == "votes":
            return f"holds votes ({pct}) in {other}" if down else f"has votes ({pct}) held by {other}"
        if kind == "board":
            return f"appoints the board of {other}" if down else f"has its board appointed by {other}"
        if kind == "control":
            return f"controls {other}" if down else f"is controlled by {other}"
        return f"consolidates {other}" if down else f"is consolidated by {other}"

    def chain_text(self, nodes: Sequence[int], edges: Sequence[int], *, first: str | None = None) -> str:
        """``A owns (100%) B, which owns (share unknown) C`` (``first`` replaces A's name)."""
        head = first if first is not None else self.name(nodes[0])
        parts = [self.hop_text(e, nodes[k]) for k, e in enumerate(edges)]
        return f"{head} " + ", which ".join(parts) if parts else head


def _pct(s: Share) -> str:
    """``30%``, ``(25,50]%`` or ``share unknown``."""
    return "share unknown" if not s.known else f"{s}%"


def _ppm_pct(ppm: int) -> str:
    return f"{format_ppm(int(ppm))}%"


@dataclass
class _Opts:
    max_depth: int
    max_affiliates: int
    band: tuple[int, int]
    timing_days: int
    similarity: float


@dataclass
class _Finding:
    """A finding before it becomes a row (so ids are fetched in one batch)."""

    pattern: str
    regime: str
    designated: int
    subject: int
    path: list[int]
    edges: list[LoopholeEdge]
    basis: list[BasisItem]
    explanation: str
    mic: str | None = None
    ticker: str | None = None
    extra_nodes: list[int] = field(default_factory=list)


def _stakes_finding(
    ctx: _Ctx,
    pattern: str,
    reg: str,
    owners: list[int],
    owned: int,
    edges: Sequence[int],
    st: RegimeStatus,
    text: str,
) -> _Finding:
    """A finding about several owners' stakes in one entity (aggregation-split, sub-threshold):
    the owners in id order then the owned entity as the path, each stake as an edge and a basis."""
    return _Finding(
        pattern,
        reg,
        owners[0],
        owned,
        [*sorted(owners, key=ctx.id), owned],
        [ctx.edge_item(e) for e in edges],
        [ctx.basis_item(e, st) for e in edges],
        text,
    )


def _row(ctx: _Ctx, f: _Finding, statuses: dict[str, RegimeStatus]) -> LoopholeRow:
    st = statuses[f.regime]
    path = [ctx.id(i) for i in f.path]
    return LoopholeRow(
        finding_id=finding_id(f.pattern, f.regime, path),
        pattern=f.pattern,
        regime=f.regime,
        designated_id=ctx.id(f.designated),
        designated_status=st.name(f.designated),
        subject_id=ctx.id(f.subject),
        subject_status=st.name(f.subject),
        mic=f.mic,
        ticker=f.ticker,
        path=path,
        edges=f.edges,
        basis=f.basis,
        explanation=_tidy(f.explanation),
        as_of=ctx.view.as_of,
    )


def _tidy(text: str) -> str:
    """Drop the doubled full stop after names ending in one (``Inc..``)."""
    return re.sub(r"\.\.(?=[\s,;:)]|$)", ".", text)


def _union_sources(statuses: dict[str, RegimeStatus], codes: Sequence[int]) -> I64:
    if not statuses:
        return _empty_i64()
    mask = np.zeros(len(next(iter(statuses.values())).code), dtype=bool)
    for st in statuses.values():
        mask |= np.isin(st.code, codes)
    return np.flatnonzero(mask).astype(np.int64)


def _flagged_region(
    ctx: _Ctx, statuses: dict[str, RegimeStatus], codes: Sequence[int], direction: str
) -> _Ctx:
    """``ctx`` over the edges at the nodes with a status in ``codes`` under any regime."""
    return ctx.on(_region(ctx.view, lambda: _union_sources(statuses, codes), direction))


# -- L1 listed-parent --------------------------------------------------------------------------------


def _listed_parent(ctx: _Ctx, statuses: dict[str, RegimeStatus], o: _Opts) -> list[_Finding]:
    src = _union_sources(statuses, [_DES])
    if len(src) == 0:
        return []
    # the edges into every node the search climbs from
    ctx = ctx.on(_region(ctx.view, lambda: _reach(ctx.view, src, "up", o.max_depth - 1), "in"))
    pairs = _bfs([ctx.up], src, ctx.n, o.max_depth)
    hits = np.flatnonzero((pairs.depth > 0) & ctx.listed[pairs.node])
    chains = {p: pairs.chain(p) for p in hits.tolist()}
    ctx.prefetch(x for nodes, _ in chains.values() for x in nodes)
    ctx.prefetch_edges(e for _, edges in chains.values() for e in edges)
    out: list[_Finding] = []
    for st in statuses.values():
        ok = (st.code[src[pairs.label[hits]]] == _DES) & np.isin(st.code[pairs.node[hits]], [_NONE, _POSS])
        for p in hits[ok].tolist():
            up_nodes, up_edges = chains[p]
            d, top = up_nodes[0], up_nodes[-1]
            nodes, edges = up_nodes[::-1], up_edges[::-1]
            mic, ticker = ctx.listing(top)
            chain = ctx.chain_text(nodes, edges, first=f"{ctx.name(top)} ({ctx.line_text(top)})")
            text = f"{chain}, {ctx.designated_text(d, st)}; " + _no_upward(ctx, st, top)
            out.append(_finding(ctx, st, "listed-parent", d, top, nodes, edges, text, mic, ticker))
    return out


def _finding(
    ctx: _Ctx,
    st: RegimeStatus,
    pattern: str,
    designated: int,
    subject: int,
    nodes: list[int],
    edges: Sequence[int],
    text: str,
    mic: str | None = None,
    ticker: str | None = None,
) -> _Finding:
    """A finding whose edges and basis are the active edges ``edges``."""
    return _Finding(
        pattern,
        st.regime.id,
        designated,
        subject,
        nodes,
        [ctx.edge_item(e) for e in edges],
        [ctx.basis_item(e, st) for e in edges],
        text,
        mic,
        ticker,
    )


def _no_upward(ctx: _Ctx, st: RegimeStatus, top: int) -> str:
    reg = st.regime.id
    poss = int(st.code[top]) == _POSS
    tail = " (it is possibly restricted through owners of its own, see `restricted`)" if poss else ""
    if reg == "ofac-ns-cmic":
        return (
            "NS-CMIC restrictions do not flow to parents (OFAC FAQ 857), so the listed parent's "
            f"securities are not covered{tail}."
        )
    if reg == "info":
        return (
            f"the list is named-only context with no propagation, so the listed parent is not covered{tail}."
        )
    rule = _RULE_SOURCE.get(reg, reg)
    status = st.params.rule_status
    when = (
        ""
        if status == "in-force"
        else (
            f"; the rule is {status.replace('-', ' ')} on {st.params.as_of.isoformat()}, "
            "so only the named entity is"
            " covered"
        )
    )
    return (
        f"the {reg} ownership rule ({rule}) passes restrictions down to owned entities, never up to "
        f"owners{when}, so the listed parent's securities are not restricted under {reg}{tail}."
    )


# -- L2 unlisted-affiliate ---------------------------------------------------------------------------


def _unlisted_affiliate(ctx: _Ctx, statuses: dict[str, RegimeStatus], o: _Opts) -> list[_Finding]:
    regs = {r: st for r, st in statuses.items() if st.regime.id == "ofac-ns-cmic"}
    src = _union_sources(regs, [_DES])
    listed = np.flatnonzero(ctx.listed).astype(np.int64)
    if len(src) == 0 or len(listed) == 0:
        return []
    enter = ctx.group_kind

    def group() -> I64:
        """The group parents of the designated entities and everything under them: a listed
        issuer whose climb meets a designated entity's within ``max_depth`` is in it, and so
        is every node of that climb."""
        v = ctx.view
        tops = _reach(v, src, "up", o.max_depth, enter=enter, control=True)
        return _reach(v, tops, "down", o.max_depth, expand=enter, control=True)

    ctx = ctx.on(_region(ctx.view, group, "in"))
    a = _bfs([ctx.up], src, ctx.n, o.max_depth, edge_ok=ctx.group_edge, enter_ok=enter)
    b = _bfs([ctx.up], listed, ctx.n, o.max_depth, edge_ok=ctx.group_edge, enter_ok=enter)
    ia, ib = _join(a, b, max_total=o.max_depth)
    out: list[_Finding] = []
    for st in regs.values():
        d_nodes, l_nodes = src[a.label[ia]], listed[b.label[ib]]
        ok = (st.code[d_nodes] == _DES) & (st.code[l_nodes] != _DES) & (d_nodes != l_nodes)
        sa, sb, dn, ln = ia[ok], ib[ok], d_nodes[ok], l_nodes[ok]
        # the nearest `max_affiliates` per designated entity, and how many there are in all
        order = np.lexsort((ln, a.depth[sa] + b.depth[sb], dn))
        sa, sb, dn = sa[order], sb[order], dn[order]
        start = np.searchsorted(dn, dn, side="left")
        rank = np.arange(len(dn)) - start
        total = np.searchsorted(dn, dn, side="right") - start
        keep = rank < o.max_affiliates
        found = []
        for i, j, k in zip(sa[keep].tolist(), sb[keep].tolist(), total[keep].tolist(), strict=True):
            d_chain, d_edges = a.chain(i)
            l_chain, l_edges = b.chain(j)
            found.append((d_chain + l_chain[::-1][1:], d_edges + l_edges[::-1], d_chain[-1], k))
        ctx.prefetch(x for nodes, _, _, _ in found for x in nodes)
        ctx.prefetch_edges(e for _, edges, _, _ in found for e in edges)
        for nodes, edges, top, k in found:
            d, lst = nodes[0], nodes[-1]
            mic, ticker = ctx.listing(lst)
            if top == lst:
                rel = f"{ctx.name(lst)} is a group parent of {ctx.name(d)}"
            elif top == d:
                rel = f"{ctx.name(lst)} is held by {ctx.name(d)}"
            else:
                rel = f"both sit under {ctx.name(top)}"
            many = (
                f" It is one of {k} listed issuers in the group that are not named"
                + (f" (the nearest {o.max_affiliates} are reported)." if k > o.max_affiliates else ".")
                if k > 1
                else ""
            )
            text = (
                f"{ctx.name(lst)} ({ctx.line_text(lst)}) is in the same group as {ctx.name(d)}, "
                f"{ctx.designated_text(d, st)}: {rel} ({ctx.chain_text(nodes, edges)}); NS-CMIC covers "
                "only the publicly traded securities of the named entity (OFAC FAQ 857), so "
                f"{ctx.name(lst)}'s securities are not covered unless Treasury lists that issuer too (as it "
                f"listed the financing vehicle Proven Honour Capital separately from Huawei).{many}"
            )
            out.append(_finding(ctx, st, "unlisted-affiliate", d, lst, nodes, edges, text, mic, ticker))
    return out


# -- L3 name-mismatch --------------------------------------------------------------------------------


def _similar_pairs(ctx: _Ctx, left: I64, right: I64, threshold: float) -> list[tuple[int, int, float]]:
    """Pairs (left node, right node, similarity) with :func:`name_similarity` ≥ ``threshold``.

    Prefix filtering: two token sets with Jaccard similarity ≥ t share at least one of the
    ``|A| - ceil(t·|A|) + 1`` rarest tokens of A, so only those tokens of each left name are
    probed in an index of the right names (no all-pairs comparison).
    """
    ctx.prefetch(np.concatenate([left, right]).tolist())
    cache: dict[str, frozenset[str]] = {}

    def tokens(i: int) -> frozenset[str]:
        name = ctx.name(i)
        toks = cache.get(name)
        if toks is None:
            toks = cache[name] = name_tokens(name)
        return toks

    rt = {i: tokens(i) for i in right.tolist()}
    index: dict[str, list[int]] = {}
    for node, toks in rt.items():
        for tok in toks:
            index.setdefault(tok, []).append(node)
    out: list[tuple[int, int, float]] = []
    for node in left.tolist():
        toks = tokens(node)
        if not toks:
            continue
        ordered = sorted(toks, key=lambda tok: (len(index.get(tok, ())), tok))
        seen: set[int] = set()
        for tok in ordered[: len(ordered) - math.ceil(threshold * len(ordered) - 1e-9) + 1]:
            for other in index.get(tok, ()):
                if other in seen or other == node:
                    continue
                seen.add(other)
                ot = rt[other]
                sim = len(toks & ot) / len(toks | ot)
                if sim >= threshold:
                    out.append((node, other, sim))
    return out


def _name_mismatch(ctx: _Ctx, statuses: dict[str, RegimeStatus], o: _Opts) -> list[_Finding]:
    src = _union_sources(statuses, [_DES])
    src = src[~ctx.listed[src]]
    listed = np.flatnonzero(ctx.listed).astype(np.int64)
    if len(src) == 0 or len(listed) == 0:
        return []
    cands = _similar_pairs(ctx, src, listed, o.similarity)
    if not cands:
        return []
    # only entities with an edge can have a relative (checked on the few candidates)
    named = np.unique(np.array([x for c in cands for x in c[:2]], dtype=np.int64))
    v = ctx.view.around(_Lazy(lambda: named), "both")
    linked = (np.diff(v.in_ptr) > 0) | (np.diff(v.out_ptr) > 0)
    cands = [c for c in cands if linked[c[0]] and linked[c[1]]]
    if not cands:
        return []
    sim = {(d, lst): s for d, lst, s in cands}
    ds = np.unique(np.array([c[0] for c in cands], dtype=np.int64))
    ls = np.unique(np.array([c[1] for c in cands], dtype=np.int64))
    both = np.concatenate([ds, ls])
    ctx = ctx.on(
        _region(ctx.view, lambda: _reach(ctx.view, both, "up", o.max_depth - 1, enter=ctx.group_kind), "in")
    )
    # related: a common company-like ancestor (either may be the ancestor), path ≤ max_depth
    a = _bfs([ctx.up], ds, ctx.n, o.max_depth, enter_ok=ctx.group_kind)
    b = _bfs([ctx.up], ls, ctx.n, o.max_depth, enter_ok=ctx.group_kind)
    ia, ib = _join(a, b, max_total=o.max_depth)
    found = []
    for i, j in zip(ia.tolist(), ib.tolist(), strict=True):
        d, lst = int(ds[a.label[i]]), int(ls[b.label[j]])
        s = sim.get((d, lst))
        if s is None:
            continue
        d_chain, d_edges = a.chain(i)
        l_chain, l_edges = b.chain(j)
        found.append((d, lst, s, d_chain + l_chain[::-1][1:], d_edges + l_edges[::-1]))
    ctx.prefetch(x for *_, nodes, _ in found for x in nodes)
    ctx.prefetch_edges(e for *_, edges in found for e in edges)
    out: list[_Finding] = []
    for reg, st in statuses.items():
        for d, lst, s, nodes, edges in found:
            if int(st.code[d]) != _DES or int(st.code[lst]) == _DES:
                continue
            mic, ticker = ctx.listing(lst)
            line = f"{mic}:{ticker}" if mic else str(ticker)
            jd, jl = ctx.view.jurisdiction(d), ctx.view.jurisdiction(lst)
            scope = (
                " Only the named entity's securities are covered (OFAC FAQ 857)."
                if reg == "ofac-ns-cmic"
                else ""
            )
            text = (
                f"The traded line {line} is issued by {ctx.name(lst)}{f' ({jl})' if jl else ''}, a different "
                f"legal entity from {ctx.name(d)}{f' ({jd})' if jd else ''}, {ctx.designated_text(d, st)}, "
                f"with a near-identical name (token similarity {s:.2f}); they are related as "
                f"{ctx.chain_text(nodes, edges)}. Name-matched, issuer-unconfirmed: no issuer name, ISIN or "
                "identifier on the designation ties the line to the designated entity "
                f"(docs/regimes.md §2.3), so a name screen may wrongly hit or miss {ctx.name(lst)}.{scope}"
            )
            out.append(_finding(ctx, st, "name-mismatch", d, lst, nodes, edges, text, mic, ticker))
    return out


# -- L4 aggregation-split and L5 sub-threshold ---------------------------------------------------------


def _threshold_regimes(statuses: dict[str, RegimeStatus]) -> dict[str, RegimeStatus]:
    return {
        r: st for r, st in statuses.items() if st.params.propagates and st.params.threshold_ppm is not None
    }


def _stake_edges(ctx: _Ctx, st: RegimeStatus) -> I64:
    """Known-share ``shares`` edges whose owner is designated or restricted under the regime."""
    v = ctx.view
    owner_ok = np.isin(st.code[v.src], [_DES, _RES])
    return np.flatnonzero(owner_ok & (np.asarray(v.kind) == _SHARES) & ctx.known).astype(np.int64)


def _meets(total: int, threshold: int, inclusive: bool) -> bool:
    return total > threshold or (inclusive and total == threshold)


def _group_by_dst(ctx: _Ctx, edges: I64) -> list[tuple[int, I64]]:
    """``(owned node, its edges)`` for each owned node, in node order."""
    if len(edges) == 0:
        return []
    dst = np.asarray(ctx.view.dst[edges], dtype=np.int64)
    order = np.argsort(dst, kind="stable")
    edges, dst = edges[order], dst[order]
    cut = np.flatnonzero(np.diff(dst)) + 1
    return [(int(g_dst[0]), g) for g_dst, g in zip(np.split(dst, cut), np.split(edges, cut), strict=True)]


def _sorted_owner_edges(ctx: _Ctx, es: I64) -> list[int]:
    v = ctx.view
    return sorted(es.tolist(), key=lambda e: (-int(v.lo[e]), ctx.id(int(v.src[e]))))


def _owners_text(ctx: _Ctx, st: RegimeStatus, edges: Sequence[int]) -> str:
    v = ctx.view
    parts = []
    for e in edges:
        owner = int(v.src[e])
        parts.append(f"{ctx.name(owner)} ({st.name(owner).replace('_', ' ')}) {_pct(ctx.share(e))}")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def _aggregation_split(ctx: _Ctx, statuses: dict[str, RegimeStatus], o: _Opts) -> list[_Finding]:
    out: list[_Finding] = []
    ctx = _flagged_region(ctx, _threshold_regimes(statuses), [_DES, _RES], "out")
    v = ctx.view
    for reg, st in _threshold_regimes(statuses).items():
        T, incl = int(st.params.threshold_ppm or 0), st.params.inclusive
        es = _stake_edges(ctx, st)
        if len(es) == 0:
            continue
        dst = np.asarray(v.dst[es], dtype=np.int64)
        cnt = np.bincount(dst, minlength=ctx.n)
        lo_sum = np.bincount(dst, weights=v.lo[es].astype(np.float64), minlength=ctx.n)
        # an owner alone could meet the threshold -> not a split
        alone = np.array([_meets(int(h), T, incl) for h in v.hi[es].tolist()], dtype=bool)
        solo = np.bincount(dst[alone], minlength=ctx.n) > 0
        cand = np.flatnonzero((cnt >= 2) & ~solo)
        pooled = np.array([_meets(round(lo_sum[c]), T, incl) for c in cand.tolist()], dtype=bool)
        cand = cand[pooled] if len(cand) else cand
        keep = np.isin(dst, cand)
        for owned, group in _group_by_dst(ctx, es[keep]):
            code = int(st.code[owned])
            if code == _DES:
                continue
            if st.params.aggregate and code != _RES:
                continue  # out of scope (e.g. BIS home country) or otherwise not restricted
            if not st.params.aggregate and code == _RES:
                continue  # restricted anyway (joint arrangement, another chain or control)
            edges = _sorted_owner_edges(ctx, group)
            total = sum(int(v.lo[e]) for e in edges)
            owners = [int(v.src[e]) for e in edges]
            ctx.prefetch([*owners, owned])
            who = _owners_text(ctx, st, edges)
            thr = st.params.threshold_text
            if st.params.aggregate:
                text = (
                    f"{ctx.name(owned)} is restricted under {reg} only by aggregation: {who}, each below the "
                    f"{thr} threshold, hold at least {_ppm_pct(total)} together, "
                    f"and {reg} sums the stakes of "
                    f"different designated or restricted owners ({_RULE_SOURCE[reg]}); the UK does not "
                    "aggregate them without a joint arrangement (OFSI general guidance para 4.14), "
                    "so the same "
                    "split escapes the UK rule."
                )
            else:
                text = (
                    f"{ctx.name(owned)} is not owned under {reg} although {who} hold at least "
                    f"{_ppm_pct(total)} together: each stake is not {thr}, and OFSI does not aggregate "
                    "different designated persons' holdings without a joint arrangement "
                    "(OFSI general guidance "
                    "para 4.14), while OFAC, the EU and BIS would treat it as restricted."
                )
            out.append(_stakes_finding(ctx, "aggregation-split", reg, owners, owned, edges, st, text))
    return out


def _in_band(total: int, band: tuple[int, int], T: int, incl: bool) -> bool:
    lo, hi = band
    if total < lo:
        return False
    return total < hi or (not incl and total == T)


def _sub_threshold(ctx: _Ctx, statuses: dict[str, RegimeStatus], o: _Opts) -> list[_Finding]:
    out: list[_Finding] = []
    ctx = _flagged_region(ctx, _threshold_regimes(statuses), [_DES, _RES], "out")
    v = ctx.view
    for reg, st in _threshold_regimes(statuses).items():
        T, incl = int(st.params.threshold_ppm or 0), st.params.inclusive
        es = _stake_edges(ctx, st)
        es = es[~np.isin(st.code[v.dst[es]], [_DES, _RES])]
        if len(es) == 0:
            continue
        lo = np.asarray(v.lo[es], dtype=np.int64)
        dst = np.asarray(v.dst[es], dtype=np.int64)
        total_of = np.bincount(dst, weights=lo, minlength=ctx.n) if st.params.aggregate else None
        tot = np.rint(total_of[dst]).astype(np.int64) if total_of is not None else lo
        band_lo, band_hi = o.band
        hit = (tot >= band_lo) & ((tot < band_hi) | ((not incl) & (tot == T)))
        es = es[hit]
        if st.params.aggregate:
            groups = _group_by_dst(ctx, es)
        else:
            groups = [(int(v.dst[e]), np.array([e], dtype=np.int64)) for e in es.tolist()]
        ctx.prefetch(np.concatenate([v.src[es], v.dst[es]]).tolist())
        ctx.prefetch_edges(es.tolist())
        for owned, group in groups:
            total = int(v.lo[group].astype(np.int64).sum())
            if not _in_band(total, o.band, T, incl):
                continue
            edges = _sorted_owner_edges(ctx, group)
            owners = [int(v.src[e]) for e in edges]
            who = _owners_text(ctx, st, edges)
            agg = "in aggregate " if st.params.aggregate and len(edges) > 1 else ""
            poss = (
                " (it is possibly restricted through other stakes, see `restricted`)"
                if int(st.code[owned]) == _POSS
                else ""
            )
            text = (
                f"Designated or restricted owners hold {_ppm_pct(total)} of {ctx.name(owned)} "
                f"{agg}({who}), just "
                f"below the {st.params.threshold_text} threshold of {reg}, so it is not restricted{poss}; a "
                "significant minority stake held just under the threshold calls for caution (OFAC FAQ 398; "
                "BIS Red Flag 29)."
            )
            out.append(_stakes_finding(ctx, "sub-threshold", reg, owners, owned, edges, st, text))
    return out


# -- L6 control-without-ownership ----------------------------------------------------------------------


def _control_without_ownership(ctx: _Ctx, statuses: dict[str, RegimeStatus], o: _Opts) -> list[_Finding]:
    out: list[_Finding] = []
    ctx = _flagged_region(ctx, statuses, [_DES, _RES], "out")
    v = ctx.view
    kind = np.asarray(v.kind)
    ctrl = kind != _SHARES
    ctrl &= (kind != _VOTES) | (np.asarray(v.hi, dtype=np.int64) > PPM // 2)
    for reg, st in statuses.items():
        if st.params.threshold_ppm is None:
            continue
        T, incl = int(st.params.threshold_ppm), st.params.inclusive
        es = np.flatnonzero(ctrl & np.isin(st.code[v.src], [_DES, _RES]))
        by_pair: dict[tuple[int, int], list[int]] = {}
        for e in es.tolist():
            by_pair.setdefault((int(v.src[e]), int(v.dst[e])), []).append(e)
        for (owner, owned), ces in sorted(by_pair.items()):
            if int(st.code[owned]) == _DES:
                continue
            stake = [
                int(e)
                for e in v.out_of(owner).tolist()
                if int(v.dst[e]) == owned and int(v.kind[e]) == _SHARES
            ]
            if stake and ctx.known[stake[0]] and _meets(int(v.lo[stake[0]]), T, incl):
                continue  # a majority stake: ordinary ownership
            ctx.prefetch([owner, owned])
            kinds = ", ".join(OWNERSHIP_KINDS[int(v.kind[e])] for e in ces)
            if not stake:
                held = "no shareholding"
            elif not ctx.known[stake[0]]:
                held = "a shareholding of unknown size"
            else:
                held = f"only a {_pct(ctx.share(stake[0]))} shareholding"
            roles = {st.regime.role(OWNERSHIP_KINDS[int(v.kind[e])]) for e in ces}
            head = (
                f"{ctx.name(owner)}, {ctx.designated_text(owner, st)}, holds {kinds} rights over "
                f"{ctx.name(owned)} but {held}, not a proven {st.params.threshold_text} stake; "
            )
            if roles & {"controlled", "votes", "possibly-controlled"} and st.params.control_limb:
                now = st.name(owned).replace("_", " ")
                text = head + (
                    f"{reg} counts control as well as ownership ({_RULE_SOURCE[reg]}), so "
                    f"{ctx.name(owned)} is {now} under {reg} through control, not ownership."
                )
            elif reg == "bis-entity-list":
                text = head + (
                    "the Affiliates rule counts ownership only (15 CFR 744.11(a)(1)), so control "
                    "alone does not extend the listing; treat it as a red flag (BIS Red Flag 29)."
                )
            elif reg == "ofac-ns-cmic":
                text = head + "NS-CMIC does not extend to controlled entities (OFAC FAQ 857)."
            else:
                text = head + (
                    f"the {reg} rule counts ownership only, so {ctx.name(owned)} is not blocked by "
                    "control; OFAC advises caution with entities a blocked person controls (FAQ 398)."
                )
            edges = sorted(ces + stake, key=lambda e: (OWNERSHIP_KINDS[int(v.kind[e])], e))
            out.append(
                _Finding(
                    "control-without-ownership",
                    reg,
                    owner,
                    owned,
                    [owner, owned],
                    [ctx.edge_item(e) for e in edges],
                    [ctx.basis_item(e, st) for e in edges],
                    text,
                )
            )
    return out


# -- L7 exposure-wrapper -----------------------------------------------------------------------------


def _exposure_wrapper(ctx: _Ctx, statuses: dict[str, RegimeStatus], o: _Opts) -> list[_Finding]:
    fund = ctx.kind_code == ENTITY_KINDS.index("fund")
    if not fund.any():
        return []
    ctx = _flagged_region(ctx, statuses, [_DES, _RES], "in")
    v = ctx.view
    hold = v.table("holdings")
    h_holder = hold.column("holder").to_numpy().astype(np.int64) if hold.num_rows else _empty_i64()
    h_node = hold.column("node").to_numpy().astype(np.int64) if hold.num_rows else _empty_i64()
    h_ok = (h_node >= 0) & fund[h_holder] if len(h_holder) else np.zeros(0, dtype=bool)
    e_fund = np.flatnonzero(fund[v.src])
    out: list[_Finding] = []
    for reg, st in statuses.items():
        want = [_DES] if reg == "ofac-ns-cmic" else [_DES, _RES]
        es = e_fund[np.isin(st.code[v.dst[e_fund]], want)]
        hs = np.flatnonzero(h_ok & np.isin(st.code[np.maximum(h_node, 0)], want)) if len(h_node) else h_node
        pairs: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
        for e in es.tolist():
            pairs.setdefault((int(v.src[e]), int(v.dst[e])), ([], []))[0].append(e)
        for h in hs.tolist():
            pairs.setdefault((int(h_holder[h]), int(h_node[h])), ([], []))[1].append(h)
        if not pairs:
            continue
        ctx.prefetch([x for k in pairs for x in k])
        ctx.prefetch_edges(e for ees, _ in pairs.values() for e in ees)
        for (f, issuer), (ees, hhs) in sorted(pairs.items()):
            items = [ctx.edge_item(e) for e in ees] + [_holding_item(ctx, hold, h) for h in hhs]
            how = " and ".join(_wrapper_hop(it, ctx.name(issuer)) for it in items)
            mic, ticker = ctx.listing(issuer)
            line = f" ({ctx.line_text(issuer)})" if mic or ticker else ""
            what = ctx.designated_text(issuer, st)
            if reg == "ofac-ns-cmic":
                d = st.rows.get(issuer)
                eff = f" from {d.effective.isoformat()}" if d is not None and d.effective else ""
                rule = (
                    "US persons may not buy publicly traded securities designed to give investment exposure "
                    f"to the named issuer's securities, including ETFs, index and mutual funds{eff} "
                    "(OFAC FAQs 860, 861), so the fund's own shares can be in scope."
                )
            else:
                rule = (
                    "investors in the fund are exposed to an issuer that is "
                    f"{st.name(issuer).replace('_', ' ')}"
                    f" under {reg} ({_RULE_SOURCE.get(reg, reg)}); the wrapper itself is not named, so a "
                    "list screen of the fund misses it."
                )
            text = f"{ctx.name(f)} (fund) {how}{line}, {what}; {rule}"
            basis = [ctx.basis_item(e, st) for e in ees] + [
                BasisItem(
                    owner_id=it.owner_id,
                    kind="holding",
                    share_min=None,
                    share_max=None,
                    share="unknown",
                    source=it.source,
                    owned_id=it.owned_id,
                    owner_status=st.owner_status(f),
                )
                for it in items
                if it.kind == "holding"
            ]
            out.append(
                _Finding("exposure-wrapper", reg, issuer, f, [f, issuer], items, basis, text, mic, ticker)
            )
    return out


def _wrapper_hop(it: LoopholeEdge, issuer: str) -> str:
    if it.kind == "holding":
        w = f" (weight {it.weight:g})" if it.weight is not None else ""
        return f"holds a position{w} in {issuer}"
    share = "an unknown share" if it.share == "unknown" else f"{it.share}%"
    kind = "" if it.kind == "shares" else f" ({it.kind})"
    return f"owns {share}{kind} of {issuer}"


def _holding_item(ctx: _Ctx, hold: pa.Table, h: int) -> LoopholeEdge:
    holder = int(hold.column("holder")[h].as_py())
    node = int(hold.column("node")[h].as_py())
    w = hold.column("weight")[h].as_py()
    as_of = int(hold.column("as_of")[h].as_py())
    return LoopholeEdge(
        owner_id=ctx.id(holder),
        owned_id=ctx.id(node),
        kind="holding",
        **share_fields(Share.unknown()),
        source=hold.column("source")[h].as_py(),
        start=date_of(as_of) if as_of != int(NO_DATE_LO) else None,
        weight=None if w is None else float(w),
    )


# -- L8 timing ---------------------------------------------------------------------------------------


def _timing(ctx: _Ctx, statuses: dict[str, RegimeStatus], o: _Opts) -> list[_Finding]:
    ctx = _flagged_region(ctx, statuses, [_DES], "both")  # every record at a designated party
    t = ctx.view.table("edges")
    if t.num_rows == 0:
        return []
    src = t.column("src").to_numpy()
    dst = t.column("dst").to_numpy()
    des_any = np.zeros(ctx.n, dtype=bool)
    for st in statuses.values():
        des_any |= st.code == _DES
    near = np.flatnonzero(des_any[src] | des_any[dst])
    if len(near) == 0:
        return []
    src, dst = src[near].astype(np.int64), dst[near].astype(np.int64)
    start = t.column("start").to_numpy()[near].astype(np.int64)
    end = t.column("end").to_numpy()[near].astype(np.int64)
    today = ctx.as_of_day
    has_start = (start != int(NO_DATE_LO)) & (start <= today)
    has_end = (end != int(NO_DATE_HI)) & (end <= today)
    out: list[_Finding] = []
    N = o.timing_days
    for reg, st in statuses.items():
        des = np.flatnonzero(st.code == _DES)
        if len(des) == 0:
            continue
        day = np.full(ctx.n, np.iinfo(np.int64).min // 4, dtype=np.int64)
        day[des] = ctx.designation_days(des, reg)
        hit = np.zeros(len(src), dtype=bool)
        for ends in (src, dst):
            dd = day[ends]
            hit |= has_start & (np.abs(start - dd) <= N)
            hit |= has_end & (np.abs(end - dd) <= N)
        by_pair: dict[tuple[int, int], list[int]] = {}
        for r in np.flatnonzero(hit).tolist():
            by_pair.setdefault((int(src[r]), int(dst[r])), []).append(int(near[r]))
        for (owner, owned), rs in sorted(by_pair.items()):
            ctx.prefetch([owner, owned])
            d_node = owner if int(st.code[owner]) == _DES else owned
            other = owned if d_node == owner else owner
            des_rec = ctx.designation(d_node, reg)
            assert des_rec is not None
            items: list[LoopholeEdge] = []
            events: list[str] = []
            seen: set[tuple[Any, ...]] = set()
            for r in rs:
                item = _raw_edge_item(ctx, t, r)
                key = (item.kind, item.share, item.start, item.end)
                if key in seen:
                    continue
                seen.add(key)
                items.append(item)
                for when, verb in ((item.start, "acquired"), (item.end, "ceased to hold")):
                    if when is None or days(when) > today:
                        continue
                    gap = days(when) - des_rec.day
                    if abs(gap) > N:
                        continue
                    rel = (
                        "on the day"
                        if gap == 0
                        else (f"{-gap} days before" if gap < 0 else f"{gap} days after")
                    )
                    events.append(
                        f"{ctx.name(owner)} {verb} {_pct_text(item)} of {ctx.name(owned)} on "
                        f"{when.isoformat()}, {rel} {ctx.name(d_node)} was designated"
                    )
            when_des = des_rec.listed.isoformat() if des_rec.listed else "its listing date"
            on = f" ({des_rec.list_name})" if des_rec.list_name else ""
            text = (
                "; ".join(events) + f" under {reg} on {when_des}{on}. Ownership changes within {N} days of a "
                "designation are a red flag for evasion (EU Best Practices, July 2024: share transfers "
                "close to designation); check whether the designated party still owns or controls the "
                "stake, and that any "
                "post-listing transfer was licensed or within a divestment window."
            )
            basis = [
                BasisItem(
                    owner_id=it.owner_id,
                    kind=it.kind,
                    share_min=it.share_min,
                    share_max=it.share_max,
                    share=it.share,
                    source=it.source,
                    owned_id=it.owned_id,
                    owner_status=st.owner_status(owner),
                )
                for it in items
            ]
            out.append(_Finding("timing", reg, d_node, other, [owner, owned], items, basis, text))
    return out


def _pct_text(item: LoopholeEdge) -> str:
    if item.share == "unknown":
        return "a stake (share unknown)"
    kind = "" if item.kind == "shares" else f" ({item.kind})"
    return f"{item.share}%{kind}"


def _raw_edge_item(ctx: _Ctx, t: pa.Table, r: int) -> LoopholeEdge:
    s = Share.from_columns(
        int(t.column("lo")[r].as_py()), int(t.column("hi")[r].as_py()), int(t.column("flags")[r].as_py())
    )
    start = int(t.column("start")[r].as_py())
    end = int(t.column("end")[r].as_py())
    return LoopholeEdge(
        owner_id=ctx.id(int(t.column("src")[r].as_py())),
        owned_id=ctx.id(int(t.column("dst")[r].as_py())),
        kind=OWNERSHIP_KINDS[int(t.column("kind")[r].as_py())],
        **share_fields(s),
        source=t.column("source")[r].as_py(),
        start=None if start == int(NO_DATE_LO) else date_of(start),
        end=None if end == int(NO_DATE_HI) else date_of(end),
    )


# -- L9 cycle ----------------------------------------------------------------------------------------

_SCC_CACHE: weakref.WeakKeyDictionary[GraphView, tuple[I64, I64]] = weakref.WeakKeyDictionary()


def _scc(view: GraphView) -> tuple[I64, I64]:
    """Strong component label per node and component sizes (cached per view)."""
    hit = _SCC_CACHE.get(view)
    if hit is not None:
        return hit
    n = view.n
    if view.m == 0:
        res = (np.arange(n, dtype=np.int64), np.ones(n, dtype=np.int64))
    else:
        # only nodes with both owners and holdings can be on a cycle: shrink the problem first
        has_in = np.diff(view.in_ptr) > 0
        has_out = np.diff(view.out_ptr) > 0
        core = has_in & has_out
        keep = core[view.src] & core[view.dst]
        cnodes = np.flatnonzero(core)
        local = np.full(n, -1, dtype=np.int64)
        local[cnodes] = np.arange(len(cnodes))
        s, d = local[view.src[keep]], local[view.dst[keep]]
        k = len(cnodes)
        mat = sp.csr_matrix((np.ones(len(s), dtype=np.int8), (s, d)), shape=(k, k))
        _, lab = connected_components(mat, directed=True, connection="strong")
        label = np.arange(n, dtype=np.int64) + (int(lab.max()) + 1 if k else 0)
        label[cnodes] = lab
        sizes = np.bincount(label)
        res = (label, sizes.astype(np.int64))
    _SCC_CACHE[view] = res
    return res


def _cycle(ctx: _Ctx, statuses: dict[str, RegimeStatus], o: _Opts) -> list[_Finding]:
    flagged = _union_sources(statuses, [_DES, _RES])
    if len(flagged) == 0:
        return []

    def loops() -> I64:
        """Nodes both under and above a flagged entity: every loop through one is among them."""
        v = ctx.view
        below = _reach(v, flagged, "down", v.n)
        return np.intersect1d(below, _reach(v, flagged, "up", v.n))

    ctx = ctx.on(_region(ctx.view, loops, "out"))
    v = ctx.view
    label, sizes = _scc(v)
    in_cycle = sizes[label] >= 2
    if not in_cycle.any():
        return []
    out: list[_Finding] = []
    for reg, st in statuses.items():
        members = np.flatnonzero(in_cycle & np.isin(st.code, [_DES, _RES]))
        if len(members) == 0:
            continue
        ctx.prefetch(members.tolist())
        best: dict[int, int] = {}
        for m in members.tolist():
            comp = int(label[m])
            cur = best.get(comp)
            rank = (int(st.code[m]), ctx.id(m))
            if cur is None or rank < (int(st.code[cur]), ctx.id(cur)):
                best[comp] = m
        for comp, d in sorted(best.items(), key=lambda kv: ctx.id(kv[1])):
            nodes, edges = _shortest_cycle(v, label, d)
            ctx.prefetch(nodes)
            size = int(sizes[comp])
            marked = int(np.isin(st.code[np.flatnonzero(label == comp)], [_DES, _RES]).sum())
            text = (
                f"{ctx.name(d)}, {ctx.designated_text(d, st)}, sits in a circular ownership loop of "
                f"{size} entities ({marked} designated or restricted): {ctx.chain_text(nodes, edges)}. "
                "Circular holdings can hide who ultimately owns or controls the group (Global Witness); "
                "statuses stay well defined because the fixpoint never multiplies shares, but "
                "look-through stakes inside the loop exceed the direct ones."
            )
            out.append(
                _Finding(
                    "cycle",
                    reg,
                    d,
                    nodes[1],
                    nodes,
                    [ctx.edge_item(e) for e in edges],
                    [ctx.basis_item(e, st) for e in edges],
                    text,
                )
            )
    return out


def _shortest_cycle(v: GraphView, label: I64, d: int) -> tuple[list[int], list[int]]:
    """The shortest directed cycle through ``d`` inside its strong component (BFS)."""
    comp = int(label[d])
    parent: dict[int, tuple[int, int]] = {d: (-1, -1)}
    frontier = [d]
    while frontier:
        nxt: list[int] = []
        for x in frontier:
            for e in v.out_of(x).tolist():
                y = int(v.dst[e])
                if y == d:
                    nodes, edges = [d], [int(e)]
                    while x != d:
                        nodes.append(x)
                        x, pe = parent[x]
                        edges.append(pe)
                    nodes.append(d)
                    nodes.reverse()
                    edges.reverse()
                    return nodes, edges
                if y in parent or int(label[y]) != comp:
                    continue
                parent[y] = (x, int(e))
                nxt.append(y)
        frontier = nxt
    raise AssertionError("a member of a strong component lies on a cycle")  # pragma: no cover


# -- the query -------------------------------------------------------------------------------------

_PATTERN_FUNCS: dict[str, Callable[[_Ctx, dict[str, RegimeStatus], _Opts], list[_Finding]]] = {
    "listed-parent": _listed_parent,
    "unlisted-affiliate": _unlisted_affiliate,
    "name-mismatch": _name_mismatch,
    "aggregation-split": _aggregation_split,
    "sub-threshold": _sub_threshold,
    "control-without-ownership": _control_without_ownership,
    "exposure-wrapper": _exposure_wrapper,
    "timing": _timing,
    "cycle": _cycle,
}


def _choose(
    values: Iterable[str] | str | None, known: Sequence[str], default: Sequence[str], what: str
) -> list[str]:
    if values is None:
        return list(default)
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        key = str(v).strip().lower()
        if key not in known:
            raise InputError(f"unknown {what}", field=what, value=v, fix="use one of " + ", ".join(known))
        if key not in out:
            out.append(key)
    return sorted(out, key=known.index)


def loopholes(
    view: GraphView,
    *,
    regimes: Iterable[str] | str | None = None,
    patterns: Iterable[str] | str | None = None,
    max_depth: int = 6,
    sub_threshold_band: tuple[float, float] = (40.0, 50.0),
    timing_days: int = 90,
    name_threshold: float = 0.6,
    max_affiliates: int = 10,
) -> Rows[LoopholeRow]:
    """Named loophole patterns (SPEC §7) under each regime as of the view's date.

    Parameters
    ----------
    view
        The graph as of a date (``ws.graph(as_of=...)``).
    regimes
        Regime ids to search (default :data:`DEFAULT_REGIMES`: all but ``info``).
    patterns
        Pattern ids (default all of :data:`PATTERNS`).
    max_depth
        Hops searched up (``listed-parent``), around (``name-mismatch``) and through a group
        (``unlisted-affiliate``).
    sub_threshold_band
        ``[low, high)`` in percent for ``sub-threshold``; for a strict threshold (``> 50%``)
        a holding of exactly the threshold is also just below it.
    timing_days
        The window around a designation for ``timing``.
    name_threshold
        Minimum token-set similarity (:func:`name_similarity`) for ``name-mismatch``.
    max_affiliates
        ``unlisted-affiliate`` reports the nearest this many unnamed listed issuers per
        designated entity (each row says how many there are in all).

    Returns
    -------
    Rows[LoopholeRow]
        Sorted by pattern (in :data:`PATTERNS` order), regime, designated id, subject id and path.

    Raises
    ------
    InputError
        For an unknown pattern or regime, or a bad parameter.

    Examples
    --------
    >>> import tempfile, pathlib, ownergraph, ownergraph.data
    >>> bundle = pathlib.Path(ownergraph.data.__file__).parent / "sensetime"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ws = ownergraph.open(tmp)
    ...     _ = ws.load([bundle])
    ...     view = ws.graph(as_of="2022-01-07")
    ...     rows = loopholes(view, regimes=["ofac-ns-cmic"], patterns=["listed-parent"])
    ...     ws.close()
    >>> [(r.path, r.mic, r.ticker) for r in rows]
    [(['sensetime-group-inc', 'sensetime-group-ltd'], 'XHKG', '0020')]
    """
    regs = _choose(regimes, REGIME_IDS, DEFAULT_REGIMES, "regime")
    pats = _choose(patterns, PATTERNS, PATTERNS, "pattern")
    if max_depth < 1:
        raise InputError("must be at least 1", field="max_depth", value=max_depth)
    lo_pct, hi_pct = sub_threshold_band
    if not 0 <= lo_pct < hi_pct <= 100:
        raise InputError("needs 0 <= low < high <= 100", field="sub_threshold_band", value=sub_threshold_band)
    if timing_days < 0:
        raise InputError("must not be negative", field="timing_days", value=timing_days)
    opts = _Opts(
        max_depth=int(max_depth),
        max_affiliates=max(1, int(max_affiliates)),
        band=(round(lo_pct * 10_000), round(hi_pct * 10_000)),
        timing_days=int(timing_days),
        similarity=float(name_threshold),
    )
    with paused_gc():
        statuses = {r: regime_status(view, r) for r in regs}
        ctx = _Ctx(view)
        findings: list[_Finding] = []
        for p in pats:
            findings.extend(_PATTERN_FUNCS[p](ctx, statuses, opts))
        ctx.prefetch(x for f in findings for x in (*f.path, f.designated, f.subject))
        rows = [_row(ctx, f, statuses) for f in findings]
        p_rank = {p: i for i, p in enumerate(PATTERNS)}
        r_rank = {r: i for i, r in enumerate(REGIME_IDS)}
        rows.sort(key=lambda r: (p_rank[r.pattern], r_rank[r.regime], r.designated_id, r.subject_id, r.path))
        return Rows(rows)
