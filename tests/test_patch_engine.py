"""Every messy form of `new_code` real LLMs send must yield exactly the right file; the rest must be rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import context_for, proposal

from selfmod.models import RejectionCode
from selfmod.tools.patching.patch_engine import apply_proposal

SRC = '''"""Text helpers."""
import re


def helper(x):
    return x


@decorator
def normalize(text):
    """Lower-case and collapse spaces."""
    return re.sub(r"\\s+", " ", text.strip()).lower()


def tail(s):
    return s[-1]
'''

FIXED_FN = '''def normalize(text):
    """Lower-case and collapse spaces."""
    if not text:
        return ""
    return re.sub(r"\\s+", " ", text.strip()).lower()
'''

EXPECTED = SRC.replace(
    '''    """Lower-case and collapse spaces."""
''',
    '''    """Lower-case and collapse spaces."""
    if not text:
        return ""
''',
)

WITH_DECORATOR = "@decorator\n" + FIXED_FN

# Lines in SRC: decorator 9, def 10, end 12; context shown 4..17.
START, END = 9, 12


def _indent(code: str, prefix: str) -> str:
    return "".join(prefix + line if line.strip() else line for line in code.splitlines(True))


MESSY_FORMS = {
    "plain function, decorators kept": (FIXED_FN, START, END),
    "whole function with decorators": (WITH_DECORATOR, START, END),
    "fenced": ("```python\n" + FIXED_FN + "```", START, END),
    "fenced without language": ("```\n" + WITH_DECORATOR + "```\n", START, END),
    "prose then fenced then prose": (
        "Here is the corrected function:\n\n```python\n" + FIXED_FN + "```\nThis returns an empty string.",
        START,
        END,
    ),
    "prose before unfenced code": ("Here is the fixed version of the function:\n" + FIXED_FN, START, END),
    "over-indented": (_indent(FIXED_FN, "        "), START, END),
    "stale numbers shifted down": (FIXED_FN, START + 3, END + 3),
    "stale numbers shifted up": (FIXED_FN, START - 2, END - 2),
    "0-based numbers": (FIXED_FN, START - 1, END - 1),
    "range covers context, code only the function": (FIXED_FN, 4, 17),
    "range and code include copied context": (
        "def helper(x):\n    return x\n\n\n" + WITH_DECORATOR + "\n\ndef tail(s):\n    return s[-1]\n",
        5,
        16,
    ),
    "range swallows the next def line, code has it": (WITH_DECORATOR + "\n\ndef tail(s):", START, 15),
    "range swallows the next def line, code lacks it": (WITH_DECORATOR, START, 15),
    "whole file": (EXPECTED, 1, 16),
    "no trailing newline": (FIXED_FN.rstrip("\n"), START, END),
    "end before start": (FIXED_FN, END, START),
    "echoed line numbers": (
        "\n".join(f"{n:>2} | {line}" for n, line in enumerate(WITH_DECORATOR.splitlines(), START)),
        START,
        END,
    ),
    "usage example block before the fix block": (
        "Call it like this:\n```python\nnormalize('')\n```\nFix:\n```python\n" + FIXED_FN + "```",
        START,
        END,
    ),
    "fragment with exact range": (
        '    if not text:\n        return ""\n    return re.sub(r"\\s+", " ", text.strip()).lower()\n',
        12,
        12,
    ),
}


@pytest.mark.parametrize("name", sorted(MESSY_FORMS))
def test_messy_forms_yield_the_exact_file(project: Path, name: str) -> None:
    (project / "text.py").write_text(SRC)
    ctx = context_for(project, "text.py", "normalize")
    code, start, end = MESSY_FORMS[name]
    outcome = apply_proposal(proposal("text.py", start, end, code), ctx, SRC)
    assert outcome.rejections == []
    assert outcome.new_text == EXPECTED


def test_fragment_with_stale_range_is_anchored_by_content(project: Path) -> None:
    (project / "text.py").write_text(SRC)
    ctx = context_for(project, "text.py", "normalize")
    fragment = '    """Lower-case and collapse spaces."""\n    if not text:\n        return ""\n'
    outcome = apply_proposal(proposal("text.py", 13, 13, fragment), ctx, SRC)
    assert outcome.new_text == EXPECTED
    assert any("off by -2" in note for note in outcome.notes)


METHOD_SRC = """class Parser:
    def parse(self, data):
        return data.split(",")

    def other(self):
        return 1


class Writer:
    def parse(self, data):
        return data
"""

METHOD_EXPECTED = METHOD_SRC.replace(
    '        return data.split(",")',
    '        if not data:\n            return []\n        return data.split(",")',
)

METHOD_FIX = 'def parse(self, data):\n    if not data:\n        return []\n    return data.split(",")\n'


@pytest.mark.parametrize(
    "code",
    [
        METHOD_FIX,
        "    " + METHOD_FIX.replace("\n", "\n    ").rstrip(" "),
        "class Parser:\n" + _indent(METHOD_FIX, "    ") + "\n    def other(self):\n        return 1\n",
    ],
    ids=["column 0", "class indentation", "whole class"],
)
def test_method_at_any_indentation(project: Path, code: str) -> None:
    (project / "p.py").write_text(METHOD_SRC)
    ctx = context_for(project, "p.py", "Parser.parse")
    outcome = apply_proposal(proposal("p.py", 2, 3, code), ctx, METHOD_SRC)
    assert outcome.rejections == []
    assert outcome.new_text == METHOD_EXPECTED


def test_crlf_file_keeps_crlf(project: Path) -> None:
    src = SRC.replace("\n", "\r\n")
    (project / "text.py").write_bytes(src.encode())
    ctx = context_for(project, "text.py", "normalize")
    outcome = apply_proposal(proposal("text.py", START, END, FIXED_FN), ctx, src)
    assert outcome.new_text == EXPECTED.replace("\n", "\r\n")


def test_tab_indented_file_keeps_tabs(project: Path) -> None:
    src = "class A:\n\tdef f(self, xs):\n\t\tfor x in xs:\n\t\t\tprint(x)\n\t\treturn len(xs)\n\n\tdef g(self):\n\t\treturn 0\n"
    (project / "t.py").write_text(src)
    ctx = context_for(project, "t.py", "A.f")
    fix = "def f(self, xs):\n    if xs is None:\n        return 0\n    for x in xs:\n        print(x)\n    return len(xs)\n"
    outcome = apply_proposal(proposal("t.py", 2, 5, fix), ctx, src)
    assert outcome.new_text == (
        "class A:\n\tdef f(self, xs):\n\t\tif xs is None:\n\t\t\treturn 0\n\t\tfor x in xs:\n\t\t\tprint(x)\n"
        "\t\treturn len(xs)\n\n\tdef g(self):\n\t\treturn 0\n"
    )


def test_two_space_file_keeps_its_indent_step(project: Path) -> None:
    src = "def f(xs):\n  if xs:\n    return xs[0]\n  return None\n"
    (project / "s.py").write_text(src)
    ctx = context_for(project, "s.py", "f")
    fix = "def f(xs):\n    if xs:\n        return xs[-1]\n    return None\n"
    outcome = apply_proposal(proposal("s.py", 1, 4, fix), ctx, src)
    assert outcome.new_text == "def f(xs):\n  if xs:\n    return xs[-1]\n  return None\n"


def test_multiline_string_content_is_not_reindented(project: Path) -> None:
    src = 'class A:\n    def f(self):\n        s = """\nkeep\n  me\n"""\n        return s\n'
    (project / "m.py").write_text(src)
    ctx = context_for(project, "m.py", "A.f")
    fix = 'def f(self):\n    s = """\nkeep\n  me\n"""\n    return s.strip()\n'
    outcome = apply_proposal(proposal("m.py", 2, 7, fix), ctx, src)
    assert outcome.new_text == src.replace("return s\n", "return s.strip()\n")


def test_last_line_is_never_glued_to_the_next(project: Path) -> None:
    src = "def a():\n    return 1\ndef b():\n    return 2\n"
    (project / "g.py").write_text(src)
    ctx = context_for(project, "g.py", "a")
    outcome = apply_proposal(proposal("g.py", 1, 2, "def a():\n    return 10"), ctx, src)
    assert outcome.new_text == "def a():\n    return 10\ndef b():\n    return 2\n"


def test_file_without_final_newline_keeps_that(project: Path) -> None:
    src = "def a():\n    return 1"
    (project / "n.py").write_text(src)
    ctx = context_for(project, "n.py", "a")
    outcome = apply_proposal(proposal("n.py", 1, 2, "def a():\n    return 2\n"), ctx, src)
    assert outcome.new_text == "def a():\n    return 2"


def test_out_of_scope_change_allowed_when_configured(project: Path) -> None:
    (project / "text.py").write_text(SRC)
    ctx = context_for(project, "text.py", "normalize")
    code = "import string\n\n\n" + WITH_DECORATOR
    outcome = apply_proposal(proposal("text.py", START, END, code), ctx, SRC, enforce_scope=False)
    assert outcome.rejections == []
    assert outcome.new_text == EXPECTED.replace("@decorator\n", "import string\n\n\n@decorator\n")


def test_whole_file_with_other_changes_replaces_file_when_scope_is_off(project: Path) -> None:
    (project / "text.py").write_text(SRC)
    ctx = context_for(project, "text.py", "normalize")
    whole = EXPECTED.replace("return s[-1]", "return s[-1] if s else None")
    outcome = apply_proposal(proposal("text.py", 1, 16, whole), ctx, SRC, enforce_scope=False)
    assert outcome.mode == "whole_file"
    assert outcome.new_text == whole


REJECTIONS = {
    "syntax": ("def normalize(text):\n    return (text\n", RejectionCode.SYNTAX),
    "body syntax": ("def normalize(text):\n    if text\n        return ''\n", RejectionCode.SYNTAX),
    "empty": ("   \n", RejectionCode.EMPTY),
    "identical": (WITH_DECORATOR.replace('    if not text:\n        return ""\n', ""), RejectionCode.NO_OP),
    "whitespace and comment only": (
        '@decorator\ndef normalize(text):\n    """Lower-case and collapse spaces."""\n    # collapse\n'
        '    return re.sub(r"\\s+", " ",   text.strip()).lower()\n',
        RejectionCode.NO_OP,
    ),
    "pass body": ("def normalize(text):\n    pass\n", RejectionCode.PLACEHOLDER),
    "ellipsis body": ("def normalize(text):\n    ...\n", RejectionCode.PLACEHOLDER),
    "docstring only": (
        'def normalize(text):\n    """Lower-case and collapse spaces."""\n',
        RejectionCode.PLACEHOLDER,
    ),
    "not implemented": ("def normalize(text):\n    raise NotImplementedError\n", RejectionCode.PLACEHOLDER),
    "rest unchanged comment": (
        'def normalize(text):\n    if not text:\n        return ""\n    # rest of the code unchanged\n',
        RejectionCode.PLACEHOLDER,
    ),
    "existing code comment": (
        'def normalize(text):\n    if not text:\n        return ""\n    # ... existing code ...\n',
        RejectionCode.PLACEHOLDER,
    ),
    "todo implement": (
        "def normalize(text):\n    # TODO: implement\n    return text\n",
        RejectionCode.PLACEHOLDER,
    ),
    "insert marker": (
        "def normalize(text):\n    # [insert empty-input handling here]\n    return text.lower()\n",
        RejectionCode.PLACEHOLDER,
    ),
    "bare ellipsis among code": (
        'def normalize(text):\n    if not text:\n        return ""\n    ...\n    return text\n',
        RejectionCode.PLACEHOLDER,
    ),
    "new import outside the function": ("import string\n\n\n" + WITH_DECORATOR, RejectionCode.SCOPE),
    "also edits the neighbour": (
        WITH_DECORATOR + "\n\ndef tail(s):\n    return s[-1] if s else None\n",
        RejectionCode.SCOPE,
    ),
}


@pytest.mark.parametrize("name", sorted(REJECTIONS))
def test_rejections(project: Path, name: str) -> None:
    (project / "text.py").write_text(SRC)
    ctx = context_for(project, "text.py", "normalize")
    code, expected = REJECTIONS[name]
    outcome = apply_proposal(proposal("text.py", START, END, code), ctx, SRC)
    assert expected in [r.code for r in outcome.rejections], outcome
    assert all(r.message for r in outcome.rejections)


def test_wrong_file_is_rejected(project: Path) -> None:
    (project / "text.py").write_text(SRC)
    ctx = context_for(project, "text.py", "normalize")
    outcome = apply_proposal(proposal("other.py", START, END, FIXED_FN), ctx, SRC)
    assert [r.code for r in outcome.rejections] == [RejectionCode.WRONG_FILE]
    assert outcome.new_text is None
    outcome = apply_proposal(proposal("text.py", START, END, FIXED_FN), ctx, SRC, bug_filename="llm.py")
    assert [r.code for r in outcome.rejections] == [RejectionCode.WRONG_FILE]
    assert "llm.py" in outcome.rejections[0].message


def test_fragment_outside_the_symbol_is_rejected(project: Path) -> None:
    (project / "text.py").write_text(SRC)
    ctx = context_for(project, "text.py", "normalize")
    outcome = apply_proposal(proposal("text.py", 15, 16, "    return s[0]\n"), ctx, SRC)
    assert [r.code for r in outcome.rejections] == [RejectionCode.SCOPE]
    assert outcome.new_text is None


def test_fragment_with_end_before_start_is_rejected_not_duplicated(project: Path) -> None:
    (project / "text.py").write_text(SRC)
    ctx = context_for(project, "text.py", "normalize")
    outcome = apply_proposal(proposal("text.py", 12, 11, "    return text\n"), ctx, SRC)
    assert outcome.new_text is None
    assert [r.code for r in outcome.rejections] == [RejectionCode.UNLOCATED]


def test_symbol_that_vanished_is_unlocated(project: Path) -> None:
    (project / "text.py").write_text(SRC)
    ctx = context_for(project, "text.py", "normalize")
    changed = SRC.replace("def normalize", "def renamed")
    outcome = apply_proposal(proposal("text.py", START, END, FIXED_FN), ctx, changed)
    assert [r.code for r in outcome.rejections] == [RejectionCode.UNLOCATED]


def test_symbol_is_found_again_after_the_file_shifted(project: Path) -> None:
    (project / "text.py").write_text(SRC)
    ctx = context_for(project, "text.py", "normalize")
    shifted = SRC.replace("import re\n", "import re\nimport os\nimport sys\n")
    outcome = apply_proposal(proposal("text.py", START, END, FIXED_FN), ctx, shifted)
    assert outcome.new_text == EXPECTED.replace("import re\n", "import re\nimport os\nimport sys\n")


NOT_LAZY = {
    "index named result_idx": "def normalize(text):\n    results = [text]\n    result_idx = 0\n    return results[result_idx].lower()\n",
    "comment saying you can use": "def normalize(text):\n    # you can use str.casefold for unicode\n    return (text or '').lower()\n",
    "two-line function": "def normalize(text):\n    return (text or '').lower()\n",
    "todo that is not a stub": "def normalize(text):\n    # TODO: handle unicode spaces\n    return (text or '').lower()\n",
    "phrase inside a string": "def normalize(text):\n    msg = 'rest of the code unchanged'\n    return (text or msg).lower()\n",
    "comment about the rest of a list": "def normalize(text):\n    # keep the rest of the list as it is\n    return (text or '').lower()\n",
}


@pytest.mark.parametrize("name", sorted(NOT_LAZY))
def test_ordinary_code_is_not_called_lazy(project: Path, name: str) -> None:
    (project / "text.py").write_text(SRC)
    ctx = context_for(project, "text.py", "normalize")
    outcome = apply_proposal(proposal("text.py", START, END, NOT_LAZY[name]), ctx, SRC)
    assert outcome.rejections == []
    assert outcome.new_text is not None and NOT_LAZY[name].splitlines()[-1] in outcome.new_text


DOC_FENCE_SRC = '''def size(n):
    """Format a size.

    Examples:
        ```pycon
        >>> size(3)
        '3 B'
        ```
    """
    return f"{n} B"
'''
DOC_FENCE_FIX = DOC_FENCE_SRC.replace(
    '    return f"{n} B"', '    if n < 0:\n        raise ValueError(n)\n    return f"{n} B"'
)


@pytest.mark.parametrize(
    "wrap",
    [
        lambda code: code,
        lambda code: f"Here is the fix:\n\n```python\n{code}```\nIt rejects negative sizes.",
    ],
    ids=["plain", "fenced"],
)
def test_fences_inside_the_codes_own_docstring_are_content_not_markdown(project: Path, wrap: object) -> None:
    (project / "sizes.py").write_text(DOC_FENCE_SRC)
    ctx = context_for(project, "sizes.py", "size")
    code = wrap(DOC_FENCE_FIX)  # type: ignore[operator]
    outcome = apply_proposal(proposal("sizes.py", 1, 10, code), ctx, DOC_FENCE_SRC)
    assert outcome.rejections == []
    assert outcome.new_text == DOC_FENCE_FIX
