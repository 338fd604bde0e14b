"""`selfmod step` driven as a person drives it: in a real terminal under tmux (send-keys, capture-pane)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from openai_stub import serve, tool
from test_graph import BUG, FIX

from selfmod.demo import LLM_PY, write_sample_project
from selfmod.tools.changes.audit import AuditLog

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None and not os.environ.get("CI"), reason="tmux is not installed (apt-get install tmux)"
)

EDITOR_SCRIPT = """import sys, pathlib
p = pathlib.Path(sys.argv[1])
p.write_text(p.read_text().replace("    return words[0]", "    # reviewed by a human\\n    return words[0]"))
"""


class Terminal:
    """A tmux session running one command."""

    def __init__(self, command: str, env: dict[str, str], cwd: Path) -> None:
        self.name = f"selfmod-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        shell = f"cd {shlex.quote(str(cwd))} && env {exports} {command}; echo EXIT=$?; sleep 60"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "220", "-y", "60", shell], check=True)

    def screen(self) -> str:
        out = subprocess.run(
            ["tmux", "capture-pane", "-p", "-J", "-S", "-", "-t", self.name], capture_output=True, text=True
        )
        return out.stdout

    def send(self, keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, keys, "Enter"], check=True)

    def wait_for(self, text: str, count: int = 1, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if screen.count(text) >= count or "EXIT=" in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {text!r}:\n{self.screen()[-3000:]}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def test_step_edit_approve_quit_and_continue(tmp_path: Path) -> None:
    project = tmp_path / "agent"
    project.mkdir()
    write_sample_project(project)
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR_SCRIPT)
    with serve(
        [
            tool("log_bug_report", **BUG),
            tool("propose_code_patch", filename="llm.py", start_line=4, end_line=6, new_code=FIX, explanation="guard"),
        ]
    ) as stub:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": stub.base_url,
            "EDITOR": f"{sys.executable} {editor}",
            "TERM": "xterm",
        }
        command = (
            f"{shlex.quote(sys.executable)} -m selfmod step --project {shlex.quote(str(project))} --model openai:stub"
        )
        first = Terminal(command, env, tmp_path)
        try:
            screen = first.wait_for("[q]uit > ")
            assert "next: extract_bug" in screen and "reflection seed-1" in screen
            first.send("q")
            screen = first.wait_for("EXIT=")
            assert "stopped; continue with: selfmod step --thread" in screen and "EXIT=0" in screen
            thread = screen.split("selfmod step --thread ", 1)[1].split()[0]
        finally:
            first.close()
        second = Terminal(f"{command} --thread {thread}", env, tmp_path)
        try:
            prompts = 0
            while True:
                screen = second.wait_for("> ", count=prompts + 1)
                if "EXIT=" in screen:
                    break
                prompts += 1
                last = " ".join(screen.rstrip().splitlines()[-2:])
                if "[e]dit the proposal" in last and "edited by the user" not in screen:
                    second.send("e")
                elif "[a]pprove" in last:
                    assert "# reviewed by a human" in screen, screen[-4000:]
                    second.send("a")
                else:
                    second.send("c")
            assert "EXIT=0" in screen, screen[-3000:]
            assert "bug report: llm.py :: dummy_function" in screen
            assert "+    words = text.split()" in screen  # the proposal shown as a diff
            assert "critic: accepted" in screen and "tests: 3 passed, 0 failed" in screen
            assert "applied" in screen.split("EXIT=")[0]
        finally:
            second.close()
    patched = (project / "llm.py").read_text()
    assert "    # reviewed by a human\n" in patched and patched != LLM_PY
    applied = [r for r in AuditLog(project / ".selfmod").records() if r.status == "applied"]
    assert len(applied) == 1 and applied[0].proposal is not None
    assert applied[0].proposal.explanation.endswith("(edited by the user)")
    assert json.loads((project / "reflections.json").read_text())[-1]["source"] == "selfmod"
