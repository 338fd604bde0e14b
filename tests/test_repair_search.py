"""Localisation, ranked search and the fork-per-candidate worker on real small projects."""

from __future__ import annotations

import ast
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import CALC

from selfmod.agents.offline.repair_edits import Candidate, Site
from selfmod.agents.offline.repair_ranking import code_key
from selfmod.agents.offline.repair_search import Budget, Validator, make_site, rank, relevant_passing, search
from selfmod.config import Settings
from selfmod.tools.localize import Localization, localize, pytest_args

COUNTER = """def count_up(n):
    i = 0
    while i < n:
        i += 1
    return i + 1
"""
COUNTER_TESTS = "from counter import count_up\n\n\ndef test_count():\n    assert count_up(3) == 3\n\n\ndef test_zero():\n    assert count_up(0) == 0\n"


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]


def _counter(root: Path, fast: list[str]) -> tuple[Settings, Localization, Site]:
    """The counter project (its loop returns one too many), localised, and its `count_up` site."""
    (root / "tests").mkdir()
    (root / "counter.py").write_text(COUNTER)
    (root / "tests" / "test_counter.py").write_text(COUNTER_TESTS)
    settings = Settings(project_root=root, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None and loc.failing
    site = make_site(root, "counter.py", "count_up")
    assert site is not None
    return settings, loc, site


def test_localisation_ranks_the_buggy_lines(calc_project: Path, fast: list[str]) -> None:
    settings = Settings(project_root=calc_project, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None
    assert loc.failing == ["tests/test_calc.py::test_mean_empty"]
    assert loc.passing == ["tests/test_calc.py::test_clamp", "tests/test_calc.py::test_mean"]
    assert loc.line_score("calc.py", 5) == pytest.approx(1 / 2**0.5)
    assert loc.line_score("calc.py", 9) == 0.0
    assert list((calc_project / ".selfmod" / "localize").iterdir())
    assert localize(settings) is not None


@pytest.mark.parametrize(
    ("command", "args"),
    [
        (["python", "-m", "pytest", "-q", "tests"], ["-q", "tests"]),
        (["/usr/bin/pytest", "-x"], ["-x"]),
        (["make", "test"], None),
    ],
)
def test_pytest_args(command: list[str], args: list[str] | None) -> None:
    assert pytest_args(command) == args


def test_search_finds_the_guard_for_empty_input(calc_project: Path, fast: list[str]) -> None:
    settings = Settings(project_root=calc_project, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None
    result = search(settings, "calc.py", "mean", loc, set(), Budget(stop_after=20))
    assert result.plausible and result.validated >= 1
    best = min(result.plausible, key=lambda c: c.size)
    assert best.operator == "guard" and "if not values:" in best.source
    assert (calc_project / "calc.py").read_text() == CALC


def test_a_hanging_candidate_costs_about_the_timeout(tmp_path: Path, fast: list[str]) -> None:
    settings, loc, site = _counter(tmp_path, fast)
    cands = rank(site, loc, "counter.py", set())
    hang = next(c for c in cands if c.operator == "augassign" and c.description == "+= -> -=")
    fix = next(c for c in cands if c.operator == "return" and c.description == "return i")
    validator = Validator(settings)
    timeout = validator.timeout_for(loc, loc.failing)
    assert timeout == 0.25 and validator.confirm_timeout(loc) >= 1.0  # the floor: these tests take milliseconds
    started = time.monotonic()
    verdicts = validator.validate("counter.py", "count_up", [hang, fix], loc, time.time() + 60, Budget())
    elapsed = time.monotonic() - started
    assert (len(verdicts.rows), verdicts.timeouts) == (2, 1)
    assert [c.description for c in verdicts.plausible] == ["return i"]
    assert verdicts.rows[0]["verdict"] == "timeout" and timeout <= verdicts.rows[0]["seconds"] < timeout + 0.25
    assert elapsed < 5


def test_nothing_plausible_in_budget_returns_empty(tmp_path: Path, fast: list[str]) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "hard.py").write_text("def secret(x):\n    return x * 7919 + 104729\n")
    (tmp_path / "tests" / "test_hard.py").write_text(
        "from hard import secret\n\ndef test_secret():\n    assert secret(2) == 'two'\n"
    )
    settings = Settings(project_root=tmp_path, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None
    result = search(settings, "hard.py", "secret", loc, set(), Budget(candidates=200, seconds=30))
    assert result.plausible == [] and 0 < result.validated <= 200
    assert (tmp_path / "hard.py").read_text() == "def secret(x):\n    return x * 7919 + 104729\n"


def test_candidates_are_plain_data(calc_project: Path) -> None:
    site = make_site(calc_project, "calc.py", "mean")
    assert site is not None
    cand = rank(site, None, "calc.py", set())[0]
    assert isinstance(cand, Candidate) and cand.source.startswith("def mean(values):")


def test_slow_passing_tests_do_not_make_survivors_time_out(calc_project: Path, fast: list[str]) -> None:
    (calc_project / "tests" / "test_slow.py").write_text(
        "import time\nfrom calc import clamp\n\n\ndef test_slow_clamp():\n    time.sleep(1.2)\n    assert clamp(1, 0, 3) == 1\n"
    )
    settings = Settings(project_root=calc_project, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None
    validator = Validator(settings)
    assert validator.timeout_for(loc, loc.failing) <= 0.25 < 4 < validator.confirm_timeout(loc)
    result = search(settings, "calc.py", "mean", loc, set(), Budget(stop_after=5, max_plausible=1))
    assert [c.operator for c in result.plausible] == ["guard"]


SHAPES = "def area(width, height):\n    return width + height\n"
UNITTEST_SUITE = """import unittest

from shapes import area


class AreaTest(unittest.TestCase):
    def test_square(self):
        self.assertEqual(area(3, 3), 9)

    def test_zero(self):
        self.assertEqual(area(0, 0), 0)
"""
PYTEST_STYLES = """import pytest

from shapes import area


@pytest.mark.parametrize(("w", "h", "expected"), [(2, 2, 4), (2, 5, 10)])
def test_param(w, h, expected):
    assert area(w, h) == expected


@pytest.fixture
def hundred():
    value = area(10, 10)
    if value != 100:
        raise RuntimeError(f"the fixture saw area {value}")
    return value


def test_fixture(hundred):
    assert hundred == 100


@pytest.mark.xfail(reason="documented as broken")
def test_xfail():
    assert area(-1, 2) == -2


def test_skip():
    pytest.skip("not on this platform")
    assert area(1, 1) == 1
"""


def _shapes(root: Path, tests: str) -> list[Candidate]:
    (root / "tests").mkdir()
    (root / "shapes.py").write_text(SHAPES)
    (root / "tests" / "test_shapes.py").write_text(tests)
    site = make_site(root, "shapes.py", "area")
    assert site is not None
    cands = rank(site, None, "shapes.py", set())
    bad = next(c for c in cands if "width - height" in c.source)
    good = next(c for c in cands if "width * height" in c.source)
    return [bad, good]


@pytest.mark.parametrize("quick", [True, False])
def test_a_unittest_failure_is_not_a_pass_in_the_worker(tmp_path: Path, fast: list[str], quick: bool) -> None:
    bad, good = _shapes(tmp_path, UNITTEST_SUITE)
    settings = Settings(project_root=tmp_path, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None
    assert (loc.failing, loc.passing) == (
        ["tests/test_shapes.py::AreaTest::test_square"],
        ["tests/test_shapes.py::AreaTest::test_zero"],
    )
    budget = Budget(quick_screen=quick)
    verdicts = Validator(settings).validate("shapes.py", "area", [bad, good], loc, time.time() + 60, budget)
    assert [row["verdict"] for row in verdicts.rows] == ["failed", "ok"]
    assert verdicts.plausible == [good]


@pytest.mark.parametrize("quick", [True, False])
@pytest.mark.parametrize(
    ("failing", "fixable"),
    [
        (["tests/test_shapes.py::test_param[2-5-10]"], True),
        (["tests/test_shapes.py::test_fixture"], True),
        (["tests/test_shapes.py::test_xfail"], False),
        (["tests/test_shapes.py::test_skip"], False),
    ],
)
def test_worker_outcomes_come_from_pytests_reports(
    tmp_path: Path, fast: list[str], failing: list[str], fixable: bool, quick: bool
) -> None:
    """Screening with pytest's hooks alone (`quick`) may let an xpass through, never a failure; the full
    protocol that confirms a survivor decides, so both give the same verdicts."""
    bad, good = _shapes(tmp_path, PYTEST_STYLES)
    settings = Settings(project_root=tmp_path, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None
    assert loc.outcomes == {
        "tests/test_shapes.py::test_param[2-2-4]": "passed",
        "tests/test_shapes.py::test_param[2-5-10]": "failed",
        "tests/test_shapes.py::test_fixture": "error",
        "tests/test_shapes.py::test_xfail": "xfailed",
        "tests/test_shapes.py::test_skip": "skipped",
    }
    loc.outcomes["tests/test_shapes.py::test_param[2-2-4]"] = "skipped"  # only the chosen test decides
    budget = Budget(quick_screen=quick)
    verdicts = Validator(settings).validate("shapes.py", "area", [bad, good], loc, time.time() + 60, budget, failing)
    assert verdicts.plausible == ([good] if fixable else [])
    assert verdicts.rows and all(row["verdict"] in ("failed", "ok") for row in verdicts.rows)


def test_a_worker_that_validates_nothing_says_why(calc_project: Path, fast: list[str]) -> None:
    settings = Settings(project_root=calc_project, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None
    site = make_site(calc_project, "calc.py", "mean")
    assert site is not None
    cands = rank(site, loc, "calc.py", set())[:3]
    verdicts = Validator(settings).validate("calc.py", "no_such_function", cands, loc, time.time() + 60, Budget())
    assert verdicts.rows == [] and verdicts.plausible == []
    assert "no_such_function" in verdicts.error


def test_screening_lanes_judge_every_candidate_once_as_one_lane_does(tmp_path: Path, fast: list[str]) -> None:
    settings, loc, site = _counter(tmp_path, fast)
    ranked = [c for c in rank(site, loc, "counter.py", set()) if c.description != "return i"]
    fix = next(c for c in rank(site, loc, "counter.py", set()) if c.description == "return i")
    hang = Candidate((), "x", "hang", 1, 1.0, 1.0, extra={"def": "def count_up(n):\n    while True:\n        pass\n"})
    dies = Candidate((), "x", "dies", 1, 1.0, 1.0, extra={"def": "def count_up(n):\n    import os\n    os._exit(3)\n"})
    cands = [*ranked[:18], hang, *ranked[18:30], dies, *ranked[30:40], fix, *ranked[40:45]]
    everything = Budget(stop_after=10**6, max_plausible=10**6, stop_seconds=1e9)
    one = Validator(settings).validate("counter.py", "count_up", cands, loc, time.time() + 120, everything)
    two = Validator(settings).validate(
        "counter.py", "count_up", cands, loc, time.time() + 120, Budget(**{**everything.__dict__, "lanes": 2})
    )
    for verdicts in (one, two):
        assert [row["id"] for row in verdicts.rows] == list(range(len(cands)))
        assert "return i" in [c.description for c in verdicts.plausible]
        by_id = {row["id"]: row["verdict"] for row in verdicts.rows}
        assert by_id[18] == "timeout" and by_id[31] == "error: child died" and by_id[42] == "ok"
    assert [row["ok"] for row in one.rows] == [row["ok"] for row in two.rows]
    assert [c.key for c in one.plausible] == [c.key for c in two.plausible]


def test_a_worker_started_before_its_candidates_waits_for_them_and_one_given_none_stops(
    tmp_path: Path, fast: list[str]
) -> None:
    settings, loc, site = _counter(tmp_path, fast)
    cands = rank(site, loc, "counter.py", set())[:40]
    validator = Validator(settings)
    early = validator.start("counter.py", "count_up", loc, time.time() + 60, Budget())
    time.sleep(1.0)  # it collects meanwhile, then waits
    verdicts = early.run(cands)
    direct = validator.validate("counter.py", "count_up", cands, loc, time.time() + 60, Budget())
    assert verdicts.rows and [r["ok"] for r in verdicts.rows] == [r["ok"] for r in direct.rows]
    assert [c.key for c in verdicts.plausible] == [c.key for c in direct.plausible]
    idle = validator.start("counter.py", "count_up", loc, time.time() + 60, Budget())
    started = time.monotonic()
    nothing = idle.run([])
    assert (nothing.rows, nothing.plausible, nothing.error) == ([], [], "") and time.monotonic() - started < 5
    assert (tmp_path / "counter.py").read_text() == COUNTER


def test_the_best_candidates_go_first_and_the_rest_follows_while_the_worker_screens(
    tmp_path: Path, fast: list[str]
) -> None:
    settings, loc, site = _counter(tmp_path, fast)
    ranked = rank(site, loc, "counter.py", set())[:60]
    everything = Budget(stop_after=10**6, max_plausible=10**6, stop_seconds=1e9)
    judged = Validator(settings).validate("counter.py", "count_up", ranked, loc, time.time() + 60, everything)
    wrong = [ranked[r["id"]] for r in judged.rows if not r["ok"]][:30]
    fix = next(c for c in ranked if c.description == "return i")
    head, rest = wrong[:10], [*wrong[10:25], fix, *wrong[25:]]
    calls: list[bool] = []

    def more(stopped: Any) -> list[Candidate]:
        calls.append(stopped())
        return rest

    reported: list[Candidate] = []
    worker = Validator(settings).start("counter.py", "count_up", loc, time.time() + 60, Budget())
    verdicts = worker.run(head, more, reported.append)
    assert reported == [fix]  # reported while the worker went on, once
    assert calls == [False]  # the worker had no fix among the first ones: it waited for the rest
    assert [row["id"] for row in verdicts.rows] == list(range(len(head) + len(rest)))
    assert [c.description for c in verdicts.plausible] == ["return i"] and verdicts.rest == rest
    assert [r["id"] for r in verdicts.rows if r["ok"]] == [len(head) + 15]


def test_a_worker_that_found_its_fix_among_the_first_candidates_does_not_wait_for_the_rest(
    tmp_path: Path, fast: list[str]
) -> None:
    settings, loc, site = _counter(tmp_path, fast)
    ranked = rank(site, loc, "counter.py", set())[:20]
    seen: list[float] = []

    def more(stopped: Any) -> list[Candidate]:
        started = time.monotonic()
        while not stopped() and time.monotonic() - started < 30:
            time.sleep(0.05)
        seen.append(time.monotonic() - started)
        return []

    budget = Budget(stop_after=20)
    verdicts = Validator(settings).start("counter.py", "count_up", loc, time.time() + 60, budget).run(ranked, more)
    assert seen and seen[0] < 30  # the worker ended on its stop rule, no rest handed over
    assert verdicts.plausible and len(verdicts.rows) == 20 and verdicts.rest == []


def _def(text: str) -> Any:
    node = ast.parse(text).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def test_candidates_that_compile_alike_are_one_candidate() -> None:
    base = code_key(_def("def f(a, b):\n    return a + b * 2\n"))
    assert code_key(_def("def f(a,b):\n    return (a + (b * 2))  # same\n")) == base
    assert code_key(_def("@cache\ndef f(a, b):\n    return a + b * (1 + 1)\n")) == base
    assert code_key(_def("def f(a, b):\n    return a + b * 3\n")) != base
    assert code_key(_def("def f(a, b):\n    return b + a * 2\n")) != base
    assert code_key(_def("def f(a, c):\n    return a + c * 2\n")) != base  # a renamed parameter is a change
    inner = _def("def g():\n    nonlocal total\n    total += 1\n")  # does not compile alone
    assert code_key(inner).startswith("ast:") and code_key(inner) == code_key(inner)
    assert code_key(_def("def f(x):\n    return x is 1\n")) != code_key(_def("def f(x):\n    return x == 1\n"))


def test_survivors_are_confirmed_against_the_passing_tests_that_run_the_function(
    tmp_path: Path, fast: list[str]
) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "mod.py").write_text("def f(x):\n    return x - 2\n\n\ndef g():\n    return 1\n")
    (tmp_path / "tests" / "test_mod.py").write_text(
        "from mod import f, g\n\n\ndef test_f_two():\n    assert f(2) == 4\n\n\n"
        "def test_f_one():\n    assert isinstance(f(1), int)\n\n\ndef test_g():\n    assert g() == 1\n"
    )
    settings = Settings(project_root=tmp_path, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None and loc.failing == ["tests/test_mod.py::test_f_two"]
    assert relevant_passing(loc, "mod.py", 1, 2) == ["tests/test_mod.py::test_f_one"]
    assert relevant_passing(loc, "mod.py", 5, 6) == ["tests/test_mod.py::test_g"]
    result = search(settings, "mod.py", "f", loc, set(), Budget(seconds=30))
    assert [c.description for c in result.plausible] == ["- -> +"]
    assert (tmp_path / "mod.py").read_text().startswith("def f(x):\n    return x - 2\n")
