"""`selfmod run` and `selfmod resume`: drive the graph with a live view, ask for approval in a terminal."""

from __future__ import annotations

import json
import sys
import time
import uuid
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command
from rich.console import Console
from rich.live import Live
from rich.prompt import Confirm
from rich.syntax import Syntax
from rich.table import Table

from selfmod.api import Decide, drive, pending_patches, recover, run_config
from selfmod.config import Settings
from selfmod.errors import InputError
from selfmod.graph.build import build_graph
from selfmod.graph.checkpoint import has_checkpoints, sqlite_checkpointer
from selfmod.graph.result_rows import complete_row
from selfmod.model_spec import build_model
from selfmod.models import TestRun
from selfmod.protocols import BugExtractor, Patcher
from selfmod.tools.sandbox import summary as test_summary
from selfmod.tools.sandbox.bwrap import choose as choose_isolation

STAGES = {
    "extract_bug": "extracting bug",
    "locate": "locating code",
    "write_patch": "writing patch",
    "review_patch": "reviewing",
    "test_patch": "testing",
    "record": "recorded",
}


class LiveView:
    """A table of reflections and the stage each is at, updated from graph events."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.current: str | None = None

    def table(self) -> Table:
        table = Table("reflection", "stage", title="selfmod")
        for rid, stage in self.rows.items():
            table.add_row(rid, stage)
        return table

    def update(self, node: str, update: dict[str, Any]) -> None:
        if node == "next_reflection" and update.get("item"):
            self.current = str(update["item"]["id"])
        for result in update.get("results") or []:
            self.rows[str(result["reflection_id"])] = result["status"]
        if self.current and node in STAGES and node != "record":
            stage = STAGES[node]
            if node == "test_patch" and update.get("test_run"):
                stage = f"tested: {test_summary(_test_run(update['test_run']))}"
            self.rows[self.current] = stage
        if node == "record" and update.get("pending"):
            for pending in update["pending"]:
                self.rows[pending["reflection_id"]] = "tested; awaiting approval"


def _test_run(data: dict[str, Any]) -> TestRun:
    return TestRun.model_validate(data)


def ask_in_terminal(console: Console) -> Decide:
    """Show each waiting patch's diff and ask whether to apply it."""

    def decide(patches: list[dict[str, Any]]) -> dict[str, bool]:
        answers = {}
        for patch in patches:
            console.rule(f"{patch['reflection_id']}: {patch['file']} ({patch['function']}) - tests: {patch['tests']}")
            console.print(Syntax(patch["diff"], "diff"))
            if patch.get("problem"):
                console.print(f"will not be applied: {patch['problem']}", style="red", markup=False)
            answers[patch["reflection_id"]] = Confirm.ask("Apply this patch?", console=console, default=False)
        return answers

    return decide


def report(values: dict[str, Any], thread_id: str, as_json: bool, console: Console) -> None:
    """Print the run's results: one JSON object, or a table."""
    results = values.get("results") or []
    if as_json:
        payload = {
            "thread_id": thread_id,
            "results": [complete_row(r) for r in results],
            "token_usage": values.get("token_usage") or {},
            "warnings": values.get("warnings") or [],
            "awaiting": values.get("awaiting") or [],
            "isolation": values.get("isolation"),
            "seconds": values.get("seconds"),
        }
        sys.stdout.write(json.dumps(payload) + "\n")
        return
    table = Table("reflection", "status", "file", "function", "attempts", "audit id", title=f"run {thread_id}")
    for r in results:
        table.add_row(
            str(r.get("reflection_id")),
            r.get("status", ""),
            r.get("file") or "",
            r.get("function") or "",
            str(r.get("attempts", 0)),
            r.get("audit_id") or "",
        )
    console.print(table)
    if values.get("awaiting"):
        console.print(f"waiting for approval: selfmod resume {thread_id} --approve (or --reject)")
    usage = values.get("token_usage") or {}
    if values.get("isolation"):
        console.print(f"isolation: {values['isolation']}")
    if usage:
        console.print(f"tokens: {usage.get('total_tokens', 0)} in {usage.get('calls', 0)} LLM call(s)")


def execute(
    settings: Settings,
    model_spec: str | None,
    *,
    thread_id: str | None = None,
    resume: bool = False,
    approve: bool | None = None,
    interactive: bool = False,
    as_json: bool = False,
    payload: dict[str, Any] | None = None,
    console: Console,
    agents: tuple[BugExtractor, Patcher] | None = None,
) -> None:
    """Build the graph on the project's checkpointer and drive it; shared by `run` and `resume`. `agents` are an
    extractor and patcher made (and maybe started) by the caller."""
    started = time.perf_counter()
    thread = thread_id or uuid.uuid4().hex
    if resume and not has_checkpoints(settings):
        raise InputError(f"no run with thread id {thread!r} in {settings.state_dir}")
    isolation, note = choose_isolation(settings.sandbox)
    Console(stderr=True).print(f"thread: {thread}", highlight=False)
    Console(stderr=True).print(f"isolation: {isolation}" + (f" ({note})" if note else ""), highlight=False)
    model = build_model(model_spec, timeout=settings.llm_timeout, streaming=settings.llm_streaming)
    view = LiveView()
    decide = ask_in_terminal(console) if interactive else None
    recover(settings)
    with sqlite_checkpointer(settings) as saver:
        extractor, patcher = agents or (None, None)
        graph = build_graph(
            model=model,
            settings=settings,
            checkpointer=saver,
            llm_critic=settings.llm_critic,
            extractor=extractor,
            patcher=patcher,
        )
        config = run_config(thread, settings.state_dir)
        start: Any = payload or {}
        if resume:
            start = _resume_payload(graph, config, thread, approve, decide, settings)
        if as_json or not console.is_terminal:
            values = drive(graph, start, config, decide, view.update, settings)
        else:
            with Live(view.table(), console=console, refresh_per_second=8, transient=True) as live:

                def on_update(node: str, update: dict[str, Any]) -> None:
                    view.update(node, update)
                    live.update(view.table())

                values = drive(graph, start, config, None, on_update, settings)
            if decide is not None and values["awaiting"]:
                values = drive(graph, Command(resume=decide(values["awaiting"])), config, decide, view.update, settings)
    seconds = round(time.perf_counter() - started, 3)
    report({**values, "isolation": isolation, "seconds": seconds}, thread, as_json, console)


def _resume_payload(
    graph: Any, config: RunnableConfig, thread: str, approve: bool | None, decide: Decide | None, settings: Settings
) -> Any:
    """What to send to a checkpointed thread: an approval answer, or nothing to just continue."""
    if not graph.get_state(config).values:
        raise InputError(f"no run with thread id {thread!r} in {settings.state_dir}")
    waiting = pending_patches(graph, config, settings)
    if not waiting:
        return None
    if approve is not None:
        return Command(resume=approve)
    if decide is not None:
        return Command(resume=decide(waiting))
    raise InputError(f"run {thread} is waiting for approval: pass --approve or --reject")
