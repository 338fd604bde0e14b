"""What the patcher is told about the failing tests: the first prompt's evidence and a retry's feedback."""

from __future__ import annotations

from pathlib import Path

from selfmod.graph import feedback
from selfmod.models import TestCase, TestRun
from selfmod.tools.patching.failure_evidence import failure_evidence, failure_sites

TESTS = """import pytest
from sizes import naturalsize


@pytest.mark.parametrize("n, expected", [(10**6, "1.0 MB"), (10**9, "1.0 GB")])
def test_naturalsize(n, expected):
    assert naturalsize(n) == expected
"""

COLOURED = (
    "n = 1000000, expected = '1.0 MB'\n\n"
    "    def test_naturalsize(n, expected):\n"
    ">       assert naturalsize(n) == expected\n"
    "E       AssertionError: assert '1000.0 kB' == '1.0 MB'\n"
    "E         \x1b[0m\x1b[91m- 1.0 MB\x1b[39;49;00m\n"
    "E         \x1b[92m+ 1000.0 kB\x1b[39;49;00m\n\n"
    "tests/test_sizes.py:7: AssertionError"
)


def failing_run() -> TestRun:
    tests = [
        TestCase(name=f"tests/test_sizes.py::test_naturalsize[{n}]", outcome="failed", message=COLOURED)
        for n in ("1000000-1.0 MB", "1000000000-1.0 GB")
    ]
    return TestRun(command=["pytest"], exit_code=1, failed=2, tests=tests, output="\x1b[31m2 failed\x1b[0m")


def test_the_evidence_drops_colour_codes_and_shows_a_parametrized_test_once(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_sizes.py").write_text(TESTS)
    text = failure_evidence(tmp_path, failing_run(), "naturalsize", 4000)
    assert "\x1b" not in text
    assert "E         - 1.0 MB\n" in text and "E         + 1000.0 kB\n" in text
    assert text.count("def test_naturalsize(n, expected):") == 1
    assert text.count("(the test function above)") == 1
    assert text.startswith("Failing tests (2): tests/test_sizes.py::test_naturalsize[1000000-1.0 MB], ")


INDIRECT = """from fractions import Fraction
from stats import running_max


def test_stability():
    assert [type(x) for x in running_max([1, 1.0, Fraction(1)])] == [int, int, int]


def test_unrelated_helper():
    assert helper() == 2
"""


def test_tests_that_reach_the_function_through_a_caller_are_shown_too(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_stats.py").write_text(INDIRECT)
    message = "E       AssertionError: assert [int, float, Fraction] == [int, int, int]"
    run = TestRun(
        command=["pytest"],
        exit_code=1,
        failed=1,
        tests=[TestCase(name="tests/test_stats.py::test_stability", outcome="failed", message=message)],
    )
    text = failure_evidence(tmp_path, run, "_windowed_running_max", 4000)
    assert "```python\ndef test_stability():\n    assert [type(x) for x in running_max(" in text
    assert "helper" not in text
    mentioned = run.model_copy(
        update={
            "tests": [
                *run.tests,
                TestCase(
                    name="tests/test_stats.py::test_unrelated_helper", outcome="failed", message="E  assert 1 == 2"
                ),
            ]
        }
    )
    text = failure_evidence(tmp_path, mentioned, "helper", 4000)
    assert "def test_unrelated_helper():" in text
    assert "def test_stability():" not in text  # when some tests name the function, only theirs are shown


def test_a_retry_is_told_the_informative_lines_of_each_failure_without_colour_codes() -> None:
    text = feedback.test_feedback(failing_run(), 2)
    assert "\x1b" not in text
    assert "- tests/test_sizes.py::test_naturalsize[1000000-1.0 MB]:\n" in text
    assert "    E       AssertionError: assert '1000.0 kB' == '1.0 MB'\n" in text
    assert "n = 1000000" not in text  # the uninformative head of the report is left out
    assert text.startswith("\n## Attempt 2 failed the project's tests")


RAISED = (
    "    def test_empty():\n"
    ">       assert first_word('') == ''\n\n"
    "tests/test_words.py:4: \n"
    "_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _\n\n"
    "    def first_word(text):\n"
    ">       return text.split()[0]\n"
    "E       IndexError: list index out of range\n\n"
    "src/words.py:12: IndexError"
)


def test_the_lines_of_the_function_where_the_failing_tests_fail_are_found_with_their_error() -> None:
    run = TestRun(
        command=["pytest"],
        exit_code=1,
        failed=2,
        tests=[
            TestCase(name="tests/test_words.py::test_empty", outcome="failed", message=RAISED),
            TestCase(name="tests/test_words.py::test_other", outcome="failed", message=RAISED),
            TestCase(name="tests/test_words.py::test_fine", outcome="passed", message=RAISED.replace("12:", "13:")),
        ],
    )
    assert failure_sites(run, "src/words.py", 10, 14) == [(12, "IndexError: list index out of range")]
    assert failure_sites(run, "src/words.py", 13, 20) == []  # outside the function
    assert failure_sites(run, "words.py", 10, 14) == [(12, "IndexError: list index out of range")]
    assert failure_sites(run, "src/other.py", 1, 100) == []
    assert failure_sites(run, "rds.py", 10, 14) == []  # a path ends at a separator
