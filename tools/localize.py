"""Spectrum-based fault localisation: run the tests once under the project's interpreter with the line probe (one
line set per test: coverage.py when the project has it, else sys.monitoring / sys.settrace), then rank lines and
functions by the Ochiai formula. Outcomes come from pytest's own reports (`selfmod_report`), so collection errors,
"no tests ran", a hanging test and a killed run show up as problems with their message, never as "all pass".
Cached per tree hash in `.selfmod/localize/`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selfmod.config import Settings
from selfmod.tools.changes.atomic import atomic_write_text
from selfmod.tools.code.code_index import ModuleIndex
from selfmod.tools.sandbox import Sandbox, tree_hash
from selfmod.tools.sandbox.helpers import PROBE_PLUGIN, REPORT_PLUGIN, helper_env, time_limit_env
from selfmod.tools.sandbox.interpreter import project_python
from selfmod.tools.sandbox.results import REPORT_NAME, read_report

NO_TESTS = 5
"""pytest's exit code when it collected no tests."""


@dataclass
class Localization:
    """Per-test outcomes and durations, which tests covered which project lines, and what went wrong."""

    outcomes: dict[str, str] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    coverage: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    output: str = ""
    messages: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    tracer: str = ""
    _scores: dict[tuple[str, int], float] = field(default_factory=dict, repr=False, compare=False)
    _failing: list[int] = field(default_factory=list, repr=False, compare=False)

    @property
    def problem(self) -> str:
        """Why the run cannot be trusted to show every test's outcome (collection errors, no tests, a killed
        run), or an empty string."""
        return "; ".join(self.problems)

    @property
    def failing(self) -> list[str]:
        """Node ids of tests that failed or errored."""
        return sorted(t for t, o in self.outcomes.items() if o in ("failed", "error"))

    @property
    def passing(self) -> list[str]:
        """Node ids of tests that passed."""
        return sorted(t for t, o in self.outcomes.items() if o == "passed")

    def expected_seconds(self, test: str) -> float:
        """How long a test normally takes: its measured duration, or for a test cut off as timed out (a hang
        says nothing about its normal time) the slowest passing test's."""
        if "timed out after" not in self.messages.get(test, ""):
            return self.durations.get(test, 0.01)
        return max((self.durations.get(t, 0.01) for t in self.passing), default=0.01)

    def line_score(self, rel: str, line: int) -> float:
        """Ochiai suspiciousness of one line: ef / sqrt(F * (ef + ep)). Remembered per line (a search asks for
        every candidate, and a line of a big project is covered by thousands of tests): change no outcome or
        coverage after asking."""
        key = (rel, line)
        if key not in self._scores:
            tests = self.coverage.get(rel, {}).get(line, [])
            failing = self.failing_count()
            ef = sum(1 for t in tests if self.outcomes.get(t) in ("failed", "error"))
            ep = sum(1 for t in tests if self.outcomes.get(t) == "passed")
            self._scores[key] = ef / math.sqrt(failing * (ef + ep)) if ef and failing else 0.0
        return self._scores[key]

    def failing_count(self) -> int:
        """How many tests failed or errored (remembered, like the line scores)."""
        if not self._failing:
            self._failing.append(sum(1 for o in self.outcomes.values() if o in ("failed", "error")))
        return self._failing[0]

    def function_score(self, module: ModuleIndex, qualname: str) -> float:
        """The highest line score inside the symbol."""
        sym = module.by_qualname(qualname)
        if sym is None:
            return 0.0
        return max((self.line_score(module.path, n) for n in range(sym.start, sym.end + 1)), default=0.0)

    def to_json(self) -> str:
        """Serialise for the cache."""
        cov = {f: {str(k): v for k, v in lines.items()} for f, lines in self.coverage.items()}
        data = {"outcomes": self.outcomes, "durations": self.durations, "coverage": cov, "messages": self.messages}
        return json.dumps({**data, "problems": self.problems, "tracer": self.tracer, "output": self.output})

    @classmethod
    def from_json(cls, text: str) -> Localization:
        """Read from the cache."""
        data = json.loads(text)
        cov = {f: {int(k): v for k, v in lines.items()} for f, lines in data["coverage"].items()}
        return cls(
            data["outcomes"], data["durations"], cov, data["output"], data["messages"], data["problems"], data["tracer"]
        )


def no_failing_test_message(loc: Localization) -> str:
    """Why a localisation run gives the offline engine no failing test to target."""
    if loc.problem:
        return f"offline repair needs a failing test that shows the bug; the project's tests did not run: {loc.problem}"
    skipped = sum(1 for o in loc.outcomes.values() if o != "passed")
    tail = f" ({skipped} skipped or xfailed)" if skipped else ""
    return f"offline repair needs a failing test that shows the bug; all {len(loc.passing)} tests pass{tail}"


def pytest_args(command: list[str]) -> list[str] | None:
    """The arguments after `pytest` in a test command, or None when the command does not run pytest."""
    for i, part in enumerate(command):
        if part == "pytest" or part.endswith("/pytest") or (part == "-m" and command[i + 1 : i + 2] == ["pytest"]):
            return command[i + 2 :] if part == "-m" else command[i + 1 :]
    return None


VALUE_OPTIONS = frozenset(
    {"-o", "--override-ini", "-c", "--config-file", "-p", "-W", "--pythonwarnings", "--rootdir", "--confcutdir",
     "--import-mode", "-k", "-m", "--basetemp", "--deselect", "--ignore", "--ignore-glob"}
)  # fmt: skip


def pytest_options(args: list[str]) -> list[str]:
    """The options of a pytest command line without its test paths (the worker names its own test files)."""
    kept: list[str] = []
    takes_value = False
    for arg in args:
        if takes_value or arg.startswith("-"):
            kept.append(arg)
            takes_value = not takes_value and arg in VALUE_OPTIONS
    return [a for a in kept if a not in ("-x", "--exitfirst")]


def localize(settings: Settings) -> Localization | None:
    """Run the tests once with the line probe (cached per tree hash and interpreter); None when the command is not
    pytest."""
    args = pytest_args(settings.test_command)
    if args is None:
        return None
    root = settings.project_root.resolve()
    python = hashlib.sha256(project_python(settings).encode()).hexdigest()[:12]
    cache = settings.state_dir / "localize" / f"{tree_hash(root)}-{python}.json"
    if cache.is_file():
        try:
            return Localization.from_json(cache.read_text())
        except (ValueError, KeyError):
            pass
    result = _measure(settings, args)
    atomic_write_text(cache, result.to_json())
    return result


def _measure(settings: Settings, args: list[str]) -> Localization:
    sandbox = Sandbox(settings)
    with sandbox.workspace() as ws:
        probe_out, report_file = ws.base / "probe.json", ws.base / REPORT_NAME
        env = helper_env(
            ws.env,
            SELFMOD_PROBE_OUT=str(probe_out),
            SELFMOD_PROBE_ROOT=str(ws.project),
            SELFMOD_REPORT_FILE=str(report_file),
            **time_limit_env(settings),
        )
        command = [project_python(settings), "-m", "pytest", *args, "-p", REPORT_PLUGIN, "-p", PROBE_PLUGIN]
        result = sandbox.execute(ws, [*command, "-p", "no:cacheprovider"], env)
        report = read_report(report_file, None)
        phases = _phases(report_file)
        probe: dict[str, Any] = json.loads(probe_out.read_text()) if probe_out.is_file() else {}
        project = ws.project.resolve()
    collect_errors = {str(r["id"]) for r in phases if r.get("when") == "collect"}
    tests = [t for t in report.tests if t.name not in collect_errors]
    loc = Localization(output=result.output, tracer=str(probe.get("tracer", "")))
    loc.outcomes = {t.name: t.outcome for t in tests}
    loc.messages = {t.name: t.message for t in tests if t.outcome in ("failed", "error")}
    for record in phases:
        if record.get("id") in loc.outcomes and isinstance(record.get("duration"), int | float):
            loc.durations[record["id"]] = loc.durations.get(record["id"], 0.0) + float(record["duration"])
    for name, lines in probe.get("files", {}).items():
        rel = Path(name).resolve().relative_to(project).as_posix()
        loc.coverage[rel] = {int(n): list(ids) for n, ids in lines.items()}
    for test in report.tests:
        if test.name in collect_errors:
            loc.problems.append(f"collecting {test.name} failed: {_last_lines(test.message)}")
    if result.timed_out:
        loc.problems.append(f"the test run was killed by its {settings.test_timeout:g} s timeout")
    elif not report.done:
        tail = _last_lines(result.output) or "no output"
        loc.problems.append(f"the test run ended without a result (exit code {result.exit_code}): {tail}")
    elif not tests and not collect_errors:
        what = "collected no tests" if result.exit_code == NO_TESTS else f"ran no tests (exit code {result.exit_code})"
        loc.problems.append(f"the test command {what}")
    return loc


def _phases(path: Path) -> list[dict[str, Any]]:
    """The report plugin's records (one per test phase and collection error)."""
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if path.is_file() else []:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "id" in record:
            records.append(record)
    return records


def _last_lines(text: str, count: int = 3) -> str:
    """The last non-empty lines of a message, joined: where pytest puts the error itself."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:])
