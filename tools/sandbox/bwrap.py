"""The namespace backend: a bubblewrap command line that shows the code under test only what it needs.

New user, pid, net, ipc, uts and cgroup namespaces, a fresh `/proc` of the new pid namespace, a minimal `/dev`,
the system's programs and libraries and the interpreter read-only, and nothing else of the host: no home, no
`/run`, no host sockets, no live project and no `.selfmod/`. The writable places are the ones the caller names
(the workspace: project copy, HOME, TMPDIR). Capabilities are dropped, further user namespaces are disabled, the
sandbox dies with its parent and runs in a new session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from selfmod.errors import SandboxError

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt")
ETC_ENTRIES = (
    "alternatives",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "host.conf",
    "ssl",
    "ca-certificates",
    "pki",
    "mime.types",
    "os-release",
    "debian_version",
    "python3",
    "python3.11",
    "fonts",
    "locale.alias",
    "locale.gen",
    "matplotlibrc",
)
"""The parts of /etc that programs under test may read (not shadow, ssh keys, sudoers, credentials ...)."""

NAMESPACE_FLAGS = (
    "--unshare-user",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--hostname",
    "sandbox",
)


@dataclass(frozen=True)
class Probe:
    """Whether bubblewrap can start a sandbox on this machine, and why not when it cannot."""

    works: bool
    executable: str | None
    version: str
    reason: str


def executable() -> str | None:
    """The bwrap program, or None when it is not installed."""
    return shutil.which("bwrap")


@cache
def probe() -> Probe:
    """Start one tiny sandbox with every namespace flag this backend uses."""
    exe = executable()
    if exe is None or not sys.platform.startswith("linux"):
        why = "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)" if exe is None else sys.platform
        return Probe(False, exe, "", why)
    try:
        version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
        argv = [exe, *NAMESPACE_FLAGS, *_system_binds(), "--proc", "/proc", "--dev", "/dev", "--", "true"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return Probe(False, exe, "", f"bwrap cannot run: {exc}")
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}"
        return Probe(False, exe, version, f"bwrap cannot create its namespaces here: {detail}")
    return Probe(True, exe, version, "")


def choose(setting: Literal["auto", "bwrap", "process"]) -> tuple[Literal["namespaces", "process"], str]:
    """The isolation a run gets under the `sandbox` setting, with a note when it is the weaker one."""
    if setting == "process":
        return "process", "process sandbox chosen by settings (sandbox = 'process')"
    found = probe()
    if found.works:
        return "namespaces", ""
    if setting == "bwrap":
        raise SandboxError(f"sandbox = 'bwrap' but the namespace sandbox cannot start: {found.reason}")
    return "process", f"process sandbox: {found.reason}"


def _system_binds() -> list[str]:
    args: list[str] = []
    for name in SYSTEM_DIRS:
        path = Path(name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    for entry in ETC_ENTRIES:
        args += ["--ro-bind-try", f"/etc/{entry}", f"/etc/{entry}"]
    return args


@cache
def interpreter_paths(program: str) -> tuple[Path, ...]:
    """What a Python interpreter needs to see: its prefixes and every directory on its default sys.path."""
    script = "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path]))"
    try:
        done = subprocess.run(
            [program, "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
            env={"PATH": os.defpath, "PYTHONNOUSERSITE": "1"},
        )
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return ()
    paths = [Path(program).parent, *(Path(p) for p in found if p)]
    return tuple(dict.fromkeys(p for p in paths if p.exists()))


def _python_of(program: str, env: Mapping[str, str]) -> str | None:
    """The Python interpreter behind a command: itself, or the one on a script's `#!` line."""
    resolved = program if os.sep in program else shutil.which(program, path=env.get("PATH", os.defpath))
    if resolved is None:
        return None
    if Path(resolved).name.startswith("python"):
        return resolved
    try:
        with open(resolved, "rb") as fh:
            first = fh.readline(400)
    except OSError:
        return None
    if first.startswith(b"#!"):
        parts = first[2:].decode(errors="replace").split()
        if parts and Path(parts[0]).name.startswith("python"):
            return parts[0]
    return None


def _inside(path: Path, others: Iterable[Path]) -> bool:
    return any(path != other and path.is_relative_to(other) for other in others)


def _in_virtualenv(path: Path) -> bool:
    return any((parent / "pyvenv.cfg").is_file() for parent in (path, *path.parents))


def _read_only_paths(argv: Sequence[str], env: Mapping[str, str], readable: Sequence[Path]) -> list[Path]:
    paths = list(readable)
    python = _python_of(argv[0], env) if argv else None
    if python is not None:
        paths += interpreter_paths(python)
        paths += [Path(python).parent]
    for entry in env.get("PYTHONPATH", "").split(os.pathsep):
        if entry:
            paths.append(Path(entry))
    system = [Path(d) for d in SYSTEM_DIRS]
    home = Path.home()
    unique = dict.fromkeys(p.absolute() for p in paths if p.exists())
    kept = [p for p in unique if not home.is_relative_to(p) and not any(p.is_relative_to(s) for s in system)]
    return [p for p in kept if not _inside(p, kept)]


def command(
    argv: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    writable: Sequence[Path],
    hidden: Sequence[Path],
    readable: Sequence[Path] = (),
    isolate_network: bool = True,
) -> list[str]:
    """The bwrap command line that runs `argv` in `cwd` with only `writable` writable and `hidden` invisible."""
    found = probe()
    if not found.works or found.executable is None:
        raise SandboxError(f"the namespace sandbox cannot start: {found.reason}")
    flags = [f for f in NAMESPACE_FLAGS if isolate_network or f != "--unshare-net"]
    args = [found.executable, *flags, *_system_binds()]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
    ro = _read_only_paths(argv, env, readable)
    hidden_abs = [h.absolute() for h in hidden]
    outer = [p for p in ro if not _inside(p, hidden_abs) and p not in hidden_abs]
    inner = [p for p in ro if p not in outer and p not in hidden_abs and _in_virtualenv(p)]
    for path in outer:
        args += ["--ro-bind", str(path), str(path)]
    for path in hidden_abs:
        if any(path.is_relative_to(p) for p in outer):
            args += ["--tmpfs", str(path)]
    for path in inner:
        args += ["--ro-bind", str(path), str(path)]
    for path in writable:
        args += ["--bind", str(path.absolute()), str(path.absolute())]
    return [*args, "--chdir", str(cwd.absolute()), "--", *argv]
