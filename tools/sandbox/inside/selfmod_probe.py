"""pytest plugin (`-p selfmod_probe`) run inside the sandbox: which project lines each test executes.

Writes {"tracer": ..., "files": {path: {line: [node ids]}}} to the file named by SELFMOD_PROBE_OUT, for the files
under SELFMOD_PROBE_ROOT. Uses coverage.py when the project's environment has it (one context per test), else
`sys.monitoring` (Python 3.12+: each line reported once per test, then disabled until the next test), else
`sys.settrace` limited to the project's files (slower, same result). Outcomes come from `selfmod_report`.
Standard library and pytest only: this file must import in any project's environment.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

_ROOT = os.path.realpath(os.environ.get("SELFMOD_PROBE_ROOT", os.getcwd())) + os.sep
_LINES: dict[str, dict[int, set[str]]] = {}
_CURRENT: list[str] = [""]
_TRACER: list[Any] = []
_MONITOR_ID = 4  # sys.monitoring tool ids 3 and 4 are not assigned to debuggers, coverage or profilers
_REAL_PATH: dict[str, str | None] = {}


def _project_file(filename: str) -> str | None:
    found = _REAL_PATH.get(filename, "")
    if found == "":
        real = os.path.realpath(filename) if os.path.isabs(filename) else ""  # not "<frozen os>", "<string>"
        found = real if real.startswith(_ROOT) else None
        _REAL_PATH[filename] = found
    return found


def _hit(filename: str, line: int) -> None:
    path = _project_file(filename)
    if path is not None and _CURRENT[0]:
        _LINES.setdefault(path, {}).setdefault(line, set()).add(_CURRENT[0])


def _coverage() -> Any:
    try:
        import coverage
    except ImportError:
        return None
    data = os.path.join(os.environ.get("TMPDIR", "/tmp"), "selfmod-probe.coverage")
    cov = coverage.Coverage(data_file=data, source=[_ROOT.rstrip(os.sep)], branch=False, config_file=False)
    cov.start()
    return cov


def _local(frame: Any, event: str, arg: Any) -> Callable[..., Any] | None:
    if event == "line":
        _hit(frame.f_code.co_filename, frame.f_lineno)
    return _local


def _global(frame: Any, event: str, arg: Any) -> Callable[..., Any] | None:
    if _project_file(frame.f_code.co_filename) is None:
        return None
    _hit(frame.f_code.co_filename, frame.f_lineno)
    return _local


def _start_monitoring() -> Any:
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is None:
        return None
    try:
        monitoring.use_tool_id(_MONITOR_ID, "selfmod_probe")
    except ValueError:
        return None

    def line(code: Any, number: int) -> Any:
        _hit(code.co_filename, number)
        return monitoring.DISABLE

    monitoring.register_callback(_MONITOR_ID, monitoring.events.LINE, line)
    monitoring.set_events(_MONITOR_ID, monitoring.events.LINE)
    return monitoring


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("SELFMOD_PROBE_OUT") or _TRACER:
        return
    cov = _coverage()
    monitoring = None if cov is not None else _start_monitoring()
    if cov is not None:
        _TRACER.append(("coverage", cov))
    elif monitoring is not None:
        _TRACER.append(("monitoring", monitoring))
    else:
        threading.settrace(_global)
        sys.settrace(_global)
        _TRACER.append(("settrace", None))


def _switch(nodeid: str) -> None:
    _CURRENT[0] = nodeid
    if not _TRACER:
        return
    kind, tool = _TRACER[0]
    if kind == "coverage":
        tool.switch_context(nodeid)
    elif kind == "monitoring":
        tool.restart_events()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    _switch(item.nodeid)
    yield
    _switch("")


def _from_coverage(cov: Any) -> None:
    cov.stop()
    data = cov.get_data()
    for filename in data.measured_files():
        path = _project_file(filename)
        if path is None:
            continue
        for line, contexts in data.contexts_by_lineno(filename).items():
            tests = {c for c in contexts if c}
            if tests:
                _LINES.setdefault(path, {}).setdefault(int(line), set()).update(tests)


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = os.environ.get("SELFMOD_PROBE_OUT")
    if not out or not _TRACER:
        return
    kind, cov = _TRACER[0]
    if kind == "coverage":
        _from_coverage(cov)
    elif kind == "settrace":
        sys.settrace(None)
        threading.settrace(None)
    files = {path: {str(n): sorted(tests) for n, tests in lines.items()} for path, lines in _LINES.items()}
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"tracer": kind, "files": files}, fh)
