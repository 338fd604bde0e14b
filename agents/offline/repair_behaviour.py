"""Running plausible candidates beyond the given tests: the behaviour check in the sandbox.

The helper `selfmod_behaviour` records the arguments the tests pass to the target function, derives bounded
variations of them, and runs the original and every candidate on all of them (inside the sandbox, like every
run of project code). This module sends the job and reads the outcomes back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selfmod.agents.offline.repair_edits import Candidate
from selfmod.config import Settings
from selfmod.tools.localize import Localization, pytest_args, pytest_options
from selfmod.tools.sandbox import Sandbox
from selfmod.tools.sandbox.helpers import helper_env
from selfmod.tools.sandbox.interpreter import project_python

BEHAVIOUR_MODULE = "selfmod_behaviour"
WALL_SECONDS = 60.0

Outcome = tuple[str, object, int]
"""One call's outcome: kind ("ok", "raise", "timeout", "skipped"), snapshot or exception type, exit line."""


@dataclass
class Observations:
    """What the original and the candidates did on the recorded and derived inputs."""

    origins: list[str] = field(default_factory=list)
    """Per input: "failing" or "passing" (recorded while that kind of test ran), "continued" (a failing test's
    first method call made more times, from the state it had) or "derived" (another variation)."""
    original: list[Outcome] = field(default_factory=list)
    """The original function's outcome per input."""
    candidates: dict[int, list[Outcome]] = field(default_factory=dict)
    """Per candidate (its index in the list checked), its outcome per input; missing when its child was killed."""
    problem: str = ""
    """Why the check could not run, or an empty string."""


def behaviour_job(settings: Settings, loc: Localization) -> dict[str, Any]:
    """The behaviour check's job without its candidates: which tests to record from and their time limit."""
    per_test = min(2.0, 0.5 + 10 * max((loc.expected_seconds(t) for t in loc.passing), default=0.01))
    return {
        "failing": loc.failing,
        "passing": loc.passing,
        "test_timeout": per_test,
        "pytest_args": pytest_options(pytest_args(settings.test_command) or []),
    }


def observe(settings: Settings, rel: str, qualname: str, loc: Localization, cands: list[Candidate]) -> Observations:
    """Run the behaviour check for `cands` (already plausible) of `qualname` in `rel` in a sandbox of its own."""
    if not cands:
        return Observations()
    sandbox = Sandbox(settings)
    with sandbox.workspace() as ws:
        job = {
            **behaviour_job(settings, loc),
            "file": rel,
            "qualname": qualname,
            "candidates": [{"id": i, "source": c.extra["def"]} for i, c in enumerate(cands)],
        }
        job_file, results = ws.base / "behaviour.json", ws.base / "behaviour.jsonl"
        job_file.write_text(json.dumps(job))
        command = [project_python(settings), "-m", BEHAVIOUR_MODULE, str(job_file), str(results)]
        run = sandbox.execute(ws, command, helper_env(ws.env), timeout=check_seconds(len(cands)))
        return read_observations(results, run.exit_code)


def check_seconds(candidates: int) -> float:
    """The wall-time bound of a behaviour check of that many candidates."""
    return WALL_SECONDS + 8 * candidates


def read_observations(results: Path, exit_code: int | None) -> Observations:
    """The observations a behaviour check wrote to `results` (a problem when it wrote none)."""
    return _parse(results.read_text().splitlines() if results.exists() else [], exit_code)


def _parse(lines: list[str], exit_code: int | None) -> Observations:
    seen = Observations()
    for line in lines:
        row = json.loads(line)
        if "fatal" in row:
            seen.problem = str(row["fatal"])
        elif "inputs" in row:
            seen.origins = list(row["inputs"])
        elif row["id"] == "original":
            seen.original = [tuple(r) for r in row["rows"]]
        elif row["rows"]:
            seen.candidates[int(row["id"])] = [tuple(r) for r in row["rows"]]
    if not seen.original and not seen.problem:
        seen.problem = f"the behaviour check gave no result (exit code {exit_code})"
    return seen
