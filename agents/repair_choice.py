"""Choosing among plausible repairs: the smallest edit, minus edits that look like overfitting.

Two generic warning signs for a name replacement: the new name plays another role in the function (an index
used for an element, a container for a scalar), or it already appears in the same statement (`x.append(x)`).
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections import Counter

from selfmod.agents.repair_edits import Candidate, Site

CONTAINER_METHODS = {"append", "extend", "items", "keys", "values", "add", "pop", "insert", "update", "get"}


def roles(fn: ast.AST) -> dict[str, set[str]]:
    """Rough roles of the names in a function: index, container or element."""
    found: dict[str, set[str]] = {}

    def mark(node: ast.AST, role: str) -> None:
        if isinstance(node, ast.Name):
            found.setdefault(node.id, set()).add(role)

    for node in ast.walk(fn):
        if isinstance(node, ast.Subscript):
            mark(node.value, "container")
            mark(node.slice, "index")
        elif isinstance(node, ast.For):
            mark(node.iter, "container")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "len" and node.args:
                mark(node.args[0], "container")
            if isinstance(func, ast.Name) and func.id == "range":
                for arg in node.args:
                    mark(arg, "index")
            if isinstance(func, ast.Attribute) and func.attr in CONTAINER_METHODS:
                mark(func.value, "container")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Subscript) for s in sides):
                for side in sides:
                    mark(side, "element")
    return found


def penalty(site: Site, cand: Candidate) -> int:
    """0 for an ordinary edit, more for edits with warning signs."""
    if cand.operator != "name" or " -> " not in cand.description:
        return 0
    old, new = cand.description.split(" -> ", 1)
    known = roles(site.node)
    score = 0
    if known.get(old) and known.get(new) and not known[old] & known[new]:
        score += 1
    holding = [
        s
        for s in ast.walk(site.node)
        if isinstance(s, ast.stmt) and s is not site.node and s.lineno <= cand.line <= (s.end_lineno or s.lineno)
    ]
    statement = max(holding, key=lambda s: s.lineno, default=None)
    if statement is not None and any(isinstance(n, ast.Name) and n.id == new for n in ast.walk(statement)):
        score += 1
    return score


def _bigrams(text: str) -> Counter[tuple[str, str]]:
    tokens: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER):
                tokens.append(tok.string)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return Counter(zip(tokens, tokens[1:], strict=False))


def naturalness(site: Site, cand: Candidate) -> float:
    """Share of the token pairs the edit introduces that already occur in the file (code that looks like its
    neighbours is more likely the intended fix)."""
    old = "\n".join(site.lines[site.symbol.start - 1 : site.symbol.end])
    new_pairs = _bigrams(cand.source) - _bigrams(old)
    if not new_pairs:
        return 1.0
    known = _bigrams(site.text)
    return sum(1 for pair in new_pairs if known[pair]) / len(new_pairs)


def choose(site: Site | None, plausible: list[Candidate]) -> list[Candidate]:
    """Plausible candidates, best first: fewest warning signs, smallest edit, most natural, highest prior."""
    if site is None:
        return sorted(plausible, key=lambda c: (c.size, -c.prior))
    return sorted(plausible, key=lambda c: (penalty(site, c), c.size, -naturalness(site, c), -c.prior))
