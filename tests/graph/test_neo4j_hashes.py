"""The ``key`` and ``h`` hashes of the Neo4j property graph (SPEC §9): the identity contract that
``push`` and ``export --to neo4j-csv`` share. Canonical bytes must be unambiguous, the hash is
XXH3-128 cut to 80 bits, and repeated keys collapse to their first row."""

from __future__ import annotations

import os

import pyarrow as pa
import xxhash

from ownergraph.graph.neo4j_store import (
    _HASH_BYTES,
    _canon_parts,
    _first_rows,
    _hash_array,
    _rel_set,
)


def _h(*columns: pa.Array) -> list[str]:
    return list(_hash_array(list(columns)).to_pylist())


def test_hash_is_xxh3_128_of_the_canonical_bytes_cut_to_80_bits() -> None:
    """The spelling other tools (and older databases) depend on: a string is its 4-byte
    little-endian length then its UTF-8 bytes, a number 1 then its 8 bytes, null a length of -1."""
    canon = (2).to_bytes(4, "little") + b"ab" + b"\x01" + (7).to_bytes(8, "little") + b"\xff" * 4
    want = xxhash.xxh3_128_digest(canon)[:_HASH_BYTES].hex()
    got = _h(pa.array(["ab"]), pa.array([7], pa.int64()), pa.array([None], pa.string()))
    assert got == [want] and len(want) == 2 * _HASH_BYTES == 20
    name = "Société Générale"  # the length counts UTF-8 bytes
    assert _h(pa.array([name])) == [
        xxhash.xxh3_128_digest(len(name.encode()).to_bytes(4, "little") + name.encode())[:10].hex()
    ]


def test_canonical_bytes_are_unambiguous() -> None:
    """Rows that a plain join would spell alike hash apart: separators inside values, null
    against empty, an empty list against none and against one empty string, 0 against null."""
    assert len(set(_h(pa.array(["a|b", "a"]), pa.array(["c", "b|c"])))) == 2
    assert len(set(_h(pa.array(["ab", "a"]), pa.array(["", "b"])))) == 2
    assert len(set(_h(pa.array([None, ""], pa.string())))) == 2
    assert len(set(_h(pa.array([[], None, [""], ["", ""]], pa.list_(pa.string()))))) == 4
    assert len(set(_h(pa.array([["a", "b"], ["ab"], ["a,b"]])))) == 3
    assert len(set(_h(pa.array([0, None, 1], pa.int64())))) == 3
    assert len(set(_h(pa.array([0.0, None, 1e-300], pa.float64())))) == 3


def test_a_slice_hashes_like_the_values_it_holds() -> None:
    """Chunks are slices: offsets into the parent arrays must not leak into the bytes."""
    strings = pa.array(["x", None, "yz", "w"])
    floats = pa.array([1.5, 2.5, None, 4.0])
    lists = pa.array([["p"], None, ["q", "r"], []])
    whole = _h(strings, floats, lists)
    assert _h(strings.slice(1), floats.slice(1), lists.slice(1)) == whole[1:]
    fresh = [pa.array(a.slice(2).to_pylist(), a.type) for a in (strings, floats, lists)]
    assert _h(*fresh) == whole[2:]
    parts = _canon_parts(strings.slice(2))
    assert [p.to_pylist() for p in parts] == [[b"\x02\x00\x00\x00", b"\x01\x00\x00\x00"], [b"yz", b"w"]]


def test_relationship_key_covers_its_key_fields_and_h_every_property() -> None:
    """``key`` changes with the type, an endpoint or a key field, not with ``file``; ``h``
    changes with any property; a repeated key keeps its first row."""
    src = pa.array(["a", "a", "a", "b", "a"])
    dst = pa.array(["c"] * 5)
    cols = {
        "share": pa.array(["50", "50", "50", "50", "25"]),
        "file": pa.array(["f1", "f2", "f1", "f1", "f1"]),
        "share_min": pa.array([50.0, 50.0, 50.0, 50.0, 25.0]),
    }
    types = {"share": "string", "file": "string", "share_min": "double"}
    rs, dropped = _rel_set("owns", "OWNS", ("Entity", "id"), src, dst, cols, types, ["share"])
    assert dropped == 2 and len(rs) == 3
    assert rs.columns["file"].to_pylist() == ["f1", "f1", "f1"]  # rows 0, 3, 4 stay
    assert len(set(rs.columns["key"].to_pylist())) == 3

    def single(rtype: str, row: int) -> tuple[str, str]:
        rel, _ = _rel_set(rtype.lower(), rtype, ("Entity", "id"), src[row : row + 1], dst[row : row + 1],
                          {c: v[row : row + 1] for c, v in cols.items()}, types, ["share"])
        return rel.columns["key"][0].as_py(), rel.columns["h"][0].as_py()

    (k0, h0), (k1, h1), (k4, h4) = single("OWNS", 0), single("OWNS", 1), single("OWNS", 4)
    assert k0 == k1 and h0 != h1  # file is not in the key, but in h
    assert k4 != k0 and h4 != h0
    kv, hv = single("VOTES", 0)
    assert kv != k0 and hv != h0


def test_first_rows_of_repeated_digests_even_on_a_64_bit_prefix_collision() -> None:
    """Repeats are found on the digests' first 8 bytes and checked on all 10: two digests that
    share their first 8 bytes are still two keys."""
    a, b, c = (os.urandom(_HASH_BYTES) for _ in range(3))
    assert _first_rows(b"".join([a, b, a, c, b, b])).tolist() == [0, 1, 3]
    x, y = c[:8] + b"\x00\x01", c[:8] + b"\x00\x02"
    assert _first_rows(b"".join([x, a, y, x, y, a])).tolist() == [0, 1, 2]
    assert _first_rows(b"").tolist() == []
