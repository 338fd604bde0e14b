"""What a Python source references, fully resolved: the dotted names it reaches through imports, aliases and lookups.

`import os as o; o.system`, `f = os.system`, `getattr(os, "system")`, `__import__("os").system`,
`importlib.import_module("os").system`, `sys.modules["os"].system` and `vars(os)["system"]` all reference
`os.system`. `x.*` stands for "any attribute of x" (`from x import *`, `getattr(x, name)`); a reference used as a
value (passed, stored, compared) is marked `escapes`, because any of its attributes can then be reached.
Environment lookups with a constant key resolve to `os.environ.<KEY>` (`os.environ.*` when the key is computed).
Resolution is intra-module and flow-insensitive: a name bound anywhere to a resolved value resolves everywhere.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import replace

from selfmod.tools.code.name_bindings import Reference, binding_sites, constant_text, join_name, short

BUILTIN_NAMES = frozenset(dir(builtins))
IMPORTERS = frozenset({"__import__", "builtins.__import__", "importlib.__import__", "importlib.import_module"})
GETATTRS = frozenset(
    {"getattr", "builtins.getattr", "inspect.getattr_static", "object.__getattribute__", "type.__getattribute__"}
)
VARS = frozenset({"vars", "builtins.vars"})
ENVIRONS = frozenset({"os.environ", "os.environb", "posix.environ", "nt.environ"})
ENV_GETTERS = frozenset({"os.getenv", "os.getenvb"})
LOOKUP_METHODS = frozenset({"get", "pop", "setdefault", "__getitem__", "__contains__"})
TRACKED_ATTRS = frozenset(
    {
        "__subclasses__",
        "__globals__",
        "__builtins__",
        "__code__",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_back",
        "tb_frame",
        "gi_frame",
        "cr_frame",
        "ag_frame",
        "subprocess_exec",
        "subprocess_shell",
    }
)
"""Attributes recorded even on objects that do not resolve (`fn.__globals__`): the ways out of the name graph."""
UNRESOLVABLE = "<unresolvable>"
"""Stands for a name bound to more values than are followed; treat it as dangerous."""
MAX_CANDIDATES = 16
MAX_ROUNDS = 20


class NameResolver:
    """Resolves expressions of one module to the dotted names they denote."""

    def __init__(self, tree: ast.AST) -> None:
        imports, self._opaque, assigns = binding_sites(tree)
        self._unknown: set[str] = set()
        found = {name: {r.name: r for r in refs} for name, refs in imports.items()}
        self.bindings: dict[str, tuple[Reference, ...]] = {name: tuple(refs.values()) for name, refs in found.items()}
        vias: dict[int, str] = {}
        for _ in range(MAX_ROUNDS):  # bindings only grow; an alias of an alias resolves once its source has
            changed, unknown = False, set()
            for i, (name, value) in enumerate(assigns):
                refs = self.resolve(value)
                slot = found.setdefault(name, {})
                if not refs:
                    unknown.add(name)
                elif UNRESOLVABLE not in slot:
                    via = vias.setdefault(i, f"{name} = {short(value)}")
                    for r in refs:
                        if r.name not in slot:
                            slot[r.name], changed = Reference(r.name, via), True
                    if len(slot) > MAX_CANDIDATES:
                        found[name] = {UNRESOLVABLE: Reference(UNRESOLVABLE, f"{name} takes too many values to follow")}
                if found[name]:
                    self.bindings[name] = tuple(found[name].values())
            self._unknown = unknown
            if not changed:
                break
        else:
            for name in unknown - {n for n, refs in found.items() if refs}:
                self.bindings[name] = (Reference(UNRESOLVABLE, f"{name} is an alias chain too long to follow"),)

    def resolve(self, node: ast.expr) -> tuple[Reference, ...]:
        """What the expression denotes as resolved names; empty when it is nothing module-level (a local, a result)."""
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Attribute):
            return tuple(Reference(f"{r.name}.{node.attr}", r.via) for r in self.resolve(node.value))
        if isinstance(node, ast.Subscript):
            return self._lookup(self.resolve(node.value), node.slice, node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.NamedExpr):
            return self.resolve(node.value)
        return ()

    def _name(self, name: str) -> tuple[Reference, ...]:
        if name in self.bindings:
            return self.bindings[name]
        if name in self._opaque or name in self._unknown:
            return ()
        if name == "__builtins__":
            return (Reference("builtins", name),)
        return (Reference(name),) if name in BUILTIN_NAMES else ()

    def _lookup(self, containers: tuple[Reference, ...], key_node: ast.AST, node: ast.expr) -> tuple[Reference, ...]:
        """`sys.modules[k]`, `x.__dict__[k]` and `os.environ[k]` (and their `.get(k)`) as the names they reach."""
        key = constant_text(key_node)
        item = "*" if key is None else key
        names = []
        for c in containers:
            if c.name == "sys.modules" and key is not None:
                names.append(key)
            elif c.name.endswith(".__dict__"):
                names.append(join_name(c.name.removesuffix("__dict__"), item))
            elif c.name in ENVIRONS:
                names.append(f"{c.name}.{item}")
        return tuple(Reference(name, short(node)) for name in names)

    def _call(self, node: ast.Call) -> tuple[Reference, ...]:
        args = node.args
        first = args[0] if args else None
        out: list[Reference] = []
        for f in self.resolve(node.func):
            owner, _, method = f.name.rpartition(".")
            if f.name in IMPORTERS and first is not None and (module := constant_text(first)):
                # __import__ returns the top package unless its fromlist is non-empty: follow both
                top = module if f.name.endswith("import_module") else module.split(".")[0]
                out.extend(Reference(name, short(node)) for name in dict.fromkeys([module, top]))
            elif f.name in GETATTRS and len(args) >= 2:
                attr = constant_text(args[1])
                out.extend(Reference(join_name(o.name, attr or "*"), short(node)) for o in self.resolve(args[0]))
            elif f.name in VARS:
                objs = self.resolve(first) if first is not None else (Reference("locals"),)
                out.extend(Reference(f"{o.name}.__dict__", short(node)) for o in objs)
            elif method in ("__getattribute__", "__getattr__") and first is not None:
                out.append(Reference(join_name(owner, constant_text(first) or "*"), short(node)))
            elif f.name in ENV_GETTERS or (method in LOOKUP_METHODS and owner):
                container = "os.environ" if f.name in ENV_GETTERS else owner
                key: ast.AST = first if first is not None and not isinstance(first, ast.Starred) else node
                out.extend(self._lookup((Reference(container, f.via),), key, node))
        return tuple(out)

    def references(self, tree: ast.AST) -> list[Reference]:
        """Every reference in the tree; a dotted chain counts once, as its longest resolved form."""
        found: list[Reference] = []
        self._visit(tree, found, as_value=False)
        return found

    def _visit(self, node: ast.AST, found: list[Reference], as_value: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.extend(self._import_refs(node))
            return
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            return
        if isinstance(node, ast.expr) and (refs := self.resolve(node)):
            found.extend(replace(r, escapes=as_value) for r in refs)
            for child in self._unconsumed(node):
                self._visit(child, found, as_value=True)
            return
        found.extend(self._tracked_attrs(node))
        plain = self._plain_children(node)
        for child in ast.iter_child_nodes(node):
            self._visit(child, found, as_value=id(child) not in plain)

    def _import_refs(self, node: ast.Import | ast.ImportFrom) -> list[Reference]:
        if isinstance(node, ast.Import):
            return [Reference(alias.name) for alias in node.names]
        module = "." * node.level + (node.module or "")
        star = Reference(join_name(module, "*"), short(node))
        return [star if alias.name == "*" else Reference(join_name(module, alias.name)) for alias in node.names]

    def _unconsumed(self, node: ast.expr) -> list[ast.AST]:
        """The parts of a resolved expression its resolution did not use up (a getattr default, a computed key)."""
        if isinstance(node, ast.Subscript):
            return [node.slice]
        if not isinstance(node, ast.Call):
            return []
        names = {f.name for f in self.resolve(node.func)}
        skip = 1 if names & (GETATTRS | VARS) else 0
        return [*node.args[skip:], *(k.value for k in node.keywords)]

    def _tracked_attrs(self, node: ast.AST) -> list[Reference]:
        if isinstance(node, ast.Attribute) and node.attr in TRACKED_ATTRS:
            return [Reference(f"{short(node.value)}.{node.attr}")]
        if isinstance(node, ast.Call) and len(node.args) >= 2 and {f.name for f in self.resolve(node.func)} & GETATTRS:
            attr = constant_text(node.args[1])
            if attr in TRACKED_ATTRS:
                return [Reference(f"{short(node.args[0])}.{attr}", short(node))]
        return []

    @staticmethod
    def _plain_children(node: ast.AST) -> set[int]:
        """Children used without escaping: a called function, a subscripted container, an alias's value."""
        if isinstance(node, ast.Call):
            return {id(node.func)}
        if isinstance(node, ast.Subscript | ast.Attribute):
            return {id(node.value)}
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            plain = {id(t) for t in targets}
            return plain | {id(node.value)} if all(isinstance(t, ast.Name) for t in targets) else plain
        return set()


def referenced_names(source: str) -> list[Reference]:
    """Every resolved reference in a source text; raises SyntaxError (or ValueError) when it does not parse."""
    tree = ast.parse(source)
    return NameResolver(tree).references(tree)
