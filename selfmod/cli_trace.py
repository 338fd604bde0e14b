"""`selfmod trace list | show RUN_ID | export RUN_ID --html FILE`: the local run trees."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from selfmod.errors import InputError
from selfmod.tools.changes.atomic import atomic_write_text
from selfmod.tools.changes.state_dir import checked_settings

if TYPE_CHECKING:  # the tracer loads LangChain: only the trace commands need it
    from selfmod.tools.traces import TraceRun, TraceStore

trace_app = typer.Typer(help="Inspect the local traces in .selfmod/traces.sqlite.", no_args_is_help=True)
console = Console()
ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="The project selfmod works on.")]


def _store(project: Path) -> TraceStore:
    from selfmod.tools.traces import TRACES, TraceStore

    return TraceStore(checked_settings(project).state_dir / TRACES)


def _run(project: Path, run_id: str) -> TraceRun:
    run = _store(project).tree(run_id)
    if run is None:
        raise InputError(f"no trace run with id {run_id!r} (or the prefix is not unique); see `selfmod trace list`")
    return run


@trace_app.command("list")
def list_runs(project: ProjectOpt = Path("."), limit: Annotated[int, typer.Option(help="How many.")] = 20) -> None:
    """The most recent runs, with timings and token counts."""
    from selfmod.trace_view import runs_table

    console.print(runs_table(_store(project).roots(limit)))


@trace_app.command()
def show(
    run_id: Annotated[str, typer.Argument(help="A run id or a unique prefix.")], project: ProjectOpt = Path(".")
) -> None:
    """The run tree: chains, LLM calls and tool runs with timings, tokens and errors."""
    from selfmod.trace_view import rich_tree

    console.print(rich_tree(_run(project, run_id)))


@trace_app.command()
def export(
    run_id: Annotated[str, typer.Argument(help="A run id or a unique prefix.")],
    html: Annotated[Path, typer.Option("--html", help="Write one self-contained HTML page here.")],
    project: ProjectOpt = Path("."),
) -> None:
    """One HTML page of the run (tree, prompts, diffs, test output) that a browser opens offline."""
    from selfmod.trace_view import html_page

    atomic_write_text(html, html_page(_run(project, run_id)))
    console.print(f"wrote {html}")
