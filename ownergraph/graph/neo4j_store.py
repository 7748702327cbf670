"""The Neo4j engine's storage side: the workspace as a property graph, pushed over Bolt.

:func:`property_graph` maps the columnar cache to labelled nodes and typed relationships
(the schema is documented in ``docs/neo4j-schema.md``); it needs no driver, and the
``neo4j-csv`` exporter (:mod:`ownergraph.graph.export`) writes the very same rows, so a store
built by ``neo4j-admin database import`` and one built by :func:`push` hold identical data.

:func:`push` writes that graph idempotently: constraints and indexes first, then UNWIND batches
keyed on the id of every node and on the ``key`` (a content hash) of every relationship. Each
node and relationship also stores ``h``, a hash of its properties; a row whose ``h`` is
unchanged is not written at all, a row the database lacks is ``CREATE``d and one that differs
is ``MERGE``d, so a second push of the same workspace changes nothing (no created nodes or
relationships, no properties set). A final count check compares
the database with the workspace. :func:`cypher` runs one query and returns plain dicts.

Every problem with the server (down, wrong credentials, missing database, older than 5.0, a
refused query) is raised as one :class:`~ownergraph.errors.EngineError` line naming the URI and
the fix. Pushing never writes the workspace. The ``neo4j`` driver is imported only when a
server is contacted, so building rows and exporting CSV work without it.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import xxhash
from pydantic import BaseModel, ConfigDict

from ownergraph.errors import EngineError
from ownergraph.graph.cache import NO_DATE_HI, NO_DATE_LO
from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS, REGIME_IDS
from ownergraph.graph.shares import share_text

if TYPE_CHECKING:
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
# Columns are Arrow arrays, built column-at-a-time from the cache's Arrow tables: a 1M-entity
# workspace held as Python lists of values cost 2.6 GB in the push (one object per value); as
# Arrow it is a few hundred MB, and push converts one batch at a time to Python while the CSV
# export writes the arrays directly with pyarrow's CSV writer.


@dataclass(frozen=True)
class NodeSet:
    """Nodes of one primary label; ``columns`` are property values, one Arrow array per property.

    ``columns`` holds the key property first (``id`` or ``mic``) and ``h`` last; ``types``
    gives each column's ``neo4j-admin import`` type; ``extra_labels`` is the per-row second
    label (entities: their kind) or None.
    """

    name: str
    label: str
    key: str
    columns: dict[str, pa.Array]
    types: dict[str, str]
    extra_labels: pa.Array | None = None

    def __len__(self) -> int:
        return len(self.columns[self.key])


@dataclass(frozen=True)
class RelSet:
    """Relationships of one type from ``start`` (label, key property) to ``end``.

    ``src``/``dst`` are the endpoints' key values; ``columns`` holds ``key`` first, ``h``
    second, then the other properties (Arrow arrays, like :class:`NodeSet`).
    """

    name: str
    type: str
    start: tuple[str, str]
    end: tuple[str, str]
    src: pa.Array
    dst: pa.Array
    columns: dict[str, pa.Array]
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


def cache_source(
    ws_or_tables: Any, load_paths: Mapping[int, str] | None
) -> tuple[dict[str, Any], dict[int, str]]:
    """The cache tables and load paths of a workspace, or tables given directly."""
    if isinstance(ws_or_tables, Mapping):
        return dict(ws_or_tables), dict(load_paths or {})
    if hasattr(ws_or_tables, "tables") and hasattr(ws_or_tables, "store"):
        tables = ws_or_tables.tables()
        paths = dict(load_paths) if load_paths is not None else ws_or_tables.store.load_paths()
        return tables, paths
    raise TypeError(f"expected a Workspace or a mapping of cache tables, not {type(ws_or_tables).__name__}")


def _arr(table: pa.Table, name: str) -> pa.Array:
    """One column of a cache table as a single Arrow array."""
    col = table.column(name)
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _ints(table: pa.Table, name: str) -> npt.NDArray[np.int64]:
    return np.asarray(_arr(table, name).to_numpy(zero_copy_only=False), dtype=np.int64)


def pylist(table: pa.Table, name: str) -> list[Any]:
    """One column of a cache table as a Python list."""
    return list(table.column(name).to_pylist())


def _names(names: Sequence[str], codes: npt.NDArray[np.int64]) -> pa.Array:
    """Code columns (entity kind, regime, ownership kind) as their names."""
    return pa.array(names, pa.string()).take(pa.array(codes))


def _iso_date_array(days: Any) -> pa.Array:
    """Cache day numbers as ISO strings, null for the open sentinels."""
    arr = np.asarray(days, dtype=np.int64)
    open_ = (arr == int(NO_DATE_LO)) | (arr == int(NO_DATE_HI))
    safe = np.where(open_, 0, arr).astype(np.int32)
    return pa.array(safe, pa.int32(), mask=open_).cast(pa.date32()).cast(pa.string())


def iso_dates(days: npt.NDArray[np.int32]) -> list[str | None]:
    """Cache day numbers as ISO strings, None for the open sentinels."""
    return list(_iso_date_array(days).to_pylist())


def _file_array(load_ids: pa.Array, paths: Mapping[int, str]) -> pa.Array:
    """The loaded file of each record (by load id), null when unknown."""
    known = sorted(paths)
    where = pc.index_in(load_ids.cast(pa.int64()), value_set=pa.array(known, pa.int64()))
    return pa.array([paths[k] for k in known], pa.string()).take(where)


def _provenance_arrays(t: pa.Table, paths: Mapping[int, str]) -> dict[str, pa.Array]:
    """A record table's provenance as pushed and exported: ``source``, ``file`` (the loaded file
    of its load id) and ``locator``."""
    return {
        "source": _arr(t, "source"),
        "file": _file_array(_arr(t, "load_id"), paths),
        "locator": _arr(t, "locator"),
    }


def provenance_columns(t: pa.Table, paths: Mapping[int, str]) -> dict[str, list[Any]]:
    """:func:`_provenance_arrays` as Python lists (the JSON and FtM exports)."""
    return {c: v.to_pylist() for c, v in _provenance_arrays(t, paths).items()}


def _designation_arrays(des: pa.Table, paths: Mapping[int, str]) -> dict[str, pa.Array]:
    return {
        "list": _arr(des, "list"),
        "program": _arr(des, "program"),
        "listed": _iso_date_array(_ints(des, "listed")),
        "effective": _iso_date_array(_ints(des, "effective")),
        "removed": _iso_date_array(_ints(des, "removed")),
        "reference": _arr(des, "reference"),
        **_provenance_arrays(des, paths),
    }


def designation_columns(des: pa.Table, paths: Mapping[int, str]) -> dict[str, list[Any]]:
    """The cache's designation table as record columns (list, programme, ISO dates, source, file,
    locator) — what push and the exports write for each designation."""
    return {c: list(v.to_pylist()) for c, v in _designation_arrays(des, paths).items()}


def _share_arrays(lo: Any, hi: Any, flags: Any) -> dict[str, pa.Array]:
    """``share`` (interval string), ``share_min``/``share_max`` (percent) and ``ppm_lo``/``ppm_hi``
    (exact parts per million); all but ``share`` are null when the share is unknown.

    The text is built once per distinct (lo, hi, flags): a realistic 1.5M-edge graph has a few
    thousand distinct shares.
    """
    lo_n = np.asarray(lo, dtype=np.int64)
    hi_n = np.asarray(hi, dtype=np.int64)
    fl = np.asarray(flags, dtype=np.int64) & 0xFF
    codes = pa.array((lo_n << 32) | (hi_n << 8) | fl).dictionary_encode()  # a hash table, not a sort
    texts = [share_text(c >> 32, (c >> 8) & 0xFFFFFF, c & 0xFF) for c in codes.dictionary.to_pylist()]
    unknown = (fl & 4) != 0
    return {
        "share": pa.array(texts, pa.string()).take(codes.indices),
        "share_min": pa.array(lo_n / 10_000, pa.float64(), mask=unknown),
        "share_max": pa.array(hi_n / 10_000, pa.float64(), mask=unknown),
        "ppm_lo": pa.array(lo_n, pa.int64(), mask=unknown),
        "ppm_hi": pa.array(hi_n, pa.int64(), mask=unknown),
    }


def share_lists(lo: list[int], hi: list[int], flags: list[int]) -> dict[str, list[Any]]:
    """:func:`_share_arrays` as Python lists."""
    return {c: list(v.to_pylist()) for c, v in _share_arrays(lo, hi, flags).items()}


_NUMBER: Final = np.dtype([("valid", "u1"), ("value", "<i8")])
"""A number's canonical bytes: 1 if present, then its 8 little-endian bytes (0 for null)."""


def _canon_parts(arr: pa.Array) -> list[pa.Array]:
    """Each value as unambiguous bytes for hashing, as binary arrays (no nulls) to concatenate.

    A number (integer or float) is 9 fixed bytes (:data:`_NUMBER`); any other value is its
    length (4 bytes, little-endian int32; -1 for null) then its UTF-8 bytes, a list's bytes
    being its elements' canonical bytes. Every value is self-delimiting, so a row's canonical
    bytes are its columns' concatenated; no text is formatted, escaped or scanned.
    """
    n = len(arr)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        wide = arr.cast(pa.float64() if pa.types.is_floating(arr.type) else pa.int64())
        rec = np.empty(n, _NUMBER)
        rec["valid"] = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=np.uint8)
        rec["value"] = np.asarray(pc.fill_null(wide, 0).to_numpy()).view(np.int64)
        return [_fixed_width(rec.tobytes(), n, _NUMBER.itemsize)]
    if pa.types.is_list(arr.type):
        offsets = pc.subtract(arr.offsets, arr.offsets[0])
        inner = pa.ListArray.from_arrays(offsets, _canon(arr.flatten()), mask=arr.is_null())
        data = pc.binary_join(inner, pa.scalar(b"", pa.binary()))
    elif pa.types.is_binary(arr.type):
        data = arr
    else:
        data = (arr if pa.types.is_string(arr.type) else arr.cast(pa.string())).view(pa.binary())
    lengths = np.asarray(pc.fill_null(pc.binary_length(data), -1).to_numpy(), dtype="<i4")
    if data.null_count:
        data = pc.fill_null(data, pa.scalar(b"", pa.binary()))
    return [_fixed_width(lengths.tobytes(), n, 4), data]


def _fixed_width(raw: bytes, n: int, width: int) -> pa.Array:
    """``n`` values of ``width`` bytes each, laid end to end in ``raw``, as a binary array."""
    offsets = np.arange(0, width * (n + 1), width, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(raw)])


def _canon(arr: pa.Array) -> pa.Array:
    """:func:`_canon_parts` of ``arr`` joined into one binary value per row."""
    parts = _canon_parts(arr)
    return parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, pa.scalar(b"", pa.binary()))


_HASH_CHUNK: Final = 1 << 17
_DIGEST_BYTES: Final = 16
"""XXH3-128's digest; ``key`` and ``h`` keep its first ``_HASH_BYTES``."""


def _digests(columns: Sequence[pa.Array | str]) -> bytes:
    """The XXH3-128 digest (xxhash) of each row's canonical bytes (its columns'
    :func:`_canon_parts`, concatenated), concatenated; a ``str`` column is one value for every row.

    One C call per row from :func:`map`: about 4x less than hashlib's blake2b, whose per-call
    setup cost a microsecond. Only one chunk's bytes are ever Python objects.
    """
    n = next(len(c) for c in columns if not isinstance(c, str))
    const = {
        i: pa.scalar(_canon(pa.array([c], pa.string()))[0].as_py(), pa.binary())
        for i, c in enumerate(columns)
        if isinstance(c, str)
    }
    empty = pa.scalar(b"", pa.binary())
    out: list[bytes] = []
    for b in range(0, n, _HASH_CHUNK):
        parts = [
            p
            for i, c in enumerate(columns)
            for p in ([const[i]] if isinstance(c, str) else _canon_parts(c.slice(b, _HASH_CHUNK)))
        ]
        rows = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, empty)
        out.append(b"".join(map(xxhash.xxh3_128_digest, rows.to_pylist())))
    return b"".join(out)


def _short(digests: bytes) -> bytes:
    """Each :data:`_DIGEST_BYTES`-byte digest cut to its first ``_HASH_BYTES`` (80 bits)."""
    return np.frombuffer(digests, np.uint8).reshape(-1, _DIGEST_BYTES)[:, :_HASH_BYTES].tobytes()


def _first_rows(digests: bytes) -> npt.NDArray[np.int64]:
    """The rows (ascending) holding the first occurrence of each distinct ``_HASH_BYTES``-byte
    digest in ``digests``.

    pandas' hash table on the digests' first 8 bytes finds the repeats (0.6 s for 6M rows against
    3.5 s for :func:`numpy.unique` of the 10-byte strings); each repeat is then checked against
    the row it repeats on all 10 bytes, and a mere 64-bit prefix collision (about one in 10^6 at
    6M rows) falls back to the exact sort.
    """
    import pandas as pd  # not at import time: the CLI starts without it

    rows = np.frombuffer(digests, np.uint8).reshape(-1, _HASH_BYTES)
    prefix = pd.Index(np.ascontiguousarray(rows[:, :8]).view("<u8").ravel())
    repeat = np.asarray(prefix.duplicated(keep="first"), dtype=bool)
    keep = np.flatnonzero(~repeat)
    if repeat.any():
        again = np.flatnonzero(repeat)
        first = keep[prefix[keep].get_indexer(prefix[again])]
        if not np.array_equal(rows[again], rows[first]):
            _, exact = np.unique(np.frombuffer(digests, dtype=f"S{_HASH_BYTES}"), return_index=True)
            return np.sort(exact).astype(np.int64)
    return keep.astype(np.int64)


def _hex(digests: bytes) -> pa.Array:
    """Concatenated digests as an Arrow array of hex strings, built without a Python str per row."""
    width = 2 * _HASH_BYTES
    n = len(digests) // _HASH_BYTES
    offsets = np.arange(0, width * (n + 1), width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(digests.hex().encode()))


def _hash_array(columns: Sequence[pa.Array]) -> pa.Array:
    """A short content hash (hex) of each row of ``columns``."""
    return _hex(_short(_digests(columns)))


def _grouped_lists(
    node: npt.NDArray[np.int64], values: pa.Array, n: int, *, first: pa.Array | None = None
) -> pa.Array:
    """Per node 0..n-1, the sorted distinct non-null ``values`` of its rows (``node`` < 0 ignored),
    null when there are none; with ``first``, each list starts with ``first[node]`` (then the
    other values, sorted, without it)."""
    ok = (node >= 0) & ~np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    t = pa.table({"node": node[ok], "o": np.ones(int(ok.sum()), np.int8), "v": values.filter(pa.array(ok))})
    t = t.group_by(["node", "o", "v"], use_threads=False).aggregate([])
    if first is not None:
        t = t.filter(pc.not_equal(t["v"], first.take(t["node"])))
        head = pa.table({"node": np.arange(n, dtype=np.int64), "o": np.zeros(n, np.int8), "v": first})
        t = pa.concat_tables([head, t.select(["node", "o", "v"])])
    t = t.sort_by([("node", "ascending"), ("o", "ascending"), ("v", "ascending")])
    counts = np.bincount(np.asarray(t["node"].to_numpy(), dtype=np.int64), minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(
        pa.array(offsets), t["v"].combine_chunks(), mask=pa.array(counts == 0) if first is None else None
    )


_STR = "string"


def _rel_set(
    name: str,
    rtype: str,
    end: tuple[str, str],
    src: pa.Array,
    dst: pa.Array,
    cols: dict[str, pa.Array],
    types: dict[str, str],
    key_fields: Sequence[str],
) -> tuple[RelSet, int]:
    """Relationships with their ``key`` (type, endpoints and ``key_fields``) and ``h`` (all
    properties); rows with a key seen before are dropped. Returns the set and the drop count."""
    n = len(src)
    # h hashes the key's full digest with the properties outside the key, so the key's
    # columns (the long texts) are copied and hashed once
    full = _digests([rtype, src, dst, *(cols[f] for f in key_fields)])
    raw = _short(full)
    others = [v for c, v in cols.items() if c not in key_fields]
    h = _hex(_short(_digests([_fixed_width(full, n, _DIGEST_BYTES), *others])))
    del full
    keep = _first_rows(raw)
    key_arr = _hex(raw)
    del raw
    columns = {"key": key_arr, "h": h, **cols}
    if len(keep) < n:
        take = pa.array(keep)
        columns = {c: v.take(take) for c, v in columns.items()}
        src, dst = src.take(take), dst.take(take)
    rs = RelSet(
        name=name,
        type=rtype,
        start=("Entity", "id"),
        end=end,
        src=src,
        dst=dst,
        columns=columns,
        types={"key": _STR, "h": _STR, **types},
    )
    return rs, n - len(keep)


def property_graph(ws_or_tables: Any, *, load_paths: Mapping[int, str] | None = None) -> PropertyGraph:
    """Map a workspace (or its cache tables) to the nodes and relationships Neo4j holds.

    Every record of the workspace is included, whatever its dates: queries filter by date.
    Lists that would be empty are null (no property), as ``neo4j-admin import`` does.
    """
    tables, paths = cache_source(ws_or_tables, load_paths)
    nodes_t, keys_t, edges_t = tables["nodes"], tables["keys"], tables["edges"]
    ids = _arr(nodes_t, "id")
    n = len(ids)
    skipped: dict[str, int] = {}

    # -- entity nodes ---------------------------------------------------------------------------
    all_ids = _grouped_lists(_ints(keys_t, "node"), _arr(keys_t, "key"), n, first=ids)
    des = tables["designations"]
    des_node = _ints(des, "node")
    des_regime = _names(REGIME_IDS, _ints(des, "regime"))
    lis = tables["listings"]
    lis_node = _ints(lis, "node")
    kinds = _names(ENTITY_KINDS, _ints(nodes_t, "kind"))
    ent_cols: dict[str, pa.Array] = {
        "id": ids,
        "name": _arr(nodes_t, "name"),
        "kind": kinds,
        "jurisdiction": _arr(nodes_t, "jurisdiction"),
        "ids": all_ids,
        "regimes": _grouped_lists(des_node, des_regime, n),
        "isins": _grouped_lists(lis_node, _arr(lis, "isin"), n),
    }
    ent_cols["h"] = _hash_array(list(ent_cols.values()))
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
        extra_labels=_names(tuple(KIND_LABELS[k] for k in ENTITY_KINDS), _ints(nodes_t, "kind")),
    )

    rels: list[RelSet] = []
    duplicates = 0

    def add(*args: Any) -> None:
        nonlocal duplicates
        rs, dropped = _rel_set(*args)
        rels.append(rs)
        duplicates += dropped

    # -- ownership edges ----------------------------------------------------------------------------
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
    e_kind = _ints(edges_t, "kind")
    for code, okind in enumerate(OWNERSHIP_KINDS):
        rows = np.flatnonzero(e_kind == code)
        if okind not in EDGE_TYPES or not len(rows):
            continue
        e = edges_t.take(pa.array(rows))
        edge_cols: dict[str, pa.Array] = {
            **_share_arrays(_ints(e, "lo"), _ints(e, "hi"), _ints(e, "flags")),
            "arrangement": _arr(e, "arrangement"),
            "start": _iso_date_array(_ints(e, "start")),
            "end": _iso_date_array(_ints(e, "end")),
            **_provenance_arrays(e, paths),
            "seq": _arr(e, "seq").cast(pa.int64()) if "seq" in e.column_names else pa.nulls(len(e)),
        }
        rtype = EDGE_TYPES[okind]
        add(
            rtype.lower(),
            rtype,
            ("Entity", "id"),
            ids.take(_arr(e, "src")),
            ids.take(_arr(e, "dst")),
            edge_cols,
            edge_types,
            edge_key,
        )
        del e, edge_cols

    # -- designations -> regimes ----------------------------------------------------------------------
    if des.num_rows:
        d_cols: dict[str, pa.Array] = {"regime": des_regime, **_designation_arrays(des, paths)}
        add(
            "designated",
            "DESIGNATED",
            ("Regime", "id"),
            ids.take(pa.array(des_node)),
            des_regime,
            d_cols,
            dict.fromkeys(d_cols, _STR),
            [c for c in d_cols if c != "file"],
        )

    # -- listings -> venues --------------------------------------------------------------------------
    mics = _arr(lis, "mic")
    has_mic = pc.fill_null(pc.greater(pc.utf8_length(mics), 0), False)
    with_mic = np.flatnonzero(np.asarray(has_mic.to_numpy(zero_copy_only=False), dtype=bool))
    if len(with_mic) < len(mics):
        skipped["listings without a MIC (kept as Entity.isins)"] = len(mics) - len(with_mic)
    if len(with_mic):
        li = lis.take(pa.array(with_mic))
        l_cols: dict[str, pa.Array] = {
            "ticker": _arr(li, "ticker"),
            "isin": _arr(li, "isin"),
            "listed": _iso_date_array(_ints(li, "listed")),
            "delisted": _iso_date_array(_ints(li, "delisted")),
            **_provenance_arrays(li, paths),
        }
        add(
            "listed_on",
            "LISTED_ON",
            ("Venue", "mic"),
            ids.take(_arr(li, "node")),
            _arr(li, "mic"),
            l_cols,
            dict.fromkeys(l_cols, _STR),
            [c for c in l_cols if c != "file"],
        )

    # -- holdings -------------------------------------------------------------------------------------
    hol = tables["holdings"]
    if hol.num_rows:
        resolved = np.flatnonzero(_ints(hol, "node") >= 0)
        if len(resolved) < hol.num_rows:
            skipped["holdings of an unresolved security"] = hol.num_rows - len(resolved)
        if len(resolved):
            ho = hol.take(pa.array(resolved))
            h_cols: dict[str, pa.Array] = {
                "isin": _arr(ho, "isin"),
                "cusip": _arr(ho, "cusip"),
                "shares": _arr(ho, "shares").cast(pa.float64()),
                "value": _arr(ho, "value").cast(pa.float64()),
                "weight": _arr(ho, "weight").cast(pa.float64()),
                "as_of": _iso_date_array(_ints(ho, "as_of")),
                **_provenance_arrays(ho, paths),
            }
            h_types = dict.fromkeys(h_cols, _STR)
            h_types.update(shares="double", value="double", weight="double")
            add(
                "holds",
                "HOLDS",
                ("Entity", "id"),
                ids.take(_arr(ho, "holder")),
                ids.take(_arr(ho, "node")),
                h_cols,
                h_types,
                [c for c in h_cols if c != "file"],
            )
    claims = tables.get("claims")
    if claims is not None and claims.num_rows:
        skipped["claims (names only; they stay in the workspace)"] = int(claims.num_rows)

    # -- venues and regimes actually used ----------------------------------------------------------
    used_mics = sorted(set(mics.filter(has_mic).to_pylist()))
    ven = tables["venues"]
    by_mic = {row["mic"]: row for row in ven.to_pylist()} if ven.num_rows else {}
    v_cols: dict[str, pa.Array] = {"mic": pa.array(used_mics, pa.string())}
    venue_props = ("name", "country", "operating_mic", "status")
    for c in venue_props:
        v_cols[c] = pa.array([by_mic.get(m, {}).get(c) for m in used_mics], pa.string())
    v_cols["h"] = _hash_array(list(v_cols.values()))
    venues = NodeSet(
        name="venues",
        label="Venue",
        key="mic",
        columns=v_cols,
        types={"mic": "ID(Venue)", **dict.fromkeys((*venue_props, "h"), _STR)},
    )
    used_regimes = pa.array(sorted(set(des_regime.to_pylist()), key=REGIME_IDS.index), pa.string())
    regime_nodes = NodeSet(
        name="regimes",
        label="Regime",
        key="id",
        columns={"id": used_regimes, "h": _hash_array([used_regimes])},
        types={"id": "ID(Regime)", "h": _STR},
    )
    return PropertyGraph(
        nodes=[entities, venues, regime_nodes], rels=rels, duplicates=duplicates, skipped=skipped
    )


# -- Cypher for the push -------------------------------------------------------------------------------
# Labels, relationship types and property names below come from the constant maps and column
# lists above, never from data; every data value travels as a query parameter. Rows travel as
# lists, not maps: the Bolt packer costs per value, and map keys are values too. Rows the database
# lacks are CREATEd with an inline property map (a null value sets no property), which measured
# 1.3-1.5x faster than MERGE + one SET per property; rows that exist with another ``h`` are
# MERGEd and SET. Which is which is known from the diff query (or from an empty database).


def _props(columns: Mapping[str, Any], key: str) -> list[str]:
    return [c for c in columns if c not in (key, "h")]


def _sets(var: str, props: Sequence[str], first: int) -> str:
    """``SET`` items for ``h`` at ``r[first - 1]`` and each property from ``r[first]`` on."""
    items = [f"{var}.h = r[{first - 1}]"]
    items.extend(f"{var}.`{p}` = r[{first + j}]" for j, p in enumerate(props))
    return ", ".join(items)


def _inline(key: str, props: Sequence[str], first: int) -> str:
    """An inline property map: ``key`` at ``r[first - 2]``, ``h`` next, then ``props``."""
    items = [f"`{key}`: r[{first - 2}]", f"h: r[{first - 1}]"]
    items.extend(f"`{p}`: r[{first + j}]" for j, p in enumerate(props))
    return "{" + ", ".join(items) + "}"


def _node_diff_query(ns: NodeSet) -> str:
    """Keys (of ``[key, h]`` rows) whose node is missing, and those whose node differs."""
    return (
        f"UNWIND $rows AS r OPTIONAL MATCH (n:{ns.label} {{{ns.key}: r[0]}}) "
        "WITH r, n WHERE NOT coalesce(n.h = r[1], false) "
        "RETURN collect(CASE WHEN n IS NULL THEN r[0] END) AS missing, "
        "collect(CASE WHEN n IS NOT NULL THEN r[0] END) AS changed"
    )


def _node_create_query(ns: NodeSet, extra_label: str | None) -> str:
    """CREATE ``[key, h, *props]`` rows (nodes known to be missing)."""
    labels = ns.label if extra_label is None else f"{ns.label}:{extra_label}"
    return (
        f"UNWIND $rows AS r CREATE (n:{labels} {_inline(ns.key, _props(ns.columns, ns.key), 2)}) "
        "RETURN count(n) AS n"
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
    """Keys (of ``[src, dst, key, h]`` rows) whose relationship is missing, and those that differ."""
    (sl, sk), (el, ek) = rs.start, rs.end
    return (
        f"UNWIND $rows AS r OPTIONAL MATCH (:{sl} {{{sk}: r[0]}})-[x:{rs.type} {{key: r[2]}}]->"
        f"(:{el} {{{ek}: r[1]}}) WITH r, x WHERE NOT coalesce(x.h = r[3], false) "
        "RETURN collect(CASE WHEN x IS NULL THEN r[2] END) AS missing, "
        "collect(CASE WHEN x IS NOT NULL THEN r[2] END) AS changed"
    )


def _rel_create_query(rs: RelSet) -> str:
    """CREATE ``[src, dst, key, h, *props]`` rows (relationships known to be missing)."""
    (sl, sk), (el, ek) = rs.start, rs.end
    return (
        f"UNWIND $rows AS r MATCH (a:{sl} {{{sk}: r[0]}}) MATCH (b:{el} {{{ek}: r[1]}}) "
        f"CREATE (a)-[x:{rs.type} {_inline('key', _props(rs.columns, 'key'), 4)}]->(b) RETURN count(x) AS n"
    )


def _rel_write_query(rs: RelSet) -> str:
    """MERGE ``[src, dst, key, h, *props]`` rows between existing nodes."""
    (sl, sk), (el, ek) = rs.start, rs.end
    return (
        f"UNWIND $rows AS r MATCH (a:{sl} {{{sk}: r[0]}}) MATCH (b:{el} {{{ek}: r[1]}}) "
        f"MERGE (a)-[x:{rs.type} {{key: r[2]}}]->(b) SET {_sets('x', _props(rs.columns, 'key'), 4)} "
        "RETURN count(x) AS n"
    )


def _node_cols(ns: NodeSet) -> list[pa.Array]:
    """The row columns of a node set: ``[key, h, *props]`` (the diff sends the first two)."""
    return [ns.columns[ns.key], ns.columns["h"], *(ns.columns[c] for c in _props(ns.columns, ns.key))]


def _rel_cols(rs: RelSet) -> list[pa.Array]:
    """The row columns of a relationship set: ``[src, dst, key, h, *props]`` (the diff sends
    the first four)."""
    head = [rs.src, rs.dst, rs.columns["key"], rs.columns["h"]]
    return [*head, *(rs.columns[c] for c in _props(rs.columns, "key"))]


def _batch_rows(columns: Sequence[pa.Array]) -> list[tuple[Any, ...]]:
    """Arrow columns of one batch as row tuples (the only Python copy of the data at a time)."""
    return list(zip(*(c.to_pylist() for c in columns), strict=True))


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
    """Delete ownergraph's nodes and their relationships in batches; other data is untouched.

    Nodes go with their relationships (DETACH DELETE), ``batch`` nodes a transaction. Deleting
    the relationships first, ``LIMIT``-ed, rescanned the emptied nodes on every batch: clearing
    254k nodes and relationships took 58 s that way, against a few seconds now.
    """
    rels = nodes = 0
    present, _ = _tokens(conn)
    for label in (lab for lab in ("Entity", "Venue", "Regime") if lab in present):
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


def _run_all(pool: ThreadPoolExecutor, jobs: Iterator[Callable[[], None]], workers: int) -> None:
    """Run ``jobs`` on ``pool``, at most ``2 * workers`` at a time (each holds a batch's
    columns), and wait for all; the first failure cancels what has not started and is raised."""
    running: set[Future[None]] = set()
    try:
        for job in jobs:
            if len(running) >= 2 * workers:
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for f in finished:
                    f.result()
            running.add(pool.submit(job))
        for f in as_completed(running):
            f.result()
    except BaseException:
        for f in running:
            f.cancel()
        wait(running)
        raise


def push(
    ws_or_tables: Any,
    uri: str,
    *,
    user: str | None = None,
    password: str | None = None,
    database: str = "neo4j",
    replace: bool = False,
    batch: int = 10_000,
    workers: int = 2,
    progress: Progress | None = None,
    load_paths: Mapping[int, str] | None = None,
) -> PushReport:
    """Write a workspace (or its cache tables) into Neo4j; return what was written.

    Idempotent: nodes are keyed on ``id`` (``mic`` for venues), relationships on ``key``. Each
    batch first asks which of its rows are missing and which differ (by ``h``): missing rows
    are CREATEd, differing ones MERGEd, the rest skipped, so pushing the same workspace again
    sends little and writes nothing (an empty database, or one just cleared by ``replace``,
    skips the question). Rows become Python values one batch at a time. ``replace`` first deletes
    every ``:Entity``, ``:Venue`` and ``:Regime`` node with its relationships, so the database
    mirrors the workspace exactly. Batches are separate transactions: an interrupted push
    leaves a partial graph that the next push completes. ``workers`` sessions write batches at
    the same time (all nodes first, then the relationships): the server's CPU is the bottleneck,
    and two sessions wrote relationships 1.35-1.45x faster than one on 2 cores (a deadlock
    between them is retried by the driver, as a transient error). Raises :class:`EngineError`
    (one line) for any server problem and when the final count check fails. The workspace is
    only read.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    if workers < 1:
        raise ValueError("workers must be at least 1")
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

        lock = threading.Lock()  # the tallies and the progress callback, shared by the workers

        def write(
            compact: list[pa.Array],
            full: list[pa.Array],
            key_at: int,
            diff_query: str | None,
            create_query: str,
            merge_query: str,
            stage: str,
        ) -> None:
            """Write one batch (``compact``/``full``: its Arrow columns): CREATE what is missing,
            MERGE what differs, skip the rest. Runs in a worker thread; the tallies and the
            progress callback are updated under ``lock``."""
            nonlocal done, written, nodes_created, rels_created, props_set
            size = len(full[0])
            todo: list[tuple[str, list[pa.Array]]] = [(create_query, full)]
            if diff_query is not None:
                rec = conn.run(diff_query, {"rows": _batch_rows(compact)}, read=True).records[0]
                todo = []
                for query, keys in ((create_query, rec["missing"]), (merge_query, rec["changed"])):
                    if keys:
                        mask = pc.is_in(compact[key_at], value_set=pa.array(keys, pa.string()))
                        todo.append((query, [c.filter(mask) for c in full]))
            for query, cols in todo:
                res = conn.run(query, {"rows": _batch_rows(cols)})
                n, want = int(res.records[0]["n"]), len(cols[0])
                if n != want:
                    raise EngineError(
                        f"Neo4j at {uri}: only {n} of {want} {stage} rows were written (their"
                        " nodes vanished during the push?); run the push again"
                    )
                cnt = res.summary.counters
                with lock:
                    nodes_created += cnt.nodes_created
                    rels_created += cnt.relationships_created
                    props_set += cnt.properties_set
                    written += want
            with lock:
                done += size
                if progress:
                    progress(done, total, stage)

        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ownergraph-push")

        def node_batches() -> Iterator[Callable[[], None]]:
            for ns in graph.nodes:
                full = _node_cols(ns)
                diff = _node_diff_query(ns) if ns.label in labels else None
                groups: list[tuple[str | None, pa.Array | None]] = [(None, None)]
                if ns.extra_labels is not None:
                    kinds = ns.extra_labels
                    groups = [
                        (str(lab), pc.indices_nonzero(pc.equal(kinds, lab)))
                        for lab in pc.unique(kinds).to_pylist()
                    ]
                for label, idx in groups:
                    create, merge = _node_create_query(ns, label), _node_write_query(ns, label)
                    count = len(ns) if idx is None else len(idx)
                    for b in range(0, count, batch):
                        if idx is None:
                            part = [c.slice(b, batch) for c in full]
                        else:
                            part = [c.take(idx.slice(b, batch)) for c in full]
                        yield partial(write, part[:2], part, 0, diff, create, merge, f":{ns.label}")

        def rel_batches() -> Iterator[Callable[[], None]]:
            for rs in graph.rels:
                full = _rel_cols(rs)
                diff = _rel_diff_query(rs) if rs.type in types else None
                create, merge = _rel_create_query(rs), _rel_write_query(rs)
                for b in range(0, len(rs), batch):
                    part = [c.slice(b, batch) for c in full]
                    yield partial(write, part[:4], part, 2, diff, create, merge, f":{rs.type}")

        with pool:
            _run_all(pool, node_batches(), workers)  # every node exists before a relationship needs it
            rel_started = time.perf_counter()
            _run_all(pool, rel_batches(), workers)
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
