"""Keeping a definition's docstring when a model rewrites the definition.

Asked for a whole function, a small model copies a long docstring back truncated, re-wrapped or with trailing
spaces (humanize's `naturalsize`: its `Args:` section dropped), which turns a one-line fix into a documentation
change and lets an answer that changes nothing but the docstring pass for a change. The original docstring is put
back in the rewritten definition, where the model left it out too, so a model may leave it out and save its
tokens.
"""

from __future__ import annotations

import ast
import textwrap

_Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _only_definition(code: str) -> _Def | None:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], _Def):
        return None
    return tree.body[0]


def _docstring(node: _Def) -> ast.Expr | None:
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def keep_docstring(new_code: str, original: str) -> str:
    """`new_code` (one dedented definition) with `original`'s docstring in place of its own, or added where it has
    none; `new_code` as it is when the original has no docstring, either does not parse as one definition, or
    their bodies are indented differently (re-indenting would change the docstring's text)."""
    original = textwrap.dedent(original)
    old, new = _only_definition(original), _only_definition(new_code)
    if old is None or new is None or type(old) is not type(new):
        return new_code
    kept = _docstring(old)
    if kept is None or kept.end_lineno is None or kept.lineno <= old.lineno:
        return new_code
    own = _docstring(new)
    rest = new.body[1:] if own is not None else new.body
    if not rest or old.body[0].col_offset != new.body[0].col_offset:
        return new_code
    body_start = rest[0].lineno
    if own is not None and own.lineno <= new.lineno:  # docstring on the `def` line
        return new_code
    if own is None and body_start == new.lineno:  # a one-line definition
        return new_code
    first = own.lineno if own is not None else body_start
    after = own.end_lineno if own is not None and own.end_lineno is not None else body_start - 1
    lines = new_code.split("\n")
    docstring = original.split("\n")[kept.lineno - 1 : kept.end_lineno]
    return "\n".join([*lines[: first - 1], *docstring, *lines[after:]])
