"""The deterministic critic: every proposal passes these rules before any test runs."""

from __future__ import annotations

from dataclasses import dataclass

from selfmod.agents.dangerous_refs import new_dangerous_calls
from selfmod.config import Settings
from selfmod.errors import CodeIndexError, UnsafePathError
from selfmod.models import BugReport, CodeContext, Edit, EditsProposal, PatchProposal, Rejection, RejectionCode, Verdict
from selfmod.tools.code.code_index import index_source
from selfmod.tools.code.source_text import read_source, sha256_bytes
from selfmod.tools.patching.edits import edit_file
from selfmod.tools.patching.patch_engine import PatchOutcome, apply_proposal
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


@dataclass(frozen=True)
class EditsReview:
    """The verdict on a `propose_edits` proposal, with every changed file's new text and the hash it was built on."""

    verdict: Verdict
    texts: dict[str, str]
    """Relative path -> patched text (the located file first); empty unless accepted."""
    read_sha256: dict[str, str]
    """Relative path -> SHA-256 of the bytes the edits were applied to."""


def review_edits(proposal: EditsProposal, context: CodeContext, settings: Settings) -> EditsReview:
    """Judge every edited file (path, scope, protection, the engine, public API, dangerous calls) on its live text."""
    root = settings.project_root.resolve()
    protected_paths = ProtectedPaths(root, settings.protected, settings.state_patterns())
    rejections: list[Rejection] = []
    notes: list[str] = []
    grouped: dict[str, list[Edit]] = {}
    for edit in proposal.edits:
        try:
            rel = relative_path(root, edit.filename)
        except UnsafePathError as exc:
            rejections.append(Rejection(code=RejectionCode.PATH_UNSAFE, message=str(exc)))
            continue
        grouped.setdefault(rel, []).append(edit)
    texts: dict[str, str] = {}
    hashes: dict[str, str] = {}
    for rel in sorted(grouped, key=lambda r: r != context.file):
        problem = _file_problem(rel, context, settings, protected_paths)
        if problem:
            rejections.append(problem)
            continue
        try:
            source, raw = read_source(root / rel)
        except (OSError, UnicodeDecodeError) as exc:
            why = f"{rel} cannot be read ({exc}); edits change existing project files only"
            rejections.append(Rejection(code=RejectionCode.UNLOCATED, message=why))
            continue
        outcome = edit_file(rel, source, grouped[rel])
        notes += outcome.notes
        rejections += outcome.rejections
        if outcome.new_text is not None and not outcome.rejections:
            rejections += public_api_changes(source, outcome.new_text)
            rejections += new_dangerous_calls(source, outcome.new_text, settings)
            texts[rel], hashes[rel] = outcome.new_text, sha256_bytes(raw)
    verdict = Verdict(rejections=rejections, notes=notes)
    return EditsReview(verdict, texts if verdict.accepted else {}, hashes)


def _file_problem(rel: str, context: CodeContext, settings: Settings, paths: ProtectedPaths) -> Rejection | None:
    protected = paths.reason(rel)
    if protected:
        return Rejection(code=RejectionCode.PROTECTED_PATH, message=f"{protected}; patches may not change it")
    if settings.enforce_scope and rel != context.file:
        return Rejection(
            code=RejectionCode.SCOPE,
            message=f"the edits change {rel}, but the bug is in {context.file} and only that file may change "
            "(enforce_scope = true); fix it within " + context.file,
        )
    return None


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
