"""Run the offline engine over every program in bench/repair/programs and print what it fixed and how fast.

    python bench/repair/run.py [--only NN] [--json results.json]

Per program: copy it (without its held-out tests and reference fix) to a temp project, run the whole graph
offline through the CLI (`selfmod run --yes --json`, a fresh process as a user runs it), then run the held-out
tests against the applied fix (overfitting check); the time of each run is split into phases from its JSON. Then, in
the same run: validation throughput of the fork-per-candidate worker versus a fresh `pytest` process per
candidate, and the cost of a candidate that hangs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from selfmod.agents.offline.repair_edits import Candidate
from selfmod.agents.offline.repair_search import Budget, Validator, make_site, rank
from selfmod.config import Settings
from selfmod.tools.localize import localize

PROGRAMS = Path(__file__).parent / "programs"
FAST = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
THROUGHPUT_CANDIDATES = 300
FRESH_SAMPLE = 15
FRESH_TIMEOUT = 10.0


def prepare(program: Path, dest: Path) -> dict[str, Any]:
    """Copy a program without its held-out tests and reference fix; returns its meta."""
    shutil.copytree(program, dest, ignore=shutil.ignore_patterns("heldout", "reference", "meta.json", "__pycache__"))
    (dest / "pyproject.toml").write_text(f'[tool.selfmod]\nenv_passthrough = ["{FAST}"]\ngit_commit = false\n')
    return dict(json.loads((program / "meta.json").read_text()))


def settings_for(root: Path) -> Settings:
    return Settings(project_root=root, env_passthrough=[FAST], auto_approve=True, git_commit=False)


PHASES = ("startup", "extract", "localize", "generate", "worker_start", "candidates", "beyond_tests", "confirm",
          "graph_rest")  # fmt: skip
"""Where one `selfmod run` spends its wall time (see `phases`)."""


def phases(wall: float, run_seconds: float, d: dict[str, float]) -> dict[str, float]:
    """Split one run's wall time into PHASES from its `--json` durations (node and phase seconds). The offline
    engine's warm-up (`warm_up.*`, started while the CLI loads the graph framework) overlaps `startup`."""

    def spent(name: str) -> float:
        return d.get(name, 0.0) + d.get(f"warm_up.{name}", 0.0)

    nodes = sum(d.get(n, 0.0) for n in ("extract_bug", "locate", "write_patch", "review_patch", "test_patch"))
    worker = spent("worker")
    split = {
        "startup": wall - run_seconds,  # interpreter start and imports, until the CLI builds the graph
        "extract": d.get("extract_bug", 0.0) + d.get("locate", 0.0),
        "localize": spent("localize"),  # the probe run that localises and lists failing tests
        "generate": spent("search") + spent("search_more") - worker,  # candidate generation and ranking
        "worker_start": worker - spent("worker_candidates"),  # start-up, collection, behaviour check
        "candidates": spent("worker_candidates"),  # the fork worker's candidate loop
        "beyond_tests": spent("beyond_tests"),  # (when not done by the worker)
        "confirm": d.get("test_patch", 0.0),  # the sandbox test run of the chosen patch
        "graph_rest": run_seconds - nodes,  # graph build, triage, checkpoints, apply, audit, traces
    }
    return {k: round(max(0.0, v), 3) for k, v in split.items()}


def repair(program: Path, workdir: Path) -> dict[str, Any]:
    """The whole graph on one program through the CLI (`selfmod run --yes --json`), then the held-out tests."""
    root = workdir / program.name
    meta = prepare(program, root)
    command = [sys.executable, "-m", "selfmod", "run", "--project", str(root), "--yes", "--json"]
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=workdir, capture_output=True, text=True, env={**os.environ, FAST: "1"})
    wall = time.perf_counter() - started
    try:
        out = json.loads(proc.stdout)
        [result] = out["results"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"{program.name}: selfmod run gave no result ({exc}): {proc.stderr[-2000:]}") from exc
    row: dict[str, Any] = {
        "program": program.name,
        "class": meta["defect_class"],
        "expected": meta["function"],
        "status": result["status"],
        "function": result.get("function"),
        "seconds": round(wall, 2),
        "phases": phases(wall, float(out.get("seconds") or wall), result.get("durations") or {}),
        "message": (result.get("message") or "")[:120],
    }
    if result["status"] == "applied":
        shutil.copytree(program / "heldout", root / "heldout")
        row["heldout_pass"] = _pytest_passes(root, ["heldout"])
    return row


def _pytest_passes(root: Path, args: list[str], timeout: float = 60) -> bool:
    """True when pytest passes on `args` in `root` within `timeout` (a hang is a failure)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
            cwd=root,
            capture_output=True,
            env={**os.environ, FAST: "1"},
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def throughput(program: Path, workdir: Path) -> dict[str, Any]:
    """Validate the top candidates without stopping early; and the same candidates with fresh pytest runs."""
    root = workdir / ("tp-" + program.name)
    meta = prepare(program, root)
    settings = settings_for(root)
    loc = localize(settings)
    assert loc is not None
    site = make_site(root, meta["module"], meta["function"])
    assert site is not None
    cands = rank(site, loc, meta["module"], set())[:THROUGHPUT_CANDIDATES]
    budget = Budget(stop_after=10**6, max_plausible=10**6)
    verdicts = Validator(settings).validate(meta["module"], meta["function"], cands, loc, time.time() + 300, budget)
    rows = verdicts.rows
    fresh = _fresh_pytest(root, meta["module"], cands[:FRESH_SAMPLE], loc.failing + loc.passing)
    return {
        "program": program.name,
        "validated": len(rows),
        "worker_rate": len(rows) / verdicts.loop_seconds if verdicts.loop_seconds else 0.0,
        "fresh_rate": 1 / fresh,
        "timeouts": [r["seconds"] for r in rows if r["verdict"] == "timeout"],
    }


def _fresh_pytest(root: Path, module: str, cands: list[Candidate], tests: list[str]) -> float:
    """Median seconds to validate one candidate by writing it and starting pytest afresh."""
    times = []
    original = (root / module).read_text()
    for cand in cands:
        patched = _patched_file(original, cand)
        (root / module).write_text(patched)
        started = time.perf_counter()
        _pytest_passes(root, ["-x", *tests], timeout=FRESH_TIMEOUT)  # a hanging candidate costs the timeout
        times.append(time.perf_counter() - started)
    (root / module).write_text(original)
    return statistics.median(times)


def _patched_file(original: str, cand: Candidate) -> str:
    from selfmod.agents.offline.repair_edits import apply_edits

    lines = original.rstrip("\n").split("\n")
    changed = apply_edits(lines, cand.edits, 1)
    assert changed is not None
    return "\n".join(changed) + "\n"


def hang_cost(workdir: Path) -> float:
    """Seconds one candidate that never returns costs the worker."""
    root = workdir / "hang"
    (root / "tests").mkdir(parents=True)
    (root / "spin.py").write_text("def spin(n):\n    i = 0\n    while i < n:\n        i += 1\n    return i + 1\n")
    (root / "tests" / "test_spin.py").write_text("from spin import spin\n\ndef test_spin():\n    assert spin(3) == 3\n")
    settings = settings_for(root)
    loc = localize(settings)
    assert loc is not None
    site = make_site(root, "spin.py", "spin")
    assert site is not None
    hang = next(c for c in rank(site, loc, "spin.py", set()) if c.description == "+= -> -=")
    verdicts = Validator(settings).validate("spin.py", "spin", [hang], loc, time.time() + 60, Budget())
    return float(verdicts.rows[0]["seconds"])


def print_phases(rows: list[dict[str, Any]]) -> None:
    """Per bug and in median: where the time of each `selfmod run` went."""
    print()
    print(f"{'program':<24}" + "".join(f"{p:>13}" for p in PHASES) + f"{'total':>8}")
    for r in rows:
        print(
            f"{r['program'][:23]:<24}" + "".join(f"{r['phases'][p]:>13.2f}" for p in PHASES) + f"{r['seconds']:>8.2f}"
        )
    medians = [statistics.median(r["phases"][p] for r in rows) for p in PHASES]
    total = statistics.median(r["seconds"] for r in rows)
    print(f"{'median':<24}" + "".join(f"{m:>13.2f}" for m in medians) + f"{total:>8.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="run only programs whose name starts with this")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--throughput", type=int, default=5, help="programs used for the throughput comparison")
    args = parser.parse_args()
    os.environ[FAST] = "1"
    programs = sorted(p for p in PROGRAMS.iterdir() if p.is_dir() and (not args.only or p.name.startswith(args.only)))
    with tempfile.TemporaryDirectory(prefix="selfmod-bench-") as tmp:
        work = Path(tmp)
        rows = []
        for program in programs:
            row = repair(program, work)
            rows.append(row)
            held = {True: "held-out ok", False: "held-out FAIL"}.get(row.get("heldout_pass"), "")  # type: ignore[call-overload]
            print(
                f"{row['program']:<28} {row['class']:<18} {row['status']:<12} {row['seconds']:>6.2f} s  {held}",
                flush=True,
            )
        speed = [throughput(p, work) for p in programs[: args.throughput]]
        hang = hang_cost(work) if args.throughput else 0.0
    print_phases(rows)
    fixed = [r for r in rows if r["status"] == "applied"]
    overfit = [r for r in fixed if not r.get("heldout_pass")]
    worker = statistics.median(s["worker_rate"] for s in speed) if speed else 0.0
    fresh = statistics.median(s["fresh_rate"] for s in speed) if speed else 1.0
    summary = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "fixed": len(fixed),
        "total": len(rows),
        "fixed_passing_heldout": len(fixed) - len(overfit),
        "median_seconds_per_bug": round(statistics.median(r["seconds"] for r in rows), 2),
        "median_phase_seconds": {p: round(statistics.median(r["phases"][p] for r in rows), 3) for p in PHASES},
        "worker_candidates_per_second": round(worker, 1),
        "fresh_pytest_candidates_per_second": round(fresh, 2),
        "speedup": round(worker / fresh, 1),
        "hanging_candidate_seconds": round(hang, 3),
    }
    print()
    print(f"fixed: {len(fixed)}/{len(rows)} ({100 * len(fixed) / len(rows):.0f}%), "
          f"of which pass their held-out tests: {summary['fixed_passing_heldout']}/{len(fixed)}")  # fmt: skip
    print(f"median time per bug through the CLI (selfmod run --yes --json): {summary['median_seconds_per_bug']} s")
    print(
        f"validation: {worker:.0f} candidates/s in the fork worker vs {fresh:.2f}/s with a fresh pytest per "
        f"candidate = {worker / fresh:.0f}x (median over {len(speed)} programs, "
        f"{THROUGHPUT_CANDIDATES} candidates each)"
    )
    print(f"a hanging candidate costs {hang:.3f} s")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "programs": rows, "throughput": speed}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
