"""Where a module binds names: imports, `name = value` assignments, and names bound to something unknown.

Also the small shared pieces of name resolution: the `Reference` record, constant strings, short source excerpts.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

VIA_WIDTH = 80


@dataclass(frozen=True)
class Reference:
    """One resolved reference."""

    name: str
    """Fully resolved dotted name (`subprocess.run`)."""
    via: str = ""
    """How it was reached when not written directly (`importlib.import_module('subprocess')`), else empty."""
    escapes: bool = False
    """Used as a value (passed, stored, compared), so every attribute of it is reachable."""


def constant_text(node: ast.AST) -> str | None:
    """The string a constant expression spells (`"a" + "b"`, f-strings without fields, bytes), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
        return node.value if isinstance(node.value, str) else node.value.decode("latin-1")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = constant_text(node.left), constant_text(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = [constant_text(value) for value in node.values]
        return "".join(p for p in parts if p is not None) if None not in parts else None
    return None


def short(node: ast.AST) -> str:
    """The node's source text, cut to a readable width."""
    text = ast.unparse(node)
    return text if len(text) <= VIA_WIDTH else text[: VIA_WIDTH - 3] + "..."


def join_name(module: str, name: str) -> str:
    """`module.name`, or `..name` for a relative module that ends in a dot."""
    return module + name if module.endswith(".") else f"{module}.{name}"


def _pairs(target: ast.expr, value: ast.expr) -> list[tuple[ast.Name, ast.expr]]:
    if isinstance(target, ast.Name):
        return [(target, value)]
    if (
        isinstance(target, ast.Tuple | ast.List)
        and isinstance(value, ast.Tuple | ast.List)
        and len(target.elts) == len(value.elts)
        and not any(isinstance(e, ast.Starred) for e in [*target.elts, *value.elts])
    ):
        return [pair for t, v in zip(target.elts, value.elts, strict=True) for pair in _pairs(t, v)]
    return []


def imported(node: ast.Import | ast.ImportFrom) -> list[tuple[str, Reference]]:
    """(local name, what it is bound to) for each name an import statement binds."""
    if isinstance(node, ast.Import):
        out = []
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            target = alias.name if alias.asname else local
            out.append((local, Reference(target, "" if local == target else short(node))))
        return out
    module = "." * node.level + (node.module or "")
    return [
        (alias.asname or alias.name, Reference(join_name(module, alias.name), short(node)))
        for alias in node.names
        if alias.name != "*"
    ]


def binding_sites(tree: ast.AST) -> tuple[dict[str, list[Reference]], set[str], list[tuple[str, ast.expr]]]:
    """Import bindings, names bound to something unknown (defs, parameters, loop targets), and name = value pairs."""
    imports: dict[str, list[Reference]] = {}
    opaque: set[str] = set()
    assigns: list[tuple[str, ast.expr]] = []
    paired: set[int] = set()
    for node in ast.walk(tree):  # breadth first: an assignment is seen before its target names
        if isinstance(node, ast.Import | ast.ImportFrom):
            for local, ref in imported(node):
                imports.setdefault(local, []).append(ref)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr) and node.value is not None:
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for name, value in _pairs(target, node.value):
                    assigns.append((name.id, value))
                    paired.add(id(name))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            opaque.add(node.name)
        elif isinstance(node, ast.arg):
            opaque.add(node.arg)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            opaque.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            opaque.add(node.rest)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and id(node) not in paired:
            opaque.add(node.id)
    return imports, opaque, assigns
