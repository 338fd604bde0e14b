"""Hypotheses about the agent's own behaviour, experiments to test them, and the path from a hypothesis about the
agent's code to a reflection the self-modification graph can act on.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, ConfigDict, Field

from selfmod.config import Settings
from selfmod.models import Reflection
from selfmod.prompts import render
from selfmod.tools.changes.audit import utc_now
from selfmod.tools.reflections import append_reflection
from selfmod.tools.triage import failure_indicators

MIN_ACTIONS = 5
MIN_GAP = 0.2


class Hypothesis(BaseModel):
    """A testable cause-and-effect statement about the agent's behaviour."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    statement: str
    """The hypothesis in one sentence ("I hypothesize that ...")."""
    cause: str
    """The suspected cause."""
    effect: str
    """The effect it would have."""
    experiment: str
    """How to test it."""
    target: str | None = None
    """A module or function of the agent's own code the hypothesis points at, if any."""
    evidence: list[str] = Field(default_factory=list)
    """The observations behind it."""


class ExperimentVerdict(BaseModel):
    """What an experiment showed about a hypothesis."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    conclusion: Literal["supported", "refuted", "inconclusive"]
    """The verdict."""
    reasoning: str
    """Why."""
    new_principle: str | None = None
    """A working principle that follows, if any."""


def _get(state: Any, key: str) -> list[Any]:
    value = state.get(key) if isinstance(state, Mapping) else getattr(state, key, None)
    return list(value or [])


def _succeeded(entry: Mapping[str, Any]) -> bool:
    if isinstance(entry.get("success"), bool):
        return bool(entry["success"])
    return not failure_indicators(str(entry.get("outcome", "")))


def _samples(state: Any) -> list[tuple[str, str, bool]]:
    """(action kind, mood, succeeded) per recorded action; a mood comes from the entry or the mood history."""
    actions, moods = _get(state, "action_history")[-50:], _get(state, "mood_history")
    aligned = moods[-len(actions) :] if len(moods) >= len(actions) else [None] * (len(actions) - len(moods)) + moods
    out = []
    for entry, mood in zip(actions, aligned, strict=True):
        if not isinstance(entry, Mapping):
            continue
        kind = str(entry.get("action") or entry.get("name") or "action")
        feel = entry.get("mood") or (mood.get("mood") if isinstance(mood, Mapping) else mood) or "unknown"
        out.append((kind, str(feel), _succeeded(entry)))
    return out


def statistical_hypothesis(state: Any) -> Hypothesis | None:
    """The offline hypothesiser: the strongest gap in success rate for an action kind under one mood."""
    samples = _samples(state)
    if len(samples) < MIN_ACTIONS:
        return None
    groups: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for kind, mood, ok in samples:
        groups[(kind, mood)].append(ok)
        groups[(kind, "*")].append(ok)
    best: tuple[tuple[float, bool], str, str, float, float, int] | None = None
    for (kind, mood), results in groups.items():
        if mood == "*" or len(results) < 2:
            continue
        others = [ok for k, m, ok in samples if k == kind and m != mood]
        if len(others) < 2:
            continue
        rate, rest = sum(results) / len(results), sum(others) / len(others)
        strength = (round(abs(rate - rest) * math.sqrt(min(len(results), len(others))), 9), rate < rest)
        if abs(rate - rest) >= MIN_GAP and (best is None or strength > best[0]):
            best = (strength, kind, mood, rate, rest, len(results))  # ties go to the worse case: problems matter
    if best is None:
        return None
    _, kind, mood, rate, rest, count = best
    worse = "worse" if rate < rest else "better"
    return Hypothesis(
        statement=f"I hypothesize that my '{kind}' actions go {worse} when I am {mood} "
        f"({rate:.0%} success in {count} tries versus {rest:.0%} otherwise).",
        cause=f"being {mood}",
        effect=f"{worse} outcomes of '{kind}'",
        experiment=f"For the next ten '{kind}' actions, record the mood and the outcome; the hypothesis holds if the "
        f"success rate while {mood} stays at least {MIN_GAP:.0%} {'below' if rate < rest else 'above'} the rest.",
        target=kind,
        evidence=[f"{kind} while {mood}: {rate:.0%}", f"{kind} otherwise: {rest:.0%}"],
    )


def generate_hypothesis(shared_state: Any, model: BaseChatModel | None = None) -> Hypothesis | None:
    """One testable hypothesis from mood history, action history and reflections; None with too little history."""
    if len(_get(shared_state, "action_history")) < MIN_ACTIONS:
        return None
    if model is None:
        return statistical_hypothesis(shared_state)
    prompt = render(
        "hypothesis",
        moods=", ".join(str(m) for m in _get(shared_state, "mood_history")[-20:]) or "(none)",
        actions="\n".join(f"- {a}" for a in _get(shared_state, "action_history")[-20:]),
        reflections="\n".join(f"- {r}" for r in _get(shared_state, "reflections")[-5:]) or "(none)",
    )
    answer = model.with_structured_output(Hypothesis).invoke([HumanMessage(content=prompt)])
    return answer if isinstance(answer, Hypothesis) else Hypothesis.model_validate(answer)


def _offline_verdict(hypothesis: Hypothesis, outcome: Mapping[str, Any]) -> ExperimentVerdict:
    expected_lower = "below" in hypothesis.experiment or "worse" in hypothesis.statement
    if "with" in outcome and "without" in outcome:
        gap = float(outcome["with"]) - float(outcome["without"])
        gap = -gap if expected_lower else gap
        if gap >= MIN_GAP:
            principle = f"Watch for {hypothesis.cause} before {hypothesis.effect}."
            reason = f"the predicted gap appeared ({gap:.0%})"
            return ExperimentVerdict(conclusion="supported", reasoning=reason, new_principle=principle)
        if gap <= 0.05:
            return ExperimentVerdict(conclusion="refuted", reasoning=f"no gap in the predicted direction ({gap:.0%})")
        return ExperimentVerdict(conclusion="inconclusive", reasoning=f"a gap of {gap:.0%} is too small to tell")
    return ExperimentVerdict(conclusion="inconclusive", reasoning="the outcome has no comparable success rates")


def analyze_experiment_outcome(
    hypothesis: Hypothesis,
    outcome: Mapping[str, Any] | str,
    model: BaseChatModel | None = None,
    settings: Settings | None = None,
) -> ExperimentVerdict:
    """Judge an experiment; with settings, record the verdict as selfmod's own reflection (never a bug)."""
    if model is None:
        verdict = _offline_verdict(hypothesis, outcome if isinstance(outcome, Mapping) else {})
    else:
        prompt = render("experiment", statement=hypothesis.statement, experiment=hypothesis.experiment, outcome=outcome)
        answer = model.with_structured_output(ExperimentVerdict).invoke([HumanMessage(content=prompt)])
        verdict = answer if isinstance(answer, ExperimentVerdict) else ExperimentVerdict.model_validate(answer)
    if settings is not None:
        note = Reflection(
            id=f"selfmod-experiment-{uuid.uuid4().hex[:10]}",
            timestamp=utc_now(),
            task_summary=f"experiment on: {hypothesis.statement}",
            outcome=verdict.conclusion,
            reflection=verdict.reasoning + (f" Principle: {verdict.new_principle}" if verdict.new_principle else ""),
            source="selfmod",
        )
        append_reflection(settings.reflections_path, settings.state_dir, note)
    return verdict


def reflection_from_hypothesis(hypothesis: Hypothesis, target: str | None = None) -> Reflection:
    """A reflection the self-modification graph can act on, for a hypothesis about the agent's own code."""
    where = target or hypothesis.target
    if not where:
        raise ValueError("the hypothesis names no part of the agent's code; pass target=")
    digest = hashlib.sha256(hypothesis.statement.encode()).hexdigest()[:12]
    return Reflection(
        id=f"hypothesis-{digest}",
        timestamp=utc_now(),
        task_summary=f"hypothesis about '{where}'",
        outcome=f"'{where}' has a problem: {hypothesis.effect}",
        reflection=f"The function '{where}' may be at fault: {hypothesis.statement} Evidence: "
        + "; ".join(hypothesis.evidence),
    )
