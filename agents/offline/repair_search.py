"""Search-based repair: generate candidates in the suspicious function, rank them, validate the most promising
first in the fork-per-candidate worker, and return the plausible ones (those passing every selected test).
"""

from __future__ import annotations

import ast
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from selfmod.agents.offline.repair_behaviour import Observations, behaviour_job
from selfmod.agents.offline.repair_budget import Budget, PhaseClock, PhaseProgress
from selfmod.agents.offline.repair_edits import Candidate, Site
from selfmod.agents.offline.repair_ranking import (
    CHECK_EVERY,
    build_ranked,
    generate,
    pairs,
    rank,
    ranked_stream,
    suspicion,
)
from selfmod.agents.offline.repair_richer import RICHER_OPERATORS, coordinated
from selfmod.agents.offline.repair_validator import Validator
from selfmod.config import Settings
from selfmod.tools.code.code_index import index_source
from selfmod.tools.code.source_text import read_source
from selfmod.tools.localize import Localization

Progress = Callable[[int, int], None]
__all__ = ["Budget", "SearchResult", "Validator", "make_site", "pairs", "rank", "search"]


@dataclass
class SearchResult:
    """What one search found and what it cost."""

    plausible: list[Candidate] = field(default_factory=list)
    validated: int = 0
    timeouts: int = 0
    seconds: float = 0.0
    original_source: str = ""
    generated: int = 0
    ranked: int = 0
    budget_seconds: float = 0.0
    cut: list[str] = field(default_factory=list)
    worker_error: str = ""
    observations: Observations | None = None
    """The behaviour check of `plausible` (in order), done by the worker that found them; None when not done."""
    validated_keys: set[str] = field(default_factory=set)
    """Keys of every candidate validated (a further search excludes them)."""

    def merged(self, more: SearchResult) -> SearchResult:
        """This search followed by a further one: plausible candidates and costs of both (no observations)."""
        return SearchResult(
            plausible=[*self.plausible, *more.plausible],
            validated=self.validated + more.validated,
            timeouts=self.timeouts + more.timeouts,
            seconds=self.seconds + more.seconds,
            original_source=self.original_source,
            generated=self.generated,
            ranked=self.ranked + more.ranked,
            budget_seconds=self.budget_seconds,
            cut=sorted({*self.cut, *more.cut}),
            worker_error=self.worker_error or more.worker_error,
            validated_keys=self.validated_keys | more.validated_keys,
        )

    def tried(self) -> str:
        """What the search did, and which phases the budget cut short (for the `no_fix` message)."""
        done = (
            f"{self.generated} candidate(s) generated, {self.ranked} ranked, {self.validated} validated "
            f"in {self.seconds:.1f} s"
        )
        if self.worker_error:
            done += f"; the validation worker reported: {self.worker_error}"
        if not self.cut:
            return done
        return f"{done}; the {self.budget_seconds:g} s budget ran out during {' and '.join(self.cut)}"


def _function_node(tree: ast.Module, def_line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function whose `def` is on `def_line` (qualnames of nested duplicates are not paths of names)."""
    return next(
        (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.lineno == def_line),
        None,
    )


def make_site(root: Path, rel: str, qualname: str) -> Site | None:
    """The repair site for a function of a project file."""
    text = read_source(root / rel)[0]
    index = index_source(text, rel)
    sym = index.by_qualname(qualname)
    node = _function_node(ast.parse(text), sym.def_line) if sym else None
    return Site(text, sym, node) if sym and node else None


def relevant_failing(loc: Localization, rel: str, start: int, end: int) -> list[str]:
    """The failing tests that run the target's lines (all failing tests when coverage shows none does): another
    bug's failing test must not stop a repair of this one."""
    lines = loc.coverage.get(rel, {})
    covering = {test for n in range(start, end + 1) for test in lines.get(n, [])}
    return [t for t in loc.failing if t in covering] or loc.failing


def relevant_passing(loc: Localization, rel: str, start: int, end: int) -> list[str]:
    """The passing tests that run the target's lines: the only ones a change inside it can break (the project's
    whole suite still judges the chosen patch in the sandbox). All passing tests when the coverage shows no test
    at all running them (no coverage, or a failure before the function is reached)."""
    lines = loc.coverage.get(rel, {})
    covering = {test for n in range(start, end + 1) for test in lines.get(n, [])}
    return [t for t in loc.passing if t in covering] if covering else loc.passing


def richer(
    site: Site, raw: list[Candidate], loc: Localization, rel: str, exclude: set[str], budget: Budget, clock: PhaseClock
) -> list[Candidate]:
    """The richer edits, most promising first, without duplicates of what was already tried; none once the
    ranking's share of the clock is used up."""
    if clock.over("ranking"):
        return []
    made, _count = generate(site, loc, rel, budget.candidates * 3, clock, operators=RICHER_OPERATORS)
    for cand in coordinated(raw):
        cand.prior = cand.weight * (0.05 + suspicion(loc, rel, cand.line)) / (1 + 0.1 * cand.size)
        made.append(cand)
    made.sort(key=lambda c: (-c.prior, c.size))
    return build_ranked(site, made, exclude, budget.candidates, clock)


def search(
    settings: Settings,
    rel: str,
    qualname: str,
    loc: Localization,
    exclude: set[str],
    budget: Budget,
    progress: PhaseProgress | None = None,
    check_behaviour: bool = False,
    on_plausible: Callable[[Candidate], None] | None = None,
) -> SearchResult:
    """Find plausible repairs of `qualname` in `rel`: single edits first, then pairs on the top lines, then richer
    edits (changed argument lists, wrapped and unwrapped expressions, loop bounds, new statements, one edit at
    every occurrence). Every phase stops at its share of `budget.seconds`; the result says which ones the budget
    cut short. With `check_behaviour` the worker that finds the plausible candidates also runs them beyond the
    tests (`SearchResult.observations`). `on_plausible` gets the first plausible single edit as soon as it is
    found (e.g. to start its test run while the search goes on)."""
    clock = PhaseClock(budget.seconds)
    result = SearchResult(budget_seconds=budget.seconds)
    site = make_site(settings.project_root, rel, qualname)
    if site is None:
        return result
    result.original_source = "\n".join(site.lines[site.symbol.start - 1 : site.symbol.end]) + "\n"
    validator = Validator(settings, (lambda done, total: progress("validation", done, total)) if progress else None)
    failing = relevant_failing(loc, rel, site.symbol.start, site.symbol.end)
    behaviour = behaviour_job(settings, loc) if check_behaviour else None
    passing = relevant_passing(loc, rel, site.symbol.start, site.symbol.end)
    first = validator.start(rel, qualname, loc, clock.deadline, budget, failing, behaviour, passing)  # starts now
    try:
        raw, result.generated = generate(site, loc, rel, budget.candidates * 3, clock, progress)
        stream = ranked_stream(site, raw, exclude, clock, progress)
        singles = list(itertools.islice(stream, min(budget.stop_after, budget.candidates)))
    except BaseException:
        first.cancel()
        raise

    def rest(stopped: Callable[[], bool]) -> list[Candidate]:
        more = []
        for cand in itertools.islice(stream, max(0, budget.candidates - len(singles))):
            more.append(cand)
            if len(more) % CHECK_EVERY == 0 and stopped():
                break
        return more

    for stage in ("singles", "pairs", "richer"):
        if stage == "singles":
            pool = singles
        elif stage == "pairs":
            pool = pairs(site, singles, loc, rel, budget, clock, progress)
        else:
            pool = richer(site, raw, loc, rel, {*exclude, *(c.key for c in singles)}, budget, clock)
        pool = pool[: max(0, budget.candidates - result.validated)]
        if stage == "singles":
            in_time = time.time() < clock.deadline
            verdicts = first.run(pool if in_time else [], rest if in_time else None, on_plausible)
            singles = pool = [*pool, *verdicts.rest]
            result.ranked = len(singles)
        else:
            verdicts = validator.validate(rel, qualname, pool, loc, clock.deadline, budget, failing, behaviour, passing)
        if not result.plausible:
            result.observations = verdicts.observations
        result.plausible += verdicts.plausible
        result.validated += len(verdicts.rows)
        result.validated_keys |= {pool[row["id"]].key for row in verdicts.rows}
        result.timeouts += verdicts.timeouts
        result.worker_error = result.worker_error or verdicts.error
        if len(verdicts.rows) < len(pool) and time.time() >= clock.deadline:
            clock.mark_cut("validation")
        if result.plausible or result.validated >= budget.candidates or time.time() >= clock.deadline:
            break
    result.seconds = time.time() - clock.started
    result.cut = list(clock.cut)
    return result
