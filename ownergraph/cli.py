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
    return _workspace(ctx).graph(as_of=ctx.obj["as_of"])


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
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="ownergraph")
@click.pass_context
def cli(ctx: click.Context, workspace: str, as_of: dt.date | None, debug: bool) -> None:
    """Build a knowledge graph of corporate ownership and sanctions, and trace what they miss.

    \b
    Example:
      ownergraph load ownergraph/data/sensetime
      ownergraph show registration:HK:2162198
    """
    ctx.ensure_object(dict)
    ctx.obj.update(workspace=workspace, as_of=as_of, debug=debug, ws=None)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", default=None, help="Source format (detected from content when omitted).")
@click.option("--strict", is_flag=True, help="Any bad record fails the whole file; nothing is written.")
@click.pass_context
def load(ctx: click.Context, paths: tuple[Path, ...], fmt: str | None, strict: bool) -> None:
    """Load files into the workspace, one transaction per file.

    \b
    Example:
      ownergraph --workspace ws load ownergraph/data/sensetime
      ownergraph load --format bundle data/my-bundle.jsonl --strict
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
                if r.rejected:
                    click.echo(f"  first reject: {r.first_reject}", err=True)
                    click.echo(f"  reject report: {r.rejects_file}", err=True)
                    if r.added == 0:
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
@click.option("-o", "--out", "out", default="ownergraph-demo", show_default=True,
              type=click.Path(file_okay=False), help="Folder for the demo workspace and pictures.")
@click.pass_context
def demo(ctx: click.Context, out: str) -> None:
    """Run the SenseTime case study: load the bundled facts and the real lists they cite, print
    what the graph shows.

    \b
    Example:
      ownergraph demo -o /tmp/sensetime-demo
    """
    from ownergraph.demo import LISTED_PARENT, load_demo
    from ownergraph.queries.lookup import show as _show
    from ownergraph.queries.lookup import stats as _stats

    click.echo(f"Loading the SenseTime case study into {out}/workspace ...")
    ws, _ = load_demo(out, echo=click.echo)
    ctx.obj["ws"] = ws
    ctx.call_on_close(ws.close)
    view = ws.graph(as_of=ctx.obj["as_of"])
    click.echo(render(_stats(view), "table", title=f"Workspace as of {view.as_of}"), nl=False)
    click.echo("\nThe listed parent:")
    click.echo(_show_text(_show(view, LISTED_PARENT)))


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


def main() -> None:  # pragma: no cover - console entry point
    cli(prog_name="ownergraph")


if __name__ == "__main__":  # pragma: no cover
    main()
