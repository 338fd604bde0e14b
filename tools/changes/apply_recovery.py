"""Recovery of a change to several files whose writer died between its intent record and its final record.

All or nothing: when every file holds its new text the change is complete; otherwise the files that hold their
new text are put back from their backups (unless the kill switch is on), and files someone else changed since
are left as they are. Nothing in the intent record is trusted: paths must be safe, backups under
`.selfmod/backups/` and holding the original bytes.
"""

from __future__ import annotations

from pathlib import Path

from selfmod.config import Settings
from selfmod.errors import UnsafePathError
from selfmod.models import AuditRecord, FileChange
from selfmod.tools.changes.atomic import atomic_write_bytes
from selfmod.tools.changes.safety import is_disabled
from selfmod.tools.code.source_text import sha256_bytes
from selfmod.tools.path_safety import relative_path


def change_paths(settings: Settings, change: FileChange) -> tuple[Path, Path | None]:
    """The live file and the backup one file of a record names; UnsafePathError unless both are safe."""
    root = settings.project_root.resolve()
    rel = relative_path(root, change.file)
    if rel != change.file:
        raise UnsafePathError(f"file {change.file!r} is not the plain relative path {rel!r}")
    if change.backup is None:
        return root / rel, None
    backup = root / relative_path(root, change.backup)
    if (settings.state_dir / "backups").resolve() not in backup.parents:
        raise UnsafePathError(f"backup {change.backup!r} is not under .selfmod/backups/")
    return root / rel, backup


def _hash(path: Path) -> str | None:
    return sha256_bytes(path.read_bytes()) if path.is_file() else None


def recover_many(settings: Settings, intent: AuditRecord) -> tuple[str, str]:
    """Finish (`applied`) or undo (`aborted`) an interrupted change to several files; returns (status, message)."""
    try:
        paths = [(change, *change_paths(settings, change)) for change in intent.files]
    except UnsafePathError as exc:
        return "aborted", f"{exc}; left as it is"
    states = [(change, path, backup, _hash(path)) for change, path, backup in paths]
    if all(current == change.hash_after for change, _, _, current in states):
        return "applied", "completed after an interruption"
    replaced = [(change, path, backup) for change, path, backup, current in states if current == change.hash_after]
    changed = [c.file for c, _, _, current in states if current not in (c.hash_before, c.hash_after)]
    note = f"; {', '.join(changed)} changed since, left as they are" if changed else ""
    if not replaced:
        return "aborted", "interrupted before the files were replaced" + note
    reason = is_disabled(settings)
    if reason:
        files = ", ".join(change.file for change, _, _ in replaced)
        return "aborted", f"interrupted midway; {files} still hold the new text ({reason}; not restored){note}"
    restored = []
    for change, path, backup in replaced:
        original = backup.read_bytes() if backup is not None and backup.is_file() else None
        if original is None or sha256_bytes(original) != change.hash_before:
            note += f"; the backup of {change.file} is missing or altered, left as it is"
            continue
        atomic_write_bytes(path, original)
        restored.append(change.file)
    return "aborted", f"interrupted midway; restored {', '.join(restored) or 'nothing'} from the backups{note}"
