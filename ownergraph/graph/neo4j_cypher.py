"""The work the Neo4j engine runs on the server: parameterised Cypher for the backend primitives.

:class:`~ownergraph.graph.neo4j_view.Neo4jView` answers the primitives that carry a query's
work with the functions here, so that work runs on the server and only small answers travel:

* :func:`fixpoints` — a regime's lower or upper fixpoints of many units (the UK's one unit per
  designated person) at once, iterated from Python with one round of Cypher per synchronous
  round for all the units: the server gathers the candidates one hop out of the last
  round's new members and, per candidate, aggregates the bounds of the counting edges from all
  members (sums of lower or upper parts per million, open-bound flags, control edges, joint
  arrangements pooled); Python only applies the threshold to each candidate's totals;
* :class:`Steps` — one BFS hop out of (or into) a frontier, for the shared bidirectional
  searches of :mod:`ownergraph.queries.paths`;
* :func:`cone` — an entity's upstream or downstream cone of share edges, gathered hop by hop
  with bounded frontier queries, for look-through :mod:`ownergraph.queries.ownership`.

Every query reads the records as the in-memory engine does (``ownergraph.graph.backend``): an
edge is active on the date when ``start <= date <= end`` (missing dates open; ISO strings
compare as dates), and per (owner, owned, type) the active record with the latest ``start``,
then the highest ``seq``, is the edge. Labels, relationship types and property names come from
the fixed schema of ``docs/neo4j-schema.md``; dates, ids and numbers travel as parameters.
Types the database has never seen are left out of the patterns (naming one draws a server
notification, which the tests treat as an error).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from ownergraph.graph.backend import (
    ROLE_CONTROLLED,
    ROLE_POSSIBLY,
    ROLE_SHARES,
    ROLE_VOTES,
    FixpointRule,
    seed_levels,
)
from ownergraph.graph.model import OWNERSHIP_KINDS
from ownergraph.graph.neo4j_store import EDGE_TYPES
from ownergraph.graph.shares import PPM

if TYPE_CHECKING:
    from ownergraph.graph.neo4j_store import _Conn

__all__ = ["ACTIVE", "Steps", "cone", "edge_types", "fixpoints"]

I64 = npt.NDArray[np.int64]

ACTIVE: Final = "(r.start IS NULL OR r.start <= $as_of) AND (r.end IS NULL OR $as_of <= r.end)"
"""The edge-activity rule of ``ownergraph.graph.backend`` for a relationship ``r``."""

_CHOSEN: Final = (
    "WITH {keys}, r ORDER BY coalesce(r.start, '') DESC, coalesce(r.seq, -1) DESC "
    "WITH {keys}, head(collect(r)) AS r"
)
"""Keep, per (owner, owned, type), the active record the in-memory view keeps."""


def edge_types(present: Iterable[str], kinds: Iterable[int] | None = None) -> list[str]:
    """Relationship types of the ownership kinds ``kinds`` (all by default) the database uses."""
    have = set(present)
    wanted = range(len(OWNERSHIP_KINDS)) if kinds is None else sorted(set(kinds))
    return [t for k in wanted if (t := EDGE_TYPES[OWNERSHIP_KINDS[k]]) in have]


# -- the regimes' fixpoint ---------------------------------------------------------------------------


def _fixpoint_query(types: Sequence[str]) -> str:
    pattern = "|".join(types)
    chosen = _CHOSEN.format(keys="c, members, y, a, type(r) AS t")
    return (
        "UNWIND $units AS u UNWIND u.frontier AS fid "
        f"MATCH (:Entity {{id: fid}})-[r:{pattern}]->(y:Entity) "
        f"WHERE {ACTIVE} AND NOT y.id IN u.members "
        "WITH DISTINCT u.c AS c, u.members AS members, y "
        f"MATCH (a:Entity)-[r:{pattern}]->(y) WHERE {ACTIVE} "
        f"{chosen} "
        "WITH c, y, collect({m: a.id IN members, role: $roles[t], arr: r.arrangement,"
        " b: CASE WHEN $upper THEN coalesce(r.ppm_hi, $ppm) ELSE coalesce(r.ppm_lo, 0) END,"
        " o: CASE WHEN $upper THEN r.share ENDS WITH ')' ELSE r.share STARTS WITH '(' END}) AS es "
        # joint arrangements (UK): a member's stake pools every stake of the same arrangement
        "WITH c, y, es, [e IN es WHERE e.m AND e.arr IS NOT NULL AND e.role <= $votes"
        " | [e.arr, e.role]] AS pools "
        "WITH c, y, [e IN es WHERE e.m OR ($pool AND e.role <= $votes AND [e.arr, e.role] IN pools)] AS cnt "
        "RETURN collect([c, y.id,"
        " any(e IN cnt WHERE e.role = $controlled), any(e IN cnt WHERE e.role = $possibly),"
        " reduce(s = 0, e IN cnt | s + CASE WHEN e.role = $shares THEN e.b ELSE 0 END),"
        " any(e IN cnt WHERE e.role = $shares AND e.o),"
        " reduce(s = 0, e IN cnt | s + CASE WHEN e.role = $votes THEN e.b ELSE 0 END),"
        " any(e IN cnt WHERE e.role = $votes AND e.o)]) AS rows"
    )


def fixpoints(
    conn: _Conn,
    present_types: Iterable[str],
    as_of: dt.date,
    ids: Callable[[Sequence[int]], list[str]],
    nodes: Callable[[Sequence[str]], I64],
    units: Sequence[Iterable[int]],
    upper: bool,
    rule: FixpointRule,
) -> list[dict[int, int]]:
    """A regime's lower (``upper=False``) or upper fixpoint from the seeds of each unit, with
    rounds: one query per synchronous round for all the units at once (the UK runs one unit per
    designated person), each unit's rows tagged with its number.

    Round ``r + 1`` sends, per unit, the ids of every member and of the members that joined in
    round ``r``; the server returns, for each non-member one counting edge away from the latter,
    whether a member controls it (or possibly controls it) and the sums and open flags of the
    lower (or upper) bounds of the shares and votes edges from members (plus pooled arrangement
    partners). An entity joins when a member controls it, or (upper fixpoint) possibly controls
    it, or a sum meets the threshold (:meth:`FixpointRule.meets`). ``ids`` and ``nodes``
    translate node numbers to canonical ids and back.
    """
    levels = seed_levels(units)
    kinds = [k for k, role in enumerate(rule.roles) if role]
    types = edge_types(present_types, kinds)
    if not types:
        return levels
    roles = {EDGE_TYPES[OWNERSHIP_KINDS[k]]: rule.roles[k] for k in kinds}
    query = _fixpoint_query(types)
    member_ids = [ids(sorted(level)) for level in levels]
    frontier = {c: list(m) for c, m in enumerate(member_ids) if m}
    params: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "roles": roles,
        "upper": upper,
        "pool": rule.pool,
        "ppm": PPM,
        "shares": ROLE_SHARES,
        "votes": ROLE_VOTES,
        "controlled": ROLE_CONTROLLED,
        "possibly": ROLE_POSSIBLY,
    }
    rnd = 0
    while frontier:
        rnd += 1
        batch = [{"c": c, "frontier": f, "members": member_ids[c]} for c, f in frontier.items()]
        res = conn.run(query, {**params, "units": batch}, read=True)
        rows = res.records[0]["rows"] if res.records else []
        joined: dict[int, list[str]] = {}
        for row in rows:
            if (
                row[2]
                or (upper and row[3])
                or rule.meets([row[4], row[6]], [row[5], row[7]], [False, True], upper).any()
            ):
                joined.setdefault(int(row[0]), []).append(row[1])
        everyone = [y for c in sorted(joined) for y in joined[c]]
        found = iter(nodes(everyone).tolist()) if everyone else iter(())
        for c in sorted(joined):
            for node in [next(found) for _ in joined[c]]:
                levels[c][int(node)] = rnd
            joined[c].sort()
            member_ids[c].extend(joined[c])
        frontier = {c: joined[c] for c in sorted(joined)}
    return levels


# -- hops for the shared searches ---------------------------------------------------------------------
class Steps:
    """:class:`ownergraph.queries.paths.Steps` on the server: one Cypher query per hop.

    A hop from a frontier returns, for every active edge of the allowed kinds out of (forward),
    into (backward) or at (undirected) a frontier entity, the entity at its other end. The work
    of a hop is estimated by the frontier's size (which side grows first never changes the
    answer, only the number of queries).
    """

    def __init__(
        self,
        conn: _Conn,
        present_types: Iterable[str],
        as_of: dt.date,
        n: int,
        ids: Callable[[Sequence[int]], list[str]],
        nodes: Callable[[Sequence[str]], I64],
        kinds: frozenset[int] | None,
        directed: bool,
    ) -> None:
        self._conn = conn
        self._as_of = as_of.isoformat()
        self._n = n
        self._ids, self._nodes = ids, nodes
        types = "|".join(edge_types(present_types, kinds))
        self._queries: dict[bool, str | None] = {}
        for forward in (True, False):
            if not types:
                self._queries[forward] = None
                continue
            left, right = ("-", "->") if forward else ("<-", "-")
            if not directed:
                left, right = "-", "-"
            self._queries[forward] = (
                f"UNWIND $ids AS i MATCH (:Entity {{id: i}}){left}[r:{types}]{right}(b:Entity) "
                f"WHERE {ACTIVE} RETURN collect([i, b.id]) AS rows"
            )

    @property
    def n(self) -> int:
        return self._n

    def _hop(self, frontier: I64, forward: bool) -> tuple[I64, I64]:
        query = self._queries[forward]
        if query is None or not len(frontier):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        res = self._conn.run(query, {"ids": self._ids(frontier.tolist()), "as_of": self._as_of}, read=True)
        rows = res.records[0]["rows"] if res.records else []
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        came, went = zip(*rows, strict=True)
        return self._nodes(list(went)), self._nodes(list(came))

    def forward(self, frontier: I64) -> tuple[I64, I64]:
        return self._hop(frontier, True)

    def backward(self, frontier: I64) -> tuple[I64, I64]:
        return self._hop(frontier, False)

    def weight(self, frontier: I64, forward: bool) -> int:
        return len(frontier)


def cone(
    conn: _Conn,
    present_types: Iterable[str],
    as_of: dt.date,
    ids: Callable[[Sequence[int]], list[str]],
    nodes: Callable[[Sequence[str]], I64],
    q: int,
    direction: str,
    kinds: frozenset[int],
) -> list[int]:
    """Every entity with a walk of active ``kinds`` edges to (``up``) or from (``down``) ``q``,
    ``q`` included: a BFS with one bounded frontier query per hop."""
    steps = Steps(conn, present_types, as_of, 0, ids, nodes, kinds, directed=True)
    seen = {int(q)}
    frontier = np.array([q], dtype=np.int64)
    while len(frontier):
        nb, _ = steps.backward(frontier) if direction == "up" else steps.forward(frontier)
        new = sorted(set(nb.tolist()) - seen)
        seen.update(new)
        frontier = np.asarray(new, dtype=np.int64)
    return sorted(seen)
