"""pytest plugin (`-p selfmod_report`) run inside the sandbox: per-test outcomes from pytest's own reports.

Writes one JSON line per report phase to the file named by SELFMOD_REPORT_FILE, and a last line when the session
ends. When SELFMOD_CANARY names a file of the project copy, its two tests are appended after every other test:
the code under test must leave one failing and the other passing, or it tampered with the run.
When SELFMOD_TEST_TIMEOUT is a number of seconds, each phase (setup, call, teardown) of a test that runs longer is
interrupted (SIGALRM, repeated every second if the code swallows it) and fails with "timed out after N s", so a
test that loops forever is a failing test and the session goes on. With SELFMOD_TEST_TIMEOUT_FLOOR too, the
limit adapts to the phases already run (`_limit`).
Standard library and pytest only: this file must import in any project's environment.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import IO, Any

import pytest

_OUT: IO[str] | None = None


class SelfmodTimeout(BaseException):
    """A test phase ran longer than SELFMOD_TEST_TIMEOUT (a BaseException, so `except Exception` cannot hide it)."""


ADAPT_FACTOR = 20
_SLOWEST: list[float] = []
"""The longest test phase that ended on its own so far in this session (empty before the first)."""


def _seconds(name: str) -> float:
    try:
        return max(0.0, float(os.environ.get(name, "0")))
    except ValueError:
        return 0.0


def _limit() -> float:
    """SELFMOD_TEST_TIMEOUT; with SELFMOD_TEST_TIMEOUT_FLOOR set and a phase already timed, no more than
    ADAPT_FACTOR times the slowest phase so far plus a second, and no less than the floor (a run that knows no
    test durations yet learns them as it goes, so a test that hangs costs seconds, not the whole limit)."""
    limit, floor = _seconds("SELFMOD_TEST_TIMEOUT"), _seconds("SELFMOD_TEST_TIMEOUT_FLOOR")
    if limit <= 0 or floor <= 0 or not _SLOWEST:
        return limit
    return min(limit, max(floor, ADAPT_FACTOR * _SLOWEST[0] + 1.0))


def _timed(phase: str) -> Any:
    limit = _limit()
    usable = limit > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def alarm(signum: int, frame: Any) -> None:
        raise SelfmodTimeout(f"timed out after {limit:g} s (in {phase})")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, limit, 1.0)
    started = time.monotonic()
    try:
        outcome = yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    excinfo = getattr(outcome, "excinfo", None)
    if excinfo is None or not issubclass(excinfo[0], SelfmodTimeout):
        _SLOWEST[:] = [max([time.monotonic() - started, *_SLOWEST])]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    yield from _timed("setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    yield from _timed("call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Any:
    yield from _timed("teardown")


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
