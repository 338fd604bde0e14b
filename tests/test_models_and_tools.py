"""Domain models and the two LLM tools: exact names, fields, validation, docstrings."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError

from selfmod import models
from selfmod.config import Settings
from selfmod.models import BugReport, PatchProposal, Reflection, Verdict
from selfmod.tools.llm_tools import TOOLS, log_bug_report, propose_code_patch


def test_tool_names_and_fields_are_exact() -> None:
    assert [t.name for t in TOOLS] == ["log_bug_report", "propose_code_patch", "propose_edits"]
    assert list(log_bug_report.args) == [
        "filename",
        "function",
        "summary",
        "severity",
        "evidence",
        "confidence",
    ]
    assert list(propose_code_patch.args) == ["filename", "start_line", "end_line", "new_code", "explanation"]
    assert log_bug_report.args["severity"]["enum"] == ["low", "medium", "high", "critical"]
    assert log_bug_report.args["severity"]["default"] == "medium"
    schema = log_bug_report.tool_call_schema.model_json_schema()
    assert sorted(schema["required"]) == ["filename", "function", "summary"]


def test_log_bug_report_validates_and_returns_the_report() -> None:
    out = log_bug_report.invoke(
        {"filename": "llm.py", "function": "dummy_function", "summary": "empty input", "severity": "HIGH"}
    )
    assert json.loads(out) == {
        "filename": "llm.py",
        "function": "dummy_function",
        "summary": "empty input",
        "severity": "high",
        "evidence": [],
        "confidence": None,
    }
    with pytest.raises(ValidationError, match="severity"):
        log_bug_report.invoke({"filename": "a.py", "function": "f", "summary": "s", "severity": "urgent"})
    with pytest.raises(ValidationError, match="confidence"):
        BugReport(filename="a.py", function="f", summary="s", confidence=1.5)


def test_propose_code_patch_validates() -> None:
    args = {
        "filename": "a.py",
        "start_line": 3,
        "end_line": 5,
        "new_code": "def f(): ...",
        "explanation": "x",
    }
    assert json.loads(propose_code_patch.invoke(args)) == args
    with pytest.raises(ValidationError, match="start_line"):
        PatchProposal.model_validate({**args, "start_line": -1})
    with pytest.raises(ValidationError, match="new_code"):
        PatchProposal.model_validate({k: v for k, v in args.items() if k != "new_code"})


def test_reflection_reads_the_seed_format() -> None:
    seed = {
        "timestamp": "2025-07-01T00:00:00Z",
        "task_summary": "Test bug in dummy_function",
        "outcome": "Function failed on edge case.",
        "reflection": "1. What failed?\n- The function 'dummy_function' in 'llm.py' does not handle empty input correctly.",
    }
    r = Reflection.model_validate(seed)
    assert r.id is None and r.source is None and r.outcome == "Function failed on edge case."
    assert Reflection.model_validate({**seed, "mood": "sad"}).model_extra == {"mood": "sad"}
    with pytest.raises(ValidationError, match="reflection"):
        Reflection.model_validate({"task_summary": "x"})


def test_verdict_accepted_iff_no_rejections() -> None:
    assert Verdict().accepted
    bad = Verdict(rejections=[models.Rejection(code=models.RejectionCode.SYNTAX, message="m")])
    assert not bad.accepted and bad.codes == [models.RejectionCode.SYNTAX]


@pytest.mark.parametrize(
    "model",
    [
        models.Reflection,
        models.BugReport,
        models.PatchProposal,
        models.CodeContext,
        models.Rejection,
        models.Verdict,
        models.TestCase,
        models.TestRun,
        models.AuditRecord,
        Settings,
    ],
)
def test_every_field_has_a_docstring(model: type[BaseModel]) -> None:
    missing = [name for name, info in model.model_fields.items() if not info.description]
    assert missing == []
