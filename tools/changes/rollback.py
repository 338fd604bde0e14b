"""Roll back an applied change: restore its backup, commit when the change was committed, record it.

Rollback trusts nothing in the record it restores from (the log lives in `.selfmod/`, which patch code or another
writer could edit): the file must be relative, inside the root after resolving symlinks and not protected, and
the backup must lie under `.selfmod/backups/`. The kill switch is read right before the write.
"""

from __future__ import annotations

from pathlib import Path

from selfmod.config import Settings
from selfmod.errors import ApplyError, InputError, UnsafePathError
from selfmod.models import AuditRecord, FileChange
from selfmod.tools.changes.apply import unified_diff
from selfmod.tools.changes.apply_recovery import change_paths
from selfmod.tools.changes.atomic import atomic_write_bytes
from selfmod.tools.changes.audit import AuditLog, new_audit_id
from selfmod.tools.changes.git import commit_file, commit_files, is_repo
from selfmod.tools.changes.locks import project_lock
from selfmod.tools.changes.safety import is_disabled, live_applies
from selfmod.tools.code.source_text import sha256_bytes
from selfmod.tools.path_safety import ProtectedPaths, relative_path


def _rollback_paths(settings: Settings, target: AuditRecord) -> tuple[Path, Path]:
    """The live file and the backup a record names, refused (UnsafePathError) unless both are safe: the file
    relative, inside the root after resolving symlinks and not protected; the backup under `.selfmod/backups/`."""
    root = settings.project_root.resolve()
    where = f"audit record {target.id}"
    try:
        rel = relative_path(root, target.file or "")
    except UnsafePathError as exc:
        raise UnsafePathError(f"{where}: {exc}; refusing to roll back") from exc
    if rel != target.file:
        raise UnsafePathError(f"{where}: file {target.file!r} is not the plain relative path {rel!r}; refusing")
    protected = ProtectedPaths(root, settings.protected, settings.state_patterns()).reason(rel)
    if protected:
        raise UnsafePathError(f"{where}: {protected}; refusing to roll back")
    backups = (settings.state_dir / "backups").resolve()
    try:
        backup = root / relative_path(root, target.backup or "")
    except UnsafePathError as exc:
        raise UnsafePathError(f"{where}: backup {exc}; refusing to roll back") from exc
    if backups not in backup.parents:
        raise UnsafePathError(f"{where}: backup {target.backup!r} is not under {backups}; refusing to roll back")
    return root / rel, backup


def rollback(settings: Settings, audit: AuditLog, audit_id: str, force: bool = False) -> AuditRecord:
    """Restore the file an applied patch changed, when it still holds the patched text (or when forced)."""
    with project_lock(settings.state_dir):
        records = audit.records()
        target = next((r for r in records if r.id == audit_id and r.status == "applied"), None)
        if target is None or target.file is None:
            raise InputError(f"no applied change with audit id {audit_id!r} (see `selfmod audit`)")
        if target not in live_applies(records, target.file):
            raise ApplyError(f"audit id {audit_id} was already rolled back")
        root = settings.project_root.resolve()
        if target.files:
            return _rollback_many(settings, audit, target, force)
        path, backup = _rollback_paths(settings, target)
        if not backup.is_file():
            raise ApplyError(f"the backup of {target.file} for {audit_id} is missing ({backup})")
        current = sha256_bytes(path.read_bytes()) if path.exists() else None
        if current != target.hash_after and not force:
            raise ApplyError(
                f"{target.file} changed after {audit_id} was applied; refusing to roll back (use --force to overwrite)"
            )
        original = backup.read_bytes()
        before_text = path.read_bytes().decode("utf-8", errors="replace") if path.exists() else ""
        _refuse_when_disabled(settings, audit, target)
        atomic_write_bytes(path, original)
        commit = None
        if target.commit and is_repo(root):
            commit = commit_file(
                root, target.file, f"selfmod: roll back audit {audit_id} (reverts {target.commit[:12]})"
            )
        return audit.append(
            AuditRecord(
                id=new_audit_id(),
                timestamp="",
                status="rolled_back",
                reflection_id=target.reflection_id,
                file=target.file,
                hash_before=current,
                hash_after=sha256_bytes(original),
                related_id=audit_id,
                commit=commit,
                diff=unified_diff(target.file, before_text, original.decode("utf-8", errors="replace")),
                message=f"rolled back {audit_id}" + (" (forced)" if force and current != target.hash_after else ""),
            )
        )


def _refuse_when_disabled(settings: Settings, audit: AuditLog, target: AuditRecord) -> None:
    """With the kill switch on, record the refusal and stop before anything is written."""
    reason = is_disabled(settings)
    if reason:
        audit.append(
            AuditRecord(
                id=new_audit_id(),
                timestamp="",
                status="disabled",
                file=target.file,
                related_id=target.id,
                message=f"not rolled back: {reason}",
            )
        )
        raise ApplyError(f"not rolled back: {reason}")


def _rollback_many(settings: Settings, audit: AuditLog, target: AuditRecord, force: bool) -> AuditRecord:
    """Restore every file of a change that spans several files, all of them or none."""
    where = f"audit record {target.id}"
    restore: list[tuple[FileChange, Path, bytes, bytes | None]] = []
    for change in target.files:
        try:
            path, backup = change_paths(settings, change)
        except UnsafePathError as exc:
            raise UnsafePathError(f"{where}: {exc}; refusing to roll back") from exc
        protected = ProtectedPaths(settings.project_root.resolve(), settings.protected, settings.state_patterns())
        if protected.reason(change.file):
            raise UnsafePathError(f"{where}: {protected.reason(change.file)}; refusing to roll back")
        if backup is None or not backup.is_file():
            raise ApplyError(f"the backup of {change.file} for {target.id} is missing ({backup})")
        current = path.read_bytes() if path.exists() else None
        if (sha256_bytes(current) if current is not None else None) != change.hash_after and not force:
            raise ApplyError(
                f"{change.file} changed after {target.id} was applied; refusing to roll back any of its files "
                "(use --force to overwrite)"
            )
        restore.append((change, path, backup.read_bytes(), current))
    _refuse_when_disabled(settings, audit, target)
    done: list[tuple[Path, bytes | None]] = []
    try:
        for _, path, original, current in restore:
            atomic_write_bytes(path, original)
            done.append((path, current))
    except OSError:
        for path, current in reversed(done):
            if current is not None:
                atomic_write_bytes(path, current)
        raise
    root = settings.project_root.resolve()
    rels = [change.file for change in target.files]
    commit = None
    if target.commit and is_repo(root):
        commit = commit_files(root, rels, f"selfmod: roll back audit {target.id} (reverts {target.commit[:12]})")
    files = [
        FileChange(
            file=change.file,
            hash_before=sha256_bytes(current) if current is not None else "",
            hash_after=sha256_bytes(original),
        )
        for change, _, original, current in restore
    ]
    diff = "".join(
        unified_diff(c.file, (cur or b"").decode("utf-8", "replace"), orig.decode("utf-8", "replace"))
        for c, _, orig, cur in restore
    )
    return audit.append(
        AuditRecord(
            id=new_audit_id(),
            timestamp="",
            status="rolled_back",
            reflection_id=target.reflection_id,
            file=target.file,
            files=files,
            hash_before=files[0].hash_before,
            hash_after=files[0].hash_after,
            related_id=target.id,
            commit=commit,
            diff=diff,
            message=f"rolled back {target.id} ({len(files)} files)" + (" (forced)" if force else ""),
        )
    )
