"""A rewritten definition keeps its original docstring (small models truncate or re-wrap long ones)."""

from __future__ import annotations

from pathlib import Path

from selfmod.agents.code_block import proposal_from_answer, unchanged
from selfmod.models import PatchProposal
from selfmod.tools.code.context import Located, extract_code_block
from selfmod.tools.patching.docstrings import keep_docstring

ORIGINAL = '''def naturalsize(
    value: float,
    binary: bool = False,
) -> str:
    """Format a number of bytes like a human-readable filesize.

    Examples:
        ```pycon
        >>> naturalsize(3000000)
        '3.0 MB'
        ```

    Args:
        value: the number of bytes.
    """
    base = 1024 if binary else 1000
    return "%.1f" % (value / base)
'''

FIXED_BODY = """    base = 1024 if binary else 1000
    exp = int(log(abs(value), base))
    return "%.1f" % (value / base**exp)
"""
HEADER = "def naturalsize(\n    value: float,\n    binary: bool = False,\n) -> str:\n"
DOCSTRING = ORIGINAL[len(HEADER) : ORIGINAL.index("    base = ")]


def test_a_truncated_docstring_is_put_back_and_the_fix_kept() -> None:
    truncated = '    """Format a number of bytes like a human-readable filesize.\n    \n    Examples:\n    """\n'
    assert keep_docstring(HEADER + truncated + FIXED_BODY, ORIGINAL) == HEADER + DOCSTRING + FIXED_BODY


def test_a_definition_without_its_docstring_gets_it_back() -> None:
    assert keep_docstring(HEADER + FIXED_BODY, ORIGINAL) == HEADER + DOCSTRING + FIXED_BODY


def test_what_is_left_as_the_model_wrote_it() -> None:
    plain = "def f(x):\n    return x\n"
    documented = 'def f(x):\n    """Added by the model."""\n    return x + 1\n'
    assert keep_docstring(documented, plain) == documented  # no docstring to keep
    two_spaces = "def f(x):\n  return x + 1\n"
    assert keep_docstring(two_spaces, 'def f(x):\n    """Doc."""\n    return x\n') == two_spaces
    assert keep_docstring("def f(x): return x + 1\n", 'def f(x):\n    """Doc."""\n    return x\n') == (
        "def f(x): return x + 1\n"
    )
    assert keep_docstring("x = (\n", ORIGINAL) == "x = (\n"  # does not parse


def test_a_method_keeps_its_docstring() -> None:
    method = '    def area(self):\n        """The area,\n        in square units."""\n        return self.w * self.h\n'
    answer = 'def area(self):\n    """The area."""\n    return self.w * self.w\n'
    expected = 'def area(self):\n    """The area,\n    in square units."""\n    return self.w * self.w\n'
    assert keep_docstring(answer, method) == expected


def located(root: Path) -> Located:
    (root / "sizes.py").write_text("from math import log\n\n\n" + ORIGINAL)
    found = extract_code_block(root, "sizes.py", "naturalsize")
    assert isinstance(found, Located)
    return found


def test_a_code_block_answer_keeps_the_docstring_and_a_docstring_only_change_counts_as_unchanged(
    tmp_path: Path,
) -> None:
    context = located(tmp_path).context
    fixed = proposal_from_answer(f"```python\n{HEADER}{FIXED_BODY}```", context)
    assert isinstance(fixed, PatchProposal) and fixed.new_code == HEADER + DOCSTRING + FIXED_BODY
    assert not unchanged(fixed, context)
    reworded = ORIGINAL.replace("    Args:\n        value: the number of bytes.\n", "")
    same = proposal_from_answer(f"```python\n{reworded}```", context)
    assert isinstance(same, PatchProposal) and same.new_code == ORIGINAL
    assert unchanged(same, context)
