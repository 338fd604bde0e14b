"""The offline engine runs the project's tests with the project's own pytest options (a src layout's pythonpath)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import selfmod
from selfmod.tools.changes.audit import AuditLog

CALC = "def mean(values):\n    return sum(values) / len(values)\n"
TESTS = """from pkg.calc import mean


def test_mean():
    assert mean([1, 2, 3]) == 2


def test_mean_of_nothing():
    assert mean([]) == 0
"""


def test_a_src_layout_project_is_repaired_with_its_pythonpath_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    root = tmp_path / "proj"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "src" / "pkg" / "__init__.py").write_text("")
    (root / "src" / "pkg" / "calc.py").write_text(CALC)
    (root / "tests" / "test_calc.py").write_text(TESTS)
    reflection = "The function 'mean' in 'src/pkg/calc.py' fails on empty input: test_mean_of_nothing fails."
    (root / "reflections.json").write_text(json.dumps([{"id": "r1", "reflection": reflection}]))
    out = selfmod.run_self_modification(
        root,
        model=None,
        test_command=["python", "-m", "pytest", "-q", "-o", "pythonpath=src"],
        env_passthrough=["PYTEST_DISABLE_PLUGIN_AUTOLOAD"],
        git_commit=False,
    )
    [result] = out["results"]
    assert result["status"] == "applied", result["message"]
    fixed = (root / "src" / "pkg" / "calc.py").read_text()
    assert fixed != CALC and "len(values)" in fixed
    [record] = [r for r in AuditLog(root / ".selfmod").records() if r.status == "applied"]
    assert record.test_run is not None and (record.test_run.passed, record.test_run.failed) == (2, 0)
