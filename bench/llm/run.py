"""The whole graph through the CLI against an OpenAI-compatible endpoint, over bench/repair and bench/realbugs.

    python bench/llm/run.py --base-url http://127.0.0.1:8765/v1 --model qwen2.5-coder-1.5b-instruct \\
        [--set repair|realbugs|both] [--repos DIR] [--realbugs 10] [--candidates 1] [--offline-first] \\
        [--patch-format tool_call|code_block] \\
        [--only PREFIX] [--skip N (real bugs)] [--start NAME (bench/repair)] [--json PATH] [--keep DIR]

Each bug is copied to a temp project with its settings (`candidates`, `offline_first`, `patch_format`) in
`.selfmod.toml`, then
`selfmod run --model openai:MODEL --yes --json` runs as a user runs it (OPENAI_BASE_URL and OPENAI_API_KEY set for
it). Per bug: status, whether the fix is right (bench/repair: the held-out tests pass; realbugs: the fix commit's
failing tests pass and nothing that passed fails), attempts, prompt and completion tokens, LLM calls, wall time.
`--json` is rewritten after every bug (a stopped run keeps what it measured); `--keep DIR` keeps each bug's
`.selfmod` (traces, audit) as DIR/BUG for `selfmod trace` / sqlite. Not part of CI: with a small local model on
2 CPU cores one bug takes minutes. `make bench-llm`.
"""

from __future__ import annotations

import argparse
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
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "realbugs"))

from cases import find_repo, load_bugs, load_case, materialise, outcomes, reproduce, test_command, venv_python  # noqa: E402


def _bench_module(name: str) -> Any:
    """Another bench's run.py (both are named run.py), loaded under its own name."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}_run", HERE.parent / name / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


repair_bench, realbugs_bench = _bench_module("repair"), _bench_module("realbugs")
FAST, PROGRAMS = repair_bench.FAST, repair_bench.PROGRAMS


def settings_toml(
    candidates: int, offline_first: bool, test_command: list[str] | None = None, patch_format: str = "tool_call"
) -> str:
    lines = [
        "[tool.selfmod]",
        f'env_passthrough = ["{FAST}"]',
        "git_commit = false",
        f"candidates = {candidates}",
        f'patch_format = "{patch_format}"',
        f"offline_first = {'true' if offline_first else 'false'}",
        "llm_timeout = 900",
        "run_time_budget = 3600",
        "test_timeout = 300",
    ]
    if test_command:
        lines.append(f"test_command = {json.dumps(test_command)}")
    return "\n".join(lines) + "\n"


def run_cli(root: Path, args: argparse.Namespace) -> tuple[dict[str, Any], float, str]:
    """`selfmod run` on the project; (its result row, wall seconds, stderr tail)."""
    env = {**os.environ, FAST: "1", "OPENAI_BASE_URL": args.base_url, "OPENAI_API_KEY": "local"}
    command = [sys.executable, "-m", "selfmod", "run", "--project", str(root), "--model", f"openai:{args.model}",
               "--yes", "--json"]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=root.parent, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if args.keep and (root / ".selfmod").is_dir():
        shutil.copytree(root / ".selfmod", args.keep / root.name, ignore=shutil.ignore_patterns("*.lock"))
    try:
        rows = [r for r in json.loads(proc.stdout)["results"] if not str(r["reflection_id"]).startswith("selfmod-")]
        return rows[0], wall, ""
    except (ValueError, KeyError, IndexError, TypeError):
        return {"status": "crashed", "message": proc.stderr[-500:]}, wall, proc.stderr[-2000:]


def row_of(bug: str, kind: str, result: dict[str, Any], wall: float, right: bool | None) -> dict[str, Any]:
    usage = result.get("token_usage") or {}
    return {
        "bug": bug,
        "set": kind,
        "status": result.get("status"),
        "right": bool(right),
        "wrong_fix": result.get("status") == "applied" and not right,
        "attempts": result.get("attempts") or 0,
        "prompt_tokens": int(usage.get("input_tokens", 0)),
        "completion_tokens": int(usage.get("output_tokens", 0)),
        "calls": int(usage.get("calls", 0)),
        "seconds": round(wall, 1),
        "message": (result.get("message") or "")[:200],
    }


def repair_rows(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    rows = []
    for program in sorted(p for p in PROGRAMS.iterdir() if p.is_dir()):
        if (args.only and not program.name.startswith(args.only)) or program.name < args.start:
            continue
        root = work / program.name
        ignore = shutil.ignore_patterns("heldout", "reference", "meta.json", "__pycache__")
        shutil.copytree(program, root, ignore=ignore)
        (root / ".selfmod.toml").write_text(settings_toml(args.candidates, args.offline_first, None, args.patch_format))
        result, wall, _ = run_cli(root, args)
        right = None
        if result.get("status") == "applied":
            shutil.copytree(program / "heldout", root / "heldout")
            right = repair_bench._pytest_passes(root, ["heldout"])
        rows.append(report(row_of(program.name, "repair", result, wall, right)))
        save(args, rows)
    return rows


def realbug_rows(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    projects, bugs = load_bugs()
    rows = []
    wanted = set(args.projects.split(",")) if args.projects else set(projects)
    for bug in [b for b in bugs if b["project"] in wanted][args.skip : args.realbugs]:
        spec = projects[bug["project"]]
        repo = find_repo(args.repos, spec["repo"])
        case = load_case(repo, bug["project"], bug["fix"])
        if args.only and not case.id.startswith(args.only):
            continue
        case = reproduce(repo, case, spec, work / f"{case.id}-check")
        if not case.failing:
            continue
        root = work / case.id
        materialise(repo, case, spec["generated"], root)
        (root / "reflections.json").write_text(json.dumps([realbugs_bench.reflection(case)]))
        command = test_command(venv_python(case.project, spec["deps"]), case, spec["pythonpath"])
        (root / ".selfmod.toml").write_text(
            settings_toml(args.candidates, args.offline_first, command, args.patch_format)
        )
        result, wall, _ = run_cli(root, args)
        right = None
        if result.get("status") == "applied":
            after, _ = outcomes(command, root)
            right = all(after.get(t) == "passed" for t in case.failing) and all(
                after.get(t) == "passed" for t in case.passing
            )
        rows.append(report(row_of(case.id, "realbugs", result, wall, right)))
        save(args, rows)
    return rows


def save(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    """The rows so far, their summary and the run's settings to `--json` (when given), written atomically."""
    if not args.json:
        return
    meta = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "model": args.model,
        "candidates": args.candidates,
        "patch_format": args.patch_format,
        "offline_first": args.offline_first,
    }
    part = args.json.with_name(args.json.name + ".part")
    part.write_text(json.dumps({"meta": meta, "summary": summary(rows), "rows": rows}, indent=2) + "\n")
    part.replace(args.json)


def report(row: dict[str, Any]) -> dict[str, Any]:
    mark = "right" if row["right"] else ("WRONG" if row["wrong_fix"] else "-")
    print(f"{row['bug'][:30]:<31}{row['status']!s:<15}{mark:<7}att={row['attempts']} calls={row['calls']} "
          f"in={row['prompt_tokens']} out={row['completion_tokens']} {row['seconds']:>7.1f}s "
          f"{row['message'][:70]}", flush=True)  # fmt: skip
    return row


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals and medians per set."""
    out: dict[str, Any] = {}
    for kind in sorted({r["set"] for r in rows}):
        mine = [r for r in rows if r["set"] == kind]
        per_call = [r["prompt_tokens"] / r["calls"] for r in mine if r["calls"]]
        out[kind] = {
            "bugs": len(mine),
            "right": sum(r["right"] for r in mine),
            "applied": sum(r["status"] == "applied" for r in mine),
            "wrong_fixes": sum(r["wrong_fix"] for r in mine),
            "median_seconds": round(statistics.median(r["seconds"] for r in mine), 1),
            "median_prompt_tokens_per_bug": statistics.median(r["prompt_tokens"] for r in mine),
            "median_completion_tokens_per_bug": statistics.median(r["completion_tokens"] for r in mine),
            "median_prompt_tokens_per_call": round(statistics.median(per_call)) if per_call else 0,
            "max_prompt_tokens_per_call": round(max(per_call)) if per_call else 0,
            "total_prompt_tokens": sum(r["prompt_tokens"] for r in mine),
            "total_completion_tokens": sum(r["completion_tokens"] for r in mine),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:8765/v1"))
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--set", choices=["repair", "realbugs", "both"], default="both")
    parser.add_argument("--repos", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--realbugs", type=int, default=10, help="how many real bugs (in bugs.json order)")
    parser.add_argument("--skip", type=int, default=0, help="skip the first N of those real bugs (to resume)")
    parser.add_argument("--start", default="", help="bench/repair programs from this name on (to resume: --start 25)")
    parser.add_argument("--projects", help="only real bugs of these projects (comma-separated, as in bugs.json)")
    parser.add_argument("--candidates", type=int, default=1)
    parser.add_argument("--patch-format", choices=("tool_call", "code_block"), default="tool_call")
    parser.add_argument("--offline-first", action="store_true")
    parser.add_argument("--only", help="only bugs whose name starts with this")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="keep each bug's .selfmod (traces, audit) as KEEP/BUG")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="selfmod-llm-bench-") as tmp:
        if args.set in ("repair", "both"):
            rows += repair_rows(args, Path(tmp))
        if args.set in ("realbugs", "both"):
            rows += realbug_rows(args, Path(tmp))
    print(json.dumps(summary(rows), indent=2))
    save(args, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
