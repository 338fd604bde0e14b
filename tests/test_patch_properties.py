"""Property tests: the engine is the identity on a symbol's own text and never touches bytes outside it."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import proposal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfmod.models import RejectionCode
from selfmod.tools.code.code_index import index_source
from selfmod.tools.code.context import Located, extract_code_block
from selfmod.tools.code.source_text import split_lines
from selfmod.tools.patching.patch_engine import apply_proposal

NAMES = st.lists(
    st.sampled_from(["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta"]),
    min_size=1,
    max_size=4,
    unique=True,
)
STATEMENT = st.sampled_from(["x = 1", "y = [1, 2]", "s = '''\ncol0 text\n'''", "z = {'k': 'ü'}", "pass_ = None"])


@st.composite
def modules(draw: st.DrawFn) -> str:
    unit = draw(st.sampled_from(["    ", "  ", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    parts = ["import os"]
    for name in draw(NAMES):
        decorated = draw(st.booleans())
        body = draw(st.lists(STATEMENT, min_size=1, max_size=3))
        ret = draw(st.integers(0, 99))
        in_class = draw(st.booleans())
        base = unit if in_class else ""
        lines = [f"class C_{name}:"] if in_class else []
        if decorated:
            lines.append(f"{base}@staticmethod" if in_class else f"{base}@functools.cache")
        lines.append(f"{base}def {name}(a, b=2):")
        for stmt in body:
            lines.extend(base + unit + piece if i == 0 else piece for i, piece in enumerate(stmt.split("\n")))
        lines.append(f"{base}{unit}return {ret}")
        parts.append("\n".join(lines))
    text = "\n\n\n".join(parts) + "\n"
    return text.replace("\n", newline)


def _target(root: Path, source: str, pick: int) -> Located:
    (root / "m.py").write_bytes(source.encode())
    functions = [s for s in index_source(source).symbols if s.kind.value == "function"]
    sym = functions[pick % len(functions)]
    found = extract_code_block(root, "m.py", sym.qualname)
    assert isinstance(found, Located)
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=modules(), pick=st.integers(0, 10), shift=st.integers(-3, 3))
def test_replacing_a_function_with_its_own_text_is_the_identity(
    tmp_path: Path, source: str, pick: int, shift: int
) -> None:
    found = _target(tmp_path, source, pick)
    ctx = found.context
    own = "".join(split_lines(source)[ctx.start_line - 1 : ctx.end_line])
    start = max(0, ctx.start_line + shift)
    outcome = apply_proposal(proposal("m.py", start, max(start, ctx.end_line + shift), own), ctx, source)
    assert outcome.new_text == source
    assert [r.code for r in outcome.rejections] == [RejectionCode.NO_OP]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=modules(), pick=st.integers(0, 10), value=st.integers(100, 999), dedent=st.booleans())
def test_bytes_outside_the_target_never_change(
    tmp_path: Path, source: str, pick: int, value: int, dedent: bool
) -> None:
    found = _target(tmp_path, source, pick)
    ctx = found.context
    lines = split_lines(source)
    own = "".join(lines[ctx.start_line - 1 : ctx.end_line])
    changed = own.rsplit("return", 1)
    new_code = f"{changed[0]}return {value}\n"
    if dedent:
        base = lines[ctx.start_line - 1][: len(lines[ctx.start_line - 1]) - len(lines[ctx.start_line - 1].lstrip())]
        new_code = "\n".join(line.removeprefix(base) for line in new_code.replace("\r\n", "\n").split("\n"))
    outcome = apply_proposal(proposal("m.py", ctx.start_line, ctx.end_line, new_code), ctx, source)
    assert outcome.rejections == [], outcome.rejections
    assert outcome.new_text is not None
    new_lines = split_lines(outcome.new_text)
    before, after = lines[: ctx.start_line - 1], lines[ctx.end_line :]
    assert new_lines[: len(before)] == before
    assert len(new_lines) == len(lines)
    assert new_lines[len(before) + ctx.end_line - ctx.start_line + 1 :] == after
    changed_line = new_lines[ctx.end_line - 1]
    assert changed_line.strip() == f"return {value}"
    assert changed_line.endswith("\r\n") == lines[ctx.end_line - 1].endswith("\r\n")
    ast.parse(outcome.new_text)
