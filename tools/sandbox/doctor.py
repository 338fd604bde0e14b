"""What isolation this machine offers and why: the facts behind `selfmod doctor`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from selfmod.errors import SandboxError
from selfmod.tools.sandbox import bwrap
from selfmod.tools.sandbox.pids import pids_root
from selfmod.tools.sandbox.runner import netns_flags


@dataclass(frozen=True)
class Check:
    """One fact about the machine and what it means for the sandbox."""

    name: str
    ok: bool
    detail: str


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def checks() -> list[Check]:
    """Every fact that decides which sandbox backend works here."""
    probe = bwrap.probe()
    found: list[Check] = [
        Check("bwrap installed", probe.executable is not None, probe.version or "apt-get install bubblewrap"),
    ]
    max_ns = _read("/proc/sys/user/max_user_namespaces")
    clone = _read("/proc/sys/kernel/unprivileged_userns_clone")
    userns_ok = max_ns not in (None, "0") and clone != "0"
    detail = f"max_user_namespaces={max_ns}" + (f", unprivileged_userns_clone={clone}" if clone is not None else "")
    found.append(Check("user namespaces allowed", userns_ok, detail))
    found.append(Check("namespace sandbox starts", probe.works, probe.reason or "user, pid, net, ipc, uts, cgroup"))
    flags, why = netns_flags()
    found.append(Check("network namespace (process sandbox)", flags is not None, why or "unshare works"))
    root = pids_root()
    if os.geteuid() == 0:
        found.append(Check("pids cgroup (process cap for root)", root is not None, str(root or "none writable")))
    else:
        found.append(Check("process cap", True, "RLIMIT_NPROC inside the user namespace"))
    return found


def isolation_line(setting: str) -> str:
    """`isolation: namespaces | process` for the setting, with the reason when it is the weaker one."""
    try:
        isolation, note = bwrap.choose(setting)  # type: ignore[arg-type]
    except SandboxError as exc:
        return f"isolation: none ({exc})"
    return f"isolation: {isolation}" + (f" ({note})" if note else "")
