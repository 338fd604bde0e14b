"""The whole graph driven by the scripted chat model: fixes applied, retries, early exits, approval, embedding."""

from __future__ import annotations

import json
import operator
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command

from selfmod.agents.tool_calling import CallPolicy
from selfmod.config import Settings
from selfmod.demo import LLM_PY
from selfmod.graph.build import build_graph
from selfmod.testing import ScriptedChatModel, broken_tool_call, tool_call
from selfmod.tools.changes.audit import AuditLog

FIX = (
    'def dummy_function(text):\n    """Return the first word of the text, upper-cased."""\n'
    '    words = text.split()\n    return words[0].upper() if words else ""\n'
)
FIXED_FILE = LLM_PY.replace(
    "    return text.split()[0].upper()\n", '    words = text.split()\n    return words[0].upper() if words else ""\n'
)
BUG = {"filename": "llm.py", "function": "dummy_function", "summary": "IndexError on empty input", "severity": "high"}
FAST = CallPolicy(backoff_initial=0.01, backoff_max=0.02)
SNAPSHOT = Path(__file__).parent / "snapshots" / "graph.mmd"


def patch(code: str, start: int = 4, end: int = 6) -> Any:
    return tool_call(
        "propose_code_patch", filename="llm.py", start_line=start, end_line=end, new_code=code, explanation="fix"
    )


def settings_for(root: Path, **kw: Any) -> Settings:
    return Settings(project_root=root, env_passthrough=["PYTEST_DISABLE_PLUGIN_AUTOLOAD"], git_commit=False, **kw)


def test_seed_example_is_fixed_tested_applied_and_audited(seed_project: Path) -> None:
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), patch(FIX)])
    out = build_graph(model=model, settings=settings_for(seed_project, auto_approve=True), policy=FAST).invoke({})
    [result] = out["results"]
    assert (result["reflection_id"], result["status"], result["file"], result["function"], result["attempts"]) == (
        "seed-1",
        "applied",
        "llm.py",
        "dummy_function",
        1,
    )
    assert (seed_project / "llm.py").read_text() == FIXED_FILE
    records = {r.id: r for r in AuditLog(seed_project / ".selfmod").records()}
    applied = records[result["audit_id"]]
    assert applied.status == "applied" and applied.test_run is not None
    assert (applied.test_run.passed, applied.test_run.failed) == (3, 0)
    assert applied.bug_report is not None and applied.bug_report.function == "dummy_function"
    assert applied.model == "scripted" and applied.token_usage["total_tokens"] == 40
    assert out["token_usage"] == {"input_tokens": 20, "output_tokens": 20, "total_tokens": 40, "calls": 2}
    first_prompt = model.calls[0][-1].content
    assert "llm.py: dummy_function, word_count" in first_prompt and "does not handle empty input" in first_prompt
    assert (
        "   4 | def dummy_function(text):" in model.calls[1][-1].content
        or " 4 | def dummy_function" in model.calls[1][-1].content
    )


def test_lazy_then_good_proposal_is_applied_after_two_attempts(seed_project: Path) -> None:
    lazy = 'def dummy_function(text):\n    if not text:\n        return ""\n    # rest of the code unchanged\n'
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), patch(lazy), patch(FIX)])
    out = build_graph(model=model, settings=settings_for(seed_project, auto_approve=True), policy=FAST).invoke({})
    assert [(r["status"], r["attempts"]) for r in out["results"]] == [("applied", 2)]
    retry_prompt = model.calls[2][-1].content
    assert "[placeholder]" in retry_prompt and "rest of the code unchanged" in retry_prompt
    assert (seed_project / "llm.py").read_text() == FIXED_FILE


def test_a_patch_that_breaks_another_test_is_never_applied(seed_project: Path) -> None:
    breaks = 'def dummy_function(text):\n    """Return the first word of the text, upper-cased."""\n    return ""\n'
    model = ScriptedChatModel(
        responses=[tool_call("log_bug_report", **BUG), patch(breaks), patch(breaks), patch(breaks)]
    )
    out = build_graph(model=model, settings=settings_for(seed_project, auto_approve=True), policy=FAST).invoke({})
    [result] = out["results"]
    assert (result["status"], result["attempts"]) == ("rejected", 3)
    assert "test_first_word" in result["message"]
    assert (seed_project / "llm.py").read_text() == LLM_PY
    record = AuditLog(seed_project / ".selfmod").find(result["audit_id"])
    assert record is not None and record.status == "rejected" and record.test_run is not None
    assert "test_first_word" in model.calls[2][-1].content


def test_early_exits_are_audited_and_one_failure_never_stops_the_others(seed_project: Path) -> None:
    reflections = [
        {"id": "a", "reflection": "The planner failed because the network was down, not our code."},
        {"id": "b", "reflection": "The function 'nope' crashed."},
        {"id": "c", "reflection": "Function 'dummy_function' raised an error on ''."},
        {"id": "d", "reflection": "An error in dummy_function again."},
        {"id": "e", "reflection": "Everything went well today."},
    ]
    model = ScriptedChatModel(
        responses=[
            tool_call("log_bug_report", filename="none", function="no_bug", summary="an outage, not a code bug"),
            tool_call("log_bug_report", filename="llm.py", function="nope", summary="crash"),
            tool_call("log_bug_report", filename="llm.py", function="still_nope", summary="crash"),
            ConnectionError("connection reset"),
            ConnectionError("connection reset"),
            ConnectionError("connection reset"),
            ConnectionError("connection reset"),
            tool_call("log_bug_report", **BUG),
            patch(FIX),
        ]
    )
    graph = build_graph(model=model, settings=settings_for(seed_project, auto_approve=True), policy=FAST)
    out = graph.invoke({"reflections": reflections})
    statuses = {r["reflection_id"]: r["status"] for r in out["results"]}
    assert statuses == {"a": "no_bug", "b": "unlocatable", "c": "error", "d": "applied", "e": "not_actionable"}
    by_reflection = {
        r.reflection_id: r for r in AuditLog(seed_project / ".selfmod").records() if r.status != "applying"
    }
    assert {k: v.status for k, v in by_reflection.items()} == statuses
    assert "still_nope" in by_reflection["b"].message
    assert "could not be reached" in by_reflection["c"].message
    assert "Correction" in model.calls[2][-1].content and "nope" in model.calls[2][-1].content


def test_malformed_arguments_get_a_repair_retry(seed_project: Path) -> None:
    model = ScriptedChatModel(
        responses=[
            broken_tool_call("log_bug_report", '{"filename": "llm.py", "function": '),
            tool_call("log_bug_report", filename="llm.py", function="dummy_function", summary="x", severity="urgent"),
            "I think the bug is in dummy_function.",
            tool_call("log_bug_report", **BUG),
            patch(FIX),
        ]
    )
    out = build_graph(
        model=model, settings=settings_for(seed_project, auto_approve=True), policy=CallPolicy(max_repairs=3)
    ).invoke({})
    assert out["results"][0]["status"] == "applied"
    repairs = [call[-1].content for call in model.calls[1:4]]
    assert "not valid JSON" in repairs[0]
    assert "severity" in repairs[1] and "invalid" in repairs[1]
    assert "you did not call log_bug_report" in repairs[2]


def test_without_auto_approval_the_run_stops_before_any_change(seed_project: Path) -> None:
    saver = InMemorySaver()
    settings = settings_for(seed_project)
    config = {"configurable": {"thread_id": "t1"}, "recursion_limit": 200}
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), patch(FIX)])
    graph = build_graph(model=model, settings=settings, checkpointer=saver, policy=FAST)
    graph.invoke({}, config)
    state = graph.get_state(config)
    assert state.next == ("approve",)
    [interrupt] = state.interrupts
    assert (
        interrupt.value["patches"][0]["reflection_id"] == "seed-1"
        and "+    words = text.split()" in interrupt.value["patches"][0]["diff"]
    )
    assert (seed_project / "llm.py").read_text() == LLM_PY
    assert [r.status for r in AuditLog(settings.state_dir).records()] == ["awaiting_approval"]
    out = graph.invoke(Command(resume=True), config)
    assert [r["status"] for r in out["results"]] == ["applied"]
    assert (seed_project / "llm.py").read_text() == FIXED_FILE
    assert [r.status for r in AuditLog(settings.state_dir).records()] == ["awaiting_approval", "applying", "applied"]


def test_rejecting_at_approval_changes_nothing(seed_project: Path) -> None:
    saver = InMemorySaver()
    settings = settings_for(seed_project)
    config = {"configurable": {"thread_id": "t2"}, "recursion_limit": 200}
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), patch(FIX)])
    graph = build_graph(model=model, settings=settings, checkpointer=saver, policy=FAST)
    graph.invoke({}, config)
    out = graph.invoke(Command(resume={"seed-1": False}), config)
    assert [(r["status"], r["message"]) for r in out["results"]] == [("rejected", "rejected at approval")]
    assert (seed_project / "llm.py").read_text() == LLM_PY
    assert [r.status for r in AuditLog(settings.state_dir).records()] == ["awaiting_approval", "rejected"]


def test_kill_switch_stops_the_run_before_any_llm_call(seed_project: Path) -> None:
    (seed_project / ".selfmod").mkdir()
    (seed_project / ".selfmod" / "disabled").write_text("maintenance")
    model = ScriptedChatModel(responses=[])
    out = build_graph(model=model, settings=settings_for(seed_project, auto_approve=True)).invoke({})
    assert [(r["status"], r["message"]) for r in out["results"]] == [
        ("disabled", "disabled by " + str(seed_project / ".selfmod" / "disabled") + " (maintenance)")
    ]
    assert model.calls == []
    assert (seed_project / "llm.py").read_text() == LLM_PY


def test_second_run_skips_the_handled_reflection_and_its_own_note(seed_project: Path) -> None:
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), patch(FIX)])
    build_graph(model=model, settings=settings_for(seed_project, auto_approve=True), policy=FAST).invoke({})
    again = ScriptedChatModel(responses=[])
    out = build_graph(model=again, settings=settings_for(seed_project, auto_approve=True)).invoke({})
    assert [(r["reflection_id"], r["status"]) for r in out["results"]] == [
        ("seed-1", "duplicate"),
        (json.loads((seed_project / "reflections.json").read_text())[1]["id"], "not_actionable"),
    ]
    assert again.calls == []


def test_graph_shape_snapshot() -> None:
    graph = build_graph(model=ScriptedChatModel(), settings=Settings())
    mermaid = graph.get_graph().draw_mermaid()
    assert mermaid == SNAPSHOT.read_text(), "graph shape changed: update tests/snapshots/graph.mmd if intended"


class HostState(TypedDict, total=False):
    """A host agent's own state, unlike selfmod's."""

    goal: str
    log: Annotated[list[str], operator.add]
    fixes: list[dict[str, Any]]


def test_host_graph_embeds_selfmod_as_a_node(seed_project: Path) -> None:
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), patch(FIX)])
    selfmod_graph = build_graph(model=model, settings=settings_for(seed_project, auto_approve=True), policy=FAST)
    assert set(selfmod_graph.get_input_jsonschema()["properties"]) == {"reflections", "reflections_file"}
    assert set(selfmod_graph.get_output_jsonschema()["properties"]) == {"results", "token_usage", "warnings"}

    def act(state: HostState) -> HostState:
        return {"log": [f"worked on {state['goal']}; dummy_function failed on ''"]}

    def self_improve(state: HostState) -> HostState:
        reflections = [{"id": "host-1", "reflection": state["log"][-1] + " - it does not handle empty input"}]
        out = selfmod_graph.invoke({"reflections": reflections})
        return {"fixes": out["results"], "log": ["self-improvement done"]}

    host = StateGraph(HostState)
    host.add_node("act", act)
    host.add_node("self_improve", self_improve)
    host.add_edge(START, "act")
    host.add_edge("act", "self_improve")
    host.add_edge("self_improve", END)
    final = host.compile().invoke({"goal": "summarise", "log": []})
    assert [(f["reflection_id"], f["status"]) for f in final["fixes"]] == [("host-1", "applied")]
    assert final["log"][-1] == "self-improvement done"
    assert (seed_project / "llm.py").read_text() == FIXED_FILE


def test_optional_llm_critic_rejection_feeds_back_to_the_patcher(seed_project: Path) -> None:
    model = ScriptedChatModel(
        responses=[
            tool_call("log_bug_report", **BUG),
            patch(FIX.replace('else ""', "else None")),
            tool_call("CriticAnswer", accept=False, reasons=["returns None where the callers expect a string"]),
            patch(FIX),
            tool_call("CriticAnswer", accept=True, reasons=[]),
        ]
    )
    graph = build_graph(
        model=model, settings=settings_for(seed_project, auto_approve=True), llm_critic=True, policy=FAST
    )
    out = graph.invoke({})
    assert [(r["status"], r["attempts"]) for r in out["results"]] == [("applied", 2)]
    assert "[llm_critic] returns None where the callers expect a string" in model.calls[3][-1].content
    assert (seed_project / "llm.py").read_text() == FIXED_FILE


def test_run_self_modification_one_call(seed_project: Path) -> None:
    import selfmod

    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), patch(FIX)])
    out = selfmod.run_self_modification(
        seed_project, model=model, env_passthrough=["PYTEST_DISABLE_PLUGIN_AUTOLOAD"], git_commit=False
    )
    assert [r["status"] for r in out["results"]] == ["applied"]
    assert out["thread_id"] and (seed_project / ".selfmod" / "checkpoints.sqlite").is_file()
    assert (seed_project / "llm.py").read_text() == FIXED_FILE


def test_a_broken_test_command_is_an_error_for_each_reflection_and_the_run_completes(seed_project: Path) -> None:
    reflections = [
        {"id": "one", "reflection": "dummy_function failed"},
        {"id": "two", "reflection": "dummy_function failed again"},
    ]
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), patch(FIX)] * 2)
    settings = settings_for(seed_project, auto_approve=True, test_command=["no-such-test-tool"])
    out = build_graph(model=model, settings=settings, policy=FAST).invoke({"reflections": reflections})
    assert [(r["reflection_id"], r["status"]) for r in out["results"]] == [("one", "error"), ("two", "error")]
    assert all("cannot start test command 'no-such-test-tool'" in r["message"] for r in out["results"])
    assert (seed_project / "llm.py").read_text() == LLM_PY


def test_run_time_budget_leaves_the_rest_for_the_next_run(seed_project: Path) -> None:
    reflections = [
        {"id": "one", "reflection": "dummy_function failed"},
        {"id": "two", "reflection": "word_count failed"},
    ]
    model = ScriptedChatModel(responses=[])
    settings = settings_for(seed_project, auto_approve=True, run_time_budget=0.000001)
    out = build_graph(model=model, settings=settings, policy=FAST).invoke({"reflections": reflections})
    assert [(r["reflection_id"], r["status"]) for r in out["results"]] == [("one", "error"), ("two", "error")]
    assert all("budget" in r["message"] for r in out["results"]) and model.calls == []
    assert AuditLog(seed_project / ".selfmod").handled_reflection_ids() == set()


def test_a_denied_failure_is_located_deterministically_and_audited_as_such(seed_project: Path) -> None:
    denial = tool_call("log_bug_report", filename="none", function="no_bug", summary="works as designed")
    model = ScriptedChatModel(responses=[denial, denial, patch(FIX)])
    reflection = {"id": "r", "outcome": "failed", "reflection": "dummy_function in llm.py raised IndexError on ''."}
    graph = build_graph(model=model, settings=settings_for(seed_project, auto_approve=True), policy=FAST)
    [result] = graph.invoke({"reflections": [reflection]})["results"]
    assert (result["status"], result["function"]) == ("applied", "dummy_function")
    record = AuditLog(seed_project / ".selfmod").find(result["audit_id"])
    assert record is not None and record.bug_report is not None
    assert record.bug_report.evidence[0].startswith("located by selfmod's deterministic locator")
    assert (seed_project / "llm.py").read_text() == FIXED_FILE
