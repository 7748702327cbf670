"""Looking things up: workspace statistics, name search and one entity in full (``show``).

These read the view and, for provenance and aliases, the record store. They decide no status;
the regime queries do.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import orjson

from ownergraph.graph.cache import is_placeholder_name
from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS, REGIME_IDS
from ownergraph.graph.view import GraphView
from ownergraph.queries.rows import Row, Rows, share_fields

__all__ = ["EntityDetail", "EntityRow", "StatRow", "search", "show", "stats"]


class StatRow(Row):
    """A count: ``kind`` names what is counted (``entities/company``, ``designations/eu``, ...)."""

    kind: str
    count: int


class EntityRow(Row):
    id: str
    name: str
    kind: str
    jurisdiction: str | None
    matched: str | None = None


class EntityDetail(Row):
    """Everything the workspace knows about one entity, with sources."""

    id: str
    name: str
    kind: str
    jurisdiction: str | None
    ids: list[str]
    identifiers: dict[str, list[str]]
    aliases: list[str]
    sources: list[str]
    records: list[dict[str, Any]]
    owners: list[dict[str, Any]]
    holdings: list[dict[str, Any]]
    designations: list[dict[str, Any]]
    listings: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    as_of: str


def stats(view: GraphView) -> Rows[StatRow]:
    """Counts by record kind, entity kind, edge kind, regime and load format."""
    out: Rows[StatRow] = Rows()
    out.append(StatRow(kind="entities", count=view.n))
    for k, c in sorted(Counter(view.kinds.tolist()).items()):
        out.append(StatRow(kind=f"entities/{ENTITY_KINDS[k]}", count=c))
    out.append(StatRow(kind="ownership edges (active)", count=view.m))
    for k, c in sorted(Counter(view.kind.tolist()).items()):
        out.append(StatRow(kind=f"ownership edges/{OWNERSHIP_KINDS[k]}", count=c))
    for r in REGIME_IDS:
        n = len(view.designated(r))
        if n:
            out.append(StatRow(kind=f"designated/{r}", count=n))
    out.append(StatRow(kind="listed entities", count=len(view.listed_nodes())))
    out.append(StatRow(kind="holdings", count=view.table("holdings").num_rows))
    out.append(StatRow(kind="claims", count=view.table("claims").num_rows))
    ws = view.workspace
    if ws is not None:
        loads = [ld for ld in ws.store.loads() if ld["finished"] and ld["format"] != "sameas"]
        out.append(StatRow(kind="loads", count=len(loads)))
        for fmt, c in sorted(Counter(ld["format"] for ld in loads).items()):
            out.append(StatRow(kind=f"loads/{fmt}", count=c))
        meta = ws.cache_meta()
        out.append(
            StatRow(
                kind="entity records merged into others",
                count=int(meta.get("entity_records", 0)) - int(meta.get("entities", 0)),
            )
        )
    return out


def search(view: GraphView, text: str, *, limit: int = 50) -> Rows[EntityRow]:
    """Entities whose name or an alias contains ``text`` (case-insensitive), or whose id or
    identifier equals it."""
    out: Rows[EntityRow] = Rows()
    seen: set[int] = set()
    try:
        i = view.index(text)
        seen.add(i)
        out.append(
            EntityRow(
                id=view.id(i),
                name=view.name(i),
                kind=view.kind_of(i),
                jurisdiction=view.jurisdiction(i),
                matched=text,
            )
        )
    except KeyError:
        pass
    ws = view.workspace
    if ws is None:
        return out
    rows = ws.store.search_names(text, limit * 4)
    nodes = view.indices([r[0] for r in rows])
    needle = text.strip().lower()
    for (_rid, name, aliases), node in zip(rows, nodes.tolist(), strict=True):
        if node < 0 or node in seen:
            continue
        seen.add(node)
        matched = (
            name
            if needle in name.lower()
            else next((a for a in orjson.loads(aliases or "[]") if needle in a.lower()), name)
        )
        out.append(
            EntityRow(
                id=view.id(node),
                name=view.name(node),
                kind=view.kind_of(node),
                jurisdiction=view.jurisdiction(node),
                matched=matched,
            )
        )
        if len(out) >= limit:
            break
    return out


def _edge_dict(view: GraphView, e: int) -> dict[str, Any]:
    info = view.edge(e)
    return {
        "owner_id": info.owner_id,
        "owner_name": view.name(info.owner),
        "owned_id": info.owned_id,
        "owned_name": view.name(info.owned),
        "kind": info.kind,
        **share_fields(info.share),
        "start": info.start.isoformat() if info.start else None,
        "end": info.end.isoformat() if info.end else None,
        "arrangement": info.arrangement,
        "source": info.source,
        "file": info.file,
        "locator": info.locator,
        "other_records": info.alternatives,
    }


def show(view: GraphView, key: str) -> EntityDetail:
    """One entity with all its ids, identifiers, aliases, sources, edges, designations,
    listings and claims, as of the view's date."""
    i = view.index(key)
    ids = view.all_keys(i)
    records: list[dict[str, Any]] = []
    identifiers: dict[str, list[str]] = {}
    aliases: list[str] = []
    sources: list[str] = []
    ws = view.workspace
    if ws is not None:
        for r in ws.store.entity_rows([k for k in ids]):
            records.append(
                {
                    "id": r["id"],
                    "name": r["name"],
                    "file": r["file"],
                    "locator": r["locator"],
                    "load_id": r["load_id"],
                }
            )
            for s, vals in orjson.loads(r["identifiers"] or "{}").items():
                for v in vals:
                    identifiers.setdefault(s, [])
                    if v not in identifiers[s]:
                        identifiers[s].append(v)
            own = [] if is_placeholder_name(r["id"], r["name"]) else [r["name"]]
            for a in [*own, *orjson.loads(r["aliases"] or "[]")]:
                if a != view.name(i) and a not in aliases:
                    aliases.append(a)
            for s in orjson.loads(r["sources"] or "[]"):
                if s not in sources:
                    sources.append(s)

    def _designation(d: dict[str, Any]) -> dict[str, Any]:
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in d.items()}

    return EntityDetail(
        id=view.id(i),
        name=view.name(i),
        kind=view.kind_of(i),
        jurisdiction=view.jurisdiction(i),
        ids=sorted(set(ids), key=lambda k: (k != view.id(i), k)),
        identifiers=identifiers,
        aliases=aliases,
        sources=sources,
        records=records,
        owners=[_edge_dict(view, int(e)) for e in np.asarray(view.in_of(i))],
        holdings=[_edge_dict(view, int(e)) for e in np.asarray(view.out_of(i))],
        designations=[_designation(d) for d in view.designation_rows(i, active_only=False)],
        listings=[_designation(d) for d in view.listing_rows(i, active_only=False)],
        claims=view.claim_rows(i),
        as_of=view.as_of.isoformat(),
    )
