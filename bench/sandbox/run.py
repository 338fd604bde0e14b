"""What the namespace sandbox (bubblewrap) costs against the process sandbox, measured in one run.

    python bench/sandbox/run.py [--runs 20] [--programs 5] [--repeats 3] [--json results.json]

1. Overhead per test run: `Sandbox(settings).run()` on a few bench/repair programs and on a generated project of
   over 1,000 files, alternately with `sandbox="bwrap"` and `sandbox="process"` (the order swaps every round to
   cancel drift and order effects); median wall time per backend, the ratio of medians and the median of the
   per-round ratios. Then where the time goes: bare bwrap start, Python start inside it, the pids cgroup, the
   project copy and its removal, the process backend's /proc scan.
2. Throughput of the repair engine's fork worker (`python -m selfmod_repair_worker`, driven by
   `agents/repair_search.Validator`) inside each backend, measured as bench/repair/run.py does.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

from selfmod.agents.offline.repair_search import Budget, Validator, make_site, rank
from selfmod.config import Settings
from selfmod.tools.localize import localize
from selfmod.tools.sandbox import Sandbox, bwrap, copy_project, runner
from selfmod.tools.sandbox.pids import PidsCgroup, pids_root

BENCH = Path(__file__).resolve().parent.parent
FAST = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
BACKENDS = ("bwrap", "process")
RATIO_GOAL = 1.3
RATE_GOAL = 1000.0
PROBE_RUNS = 30


def load_repair_bench() -> ModuleType:
    """bench/repair/run.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("repair_bench", BENCH / "repair" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REPAIR = load_repair_bench()


# ---------------------------------------------------------------- projects


def generate_project(dest: Path, packages: int = 40, modules: int = 25, tests: int = 5) -> int:
    """A project of `packages` x `modules` modules of small functions plus a few tests; returns its file count."""
    for p in range(packages):
        pkg = dest / f"pkg{p:02d}"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text(f'"""Generated package {p}."""\n')
        for m in range(modules):
            (pkg / f"mod{m:02d}.py").write_text(_module_text(p, m))
    (dest / "tests").mkdir()
    (dest / "tests" / "test_generated.py").write_text(_tests_text(min(tests, packages), modules))
    (dest / "pyproject.toml").write_text(f'[tool.selfmod]\nenv_passthrough = ["{FAST}"]\ngit_commit = false\n')
    return sum(1 for path in dest.rglob("*") if path.is_file())


def _module_text(p: int, m: int) -> str:
    funcs = [
        f"def f{k}(x):\n    total = x * {k + 1} + {p}\n    if total % 2:\n        total -= {m}\n    return total\n"
        for k in range(5)
    ]
    return f'"""Generated module {p}.{m}."""\n\n\n' + "\n\n".join(funcs)


def _tests_text(tests: int, modules: int) -> str:
    lines = ["import importlib\n"]
    for p in range(tests):
        lines.append(
            f"\ndef test_package_{p:02d}():\n"
            f"    for m in range({modules}):\n"
            f'        mod = importlib.import_module(f"pkg{p:02d}.mod{{m:02d}}")\n'
            f"        assert mod.f0(2) == 2 + {p}\n"
        )
    return "".join(lines)


def settings_for(root: Path, backend: str) -> Settings:
    """The repair bench's settings for this project, with the sandbox backend chosen."""
    settings: Settings = REPAIR.settings_for(root)
    return settings.model_copy(update={"sandbox": backend})


def program_dirs(count: int) -> list[Path]:
    return sorted(p for p in REPAIR.PROGRAMS.iterdir() if p.is_dir())[:count]


# ---------------------------------------------------------------- 1. overhead per test run


def interleaved(runs: int) -> Iterator[tuple[int, str]]:
    """(round, backend) in the order A B, B A, A B, ... so neither backend always goes first."""
    for i in range(runs):
        for backend in BACKENDS if i % 2 == 0 else reversed(BACKENDS):
            yield i, backend


def time_runs(root: Path, runs: int) -> dict[str, Any]:
    """Time `Sandbox.run()` per backend, interleaved; also the command's own time and the test counts."""
    wall: dict[str, list[float]] = {b: [] for b in BACKENDS}
    inner: dict[str, list[float]] = {b: [] for b in BACKENDS}
    outcome: dict[str, set[tuple[int, int, int]]] = {b: set() for b in BACKENDS}
    for _, backend in interleaved(runs):
        sandbox = Sandbox(settings_for(root, backend))
        started = time.perf_counter()
        run = sandbox.run()
        wall[backend].append(time.perf_counter() - started)
        inner[backend].append(run.duration_s)
        expected = "namespaces" if backend == "bwrap" else "process"
        if run.isolation != expected or run.tampering or not run.results_found:
            raise SystemExit(f"{root.name}: a {backend} run went wrong: {run.isolation} {run.tampering!r}")
        outcome[backend].add((run.passed, run.failed, run.errors))
    return summarise_runs(root.name, wall, inner, outcome)


def summarise_runs(
    name: str,
    wall: dict[str, list[float]],
    inner: dict[str, list[float]],
    outcome: dict[str, set[tuple[int, int, int]]],
) -> dict[str, Any]:
    med = {b: statistics.median(wall[b]) for b in BACKENDS}
    mean = {b: statistics.mean(wall[b]) for b in BACKENDS}
    pairs = [a / b for a, b in zip(wall["bwrap"], wall["process"], strict=True)]
    return {
        "project": name,
        "runs": len(pairs),
        "same_results": outcome["bwrap"] == outcome["process"] and len(outcome["bwrap"]) == 1,
        "median_s": {b: round(med[b], 4) for b in BACKENDS},
        "command_median_s": {b: round(statistics.median(inner[b]), 4) for b in BACKENDS},
        "outside_command_median_s": {
            b: round(statistics.median(w - i for w, i in zip(wall[b], inner[b], strict=True)), 4) for b in BACKENDS
        },
        "mean_s": {b: round(mean[b], 4) for b in BACKENDS},
        "overhead_ms": round(1000 * (med["bwrap"] - med["process"]), 1),
        "overhead_mean_ms": round(1000 * (mean["bwrap"] - mean["process"]), 1),
        "ratio_of_medians": round(med["bwrap"] / med["process"], 3),
        "median_pairwise_ratio": round(statistics.median(pairs), 3),
        "pairwise_ratio_quartiles": [round(q, 3) for q in statistics.quantiles(pairs, n=4)],
    }


# ---------------------------------------------------------------- where the time goes


def round_robin(
    actions: Mapping[str, Callable[[], object]],
    runs: int = PROBE_RUNS,
    stat: Callable[[list[float]], float] = statistics.median,
) -> dict[str, float]:
    """Median (or `stat`) seconds of each action, the actions taking turns so that load hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - started)
    return {name: round(stat(values), 5) for name, values in times.items()}


def _quiet(argv: list[str], env: dict[str, str], preexec: Callable[[], None] | None = None) -> None:
    subprocess.run(argv, env=env, check=True, capture_output=True, preexec_fn=preexec)


def sandbox_argv(root: Path, argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """The bwrap command line and child environment a real run of `argv` on this project gets."""
    sandbox = Sandbox(settings_for(root, "bwrap"))
    with sandbox.workspace() as ws:
        conf = sandbox.confinement(ws)
        wrapped = bwrap.command(
            argv, cwd=ws.project, env=ws.env, writable=conf.writable, hidden=conf.hidden, readable=conf.readable
        )
    return wrapped, ws.env


def startup_costs(root: Path, scratch: Path) -> dict[str, Any]:
    """Bare process starts with and without bubblewrap, and the pids cgroup's share."""
    scratch.mkdir(exist_ok=True)
    env = {"PATH": os.defpath}
    full_true = bwrap.command(["true"], cwd=scratch, env=env, writable=(scratch,), hidden=())
    minimal_true = _system_dirs_only(full_true)
    python = [sys.executable, "-c", "pass"]
    wrapped_python, py_env = sandbox_argv(root, python)
    wrapped_python = _rebind_workspace(wrapped_python, scratch)
    pytest_cmd, _ = sandbox_argv(root, [sys.executable, "-m", "pytest", "-q"])
    py_env = {**py_env, "HOME": str(scratch), "TMPDIR": str(scratch)}
    figures = round_robin(
        {
            "true_s": lambda: _quiet(["true"], env),
            "bwrap_true_s": lambda: _quiet(full_true, env),
            "bwrap_minimal_true_s": lambda: _quiet(minimal_true, env),
            "bwrap_true_with_pids_cgroup_s": lambda: _true_in_cgroup(full_true, env),
            "python_s": lambda: _quiet(python, py_env),
            "bwrap_python_s": lambda: _quiet(wrapped_python, py_env),
            "process_backend_proc_scan_s": lambda: runner._marked_pids(b"_NO_SUCH_MARKER=0"),
        }
    )
    return {
        **figures,
        "project": root.name,
        "mount_arguments": sum(1 for a in pytest_cmd if _is_mount(a)),
        "pids_cgroup": str(pids_root()) if pids_root() else None,
    }


def _is_mount(flag: str) -> bool:
    return flag in {"--ro-bind", "--ro-bind-try", "--bind", "--tmpfs", "--symlink", "--proc", "--dev"}


def _system_dirs_only(argv: list[str]) -> list[str]:
    """The same namespaces and system directories, without /etc entries, /proc, /dev, tmpfs mounts and workspace."""
    drop = {"--ro-bind-try": 2, "--proc": 1, "--dev": 1, "--tmpfs": 1, "--bind": 2, "--chdir": 1}
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] == "--":
            return out + argv[i:]
        if argv[i] in drop:
            i += drop[argv[i]] + 1
            continue
        out.append(argv[i])
        i += 1
    return out


def _rebind_workspace(argv: list[str], scratch: Path) -> list[str]:
    """Point the command's writable bind and --chdir at a folder that still exists."""
    out = list(argv)
    for i, arg in enumerate(argv[:-1]):
        if arg == "--bind":
            out[i + 1 : i + 3] = [str(scratch), str(scratch)]
        if arg == "--chdir":
            out[i + 1] = str(scratch)
    return out


def _true_in_cgroup(argv: list[str], env: dict[str, str]) -> None:
    """One namespaced start inside a fresh pids cgroup, as `runner._run_namespaced` does."""
    with PidsCgroup.create(256) as cgroup:
        _quiet(argv, env, cgroup.join if cgroup is not None else None)
        if cgroup is not None:
            cgroup.kill_all()


@contextlib.contextmanager
def no_pids_cgroup() -> Iterator[None]:
    """Namespaced runs without their per-run pids cgroup (diagnostic only: what the cgroup costs a run)."""

    @contextlib.contextmanager
    def none(_max_processes: int) -> Iterator[None]:
        yield None

    with mock.patch.object(PidsCgroup, "create", none):
        yield


def cgroup_share(root: Path, runs: int) -> dict[str, float]:
    """Mean `Sandbox.run()` in namespaces with and without the pids cgroup, and in the process sandbox, taking
    turns (means: a run's end is seen through Popen.wait's polling, up to 50 ms late, which medians round)."""
    ns, proc = settings_for(root, "bwrap"), settings_for(root, "process")

    def without() -> None:
        with no_pids_cgroup():
            Sandbox(ns).run()

    actions = {"with_s": lambda: Sandbox(ns).run(), "without_s": without, "process_s": lambda: Sandbox(proc).run()}
    mean = round_robin(actions, runs, statistics.mean)
    return {**mean, "cgroup_ms": round(1000 * (mean["with_s"] - mean["without_s"]), 1)}


def copy_costs(root: Path, scratch: Path, runs: int) -> dict[str, float]:
    """The project copy a run makes, and its removal, alone."""
    copies, removals = [], []
    for i in range(runs):
        dest = scratch / f"copy-{i}"
        started = time.perf_counter()
        copy_project(root, dest)
        copies.append(time.perf_counter() - started)
        started = time.perf_counter()
        shutil.rmtree(dest)
        removals.append(time.perf_counter() - started)
    return {"copy_s": round(statistics.median(copies), 5), "remove_s": round(statistics.median(removals), 5)}


# ---------------------------------------------------------------- 2. fork worker throughput


def worker_throughput(program: Path, work: Path, repeats: int) -> dict[str, Any]:
    """The repair bench's throughput measure (top candidates, no early stop) inside each backend, interleaved."""
    root = work / ("tp-" + program.name)
    meta = REPAIR.prepare(program, root)
    loc = localize(settings_for(root, "process"))
    site = make_site(root, meta["module"], meta["function"])
    assert loc is not None and site is not None
    cands = rank(site, loc, meta["module"], set())[: REPAIR.THROUGHPUT_CANDIDATES]
    budget = Budget(stop_after=10**6, max_plausible=10**6)
    loop: dict[str, list[float]] = {b: [] for b in BACKENDS}
    whole: dict[str, list[float]] = {b: [] for b in BACKENDS}
    validated = 0
    for _, backend in interleaved(repeats):
        started = time.perf_counter()
        verdicts = Validator(settings_for(root, backend)).validate(
            meta["module"], meta["function"], cands, loc, time.time() + 300, budget
        )
        seconds = time.perf_counter() - started
        validated = len(verdicts.rows)
        loop[backend].append(validated / verdicts.loop_seconds if verdicts.loop_seconds else 0.0)
        whole[backend].append(validated / seconds)
    return {
        "program": program.name,
        "validated": validated,
        "worker_rate": {b: round(statistics.median(loop[b]), 1) for b in BACKENDS},
        "end_to_end_rate": {b: round(statistics.median(whole[b]), 1) for b in BACKENDS},
    }


# ---------------------------------------------------------------- report


def overlay_support() -> dict[str, Any]:
    exe = bwrap.executable()
    text = subprocess.run([exe, "--help"], capture_output=True, text=True).stdout if exe else ""
    return {
        "bwrap_version": bwrap.probe().version,
        "overlay": "--overlay-src" in text or "--tmp-overlay" in text,
    }


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def print_overhead(rows: list[dict[str, Any]], copies: dict[str, dict[str, float]]) -> None:
    print("\n1. Overhead per test run (Sandbox.run(): copy, run pytest, read the report, remove the copy)\n")
    print("| project | files | runs | bwrap median | process median | ratio of medians ", end="")
    print("| median pairwise ratio | overhead, medians | overhead, means |\n" + "|---" * 9 + "|")
    for r in rows:
        m = r["median_s"]
        print(
            f"| {r['project']} | {r['files']} | {r['runs']} | {m['bwrap']:.3f} s | {m['process']:.3f} s "
            f"| {r['ratio_of_medians']:.2f}x | {r['median_pairwise_ratio']:.2f}x | {r['overhead_ms']:+.0f} ms "
            f"| {r['overhead_mean_ms']:+.0f} ms |"
        )
    print("\nThe same runs split (medians): inside run_isolated (process start to exit, seen through Popen.wait) and")
    print("outside it (copy, canary, report, removal, cgroup); and the copy and its removal timed alone\n")
    print("| project | command, bwrap | command, process | outside, bwrap | outside, process ", end="")
    print("| copy alone | remove alone |\n" + "|---" * 7 + "|")
    for r in rows:
        c, o, k = r["command_median_s"], r["outside_command_median_s"], copies[r["project"]]
        print(
            f"| {r['project']} | {1000 * c['bwrap']:.0f} ms | {1000 * c['process']:.0f} ms "
            f"| {1000 * o['bwrap']:.0f} ms | {1000 * o['process']:.0f} ms "
            f"| {1000 * k['copy_s']:.0f} ms | {1000 * k['remove_s']:.0f} ms |"
        )
    for r in rows:
        if not r["same_results"]:
            print(f"  warning: {r['project']}: the backends disagree on the test results")


def print_startup(s: dict[str, Any]) -> None:
    print(f"\nWhere the namespace backend's time goes (medians of {PROBE_RUNS} starts each, taking turns)\n")
    rows = [
        ("`true`, no sandbox", s["true_s"]),
        ("`bwrap ... true`, the full command line (bwrap.command)", s["bwrap_true_s"]),
        ("`bwrap ... true`, namespaces and the system directories only", s["bwrap_minimal_true_s"]),
        ("`bwrap ... true` in a fresh pids cgroup (create, join, kill_all, rmdir)", s["bwrap_true_with_pids_cgroup_s"]),
        ("`python -c pass`, no sandbox", s["python_s"]),
        ("`python -c pass` in bwrap, a real run's mounts", s["bwrap_python_s"]),
        ("process backend: the /proc scan for stragglers (one pass)", s["process_backend_proc_scan_s"]),
    ]
    print("| step | median |\n|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {1000 * seconds:.1f} ms |")
    print(f"\nmount arguments in a pytest run's bwrap command line: {s['mount_arguments']}")
    print(f"pids cgroup per run: {s['pids_cgroup'] or 'none (not root, or no writable pids controller)'}")
    share = s.get("pids_cgroup_per_run")
    if share:
        print(
            f"Sandbox.run() on {s['project']}, means: namespaces {1000 * share['with_s']:.0f} ms with the pids "
            f"cgroup, {1000 * share['without_s']:.0f} ms without it, process sandbox {1000 * share['process_s']:.0f} "
            f"ms: the cgroup costs {share['cgroup_ms']:+.0f} ms per run"
        )


def print_throughput(rows: list[dict[str, Any]]) -> None:
    print("\n2. Fork worker throughput inside each backend (candidates/s; worker = loop time, forks included,")
    print("   as in bench/repair; end to end = the whole Validator.validate call: copy, sandbox, pytest start)\n")
    print("| program | validated | worker, bwrap | worker, process | end to end, bwrap | end to end, process |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        w, e = r["worker_rate"], r["end_to_end_rate"]
        print(
            f"| {r['program']} | {r['validated']} | {w['bwrap']:.0f} | {w['process']:.0f} "
            f"| {e['bwrap']:.0f} | {e['process']:.0f} |"
        )


def summary(rows: list[dict[str, Any]], speed: list[dict[str, Any]], overlay: dict[str, Any]) -> dict[str, Any]:
    worst = max(r["ratio_of_medians"] for r in rows)
    rate = {b: statistics.median(s["worker_rate"][b] for s in speed) for b in BACKENDS} if speed else {}
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        **overlay,
        "worst_ratio_of_medians": worst,
        "median_ratio_of_medians": round(statistics.median(r["ratio_of_medians"] for r in rows), 3),
        "ratio_goal_met": worst <= RATIO_GOAL,
        "worker_candidates_per_second": {b: round(v, 1) for b, v in rate.items()},
        "rate_goal_met": bool(rate) and rate["bwrap"] >= RATE_GOAL,
    }


def print_summary(s: dict[str, Any]) -> None:
    print(f"\n{s['date']}, {s['machine']}, {s['bwrap_version']}")
    if not s["overlay"]:
        print(
            f"{s['bwrap_version']} has no --overlay-src/--tmp-overlay (bubblewrap 0.9+), so every run copies the "
            "project; the copy is measured above, not an overlay."
        )
    verdict = "met" if s["ratio_goal_met"] else "NOT met"
    print(
        f"namespaces vs process per test run: worst ratio of medians {s['worst_ratio_of_medians']:.2f}x, median "
        f"over projects {s['median_ratio_of_medians']:.2f}x (goal <= {RATIO_GOAL}x: {verdict})"
    )
    if s["worker_candidates_per_second"]:
        r = s["worker_candidates_per_second"]
        verdict = "met" if s["rate_goal_met"] else "NOT met"
        print(
            f"fork worker: {r['bwrap']:.0f} candidates/s in namespaces, {r['process']:.0f} in the process sandbox "
            f"(median over programs; goal >= {RATE_GOAL:.0f}/s in namespaces: {verdict})"
        )


# ---------------------------------------------------------------- main


def prepare_projects(work: Path, count: int) -> list[tuple[Path, int]]:
    """The bench programs (copied as bench/repair does) and the generated big project, with file counts."""
    projects = []
    for program in program_dirs(count):
        root = work / program.name
        REPAIR.prepare(program, root)
        projects.append((root, sum(1 for p in root.rglob("*") if p.is_file())))
    big = work / "generated_1000"
    projects.append((big, generate_project(big)))
    return projects


@contextlib.contextmanager
def temp_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="selfmod-bench-sandbox-") as tmp:
        yield Path(tmp)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="Sandbox.run() calls per backend and project")
    parser.add_argument("--programs", type=int, default=5, help="bench/repair programs to use")
    parser.add_argument("--repeats", type=int, default=5, help="validation passes per backend and program")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    os.environ[FAST] = "1"
    overlay = overlay_support()
    if not bwrap.probe().works:
        raise SystemExit(f"the namespace sandbox cannot start here: {bwrap.probe().reason}")
    with temp_folder() as work:
        projects = prepare_projects(work, args.programs)
        rows = []
        for root, files in projects:
            rows.append({**time_runs(root, args.runs), "files": files})
            print(f"{root.name}: {rows[-1]['ratio_of_medians']:.2f}x", file=sys.stderr, flush=True)
        copies = {root.name: copy_costs(root, work / "scratch", args.runs) for root, _ in projects}
        startup = startup_costs(projects[0][0], work / "scratch-bwrap")
        startup["pids_cgroup_per_run"] = cgroup_share(projects[0][0], args.runs) if pids_root() else None
        speed = [worker_throughput(p, work, args.repeats) for p in program_dirs(args.programs)]
    print_overhead(rows, copies)
    print_startup(startup)
    print_throughput(speed)
    result = summary(rows, speed, overlay)
    print_summary(result)
    if args.json:
        figures = {"summary": result, "runs": rows, "copies": copies, "startup": startup, "throughput": speed}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
