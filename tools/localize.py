"""Spectrum-based fault localisation: run the tests once under coverage.py with one context per test, then
rank lines and functions by the Ochiai formula. Cached per tree hash in `.selfmod/localize/`.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selfmod.config import Settings
from selfmod.tools.atomic import atomic_write_text
from selfmod.tools.code_index import ModuleIndex
from selfmod.tools.sandbox import Sandbox, tree_hash

PROBE = "selfmod.tools.pytest_probe"


@dataclass
class Localization:
    """Per-test outcomes and durations, and which tests covered which project lines."""

    outcomes: dict[str, str] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    coverage: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    output: str = ""

    @property
    def failing(self) -> list[str]:
        """Node ids of tests that failed or errored."""
        return sorted(t for t, o in self.outcomes.items() if o in ("failed", "error"))

    @property
    def passing(self) -> list[str]:
        """Node ids of tests that passed."""
        return sorted(t for t, o in self.outcomes.items() if o == "passed")

    def line_score(self, rel: str, line: int) -> float:
        """Ochiai suspiciousness of one line: ef / sqrt(F * (ef + ep))."""
        tests = self.coverage.get(rel, {}).get(line, [])
        failing = len(self.failing)
        ef = sum(1 for t in tests if self.outcomes.get(t) in ("failed", "error"))
        ep = sum(1 for t in tests if self.outcomes.get(t) == "passed")
        return ef / math.sqrt(failing * (ef + ep)) if ef and failing else 0.0

    def function_score(self, module: ModuleIndex, qualname: str) -> float:
        """The highest line score inside the symbol."""
        sym = module.by_qualname(qualname)
        if sym is None:
            return 0.0
        return max((self.line_score(module.path, n) for n in range(sym.start, sym.end + 1)), default=0.0)

    def to_json(self) -> str:
        """Serialise for the cache."""
        cov = {f: {str(k): v for k, v in lines.items()} for f, lines in self.coverage.items()}
        return json.dumps({"outcomes": self.outcomes, "durations": self.durations, "coverage": cov})

    @classmethod
    def from_json(cls, text: str) -> Localization:
        """Read from the cache."""
        data = json.loads(text)
        cov = {f: {int(k): v for k, v in lines.items()} for f, lines in data["coverage"].items()}
        return cls(data["outcomes"], data["durations"], cov)


def pytest_args(command: list[str]) -> list[str] | None:
    """The arguments after `pytest` in a test command, or None when the command does not run pytest."""
    for i, part in enumerate(command):
        if part == "pytest" or part.endswith("/pytest") or (part == "-m" and command[i + 1 : i + 2] == ["pytest"]):
            return command[i + 2 :] if part == "-m" else command[i + 1 :]
    return None


def localize(settings: Settings) -> Localization | None:
    """Run the tests once with coverage per test (cached per tree hash); None when the command is not pytest."""
    args = pytest_args(settings.test_command)
    if args is None:
        return None
    root = settings.project_root.resolve()
    cache = settings.state_dir / "localize" / f"{tree_hash(root)}.json"
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
        rc = ws.base / "coveragerc"
        data = ws.base / "coverage.data"
        rc.write_text(f"[run]\ndata_file = {data}\nsource = {ws.project}\nbranch = false\n")
        probe_out = ws.base / "probe.json"
        env = {**ws.env, "SELFMOD_PROBE_OUT": str(probe_out)}
        command = [sys.executable, "-m", "coverage", "run", f"--rcfile={rc}", "-m", "pytest", *args, "-p", PROBE]
        command += ["-p", "no:cacheprovider"]
        result = sandbox.execute(ws, command, env)
        report = ws.base / "coverage.json"
        sandbox.execute(
            ws,
            [sys.executable, "-m", "coverage", "json", f"--rcfile={rc}", "--show-contexts", "-o", str(report)],
            timeout=120,
        )
        probe: dict[str, Any] = json.loads(probe_out.read_text()) if probe_out.is_file() else {"tests": {}}
        measured: dict[str, Any] = json.loads(report.read_text()) if report.is_file() else {"files": {}}
        project = ws.project.resolve()
    outcomes = {t: v["outcome"] for t, v in probe["tests"].items()}
    durations = {t: float(v["duration"]) for t, v in probe["tests"].items()}
    coverage: dict[str, dict[int, list[str]]] = {}
    for name, info in measured.get("files", {}).items():
        path = Path(name)
        rel = (path.resolve().relative_to(project) if path.is_absolute() else path).as_posix()
        contexts = info.get("contexts", {})
        coverage[rel] = {int(line): [c for c in ctxs if c] for line, ctxs in contexts.items() if any(ctxs)}
    return Localization(outcomes, durations, coverage, result.output)
