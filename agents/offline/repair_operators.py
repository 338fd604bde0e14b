"""Generic AST mutation operators for search-based repair. Each yields candidates for one function.

Single edits: operator replacement, off-by-one, swaps, name/attribute replacement, negation, guards, return
changes, statement deletion and insertion. Then wider but still generic ones: +1/-1 on integer-valued
expressions, new binary expressions, wrappers (`max(0, e)`, `len(e)`, ...), names replaced by slices of
themselves, literals replaced by small structures, copied statements with one name changed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from selfmod.agents.offline.repair_edits import Candidate, Site
from selfmod.agents.offline.repair_scope import (
    ARITH,
    ARITH_ALT,
    BUILTINS,
    CALLABLE_SWAPS,
    CMP,
    CMP_ALT,
    FILL_VALUES,
    NON_COMMUTATIVE,
    expressions,
    make_candidate,
    names_in_scope,
    return_kinds,
    statements_in,
)
from selfmod.agents.offline.repair_statements import accumulators, guards, statements


def operator_swaps(site: Site) -> Iterator[Candidate]:
    """Arithmetic, comparison, boolean, unary and augmented-assignment operator replacement; negation."""
    for node, _parent in expressions(site):
        if isinstance(node, ast.BinOp) and type(node.op) in ARITH_ALT:
            left, right = site.operand(node.left), site.operand(node.right)
            for alt in ARITH_ALT[type(node.op)]:
                text = f"{left} {ARITH[alt]} {right}"
                yield make_candidate(
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
                    yield make_candidate(
                        "compare", f"{CMP[type(cmp)]} -> {CMP[swap]}", node.lineno, [site.replace(node, text)], 1, 1.0
                    )
        elif isinstance(node, ast.BoolOp):
            other = " or " if isinstance(node.op, ast.And) else " and "
            text = other.join(site.operand(v) for v in node.values)
            yield make_candidate(
                "boolop", f"-> {other.strip()}", node.lineno, [site.replace(node, f"({text})")], 1, 0.7
            )
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
            yield make_candidate(
                "unary", "drop unary operator", node.lineno, [site.replace(node, site.operand(node.operand))], 1, 0.9
            )
    for stmt, _block in statements_in(site):
        if isinstance(stmt, ast.AugAssign) and type(stmt.op) in ARITH_ALT:
            target, value = site.seg(stmt.target), site.seg(stmt.value)
            for alt in ARITH_ALT[type(stmt.op)]:
                yield make_candidate(
                    "augassign",
                    f"{ARITH[type(stmt.op)]}= -> {ARITH[alt]}=",
                    stmt.lineno,
                    [site.replace(stmt, f"{target} {ARITH[alt]}= {value}")],
                    1,
                    1.0,
                )
            yield make_candidate(
                "augassign", "x op= e -> x = e", stmt.lineno, [site.replace(stmt, f"{target} = {value}")], 1, 0.7
            )
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = site.seg(stmt.targets[0]), site.seg(stmt.value)
            for sign in ("+", "-"):
                yield make_candidate(
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
            yield make_candidate("negate", "negate the condition", stmt.lineno, [site.replace(test, negated)], 1, 1.0)
    for node, _parent in expressions(site):
        if isinstance(node, ast.IfExp):
            yield make_candidate(
                "negate",
                "negate the condition",
                node.lineno,
                [site.replace(node.test, f"not {site.operand(node.test)}")],
                1,
                1.0,
            )


def off_by_one(site: Site) -> Iterator[Candidate]:
    """+1/-1 on integer constants, indices, slice bounds and any integer-valued expression."""
    for node, parent in expressions(site):
        if isinstance(node, ast.Constant) and type(node.value) is int:
            for delta in (1, -1):
                value = node.value + delta
                yield make_candidate(
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
                yield make_candidate(
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
                yield make_candidate(
                    "slice", "add upper bound -1", node.lineno, [site.replace(node, f"{base}[{low}:-1]")], 1, 0.8
                )
            if not s.lower:
                yield make_candidate(
                    "slice", "add lower bound 1", node.lineno, [site.replace(node, f"{base}[1:{up}]")], 1, 0.8
                )


def swaps(site: Site) -> Iterator[Candidate]:
    """Swap adjacent call arguments and the operands of non-commutative operators and comparisons."""
    for node, _parent in expressions(site):
        if (
            isinstance(node, ast.Call)
            and len(node.args) >= 2
            and not any(isinstance(a, ast.Starred) for a in node.args)
        ):
            for i in range(len(node.args) - 1):
                a, b = node.args[i], node.args[i + 1]
                yield make_candidate(
                    "swap_args",
                    f"swap arguments {i + 1} and {i + 2}",
                    node.lineno,
                    [site.replace(a, site.seg(b)), site.replace(b, site.seg(a))],
                    1,
                    0.9,
                )
        elif isinstance(node, ast.BinOp) and isinstance(node.op, NON_COMMUTATIVE):
            text = f"{site.operand(node.right)} {ARITH[type(node.op)]} {site.operand(node.left)}"
            yield make_candidate(
                "swap_operands", "swap operands", node.lineno, [site.replace(node, f"({text})")], 1, 0.9
            )
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            text = f"{site.operand(node.comparators[0])} {CMP[type(node.ops[0])]} {site.operand(node.left)}"
            yield make_candidate(
                "swap_operands", "swap comparison operands", node.lineno, [site.replace(node, text)], 1, 0.8
            )


def replacements(site: Site) -> Iterator[Candidate]:
    """Replace a name by another in-scope name, an attribute by another attribute, a return value."""
    names, _locals = names_in_scope(site)
    attrs = sorted({n.attr for n in ast.walk(ast.parse(site.text)) if isinstance(n, ast.Attribute)})
    callees = {n.func.id for n in ast.walk(site.node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    values = [n for n in names if n not in BUILTINS]
    for node, parent in expressions(site):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            is_callee = isinstance(parent, ast.Call) and parent.func is node
            for other in sorted(callees | CALLABLE_SWAPS) if is_callee else values:
                if other != node.id:
                    yield make_candidate(
                        "name", f"{node.id} -> {other}", node.lineno, [site.replace(node, other)], 1, 0.8
                    )
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            for other in attrs:
                if other != node.attr:
                    yield make_candidate(
                        "attribute",
                        f".{node.attr} -> .{other}",
                        node.lineno,
                        [site.replace(node, f"{site.operand(node.value)}.{other}")],
                        1,
                        0.8,
                    )
    kinds = return_kinds(site)
    for stmt, _block in statements_in(site):
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            options = [*names, *(FILL_VALUES[k] for k in kinds), "None", "True", "False", "0", '""', "[]"]
            options += [site.seg(c) for c in ast.iter_child_nodes(stmt.value) if isinstance(c, ast.expr)]
            for text in dict.fromkeys(options):
                if text != site.seg(stmt.value):
                    yield make_candidate(
                        "return", f"return {text}", stmt.lineno, [site.replace(stmt.value, text)], 1, 0.6
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
    names, _locals = names_in_scope(site)
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
    for node, parent in expressions(site):
        if isinstance(parent, ast.Call) and parent.func is node:
            continue
        text = site.operand(node)
        if isinstance(node, ast.Name | ast.Call | ast.Subscript | ast.BinOp | ast.Attribute) and not isinstance(
            getattr(node, "ctx", None), ast.Store
        ):
            for wrapper in wrappers:
                wrapped = wrapper.format(site.seg(node))
                yield make_candidate("wrap", wrapped, node.lineno, [site.replace(node, wrapped)], 2, 0.3)
            for other in operands:
                if other != site.seg(node):
                    for op in ("+", "-", "*", "%", "//"):
                        yield make_candidate(
                            "binop_new",
                            f"{site.seg(node)} {op} {other}",
                            node.lineno,
                            [site.replace(node, f"({text} {op} {other})")],
                            2,
                            0.25 if op in "+-*" else 0.15,
                        )
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            for sl in ("[1:]", "[:-1]", "[::-1]"):
                yield make_candidate(
                    "slice_name", f"{node.id}{sl}", node.lineno, [site.replace(node, node.id + sl)], 1, 0.4
                )
            for other in values:
                if other != node.id:
                    yield make_candidate(
                        "wrap",
                        f"{node.id} + [{other}]",
                        node.lineno,
                        [site.replace(node, f"({node.id} + [{other}])")],
                        2,
                        0.2,
                    )
        if isinstance(node, ast.List) and not node.elts:
            for other in [*values, "[]"]:
                yield make_candidate(
                    "literal", f"[] -> [{other}]", node.lineno, [site.replace(node, f"[{other}]")], 1, 0.3
                )
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            for a in values:
                for b in values:
                    if a < b:
                        for op in ("==", "!=", "<", ">"):
                            yield make_candidate(
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
                yield make_candidate(
                    "literal", f"{node.value!r} -> {repl}", node.lineno, [site.replace(node, repl)], 1, 0.3
                )


OPERATORS = (operator_swaps, off_by_one, swaps, guards, replacements, accumulators, statements, widenings)
