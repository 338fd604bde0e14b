"""The fork-per-candidate worker seen from the host: start it in the sandbox, hand it candidates, read verdicts.

A worker can be started before its candidates exist (`Validator.start`): it starts Python and pytest and
collects the tests while the host generates and ranks candidates, then waits for them (`WorkerRun.run`). The
best candidates can go first, in their own chunk, while the host builds the rest.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from selfmod.agents.offline.repair_behaviour import Observations, check_seconds, read_observations
from selfmod.agents.offline.repair_budget import Budget
from selfmod.agents.offline.repair_edits import Candidate
from selfmod.config import Settings
from selfmod.tools.changes.atomic import atomic_write_text
from selfmod.tools.localize import Localization, pytest_args, pytest_options
from selfmod.tools.sandbox import Sandbox
from selfmod.tools.sandbox.helpers import WORKER_MODULE, helper_env
from selfmod.tools.sandbox.interpreter import project_python
from selfmod.tools.sandbox.runner import ProcessResult
from selfmod.tools.timings import phase, record

Progress = Callable[[int, int], None]
Rest = Callable[[Callable[[], bool]], list[Candidate]]
"""Builds the candidates after the first ones handed over; stops early once its argument returns True."""


@dataclass
class Verdicts:
    """The worker's answer: plausible candidates in validation order, and one row per validated candidate."""

    plausible: list[Candidate]
    rows: list[dict[str, Any]]
    loop_seconds: float = 0.0
    error: str = ""
    observations: Observations | None = None
    """The behaviour check of `plausible` when the job asked the worker for it."""
    rest: list[Candidate] = field(default_factory=list)
    """The candidates built while the worker screened the first ones (`WorkerRun.run`'s `more`)."""

    @property
    def timeouts(self) -> int:
        """How many candidates hit the per-candidate timeout."""
        return sum(1 for row in self.rows if row["verdict"] == "timeout")


class Validator:
    """Runs the fork-per-candidate worker in the sandbox and reads its verdicts."""

    def __init__(self, settings: Settings, progress: Progress | None = None) -> None:
        self.settings = settings
        self.progress = progress

    def timeout_for(self, loc: Localization, tests: list[str]) -> float:
        """Screening timeout from the baseline: ten times the failing tests' time, 0.25 s to 1 s (at 0.05 s a
        candidate that only fails timed out on a busy machine, and a right one could be lost the same way)."""
        return min(1.0, max(0.25, 10 * sum(loc.expected_seconds(t) for t in tests)))

    def confirm_timeout(self, loc: Localization, passing: list[str] | None = None) -> float:
        """Timeout for confirming a survivor against the failing tests and `passing` (default: every passing
        test): three times their baseline time plus a second."""
        tests = [*loc.failing, *(loc.passing if passing is None else passing)]
        return 1.0 + 3 * sum(loc.expected_seconds(t) for t in tests)

    def validate(
        self,
        rel: str,
        qualname: str,
        cands: list[Candidate],
        loc: Localization,
        deadline: float,
        budget: Budget,
        failing: list[str] | None = None,
        behaviour: dict[str, Any] | None = None,
        passing: list[str] | None = None,
    ) -> Verdicts:
        """Validate candidates in order until the budget or the stop rule ends it; `failing` narrows the tests
        a candidate must turn green (default: every failing test), `passing` the ones it must keep green
        (default: every passing test). With a `behaviour` job (`behaviour_job`) the worker also runs the
        behaviour check of the plausible candidates it found, before it exits."""
        if not cands or time.time() >= deadline:
            return Verdicts([], [])
        return self.start(rel, qualname, loc, deadline, budget, failing, behaviour, passing).run(cands)

    def start(
        self,
        rel: str,
        qualname: str,
        loc: Localization,
        deadline: float,
        budget: Budget,
        failing: list[str] | None = None,
        behaviour: dict[str, Any] | None = None,
        passing: list[str] | None = None,
    ) -> WorkerRun:
        """Start a worker that waits for its candidates (`WorkerRun.run` hands them over)."""
        failing = failing or loc.failing
        passing = loc.passing if passing is None else passing
        job = {
            "file": rel,
            "qualname": qualname,
            "failing": failing,
            "passing": passing,
            "timeout": self.timeout_for(loc, failing),
            "confirm_timeout": self.confirm_timeout(loc, passing),
            "deadline": deadline,
            "stop_after": budget.stop_after,
            "stop_seconds": budget.stop_seconds,
            "max_plausible": budget.max_plausible,
            "lanes": budget.lanes,
            "screen": "quick" if budget.quick_screen else "full",
            "pytest_args": pytest_options(pytest_args(self.settings.test_command) or []),
        }
        timeout = max(5.0, deadline - time.time() + 30)
        if behaviour is not None:
            timeout += check_seconds(budget.max_plausible)
        return WorkerRun(self.settings, job, behaviour, timeout, self.progress)


class WorkerRun:
    """One worker in its own sandbox workspace, from start-up to its verdicts."""

    def __init__(
        self,
        settings: Settings,
        job: dict[str, Any],
        behaviour: dict[str, Any] | None,
        timeout: float,
        progress: Progress | None,
    ) -> None:
        self.progress = progress
        self._stack = contextlib.ExitStack()
        sandbox = Sandbox(settings)
        ws = self._stack.enter_context(sandbox.workspace())
        self.job_file, self.results = ws.base / "job.json", ws.base / "results.jsonl"
        self.candidates_file, self.observed = ws.base / "candidates.json", ws.base / "behaviour.jsonl"
        job = {**job, "candidates_file": str(self.candidates_file)}
        if behaviour is not None:
            job["behaviour"] = {**behaviour, "results": str(self.observed)}
        self.behaviour = behaviour is not None
        self.job_file.write_text(json.dumps(job))
        self.results.touch()
        self._read_to = 0
        """How far `_first_plausible` has read the verdicts."""
        command = [project_python(settings), "-m", WORKER_MODULE, str(self.job_file), str(self.results)]
        self._ran: list[ProcessResult] = []
        self._thread = threading.Thread(
            target=lambda: self._ran.append(sandbox.execute(ws, command, helper_env(ws.env), timeout=timeout)),
            daemon=True,
        )
        self._thread.start()

    def run(
        self, cands: list[Candidate], more: Rest | None = None, on_plausible: Callable[[Candidate], None] | None = None
    ) -> Verdicts:
        """Hand the worker its candidates and wait for its verdicts (no candidates: it just stops). With `more`,
        `cands` are the best ones: the worker screens them while `more(stopped)` builds the rest (`stopped()`
        turns true once the worker has ended, when the rest is not needed); its rest is handed over after them.
        `on_plausible` gets the first plausible candidate as soon as the worker reports it, while it goes on."""
        try:
            self._hand_over(cands, last=more is None)
            rest: list[Candidate] = []
            with phase("worker"):
                if more is not None:
                    try:
                        rest = more(lambda: not self._thread.is_alive())
                    finally:
                        self._hand_over(rest, last=True, start=len(cands), chunk=1)
                    cands = [*cands, *rest]
                first = on_plausible
                while first or self._thread.is_alive():
                    ended = not self._thread.is_alive()
                    self._thread.join(0.02 if first else 0.1)
                    if first and ((found := self._first_plausible(cands)) is not None or ended):
                        if found is not None:
                            first(found)
                        first = None
                    if self.progress:
                        self.progress(self.results.read_bytes().count(b"\n"), len(cands))
            verdicts = [json.loads(line) for line in self.results.read_text().splitlines() if line.strip()]
            rows = sorted((v for v in verdicts if "id" in v), key=lambda v: int(v["id"]))  # lanes end unordered
            plausible = [cands[v["id"]] for v in rows if v["ok"]]
            seen = None
            if self.behaviour and plausible:
                seen = read_observations(self.observed, self._ran[0].exit_code if self._ran else None)
        finally:
            self._stack.close()
        loop = next((float(v["loop_seconds"]) for v in verdicts if v.get("done")), 0.0)
        record("worker_candidates", loop)
        error = "" if rows or not cands else _worker_error(verdicts, self._ran[0] if self._ran else None)
        return Verdicts(plausible, rows, loop, error, seen, rest)

    def _first_plausible(self, cands: list[Candidate]) -> Candidate | None:
        """The first plausible candidate among the verdicts written since the last look (whole lines only)."""
        with self.results.open("rb") as file:
            file.seek(self._read_to)
            chunk = file.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._read_to += len(complete)
        for line in complete.splitlines():
            row = json.loads(line)
            if row.get("ok") and 0 <= int(row.get("id", -1)) < len(cands):
                return cands[int(row["id"])]
        return None

    def cancel(self) -> None:
        """Stop a worker that will get no candidates."""
        with contextlib.suppress(Exception):
            self.run([])

    def _hand_over(self, cands: list[Candidate], last: bool = True, start: int = 0, chunk: int = 0) -> None:
        payload = {
            "candidates": [{"id": start + i, "source": c.extra["def"]} for i, c in enumerate(cands)],
            "more": not last,
        }
        path = self.candidates_file
        if chunk:
            path = path.with_name(f"{path.stem}.{chunk}.json")
        # the worker sees all of it or nothing; a fresh exclusive temp file, as the sandbox can write this folder
        atomic_write_text(path, json.dumps(payload), mode=0o644)


def _worker_error(verdicts: list[dict[str, Any]], ran: ProcessResult | None) -> str:
    """Why the worker validated nothing: its own fatal line, else the last lines of its output."""
    fatal = next((str(v["fatal"]) for v in verdicts if v.get("fatal")), "")
    if fatal or ran is None:
        return fatal or "it did not run"
    lines = [line for line in ran.output.strip().splitlines() if line.strip()]
    return " | ".join(lines[-3:])[-400:] or f"exit code {ran.exit_code}"
