"""`selfmod demo`: a sample agent project with a seeded bug, repaired end to end by the offline engine."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax

from selfmod.api import drive, run_config
from selfmod.config import Settings
from selfmod.graph.build import build_graph
from selfmod.graph.checkpoint import sqlite_checkpointer
from selfmod.models import Reflection
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.sandbox import summary

LLM_PY = '''"""The sample agent's text utilities."""


def dummy_function(text):
    """Return the first word of the text, upper-cased."""
    return text.split()[0].upper()


def word_count(text):
    return len(text.split())
'''

TEST_LLM_PY = """from llm import dummy_function, word_count


def test_first_word():
    assert dummy_function("hello world") == "HELLO"


def test_empty_input():
    assert dummy_function("") == ""


def test_word_count():
    assert word_count("a b c") == 3
"""

SEED_REFLECTION = {
    "id": "seed-1",
    "timestamp": "2025-07-01T00:00:00Z",
    "task_summary": "Test bug in dummy_function",
    "outcome": "Function failed on edge case.",
    "reflection": "1. What failed?\n- The function 'dummy_function' in 'llm.py' does not handle empty input correctly.",
}

FAST_PYTEST = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
STAGES = {
    "extract_bug": "extracted the bug report",
    "locate": "located the code",
    "write_patch": "searched for a repair",
    "review_patch": "critic reviewed the patch",
    "test_patch": "tested it in the sandbox",
    "apply_patch": "applied and audited",
}


def write_sample_project(root: Path) -> None:
    """Create the sample agent project (code, tests, reflections) under `root`."""
    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "llm.py").write_text(LLM_PY)
    (root / "tests" / "test_llm.py").write_text(TEST_LLM_PY)
    (root / "reflections.json").write_text(json.dumps([SEED_REFLECTION], indent=2))
    (root / "pyproject.toml").write_text(f'[tool.selfmod]\nenv_passthrough = ["{FAST_PYTEST}"]\n')


def run_demo(root: Path, console: Console) -> int:
    """Run the whole graph offline with auto-approval and show each stage's result; returns an exit code."""
    write_sample_project(root)
    os.environ.setdefault(FAST_PYTEST, "1")  # the sample project needs no third-party pytest plugins
    settings = Settings(project_root=root, auto_approve=True, env_passthrough=[FAST_PYTEST], git_commit=False)
    reflection = Reflection.model_validate(SEED_REFLECTION)
    console.print(Panel(escape(reflection.reflection), title=f"reflection {reflection.id} (reflections.json)"))
    console.print(Syntax(LLM_PY, "python", line_numbers=True))

    def on_update(node: str, update: dict[str, object]) -> None:
        if node in STAGES:
            console.print(f"[green]✓[/green] {STAGES[node]}")

    with sqlite_checkpointer(settings) as saver:
        graph = build_graph(model=None, settings=settings, checkpointer=saver)
        values = drive(graph, {}, run_config("demo", settings.state_dir), on_update=on_update)
    [result] = values["results"]
    record = AuditLog(settings.state_dir).find(result.get("audit_id") or "")
    if result["status"] != "applied" or record is None:
        console.print(f"[red]not fixed: {result['status']} {escape(str(result.get('message')))}[/red]")
        return 1
    assert record.bug_report is not None and record.test_run is not None and record.proposal is not None
    console.print(Panel(escape(record.bug_report.model_dump_json(indent=2)), title="bug report (log_bug_report)"))
    console.print(Panel(escape(record.proposal.explanation), title="the repair"))
    console.print(Syntax(record.diff, "diff"))
    console.print(Panel(escape(summary(record.test_run)), title="the project's tests, in the sandbox"))
    shown = record.model_dump(mode="json", exclude={"diff", "test_run", "proposal", "bug_report", "verdict"})
    console.print(Panel(escape(json.dumps(shown, indent=2)), title=".selfmod/audit.jsonl (last record)"))
    console.print(f"audit chain intact: {AuditLog(settings.state_dir).verify().ok}")
    return 0
