"""Mutation operators: each kind of edit is generated, every candidate parses, formatting elsewhere is kept."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from selfmod.agents.offline.repair_edits import Candidate, Site
from selfmod.agents.offline.repair_search import make_site, rank

SOURCE = '''import math


def window(items, start, size):
    """Return a slice of items."""
    # keep this comment
    total = 0
    for i in range(start, start + size):
        if i < len(items) and items[i] > 0:
            total += items[i]
    result = items[start:start + size]
    return max(total, len(result))


class Box:
    def __init__(self, width, height):
        self.width = width
        self.height = height

    def area(self):
        return self.width * self.height
'''


def candidates(tmp_path: Path, qualname: str) -> tuple[Site, list[Candidate]]:
    (tmp_path / "m.py").write_text(SOURCE)
    site = make_site(tmp_path, "m.py", qualname)
    assert site is not None
    return site, rank(site, None, "m.py", set())


def bodies(cands: list[Candidate]) -> set[str]:
    return {ast.unparse(ast.parse(str(c.extra["def"]))).split("\n", 1)[1] for c in cands}


@pytest.mark.parametrize(
    ("operator", "expected_line"),
    [
        ("compare", "if i <= len(items) and items[i] > 0:"),
        ("boolop", "if i < len(items) or items[i] > 0:"),
        ("augassign", "total -= items[i]"),
        ("constant", "total = 1"),
        ("plus_one", "for i in range(start, start + size + 1):"),
        ("plus_one", "if i < len(items) - 1 and items[i] > 0:"),
        ("binop", "for i in range(start, start - size):"),
        ("swap_args", "for i in range(start + size, start):"),
        ("name", "return max(total, len(items))"),
        ("negate", "if not (i < len(items) and items[i] > 0):"),
        ("guard", "if not items:\n        return 0"),
        ("return", "return total"),
        (
            "delete",
            "total = 0\n    for i in range(start, start + size):\n        if i < len(items) and items[i] > 0:\n            pass",
        ),
        ("wrap", "return max(0, max(total, len(result)))"),
        ("slice_name", "result = items[1:][start:start + size]"),
        ("plus_one", "result = items[start:start + size - 1]"),
    ],
)
def test_operator_generates_the_edit(tmp_path: Path, operator: str, expected_line: str) -> None:
    _site, cands = candidates(tmp_path, "window")
    mine = [c for c in cands if c.operator == operator]
    assert mine, operator
    assert any(expected_line in body for body in bodies(mine)), (operator, sorted(bodies(mine))[:5])


def test_insertions_and_copies_with_a_name_changed(tmp_path: Path) -> None:
    _site, cands = candidates(tmp_path, "Box.__init__")
    inserted = bodies([c for c in cands if c.operator == "insert"])
    assert any("self.height = height\n    self.width = width\n    self.height = height" in b for b in inserted)
    assert any("self.width = height" in b for b in inserted)


def test_every_candidate_parses_is_unique_and_keeps_the_rest_of_the_text(tmp_path: Path) -> None:
    site, cands = candidates(tmp_path, "window")
    assert len(cands) > 300
    assert len({c.key for c in cands}) == len(cands)
    original = site.lines[site.symbol.start - 1 : site.symbol.end]
    for cand in cands:
        ast.parse(str(cand.extra["def"]))
        lines = cand.source.rstrip("\n").split("\n")
        assert "    # keep this comment" in lines and lines[0] == original[0]
        changed = [a for a, b in zip(lines, original, strict=False) if a != b]
        if cand.operator in ("compare", "constant", "binop", "augassign", "name"):
            assert len(lines) == len(original) and len(changed) == 1, cand.description


def test_methods_are_edited_at_their_indentation(tmp_path: Path) -> None:
    _site, cands = candidates(tmp_path, "Box.area")
    swap = next(c for c in cands if c.operator == "binop" and "+" in c.description)
    assert swap.source == "    def area(self):\n        return (self.width + self.height)\n"
