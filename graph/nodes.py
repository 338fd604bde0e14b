"""The per-reflection nodes: pick the next reflection, extract, locate, write, review, test, record."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from langchain_core.tools import StructuredTool

from selfmod.agents.critic import review_proposal
from selfmod.config import Settings
from selfmod.errors import CodeIndexError, InputError, LLMError, LLMOutputError, NoFixError, SelfmodError
from selfmod.graph.edits_flow import is_edits, pending_fields, proposal_fields, review_edits_update, tested_texts
from selfmod.graph.feedback import critic_feedback, test_feedback, unusable_feedback
from selfmod.graph.state import ITEM_RESET, Result, SelfmodState, add_usage
from selfmod.models import (
    AuditRecord,
    BugReport,
    CodeContext,
    PatchProposal,
    Reflection,
    Rejection,
    RejectionCode,
    TestRun,
    Verdict,
)
from selfmod.protocols import BugExtractor, Patcher, Prefetching, Reviewer, TestRunner
from selfmod.tools.changes.apply import unified_diff
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.code.code_index import Resolution
from selfmod.tools.code.context import extract_code_block
from selfmod.tools.code.source_text import read_source
from selfmod.tools.sandbox import failure_reason
from selfmod.tools.timings import add_durations, collect, phase

Update = dict[str, Any]


@dataclass
class Deps:
    """Everything the nodes use, injected by `build_graph`."""

    settings: Settings
    extractor: BugExtractor
    patcher: Patcher
    tester: TestRunner
    audit: AuditLog
    model_name: str
    reviewer: Reviewer | None = None
    clock: Callable[[], float] = field(default=time.time)


def record_id(state: SelfmodState, suffix: str = "") -> str:
    """A deterministic audit id for the current reflection in this run (re-running a node cannot duplicate it)."""
    rid = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str((state.get("item") or {}).get("id")))
    return f"{state.get('run_id', 'run')}-{rid[:60]}{suffix}"


def _usage_update(state: SelfmodState, usage: dict[str, int]) -> Update:
    return {"item_usage": add_usage(state.get("item_usage"), usage), "token_usage": usage}


F = TypeVar("F", bound=Callable[..., Update])


def guarded(node: F) -> F:
    """Turn a selfmod error or an I/O error inside a reflection's node into an `error` outcome for that reflection;
    add the node's time and its phases' (`tools/timings.py`) to the reflection's `durations`."""

    @functools.wraps(node)
    def run(self: ItemNodes, state: SelfmodState) -> Update:
        with collect() as spent, phase(node.__name__):
            try:
                update = node(self, state)
            except (SelfmodError, OSError) as exc:
                update = {"outcome": "error", "message": f"{type(exc).__name__}: {exc}"}
        return {**update, "durations": add_durations(state.get("durations"), spent)}

    return cast(F, run)


class ItemNodes:
    """Nodes that work on the current reflection (`state['item']`)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

        def sandbox_test_run(file: str, new_text: str) -> str:
            """Run the project's tests on a sandbox copy with `file` replaced by `new_text`."""
            return deps.tester.evaluate(file, new_text).model_dump_json()

        self.sandbox_tool = StructuredTool.from_function(sandbox_test_run, name="sandbox_test_run")

    def _out_of_time(self, state: SelfmodState) -> bool:
        return self.deps.clock() - state.get("started_at", self.deps.clock()) > self.deps.settings.run_time_budget

    def next_reflection(self, state: SelfmodState) -> Update:
        queue = list(state.get("queue") or [])
        if not queue:
            return {"item": None, **ITEM_RESET}
        return {"item": queue[0], "queue": queue[1:], **ITEM_RESET}

    @guarded
    def extract_bug(self, state: SelfmodState) -> Update:
        if self._out_of_time(state):
            return {"outcome": "error", "message": "run time budget used up; left for the next run"}
        reflection = Reflection.model_validate(state["item"]["reflection"])  # type: ignore[index]
        try:
            found = self.deps.extractor.extract(reflection)
        except LLMError as exc:
            return {"outcome": "error", "message": str(exc), **_usage_update(state, exc.usage)}
        update: Update = _usage_update(state, found.usage.as_dict())
        update["bug"] = found.report.model_dump(mode="json") if found.report else None
        if found.status != "found":
            update.update(outcome=found.status, message=found.message)
        return update

    @guarded
    def locate(self, state: SelfmodState) -> Update:
        bug = BugReport.model_validate(state["bug"])
        settings = self.deps.settings
        try:
            found = extract_code_block(
                settings.project_root, bug.filename, bug.function, settings.context_lines, bug.summary
            )
        except (InputError, CodeIndexError) as exc:
            return {"outcome": "unlocatable", "message": str(exc)}
        if isinstance(found, Resolution):
            return {"outcome": "unlocatable", "message": found.reason}
        if isinstance(self.deps.tester, Prefetching):
            self.deps.tester.prefetch()
        return {"context": found.context.model_dump(mode="json")}

    @guarded
    def write_patch(self, state: SelfmodState) -> Update:
        attempts = int(state.get("attempts") or 0) + 1
        if self._out_of_time(state):
            return {"outcome": "error", "attempts": attempts - 1, "message": "run time budget used up"}
        bug = BugReport.model_validate(state["bug"])
        context = CodeContext.model_validate(state["context"])
        try:
            made = self.deps.patcher.propose(bug, context, state.get("feedback") or "")
        except LLMError as exc:
            usage = _usage_update(state, exc.usage)
            unusable = isinstance(exc, LLMOutputError) and not isinstance(exc, NoFixError)
            if unusable and attempts < self.deps.settings.max_attempts:
                return {"proposal": None, "attempts": attempts, "feedback": unusable_feedback(exc, attempts), **usage}
            outcome = "no_fix" if isinstance(exc, NoFixError) else "error"
            return {"outcome": outcome, "attempts": attempts, "message": str(exc), **usage}
        return {
            "proposal": made.proposal.model_dump(mode="json"),
            "attempts": attempts,
            "new_text": None,
            "edited": None,
            "verdict": None,
            "test_run": None,
            "runners_up": made.runners_up,
            **_usage_update(state, made.usage.as_dict()),
        }

    @guarded
    def review_patch(self, state: SelfmodState) -> Update:
        settings = self.deps.settings
        bug = BugReport.model_validate(state["bug"])
        context = CodeContext.model_validate(state["context"])
        if is_edits(state.get("proposal")):
            return review_edits_update(self.deps, state, bug, context)
        proposal = PatchProposal.model_validate(state["proposal"])
        source = read_source(settings.project_root / context.file)[0]
        review = review_proposal(proposal, context, source, settings, bug)
        verdict = review.verdict
        if verdict.accepted and self.deps.reviewer is not None and review.new_text is not None:
            second = self.deps.reviewer.review(
                bug, context, proposal, unified_diff(context.file, source, review.new_text)
            )
            verdict = Verdict(rejections=second.rejections, notes=verdict.notes)
        update: Update = {"verdict": verdict.model_dump(mode="json")}
        if verdict.accepted:
            return {**update, "new_text": review.new_text}
        attempts = int(state.get("attempts") or 0)
        update.update(new_text=None, feedback=critic_feedback(verdict, attempts))
        if attempts >= settings.max_attempts:
            codes = ", ".join(c.value for c in verdict.codes)
            update.update(outcome="rejected", message=f"rejected by the critic after {attempts} attempt(s): {codes}")
        return update

    @guarded
    def test_patch(self, state: SelfmodState) -> Update:
        context = CodeContext.model_validate(state["context"])
        if state.get("edited"):
            run = self.deps.tester.evaluate_many(tested_texts(state["edited"] or {}))
        else:
            run = TestRun.model_validate_json(
                self.sandbox_tool.invoke({"file": context.file, "new_text": state["new_text"]})
            )
        attempts = int(state.get("attempts") or 0)
        update: Update = {"test_run": run.model_dump(mode="json")}
        if run.success:
            return {**update, "outcome": "tested"}
        if run.tampering:
            reason = failure_reason(run)
            verdict = Verdict(rejections=[Rejection(code=RejectionCode.TEST_TAMPERING, message=reason)])
            return {**update, "verdict": verdict.model_dump(mode="json"), "outcome": "rejected", "message": reason}
        update["feedback"] = test_feedback(run, attempts)
        if attempts >= self.deps.settings.max_attempts:
            update.update(
                outcome="rejected", message=f"tests failed after {attempts} attempt(s): {failure_reason(run)}"
            )
        return update

    def record(self, state: SelfmodState) -> Update:
        """Finish the reflection: queue a tested patch for approval, or audit and report why it stopped."""
        item, bug, context = state.get("item") or {}, state.get("bug") or {}, state.get("context") or {}
        if state.get("outcome") == "tested":
            return {"pending": [self._pending(state)]}
        audit_id = record_id(state)
        if self.deps.audit.find(audit_id) is None:
            self.deps.audit.append(self._audit_record(state, audit_id, state.get("outcome") or "error"))
        result: Result = {
            "reflection_id": str(item.get("id")),
            "status": state.get("outcome") or "error",
            "file": context.get("file") or bug.get("filename"),
            "function": bug.get("function"),
            "attempts": int(state.get("attempts") or 0),
            "audit_id": audit_id,
            "message": state.get("message") or "",
            "token_usage": dict(state.get("item_usage") or {}),
            "durations": dict(state.get("durations") or {}),
        }
        return {"results": [result]}

    def _audit_record(self, state: SelfmodState, audit_id: str, status: str) -> AuditRecord:
        verdict, run = state.get("verdict"), state.get("test_run")
        return AuditRecord(
            id=audit_id,
            timestamp="",
            status=status,
            reflection_id=str((state.get("item") or {}).get("id")),
            bug_report=BugReport.model_validate(state["bug"]) if state.get("bug") else None,
            **proposal_fields(state.get("proposal")),
            verdict=Verdict.model_validate(verdict) if verdict else None,
            test_run=TestRun.model_validate(run) if run else None,
            file=(state.get("context") or {}).get("file") or (state.get("bug") or {}).get("filename"),
            model=self.deps.model_name,
            attempts=int(state.get("attempts") or 0),
            durations=dict(state.get("durations") or {}),
            token_usage=dict(state.get("item_usage") or {}),
            message=state.get("message") or "",
            runners_up=state.get("runners_up") or [],
            isolation=(run or {}).get("isolation"),
        )

    def _pending(self, state: SelfmodState) -> dict[str, Any]:
        """A tested patch waiting for approval. Its `diff` is the tested change as traces show it; approval shows
        and apply writes only what `graph/pending_check.py` computes again from the live file."""
        context = CodeContext.model_validate(state["context"])
        source = read_source(self.deps.settings.project_root / context.file)[0]
        base = self._audit_record(state, record_id(state), "pending")
        return {
            "reflection_id": str((state.get("item") or {}).get("id")),
            "file": context.file,
            "function": (state.get("bug") or {}).get("function"),
            "new_text": state["new_text"],
            "expected_sha256": context.file_sha256,
            "context": context.model_dump(mode="json"),
            "diff": unified_diff(context.file, source, str(state["new_text"])),
            "tests": f"{(state.get('test_run') or {}).get('passed', 0)} passed",
            "record": base.model_dump(mode="json"),
            **pending_fields(self.deps.settings.project_root, state.get("edited")),
        }
