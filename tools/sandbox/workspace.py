"""Sandbox workspaces: a temporary folder holding a copy of the project, a HOME and a TMPDIR.

Each workspace `selfmod-sandbox-XXXX/` has a lock file beside it (`selfmod-sandbox-XXXX.lock`, outside what the
sandbox can see) held with `flock` for as long as the workspace is in use. A run killed before it could clean up
leaves a folder whose lock nobody holds; `clean_stale` removes those at the start of every run.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "selfmod-sandbox-"
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".selfmod",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
        "build",
        "dist",
        "node_modules",
        ".eggs",
    }
)
"""Folders never copied into a sandbox: VCS data, selfmod state, virtualenvs, caches and build output."""


def _skip(directory: str, names: list[str]) -> set[str]:
    skipped = {n for n in names if n in SKIP_DIRS or n.endswith(".egg-info")}
    skipped |= {n for n in names if (Path(directory) / n / "pyvenv.cfg").is_file()}
    return skipped


def copy_project(root: Path, dest: Path) -> None:
    """Copy the project without VCS data, selfmod state, virtualenvs, caches and build output."""
    shutil.copytree(root, dest, symlinks=True, ignore=_skip, dirs_exist_ok=True)


def tree_hash(root: Path) -> str:
    """A hash of every file that a sandbox copy would hold (paths and contents)."""
    digest = hashlib.sha256()
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _skip(directory, dirs))
        for name in sorted(files):
            path = Path(directory) / name
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            if path.is_file() and not path.is_symlink():
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@contextlib.contextmanager
def locked_folder() -> Iterator[Path]:
    """A fresh temporary folder, locked as in use until the block ends, then removed with its lock."""
    base = Path(tempfile.mkdtemp(prefix=PREFIX))
    lock_path = base.with_name(base.name + ".lock")
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)
        with contextlib.suppress(OSError):
            lock_path.unlink()
        os.close(fd)


def clean_stale(parent: Path | None = None, grace_s: float = 60.0) -> list[Path]:
    """Remove workspaces left by killed runs (their lock is free, or missing and the folder is old)."""
    parent = Path(parent or tempfile.gettempdir())
    removed = []
    with contextlib.suppress(OSError):
        for entry in parent.iterdir():
            if not entry.name.startswith(PREFIX) or entry.name.endswith(".lock") or not entry.is_dir():
                continue
            if _is_stale(entry, grace_s):
                shutil.rmtree(entry, ignore_errors=True)
                with contextlib.suppress(OSError):
                    entry.with_name(entry.name + ".lock").unlink()
                removed.append(entry)
    return removed


def _is_stale(folder: Path, grace_s: float) -> bool:
    lock_path = folder.with_name(folder.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR)
    except FileNotFoundError:
        with contextlib.suppress(OSError):
            return time.time() - folder.stat().st_mtime > grace_s
        return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True
