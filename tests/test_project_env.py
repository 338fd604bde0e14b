"""The project's own environment: its interpreter for every run, helpers that need no selfmod there, failures
that are never "all pass", and a hanging test that becomes a failing target the offline engine fixes."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from selfmod.agents.offline.repair_search import Budget, search
from selfmod.config import Settings
from selfmod.errors import ConfigError
from selfmod.graph.build import build_graph
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.localize import localize, no_failing_test_message
from selfmod.tools.sandbox import Sandbox
from selfmod.tools.sandbox.interpreter import project_python, resolved_test_command

FAST = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"

GEOMETRY = """import tinydep


def area(width, height):
    return tinydep.scale(width + height)
"""
GEOMETRY_TESTS = """from geometry import area


def test_square():
    assert area(3, 3) == 9


def test_zero():
    assert area(0, 0) == 0
"""
TINYDEP = {
    "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
    '[project]\nname = "tinydep"\nversion = "1.0"\n\n[tool.setuptools]\npy-modules = ["tinydep"]\n',
    "tinydep.py": "def scale(value):\n    return value\n",
}


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv(FAST, "1")
    return [FAST]


def _distributions(name: str, seen: set[str]) -> None:
    """`name` and everything it requires on this interpreter (markers evaluated here)."""
    dist = importlib.metadata.distribution(name)
    key = dist.metadata["Name"].lower()
    if key in seen:
        return
    seen.add(key)
    for spec in dist.requires or []:
        req = Requirement(spec)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            _distributions(req.name, seen)


def _copy_distribution(name: str, site: Path) -> None:
    """Install an already installed distribution by copying its recorded files (no network, no index)."""
    dist = importlib.metadata.distribution(name)
    for file in dist.files or []:
        source = Path(str(dist.locate_file(file)))
        if file.parts[0] == ".." or not source.is_file() or "__pycache__" in file.parts:
            continue
        target = site / file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def make_venv(where: Path, local_package: Path) -> Path:
    """A virtualenv with pytest (copied from this one) and a local package built and installed by pip without an
    index; neither selfmod nor coverage.py is in it."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    python = where / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    needed: set[str] = set()
    _distributions("pytest", needed)
    for name in sorted(needed):
        _copy_distribution(name, site)
    for name, text in TINYDEP.items():
        (local_package / name).parent.mkdir(parents=True, exist_ok=True)
        (local_package / name).write_text(text)
    wheels = local_package / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-index", "--no-build-isolation", "--no-deps"]
    subprocess.run([*build, "-w", str(wheels), str(local_package)], check=True, timeout=300, capture_output=True)
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index"]
    subprocess.run([*install, *map(str, wheels.glob("*.whl"))], check=True, timeout=300, capture_output=True)
    return python


@pytest.fixture
def venv_project(tmp_path: Path) -> Path:
    """A project whose dependency `tinydep` is only in its own `.venv`; `area` adds instead of multiplying."""
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "geometry.py").write_text(GEOMETRY)
    (root / "tests" / "test_geometry.py").write_text(GEOMETRY_TESTS)
    make_venv(root / ".venv", tmp_path / "tinydep")
    return root


def _imports(python: Path | str, module: str) -> bool:
    done = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, cwd="/", timeout=60)
    return done.returncode == 0


def test_the_venv_fixture_has_the_dependency_but_neither_selfmod_nor_coverage(venv_project: Path) -> None:
    python = venv_project / ".venv" / "bin" / "python"
    assert _imports(python, "tinydep") and _imports(python, "pytest")
    assert not _imports(python, "selfmod") and not _imports(python, "coverage")
    assert not _imports(sys.executable, "tinydep")


def test_a_dependency_only_in_the_projects_venv_runs_localises_and_repairs(venv_project: Path, fast: list[str]) -> None:
    settings = Settings(project_root=venv_project, env_passthrough=fast)
    python = str(venv_project / ".venv" / "bin" / "python")
    assert project_python(settings) == python
    baseline = Sandbox(settings).baseline()
    assert baseline.command[0] == python
    outcomes = {t.name: t.outcome for t in baseline.tests}
    assert outcomes == {"tests/test_geometry.py::test_square": "failed", "tests/test_geometry.py::test_zero": "passed"}
    loc = localize(settings)
    assert loc is not None and loc.problem == "" and loc.tracer in ("settrace", "monitoring")
    assert loc.failing == ["tests/test_geometry.py::test_square"]
    assert loc.passing == ["tests/test_geometry.py::test_zero"]
    assert loc.line_score("geometry.py", 5) == pytest.approx(1 / 2**0.5)
    assert set(loc.coverage) == {"geometry.py", "tests/test_geometry.py"}
    assert "assert 6 == 9" in loc.messages["tests/test_geometry.py::test_square"]
    result = search(settings, "geometry.py", "area", loc, set(), Budget())
    assert any("width * height" in c.source for c in result.plausible)
    assert (venv_project / "geometry.py").read_text() == GEOMETRY


def test_selfmods_interpreter_without_the_dependency_is_a_failure_with_its_message(
    venv_project: Path, fast: list[str]
) -> None:
    settings = Settings(project_root=venv_project, env_passthrough=fast, python=sys.executable)
    loc = localize(settings)
    assert loc is not None and loc.failing == [] and loc.passing == []
    assert "collecting tests/test_geometry.py failed" in loc.problem
    assert "ModuleNotFoundError: No module named 'tinydep'" in loc.problem
    message = no_failing_test_message(loc)
    assert message.startswith("offline repair needs a failing test that shows the bug; the project's tests did not run")
    assert "No module named 'tinydep'" in message


def test_no_tests_is_a_problem_not_all_pass(tmp_path: Path, fast: list[str]) -> None:
    (tmp_path / "lib.py").write_text("def f():\n    return 1\n")
    loc = localize(Settings(project_root=tmp_path, env_passthrough=fast))
    assert loc is not None and loc.outcomes == {}
    assert loc.problem == "the test command collected no tests"
    assert no_failing_test_message(loc).endswith("the project's tests did not run: the test command collected no tests")


def test_interpreter_resolution(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    assert project_python(Settings(project_root=root)) == sys.executable
    assert resolved_test_command(Settings(project_root=root, test_command="pytest -x")) == [
        sys.executable,
        "-m",
        "pytest",
        "-x",
    ]
    (root / "venv" / "bin").mkdir(parents=True)
    (root / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    python = root / "venv" / "bin" / "python"
    python.symlink_to(sys.executable)
    script = root / "venv" / "bin" / "pytest"
    script.write_text(f"#!{python}\n")
    script.chmod(0o755)
    assert project_python(Settings(project_root=root)) == str(python)
    assert resolved_test_command(Settings(project_root=root, test_command="python3 -m pytest")) == [
        str(python),
        "-m",
        "pytest",
    ]
    settings = Settings(project_root=root, test_command="venv/bin/pytest -q")
    assert resolved_test_command(settings) == [str(script), "-q"] and project_python(settings) == str(python)
    assert project_python(Settings(project_root=root, python=sys.executable)) == sys.executable
    with pytest.raises(ConfigError, match=r"python setting 'venv/bin/python9'"):
        project_python(Settings(project_root=root, python="venv/bin/python9"))


COUNTER = """def total(values):
    result = 0
    i = 0
    while i < len(values):
        result += values[i]
    return result
"""
COUNTER_TESTS = """from counter import total


def test_total():
    assert total([1, 2, 3]) == 6


def test_empty():
    assert total([]) == 0
"""


@pytest.fixture
def hanging_project(tmp_path: Path) -> Path:
    root = tmp_path / "hang"
    (root / "tests").mkdir(parents=True)
    (root / "counter.py").write_text(COUNTER)
    (root / "tests" / "test_counter.py").write_text(COUNTER_TESTS)
    text = "The function 'total' in 'counter.py' hangs and never returns for a non-empty list; that is a bug."
    reflection = {"id": "r1", "reflection": text}
    (root / "reflections.json").write_text(json.dumps([reflection]))
    return root


def test_a_hanging_test_fails_with_its_timeout_and_the_session_goes_on(hanging_project: Path, fast: list[str]) -> None:
    settings = Settings(project_root=hanging_project, env_passthrough=fast, test_timeout=10)
    run = Sandbox(settings).run()
    outcomes = {t.name.rsplit("::", 1)[-1]: t for t in run.tests}
    assert not run.timed_out and run.results_found
    assert outcomes["test_empty"].outcome == "passed"
    assert outcomes["test_total"].outcome == "failed"
    assert "timed out after 2 s" in outcomes["test_total"].message
    loc = localize(settings)
    assert loc is not None and loc.failing == ["tests/test_counter.py::test_total"] and loc.problem == ""
    assert loc.line_score("counter.py", 5) == 1.0
    assert loc.line_score("counter.py", 4) == pytest.approx(1 / 2**0.5)


def test_the_offline_engine_fixes_a_hanging_test_end_to_end(hanging_project: Path, fast: list[str]) -> None:
    settings = Settings(
        project_root=hanging_project, env_passthrough=fast, test_timeout=10, auto_approve=True, git_commit=False
    )
    out = build_graph(model=None, settings=settings).invoke({}, {"recursion_limit": 500})
    [result] = out["results"]
    assert (result["status"], result["function"]) == ("applied", "total"), result["message"]
    fixed = (hanging_project / "counter.py").read_text()
    namespace: dict[str, object] = {}
    exec(compile(fixed, "counter.py", "exec"), namespace)
    total = namespace["total"]
    assert callable(total) and total([1, 2, 3]) == 6 and total([]) == 0
    record = AuditLog(hanging_project / ".selfmod").find(result["audit_id"])
    assert record is not None and record.test_run is not None
    assert (record.test_run.passed, record.test_run.failed) == (2, 0)
