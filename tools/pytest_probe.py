"""A pytest plugin (`-p selfmod.tools.pytest_probe`) that records each test's outcome and duration and, when
coverage.py is measuring, switches its context to the test's node id, so line coverage is known per test.

The results go to the JSON file named by $SELFMOD_PROBE_OUT: {"tests": {nodeid: {"outcome", "duration"}}}.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

_RESULTS: dict[str, dict[str, Any]] = {}


def _switch(context: str) -> None:
    try:
        import coverage
    except ImportError:  # pragma: no cover - coverage is a dependency
        return
    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(context)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    _switch(item.nodeid)
    yield
    _switch("")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    entry = _RESULTS.setdefault(report.nodeid, {"outcome": "passed", "duration": 0.0})
    entry["duration"] += report.duration
    if report.failed:
        entry["outcome"] = "failed" if report.when == "call" else "error"
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = os.environ.get("SELFMOD_PROBE_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump({"tests": _RESULTS}, fh)
