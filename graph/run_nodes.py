"""The run-level nodes: triage at the start; approval and apply at the end (no side effect before the interrupt).

Approval shows, and apply writes, only what passes `check_pending` against the live project at that moment.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from langgraph.types import interrupt
from pydantic import ValidationError

from selfmod.graph.nodes import Deps, Update
from selfmod.graph.pending_check import RECHECK_FAILED, approval_view, check_pending
from selfmod.graph.result_rows import duplicate_row, result_row
from selfmod.graph.state import Result, SelfmodState
from selfmod.models import AuditRecord, Reflection
from selfmod.tools.changes.apply import apply_patch
from selfmod.tools.changes.apply_edits import apply_edits
from selfmod.tools.changes.locks import project_lock
from selfmod.tools.changes.safety import is_disabled
from selfmod.tools.reflections import LoadedReflections, load_reflections
from selfmod.tools.triage import record_not_actionable, triage

APPLY_STATUS = {
    "applied": "applied",
    "already_applied": "duplicate",
    "disabled": "disabled",
    "budget_exceeded": "rejected",
    "refused": "rejected",
    "file_changed": "error",
    "aborted": "error",
}
"""How apply outcomes map onto the reported statuses (`already_applied`: another run wrote the same patch first)."""
ALREADY_APPLIED = "the file already holds this patch (another run applied it first); nothing written"


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
        records = audit.records() if any(i.status == "duplicate" for i in items) else []
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
                    result_row(rid, "disabled", attempts=0, audit_id=audit_id, message=disabled or "", token_usage={})
                )
            elif item.status == "own":
                results.append(
                    result_row(rid, "not_actionable", attempts=0, message="selfmod's own note", token_usage={})
                )
            elif item.status == "duplicate":
                results.append(duplicate_row(rid, records))
            else:
                results.append(
                    result_row(rid, "not_actionable", attempts=0, audit_id=set_aside.get(rid), token_usage={})
                )
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
        for position, pending in enumerate(state.get("pending") or []):
            base = _pending_base(state, pending, position)
            audit_id = base.id + ".await"
            if self.deps.audit.find(audit_id) is None:
                self.deps.audit.append(base.model_copy(update={"id": audit_id, "status": "awaiting_approval"}))
        return {}

    def approve(self, state: SelfmodState) -> Update:
        """Ask for a decision on every tested patch (LangGraph interrupt) unless auto-approved."""
        pending = state.get("pending") or []
        ids = [str(p.get("reflection_id")) for p in pending]
        if self.deps.settings.auto_approve:
            return {"decisions": dict.fromkeys(ids, True)}
        answer = interrupt(
            {
                "question": "apply these tested patches?",
                "patches": [approval_view(self.deps.settings, p) for p in pending],
            }
        )
        if isinstance(answer, bool):
            return {"decisions": dict.fromkeys(ids, answer)}
        if isinstance(answer, dict):
            return {"decisions": {rid: bool(answer.get(rid, False)) for rid in ids}}
        raise ValueError(f"approval answer must be a bool or a dict of reflection id -> bool, not {answer!r}")

    def apply_patch(self, state: SelfmodState) -> Update:
        """Apply the approved patches (each exactly the tested text), record the rejected ones."""
        decisions = state.get("decisions") or {}
        results: list[Result] = []
        for position, pending in enumerate(state.get("pending") or []):
            base = _pending_base(state, pending, position)
            done = self.deps.audit.find(base.id)
            if done is not None:
                record = done
            elif decisions.get(str(pending.get("reflection_id"))):
                record = self._apply_checked(pending, base)
            else:
                record = self.deps.audit.append(
                    base.model_copy(update={"status": "rejected", "message": "rejected at approval"})
                )
            status = APPLY_STATUS.get(record.status, record.status)
            results.append(
                result_row(
                    str(pending.get("reflection_id")),
                    status,
                    file=record.file or pending.get("file"),
                    function=pending.get("function"),
                    attempts=base.attempts,
                    audit_id=record.id,
                    message=ALREADY_APPLIED if record.status == "already_applied" else record.message,
                    token_usage=base.token_usage,
                    durations=base.durations,
                )
            )
        return {"results": results}

    def _apply_checked(self, pending: dict[str, Any], base: AuditRecord) -> AuditRecord:
        """Check the entry again and apply it, under one hold of the project lock; a failed check writes nothing."""
        settings = self.deps.settings
        with project_lock(settings.state_dir):
            check = check_pending(settings, pending)
            if check.problem:
                return self.deps.audit.append(
                    base.model_copy(update={"status": check.status, "message": f"{RECHECK_FAILED}: {check.problem}"})
                )
            if pending.get("edited") is not None:
                changes = {rel: (e["new_text"], e["expected_sha256"]) for rel, e in pending["edited"].items()}
                return apply_edits(settings, self.deps.audit, changes, base)
            return apply_patch(
                settings, self.deps.audit, check.file, pending["new_text"], pending["expected_sha256"], base
            )


def _pending_base(state: SelfmodState, pending: dict[str, Any], position: int) -> AuditRecord:
    """The audit record a pending entry carries; a malformed one (an edited checkpoint) gets a fresh record, and
    `check_pending` then refuses the entry."""
    try:
        return AuditRecord.model_validate({**pending["record"], "timestamp": ""})
    except (KeyError, TypeError, ValidationError):
        run_id = state.get("run_id", "run")
        rid = str(pending.get("reflection_id"))
        return AuditRecord(id=f"{run_id}-pending-{position}", timestamp="", status="", reflection_id=rid)
