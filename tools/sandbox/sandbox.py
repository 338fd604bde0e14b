"""Test a patched text in a fresh copy of the project; the live files are never touched.

A baseline run of the unpatched copy (cached per tree hash in `.selfmod/baseline/`) tells pre-existing failures
apart from regressions; per-test results come from JUnit XML.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from selfmod.config import Settings
from selfmod.errors import SandboxError
from selfmod.models import TestCase, TestRun
from selfmod.tools.atomic import atomic_write_text
from selfmod.tools.path_safety import relative_path
from selfmod.tools.redact import redact
from selfmod.tools.runner import Limits, child_env, run_isolated
from selfmod.tools.source_text import sha256_text

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".selfmod",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
        "build",
        "dist",
        "node_modules",
        ".eggs",
    }
)
JUNIT_NAME = ".selfmod-junit.xml"


def _skip(directory: str, names: list[str]) -> set[str]:
    skipped = {n for n in names if n in SKIP_DIRS or n.endswith(".egg-info")}
    skipped |= {n for n in names if (Path(directory) / n / "pyvenv.cfg").is_file()}
    return skipped


def copy_project(root: Path, dest: Path) -> None:
    """Copy the project without VCS data, selfmod state, virtualenvs, caches and build output."""
    shutil.copytree(root, dest, symlinks=True, ignore=_skip, dirs_exist_ok=True)


def tree_hash(root: Path) -> str:
    """A hash of every file that a sandbox copy would hold (paths and contents)."""
    digest = hashlib.sha256()
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _skip(directory, dirs))
        for name in sorted(files):
            path = Path(directory) / name
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            if path.is_file() and not path.is_symlink():
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def parse_junit(path: Path) -> list[TestCase]:
    """Per-test outcomes from a pytest JUnit XML file (empty when there is none)."""
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        return []
    cases = []
    for case in tree.iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        file = case.get("file")
        node = f"{file}::{name}" if file else f"{classname}::{name}" if classname else name
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            child = case.find(tag)
            if child is not None:
                outcome = "failed" if tag == "failure" else tag
                message = ((child.get("message") or "") + "\n" + (child.text or "")).strip()[:4000]
                break
        cases.append(TestCase.model_validate({"name": node, "outcome": outcome, "message": message}))
    return cases


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

    def _command(self, workdir: Path) -> list[str]:
        command = list(self.settings.test_command)
        if any("pytest" in part for part in command):
            command.append(f"--junitxml={workdir / JUNIT_NAME}")
        return command

    def limits(self, timeout: float | None = None) -> Limits:
        """The resource limits from the settings."""
        return Limits(
            timeout=timeout or self.settings.test_timeout,
            memory_mb=self.settings.memory_limit_mb,
            file_size_mb=self.settings.file_size_limit_mb,
            output_cap=self.settings.output_cap,
            isolate_network=self.settings.isolate_network,
        )

    @contextmanager
    def workspace(self, patched: dict[str, str] | None = None) -> Iterator[Workspace]:
        """A fresh copy of the project with the patched texts written into it, plus a scrubbed environment."""
        with tempfile.TemporaryDirectory(prefix="selfmod-sandbox-") as tmp:
            base = Path(tmp)
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

    def run(self, patched: dict[str, str] | None = None) -> TestRun:
        """Copy the project, write the patched texts into the copy, run the tests there."""
        patched = patched or {}
        with self.workspace(patched) as ws:
            command = self._command(ws.project)
            result = run_isolated(command, ws.project, ws.env, self.limits())
            tests = parse_junit(ws.project / JUNIT_NAME)
        counts = {k: sum(1 for t in tests if t.outcome == k) for k in ("passed", "failed", "error", "skipped")}
        rel: str | None = next(iter(patched), None)
        text = patched[rel] if rel is not None else None
        return TestRun(
            command=command,
            exit_code=result.exit_code,
            passed=counts["passed"],
            failed=counts["failed"],
            errors=counts["error"],
            skipped=counts["skipped"],
            tests=tests,
            duration_s=round(result.duration_s, 3),
            timed_out=result.timed_out,
            network_isolated=result.network_isolated,
            isolation_note=result.isolation_note,
            output=redact(result.output),
            patched_file=rel,
            patched_sha256=sha256_text(text) if text is not None else None,
            policy=self.settings.acceptance,
            success=not result.timed_out and result.exit_code == 0,
        )

    def baseline(self) -> TestRun:
        """The unpatched project's test run, cached per tree hash."""
        key = tree_hash(self.root)
        cache = self.settings.state_dir / "baseline" / f"{key}.json"
        if cache.is_file():
            try:
                return TestRun.model_validate_json(cache.read_text())
            except ValueError:
                pass
        run = self.run()
        atomic_write_text(cache, run.model_dump_json())
        return run

    def evaluate(self, rel_path: str, new_text: str) -> TestRun:
        """Test the patched text and judge it by the acceptance policy against the baseline."""
        baseline = self.baseline()
        run = self.run({rel_path: new_text})
        return judge(run, baseline, self.settings.acceptance)


def judge(run: TestRun, baseline: TestRun, policy: str) -> TestRun:
    """Fill in regressions/fixes and `success` under the policy."""
    before = {t.name: t.outcome for t in baseline.tests}
    after = {t.name: t.outcome for t in run.tests}
    bad = {"failed", "error"}
    new_failures = sorted(n for n, o in after.items() if o in bad and before.get(n) == "passed")
    fixed = sorted(n for n, o in after.items() if o == "passed" and before.get(n) in bad)
    completed = not run.timed_out and run.exit_code is not None
    if policy == "no_regression":
        missing = sorted(n for n, o in before.items() if o == "passed" and n not in after)
        success = completed and bool(after) and not new_failures and not missing and bool(fixed)
    else:
        success = completed and run.exit_code == 0 and not any(o in bad for o in after.values())
    return run.model_copy(update={"new_failures": new_failures, "fixed_tests": fixed, "success": success})


def summary(run: TestRun) -> str:
    """One line such as `3 passed, 1 failed in 1.2 s`."""
    parts = [f"{run.passed} passed", f"{run.failed} failed"]
    if run.errors:
        parts.append(f"{run.errors} errors")
    if run.skipped:
        parts.append(f"{run.skipped} skipped")
    tail = " (timed out)" if run.timed_out else ""
    return ", ".join(parts) + f" in {run.duration_s:.1f} s{tail}"
