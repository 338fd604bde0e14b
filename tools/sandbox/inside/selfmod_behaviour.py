"""The behaviour check, run inside the sandbox: `python -m selfmod_behaviour JOB RESULTS`.

It runs the given tests once with a profile hook that records the arguments they pass to the target function,
derives more inputs from them (neighbouring ints, shorter, longer, empty and reordered sequences; for a method,
its test's first call made more times than the test made it, each candidate from the same starting state; bounded), then
runs the original function and each candidate on every input, each candidate in its own forked child with a
per-call time limit. One JSON line per candidate: for each input its outcome ("ok" with a snapshot of the result
and of the arguments afterwards, "raise" with the exception type, or "timeout") and the line it left from.
Standard library and pytest only, like the repair worker whose helpers it reuses.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import signal
import sys
import time
from pathlib import Path
from types import CodeType, FrameType, FunctionType
from typing import Any

import pytest
from _pytest.runner import runtestprotocol
from selfmod_repair_worker import _module_for, _target  # type: ignore[import-not-found]  # a sibling on PYTHONPATH
from selfmod_screening import install as _install  # type: ignore[import-not-found]

MAX_CALLS = 40
MAX_INPUTS = 160
CALL_SECONDS = 0.2
"""A call's time limit before any call returned; then fifty times the slowest call that returned, at least
MIN_CALL_SECONDS (an input the original loops on costs little when the function is fast)."""
MIN_CALL_SECONDS = 0.02
CHILD_SECONDS = 6.0


class _Timeout(Exception):
    """A test or a call ran past its time limit."""


def _alarm(_signum: int, _frame: Any) -> None:
    raise _Timeout


def snapshot(value: Any, depth: int = 0) -> Any:
    """A comparable, address-free picture of a value."""
    if depth > 6:
        return "..."
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return repr(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [snapshot(v, depth + 1) for v in list(value)[:50]]
        return [type(value).__name__, sorted(map(str, items)) if isinstance(value, set | frozenset) else items]
    if isinstance(value, dict):
        return ["dict", [[snapshot(k, depth + 1), snapshot(v, depth + 1)] for k, v in list(value.items())[:50]]]
    state = getattr(value, "__dict__", None)
    if isinstance(state, dict):
        return [type(value).__name__, snapshot(state, depth + 1)]
    text = repr(value)
    return type(value).__name__ if " at 0x" in text else text[:200]


def _longer(seq: list[Any]) -> list[Any]:
    """The sequence continued to twice its length (an arithmetic progression for numbers, a repeat otherwise)."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in seq):
        step = seq[-1] - seq[-2] if len(seq) > 1 else 1
        return seq + [seq[-1] + step * k for k in range(1, len(seq) + 1)]
    return seq + seq


def _ordered(seq: list[Any]) -> bool:
    try:
        return all(a <= b for a, b in itertools.pairwise(seq))
    except TypeError:
        return False


def _neighbours(value: Any, pool: list[Any]) -> list[Any]:
    """Bounded variations of one argument; `pool` holds numbers found in the other arguments."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value - 1, value + 1, 0, *(p for p in pool if isinstance(p, int))]
    if isinstance(value, float):
        return [value - 1, value + 1, 0.0, *(float(p) for p in pool)]
    if isinstance(value, list | tuple | str) and value:
        seq = list(value)
        shapes = [seq[1:], seq[:-1], [], _longer(seq)]
        if len(seq) > 1 and not _ordered(seq):  # a sorted input keeps its order: it may be a precondition
            shapes += [seq[::-1], [seq[1], seq[0], *seq[2:]]]
        return ["".join(map(str, s)) if isinstance(value, str) else type(value)(s) for s in shapes]
    if isinstance(value, dict) and value:
        return [dict(list(value.items())[1:]), {}]
    return []  # an object's attributes are not varied one by one (states its methods never reach): its test's
    # first call is made again and again instead (`derive`)


def _numbers(args: list[Any]) -> list[Any]:
    """Numbers held in the list and tuple arguments (other values worth trying for a number argument)."""
    found = [v for a in args if isinstance(a, list | tuple) for v in a[:8]]
    return [v for v in dict.fromkeys(found) if isinstance(v, int | float) and not isinstance(v, bool)][:8]


def _first_method_calls(calls: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """Per test that calls the target as a method: its first such call (the object in the state the test built
    before calling it) and how many calls the test made."""
    out: list[tuple[dict[str, Any], int]] = []
    for _test, group in itertools.groupby(calls, key=lambda c: c.get("test")):
        made = list(group)
        if made[0]["args"] and isinstance(getattr(made[0]["args"][0], "__dict__", None), dict):
            out.append((made[0], len(made)))
    return out


def derive(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The recorded calls, then one-argument variations of them, then variations of those, without duplicates,
    at most MAX_INPUTS."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(args: list[Any], kwargs: dict[str, Any], origin: str, repeat: int = 1) -> None:
        try:
            key = json.dumps([snapshot(args), snapshot(kwargs), repeat], sort_keys=True)
        except (TypeError, ValueError):
            return
        if key not in seen and len(out) < MAX_INPUTS:
            seen.add(key)
            out.append({"args": args, "kwargs": kwargs, "origin": origin, "repeat": repeat})

    for call in calls:
        add(call["args"], call["kwargs"], call["origin"])
    for first, count in _first_method_calls(calls):  # each test's scenario, continued
        origin = "continued" if first["origin"] == "failing" else "derived"
        for repeat in (count + 2, 2 * count + 2):
            add(first["args"], first["kwargs"], origin, repeat)
    for _round in range(2):
        for call in list(out):
            args, pool = call["args"], _numbers(call["args"])
            for i, value in enumerate(args):
                for other in _neighbours(value, pool):
                    add([*args[:i], other, *args[i + 1 :]], call["kwargs"], "derived")
    return out


def record(items: list[tuple[pytest.Item, str]], code: CodeType, per_test: float) -> list[dict[str, Any]]:
    """Run the tests and keep (a deep copy of) the arguments of each outermost call of `code`."""
    calls: list[dict[str, Any]] = []
    depth = [0]
    origin = ["passing"]
    test = [0]
    nargs = code.co_argcount + code.co_kwonlyargcount

    def hook(frame: FrameType, event: str, _arg: Any) -> None:
        if frame.f_code is not code:
            return
        if event == "call":
            depth[0] += 1
            if depth[0] == 1 and len(calls) < MAX_CALLS:
                names = code.co_varnames[:nargs]
                local = frame.f_locals
                try:
                    args = copy.deepcopy([local[n] for n in names[: code.co_argcount]])
                    kwargs = copy.deepcopy({n: local[n] for n in names[code.co_argcount :]})
                except Exception:
                    return
                calls.append({"args": args, "kwargs": kwargs, "origin": origin[0], "test": test[0]})
        elif event == "return":
            depth[0] = max(0, depth[0] - 1)

    for index, (item, kind) in enumerate(items):
        origin[0], test[0] = kind, index
        signal.setitimer(signal.ITIMER_REAL, per_test)
        sys.setprofile(hook)
        try:
            runtestprotocol(item, log=False, nextitem=None)
        except BaseException:
            pass
        finally:
            sys.setprofile(None)
            signal.setitimer(signal.ITIMER_REAL, 0)
    return calls


def _exit_line(exc: BaseException, code: CodeType) -> int:
    tb, line = exc.__traceback__, 0
    while tb is not None:
        if tb.tb_frame.f_code is code:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def run_inputs(function: FunctionType, inputs: list[dict[str, Any]]) -> list[list[Any]]:
    """[outcome, snapshot, exit line] of `function` on every input."""
    code, rows, started = function.__code__, [], time.monotonic()
    slowest: float | None = None
    for item in inputs:
        if time.monotonic() - started > CHILD_SECONDS:
            rows.append(["skipped", None, 0])
            continue
        args, kwargs = copy.deepcopy(item["args"]), copy.deepcopy(item["kwargs"])
        exit_line = [0]

        def hook(frame: FrameType, event: str, _arg: Any, exit_line: list[int] = exit_line) -> None:
            if event == "return" and frame.f_code is code:
                exit_line[0] = frame.f_lineno

        limit = CALL_SECONDS if slowest is None else min(CALL_SECONDS, max(MIN_CALL_SECONDS, 50 * slowest))
        began = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, limit)
        sys.setprofile(hook)
        try:
            for _ in range(int(item.get("repeat", 1)) - 1):
                function(*args, **kwargs)
            result = function(*args, **kwargs)
            sys.setprofile(None)
            signal.setitimer(signal.ITIMER_REAL, 0)
            slowest = max(slowest or 0.0, time.monotonic() - began)
            rows.append(["ok", snapshot([result, args, kwargs]), exit_line[0]])
        except _Timeout:
            sys.setprofile(None)
            rows.append(["timeout", None, 0])
        except BaseException as exc:  # the candidate is untrusted code
            sys.setprofile(None)
            signal.setitimer(signal.ITIMER_REAL, 0)
            rows.append(["raise", type(exc).__name__, _exit_line(exc, code)])
    return rows


def check(session: pytest.Session, job: dict[str, Any], original: FunctionType, results: Path) -> None:
    """Record the inputs the job's tests pass to `original`, derive more, and write one line per candidate (and
    one for the original) with its outcome on every input. Runs in the process that collected the tests: this
    helper's own, or the repair worker's once its candidate loop has ended."""
    by_id = {item.nodeid: item for item in session.items}
    items = [(by_id[n], kind) for kind in ("failing", "passing") for n in job[kind] if n in by_id]
    with open(results, "w", encoding="utf-8") as out:
        signal.signal(signal.SIGALRM, _alarm)
        inputs = derive(record(items, original.__code__, float(job.get("test_timeout", 2.0))))
        out.write(json.dumps({"inputs": [i["origin"] for i in inputs]}) + "\n")
        out.flush()
        for cand in [{"id": "original", "source": None}, *job["candidates"]]:
            rows = _child(original, cand["source"], inputs, results.with_suffix(".child"))
            out.write(json.dumps({"id": cand["id"], "rows": rows}) + "\n")
            out.flush()


def _child(original: FunctionType, source: str | None, inputs: list[dict[str, Any]], path: Path) -> list[Any]:
    """Run one candidate on every input in a forked child; a child that runs out of time has no rows."""
    pid = os.fork()
    if pid == 0:  # child: never returns
        try:
            if source is not None:
                _install(original, source)
            path.write_text(json.dumps(run_inputs(original, inputs)))
        finally:
            os._exit(0)
    deadline = time.monotonic() + CHILD_SECONDS + 2
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            break
        time.sleep(0.005)
    try:
        rows: list[Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        rows = []
    path.unlink(missing_ok=True)
    return rows


class BehaviourCheck:
    """Replaces pytest's test loop with the recording and the runs."""

    def __init__(self, job: dict[str, Any], results: Path) -> None:
        self.job = job
        self.results = results

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        module = _module_for(self.job["file"])
        original = _target(module, self.job["qualname"]) if module else None
        if original is None:
            self.results.write_text(json.dumps({"fatal": f"cannot find {self.job['qualname']}"}) + "\n")
            return True
        check(session, self.job, original, self.results)
        return True


def main(argv: list[str]) -> int:
    """Entry point: run pytest with the behaviour check on the job's test files."""
    job = json.loads(Path(argv[0]).read_text())
    files = sorted({node.split("::", 1)[0] for node in [*job["failing"], *job["passing"]]})
    args = [*files, "-q", "-p", "no:cacheprovider", "--no-header", "-rN", *job.get("pytest_args", [])]
    return int(pytest.main(args, plugins=[BehaviourCheck(job, Path(argv[1]))]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
