"""The ``ownergraph`` command line: parse, call the library, render. No logic lives here.

Errors from the library (:class:`~ownergraph.errors.OwnergraphError`) become one line on stderr
and exit status 1; usage errors exit 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ownergraph.errors import OwnergraphError
from ownergraph.render import FORMATS, render

F = TypeVar("F", bound=Callable[..., Any])


class _Group(click.Group):
    """Turns library errors into one clear line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OwnergraphError as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {e}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted; the workspace is unchanged by the unfinished step", err=True)
            ctx.exit(130)


def format_option(f: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table for people; json (one array of rows) or csv for pipes.",
    )(f)


def _emit(rows: Any, fmt: str, **kw: Any) -> None:
    click.echo(render(rows, fmt, **kw), nl=False)


def _workspace(ctx: click.Context) -> Any:
    from ownergraph.graph.workspace import open_workspace

    obj = ctx.obj
    if obj.get("ws") is None:
        obj["ws"] = open_workspace(obj["workspace"])
        ctx.call_on_close(obj["ws"].close)
    return obj["ws"]


def _view(ctx: click.Context) -> Any:
    """The graph as of ``--as-of`` from the ``--engine`` chosen (one view per command)."""
    from ownergraph.graph.engine import open_view

    obj = ctx.obj
    if obj.get("engine") != "neo4j":
        return open_view("memory", workspace=_workspace(ctx), as_of=obj["as_of"])
    if obj.get("view") is None:
        conn = _neo4j_settings(ctx)
        obj["view"] = open_view("neo4j", as_of=obj["as_of"], **conn)
        ctx.call_on_close(obj["view"].close)
    return obj["view"]


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    from ownergraph.graph.model import parse_date

    if value is None:
        return None
    try:
        return parse_date(value, field="--as-of")
    except OwnergraphError as e:
        raise click.BadParameter(str(e)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    envvar="OWNERGRAPH_WORKSPACE",
    default="ownergraph-data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Workspace folder.",
)
@click.option(
    "--as-of",
    callback=_date,
    default=None,
    metavar="YYYY-MM-DD",
    help="Evaluate edges, designations and listings as of this date (default today).",
)
@click.option(
    "--engine",
    envvar="OWNERGRAPH_ENGINE",
    type=click.Choice(["memory", "neo4j"]),
    default="memory",
    show_default=True,
    help="Answer queries from the workspace (memory) or from a Neo4j server it was pushed to"
    " (--uri/--user/--password/--database or NEO4J_*).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="ownergraph")
@click.pass_context
def cli(
    ctx: click.Context,
    workspace: str,
    as_of: dt.date | None,
    engine: str,
    debug: bool,
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
) -> None:
    """Build a knowledge graph of corporate ownership and sanctions, and trace what they miss.

    \b
    Example:
      ownergraph load ownergraph/data/sensetime
      ownergraph show registration:HK:2162198
    """
    ctx.ensure_object(dict)
    ctx.obj.update(
        workspace=workspace,
        as_of=as_of,
        debug=debug,
        ws=None,
        engine=engine,
        view=None,
        uri=uri,
        user=user,
        password=password,
        database=database,
    )


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", default=None, help="Source format (detected from content when omitted).")
@click.option("--strict", is_flag=True, help="Any bad record fails the whole file; nothing is written.")
@click.option(
    "--snapshot-date",
    default=None,
    metavar="YYYY-MM-DD",
    help="Date of a list snapshot whose file states none (default: today; a date in the file wins).",
)
@click.option(
    "--not-snapshot",
    is_flag=True,
    help="A partial extract of a list: designations absent from it are not marked removed "
    "(on a loaded file: retract the snapshot it recorded).",
)
@click.pass_context
def load(
    ctx: click.Context,
    paths: tuple[Path, ...],
    fmt: str | None,
    strict: bool,
    snapshot_date: str | None,
    not_snapshot: bool,
) -> None:
    """Load files into the workspace, one transaction per file.

    \b
    Example:
      ownergraph --workspace ws load ownergraph/data/sensetime
      ownergraph load --format bundle data/my-bundle.jsonl --strict
      ownergraph load cons_prim.csv --snapshot-date 2025-06-01

    A newer snapshot of a list (OFAC SDN or consolidated, CSL, DoD 1260H, MIEU, an
    OpenSanctions export) marks designations absent from it as removed on its date; a warning
    says so when the file states no date. Reloading a loaded file with --not-snapshot retracts
    the snapshot it recorded (a partial extract loaded by mistake).
    """
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ownergraph.loaders import LOADERS

    if fmt is not None and fmt not in LOADERS:
        raise click.BadParameter(f"{fmt!r}; choose from {', '.join(sorted(LOADERS))}", param_hint="--format")
    ws = _workspace(ctx)
    console = Console(stderr=True)
    failed = 0
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        for path in paths:
            task = bar.add_task(f"loading {path.name}", total=None)

            def detected(p: Path, f: str) -> None:
                click.echo(f"{p}: format {f}{' (detected)' if fmt is None else ''}", err=True)

            reports = ws.load(
                [path],
                format=fmt,
                strict=strict,
                progress=lambda n, t=task: bar.update(t, completed=n),
                on_detect=detected,
                snapshot_date=snapshot_date,
                not_snapshot=not_snapshot,
            )
            for r in reports:
                if r.already_loaded:
                    click.echo(f"{r.path}: already loaded (sha256 {r.sha256[:12]}), nothing added", err=True)
                    continue
                click.echo(
                    f"{r.path}: read {r.read:,}, added {r.added:,}, duplicate {r.duplicate:,}, merged "
                    f"{r.merged:,}, rejected {r.rejected:,} in {r.seconds:.2f}s",
                    err=True,
                )
                if r.snapshot:
                    click.echo(f"  {r.snapshot}", err=True)
                for w in r.snapshot_warnings:
                    click.echo(f"  warning: {w}", err=True)
                if r.rejected:
                    click.echo(f"  first reject: {r.first_reject}", err=True)
                    click.echo(f"  reject report: {r.rejects_file}", err=True)
                    # a failure only when no record was accepted: a newer snapshot whose new rows
                    # were all rejected but whose other rows are already stored (added 0,
                    # duplicate > 0) did load, and its snapshot was recorded
                    if r.added == 0 and r.duplicate == 0:
                        failed += 1
    if failed:
        raise OwnergraphError(f"{failed} file(s) loaded nothing: every record was rejected (see the reports)")


@cli.command()
@format_option
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """Counts by record kind, entity kind, edge kind, regime and source format.

    \b
    Example:
      ownergraph stats --format json
    """
    from ownergraph.queries.lookup import stats as _stats

    _emit(_stats(_view(ctx)), fmt)


@cli.command()
@click.argument("text")
@click.option("--limit", default=50, show_default=True, help="At most this many rows.")
@format_option
@click.pass_context
def search(ctx: click.Context, text: str, limit: int, fmt: str) -> None:
    """Find entities by name, alias, id or identifier.

    \b
    Example:
      ownergraph search sensetime
    """
    from ownergraph.queries.lookup import search as _search

    _emit(_search(_view(ctx), text, limit=limit), fmt)


@cli.command()
@click.argument("id")
@format_option
@click.pass_context
def show(ctx: click.Context, id: str, fmt: str) -> None:
    """Show one entity with all its ids, sources, edges, designations, listings and claims.

    ID may be any id the entity answers to, e.g. an identifier like lei:... or registration:HK:2162198.

    \b
    Example:
      ownergraph show registration:HK:2162198
    """
    from ownergraph.queries.lookup import show as _show

    detail = _show(_view(ctx), id)
    if fmt != "table":
        _emit(detail, fmt)
        return
    click.echo(_show_text(detail))


@cli.command()
@click.argument("id_a")
@click.argument("id_b")
@click.option("--undo", is_flag=True, help="Reverse an earlier same-as (history is kept).")
@click.option("--source", default=None, help="Why: a citation for the merge.")
@click.pass_context
def sameas(ctx: click.Context, id_a: str, id_b: str, undo: bool, source: str | None) -> None:
    """Record that two ids name the same entity (a reviewed merge), or undo it.

    \b
    Example:
      ownergraph sameas dod1260h:sensetime-group-inc sensetime-group-inc --source "annual report"
      ownergraph sameas --undo dod1260h:sensetime-group-inc sensetime-group-inc
    """
    n = _workspace(ctx).sameas(id_a, id_b, undo=undo, source=source)
    verb = "undone" if undo else "recorded"
    click.echo(f"same-as {id_a} = {id_b}: {n} record(s) {verb}", err=True)


@cli.command()
@click.option(
    "-o",
    "--out",
    "out",
    default="ownergraph-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the demo workspace and pictures.",
)
@click.pass_context
def demo(ctx: click.Context, out: str) -> None:
    """Run the SenseTime case study: load the bundled facts with the real OFAC and DoD 1260H lists,
    print the loophole paths, the investors' exposure and the review candidates, draw the picture.

    \b
    Example:
      ownergraph demo
      ownergraph --as-of 2022-01-07 demo -o /tmp/sensetime-demo
    """
    from ownergraph.demo import LISTED_PARENT, run_demo
    from ownergraph.queries.lookup import show as _show

    click.echo(f"Loading the SenseTime case study into {out}/workspace ...")
    ws, res = run_demo(out, as_of=ctx.obj["as_of"], echo=click.echo)
    ctx.obj["ws"] = ws
    ctx.call_on_close(ws.close)
    view = res.view
    click.echo(
        f"\nAs of {view.as_of}. One entity, several sources: SenseTime Group Limited answers to "
        + ", ".join(res.merged_ids)
    )
    click.echo(
        "(OFAC entity 33114 was resolved to the Hong Kong company by its registration number,"
        " not its name.)\n"
    )
    click.echo("The listed parent:")
    click.echo(_show_text(_show(view, LISTED_PARENT)))
    click.echo("")
    click.echo(
        render(
            res.findings,
            "table",
            columns=["finding_id", "pattern", "regime", "path", "mic", "explanation"],
            title="Loophole findings",
        ),
        nl=False,
    )
    click.echo(
        render(
            res.exposure,
            "table",
            columns=["input", "regime", "relation", "related_id", "path", "explanation"],
            title="What each named investor is exposed to",
        ),
        nl=False,
    )
    if res.candidates:
        click.echo(
            render(
                res.candidates,
                "table",
                columns=["a", "b", "score", "reason"],
                title="Candidate matches for review (never merged automatically)",
            ),
            nl=False,
        )
    if res.html:
        click.echo(f"\nPicture: {res.html} (opens offline in any browser)")
    first = res.findings[0].finding_id if res.findings else "ID"
    click.echo(
        "\nNext:\n"
        f"  ownergraph -w {out}/workspace loopholes --regime ofac-ns-cmic\n"
        f"  ownergraph -w {out}/workspace path qualcomm shenzhen-sensetime\n"
        f"  ownergraph -w {out}/workspace viz --finding {first}\n"
        f"  ownergraph -w {out}/workspace sameas dod1260h:sensetime-group-inc sensetime-group-inc"
        "  # after review\n"
        "  notebooks/ for the case study, portfolio screening and regimes side by side"
    )


_REGIME_CHOICE = click.Choice(
    ["ofac-sdn", "ofac-ssi", "ofac-ns-cmic", "bis-entity-list", "eu", "uk", "info"], case_sensitive=False
)


@cli.command()
@format_option
@click.pass_context
def regimes(ctx: click.Context, fmt: str) -> None:
    """The regimes as data: seeds, threshold, aggregation, indirect method, control limb, scope,
    dated windows (e.g. the BIS Affiliates rule suspension) and sources, resolved for the date.

    \b
    Example:
      ownergraph regimes
      ownergraph --as-of 2026-03-01 regimes --format json
    """
    import datetime as _dt

    from ownergraph.queries.regimes import regime_table

    rows = regime_table(ctx.obj["as_of"] or _dt.date.today())
    _emit(
        rows,
        fmt,
        columns=[
            "id",
            "threshold",
            "aggregate",
            "indirect",
            "control_limb",
            "scope",
            "rule_status",
            "windows",
        ],
    )


@cli.command()
@click.option(
    "--regime",
    "regimes",
    multiple=True,
    type=_REGIME_CHOICE,
    help="Regime(s) to evaluate (repeatable; default: all but info).",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["designated", "restricted", "possibly_restricted"]),
    help="Only rows with this status (repeatable).",
)
@format_option
@click.pass_context
def restricted(ctx: click.Context, regimes: tuple[str, ...], statuses: tuple[str, ...], fmt: str) -> None:
    """Who is designated, restricted or possibly restricted under each regime as of the date, and why.

    Each derived row carries its basis (owners, shares, edges, sources), the rule and the
    iteration that derived it.

    \b
    Example:
      ownergraph --as-of 2022-01-07 restricted --regime ofac-sdn --regime uk
      ownergraph restricted --status restricted --format json
    """
    from ownergraph.queries.restricted import restricted as _restricted

    view = _view(ctx)
    rows: list[Any] = []
    for r in regimes or ("ofac-sdn", "ofac-ssi", "ofac-ns-cmic", "bis-entity-list", "eu", "uk"):
        rows.extend(x for x in _restricted(view, r) if not statuses or x.status in statuses)
    _emit(rows, fmt, columns=["regime", "status", "id", "name", "share", "rule", "iteration", "basis"])


@cli.command()
@click.option("--regime", "regimes", multiple=True, type=_REGIME_CHOICE, help="Regime(s) (repeatable).")
@click.option("--pattern", "patterns", multiple=True, help="Pattern(s) (repeatable), e.g. listed-parent.")
@click.option("--max-depth", default=6, show_default=True, help="Hops searched along ownership chains.")
@format_option
@click.pass_context
def loopholes(
    ctx: click.Context, regimes: tuple[str, ...], patterns: tuple[str, ...], max_depth: int, fmt: str
) -> None:
    """Named loophole patterns: where a restriction stops at a corporate boundary.

    Patterns: listed-parent, unlisted-affiliate, name-mismatch, aggregation-split, sub-threshold,
    control-without-ownership, exposure-wrapper, timing, cycle.

    \b
    Example:
      ownergraph --as-of 2022-01-07 loopholes --pattern listed-parent
      ownergraph loopholes --regime ofac-ns-cmic --format json
    """
    from ownergraph.queries.loopholes import PATTERNS
    from ownergraph.queries.loopholes import loopholes as _loopholes

    bad = [p for p in patterns if p not in PATTERNS]
    if bad:
        raise click.BadParameter(
            f"{', '.join(bad)}; choose from {', '.join(PATTERNS)}", param_hint="--pattern"
        )
    rows = _loopholes(_view(ctx), regimes=regimes or None, patterns=patterns or None, max_depth=max_depth)
    _emit(
        rows,
        fmt,
        columns=[
            "finding_id",
            "pattern",
            "regime",
            "designated_id",
            "subject_id",
            "mic",
            "path",
            "explanation",
        ],
    )


@cli.command()
@click.argument("id")
@click.option("--up/--down", "up", default=True, help="Owners (--up, default) or holdings (--down).")
@click.option(
    "--look-through",
    is_flag=True,
    help="Integrated ownership (multiplied along paths): an economic measure, not a legal status.",
)
@click.option("--min-share", default=0.0, show_default=True, help="Only stakes of at least this percent.")
@click.option("--max-depth", default=None, type=int, help="Hops for --look-through (default: unbounded).")
@format_option
@click.pass_context
def ownership(
    ctx: click.Context,
    id: str,
    up: bool,
    look_through: bool,
    min_share: float,
    max_depth: int | None,
    fmt: str,
) -> None:
    """Owners or holdings of an entity, direct or look-through.

    \b
    Example:
      ownergraph ownership sensetime-group-ltd --up
      ownergraph ownership qualcomm --down --look-through --min-share 1
    """
    from ownergraph.queries.ownership import ownership as _ownership

    rows = _ownership(
        _view(ctx),
        id,
        direction="up" if up else "down",
        look_through=look_through,
        min_share=min_share,
        max_depth=max_depth,
    )
    _emit(rows, fmt, columns=["owner_id", "owned_id", "share", "kind", "depth", "source"])


@cli.command()
@click.argument("from_id", metavar="FROM")
@click.argument("to_id", metavar="TO")
@click.option("--k", default=1, show_default=True, help="How many shortest paths.")
@click.option("--directed", is_flag=True, help="Follow owner → owned only (default: either way).")
@click.option("--max-depth", default=12, show_default=True, help="Longest path searched, in hops.")
@format_option
@click.pass_context
def path(
    ctx: click.Context, from_id: str, to_id: str, k: int, directed: bool, max_depth: int, fmt: str
) -> None:
    """The k shortest ownership/control paths between two entities, each hop with its source.

    \b
    Example:
      ownergraph path qualcomm shenzhen-sensetime --k 3
      ownergraph path sensetime-group-inc beijing-sensetime --directed --format json
    """
    from ownergraph.queries.paths import paths as _paths

    rows = _paths(_view(ctx), from_id, to_id, k=k, directed=directed, max_depth=max_depth)
    _emit(rows, fmt, columns=["rank", "length", "path", "edges"])


@cli.command()
@click.argument("portfolio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--regime", "regimes", multiple=True, type=_REGIME_CHOICE, help="Regime(s) (repeatable).")
@click.option("--max-depth", default=4, show_default=True, help="Hops searched up and down from each issuer.")
@format_option
@click.pass_context
def exposure(ctx: click.Context, portfolio: Path, regimes: tuple[str, ...], max_depth: int, fmt: str) -> None:
    """Screen a CSV of holdings (isin, ticker+mic, lei, id or name; optional weight) for exposure.

    \b
    Example:
      ownergraph --as-of 2022-01-07 exposure portfolio.csv --regime ofac-ns-cmic
    """
    from ownergraph.queries.exposure import exposure as _exposure

    rows = _exposure(_view(ctx), portfolio, regimes=regimes or None, max_depth=max_depth)
    _emit(
        rows,
        fmt,
        columns=["input", "entity_id", "regime", "status", "relation", "related_id", "path", "reason"],
    )


@cli.command()
@click.argument("id", required=False)
@click.option("--finding", default=None, help="A finding_id from `ownergraph loopholes`.")
@click.option(
    "--regime", "regimes", multiple=True, type=_REGIME_CHOICE, help="Regime(s) to search findings in."
)
@click.option(
    "-o",
    "--out",
    "out",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file to write (default: <id or finding>.html).",
)
@click.option("--depth", default=1, show_default=True, help="Neighbourhood depth around ID.")
@click.option("--max-nodes", default=300, show_default=True, help="Collapse the rest into '+N more' nodes.")
@click.option("--open", "open_", is_flag=True, help="Open the file in a browser.")
@click.pass_context
def viz(
    ctx: click.Context,
    id: str | None,
    finding: str | None,
    regimes: tuple[str, ...],
    out: Path | None,
    depth: int,
    max_nodes: int,
    open_: bool,
) -> None:
    """Draw an entity's neighbourhood or a finding as one offline, interactive HTML file.

    \b
    Example:
      ownergraph viz sensetime-group-inc --depth 2 -o sensetime.html
      ownergraph loopholes --format json | head; ownergraph viz --finding 1a2b3c4d5e -o finding.html
    """
    from ownergraph.errors import NotFoundError
    from ownergraph.viz import render as _render

    if (id is None) == (finding is None):
        raise click.UsageError("give either an ID or --finding N")
    view = _view(ctx)
    if finding is not None:
        from ownergraph.queries.loopholes import loopholes as _loopholes

        rows = [r for r in _loopholes(view, regimes=regimes or None) if r.finding_id.startswith(finding)]
        if not rows:
            raise NotFoundError(
                f"no finding {finding!r} as of {view.as_of}; list them with `ownergraph loopholes`"
            )
        target = out or Path(f"finding-{rows[0].finding_id}.html")
        written = _render(rows[:1], target, view=view, depth=depth, max_nodes=max_nodes)
    else:
        assert id is not None
        view.index(id)
        target = out or Path(f"{id.replace(':', '_').replace('/', '_')}.html")
        written = _render(view, target, focus=id, depth=depth, max_nodes=max_nodes)
    click.echo(f"wrote {written}", err=True)
    if open_:
        import webbrowser

        webbrowser.open(Path(str(written)).resolve().as_uri())


def _show_text(d: Any) -> str:
    lines = [f"{d.name}  [{d.kind}, {d.jurisdiction or 'jurisdiction unknown'}]", f"  id: {d.id}"]
    if len(d.ids) > 1:
        lines.append("  answers to: " + ", ".join(d.ids))
    for scheme, vals in d.identifiers.items():
        lines.append(f"  {scheme}: {', '.join(vals)}")
    if d.aliases:
        lines.append("  aliases: " + "; ".join(d.aliases[:12]) + (" …" if len(d.aliases) > 12 else ""))
    for s in d.sources:
        lines.append(f"  source: {s}")
    for x in d.designations:
        lines.append(
            f"  designated [{x['regime']}] {x['list'] or ''} {x['program'] or ''} listed {x['listed']}"
            f"{' removed ' + str(x['removed']) if x['removed'] else ''} — {x['source'] or x['file']}"
        )
        if x.get("history"):
            lines.append(f"    {x['history']}")
    for x in d.listings:
        lines.append(
            f"  listed on {x['mic'] or '?'} as {x['ticker'] or x['isin'] or '?'} from {x['listed']}"
            f" — {x['source'] or x['file']}"
        )
    for x in d.owners:
        lines.append(
            f"  owned by {x['owner_name']} ({x['owner_id']}): {x['share']} {x['kind']} — {x['source']}"
        )
    for x in d.holdings:
        lines.append(f"  owns {x['owned_name']} ({x['owned_id']}): {x['share']} {x['kind']} — {x['source']}")
    for x in d.claims:
        lines.append(
            f"  claim: {x['relation']} {x['name']!r} (name only, unresolved) — {x['source'] or x['file']}"
        )
    for r in d.records:
        lines.append(f"  record: {r['id']} from {r['file']} {r['locator'] or ''}")
    return "\n".join(lines)


# -- neo4j push / neo4j cypher / export (ownergraph.graph.neo4j_store, ownergraph.graph.export) --------
# One block, placed before main() so that `python -m ownergraph.cli` registers these commands too.

_NEO4J_SETTINGS: dict[str, tuple[str, str | None]] = {
    "uri": ("NEO4J_URI", "bolt://localhost:7687"),
    "user": ("NEO4J_USER", None),
    "password": ("NEO4J_PASSWORD", None),
    "database": ("NEO4J_DATABASE", "neo4j"),
}


def _neo4j_options(f: F) -> F:
    """``--uri/--user/--password/--database``, accepted on ``neo4j`` and after its subcommands."""
    f = click.option("--database", default=None, help="Database name (env NEO4J_DATABASE; default neo4j).")(f)
    f = click.option("--password", default=None, help="Password (env NEO4J_PASSWORD).")(f)
    f = click.option("--user", default=None, help="User name (env NEO4J_USER; omit when auth is off).")(f)
    f = click.option(
        "--uri", default=None, metavar="URI", help="Bolt URI (env NEO4J_URI; default bolt://localhost:7687)."
    )(f)
    return f


def _neo4j_settings(ctx: click.Context) -> dict[str, Any]:
    """Connection settings: the subcommand's option, then ``neo4j``'s, then a global one, then env."""
    import os

    out: dict[str, Any] = {}
    for name, (env, default) in _NEO4J_SETTINGS.items():
        value = None
        c: click.Context | None = ctx
        while value is None and c is not None:
            value = c.params.get(name)
            c = c.parent
        if value is None and ctx.obj:
            value = ctx.obj.get(name)
        out[name] = value if value is not None else os.environ.get(env) or default
    return out


_neo4j_options(cli)  # the connection options are global too (SPEC §7): `ownergraph --engine neo4j --uri ...`


@cli.group(name="neo4j")
@_neo4j_options
@click.pass_context
def neo4j_group(
    ctx: click.Context, uri: str | None, user: str | None, password: str | None, database: str | None
) -> None:
    """Sync the workspace into a Neo4j server and run Cypher on it (schema: docs/neo4j-schema.md).

    Connection options work here or after the subcommand; NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD
    and NEO4J_DATABASE are read when an option is not given.

    \b
    Example:
      ownergraph neo4j --uri bolt://localhost:7687 push
      ownergraph neo4j cypher "MATCH (n:Entity) RETURN count(n) AS entities"
    """
    ctx.ensure_object(dict)


@neo4j_group.command(name="push")
@_neo4j_options
@click.option(
    "--replace", is_flag=True, help="Delete ownergraph's nodes (and their edges) first: mirror exactly."
)
@click.option(
    "--batch", default=10_000, show_default=True, type=click.IntRange(min=1), help="Rows per transaction."
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Sessions writing batches at the same time (the server's cores do the work).",
)
@click.pass_context
def neo4j_push(
    ctx: click.Context,
    uri: str | None,
    user: str | None,
    password: str | None,
    database: str | None,
    replace: bool,
    batch: int,
    workers: int,
) -> None:
    """Write the workspace into Neo4j: constraints first, then MERGEd batches and a count check.

    Pushing the same workspace again writes nothing. Use --replace after same-as merges or undos,
    so that entities and edges the workspace no longer has are removed.

    \b
    Example:
      ownergraph neo4j push --uri bolt://localhost:7687 --user neo4j --password secret
      NEO4J_URI=bolt://localhost:7687 ownergraph neo4j push --replace
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from ownergraph.graph.neo4j_store import push

    conn = _neo4j_settings(ctx)
    ws = _workspace(ctx)
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("connecting", total=None)

        def progress(done: int, total: int, stage: str) -> None:
            bar.update(task, completed=done, total=total, description=f"pushing {stage}")

        report = push(
            ws,
            conn["uri"],
            user=conn["user"],
            password=conn["password"],
            database=conn["database"],
            replace=replace,
            batch=batch,
            workers=workers,
            progress=progress,
        )

    def counts(d: dict[str, int]) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in d.items()) or "none"

    click.echo(
        f"pushed to {report.uri} (database {report.database}, Neo4j {report.server_version}): "
        f"{sum(report.nodes.values()):,} nodes ({counts(report.nodes)}), "
        f"{sum(report.relationships.values()):,} relationships ({counts(report.relationships)}); "
        f"written {report.written:,}, created {report.nodes_created:,} nodes and "
        f"{report.relationships_created:,} relationships in {report.seconds:.1f}s",
        err=True,
    )
    if report.replaced:
        click.echo(
            f"  replaced: deleted {report.deleted_nodes:,} nodes and {report.deleted_relationships:,}"
            " relationships first",
            err=True,
        )
    if report.stale_nodes or report.stale_relationships:
        click.echo(
            f"  note: {report.stale_nodes:,} nodes and {report.stale_relationships:,} relationships in Neo4j"
            " are not in this workspace (an earlier push?); `ownergraph neo4j push --replace` mirrors it",
            err=True,
        )
    for what, n in report.skipped.items():
        click.echo(f"  not pushed: {n:,} {what}", err=True)


def _cypher_params(values: tuple[str, ...]) -> dict[str, Any]:
    import json

    out: dict[str, Any] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r}: write NAME=VALUE", param_hint="--param")
        try:
            out[name.strip()] = json.loads(raw)
        except ValueError:
            out[name.strip()] = raw
    return out


@neo4j_group.command(name="cypher")
@click.argument("query")
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Query parameter $NAME; VALUE is read as JSON when it parses (42, true, [1,2]), else as text.",
)
@_neo4j_options
@format_option
@click.pass_context
def neo4j_cypher(
    ctx: click.Context,
    query: str,
    params: tuple[str, ...],
    uri: str | None,
    user: str | None,
    password: str | None,
    database: str | None,
    fmt: str,
) -> None:
    """Run one Cypher query on the Neo4j server and print its rows.

    Nodes print as their properties plus _labels, relationships plus _type/_start/_end.

    \b
    Example:
      ownergraph neo4j cypher "MATCH (e:Entity) WHERE e.name CONTAINS \\$q RETURN e.id, e.name" -p q=SenseTime
      ownergraph neo4j cypher --format json "MATCH (:Entity)-[r:OWNS]->() RETURN count(r) AS owns"
    """
    from pydantic import BaseModel, ConfigDict

    from ownergraph.graph.neo4j_store import cypher

    class CypherRow(BaseModel):
        model_config = ConfigDict(extra="allow", frozen=True)

    conn = _neo4j_settings(ctx)
    rows = cypher(
        conn["uri"],
        query,
        _cypher_params(params),
        user=conn["user"],
        password=conn["password"],
        database=conn["database"],
    )
    _emit([CypherRow.model_validate(r) for r in rows], fmt)


@cli.command(name="export")
@click.option(
    "--to",
    "to",
    required=True,
    type=click.Choice(("ftm", "graphml", "json", "neo4j-csv")),
    help="neo4j-csv: neo4j-admin import files (a folder); graphml: the graph as of --as-of; json: every"
    " record as JSON lines; ftm: FollowTheMoney entities as JSON lines (every record, with its dates).",
)
@click.option(
    "-o",
    "--out",
    "out",
    default=None,
    type=click.Path(path_type=Path),
    help="Output file (default stdout), or the folder for neo4j-csv (required there).",
)
@click.pass_context
def export_command(ctx: click.Context, to: str, out: Path | None) -> None:
    """Write the graph for other tools: Neo4j bulk import, GraphML, JSON lines or FtM entities.

    \b
    Example:
      ownergraph export --to neo4j-csv -o neo4j-import/
      ownergraph --as-of 2022-01-07 export --to graphml -o graph.graphml
      ownergraph export --to json > records.jsonl
      ownergraph export --to ftm -o entities.ftm.json
    """
    try:
        _export(ctx, to, out)
    except OSError as e:  # a missing folder, no permission, a full disk: one line, exit 1
        where = e.filename or out or "stdout"
        raise OwnergraphError(f"{where}: cannot write ({e.strerror or e}); pass -o a writable path") from e


def _export(ctx: click.Context, to: str, out: Path | None) -> None:
    import shlex
    import sys

    from ownergraph.graph.export import EXPORTERS

    write = EXPORTERS[to]  # --to offers exactly these formats
    if to == "graphml":  # the graph as of a date, not the workspace's records
        view = _view(ctx)
        nodes, edges = write(view, out if out is not None else sys.stdout.buffer)
        click.echo(
            f"wrote GraphML as of {view.as_of}: {nodes:,} nodes, {edges:,} edges to {out or 'stdout'}",
            err=True,
        )
        return
    ws = _workspace(ctx)
    if to == "neo4j-csv":
        if out is None:
            raise click.UsageError("--to neo4j-csv writes a folder: pass -o DIR")
        result = write(ws, out)
        files = [*result.node_files, *result.relationship_files]
        click.echo(
            f"wrote {len(files)} files to {out}: {sum(result.nodes.values()):,} nodes,"
            f" {sum(result.relationships.values()):,} relationships",
            err=True,
        )
        click.echo(
            "  import into a stopped server: neo4j-admin database import full "
            + shlex.join(result.import_args())
            + f"  (also in {out / 'import.sh'}); then run {out / 'schema.cypher'} once",
            err=True,
        )
        return
    # JSON lines (json, ftm): to the file, else stdout
    if out is None:
        res = write(ws, sys.stdout)
    else:
        with open(out, "w", encoding="utf-8") as fh:
            res = write(ws, fh)
    where = out or "stdout"
    if to == "json":
        click.echo(f"wrote {res:,} records as JSON lines to {where}", err=True)
        return
    lines = ", ".join(f"{n:,} {schema}" for schema, n in sorted(res.lines.items()))
    click.echo(f"wrote {res.total:,} FtM entities to {where}: {lines}", err=True)
    for why, n in sorted(res.skipped.items()):
        click.echo(f"  not written: {n:,} {why}", err=True)
    for why, n in sorted(res.as_notes.items()):
        click.echo(f"  written as a note: {n:,} {why}", err=True)


# -- review candidates ---------------------------------------------------------------------------


@cli.command()
@click.option(
    "--min-score",
    default=85.0,
    show_default=True,
    type=click.FloatRange(0, 100),
    help="Only pairs scoring at least this (0-100, after legal-form, jurisdiction and other adjustments).",
)
@click.option(
    "--limit", default=200, show_default=True, type=click.IntRange(min=1), help="At most this many rows."
)
@format_option
@click.pass_context
def candidates(ctx: click.Context, min_score: float, limit: int, fmt: str) -> None:
    """Propose pairs that probably name the same entity, by name and jurisdiction, for review.

    Nothing is merged: accept a pair with `ownergraph sameas A B`. Rows of kind `claim` say which
    entity a claim's name (a DoD 1260H parent, an OFAC "Linked To:") probably means.

    \b
    Example:
      ownergraph candidates --min-score 90
      ownergraph sameas dod1260h:sensetime-group-inc sensetime-group-inc --source "annual report"
    """
    try:
        from ownergraph.queries.candidates import candidates as _candidates
    except ImportError as e:
        raise OwnergraphError(
            f"candidates needs rapidfuzz ({e}); install it with: pip install 'ownergraph[match]'"
        ) from None

    rows = _candidates(_view(ctx), min_score=min_score, limit=limit)
    _emit(rows, fmt, columns=["score", "kind", "a", "b", "a_name", "b_name", "reason"])


def main() -> None:  # pragma: no cover - console entry point
    cli(prog_name="ownergraph")


if __name__ == "__main__":  # pragma: no cover
    main()
