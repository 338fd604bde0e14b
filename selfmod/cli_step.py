"""`selfmod step`, `selfmod history` and `selfmod replay`: watch the graph node by node, stop, edit, time-travel.

Stepping uses LangGraph breakpoints (`interrupt_before`) on the SQLite checkpointer, so quitting at any stop and
coming back later (`selfmod step --thread ID` or `selfmod resume ID`) continues from the checkpoint.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from selfmod.config import Settings
from selfmod.errors import InputError
from selfmod.model_spec import build_model
from selfmod.models import CodeContext, PatchProposal
from selfmod.tools.changes.apply import unified_diff
from selfmod.tools.changes.state_dir import checked_settings
from selfmod.tools.code.source_text import read_source
from selfmod.tools.patching.patch_engine import apply_proposal
from selfmod.tools.reflections import load_reflections

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig

STEP_NODES = ["extract_bug", "locate", "write_patch", "review_patch", "test_patch", "apply_patch"]
console = Console()
ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="The project selfmod works on.")]
ModelOpt = Annotated[str | None, typer.Option(help="openai:<name> or offline (default: from the environment).")]


def show_update(node: str, update: dict[str, Any], settings: Settings, seen: dict[str, Any]) -> None:
    """What a node changed, in a form a person reads quickly (`seen` keeps the code context for later diffs)."""
    if not isinstance(update, dict):
        return
    if update.get("context"):
        seen["context"] = update["context"]
    console.rule(f"[bold]{node}[/bold]")
    if update.get("item"):
        console.print(Panel(update["item"]["reflection"]["reflection"], title=f"reflection {update['item']['id']}"))
    if update.get("bug"):
        bug = update["bug"]
        console.print(
            f"bug report: [cyan]{bug['filename']}[/cyan] :: [cyan]{bug['function']}[/cyan] ({bug['severity']})"
        )
        console.print(f"  {bug['summary']}")
    if update.get("context"):
        console.print(Syntax(update["context"]["code"], "text"))
    if update.get("proposal"):
        proposal = update["proposal"]
        console.print(f"proposal: {proposal['explanation']}")
        console.print(Syntax(_proposal_diff(proposal, settings, seen.get("context")), "diff"))
    if update.get("verdict"):
        rejections = update["verdict"].get("rejections") or []
        console.print("critic: [green]accepted[/green]" if not rejections else "critic: [red]rejected[/red]")
        for r in rejections:
            console.print(f"  [{r['code']}] {r['message']}", markup=False)
    if update.get("new_text"):
        rel = (update.get("proposal") or {}).get("filename")
        if rel:
            before = read_source(settings.project_root / rel)[0]
            console.print(Syntax(unified_diff(rel, before, update["new_text"]), "diff"))
    if update.get("test_run"):
        run = update["test_run"]
        console.print(f"tests: {run['passed']} passed, {run['failed']} failed, success={run['success']}")
    if update.get("outcome"):
        console.print(f"outcome: [bold]{update['outcome']}[/bold] {update.get('message') or ''}")
    for result in update.get("results") or []:
        console.print(f"result: {result['reflection_id']} -> [bold]{result['status']}[/bold]")


def _proposal_diff(proposal: dict[str, Any], settings: Settings, context: dict[str, Any] | None) -> str:
    """The proposal as a diff against the target's current text (what the engine will make of it)."""
    if context is not None:
        ctx = CodeContext.model_validate(context)
        source = read_source(settings.project_root / ctx.file)[0]
        outcome = apply_proposal(PatchProposal.model_validate(proposal), ctx, source, enforce_scope=False)
        if outcome.new_text is not None:
            return unified_diff(ctx.file, source, outcome.new_text)
    return str(proposal["new_code"])


def _edit(code: str) -> str:
    editor = os.environ.get("EDITOR") or os.environ.get("VISUAL") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(code)
        path = fh.name
    try:
        subprocess.run([*shlex.split(editor), path], check=False)
        return Path(path).read_text()
    finally:
        os.unlink(path)


def _pause(graph: Any, config: RunnableConfig, thread: str, settings: Settings) -> Any:
    """Ask what to do at a stop; returns the payload to continue with, or None to quit."""
    from langgraph.types import Command

    from selfmod.api import pending_patches

    state = graph.get_state(config)
    if state.interrupts:
        for patch in pending_patches(graph, config, settings):
            console.rule(f"approve {patch['reflection_id']}: {patch['file']} ({patch['function']}) - {patch['tests']}")
            console.print(Syntax(patch["diff"], "diff"))
            if patch.get("problem"):
                console.print(f"will not be applied: {patch['problem']}", style="red", markup=False)
        choice = console.input(escape("[a]pprove, [r]eject, [q]uit > ")).strip().lower()[:1]
        return None if choice == "q" else Command(resume=choice == "a")
    nxt = ", ".join(state.next)
    editable = "review_patch" in state.next and state.values.get("proposal")
    options = "[c]ontinue, [s]kip this reflection, " + ("[e]dit the proposal, " if editable else "") + "[q]uit"
    choice = console.input(escape(f"next: {nxt} - {options} > ")).strip().lower()[:1]
    if choice == "q":
        return None
    if choice == "s" and state.values.get("item"):
        graph.update_state(config, {"outcome": "rejected", "message": "skipped by the user"}, as_node="extract_bug")
    elif choice == "e" and editable:
        proposal = dict(state.values["proposal"])
        proposal["new_code"] = _edit(proposal["new_code"])
        proposal["explanation"] = (proposal.get("explanation") or "") + " (edited by the user)"
        graph.update_state(config, {"proposal": proposal}, as_node="write_patch")
    return "continue"


def _require_thread(settings: Settings, thread_id: str) -> None:
    """Refuse a thread id when the project has no checkpoints at all (before the database would be created)."""
    from selfmod.graph.checkpoint import has_checkpoints

    if not has_checkpoints(settings):
        raise InputError(f"no run with thread id {thread_id!r} in {settings.state_dir}")


def step(
    project: ProjectOpt = Path("."),
    break_at: Annotated[str, typer.Option("--break-at", help="Comma-separated nodes to stop before.")] = ",".join(
        STEP_NODES
    ),
    thread: Annotated[str | None, typer.Option(help="Continue stepping an earlier thread.")] = None,
    model: ModelOpt = None,
) -> None:
    """Run the graph node by node: see each change, continue, skip, edit, approve or quit (and resume later)."""
    from selfmod.api import recover, run_config
    from selfmod.cli_run import report
    from selfmod.graph.build import build_graph
    from selfmod.graph.checkpoint import sqlite_checkpointer

    settings = checked_settings(project)
    if thread is None:
        load_reflections(settings.reflections_path)  # bad input stops here, before .selfmod/ is created
    else:
        _require_thread(settings, thread)
    stops = [n.strip() for n in break_at.split(",") if n.strip()]
    thread_id = thread or uuid.uuid4().hex
    chat_model = build_model(model)
    console.print(f"thread: {thread_id}")
    recover(settings)
    with sqlite_checkpointer(settings) as saver:
        graph = build_graph(model=chat_model, settings=settings, checkpointer=saver)
        unknown = set(stops) - set(graph.nodes)
        if unknown:
            raise InputError(f"--break-at names unknown node(s): {', '.join(sorted(unknown))}")
        config = run_config(thread_id, settings.state_dir)
        payload: Any = None if thread else {}
        seen: dict[str, Any] = {}
        while True:
            for chunk in graph.stream(payload, config, stream_mode="updates", interrupt_before=stops):
                for node, update in chunk.items():
                    if not node.startswith("__"):
                        show_update(node, update, settings, seen)
            state = graph.get_state(config)
            if not state.next:
                break
            payload = _pause(graph, config, thread_id, settings)
            if payload is None:
                console.print(
                    f"stopped; continue with: selfmod step --thread {thread_id} (or selfmod resume {thread_id})"
                )
                return
            if payload == "continue":
                payload = None
        report({**graph.get_state(config).values, "awaiting": []}, thread_id, False, console)


def history(thread_id: Annotated[str, typer.Argument(help="The thread id.")], project: ProjectOpt = Path(".")) -> None:
    """The thread's checkpoints, newest first (ids for `selfmod replay --from`)."""
    from selfmod.api import run_config
    from selfmod.graph.build import build_graph
    from selfmod.graph.checkpoint import sqlite_checkpointer

    settings = checked_settings(project)
    _require_thread(settings, thread_id)
    with sqlite_checkpointer(settings) as saver:
        graph = build_graph(model=None, settings=settings, checkpointer=saver)
        table = Table("checkpoint", "step", "next", "reflection", "outcome", title=f"thread {thread_id}")
        rows = list(graph.get_state_history(run_config(thread_id)))
        if not rows:
            raise InputError(f"no run with thread id {thread_id!r} in {settings.state_dir}")
        for snap in rows:
            values = snap.values or {}
            item = values.get("item") or {}
            table.add_row(
                snap.config["configurable"]["checkpoint_id"],
                str(snap.metadata.get("step") if snap.metadata else ""),
                ", ".join(snap.next),
                str(item.get("id") or ""),
                values.get("outcome") or "",
            )
    console.print(table)


def replay(
    thread_id: Annotated[str, typer.Argument(help="The thread id.")],
    checkpoint: Annotated[str, typer.Option("--from", help="A checkpoint id from `selfmod history`.")],
    project: ProjectOpt = Path("."),
    model: ModelOpt = None,
) -> None:
    """Re-run from a checkpoint: a new branch of the thread's history (earlier checkpoints stay as they were)."""
    from selfmod.api import drive, run_config
    from selfmod.cli_run import report
    from selfmod.graph.build import build_graph
    from selfmod.graph.checkpoint import sqlite_checkpointer

    settings = checked_settings(project)
    _require_thread(settings, thread_id)
    chat_model = build_model(model)
    with sqlite_checkpointer(settings) as saver:
        graph = build_graph(model=chat_model, settings=settings, checkpointer=saver)
        config = run_config(thread_id, settings.state_dir)
        config["configurable"]["checkpoint_id"] = checkpoint
        if not graph.get_state(config).values:
            raise InputError(f"no checkpoint {checkpoint!r} in thread {thread_id!r}")
        values = drive(graph, None, config)
    report(values, thread_id, False, console)
