"""The graph served by `langgraph dev` (langgraph.json), driven with langgraph_sdk: approval interrupt, resume."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_graph import BUG, FIX, FIXED_FILE

from selfmod.demo import LLM_PY, write_sample_project
from selfmod.tools.changes.audit import AuditLog

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    langgraph = shutil.which("langgraph", path=os.path.dirname(sys.executable)) or shutil.which("langgraph")
    assert langgraph, "langgraph-cli[inmem] is part of the test extra"
    port = free_port()
    workdir = tmp_path_factory.mktemp("langgraph-dev")
    env = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGSMITH_TRACING": "false",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    log = (workdir / "server.log").open("w")
    proc = subprocess.Popen(
        [
            langgraph,
            "dev",
            "--config",
            str(REPO / "langgraph.json"),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--no-browser",
            "--no-reload",
            "--allow-blocking",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/ok", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("langgraph dev did not start:\n" + (workdir / "server.log").read_text()[-3000:])
    try:
        yield url
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
        log.close()


def make_project(tmp_path: Path, name: str) -> tuple[Path, Path]:
    root = tmp_path / name
    root.mkdir()
    write_sample_project(root)
    script = tmp_path / f"{name}-script.json"
    script.write_text(
        json.dumps(
            [
                {"tool": "log_bug_report", "args": BUG},
                {
                    "tool": "propose_code_patch",
                    "args": {
                        "filename": "llm.py",
                        "start_line": 4,
                        "end_line": 6,
                        "new_code": FIX,
                        "explanation": "guard",
                    },
                },
            ]
        )
    )
    return root, script


@pytest.mark.parametrize(("answer", "status"), [(True, "applied"), (False, "rejected")])
def test_served_graph_interrupts_for_approval_and_resumes(
    server: str, tmp_path: Path, answer: bool, status: str
) -> None:
    from langgraph_sdk import get_sync_client

    project, script = make_project(tmp_path, f"agent-{answer}")
    client = get_sync_client(url=server)
    config = {"configurable": {"project": str(project), "model": f"scripted:{script}"}, "recursion_limit": 500}
    thread = client.threads.create()
    client.runs.wait(thread["thread_id"], "selfmod", input={}, config=config)
    state = client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["approve"]
    interrupts = [i for task in state["tasks"] for i in task.get("interrupts", [])]
    assert interrupts and interrupts[0]["value"]["patches"][0]["file"] == "llm.py"
    assert (project / "llm.py").read_text() == LLM_PY
    final = client.runs.wait(thread["thread_id"], "selfmod", command={"resume": answer}, config=config)
    assert [r["status"] for r in final["results"]] == [status]
    assert (project / "llm.py").read_text() == (FIXED_FILE if answer else LLM_PY)
    statuses = [r.status for r in AuditLog(project / ".selfmod").records()]
    assert statuses[0] == "awaiting_approval" and statuses[-1] == status
