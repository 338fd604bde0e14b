"""selfmod as a subgraph of a host graph: the host sees the approval interrupt and resuming continues it."""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command
from test_graph import BUG, FIX, FIXED_FILE, patch, settings_for
from typing_extensions import TypedDict

from selfmod.agents.tool_calling import CallPolicy
from selfmod.demo import LLM_PY
from selfmod.graph.build import build_graph
from selfmod.testing import ScriptedChatModel, tool_call


class Host(TypedDict, total=False):
    """A host agent whose state shares only `results` with selfmod's output."""

    steps: Annotated[list[str], operator.add]
    results: list[dict[str, Any]]


@pytest.fixture
def project(seed_project: Path) -> Path:
    return seed_project


def host_graph(project: Path, model: ScriptedChatModel) -> Any:
    selfmod_graph = build_graph(model=model, settings=settings_for(project), policy=CallPolicy(backoff_initial=0.01))
    host = StateGraph(Host)
    host.add_node("work", lambda state: {"steps": ["worked"]})
    host.add_node("self_improve", selfmod_graph)
    host.add_node("report", lambda state: {"steps": [f"{len(state.get('results') or [])} result(s)"]})
    host.add_edge(START, "work")
    host.add_edge("work", "self_improve")
    host.add_edge("self_improve", "report")
    host.add_edge("report", END)
    return host.compile(checkpointer=InMemorySaver())


@pytest.mark.parametrize(("answer", "status"), [(True, "applied"), (False, "rejected")])
def test_host_sees_the_interrupt_and_resume_continues_the_subgraph(project: Path, answer: bool, status: str) -> None:
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), patch(FIX)])
    graph = host_graph(project, model)
    config = {"configurable": {"thread_id": f"host-{answer}"}, "recursion_limit": 200}
    first = graph.invoke({"steps": []}, config)
    [interrupt] = first["__interrupt__"]
    assert interrupt.value["patches"][0]["file"] == "llm.py"
    assert (project / "llm.py").read_text() == LLM_PY
    calls_before = len(model.calls)
    final = graph.invoke(Command(resume=answer), config)
    assert len(model.calls) == calls_before == 2  # resumed, not restarted: no new LLM call
    assert [r["status"] for r in final["results"]] == [status]
    assert final["steps"] == ["worked", "1 result(s)"]
    expected = FIXED_FILE if answer else LLM_PY
    assert (project / "llm.py").read_text() == expected
