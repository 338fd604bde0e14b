"""The run-level nodes: triage at the start; approval and apply at the end (no side effect before the interrupt)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from langgraph.types import interrupt
from pydantic import ValidationError

from selfmod.graph.nodes import Deps, Update
from selfmod.graph.state import Result, SelfmodState
from selfmod.models import AuditRecord, Reflection
from selfmod.tools.apply import apply_patch
from selfmod.tools.reflections import LoadedReflections, load_reflections
from selfmod.tools.safety import is_disabled
from selfmod.tools.triage import record_not_actionable, triage

APPLY_STATUS = {
    "applied": "applied",
    "already_applied": "applied",
    "disabled": "disabled",
    "budget_exceeded": "rejected",
    "refused": "rejected",
    "file_changed": "error",
}
"""How apply outcomes map onto the reported statuses."""


class RunNodes:
    """Nodes that see the whole run."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _load(self, state: SelfmodState) -> LoadedReflections:
        if state.get("reflections") is not None:
            loaded = LoadedReflections()
            for position, raw in enumerate(state.get("reflections") or []):
                try:
                    loaded.entries.append(Reflection.model_validate(raw))
                except ValidationError:
                    loaded.warnings.append(f"input reflection {position} has the wrong shape; skipped")
            return loaded
        name = state.get("reflections_file") or self.deps.settings.reflections_file
        path = Path(name) if Path(name).is_absolute() else self.deps.settings.project_root / name
        return load_reflections(path)

    def triage(self, state: SelfmodState) -> Update:
        """Load and classify the reflections; queue the actionable ones."""
        loaded = self._load(state)
        audit = self.deps.audit
        items = triage(loaded.entries, audit.handled_reflection_ids())
        set_aside = record_not_actionable(audit, items)
        disabled = is_disabled(self.deps.settings)
        run_id = uuid.uuid4().hex[:10]
        results: list[Result] = []
        queue: list[dict[str, Any]] = []
        for item in items:
            rid = item.reflection_id
            if item.status == "actionable" and not disabled:
                queue.append({"id": rid, "reflection": item.reflection.model_dump(mode="json")})
            elif item.status == "actionable":
                audit_id = f"{run_id}-{rid[:60]}"
                audit.append(
                    AuditRecord(id=audit_id, timestamp="", status="disabled", reflection_id=rid, message=disabled or "")
                )
                results.append(
                    {"reflection_id": rid, "status": "disabled", "audit_id": audit_id, "message": disabled or ""}
                )
            elif item.status == "own":
                results.append({"reflection_id": rid, "status": "not_actionable", "message": "selfmod's own note"})
            elif item.status == "duplicate":
                results.append({"reflection_id": rid, "status": "duplicate", "message": "already handled"})
            else:
                results.append({"reflection_id": rid, "status": "not_actionable", "audit_id": set_aside.get(rid)})
        return {
            "queue": queue,
            "results": results,
            "warnings": loaded.warnings,
            "started_at": self.deps.clock(),
            "run_id": run_id,
        }

    def request_approval(self, state: SelfmodState) -> Update:
        """Record each tested patch as awaiting approval (before the interrupt, so it is written once)."""
        if self.deps.settings.auto_approve:
            return {}
        for pending in state.get("pending") or []:
            audit_id = pending["record"]["id"] + ".await"
            if self.deps.audit.find(audit_id) is None:
                record = AuditRecord.model_validate(
                    {**pending["record"], "id": audit_id, "status": "awaiting_approval"}
                )
                self.deps.audit.append(record.model_copy(update={"timestamp": ""}))
        return {}

    def approve(self, state: SelfmodState) -> Update:
        """Ask for a decision on every tested patch (LangGraph interrupt) unless auto-approved."""
        pending = state.get("pending") or []
        if self.deps.settings.auto_approve:
            return {"decisions": {p["reflection_id"]: True for p in pending}}
        answer = interrupt(
            {
                "question": "apply these tested patches?",
                "patches": [{k: p[k] for k in ("reflection_id", "file", "function", "diff", "tests")} for p in pending],
            }
        )
        if isinstance(answer, bool):
            return {"decisions": {p["reflection_id"]: answer for p in pending}}
        if isinstance(answer, dict):
            return {"decisions": {p["reflection_id"]: bool(answer.get(p["reflection_id"], False)) for p in pending}}
        raise ValueError(f"approval answer must be a bool or a dict of reflection id -> bool, not {answer!r}")

    def apply_patch(self, state: SelfmodState) -> Update:
        """Apply the approved patches (each exactly the tested text), record the rejected ones."""
        decisions = state.get("decisions") or {}
        results: list[Result] = []
        for pending in state.get("pending") or []:
            base = AuditRecord.model_validate({**pending["record"], "timestamp": ""})
            done = self.deps.audit.find(base.id)
            if done is not None:
                record = done
            elif decisions.get(pending["reflection_id"]):
                record = apply_patch(
                    self.deps.settings,
                    self.deps.audit,
                    pending["file"],
                    pending["new_text"],
                    pending["expected_sha256"],
                    base,
                )
            else:
                record = self.deps.audit.append(
                    base.model_copy(update={"status": "rejected", "message": "rejected at approval"})
                )
            results.append(
                {
                    "reflection_id": pending["reflection_id"],
                    "status": APPLY_STATUS.get(record.status, record.status),
                    "file": pending["file"],
                    "function": pending["function"],
                    "attempts": base.attempts,
                    "audit_id": record.id,
                    "message": record.message,
                    "token_usage": base.token_usage,
                }
            )
        return {"results": results}
