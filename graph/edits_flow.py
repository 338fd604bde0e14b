"""The graph's handling of a `propose_edits` proposal: review of every edited file, the files tested together,
and the pending entry that carries each file's tested text and the hash of the bytes it was built on."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from selfmod.agents.critic import review_edits
from selfmod.graph.feedback import critic_feedback
from selfmod.models import BugReport, CodeContext, EditsProposal, PatchProposal, Verdict
from selfmod.tools.changes.apply import unified_diff
from selfmod.tools.code.source_text import read_source

if TYPE_CHECKING:
    from selfmod.graph.nodes import Deps
    from selfmod.graph.state import SelfmodState


def is_edits(proposal: Mapping[str, Any] | None) -> bool:
    """True when a stored proposal is a `propose_edits` proposal (it has `edits`)."""
    return isinstance(proposal, Mapping) and "edits" in proposal


def proposal_fields(proposal: Mapping[str, Any] | None) -> dict[str, Any]:
    """The audit record fields for a stored proposal of either kind."""
    if not proposal:
        return {}
    if is_edits(proposal):
        return {"edits": EditsProposal.model_validate(proposal)}
    return {"proposal": PatchProposal.model_validate(proposal)}


def combined_diff(root: Path, texts: Mapping[str, str]) -> str:
    """One unified diff of every file against its live text."""
    parts = []
    for rel, new_text in texts.items():
        path = root / rel
        old = read_source(path, errors="replace")[0] if path.is_file() else ""
        parts.append(unified_diff(rel, old, new_text))
    return "".join(parts)


def tested_texts(edited: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """Relative path -> the text to test and apply."""
    return {rel: entry["new_text"] for rel, entry in edited.items()}


def review_edits_update(deps: Deps, state: SelfmodState, bug: BugReport, context: CodeContext) -> dict[str, Any]:
    """The `review_patch` update for an edits proposal."""
    settings = deps.settings
    proposal = EditsProposal.model_validate(state["proposal"])
    review = review_edits(proposal, context, settings)
    verdict = review.verdict
    if verdict.accepted and deps.reviewer is not None:
        second = deps.reviewer.review(bug, context, proposal, combined_diff(settings.project_root, review.texts))
        verdict = Verdict(rejections=second.rejections, notes=verdict.notes)
    update: dict[str, Any] = {"verdict": verdict.model_dump(mode="json")}
    if verdict.accepted:
        edited = {
            rel: {"new_text": text, "expected_sha256": review.read_sha256[rel]} for rel, text in review.texts.items()
        }
        return {**update, "edited": edited, "new_text": next(iter(review.texts.values()))}
    attempts = int(state.get("attempts") or 0)
    update.update(new_text=None, edited=None, feedback=critic_feedback(verdict, attempts))
    if attempts >= settings.max_attempts:
        codes = ", ".join(c.value for c in verdict.codes)
        update.update(outcome="rejected", message=f"rejected by the critic after {attempts} attempt(s): {codes}")
    return update


def pending_fields(root: Path, edited: Mapping[str, Mapping[str, str]] | None) -> dict[str, Any]:
    """What a pending entry of an edits proposal carries beyond the single-file fields (nothing for one file)."""
    if not edited:
        return {}
    first = next(iter(edited))
    return {
        "file": first,
        "new_text": edited[first]["new_text"],
        "expected_sha256": edited[first]["expected_sha256"],
        "edited": {rel: dict(entry) for rel, entry in edited.items()},
        "diff": combined_diff(root, tested_texts(edited)),
    }
