"""The offline extractor maps reflections to code without an LLM."""

from __future__ import annotations

from pathlib import Path

import pytest

from selfmod.agents.offline.offline_extractor import OfflineExtractor, severity_of
from selfmod.config import Settings
from selfmod.demo import SEED_REFLECTION, write_sample_project
from selfmod.models import Reflection

SHOP = """class Cart:
    def total(self):
        return sum(self.items)

    def add(self, item):
        self.items.append(item)


class Store:
    def restock(self, n):
        self.count += n
        return self.count


def split_words(text):
    return text.split(" ")


def normalize_text(text):
    return text.strip().lower()
"""

SHOP_TESTS = """from shop import split_words


def test_split_words_empty():
    assert split_words("") == []
"""


@pytest.fixture
def shop(tmp_path: Path) -> Settings:
    (tmp_path / "tests").mkdir()
    (tmp_path / "shop.py").write_text(SHOP)
    (tmp_path / "tests" / "test_shop.py").write_text(SHOP_TESTS)
    (tmp_path / "tests" / "helpers.py").write_text("def only_in_tests():\n    return 1\n")
    return Settings(project_root=tmp_path)


def extract(settings: Settings, text: str, outcome: str = "") -> tuple[str, str | None, str | None, str]:
    found = OfflineExtractor(settings, use_localization=False).extract(Reflection(reflection=text, outcome=outcome))
    report = found.report
    return found.status, report.filename if report else None, report.function if report else None, found.message


def test_the_seed_example_is_extracted_exactly(tmp_path: Path) -> None:
    write_sample_project(tmp_path)
    found = OfflineExtractor(Settings(project_root=tmp_path)).extract(Reflection.model_validate(SEED_REFLECTION))
    assert found.status == "found" and found.report is not None
    assert (found.report.filename, found.report.function) == ("llm.py", "dummy_function")
    assert found.report.summary == "The function 'dummy_function' in 'llm.py' does not handle empty input correctly."
    assert found.report.severity == "medium"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            'Traceback:\n  File "/srv/agent/shop.py", line 11, in restock\nTypeError: bad operand',
            ("shop.py", "Store.restock"),
        ),
        ("`Cart.total` returns the wrong sum for discounts", ("shop.py", "Cart.total")),
        ("'add' in shop.py is broken: it fails on duplicates", ("shop.py", "Cart.add")),
        ("test_split_words_empty failed after the refactor", ("shop.py", "split_words")),
        ("normalize_text crashed when the title was None", ("shop.py", "normalize_text")),
    ],
)
def test_clues_map_to_the_right_symbol(shop: Settings, text: str, where: tuple[str, str]) -> None:
    status, file, function, _ = extract(shop, text)
    assert (status, file, function) == ("found", *where)


def test_nothing_recognisable_is_unlocatable(shop: Settings) -> None:
    assert extract(shop, "The weather API failed with a timeout.")[0] == "unlocatable"
    status, _, _, message = extract(shop, "'only_in_tests' failed")
    assert status == "unlocatable" and "names no function" in message


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("it crashed with an exception", "high"),
        ("a security hole: tokens leak", "critical"),
        ("minor typo in the greeting", "low"),
        ("the total is wrong", "medium"),
    ],
)
def test_severity_from_wording(text: str, level: str) -> None:
    assert severity_of(text) == level


def project(root: Path, files: dict[str, str]) -> Settings:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return Settings(project_root=root)


TQDM = """class tqdm:
    def __init__(self, iterable):
        self.iterable = iterable
        self.n = 0

    def __iter__(self):
        for item in self.iterable:
            yield item

    @staticmethod
    def format_meter(n, total):
        return f"{n}/{total}"


def tenumerate(iterable, start=0):
    return enumerate(tqdm(iterable), start)
"""
CONTRIB = "from tqdm._tqdm import tqdm\n\n\ndef tzip(*iterables):\n    return zip(*(tqdm(i) for i in iterables))\n"


def test_a_named_method_wins_over_its_class_and_a_traceback_frame_elsewhere(tmp_path: Path) -> None:
    settings = project(tmp_path, {"tqdm/__init__.py": "", "tqdm/_tqdm.py": TQDM, "tqdm/contrib.py": CONTRIB})
    text = (
        "`tqdm.format_meter` in `tqdm/_tqdm.py` shows 10/0 when total is 0.\n"
        'Traceback:\n  File "tqdm/_tqdm.py", line 3, in __init__\n    self.iterable = iterable\n'
    )
    assert extract(settings, text)[:3] == ("found", "tqdm/_tqdm.py", "tqdm.format_meter")
    blame = (
        "`tenumerate` counts from the wrong start.\n"
        'Traceback (most recent call last):\n  File "tqdm/contrib.py", line 5, in tzip\nAssertionError\n'
    )
    assert extract(settings, blame)[:3] == ("found", "tqdm/_tqdm.py", "tenumerate")


@pytest.mark.parametrize(
    "text",
    [
        "tqdm/_tqdm.py::tenumerate ignores start",
        "_tqdm.py:tenumerate ignores start",
        "tqdm._tqdm.tenumerate ignores start",
        "the bug is in tqdm.format_meter, not tenumerate",
    ],
)
def test_qualified_references_in_every_written_form(tmp_path: Path, text: str) -> None:
    settings = project(tmp_path, {"tqdm/__init__.py": "", "tqdm/_tqdm.py": TQDM, "tqdm/contrib.py": CONTRIB})
    expected = "tqdm.format_meter" if "format_meter" in text else "tenumerate"
    assert extract(settings, text)[:3] == ("found", "tqdm/_tqdm.py", expected)


NESTED = """def outer(kind):
    if kind == "a":
        def inner(x):
            return x + 1
    elif kind == "b":
        def inner(x):
            return x - 1
    else:
        def inner(x):
            return x * 2
    return inner
"""


def test_a_traceback_line_tells_same_named_nested_functions_apart(tmp_path: Path) -> None:
    settings = project(tmp_path, {"nest.py": NESTED})
    text = 'outer("b")(3) returned 2\nTraceback:\n  File "nest.py", line 7, in inner\nAssertionError'
    assert extract(settings, text)[:3] == ("found", "nest.py", "outer.inner@6")


PLANNER = """class Executor:
    def check_budget(self, spent):
        return spent < 10


class Planner:
    def check_budget(self, spent):
        return spent <= 100
"""


def test_the_words_of_the_reflection_pick_the_class(tmp_path: Path) -> None:
    settings = project(tmp_path, {"agent.py": PLANNER})
    text = "`check_budget` lets a plan through at exactly the limit: the Planner's budget check is off by one."
    assert extract(settings, text)[:3] == ("found", "agent.py", "Planner.check_budget")
    vague = extract(settings, "`check_budget` is off by one somewhere")
    assert vague[0] == "unlocatable" and "Executor.check_budget" in vague[3] and "Planner.check_budget" in vague[3]
