"""Project-wide inter-process lock (flock-based: released by the OS when a holder dies)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from selfmod.errors import ApplyError
from selfmod.tools.changes.state_dir import ensure_state_dir

_LOCKS: dict[str, FileLock] = {}
_GUARD = threading.Lock()


def _lock_for(path: Path) -> FileLock:
    key = str(path.resolve())
    with _GUARD:
        if key not in _LOCKS:
            _LOCKS[key] = FileLock(key)
        return _LOCKS[key]


@contextmanager
def project_lock(state_dir: Path, timeout: float = 120.0) -> Iterator[None]:
    """Hold the lock that every writer of the project's files and of selfmod's state takes.

    One lock object per path and process, so it is re-entrant: a holder can call other locked operations.
    """
    ensure_state_dir(state_dir)
    lock = _lock_for(state_dir / "project.lock")
    try:
        with lock.acquire(timeout=timeout):
            yield
    except Timeout as exc:
        raise ApplyError(f"could not take the project lock {lock.lock_file} within {timeout} s") from exc
