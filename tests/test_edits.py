"""`propose_edits`: fixes beyond one function (module-level statements, several functions, other files), reviewed
per file, tested together, applied all or nothing with one audit record, rolled back together."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from selfmod.agents.critic import review_edits
from selfmod.agents.tool_calling import CallPolicy
from selfmod.config import Settings
from selfmod.graph.build import build_graph
from selfmod.models import CodeContext, Edit, EditsProposal, RejectionCode
from selfmod.testing import ScriptedChatModel, tool_call
from selfmod.tools.changes.apply import recover_interrupted
from selfmod.tools.changes.apply_edits import apply_edits
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.changes.rollback import rollback
from selfmod.tools.code.context import Located, extract_code_block
from selfmod.tools.code.source_text import sha256_bytes

DATES = '''"""Dates."""

import re

_DATE = re.compile(r"^(\\d{4})-(\\d{2})$")


def parse(text):
    m = _DATE.match(text)
    if not m:
        raise ValueError(text)
    return tuple(int(g) for g in m.groups())


def year(text):
    return parse(text)[0]
'''
HELPERS = """def clean(text):
    return text
"""
SHOP = """from helpers import clean


def total(prices):
    return sum(float(clean(p)) for p in prices)


def label(name):
    return name.title()
"""
TESTS = """from dates import parse, year
from shop import label, total


def test_parse_full_date():
    assert parse("2024-01-02") == (2024, 1, 2)


def test_year():
    assert year("1999-12-31") == 1999


def test_total_with_currency():
    assert total(["$1.50", " 2 "]) == 3.5


def test_label():
    assert label("ab cd") == "Ab Cd"
"""
FIXED_REGEX = '_DATE = re.compile(r"^(\\d{4})-(\\d{2})-(\\d{2})$")'
CLEAN_FIXED = 'def clean(text):\n    return text.strip().lstrip("$")\n'
FAST = CallPolicy(backoff_initial=0.01, backoff_max=0.02)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "dates.py").write_text(DATES)
    (root / "helpers.py").write_text(HELPERS)
    (root / "shop.py").write_text(SHOP)
    (root / "tests" / "test_all.py").write_text(TESTS)
    return root


def settings_for(root: Path, **kw: Any) -> Settings:
    return Settings(
        project_root=root, env_passthrough=["PYTEST_DISABLE_PLUGIN_AUTOLOAD"], git_commit=False, auto_approve=True, **kw
    )


def context(root: Path, filename: str, symbol: str) -> CodeContext:
    found = extract_code_block(root, filename, symbol)
    assert isinstance(found, Located), found
    return found.context


def edits(*items: Edit) -> EditsProposal:
    return EditsProposal(edits=list(items), explanation="fix")


def reflect(root: Path, text: str) -> None:
    (root / "reflections.json").write_text(
        json.dumps(
            [{"id": f"r{len(text)}", "timestamp": "2025-07-01T00:00:00Z", "outcome": "crashed", "reflection": text}]
        )
    )


def run_graph(root: Path, bug: dict[str, str], answer: dict[str, Any], **kw: Any) -> dict[str, Any]:
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **bug), tool_call("propose_edits", **answer)])
    return dict(build_graph(model=model, settings=settings_for(root, max_attempts=1, **kw), policy=FAST).invoke({}))


def test_a_module_level_regex_fix_is_tested_applied_and_audited(project: Path) -> None:
    (project / "tests" / "test_all.py").write_text(TESTS.split("\n\n\ndef test_total")[0] + "\n")
    reflect(
        project, "The function 'parse' in 'dates.py' raises ValueError on full dates like 2024-01-02; that is a bug."
    )
    bug = {"filename": "dates.py", "function": "parse", "summary": "rejects 2024-01-02"}
    answer = {
        "edits": [{"filename": "dates.py", "symbol": "<module>", "new_code": f"```python\n{FIXED_REGEX}\n```"}],
        "explanation": "the pattern lacks the day",
    }
    out = run_graph(project, bug, answer)
    [result] = out["results"]
    assert result["status"] == "applied", result["message"]
    assert (project / "dates.py").read_text() == DATES.replace(
        'r"^(\\d{4})-(\\d{2})$"', 'r"^(\\d{4})-(\\d{2})-(\\d{2})$"'
    )
    record = AuditLog(project / ".selfmod").find(result["audit_id"])
    assert record is not None and record.edits is not None and record.proposal is None
    assert [f.file for f in record.files] == ["dates.py"]
    assert record.test_run is not None and record.test_run.patched_files.keys() == {"dates.py"}


def test_two_functions_of_one_file_in_one_proposal(project: Path) -> None:
    proposal = edits(
        Edit(filename="dates.py", symbol="year", new_code="def year(text):\n    return int(text[:4])\n"),
        Edit(
            filename="dates.py",
            symbol="parse",
            new_code="def parse(text):\n    return tuple(map(int, text.split('-')))\n",
        ),
    )
    review = review_edits(proposal, context(project, "dates.py", "parse"), settings_for(project))
    assert review.verdict.accepted, review.verdict
    text = review.texts["dates.py"]
    assert "    return int(text[:4])\n" in text and "    return tuple(map(int, text.split('-')))\n" in text
    assert text.startswith(DATES[: DATES.index("def parse")])  # module-level lines kept byte for byte


def test_messy_edits_are_repaired(project: Path) -> None:
    (project / "dates.py").write_bytes(DATES.replace("    ", "\t").replace("\n", "\r\n").encode())
    messy = "Here is the fixed version:\n```python\n    def year(text):\n        return int(text[:4])\n```\nDone."
    regex = f"Sure!\n\n```\n{FIXED_REGEX}\n```"
    proposal = edits(
        Edit(filename="dates.py", symbol="dates.year", new_code=messy),
        Edit(filename="./dates.py", symbol="module", new_code=regex),
    )
    review = review_edits(proposal, context(project, "dates.py", "year"), settings_for(project))
    assert review.verdict.accepted, review.verdict
    text = review.texts["dates.py"]
    assert "def year(text):\r\n\treturn int(text[:4])\r\n" in text
    assert FIXED_REGEX + "\r\n" in text and "\n" not in text.replace("\r\n", "")


def test_a_helper_in_another_file_needs_scope_off(project: Path) -> None:
    (project / "dates.py").write_text(DATES.replace('(\\d{2})$"', '(\\d{2})-(\\d{2})$"'))
    reflect(project, "The function 'total' in 'shop.py' raises ValueError on prices like '$1.50'; that is a bug.")
    bug = {"filename": "shop.py", "function": "total", "summary": "fails on '$1.50'"}
    answer = {
        "edits": [
            {"filename": "helpers.py", "symbol": "clean", "new_code": CLEAN_FIXED},
            {
                "filename": "shop.py",
                "symbol": "total",
                "new_code": "def total(prices):\n    return round(sum(float(clean(p)) for p in prices), 2)\n",
            },
        ]
    }
    out = run_graph(project, bug, answer)
    assert [r["status"] for r in out["results"]] == ["rejected"]
    assert (project / "helpers.py").read_text() == HELPERS and (project / "shop.py").read_text() == SHOP
    [record] = [r for r in AuditLog(project / ".selfmod").records() if r.status == "rejected"]
    assert record.verdict is not None and RejectionCode.SCOPE in record.verdict.codes

    reflect(project, "The function 'total' in 'shop.py' still raises ValueError on '$1.50'; that is a bug.")
    out = run_graph(project, bug, answer, enforce_scope=False)
    [result] = out["results"]
    assert result["status"] == "applied", result["message"]
    assert (project / "helpers.py").read_text() == CLEAN_FIXED
    assert "round(sum(" in (project / "shop.py").read_text()
    applied = [r for r in AuditLog(project / ".selfmod").records() if r.status == "applied"]
    assert len(applied) == 1 and sorted(f.file for f in applied[0].files) == ["helpers.py", "shop.py"]
    assert applied[0].file == "shop.py"

    back = rollback(settings_for(project), AuditLog(project / ".selfmod"), applied[0].id)
    assert back.status == "rolled_back" and sorted(f.file for f in back.files) == ["helpers.py", "shop.py"]
    assert (project / "helpers.py").read_text() == HELPERS and (project / "shop.py").read_text() == SHOP


def test_a_protected_file_in_the_edits_is_rejected(project: Path) -> None:
    proposal = edits(
        Edit(filename="dates.py", symbol="<module>", new_code=FIXED_REGEX),
        Edit(filename="tests/test_all.py", symbol="test_year", new_code="def test_year():\n    pass\n"),
    )
    review = review_edits(proposal, context(project, "dates.py", "parse"), settings_for(project, enforce_scope=False))
    assert RejectionCode.PROTECTED_PATH in review.verdict.codes and review.texts == {}


def _two_file_change(project: Path) -> dict[str, tuple[str, str]]:
    return {
        "helpers.py": (CLEAN_FIXED, sha256_bytes((project / "helpers.py").read_bytes())),
        "shop.py": (SHOP.replace("name.title()", "name.upper()"), sha256_bytes((project / "shop.py").read_bytes())),
    }


def test_a_failed_write_of_the_second_file_leaves_both_original(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace
    second = str(project.resolve() / "shop.py")

    def failing_replace(src: Any, dst: Any) -> None:
        if str(dst) == second:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    audit = AuditLog(project / ".selfmod")
    record = apply_edits(settings_for(project), audit, _two_file_change(project))
    monkeypatch.setattr(os, "replace", real_replace)
    assert record.status == "aborted" and "shop.py" in record.message
    assert (project / "helpers.py").read_text() == HELPERS and (project / "shop.py").read_text() == SHOP
    assert recover_interrupted(settings_for(project), audit) == []  # the final record closes the intent


def test_an_interrupted_two_file_apply_is_undone_by_recovery(project: Path) -> None:
    settings = settings_for(project)
    audit = AuditLog(project / ".selfmod")
    record = apply_edits(settings, audit, _two_file_change(project))
    assert record.status == "applied" and len(record.files) == 2
    # Simulate a writer killed after the intent and the first file: drop the final record, put shop.py back.
    intent = next(r for r in audit.records() if r.status == "applying")
    lines = audit.path.read_text().splitlines(keepends=True)
    audit.path.write_text("".join(lines[:-1]))
    for head in (project / ".selfmod").glob("audit.head*"):
        head.unlink()
    (project / "shop.py").write_text(SHOP)
    [recovered] = recover_interrupted(settings, audit)
    assert recovered.id == intent.related_id and recovered.status == "aborted"
    assert "restored helpers.py" in recovered.message
    assert (project / "helpers.py").read_text() == HELPERS and (project / "shop.py").read_text() == SHOP
