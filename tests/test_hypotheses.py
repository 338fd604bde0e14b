"""Hypotheses and experiments: LLM and offline, recorded as selfmod's notes, and the path into the graph."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_graph import FIX, patch, settings_for

import selfmod
from selfmod import Hypothesis, analyze_experiment_outcome, generate_hypothesis, reflection_from_hypothesis
from selfmod.agents.tool_calling import CallPolicy
from selfmod.config import Settings
from selfmod.demo import write_sample_project
from selfmod.graph.build import build_graph
from selfmod.testing import ScriptedChatModel, tool_call
from selfmod.tools.reflections import load_reflections
from selfmod.tools.triage import triage

SAD_PLANNING = {
    "mood_history": ["happy", "sad", "happy", "sad", "happy", "sad", "happy", "sad"],
    "action_history": [
        {"action": "plan", "outcome": "plan completed"},
        {"action": "plan", "outcome": "plan was inefficient and failed"},
        {"action": "plan", "outcome": "plan completed"},
        {"action": "plan", "outcome": "plan failed: wrong order"},
        {"action": "plan", "success": True},
        {"action": "plan", "success": False},
        {"action": "search", "success": True},
        {"action": "search", "success": True},
    ],
    "reflections": ["Planned a complex task; the plan was inefficient."],
}


def test_too_little_history_gives_no_hypothesis() -> None:
    assert (
        generate_hypothesis({"mood_history": ["sad"], "action_history": [{"action": "plan", "success": False}]}) is None
    )
    flat = {"action_history": [{"action": "plan", "success": True}] * 6, "mood_history": ["happy", "sad"] * 3}
    assert generate_hypothesis(flat) is None


def test_offline_hypothesis_finds_the_mood_gap() -> None:
    hypothesis = generate_hypothesis(SAD_PLANNING)
    assert hypothesis is not None
    assert hypothesis.statement.startswith("I hypothesize that my 'plan' actions go worse when I am sad")
    assert "0% success in 3 tries versus 100% otherwise" in hypothesis.statement
    assert hypothesis.target == "plan" and "record the mood" in hypothesis.experiment


def test_llm_hypothesis_is_structured_output() -> None:
    model = ScriptedChatModel(
        responses=[
            tool_call(
                "Hypothesis",
                statement="I hypothesize that planning is inefficient when tasks have many steps.",
                cause="many steps",
                effect="inefficient plans",
                experiment="compare plan length to outcome for ten tasks",
                target="planner.plan",
            )
        ]
    )
    hypothesis = generate_hypothesis(SAD_PLANNING, model=model)
    assert hypothesis is not None and hypothesis.target == "planner.plan"
    assert "sad" in model.calls[0][-1].content and "plan was inefficient" in model.calls[0][-1].content


@pytest.mark.parametrize(
    ("outcome", "conclusion"),
    [
        ({"with": 0.2, "without": 0.8}, "supported"),
        ({"with": 0.8, "without": 0.7}, "refuted"),
        ({"with": 0.5, "without": 0.6}, "inconclusive"),
        ({}, "inconclusive"),
    ],
)
def test_offline_experiment_verdicts(outcome: dict[str, float], conclusion: str) -> None:
    hypothesis = generate_hypothesis(SAD_PLANNING)
    assert hypothesis is not None
    assert analyze_experiment_outcome(hypothesis, outcome).conclusion == conclusion


def test_verdicts_are_recorded_as_own_notes_and_never_processed_as_bugs(tmp_path: Path) -> None:
    (tmp_path / "reflections.json").write_text("[]")
    hypothesis = generate_hypothesis(SAD_PLANNING)
    assert hypothesis is not None
    model = ScriptedChatModel(
        responses=[
            tool_call(
                "ExperimentVerdict",
                conclusion="supported",
                reasoning="sad planning failed 4 of 5 times",
                new_principle="plan later when sad",
            )
        ]
    )
    verdict = analyze_experiment_outcome(
        hypothesis, "sad: 1/5 plans worked; otherwise 4/5", model=model, settings=Settings(project_root=tmp_path)
    )
    assert verdict.conclusion == "supported"
    [note] = load_reflections(tmp_path / "reflections.json").entries
    assert note.source == "selfmod" and "failed" in note.reflection
    assert [i.status for i in triage([note], set())] == ["own"]


def test_a_hypothesis_about_the_agents_code_becomes_a_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    root = tmp_path / "agent"
    root.mkdir()
    write_sample_project(root)
    hypothesis = Hypothesis(
        statement="I hypothesize that my summaries fail on empty notes.",
        cause="empty input",
        effect="crashes in dummy_function",
        experiment="summarise an empty note",
        target="dummy_function",
        evidence=["3 of 3 empty notes crashed"],
    )
    reflection = reflection_from_hypothesis(hypothesis)
    assert [i.status for i in triage([reflection], set())] == ["actionable"]
    bug = {"filename": "llm.py", "function": "dummy_function", "summary": "crashes on empty input"}
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **bug), patch(FIX)])
    graph = build_graph(
        model=model, settings=settings_for(root, auto_approve=True), policy=CallPolicy(backoff_initial=0.01)
    )
    out = graph.invoke({"reflections": [reflection.model_dump(mode="json")]})
    assert [(r["reflection_id"], r["status"]) for r in out["results"]] == [(reflection.id, "applied")]
    assert "'dummy_function' may be at fault" in model.calls[0][-1].content
    with pytest.raises(ValueError, match="names no part"):
        reflection_from_hypothesis(hypothesis.model_copy(update={"target": None}))
    assert json.loads((root / "reflections.json").read_text())[-1]["source"] == "selfmod"
    assert selfmod.generate_hypothesis is generate_hypothesis
