"""One self-contained, offline HTML picture of a neighbourhood or a result (SPEC §8).

:func:`render` takes a :class:`~ownergraph.graph.view.GraphView` (with a focus id, or whole),
an entity id, or result rows — anything with a ``path`` (loophole, path and exposure rows) or a
``basis`` (restricted rows) — and writes one HTML file that opens with no network: pyvis 0.3.2
renders its template with ``cdn_resources="in_line"`` (vis-network inlined) and the two
Bootstrap CDN tags the template always adds are stripped (``docs/neo4j.md`` §4.1).

Escaping. Every string from data reaches the page in one of two ways only:

* through the vis DataSet JSON (labels and ``title`` tooltips), which Jinja's ``tojson`` makes
  safe inside ``<script>`` (``<``, ``>``, ``&`` and ``'`` become ``\\u00xx``); vis-network 9
  draws labels on the canvas (``font.multi`` stays off) and sets string tooltips with
  ``innerText``, so both show as text;
* through the header this module writes itself (title, as-of line, explanations, legend), every
  piece of it passed through :func:`html.escape`.

pyvis's own heading, its node-select and filter menus (which insert ids unescaped) are never
used, and the template is rendered directly with ``tooltip_link`` off: pyvis switches to a popup
that sets ``innerHTML`` from the tooltip whenever a node's title contains the substring
``href``, which a company name (or a source) can.

Layout. Up to :data:`HIERARCHICAL_MAX` nodes, vis-network's hierarchical layout, top-down, with
levels computed here so that owners sit above what they own (cycles share a level). Beyond that,
positions are precomputed in Python by the same ownership layers (rows wrapped, ordered by the
position of each node's owners) and physics is off, so 2,000–5,000 nodes draw at once.
"""

from __future__ import annotations

import datetime as dt
import decimal
import html
import itertools
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ownergraph.errors import InputError, OwnergraphError
from ownergraph.graph.model import REGIME_IDS
from ownergraph.graph.view import GraphView

if TYPE_CHECKING:
    from IPython.display import HTML

__all__ = [
    "EDGE_STYLES",
    "HIERARCHICAL_MAX",
    "HIGHLIGHT_COLOR",
    "HIGHLIGHT_WIDTH",
    "KIND_SHAPES",
    "REGIME_COLORS",
    "STATUS_COLORS",
    "Neighbourhood",
    "neighbourhood",
    "render",
    "render_html",
]

HIERARCHICAL_MAX = 150
"""Largest picture drawn with vis-network's hierarchical layout; above, positions are precomputed."""

HIGHLIGHT_COLOR = "#e31a1c"
"""Colour of the highlighted path's edges and of the border of its nodes."""

HIGHLIGHT_WIDTH = 5
"""Width of the highlighted path's edges (others are 1.5)."""

REGIME_COLORS: dict[str, str] = {
    "ofac-sdn": "#b2182b",
    "ofac-ssi": "#d6604d",
    "ofac-ns-cmic": "#e08214",
    "bis-entity-list": "#762a83",
    "eu": "#2166ac",
    "uk": "#35978f",
    "info": "#a6761d",
}
"""Fill of a node designated under a regime (the first of its regimes in ``REGIME_IDS`` order)."""

STATUS_COLORS: dict[str, str] = {
    "restricted": "#fb8072",
    "possibly_restricted": "#fdd0a2",
    "listed": "#a1d99b",
}
"""Fill of derived statuses and of listed entities (designation wins, then restricted, ...)."""

LISTED_BORDER = "#238b45"
KIND_COLORS: dict[str, str] = {
    "company": "#c6dbef",
    "person": "#fee391",
    "fund": "#dadaeb",
    "government": "#d9d9d9",
    "organization": "#c7e9c0",
    "vessel": "#bdbdbd",
    "aircraft": "#bdbdbd",
    "unknown": "#f0f0f0",
}
KIND_SHAPES: dict[str, str] = {
    "company": "square",
    "person": "dot",
    "fund": "diamond",
    "government": "star",
    "organization": "triangle",
    "vessel": "triangleDown",
    "aircraft": "hexagon",
    "unknown": "dot",
}
"""vis-network shape per entity kind (labels below the shape)."""

_SHAPE_GLYPHS = {
    "square": "■",
    "dot": "●",
    "diamond": "◆",
    "star": "★",
    "triangle": "▲",
    "triangleDown": "▼",
    "hexagon": "⬢",
    "box": "▭",
}

EDGE_STYLES: dict[str, tuple[str, bool | list[int]]] = {
    "shares": ("#6b6b6b", False),
    "votes": ("#4292c6", [8, 4]),
    "control": ("#d94801", [2, 5]),
    "board": ("#756bb1", [10, 4, 2, 4]),
    "consolidation": ("#8c6d31", [4, 4]),
}
"""Colour and dash pattern per ownership/control edge kind."""

_SUMMARY_COLOR = "#9e9e9e"
_STATUS_WORDS = {
    "designated": "designated",
    "restricted": "restricted",
    "possibly_restricted": "possibly restricted",
}
_MAX_LABEL = 40
_BOOTSTRAP_LINK = re.compile(r'<link\s+href="https://cdn\.jsdelivr\.net/npm/bootstrap[^>]*/>', re.S)
_BOOTSTRAP_SCRIPT = re.compile(
    r'<script\s+src="https://cdn\.jsdelivr\.net/npm/bootstrap[^>]*>\s*</script>', re.S
)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>", re.S)
_EXTERNAL = re.compile(
    r"<(?:script|link|img|iframe|embed|object|source|audio|video)\b[^>]*?\b(?:src|href|data)\s*=\s*"
    r"[\"']?\s*(?:https?:)?//",
    re.I,
)

RenderInput = Any
"""What :func:`render` accepts: a GraphView, an entity id, a row, or a list of rows."""


# -- neighbourhoods ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Neighbourhood:
    """The nodes of a bounded neighbourhood and what was left out.

    Attributes
    ----------
    nodes
        Node numbers drawn: the seeds first, then breadth-first order.
    distance
        Hops from the nearest seed, per entry of ``nodes``.
    more
        ``(frontier node, "owners" | "holdings", count)`` for each frontier node whose further
        neighbours did not fit in ``max_nodes``; each becomes one "+N more" node.
    """

    nodes: tuple[int, ...]
    distance: tuple[int, ...]
    more: tuple[tuple[int, str, int], ...] = ()


def neighbourhood(
    view: GraphView,
    ids: str | Sequence[str],
    *,
    depth: int = 1,
    max_nodes: int | None = 300,
) -> Neighbourhood:
    """Breadth-first neighbourhood of one or more entities, following edges both ways.

    Parameters
    ----------
    view
        The graph as of a date.
    ids
        One id (any id or ``scheme:value`` the entity answers to) or several; all are kept even
        when they alone exceed ``max_nodes``.
    depth
        Hops from the seeds (owners and holdings alike); ``0`` keeps the seeds only.
    max_nodes
        At most this many entities (seeds excepted); ``None`` for no limit. When a frontier
        node's new neighbours do not fit, the ones that fit are kept (designated and listed
        entities first) and the rest are counted in one summary per frontier node and direction.

    Returns
    -------
    Neighbourhood
        The node numbers, their distances and the collapsed counts.

    Raises
    ------
    NotFoundError
        When an id is not in the view.
    """
    if depth < 0:
        raise InputError("depth must be 0 or more", field="depth", value=depth)
    if max_nodes is not None and max_nodes < 1:
        raise InputError("max_nodes must be at least 1", field="max_nodes", value=max_nodes)
    keys = [ids] if isinstance(ids, str) else list(ids)
    seen = np.zeros(view.n, dtype=bool)
    order: list[int] = []
    dist: list[int] = []
    for k in keys:
        i = view.index(k)
        if not seen[i]:
            seen[i] = True
            order.append(i)
            dist.append(0)
    more: list[tuple[int, str, int]] = []
    interesting: npt.NDArray[np.bool_] | None = None
    frontier = list(order)
    for d in range(1, depth + 1):
        nxt: list[int] = []
        for u in frontier:
            for direction, nbrs in (
                ("owners", view.src[view.in_of(u)]),
                ("holdings", view.dst[view.out_of(u)]),
            ):
                new = np.unique(nbrs)
                new = new[~seen[new]]
                if not len(new):
                    continue
                room = len(new) if max_nodes is None else max(0, max_nodes - len(order))
                if room < len(new):
                    if interesting is None:
                        interesting = _interesting(view)
                    # designated/listed first, then node order: stable and deterministic
                    new = new[np.argsort(~interesting[new], kind="stable")]
                    more.append((u, direction, int(len(new) - room)))
                    new = new[:room]
                seen[new] = True
                taken = [int(v) for v in new.tolist()]
                order.extend(taken)
                dist.extend([d] * len(taken))
                nxt.extend(taken)
        frontier = nxt
        if not frontier:
            break
    return Neighbourhood(nodes=tuple(order), distance=tuple(dist), more=tuple(more))


def _interesting(view: GraphView) -> npt.NDArray[np.bool_]:
    mask = np.zeros(view.n, dtype=bool)
    mask[view.listed_nodes()] = True
    for regime in REGIME_IDS:
        mask[view.designated(regime)] = True
    return mask


# -- the picture model -------------------------------------------------------------------------
@dataclass
class _Node:
    key: str
    name: str
    kind: str = "unknown"
    jurisdiction: str | None = None
    designations: list[str] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)
    statuses: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    on_path: bool = False
    focus: bool = False
    more: int = 0
    more_dir: str = ""
    more_of: str = ""


@dataclass
class _Edge:
    src: str
    dst: str
    kind: str
    share: str = "unknown"
    source: str | None = None
    start: str | None = None
    end: str | None = None
    highlight: bool = False
    summary: bool = False


@dataclass
class _Picture:
    nodes: dict[str, _Node] = field(default_factory=dict)
    edges: list[_Edge] = field(default_factory=list)
    title: str = ""
    as_of: str | None = None
    explanations: list[str] = field(default_factory=list)
    collapsed: int = 0


def _field(row: object, name: str) -> Any:
    if isinstance(row, Mapping):
        return row.get(name)
    return getattr(row, name, None)


def _text(v: object) -> str:
    """Any value as plain text: numpy scalars, dates and decimals included."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return str(v)


def _plain(v: object) -> Any:
    """A JSON-ready copy: numpy ints/floats/bools, dates and decimals become plain Python values."""
    t = type(v)
    if t is str or t is int or t is bool or v is None:
        return v
    if t is dict or isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}  # type: ignore[attr-defined]
    if t is list or t is tuple:
        return [_plain(x) for x in v]  # type: ignore[attr-defined]
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return str(v)


def _share_label(kind: str, share: str) -> str:
    pct = share if share == "unknown" else f"{share}%"
    if kind == "shares":
        return pct
    return kind if share == "unknown" else f"{kind} {pct}"


def _ids(v: object) -> list[str]:
    if v is None or isinstance(v, (str, bytes)):
        return []
    if isinstance(v, Iterable):
        return [_text(x) for x in v if x is not None]
    return []


def _normalise_paths(highlight: object) -> list[list[str]]:
    if highlight is None:
        return []
    if isinstance(highlight, str):
        return [[highlight]]
    items = list(highlight) if isinstance(highlight, Iterable) else []
    if items and all(isinstance(x, str) for x in items):
        return [[_text(x) for x in items]]
    return [p for p in (_ids(x) for x in items) if p]


def _as_rows(obj: object) -> list[object]:
    if isinstance(obj, (str, bytes, GraphView)) or obj is None:
        return []
    if isinstance(obj, Mapping) or hasattr(obj, "model_dump"):
        return [obj]
    if isinstance(obj, Iterable):
        return list(obj)
    raise InputError(
        f"cannot draw a {type(obj).__name__}",
        fix="pass a GraphView (with focus=ID), an entity id with view=, or result rows",
    )


def _row_edges(row: object) -> list[tuple[str, str, str | None, str, str | None]]:
    """``(owner, owned, kind, share, source)`` for each edge a row carries (paths and basis)."""
    out: list[tuple[str, str, str | None, str, str | None]] = []
    for e in _field(row, "edges") or []:
        a, b = _field(e, "owner_id"), _field(e, "owned_id")
        if a is None or b is None:
            continue
        kind = _field(e, "kind")
        share = _field(e, "share")
        source = _field(e, "source")
        out.append(
            (
                _text(a),
                _text(b),
                None if kind is None else _text(kind),
                "unknown" if share is None else _text(share),
                None if source is None else _text(source),
            )
        )
    return out


def _basis_edges(row: object) -> list[tuple[str, str, str | None, str, str | None]]:
    subject = _text(_field(row, "id"))
    out: list[tuple[str, str, str | None, str, str | None]] = []
    for b in _field(row, "basis") or []:
        owner = _field(b, "owner_id")
        if owner is None:
            continue
        owned = _field(b, "owned_id")
        kind, share, source = _field(b, "kind"), _field(b, "share"), _field(b, "source")
        out.append(
            (
                _text(owner),
                subject if owned is None else _text(owned),
                None if kind is None else _text(kind),
                "unknown" if share is None else _text(share),
                None if source is None else _text(source),
            )
        )
    return out


@dataclass
class _Request:
    """What the rows ask for: seeds, highlighted paths and edges, statuses, explanations."""

    seeds: list[str] = field(default_factory=list)
    paths: list[list[str]] = field(default_factory=list)
    edges: list[tuple[str, str, str | None, str, str | None]] = field(default_factory=list)
    statuses: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    explanations: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    as_of: str | None = None


def _status_of(row: object, req: _Request) -> None:
    rid, status, regime = _field(row, "id"), _field(row, "status"), _field(row, "regime")
    if rid is None or status is None:
        return
    entry = (_text(status).replace("-", "_"), "" if regime is None else _text(regime))
    lst = req.statuses.setdefault(_text(rid), [])
    if entry not in lst:
        lst.append(entry)


def _read_rows(rows: Sequence[object], req: _Request) -> None:
    for row in rows:
        as_of = _field(row, "as_of")
        if as_of is not None and req.as_of is None:
            req.as_of = _text(as_of)
        explanation = _field(row, "explanation")
        path = _ids(_field(row, "path"))
        if _field(row, "basis") is not None and _field(row, "status") is not None:  # restricted
            subject = _text(_field(row, "id"))
            req.seeds.append(subject)
            _status_of(row, req)
            basis = _basis_edges(row)
            req.edges.extend(basis)
            for owner, owned, *_ in basis:
                req.seeds.extend([owner, owned])
            status = _STATUS_WORDS.get(_text(_field(row, "status")).replace("-", "_"), "")
            regime = _text(_field(row, "regime") or "")
            name = _field(row, "name") or subject
            req.titles.append(f"{name}: {status or _text(_field(row, 'status'))} under {regime}")
            if explanation:
                req.notes.setdefault(subject, []).append(_text(explanation))
        elif path:
            req.seeds.extend(path)
            req.paths.append(path)
            req.edges.extend(_row_edges(row))
            pattern, regime = _field(row, "pattern"), _field(row, "regime")
            fid = _field(row, "finding_id")
            if pattern is not None:
                head = f"Finding {fid}: " if fid else ""
                req.titles.append(f"{head}{_text(pattern)} under {_text(regime or '')}")
            elif _field(row, "input") is not None:
                req.titles.append(f"Exposure of {_text(_field(row, 'input'))}")
            else:
                req.titles.append(f"Path {path[0]} → {path[-1]}")
        else:
            key = _field(row, "entity_id") or _field(row, "id") or _field(row, "owned_id")
            if key is None:
                raise InputError(
                    "this row has nothing to draw (no path, basis, id or entity_id)",
                    fix="pass loophole, path, restricted or exposure rows, or an entity id",
                )
            req.seeds.append(_text(key))
            if _field(row, "owner_id") is not None:
                req.seeds.append(_text(_field(row, "owner_id")))
            req.titles.append(f"Neighbourhood of {_text(key)}")
        if explanation:
            req.explanations.append(_text(explanation))


def _dedupe(xs: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(xs))


def _collect(
    obj: RenderInput,
    view: GraphView | None,
    focus: str | Sequence[str] | None,
    highlight: object,
    statuses: Iterable[object] | None,
    title: str | None,
    depth: int,
    max_nodes: int | None,
) -> _Picture:
    if isinstance(obj, GraphView):
        if view is not None and view is not obj:
            raise InputError("pass the view once: as the first argument or as view=, not both")
        view = obj
    req = _Request()
    if isinstance(obj, str):
        req.seeds.append(obj)
    rows = _as_rows(obj)
    _read_rows(rows, req)
    if focus is not None:
        req.seeds.extend([focus] if isinstance(focus, str) else list(focus))
    paths = _normalise_paths(highlight)
    req.paths.extend(paths)
    for p in paths:
        req.seeds.extend(p)
    for srow in statuses or []:
        _status_of(srow, req)
    if view is None and isinstance(obj, str):
        raise InputError("drawing an entity id needs the graph", fix="pass view=ws.graph(as_of=...)")
    pic = _Picture()
    if view is not None:
        _from_view(pic, view, req, depth=depth, max_nodes=max_nodes)
        pic.as_of = view.as_of.isoformat()
    else:
        _from_rows(pic, req)
        pic.as_of = req.as_of
    _mark(pic, req)
    pic.explanations = _dedupe(req.explanations) or _path_texts(pic, req.paths)
    if title is not None:
        pic.title = title
    elif req.titles:
        uniq = _dedupe(req.titles)
        pic.title = uniq[0] if len(uniq) == 1 else f"{len(rows)} results: " + "; ".join(uniq[:3])
        if len(uniq) > 3:
            pic.title += "; …"
    elif req.seeds:
        names = [pic.nodes[s].name if s in pic.nodes else s for s in _dedupe(req.seeds)[:3]]
        pic.title = "Neighbourhood of " + ", ".join(names)
    else:
        pic.title = "Ownership graph"
    return pic


def _from_view(pic: _Picture, view: GraphView, req: _Request, *, depth: int, max_nodes: int | None) -> None:
    seeds = _dedupe(req.seeds)
    if seeds:
        hood = neighbourhood(view, seeds, depth=depth, max_nodes=max_nodes)
        nodes = list(hood.nodes)
        more = hood.more
        # names in titles: the rows speak in canonical ids, the view may know them by others
        canon = {s: view.id(view.index(s)) for s in seeds}
        req.seeds = [canon[s] for s in seeds]
        req.paths = [[canon.get(x, x) for x in p] for p in req.paths]
        req.edges = [(canon.get(a, a), canon.get(b, b), k, s, src) for a, b, k, s, src in req.edges]
        req.statuses = {canon.get(k, k): v for k, v in req.statuses.items()}
        req.notes = {canon.get(k, k): v for k, v in req.notes.items()}
    else:
        if max_nodes is not None and view.n > max_nodes:
            raise InputError(
                f"the view has {view.n} entities, more than max_nodes={max_nodes}",
                fix="pass focus=ID (and depth=), or max_nodes=None to draw everything",
            )
        nodes = list(range(view.n))
        more = ()
    g = view.to_networkx(nodes)
    ws = view.workspace
    sources: dict[str, list[str]] = {}
    if ws is not None and len(nodes) <= 20_000:
        for r in ws.store.entity_rows(list(g.nodes)):
            for s in json.loads(r.get("sources") or "[]"):
                lst = sources.setdefault(str(r["id"]), [])
                if s not in lst:
                    lst.append(str(s))
    index_of = {view.id(i): i for i in nodes}
    for key, attrs in g.nodes(data=True):
        node = _Node(
            key=str(key),
            name=_text(attrs.get("name") or key),
            kind=_text(attrs.get("kind") or "unknown"),
            jurisdiction=None if attrs.get("jurisdiction") is None else _text(attrs["jurisdiction"]),
            designations=[_text(x) for x in attrs.get("designations") or []],
            listings=[_text(x) for x in attrs.get("listings") or []],
            sources=sources.get(str(key), []),
        )
        i = index_of[node.key]
        for regime in node.designations:
            node.statuses.append(("designated", regime))
        if node.designations:
            for d in view.designation_rows(i):
                bits = [d.get("list") or d.get("regime"), d.get("program"), d.get("reference")]
                since = d.get("listed") or d.get("effective")
                line = f"designated ({d.get('regime')}): " + " · ".join(_text(b) for b in bits if b)
                if since:
                    line += f", since {_text(since)}"
                if d.get("source"):
                    line += f" — source: {_text(d['source'])}"
                node.notes.append(line)
        if node.listings:
            for li in view.listing_rows(i):
                line = f"listed: {_text(li.get('mic'))}:{_text(li.get('ticker') or li.get('isin') or '')}"
                if li.get("listed"):
                    line += f" since {_text(li['listed'])}"
                if li.get("source"):
                    line += f" — source: {_text(li['source'])}"
                node.notes.append(line)
        pic.nodes[node.key] = node
    for a, b, attrs in g.edges(data=True):
        pic.edges.append(
            _Edge(
                src=str(a),
                dst=str(b),
                kind=_text(attrs.get("kind") or "shares"),
                share=_text(attrs.get("share") or "unknown"),
                source=None if attrs.get("source") is None else _text(attrs["source"]),
                start=None if attrs.get("start") is None else _text(attrs["start"]),
                end=None if attrs.get("end") is None else _text(attrs["end"]),
            )
        )
    for u, direction, count in more:
        uid = view.id(u)
        key = f"\x00more:{uid}:{direction}"
        pic.nodes[key] = _Node(
            key=key,
            name=f"+{count} more {direction}",
            kind="summary",
            more=count,
            more_dir=direction,
            more_of=uid,
        )
        pic.collapsed += count
        a, b = (key, uid) if direction == "owners" else (uid, key)
        pic.edges.append(_Edge(src=a, dst=b, kind="summary", share="", summary=True))


def _from_rows(pic: _Picture, req: _Request) -> None:
    """Without a view: only what the rows themselves carry (ids, their edges and shares)."""
    for key in _dedupe([*req.seeds, *(x for e in req.edges for x in e[:2])]):
        pic.nodes[key] = _Node(key=key, name=key)
    seen: set[tuple[str, str, str]] = set()
    for a, b, kind, share, source in req.edges:
        k = kind or "shares"
        if (a, b, k) in seen:
            continue
        seen.add((a, b, k))
        pic.edges.append(_Edge(src=a, dst=b, kind=k, share=share, source=source))


def _mark(pic: _Picture, req: _Request) -> None:
    """Apply statuses and notes from rows, and highlight the requested paths and edges."""
    for key in req.seeds:
        if key in pic.nodes:
            pic.nodes[key].focus = True
    for key, sts in req.statuses.items():
        node = pic.nodes.get(key)
        if node is None:
            continue
        for st in sts:
            if st not in node.statuses:
                node.statuses.append(st)
    for key, notes in req.notes.items():
        if key in pic.nodes:
            pic.nodes[key].notes.extend(notes)
    wanted: set[tuple[str, str, str | None]] = set()
    specific: set[tuple[str, str]] = set()
    for a, b, kind, *_ in req.edges:
        wanted.add((a, b, kind))
        specific.add((a, b))
    for p in req.paths:
        for x in p:
            if x in pic.nodes:
                pic.nodes[x].on_path = True
        for a, b in itertools.pairwise(p):
            for x, y in ((a, b), (b, a)):
                if (x, y) not in specific:
                    wanted.add((x, y, None))
    for e in pic.edges:
        if (e.src, e.dst, e.kind) in wanted or (e.src, e.dst, None) in wanted:
            e.highlight = True
            for x in (e.src, e.dst):
                pic.nodes[x].on_path = True


def _path_texts(pic: _Picture, paths: Sequence[Sequence[str]]) -> list[str]:
    out = []
    for n, p in enumerate(paths, 1):
        names = [pic.nodes[x].name if x in pic.nodes else x for x in p]
        out.append(f"Path {n} ({len(p) - 1} hops): " + " — ".join(names))
    return out


# -- vis data ------------------------------------------------------------------------------------
def _fill(node: _Node) -> tuple[str, str]:
    """Fill colour and legend entry of a node."""
    regimes = [r for s, r in node.statuses if s == "designated"]
    if regimes:
        regime = min(regimes, key=lambda r: REGIME_IDS.index(r) if r in REGIME_IDS else len(REGIME_IDS))
        return REGIME_COLORS.get(regime, "#67001f"), f"designated: {regime}"
    st = {s for s, _ in node.statuses}
    for s in ("restricted", "possibly_restricted"):
        if s in st:
            return STATUS_COLORS[s], _STATUS_WORDS[s]
    if node.listings:
        return STATUS_COLORS["listed"], "listed"
    return KIND_COLORS.get(node.kind, KIND_COLORS["unknown"]), ""


def _short(s: str, n: int = _MAX_LABEL) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _node_label(node: _Node) -> str:
    lines = [_short(node.name)]
    if node.listings:
        lines.append(_short(", ".join(node.listings)))
    tags = []
    for s, r in node.statuses:
        word = _STATUS_WORDS.get(s, s)
        tags.append(f"{word} ({r})" if r else word)
    if tags:
        lines.append(_short("; ".join(_dedupe(tags)), 60))
    return "\n".join(lines)


def _node_title(node: _Node) -> str:
    if node.more:
        return (
            f"{node.more} more {node.more_dir} of {node.more_of} not drawn (max_nodes reached).\n"
            f"Render with a larger max_nodes, or focus on {node.more_of}."
        )
    lines = [node.name, f"id: {node.key}", f"kind: {node.kind}"]
    lines.append(f"jurisdiction: {node.jurisdiction or 'unknown'}")
    for s, r in node.statuses:
        if s != "designated":
            lines.append(f"{_STATUS_WORDS.get(s, s)} under {r}" if r else _STATUS_WORDS.get(s, s))
    lines.extend(node.notes)
    if node.sources:
        lines.append("sources: " + "; ".join(node.sources))
    return "\n".join(lines)


def _edge_title(e: _Edge, pic: _Picture) -> str:
    a, b = pic.nodes[e.src], pic.nodes[e.dst]
    lines = [f"{a.name} → {b.name}", f"{e.src} → {e.dst}", f"kind: {e.kind} · share: {e.share}"]
    if e.start or e.end:
        lines.append(f"from {e.start or '…'} to {e.end or '…'}")
    lines.append(f"source: {e.source or 'unknown'}")
    return "\n".join(lines)


def _levels(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """Ownership layers: owners above owned; a cycle shares one layer; roots tucked down.

    Longest-path layering of the condensation (strongly connected components), then each root
    component moves down to just above its highest child, so a lone owner sits by its holding.
    """
    if n == 0:
        return []
    pairs = np.array([(a, b) for a, b in edges if a != b], dtype=np.int64).reshape(-1, 2)
    adj = sp.csr_array((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    k, comp = connected_components(adj, directed=True, connection="strong")
    cs, cd = comp[pairs[:, 0]], comp[pairs[:, 1]]
    keep = cs != cd
    cedges = sorted(set(zip(cs[keep].tolist(), cd[keep].tolist(), strict=True)))
    succ: list[list[int]] = [[] for _ in range(k)]
    preds: list[list[int]] = [[] for _ in range(k)]
    for a, b in cedges:
        succ[a].append(b)
        preds[b].append(a)
    indeg = [len(p) for p in preds]
    topo = [c for c in range(k) if indeg[c] == 0]
    for c in topo:  # Kahn's algorithm, appending while iterating
        for s in succ[c]:
            indeg[s] -= 1
            if indeg[s] == 0:
                topo.append(s)
    lvl = [0] * k
    for c in topo:
        for s in succ[c]:
            lvl[s] = max(lvl[s], lvl[c] + 1)
    for c in reversed(topo):
        if succ[c] and not preds[c]:
            lvl[c] = min(lvl[s] for s in succ[c]) - 1
    low = min(lvl)
    return [lvl[c] - low for c in comp.tolist()]


def _positions(levels: Sequence[int], edges: Sequence[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    """Layered positions for large pictures: rows by level, wrapped, ordered by owners' places."""
    cap = max(30, int(math.sqrt(n) * 1.5))
    x_gap, row_gap, level_gap = 110, 70, 190
    preds: dict[int, list[int]] = {}
    for a, b in edges:
        if a != b:
            preds.setdefault(b, []).append(a)
    by_level: dict[int, list[int]] = {}
    for i, lv in enumerate(levels):
        by_level.setdefault(lv, []).append(i)
    rank: dict[int, float] = {}
    pos: list[tuple[int, int]] = [(0, 0)] * n
    y = 0
    for lv in sorted(by_level):
        members = by_level[lv]

        def key(i: int) -> tuple[float, int]:
            ps = [rank[p] for p in preds.get(i, []) if p in rank]
            return (sum(ps) / len(ps) if ps else 0.5, i)

        members.sort(key=key)
        rows = max(1, math.ceil(len(members) / cap))
        width = min(len(members), cap)
        for j, i in enumerate(members):
            r, c = divmod(j, cap)
            rank[i] = j / max(1, len(members) - 1)
            pos[i] = (int((c - (width - 1) / 2) * x_gap), y + r * row_gap)
        y += (rows - 1) * row_gap + level_gap
    return pos


def _vis(pic: _Picture) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any], str]:
    keys = list(pic.nodes)
    num = {k: i for i, k in enumerate(keys)}
    nodes: list[dict[str, Any]] = []
    for k in keys:
        n = pic.nodes[k]
        if n.more:
            nodes.append(
                {
                    "id": num[k],
                    "label": n.name,
                    "title": _node_title(n),
                    "shape": "box",
                    "color": {"background": "#f5f5f5", "border": _SUMMARY_COLOR},
                    "shapeProperties": {"borderDashes": [4, 4]},
                    "font": {"color": "#555555"},
                    "og_id": None,
                    "og_more": n.more,
                    "og_more_of": n.more_of,
                }
            )
            continue
        fill, _ = _fill(n)
        border = HIGHLIGHT_COLOR if n.on_path else (LISTED_BORDER if n.listings else "#4d4d4d")
        nodes.append(
            {
                "id": num[k],
                "label": _node_label(n),
                "title": _node_title(n),
                "shape": KIND_SHAPES.get(n.kind, "dot"),
                "size": 20 if n.on_path or n.focus else 14,
                "borderWidth": 4 if n.on_path else (3 if n.listings or n.focus else 1),
                "color": {
                    "background": fill,
                    "border": border,
                    "highlight": {"background": fill, "border": "#000000"},
                    "hover": {"background": fill, "border": "#000000"},
                },
                "og_id": n.key,
                "og_kind": n.kind,
                "og_path": n.on_path,
            }
        )
    pairs = [(num[e.src], num[e.dst]) for e in pic.edges]
    levels = _levels(len(keys), pairs)
    edges: list[dict[str, Any]] = []
    pair_count: dict[tuple[int, int], int] = {}
    for j, e in enumerate(pic.edges):
        a, b = num[e.src], num[e.dst]
        nth = pair_count.get((min(a, b), max(a, b)), 0)
        pair_count[(min(a, b), max(a, b))] = nth + 1
        if e.summary:
            color: str = _SUMMARY_COLOR
            dashes: bool | list[int] = [3, 3]
        else:
            color, dashes = EDGE_STYLES.get(e.kind, ("#999999", [1, 3]))
        if e.highlight:
            color = HIGHLIGHT_COLOR
        d: dict[str, Any] = {
            "id": j,
            "from": a,
            "to": b,
            "arrows": "to",
            "label": "" if e.summary else _share_label(e.kind, e.share),
            "color": {"color": color, "highlight": color, "hover": color, "inherit": False},
            "dashes": dashes,
            "width": HIGHLIGHT_WIDTH if e.highlight else 1.5,
            "og_from": None if e.src.startswith("\x00") else e.src,  # summary nodes have no id
            "og_to": None if e.dst.startswith("\x00") else e.dst,
            "og_kind": e.kind,
            "og_highlight": e.highlight,
        }
        if not e.summary:
            d["title"] = _edge_title(e, pic)
        if e.highlight:
            d["font"] = {"color": HIGHLIGHT_COLOR, "bold": True}
        if nth or levels[a] == levels[b]:  # parallel edges, and edges within a cycle's layer, bend
            d["smooth"] = {
                "enabled": True,
                "type": "curvedCW",
                "roundness": 0.15 * nth + 0.3 * (levels[a] == levels[b]),
            }
        edges.append(d)
    common: dict[str, Any] = {
        "nodes": {
            "font": {"size": 14, "multi": False, "face": "sans-serif", "background": "rgba(255,255,255,0.85)"}
        },
        "edges": {
            "font": {"size": 11, "align": "middle", "strokeWidth": 3, "multi": False},
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
        },
        "physics": {"enabled": False},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": len(nodes) > 500},
    }
    if len(nodes) <= HIERARCHICAL_MAX:
        for d, lv in zip(nodes, levels, strict=True):
            d["level"] = lv
        common["layout"] = {
            "hierarchical": {
                "enabled": True,
                "direction": "UD",
                "sortMethod": "directed",
                "levelSeparation": 160,
                "nodeSpacing": 230 if max(Counter(levels).values(), default=0) <= 12 else 160,
                "treeSpacing": 260,
                "blockShifting": True,
                "edgeMinimization": True,
                "parentCentralization": True,
                "shakeTowards": "roots",
            }
        }
        common["edges"]["smooth"] = {
            "enabled": True,
            "type": "cubicBezier",
            "forceDirection": "vertical",
            "roundness": 0.4,
        }
        layout = "hierarchical"
    else:
        for d, (x, y) in zip(nodes, _positions(levels, pairs, len(nodes)), strict=True):
            d["x"], d["y"] = x, y
        common["layout"] = {"improvedLayout": False, "hierarchical": {"enabled": False}}
        common["edges"]["smooth"] = False
        common["nodes"]["font"]["size"] = 12
        layout = "layered"
    return [_plain(d) for d in nodes], [_plain(d) for d in edges], common, layout


# -- the page ------------------------------------------------------------------------------------
_CSS = """
.og-header { font-family: sans-serif; margin: 8px 12px; color: #222; }
.og-title { font-size: 1.4em; margin: 4px 0; }
.og-meta { color: #555; margin: 2px 0 6px 0; }
.og-explanation { background: #fff8e1; border-left: 4px solid #e08214; padding: 4px 10px; margin: 6px 0; }
.og-explanation p { margin: 4px 0; white-space: pre-wrap; }
.og-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 0.85em; margin: 6px 0; }
.og-legend .og-item { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
.og-legend .og-swatch { display: inline-block; width: 13px; height: 13px; border: 1px solid #4d4d4d; }
.og-legend .og-glyph { font-size: 1.1em; color: #444; }
.og-legend h2 { font-size: 1em; margin: 0 4px 0 0; }
.og-notice { font-family: sans-serif; color: #b2182b; margin: 4px 12px; }
"""


def _esc(s: object) -> str:
    return html.escape(_text(s), quote=True)


def _legend(pic: _Picture, edges: Sequence[dict[str, Any]]) -> str:
    fills: dict[str, str] = {}
    kinds: list[str] = []
    for n in pic.nodes.values():
        if n.more:
            continue
        color, word = _fill(n)
        if word:
            fills.setdefault(word, color)
        if n.kind not in kinds:
            kinds.append(n.kind)
    items: list[str] = []

    def swatch(color: str, label: str, border: str = "#4d4d4d") -> None:
        items.append(
            f'<span class="og-item"><span class="og-swatch" style="background:{_esc(color)};'
            f'border-color:{_esc(border)}"></span>{_esc(label)}</span>'
        )

    for word, color in sorted(fills.items()):
        swatch(color, word, LISTED_BORDER if word == "listed" else "#4d4d4d")
    for k in kinds:
        glyph = _SHAPE_GLYPHS.get(KIND_SHAPES.get(k, "dot"), "●")
        items.append(f'<span class="og-item"><span class="og-glyph">{_esc(glyph)}</span>{_esc(k)}</span>')
    edge_kinds = _dedupe(str(e["og_kind"]) for e in edges if e["og_kind"] != "summary")
    for k in edge_kinds:
        color, dashes = EDGE_STYLES.get(k, ("#999999", [1, 3]))
        dash = " ".join(str(x) for x in dashes) if isinstance(dashes, list) else "none"
        items.append(
            '<span class="og-item"><svg width="34" height="10" aria-hidden="true">'
            f'<line x1="0" y1="5" x2="34" y2="5" stroke="{_esc(color)}" stroke-width="2" '
            f'stroke-dasharray="{_esc(dash)}"/></svg>{_esc(k)}</span>'
        )
    if any(e["og_highlight"] for e in edges):
        items.append(
            '<span class="og-item"><svg width="34" height="10" aria-hidden="true">'
            f'<line x1="0" y1="5" x2="34" y2="5" stroke="{HIGHLIGHT_COLOR}" '
            f'stroke-width="{HIGHLIGHT_WIDTH}"/>'
            "</svg>highlighted path</span>"
        )
    if pic.collapsed:
        items.append(
            f'<span class="og-item"><span class="og-swatch" style="background:#f5f5f5;border-style:dashed;'
            f'border-color:{_SUMMARY_COLOR}"></span>+N more: collapsed neighbours</span>'
        )
    items.append('<span class="og-item">arrows: owner → owned; edge labels: share in %</span>')
    return '<div class="og-legend" id="og-legend"><h2>Legend</h2>' + "".join(items) + "</div>"


def _header(pic: _Picture, nodes: int, edges: Sequence[dict[str, Any]], layout: str) -> str:
    meta = [f"as of {pic.as_of}" if pic.as_of else "as of: not stated"]
    real = sum(1 for n in pic.nodes.values() if not n.more)
    meta.append(f"{real} entities, {sum(1 for e in edges if e['og_kind'] != 'summary')} edges")
    if pic.collapsed:
        meta.append(f"{pic.collapsed} more collapsed")
    meta.append(f"layout: {layout}")
    parts = [
        '<header class="og-header" id="og-header">',
        f'<h1 class="og-title" id="og-title">{_esc(pic.title)}</h1>',
        f'<p class="og-meta" id="og-meta">{_esc(" · ".join(meta))}</p>',
    ]
    if pic.explanations:
        parts.append('<div class="og-explanation" id="og-explanation">')
        parts.extend(f"<p>{_esc(x)}</p>" for x in pic.explanations)
        parts.append("</div>")
    parts.append(_legend(pic, edges))
    parts.append("</header>")
    if not nodes:
        parts.append('<p class="og-notice">Nothing to draw.</p>')
    return "\n".join(parts)


def _template_render(
    nodes: list[dict[str, Any]], edges: list[dict[str, Any]], options: dict[str, Any], height: str
) -> str:
    try:
        from pyvis.network import Network
    except ImportError as exc:  # pragma: no cover - pyvis is a declared extra
        raise OwnergraphError("pictures need pyvis: pip install 'ownergraph[viz]'") from exc
    net = Network(height=height, width="100%", directed=True, cdn_resources="in_line", heading="")
    template = net.templateEnv.get_template(net.path)
    # generate_html(), inlined: the same template and arguments, but tooltip_link forced off
    # (pyvis turns on an innerHTML popup when a node title contains "href") and no menus.
    page: str = template.render(
        height=height,
        width="100%",
        nodes=nodes,
        edges=edges,
        heading="",
        options=json.dumps(options),
        physics_enabled=False,
        use_DOT=False,
        dot_lang="",
        widget=False,
        bgcolor="#ffffff",
        conf=False,
        tooltip_link=False,
        neighborhood_highlight=False,
        select_menu=False,
        filter_menu=False,
        notebook=False,
        cdn_resources="in_line",
    )
    return page


def _offline(page: str, head: str, title: str) -> str:
    page = _BOOTSTRAP_LINK.sub("", page)
    page = _BOOTSTRAP_SCRIPT.sub("", page)
    page = _EMPTY_HEADING.sub("", page)
    charset = '<meta charset="utf-8">'
    extra = (
        f'<meta name="generator" content="ownergraph">\n<title>{_esc(title)}</title>\n<style>{_CSS}</style>'
    )
    if charset in page:
        page = page.replace(charset, f"{charset}\n{extra}", 1)
    else:  # pragma: no cover - pyvis 0.3.2's template has it
        page = page.replace("<head>", f"<head>\n{charset}\n{extra}", 1)
    page = page.replace("<body>", "<body>\n" + head, 1)
    ready = (
        "<script>if (window.network) { network.on('afterDrawing', function () {"
        " document.body.dataset.ogDrawn = '1'; }); network.redraw(); }</script>\n"
    )
    page = page.replace("</body>", ready + "</body>", 1)
    bad = _EXTERNAL.search(page)
    if bad:  # pragma: no cover - a pyvis template change would land here
        raise OwnergraphError(f"the picture would load an external resource: {bad.group(0)[:120]!r}")
    return page


def render_html(
    obj: RenderInput,
    *,
    view: GraphView | None = None,
    focus: str | Sequence[str] | None = None,
    title: str | None = None,
    depth: int = 1,
    max_nodes: int | None = 300,
    highlight: Sequence[str] | Sequence[Sequence[str]] | None = None,
    statuses: Iterable[object] | None = None,
    height: str = "760px",
) -> str:
    """The picture as one HTML page (a string); :func:`render` writes or displays it.

    Parameters are those of :func:`render`, plus ``height``, the CSS height of the graph canvas.

    Returns
    -------
    str
        A self-contained HTML document: no ``http(s)`` script, link or image source.
    """
    pic = _collect(obj, view, focus, highlight, statuses, title, depth, max_nodes)
    nodes, edges, options, layout = _vis(pic)
    head = _header(pic, len(nodes), edges, layout)
    page = _template_render(nodes, edges, options, height)
    full_title = f"{pic.title} — as of {pic.as_of}" if pic.as_of else pic.title
    return _offline(page, head, full_title)


def render(
    obj: RenderInput,
    path: str | os.PathLike[str] | None = None,
    *,
    view: GraphView | None = None,
    focus: str | Sequence[str] | None = None,
    title: str | None = None,
    depth: int = 1,
    max_nodes: int | None = 300,
    highlight: Sequence[str] | Sequence[Sequence[str]] | None = None,
    statuses: Iterable[object] | None = None,
) -> Path | HTML:
    """Draw a neighbourhood or result rows as one offline, interactive HTML page.

    Parameters
    ----------
    obj
        What to draw:

        * a :class:`~ownergraph.graph.view.GraphView` — the neighbourhood of ``focus``, or the
          whole view when no focus is given (refused above ``max_nodes``);
        * an entity id (with ``view=``) — its neighbourhood;
        * a row or a list of rows (pydantic rows or plain dicts, e.g. from ``--format json``):
          rows with a ``path`` (loophole, path, exposure) draw the path's entities plus their
          ``depth``-hop neighbourhood with the path highlighted; restricted rows (``status`` and
          ``basis``) draw the basis owners → subject (plus the neighbourhood), coloured by the
          row's status; other rows with ``id``/``entity_id`` draw that entity's neighbourhood.
          Without ``view=`` only what the rows carry is drawn (ids and the rows' edges).
    path
        Where to write the HTML file (parent folders are created). ``None``: return an
        ``IPython.display.HTML`` that shows the page inline in Jupyter.
    view
        The graph the rows came from (``ws.graph(as_of=...)``): names, kinds, shares, sources.
    focus
        Entity id(s) to centre on (added to whatever the rows ask for).
    title
        Heading above the graph; by default one is made from the rows or the focus.
    depth
        Hops of neighbourhood around the focus/path/basis entities (``0``: only those).
    max_nodes
        At most this many entities besides the seeds; the rest collapse into one "+N more"
        node per frontier node and direction (owners, holdings). ``None``: no limit.
    highlight
        A path (list of ids) or several paths to highlight, in addition to the rows' paths.
    statuses
        Restricted rows (``id``, ``status``, ``regime``) used only to colour nodes, e.g.
        ``restricted(view, "eu")`` to see the same neighbourhood under EU rules.

    Returns
    -------
    pathlib.Path or IPython.display.HTML
        The file written, or (when ``path`` is None) an HTML object embedding the page in an
        ``<iframe srcdoc>`` so its scripts run in notebooks.

    Raises
    ------
    InputError
        Nothing drawable, a too large whole view, or an id without ``view=``.
    NotFoundError
        An id the view does not know.
    OwnergraphError
        ``path`` is None and IPython is not installed.
    """
    page = render_html(
        obj,
        view=view,
        focus=focus,
        title=title,
        depth=depth,
        max_nodes=max_nodes,
        highlight=highlight,
        statuses=statuses,
    )
    if path is not None:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
        return out
    try:
        from IPython.display import HTML as IPythonHTML
    except ImportError as exc:
        raise OwnergraphError(
            "render() without a path displays in Jupyter and needs IPython; "
            "pass a path, e.g. render(rows, 'graph.html', view=view)"
        ) from exc
    # a div around the iframe: IPython warns about bare iframes (it would prefer a URL)
    frame = (
        f'<div class="ownergraph-viz"><iframe srcdoc="{html.escape(page, quote=True)}" '
        'style="width:100%;height:1000px;border:0" sandbox="allow-scripts"></iframe></div>'
    )
    return IPythonHTML(frame)  # type: ignore[no-untyped-call]
