"""pytest plugin (`-p selfmod_report`) run inside the sandbox: per-test outcomes from pytest's own reports.

Writes one JSON line per report phase to the file named by SELFMOD_REPORT_FILE, and a last line when the session
ends. When SELFMOD_CANARY names a file of the project copy, its two tests are appended after every other test:
the code under test must leave one failing and the other passing, or it tampered with the run.
Standard library and pytest only: this file must import in any project's environment.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

import pytest

_OUT: IO[str] | None = None


def _write(record: dict[str, Any]) -> None:
    if _OUT is not None:
        _OUT.write(json.dumps(record) + "\n")
        _OUT.flush()


def pytest_configure(config: pytest.Config) -> None:
    global _OUT
    path = os.environ.get("SELFMOD_REPORT_FILE")
    if path:
        _OUT = open(path, "a", encoding="utf-8")  # noqa: SIM115


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        message = str(report.longrepr)[-3000:]
        _write({"id": report.nodeid or ".", "when": "collect", "outcome": "error", "message": message})


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    canary = os.environ.get("SELFMOD_CANARY")
    if not canary:
        return
    module = pytest.Module.from_parent(session, path=Path(canary))
    found = [item for item in module.collect() if isinstance(item, pytest.Item)]
    found.sort(key=lambda item: "must_fail" in item.name)
    items.extend(found)
    _write({"collected": [item.nodeid for item in items]})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if report.passed:
            outcome = "xpassed" if xfail else "passed"
        elif report.skipped:
            outcome = "xfailed" if xfail else "skipped"
        else:
            outcome = "failed"
    elif report.failed:
        outcome = "error"
    elif report.skipped:
        outcome = "xfailed" if xfail else "skipped"
    else:
        outcome = "passed"
    message = "" if report.passed else str(report.longrepr)[-3000:]
    record = {"id": report.nodeid, "when": report.when, "outcome": outcome, "message": message}
    _write({**record, "duration": round(report.duration, 4)})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _write({"done": True, "exitstatus": int(exitstatus)})
