"""The offline engine as the graph's default: no key, no network, real repairs through critic, sandbox and audit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CALC, CALC_FIXED

from selfmod.config import Settings
from selfmod.graph.build import build_graph
from selfmod.tools.changes.audit import AuditLog


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]


def offline(root: Path, fast: list[str], **kw: object) -> dict[str, object]:
    settings = Settings(project_root=root, env_passthrough=fast, auto_approve=True, git_commit=False, **kw)  # type: ignore[arg-type]
    return build_graph(model=None, settings=settings).invoke({}, {"recursion_limit": 500})


def test_offline_engine_fixes_the_bug_end_to_end(calc_project: Path, fast: list[str]) -> None:
    out = offline(calc_project, fast)
    [result] = out["results"]  # type: ignore[index]
    assert (result["status"], result["function"]) == ("applied", "mean")
    assert (calc_project / "calc.py").read_text() == CALC_FIXED
    record = AuditLog(calc_project / ".selfmod").find(result["audit_id"])
    assert record is not None and record.model == "offline"
    assert record.proposal is not None and record.proposal.explanation.startswith("Offline repair (guard)")
    assert record.test_run is not None and (record.test_run.passed, record.test_run.failed) == (3, 0)


def test_without_a_failing_test_the_engine_says_so(calc_project: Path, fast: list[str]) -> None:
    (calc_project / "tests" / "test_calc.py").write_text(
        "from calc import mean\n\n\ndef test_mean():\n    assert mean([2]) == 2\n"
    )
    out = offline(calc_project, fast)
    [result] = out["results"]  # type: ignore[index]
    assert result["status"] == "error" and "needs a failing test" in result["message"]
    assert (calc_project / "calc.py").read_text() == CALC


def test_an_unfixable_bug_is_never_applied(calc_project: Path, fast: list[str]) -> None:
    (calc_project / "tests" / "test_calc.py").write_text(
        "from calc import mean\n\n\ndef test_mean_words():\n    assert mean([1, 2]) == 'one and a half'\n"
    )
    out = offline(calc_project, fast, max_attempts=1)
    [result] = out["results"]  # type: ignore[index]
    assert result["status"] == "no_fix" and "no candidate that passes" in result["message"]
    assert "candidate(s) generated" in result["message"] and "validated" in result["message"]
    assert (calc_project / "calc.py").read_text() == CALC


def test_selfmod_run_without_a_key_uses_the_offline_engine(calc_project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    (calc_project / "pyproject.toml").write_text(
        '[tool.selfmod]\nenv_passthrough = ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]\n'
    )
    proc = subprocess.run(
        [sys.executable, "-m", "selfmod", "run", "--project", str(calc_project), "--yes", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=calc_project.parent,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    [result] = payload["results"]
    assert result["status"] == "applied"
    assert "if not values:" in (calc_project / "calc.py").read_text()
    spent = result["durations"]  # where the time went, node by node and phase by phase
    for name in ("extract_bug", "locate", "write_patch", "test_patch"):
        assert spent[name] > 0, (name, spent)
    # the CLI's head start did the search while LangGraph loaded; its phases are reported under warm_up.
    for name in ("warm_up.localize", "warm_up.search", "warm_up.worker"):
        assert spent[name] > 0, (name, spent)
    assert spent["warm_up.search"] >= spent["warm_up.worker"] >= spent["warm_up.worker_candidates"]
    assert "search" not in spent  # the graph's patcher took the warm-up's result instead of searching again
    assert payload["seconds"] >= spent["write_patch"] + spent["test_patch"]


def test_two_independent_bugs_are_each_repaired(tmp_path: Path, fast: list[str]) -> None:
    root = tmp_path / "two"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text(CALC)
    (root / "scale.py").write_text("def double(x):\n    return x * 3\n")
    (root / "tests" / "test_all.py").write_text(
        "from calc import mean\nfrom scale import double\n\n\ndef test_mean_empty():\n    assert mean([]) == 0.0\n\n\n"
        "def test_mean():\n    assert mean([2, 4]) == 3\n\n\ndef test_double():\n    assert double(2) == 4\n"
    )
    reflections = [
        {"id": "m", "reflection": "mean in calc.py crashed with ZeroDivisionError on an empty list."},
        {"id": "d", "reflection": "`double` in scale.py returns a wrong result."},
    ]
    (root / "reflections.json").write_text(json.dumps(reflections))
    out = offline(root, fast, acceptance="no_regression")
    assert {r["reflection_id"]: r["status"] for r in out["results"]} == {"m": "applied", "d": "applied"}  # type: ignore[index]
    assert (root / "calc.py").read_text() == CALC_FIXED
    assert (root / "scale.py").read_text() == "def double(x):\n    return x * 2\n"


def test_offline_first_saves_the_llm_call_and_falls_back_when_it_has_nothing(
    calc_project: Path, fast: list[str]
) -> None:
    from selfmod.testing import ScriptedChatModel, tool_call

    bug = {"filename": "calc.py", "function": "mean", "summary": "ZeroDivisionError on []"}
    settings = Settings(
        project_root=calc_project, env_passthrough=fast, auto_approve=True, git_commit=False, offline_first=True
    )
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **bug)])
    out = build_graph(model=model, settings=settings).invoke({}, {"recursion_limit": 500})
    assert [r["status"] for r in out["results"]] == ["applied"] and len(model.calls) == 1
    assert (calc_project / "calc.py").read_text() == CALC_FIXED

    (calc_project / "calc.py").write_text(CALC)
    (calc_project / "tests" / "test_calc.py").write_text(
        "from calc import mean\n\n\ndef test_mean_words():\n    assert mean([1, 2]) == 'one and a half'\n"
    )
    words = "def mean(values):\n    return 'one and a half' if values == [1, 2] else sum(values) / len(values)\n"
    patch = tool_call(
        "propose_code_patch", filename="calc.py", start_line=4, end_line=5, new_code=words, explanation="x"
    )
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **bug), patch])
    reflection = [{"id": "w", "reflection": "mean in calc.py returns the wrong kind of result."}]
    out = build_graph(model=model, settings=settings).invoke({"reflections": reflection}, {"recursion_limit": 500})
    assert [r["status"] for r in out["results"]] == ["applied"] and len(model.calls) == 2
    assert "one and a half" in (calc_project / "calc.py").read_text()
