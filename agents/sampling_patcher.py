"""`candidates = N`: several proposals from the LLM patcher, screened by the tests, the best one proposed.

The first proposal is asked as usual (on a retry that is hot too), the others at a higher temperature (a model
without one is asked again as it is). Each goes through the deterministic critic; the function-level ones that
pass it are validated together in the fork worker against the failing and then the passing tests (one sandboxed
process for all of them). When the samples that pass differ, they are run beyond the tests (the offline engine's
behaviour check: the tests' own arguments and their variations). The order: passing every test first; then not
refused by that check (a special case of the tests, or mostly new crashes); then the behaviour most samples
agree on; then the fewest results changed where the original was not shown wrong; then the smallest change. A
small change that passes the tests is not always the fix (`score >= cutoff - 1` passes a grade's tests, and
gives 89 an A). The winner goes on through the graph's own review and sandbox test, its explanation saying why
it was chosen; the others are runners-up in the audit record with their verdicts.
"""

from __future__ import annotations

import ast
import difflib
import json
import textwrap
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from selfmod.agents.critic import review_proposal
from selfmod.agents.offline.repair_behaviour import Outcome, observe
from selfmod.agents.offline.repair_budget import Budget
from selfmod.agents.offline.repair_edits import Candidate
from selfmod.agents.offline.repair_overfit import judge_all
from selfmod.agents.offline.repair_search import Validator
from selfmod.agents.patcher import LLMPatcher
from selfmod.config import Settings
from selfmod.errors import LLMError
from selfmod.models import BugReport, CodeContext, EditsProposal, PatchProposal
from selfmod.protocols import Proposal, Usage
from selfmod.tools.code.code_index import index_source
from selfmod.tools.code.source_text import read_source
from selfmod.tools.localize import Localization, localize

PASSES = "passes every test"


@dataclass
class _Sample:
    proposal: Proposal
    new_text: str | None
    verdict: str
    changed_lines: int
    diff: str = ""
    passes: bool = False
    refused: bool = False
    agreement: int = 0
    changed_elsewhere: int = 0


class SamplingPatcher:
    """Proposes the best of `count` samples of `first` (and `others`, the same patcher on a hotter model)."""

    def __init__(self, first: LLMPatcher, others: LLMPatcher, settings: Settings, count: int) -> None:
        self.first, self.others, self.settings, self.count = first, others, settings, count

    def propose(self, bug: BugReport, context: CodeContext, feedback: str) -> Proposal:
        made: list[Proposal] = []
        usage = Usage()
        failure: LLMError | None = None
        for index in range(self.count):
            patcher = self.first if index == 0 else self.others
            try:
                proposal = patcher.propose(bug, context, feedback)
            except LLMError as exc:  # a sample the model got wrong; the others may still do
                usage = usage.add(Usage(**{k: v for k, v in exc.usage.items() if k in Usage.__dataclass_fields__}))
                failure = exc
                continue
            usage = usage.add(proposal.usage)
            made.append(proposal)
        if not made:
            assert failure is not None
            failure.usage = usage.as_dict()
            raise failure
        samples = self._judge(bug, context, made)
        samples.sort(
            key=lambda s: (
                not s.passes,
                s.refused,
                -s.agreement,
                s.changed_elsewhere,
                s.new_text is None,
                s.changed_lines,
            )
        )
        best, rest = samples[0], samples[1:]
        runners_up = [*best.proposal.runners_up, *(_summary(s) for s in rest)]
        return Proposal(_chosen(best, len(samples)), usage, runners_up)

    def _judge(self, bug: BugReport, context: CodeContext, made: list[Proposal]) -> list[_Sample]:
        source = read_source(self.settings.project_root / context.file)[0]
        samples = []
        for proposal in made:
            patch = proposal.proposal
            if not isinstance(patch, PatchProposal):
                samples.append(_Sample(proposal, None, "not screened (edits)", 10**6))
                continue
            review = review_proposal(patch, context, source, self.settings, bug)
            if not review.verdict.accepted or review.new_text is None:
                codes = ", ".join(c.value for c in review.verdict.codes)
                samples.append(_Sample(proposal, None, f"rejected by the critic ({codes})", 10**6))
                continue
            diff = "".join(difflib.unified_diff(source.splitlines(True), review.new_text.splitlines(True), n=0))
            samples.append(_Sample(proposal, review.new_text, "not screened", _changed(source, review.new_text), diff))
        self._screen(context, source, [s for s in samples if s.new_text is not None])
        return samples

    def _screen(self, context: CodeContext, source: str, samples: list[_Sample]) -> None:
        """Validate the critic-accepted samples in the fork worker (when the tests are pytest and fail now)."""
        loc = localize(self.settings) if len(samples) > 1 else None
        if loc is None or not loc.failing:
            return
        candidates: list[Candidate] = []
        for sample in samples:
            definition = _definition(str(sample.new_text), context.qualified_name)
            if definition is None:
                sample.verdict = "not screened (not one function)"
                continue
            cand = Candidate((), "llm", "llm sample", context.start_line, sample.changed_lines, 1.0)
            cand.extra.update({"def": definition, "sample": sample})
            candidates.append(cand)
        budget = Budget(stop_after=len(candidates), max_plausible=len(candidates))
        verdicts = Validator(self.settings).validate(
            context.file, context.qualified_name, candidates, loc, time.time() + 120, budget
        )
        for row in verdicts.rows:
            sample = _sample(candidates[row["id"]])
            sample.passes = bool(row["ok"])
            sample.verdict = PASSES if row["ok"] else f"fails the tests ({row['verdict']})"
        passing = [c for c in candidates if _sample(c).passes]
        if len({ast.dump(ast.parse(str(c.extra["def"]))) for c in passing}) > 1:
            self._beyond_tests(context, source, loc, passing)

    def _beyond_tests(self, context: CodeContext, source: str, loc: Localization, passing: list[Candidate]) -> None:
        """Run the passing samples on the tests' inputs and their variations: which are refused, how many
        samples behave alike, how many results each changes where the original was not shown wrong."""
        seen = observe(self.settings, context.file, context.qualified_name, loc, passing)
        original = _definition(source, context.qualified_name)
        if seen.problem or original is None:
            for cand in passing:
                _sample(cand).verdict = f"{PASSES}; not run beyond them ({seen.problem or 'no original'})"
            return
        keys = [_behaviour(seen.candidates.get(i)) for i in range(len(passing))]
        alike = Counter(k for k in keys if k is not None)
        for cand, key, verdict in zip(passing, keys, judge_all(original, passing, seen), strict=True):
            sample = _sample(cand)
            sample.refused = bool(verdict.refused)
            sample.agreement = alike[key] if key is not None else 0
            sample.changed_elsewhere = verdict.changed
            sample.verdict = (
                f"{PASSES}; beyond them it behaves like {sample.agreement} of {len(passing)} passing samples and "
                f"changes {verdict.changed} of {verdict.checked} results where the original was not shown wrong"
                + (f"; refused: {verdict.refused}" if verdict.refused else "")
            )


def _sample(cand: Candidate) -> _Sample:
    sample = cand.extra["sample"]
    assert isinstance(sample, _Sample)
    return sample


def _behaviour(rows: list[Outcome] | None) -> str | None:
    """What a sample did on every input (kind and value, not where it returned), comparable across samples."""
    return None if rows is None else json.dumps([list(r[:2]) for r in rows], default=repr, sort_keys=True)


def _definition(text: str, qualname: str) -> str | None:
    """The function's source from `def` on, dedented (what the worker installs), or None."""
    symbol = index_source(text, "patched.py").by_qualname(qualname)
    if symbol is None:
        return None
    name = qualname.split(".")[-1]
    node = next(
        (
            n
            for n in ast.walk(ast.parse(text))
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and n.name == name
            and symbol.start <= n.lineno <= (n.end_lineno or 0) <= symbol.end
        ),
        None,
    )
    if node is None:
        return None
    lines = text.splitlines()[node.lineno - 1 : node.end_lineno]
    return textwrap.dedent("\n".join(lines)) + "\n"


def _changed(before: str, after: str) -> int:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm="")
    return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))


def _chosen(best: _Sample, count: int) -> PatchProposal | EditsProposal:
    """The winner, its explanation saying why it was chosen (the audit record keeps the proposal)."""
    patch = best.proposal.proposal
    if count < 2:
        return patch
    why = f"{patch.explanation.rstrip()}\n[selfmod: chosen of {count} samples: {best.verdict}]".lstrip()
    return patch.model_copy(update={"explanation": why})


def _summary(sample: _Sample) -> dict[str, Any]:
    patch = sample.proposal.proposal
    return {
        "operator": "llm sample",
        "description": getattr(patch, "explanation", "")[:200],
        "line": getattr(patch, "start_line", 0),
        "diff": sample.diff,
        "beyond_tests": sample.verdict,
        "changed_lines": sample.changed_lines,
    }
