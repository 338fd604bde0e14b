"""Test a patched text in a fresh copy of the project; the live files are never touched.

A baseline run of the unpatched copy (cached per tree hash in `.selfmod/baseline/`) records which tests exist and
which already fail; a patched run is judged against it (`verdict.py`) from pytest's own reports, with a canary pair
planted in every copy (`results.py`). Every command runs confined (`runner.py`): in namespaces when bubblewrap
works, else in the process sandbox, and the run says which.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from selfmod.config import Settings
from selfmod.errors import SandboxError
from selfmod.models import TestCase, TestRun
from selfmod.tools.changes.atomic import atomic_write_text
from selfmod.tools.code.source_text import sha256_text
from selfmod.tools.path_safety import relative_path
from selfmod.tools.redact import redact
from selfmod.tools.sandbox.helpers import REPORT_PLUGIN, helper_env, time_limit_env
from selfmod.tools.sandbox.interpreter import resolved_test_command
from selfmod.tools.sandbox.pids import clean_stale_cgroups
from selfmod.tools.sandbox.results import PLUGIN_DIR, REPORT_NAME, plant_canary, read_report
from selfmod.tools.sandbox.runner import Confinement, Limits, ProcessResult, child_env, run_isolated
from selfmod.tools.sandbox.single_flight import SingleFlight
from selfmod.tools.sandbox.verdict import judge
from selfmod.tools.sandbox.workspace import clean_stale, copy_project, locked_folder, tree_hash
from selfmod.tools.timings import phase


def selfmod_source_dirs() -> tuple[Path, ...]:
    """Where selfmod's own modules live, for helpers that run inside (the probe plugin, the repair worker)."""
    import selfmod
    import selfmod.agents
    import selfmod.graph
    import selfmod.tools

    modules = (selfmod, selfmod.tools, selfmod.graph, selfmod.agents)
    dirs = {Path(m.__file__).resolve().parent for m in modules if m.__file__}
    dirs |= {Path(m.__file__).parent for m in modules if m.__file__}
    return tuple(sorted(dirs | {PLUGIN_DIR}))


_SWEPT: list[bool] = []
_INFLIGHT: dict[Path, threading.Thread] = {}
"""Baseline runs started by `prefetch` and not finished, by cache file."""
_INFLIGHT_LOCK = threading.Lock()
_EVALUATIONS: SingleFlight[TestRun] = SingleFlight()
"""Evaluations started ahead by `prefetch_evaluation`, by project, tree, texts, policy and backend."""


def _sweep_once() -> None:
    """Remove what killed runs left behind (workspaces, empty cgroups), once per process."""
    if not _SWEPT:
        _SWEPT.append(True)
        clean_stale()
        clean_stale_cgroups()


def _killed(test: TestCase, timeout: float) -> TestCase:
    """A test that was running when the whole run hit its timeout says so."""
    if test.outcome != "error" or "reported no result" not in test.message:
        return test
    return test.model_copy(update={"message": f"killed by the test run's {timeout:g} s timeout while running"})


@dataclass(frozen=True)
class Workspace:
    """A prepared sandbox: its temp folder, the project copy inside it, and the child environment."""

    base: Path
    project: Path
    env: dict[str, str]


class Sandbox:
    """Runs the project's tests on temporary copies, patched or not."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.project_root.resolve()
        _sweep_once()

    def _is_pytest(self) -> bool:
        return any("pytest" in part for part in self.settings.test_command)

    def limits(self, timeout: float | None = None) -> Limits:
        """The resource limits from the settings."""
        return Limits(
            timeout=timeout or self.settings.test_timeout,
            memory_mb=self.settings.memory_limit_mb,
            file_size_mb=self.settings.file_size_limit_mb,
            output_cap=self.settings.output_cap,
            isolate_network=self.settings.isolate_network,
        )

    def confinement(self, ws: Workspace) -> Confinement:
        """Only the workspace is writable; the live project, its state and the user's home stay out of sight."""
        return Confinement(
            backend=self.settings.sandbox,
            writable=(ws.base,),
            hidden=(self.root, self.settings.state_dir),
            readable=selfmod_source_dirs(),
            max_processes=self.settings.max_processes,
        )

    @contextmanager
    def workspace(self, patched: dict[str, str] | None = None) -> Iterator[Workspace]:
        """A fresh copy of the project with the patched texts written into it, plus a scrubbed environment."""
        with locked_folder() as base:
            work, home, scratch = base / "project", base / "home", base / "tmp"
            home.mkdir()
            scratch.mkdir()
            try:
                copy_project(self.root, work)
            except (OSError, shutil.Error) as exc:
                raise SandboxError(f"cannot copy {self.root} into the sandbox: {exc}") from exc
            for name, content in (patched or {}).items():
                atomic_write_text(work / relative_path(work, name), content)
            yield Workspace(base, work, child_env(home, scratch, self.settings.env_passthrough))

    def execute(
        self, ws: Workspace, argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None
    ) -> ProcessResult:
        """Run one untrusted command inside the workspace, confined."""
        return run_isolated(argv, ws.project, env or ws.env, self.limits(timeout), self.confinement(ws))

    def run(self, patched: dict[str, str] | None = None, reference_seconds: float | None = None) -> TestRun:
        """Copy the project, write the patched texts into the copy, run the tests there with a canary pair under
        the project's interpreter; a test running longer than `per_test_timeout` fails as timed out."""
        patched = patched or {}
        command = resolved_test_command(self.settings)
        with self.workspace(patched) as ws:
            env = dict(ws.env)
            canary = None
            if self._is_pytest():
                canary = plant_canary(ws.project)
                command += ["-p", REPORT_PLUGIN]
                env = helper_env(
                    env,
                    SELFMOD_REPORT_FILE=str(ws.base / REPORT_NAME),
                    SELFMOD_CANARY=str(ws.project / canary.file),
                    **time_limit_env(self.settings, reference_seconds),
                )
            result = self.execute(ws, command, env)
            report = read_report(ws.base / REPORT_NAME, canary)
        tests = [_killed(t, self.settings.test_timeout) if result.timed_out else t for t in report.tests]
        counts = {k: sum(1 for t in tests if t.outcome == k) for k in ("passed", "failed", "error")}
        rel: str | None = next(iter(patched), None)
        text = patched[rel] if rel is not None else None
        return TestRun(
            command=command,
            exit_code=result.exit_code,
            passed=counts["passed"],
            failed=counts["failed"],
            errors=counts["error"],
            skipped=len(tests) - sum(counts.values()),
            tests=tests,
            duration_s=round(result.duration_s, 3),
            timed_out=result.timed_out,
            network_isolated=result.network_isolated,
            isolation_note=result.isolation_note,
            isolation=result.isolation,
            results_found=report.found and report.done,
            tampering=report.tampering(canary),
            output=redact(result.output),
            patched_file=rel,
            patched_sha256=sha256_text(text) if text is not None else None,
            patched_files={name: sha256_text(content) for name, content in patched.items()},
            policy=self.settings.acceptance,
            success=report.done and not counts["failed"] and not counts["error"] and not report.tampering(canary),
        )

    def prefetch(self) -> None:
        """Start the baseline run in a background thread (while the patch is being written); `baseline`, of this
        sandbox or another of the same project, waits for it. A failure there is not reported: `baseline` then
        runs again and raises it."""
        cache = self._baseline_cache()
        with _INFLIGHT_LOCK:
            if cache in _INFLIGHT or cache.is_file():
                return
            thread = threading.Thread(target=self._baseline_quietly, args=(cache,), name="selfmod-baseline")
            _INFLIGHT[cache] = thread
        thread.start()

    def _baseline_quietly(self, cache: Path) -> None:
        try:
            with contextlib.suppress(Exception):
                self._cached_baseline(cache)
        finally:
            with _INFLIGHT_LOCK:
                _INFLIGHT.pop(cache, None)

    def _baseline_cache(self) -> Path:
        return self.settings.state_dir / "baseline" / f"{tree_hash(self.root)}-{self.settings.sandbox}.json"

    def baseline(self) -> TestRun:
        """The unpatched project's test run, cached per tree hash and sandbox backend."""
        cache = self._baseline_cache()
        with _INFLIGHT_LOCK:
            running = _INFLIGHT.get(cache)
        if running is not None:
            running.join()
        return self._cached_baseline(cache)

    def _cached_baseline(self, cache: Path) -> TestRun:
        if cache.is_file():
            try:
                return TestRun.model_validate_json(cache.read_text())
            except ValueError:
                pass
        run = self.run()
        if run.tampering:
            raise SandboxError(f"the project's own test run does not report honestly: {run.tampering}")
        atomic_write_text(cache, run.model_dump_json())
        return run

    def evaluate(self, rel_path: str, new_text: str) -> TestRun:
        """Test the patched text and judge it by the acceptance policy against the baseline."""
        return self.evaluate_many({rel_path: new_text})

    def prefetch_evaluation(self, patched: dict[str, str]) -> None:
        """Start `evaluate_many(patched)` in the background (a patch expected to be tested next); the next
        `evaluate_many` of the same texts on the same tree, in any sandbox of this project, takes its result."""
        _EVALUATIONS.start(self._evaluation_key(patched), lambda: self._evaluate_now(patched))

    def _evaluation_key(self, patched: dict[str, str]) -> str:
        texts = json.dumps(sorted((name, sha256_text(text)) for name, text in patched.items()))
        parts = (str(self.root), tree_hash(self.root), texts, self.settings.acceptance, self.settings.sandbox)
        return sha256_text("\0".join(parts))

    def evaluate_many(self, patched: dict[str, str]) -> TestRun:
        """Test several patched texts together (relative path -> text) and judge them against the baseline."""
        return _EVALUATIONS.take(self._evaluation_key(patched), lambda: self._evaluate_now(patched))

    def _evaluate_now(self, patched: dict[str, str]) -> TestRun:
        reference = None
        if self._baseline_cache().is_file():
            with phase("baseline"):
                baseline = self.baseline()
            reference = None if baseline.timed_out or not baseline.results_found else baseline.duration_s
        else:
            self.prefetch()  # not done yet: it runs beside the patched run, which then adapts its time limits
        with phase("patched_run"):
            run = self.run(patched, reference)
        with phase("baseline"):
            baseline = self.baseline()
        return judge(run, baseline, self.settings.acceptance)
