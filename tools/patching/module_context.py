"""What the patcher needs to see around a function: the file's imports and the module-level names it uses."""

from __future__ import annotations

import ast

from selfmod.tools.code.source_text import split_lines, strip_eol

MAX_STATEMENT_LINES = 4
MAX_STATEMENTS = 20


def _bound_names(stmt: ast.stmt) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split(".")[0])
    return names


def _text(lines: list[str], stmt: ast.stmt) -> str:
    end = stmt.end_lineno or stmt.lineno
    shown = [strip_eol(line) for line in lines[stmt.lineno - 1 : min(end, stmt.lineno + MAX_STATEMENT_LINES - 1)]]
    if end - stmt.lineno + 1 > MAX_STATEMENT_LINES:
        shown.append("    ...")
    return "\n".join(f"{stmt.lineno + i:>4} | {line}" for i, line in enumerate(shown))


def module_context(source: str, first: int, last: int) -> str:
    """The imports of `source` and the module-level statements binding names used in lines first..last, numbered;
    empty when there are none (or the source does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    lines = split_lines(source)
    used = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and first <= getattr(node, "lineno", 0) <= last
    }
    plain = [s for s in tree.body if not isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    imports = [s for s in plain if isinstance(s, ast.Import | ast.ImportFrom)]
    names = [
        s
        for s in plain
        if not isinstance(s, ast.Import | ast.ImportFrom) and _bound_names(s) & used and not first <= s.lineno <= last
    ]
    parts = []
    if imports:
        parts.append("Imports:\n" + "\n".join(_text(lines, s) for s in imports[:MAX_STATEMENTS]))
    if names:
        parts.append("Module-level names it uses:\n" + "\n".join(_text(lines, s) for s in names[:MAX_STATEMENTS]))
    return "\n\n".join(parts)
