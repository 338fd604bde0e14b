"""The command line, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_demo_runs_offline_and_shows_the_fix(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "COLUMNS": "120", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "selfmod", "demo", "--keep", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for shown in (
        "does not handle empty input",
        '"function": "dummy_function"',
        "+    if not text:",
        "3 passed, 0 failed",
    ):
        assert shown in out, shown
    assert "audit chain intact: True" in out
    patched = (tmp_path / "demo" / "llm.py").read_text()
    assert "    if not text:\n" in patched and patched.count("def dummy_function(text):") == 1
    namespace: dict[str, object] = {}
    exec(compile(patched, "llm.py", "exec"), namespace)
    fixed = namespace["dummy_function"]
    assert fixed("") == "" and fixed("hello world") == "HELLO"  # type: ignore[operator]
    records = [json.loads(line) for line in (tmp_path / "demo" / ".selfmod" / "audit.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records] == ["applying", "applied"] and records[-1]["model"] == "offline"


def test_no_arguments_shows_help(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "selfmod"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2
    assert "demo" in proc.stdout + proc.stderr
