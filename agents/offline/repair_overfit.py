"""Judging plausible candidates by what they do beyond the given tests.

Two signs, from the behaviour check's outcomes on the tests' own arguments and their variations:
- a candidate whose only effect on the failing inputs is an early exit with a constant (a `return <constant>`,
  bare `return` or `raise` that the edit added, or a computed return value it replaced by a literal), where the
  original did not crash, is not a fix but a special case of the tests, and is refused;
- among the others, the one that changes the result least where the original was not shown to be wrong (inputs
  not taken from a failing test, on which the original returned normally and not a value it returned on a
  failing test's input) is preferred; a new exception or hang
  there counts before a changed value, and a candidate whose changes there are mostly new exceptions or hangs
  (at least BREAKS of them) is refused too;
- a candidate that raises or hangs when a failing test's scenario goes on (its first call of the method made more
  times, from the same state) has not removed the crash, only moved it, and counts like a new failure.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass

from selfmod.agents.offline.repair_behaviour import Observations, Outcome
from selfmod.agents.offline.repair_edits import Candidate

BREAKS = 3
"""New exceptions or hangs (where the original returned) from which a candidate that mostly breaks is refused."""


@dataclass(frozen=True)
class Judgement:
    """What the behaviour check says about one plausible candidate."""

    new_failures: int
    """Inputs where the original returned normally and the candidate raised or hung."""
    changed: int
    """Inputs where the original returned normally (and was not shown wrong) and the candidate's result differs."""
    checked: int
    """Inputs the comparison covered."""
    still_failing: int = 0
    """Continued failing scenarios (a failing test's first method call made more times) on which the candidate
    raises or hangs: the crash it removes comes back when the scenario goes on."""
    refused: str = ""
    """Why the candidate is not a convincing fix, or an empty string."""

    def summary(self) -> str:
        """One line for the audit record and the explanation."""
        text = (
            f"changes the result on {self.changed} and newly fails on {self.new_failures} of {self.checked} input(s) "
            "beyond the failing tests"
        )
        if self.still_failing:
            text += f"; fails again on {self.still_failing} continued failing scenario(s)"
        return f"refused: {self.refused}" if self.refused else text


def new_constant_exits(original_def: str, candidate_def: str) -> set[int]:
    """1-based lines of the candidate's def where the edit wrote a constant exit that was not one before: an
    inserted `return <literal>`/`raise`, or a computed return value replaced by a literal. (One literal replaced
    by another, `return ""` -> `return []`, is an ordinary wrong-return fix.)"""
    old, new = original_def.splitlines(), candidate_def.splitlines()
    before, after = _constant_exits(original_def), _constant_exits(candidate_def)
    found: set[int] = set()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        was_constant = any(i + 1 in before for i in range(i1, i2))
        found |= {j + 1 for j in range(j1, j2) if j + 1 in after and not was_constant}
    return found


def _constant_exits(candidate_def: str) -> set[int]:
    """Lines holding a `raise`, a bare `return` or a `return` of a literal."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(candidate_def)):
        if isinstance(node, ast.Raise) or (isinstance(node, ast.Return) and _is_literal(node.value)):
            lines.add(node.lineno)
    return lines


def _is_literal(node: ast.expr | None) -> bool:
    if node is None or isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _is_literal(node.operand)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return not node.elts
    return isinstance(node, ast.Dict) and not node.keys


def _result(outcome: Outcome) -> str:
    """The returned value's snapshot as text; for a function that returns None, with the arguments' state
    afterwards (what such a function does is its effect on them)."""
    value = outcome[1]
    if outcome[0] == "ok" and isinstance(value, list) and isinstance(value[-1], list) and value[-1][0] != "None":
        return repr(value[-1][0])
    return repr(outcome[:2])


def _same(a: Outcome, b: Outcome) -> bool:
    return a[0] == b[0] and a[1] == b[1]


def judge(original_def: str, cand: Candidate, rows: list[Outcome] | None, seen: Observations) -> Judgement:
    """The judgement of one candidate from its outcomes (`rows`, None when its run did not finish)."""
    if rows is None or len(rows) != len(seen.original):
        return Judgement(0, 0, 0, refused="its run on inputs beyond the tests did not finish")
    source = str(cand.extra.get("def", ""))
    special = new_constant_exits(original_def, source)
    failing_changes = [
        (orig, new)
        for origin, orig, new in zip(seen.origins, seen.original, rows, strict=True)
        if origin == "failing" and not _same(orig, new) and "skipped" not in (orig[0], new[0])
    ]
    early = bool(failing_changes) and all(new[2] in special and orig[0] != "raise" for orig, new in failing_changes)
    wrong = {_result(orig) for origin, orig in zip(seen.origins, seen.original, strict=True) if origin == "failing"}
    still = sum(
        1
        for origin, new in zip(seen.origins, rows, strict=True)
        if origin == "continued" and new[0] in ("raise", "timeout")
    )
    new_failures = changed = checked = 0
    for origin, orig, new in zip(seen.origins, seen.original, rows, strict=True):
        if origin in ("failing", "continued") or orig[0] != "ok" or new[0] == "skipped" or _result(orig) in wrong:
            continue
        checked += 1
        if not _same(orig, new):
            changed += 1
            new_failures += new[0] in ("raise", "timeout")
    refused = ""
    if early:
        refused = "its only effect on the failing tests' inputs is an early exit with a constant"
    elif new_failures >= BREAKS and 2 * new_failures >= changed:
        refused = f"it raises or hangs on {new_failures} input(s) where the original returned, most of what it changes"
    return Judgement(new_failures, changed, checked, still, refused)


def judge_all(original_def: str, cands: list[Candidate], seen: Observations) -> list[Judgement]:
    """One judgement per candidate, in order (each also kept in `cand.extra["behaviour"]` for the choice and
    `cand.extra["checked"]`)."""
    out = []
    for i, cand in enumerate(cands):
        verdict = judge(original_def, cand, seen.candidates.get(i), seen)
        cand.extra["behaviour"] = (verdict.new_failures + verdict.still_failing, verdict.changed)
        cand.extra["checked"] = verdict.checked
        cand.extra["still_failing"] = verdict.still_failing
        out.append(verdict)
    return out


def doubtful(convincing: list[Candidate], refused: list[Candidate]) -> bool:
    """True when the search should look past its stop rule: every plausible candidate was refused, or the best
    fails again when a failing scenario goes on (the crash moved, not removed). How much a candidate changes
    elsewhere is no reason: a bug that is wrong on every input has real fixes that change every result."""
    if not convincing:
        return bool(refused)
    return bool(convincing[0].extra.get("still_failing"))
