"""Richer edits, tried only when no single edit or pair is plausible: changed call argument lists, wrapped and
unwrapped expressions, changed loop bounds and iteration targets, missing statements built from names and
expressions already in the function, and one edit repeated at every occurrence of the same code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from selfmod.agents.offline.repair_edits import Candidate, Edit, Site
from selfmod.agents.offline.repair_scope import BUILTINS, expressions, make_candidate, names_in_scope, statements_in
from selfmod.tools.code.source_text import leading_ws

ITERATION_WRAPS = ("reversed({})", "sorted({})", "{}[1:]", "{}[:-1]", "range(len({}))")
VALUE_WRAPS = ("int({})", "round({})", "float({})", "str({})", "list({})", "sorted({})", "sum({})", "bool({})")
MAX_EXPRESSIONS = 12


def _after(site: Site, stmt: ast.stmt, code: str) -> Edit:
    """An edit inserting a line after `stmt`, at its indentation."""
    assert stmt.end_lineno is not None
    indent = leading_ws(site.lines[stmt.lineno - 1])
    return Edit((stmt.end_lineno + 1, 0), (stmt.end_lineno + 1, 0), indent + code + "\n")


def _values(site: Site) -> list[str]:
    names, _assigned = names_in_scope(site)
    return [n for n in names if n not in BUILTINS][:8]


def call_arguments(site: Site) -> Iterator[Candidate]:
    """Drop one argument of a call, or add an in-scope name as a new last argument."""
    values = _values(site)
    for node, _parent in expressions(site):
        if not isinstance(node, ast.Call) or any(isinstance(a, ast.Starred) for a in node.args):
            continue
        func = site.seg(node.func)
        args = [site.seg(a) for a in node.args]
        kwargs = [f"{k.arg}={site.seg(k.value)}" if k.arg else f"**{site.seg(k.value)}" for k in node.keywords]
        for i in range(len(args)):
            rest = [*args[:i], *args[i + 1 :], *kwargs]
            text = f"{func}({', '.join(rest)})"
            yield make_candidate("call_args", f"drop argument {i + 1} of {func}", node.lineno,
                                 [site.replace(node, text)], 1, 0.5)  # fmt: skip
        for i in range(len(kwargs)):
            text = f"{func}({', '.join([*args, *kwargs[:i], *kwargs[i + 1 :]])})"
            yield make_candidate("call_args", f"drop {kwargs[i]} from {func}", node.lineno,
                                 [site.replace(node, text)], 1, 0.5)  # fmt: skip
        for name in values:
            if name not in args:
                text = f"{func}({', '.join([*args, name, *kwargs])})"
                yield make_candidate("call_args", f"pass {name} to {func}", node.lineno,
                                     [site.replace(node, text)], 2, 0.3)  # fmt: skip


def unwraps(site: Site) -> Iterator[Candidate]:
    """Replace an expression by one of its parts: `f(x)` -> `x`, `a op b` -> `a` or `b`, `x[i]` -> `x`, and the
    branches of `a if c else b`."""
    for node, parent in expressions(site):
        if (isinstance(parent, ast.Call) and parent.func is node) or isinstance(getattr(node, "ctx", None), ast.Store):
            continue
        parts: list[ast.expr] = []
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            parts = [node.args[0]]
        elif isinstance(node, ast.BinOp):
            parts = [node.left, node.right]
        elif isinstance(node, ast.Subscript):
            parts = [node.value]
        elif isinstance(node, ast.IfExp):
            parts = [node.body, node.orelse]
        for part in parts:
            text = site.operand(part)
            yield make_candidate("unwrap", f"{site.seg(node)} -> {site.seg(part)}", node.lineno,
                                 [site.replace(node, text)], 1, 0.5)  # fmt: skip


def wraps(site: Site) -> Iterator[Candidate]:
    """Wrap an iteration target (`reversed`, `sorted`, a slice, its indices) or a value (`int`, `round`, ...)."""
    loops = {id(n.iter) for n in ast.walk(site.node) if isinstance(n, ast.For | ast.comprehension)}
    for node, parent in expressions(site):
        if (isinstance(parent, ast.Call) and parent.func is node) or isinstance(getattr(node, "ctx", None), ast.Store):
            continue
        shapes = ITERATION_WRAPS if id(node) in loops else VALUE_WRAPS
        if id(node) not in loops and not isinstance(node, ast.Name | ast.BinOp | ast.Call | ast.Subscript):
            continue
        for shape in shapes:
            text = shape.format(site.operand(node) if shape.startswith("{}") else site.seg(node))
            yield make_candidate("wrap_more", text, node.lineno, [site.replace(node, text)], 2,
                                 0.6 if id(node) in loops else 0.3)  # fmt: skip


def loop_bounds(site: Site) -> Iterator[Candidate]:
    """Change a `range` bound: add or drop a start, run it backwards, stop one later."""
    for node, _parent in expressions(site):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"):
            continue
        args = [site.seg(a) for a in node.args]
        shapes: list[str] = []
        if len(args) == 1:
            shapes = [f"range(1, {args[0]})", f"range(1, {args[0]} + 1)", f"range({args[0]} - 1, -1, -1)"]
        elif len(args) == 2:
            shapes = [
                f"range({args[1]})",
                f"range({args[0]}, {args[1]} + 1)",
                f"range({args[1]} - 1, {args[0]} - 1, -1)",
            ]
        for text in shapes:
            yield make_candidate("loop_bound", f"{site.seg(node)} -> {text}", node.lineno,
                                 [site.replace(node, text)], 2, 0.6)  # fmt: skip


def missing_statements(site: Site) -> Iterator[Candidate]:
    """Insert `name = expression` (a local and an expression of the function) before a statement that reads the
    name, `break` at the end of an `if` inside a loop, or `return name` at the end of the function."""
    _names, assigned = names_in_scope(site)
    exprs = list(dict.fromkeys(site.seg(n) for n, _p in expressions(site)
                               if isinstance(n, ast.BinOp | ast.Call | ast.Subscript)))[:MAX_EXPRESSIONS]  # fmt: skip
    stmts = list(statements_in(site))
    for stmt, _block in stmts:
        read = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        for name in sorted(read & assigned):
            for expr in exprs:
                if name in expr and expr != name:
                    code = f"{name} = {expr}"
                    yield make_candidate("insert_new", f"insert {code} before line {stmt.lineno}", stmt.lineno,
                                         [site.insert_before(stmt, code)], 2, 0.4)  # fmt: skip
    in_loops = {id(s) for loop in ast.walk(site.node) if isinstance(loop, ast.For | ast.While)
                for s in ast.walk(loop) if isinstance(s, ast.If)}  # fmt: skip
    for stmt, _block in stmts:
        if isinstance(stmt, ast.If) and id(stmt) in in_loops and not isinstance(stmt.body[-1], ast.Break):
            last = stmt.body[-1]
            assert last.end_lineno is not None
            yield make_candidate("insert_new", f"break at the end of the if on line {stmt.lineno}", last.lineno,
                                 [_after(site, last, "break")], 2, 0.4)  # fmt: skip
    body = site.node.body
    if not isinstance(body[-1], ast.Return | ast.Raise):
        for name in sorted(assigned - {"self", "cls"}):
            yield make_candidate("insert_new", f"return {name} at the end", body[-1].lineno,
                                 [_after(site, body[-1], f"return {name}")], 2, 0.4)  # fmt: skip


def coordinated(singles: list[Candidate]) -> list[Candidate]:
    """The same edit at every place it applies at once (e.g. one wrong bound written twice)."""
    groups: dict[tuple[str, str], list[Candidate]] = {}
    for cand in singles:
        if len(cand.edits) == 1:
            groups.setdefault((cand.operator, cand.description), []).append(cand)
    out = []
    for (operator, description), members in groups.items():
        if len(members) < 2:
            continue
        edits = tuple(e for c in members for e in c.edits)
        first = min(members, key=lambda c: c.line)
        weight = max(c.weight for c in members)
        out.append(Candidate(edits, f"{operator}_everywhere", f"{description} (every occurrence)", first.line,
                             first.size + 1, weight))  # fmt: skip
    return out


RICHER_OPERATORS = (call_arguments, unwraps, wraps, loop_bounds, missing_statements)
