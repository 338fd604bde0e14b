"""The LLM extractor sees where a reflection points in the project, and a `no_bug` that ignores it is questioned."""

from __future__ import annotations

from pathlib import Path

from test_graph import BUG, settings_for

from selfmod.agents.extractor import LLMExtractor
from selfmod.agents.offline.offline_extractor import OfflineExtractor
from selfmod.models import Reflection
from selfmod.testing import ScriptedChatModel, tool_call
from selfmod.tools.code.mentions import pointers
from selfmod.tools.code.project_index import index_project

TRACE = """Traceback (most recent call last):
  File "/home/agent/proj/tests/test_llm.py", line 9, in test_empty_input
    assert dummy_function("") == ""
  File "/home/agent/proj/llm.py", line 6, in dummy_function
    return text.split()[0].upper()
  File "/usr/lib/python3.11/re.py", line 3, in compile
IndexError: list index out of range"""


def test_pointers_keep_the_projects_own_frames_and_named_symbols(seed_project: Path) -> None:
    project = index_project(settings_for(seed_project))
    found = pointers(TRACE + "\nAlso 'word_count' looked odd.", project)
    assert found[0] == "traceback frame: llm.py, line 6, in dummy_function"  # the project's frame, not the test's
    assert not any("test_llm" in line or "re.py" in line for line in found)
    assert "named in the reflection: word_count (llm.py)" in found
    assert "file named in the reflection: llm.py" in found
    bare = pointers("In llm.py the helper dummy_function drops words.", project)
    assert bare == ["named in the reflection: dummy_function (llm.py)", "file named in the reflection: llm.py"]
    assert pointers("The network was down.", project) == []


def test_a_no_bug_answer_against_a_failure_in_the_projects_code_is_asked_again(seed_project: Path) -> None:
    model = ScriptedChatModel(
        responses=[
            tool_call("log_bug_report", filename="none", function="no_bug", summary="looks fine"),
            tool_call("log_bug_report", **BUG),
        ]
    )
    reflection = Reflection(id="r", task_summary="summarise", outcome="failed", reflection=TRACE)
    found = LLMExtractor(model, settings_for(seed_project)).extract(reflection)
    assert found.status == "found" and found.report is not None and found.report.function == "dummy_function"
    first, second = (str(call[-1].content) for call in model.calls)
    assert "traceback frame: llm.py, line 6, in dummy_function" in first
    assert "Correction" in second and "You answered `no_bug`" in second


def test_no_bug_stands_when_the_reflection_points_nowhere_in_the_project(seed_project: Path) -> None:
    model = ScriptedChatModel(
        responses=[tool_call("log_bug_report", filename="none", function="no_bug", summary="an outage")]
    )
    reflection = Reflection(id="r", task_summary="plan", outcome="failed", reflection="The network was down.")
    found = LLMExtractor(model, settings_for(seed_project)).extract(reflection)
    assert found.status == "no_bug" and len(model.calls) == 1


def test_a_second_no_bug_against_a_located_failure_gets_the_deterministic_report(seed_project: Path) -> None:
    denial = tool_call("log_bug_report", filename="none", function="no_bug", summary="works as designed")
    model = ScriptedChatModel(responses=[denial, denial])
    settings = settings_for(seed_project)
    reflection = Reflection(id="r", task_summary="summarise", outcome="failed", reflection=TRACE)
    found = LLMExtractor(model, settings, fallback=OfflineExtractor(settings)).extract(reflection)
    assert found.status == "found" and found.report is not None
    assert (found.report.filename, found.report.function) == ("llm.py", "dummy_function")
    assert found.report.evidence[0].startswith("located by selfmod's deterministic locator; the model answered no_bug")
    assert "works as designed" in found.report.evidence[0] and len(model.calls) == 2
    without = LLMExtractor(ScriptedChatModel(responses=[denial, denial]), settings).extract(reflection)
    assert without.status == "no_bug" and without.report is None


def test_a_misplaced_report_twice_gets_the_deterministic_report_and_an_unplaceable_one_stays(
    seed_project: Path,
) -> None:
    elsewhere = tool_call("log_bug_report", filename="nowhere.py", function="f", summary="broken")
    settings = settings_for(seed_project)
    reflection = Reflection(id="r", task_summary="summarise", outcome="failed", reflection=TRACE)
    model = ScriptedChatModel(responses=[elsewhere, elsewhere])
    found = LLMExtractor(model, settings, fallback=OfflineExtractor(settings)).extract(reflection)
    assert found.status == "found" and found.report is not None and found.report.function == "dummy_function"
    assert "a place not in the project" in found.report.evidence[0]
    vague = Reflection(id="v", task_summary="plan", outcome="failed", reflection="Something crashed somewhere.")
    model = ScriptedChatModel(responses=[elsewhere, elsewhere])
    kept = LLMExtractor(model, settings, fallback=OfflineExtractor(settings)).extract(vague)
    assert kept.status == "unlocatable" and kept.report is not None and kept.report.filename == "nowhere.py"
