"""`selfmod run --model scripted:<file>` and the JSON contract: every row carries every key, for every status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from test_graph import BUG, FIX, FIXED_FILE, settings_for

from selfmod.demo import LLM_PY, write_sample_project
from selfmod.graph.build import build_graph
from selfmod.graph.result_rows import RESULT_KEYS
from selfmod.testing import ScriptedChatModel, tool_call
from selfmod.tools.changes.audit import AuditLog

SCRIPT = [
    {"tool": "log_bug_report", "args": BUG},
    {
        "tool": "propose_code_patch",
        "args": {"filename": "llm.py", "start_line": 4, "end_line": 6, "new_code": FIX, "explanation": "fix"},
    },
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "agent"
    root.mkdir()
    write_sample_project(root)
    (root / "pyproject.toml").write_text(
        '[tool.selfmod]\nenv_passthrough = ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]\ngit_commit = false\n'
    )
    return root


def selfmod(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "selfmod", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def run_json(project: Path, script: Path) -> dict[str, Any]:
    proc = selfmod(
        "run", "--project", str(project), "--model", f"scripted:{script}", "--yes", "--json", cwd=project.parent
    )
    assert proc.returncode == 0, proc.stderr
    payload: dict[str, Any] = json.loads(proc.stdout)
    for row in payload["results"]:
        assert set(row) >= set(RESULT_KEYS), row
    return payload


def test_run_with_a_scripted_model_applies_the_scripted_fix_and_rows_carry_every_key(project: Path) -> None:
    script = project.parent / "script.json"
    script.write_text(json.dumps(SCRIPT))
    [row] = run_json(project, script)["results"]
    assert set(row) == set(RESULT_KEYS)
    assert (row["status"], row["file"], row["function"], row["attempts"]) == ("applied", "llm.py", "dummy_function", 1)
    assert row["token_usage"]["total_tokens"] == 40
    assert (project / "llm.py").read_text() == FIXED_FILE
    [record] = [r for r in AuditLog(project / ".selfmod").records() if r.id == row["audit_id"]]
    assert record.status == "applied" and record.model == "scripted"

    rows = run_json(project, script)["results"]  # the same reflection again, and selfmod's own note about the fix
    [again] = [r for r in rows if r["reflection_id"] == row["reflection_id"]]
    assert all(set(r) == set(RESULT_KEYS) for r in rows) and len(rows) == 2
    assert set(again) == set(RESULT_KEYS)
    assert (again["status"], again["file"], again["function"], again["audit_id"]) == (
        "duplicate",
        "llm.py",
        "dummy_function",
        row["audit_id"],
    )
    assert row["audit_id"] in again["message"] and again["token_usage"] == {}


def test_disabled_rows_carry_every_key_and_leave_the_file_alone(project: Path) -> None:
    script = project.parent / "script.json"
    script.write_text(json.dumps(SCRIPT))
    assert selfmod("disable", "--project", str(project), cwd=project.parent).returncode == 0
    [row] = run_json(project, script)["results"]
    assert set(row) == set(RESULT_KEYS)
    assert (row["status"], row["file"], row["function"], row["attempts"]) == ("disabled", None, None, 0)
    assert row["audit_id"] and (project / "llm.py").read_text() == LLM_PY


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (None, "cannot be read"),
        ("{not json", "is not valid JSON"),
        ('{"tool": "log_bug_report"}', "must hold a JSON list"),
        ('[{"tool": 3}]', "answer 0 must be"),
    ],
)
def test_a_bad_script_is_refused_naming_the_file(project: Path, content: str | None, complaint: str) -> None:
    script = project.parent / "script.json"
    if content is not None:
        script.write_text(content)
    proc = selfmod(
        "run", "--project", str(project), "--model", f"scripted:{script}", "--yes", "--json", cwd=project.parent
    )
    assert proc.returncode == 2, proc.stderr
    assert complaint in proc.stderr and "script.json" in proc.stderr
    assert (project / "llm.py").read_text() == LLM_PY


def test_a_second_concurrent_run_that_finds_the_patch_applied_reports_duplicate(seed_project: Path) -> None:
    settings = settings_for(seed_project, auto_approve=True)
    runs = []
    for thread in ("first", "second"):  # both runs test the patch before either applies it
        model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), tool_call("propose_code_patch",
                                 **SCRIPT[1]["args"])])  # fmt: skip
        graph = build_graph(model=model, settings=settings, checkpointer=InMemorySaver())
        config: Any = {"configurable": {"thread_id": thread}, "recursion_limit": 500}
        graph.invoke({}, config, interrupt_before=["apply_patch"])
        assert graph.get_state(config).next == ("apply_patch",)
        runs.append((graph, config))
    [first] = runs[0][0].invoke(None, runs[0][1])["results"]
    [second] = runs[1][0].invoke(None, runs[1][1])["results"]
    assert first["status"] == "applied" and second["status"] == "duplicate"
    assert set(second) == set(RESULT_KEYS) and "another run applied it" in second["message"]
    assert (second["file"], second["function"]) == ("llm.py", "dummy_function")
    assert (seed_project / "llm.py").read_text() == FIXED_FILE
    statuses = {r.id: r.status for r in AuditLog(seed_project / ".selfmod").records()}
    assert (statuses[first["audit_id"]], statuses[second["audit_id"]]) == ("applied", "already_applied")
