"""The folders map into the `selfmod.*` namespace; a bare `import tools` is never ours."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from selfmod.errors import PromptError
from selfmod.prompts import render

REPO = Path(__file__).resolve().parent.parent

PROBE = """
import importlib.util, json, selfmod, selfmod.tools, selfmod.agents, selfmod.graph, selfmod.prompts
from selfmod.tools.patching.patch_engine import apply_proposal
spec = importlib.util.find_spec("tools")
print(json.dumps({"tools_spec": None if spec is None else str(spec.origin), "selfmod": selfmod.__version__}))
"""


def test_imports_from_another_directory(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout)
    assert result["selfmod"] == "0.1.0"
    spec = result["tools_spec"]
    assert spec is None or not str(spec).startswith(str(REPO)), spec


def test_a_host_package_named_tools_wins_over_nothing_of_ours(tmp_path: Path) -> None:
    host = tmp_path / "tools"
    host.mkdir()
    (host / "__init__.py").write_text("OWNER = 'host'\n")
    code = "import tools, selfmod.tools.code.code_index; print(tools.OWNER)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "host"


def test_strict_prompt_rendering(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="no prompt template named 'nope'"):
        render("nope")


def test_prompt_with_a_missing_variable_raises() -> None:
    with pytest.raises(PromptError, match=r"'write_patch' needs variable\(s\) .*feedback"):
        render(
            "write_patch",
            qualified_name="f",
            filename="a.py",
            start_line=1,
            end_line=2,
            summary="s",
            context_start=1,
            context_end=2,
            code="1 | def f(): pass",
        )
    text = render(
        "write_patch",
        qualified_name="f",
        filename="a.py",
        start_line=1,
        end_line=2,
        summary="fails on empty input",
        context_start=1,
        context_end=2,
        code="1 | def f(): pass",
        module_context="",
        evidence="",
        feedback="",
    )
    assert "fails on empty input" in text and "${" not in text
