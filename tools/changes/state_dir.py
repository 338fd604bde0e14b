"""selfmod's state folder `.selfmod/`: refused, before anything is created, unless it is a real directory.

A symlinked `.selfmod` (to anywhere), a `.selfmod` that is a file, or a state file (audit log, databases, lock)
that is a folder or a symlink would make selfmod write outside the project or fail halfway with a traceback;
every writer of the state checks it here first, and the CLI checks it before a command does anything.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from selfmod.config import Settings, load_settings
from selfmod.errors import InputError

SQLITE_FILES = ("checkpoints.sqlite", "traces.sqlite")
"""The SQLite databases in the state folder (each may have -journal, -wal and -shm companions)."""
STATE_FILES = (
    "audit.jsonl",
    "audit.head",
    "project.lock",
    "disabled",
    *(f"{db}{suffix}" for db in SQLITE_FILES for suffix in ("", "-journal", "-wal", "-shm")),
)
"""Entries of the state folder that must be regular files when they exist."""
STATE_DIRS = ("backups", "baseline", "localize")
"""Entries of the state folder that must be real directories when they exist."""


def _problem(path: Path, want_dir: bool) -> str | None:
    """Why `path` cannot serve as a state directory (`want_dir`) or state file; None when fine or absent."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path} cannot be inspected: {exc.strerror}"
    if stat.S_ISLNK(mode):
        kind = "directory" if want_dir else "file"
        return f"{path} is a symlink; selfmod's state must be a real {kind} inside the project"
    if want_dir and not stat.S_ISDIR(mode):
        return f"{path} is not a directory (selfmod keeps its state there)"
    if not want_dir and stat.S_ISDIR(mode):
        return f"{path} is a directory, not a file"
    if not want_dir and not stat.S_ISREG(mode):
        return f"{path} is not a regular file"
    return None


def check_state_dir(state_dir: Path) -> Path:
    """Raise `InputError` naming the path unless the state folder is absent or a real directory of sane entries."""
    state_dir = Path(state_dir)
    project = state_dir.parent
    if not project.is_dir():
        what = "is not a directory" if project.exists() else "does not exist"
        raise InputError(f"project directory {project} {what}")
    problem = _problem(state_dir, want_dir=True)
    if problem is None and state_dir.exists():
        problem = next((p for name in STATE_FILES if (p := _problem(state_dir / name, want_dir=False))), None)
        problem = problem or next((p for name in STATE_DIRS if (p := _problem(state_dir / name, want_dir=True))), None)
    if problem is not None:
        raise InputError(problem)
    return state_dir


def ensure_state_dir(state_dir: Path) -> Path:
    """Check the state folder (`check_state_dir`), create it if it is missing, check again (a racing symlink)."""
    check_state_dir(state_dir)
    try:
        Path(state_dir).mkdir(exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {state_dir}: {exc.strerror}") from exc
    return check_state_dir(state_dir)


def checked_settings(project: Path, **overrides: Any) -> Settings:
    """The project's settings, after checking its state folder: what every CLI command starts with."""
    settings = load_settings(project, **overrides)
    check_state_dir(settings.state_dir)
    return settings
