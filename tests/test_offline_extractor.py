"""The offline extractor maps reflections to code without an LLM."""

from __future__ import annotations

from pathlib import Path

import pytest

from selfmod.agents.offline_extractor import OfflineExtractor, severity_of
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
