"""Statement-level mutation operators: guards for empty or None input, accumulator updates, deletion and
insertion of statements (also copies with one name changed)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from selfmod.agents.offline.repair_edits import Candidate, Edit, Site
from selfmod.agents.offline.repair_scope import (
    FILL_VALUES,
    loop_bodies,
    make_candidate,
    names_in_scope,
    return_kinds,
    statements_in,
)
from selfmod.tools.code.source_text import leading_ws


def guards(site: Site) -> Iterator[Candidate]:
    """Return early with a fitting value when a parameter, or a name used in a condition, is empty or None."""
    names, _locals = names_in_scope(site)
    fn = site.node
    params = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs] if a.arg not in ("self", "cls")]
    body = fn.body
    first = (
        body[1]
        if len(body) > 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
        else body[0]
    )
    values = [*(FILL_VALUES[k] for k in return_kinds(site)), "None", "0", '""', "[]", "False", "0.0", "{}"]
    for p in params:
        for value in dict.fromkeys([*values, p]):
            for test in (f"not {p}", f"{p} is None"):
                yield make_candidate(
                    "guard",
                    f"if {test}: return {value}",
                    first.lineno,
                    [site.insert_before(first, f"if {test}:\n    return {value}")],
                    2,
                    0.9,
                )
    for stmt, _block in statements_in(site):
        cond_names = [n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id in names and n.id not in params]
        for name in dict.fromkeys(cond_names):
            for value in dict.fromkeys(values[:4]):
                yield make_candidate(
                    "guard",
                    f"if not {name}: return {value}",
                    stmt.lineno,
                    [site.insert_before(stmt, f"if not {name}:\n    return {value}")],
                    2,
                    0.6,
                )


def accumulators(site: Site) -> Iterator[Candidate]:
    """Insert a missing accumulator or counter update (`a += b`, `a += 1`, `a.append(b)`) into a loop body."""
    names, assigned = names_in_scope(site)
    inits: dict[str, str] = {}
    for stmt, _block in statements_in(site):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            value = stmt.value
            if isinstance(value, ast.Constant) and type(value.value) in (int, float):
                inits[stmt.targets[0].id] = "number"
            elif isinstance(value, ast.List | ast.Set) and not value.elts:
                inits[stmt.targets[0].id] = "list" if isinstance(value, ast.List) else "set"
    for loop, body in loop_bodies(site):
        loop_vars = (
            [n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)] if isinstance(loop, ast.For) else []
        )
        sources = [*loop_vars, *(n for n in names if n in assigned and n not in inits)]
        for acc, kind in inits.items():
            codes = [f"{acc} += 1"] if kind == "number" else []
            for src in dict.fromkeys(sources):
                if src == acc:
                    continue
                if kind == "number":
                    codes.append(f"{acc} += {src}")
                else:
                    codes.append(f"{acc}.{'append' if kind == 'list' else 'add'}({src})")
            for code in codes:
                for where, target in (("start", body[0]), ("end", body[-1])):
                    edit = site.insert_before(target, code) if where == "start" else _insert_after(site, target, code)
                    yield make_candidate(
                        "accumulate", f"{code} at the {where} of the loop", target.lineno, [edit], 2, 0.6
                    )


def _insert_after(site: Site, stmt: ast.stmt, code: str) -> Edit:
    assert stmt.end_lineno is not None
    indent = leading_ws(site.lines[stmt.lineno - 1])
    return Edit((stmt.end_lineno + 1, 0), (stmt.end_lineno + 1, 0), indent + code + "\n")


def statements(site: Site) -> Iterator[Candidate]:
    """Delete a statement; insert a copy of another statement (also with one name changed)."""
    stmts = list(statements_in(site))
    names, _locals = names_in_scope(site)
    for stmt, block in stmts:
        yield make_candidate(
            "delete", f"delete line {stmt.lineno}", stmt.lineno, [site.delete(stmt, len(block) == 1)], 1, 0.6
        )
    simple = [
        s
        for s, _ in stmts
        if isinstance(s, ast.Assign | ast.AugAssign | ast.Expr | ast.Return) and s.end_lineno == s.lineno
    ]
    for source in simple:
        text = site.stmt_text(source)
        variants = [(text, "copy")]
        for name_node in [n for n in ast.walk(source) if isinstance(n, ast.Name)]:
            for other in names[:8]:
                if other != name_node.id:
                    (l1, c1), (_l2, c2) = site.span(name_node)
                    col0 = c1 - len(leading_ws(site.lines[l1 - 1]))
                    variants.append(
                        (text[:col0] + other + text[col0 + c2 - c1 :], f"copy with {name_node.id} -> {other}")
                    )
        for target, _block in stmts:
            if target is source:
                continue
            for code, how in variants:
                weight = 0.4 if how == "copy" else 0.25
                yield make_candidate(
                    "insert",
                    f"insert {how} of line {source.lineno} before line {target.lineno}",
                    target.lineno,
                    [site.insert_before(target, code)],
                    2,
                    weight,
                )
