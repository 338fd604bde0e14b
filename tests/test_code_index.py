"""AST symbol index and context retrieval: never regex, never silently the first match."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import context_for

from selfmod.errors import CodeIndexError, InputError, UnsafePathError
from selfmod.models import SymbolKind
from selfmod.tools.code.code_index import Resolution, index_source, normalize_name, resolve
from selfmod.tools.code.context import Located, extract_code_block
from selfmod.tools.code.source_text import split_lines

MODULE = '''import functools


def plain(a):
    return a


async def fetch(url):
    return url


@functools.lru_cache
@staticmethod
def cached(x):
    return x


class Store:
    """A store."""

    def get(self, key):
        def inner(k):
            return k
        return inner(key)

    class Meta:
        def get(self):
            return None


def outer():
    def nested():
        return 1
    return nested
'''


def spans(source: str) -> dict[str, tuple[str, int, int]]:
    return {s.qualname: (s.kind.value, s.start, s.end) for s in index_source(source).symbols}


def test_finds_every_kind_of_definition_with_decorators() -> None:
    assert spans(MODULE) == {
        "plain": ("function", 4, 5),
        "fetch": ("async_function", 8, 9),
        "cached": ("function", 12, 15),
        "Store": ("class", 18, 28),
        "Store.get": ("function", 21, 24),
        "Store.get.inner": ("function", 22, 23),
        "Store.Meta": ("class", 26, 28),
        "Store.Meta.get": ("function", 27, 28),
        "outer": ("function", 31, 34),
        "outer.nested": ("function", 32, 33),
    }


def test_column_zero_text_inside_a_triple_quoted_string_stays_in_the_block() -> None:
    src = 'def doc():\n    s = """\nclass NotReal:\ndef fake():\n"""\n    return s\n\n\ndef after():\n    return 2\n'
    assert spans(src) == {"doc": ("function", 1, 6), "after": ("function", 9, 10)}


def test_tabs_crlf_and_non_ascii() -> None:
    src = "# ünïcödé ☃\r\nclass Ä:\r\n\tdef größe(self):\r\n\t\treturn 'ß'\r\n\r\n\tdef b(self):\r\n\t\treturn 1\r\n"
    assert spans(src) == {
        "Ä": ("class", 2, 7),
        "Ä.größe": ("function", 3, 4),
        "Ä.b": ("function", 6, 7),
    }


def test_line_numbers_match_python_with_form_feeds_and_unicode_separators() -> None:
    src = "x = '\u2028'\n\x0c\ndef f():\n    return '\u0085'\n\ndef g():\n    return 1\n"
    assert spans(src)["g"] == ("function", 6, 7)
    assert len(split_lines(src)) == 7


def test_symbol_names_with_regex_characters_do_not_crash() -> None:
    index = index_source(MODULE)
    for name in ("plain(", "plain(a)", "get[0]", "*", "Store.get(self, key)"):
        outcome = resolve(index, name)
        assert outcome.status in {"found", "ambiguous", "not_found"}
    assert resolve(index, "plain(a)").symbol is not None
    assert resolve(index, "Store.get(self, key)").symbol.qualname == "Store.get"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Store.get", "Store.get"),
        ("`Store.get()`", "Store.get"),
        ("mod.Store.get", "Store.get"),
        ("outer.<locals>.nested", "outer.nested"),
        ("def plain", "plain"),
    ],
)
def test_normalize_name(written: str, expected: str) -> None:
    assert normalize_name(written, "pkg/mod.py") == expected


def test_same_method_in_two_classes_is_ambiguous_not_first_match() -> None:
    outcome = resolve(index_source(MODULE), "get")
    assert outcome.status == "ambiguous"
    assert {c.qualname for c in outcome.candidates} == {"Store.get", "Store.Meta.get"}
    assert "Store.get" in outcome.reason and "Store.Meta.get" in outcome.reason


def test_qualified_name_resolves_the_ambiguity() -> None:
    outcome = resolve(index_source(MODULE), "Meta.get")
    assert outcome.status == "found"
    assert outcome.symbol is not None and outcome.symbol.qualname == "Store.Meta.get"


def test_summary_naming_the_class_resolves_the_ambiguity() -> None:
    outcome = resolve(index_source(MODULE), "get", summary="Meta's get returns None for missing options")
    assert outcome.symbol is not None and outcome.symbol.qualname == "Store.Meta.get"


def test_summary_naming_both_classes_stays_ambiguous() -> None:
    outcome = resolve(index_source(MODULE), "get", summary="Store and Meta both fail")
    assert outcome.status == "ambiguous"


def test_unknown_name_is_not_found() -> None:
    outcome = resolve(index_source(MODULE), "missing")
    assert outcome == Resolution("not_found", reason="no function or class named 'missing' in <string>")


def test_unparseable_file_is_a_clear_error() -> None:
    with pytest.raises(CodeIndexError, match=r"broken\.py: cannot parse Python \(line 1"):
        index_source("def (:\n", "broken.py")


def test_extract_code_block_numbers_lines_with_context_and_hash(project: Path) -> None:
    data = MODULE.replace("\n", "\r\n").encode()
    (project / "store.py").write_bytes(data)
    ctx = context_for(project, "store.py", "Store.Meta.get")
    assert (ctx.start_line, ctx.end_line, ctx.context_start, ctx.context_end) == (27, 28, 22, 33)
    assert ctx.kind == SymbolKind.FUNCTION
    assert ctx.file_sha256 == hashlib.sha256(data).hexdigest()
    shown = ctx.code.splitlines()
    assert shown[0] == "22 |         def inner(k):"
    assert shown[5] == "27 |         def get(self):"
    assert shown[-1] == "33 |         return 1"
    assert "\r" not in ctx.code


def test_extract_code_block_context_default_is_five_and_clamped(project: Path) -> None:
    (project / "store.py").write_text(MODULE)
    ctx = context_for(project, "store.py", "plain")
    assert (ctx.context_start, ctx.context_end) == (1, 10)
    found = extract_code_block(project, "store.py", "outer", context_lines=2)
    assert isinstance(found, Located)
    assert (found.context.context_start, found.context.context_end) == (29, 34)


def test_extract_code_block_reports_ambiguity(project: Path) -> None:
    (project / "store.py").write_text(MODULE)
    found = extract_code_block(project, "store.py", "get")
    assert isinstance(found, Resolution) and found.status == "ambiguous"


def test_extract_code_block_refuses_paths_outside_and_missing_files(project: Path) -> None:
    with pytest.raises(UnsafePathError, match=r"'\.\./x\.py'"):
        extract_code_block(project, "../x.py", "f")
    with pytest.raises(InputError, match=r"'nope\.py' is not a file"):
        extract_code_block(project, "nope.py", "f")


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


def test_nested_duplicates_carry_their_def_line_and_resolve_by_it() -> None:
    index = index_source(NESTED, "nest.py")
    assert [s.qualname for s in index.symbols] == ["outer", "outer.inner@3", "outer.inner@6", "outer.inner@9"]
    found = resolve(index, "outer.<locals>.inner@6")
    assert found.status == "found" and found.symbol is not None and found.symbol.def_line == 6
    unsure = resolve(index, "outer.inner")
    assert unsure.status == "ambiguous" and "outer.inner@3, outer.inner@6, outer.inner@9" in unsure.reason


def test_a_traceback_line_picks_one_of_several_same_named_functions() -> None:
    index = index_source(NESTED, "nest.py")
    found = resolve(index, "inner", 'File "nest.py", line 7, in inner\nValueError')
    assert found.status == "found" and found.symbol is not None and found.symbol.qualname == "outer.inner@6"


def test_the_class_named_in_prose_picks_the_method() -> None:
    source = "class Executor:\n    def check_budget(self):\n        return 1\n\n\nclass Planner:\n    def check_budget(self):\n        return 2\n"
    index = index_source(source, "agent.py")
    found = resolve(index, "check_budget", "the Planner's budget check lets every plan through")
    assert found.status == "found" and found.symbol is not None and found.symbol.qualname == "Planner.check_budget"
    assert resolve(index, "check_budget", "the budget check is wrong").status == "ambiguous"


def test_extract_code_block_accepts_the_line_suffixed_name(tmp_path: Path) -> None:
    (tmp_path / "nest.py").write_text(NESTED)
    located = extract_code_block(tmp_path, "nest.py", "outer.<locals>.inner@9", context_lines=0)
    assert isinstance(located, Located)
    assert (located.context.start_line, located.context.end_line) == (9, 10)
    assert located.context.qualified_name == "outer.inner@9"
