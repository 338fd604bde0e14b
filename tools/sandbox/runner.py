"""Run an untrusted command: own session, scrubbed environment, rlimits, no network, hard timeout, no stragglers.

Two backends. `namespaces` wraps the command in bubblewrap (see `bwrap.py`): its own user, pid, net, ipc, uts and
cgroup namespaces, a filesystem that shows only what the tests need, and a pid namespace whose end kills every
process in it. `process` is the fallback: a new session and network namespace, rlimits, and a kill of the process
group plus every process still carrying this run's randomly named marker variable (which catches grandchildren that
left the group with setsid, but not ones that cleared their environment).

Output goes to a file, not a pipe, so a grandchild that keeps the output open can never hang the runner.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import errno
import fcntl
import os
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO, Literal

from selfmod.errors import SandboxError
from selfmod.tools.sandbox import bwrap
from selfmod.tools.sandbox.pids import PidsCgroup, kill_until_gone

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
BASE_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")


@dataclass(frozen=True)
class Limits:
    """Resource limits for the child processes."""

    timeout: float
    memory_mb: int = 4096
    file_size_mb: int = 512
    output_cap: int = 200_000
    isolate_network: bool = True


@dataclass(frozen=True)
class Confinement:
    """What an untrusted command may see and change, and which backend confines it."""

    backend: Literal["auto", "bwrap", "process"] = "auto"
    writable: tuple[Path, ...] = ()
    hidden: tuple[Path, ...] = ()
    readable: tuple[Path, ...] = field(default_factory=tuple)
    max_processes: int = 256


@dataclass(frozen=True)
class ProcessResult:
    """What happened to one command."""

    exit_code: int | None
    output: str
    timed_out: bool
    duration_s: float
    network_isolated: bool
    isolation_note: str
    stragglers_killed: int
    isolation: Literal["namespaces", "process"] = "process"


def child_env(home: Path, tmp: Path, passthrough: list[str], source: Mapping[str, str] | None = None) -> dict[str, str]:
    """An allowlisted environment: PATH, locale, a HOME and TMPDIR in the sandbox, and named pass-throughs."""
    env_in = os.environ if source is None else source
    env = {k: env_in[k] for k in (*BASE_ENV, *passthrough) if k in env_in}
    env.setdefault("PATH", os.defpath)
    env.setdefault("LANG", "C.UTF-8")
    env.update(
        HOME=str(home),
        TMPDIR=str(tmp),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        PYTHONNOUSERSITE="1",
    )
    return env


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        req = struct.pack("16sH14s", b"lo", 0, b"\x00" * 14)
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b"\x00" * 14))


def _enter_netns(flags: int) -> None:
    _unshare(flags)
    with contextlib.suppress(OSError):
        _loopback_up()


@cache
def netns_flags() -> tuple[int | None, str]:
    """The unshare flags that give a child a private network here, or None and the reason it is unavailable."""
    if not sys.platform.startswith("linux"):
        return None, f"network isolation needs Linux namespaces; this is {sys.platform}"
    reasons = []
    for flags, label in ((CLONE_NEWNET, "unshare(CLONE_NEWNET)"), (CLONE_NEWUSER | CLONE_NEWNET, "user+net namespace")):
        try:
            subprocess.run(
                [sys.executable, "-c", "pass"],
                preexec_fn=lambda f=flags: _enter_netns(f),  # type: ignore[misc]
                check=True,
                capture_output=True,
                timeout=30,
            )
            return flags, ""
        except (subprocess.SubprocessError, OSError) as exc:
            reasons.append(f"{label}: {exc}")
    return None, "network isolation unavailable (" + "; ".join(reasons) + ")"


def _preexec(limits: Limits, netflags: int | None, nproc: int | None, cgroup: PidsCgroup | None) -> Callable[[], None]:
    def setup() -> None:
        if cgroup is not None:
            cgroup.join()
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        mem = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        cpu = int(limits.timeout) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        size = limits.file_size_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if netflags is not None:
            _enter_netns(netflags)

    return setup


def _marked_pids(marker: bytes) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker in (entry / "environ").read_bytes():
                found.append(int(entry.name))
    return found


def _kill_marked(marker: bytes) -> int:
    """Kill every process carrying the marker in its environment; returns how many were found."""
    return kill_until_gone(lambda: _marked_pids(marker), rounds=20)


def _read_capped(fh: BinaryIO, cap: int) -> str:
    size = fh.seek(0, os.SEEK_END)
    fh.seek(0)
    if size <= cap:
        data = fh.read()
    else:
        head = fh.read(cap // 2)
        fh.seek(size - cap // 2)
        data = head + f"\n... [{size - cap} bytes of output cut] ...\n".encode() + fh.read()
    return data.decode("utf-8", errors="replace")


def run_isolated(
    argv: list[str], cwd: Path, env: dict[str, str], limits: Limits, confinement: Confinement
) -> ProcessResult:
    """Run `argv` in `cwd` under the limits and the confinement; never raises for the command's own failure."""
    isolation, note = bwrap.choose(confinement.backend)
    program = argv[0] if os.sep in argv[0] else shutil.which(argv[0], path=env.get("PATH", os.defpath))
    if program is None or not os.access(program, os.X_OK):
        raise SandboxError(f"cannot start test command {argv[0]!r}: no such program")
    if isolation == "namespaces":
        return _run_namespaced(argv, cwd, env, limits, confinement)
    marker_name = f"_{uuid.uuid4().hex[:12].upper()}"
    marker = uuid.uuid4().hex
    netflags, netnote = netns_flags() if limits.isolate_network else (None, "network isolation disabled by settings")
    result = _run(argv, cwd, {**env, marker_name: marker}, limits, _preexec(limits, netflags, None, None))
    stragglers = result.stragglers_killed + _kill_marked(f"{marker_name}={marker}".encode())
    notes = "; ".join(n for n in (note, netnote) if n)
    return _replace(result, stragglers_killed=stragglers, network_isolated=netflags is not None, isolation_note=notes)


def _replace(result: ProcessResult, **changes: object) -> ProcessResult:
    return dataclasses.replace(result, **changes)  # type: ignore[arg-type]


def _run_namespaced(
    argv: list[str], cwd: Path, env: dict[str, str], limits: Limits, confinement: Confinement
) -> ProcessResult:
    wrapped = bwrap.command(
        argv,
        cwd=cwd,
        env=env,
        writable=confinement.writable,
        hidden=confinement.hidden,
        readable=confinement.readable,
        isolate_network=limits.isolate_network,
    )
    with PidsCgroup.create(confinement.max_processes) as cgroup:
        nproc = None if cgroup is not None or os.geteuid() == 0 else confinement.max_processes
        result = _run(wrapped, cwd, env, limits, _preexec(limits, None, nproc, cgroup))
        if cgroup is not None:
            result = _replace(result, stragglers_killed=result.stragglers_killed + cgroup.kill_all())
    note = "" if limits.isolate_network else "network isolation disabled by settings"
    return _replace(result, network_isolated=limits.isolate_network, isolation="namespaces", isolation_note=note)


def _wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for the process to exit, woken by the kernel (a pidfd) rather than by polling; False on timeout."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        try:
            proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        ready = poller.poll(max(0, int(timeout * 1000)))
    finally:
        os.close(pidfd)
    if ready:
        proc.wait()
        return True
    return False


def _run(argv: list[str], cwd: Path, env: dict[str, str], limits: Limits, preexec: Callable[[], None]) -> ProcessResult:
    started = time.monotonic()
    with tempfile.TemporaryFile(prefix="selfmod-out-") as out:  # unnamed: a killed run leaves nothing behind
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=preexec,
                close_fds=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            if isinstance(exc, OSError) and exc.errno in (errno.ENOENT, errno.EACCES):
                raise SandboxError(f"cannot start test command {argv[0]!r}: {exc.strerror}") from exc
            raise SandboxError(f"cannot start test command {argv!r}: {exc}") from exc
        timed_out = False
        try:
            timed_out = not _wait_exit(proc, limits.timeout)
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        output = _read_capped(out, limits.output_cap)
    return ProcessResult(
        exit_code=None if timed_out else proc.returncode,
        output=output,
        timed_out=timed_out,
        duration_s=time.monotonic() - started,
        network_isolated=False,
        isolation_note="",
        stragglers_killed=0,
    )
