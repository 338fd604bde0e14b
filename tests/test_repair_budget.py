"""Budgets in every phase of the offline engine: a 600-line function ends within its budget and says where the
budget ran out; bounded generation keeps exactly the best candidates an unbounded one would rank first."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import CALC

from selfmod.agents.offline.offline_patcher import OfflinePatcher
from selfmod.agents.offline.repair_budget import Budget, PhaseClock
from selfmod.agents.offline.repair_search import make_site, rank, search
from selfmod.config import Settings
from selfmod.errors import NoFixError
from selfmod.models import BugReport
from selfmod.tools.code.context import Located, extract_code_block
from selfmod.tools.localize import localize

LINES = 600


def big_module(lines: int = LINES) -> str:
    body = ["def big(n):", "    a0 = n"]
    body += [f"    a{i} = a{i - 1} + {i % 7}" for i in range(1, lines - 2)]
    body.append(f"    return a{lines - 3}")
    return "\n".join(body) + "\n"


@pytest.fixture
def big_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    (tmp_path / "tests").mkdir()
    (tmp_path / "big.py").write_text(big_module())
    (tmp_path / "tests" / "test_big.py").write_text(
        "from big import big\n\n\ndef test_words():\n    assert big(1) == 'one'\n\n\n"
        "def test_number():\n    assert isinstance(big(1), int)\n"
    )
    return tmp_path


def settings_for(root: Path) -> Settings:
    return Settings(project_root=root, env_passthrough=["PYTEST_DISABLE_PLUGIN_AUTOLOAD"], git_commit=False)


def test_a_600_line_function_ends_within_its_budget_and_says_which_phases_it_cut(big_project: Path) -> None:
    settings = settings_for(big_project)
    loc = localize(settings)
    assert loc is not None and loc.failing == ["tests/test_big.py::test_words"]
    seen: dict[str, int] = {}

    def progress(phase: str, done: int, total: int | None) -> None:
        seen[phase] = seen.get(phase, 0) + 1

    started = time.monotonic()
    result = search(settings, "big.py", "big", loc, set(), Budget(seconds=8), progress)
    elapsed = time.monotonic() - started
    assert elapsed < 16, elapsed
    assert result.plausible == [] and "generation" in result.cut
    assert result.generated > result.ranked > 0 and result.validated > 0
    assert {"generation", "ranking", "validation"} <= set(seen), seen
    message = result.tried()
    assert "the 8 s budget ran out during generation" in message and f"{result.validated} validated" in message
    assert (big_project / "big.py").read_text() == big_module()


def test_the_offline_patcher_reports_no_fix_with_what_it_tried(big_project: Path) -> None:
    settings = settings_for(big_project)
    located = extract_code_block(settings.project_root, "big.py", "big")
    assert isinstance(located, Located)
    context = located.context
    bug = BugReport(filename="big.py", function="big", summary="big(1) should be 'one'")
    patcher = OfflinePatcher(settings, Budget(seconds=5), show_progress=False)
    started = time.monotonic()
    with pytest.raises(NoFixError, match=r"no candidate that passes the tests: \d+ candidate\(s\) generated") as err:
        patcher.propose(bug, context, "")
    assert time.monotonic() - started < 15
    assert "budget ran out during generation" in str(err.value)
    assert (big_project / "big.py").read_text() == big_module()


def test_bounded_generation_keeps_the_candidates_unbounded_ranking_puts_first(calc_project: Path) -> None:
    site = make_site(calc_project, "calc.py", "mean")
    assert site is not None
    everything = rank(site, None, "calc.py", set())
    first = rank(site, None, "calc.py", set(), limit=40)
    assert len(everything) > 100 and len(first) == 40
    assert [c.key for c in first] == [c.key for c in everything[:40]]
    assert (calc_project / "calc.py").read_text() == CALC


def test_a_spent_clock_cuts_every_phase_it_is_asked_about() -> None:
    clock = PhaseClock(0.0)
    assert clock.over("generation") and clock.over("ranking") and clock.over("generation")
    assert clock.cut == ["generation", "ranking"]
    fresh = PhaseClock(60.0)
    assert not fresh.over("validation") and fresh.cut == []
    assert fresh.phase_end("generation") < fresh.phase_end("ranking") < fresh.deadline
