from __future__ import annotations

from pathlib import Path

import pytest

from selfmod.config import Settings
from selfmod.models import CodeContext, PatchProposal
from selfmod.tools.code.context import Located, extract_code_block


def context_for(root: Path, filename: str, symbol: str, summary: str = "") -> CodeContext:
    """Retrieve a context that must resolve (fails the test otherwise)."""
    found = extract_code_block(root, filename, symbol, summary=summary)
    assert isinstance(found, Located), found
    return found.context


def proposal(filename: str, start: int, end: int, code: str) -> PatchProposal:
    return PatchProposal(filename=filename, start_line=start, end_line=end, new_code=code, explanation="test")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root


@pytest.fixture
def settings(project: Path) -> Settings:
    return Settings(project_root=project)


CALC = '''"""A tiny module of the sample agent."""


def mean(values):
    return sum(values) / len(values)


def clamp(x, low, high):
    return max(low, min(x, high))
'''

CALC_FIXED = CALC.replace(
    "    return sum(values) / len(values)",
    "    if not values:\n        return 0.0\n    return sum(values) / len(values)",
)

CALC_TESTS = """from calc import clamp, mean


def test_mean():
    assert mean([1, 2, 3]) == 2


def test_mean_empty():
    assert mean([]) == 0.0


def test_clamp():
    assert clamp(5, 0, 3) == 3
"""


@pytest.fixture
def seed_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seed's own example: dummy_function in llm.py fails on empty input; tests expose it."""
    from selfmod.demo import write_sample_project

    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    root = tmp_path / "agent"
    root.mkdir()
    write_sample_project(root)
    return root


@pytest.fixture
def calc_project(tmp_path: Path) -> Path:
    """A project with a bug in calc.mean (empty input), its tests, and one reflection about it."""
    import json

    root = tmp_path / "calc_project"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text(CALC)
    (root / "tests" / "test_calc.py").write_text(CALC_TESTS)
    (root / "reflections.json").write_text(
        json.dumps(
            [
                {
                    "id": "r1",
                    "timestamp": "2025-07-01T00:00:00Z",
                    "task_summary": "average of readings",
                    "outcome": "crashed",
                    "reflection": "The function 'mean' in 'calc.py' raises ZeroDivisionError on an empty list; that is a bug.",
                }
            ]
        )
    )
    return root
