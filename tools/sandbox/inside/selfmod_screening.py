"""Screening candidates inside the sandbox, for the validation worker: swap a function's code, run tests through
pytest's hooks (quick) or its full protocol (reports), and the screening children, one per core, that try a batch
of candidates each and report on a pipe. Standard library and pytest only, like the worker.
"""

from __future__ import annotations

import gc
import os
import select
import signal
import time
from collections.abc import Callable
from types import FunctionType
from typing import Any

import pytest
from _pytest.runner import runtestprotocol


def install(original: FunctionType, source: str) -> None:
    """Give `original` the code of the candidate (so every reference, including `from x import f`, sees it)."""
    free = original.__code__.co_freevars
    scope: dict[str, Any] = {}
    if free:
        body = "\n".join("    " + line for line in source.split("\n"))
        factory = f"def __selfmod_factory__({', '.join(free)}):\n{body}\n    return {original.__name__}\n"
        exec(compile(factory, original.__code__.co_filename, "exec"), original.__globals__, scope)
        cells = [c.cell_contents for c in original.__closure__ or ()]
        new = scope["__selfmod_factory__"](*cells)
    else:
        exec(compile(source, original.__code__.co_filename, "exec"), original.__globals__, scope)
        new = scope[original.__name__]
    original.__code__ = new.__code__
    original.__defaults__ = new.__defaults__
    original.__kwdefaults__ = new.__kwdefaults__


def passed(reports: list[Any]) -> bool:
    """Every phase passed, the call phase ran, and it was not an xfail/xpass."""
    call = [r for r in reports if r.when == "call"]
    return bool(call) and all(r.passed and not hasattr(r, "wasxfail") for r in reports)


def teardown_all(item: pytest.Item) -> None:
    """Tear down every fixture still set up (a run stopped early must leave nothing for the next one)."""
    state: Any = getattr(item.session, "_setupstate", None)
    if state is None:
        return
    try:
        state.teardown_exact(None)
    except TypeError:  # pytest < 7: teardown_exact(item, nextitem)
        state.teardown_exact(item, None)


def run_protocol(items: list[pytest.Item]) -> bool:
    """Run the items through pytest's own protocol (setup, call, teardown and their reports, without logging) and
    stop at the first that does not pass."""
    for i, item in enumerate(items):
        nextitem = items[i + 1] if i + 1 < len(items) else None
        if not passed(runtestprotocol(item, log=False, nextitem=nextitem)):
            if nextitem is not None:
                teardown_all(item)
            return False
    return True


def lanes() -> int:
    """Screening children run at once: the cores this process may use (at most 4)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


class Screen:
    """One screening child: it tries candidates `start`..`end` (exclusive) against the failing tests only,
    restoring the original code between them, and stops at the first that passes them (the survivor, confirmed
    separately). It reports each start and failure on a pipe, so a hang is charged to exactly one candidate."""

    def __init__(
        self,
        original: FunctionType,
        sources: list[str],
        span: tuple[int, int],
        failing: list[Any],
        timeout: float,
        run: Callable[[list[Any]], bool],
    ) -> None:
        start, end = span
        self.start, self.end, self.timeout = start, end, timeout
        self.rows: list[tuple[int, dict[str, Any]]] = []
        self.survivor: int | None = None
        self.current: int | None = None
        self.next_untried = start
        self.began = time.monotonic()
        self.deadline = self.began + timeout
        self.pending = b""
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns
            gc.disable()
            os.close(read_fd)
            saved = (original.__code__, original.__defaults__, original.__kwdefaults__)
            for j in range(start, end):
                os.write(write_fd, f"s{j}\n".encode())
                try:
                    install(original, sources[j])
                    ok = run(failing)
                except BaseException:  # the candidate is untrusted code
                    ok = False
                os.write(write_fd, f"{'p' if ok else 'f'}{j}\n".encode())
                if ok:
                    os._exit(0)
                original.__code__, original.__defaults__, original.__kwdefaults__ = saved
            os._exit(0)
        os.close(write_fd)
        self.pid, self.fd = pid, read_fd

    def read(self) -> bool:
        """Take what the child wrote; True once it has exited (its pipe closed)."""
        chunk = os.read(self.fd, 4096)
        now = time.monotonic()
        self.deadline = now + self.timeout
        if not chunk:
            if self.current is not None:
                self._charge("error: child died", now)
            elif self.next_untried == self.start and self.survivor is None:
                self.current = self.start  # died before its first candidate: that one is charged
                self._charge("error: child died", now)
            self._close()
            return True
        self.pending += chunk
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            kind, number = line[:1], int(line[1:])
            if kind == b"s":
                self.current, self.began = number, now
            elif kind == b"f":
                self.rows.append((number, {"ok": False, "verdict": "failed", "seconds": round(now - self.began, 4)}))
                self.current, self.next_untried = None, number + 1
            else:
                self.survivor, self.current, self.next_untried = number, None, number + 1
        return False

    def kill(self, verdict: str = "timeout") -> None:
        """Stop the child; the candidate it was on gets `verdict`."""
        os.kill(self.pid, signal.SIGKILL)
        if self.current is not None:
            self._charge(verdict, time.monotonic())
        self._close()

    def _charge(self, verdict: str, now: float) -> None:
        assert self.current is not None
        self.rows.append((self.current, {"ok": False, "verdict": verdict, "seconds": round(now - self.began, 4)}))
        self.next_untried, self.current = self.current + 1, None

    def _close(self) -> None:
        os.close(self.fd)
        os.waitpid(self.pid, 0)


def wait_any(running: list[Screen]) -> list[Screen]:
    """Wait for the next output of the running children; the ones that ended (exited or timed out)."""
    ended: list[Screen] = []
    wait = max(0.0, min(s.deadline for s in running) - time.monotonic())
    ready, _, _ = select.select([s.fd for s in running], [], [], wait)
    for screen in running:
        if screen.fd in ready:
            if screen.read():
                ended.append(screen)
        elif time.monotonic() >= screen.deadline:
            screen.kill()
            ended.append(screen)
    return ended


def screen_run(items: list[pytest.Item]) -> bool:
    """A screening pass over the items: pytest's setup, call and teardown hooks without building reports (a
    failure's report formats its traceback, which costs more than the test). Stops at the first item that
    raises; may pass what the full protocol would not (an xpass), never the reverse: `run_protocol` confirms."""
    for i, item in enumerate(items):
        nextitem = items[i + 1] if i + 1 < len(items) else None
        hooks = item.ihook
        try:
            hooks.pytest_runtest_setup(item=item)
            hooks.pytest_runtest_call(item=item)
        except BaseException:  # a failure, an error, a skip: not a pass
            teardown_all(item)
            return False
        try:
            hooks.pytest_runtest_teardown(item=item, nextitem=nextitem)
        except BaseException:
            teardown_all(item)
            return False
    return True
