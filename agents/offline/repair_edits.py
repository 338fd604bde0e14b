"""Text edits on one function of a file, located by AST positions, and the candidates built from them.

Edits replace the exact source span of a node (formatting and comments elsewhere are kept), so the winning
candidate becomes a small, readable diff.
"""

from __future__ import annotations

import ast
import itertools
import textwrap
from dataclasses import dataclass, field

from selfmod.tools.code.code_index import Symbol
from selfmod.tools.code.source_text import leading_ws, split_lines, strip_eol

ATOMIC = (
    ast.Name,
    ast.Constant,
    ast.Call,
    ast.Attribute,
    ast.Subscript,
    ast.List,
    ast.Dict,
    ast.Set,
    ast.Tuple,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.JoinedStr,
)


@dataclass(frozen=True)
class Edit:
    """Replace the text between two (line, column) positions of the file (1-based lines, 0-based char columns)."""

    start: tuple[int, int]
    end: tuple[int, int]
    text: str


@dataclass
class Candidate:
    """One repair: its edits, what it does, and how promising it looks."""

    edits: tuple[Edit, ...]
    operator: str
    description: str
    line: int
    size: float
    weight: float
    prior: float = 0.0
    source: str = ""
    key: str = ""
    extra: dict[str, object] = field(default_factory=dict)


class Site:
    """The function being repaired: its node, the file's lines, and span helpers."""

    def __init__(self, text: str, symbol: Symbol, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.text = text
        self.lines = [strip_eol(line) for line in split_lines(text)]
        self.symbol = symbol
        self.node = node

    def col(self, line: int, byte_col: int) -> int:
        """A character column from ast's UTF-8 byte column."""
        raw = self.lines[line - 1]
        return byte_col if raw.isascii() else len(raw.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def span(self, node: ast.expr | ast.stmt) -> tuple[tuple[int, int], tuple[int, int]]:
        """The node's start and end positions."""
        assert node.end_lineno is not None and node.end_col_offset is not None
        return (
            (node.lineno, self.col(node.lineno, node.col_offset)),
            (node.end_lineno, self.col(node.end_lineno, node.end_col_offset)),
        )

    def seg(self, node: ast.expr | ast.stmt) -> str:
        """The node's exact source text."""
        (l1, c1), (l2, c2) = self.span(node)
        if l1 == l2:
            return self.lines[l1 - 1][c1:c2]
        return "\n".join([self.lines[l1 - 1][c1:], *self.lines[l1 : l2 - 1], self.lines[l2 - 1][:c2]])

    def operand(self, node: ast.expr) -> str:
        """Source of a node used as an operand: parenthesised unless atomic."""
        text = self.seg(node)
        return text if isinstance(node, ATOMIC) else f"({text})"

    def replace(self, node: ast.expr | ast.stmt, text: str) -> Edit:
        """An edit that puts `text` where the node is."""
        start, end = self.span(node)
        return Edit(start, end, text)

    def insert_before(self, stmt: ast.stmt, code: str) -> Edit:
        """An edit inserting statement lines (given at column 0) before `stmt`, at its indentation."""
        indent = leading_ws(self.lines[stmt.lineno - 1])
        body = "".join(indent + line + "\n" if line else "\n" for line in code.split("\n"))
        return Edit((stmt.lineno, 0), (stmt.lineno, 0), body)

    def delete(self, stmt: ast.stmt, only_child: bool) -> Edit:
        """An edit deleting the statement's lines (or replacing them by `pass` when it is a block's only child)."""
        assert stmt.end_lineno is not None
        if only_child:
            return Edit(
                (stmt.lineno, 0), (stmt.end_lineno, len(self.lines[stmt.end_lineno - 1])), self._indent(stmt) + "pass"
            )
        return Edit((stmt.lineno, 0), (stmt.end_lineno + 1, 0), "")

    def _indent(self, stmt: ast.stmt) -> str:
        return leading_ws(self.lines[stmt.lineno - 1])

    def stmt_text(self, stmt: ast.stmt) -> str:
        """A statement's source dedented to column 0."""
        assert stmt.end_lineno is not None
        return textwrap.dedent("\n".join(self.lines[stmt.lineno - 1 : stmt.end_lineno]))


def apply_edits(lines: list[str], edits: tuple[Edit, ...], first: int) -> list[str] | None:
    """Apply non-overlapping edits to `lines` (which start at file line `first`); None if they overlap."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for a, b in itertools.pairwise(ordered):
        if b.start < a.end or (a.start == a.end == b.start == b.end):
            return None
    text = "\n".join(lines) + "\n"
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def pos(point: tuple[int, int]) -> int:
        line, col = point
        return offsets[line - first] + col if line - first < len(offsets) else len(text)

    for edit in reversed(ordered):
        text = text[: pos(edit.start)] + edit.text + text[pos(edit.end) :]
    return text.rstrip("\n").split("\n")


def function_source(
    site: Site, edits: tuple[Edit, ...]
) -> tuple[str, str, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    """(function text with decorators as in the file, dedented def without decorators, its parsed node) after
    the edits."""
    sym = site.symbol
    segment = site.lines[sym.start - 1 : sym.end]
    changed = apply_edits(segment, edits, sym.start)
    if changed is None:
        return None
    full = "\n".join(changed) + "\n"
    dedented = textwrap.dedent(full)
    try:
        tree = ast.parse(dedented)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    fn = tree.body[0]
    def_text = "\n".join(dedented.split("\n")[fn.lineno - 1 :])
    return full, def_text, fn
