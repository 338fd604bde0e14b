"""The validation worker, run inside the sandbox: `python -m selfmod_repair_worker JOB RESULTS`.

pytest starts and collects once (it may start before the host has ranked the candidates, and wait for them);
screening children (`selfmod_screening.py`, one per core) each try a batch of candidates against the previously
failing tests, swapping the target function's code, and report through a pipe; a child that outlives the
per-candidate timeout is killed, so a hanging candidate costs about the timeout. Each survivor is confirmed in a
fresh child against the failing and the passing tests, and passes only when pytest's own reports say so
(`runtestprotocol`): a failing `unittest.TestCase` test, a fixture error, a skip, an xfail or an xpass is not a
pass, even though nothing is raised to the caller.
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
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import pytest
from selfmod_screening import (  # type: ignore[import-not-found]  # a sibling on PYTHONPATH
    Screen,
    install,
    lanes,
    run_protocol,
    screen_run,
    wait_any,
)

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


class Handover:
    """The candidates as the host hands them over, best first, in chunks (`candidates.json`, then
    `candidates.1.json`, ...), each saying whether more follow: the host builds the rest while this worker
    screens the first ones. Started early, the worker collected the tests meanwhile."""

    def __init__(self, first: Path, deadline: float) -> None:
        self.first = first
        self.deadline = deadline
        self.chunk = 0
        self.more = True
        """Whether the host will hand over another chunk."""

    def take(self, wait: bool) -> list[dict[str, Any]]:
        """The next chunk's candidates: [] when it is not there yet and `wait` is False, or when none follows
        (or the deadline passes while waiting)."""
        path = self.first if self.chunk == 0 else self.first.with_name(f"{self.first.stem}.{self.chunk}.json")
        while self.more and not path.exists():
            if not wait:
                return []
            if time.time() > self.deadline:
                self.more = False
            time.sleep(0.002)
        if not self.more:
            return []
        payload = json.loads(path.read_text())
        self.chunk += 1
        self.more = bool(payload.get("more"))
        return list(payload["candidates"])


class RepairLoop:
    """Replaces pytest's test loop with the candidate loop."""

    def __init__(self, job: dict[str, Any], results: Path) -> None:
        self.job = job
        self.results = results
        self.plausible: list[int] = []
        """Indices of the candidates that passed every test, in candidate order."""
        self.lanes = int(job.get("lanes") or lanes())
        """Screening children at once."""
        self.handover: Handover | None = None
        """Where the candidates come from, when the job does not list them."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        job = self.job
        by_id = {item.nodeid: item for item in session.items}
        failing = [by_id[n] for n in job["failing"] if n in by_id]
        passing = [by_id[n] for n in job["passing"] if n in by_id]
        module = _module_for(job["file"])
        original = _target(module, job["qualname"]) if module else None
        self.handover = None if "candidates" in job else Handover(Path(job["candidates_file"]), float(job["deadline"]))
        if self.handover is not None:
            job["candidates"] = []
            while not job["candidates"] and self.handover.more:
                job["candidates"] += self.handover.take(wait=True)
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
        running: list[Screen] = []
        found = validated = index = 0
        first_found = 0.0
        tester = run_protocol if job.get("screen") == "full" else screen_run
        while True:
            if time.time() > job["deadline"]:
                for screen in running:
                    screen.kill()
                break
            stop = (found and validated >= job["stop_after"]) or found >= job["max_plausible"]
            stop = stop or (found and time.monotonic() - first_found > float(job.get("stop_seconds", 1e9)))
            if not stop and self.handover is not None and self.handover.more:
                idle = not running and not queue and index >= len(sources)
                arrived = self.handover.take(wait=idle)
                job["candidates"] += arrived
                sources += [c["source"] for c in arrived]
            while not stop and len(running) < self.lanes and (queue or index < len(sources)):
                lo, hi = queue.popleft() if queue else (index, min(index + BATCH, len(sources)))
                index = max(index, hi)
                running.append(Screen(original, sources, (lo, hi), failing, float(job["timeout"]), tester))
            if not running:
                break
            for screen in wait_any(running):
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
                install(original, source)
                verdict = "ok" if run_protocol(failing) and run_protocol(passing) else "failed"
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
