"""Per-test results of a sandbox run, read from the `selfmod_report` plugin's file, and the canary pair.

A canary pair is a fresh file with two randomly named tests, one that must fail and one that must pass, run after
every other test. Code under test that forges outcomes (replaces pytest's report creation, skips, exits early)
turns at least one of them wrong or makes them vanish, which the run reports as tampering.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selfmod.models import TestCase
from selfmod.tools.changes.atomic import atomic_write_text

PLUGIN = "selfmod_report"
PLUGIN_DIR = Path(__file__).resolve().parent / "inside"
REPORT_NAME = "report.jsonl"
FAILING = ("failed", "error")


@dataclass(frozen=True)
class Canary:
    """The canary pair planted in one sandbox copy."""

    file: str
    token: str

    @property
    def must_pass(self) -> str:
        """Name of the test that must pass."""
        return f"test_must_pass_{self.token}"

    @property
    def must_fail(self) -> str:
        """Name of the test that must fail."""
        return f"test_must_fail_{self.token}"


def plant_canary(project: Path) -> Canary:
    """Write a fresh canary file into the project copy."""
    token = secrets.token_hex(6)
    canary = Canary(file=f"_selfmod_canary_{token}.py", token=token)
    atomic_write_text(
        project / canary.file,
        f"def {canary.must_pass}():\n    assert True\n\n\n"
        f"def {canary.must_fail}():\n    assert False, 'canary {token}'\n",
    )
    return canary


@dataclass
class Report:
    """What the plugin wrote: each test's outcome, whether the session finished, and the canaries' outcomes."""

    found: bool
    done: bool = False
    tests: list[TestCase] = field(default_factory=list)
    canaries: dict[str, str] = field(default_factory=dict)

    def tampering(self, canary: Canary | None) -> str:
        """Why the canaries show tampering, or an empty string."""
        if canary is None or not self.found:
            return ""
        passed, failed = self.canaries.get(canary.must_pass), self.canaries.get(canary.must_fail)
        if passed is not None and passed != "passed":
            return f"the canary test that must pass was reported {passed}"
        if failed is not None and failed != "failed":
            return f"the canary test that must fail was reported {failed}"
        project_failed = any(t.outcome in FAILING for t in self.tests)
        if (passed is None or failed is None) and self.done and not project_failed:
            return "the canary tests did not report although the session finished without failures"
        return ""


def _merge(phases: list[dict[str, Any]]) -> tuple[str, str]:
    by_when = {str(p.get("when")): p for p in phases}
    setup, call, teardown = by_when.get("setup"), by_when.get("call"), by_when.get("teardown")
    if "collect" in by_when:
        chosen = by_when["collect"]
    elif setup is not None and setup["outcome"] != "passed":
        chosen = setup
    elif call is not None:
        chosen = call
    else:
        return "error", "the test started but reported no result (the process ended during it)"
    if teardown is not None and teardown["outcome"] == "error":
        chosen = teardown
    return str(chosen["outcome"]), str(chosen.get("message", ""))


def read_report(path: Path, canary: Canary | None) -> Report:
    """Parse the plugin's JSON lines; a missing file gives `found=False`."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return Report(found=False)
    report = Report(found=True)
    phases: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        if record.get("done"):
            report.done = True
        elif isinstance(record.get("id"), str) and isinstance(record.get("outcome"), str):
            phases.setdefault(record["id"], []).append(record)
    for test_id, recorded in phases.items():
        outcome, message = _merge(recorded)
        name = test_id.rsplit("::", 1)[-1]
        if canary is not None and name in (canary.must_pass, canary.must_fail):
            report.canaries[name] = outcome
            continue
        report.tests.append(TestCase.model_validate({"name": test_id, "outcome": outcome, "message": message[:4000]}))
    return report
