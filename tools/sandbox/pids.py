"""A pids cgroup per sandbox run, for a process cap that holds for root too.

RLIMIT_NPROC does not bind processes that map to the host's root user, so when selfmod runs as root and a pids
controller is writable (cgroup v1 `pids` hierarchy or cgroup v2 with the `pids` controller), each namespaced run
gets its own cgroup with `pids.max`; at the end every process left in it is killed and the cgroup removed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path


def kill_until_gone(find: Callable[[], list[int]], rounds: int) -> int:
    """SIGKILL whatever `find` lists, again until it lists nothing (or `rounds` ran out); returns how many."""
    killed = 0
    for _ in range(rounds):
        pids = find()
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.01)
    return killed


@cache
def pids_root() -> Path | None:
    """A writable cgroup directory whose children can limit pids, or None."""
    if os.geteuid() != 0:
        return None
    candidates: list[Path] = []
    try:
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    for line in mounts:
        fields = line.split(" - ")
        if len(fields) != 2:
            continue
        mount_point = Path(fields[0].split()[4])
        fstype, _source, options = [*fields[1].split(), "", ""][:3]
        if fstype == "cgroup" and "pids" in options.split(","):
            candidates.append(mount_point)
        elif fstype == "cgroup2":
            controllers = mount_point / "cgroup.subtree_control"
            with contextlib.suppress(OSError):
                if "pids" in controllers.read_text().split():
                    candidates.append(mount_point)
    for root in candidates:
        if os.access(root, os.W_OK):
            return root
    return None


def clean_stale_cgroups(grace_s: float = 60.0) -> list[Path]:
    """Remove empty cgroups left by runs that were killed before they could remove their own."""
    root = pids_root()
    removed: list[Path] = []
    if root is None:
        return removed
    with contextlib.suppress(OSError):
        for path in root.glob("selfmod-*"):
            with contextlib.suppress(OSError):
                old = time.time() - path.stat().st_mtime > grace_s
                if old and not PidsCgroup(path).members():
                    path.rmdir()
                    removed.append(path)
    return removed


class PidsCgroup:
    """One run's cgroup: processes join it before exec; `kill_all` ends whatever is left."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    @contextlib.contextmanager
    def create(cls, max_processes: int) -> Iterator[PidsCgroup | None]:
        """A fresh cgroup with `pids.max`, removed afterwards; None where no pids controller is writable."""
        root = pids_root()
        if root is None:
            yield None
            return
        path = root / f"selfmod-{uuid.uuid4().hex[:12]}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(max_processes))
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            yield None
            return
        group = cls(path)
        try:
            yield group
        finally:
            group.kill_all()
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except OSError:
                    time.sleep(0.02)

    def join(self) -> None:
        """Move the calling process into the cgroup (called in the child before exec)."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def members(self) -> list[int]:
        """The pids still in the cgroup."""
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill_all(self) -> int:
        """SIGKILL every member until none is left; returns how many were killed."""
        return kill_until_gone(self.members, rounds=50)
