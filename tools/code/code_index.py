"""AST-based index of a module's functions, classes and methods, and resolution of a name to one symbol."""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from selfmod.errors import CodeIndexError
from selfmod.models import SymbolKind
from selfmod.tools.code.source_text import leading_ws, split_lines, strip_eol

AT = "@"
"""Joins a qualname shared by several definitions (nested functions in branches) to its `def` line: `outer.f@12`."""
LINE_HINT = re.compile(r"\bline (\d+)")


@dataclass(frozen=True)
class Symbol:
    """One definition in a module. Lines are 1-based and inclusive; `start` is the first decorator's line."""

    name: str
    qualname: str
    kind: SymbolKind
    start: int
    def_line: int
    end: int
    indent: str
    parent: str | None = None

    @property
    def is_public(self) -> bool:
        """A public name: no leading underscore on any part."""
        return not any(part.startswith("_") for part in self.qualname.split("."))

    @property
    def plain_qualname(self) -> str:
        """The qualname without `@<line>` suffixes."""
        return ".".join(part.split(AT)[0] for part in self.qualname.split("."))


@dataclass
class ModuleIndex:
    """All symbols of one module, in source order."""

    path: str
    source: str
    symbols: list[Symbol] = field(default_factory=list)
    tree: ast.Module | None = None

    @property
    def lines(self) -> list[str]:
        """The file's lines with their line endings."""
        return split_lines(self.source)

    def by_qualname(self, qualname: str) -> Symbol | None:
        """The symbol with exactly this qualified name."""
        return next((s for s in self.symbols if s.qualname == qualname), None)

    def top_level(self) -> list[Symbol]:
        """Symbols defined at module level."""
        return [s for s in self.symbols if s.parent is None]

    def innermost_at(self, line: int) -> Symbol | None:
        """The most deeply nested symbol whose span holds `line`."""
        best: Symbol | None = None
        for sym in self.symbols:
            if sym.start <= line <= sym.end and (best is None or sym.start >= best.start):
                best = sym
        return best


def index_source(source: str, path: str = "<string>") -> ModuleIndex:
    """Index a module's source text; raise CodeIndexError naming the file when it does not parse."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise CodeIndexError(f"{path}: cannot parse Python (line {exc.lineno}: {exc.msg})") from exc
    lines = split_lines(source)
    index = ModuleIndex(path=path, source=source, tree=tree)
    shared: set[str] = set()
    for _round in range(8):  # a suffix can expose duplicates among the children of duplicates
        symbols: list[Symbol] = []
        _collect(tree.body, None, lines, symbols, shared)
        counts = Counter(s.qualname for s in symbols)
        again = {q for q, n in counts.items() if n > 1}
        if not again:
            break
        shared |= again
    index.symbols = sorted(symbols, key=lambda s: (s.start, s.qualname))
    return index


def _collect(body: list[ast.stmt], parent: str | None, lines: list[str], out: list[Symbol], shared: set[str]) -> None:
    """Index the definitions of `body`; a qualname in `shared` (several definitions) gets `@<def line>`."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            qual = f"{parent}.{node.name}" if parent else node.name
            if qual in shared:
                qual = f"{qual}{AT}{node.lineno}"
            kind = (
                SymbolKind.CLASS
                if isinstance(node, ast.ClassDef)
                else SymbolKind.ASYNC_FUNCTION
                if isinstance(node, ast.AsyncFunctionDef)
                else SymbolKind.FUNCTION
            )
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            end = node.end_lineno or node.lineno
            out.append(Symbol(node.name, qual, kind, start, node.lineno, end, leading_ws(lines[start - 1]), parent))
            _collect(node.body, qual, lines, out, shared)
        else:
            for child_body in _nested_bodies(node):
                _collect(child_body, parent, lines, out, shared)


def _nested_bodies(node: ast.stmt) -> list[list[ast.stmt]]:
    """Statement lists inside compound statements (if/try/with/for/while/match) at the same scope."""
    bodies: list[list[ast.stmt]] = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            bodies.append(value)
    for handler in getattr(node, "handlers", []) or []:
        bodies.append(handler.body)
    for case in getattr(node, "cases", []) or []:
        bodies.append(case.body)
    return bodies


@dataclass(frozen=True)
class Resolution:
    """The outcome of resolving a name: exactly one symbol, several candidates, or none."""

    status: Literal["found", "ambiguous", "not_found"]
    symbol: Symbol | None = None
    candidates: tuple[Symbol, ...] = ()
    reason: str = ""


_CALL_SUFFIX = re.compile(r"\(.*\)\s*$")


def normalize_name(name: str, module_path: str | None = None) -> str:
    """Turn what an LLM writes (`Foo.bar()`, `text.normalize`, `outer.<locals>.inner`) into a qualname."""
    clean = _CALL_SUFFIX.sub("", name.strip().strip("`'\"")).replace(".<locals>", "").replace("::", ".")
    clean = clean.removeprefix("def ").removeprefix("class ").strip()
    if module_path:
        stem = module_path.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".py")
        if clean.startswith(stem + ".") and clean.count(".") >= 1:
            clean = clean[len(stem) + 1 :]
    return clean


def resolve(index: ModuleIndex, name: str, summary: str = "") -> Resolution:
    """Resolve `name` to one symbol of the module. Among same-named symbols, a `line N` of the summary (a
    traceback frame) inside exactly one of them wins, then the one whose class the summary names."""
    wanted = normalize_name(name, index.path)
    exact = index.by_qualname(wanted)
    if exact is not None:
        return Resolution("found", exact)
    tail = wanted.split(".")
    plain = AT not in wanted
    matches = [s for s in index.symbols if (s.plain_qualname if plain else s.qualname).split(".")[-len(tail) :] == tail]
    if len(matches) == 1:
        return Resolution("found", matches[0])
    if not matches:
        return Resolution("not_found", reason=f"no function or class named {wanted!r} in {index.path}")
    lines = {int(n) for n in LINE_HINT.findall(summary)}
    holding = [s for s in matches if any(s.def_line <= n <= s.end for n in lines)]
    innermost = [s for s in holding if not any(o is not s and s.start <= o.start and o.end <= s.end for o in holding)]
    if len(innermost) == 1:
        return Resolution("found", innermost[0], tuple(matches))
    mentioned = [s for s in matches if s.parent and _mentions(summary, s.parent.split(".")[-1].split(AT)[0])]
    if len(mentioned) == 1:
        return Resolution("found", mentioned[0], tuple(matches))
    names = ", ".join(s.qualname for s in matches)
    return Resolution(
        "ambiguous",
        candidates=tuple(matches),
        reason=f"{wanted!r} matches several symbols in {index.path}: {names}; name one by its qualified name",
    )


def _mentions(text: str, word: str) -> bool:
    return bool(text) and re.search(rf"(?<![\w.]){re.escape(word)}(?!\w)", text) is not None


def numbered(lines: list[str], first: int, last: int) -> str:
    """Lines first..last (1-based, inclusive) each prefixed with its number, as shown to the patcher."""
    width = len(str(last))
    return "\n".join(f"{n:>{width}} | {strip_eol(lines[n - 1])}" for n in range(first, last + 1))
