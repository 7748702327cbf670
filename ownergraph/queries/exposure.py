"""Portfolio exposure: which lines of a holdings list touch designated or restricted entities,
under which regime, through what (SPEC §7 ``exposure``, ``docs/algorithms.md`` §2.5).

:func:`exposure` resolves each line of a portfolio to one entity — by ISIN (listings, then
``isin:`` identifiers), ticker and MIC (listings), LEI (``lei:`` identifiers), id, or, as a
last resort, a name or alias that exactly one entity carries — and then, for each regime:

* the issuer's own status (``designated``, ``restricted``, ``possibly_restricted`` or
  ``not_restricted``, from :func:`~ownergraph.queries.restricted.restricted`) in a ``self``
  row, and
* every designated or restricted entity within ``max_depth`` hops, with its path: ``owner``
  (up the ownership/control edges), ``subsidiary`` (down them, or through a fund's positions in
  holdings data) and ``affiliate`` (under a common group parent; only company-like parents and
  edges that may confer control, as in :mod:`ownergraph.queries.loopholes`).

NS-CMIC scope follows OFAC FAQs 857 and 860: a line is in scope when its issuer is itself on
the list (its securities and instruments designed to give exposure to them, such as ETFs and
index funds); a parent's or affiliate's securities are not, and the explanation says so.
Unresolved lines give one row with ``entity_id`` null and a ``reason``.

Resolution is vectorised (``view.indices``) and the searches are multi-source BFS over the
view's CSR arrays — from the portfolio upward and from the restricted set upward, never
downward from a portfolio hub — so a 1,000-line portfolio costs a few array passes.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.backend import canonical_rank
from ownergraph.graph.cache import days
from ownergraph.graph.model import ENTITY_KINDS, REGIME_IDS
from ownergraph.graph.view import SCAN_MAX, GraphView, scan_positions
from ownergraph.queries.loopholes import (
    STATUS_NAMES,
    LoopholeEdge,
    RegimeStatus,
    _bfs,
    _Ctx,
    _holding_item,
    _join,
    _reach,
    _region,
    _tidy,
    canonical_nodes,
    regime_status,
)
from ownergraph.queries.rows import Row, Rows, paused_gc

__all__ = ["HOLDING_KEYS", "ExposureRow", "Relation", "exposure", "read_holdings"]

I64 = npt.NDArray[np.int64]
Relation = Literal["self", "owner", "subsidiary", "affiliate"]
HOLDING_KEYS: tuple[str, ...] = ("id", "isin", "lei", "ticker", "mic", "name", "weight")
"""Columns a holdings line may have (others are ignored); identifiers are tried in this order."""

_FUND = ENTITY_KINDS.index("fund")
_REL_RANK = {"self": 0, "owner": 1, "subsidiary": 2, "affiliate": 3}
_DES, _RES = 1, 2


class ExposureRow(Row):
    """One portfolio line under one regime: the issuer itself (``relation`` ``self``) or one
    designated or restricted entity related to it, with the path from the issuer to it.

    ``status`` is always the issuer's status under ``regime``; ``related_status`` is the
    related entity's. An unresolved line has ``entity_id`` null, a ``reason`` and no regime.
    """

    line: int
    input: str
    entity_id: str | None
    name: str | None
    reason: str | None = None
    regime: str | None = None
    status: str | None = None
    path: list[str]
    related_id: str | None = None
    related_name: str | None = None
    related_status: str | None = None
    relation: Relation | None = None
    depth: int | None = None
    weight: float | None = None
    edges: list[LoopholeEdge]
    explanation: str
    as_of: dt.date


# -- reading and resolving lines ---------------------------------------------------------------------


@dataclass
class _Line:
    line: int
    input: str
    kind: str
    value: str
    mic: str | None
    weight: float | None
    node: int = -1
    reason: str | None = None


def read_holdings(holdings: str | Path | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Holdings lines as dicts with lower-case keys, from a CSV path or an iterable of mappings.

    Raises
    ------
    FormatError
        When the CSV cannot be read or has none of the identifier columns.
    """
    if isinstance(holdings, (str, Path)):
        path = Path(holdings)
        try:
            with open(path, encoding="utf-8-sig", newline="") as f:
                reader = csv.DictReader(f)
                header = {(h or "").strip().lower() for h in reader.fieldnames or []}
                if not header & {"id", "isin", "lei", "ticker", "name", "entity_id"}:
                    raise FormatError(
                        "no identifier column",
                        file=str(path),
                        line=1,
                        fix="give a header with isin, ticker and mic, lei, id or name "
                        "(and optionally weight)",
                    )
                rows = [{(k or "").strip().lower(): v for k, v in r.items()} for r in reader]
        except UnicodeDecodeError:
            raise FormatError("not UTF-8", file=str(path), fix="re-save the file as UTF-8") from None
        except OSError as e:
            raise FormatError(f"cannot read: {e.strerror}", file=str(path)) from None
        return rows
    return [{str(k).strip().lower(): v for k, v in dict(r).items()} for r in holdings]


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()


def _weight(v: Any, line: int) -> float | None:
    t = _text(v)
    if not t:
        return None
    try:
        return float(t.rstrip("%"))
    except ValueError:
        raise InputError("not a number", line=line, field="weight", value=t) from None


def _parse_lines(rows: Sequence[Mapping[str, Any]]) -> list[_Line]:
    out: list[_Line] = []
    for k, r in enumerate(rows, start=1):
        w = _weight(r.get("weight"), k)
        ident = _text(r.get("id")) or _text(r.get("entity_id"))
        isin, lei = _text(r.get("isin")).upper(), _text(r.get("lei")).upper()
        ticker, mic = _text(r.get("ticker")), _text(r.get("mic")).upper()
        name = _text(r.get("name"))
        if ident:
            out.append(_Line(k, ident, "id", ident, None, w))
        elif isin:
            out.append(_Line(k, isin, "isin", isin, None, w))
        elif lei:
            out.append(_Line(k, lei, "lei", lei, None, w))
        elif ticker:
            out.append(_Line(k, f"{mic}:{ticker}" if mic else ticker, "ticker", ticker, mic or None, w))
        elif name:
            out.append(_Line(k, name, "name", name, None, w))
        else:
            out.append(
                _Line(
                    k, "", "none", "", None, w, reason="no identifier: give isin, ticker+mic, lei, id or name"
                )
            )
    return out


def _norm_ticker(t: str) -> str:
    t = t.strip().upper()
    return t.lstrip("0") or "0" if t.isdigit() else t


def _norm_name(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().casefold()


@dataclass
class _ListingIndex:
    by_isin: dict[str, list[tuple[int, bool]]]
    by_ticker: dict[tuple[str, str], list[tuple[int, bool]]]


def _listing_index(view: GraphView, isins: set[str], tickers: set[str]) -> _ListingIndex:
    """The listings with one of ``isins`` (upper case) or normalised ``tickers``, by ISIN and by
    (MIC, ticker), each with its node and whether it is active.

    The columns are normalised and filtered in Arrow, so only the portfolio's own listings
    become Python objects.
    """
    lis = view.table("listings")
    by_isin: dict[str, list[tuple[int, bool]]] = {}
    by_ticker: dict[tuple[str, str], list[tuple[int, bool]]] = {}
    if lis.num_rows == 0:
        return _ListingIndex(by_isin, by_ticker)
    isin = pc.utf8_upper(lis.column("isin"))
    ticker = pc.utf8_upper(pc.utf8_trim_whitespace(lis.column("ticker")))
    digits = pc.fill_null(pc.utf8_is_digit(ticker), False)
    trimmed = pc.utf8_ltrim(ticker, characters="0")
    trimmed = pc.if_else(pc.equal(trimmed, ""), "0", trimmed)
    tick = pc.if_else(digits, trimmed, ticker)
    keep = pc.or_(
        pc.is_in(isin, value_set=pa.array(sorted(isins), pa.string())),
        pc.is_in(tick, value_set=pa.array(sorted(tickers), pa.string())),
    )
    rows = pa.array(np.flatnonzero(np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)))
    lis = lis.take(rows)
    node = lis.column("node").to_numpy().tolist()
    d = days(view.as_of)
    active = ((lis.column("listed").to_numpy() <= d) & (d < lis.column("delisted").to_numpy())).tolist()
    isin_l = isin.take(rows).to_pylist()
    mic = pc.utf8_upper(pc.fill_null(lis.column("mic"), "")).to_pylist()
    tick_l = tick.take(rows).to_pylist()
    for j in range(lis.num_rows):
        item = (int(node[j]), bool(active[j]))
        if isin_l[j]:
            by_isin.setdefault(isin_l[j], []).append(item)
        if tick_l[j]:
            by_ticker.setdefault((mic[j], tick_l[j]), []).append(item)
    return _ListingIndex(by_isin, by_ticker)


def _pick(cands: list[tuple[int, bool]]) -> list[int]:
    """Distinct nodes of the active candidates, else of all candidates."""
    act = sorted({n for n, a in cands if a})
    return act or sorted({n for n, _ in cands})


def _lookup(view: GraphView, keys: Sequence[str]) -> I64:
    """Nodes answering to ids or ``scheme:value`` keys: canonical ids first (:func:`canonical_nodes`),
    everything else in one batch."""
    out = canonical_nodes(view, keys)
    miss = np.flatnonzero(out < 0)
    # The in-memory view answers keys from its complete key table: a portfolio's few keys take one
    # scan of it rather than a hash index of every key (0.4 s per million). Other engines (Neo4j)
    # resolve keys on the server.
    own_keys = type(view).indices is GraphView.indices
    if len(miss) > SCAN_MAX or (len(miss) and not own_keys):
        out[miss] = view.indices([keys[k] for k in miss.tolist()])
    elif len(miss) and view.table("keys").num_rows:
        t = view.table("keys")
        rows = scan_positions(t.column("key"), [keys[k] for k in miss.tolist()])
        found = rows >= 0
        out[miss[found]] = np.asarray(t.column("node").take(pa.array(rows[found])).to_numpy(), dtype=np.int64)
    return out


def _resolve(view: GraphView, ctx: _Ctx, lines: list[_Line]) -> None:
    names = [ln for ln in lines if ln.kind == "name"]
    found = _by_name(view, sorted({_norm_name(ln.value) for ln in names})) if names else {}
    keys: list[str] = []
    for ln in lines:
        if ln.kind == "id":
            keys.append(ln.value)
        elif ln.kind == "lei":
            keys.append(f"lei:{ln.value}")
        elif ln.kind == "isin":
            keys.append(f"isin:{ln.value}")
    via = dict(zip(keys, _lookup(view, keys).tolist(), strict=True)) if keys else {}
    idx = None
    if any(ln.kind in ("isin", "ticker") for ln in lines):
        idx = _listing_index(
            view,
            {ln.value for ln in lines if ln.kind == "isin"},
            {_norm_ticker(ln.value) for ln in lines if ln.kind == "ticker"},
        )
    for ln in lines:
        if ln.kind == "id":
            ln.node = int(via[ln.value])
            if ln.node < 0:
                ln.reason = f"no entity answers to id {ln.value!r}"
        elif ln.kind == "lei":
            ln.node = int(via[f"lei:{ln.value}"])
            if ln.node < 0:
                ln.reason = f"no entity has LEI {ln.value}"
        elif ln.kind in ("isin", "ticker"):
            assert idx is not None
            if ln.kind == "isin":
                cands = _pick(idx.by_isin.get(ln.value, []))
                if not cands and via[f"isin:{ln.value}"] >= 0:
                    cands = [int(via[f"isin:{ln.value}"])]
                what = f"ISIN {ln.value}"
            else:
                t = _norm_ticker(ln.value)
                if ln.mic:
                    cands = _pick(idx.by_ticker.get((ln.mic, t), []))
                else:
                    cands = _pick([c for (_m, tk), cs in idx.by_ticker.items() if tk == t for c in cs])
                what = f"ticker {ln.value}" + (f" on {ln.mic}" if ln.mic else " (no MIC given)")
            _settle(ctx, ln, cands, f"no listing with {what}", f"ambiguous {what}: {{n}} issuers ({{ids}})")
        elif ln.kind == "name":
            _settle(
                ctx,
                ln,
                sorted(found.get(_norm_name(ln.value), set())),
                f"no entity named {ln.value!r}",
                f"ambiguous name: {{n}} entities named {ln.value!r} ({{ids}}); give an id, ISIN or LEI",
            )


def _settle(ctx: _Ctx, ln: _Line, cands: list[int], none: str, many: str) -> None:
    if len(cands) == 1:
        ln.node = cands[0]
    elif not cands:
        ln.reason = none
    else:
        ctx.prefetch(cands)
        named = sorted(ctx.id(c) for c in cands)  # by id, not node number: the same on every engine
        ids = ", ".join(named[:5]) + (", ..." if len(cands) > 5 else "")
        ln.reason = many.format(n=len(cands), ids=ids)


_LOWER_NAMES: weakref.WeakKeyDictionary[GraphView, pa.Array] = weakref.WeakKeyDictionary()
_ALIASES: weakref.WeakKeyDictionary[GraphView, dict[str, set[int]]] = weakref.WeakKeyDictionary()


def _alias_map(view: GraphView) -> dict[str, set[int]]:
    """Aliases (and the names of records with aliases) → nodes, from one scan of the record
    store, cached per view."""
    hit = _ALIASES.get(view)
    if hit is not None:
        return hit
    out: dict[str, set[int]] = {}
    ws = view.workspace
    if ws is not None:
        keys: list[str] = []
        ids: list[str] = []
        for rid, name, aliases in ws.store.name_rows(with_aliases=True):
            for cand in {str(name), *map(str, orjson.loads(aliases))}:
                keys.append(_norm_name(cand))
                ids.append(str(rid))
        if ids:
            for key, node in zip(keys, _lookup(view, ids).tolist(), strict=True):
                if node >= 0:
                    out.setdefault(key, set()).add(int(node))
    _ALIASES[view] = out
    return out


def _by_name(view: GraphView, needles: list[str]) -> dict[str, set[int]]:
    """Nodes whose canonical name or an alias equals each needle (case-folded, spaces
    collapsed): canonical names from the view, aliases from the record store."""
    out: dict[str, set[int]] = {}
    want = set(needles)
    lowered = _LOWER_NAMES.get(view)
    if lowered is None:
        lowered = _LOWER_NAMES[view] = pc.utf8_lower(view.table("nodes").column("name"))
    names = view.table("nodes").column("name")
    probe = sorted({n.lower() for n in needles} | set(needles))
    hit = pc.indices_nonzero(pc.is_in(lowered, value_set=pa.array(probe, pa.string()))).to_numpy()
    for node, name in zip(hit.tolist(), names.take(pa.array(hit)).to_pylist(), strict=True):
        key = _norm_name(str(name))
        if key in want:
            out.setdefault(key, set()).add(int(node))
    aliases = _alias_map(view)
    for key in needles:
        out.setdefault(key, set()).update(aliases.get(key, ()))
    return out


# -- relations ---------------------------------------------------------------------------------------


@dataclass
class _Graph:
    """The view's upward adjacency plus holdings (holder ← held) as extra edge numbers ≥ m."""

    up: tuple[I64, I64, npt.NDArray[Any]]
    up_hold: tuple[I64, I64, npt.NDArray[Any]]
    edge_ok_group: npt.NDArray[np.bool_]
    m: int
    hold: pa.Table


def _graph(view: GraphView, ctx: _Ctx) -> _Graph:
    hold = view.table("holdings")
    m = view.m
    if hold.num_rows:
        holder = hold.column("holder").to_numpy().astype(np.int64)
        node = hold.column("node").to_numpy().astype(np.int64)
        ok = node >= 0
        rows = np.flatnonzero(ok)
        order = rows[np.argsort(node[rows], kind="stable")]
        ptr = np.zeros(view.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(node[order], minlength=view.n), out=ptr[1:])
        other = np.concatenate([np.asarray(view.src, dtype=np.int64), holder])
        up_hold = (ptr, order.astype(np.int64) + m, other)
        group = np.concatenate([ctx.group_edge, np.zeros(hold.num_rows, dtype=bool)])
    else:
        other = np.asarray(view.src, dtype=np.int64)
        up_hold = (np.zeros(view.n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64), other)
        group = ctx.group_edge
    up = (np.asarray(view.in_ptr, dtype=np.int64), np.asarray(view.in_edges, dtype=np.int64), other)
    return _Graph(up, up_hold, group, m, hold)


def _near(view: GraphView, ctx: _Ctx, issuers: I64, max_depth: int) -> I64:
    """The nodes whose owners the searches of :class:`_Relations` read: the issuers' owners up
    to ``max_depth - 1`` hops, everything under an issuer within ``max_depth`` hops (where a
    restricted entity's climb can land on it), and everything within ``max_depth`` hops under
    the issuers' group parents (where an affiliate's climb can meet the issuer's)."""
    hold = view.table("holdings")
    holder = hold.column("holder").to_numpy().astype(np.int64)
    node = hold.column("node").to_numpy().astype(np.int64)
    ok = (holder >= 0) & (node >= 0)
    pos = (holder[ok], node[ok])
    owners = _reach(view, issuers, "up", max_depth - 1, hold=pos)
    under = _reach(view, issuers, "down", max_depth, hold=pos)
    tops = _reach(view, issuers, "up", max_depth, enter=ctx.group_kind, control=True)
    group = _reach(view, tops, "down", max_depth, expand=ctx.group_kind, control=True)
    return np.unique(np.concatenate([owners, under, group]))


@dataclass
class _Rel:
    node: int
    relation: Relation
    depth: int
    nodes: list[int]
    edges: list[int]
    via: int | None = None


_RELATIONS: tuple[Relation, ...] = ("self", "owner", "subsidiary", "affiliate")


class _Relations:
    """Every (issuer, target) relation within ``max_depth``, the nearest one per pair, as arrays.

    ``kind`` is 1 owner, 2 subsidiary, 3 affiliate; ``i``/``j`` are pair positions in the BFS
    results that produced it (``j`` only for affiliates). Paths are built only for the rows
    that are shown (:meth:`rel`).
    """

    def __init__(self, ctx: _Ctx, g: _Graph, issuers: I64, targets: I64, max_depth: int) -> None:
        n = ctx.n
        is_target = np.zeros(n, dtype=bool)
        is_target[targets] = True
        is_issuer = np.zeros(n, dtype=bool)
        is_issuer[issuers] = True
        # owners: up from the issuers; subsidiaries: up from the targets, landing on an issuer
        rank = canonical_rank(ctx.view)  # ties by canonical id, as on every engine
        self.up = _bfs([g.up, g.up_hold], issuers, n, max_depth, rank=rank)
        self.down = _bfs([g.up, g.up_hold], targets, n, max_depth, rank=rank)
        # affiliates: a common company-like group parent
        ok, enter = g.edge_ok_group, ctx.group_kind
        self.gx = _bfs([g.up], issuers, n, max_depth, edge_ok=ok, enter_ok=enter, rank=rank)
        self.gt = _bfs([g.up], targets, n, max_depth, edge_ok=ok, enter_ok=enter, rank=rank)
        po = np.flatnonzero((self.up.depth > 0) & is_target[self.up.node])
        ps = np.flatnonzero((self.down.depth > 0) & is_issuer[self.down.node])
        ia, ib = _join(self.gx, self.gt, max_total=max_depth, rank=rank)
        ax, at, meet = issuers[self.gx.label[ia]], targets[self.gt.label[ib]], self.gx.node[ia]
        keep = (ax != at) & (meet != ax) & (meet != at)
        ia, ib, ax, at = ia[keep], ib[keep], ax[keep], at[keep]
        x = np.concatenate([issuers[self.up.label[po]], self.down.node[ps], ax])
        t = np.concatenate([self.up.node[po], targets[self.down.label[ps]], at])
        depth = np.concatenate(
            [self.up.depth[po], self.down.depth[ps], self.gx.depth[ia] + self.gt.depth[ib]]
        )
        kind = np.concatenate([np.full(len(po), 1), np.full(len(ps), 2), np.full(len(ia), 3)]).astype(
            np.int64
        )
        i = np.concatenate([po, ps, ia])
        j = np.concatenate([np.full(len(po) + len(ps), -1, dtype=np.int64), ib])
        # the nearest relation per (issuer, target) ...
        order = np.lexsort((kind, depth, t, x))
        first = np.ones(len(order), dtype=bool)
        first[1:] = (x[order][1:] != x[order][:-1]) | (t[order][1:] != t[order][:-1])
        sel = order[first]
        # ... sorted by issuer, depth, kind and target
        sel = sel[np.lexsort((t[sel], kind[sel], depth[sel], x[sel]))]
        self.x, self.t, self.depth, self.kind, self.i, self.j = (
            x[sel],
            t[sel],
            depth[sel],
            kind[sel],
            i[sel],
            j[sel],
        )
        self._cache: dict[int, _Rel] = {}

    def select(self, codes: npt.NDArray[np.int8], want: Sequence[int], limit: int) -> tuple[I64, I64]:
        """Positions of the nearest ``limit`` relations per issuer whose target has a status in
        ``want``, and per position the issuer's total count of such relations."""
        pos = np.flatnonzero(np.isin(codes[self.t], want))
        xs = self.x[pos]
        start = np.searchsorted(xs, xs, side="left")
        total = np.searchsorted(xs, xs, side="right") - start
        rank = np.arange(len(xs)) - start
        keep = rank < limit
        return pos[keep], total[keep]

    def rel(self, k: int) -> _Rel:
        hit = self._cache.get(k)
        if hit is not None:
            return hit
        kind, i, j, t = int(self.kind[k]), int(self.i[k]), int(self.j[k]), int(self.t[k])
        if kind == 1:
            nodes, edges = self.up.chain(i)
            r = _Rel(t, "owner", len(edges), nodes, edges)
        elif kind == 2:
            nodes, edges = self.down.chain(i)
            r = _Rel(t, "subsidiary", len(edges), nodes[::-1], edges[::-1])
        else:
            xn, xe = self.gx.chain(i)
            tn, te = self.gt.chain(j)
            r = _Rel(t, "affiliate", len(xe) + len(te), xn + tn[::-1][1:], xe + te[::-1], via=xn[-1])
        self._cache[k] = r
        return r


# -- sentences ---------------------------------------------------------------------------------------


class _Say:
    def __init__(self, ctx: _Ctx, g: _Graph) -> None:
        self.ctx, self.g = ctx, g

    def item(self, e: int) -> LoopholeEdge:
        if e >= self.g.m:
            return _holding_item(self.ctx, self.g.hold, e - self.g.m)
        return self.ctx.edge_item(e)

    def hop(self, e: int, frm: int) -> str:
        ctx = self.ctx
        if e < self.g.m:
            return ctx.hop_text(e, frm)
        it = self.item(e)
        holder = int(self.g.hold.column("holder")[e - self.g.m].as_py())
        node = int(self.g.hold.column("node")[e - self.g.m].as_py())
        w = f" (weight {it.weight:g})" if it.weight is not None else ""
        if holder == frm:
            return f"holds a position{w} in {ctx.name(node)}"
        return f"is held{w} by {ctx.name(holder)}"

    def chain(self, nodes: Sequence[int], edges: Sequence[int]) -> str:
        parts = [self.hop(e, nodes[k]) for k, e in enumerate(edges)]
        return f"{self.ctx.name(nodes[0])} " + ", which ".join(parts)

    def line(self, x: int) -> str:
        mic, ticker = self.ctx.listing(x)
        return f" ({mic}:{ticker})" if mic and ticker else ""


def _self_text(say: _Say, st: RegimeStatus, x: int, rels: Sequence[_Rel], truncated: int) -> str:
    ctx = say.ctx
    reg = st.regime.id
    code = int(st.code[x])
    row = st.rows.get(x)
    base = (
        row.explanation
        if row is not None
        else (
            f"{ctx.name(x)}{say.line(x)} is neither designated nor restricted under {reg} "
            f"as of {ctx.view.as_of.isoformat()}."
        )
    )
    if reg == "ofac-ns-cmic":
        if code == _DES:
            eff = row.effective.isoformat() if row is not None and row.effective else "the effective date"
            base += (
                f" This line is in scope: US persons may not buy {ctx.name(x)}'s publicly traded securities, "
                "or instruments designed to give exposure to them such as ADRs, ETFs and index or mutual "
                f"funds (OFAC FAQs 859, 860 and 861), from {eff}."
            )
        elif rels:
            named = ", ".join(ctx.name(r.node) for r in rels[:3])
            base += (
                f" Related NS-CMIC entities ({named}) do not bring this line into scope: NS-CMIC covers only "
                "the named issuer's securities and instruments designed to give exposure to them "
                "(OFAC FAQs 857, 860), so a parent's or affiliate's securities are NOT covered."
            )
    elif rels:
        k = len(rels) + truncated
        base += f" {k} designated or restricted {'entity is' if k == 1 else 'entities are'} related to it."
    if truncated:
        base += f" Only the nearest {len(rels)} are listed ({truncated} more)."
    return base


def _rel_text(say: _Say, st: RegimeStatus, x: int, r: _Rel) -> str:
    ctx = say.ctx
    reg = st.regime.id
    rs = st.name(r.node).replace("_", " ")
    xs = st.name(x).replace("_", " ")
    chain = say.chain(r.nodes, r.edges)
    head = f"{chain}; {ctx.name(r.node)} is {rs} under {reg}"
    if reg == "ofac-ns-cmic":
        if int(ctx.kind_code[x]) == _FUND and r.relation == "subsidiary" and r.depth == 1:
            return (
                head
                + "; a publicly traded fund designed to give exposure to the named issuer's securities is "
                "itself in scope for US persons (OFAC FAQ 860)."
            )
        if int(st.code[x]) == _DES:
            return head + f"; {ctx.name(x)} is itself on the list, so this line is in scope on its own."
        return (
            head + f"; NS-CMIC does not flow to parents, subsidiaries or affiliates (OFAC FAQ 857), so "
            f"{ctx.name(x)}'s securities are NOT in scope: the exposure is economic only."
        )
    if reg == "info":
        return head + "; a named-only list, shown as context with no restriction attached."
    if r.relation == "owner":
        return (
            head + f"; {ctx.name(x)} itself is {xs} under {reg} (restrictions pass down only through "
            f"{st.params.threshold_text or 'the'} ownership, never by mere affiliation)."
        )
    if r.relation == "subsidiary":
        return (
            head + f"; {ctx.name(x)} holds an interest in it, and {ctx.name(x)} itself is {xs} under {reg}: "
            "restrictions pass from owners down, never up to the holder."
        )
    via = ctx.name(r.via) if r.via is not None else "a common parent"
    return (
        head
        + f"; it is an affiliate under {via}, and restrictions do not pass sideways ({ctx.name(x)} is {xs})."
    )


# -- the query -------------------------------------------------------------------------------------


def exposure(
    view: GraphView,
    holdings: str | Path | Iterable[Mapping[str, Any]],
    *,
    regimes: Iterable[str] | str | None = None,
    max_depth: int = 4,
    max_related: int = 25,
) -> Rows[ExposureRow]:
    """Screen a portfolio: each line's issuer status and its related designated or restricted
    entities, per regime, as of the view's date.

    Parameters
    ----------
    view
        The graph as of a date.
    holdings
        A CSV path or an iterable of mappings with keys among ``isin``, ``ticker`` + ``mic``,
        ``lei``, ``id`` (or ``entity_id``), ``name`` and optional ``weight``.
    regimes
        Regime ids (default: every regime, ``info`` included as context).
    max_depth
        Hops searched for owners, subsidiaries and affiliates.
    max_related
        At most this many related entities per line and regime (the nearest; the ``self``
        row counts the rest).

    Returns
    -------
    Rows[ExposureRow]
        By line, then regime (in SPEC order), then relation depth and id.

    Raises
    ------
    InputError
        For a bad weight, regime or parameter; :class:`~ownergraph.errors.FormatError` for an
        unreadable CSV.

    Examples
    --------
    >>> import tempfile, pathlib, ownergraph, ownergraph.data
    >>> bundle = pathlib.Path(ownergraph.data.__file__).parent / "sensetime"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ws = ownergraph.open(tmp)
    ...     _ = ws.load([bundle])
    ...     rows = exposure(ws.graph(as_of="2022-01-07"), [{"ticker": "0020", "mic": "XHKG"}],
    ...                     regimes=["ofac-ns-cmic"])
    ...     ws.close()
    >>> [(r.entity_id, r.status, r.relation, r.related_id) for r in rows]
    [('sensetime-group-inc', 'not_restricted', 'self', 'sensetime-group-inc'), \
('sensetime-group-inc', 'not_restricted', 'subsidiary', 'sensetime-group-ltd')]
    """
    if regimes is None:
        regs = list(REGIME_IDS)
    else:
        wanted = [regimes] if isinstance(regimes, str) else list(regimes)
        regs = []
        for want in wanted:
            key = str(want).strip().lower()
            if key not in REGIME_IDS:
                raise InputError(
                    "unknown regime", field="regime", value=want, fix="use one of " + ", ".join(REGIME_IDS)
                )
            if key not in regs:
                regs.append(key)
        regs.sort(key=REGIME_IDS.index)
    if max_depth < 1:
        raise InputError("must be at least 1", field="max_depth", value=max_depth)
    with paused_gc():
        lines = _parse_lines(read_holdings(holdings))
        ctx = _Ctx(view)
        _resolve(view, ctx, lines)
        statuses = {r: regime_status(view, r) for r in regs}
        issuers = np.unique(np.array([ln.node for ln in lines if ln.node >= 0], dtype=np.int64))
        flagged = np.zeros(view.n, dtype=bool)
        for st in statuses.values():
            flagged |= np.isin(st.code, [_DES, _RES])
        targets = np.flatnonzero(flagged).astype(np.int64)
        ctx = ctx.on(_region(view, lambda: _near(view, ctx, issuers, max_depth), "in"))
        g = _graph(ctx.view, ctx)
        rels = _Relations(ctx, g, issuers, targets, max_depth)
        say = _Say(ctx, g)
        ctx.prefetch(issuers.tolist())
        # per regime: the related rows shown for each issuer, and how many there are in all
        shown_by: dict[str, dict[int, list[int]]] = {}
        total_by: dict[str, dict[int, int]] = {}
        for reg, st in statuses.items():
            pos, total = rels.select(st.code, [_DES] if reg == "ofac-ns-cmic" else [_DES, _RES], max_related)
            per: dict[int, list[int]] = {}
            tot: dict[int, int] = {}
            for k, x, c in zip(pos.tolist(), rels.x[pos].tolist(), total.tolist(), strict=True):
                per.setdefault(x, []).append(k)
                tot[x] = c
            shown_by[reg], total_by[reg] = per, tot
        needed = sorted({k for per in shown_by.values() for ks in per.values() for k in ks})
        for k in needed:
            rels.rel(k)
        ctx.prefetch(n for k in needed for n in rels.rel(k).nodes)
        ctx.prefetch_edges(e for k in needed for e in rels.rel(k).edges if e < g.m)
        for st in statuses.values():  # the issuers' own rows, in one batch per regime
            st.rows.prefetch(issuers.tolist())
        out: list[ExposureRow] = []
        as_of = view.as_of
        for ln in lines:
            if ln.node < 0:
                out.append(
                    ExposureRow(
                        line=ln.line,
                        input=ln.input,
                        entity_id=None,
                        name=None,
                        reason=ln.reason,
                        path=[],
                        weight=ln.weight,
                        edges=[],
                        explanation=f"Line {ln.line} ({ln.input or 'empty'}) is not resolved: {ln.reason}.",
                        as_of=as_of,
                    )
                )
                continue
            x = ln.node
            xid, xname = ctx.id(x), ctx.name(x)
            for reg, st in statuses.items():
                shown = [rels.rel(k) for k in shown_by[reg].get(x, [])]
                shown.sort(key=lambda r: (r.depth, _REL_RANK[r.relation], ctx.id(r.node)))
                more = total_by[reg].get(x, 0) - len(shown)
                status = STATUS_NAMES[int(st.code[x])]
                common: dict[str, Any] = {
                    "line": ln.line,
                    "input": ln.input,
                    "entity_id": xid,
                    "name": xname,
                    "regime": reg,
                    "status": status,
                    "weight": ln.weight,
                    "as_of": as_of,
                }
                out.append(
                    ExposureRow(
                        **common,
                        path=[xid],
                        related_id=xid,
                        related_name=xname,
                        related_status=status,
                        relation="self",
                        depth=0,
                        edges=[],
                        explanation=_tidy(_self_text(say, st, x, shown, more)),
                    )
                )
                for r in shown:
                    out.append(
                        ExposureRow(
                            **common,
                            path=[ctx.id(n) for n in r.nodes],
                            related_id=ctx.id(r.node),
                            related_name=ctx.name(r.node),
                            related_status=STATUS_NAMES[int(st.code[r.node])],
                            relation=r.relation,
                            depth=r.depth,
                            edges=[say.item(e) for e in r.edges],
                            explanation=_tidy(_rel_text(say, st, x, r)),
                        )
                    )
        return Rows(out)
