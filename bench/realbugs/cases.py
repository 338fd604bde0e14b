"""Real bugs from real projects' git histories, materialised at run time (never vendored).

A case is a fix commit that touches one source file and adds or changes tests. The buggy tree is the fix's
parent with the fix commit's versions of the test files laid over it; the tests that fail there and pass on the
fix are what the bug must fix, the others in those files must keep passing.
"""

from __future__ import annotations

import ast
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selfmod.tools.sandbox.results import PLUGIN, PLUGIN_DIR, REPORT_NAME, read_report

HERE = Path(__file__).parent
VENVS = Path(os.environ.get("SELFMOD_BENCH_CACHE", Path.home() / ".cache" / "selfmod-bench")) / "venvs"
PASSED = "passed"


@dataclass
class Case:
    """One real bug: where it lives, what the developers changed, and which tests judge it."""

    id: str
    project: str
    fix: str
    source: str
    test_files: list[str]
    buggy_text: str
    fixed_text: str
    changed: list[str]
    subject: str
    failing: list[str] = field(default_factory=list)
    passing: list[str] = field(default_factory=list)
    failure: str = ""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def git_bytes(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout


def find_repo(repos: Path, name: str) -> Path:
    """A project's git directory under `repos`: `owner+name/repo` (as fetched), `name`, or `owner/name`."""
    owner, _, short = name.partition("/")
    for candidate in (repos / f"{owner}+{short}" / "repo", repos / short, repos / owner / short, repos / name):
        if (candidate / "HEAD").is_file() or (candidate / ".git").exists():
            return candidate
    raise SystemExit(f"repository {name} not found under {repos} (fetch it, or clone it there)")


def symbols(text: str) -> dict[str, str]:
    """Each function's and class's source by qualified name, and `<module>` for the statements outside them."""
    tree = ast.parse(text)
    found: dict[str, str] = {}
    module_parts: list[str] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                body = [ast.get_source_segment(text, s) or "" for s in child.body if not _is_def(s)]
                found[name] = ast.dump(child.args) if not isinstance(child, ast.ClassDef) else ""
                found[name] += "\n".join(body) + "".join(
                    ast.get_source_segment(text, d) or "" for d in child.decorator_list
                )
                visit(child, f"{name}.")

    visit(tree, "")
    for stmt in tree.body:
        if not _is_def(stmt):
            module_parts.append(ast.get_source_segment(text, stmt) or "")
    found["<module>"] = "\n".join(module_parts)
    return found


def _is_def(node: ast.AST) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)


def changed_symbols(before: str, after: str) -> list[str]:
    """Qualified names whose own code differs (a method's change is not its class's), `<module>` included."""
    old, new = symbols(before), symbols(after)
    return sorted(n for n in old.keys() | new.keys() if old.get(n) != new.get(n) and n in old)


def load_case(repo: Path, project: str, fix: str) -> Case:
    """Read what the fix commit changed."""
    files = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", fix).split()
    tests = [f for f in files if f.endswith(".py") and "test" in f.lower()]
    sources = [f for f in files if f.endswith(".py") and f not in tests and not f.startswith(("docs/", "setup"))]
    if len(sources) != 1 or not tests:
        raise ValueError(f"{fix[:10]}: not one source file plus tests ({sources}, {tests})")
    source = sources[0]
    before, after = git(repo, "show", f"{fix}^:{source}"), git(repo, "show", f"{fix}:{source}")
    subject = git(repo, "log", "-1", "--format=%s", fix).strip()
    return Case(
        id=f"{project}-{fix[:8]}",
        project=project,
        fix=fix,
        source=source,
        test_files=tests,
        buggy_text=before,
        fixed_text=after,
        changed=changed_symbols(before, after),
        subject=subject,
    )


def materialise(repo: Path, case: Case, generated: dict[str, str], dest: Path, *, fixed: bool = False) -> None:
    """The buggy tree (or the fixed one) with the fix commit's test files, plus files a build would generate."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = git_bytes(repo, "archive", case.fix if fixed else f"{case.fix}^")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    for test in case.test_files:
        (dest / test).parent.mkdir(parents=True, exist_ok=True)
        (dest / test).write_bytes(git_bytes(repo, "show", f"{case.fix}:{test}"))
    for rel, text in generated.items():
        (dest / rel).write_text(text)


def venv_python(project: str, deps: list[str]) -> str:
    """A cached virtualenv with pytest and the project's test dependencies (not the project itself)."""
    root = VENVS / project
    python = root / "bin" / "python"
    stamp = root / "deps.json"
    wanted = json.dumps(sorted(["pytest", *deps]))
    if python.is_file() and stamp.is_file() and stamp.read_text() == wanted:
        return str(python)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "pytest", *deps], check=True)
    stamp.write_text(wanted)
    return str(python)


def test_command(python: str, case: Case, pythonpath: list[str]) -> list[str]:
    """The fix commit's test files only (the tests that judge this bug), with the project's import path."""
    extra = ["-o", f"pythonpath={' '.join(pythonpath)}"] if pythonpath else []
    return [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, *case.test_files]


def outcomes(command: list[str], root: Path, timeout: float = 300) -> tuple[dict[str, str], dict[str, str]]:
    """Each test's outcome from pytest's own reports (selfmod's plugin), and the failure messages."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / REPORT_NAME
        env = {**os.environ, "PYTHONPATH": str(PLUGIN_DIR), "SELFMOD_REPORT_FILE": str(report)}
        env.pop("SELFMOD_CANARY", None)
        done = subprocess.run(
            [*command, "-p", PLUGIN], cwd=root, env=env, capture_output=True, text=True, timeout=timeout
        )
        found = read_report(report, None)
    if not found.found:
        raise RuntimeError(f"no test results in {root}: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return {t.name: t.outcome for t in found.tests}, {t.name: t.message for t in found.tests if t.message}


def reproduce(repo: Path, case: Case, spec: dict[str, Any], workdir: Path) -> Case:
    """Fill in which tests fail on the buggy tree and pass on the fix; a case without any is not a bug here."""
    python = venv_python(case.project, spec["deps"])
    command = test_command(python, case, spec["pythonpath"])
    buggy, fixed = workdir / "buggy", workdir / "fixed"
    materialise(repo, case, spec["generated"], buggy)
    materialise(repo, case, spec["generated"], fixed, fixed=True)
    before, messages = outcomes(command, buggy)
    after, _ = outcomes(command, fixed)
    case.failing = sorted(t for t, o in before.items() if o != PASSED and after.get(t) == PASSED)
    case.passing = sorted(t for t, o in before.items() if o == PASSED and after.get(t) == PASSED)
    case.failure = failure_line(messages.get(case.failing[0], "")) if case.failing else ""
    return case


def failure_line(message: str) -> str:
    """What an agent sees of a failure: the exception or assertion lines pytest marks with `E`."""
    lines = [line[1:].strip() for line in message.splitlines() if line.startswith("E ")]
    return " ".join(lines)[:400] or message.strip().splitlines()[-1][:400] if message.strip() else ""


def load_bugs() -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The projects (repository, test dependencies, import path, generated files) and the bug list."""
    projects = json.loads((HERE / "projects.json").read_text())
    bugs = json.loads((HERE / "bugs.json").read_text())
    return projects, bugs
