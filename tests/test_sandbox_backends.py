"""Choosing the sandbox backend: `auto` falls back and says so, `bwrap` refuses to run without it, doctor explains."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CALC, CALC_TESTS

from selfmod.tools.sandbox import bwrap

SCRIPT = """
import json, sys
from selfmod.config import Settings
from selfmod.errors import SandboxError
from selfmod.tools.sandbox import Sandbox
try:
    run = Sandbox(Settings(project_root=sys.argv[1], sandbox=sys.argv[2])).run()
    print(json.dumps({"isolation": run.isolation, "note": run.isolation_note, "passed": run.passed}))
except SandboxError as exc:
    print(json.dumps({"error": str(exc)}))
"""


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text(CALC)
    (root / "tests" / "test_calc.py").write_text(CALC_TESTS)
    return root


def _without_bwrap(tmp_path: Path, *args: str) -> dict[str, str]:
    """Run SCRIPT where no bwrap is on PATH (the interpreter is given by its full path)."""
    env = {"PATH": str(tmp_path / "empty-bin"), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "LANG": "C.UTF-8"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_auto_falls_back_to_the_process_sandbox_and_says_why(tmp_path: Path) -> None:
    result = _without_bwrap(tmp_path, str(_project(tmp_path)), "auto")
    assert result["isolation"] == "process"
    assert "bwrap is not installed" in result["note"]
    assert result["passed"] == 2


def test_bwrap_required_but_missing_is_a_clear_error(tmp_path: Path) -> None:
    result = _without_bwrap(tmp_path, str(_project(tmp_path)), "bwrap")
    assert result == {
        "error": "sandbox = 'bwrap' but the namespace sandbox cannot start: bwrap is not installed "
        "(Debian/Ubuntu: apt-get install bubblewrap)"
    }


def test_doctor_reports_the_isolation_this_machine_offers(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "selfmod", "doctor", "--project", str(_project(tmp_path))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith(("ok  bwrap installed", "no  bwrap installed")) for line in lines)
    expected = "namespaces" if bwrap.probe().works else "process"
    assert lines[-1].startswith(f"sandbox = 'auto' -> isolation: {expected}")


def test_a_project_can_choose_the_process_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from selfmod.config import load_settings
    from selfmod.tools.sandbox import Sandbox

    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    root = _project(tmp_path)
    (root / ".selfmod.toml").write_text('sandbox = "process"\nenv_passthrough = ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]\n')
    run = Sandbox(load_settings(root)).run()
    assert run.isolation == "process" and "chosen by settings" in run.isolation_note
    assert (run.passed, run.failed) == (2, 1)
