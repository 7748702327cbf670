"""Column-wise validation of bundle CSVs: the bulk path of a load (SPEC §10).

Per-record pydantic objects cost microseconds each, which at a million rows is most of a load.
This module reads a CSV file in byte chunks with ``pyarrow.csv`` (every column a string) and
validates whole columns at once, producing the *normalised store columns* that the per-row path
(:func:`ownergraph.loaders.base.make_record` then :mod:`ownergraph.graph.store`) would produce for
the same rows.

It only accepts what it can prove equivalent: a row is *bulk* when every cell is in a plain form
(ASCII kinds and jurisdictions, shares as numbers with at most four decimals or the usual bands,
ISO dates, at most one item in a list cell, no identifiers, no U+001C..U+001F). Every other row
is a *fallback* row: the
loader sends it through the per-row pydantic path, which decides and words the outcome. A chunk
whose layout differs in any way from one record per physical line (newlines in quoted cells, a
row with too many or too few cells, an oversized field) falls back as a whole, from its first
byte, to the per-row reader. So the bulk path changes the speed of a load, never its outcome;
``tests/loaders/test_bundle_bulk.py`` checks that with generated rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS
from ownergraph.graph.shares import PPM
from ownergraph.graph.store import ENTITY_COLUMNS, OWNERSHIP_COLUMNS, byte_table, has_bytes, json_strings

__all__ = [
    "BULK_TYPES",
    "CHUNK_BYTES",
    "MAX_FIELD",
    "PY_WHITESPACE",
    "Chunk",
    "Validated",
    "iter_chunks",
    "parse_chunk",
    "py_strip",
    "validate",
]

BULK_TYPES = ("entity", "ownership")
"""Record types with a column-wise validator; other files load row by row."""

PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Exactly the characters for which ``str.isspace()`` is true (what ``str.strip()`` removes)."""

CHUNK_BYTES = 16 << 20
"""Bytes of CSV parsed at a time: memory stays bounded whatever the file size."""

MAX_FIELD = 10 * 1024 * 1024
"""The largest cell (characters) the ``csv`` module accepts in a bundle; larger ones are bad rows."""
_SEPARATORS = r"[\x1c-\x1f]"
"""Information separators: whitespace to ``str.strip()`` but not to pydantic's stripping."""
_SEPARATOR_BYTES = byte_table("\x1c\x1d\x1e\x1f")
_NEWLINE_BYTES = byte_table("\r\n")
_UNKNOWN_SHARES = ["unknown", "?", "n/a", "na", "none", "null", "undisclosed", "-"]
_SHARE_RE = (
    r"^(?P<op>[\[(]|>=|=>|>|<=|=<|<)?(?P<ai>[0-9]{0,6})(?:\.(?P<af>[0-9]{0,4}))?%?"
    r"(?:(?P<sep>[,-])(?P<bi>[0-9]{0,6})(?:\.(?P<bf>[0-9]{0,4}))?%?(?P<cl>[\])])?)?$"
)
_PLAIN_SHARE_RE = r"^(?P<ai>[0-9]{0,6})(?:\.(?P<af>[0-9]{0,4}))?%?$"
"""A share that is one number: :data:`_SHARE_RE` without operator, separator and second bound."""
_DATE_RE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"

Mask = npt.NDArray[np.bool_]


# -- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """A piece of a CSV file that ends at a line break (or at the end of the file)."""

    offset: int
    """Byte offset of the chunk in the file."""
    first_line: int
    """Line number (1-based, as ``csv`` counts them) of the chunk's first physical line."""
    data: bytes
    lines: npt.NDArray[np.int64]
    """Line numbers of the chunk's non-empty physical lines, in order."""
    n_lines: int
    """Physical lines in the chunk (empty ones included)."""


def _line_layout(data: bytes) -> tuple[npt.NDArray[np.int64], int]:
    """Indices of the non-empty physical lines of ``data`` and the number of lines.

    Line breaks are ``\\r\\n``, ``\\n`` and a lone ``\\r``, as ``csv`` with ``newline=""`` sees them.
    """
    a = np.frombuffer(data, dtype=np.uint8)
    if len(a) == 0:
        return np.zeros(0, dtype=np.int64), 0
    nl = a == 10
    cr = a == 13
    lone_cr = cr.copy()
    lone_cr[:-1] &= ~nl[1:]
    ends = np.flatnonzero(nl | lone_cr)
    starts = np.concatenate(([0], ends + 1))
    content_end = ends.copy()
    crlf = nl[ends] & (ends > 0)
    crlf[crlf] &= cr[ends[crlf] - 1]
    content_end[crlf] -= 1
    if starts[-1] < len(a):  # a last line without a line break
        content_end = np.concatenate((content_end, [len(a)]))
    else:
        starts = starts[:-1]
    nonempty = np.flatnonzero(content_end > starts)
    return nonempty.astype(np.int64), len(starts)


def iter_chunks(path: Path, offset: int, first_line: int, size: int | None = None) -> Iterator[Chunk]:
    """The file from ``offset`` in chunks of about ``size`` bytes (default :data:`CHUNK_BYTES`),
    each cut after a ``\\n``."""
    size = size or CHUNK_BYTES
    with open(path, "rb") as f:
        f.seek(offset)
        carry = b""
        line = first_line
        while True:
            block = f.read(size)
            data = carry + block
            if not data:
                return
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # no line break yet: read on
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            idx, n = _line_layout(data)
            yield Chunk(offset, line, data, idx + line, n)
            offset += len(data)
            line += n
            if not block:
                return


def parse_chunk(chunk: Chunk, header: Sequence[str]) -> pa.Table | None:
    """The chunk's rows as string columns (empty cells null), or None when the chunk cannot
    be proved to hold exactly one record per non-empty line."""
    if not chunk.data:
        return None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(chunk.data),
            read_options=pacsv.ReadOptions(column_names=list(header), use_threads=True, block_size=4 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
                true_values=[],
                false_values=[],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != len(chunk.lines):
        return None
    for col in table.columns:
        if col.null_count == len(col):
            continue
        if pc.max(pc.binary_length(col)).as_py() > MAX_FIELD:
            return None
        if has_bytes(col, _NEWLINE_BYTES):
            return None
    return table.combine_chunks()


# -- vectorised normalisation --------------------------------------------------------------------


def py_strip(col: pa.Array) -> pa.Array:
    """``str.strip()`` of every value."""
    return pc.utf8_trim(col, characters=PY_WHITESPACE)


def _mask(arr: pa.Array | pa.ChunkedArray) -> Mask:
    """A boolean Arrow array as numpy, null as False.

    Read from the bit buffers (values and validity) directly: ``fill_null`` on a boolean array
    with nulls costs about as much as the kernel that made it.

    >>> _mask(pa.array([True, None, False, True])[1:]).tolist()
    [False, False, True]
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    if arr.type != pa.bool_() or n == 0:
        return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=np.bool_)
    validity, values = arr.buffers()[:2]

    def bits(buf: pa.Buffer) -> Mask:
        packed = np.frombuffer(buf, dtype=np.uint8)
        return np.unpackbits(packed, bitorder="little")[arr.offset : arr.offset + n].view(np.bool_)

    out = bits(values)
    if validity is not None and arr.null_count:
        out = out & bits(validity)
    return out


def _blank(col: pa.Array) -> Mask:
    """Null or empty (after stripping)."""
    return _mask(pc.or_kleene(pc.is_null(col), pc.equal(pc.binary_length(col), 0)))


def _ascii_in(col: pa.Array, allowed: Sequence[str]) -> tuple[pa.Array, Mask]:
    """Lower-cased ASCII values and whether they are in ``allowed``."""
    low = pc.ascii_lower(col)
    ok = _mask(pc.and_(pc.string_is_ascii(col), pc.is_in(low, value_set=pa.array(list(allowed)))))
    return low, ok


def _opt(col: pa.Array) -> pa.Array:
    """An optional string: stripped, empty -> null.

    The empty values are nulled in the validity bitmap over the same data (``if_else`` would
    copy every string).

    >>> _opt(pa.array([" a ", "", None, "  ", "b"])).to_pylist()
    ['a', None, None, None, 'b']
    """
    s = py_strip(col)
    keep = _mask(pc.greater(pc.binary_length(s), 0))
    if keep.all() or s.type != pa.string():
        return s if keep.all() else pc.if_else(pa.array(keep), s, pa.scalar(None, s.type))
    if s.offset:
        s = pa.concat_arrays([s])
    validity = pa.py_buffer(np.packbits(keep, bitorder="little"))
    return pa.Array.from_buffers(
        pa.string(), len(s), [validity, *s.buffers()[1:]], null_count=len(s) - int(keep.sum())
    )


def _date_col(col: pa.Array, *, past: bool, today: dt.date) -> tuple[pa.Array, Mask, npt.NDArray[np.int64]]:
    """ISO dates (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``) as ``YYYY-MM-DD`` strings, whether each
    value is plain (empty or a real date, not in the future when ``past``), and the day numbers
    (days since 1970; a large sentinel where empty)."""
    s = _opt(col)
    n = len(s)
    empty = _mask(pc.is_null(s))
    days = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    ok = empty.copy()
    if empty.all():
        return s, ok, days
    shaped = _mask(pc.match_substring_regex(s, _DATE_RE))
    padded = pc.binary_join_element_wise(
        s,
        pc.if_else(
            pc.equal(pc.binary_length(s), 4),
            "-01-01",
            pc.if_else(pc.equal(pc.binary_length(s), 7), "-01", ""),
        ),
        "",
    )
    filled = pc.if_else(pa.array(shaped), padded, "1970-01-01")
    y = pc.cast(pc.utf8_slice_codeunits(filled, 0, 4), pa.int64()).to_numpy()
    m = pc.cast(pc.utf8_slice_codeunits(filled, 5, 7), pa.int64()).to_numpy()
    d = pc.cast(pc.utf8_slice_codeunits(filled, 8, 10), pa.int64()).to_numpy()
    valid = shaped & (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1)
    mm = np.where(valid, (y - 1970) * 12 + (m - 1), 0).astype("datetime64[M]")
    month_start = mm.astype("datetime64[D]").astype(np.int64)
    month_len = (mm + 1).astype("datetime64[D]").astype(np.int64) - month_start
    valid &= d <= month_len
    day = month_start + d - 1
    if past:
        valid &= day <= (today - dt.date(1970, 1, 1)).days
    days = np.where(valid, day, days)
    ok |= valid
    return pc.if_else(pa.array(valid), padded, pa.scalar(None, pa.string())), ok, days


def _clean_cells(table: pa.Table) -> Mask:
    """Rows whose cells hold no information separator (U+001C..U+001F), so that stripping means
    the same to the bundle loader (``str.strip()``) and to pydantic."""
    ok = np.ones(table.num_rows, dtype=np.bool_)
    for col in table.columns:
        if has_bytes(col, _SEPARATOR_BYTES):
            ok &= ~_mask(pc.match_substring_regex(col, _SEPARATORS))
    return ok


def _single_item_list(col: pa.Array) -> tuple[pa.Array, Mask]:
    """A ``;``-separated list cell holding at most one item, as its JSON text (``[]`` or
    ``["x"]``), and whether the cell is that simple."""
    s = _opt(col)
    ok = ~_mask(pc.match_substring(s, ";"))
    js = pc.if_else(
        pc.is_null(s),
        "[]",
        pc.binary_join_element_wise("[", json_strings(s), "]", ""),
    )
    return js, ok


@dataclass(frozen=True)
class Validated:
    """A chunk after column-wise checks."""

    columns: pa.Table
    """Normalised store columns (:data:`~ownergraph.graph.store.ENTITY_COLUMNS` or
    :data:`~ownergraph.graph.store.OWNERSHIP_COLUMNS`); meaningful where ``ok``."""
    ok: Mask
    """Rows proved valid whose normalised values the columns hold."""
    ids: pa.Array | None = None
    """Entities: each row's id as the duplicate check sees it (``str.strip()``), null if empty."""


def _col(table: pa.Table, name: str) -> pa.Array:
    if name in table.column_names:
        return table.column(name).combine_chunks()
    return pa.nulls(table.num_rows, pa.string())


def validate(type_: str, table: pa.Table, *, today: dt.date | None = None) -> Validated:
    """Check and normalise one parsed chunk of ``type_`` rows (columns named as in the header,
    already stripped)."""
    today = today or dt.date.today()
    if type_ == "entity":
        return _entities(table, today)
    if type_ == "ownership":
        return _ownership(table, today)
    raise ValueError(f"no column-wise validator for {type_}")


def _entities(table: pa.Table, today: dt.date) -> Validated:
    n = table.num_rows
    ok = _clean_cells(table)
    ids = _opt(_col(table, "id"))
    names = _opt(_col(table, "name"))
    ok &= ~_mask(pc.is_null(ids)) & ~_mask(pc.is_null(names))
    kind_raw = _opt(_col(table, "kind"))
    kind_low, kind_ok = _ascii_in(kind_raw, ENTITY_KINDS)
    kind_null = _mask(pc.is_null(kind_raw))
    ok &= kind_ok | kind_null
    kind = pc.if_else(pa.array(kind_null), "company", kind_low)
    jur_raw = _opt(_col(table, "jurisdiction"))
    jur_null = _mask(pc.is_null(jur_raw))
    jur_ok = _mask(
        pc.and_(
            pc.string_is_ascii(jur_raw),
            pc.match_substring_regex(jur_raw, r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$"),
        )
    )
    ok &= jur_ok | jur_null
    jur = pc.ascii_upper(jur_raw)
    aliases, a_ok = _single_item_list(_col(table, "aliases"))
    notes, n_ok = _single_item_list(_col(table, "notes"))
    src_name = "source" if "source" in table.column_names else "sources"
    sources, s_ok = _single_item_list(_col(table, src_name))
    ok &= a_ok & n_ok & s_ok
    # blank identifiers, or exactly one LEI (common in real bundles: 22% of the realistic preset);
    # anything else goes through the per-row path
    ident = py_strip(_col(table, "identifiers"))
    ident_blank = _blank(ident)
    lei = pc.struct_field(pc.extract_regex(ident, r"^(?i:lei):(?P<v>[A-Za-z0-9]{18}[0-9]{2})$"), "v")
    lei_ok = _mask(pc.is_valid(lei))
    ok &= ident_blank | lei_ok
    ident_json = pc.if_else(
        pa.array(lei_ok),
        pc.binary_join_element_wise('{"lei":["', pc.ascii_upper(pc.fill_null(lei, "")), '"]}', ""),
        "{}",
    )
    inc, inc_ok, _ = _date_col(_col(table, "incorporated"), past=True, today=today)
    dis, dis_ok, _ = _date_col(_col(table, "dissolved"), past=True, today=today)
    ok &= inc_ok & dis_ok
    cols = {
        "id": ids,
        "name": names,
        "kind": kind,
        "jurisdiction": jur,
        "aliases": aliases,
        "identifiers": ident_json if n else pa.array([], pa.string()),
        "incorporated": inc,
        "dissolved": dis,
        "notes": notes,
        "sources": sources,
    }
    assert tuple(cols) == ENTITY_COLUMNS
    # the duplicate check strips with str.strip() whatever else the row holds
    stripped = py_strip(_col(table, "id"))
    dup_ids = pc.if_else(pc.equal(pc.binary_length(stripped), 0), pa.scalar(None, pa.string()), stripped)
    return Validated(pa.table(cols), ok, dup_ids)


def _ppm(ints: pa.Array, fracs: pa.Array) -> npt.NDArray[np.int64]:
    i = pc.cast(pc.if_else(pc.equal(pc.binary_length(ints), 0), "0", ints), pa.int64()).to_numpy()
    f = pc.cast(pc.utf8_rpad(pc.fill_null(fracs, ""), width=4, padding="0"), pa.int64()).to_numpy()
    return np.asarray(i * 10_000 + f, dtype=np.int64)


def _shares(col: pa.Array) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int8], Mask]:
    """Shares as ``(lo, hi, flags)`` in ppm and whether each is a plain, valid share."""
    n = len(col)
    s = py_strip(col)
    low = pc.ascii_lower(s)
    ascii_ = _mask(pc.string_is_ascii(s))
    unknown = _mask(pc.is_null(s)) | _mask(pc.equal(pc.binary_length(s), 0))
    unknown |= ascii_ & _mask(pc.is_in(low, value_set=pa.array(_UNKNOWN_SHARES)))
    candidate = pc.if_else(pa.array(ascii_ & ~unknown), low, pa.scalar(None, pa.string()))
    # most shares are a plain number: a regex with two groups reads them at half the cost of
    # the full one, which then runs only on the rest (the same captures: the full regex without
    # its operator and second bound is the plain one)
    plain = pc.extract_regex(candidate, _PLAIN_SHARE_RE)
    is_plain = _mask(pc.is_valid(plain))
    m = pc.extract_regex(pc.if_else(pa.array(is_plain), pa.scalar(None, pa.string()), candidate), _SHARE_RE)
    matched = is_plain | _mask(pc.is_valid(m))
    lo = np.zeros(n, dtype=np.int64)
    hi = np.full(n, PPM, dtype=np.int64)
    flags = np.zeros(n, dtype=np.int8)
    flags[unknown] = 4
    ok = unknown.copy()
    if not matched.any():
        return lo, hi, flags, ok

    def field(name: str) -> pa.Array:
        # filled field by field: filling the struct instead costs ~200 times more
        if name in ("ai", "af"):
            return pc.coalesce(pc.struct_field(plain, name), pc.struct_field(m, name), "")
        return pc.fill_null(pc.struct_field(m, name), "")

    def eq(name: str, *values: str) -> Mask:
        f = field(name)
        out = np.zeros(n, dtype=np.bool_)
        for v in values:
            out |= _mask(pc.equal(f, v))
        return out

    ai, af, bi, bf = field("ai"), field("af"), field("bi"), field("bf")
    a_has = _mask(pc.greater(pc.add(pc.binary_length(ai), pc.binary_length(af)), 0))
    b_has = _mask(pc.greater(pc.add(pc.binary_length(bi), pc.binary_length(bf)), 0))
    a = _ppm(ai, af)
    b = _ppm(bi, bf)
    no_op = eq("op", "")
    no_b = eq("sep", "") & eq("cl", "") & ~b_has
    exact = matched & no_op & no_b & a_has
    bracket = matched & eq("op", "[", "(") & eq("sep", ",") & ~eq("cl", "") & a_has & b_has
    rng = matched & no_op & eq("sep", "-") & eq("cl", "") & a_has & b_has
    gt = matched & eq("op", ">", ">=", "=>") & no_b & a_has
    lt = matched & eq("op", "<", "<=", "=<") & no_b & a_has
    cmp_ = gt | lt
    a_ok = a <= PPM
    b_ok = b <= PPM
    lo_open = np.zeros(n, dtype=np.bool_)
    hi_open = np.zeros(n, dtype=np.bool_)
    # exact
    lo = np.where(exact, a, lo)
    hi = np.where(exact, a, hi)
    # bracket and range
    two = bracket | rng
    lo = np.where(two, a, lo)
    hi = np.where(two, b, hi)
    lo_open |= bracket & eq("op", "(")
    hi_open |= bracket & eq("cl", ")")
    # comparisons
    lo = np.where(gt, a, lo)
    hi = np.where(gt, PPM, hi)
    lo_open |= gt & eq("op", ">")
    lo = np.where(lt, 0, lo)
    hi = np.where(lt, a, hi)
    hi_open |= lt & eq("op", "<")
    shaped = exact | two | cmp_
    valid = shaped & a_ok & (b_ok | ~two)
    valid &= (lo <= hi) & ~((lo == hi) & (lo_open | hi_open))
    flags = np.where(valid, lo_open.astype(np.int8) | (hi_open.astype(np.int8) << 1), flags).astype(np.int8)
    ok |= valid
    lo = np.where(valid, lo, np.where(unknown, 0, lo))
    hi = np.where(valid, hi, np.where(unknown, PPM, hi))
    return lo, hi, flags, ok


def _ownership(table: pa.Table, today: dt.date) -> Validated:
    ok = _clean_cells(table)
    owner = _opt(_col(table, "owner_id"))
    owned = _opt(_col(table, "owned_id"))
    ok &= ~_mask(pc.is_null(owner)) & ~_mask(pc.is_null(owned))
    ok &= ~_mask(pc.equal(owner, owned))
    lo, hi, flags, share_ok = _shares(_col(table, "share"))
    ok &= share_ok
    kind_raw = _opt(_col(table, "kind"))
    kind_low, kind_ok = _ascii_in(kind_raw, OWNERSHIP_KINDS)
    kind_null = _mask(pc.is_null(kind_raw))
    ok &= kind_ok | kind_null
    kind = pc.if_else(pa.array(kind_null), "shares", kind_low)
    start, start_ok, start_d = _date_col(_col(table, "start"), past=True, today=today)
    end, end_ok, end_d = _date_col(_col(table, "end"), past=False, today=today)
    ok &= start_ok & end_ok
    both = _mask(pc.is_valid(start)) & _mask(pc.is_valid(end))
    ok &= ~(both & (end_d < start_d))
    cols: dict[str, Any] = {
        "owner_id": owner,
        "owned_id": owned,
        "lo": pa.array(lo, pa.int64()),
        "hi": pa.array(hi, pa.int64()),
        "flags": pa.array(flags.astype(np.int64), pa.int64()),
        "kind": kind,
        "arrangement": _opt(_col(table, "arrangement")),
        "start": start,
        "end": end,
        "source": _opt(_col(table, "source")),
    }
    assert tuple(cols) == OWNERSHIP_COLUMNS
    return Validated(pa.table(cols), ok)
