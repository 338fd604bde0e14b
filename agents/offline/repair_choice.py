"""Choosing among plausible repairs: the smallest edit, minus edits that look like overfitting.

Warning signs for a name replacement: the new name plays another role in the function (an index used for an
element, a container for a scalar); it already appears in the same statement without being computed from the
old name (`x <= px` where `py` was meant); or the edit makes a call use one name as both receiver and argument
(`x.append(x)`). Ties go to the higher prior, then to code that looks like the rest of the file.
"""

from __future__ import annotations

import ast
import io
import itertools
import tokenize
from collections import Counter

from selfmod.agents.offline.repair_edits import Candidate, Site

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
    statement = _statement_at(site.node, cand.line)
    in_statement = statement is not None and any(isinstance(n, ast.Name) and n.id == new for n in ast.walk(statement))
    if in_statement and not _related(site.node, old, new):
        score += 1
    new_fn = ast.parse(str(cand.extra.get("def", "")) or "pass")
    if _self_calls(new_fn) > _self_calls(site.node):
        score += 1
    return score


def _self_calls(fn: ast.AST) -> int:
    """How many calls use one name as both receiver and argument (`x.append(x)`)."""
    count = 0
    for node in ast.walk(fn):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
        ):
            receiver = node.func.value.id
            count += any(isinstance(a, ast.Name) and a.id == receiver for a in node.args)
    return count


def _related(fn: ast.AST, a: str, b: str) -> bool:
    """True when one name is computed from the other (`word = normalize(raw)`)."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign):
            targets = {t.id for t in node.targets if isinstance(t, ast.Name)}
            sources = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            if (a in targets and b in sources) or (b in targets and a in sources):
                return True
    return False


def _statement_at(fn: ast.AST, line: int) -> ast.stmt | None:
    holding = [
        s
        for s in ast.walk(fn)
        if isinstance(s, ast.stmt) and s is not fn and s.lineno <= line <= (s.end_lineno or s.lineno)
    ]
    return max(holding, key=lambda s: s.lineno, default=None)


def _bigrams(text: str) -> Counter[tuple[str, str]]:
    tokens: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER):
                tokens.append(tok.string)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return Counter(itertools.pairwise(tokens))


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
    """Plausible candidates, best first: fewest warning signs, fewest behaviour changes beyond the tests (when
    checked: `extra["behaviour"]`), smallest edit, highest prior, most natural."""
    if site is None:
        return sorted(plausible, key=lambda c: (_behaviour(c), c.size, -c.prior))
    return sorted(plausible, key=lambda c: (penalty(site, c), _behaviour(c), c.size, -c.prior, -naturalness(site, c)))


def _behaviour(cand: Candidate) -> tuple[int, int]:
    """(new failures, changed results) on inputs beyond the tests; (0, 0) when not checked."""
    found = cand.extra.get("behaviour", (0, 0))
    return found if isinstance(found, tuple) else (0, 0)
