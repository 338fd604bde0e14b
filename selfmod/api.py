"""The one-call convenience API and the helpers the CLI and hosts share for driving a run."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from selfmod.config import Settings, load_settings
from selfmod.graph.build import build_graph
from selfmod.graph.checkpoint import sqlite_checkpointer
from selfmod.graph.pending_check import approval_view
from selfmod.model_spec import build_model
from selfmod.models import AuditRecord
from selfmod.tools.changes.apply import recover_interrupted
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.traces import tracer_for

Graph = CompiledStateGraph[Any, Any, Any, Any]
Decide = Callable[[list[dict[str, Any]]], bool | dict[str, bool] | None]
OnUpdate = Callable[[str, dict[str, Any]], None]

RECURSION_LIMIT = 10_000


def run_config(thread_id: str, state_dir: Path | None = None) -> RunnableConfig:
    """The LangGraph config of a run: its thread, a recursion limit large enough for many reflections, and the
    project's local tracer (when `state_dir` is given)."""
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}, "recursion_limit": RECURSION_LIMIT}
    if state_dir is not None:
        config["callbacks"] = [tracer_for(state_dir)]
    return config


def recover(settings: Settings) -> list[AuditRecord]:
    """What every run, resume and step does first: finish or record the applies a crash interrupted, so they are
    in the audit log (for rollback and budgets) before any new work."""
    return recover_interrupted(settings, AuditLog(settings.state_dir))


def pending_patches(graph: Graph, config: RunnableConfig, settings: Settings | None = None) -> list[dict[str, Any]]:
    """The patches an interrupted run is waiting on (empty when it is not waiting).

    With `settings`, each is shown as `approval_view` computes it now from the state's pending entry and the live
    file (the diff of exactly the bytes apply would write, and the problem that would stop it), not as stored.
    """
    state = graph.get_state(config)
    for interrupt in state.interrupts:
        value = interrupt.value
        if isinstance(value, dict) and "patches" in value:
            if settings is None:
                return list(value["patches"])
            waiting = {str(p.get("reflection_id")) for p in value["patches"] if isinstance(p, dict)}
            entries = [p for p in state.values.get("pending") or [] if str(p.get("reflection_id")) in waiting]
            return [approval_view(settings, p) for p in entries]
    return []


def awaiting_results(values: dict[str, Any], waiting: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Result rows for patches that wait for approval."""
    ids = {p["reflection_id"] for p in waiting}
    rows = []
    for pending in values.get("pending") or []:
        if pending.get("reflection_id") in ids:
            record = pending.get("record") if isinstance(pending.get("record"), dict) else {}
            rows.append(
                {
                    "reflection_id": pending["reflection_id"],
                    "status": "awaiting_approval",
                    "file": pending["file"],
                    "function": pending["function"],
                    "attempts": record.get("attempts", 0),
                    "audit_id": record["id"] + ".await",
                    "message": "tested; waiting for approval",
                    "token_usage": record.get("token_usage", {}),
                }
            )
    return rows


def drive(
    graph: Graph,
    payload: Any,
    config: RunnableConfig,
    decide: Decide | None = None,
    on_update: OnUpdate | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Run (or resume) the graph until it ends or waits for an approval `decide` does not give.

    Returns the final state values plus `awaiting` (patches still waiting for a decision, as `pending_patches`
    shows them with `settings`) and `results` completed with an `awaiting_approval` entry for each of those.
    """
    head = _head(config)
    while True:
        for chunk in graph.stream(payload, config, stream_mode="updates"):
            for node, update in chunk.items():
                if on_update is not None and isinstance(update, dict):
                    on_update(node, update)
        config = head  # after a replay from an old checkpoint, follow the new branch's head
        waiting = pending_patches(graph, config, settings)
        decision = decide(waiting) if waiting and decide is not None else None
        if not waiting or decision is None:
            values = dict(graph.get_state(config).values)
            values["awaiting"] = waiting
            values["results"] = list(values.get("results") or []) + awaiting_results(values, waiting)
            return values
        payload = Command(resume=decision)


def resolve_model(model: BaseChatModel | str | None) -> BaseChatModel | None:
    """A chat model from a model or a spec (`openai:<name>`, `offline`); None picks the default."""
    return model if isinstance(model, BaseChatModel) else build_model(model)


def _head(config: RunnableConfig) -> RunnableConfig:
    """The same config without a pinned checkpoint (so it names the thread's latest state)."""
    configurable = {k: v for k, v in (config.get("configurable") or {}).items() if k != "checkpoint_id"}
    return {**config, "configurable": configurable}


def run_self_modification(
    project: str | Path,
    model: BaseChatModel | str | None = None,
    *,
    auto_approve: bool = True,
    reflections: list[dict[str, Any]] | None = None,
    thread_id: str | None = None,
    **settings_overrides: Any,
) -> dict[str, Any]:
    """Process a project's reflections end to end; returns the final state (`results`, `token_usage`, ...).

    With `auto_approve=False` the run stops at the approval step; resume it with `resume_self_modification`.
    """
    settings = load_settings(Path(project), auto_approve=auto_approve, **settings_overrides)
    thread = thread_id or uuid.uuid4().hex
    recover(settings)
    with sqlite_checkpointer(settings) as saver:
        graph = build_graph(model=resolve_model(model), settings=settings, checkpointer=saver)
        payload: dict[str, Any] = {} if reflections is None else {"reflections": reflections}
        values = drive(graph, payload, run_config(thread, settings.state_dir), settings=settings)
    values["thread_id"] = thread
    return values


def resume_self_modification(
    project: str | Path, thread_id: str, approve: bool | None, model: BaseChatModel | str | None = None
) -> dict[str, Any]:
    """Continue a run from its checkpoint; `approve` answers a pending approval (None: just continue)."""
    settings = load_settings(Path(project))
    recover(settings)
    with sqlite_checkpointer(settings) as saver:
        graph = build_graph(model=resolve_model(model), settings=settings, checkpointer=saver)
        config = run_config(thread_id, settings.state_dir)
        payload: Command[Any] | None = (
            Command(resume=approve) if approve is not None and pending_patches(graph, config) else None
        )
        values = drive(graph, payload, config, settings=settings)
    values["thread_id"] = thread_id
    return values
