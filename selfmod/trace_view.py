"""Showing stored traces: a rich tree for the terminal and one self-contained HTML page per run."""

from __future__ import annotations

import html
import json
from importlib.resources import files

from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from selfmod.tools.traces import TraceRun

COLORS = {"chain": "cyan", "llm": "magenta", "tool": "green"}


def _label(run: TraceRun) -> str:
    color = COLORS.get(run.run_type, "white")
    tokens = run.total_tokens()
    extra = f" [dim]{tokens} tokens[/dim]" if tokens else ""
    error = f" [red]error: {escape((run.error or '').splitlines()[-1][:80])}[/red]" if run.error else ""
    return f"[{color}]{run.run_type}[/{color}] {escape(run.name)} [dim]{run.seconds * 1000:.0f} ms[/dim]{extra}{error}"


def rich_tree(run: TraceRun) -> Tree:
    """The run and its descendants with type, name, timing, tokens and errors."""
    tree = Tree(_label(run))

    def add(node: Tree, children: list[TraceRun]) -> None:
        for child in children:
            add(node.add(_label(child)), child.children)

    add(tree, run.children)
    return tree


def runs_table(runs: list[TraceRun]) -> Table:
    """One row per top-level run."""
    table = Table("run id", "name", "started (UTC)", "seconds", "tokens", "status", title="traces")
    for run in runs:
        status = "error" if run.error else "ok"
        table.add_row(run.id, run.name, run.start_time[:19], f"{run.seconds:.2f}", str(run.total_tokens()), status)
    return table


def html_page(run: TraceRun) -> str:
    """One self-contained page (no external resources) showing the run tree, prompts, diffs and test output."""
    data = json.dumps(run.as_dict(), ensure_ascii=False).replace("</", "<\\/")
    page = files("selfmod").joinpath("trace_page.html").read_text(encoding="utf-8")
    return page.replace("__TITLE__", html.escape(run.id)).replace("__DATA__", data)
