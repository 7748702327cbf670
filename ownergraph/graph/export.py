"""Exports of the graph for other tools: ``neo4j-admin`` import CSV, GraphML and JSON lines.

``neo4j-csv`` writes the property graph of :func:`ownergraph.graph.neo4j_store.property_graph`
(the same nodes, relationships and property values that ``ownergraph neo4j push`` writes) as
``neo4j-admin database import full`` files: one ID space per node label (``Entity``, ``Venue``,
``Regime``), typed headers, a ``:LABEL`` column on every node file and a ``:TYPE`` column on
every relationship file. ``graphml`` is the networkx graph of a view (as of a date), and
``json`` is every record of the columnar cache as one JSON object per line. ``ftm`` is FollowTheMoney JSON
lines (:mod:`ownergraph.graph.export_ftm`). :data:`EXPORTERS` maps each format to its writer.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ownergraph.errors import OwnergraphError
from ownergraph.graph.export_ftm import export_ftm
from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS, REGIME_IDS
from ownergraph.graph.neo4j_store import (
    SCHEMA_STATEMENTS,
    NodeSet,
    PropertyGraph,
    RelSet,
    cache_source,
    designation_columns,
    iso_dates,
    property_graph,
    provenance_columns,
    pylist,
    share_lists,
)

__all__ = [
    "EXPORTERS",
    "EXPORT_FORMATS",
    "Neo4jCsvExport",
    "export_graphml",
    "export_json",
    "export_neo4j_csv",
    "iter_json_records",
]

EXPORT_FORMATS: Final[tuple[str, ...]] = ("ftm", "graphml", "json", "neo4j-csv")
"""Formats ``ownergraph export --to`` accepts (see :data:`EXPORTERS` for those implemented)."""

_ARRAY_DELIMITERS: Final[tuple[tuple[str, str], ...]] = ((";", ";"), ("|", "|"), ("\x1f", "U+001F"))
"""Candidate array delimiters (character, ``--array-delimiter`` value), first unused wins."""


# -- neo4j-admin import CSV -------------------------------------------------------------------------


@dataclass(frozen=True)
class Neo4jCsvExport:
    """What :func:`export_neo4j_csv` wrote, and how to import it."""

    folder: Path
    node_files: list[Path]
    relationship_files: list[Path]
    nodes: dict[str, int]
    relationships: dict[str, int]
    array_delimiter: str = ";"
    """The ``--array-delimiter`` value (``;`` unless a list value contains one)."""
    multiline: bool = False
    """Whether a value spans lines (then ``--multiline-fields=true`` is needed)."""
    skipped: dict[str, int] = field(default_factory=dict)

    def import_args(self, database: str = "neo4j") -> list[str]:
        """Arguments after ``neo4j-admin database import full``, with absolute file paths."""
        args = [database]
        args += [f"--nodes={p.resolve()}" for p in self.node_files]
        args += [f"--relationships={p.resolve()}" for p in self.relationship_files]
        args.append(f"--array-delimiter={self.array_delimiter}")
        if self.multiline:
            args.append("--multiline-fields=true")
        return args


def _choose_delimiter(graph: PropertyGraph) -> tuple[str, str]:
    texts: list[pa.Array] = []
    for ns in graph.nodes:
        texts.extend(ns.columns[c].flatten() for c, typ in ns.types.items() if typ.endswith("[]"))
        if ns.extra_labels is not None:
            texts.append(ns.extra_labels)
    for char, arg in _ARRAY_DELIMITERS:
        if not any(pc.any(pc.match_substring(t.cast(pa.string()), char)).as_py() for t in texts):
            return char, arg
    raise OwnergraphError(
        "cannot export neo4j-csv: every array delimiter (; | U+001F) occurs in an id or identifier"
    )


_CSV_CHUNK: Final = 1 << 17
"""Rows formatted and written at a time: the CSV text of one chunk is the only copy in memory."""


def _quote(text: pa.Array | str) -> pa.Array:
    """Always-quoted CSV text (quotes doubled); null stays null."""
    return pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")


def _field(values: pa.Array, typ: str, delim: str) -> pa.Array:
    """One CSV column for ``neo4j-admin import``: empty (unquoted) is null, strings always quoted,
    lists joined with ``delim``, floats as ``NaN``/``Infinity`` the way Java parses them."""
    if typ.endswith("[]"):
        inner = values.flatten().cast(pa.string())
        offsets = pc.subtract(values.offsets, values.offsets[0])
        text = _quote(pc.binary_join(pa.ListArray.from_arrays(offsets, inner, mask=values.is_null()), delim))
    elif typ == "boolean":
        text = pc.if_else(values, "true", "false")
    elif typ in ("double", "float"):
        text = values.cast(pa.float64()).cast(pa.string())
        for raw, java in (("nan", "NaN"), ("inf", "Infinity"), ("-inf", "-Infinity")):
            text = pc.replace_substring_regex(text, f"^{raw}$", java)
    elif typ in ("long", "int"):
        text = values.cast(pa.int64()).cast(pa.string())
    else:
        text = _quote(values.cast(pa.string()))
    return pc.fill_null(text, "")


def _header(name: str, typ: str) -> str:
    return f"{name}:{typ}"


def _arrow_column(values: pa.Array, typ: str, delim: str) -> pa.Array | None:
    """``values`` as Arrow's CSV writer must render them for ``neo4j-admin import`` (what
    :func:`_field` spells out): strings (quoted by the writer), lists joined with ``delim``,
    numbers and booleans as they are. None when the writer cannot spell them: a float that is
    not finite, which the writer prints as ``nan``/``inf`` and Java does not parse."""
    if typ.endswith("[]"):
        return pc.binary_join(values.cast(pa.list_(pa.string())), delim)
    if typ == "boolean":
        return values.cast(pa.bool_())
    if typ in ("double", "float"):
        floats = values.cast(pa.float64())
        return floats if pc.all(pc.is_finite(floats)).as_py() is not False else None
    if typ in ("long", "int"):
        return values.cast(pa.int64())
    if pa.types.is_string(values.type) or pa.types.is_dictionary(values.type):
        return values
    return values.cast(pa.string())


_WRITE_OPTIONS: Final = pacsv.WriteOptions(include_header=False, quoting_style="needed", batch_size=1 << 14)
"""Arrow's CSV writer quotes every string value (quotes doubled) and leaves nulls empty and
unquoted, numbers and booleans bare: the spelling ``neo4j-admin import`` wants."""


def _write_csv(
    path: Path, header: Sequence[str], columns: Sequence[pa.Array | str], types: Sequence[str], delim: str
) -> bool:
    """Write ``columns`` (an str is a constant string value) chunk by chunk; return whether a
    value spans lines.

    Arrow's CSV writer formats a chunk in C++; a chunk with a float it cannot spell (NaN,
    infinities) is joined from :func:`_field` texts instead. A value spans lines when its
    chunk holds a carriage return or more line feeds than rows.
    """
    n = next(len(c) for c in columns if not isinstance(c, str))
    multiline = False
    with path.open("wb") as f:
        f.write((",".join(header) + "\n").encode())
        for b in range(0, n, _CSV_CHUNK):
            m = min(_CSV_CHUNK, n - b)
            chunk = [
                pa.DictionaryArray.from_arrays(np.zeros(m, np.int8), pa.array([c], pa.string()))
                if isinstance(c, str)
                else c.slice(b, m)
                for c in columns
            ]
            arrays = [_arrow_column(col, typ, delim) for col, typ in zip(chunk, types, strict=True)]
            if all(a is not None for a in arrays):
                sink = pa.BufferOutputStream()
                table = pa.Table.from_arrays(arrays, names=[str(i) for i in range(len(arrays))])
                pacsv.write_csv(table, sink, _WRITE_OPTIONS)
                block = sink.getvalue()
            else:
                fields = (_field(col, typ, delim) for col, typ in zip(chunk, types, strict=True))
                lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*fields, ","), "\n", "")
                one = pa.ListArray.from_arrays(pa.array([0, m], pa.int32()), lines)
                block = pc.binary_join(one, "").cast(pa.binary())[0].as_buffer()
            data = np.frombuffer(block, np.uint8)
            multiline = multiline or bool(np.count_nonzero(data == 10) != m or np.any(data == 13))
            f.write(block)
    return multiline


def _write_nodes(path: Path, ns: NodeSet, delim: str) -> bool:
    cols = list(ns.columns)
    header = [_header(c, ns.types[c]) for c in cols] + [":LABEL"]
    labels: pa.Array | str = ns.label
    if ns.extra_labels is not None:
        labels = pc.binary_join_element_wise(ns.label, ns.extra_labels, delim)
    return _write_csv(
        path, header, [*(ns.columns[c] for c in cols), labels], [*(ns.types[c] for c in cols), _STRING], delim
    )


def _write_rels(path: Path, rs: RelSet, delim: str) -> bool:
    cols = list(rs.columns)
    header = [f":START_ID({rs.start[0]})", f":END_ID({rs.end[0]})", ":TYPE"]
    header += [_header(c, rs.types[c]) for c in cols]
    return _write_csv(
        path,
        header,
        [rs.src, rs.dst, rs.type, *(rs.columns[c] for c in cols)],
        [_STRING, _STRING, _STRING, *(rs.types[c] for c in cols)],
        delim,
    )


_STRING: Final = "string"


def export_neo4j_csv(
    ws_or_tables: Any, folder: str | Path, *, load_paths: Mapping[int, str] | None = None
) -> Neo4jCsvExport:
    """Write ``neo4j-admin database import full`` files for the whole workspace into ``folder``.

    Files: ``entities.csv``, ``venues.csv``, ``regimes.csv`` (nodes) and one file per
    relationship type (``owns.csv``, ``designated.csv``, ``listed_on.csv``, ...), plus
    ``import.sh`` (the ``neo4j-admin`` command) and ``schema.cypher`` (constraints and indexes
    to run once the server is up: the import tool does not create them). Import into a stopped
    server, then push or query as usual; a later ``neo4j push`` of the same workspace writes
    nothing, because both carry the same ids, keys and hashes.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise OwnergraphError(f"{out}: exists and is not a folder; choose another -o")
    out.mkdir(parents=True, exist_ok=True)
    graph = property_graph(ws_or_tables, load_paths=load_paths)
    delim, delim_arg = _choose_delimiter(graph)
    node_files: list[Path] = []
    multiline = False
    for ns in graph.nodes:
        if len(ns) == 0 and ns.label != "Entity":  # the import tool needs one --nodes file
            continue
        path = out / f"{ns.name}.csv"
        multiline = _write_nodes(path, ns, delim) or multiline
        node_files.append(path)
    rel_files: list[Path] = []
    for rs in graph.rels:
        path = out / f"{rs.name}.csv"
        multiline = _write_rels(path, rs, delim) or multiline
        rel_files.append(path)
    result = Neo4jCsvExport(
        folder=out,
        node_files=node_files,
        relationship_files=rel_files,
        nodes=graph.node_counts(),
        relationships=graph.rel_counts(),
        array_delimiter=delim_arg,
        multiline=multiline,
        skipped=dict(graph.skipped),
    )
    (out / "schema.cypher").write_text("".join(f"{s};\n" for s in SCHEMA_STATEMENTS), encoding="utf-8")
    command = shlex.join(["neo4j-admin", "database", "import", "full", *result.import_args()])
    (out / "import.sh").write_text(
        "#!/bin/sh\n"
        "# Import into a STOPPED Neo4j server (add --overwrite-destination=true to replace an existing\n"
        "# database), start it, then run schema.cypher once, e.g. cypher-shell -f schema.cypher\n"
        f"{command}\n",
        encoding="utf-8",
    )
    return result


# -- JSON lines ---------------------------------------------------------------------------------------


def iter_json_records(
    ws_or_tables: Any, *, load_paths: Mapping[int, str] | None = None
) -> Iterator[dict[str, Any]]:
    """Every record of the cache as a dict with a ``type``: entities (with all their ids),
    ownership, designations, listings, holdings, claims, and the venues that listings use.

    Ids are canonical ids; shares follow the output conventions; dates are ISO strings.
    """
    tables, paths = cache_source(ws_or_tables, load_paths)
    nodes = tables["nodes"]
    ids: list[str] = pylist(nodes, "id")
    keys = tables["keys"]
    others: list[list[str]] = [[] for _ in ids]
    for node, key in zip(pylist(keys, "node"), pylist(keys, "key"), strict=True):
        if node >= 0 and key != ids[node]:
            others[node].append(key)

    def entity_id(i: int) -> str | None:
        return ids[i] if i is not None and i >= 0 else None

    for i, (name, kind, jur) in enumerate(
        zip(pylist(nodes, "name"), pylist(nodes, "kind"), pylist(nodes, "jurisdiction"), strict=True)
    ):
        yield {
            "type": "entity",
            "id": ids[i],
            "name": name,
            "kind": ENTITY_KINDS[kind],
            "jurisdiction": jur,
            "ids": [ids[i], *sorted(others[i])],
        }
    e = tables["edges"]
    shares = share_lists(pylist(e, "lo"), pylist(e, "hi"), pylist(e, "flags"))
    yield from _records(
        "ownership",
        {
            "owner_id": [ids[i] for i in pylist(e, "src")],
            "owned_id": [ids[i] for i in pylist(e, "dst")],
            "kind": [OWNERSHIP_KINDS[k] for k in pylist(e, "kind")],
            "share": shares["share"],
            "share_min": shares["share_min"],
            "share_max": shares["share_max"],
            "arrangement": pylist(e, "arrangement"),
            "start": iso_dates(e.column("start").to_numpy()),
            "end": iso_dates(e.column("end").to_numpy()),
            **provenance_columns(e, paths),
        },
    )
    d = tables["designations"]
    yield from _records(
        "designation",
        {
            "entity_id": [entity_id(i) for i in pylist(d, "node")],
            "regime": [REGIME_IDS[r] for r in pylist(d, "regime")],
            **designation_columns(d, paths),
        },
    )
    li = tables["listings"]
    mics: list[str | None] = pylist(li, "mic")
    yield from _records(
        "listing",
        {
            "entity_id": [entity_id(i) for i in pylist(li, "node")],
            "mic": mics,
            "ticker": pylist(li, "ticker"),
            "isin": pylist(li, "isin"),
            "listed": iso_dates(li.column("listed").to_numpy()),
            "delisted": iso_dates(li.column("delisted").to_numpy()),
            **provenance_columns(li, paths),
        },
    )
    h = tables["holdings"]
    yield from _records(
        "holding",
        {
            "holder_id": [entity_id(i) for i in pylist(h, "holder")],
            "entity_id": [entity_id(i) for i in pylist(h, "node")],
            "isin": pylist(h, "isin"),
            "cusip": pylist(h, "cusip"),
            "shares": pylist(h, "shares"),
            "value": pylist(h, "value"),
            "weight": pylist(h, "weight"),
            "as_of": iso_dates(h.column("as_of").to_numpy()),
            **provenance_columns(h, paths),
        },
    )
    c = tables["claims"]
    yield from _records(
        "claim",
        {
            "subject_id": [entity_id(i) for i in pylist(c, "node")],
            "relation": pylist(c, "relation"),
            "name": pylist(c, "name"),
            **provenance_columns(c, paths),
        },
    )
    used = {m for m in mics if m}
    for v in tables["venues"].to_pylist():
        if v["mic"] in used:
            yield {"type": "venue", **v}


def _records(kind: str, columns: Mapping[str, Sequence[Any]]) -> Iterator[dict[str, Any]]:
    names = list(columns)
    for values in zip(*columns.values(), strict=True):
        yield {"type": kind, **dict(zip(names, values, strict=True))}


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def export_json(
    ws_or_tables: Any, out: IO[str], *, load_paths: Mapping[int, str] | None = None
) -> int:
    """Write :func:`iter_json_records` as JSON lines to ``out``; return the number of lines."""
    n = 0
    for rec in iter_json_records(ws_or_tables, load_paths=load_paths):
        out.write(json.dumps(rec, ensure_ascii=False, default=_json_default) + "\n")
        n += 1
    return n


# -- GraphML -------------------------------------------------------------------------------------------


def export_graphml(view: Any, out: IO[bytes] | str | Path) -> tuple[int, int]:
    """Write ``view.to_networkx()`` as GraphML; return (nodes, edges).

    GraphML has no list or null values: list attributes (``designations``, ``listings``) become
    JSON strings and null attributes are left out.
    """
    import networkx as nx

    g = view.to_networkx()

    def clean(attrs: dict[str, Any]) -> None:
        for k, v in list(attrs.items()):
            if v is None:
                del attrs[k]
            elif isinstance(v, (list, tuple, dict)):
                attrs[k] = json.dumps(v, ensure_ascii=False)

    clean(g.graph)
    for _, attrs in g.nodes(data=True):
        clean(attrs)
    for _, _, attrs in g.edges(data=True):
        clean(attrs)
    nx.write_graphml(g, out)
    return g.number_of_nodes(), g.number_of_edges()


Exporter = Callable[..., Any]
EXPORTERS: Final[dict[str, Exporter]] = {
    "neo4j-csv": export_neo4j_csv,
    "json": export_json,
    "graphml": export_graphml,
    "ftm": export_ftm,
}
"""Writer of each format."""
