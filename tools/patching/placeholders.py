"""Detect lazy LLM output in a new code segment: elision comments, `...`/`pass` bodies, `TODO: implement`.

Only what is new relative to the original segment counts, and only comments and statements are inspected,
never substrings of code, so `results[result_idx]` or a comment saying "you can use" are not flagged.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

_LAZY_COMMENT = re.compile(
    r"""(?ix)
      \b(rest|remainder)\s+of\s+(the\s+)?(code|function|method|class|file|implementation|body|logic)\b
    | \b(existing|remaining|previous|original|unchanged|other)\s+(code|logic|implementation)\b
      .{0,30}?\b(here|unchanged|omitted|as\s+before|goes\s+here|remains?|stays?)\b
    | \b(code|everything\s+else|implementation)\s+(remains?|stays?|is|are)\s+(unchanged|the\s+same|as\s+before)\b
    | ^\s*(\.\.\.\s*)?(same|unchanged)\s+as\s+(before|above|(the\s+)?original)\s*(\.\.\.)?\s*$
    | ^\s*(\.\.\.\s*)?\(?(unchanged|omitted|snip|existing\s+code)\)?\s*(\.\.\.)?\s*$
    | \btodo\b\s*:?\s*implement\b
    | ^\s*implement\s+(this|me|here)\b
    | \byour\s+(code|implementation|logic)\s+here\b
    | \[\s*insert\b
    | ^\s*\.\.\.\s*$
    | ^\s*\.\.\.\s*(existing|rest|other|remaining|previous|original)\b
    """
)


def comments(source: str) -> list[tuple[int, str]]:
    """(line, text without '#') of every comment token in the source."""
    found: list[tuple[int, str]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                found.append((tok.start[0], tok.string.lstrip("#").strip()))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return found


def lazy_comments(original: str, new: str) -> list[tuple[int, str]]:
    """New comments that stand in for omitted code."""
    before = {text for _, text in comments(original)}
    return [(line, text) for line, text in comments(new) if text not in before and _LAZY_COMMENT.search(text)]


def _functions(tree: ast.AST) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    out: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    out[name] = child
                walk(child, name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def _is_stub_statement(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return stmt.value.value is Ellipsis or isinstance(stmt.value.value, str)
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def is_stub(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """True when the body is only a docstring, `pass`, `...` or `raise NotImplementedError`."""
    return all(_is_stub_statement(stmt) for stmt in fn.body)


def _ellipsis_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[int]:
    return [
        stmt.lineno
        for stmt in ast.walk(fn)
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis
    ]


def lazy_comment_problems(original: str, new: str) -> list[str]:
    """Reasons from comments in `new` (and not in `original`) that stand in for omitted code."""
    return [
        f"line {line} of new_code: comment '# {text}' stands in for code; send the complete code"
        for line, text in lazy_comments(original, new)
    ]


def stub_problems(original: str, new: str) -> list[str]:
    """Reasons from functions of the new segment whose bodies became stubs or gained a bare `...`."""
    try:
        old_fns, new_fns = _functions(ast.parse(original)), _functions(ast.parse(new))
    except SyntaxError:
        return []
    problems = []
    for name, fn in new_fns.items():
        old = old_fns.get(name)
        if old is not None and not is_stub(old) and is_stub(fn):
            problems.append(f"the body of {name} was reduced to a stub (pass, ... or a docstring); write the real body")
            continue
        old_dots = len(_ellipsis_lines(old)) if old is not None else 0
        if not is_stub(fn) and len(_ellipsis_lines(fn)) > old_dots:
            problems.append(f"{name} contains a bare `...` statement standing in for omitted code")
    return problems
