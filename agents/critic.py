"""The deterministic critic: every proposal passes these rules before any test runs."""

from __future__ import annotations

from dataclasses import dataclass

from selfmod.agents.dangerous_refs import new_dangerous_calls
from selfmod.config import Settings
from selfmod.errors import CodeIndexError, UnsafePathError
from selfmod.models import BugReport, CodeContext, PatchProposal, Rejection, RejectionCode, Verdict
from selfmod.tools.code_index import index_source
from selfmod.tools.patch_engine import PatchOutcome, apply_proposal
from selfmod.tools.path_safety import ProtectedPaths, relative_path


@dataclass(frozen=True)
class Review:
    """The verdict plus the engine's result (whose `new_text` is what gets tested and applied)."""

    verdict: Verdict
    outcome: PatchOutcome | None

    @property
    def new_text(self) -> str | None:
        """The patched file text when the proposal was accepted."""
        return self.outcome.new_text if self.outcome and self.verdict.accepted else None


def review_proposal(
    proposal: PatchProposal,
    context: CodeContext,
    source: str,
    settings: Settings,
    bug_report: BugReport | None = None,
) -> Review:
    """Judge a proposal against the current file text; every broken rule becomes a rejection."""
    try:
        rel = relative_path(settings.project_root, proposal.filename)
    except UnsafePathError as exc:
        return Review(Verdict(rejections=[Rejection(code=RejectionCode.PATH_UNSAFE, message=str(exc))]), None)
    rejections: list[Rejection] = []
    protected = ProtectedPaths(settings.project_root, settings.protected, settings.state_patterns()).reason(rel)
    if protected:
        rejections.append(
            Rejection(code=RejectionCode.PROTECTED_PATH, message=f"{protected}; patches may not change it")
        )
    outcome = apply_proposal(
        proposal,
        context,
        source,
        bug_filename=bug_report.filename if bug_report else None,
        enforce_scope=settings.enforce_scope,
    )
    rejections.extend(outcome.rejections)
    if outcome.new_text is not None and not outcome.rejections:
        rejections.extend(public_api_changes(source, outcome.new_text))
        rejections.extend(new_dangerous_calls(source, outcome.new_text, settings))
    return Review(Verdict(rejections=rejections, notes=outcome.notes), outcome)


def _public_names(source: str) -> set[str]:
    try:
        index = index_source(source)
    except CodeIndexError:
        return set()
    kinds = {s.qualname: s.kind for s in index.symbols}
    return {s.qualname for s in index.symbols if s.is_public and (s.parent is None or kinds.get(s.parent) == "class")}


def public_api_changes(old: str, new: str) -> list[Rejection]:
    """Public functions, classes and methods that the new text no longer defines (removed or renamed)."""
    gone = sorted(_public_names(old) - _public_names(new))
    return [
        Rejection(
            code=RejectionCode.PUBLIC_API,
            message=f"the patch removes or renames the public {name}; callers rely on it, keep its name",
        )
        for name in gone
    ]
