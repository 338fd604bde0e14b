"""The validation worker, run inside the sandbox: `python -m selfmod_repair_worker JOB RESULTS`.

pytest starts and collects once; for each candidate the worker forks, swaps the target function's code in the
child, runs the previously failing tests and then the passing ones, and reports through a pipe. A child that
outlives the per-candidate timeout is killed, so a hanging candidate costs about the timeout.
A test passes only when pytest's own reports say so (`runtestprotocol`): a failing `unittest.TestCase` test, a
fixture error, a skip, an xfail or an xpass is not a pass, even though nothing is raised to the caller.
Standard library and pytest only: this file must run in any project's environment (its folder is put on
PYTHONPATH; selfmod itself need not be installed there).
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

BATCH = 16
"""Candidates one screening child tries before a fresh fork (bounds the damage a candidate's side effects do)."""


def _module_for(rel: str) -> ModuleType | None:
    target = (Path.cwd() / rel).resolve()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve() == target:
            return module
    dotted = rel[:-3].replace("/", ".").removesuffix(".__init__")
    try:
        return __import__(dotted, fromlist=["_"])
    except Exception:
        return None


def _raw_function(holder: Any, name: str) -> FunctionType | None:
    value: Any = holder.__dict__.get(name) if isinstance(holder, type) else getattr(holder, name, None)
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    if isinstance(value, property):
        value = value.fget
    while hasattr(value, "__wrapped__") and not isinstance(value, FunctionType):
        value = value.__wrapped__
    while isinstance(value, FunctionType) and hasattr(value, "__wrapped__"):
        value = value.__wrapped__
    return value if isinstance(value, FunctionType) else None


def _target(module: ModuleType, qualname: str) -> FunctionType | None:
    holder: Any = module
    parts = qualname.split(".")
    for part in parts[:-1]:
        holder = getattr(holder, part, None)
        if holder is None:
            return None
    return _raw_function(holder, parts[-1])


def _install(original: FunctionType, source: str) -> None:
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


def _passed(reports: list[Any]) -> bool:
    """Every phase passed, the call phase ran, and it was not an xfail/xpass."""
    call = [r for r in reports if r.when == "call"]
    return bool(call) and all(r.passed and not hasattr(r, "wasxfail") for r in reports)


def _teardown_all(item: pytest.Item) -> None:
    """Tear down every fixture still set up (a run stopped early must leave nothing for the next one)."""
    state: Any = getattr(item.session, "_setupstate", None)
    if state is None:
        return
    try:
        state.teardown_exact(None)
    except TypeError:  # pytest < 7: teardown_exact(item, nextitem)
        state.teardown_exact(item, None)


def _run(items: list[pytest.Item]) -> bool:
    """Run the items through pytest's own protocol (setup, call, teardown and their reports, without logging) and
    stop at the first that does not pass."""
    for i, item in enumerate(items):
        nextitem = items[i + 1] if i + 1 < len(items) else None
        if not _passed(runtestprotocol(item, log=False, nextitem=nextitem)):
            if nextitem is not None:
                _teardown_all(item)
            return False
    return True


def _wait_for_candidates(path: Path, deadline: float) -> list[dict[str, Any]]:
    """The candidates the host hands over once it has ranked them (started early, this worker collected the
    tests meanwhile); none when the deadline passes first."""
    while not path.exists():
        if time.time() > deadline:
            return []
        time.sleep(0.002)
    return list(json.loads(path.read_text())["candidates"])


def lanes() -> int:
    """Screening children run at once: the cores this process may use (at most 4)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


class _Screen:
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
                    _install(original, sources[j])
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


def _wait(running: list[_Screen]) -> list[_Screen]:
    """Wait for the next output of the running children; the ones that ended (exited or timed out)."""
    ended: list[_Screen] = []
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


def _screen_run(items: list[pytest.Item]) -> bool:
    """A screening pass over the items: pytest's setup, call and teardown hooks without building reports (a
    failure's report formats its traceback, which costs more than the test). Stops at the first item that raises;
    may pass what the full protocol would not (an xpass), never the reverse: a survivor is confirmed by `_run`."""
    for i, item in enumerate(items):
        nextitem = items[i + 1] if i + 1 < len(items) else None
        hooks = item.ihook
        try:
            hooks.pytest_runtest_setup(item=item)
            hooks.pytest_runtest_call(item=item)
        except BaseException:  # a failure, an error, a skip: not a pass
            _teardown_all(item)
            return False
        try:
            hooks.pytest_runtest_teardown(item=item, nextitem=nextitem)
        except BaseException:
            _teardown_all(item)
            return False
    return True


class RepairLoop:
    """Replaces pytest's test loop with the candidate loop."""

    def __init__(self, job: dict[str, Any], results: Path) -> None:
        self.job = job
        self.results = results
        self.plausible: list[int] = []
        """Indices of the candidates that passed every test, in candidate order."""
        self.lanes = int(job.get("lanes") or lanes())
        """Screening children at once."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        job = self.job
        by_id = {item.nodeid: item for item in session.items}
        failing = [by_id[n] for n in job["failing"] if n in by_id]
        passing = [by_id[n] for n in job["passing"] if n in by_id]
        module = _module_for(job["file"])
        original = _target(module, job["qualname"]) if module else None
        if "candidates" not in job:
            job["candidates"] = _wait_for_candidates(Path(job["candidates_file"]), float(job["deadline"]))
        if not job["candidates"]:
            return True
        gc.collect()
        gc.freeze()  # keep the collector from touching (and so copying) the parent's pages in each child
        with open(self.results, "a", encoding="utf-8") as out:
            if original is None or not failing:
                out.write(json.dumps({"fatal": f"cannot find {job['qualname']} or its failing tests"}) + "\n")
                return True
            started = time.monotonic()
            validated = self._loop(original, failing, passing, out)
            done = {"done": True, "validated": validated, "loop_seconds": round(time.monotonic() - started, 4)}
            out.write(json.dumps(done) + "\n")
        if job.get("behaviour") and self.plausible:
            self._behaviour(session, original)
        return True

    def _behaviour(self, session: pytest.Session, original: FunctionType) -> None:
        """The behaviour check of the plausible candidates, in this process (no second pytest start-up); their ids
        are their positions among the plausible ones."""
        from selfmod_behaviour import check  # type: ignore[import-not-found]  # a sibling on PYTHONPATH

        sources = [self.job["candidates"][i]["source"] for i in self.plausible]
        job = {**self.job["behaviour"], "candidates": [{"id": n, "source": s} for n, s in enumerate(sources)]}
        check(session, job, original, Path(self.job["behaviour"]["results"]))

    def _loop(self, original: FunctionType, failing: list[pytest.Item], passing: list[pytest.Item], out: Any) -> int:
        """Screen candidates in batches against the failing tests, one screening child per core at a time;
        confirm each survivor in a fresh child. A batch cut short (survivor, hang, crash) gives its untried rest
        back to the front of the queue, so every candidate is screened once, whichever lane takes it."""
        job, sources = self.job, [c["source"] for c in self.job["candidates"]]
        queue: deque[tuple[int, int]] = deque()
        running: list[_Screen] = []
        found = validated = index = 0
        first_found = 0.0
        screen_run = _run if job.get("screen") == "full" else _screen_run
        while True:
            if time.time() > job["deadline"]:
                for screen in running:
                    screen.kill()
                break
            stop = (found and validated >= job["stop_after"]) or found >= job["max_plausible"]
            stop = stop or (found and time.monotonic() - first_found > float(job.get("stop_seconds", 1e9)))
            while not stop and len(running) < self.lanes and (queue or index < len(sources)):
                lo, hi = queue.popleft() if queue else (index, min(index + BATCH, len(sources)))
                index = max(index, hi)
                running.append(_Screen(original, sources, (lo, hi), failing, float(job["timeout"]), screen_run))
            if not running:
                break
            for screen in _wait(running):
                running.remove(screen)
                rows = list(screen.rows)
                if screen.next_untried < screen.end:
                    queue.appendleft((screen.next_untried, screen.end))
                if screen.survivor is not None:
                    confirm = float(job.get("confirm_timeout", job["timeout"]))
                    verdict = self._validate(original, sources[screen.survivor], failing, passing, confirm)
                    rows.append((screen.survivor, verdict))
                for cand_index, row in rows:
                    out.write(json.dumps({"id": job["candidates"][cand_index]["id"], **row}) + "\n")
                    validated += 1
                    found += row["ok"]
                    if row["ok"]:
                        self.plausible.append(cand_index)
                        first_found = first_found or time.monotonic()
                out.flush()
        self.plausible.sort()
        return validated

    def _validate(
        self,
        original: FunctionType,
        source: str,
        failing: list[pytest.Item],
        passing: list[pytest.Item],
        timeout: float,
    ) -> dict[str, Any]:
        read_fd, write_fd = os.pipe()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # child: never returns
            gc.disable()
            os.close(read_fd)
            verdict = "error"
            try:
                _install(original, source)
                verdict = "ok" if _run(failing) and _run(passing) else "failed"
            except BaseException as exc:  # the candidate is untrusted code
                verdict = f"error: {type(exc).__name__}"
            finally:
                os.write(write_fd, verdict.encode())
                os._exit(0)
        os.close(write_fd)
        ready, _, _ = select.select([read_fd], [], [], timeout)
        verdict = os.read(read_fd, 200).decode() if ready else "timeout"
        if not ready:
            os.kill(pid, signal.SIGKILL)
        os.close(read_fd)
        os.waitpid(pid, 0)
        return {"ok": verdict == "ok", "verdict": verdict, "seconds": round(time.monotonic() - started, 4)}


def main(argv: list[str]) -> int:
    """Entry point: run pytest with the candidate loop on the job's test files."""
    job = json.loads(Path(argv[0]).read_text())
    results = Path(argv[1])
    files = sorted({node.split("::", 1)[0] for node in [*job["failing"], *job["passing"]]})
    args = [*files, "-q", "-p", "no:cacheprovider", "--no-header", "-rN", *job.get("pytest_args", [])]
    return int(pytest.main(args, plugins=[RepairLoop(job, results)]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
