"""Generic AST mutation operators for search-based repair. Each yields candidates for one function.

Single edits: operator replacement, off-by-one, swaps, name/attribute replacement, negation, guards, return
changes, statement deletion and insertion. Then wider but still generic ones: +1/-1 on integer-valued
expressions, new binary expressions, wrappers (`max(0, e)`, `len(e)`, ...), names replaced by slices of
themselves, literals replaced by small structures, copied statements with one name changed.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator

from selfmod.agents.repair_edits import Candidate, Edit, Site
from selfmod.tools.source_text import leading_ws

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
    ast.NotEq: [ast.Eq],
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


def _names(site: Site) -> tuple[list[str], set[str]]:
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


def _return_kinds(site: Site) -> list[str]:
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


def _cand(op: str, desc: str, line: int, edits: list[Edit], size: float, weight: float) -> Candidate:
    return Candidate(tuple(edits), op, desc, line, size, weight)


def _exprs(site: Site) -> Iterator[tuple[ast.expr, ast.AST]]:
    """Every expression in the function body with its parent."""
    for stmt in site.node.body:
        for parent in ast.walk(stmt):
            for child in ast.iter_child_nodes(parent):
                if isinstance(child, ast.expr):
                    yield child, parent


def _blocks(node: ast.AST) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        block = getattr(node, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for handler in getattr(node, "handlers", []) or []:
        yield handler.body


def _statements(site: Site) -> Iterator[tuple[ast.stmt, list[ast.stmt]]]:
    """Every statement inside the function with the block that holds it."""
    stack: list[ast.AST] = [site.node]
    while stack:
        node = stack.pop()
        for block in _blocks(node):
            for stmt in block:
                yield stmt, block
                if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    stack.append(stmt)


def operator_swaps(site: Site) -> Iterator[Candidate]:
    """Arithmetic, comparison, boolean, unary and augmented-assignment operator replacement; negation."""
    for node, _parent in _exprs(site):
        if isinstance(node, ast.BinOp) and type(node.op) in ARITH_ALT:
            left, right = site.operand(node.left), site.operand(node.right)
            for alt in ARITH_ALT[type(node.op)]:
                text = f"{left} {ARITH[alt]} {right}"
                yield _cand(
                    "binop",
                    f"{ARITH[type(node.op)]} -> {ARITH[alt]}",
                    node.lineno,
                    [site.replace(node, f"({text})")],
                    1,
                    1.0,
                )
        elif isinstance(node, ast.Compare):
            parts = [site.operand(node.left), *(site.operand(c) for c in node.comparators)]
            for i, cmp in enumerate(node.ops):
                for swap in CMP_ALT.get(type(cmp), []):
                    ops = [CMP[type(o)] for o in node.ops]
                    ops[i] = CMP[swap]
                    text = parts[0] + "".join(f" {o} {p}" for o, p in zip(ops, parts[1:], strict=True))
                    yield _cand(
                        "compare", f"{CMP[type(cmp)]} -> {CMP[swap]}", node.lineno, [site.replace(node, text)], 1, 1.0
                    )
        elif isinstance(node, ast.BoolOp):
            other = " or " if isinstance(node.op, ast.And) else " and "
            text = other.join(site.operand(v) for v in node.values)
            yield _cand("boolop", f"-> {other.strip()}", node.lineno, [site.replace(node, f"({text})")], 1, 0.7)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
            yield _cand(
                "unary", "drop unary operator", node.lineno, [site.replace(node, site.operand(node.operand))], 1, 0.9
            )
    for stmt, _block in _statements(site):
        if isinstance(stmt, ast.AugAssign) and type(stmt.op) in ARITH_ALT:
            target, value = site.seg(stmt.target), site.seg(stmt.value)
            for alt in ARITH_ALT[type(stmt.op)]:
                yield _cand(
                    "augassign",
                    f"{ARITH[type(stmt.op)]}= -> {ARITH[alt]}=",
                    stmt.lineno,
                    [site.replace(stmt, f"{target} {ARITH[alt]}= {value}")],
                    1,
                    1.0,
                )
            yield _cand(
                "augassign", "x op= e -> x = e", stmt.lineno, [site.replace(stmt, f"{target} = {value}")], 1, 0.7
            )
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = site.seg(stmt.targets[0]), site.seg(stmt.value)
            for sign in ("+", "-"):
                yield _cand(
                    "augassign",
                    f"x = e -> x {sign}= e",
                    stmt.lineno,
                    [site.replace(stmt, f"{target} {sign}= {value}")],
                    1,
                    0.7,
                )
        if isinstance(stmt, ast.If | ast.While | ast.Assert):
            test = stmt.test
            negated = (
                site.operand(test.operand)
                if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
                else f"not {site.operand(test)}"
            )
            yield _cand("negate", "negate the condition", stmt.lineno, [site.replace(test, negated)], 1, 1.0)
    for node, _parent in _exprs(site):
        if isinstance(node, ast.IfExp):
            yield _cand(
                "negate",
                "negate the condition",
                node.lineno,
                [site.replace(node.test, f"not {site.operand(node.test)}")],
                1,
                1.0,
            )


def off_by_one(site: Site) -> Iterator[Candidate]:
    """+1/-1 on integer constants, indices, slice bounds and any integer-valued expression."""
    for node, parent in _exprs(site):
        if isinstance(node, ast.Constant) and type(node.value) is int:
            for delta in (1, -1):
                value = node.value + delta
                yield _cand(
                    "constant", f"{node.value} -> {value}", node.lineno, [site.replace(node, str(value))], 1, 1.0
                )
            continue
        int_context = (
            (isinstance(parent, ast.Subscript) and parent.slice is node)
            or isinstance(parent, ast.Slice)
            or (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "range")
            or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len")
            or (isinstance(parent, ast.Compare | ast.BinOp) and isinstance(node, ast.Name))
        )
        if int_context and not isinstance(node, ast.Slice | ast.Tuple):
            for op in ("+", "-"):
                yield _cand(
                    "plus_one",
                    f"{site.seg(node)} {op} 1",
                    node.lineno,
                    [site.replace(node, f"({site.operand(node)} {op} 1)")],
                    1,
                    0.9,
                )
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            s = node.slice
            base = site.seg(node.value)
            low = site.seg(s.lower) if s.lower else ""
            up = site.seg(s.upper) if s.upper else ""
            if not s.upper:
                yield _cand(
                    "slice", "add upper bound -1", node.lineno, [site.replace(node, f"{base}[{low}:-1]")], 1, 0.8
                )
            if not s.lower:
                yield _cand("slice", "add lower bound 1", node.lineno, [site.replace(node, f"{base}[1:{up}]")], 1, 0.8)


def swaps(site: Site) -> Iterator[Candidate]:
    """Swap adjacent call arguments and the operands of non-commutative operators and comparisons."""
    for node, _parent in _exprs(site):
        if (
            isinstance(node, ast.Call)
            and len(node.args) >= 2
            and not any(isinstance(a, ast.Starred) for a in node.args)
        ):
            for i in range(len(node.args) - 1):
                a, b = node.args[i], node.args[i + 1]
                yield _cand(
                    "swap_args",
                    f"swap arguments {i + 1} and {i + 2}",
                    node.lineno,
                    [site.replace(a, site.seg(b)), site.replace(b, site.seg(a))],
                    1,
                    0.9,
                )
        elif isinstance(node, ast.BinOp) and isinstance(node.op, NON_COMMUTATIVE):
            text = f"{site.operand(node.right)} {ARITH[type(node.op)]} {site.operand(node.left)}"
            yield _cand("swap_operands", "swap operands", node.lineno, [site.replace(node, f"({text})")], 1, 0.9)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            text = f"{site.operand(node.comparators[0])} {CMP[type(node.ops[0])]} {site.operand(node.left)}"
            yield _cand("swap_operands", "swap comparison operands", node.lineno, [site.replace(node, text)], 1, 0.8)


def replacements(site: Site) -> Iterator[Candidate]:
    """Replace a name by another in-scope name, an attribute by another attribute, a return value."""
    names, _locals = _names(site)
    attrs = sorted({n.attr for n in ast.walk(ast.parse(site.text)) if isinstance(n, ast.Attribute)})
    callees = {n.func.id for n in ast.walk(site.node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    values = [n for n in names if n not in BUILTINS]
    for node, parent in _exprs(site):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            is_callee = isinstance(parent, ast.Call) and parent.func is node
            for other in sorted(callees | CALLABLE_SWAPS) if is_callee else values:
                if other != node.id:
                    yield _cand("name", f"{node.id} -> {other}", node.lineno, [site.replace(node, other)], 1, 0.8)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            for other in attrs:
                if other != node.attr:
                    yield _cand(
                        "attribute",
                        f".{node.attr} -> .{other}",
                        node.lineno,
                        [site.replace(node, f"{site.operand(node.value)}.{other}")],
                        1,
                        0.8,
                    )
    kinds = _return_kinds(site)
    for stmt, _block in _statements(site):
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            options = [*names, *(FILL_VALUES[k] for k in kinds), "None", "True", "False", "0", '""', "[]"]
            options += [site.seg(c) for c in ast.iter_child_nodes(stmt.value) if isinstance(c, ast.expr)]
            for text in dict.fromkeys(options):
                if text != site.seg(stmt.value):
                    yield _cand("return", f"return {text}", stmt.lineno, [site.replace(stmt.value, text)], 1, 0.6)


def guards(site: Site) -> Iterator[Candidate]:
    """Return early with a fitting value when a parameter, or a name used in a condition, is empty or None."""
    names, _locals = _names(site)
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
    values = [*(FILL_VALUES[k] for k in _return_kinds(site)), "None", "0", '""', "[]", "False", "0.0", "{}"]
    for p in params:
        for value in dict.fromkeys([*values, p]):
            for test in (f"not {p}", f"{p} is None"):
                yield _cand(
                    "guard",
                    f"if {test}: return {value}",
                    first.lineno,
                    [site.insert_before(first, f"if {test}:\n    return {value}")],
                    2,
                    0.9,
                )
    for stmt, _block in _statements(site):
        cond_names = [n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id in names and n.id not in params]
        for name in dict.fromkeys(cond_names):
            for value in dict.fromkeys(values[:4]):
                yield _cand(
                    "guard",
                    f"if not {name}: return {value}",
                    stmt.lineno,
                    [site.insert_before(stmt, f"if not {name}:\n    return {value}")],
                    2,
                    0.6,
                )


def _loop_bodies(site: Site) -> Iterator[tuple[ast.For | ast.While, list[ast.stmt]]]:
    for node in ast.walk(site.node):
        if isinstance(node, ast.For | ast.While):
            yield node, node.body


def accumulators(site: Site) -> Iterator[Candidate]:
    """Insert a missing accumulator or counter update (`a += b`, `a += 1`, `a.append(b)`) into a loop body."""
    names, assigned = _names(site)
    inits: dict[str, str] = {}
    for stmt, _block in _statements(site):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            value = stmt.value
            if isinstance(value, ast.Constant) and type(value.value) in (int, float):
                inits[stmt.targets[0].id] = "number"
            elif isinstance(value, ast.List | ast.Set) and not value.elts:
                inits[stmt.targets[0].id] = "list" if isinstance(value, ast.List) else "set"
    for loop, body in _loop_bodies(site):
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
                for target in (body[0], body[-1]):
                    where = "start" if target is body[0] else "end"
                    edit = site.insert_before(target, code) if where == "start" else _insert_after(site, target, code)
                    yield _cand("accumulate", f"{code} at the {where} of the loop", target.lineno, [edit], 2, 0.6)


def _insert_after(site: Site, stmt: ast.stmt, code: str) -> Edit:
    assert stmt.end_lineno is not None
    indent = leading_ws(site.lines[stmt.lineno - 1])
    return Edit((stmt.end_lineno + 1, 0), (stmt.end_lineno + 1, 0), indent + code + "\n")


def statements(site: Site) -> Iterator[Candidate]:
    """Delete a statement; insert a copy of another statement (also with one name changed)."""
    stmts = list(_statements(site))
    names, _locals = _names(site)
    for stmt, block in stmts:
        yield _cand("delete", f"delete line {stmt.lineno}", stmt.lineno, [site.delete(stmt, len(block) == 1)], 1, 0.6)
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
                yield _cand(
                    "insert",
                    f"insert {how} of line {source.lineno} before line {target.lineno}",
                    target.lineno,
                    [site.insert_before(target, code)],
                    2,
                    weight,
                )


def _module_functions(site: Site) -> list[str]:
    """Module-level functions taking one positional argument (candidates for wrapping an expression)."""
    tree = ast.parse(site.text)
    return [
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef) and len(n.args.args) - len(n.args.defaults) == 1 and n.name != site.node.name
    ]


def _self_attributes(site: Site) -> list[str]:
    """`self.x` expressions used in the function's class (operands for new binary expressions)."""
    if not site.symbol.parent or not site.node.args.args or site.node.args.args[0].arg != "self":
        return []
    found = {f"self.{n.attr}" for n in ast.walk(ast.parse(site.text)) if isinstance(n, ast.Attribute)
             and isinstance(n.value, ast.Name) and n.value.id == "self"}  # fmt: skip
    return sorted(found)[:8]


def widenings(site: Site) -> Iterator[Candidate]:
    """New binary expressions, wrappers, slices of a name, literals replaced by small structures."""
    names, _locals = _names(site)
    values = [n for n in names if n not in BUILTINS][:8]
    operands = [*values, *_self_attributes(site), "1", "2"]
    wrappers = [
        "max(0, {})",
        "abs({})",
        "len({})",
        "min({})",
        "max({})",
        *(f + "({})" for f in _module_functions(site)),
    ]
    for node, parent in _exprs(site):
        if isinstance(parent, ast.Call) and parent.func is node:
            continue
        text = site.operand(node)
        if isinstance(node, ast.Name | ast.Call | ast.Subscript | ast.BinOp | ast.Attribute) and not isinstance(
            getattr(node, "ctx", None), ast.Store
        ):
            for wrapper in wrappers:
                wrapped = wrapper.format(site.seg(node))
                yield _cand("wrap", wrapped, node.lineno, [site.replace(node, wrapped)], 2, 0.3)
            for other in operands:
                if other != site.seg(node):
                    for op in ("+", "-", "*", "%", "//"):
                        yield _cand(
                            "binop_new",
                            f"{site.seg(node)} {op} {other}",
                            node.lineno,
                            [site.replace(node, f"({text} {op} {other})")],
                            2,
                            0.25 if op in "+-*" else 0.15,
                        )
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            for sl in ("[1:]", "[:-1]", "[::-1]"):
                yield _cand("slice_name", f"{node.id}{sl}", node.lineno, [site.replace(node, node.id + sl)], 1, 0.4)
            for other in values:
                if other != node.id:
                    yield _cand(
                        "wrap",
                        f"{node.id} + [{other}]",
                        node.lineno,
                        [site.replace(node, f"({node.id} + [{other}])")],
                        2,
                        0.2,
                    )
        if isinstance(node, ast.List) and not node.elts:
            for other in [*values, "[]"]:
                yield _cand("literal", f"[] -> [{other}]", node.lineno, [site.replace(node, f"[{other}]")], 1, 0.3)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            for a in values:
                for b in values:
                    if a < b:
                        for op in ("==", "!=", "<", ">"):
                            yield _cand(
                                "literal",
                                f"{node.value} -> {a} {op} {b}",
                                node.lineno,
                                [site.replace(node, f"({a} {op} {b})")],
                                2,
                                0.2,
                            )
        if isinstance(node, ast.Constant) and node.value in (0, "") and type(node.value) in (int, str):
            for other in values:
                repl = f"len({other})" if node.value == 0 else other
                yield _cand("literal", f"{node.value!r} -> {repl}", node.lineno, [site.replace(node, repl)], 1, 0.3)


OPERATORS = (operator_swaps, off_by_one, swaps, guards, replacements, accumulators, statements, widenings)
