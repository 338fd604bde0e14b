"""Plausible repairs checked beyond the given tests (in the sandbox), and the richer edits tried when no single
edit or pair passes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from selfmod.agents.offline.repair_decision import decide, unconvincing
from selfmod.agents.offline.repair_edits import Candidate, Edit, Site
from selfmod.agents.offline.repair_ranking import built_key
from selfmod.agents.offline.repair_search import Budget, make_site, search
from selfmod.config import Settings
from selfmod.errors import NoFixError
from selfmod.tools.localize import Localization, localize

ABSOLUTE = '''def absolute(x):
    """Distance of x from zero."""
    if x > 0:
        return x
    return x
'''
ABSOLUTE_TESTS = """from absolute import absolute


def test_positive():
    assert absolute(3) == 3


def test_zero():
    assert absolute(0) == 0


def test_negative():
    assert absolute(-2) == 2
"""
WORDS = '''def count_words(text):
    """Number of words in text, however they are spaced."""
    return len(text.split(" "))
'''
WORDS_TESTS = """from words import count_words


def test_one_space():
    assert count_words("a b") == 2


def test_two_spaces():
    assert count_words("a  b c") == 3


def test_leading_space():
    assert count_words(" a") == 1
"""


def make_project(root: Path, module: str, code: str, tests: str) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / f"{module}.py").write_text(code)
    (root / "tests" / f"test_{module}.py").write_text(tests)
    return root


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]


def built(site: Site, edits: tuple[Edit, ...], operator: str, description: str, size: float) -> Candidate:
    cand = Candidate(edits, operator, description, 5, size, 1.0)
    made = built_key(site, edits)
    assert made is not None
    cand.source, cand.extra["def"], cand.key = made
    return cand


def absolute_case(tmp_path: Path, fast: list[str]) -> tuple[Settings, Site, Localization, Candidate, Candidate]:
    root = make_project(tmp_path / "abs", "absolute", ABSOLUTE, ABSOLUTE_TESTS)
    settings = Settings(project_root=root, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None and loc.failing == ["tests/test_absolute.py::test_negative"]
    site = make_site(root, "absolute.py", "absolute")
    assert site is not None
    last = site.node.body[-1]
    assert isinstance(last, ast.Return) and last.value is not None
    special = built(site, (site.insert_before(last, "if x == -2:\n    return 2"),), "guard", "if x == -2: return 2", 2)
    real = built(site, (site.replace(last.value, "-x"),), "unary", "x -> -x", 1)
    return settings, site, loc, special, real


def test_an_early_return_on_the_failing_input_loses_to_the_real_fix(tmp_path: Path, fast: list[str]) -> None:
    settings, site, loc, special, real = absolute_case(tmp_path, fast)
    special.size = 0.5  # smaller than the real fix: the edit size alone would choose it
    convincing, refused = decide(settings, site, "absolute.py", "absolute", loc, [special, real])
    assert convincing == [real]
    assert refused == [special]
    assert "early exit with a constant" in str(special.extra["judgement"])
    assert str(real.extra["judgement"]).startswith("changes the result on ")
    assert "newly fails on 0 " in str(real.extra["judgement"])


def test_no_convincing_candidate_is_no_fix_naming_the_best(tmp_path: Path, fast: list[str]) -> None:
    settings, site, loc, special, _real = absolute_case(tmp_path, fast)
    convincing, refused = decide(settings, site, "absolute.py", "absolute", loc, [special])
    assert convincing == []
    error = unconvincing(refused)
    assert isinstance(error, NoFixError)
    assert "none is convincing" in str(error)
    assert "if x == -2: return 2 at line 5" in str(error)
    assert "early exit with a constant" in str(error)


def test_the_least_change_beyond_the_tests_wins(tmp_path: Path, fast: list[str]) -> None:
    settings, site, loc, _special, real = absolute_case(tmp_path, fast)
    last = site.node.body[-1]
    assert isinstance(last, ast.Return) and last.value is not None
    branch = site.node.body[1]
    assert isinstance(branch, ast.If) and isinstance(branch.body[0], ast.Return) and branch.body[0].value
    also = site.replace(branch.body[0].value, "x + (x > 3) * 100")  # changes 4 and 5, which no test calls
    wide = built(site, (site.replace(last.value, "-x"), also), "pair", "x -> -x; odd", 1)
    wide.prior = 10.0  # higher prior than the real fix: the prior alone would choose it
    convincing, refused = decide(settings, site, "absolute.py", "absolute", loc, [wide, real])
    assert refused == []
    assert convincing[0] is real
    assert real.extra["behaviour"] < wide.extra["behaviour"]


def test_richer_edits_drop_a_call_argument_when_no_single_edit_passes(tmp_path: Path, fast: list[str]) -> None:
    root = make_project(tmp_path / "words", "words", WORDS, WORDS_TESTS)
    settings = Settings(project_root=root, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None and loc.failing
    result = search(settings, "words.py", "count_words", loc, set(), Budget(stop_after=50))
    found = {c.operator: c.source for c in result.plausible}
    assert "text.split()" in found.get("call_args", ""), [c.description for c in result.plausible]


def test_the_worker_checks_its_plausible_candidates_as_a_separate_check_would(tmp_path: Path, fast: list[str]) -> None:
    root = make_project(tmp_path / "abs", "absolute", ABSOLUTE, ABSOLUTE_TESTS)
    settings = Settings(project_root=root, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None
    result = search(settings, "absolute.py", "absolute", loc, set(), Budget(stop_after=60), check_behaviour=True)
    assert result.plausible and result.observations is not None
    assert len(result.observations.candidates) == len(result.plausible)
    site = make_site(root, "absolute.py", "absolute")
    in_worker = decide(settings, site, "absolute.py", "absolute", loc, result.plausible, result.observations)
    in_worker_judged = [str(c.extra["judgement"]) for c in result.plausible]
    separate = decide(settings, site, "absolute.py", "absolute", loc, result.plausible)
    assert [str(c.extra["judgement"]) for c in result.plausible] == in_worker_judged
    assert [c.key for c in in_worker[0]] == [c.key for c in separate[0]]
    assert "return -x" in in_worker[0][0].source or "abs(x)" in in_worker[0][0].source


RECENT = '''class Recent:
    """The last `size` values seen, oldest first."""

    def __init__(self, size):
        self.size = size
        self.cells = [None] * size
        self.pos = 0
        self.count = 0

    def add(self, value):
        self.cells[self.pos] = value
        self.pos = self.pos + 1
        self.count = min(self.count + 1, self.size)

    def values(self):
        first = (self.pos - self.count) % self.size
        return [self.cells[(first + i) % self.size] for i in range(self.count)]
'''
RECENT_TESTS = """from recent import Recent


def test_below_size():
    r = Recent(4)
    r.add(1)
    r.add(2)
    assert r.values() == [1, 2]


def test_wraps_when_full():
    r = Recent(2)
    for v in (1, 2, 3):
        r.add(v)
    assert r.values() == [2, 3]
"""


def test_a_doubtful_first_choice_makes_the_search_look_further(tmp_path: Path, fast: list[str]) -> None:
    from selfmod.agents.offline.offline_patcher import OfflinePatcher
    from selfmod.agents.offline.repair_overfit import doubtful
    from selfmod.models import BugReport
    from selfmod.tools.code.context import Located, extract_code_block

    root = make_project(tmp_path / "recent", "recent", RECENT, RECENT_TESTS)
    settings = Settings(project_root=root, env_passthrough=fast)
    loc = localize(settings)
    assert loc is not None and loc.failing == ["tests/test_recent.py::test_wraps_when_full"]
    budget = Budget(stop_after=40)
    first = search(settings, "recent.py", "Recent.add", loc, set(), budget, check_behaviour=True)
    site = make_site(root, "recent.py", "Recent.add")
    convincing, refused = decide(settings, site, "recent.py", "Recent.add", loc, first.plausible, first.observations)
    assert doubtful(convincing, refused), [(c.description, c.extra["judgement"]) for c in convincing]

    patcher = OfflinePatcher(settings, budget, show_progress=False)
    bug = BugReport(filename="recent.py", function="Recent.add", summary="IndexError once full")
    found = extract_code_block(root, "recent.py", "Recent.add", 3, bug.summary)
    assert isinstance(found, Located)
    made = patcher.propose(bug, found.context, "")
    new = made.proposal.new_code  # type: ignore[union-attr]
    assert "% self.size" in new, new
    assert convincing[0].description in {str(r["description"]) for r in made.runners_up}
    exec_scope: dict[str, object] = {}
    exec(RECENT.replace("\n".join(RECENT.splitlines()[9:13]), new.rstrip("\n")), exec_scope)
    recent = exec_scope["Recent"](3)  # type: ignore[operator]
    for v in range(10):
        recent.add(v)
    assert recent.values() == [7, 8, 9]
