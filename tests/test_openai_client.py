"""The real `ChatOpenAI` client against a local OpenAI-compatible stub: parsing, streaming, retries, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_openai import ChatOpenAI
from openai_stub import http_error, malformed, serve, slow, tool
from test_graph import BUG, FIX, FIXED_FILE, settings_for

from selfmod.agents.tool_calling import CallPolicy
from selfmod.demo import LLM_PY
from selfmod.graph.build import build_graph
from selfmod.tools.changes.audit import AuditLog

FAST = CallPolicy(backoff_initial=0.01, backoff_max=0.02)
LAZY = 'def dummy_function(text):\n    if not text:\n        return ""\n    # ... existing code ...\n'
BREAKS = 'def dummy_function(text):\n    """Return the first word of the text, upper-cased."""\n    return ""\n'


@pytest.fixture
def project(seed_project: Path) -> Path:
    return seed_project


def client(base_url: str, streaming: bool) -> ChatOpenAI:
    return ChatOpenAI(
        model="stub-model", api_key="sk-test", base_url=base_url, max_retries=0, streaming=streaming, stream_usage=True
    )  # type: ignore[call-arg]


def proposal(code: str) -> dict[str, object]:
    return tool("propose_code_patch", filename="llm.py", start_line=4, end_line=6, new_code=code, explanation="fix")


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streaming"])
def test_seed_example_through_the_real_client(project: Path, streaming: bool) -> None:
    with serve([tool("log_bug_report", **BUG), proposal(FIX)]) as stub:
        graph = build_graph(
            model=client(stub.base_url, streaming), settings=settings_for(project, auto_approve=True), policy=FAST
        )
        out = graph.invoke({})
    assert [r["status"] for r in out["results"]] == ["applied"]
    assert (project / "llm.py").read_text() == FIXED_FILE
    first, second = stub.requests
    assert first["tool_choice"] == {"type": "function", "function": {"name": "log_bug_report"}}
    assert [t["function"]["name"] for t in first["tools"]] == ["log_bug_report"]
    assert second["tool_choice"] == "required"  # the patcher may call either of its two tools
    assert [t["function"]["name"] for t in second["tools"]] == ["propose_code_patch", "propose_edits"]
    assert first.get("stream", False) is streaming
    record = AuditLog(project / ".selfmod").find(out["results"][0]["audit_id"])
    assert record is not None and record.token_usage["total_tokens"] == 240 and record.model == "stub-model"


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streaming"])
def test_http_500_malformed_arguments_and_a_lazy_patch_still_end_applied(project: Path, streaming: bool) -> None:
    script = [
        http_error(500),
        malformed("log_bug_report", '{"filename": "llm.py", "function": "dummy_'),
        tool("log_bug_report", **BUG),
        proposal(LAZY),
        proposal(FIX),
    ]
    with serve(script) as stub:
        graph = build_graph(
            model=client(stub.base_url, streaming), settings=settings_for(project, auto_approve=True), policy=FAST
        )
        out = graph.invoke({})
    assert [(r["status"], r["attempts"]) for r in out["results"]] == [("applied", 2)]
    assert len(stub.requests) == 5
    repair = stub.requests[2]["messages"][-1]["content"]
    assert "log_bug_report call are" in repair
    assert ("not valid JSON" in repair) if not streaming else ("summary: Field required" in repair)
    retry = stub.requests[4]["messages"][-1]["content"]
    assert "[placeholder]" in retry and "existing code" in retry
    assert (project / "llm.py").read_text() == FIXED_FILE


def test_a_breaking_patch_is_never_applied(project: Path) -> None:
    with serve([tool("log_bug_report", **BUG), proposal(BREAKS), proposal(BREAKS), proposal(BREAKS)]) as stub:
        graph = build_graph(
            model=client(stub.base_url, False), settings=settings_for(project, auto_approve=True), policy=FAST
        )
        out = graph.invoke({})
    assert [r["status"] for r in out["results"]] == ["rejected"]
    assert (project / "llm.py").read_bytes() == LLM_PY.encode()


def test_persistent_http_errors_become_an_error_status_and_the_run_goes_on(project: Path) -> None:
    reflections = [
        {"id": "down", "reflection": "dummy_function failed on ''"},
        {"id": "up", "reflection": "dummy_function failed on empty input again"},
    ]
    script = [http_error(503)] * 4 + [tool("log_bug_report", **BUG), proposal(FIX)]
    with serve(script) as stub:
        graph = build_graph(
            model=client(stub.base_url, False), settings=settings_for(project, auto_approve=True), policy=FAST
        )
        out = graph.invoke({"reflections": reflections})
    assert {r["reflection_id"]: r["status"] for r in out["results"]} == {"down": "error", "up": "applied"}
    assert "503" in next(r["message"] for r in out["results"] if r["reflection_id"] == "down")
    assert len(stub.requests) == 6


def test_a_timeout_is_retried(project: Path) -> None:
    script = [slow(2.0, tool("log_bug_report", **BUG)), tool("log_bug_report", **BUG), proposal(FIX)]
    with serve(script) as stub:
        model = ChatOpenAI(model="stub-model", api_key="sk-test", base_url=stub.base_url, max_retries=0, timeout=0.5)  # type: ignore[call-arg]
        out = build_graph(model=model, settings=settings_for(project, auto_approve=True), policy=FAST).invoke({})
    assert [r["status"] for r in out["results"]] == ["applied"]
    assert len(stub.requests) == 3


def test_a_retry_samples_at_a_higher_temperature(project: Path) -> None:
    # at temperature 0 a small model repeats its rejected answer word for word; the retry must not ask the same way
    unchanged = 'def dummy_function(text):\n    """Return the first word of the text, upper-cased."""\n' \
        "    return text.split()[0].upper()\n"  # fmt: skip
    script = [tool("log_bug_report", **BUG), *(tool("propose_code_patch", filename="llm.py", start_line=4,
              end_line=6, new_code=code, explanation="fix") for code in (unchanged, FIX))]  # fmt: skip
    with serve(script) as stub:
        model = ChatOpenAI(model="stub-model", api_key="sk-test", base_url=stub.base_url, max_retries=0, temperature=0)  # type: ignore[call-arg]
        out = build_graph(model=model, settings=settings_for(project, auto_approve=True), policy=FAST).invoke({})
    [result] = out["results"]
    assert (result["status"], result["attempts"]) == ("applied", 2)
    assert (project / "llm.py").read_text() == FIXED_FILE
    first, retry = stub.requests[1], stub.requests[2]
    assert first["temperature"] == 0 and retry["temperature"] == 0.8
    assert "no_op" in retry["messages"][-1]["content"]
