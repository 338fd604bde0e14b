from __future__ import annotations

from pathlib import Path

import pytest

from selfmod.config import Settings
from selfmod.models import CodeContext, PatchProposal
from selfmod.tools.context import Located, extract_code_block


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
