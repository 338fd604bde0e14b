"""A tested patch waiting for approval, checked again against the live project before it is shown or written.

Pending patches wait in the checkpoint database, and `.selfmod/` may be edited while they wait; so nothing in a
pending entry is trusted. Before it is written (and whenever it is shown for approval) the entry must name a
safe, unprotected file whose live bytes still hash to what was read, its text must be the tested text (the test
run's `patched_sha256`), and the deterministic critic must accept its proposal on the live file and produce
exactly that text. The diff shown is computed from the bytes that would be written against the live file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from selfmod.agents.critic import review_edits, review_proposal
from selfmod.config import Settings
from selfmod.errors import UnsafePathError
from selfmod.models import AuditRecord, CodeContext
from selfmod.tools.changes.apply import unified_diff
from selfmod.tools.code.source_text import read_source, sha256_bytes, sha256_text
from selfmod.tools.path_safety import ProtectedPaths, relative_path

RECHECK_FAILED = "pending patch failed re-check"


@dataclass(frozen=True)
class PendingCheck:
    """What checking one pending patch found."""

    file: str
    """The file as the entry names it (normalised when it is a safe path)."""
    diff: str
    """The text that would be written, as a diff against the live file (empty when nothing would change)."""
    problem: str = ""
    """Why the patch must not be written; empty when it may."""
    status: str = "rejected"
    """The audit status to record when it must not be written."""


def _refused(file: str, problem: str, diff: str = "", status: str = "rejected") -> PendingCheck:
    return PendingCheck(file=file, diff=diff, problem=problem, status=status)


def check_pending(settings: Settings, pending: Mapping[str, Any]) -> PendingCheck:
    """Check one pending entry (as stored in the graph state) against the live project."""
    if pending.get("edited") is not None:
        return _check_edits(settings, pending)
    file, new_text, expected = pending.get("file"), pending.get("new_text"), pending.get("expected_sha256")
    shown = str(file)
    if not isinstance(file, str) or not isinstance(new_text, str) or not isinstance(expected, str):
        return _refused(shown, "the entry lacks its file, its text or the hash of the code that was read")
    root = settings.project_root.resolve()
    try:
        rel = relative_path(root, file)
    except UnsafePathError as exc:
        return _refused(shown, str(exc))
    try:
        source, raw = read_source(root / rel)
    except (OSError, UnicodeDecodeError) as exc:
        return _refused(rel, f"{rel} cannot be read: {exc}")
    diff = unified_diff(rel, raw.decode("utf-8", errors="replace"), new_text)
    protected = ProtectedPaths(root, settings.protected, settings.state_patterns()).reason(rel)
    if protected:
        return _refused(rel, f"{protected}; patches may not change it", diff)
    try:
        record = AuditRecord.model_validate(pending.get("record"))
        context = CodeContext.model_validate(pending.get("context"))
    except ValidationError as exc:
        return _refused(rel, f"its record or code context is malformed ({exc.error_count()} error(s))", diff)
    problem = _bound_to_tests(rel, new_text, expected, record, context)
    if problem:
        return _refused(rel, problem, diff)
    live_hash = sha256_bytes(raw)
    if live_hash == sha256_text(new_text):
        return PendingCheck(file=rel, diff="")
    if live_hash != expected:
        why = f"{rel} changed since its code was read (sha256 {expected[:12]} -> {live_hash[:12]})"
        return _refused(rel, why, diff, status="file_changed")
    assert record.proposal is not None
    review = review_proposal(record.proposal, context, source, settings, record.bug_report)
    if not review.verdict.accepted:
        return _refused(rel, "the critic rejects it: " + "; ".join(r.message for r in review.verdict.rejections), diff)
    if review.new_text != new_text:
        return _refused(rel, "the text to write is not what its proposal makes of the live file", diff)
    return PendingCheck(file=rel, diff=diff)


def _bound_to_tests(rel: str, new_text: str, expected: str, record: AuditRecord, context: CodeContext) -> str:
    """Why the entry's parts do not belong together (text, test run, code context, record); empty when they do."""
    run = record.test_run
    if run is None or not run.success:
        return "it has no passing test run"
    new_hash = sha256_text(new_text)
    if run.patched_sha256 != new_hash:
        return f"the text to write (sha256 {new_hash[:12]}) is not the tested text ({str(run.patched_sha256)[:12]})"
    if run.patched_file is not None and run.patched_file != rel:
        return f"the tests ran with {run.patched_file} patched, not {rel}"
    if context.file != rel or record.file != rel:
        return f"the entry names {rel} but its code context names {context.file} and its record {record.file}"
    if context.file_sha256 != expected:
        return "the hash of the code that was read differs between the entry and its code context"
    if record.proposal is None:
        return "it has no patch proposal"
    return ""


def approval_view(settings: Settings, pending: Mapping[str, Any]) -> dict[str, Any]:
    """What a person is shown to approve one patch: the diff of exactly the bytes that would be written, and the
    problem that will stop it (empty when there is none)."""
    check = check_pending(settings, pending)
    return {
        "reflection_id": str(pending.get("reflection_id")),
        "file": check.file,
        "function": pending.get("function"),
        "diff": check.diff,
        "tests": str(pending.get("tests") or ""),
        "problem": check.problem,
    }


def _edited_texts(edited: object) -> dict[str, tuple[str, str]] | None:
    """The entry's files as path -> (text, expected hash), or None when malformed."""
    if not isinstance(edited, Mapping) or not edited:
        return None
    out = {}
    for rel, entry in edited.items():
        if not isinstance(rel, str) or not isinstance(entry, Mapping):
            return None
        text, expected = entry.get("new_text"), entry.get("expected_sha256")
        if not isinstance(text, str) or not isinstance(expected, str):
            return None
        out[rel] = (text, expected)
    return out


def _check_edits(settings: Settings, pending: Mapping[str, Any]) -> PendingCheck:
    """`check_pending` for a change to several files: every file, then the whole change, as for one file."""
    shown = str(pending.get("file"))
    edited = _edited_texts(pending.get("edited"))
    if edited is None:
        return _refused(shown, "the entry's edited files are malformed")
    root = settings.project_root.resolve()
    protected_paths = ProtectedPaths(root, settings.protected, settings.state_patterns())
    live: dict[str, bytes] = {}
    texts: dict[str, str] = {}
    for name, (text, _) in edited.items():
        try:
            rel = relative_path(root, name)
            live[rel] = read_source(root / rel)[1]
        except UnsafePathError as exc:
            return _refused(shown, str(exc))
        except (OSError, UnicodeDecodeError) as exc:
            return _refused(shown, f"{name} cannot be read: {exc}")
        if rel != name:
            return _refused(shown, f"the entry names {name!r}, not the plain relative path {rel!r}")
        texts[rel] = text
    first = next(iter(texts))
    diff = "".join(unified_diff(rel, live[rel].decode("utf-8", errors="replace"), t) for rel, t in texts.items())
    for rel in texts:
        protected = protected_paths.reason(rel)
        if protected:
            return _refused(first, f"{protected}; patches may not change it", diff)
    try:
        record = AuditRecord.model_validate(pending.get("record"))
        context = CodeContext.model_validate(pending.get("context"))
    except ValidationError as exc:
        return _refused(first, f"its record or code context is malformed ({exc.error_count()} error(s))", diff)
    run = record.test_run
    if run is None or not run.success or record.edits is None:
        return _refused(first, "it has no passing test run of its edits", diff)
    if run.patched_files != {rel: sha256_text(t) for rel, t in texts.items()}:
        return _refused(first, "the texts to write are not the texts that were tested together", diff)
    hashes = {rel: sha256_bytes(raw) for rel, raw in live.items()}
    if all(hashes[rel] == sha256_text(t) for rel, t in texts.items()):
        return PendingCheck(file=first, diff="")
    for rel, (_, expected) in edited.items():
        if hashes[rel] != expected:
            why = f"{rel} changed since its code was read (sha256 {expected[:12]} -> {hashes[rel][:12]})"
            return _refused(first, why, diff, status="file_changed")
    review = review_edits(record.edits, context, settings)
    if not review.verdict.accepted:
        reasons = "; ".join(r.message for r in review.verdict.rejections)
        return _refused(first, f"the critic rejects it: {reasons}", diff)
    if review.texts != texts:
        return _refused(first, "the texts to write are not what its edits make of the live files", diff)
    return PendingCheck(file=first, diff=diff)
