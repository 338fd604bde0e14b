"""Real bugs from real projects through the whole graph, in two modes, graded by the fix commit's tests.

    python bench/realbugs/run.py --repos DIR [--mode oracle|offline|both] [--only ID] [--json PATH]

DIR holds the projects' git repositories (as the search tool's `fetch` lays them out, `owner+name/repo`, or plain
clones named after the project). Nothing of them is vendored here: each bug is materialised from git at run time
(`cases.py`), each project's test dependencies live in a cached virtualenv.

`oracle`: the scripted model answers `log_bug_report` with the bug's file and function and then the developers'
own fix, in the messy shapes real models produce (fenced, with prose, shifted or 0-based line numbers, extra
indentation); fixes of several functions go through `propose_edits` when that tool exists. `offline`: the built-in
engine. A bug counts as fixed when selfmod applied a patch and, in the live tree afterwards, every test the fix
commit made pass passes and every test that passed before still passes.
"""

from __future__ import annotations

import argparse
import ast
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from cases import Case, find_repo, load_bugs, load_case, materialise, outcomes, reproduce, test_command, venv_python

import selfmod
from selfmod.testing import ScriptedChatModel, tool_call

SHAPES = ("fenced", "shifted", "zero_based", "indented", "plain")


def symbol_span(text: str, qualname: str) -> tuple[int, int]:
    """1-based first line (decorators included) and last line of a function or class."""
    node: Any = ast.parse(text)
    for part in qualname.split("."):
        node = next(
            n
            for n in ast.iter_child_nodes(node)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == part
        )
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return first, node.end_lineno


def symbol_source(text: str, qualname: str) -> str:
    first, last = symbol_span(text, qualname)
    return "".join(text.splitlines(True)[first - 1 : last])


def messy_patch(case: Case, qualname: str, shape: str) -> Any:
    """The developers' version of one function as `propose_code_patch`, in one of the shapes models produce."""
    start, end = symbol_span(case.buggy_text, qualname)
    code = symbol_source(case.fixed_text, qualname)
    if shape == "fenced":
        code = f"Here is the corrected function:\n\n```python\n{code}```\nThis handles the failing case."
    elif shape == "shifted":
        start, end = start + 3, end + 3
    elif shape == "zero_based":
        start, end = start - 1, end - 1
    elif shape == "indented":
        code = "".join("    " + line if line.strip() else line for line in code.splitlines(True))
    return tool_call(
        "propose_code_patch",
        filename=case.source,
        start_line=start,
        end_line=end,
        new_code=code,
        explanation="the developers' fix",
    )


def edits_answer(case: Case) -> Any:
    """Several functions (or module-level code) at once, as `propose_edits`."""
    edits = []
    for name in case.changed:
        if name == "<module>":
            continue
        edits.append({"filename": case.source, "symbol": name, "new_code": symbol_source(case.fixed_text, name)})
    return tool_call("propose_edits", edits=edits, explanation="the developers' fix")


def has_edits_tool() -> bool:
    try:
        from selfmod.tools import llm_tools
    except ImportError:
        return False
    return "propose_edits" in Path(llm_tools.__file__).read_text()


def blamed(case: Case) -> str:
    """The function an agent would name: the public one among those the fix changed."""
    names = [n for n in case.changed if n != "<module>"]
    public = [n for n in names if not n.split(".")[-1].startswith("_")]
    return (public or names or ["<module>"])[0]


def reflection(case: Case) -> dict[str, str]:
    """What an agent writes after seeing the failure: the call, the failing test, the error; never the fix."""
    name = blamed(case)
    text = (
        f"The function '{name}' in '{case.source}' does not behave as expected: "
        f"the test {case.failing[0]} fails with: {case.failure or 'a failure'}."
    )
    return {"id": case.id, "task_summary": f"use {name}", "outcome": "failed", "reflection": text}


def oracle_model(case: Case, index: int) -> tuple[ScriptedChatModel | None, str]:
    name = blamed(case)
    report = tool_call(
        "log_bug_report",
        filename=case.source,
        function=name,
        summary=f"{name} fails {case.failing[0]}",
        severity="medium",
    )
    several = len([n for n in case.changed if n != "<module>"]) > 1 or "<module>" in case.changed
    if several and not has_edits_tool():
        return None, "the fix changes several functions and propose_edits is not available"
    answer = edits_answer(case) if several else messy_patch(case, name, SHAPES[index % len(SHAPES)])
    return ScriptedChatModel(responses=[report, answer, answer, answer]), "propose_edits" if several else "patch"


def run_bug(repo: Path, case: Case, spec: dict[str, Any], mode: str, index: int, workdir: Path) -> dict[str, Any]:
    root = workdir / f"{case.id}-{mode}"
    materialise(repo, case, spec["generated"], root)
    (root / "reflections.json").write_text(json.dumps([reflection(case)]))
    python = venv_python(case.project, spec["deps"])
    command = test_command(python, case, spec["pythonpath"])
    row: dict[str, Any] = {"bug": case.id, "mode": mode, "changed": case.changed, "failing": len(case.failing)}
    model: Any = None
    if mode == "oracle":
        model, row["answer"] = oracle_model(case, index)
        if model is None:
            return {**row, "status": "skipped", "fixed": False, "message": row["answer"]}
    started = time.perf_counter()
    out = selfmod.run_self_modification(
        root, model=model, test_command=command, git_commit=False, test_timeout=300, run_time_budget=600
    )
    row["seconds"] = round(time.perf_counter() - started, 2)
    result = (out.get("results") or [{}])[0]
    row.update(status=result.get("status"), message=(result.get("message") or "")[:300])
    row["durations"] = result.get("durations") or {}
    after, _ = outcomes(command, root)
    row["fixed_tests_pass"] = all(after.get(t) == "passed" for t in case.failing)
    row["regressions"] = sorted(t for t in case.passing if after.get(t) != "passed")
    row["fixed"] = row["status"] == "applied" and row["fixed_tests_pass"] and not row["regressions"]
    row["wrong_fix"] = row["status"] == "applied" and not row["fixed"]
    return row


def summarise(rows: list[dict[str, Any]], mode: str) -> str:
    mine = [r for r in rows if r["mode"] == mode]
    fixed = sum(r["fixed"] for r in mine)
    wrong = sum(r.get("wrong_fix", False) for r in mine)
    times = [r["seconds"] for r in mine if "seconds" in r]
    median = statistics.median(times) if times else 0.0
    return f"{mode}: {fixed}/{len(mine)} fixed, {wrong} applied but wrong, median {median:.1f} s per bug"


def table(rows: list[dict[str, Any]]) -> str:
    """The results as a markdown table, a row per bug and mode."""
    lines = [
        "| bug | changed | mode | status | fixed (fix tests pass, no regression) | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        changed = ", ".join(r.get("changed", []))
        fixed = "yes" if r.get("fixed") else ("applied but wrong" if r.get("wrong_fix") else "no")
        lines.append(f"| {r['bug']} | {changed} | {r['mode']} | {r['status']} | {fixed} | {r.get('seconds', '')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=Path, required=True, help="folder holding the projects' git repositories")
    parser.add_argument("--mode", choices=["oracle", "offline", "both"], default="both")
    parser.add_argument("--only", action="append", default=[], help="bug id (project-fixprefix), repeatable")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    projects, bugs = load_bugs()
    modes = ["oracle", "offline"] if args.mode == "both" else [args.mode]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="selfmod-realbugs-") as tmp:
        for index, bug in enumerate(bugs):
            spec = projects[bug["project"]]
            repo = find_repo(args.repos, spec["repo"])
            case = load_case(repo, bug["project"], bug["fix"])
            if args.only and case.id not in args.only:
                continue
            case = reproduce(repo, case, spec, Path(tmp) / f"{case.id}-check")
            if not case.failing:
                rows.append({"bug": case.id, "mode": "-", "status": "not reproduced", "fixed": False})
                continue
            for mode in modes:
                row = run_bug(repo, case, spec, mode, index, Path(tmp))
                rows.append(row)
                print(f"{row['bug']:28} {mode:8} {row['status']!s:14} fixed={row['fixed']!s:5} "
                      f"{row.get('seconds', 0):6.1f}s {row.get('message', '')[:90]}", flush=True)  # fmt: skip
    print()
    print(table(rows))
    print()
    for mode in modes:
        print(summarise(rows, mode))
    if args.json:
        meta = {
            "date": date.today().isoformat(),
            "machine": f"{platform.machine()}, Python {platform.python_version()}",
        }
        args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
