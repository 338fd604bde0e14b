"""The validation worker, run inside the sandbox: `python -m selfmod.tools.repair_worker JOB RESULTS`.

pytest starts and collects once; for each candidate the worker forks, swaps the target function's code in the
child, runs the previously failing tests and then the passing ones, and reports through a pipe. A child that
outlives the per-candidate timeout is killed, so a hanging candidate costs about the timeout.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import pytest


def _module_for(rel: str) -> ModuleType | None:
    target = (Path.cwd() / rel).resolve()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve() == target:
            return module
    dotted = rel[:-3].replace("/", ".").removesuffix(".__init__")
    try:
        return __import__(dotted, fromlist=["_"])
    except Exception:
        return None


def _raw_function(holder: Any, name: str) -> FunctionType | None:
    value: Any = holder.__dict__.get(name) if isinstance(holder, type) else getattr(holder, name, None)
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    if isinstance(value, property):
        value = value.fget
    while hasattr(value, "__wrapped__") and not isinstance(value, FunctionType):
        value = value.__wrapped__
    while isinstance(value, FunctionType) and hasattr(value, "__wrapped__"):
        value = value.__wrapped__
    return value if isinstance(value, FunctionType) else None


def _target(module: ModuleType, qualname: str) -> FunctionType | None:
    holder: Any = module
    parts = qualname.split(".")
    for part in parts[:-1]:
        holder = getattr(holder, part, None)
        if holder is None:
            return None
    return _raw_function(holder, parts[-1])


def _install(original: FunctionType, source: str) -> None:
    """Give `original` the code of the candidate (so every reference, including `from x import f`, sees it)."""
    free = original.__code__.co_freevars
    scope: dict[str, Any] = {}
    if free:
        body = "\n".join("    " + line for line in source.split("\n"))
        factory = f"def __selfmod_factory__({', '.join(free)}):\n{body}\n    return {original.__name__}\n"
        exec(compile(factory, original.__code__.co_filename, "exec"), original.__globals__, scope)
        cells = [c.cell_contents for c in original.__closure__ or ()]
        new = scope["__selfmod_factory__"](*cells)
    else:
        exec(compile(source, original.__code__.co_filename, "exec"), original.__globals__, scope)
        new = scope[original.__name__]
    original.__code__ = new.__code__
    original.__defaults__ = new.__defaults__
    original.__kwdefaults__ = new.__kwdefaults__


def _run(items: list[pytest.Item]) -> bool:
    from _pytest.runner import runtestprotocol

    for item in items:
        reports = runtestprotocol(item, log=False, nextitem=None)
        if any(r.failed for r in reports):
            return False
    return True


class RepairLoop:
    """Replaces pytest's test loop with the candidate loop."""

    def __init__(self, job: dict[str, Any], results: Path) -> None:
        self.job = job
        self.results = results

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        job = self.job
        by_id = {item.nodeid: item for item in session.items}
        failing = [by_id[n] for n in job["failing"] if n in by_id]
        passing = [by_id[n] for n in job["passing"] if n in by_id]
        module = _module_for(job["file"])
        original = _target(module, job["qualname"]) if module else None
        with open(self.results, "a", encoding="utf-8") as out:
            if original is None or not failing:
                out.write(json.dumps({"fatal": f"cannot find {job['qualname']} or its failing tests"}) + "\n")
                return True
            found = validated = 0
            for cand in job["candidates"]:
                if time.time() > job["deadline"] or (found and validated >= job["stop_after"]):
                    break
                result = self._validate(original, cand["source"], failing, passing, job["timeout"])
                validated += 1
                found += result["ok"]
                out.write(json.dumps({"id": cand["id"], **result}) + "\n")
                out.flush()
                if found >= job["max_plausible"]:
                    break
            out.write(json.dumps({"done": True, "validated": validated}) + "\n")
        return True

    def _validate(
        self,
        original: FunctionType,
        source: str,
        failing: list[pytest.Item],
        passing: list[pytest.Item],
        timeout: float,
    ) -> dict[str, Any]:
        read_fd, write_fd = os.pipe()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # child: never returns
            os.close(read_fd)
            verdict = "error"
            try:
                _install(original, source)
                verdict = "ok" if _run(failing) and _run(passing) else "failed"
            except BaseException as exc:  # the candidate is untrusted code
                verdict = f"error: {type(exc).__name__}"
            finally:
                os.write(write_fd, verdict.encode())
                os._exit(0)
        os.close(write_fd)
        ready, _, _ = select.select([read_fd], [], [], timeout)
        verdict = os.read(read_fd, 200).decode() if ready else "timeout"
        if not ready:
            os.kill(pid, signal.SIGKILL)
        os.close(read_fd)
        os.waitpid(pid, 0)
        return {"ok": verdict == "ok", "verdict": verdict, "seconds": round(time.monotonic() - started, 4)}


def main(argv: list[str]) -> int:
    """Entry point: run pytest with the candidate loop on the job's test files."""
    job = json.loads(Path(argv[0]).read_text())
    results = Path(argv[1])
    files = sorted({node.split("::", 1)[0] for node in [*job["failing"], *job["passing"]]})
    args = [*files, "-q", "-p", "no:cacheprovider", "--no-header", "-rN", *job.get("pytest_args", [])]
    return int(pytest.main(args, plugins=[RepairLoop(job, results)]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
