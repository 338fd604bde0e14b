"""What the mutation operators share: operator tables, fill values, and walks over one function's scope."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator

from selfmod.agents.offline.repair_edits import Candidate, Edit, Site

ARITH: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
ARITH_ALT: dict[type[ast.operator], list[type[ast.operator]]] = {
    ast.Add: [ast.Sub, ast.Mult],
    ast.Sub: [ast.Add],
    ast.Mult: [ast.Add, ast.Div, ast.FloorDiv, ast.Pow],
    ast.Div: [ast.FloorDiv, ast.Mult],
    ast.FloorDiv: [ast.Div, ast.Mod],
    ast.Mod: [ast.FloorDiv],
    ast.Pow: [ast.Mult],
}
CMP: dict[type[ast.cmpop], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
CMP_ALT: dict[type[ast.cmpop], list[type[ast.cmpop]]] = {
    ast.Lt: [ast.LtE, ast.Gt, ast.NotEq],
    ast.LtE: [ast.Lt, ast.GtE],
    ast.Gt: [ast.GtE, ast.Lt, ast.NotEq],
    ast.GtE: [ast.Gt, ast.LtE],
    ast.Eq: [ast.NotEq, ast.Is],
    ast.NotEq: [ast.Eq, ast.Lt, ast.Gt],  # a loop that steps past its bound: `while t != end` for `<`
    ast.Is: [ast.IsNot, ast.Eq],
    ast.IsNot: [ast.Is, ast.NotEq],
    ast.In: [ast.NotIn],
    ast.NotIn: [ast.In],
}
NON_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
BUILTINS = frozenset(dir(builtins))
CALLABLE_SWAPS = frozenset(
    {"min", "max", "any", "all", "sum", "len", "sorted", "reversed", "abs", "round", "int", "float"}
)
FILL_VALUES = {"float": "0.0", "int": "0", "str": '""', "list": "[]", "dict": "{}", "bool": "False", "none": "None"}


def names_in_scope(site: Site) -> tuple[list[str], set[str]]:
    """In-scope names (parameters, locals, names read in the function) and the locals assigned."""
    fn = site.node
    params = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]]
    params += [a.arg for a in (fn.args.vararg, fn.args.kwarg) if a is not None]
    stored, loaded = set(), []
    for node in ast.walk(fn):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                stored.add(node.id)
            elif node.id not in loaded:
                loaded.append(node.id)
    ordered = list(dict.fromkeys([*params, *sorted(stored), *loaded]))
    return ordered, stored | set(params)


def return_kinds(site: Site) -> list[str]:
    kinds: list[str] = []
    for node in ast.walk(site.node):
        if isinstance(node, ast.Return) and node.value is not None:
            v = node.value
            if isinstance(v, ast.Constant):
                kind = "none" if v.value is None else type(v.value).__name__
            elif isinstance(v, ast.BinOp) and isinstance(v.op, ast.Div):
                kind = "float"
            elif isinstance(v, ast.List | ast.ListComp):
                kind = "list"
            elif isinstance(v, ast.Dict | ast.DictComp):
                kind = "dict"
            elif isinstance(v, ast.JoinedStr):
                kind = "str"
            elif isinstance(v, ast.Compare | ast.BoolOp):
                kind = "bool"
            else:
                continue
            if kind in FILL_VALUES and kind not in kinds:
                kinds.append(kind)
    return kinds


def make_candidate(op: str, desc: str, line: int, edits: list[Edit], size: float, weight: float) -> Candidate:
    return Candidate(tuple(edits), op, desc, line, size, weight)


def expressions(site: Site) -> Iterator[tuple[ast.expr, ast.AST]]:
    """Every expression in the function body with its parent."""
    for stmt in site.node.body:
        for parent in ast.walk(stmt):
            for child in ast.iter_child_nodes(parent):
                if isinstance(child, ast.expr):
                    yield child, parent


def blocks(node: ast.AST) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        block = getattr(node, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for handler in getattr(node, "handlers", []) or []:
        yield handler.body


def statements_in(site: Site) -> Iterator[tuple[ast.stmt, list[ast.stmt]]]:
    """Every statement inside the function with the block that holds it."""
    stack: list[ast.AST] = [site.node]
    while stack:
        node = stack.pop()
        for block in blocks(node):
            for stmt in block:
                yield stmt, block
                if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    stack.append(stmt)


def loop_bodies(site: Site) -> Iterator[tuple[ast.For | ast.While, list[ast.stmt]]]:
    for node in ast.walk(site.node):
        if isinstance(node, ast.For | ast.While):
            yield node, node.body
