"""Apply a tested patch transactionally, and roll it back.

Under the project lock: precondition on the file's hash, backup under `.selfmod/backups/<audit_id>/`, an
`applying` intent record, the kill switch read again, atomic replace (mode kept), optional git commit of just that
file, the final audit record and a success reflection. An apply interrupted by a crash is finished or marked
aborted by the next selfmod command, from the intent record and the file's actual hash.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from selfmod.config import Settings
from selfmod.errors import ApplyError, UnsafePathError
from selfmod.models import AuditRecord, Reflection
from selfmod.tools.changes.apply_recovery import recover_many
from selfmod.tools.changes.atomic import atomic_write_bytes
from selfmod.tools.changes.audit import AuditLog, new_audit_id, utc_now
from selfmod.tools.changes.git import commit_file, is_clean, is_repo
from selfmod.tools.changes.locks import project_lock
from selfmod.tools.changes.safety import budget_exceeded, is_disabled, reverts_earlier
from selfmod.tools.code.source_text import sha256_bytes
from selfmod.tools.path_safety import ProtectedPaths, relative_path
from selfmod.tools.reflections import append_reflection


def unified_diff(rel: str, old: str, new: str) -> str:
    """A unified diff of one file."""
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{rel}", f"b/{rel}"))


def read_live(path: Path) -> bytes:
    """The live file's bytes; ApplyError when it is gone."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ApplyError(f"{path} no longer exists; cannot apply") from exc


def apply_patch(
    settings: Settings,
    audit: AuditLog,
    rel_path: str,
    new_text: str,
    expected_sha256: str,
    base: AuditRecord | None = None,
) -> AuditRecord:
    """Apply `new_text` (exactly the text that was tested) to `rel_path`; returns the outcome's audit record.

    `base` carries what earlier stages know (reflection id, bug report, proposal, test run, ...).
    """
    root = settings.project_root.resolve()
    rel = relative_path(root, rel_path)
    path = root / rel
    audit_id = base.id if base and base.id else new_audit_id()
    template = (base or AuditRecord(id=audit_id, timestamp="", status="")).model_copy(
        update={"id": audit_id, "file": rel, "timestamp": ""}
    )
    new_bytes = new_text.encode("utf-8")
    new_hash = sha256_bytes(new_bytes)

    def outcome(status: str, **fields: object) -> AuditRecord:
        return audit.append(template.model_copy(update={"status": status, **fields}))

    with project_lock(settings.state_dir):
        recover_interrupted(settings, audit)
        reason = is_disabled(settings)
        if reason:
            return outcome("disabled", message=f"not applied: {reason}")
        protected = ProtectedPaths(root, settings.protected, settings.state_patterns()).reason(rel)
        if protected:
            return outcome("refused", message=f"not applied: {protected}", alert=protected)
        current = read_live(path)
        current_hash = sha256_bytes(current)
        if current_hash == new_hash:
            return outcome("already_applied", hash_before=current_hash, hash_after=new_hash, message="no change")
        if current_hash != expected_sha256:
            return outcome(
                "file_changed",
                hash_before=current_hash,
                message=f"{rel} changed since its code was read (sha256 {expected_sha256[:12]} -> "
                f"{current_hash[:12]}); not applied",
            )
        records = audit.records()
        over = budget_exceeded(settings, records, rel)
        if over:
            return outcome("budget_exceeded", hash_before=current_hash, message=over, alert=over)
        earlier = reverts_earlier(records, rel, new_hash)
        if earlier:
            why = f"this patch would undo selfmod's earlier patch {earlier.id} of {rel}; refusing (loop suspected)"
            return outcome("refused", hash_before=current_hash, message=why, alert=why)
        old_text = current.decode("utf-8", errors="surrogateescape")
        backup = settings.state_dir / "backups" / audit_id / rel
        atomic_write_bytes(backup, current)
        use_git = settings.git_commit and is_repo(root) and is_clean(root, rel)
        fields = {
            "hash_before": current_hash,
            "hash_after": new_hash,
            "backup": backup.relative_to(root).as_posix(),
            "diff": unified_diff(rel, old_text, new_text),
        }
        audit.append(
            template.model_copy(
                update={"id": f"{audit_id}.intent", "status": "applying", "related_id": audit_id, **fields}
            )
        )
        reason = is_disabled(settings)
        if reason:
            return outcome("disabled", hash_before=current_hash, message=f"not applied: {reason}")
        atomic_write_bytes(path, new_bytes)
        commit = None
        if use_git:
            message = f"selfmod: fix {rel} for reflection {template.reflection_id or '-'} (audit {audit_id})"
            commit = commit_file(root, rel, message)
        record = outcome("applied", commit=commit, **fields)
        note_success(settings, record)
        return record


def create_file(
    settings: Settings, audit: AuditLog, rel_path: str, text: str, base: AuditRecord | None = None
) -> AuditRecord:
    """Create a new file (a self-created module) atomically; refused when the file exists or selfmod is off."""
    root = settings.project_root.resolve()
    rel = relative_path(root, rel_path)
    record = (base or AuditRecord(id="", timestamp="", status="")).model_copy(update={"file": rel, "timestamp": ""})
    with project_lock(settings.state_dir):
        reason = is_disabled(settings)
        if reason:
            return audit.append(record.model_copy(update={"status": "disabled", "message": f"not created: {reason}"}))
        if (root / rel).exists():
            return audit.append(record.model_copy(update={"status": "file_exists", "message": f"{rel} already exists"}))
        atomic_write_bytes(root / rel, text.encode("utf-8"))
        commit = None
        if settings.git_commit and is_repo(root):
            commit = commit_file(root, rel, f"selfmod: add {rel} (audit {record.id or 'new'})")
        fields = {
            "status": "applied",
            "hash_after": sha256_bytes(text.encode("utf-8")),
            "diff": unified_diff(rel, "", text),
            "commit": commit,
            "message": f"created {rel}",
        }
        return audit.append(record.model_copy(update=fields))


def note_success(settings: Settings, record: AuditRecord) -> None:
    """Tell the agent, in its reflections file, that a tested fix was applied."""
    where = (record.file or "?") + (f" ({record.bug_report.function})" if record.bug_report else "")
    note = Reflection(
        id=f"selfmod-{record.id}",
        timestamp=utc_now(),
        task_summary=f"selfmod applied a tested fix to {record.file}",
        outcome="applied",
        reflection=f"Applied a tested fix in {where} for reflection {record.reflection_id}; audit id {record.id}.",
        source="selfmod",
        audit_id=record.id,
    )
    append_reflection(settings.reflections_path, settings.state_dir, note)


def recover_interrupted(settings: Settings, audit: AuditLog) -> list[AuditRecord]:
    """Finish or abort applies whose writer died between the intent record and the final record.

    Every selfmod command that may write calls this first, so such a change is recorded before any new work.
    """
    with project_lock(settings.state_dir):
        records = audit.records()
        finished = {r.id for r in records if r.status != "applying"}
        recovered = []
        for intent in records:
            if intent.status != "applying" or not intent.related_id or intent.related_id in finished:
                continue
            base = intent.model_copy(update={"id": intent.related_id, "timestamp": "", "related_id": None})
            if intent.files:
                status, why = recover_many(settings, intent)
                record = audit.append(base.model_copy(update={"status": status, "message": why}))
                if status == "applied":
                    note_success(settings, record)
                recovered.append(record)
                continue
            try:
                rel = relative_path(settings.project_root, intent.file or "")
            except UnsafePathError as exc:
                recovered.append(audit.append(base.model_copy(update={"status": "aborted", "message": str(exc)})))
                continue
            path = settings.project_root.resolve() / rel
            current = sha256_bytes(path.read_bytes()) if path.is_file() else None
            if current == intent.hash_after:
                record = audit.append(
                    base.model_copy(update={"status": "applied", "message": "completed after an interruption"})
                )
                note_success(settings, record)
            else:
                why = (
                    "interrupted before the file was replaced"
                    if current == intent.hash_before
                    else "file changed since"
                )
                record = audit.append(base.model_copy(update={"status": "aborted", "message": why}))
            recovered.append(record)
        return recovered
