"""`selfmod run` and `selfmod resume` as a user runs them, against the local OpenAI-compatible stub."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openai_stub import serve, tool
from test_graph import BUG, FIX, FIXED_FILE

from selfmod.demo import LLM_PY, write_sample_project
from selfmod.tools.changes.audit import AuditLog

CONTRACT = {"reflection_id", "status", "file", "function", "attempts", "audit_id"}


def proposal(code: str) -> dict[str, object]:
    return tool("propose_code_patch", filename="llm.py", start_line=4, end_line=6, new_code=code, explanation="fix")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "agent"
    root.mkdir()
    write_sample_project(root)
    (root / "pyproject.toml").write_text(
        '[tool.selfmod]\nenv_passthrough = ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]\ngit_commit = false\n'
    )
    return root


def env(base_url: str | None = None) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    out.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", COLUMNS="200")
    if base_url:
        out.update(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=base_url)
    return out


def selfmod(*args: str, cwd: Path, base_url: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "selfmod", *args],
        cwd=cwd.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env=env(base_url),
        stdin=subprocess.DEVNULL,
    )


def test_run_yes_json_applies_and_prints_one_json_object(project: Path) -> None:
    with serve([tool("log_bug_report", **BUG), proposal(FIX)]) as stub:
        proc = selfmod(
            "run",
            "--project",
            str(project),
            "--model",
            "openai:stub",
            "--yes",
            "--json",
            cwd=project,
            base_url=stub.base_url,
        )
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    [result] = payload["results"]
    assert set(result) >= CONTRACT and result["status"] == "applied"
    assert payload["token_usage"]["total_tokens"] == 240
    assert (project / "llm.py").read_text() == FIXED_FILE


def test_run_without_yes_and_without_a_terminal_waits_then_resume_approve_applies(project: Path) -> None:
    with serve([tool("log_bug_report", **BUG), proposal(FIX)]) as stub:
        proc = selfmod(
            "run", "--project", str(project), "--model", "openai:stub", "--json", cwd=project, base_url=stub.base_url
        )
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert [r["status"] for r in payload["results"]] == ["awaiting_approval"]
    assert (project / "llm.py").read_text() == LLM_PY
    thread = payload["thread_id"]
    resumed = selfmod(
        "resume", thread, "--project", str(project), "--approve", "--json", "--model", "offline", cwd=project
    )
    assert resumed.returncode == 0, resumed.stderr
    assert [r["status"] for r in json.loads(resumed.stdout)["results"]] == ["applied"]
    assert (project / "llm.py").read_text() == FIXED_FILE


def test_resume_reject_applies_nothing(project: Path) -> None:
    with serve([tool("log_bug_report", **BUG), proposal(FIX)]) as stub:
        proc = selfmod(
            "run", "--project", str(project), "--model", "openai:stub", "--json", cwd=project, base_url=stub.base_url
        )
    thread = json.loads(proc.stdout)["thread_id"]
    resumed = selfmod(
        "resume", thread, "--project", str(project), "--reject", "--json", "--model", "offline", cwd=project
    )
    assert resumed.returncode == 0, resumed.stderr
    assert [r["status"] for r in json.loads(resumed.stdout)["results"]] == ["rejected"]
    assert (project / "llm.py").read_bytes() == LLM_PY.encode()
    assert [r.status for r in AuditLog(project / ".selfmod").records()] == ["awaiting_approval", "rejected"]


def test_a_run_killed_midway_resumes_from_its_checkpoint(project: Path, tmp_path: Path) -> None:
    (project / "tests" / "test_slow.py").write_text("import time\n\ndef test_slow():\n    time.sleep(3)\n")
    with serve([tool("log_bug_report", **BUG), proposal(FIX)]) as stub:
        proc = subprocess.Popen(
            [sys.executable, "-m", "selfmod", "run", "--project", str(project), "--model", "openai:stub", "--json"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(stub.base_url),
            start_new_session=True,
        )
        assert proc.stderr is not None
        thread = proc.stderr.readline().strip().removeprefix("thread: ")
        deadline = time.monotonic() + 120
        while len(stub.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(stub.requests) == 2
    assert (project / "llm.py").read_text() == LLM_PY
    cont = selfmod("resume", thread, "--project", str(project), "--json", "--model", "offline", cwd=project)
    assert cont.returncode == 0, cont.stderr
    assert [r["status"] for r in json.loads(cont.stdout)["results"]] == ["awaiting_approval"]
    done = selfmod(
        "resume", thread, "--project", str(project), "--approve", "--json", "--model", "offline", cwd=project
    )
    assert [r["status"] for r in json.loads(done.stdout)["results"]] == ["applied"]
    assert (project / "llm.py").read_text() == FIXED_FILE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--project", "/nonexistent/dir"], "is not a directory"),
        (["run", "--model", "anthropic:x"], "unknown model 'anthropic:x'"),
        (["run", "--reflections", "missing.json"], "does not exist"),
        (["resume", "no-such-thread", "--approve", "--model", "offline"], "no run with thread id 'no-such-thread'"),
        (["resume", "t", "--approve", "--reject"], "exclude each other"),
        (["run", "--no-such-option"], "No such option"),
    ],
)
def test_bad_input_exits_2(project: Path, args: list[str], message: str) -> None:
    if "--project" not in args:
        args = [*args, "--project", str(project)]
    proc = selfmod(*args, cwd=project)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert message in proc.stderr


def test_corrupt_reflections_exit_2(project: Path) -> None:
    (project / "reflections.json").write_text("[{")
    proc = selfmod(
        "run",
        "--project",
        str(project),
        "--model",
        "openai:stub",
        "--json",
        cwd=project,
        base_url="http://127.0.0.1:9/v1",
    )
    assert proc.returncode == 2
    assert "reflections.json is not valid JSON" in proc.stderr and proc.stdout == ""


def plain(text: str) -> str:
    """Terminal output without ANSI escape sequences."""
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_in_a_terminal_the_diff_is_shown_and_the_answer_decides(project: Path, tmp_path: Path) -> None:
    import pexpect

    with serve([tool("log_bug_report", **BUG), proposal(FIX)]) as stub:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "selfmod", "run", "--project", str(project), "--model", "openai:stub"],
            cwd=str(tmp_path),
            env=env(stub.base_url),
            encoding="utf-8",
            timeout=120,
            dimensions=(50, 200),
        )
        child.expect("Apply this patch\\?")
        shown = child.before
        child.sendline("y")
        child.expect(pexpect.EOF)
        child.close()
    assert "\x1b[" in shown  # highlighted
    shown, after = plain(shown), plain(child.before)
    assert "+    words = text.split()" in shown and "tests: 3 passed" in shown
    assert child.exitstatus == 0
    assert "applied" in after
    assert (project / "llm.py").read_text() == FIXED_FILE


def test_history_lists_checkpoints_and_replay_forks_from_one(project: Path) -> None:
    from selfmod.config import Settings
    from selfmod.graph.build import build_graph
    from selfmod.graph.checkpoint import sqlite_checkpointer

    with serve([tool("log_bug_report", **BUG), proposal(FIX)]) as stub:
        proc = selfmod(
            "run", "--project", str(project), "--model", "openai:stub", "--json", cwd=project, base_url=stub.base_url
        )
    thread = json.loads(proc.stdout)["thread_id"]
    listed = selfmod("history", thread, "--project", str(project), cwd=project)
    assert listed.returncode == 0, listed.stderr
    settings = Settings(project_root=project)
    with sqlite_checkpointer(settings) as saver:
        graph = build_graph(model=None, settings=settings, checkpointer=saver)
        snaps = list(graph.get_state_history({"configurable": {"thread_id": thread}}))
    before_test = next(s for s in snaps if s.next == ("test_patch",))
    checkpoint = before_test.config["configurable"]["checkpoint_id"]
    assert checkpoint in listed.stdout and "test_patch" in listed.stdout
    replayed = selfmod(
        "replay", thread, "--from", checkpoint, "--project", str(project), "--model", "offline", cwd=project
    )
    assert replayed.returncode == 0, replayed.stderr
    assert "awaiting_approval" in replayed.stdout
    with sqlite_checkpointer(settings) as saver:
        graph = build_graph(model=None, settings=settings, checkpointer=saver)
        after = list(graph.get_state_history({"configurable": {"thread_id": thread}}))
    assert len(after) > len(snaps)
    assert {s.config["configurable"]["checkpoint_id"] for s in snaps} <= {
        s.config["configurable"]["checkpoint_id"] for s in after
    }
    assert (project / "llm.py").read_text() == LLM_PY
