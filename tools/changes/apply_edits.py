"""Apply a tested change to several files at once: all of them or none.

Under the project lock: a hash precondition on every file, a backup of each under `.selfmod/backups/<audit_id>/`,
ONE `applying` intent record listing every file, the kill switch read again, each file replaced atomically (on a
failure the files already replaced are put back), one git commit of exactly those files, ONE final audit record
(`files` lists them; `file` names the first) and a success reflection. An interrupted apply is finished or undone
by `recover_interrupted` from the intent record.
"""

from __future__ import annotations

from selfmod.config import Settings
from selfmod.models import AuditRecord, FileChange
from selfmod.tools.changes.apply import note_success, read_live, recover_interrupted, unified_diff
from selfmod.tools.changes.atomic import atomic_write_bytes
from selfmod.tools.changes.audit import AuditLog, new_audit_id
from selfmod.tools.changes.git import commit_files, is_clean, is_repo
from selfmod.tools.changes.locks import project_lock
from selfmod.tools.changes.safety import budget_exceeded, is_disabled, reverts_earlier
from selfmod.tools.code.source_text import sha256_bytes
from selfmod.tools.path_safety import ProtectedPaths, relative_path


def apply_edits(
    settings: Settings, audit: AuditLog, changes: dict[str, tuple[str, str]], base: AuditRecord | None = None
) -> AuditRecord:
    """Apply `changes` (relative path -> (tested text, SHA-256 of the bytes it was built on)) as one change."""
    root = settings.project_root.resolve()
    targets = {relative_path(root, rel): change for rel, change in changes.items()}
    first = next(iter(targets))
    audit_id = base.id if base and base.id else new_audit_id()
    template = (base or AuditRecord(id=audit_id, timestamp="", status="")).model_copy(
        update={"id": audit_id, "file": first, "timestamp": ""}
    )

    def outcome(status: str, **fields: object) -> AuditRecord:
        return audit.append(template.model_copy(update={"status": status, **fields}))

    with project_lock(settings.state_dir):
        recover_interrupted(settings, audit)
        reason = is_disabled(settings)
        if reason:
            return outcome("disabled", message=f"not applied: {reason}")
        paths = ProtectedPaths(root, settings.protected, settings.state_patterns())
        for rel in targets:
            protected = paths.reason(rel)
            if protected:
                return outcome("refused", message=f"not applied: {protected}", alert=protected)
        current = {rel: read_live(root / rel) for rel in targets}
        new = {rel: text.encode("utf-8") for rel, (text, _) in targets.items()}
        before = {rel: sha256_bytes(data) for rel, data in current.items()}
        after = {rel: sha256_bytes(data) for rel, data in new.items()}
        if before == after:
            return outcome("already_applied", message="no change: every file already holds its patched text")
        for rel, (_, expected) in targets.items():
            if before[rel] != expected:
                return outcome(
                    "file_changed",
                    message=f"{rel} changed since its code was read (sha256 {expected[:12]} -> "
                    f"{before[rel][:12]}); none of the {len(targets)} files applied",
                )
        records = audit.records()
        for rel in targets:
            over = budget_exceeded(settings, records, rel)
            earlier = reverts_earlier(records, rel, after[rel])
            if over:
                return outcome("budget_exceeded", message=over, alert=over)
            if earlier:
                why = f"this patch would undo selfmod's earlier patch {earlier.id} of {rel}; refusing (loop suspected)"
                return outcome("refused", message=why, alert=why)
        files = []
        for rel in targets:
            backup = settings.state_dir / "backups" / audit_id / rel
            atomic_write_bytes(backup, current[rel])
            backup_rel = backup.relative_to(root).as_posix()
            files.append(FileChange(file=rel, hash_before=before[rel], hash_after=after[rel], backup=backup_rel))
        use_git = settings.git_commit and is_repo(root) and all(is_clean(root, rel) for rel in targets)
        fields = {
            "files": files,
            "hash_before": before[first],
            "hash_after": after[first],
            "backup": files[0].backup,
            "diff": "".join(
                unified_diff(rel, current[rel].decode("utf-8", "surrogateescape"), text)
                for rel, (text, _) in targets.items()
            ),
        }
        audit.append(
            template.model_copy(
                update={"id": f"{audit_id}.intent", "status": "applying", "related_id": audit_id, **fields}
            )
        )
        reason = is_disabled(settings)
        if reason:
            return outcome("disabled", message=f"not applied: {reason}", **fields)
        written: list[str] = []
        try:
            for rel in targets:
                atomic_write_bytes(root / rel, new[rel])
                written.append(rel)
        except OSError as exc:
            for rel in reversed(written):
                atomic_write_bytes(root / rel, current[rel])
            failed = next(rel for rel in targets if rel not in written)
            why = f"writing {failed} failed ({exc}); put back {len(written)} file(s) already replaced; nothing applied"
            return outcome("aborted", message=why, alert=why, **fields)
        commit = None
        if use_git:
            names = ", ".join(targets)
            message = f"selfmod: fix {names} for reflection {template.reflection_id or '-'} (audit {audit_id})"
            commit = commit_files(root, list(targets), message)
        record = outcome("applied", commit=commit, **fields)
        note_success(settings, record)
        return record
