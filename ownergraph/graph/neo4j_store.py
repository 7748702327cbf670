"""The Neo4j engine's storage side: the workspace as a property graph, pushed over Bolt.

:func:`property_graph` maps the columnar cache to labelled nodes and typed relationships
(the schema is documented in ``docs/neo4j-schema.md``); it needs no driver, and the
``neo4j-csv`` exporter (:mod:`ownergraph.graph.export`) writes the very same rows, so a store
built by ``neo4j-admin database import`` and one built by :func:`push` hold identical data.

:func:`push` writes that graph idempotently: constraints and indexes first, then UNWIND batches
that ``MERGE`` on the id of every node and on the ``key`` (a content hash) of every
relationship. Each node and relationship also stores ``h``, a hash of its properties; a row
whose ``h`` is unchanged is not written at all, so a second push of the same workspace changes
nothing (no created nodes or relationships, no properties set). A final count check compares
the database with the workspace. :func:`cypher` runs one query and returns plain dicts.

Every problem with the server (down, wrong credentials, missing database, older than 5.0, a
refused query) is raised as one :class:`~ownergraph.errors.EngineError` line naming the URI and
the fix. Pushing never writes the workspace. The ``neo4j`` driver is imported only when a
server is contacted, so building rows and exporting CSV work without it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import orjson
from pydantic import BaseModel, ConfigDict

from ownergraph.errors import EngineError
from ownergraph.graph.cache import NO_DATE_HI, NO_DATE_LO
from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS, REGIME_IDS
from ownergraph.graph.shares import share_text

if TYPE_CHECKING:
    import pyarrow as pa
    from neo4j import Driver, EagerResult

__all__ = [
    "DEFAULT_URI",
    "EDGE_TYPES",
    "KIND_LABELS",
    "MIN_SERVER_MAJOR",
    "SCHEMA_STATEMENTS",
    "NodeSet",
    "Progress",
    "PropertyGraph",
    "PushReport",
    "RelSet",
    "check_server_version",
    "cypher",
    "ensure_schema",
    "property_graph",
    "push",
]

DEFAULT_URI: Final = "bolt://localhost:7687"
MIN_SERVER_MAJOR: Final = 5
"""Oldest supported Neo4j major version (5.26 LTS and the 2025+ calendar versions are newer)."""

KIND_LABELS: Final[dict[str, str]] = {
    "company": "Company",
    "person": "Person",
    "fund": "Fund",
    "government": "Government",
    "organization": "Organization",
    "vessel": "Vessel",
    "aircraft": "Aircraft",
    "unknown": "Unknown",
}
"""The second label of an ``:Entity`` node, by entity kind."""

EDGE_TYPES: Final[dict[str, str]] = {
    "shares": "OWNS",
    "votes": "VOTES",
    "board": "BOARD",
    "control": "CONTROLS",
    "consolidation": "CONSOLIDATES",
}
"""Relationship type of an ownership edge (owner → owned), by ownership kind."""

SCHEMA_STATEMENTS: Final[tuple[str, ...]] = (
    "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT venue_mic IF NOT EXISTS FOR (n:Venue) REQUIRE n.mic IS UNIQUE",
    "CREATE CONSTRAINT regime_id IF NOT EXISTS FOR (n:Regime) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX entity_name IF NOT EXISTS FOR (n:Entity) ON (n.name)",
)
"""Constraints and indexes, created before any data (MERGE without them is a label scan)."""

Progress = Callable[[int, int, str], None]
"""``progress(done, total, stage)``: rows written so far, rows in all, what is being written."""

_SCHEMES: Final = frozenset({"bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"})
_HASH_BYTES: Final = 10
_DATABASE_NOT_FOUND: Final = "Neo.ClientError.Database.DatabaseNotFound"


# -- the property graph (no driver needed) ---------------------------------------------------------


@dataclass(frozen=True)
class NodeSet:
    """Nodes of one primary label; columns are property values, one list per property.

    ``columns`` holds the key property first (``id`` or ``mic``) and ``h`` last; ``types``
    gives each column's ``neo4j-admin import`` type; ``extra_labels`` is the per-row second
    label (entities: their kind) or None.
    """

    name: str
    label: str
    key: str
    columns: dict[str, list[Any]]
    types: dict[str, str]
    extra_labels: list[str] | None = None

    def __len__(self) -> int:
        return len(self.columns[self.key])


@dataclass(frozen=True)
class RelSet:
    """Relationships of one type from ``start`` (label, key property) to ``end``.

    ``src``/``dst`` are the endpoints' key values; ``columns`` holds ``key`` first, ``h``
    second, then the other properties.
    """

    name: str
    type: str
    start: tuple[str, str]
    end: tuple[str, str]
    src: list[str]
    dst: list[str]
    columns: dict[str, list[Any]]
    types: dict[str, str]

    def __len__(self) -> int:
        return len(self.src)


@dataclass(frozen=True)
class PropertyGraph:
    """The workspace as Neo4j will hold it."""

    nodes: list[NodeSet]
    rels: list[RelSet]
    duplicates: int = 0
    """Relationship rows that collapsed into another with the same key (same content)."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Records with no place in the graph (a listing without a MIC, an unresolved holding)."""

    def node_counts(self) -> dict[str, int]:
        return {ns.label: len(ns) for ns in self.nodes}

    def rel_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for rs in self.rels:
            out[rs.type] = out.get(rs.type, 0) + len(rs)
        return out


def _source(ws_or_tables: Any, load_paths: Mapping[int, str] | None) -> tuple[dict[str, Any], dict[int, str]]:
    """The cache tables and load paths of a workspace, or tables given directly."""
    if isinstance(ws_or_tables, Mapping):
        return dict(ws_or_tables), dict(load_paths or {})
    if hasattr(ws_or_tables, "tables") and hasattr(ws_or_tables, "store"):
        tables = ws_or_tables.tables()
        paths = dict(load_paths) if load_paths is not None else ws_or_tables.store.load_paths()
        return tables, paths
    raise TypeError(f"expected a Workspace or a mapping of cache tables, not {type(ws_or_tables).__name__}")


def _hash(values: Sequence[Any]) -> str:
    return hashlib.blake2b(orjson.dumps(list(values)), digest_size=_HASH_BYTES).hexdigest()


def _iso_dates(days: npt.NDArray[np.int32]) -> list[str | None]:
    """Cache day numbers as ISO strings, None for the open sentinels."""
    arr = np.asarray(days, dtype=np.int64)
    out: list[str | None] = [None] * len(arr)
    ok = (arr != int(NO_DATE_LO)) & (arr != int(NO_DATE_HI))
    if ok.any():
        text = arr[ok].astype("datetime64[D]").astype(str).tolist()
        for i, t in zip(np.flatnonzero(ok).tolist(), text, strict=True):
            out[i] = t
    return out


def _col(table: pa.Table, name: str) -> list[Any]:
    return list(table.column(name).to_pylist())


def _files(load_ids: list[Any], paths: Mapping[int, str]) -> list[str | None]:
    return [paths.get(int(i)) if i is not None else None for i in load_ids]


def designation_columns(des: pa.Table, paths: Mapping[int, str]) -> dict[str, list[Any]]:
    """The cache's designation table as record columns (list, programme, ISO dates, source, file,
    locator) — what push and the exports write for each designation."""
    return {
        "list": _col(des, "list"),
        "program": _col(des, "program"),
        "listed": _iso_dates(des.column("listed").to_numpy()),
        "effective": _iso_dates(des.column("effective").to_numpy()),
        "removed": _iso_dates(des.column("removed").to_numpy()),
        "reference": _col(des, "reference"),
        "source": _col(des, "source"),
        "file": _files(_col(des, "load_id"), paths),
        "locator": _col(des, "locator"),
    }


def _share_columns(lo: list[int], hi: list[int], flags: list[int]) -> dict[str, list[Any]]:
    """``share`` (interval string), ``share_min``/``share_max`` (percent) and ``ppm_lo``/``ppm_hi``
    (exact parts per million); all but ``share`` are None when the share is unknown."""
    unknown = [bool(f & 4) for f in flags]
    return {
        "share": [share_text(a, b, f) for a, b, f in zip(lo, hi, flags, strict=True)],
        "share_min": [None if u else a / 10_000 for a, u in zip(lo, unknown, strict=True)],
        "share_max": [None if u else b / 10_000 for b, u in zip(hi, unknown, strict=True)],
        "ppm_lo": [None if u else a for a, u in zip(lo, unknown, strict=True)],
        "ppm_hi": [None if u else b for b, u in zip(hi, unknown, strict=True)],
    }


def _group_lists(nodes: list[int], values: list[Any], n: int) -> list[list[Any]]:
    out: list[list[Any]] = [[] for _ in range(n)]
    for node, v in zip(nodes, values, strict=True):
        if v is not None and node >= 0:
            out[node].append(v)
    return out


def _none_if_empty(values: list[Any]) -> list[Any] | None:
    return values or None


_STR = "string"


def property_graph(ws_or_tables: Any, *, load_paths: Mapping[int, str] | None = None) -> PropertyGraph:
    """Map a workspace (or its cache tables) to the nodes and relationships Neo4j holds.

    Every record of the workspace is included, whatever its dates: queries filter by date.
    Lists that would be empty are None (no property), as ``neo4j-admin import`` does.
    """
    tables, paths = _source(ws_or_tables, load_paths)
    nodes_t, keys_t, edges_t = tables["nodes"], tables["keys"], tables["edges"]
    ids: list[str] = _col(nodes_t, "id")
    n = len(ids)
    skipped: dict[str, int] = {}

    # -- entity nodes ---------------------------------------------------------------------------
    key_lists = _group_lists(_col(keys_t, "node"), _col(keys_t, "key"), n)
    all_ids = [[i, *sorted(k for k in ks if k != i)] for i, ks in zip(ids, key_lists, strict=True)]
    des = tables["designations"]
    des_node: list[int] = _col(des, "node")
    des_regime = [REGIME_IDS[r] for r in _col(des, "regime")]
    regimes = [_none_if_empty(sorted(set(r))) for r in _group_lists(des_node, des_regime, n)]
    lis = tables["listings"]
    lis_node: list[int] = _col(lis, "node")
    isins = [_none_if_empty(sorted(set(v))) for v in _group_lists(lis_node, _col(lis, "isin"), n)]
    kinds = [ENTITY_KINDS[k] for k in _col(nodes_t, "kind")]
    names: list[str] = _col(nodes_t, "name")
    jur: list[str | None] = _col(nodes_t, "jurisdiction")
    ent_cols: dict[str, list[Any]] = {
        "id": ids,
        "name": names,
        "kind": kinds,
        "jurisdiction": jur,
        "ids": all_ids,
        "regimes": regimes,
        "isins": isins,
    }
    ent_cols["h"] = [_hash(row) for row in zip(*ent_cols.values(), strict=True)]
    entities = NodeSet(
        name="entities",
        label="Entity",
        key="id",
        columns=ent_cols,
        types={
            "id": "ID(Entity)",
            "name": _STR,
            "kind": _STR,
            "jurisdiction": _STR,
            "ids": "string[]",
            "regimes": "string[]",
            "isins": "string[]",
            "h": _STR,
        },
        extra_labels=[KIND_LABELS[k] for k in kinds],
    )

    rels: list[RelSet] = []
    duplicates = 0

    def add_rels(
        name: str,
        rtype: str,
        end: tuple[str, str],
        src: list[str],
        dst: list[str],
        cols: dict[str, list[Any]],
        types: dict[str, str],
        key_fields: Sequence[str],
    ) -> None:
        nonlocal duplicates
        keys = [
            _hash((rtype, s, d, *vals))
            for s, d, *vals in zip(src, dst, *(cols[f] for f in key_fields), strict=True)
        ]
        hs = [_hash((k, *vals)) for k, *vals in zip(keys, *cols.values(), strict=True)]
        seen: set[str] = set()
        keep: list[int] = []
        for i, k in enumerate(keys):
            if k not in seen:
                seen.add(k)
                keep.append(i)
        duplicates += len(keys) - len(keep)
        if len(keep) == len(keys):
            pick: Callable[[list[Any]], list[Any]] = list
        else:
            def pick(values: list[Any]) -> list[Any]:
                return [values[i] for i in keep]
        columns = {"key": pick(keys), "h": pick(hs), **{c: pick(v) for c, v in cols.items()}}
        rels.append(
            RelSet(
                name=name,
                type=rtype,
                start=("Entity", "id"),
                end=end,
                src=pick(src),
                dst=pick(dst),
                columns=columns,
                types={"key": _STR, "h": _STR, **types},
            )
        )

    # -- ownership edges ----------------------------------------------------------------------------
    e_src = [ids[i] for i in _col(edges_t, "src")]
    e_dst = [ids[i] for i in _col(edges_t, "dst")]
    e_kind = [OWNERSHIP_KINDS[k] for k in _col(edges_t, "kind")]
    share_cols = _share_columns(_col(edges_t, "lo"), _col(edges_t, "hi"), _col(edges_t, "flags"))
    edge_cols: dict[str, list[Any]] = {
        **share_cols,
        "arrangement": _col(edges_t, "arrangement"),
        "start": _iso_dates(edges_t.column("start").to_numpy()),
        "end": _iso_dates(edges_t.column("end").to_numpy()),
        "source": _col(edges_t, "source"),
        "file": _files(_col(edges_t, "load_id"), paths),
        "locator": _col(edges_t, "locator"),
        "seq": _col(edges_t, "seq") if "seq" in edges_t.column_names else [None] * len(e_src),
    }
    edge_types = {
        "share": _STR,
        "share_min": "double",
        "share_max": "double",
        "ppm_lo": "long",
        "ppm_hi": "long",
        "arrangement": _STR,
        "start": _STR,
        "end": _STR,
        "source": _STR,
        "file": _STR,
        "locator": _STR,
        "seq": "long",
    }
    edge_key = ("share", "arrangement", "start", "end", "source", "locator")
    for okind, rtype in EDGE_TYPES.items():
        rows = [i for i, k in enumerate(e_kind) if k == okind]
        if not rows:
            continue
        add_rels(
            rtype.lower(),
            rtype,
            ("Entity", "id"),
            [e_src[i] for i in rows],
            [e_dst[i] for i in rows],
            {c: [v[i] for i in rows] for c, v in edge_cols.items()},
            edge_types,
            edge_key,
        )

    # -- designations -> regimes ----------------------------------------------------------------------
    if des.num_rows:
        d_cols: dict[str, list[Any]] = {"regime": des_regime, **designation_columns(des, paths)}
        add_rels(
            "designated",
            "DESIGNATED",
            ("Regime", "id"),
            [ids[i] for i in des_node],
            des_regime,
            d_cols,
            dict.fromkeys(d_cols, _STR),
            [c for c in d_cols if c != "file"],
        )

    # -- listings -> venues --------------------------------------------------------------------------
    mics: list[str | None] = _col(lis, "mic")
    with_mic = [i for i, m in enumerate(mics) if m]
    if len(with_mic) < len(mics):
        skipped["listings without a MIC (kept as Entity.isins)"] = len(mics) - len(with_mic)
    if with_mic:
        raw: dict[str, list[Any]] = {
            "ticker": _col(lis, "ticker"),
            "isin": _col(lis, "isin"),
            "listed": _iso_dates(lis.column("listed").to_numpy()),
            "delisted": _iso_dates(lis.column("delisted").to_numpy()),
            "source": _col(lis, "source"),
            "file": _files(_col(lis, "load_id"), paths),
            "locator": _col(lis, "locator"),
        }
        l_cols = {c: [v[i] for i in with_mic] for c, v in raw.items()}
        add_rels(
            "listed_on",
            "LISTED_ON",
            ("Venue", "mic"),
            [ids[lis_node[i]] for i in with_mic],
            [str(mics[i]) for i in with_mic],
            l_cols,
            dict.fromkeys(l_cols, _STR),
            [c for c in l_cols if c != "file"],
        )

    # -- holdings -------------------------------------------------------------------------------------
    hol = tables["holdings"]
    if hol.num_rows:
        h_holder: list[int] = _col(hol, "holder")
        h_node: list[int] = _col(hol, "node")
        resolved = [i for i, t in enumerate(h_node) if t >= 0]
        if len(resolved) < len(h_node):
            skipped["holdings of an unresolved security"] = len(h_node) - len(resolved)
        if resolved:
            hraw: dict[str, list[Any]] = {
                "isin": _col(hol, "isin"),
                "cusip": _col(hol, "cusip"),
                "shares": _col(hol, "shares"),
                "value": _col(hol, "value"),
                "weight": _col(hol, "weight"),
                "as_of": _iso_dates(hol.column("as_of").to_numpy()),
                "source": _col(hol, "source"),
                "file": _files(_col(hol, "load_id"), paths),
                "locator": _col(hol, "locator"),
            }
            h_cols = {c: [v[i] for i in resolved] for c, v in hraw.items()}
            h_types = dict.fromkeys(h_cols, _STR)
            h_types.update(shares="double", value="double", weight="double")
            add_rels(
                "holds",
                "HOLDS",
                ("Entity", "id"),
                [ids[h_holder[i]] for i in resolved],
                [ids[h_node[i]] for i in resolved],
                h_cols,
                h_types,
                [c for c in h_cols if c != "file"],
            )
    claims = tables.get("claims")
    if claims is not None and claims.num_rows:
        skipped["claims (names only; they stay in the workspace)"] = int(claims.num_rows)

    # -- venues and regimes actually used ----------------------------------------------------------
    used_mics = sorted({str(mics[i]) for i in with_mic})
    ven = tables["venues"]
    by_mic = {row["mic"]: row for row in ven.to_pylist()} if ven.num_rows else {}
    v_cols: dict[str, list[Any]] = {"mic": used_mics}
    venue_props = ("name", "country", "operating_mic", "status")
    for c in venue_props:
        v_cols[c] = [by_mic.get(m, {}).get(c) for m in used_mics]
    v_cols["h"] = [_hash(row) for row in zip(*v_cols.values(), strict=True)]
    venues = NodeSet(
        name="venues",
        label="Venue",
        key="mic",
        columns=v_cols,
        types={"mic": "ID(Venue)", **dict.fromkeys((*venue_props, "h"), _STR)},
    )
    used_regimes = sorted(set(des_regime), key=REGIME_IDS.index)
    regime_nodes = NodeSet(
        name="regimes",
        label="Regime",
        key="id",
        columns={"id": used_regimes, "h": [_hash((r,)) for r in used_regimes]},
        types={"id": "ID(Regime)", "h": _STR},
    )
    return PropertyGraph(
        nodes=[entities, venues, regime_nodes], rels=rels, duplicates=duplicates, skipped=skipped
    )


# -- Cypher for the push -------------------------------------------------------------------------------
# Labels, relationship types and property names below come from the constant maps and column
# lists above, never from data; every data value travels as a query parameter. Rows travel as
# lists, not maps: the pure-Python Bolt packer costs per value, and map keys are values too.


def _props(columns: Mapping[str, list[Any]], key: str) -> list[str]:
    return [c for c in columns if c not in (key, "h")]


def _sets(var: str, props: Sequence[str], first: int) -> str:
    """``SET`` items for ``h`` at ``r[first - 1]`` and each property from ``r[first]`` on."""
    items = [f"{var}.h = r[{first - 1}]"]
    items.extend(f"{var}.`{p}` = r[{first + j}]" for j, p in enumerate(props))
    return ", ".join(items)


def _node_diff_query(ns: NodeSet) -> str:
    """Keys (of ``[key, h]`` rows) whose node is missing or differs."""
    return (
        f"UNWIND $rows AS r OPTIONAL MATCH (n:{ns.label} {{{ns.key}: r[0]}}) "
        "WITH r, n WHERE NOT coalesce(n.h = r[1], false) RETURN collect(r[0]) AS stale"
    )


def _node_write_query(ns: NodeSet, extra_label: str | None) -> str:
    """MERGE ``[key, h, *props]`` rows, replacing the kind label when there is one."""
    label_ops = ""
    if extra_label is not None:
        others = [lab for lab in KIND_LABELS.values() if lab != extra_label]
        label_ops = f"REMOVE n:{':'.join(others)} SET n:{extra_label} "
    return (
        f"UNWIND $rows AS r MERGE (n:{ns.label} {{{ns.key}: r[0]}}) {label_ops}"
        f"SET {_sets('n', _props(ns.columns, ns.key), 2)} RETURN count(n) AS n"
    )


def _rel_diff_query(rs: RelSet) -> str:
    """Keys (of ``[src, dst, key, h]`` rows) whose relationship is missing or differs."""
    (sl, sk), (el, ek) = rs.start, rs.end
    return (
        f"UNWIND $rows AS r OPTIONAL MATCH (:{sl} {{{sk}: r[0]}})-[x:{rs.type} {{key: r[2]}}]->"
        f"(:{el} {{{ek}: r[1]}}) WITH r, x WHERE NOT coalesce(x.h = r[3], false) "
        "RETURN collect(r[2]) AS stale"
    )


def _rel_write_query(rs: RelSet) -> str:
    """MERGE ``[src, dst, key, h, *props]`` rows between existing nodes."""
    (sl, sk), (el, ek) = rs.start, rs.end
    return (
        f"UNWIND $rows AS r MATCH (a:{sl} {{{sk}: r[0]}}) MATCH (b:{el} {{{ek}: r[1]}}) "
        f"MERGE (a)-[x:{rs.type} {{key: r[2]}}]->(b) SET {_sets('x', _props(rs.columns, 'key'), 4)} "
        "RETURN count(x) AS n"
    )


def _node_compact(ns: NodeSet, idx: Sequence[int]) -> list[list[Any]]:
    keys, hs = ns.columns[ns.key], ns.columns["h"]
    return [[keys[i], hs[i]] for i in idx]


def _rel_compact(rs: RelSet, idx: Sequence[int]) -> list[list[Any]]:
    keys, hs = rs.columns["key"], rs.columns["h"]
    return [[rs.src[i], rs.dst[i], keys[i], hs[i]] for i in idx]


def _node_rows(ns: NodeSet, idx: Sequence[int]) -> list[list[Any]]:
    cols = [ns.columns[ns.key], ns.columns["h"], *(ns.columns[c] for c in _props(ns.columns, ns.key))]
    return [[c[i] for c in cols] for i in idx]


def _rel_rows(rs: RelSet, idx: Sequence[int]) -> list[list[Any]]:
    cols = [rs.src, rs.dst, rs.columns["key"], rs.columns["h"]]
    cols.extend(rs.columns[c] for c in _props(rs.columns, "key"))
    return [[c[i] for c in cols] for i in idx]


# -- connections and errors ----------------------------------------------------------------------------


def _one_line(text: str, limit: int = 240) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _engine_error(exc: BaseException, uri: str, database: str, user: str | None) -> EngineError:
    """One clear line, naming the URI and the fix, for a driver or server error."""
    from neo4j.exceptions import (
        AuthError,
        ConfigurationError,
        DriverError,
        Neo4jError,
        ServiceUnavailable,
        SessionExpired,
    )

    if isinstance(exc, AuthError) or (
        isinstance(exc, Neo4jError) and (exc.code or "").startswith("Neo.ClientError.Security.")
    ):
        who = f"the credentials of user {user!r}" if user else "a connection without credentials"
        code = exc.code if isinstance(exc, Neo4jError) else None
        if code == "Neo.ClientError.Security.CredentialsExpired":
            return EngineError(
                f"Neo4j at {uri}: the password of user {user!r} has expired; change it once with"
                " cypher-shell (ALTER CURRENT USER SET PASSWORD ...) and pass the new --password"
            )
        if code == "Neo.ClientError.Security.Forbidden":
            return EngineError(
                f"Neo4j at {uri} refused: user {user!r} may not do this on database {database!r}"
                " (grant write rights or use another --user)"
            )
        return EngineError(
            f"Neo4j at {uri} rejected {who}: pass the right --user/--password (or NEO4J_USER/NEO4J_PASSWORD)"
        )
    if isinstance(exc, Neo4jError) and exc.code == _DATABASE_NOT_FOUND:
        return EngineError(
            f"database {database!r} does not exist on {uri}: pass --database with an existing one"
            " (SHOW DATABASES; Community has only 'neo4j') or CREATE DATABASE it"
        )
    if isinstance(exc, (ServiceUnavailable, SessionExpired, OSError)):
        text = str(exc)
        m = re.search(r"\(reason ([^)]*)\)", text)
        reason = m.group(1) if m else text
        return EngineError(
            f"cannot reach Neo4j at {uri} ({_one_line(reason, 120)}): start the server or fix"
            " --uri (or NEO4J_URI)"
        )
    if isinstance(exc, Neo4jError):
        msg = _one_line(exc.message or str(exc))
        return EngineError(f"Neo4j at {uri} (database {database!r}) refused the query: {exc.code}: {msg}")
    if isinstance(exc, (ConfigurationError, ValueError)):
        return EngineError(
            f"cannot use Neo4j URI {uri!r}: {_one_line(str(exc), 160)} (write e.g. bolt://localhost:7687"
            " or neo4j+s://xxxx.databases.neo4j.io)"
        )
    if isinstance(exc, DriverError):
        return EngineError(f"Neo4j driver error talking to {uri}: {_one_line(str(exc))}")
    return EngineError(f"Neo4j at {uri}: {_one_line(str(exc))}")


def check_server_version(version: str, uri: str) -> None:
    """Raise :class:`EngineError` unless ``version`` (e.g. ``5.26.30``, ``2025.08.0``) is >= 5.0."""
    m = re.match(r"\s*(\d+)", version or "")
    if m is None:
        raise EngineError(f"Neo4j at {uri} reports an unreadable version {version!r}; expected 5.x or 2025+")
    if int(m.group(1)) < MIN_SERVER_MAJOR:
        raise EngineError(
            f"Neo4j {version} at {uri} is too old: ownergraph needs Neo4j {MIN_SERVER_MAJOR}.0 or later"
            " (5.26 LTS or 2025.x); upgrade the server or point --uri at a newer one"
        )


class _Conn:
    """A verified driver on one database; every call turns driver errors into EngineError."""

    def __init__(self, driver: Driver, uri: str, database: str, user: str | None) -> None:
        self.driver = driver
        self.uri = uri
        self.database = database
        self.user = user
        self.version = ""
        self.edition = ""

    def run(self, query: str, params: Mapping[str, Any] | None = None, *, read: bool = False) -> EagerResult:
        from neo4j import RoutingControl
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            return self.driver.execute_query(
                query,
                parameters_=dict(params or {}),
                database_=self.database,
                routing_=RoutingControl.READ if read else RoutingControl.WRITE,
            )
        except (DriverError, Neo4jError, OSError) as e:
            raise _engine_error(e, self.uri, self.database, self.user) from None


@contextmanager
def _connect(
    uri: str, user: str | None, password: str | None, database: str
) -> Iterator[_Conn]:
    """Open a driver, check connectivity, credentials, the database and the server version."""
    from neo4j import GraphDatabase, NotificationMinimumSeverity
    from neo4j.exceptions import DriverError, Neo4jError

    scheme = uri.partition("://")[0].lower() if "://" in uri else ""
    if scheme not in _SCHEMES:
        raise EngineError(
            f"cannot use Neo4j URI {uri!r}: ownergraph speaks Bolt; write bolt://host:7687, neo4j://host"
            " or neo4j+s://xxxx.databases.neo4j.io"
        )
    auth: tuple[str, str] | None = None
    if user is not None or password is not None:
        auth = (user or "neo4j", password or "")
    try:
        driver = GraphDatabase.driver(
            uri,
            auth=auth,
            connection_timeout=10.0,
            connection_acquisition_timeout=60.0,
            warn_notification_severity=NotificationMinimumSeverity.OFF,
        )
    except (DriverError, Neo4jError, ValueError, OSError) as e:
        raise _engine_error(e, uri, database, user) from None
    with driver:
        try:
            # fails fast: execute_query would retry an unreachable server for 30 s
            driver.verify_connectivity()
        except (DriverError, Neo4jError, OSError) as e:
            raise _engine_error(e, uri, database, user) from None
        conn = _Conn(driver, uri, database, user)
        records = conn.run(
            "CALL dbms.components() YIELD name, versions, edition "
            "RETURN name, versions[0] AS version, edition",
            read=True,
        ).records
        kernel = next((r for r in records if r["name"] == "Neo4j Kernel"), records[0] if records else None)
        conn.version = str(kernel["version"]) if kernel else ""
        conn.edition = str(kernel["edition"]) if kernel else ""
        check_server_version(conn.version, uri)
        yield conn


# -- push -----------------------------------------------------------------------------------------------


class PushReport(BaseModel):
    """What a push did and what the database holds afterwards."""

    model_config = ConfigDict(frozen=True)

    uri: str
    database: str
    server_version: str
    replaced: bool
    nodes: dict[str, int]
    """Workspace nodes by label (all present in the database after the push)."""
    relationships: dict[str, int]
    """Workspace relationships by type."""
    written: int
    """Nodes and relationships created or changed (0 when pushing the same workspace again)."""
    nodes_created: int
    relationships_created: int
    properties_set: int
    deleted_nodes: int = 0
    deleted_relationships: int = 0
    stale_nodes: int = 0
    """Nodes with ownergraph's labels in the database but not in this workspace (an older push)."""
    stale_relationships: int = 0
    duplicates: int = 0
    skipped: dict[str, int] = {}
    seconds: float
    relationships_per_second: float


def _clear(conn: _Conn, batch: int) -> tuple[int, int]:
    """Delete ownergraph's nodes and their relationships in batches; other data is untouched."""
    rels = nodes = 0
    present, _ = _tokens(conn)
    for label in (lab for lab in ("Entity", "Venue", "Regime") if lab in present):
        while True:
            c = conn.run(f"MATCH (:{label})-[r]->() WITH r LIMIT $n DELETE r", {"n": batch})
            rels += c.summary.counters.relationships_deleted
            if c.summary.counters.relationships_deleted == 0:
                break
        while True:
            c = conn.run(f"MATCH (x:{label}) WITH x LIMIT $n DETACH DELETE x", {"n": batch})
            nodes += c.summary.counters.nodes_deleted
            rels += c.summary.counters.relationships_deleted
            if c.summary.counters.nodes_deleted == 0:
                break
    return nodes, rels


_REL_TYPES: Final = (*EDGE_TYPES.values(), "DESIGNATED", "LISTED_ON", "HOLDS")


def _tokens(conn: _Conn) -> tuple[set[str], set[str]]:
    """Labels and relationship types in use in the database."""
    res = conn.run("CALL db.labels() YIELD label RETURN label AS x", read=True)
    labels = {str(r["x"]) for r in res.records}
    types = {
        str(r["x"])
        for r in conn.run(
            "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType AS x", read=True
        ).records
    }
    return labels, types


def _db_counts(conn: _Conn) -> tuple[dict[str, int], dict[str, int]]:
    """ownergraph's nodes by label and relationships (from an ``:Entity``) by type.

    Only labels and types in use are counted: a query naming a missing one draws a server
    notification (which the driver logs as a warning).
    """
    labels, types = _tokens(conn)
    nodes: dict[str, int] = {
        lab: int(conn.run(f"MATCH (n:{lab}) RETURN count(n) AS c", read=True).records[0]["c"])
        for lab in ("Entity", "Venue", "Regime")
        if lab in labels
    }
    rels = {
        t: int(conn.run(f"MATCH (:Entity)-[r:{t}]->() RETURN count(r) AS c", read=True).records[0]["c"])
        for t in _REL_TYPES
        if t in types
    }
    return nodes, rels


def push(
    ws_or_tables: Any,
    uri: str,
    *,
    user: str | None = None,
    password: str | None = None,
    database: str = "neo4j",
    replace: bool = False,
    batch: int = 10_000,
    progress: Progress | None = None,
    load_paths: Mapping[int, str] | None = None,
) -> PushReport:
    """Write a workspace (or its cache tables) into Neo4j; return what was written.

    Idempotent: nodes MERGE on ``id`` (``mic`` for venues), relationships on ``key``. Each batch
    first asks which of its rows are missing or differ (by ``h``) and writes only those, so
    pushing the same workspace again sends little and writes nothing. ``replace`` first deletes
    every ``:Entity``, ``:Venue`` and ``:Regime`` node with its relationships, so the database
    mirrors the workspace exactly. Batches are separate transactions: an interrupted push
    leaves a partial graph that the next push completes. Raises :class:`EngineError` (one line)
    for any server problem and when the final count check fails. The workspace is only read.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    graph = property_graph(ws_or_tables, load_paths=load_paths)
    total = sum(len(ns) for ns in graph.nodes) + sum(len(rs) for rs in graph.rels)
    done = written = nodes_created = rels_created = props_set = 0
    deleted_nodes = deleted_rels = 0
    with _connect(uri, user, password, database) as conn:
        started = time.perf_counter()
        for stmt in SCHEMA_STATEMENTS:
            conn.run(stmt)
        if replace:
            if progress:
                progress(0, total, "clearing")
            deleted_nodes, deleted_rels = _clear(conn, batch)
            labels: set[str] = set()
            types: set[str] = set()
        else:  # a label or type not in use has nothing to compare with (and MATCHing it draws a notice)
            labels, types = _tokens(conn)

        def write(
            diff_query: str | None,
            write_query: str,
            compact: Callable[[Sequence[int]], list[list[Any]]],
            full: Callable[[Sequence[int]], list[list[Any]]],
            idx: Sequence[int],
            key_of: Callable[[int], str],
            stage: str,
        ) -> None:
            nonlocal done, written, nodes_created, rels_created, props_set
            todo = list(idx)
            if diff_query is not None:
                stale = set(conn.run(diff_query, {"rows": compact(idx)}, read=True).records[0]["stale"])
                todo = [i for i in idx if key_of(i) in stale]
            if todo:
                res = conn.run(write_query, {"rows": full(todo)})
                n = int(res.records[0]["n"])
                if n != len(todo):
                    raise EngineError(
                        f"Neo4j at {uri}: only {n} of {len(todo)} {stage} rows were written (their"
                        " nodes vanished during the push?); run the push again"
                    )
                cnt = res.summary.counters
                nodes_created += cnt.nodes_created
                rels_created += cnt.relationships_created
                props_set += cnt.properties_set
                written += len(todo)
            done += len(idx)
            if progress:
                progress(done, total, stage)

        for ns in graph.nodes:
            groups: dict[str | None, list[int]] = {}
            extra = ns.extra_labels
            for i in range(len(ns)):
                groups.setdefault(extra[i] if extra else None, []).append(i)
            node_keys = ns.columns[ns.key]
            diff = _node_diff_query(ns) if ns.label in labels else None
            for label, idx in groups.items():
                query = _node_write_query(ns, label)
                for b in range(0, len(idx), batch):
                    write(
                        diff,
                        query,
                        partial(_node_compact, ns),
                        partial(_node_rows, ns),
                        idx[b : b + batch],
                        node_keys.__getitem__,
                        f":{ns.label}",
                    )
        rel_started = time.perf_counter()
        for rs in graph.rels:
            rel_keys = rs.columns["key"]
            diff = _rel_diff_query(rs) if rs.type in types else None
            query = _rel_write_query(rs)
            for b in range(0, len(rs), batch):
                write(
                    diff,
                    query,
                    partial(_rel_compact, rs),
                    partial(_rel_rows, rs),
                    range(b, min(b + batch, len(rs))),
                    rel_keys.__getitem__,
                    f":{rs.type}",
                )
        rel_seconds = time.perf_counter() - rel_started
        # -- final count check ------------------------------------------------------------------
        want_nodes, want_rels = graph.node_counts(), graph.rel_counts()
        have_nodes, have_rels = _db_counts(conn)
        stale_nodes = stale_rels = 0
        for what, want, have in (("nodes", want_nodes, have_nodes), ("relationships", want_rels, have_rels)):
            for name in sorted(set(want) | set(have)):
                w, h = want.get(name, 0), have.get(name, 0)
                if h < w or (replace and h != w):
                    raise EngineError(
                        f"count check failed on {uri} (database {database!r}): {h:,} {name} {what}"
                        f" in Neo4j, {w:,} in the workspace; another writer may be active — push again"
                        " with --replace"
                    )
                if what == "nodes":
                    stale_nodes += h - w
                else:
                    stale_rels += h - w
        seconds = time.perf_counter() - started
        n_rels = sum(want_rels.values())
        return PushReport(
            uri=uri,
            database=database,
            server_version=conn.version,
            replaced=replace,
            nodes=want_nodes,
            relationships=want_rels,
            written=written,
            nodes_created=nodes_created,
            relationships_created=rels_created,
            properties_set=props_set,
            deleted_nodes=deleted_nodes,
            deleted_relationships=deleted_rels,
            stale_nodes=stale_nodes,
            stale_relationships=stale_rels,
            duplicates=graph.duplicates,
            skipped=graph.skipped,
            seconds=round(seconds, 3),
            relationships_per_second=round(n_rels / rel_seconds, 1) if rel_seconds > 0 else 0.0,
        )


def ensure_schema(
    uri: str, *, user: str | None = None, password: str | None = None, database: str = "neo4j"
) -> None:
    """Create ownergraph's constraints and indexes (e.g. after ``neo4j-admin database import``)."""
    with _connect(uri, user, password, database) as conn:
        for stmt in SCHEMA_STATEMENTS:
            conn.run(stmt)


# -- cypher ----------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A driver value as plain JSON-ready Python: nodes and relationships become dicts."""
    from neo4j.graph import Node, Path, Relationship

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Node):
        return {"_labels": sorted(value.labels), **{k: _plain(v) for k, v in value.items()}}
    if isinstance(value, Relationship):
        return {
            "_type": value.type,
            "_start": _node_key(value.start_node),
            "_end": _node_key(value.end_node),
            **{k: _plain(v) for k, v in value.items()},
        }
    if isinstance(value, Path):
        return {
            "nodes": [_plain(n) for n in value.nodes],
            "relationships": [_plain(r) for r in value.relationships],
        }
    iso = getattr(value, "iso_format", None)  # neo4j.time Date/DateTime/Time/Duration (a tuple)
    if callable(iso):
        return str(iso())
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return str(value)


def _node_key(node: Any) -> Any:
    if node is None:
        return None
    for k in ("id", "mic"):
        v = node.get(k)
        if v is not None:
            return v
    return node.element_id


def cypher(
    uri: str,
    query: str,
    params: Mapping[str, Any] | None = None,
    *,
    user: str | None = None,
    password: str | None = None,
    database: str = "neo4j",
    read_only: bool = False,
) -> list[dict[str, Any]]:
    """Run one Cypher query (parameters as ``$name``) and return its rows as plain dicts.

    Nodes become ``{"_labels": [...], **properties}``, relationships ``{"_type", "_start",
    "_end", **properties}`` (endpoints by ``id``/``mic``), paths ``{"nodes", "relationships"}``
    and temporal values ISO strings. ``read_only`` routes the query to a reader.
    """
    with _connect(uri, user, password, database) as conn:
        res = conn.run(query, params, read=read_only)
        return [{k: _plain(rec[k]) for k in res.keys} for rec in res.records]
