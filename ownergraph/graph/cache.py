"""The columnar cache of a workspace: the graph as dense int32 ids and Arrow/numpy columns.

Built from the record store after every load (and whenever the store's generation differs from
the cache's), written to a temporary folder and swapped in with one rename, so a crash while
building leaves the old cache or none, never a half-written one. Building is where identity is
resolved: records that share a strong key (their id, an LEI, a ``registration`` number, an OFAC,
OpenSanctions or Wikidata id, an issuer ISIN) or are joined by a same-as record form one entity
whose canonical id is the first id the workspace saw.

Files (Arrow IPC, memory-mapped on open): ``nodes``, ``keys`` (every id and strong identifier →
node), ``edges`` (ownership/control, sorted by owner), ``designations``, ``listings``,
``holdings``, ``claims``, ``venues``, plus ``meta.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from ownergraph.errors import WorkspaceError
from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS, REGIME_IDS
from ownergraph.graph.snapshots import apply_snapshots
from ownergraph.graph.store import Store, in_thread, strong_keys

__all__ = [
    "EPOCH",
    "NO_DATE_HI",
    "NO_DATE_LO",
    "TABLES",
    "build_cache",
    "days",
    "is_placeholder_name",
    "read_cache",
]

NO_DATE_LO = np.int32(-(2**31))
"""An open start (no date): before every date."""
NO_DATE_HI = np.int32(2**31 - 1)
"""An open end (no date): after every date."""
TABLES = (
    "nodes",
    "keys",
    "edges",
    "edges_by_dst",
    "designations",
    "listings",
    "holdings",
    "claims",
    "venues",
)
EPOCH = dt.date(1970, 1, 1)
"""Day 0 of the cache's int32 dates."""


def days(d: dt.date) -> int:
    """Days since 1970-01-01, the date unit of the cache."""
    return (d - EPOCH).days


def _dates(values: Iterable[str | None], missing: np.int32) -> npt.NDArray[np.int32]:
    """ISO date strings as int32 days since 1970; ``missing`` where empty (numpy parses them:
    importing pandas for this would cost a load about a second)."""
    return _iso_days(pa.array(list(values), pa.string()), missing)


def _iso_days(col: pa.ChunkedArray | pa.Array, missing: np.int32) -> npt.NDArray[np.int32]:
    """Stored ISO dates (``YYYY-MM-DD``) as int32 days since 1970; ``missing`` where null."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    out = np.full(len(col), missing, dtype=np.int32)
    if col.null_count == len(col):
        return out
    valid = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False), dtype=np.bool_)
    strings = col.filter(pc.is_valid(col)).to_numpy(zero_copy_only=False).astype("U10")
    out[valid] = strings.astype("datetime64[D]").astype(np.int64).astype(np.int32)
    return out


def _write(folder: Path, name: str, table: pa.Table) -> None:
    with pa.OSFile(str(folder / f"{name}.arrow"), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def read_cache(folder: Path) -> dict[str, pa.Table]:
    """Memory-map every table of a built cache."""
    out: dict[str, pa.Table] = {}
    for name in TABLES:
        source = pa.memory_map(str(folder / f"{name}.arrow"), "r")
        out[name] = ipc.open_file(source).read_all()
    return out


def _empty_edges() -> pa.Table:
    i32, i8 = pa.int32(), pa.int8()
    schema = pa.schema(
        [
            ("src", i32),
            ("dst", i32),
            ("lo", i32),
            ("hi", i32),
            ("flags", i8),
            ("kind", i8),
            ("start", i32),
            ("end", i32),
            ("arrangement", pa.string()),
            ("source", pa.string()),
            ("load_id", i32),
            ("locator", pa.string()),
            ("seq", pa.int64()),
        ]
    )
    return schema.empty_table()


def is_placeholder_name(entity_id: str, name: str) -> bool:
    """Whether a record's name is only its id (a stub a loader made for a referenced LEI or QID).

    >>> is_placeholder_name("lei:529900T8BM49AURSDO55", "529900T8BM49AURSDO55"), is_placeholder_name("a", "A")
    (True, False)
    """
    return name == entity_id or name == entity_id.split(":", 1)[-1]


def _codes(col: pa.ChunkedArray | pa.Array, names: tuple[str, ...], what: str) -> npt.NDArray[np.int8]:
    """Stored kind names as their int8 position in ``names``."""
    idx = pc.index_in(col, value_set=pa.array(list(names), pa.string()))
    if idx.null_count:
        bad = col.filter(pc.is_null(idx))[0]
        raise WorkspaceError(
            f"the workspace holds {what} records with kind {bad} this version does not know "
            f"(field kind; known: {', '.join(names)}): upgrade ownergraph, or reload the files "
            "into a new workspace"
        )
    return np.asarray(idx.to_numpy(zero_copy_only=False), dtype=np.int8)


def build_cache(store: Store, folder: Path, builtin_venues: list[dict[str, Any]]) -> dict[str, Any]:
    """Rebuild the cache in ``folder`` from ``store``; return its ``meta``."""
    # imported here: opening a workspace (the common case) needs neither
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    # -- entity records as Arrow columns (SQLite rows and segments, in seq order) -------------
    ent = store.records("entity", ["id", "name", "kind", "jurisdiction", "identifiers"])
    n_rec = ent.num_rows
    rec_ids = ent.column("id").combine_chunks()
    rec_kind = _codes(ent.column("kind"), ENTITY_KINDS, "entity")
    # -- identity: records x keys bipartite graph, connected components -----------------------
    # the keys in record order: each record's id, then its strong identifiers
    extra_rec, extra_keys = strong_keys(ent.column("identifiers"))
    key_rec = np.concatenate([np.arange(n_rec, dtype=np.int64), extra_rec])
    key_pos = np.concatenate([np.zeros(n_rec, dtype=np.int64), np.arange(1, len(extra_rec) + 1)])
    key_order = np.lexsort((key_pos, key_rec))
    key_rec = key_rec[key_order]
    key_str = pa.concat_arrays([rec_ids, extra_keys]).take(pa.array(key_order))
    # the keys are hashed in a worker thread (Arrow releases the GIL) while this one reads the
    # ownership records; their ends are then looked up among the keys the same way while the
    # components are found below
    encoding = in_thread(pc.dictionary_encode, key_str)
    sameas: list[tuple[str, str]] = []
    for _l, _loc, _seq, d in store.iter_other("sameas"):
        sameas.append((d["id_a"], d["id_b"]))
    raw = store.records(
        "ownership",
        ["seq", "owner_id", "owned_id", "lo", "hi", "flags", "kind", "arrangement", "start", "end", "source",
         "load_id", "locator"],
    )  # fmt: skip
    encoded = encoding.result()
    codes = encoded.indices.to_numpy().astype(np.int64)
    uniques = encoded.dictionary
    n_keys = len(uniques)

    def key_index(values: pa.Array) -> npt.NDArray[np.int64]:
        """Position of each value among the keys, -1 where it is none."""
        idx = pc.index_in(values, value_set=uniques)
        return np.asarray(pc.fill_null(idx, -1).to_numpy(zero_copy_only=False), dtype=np.int64)

    end_keys = in_thread(
        key_index,
        pa.chunked_array([*raw.column("owner_id").chunks, *raw.column("owned_id").chunks], pa.string())
        .combine_chunks(),
    )
    src = key_rec
    dst = codes + n_rec
    if sameas:
        a = key_index(pa.array([p[0] for p in sameas], pa.string()))
        b = key_index(pa.array([p[1] for p in sameas], pa.string()))
        ok = (a >= 0) & (b >= 0)
        src = np.concatenate([src, a[ok] + n_rec])
        dst = np.concatenate([dst, b[ok] + n_rec])
    total = n_rec + n_keys
    adj = sp.coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(total, total)).tocsr()
    _, comp = connected_components(adj, directed=False)
    del adj, src, dst
    rec_comp = comp[:n_rec]
    # canonical record of each component = its first record (records are in seq order)
    uniq_comp, first_rec = np.unique(rec_comp, return_index=True)
    order = np.argsort(first_rec, kind="stable")
    canon_rec = first_rec[order]
    comp_to_node = np.full(comp.max() + 1 if total else 1, -1, dtype=np.int64)
    comp_to_node[uniq_comp[order]] = np.arange(len(canon_rec))
    node_of_rec = comp_to_node[rec_comp]
    n = len(canon_rec)
    canon = pa.array(canon_rec, pa.int64())
    names = ent.column("name").combine_chunks().take(canon)
    kinds = rec_kind[canon_rec]
    jur = ent.column("jurisdiction").combine_chunks().take(canon)
    members = np.bincount(node_of_rec, minlength=n) if n else np.zeros(0, dtype=np.int64)
    merged_nodes = np.flatnonzero(members > 1)
    if len(merged_nodes):
        # records of merged entities, in seq order: the first real name, jurisdiction and kind
        unknown = ENTITY_KINDS.index("unknown")
        in_merged = np.flatnonzero(members[node_of_rec] > 1)
        m_nodes = node_of_rec[in_merged].tolist()
        m_sel = pa.array(in_merged, pa.int64())
        m_ids = rec_ids.take(m_sel).to_pylist()
        m_names = ent.column("name").combine_chunks().take(m_sel).to_pylist()
        m_jur = ent.column("jurisdiction").combine_chunks().take(m_sel).to_pylist()
        m_kind = rec_kind[in_merged].tolist()
        node_name: dict[int, str] = {}
        node_jur: dict[int, str | None] = {}
        node_kind: dict[int, int] = {}
        named: set[int] = set()
        for node in merged_nodes.tolist():
            c = int(canon_rec[node])
            node_name[node] = str(names[node].as_py())
            node_jur[node] = jur[node].as_py()
            node_kind[node] = int(kinds[node])
            if not is_placeholder_name(str(rec_ids[c].as_py()), node_name[node]):
                named.add(node)
        for node, rid, name, rjur, rkind in zip(m_nodes, m_ids, m_names, m_jur, m_kind, strict=True):
            if node not in named and not is_placeholder_name(rid, name):
                # a stub named by its id (an LEI, a QID) gives way to the first real name
                node_name[node] = name
                named.add(node)
            if node_jur[node] is None and rjur:
                node_jur[node] = rjur
            if node_kind[node] == unknown and rkind != unknown:
                node_kind[node] = rkind
        mask = np.zeros(n, dtype=np.bool_)
        mask[merged_nodes] = True
        mnodes = merged_nodes.tolist()
        names = pc.replace_with_mask(
            names, pa.array(mask), pa.array([node_name[x] for x in mnodes], pa.string())
        )
        jur = pc.replace_with_mask(jur, pa.array(mask), pa.array([node_jur[x] for x in mnodes], pa.string()))
        kinds[merged_nodes] = [node_kind[x] for x in mnodes]
    nodes = pa.table(
        {
            "id": rec_ids.take(canon),
            "name": names,
            "kind": pa.array(kinds, pa.int8()),
            "jurisdiction": jur,
            "records": pa.array(members.astype(np.int32), pa.int32()),
        }
    )
    del ent, rec_kind, names, jur
    key_node = comp_to_node[comp[n_rec:]]
    keys = pa.table({"key": uniques, "node": pa.array(key_node.astype(np.int32))})

    def resolve(values: list[str | None] | pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int64]:
        """The node each value names (an id or strong key), -1 where none."""
        arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values, pa.string())
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if 4 * len(arr) < n_keys:
            # few values: hash them and probe the keys, rather than hashing every key again
            vals = pc.unique(arr)
            at = pc.index_in(uniques, value_set=vals)
            hits = np.flatnonzero(np.asarray(pc.is_valid(at).to_numpy(zero_copy_only=False), dtype=np.bool_))
            val_key = np.full(len(vals), -1, dtype=np.int64)
            val_key[at.filter(pc.is_valid(at)).to_numpy().astype(np.int64)] = hits
            pos = np.asarray(pc.fill_null(pc.index_in(arr, value_set=vals), -1).to_numpy(), dtype=np.int64)
            idx = np.where(pos >= 0, val_key[np.maximum(pos, 0)], -1)
        else:
            idx = key_index(arr)
        return key_nodes(idx)

    def key_nodes(idx: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The node of each key position, -1 where none."""
        return np.asarray(np.where(idx >= 0, key_node[np.maximum(idx, 0)], -1), dtype=np.int64)

    # -- ownership edges -----------------------------------------------------------------------
    okind = _codes(raw.column("kind"), OWNERSHIP_KINDS, "ownership")
    ends = key_nodes(end_keys.result())
    all_edges = pa.table(
        {
            "src": pa.array(ends[: len(raw)].astype(np.int32)),
            "dst": pa.array(ends[len(raw) :].astype(np.int32)),
            "lo": pa.array(raw.column("lo").to_numpy().astype(np.int32)),
            "hi": pa.array(raw.column("hi").to_numpy().astype(np.int32)),
            "flags": pa.array(raw.column("flags").to_numpy().astype(np.int8)),
            "kind": pa.array(okind),
            "start": pa.array(_iso_days(raw.column("start"), NO_DATE_LO)),
            "end": pa.array(_iso_days(raw.column("end"), NO_DATE_HI)),
            "arrangement": raw.column("arrangement"),
            "source": raw.column("source"),
            "load_id": pa.array(raw.column("load_id").to_numpy().astype(np.int32)),
            "locator": raw.column("locator"),
            "seq": raw.column("seq"),
        }
    )
    del raw
    esrc = all_edges.column("src").to_numpy()
    edst = all_edges.column("dst").to_numpy()
    valid = (esrc >= 0) & (edst >= 0)
    dangling = int((~valid).sum())
    selfloop = valid & (esrc == edst)
    valid &= ~selfloop
    sel = np.flatnonzero(valid)
    order_e = sel[np.lexsort((edst[sel], esrc[sel]))]
    edges = all_edges.take(pa.array(order_e)).combine_chunks()
    del all_edges
    # the permutation of edges by owned node (stable), so views build the in-CSR without sorting
    e_dst = edges.column("dst").to_numpy()
    edges_by_dst = pa.table({"row": pa.array(np.argsort(e_dst, kind="stable").astype(np.int64))})
    # -- designations, listings, holdings, claims, venues --------------------------------------
    des = [(lid, loc, d) for lid, loc, _s, d in store.iter_other("designation")]
    dnode = resolve([d["entity_id"] for _, _, d in des])
    dk = np.flatnonzero(dnode >= 0)
    designations = pa.table(
        {
            "node": pa.array(dnode[dk].astype(np.int32)),
            "regime": pa.array(np.array([REGIME_IDS.index(des[i][2]["regime"]) for i in dk], dtype=np.int8)),
            "listed": pa.array(_dates([des[i][2]["listed"] for i in dk], NO_DATE_LO)),
            "effective": pa.array(_dates([des[i][2]["effective"] for i in dk], NO_DATE_LO)),
            "removed": pa.array(_dates([des[i][2]["removed"] for i in dk], NO_DATE_HI)),
            "list": pa.array([des[i][2]["list"] for i in dk], pa.string()),
            "program": pa.array([des[i][2]["program"] for i in dk], pa.string()),
            "reference": pa.array([des[i][2]["reference"] for i in dk], pa.string()),
            "source": pa.array([des[i][2]["source"] for i in dk], pa.string()),
            "load_id": pa.array(np.array([des[i][0] for i in dk], dtype=np.int32)),
            "locator": pa.array([des[i][1] for i in dk], pa.string()),
        }
    )
    # list snapshots: rows per active period, ended by absence from a newer snapshot (snapshots.py)
    des_ids = [des[i][2]["entity_id"] for i in dk]
    designations = apply_snapshots(store.conn, designations, des_ids, store.load_paths())
    lis = [(lid, loc, d) for lid, loc, _s, d in store.iter_other("listing")]
    lnode = resolve([d["entity_id"] for _, _, d in lis])
    lk = np.flatnonzero(lnode >= 0)
    listings = pa.table(
        {
            "node": pa.array(lnode[lk].astype(np.int32)),
            "mic": pa.array([lis[i][2]["mic"] for i in lk], pa.string()),
            "ticker": pa.array([lis[i][2]["ticker"] for i in lk], pa.string()),
            "isin": pa.array([lis[i][2]["isin"] for i in lk], pa.string()),
            "listed": pa.array(_dates([lis[i][2]["listed"] for i in lk], NO_DATE_LO)),
            "delisted": pa.array(_dates([lis[i][2]["delisted"] for i in lk], NO_DATE_HI)),
            "source": pa.array([lis[i][2]["source"] for i in lk], pa.string()),
            "load_id": pa.array(np.array([lis[i][0] for i in lk], dtype=np.int32)),
            "locator": pa.array([lis[i][1] for i in lk], pa.string()),
        }
    )
    isin_node: dict[str, int] = {}
    for i in lk.tolist():
        if lis[i][2]["isin"]:
            isin_node.setdefault(lis[i][2]["isin"], int(lnode[i]))
    hol = [(lid, loc, d) for lid, loc, _s, d in store.iter_other("holding")]
    hnode = resolve([d["holder_id"] for _, _, d in hol])
    tnode = resolve(
        [d.get("entity_id") or (f"isin:{d['isin']}" if d.get("isin") else None) for _, _, d in hol]
    )
    for j, (_, _, d) in enumerate(hol):
        if tnode[j] < 0 and d.get("isin") in isin_node:
            tnode[j] = isin_node[d["isin"]]
    hk = np.flatnonzero(hnode >= 0)
    holdings = pa.table(
        {
            "holder": pa.array(hnode[hk].astype(np.int32)),
            "node": pa.array(tnode[hk].astype(np.int32)),
            "isin": pa.array([hol[i][2].get("isin") for i in hk], pa.string()),
            "cusip": pa.array([hol[i][2].get("cusip") for i in hk], pa.string()),
            "shares": pa.array([hol[i][2].get("shares") for i in hk], pa.float64()),
            "value": pa.array([hol[i][2].get("value") for i in hk], pa.float64()),
            "weight": pa.array([hol[i][2].get("weight") for i in hk], pa.float64()),
            "as_of": pa.array(_dates([hol[i][2].get("as_of") for i in hk], NO_DATE_LO)),
            "source": pa.array([hol[i][2].get("source") for i in hk], pa.string()),
            "load_id": pa.array(np.array([hol[i][0] for i in hk], dtype=np.int32)),
            "locator": pa.array([hol[i][1] for i in hk], pa.string()),
        }
    )
    cla = [(lid, loc, d) for lid, loc, _s, d in store.iter_other("claim")]
    cnode = resolve([d["subject_id"] for _, _, d in cla])
    ck = np.flatnonzero(cnode >= 0)
    claims = pa.table(
        {
            "node": pa.array(cnode[ck].astype(np.int32)),
            "relation": pa.array([cla[i][2]["relation"] for i in ck], pa.string()),
            "name": pa.array([cla[i][2]["name"] for i in ck], pa.string()),
            "source": pa.array([cla[i][2]["source"] for i in ck], pa.string()),
            "load_id": pa.array(np.array([cla[i][0] for i in ck], dtype=np.int32)),
            "locator": pa.array([cla[i][1] for i in ck], pa.string()),
        }
    )
    venue_rows: dict[str, dict[str, Any]] = {v["mic"]: v for v in builtin_venues}
    for _l, _loc, _s, d in store.iter_other("venue"):
        venue_rows[d["mic"]] = {**venue_rows.get(d["mic"], {}), **{k: v for k, v in d.items() if v}}
    vs = sorted(venue_rows.values(), key=lambda v: v["mic"])
    venues = pa.table(
        {
            "mic": pa.array([v["mic"] for v in vs], pa.string()),
            "name": pa.array([v.get("name") for v in vs], pa.string()),
            "country": pa.array([v.get("country") for v in vs], pa.string()),
            "operating_mic": pa.array([v.get("operating_mic") for v in vs], pa.string()),
            "status": pa.array([v.get("status") for v in vs], pa.string()),
        }
    )
    meta = {
        "generation": store.generation(),
        "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "entities": n,
        "entity_records": n_rec,
        "merged_entities": len(merged_nodes),
        "edges": len(order_e),
        "dangling_edges": dangling,
        "self_loops_after_merge": int(selfloop.sum()),
        "designations": len(dk),
        "listings": len(lk),
        "holdings": len(hk),
        "claims": len(ck),
    }
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for name, table in (
        ("nodes", nodes),
        ("keys", keys),
        ("edges", edges),
        ("edges_by_dst", edges_by_dst),
        ("designations", designations),
        ("listings", listings),
        ("holdings", holdings),
        ("claims", claims),
        ("venues", venues),
    ):
        _write(tmp, name, table)
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
    old = folder.with_name(folder.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    if old.exists():
        shutil.rmtree(old)
    return meta
