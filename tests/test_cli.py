"""The command line, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_runs_offline_and_shows_the_fix(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "selfmod", "demo", "--keep", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"},
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "[placeholder]" in proc.stdout
    assert "+    if not words:" in proc.stdout
    assert "3 passed, 0 failed" in proc.stdout
    assert "audit chain intact: True" in proc.stdout
    patched = (tmp_path / "demo" / "llm.py").read_text()
    assert '    if not words:\n        return ""\n' in patched and patched.count("def dummy_function(text):") == 1
    assert (tmp_path / "demo" / "reflections.json").is_file()


def test_no_arguments_shows_help(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "selfmod"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2
    assert "demo" in proc.stdout + proc.stderr
