"""`candidates = N`: several LLM proposals screened by the tests; the one passing them, then the behaviour most
samples agree on beyond the tests, then the smallest, wins."""

from __future__ import annotations

from pathlib import Path

from test_graph import BUG, FAST, FIX, FIXED_FILE, patch, settings_for

from selfmod.graph.build import build_graph
from selfmod.testing import ScriptedChatModel, tool_call
from selfmod.tools.changes.audit import AuditLog

WRONG = (
    'def dummy_function(text):\n    """Return the first word of the text, upper-cased."""\n    return text.upper()\n'
)
BIGGER = (
    'def dummy_function(text):\n    """Return the first word of the text, upper-cased."""\n'
    "    words = text.split()\n    if not words:\n        return ''\n    first = words[0]\n    return first.upper()\n"
)

OVERFIT = (  # passes both tests ("hello world", "") and is the smallest change, but cuts any first word at 5
    'def dummy_function(text):\n    """Return the first word of the text, upper-cased."""\n    return text[:5].upper()\n'
)


def run(project: Path, *answers: object) -> tuple[dict[str, object], ScriptedChatModel]:
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), *answers])
    settings = settings_for(project, auto_approve=True, candidates=3)
    return build_graph(model=model, settings=settings, policy=FAST).invoke({}), model


def test_the_sample_that_passes_the_tests_wins_over_earlier_ones(seed_project: Path) -> None:
    out, _ = run(seed_project, patch(WRONG), patch(FIX), patch("    pass\n"))
    [result] = out["results"]  # type: ignore[misc]
    assert result["status"] == "applied" and result["attempts"] == 1
    assert (seed_project / "llm.py").read_text() == FIXED_FILE
    record = AuditLog(seed_project / ".selfmod").find(result["audit_id"])
    assert record is not None and record.token_usage["calls"] == 4  # the report and three samples
    verdicts = sorted(str(r["beyond_tests"]) for r in record.runners_up)
    assert len(verdicts) == 2
    assert verdicts[0].startswith("fails the tests") and verdicts[1].startswith("rejected by the critic")
    wrong = next(r for r in record.runners_up if str(r["beyond_tests"]).startswith("fails the tests"))
    assert "+    return text.upper()" in str(wrong["diff"])
    assert record.proposal is not None and record.proposal.explanation.endswith(
        "[selfmod: chosen of 3 samples: passes every test]"
    )


def test_among_passing_samples_the_smallest_change_wins(seed_project: Path) -> None:
    out, _ = run(seed_project, patch(BIGGER), patch(FIX), patch(BIGGER))
    [result] = out["results"]  # type: ignore[misc]
    assert result["status"] == "applied"
    assert (seed_project / "llm.py").read_text() == FIXED_FILE


def test_a_small_change_that_only_passes_the_tests_loses_to_what_the_other_samples_agree_on(
    seed_project: Path,
) -> None:
    out, _ = run(seed_project, patch(OVERFIT), patch(FIX), patch(FIX))
    [result] = out["results"]  # type: ignore[misc]
    assert result["status"] == "applied"
    assert (seed_project / "llm.py").read_text() == FIXED_FILE
    record = AuditLog(seed_project / ".selfmod").find(result["audit_id"])
    assert record is not None
    verdicts = {str(r["diff"]).count("text[:5]"): str(r["beyond_tests"]) for r in record.runners_up}
    assert verdicts[1].startswith("passes every test; beyond them it behaves like 1 of 3 passing samples")
    assert verdicts[0].startswith("passes every test; beyond them it behaves like 2 of 3 passing samples")
    assert "changes 0 of" in verdicts[0] and "changes 0 of" not in verdicts[1]
    assert record.proposal is not None  # the winner says why it won
    assert "[selfmod: chosen of 3 samples: passes every test; beyond them it behaves like 2 of 3" in (
        record.proposal.explanation
    )


def test_a_sample_the_model_botches_is_skipped(seed_project: Path) -> None:
    botched = tool_call("propose_code_patch", filename="llm.py")  # missing fields, three times (the repairs)
    out, _ = run(seed_project, botched, botched, botched, patch(FIX), patch(WRONG))
    [result] = out["results"]  # type: ignore[misc]
    assert result["status"] == "applied"
    assert (seed_project / "llm.py").read_text() == FIXED_FILE
