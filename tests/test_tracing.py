"""Local tracing: run trees in .selfmod/traces.sqlite, CLI views, HTML export rendered in Chromium, privacy."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_graph import BUG, FIX, patch

import selfmod
from selfmod.testing import ScriptedChatModel, tool_call
from selfmod.tools.traces import TRACES, TraceStore

LANGSMITH_VARS = (
    "LANGSMITH_TRACING",
    "LANGCHAIN_TRACING_V2",
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
    "LANGSMITH_ENDPOINT",
)


@pytest.fixture
def project(seed_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in LANGSMITH_VARS:
        monkeypatch.delenv(var, raising=False)
    return seed_project


def run_scripted(project: Path, secret: str = "") -> dict[str, Any]:
    summary = BUG["summary"] + (f" (token {secret})" if secret else "")
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **{**BUG, "summary": summary}), patch(FIX)])
    return selfmod.run_self_modification(
        project, model=model, env_passthrough=["PYTEST_DISABLE_PLUGIN_AUTOLOAD"], git_commit=False
    )


def flatten(run: Any) -> list[Any]:
    return [run, *(r for child in run.children for r in flatten(child))]


def test_a_run_is_recorded_as_a_tree_of_chain_llm_and_tool_runs(project: Path) -> None:
    run_scripted(project)
    [root] = TraceStore(project / ".selfmod" / TRACES).roots()
    runs = flatten(root)
    kinds = {(r.run_type, r.name) for r in runs}
    for expected in [("chain", "selfmod"), ("chain", "extract_bug"), ("chain", "test_patch"), ("llm", "ScriptedChatModel"),
                     ("tool", "log_bug_report"), ("tool", "propose_code_patch"), ("tool", "sandbox_test_run")]:  # fmt: skip
        assert expected in kinds, expected
    assert all(r.trace_id == root.id for r in runs)
    assert all(r.parent_id for r in runs if r is not root)
    llm = [r for r in runs if r.run_type == "llm"]
    assert len(llm) == 2 and all(r.tokens == 20 for r in llm) and root.total_tokens() == 40
    assert "does not handle empty input" in json.dumps(llm[0].inputs)
    assert all(r.end_time and r.seconds >= 0 for r in runs)


def test_secrets_are_redacted_in_traces(project: Path) -> None:
    run_scripted(project, secret="sk-" + "x" * 30)
    raw = (project / ".selfmod" / TRACES).read_bytes()
    assert b"sk-xxxxxxxx" not in raw and b"[REDACTED]" in raw


def test_no_network_call_without_langsmith_settings(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def record(sock: socket.socket, address: Any) -> Any:
        attempts.append(address)
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", record)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: attempts.append(a) or None)
    out = run_scripted(project)
    assert [r["status"] for r in out["results"]] == ["applied"]
    assert attempts == []
    assert TraceStore(project / ".selfmod" / TRACES).roots()


def test_with_langsmith_settings_traces_also_go_to_langsmith(project: Path) -> None:
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _ok(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = self.rfile.read(length)
            received.append(self.path + " " + body[:2000].decode("utf-8", "replace"))
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        do_POST = do_PATCH = do_GET = _ok

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "LANGSMITH_TRACING": "true",
        "LANGSMITH_API_KEY": "lsv2_pt_" + "0" * 32,
        "LANGSMITH_ENDPOINT": f"http://127.0.0.1:{server.server_address[1]}",
    }
    script = (
        "import sys; sys.path.insert(0, sys.argv[2]); from pathlib import Path; import test_tracing as t;"
        "t.run_scripted(Path(sys.argv[1]));"
        "from langchain_core.tracers.langchain import wait_for_all_tracers; wait_for_all_tracers()"
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", script, str(project), str(Path(__file__).parent)],
            env=env, cwd=project.parent, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert any("/runs" in r for r in received), received[:3]
    assert any("extract_bug" in r or "selfmod" in r for r in received)
    assert TraceStore(project / ".selfmod" / TRACES).roots()


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "selfmod", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60
    )


def test_cli_list_show_and_html_export_rendered_in_chromium(project: Path, tmp_path: Path) -> None:
    run_scripted(project)
    [root] = TraceStore(project / ".selfmod" / TRACES).roots()
    listing = _cli("trace", "list", "--project", str(project), cwd=tmp_path)
    assert listing.returncode == 0 and root.id in listing.stdout and "40" in listing.stdout
    shown = _cli("trace", "show", root.id, "--project", str(project), cwd=tmp_path)
    assert shown.returncode == 0
    for part in ("chain selfmod", "llm ScriptedChatModel", "tool sandbox_test_run", "20 tokens"):
        assert part in shown.stdout, part
    assert _cli("trace", "show", "nope", "--project", str(project), cwd=tmp_path).returncode == 2
    page = tmp_path / "trace.html"
    exported = _cli("trace", "export", root.id, "--html", str(page), "--project", str(project), cwd=tmp_path)
    assert (
        exported.returncode == 0
        and "<script src" not in page.read_text()
        and "http" not in page.read_text().split("<body>")[0]
    )
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("headless Chromium is needed in CI (.ci/run installs Debian's chromium)")
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'chromium'}"]  # fmt: skip
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    assert dom.count('class="run llm"') == 2 and dom.count('class="run tool"') == 3
    assert "does not handle empty input" in dom  # the prompt
    assert '<span class="add">+    words = text.split()' in dom  # the diff, coloured line by line
    assert "3 passed" in dom  # the test output
    assert "40 tokens" in dom
