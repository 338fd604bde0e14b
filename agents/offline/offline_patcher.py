"""The offline patcher: search-based repair turned into `propose_code_patch` proposals (no LLM)."""

from __future__ import annotations

import dataclasses
import difflib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from selfmod.agents.offline.repair_decision import decide, unconvincing
from selfmod.agents.offline.repair_edits import Candidate
from selfmod.agents.offline.repair_overfit import doubtful
from selfmod.agents.offline.repair_search import Budget, SearchResult, make_site, search
from selfmod.config import Settings
from selfmod.errors import LLMOutputError, NoFixError
from selfmod.models import BugReport, CodeContext, PatchProposal
from selfmod.protocols import Proposal
from selfmod.tools.localize import Localization, localize, no_failing_test_message
from selfmod.tools.timings import collect, phase, record


@dataclass
class _Memory:
    """What the patcher knows about one target across attempts."""

    plausible: list[Candidate] = field(default_factory=list)
    refused: list[Candidate] = field(default_factory=list)
    tried: set[str] = field(default_factory=set)
    last: SearchResult | None = None
    warm: dict[str, float] = field(default_factory=dict)
    """Phases of a search done ahead by `prepare`, reported with the proposal that uses it."""


class OfflinePatcher:
    """Finds the smallest edit that makes the failing tests pass without breaking the passing ones."""

    def __init__(self, settings: Settings, budget: Budget | None = None, show_progress: bool | None = None) -> None:
        self.settings = settings
        self.budget = budget or Budget()
        self.show_progress = sys.stderr.isatty() if show_progress is None else show_progress
        self._memory: dict[tuple[str, str], _Memory] = {}
        self._lock = threading.Lock()
        self._ahead: Callable[[PatchProposal], None] | None = None

    def prepare(self, context: CodeContext, ahead: Callable[[PatchProposal], None] | None = None) -> None:
        """Do the search for `context` now (e.g. in a background thread while the graph framework loads); the
        first `propose` for it then takes the result. Its time is reported as `warm_up` phases. `ahead` gets the
        first plausible patch as soon as the search finds it (usually the one chosen, to test it meanwhile)."""
        with self._lock, collect() as spent:
            memory = self._memory.setdefault((context.file, context.qualified_name), _Memory())
            loc = self._localize()
            if memory.last is None:
                self._ahead = ahead
                try:
                    self._find(memory, context, loc)
                finally:
                    self._ahead = None
        memory.warm = {f"warm_up.{name}": seconds for name, seconds in spent.items()}

    def peek(self, context: CodeContext) -> PatchProposal | None:
        """The patch the next `propose` for `context` will make, when a search already found it (for testing it
        ahead); None otherwise."""
        memory = self._memory.get((context.file, context.qualified_name))
        if memory is None or not memory.plausible:
            return None
        return _proposal(context, memory.plausible[0].source, "")

    def _localize(self) -> Localization:
        with phase("localize"):
            loc = localize(self.settings)
        if loc is None:
            raise LLMOutputError("offline repair needs a pytest test command (set test_command in [tool.selfmod])")
        if not loc.failing:
            raise LLMOutputError(no_failing_test_message(loc))
        return loc

    def propose(self, bug: BugReport, context: CodeContext, feedback: str) -> Proposal:
        with self._lock:
            return self._propose(context)

    def _propose(self, context: CodeContext) -> Proposal:
        memory = self._memory.setdefault((context.file, context.qualified_name), _Memory())
        loc = self._localize()
        for name, seconds in memory.warm.items():
            record(name, seconds)
        memory.warm = {}
        if not memory.plausible and not (memory.last is not None and not memory.tried):
            self._find(memory, context, loc)
        if not memory.plausible and memory.refused:
            raise unconvincing(memory.refused)
        if not memory.plausible:
            tried = memory.last.tried() if memory.last else "nothing left to try"
            raise NoFixError(f"offline repair found no candidate that passes the tests: {tried}")
        winner, runners_up = memory.plausible[0], memory.plausible[1:]
        memory.plausible = runners_up
        memory.tried.add(winner.key)
        stats = memory.last or SearchResult()
        explanation = (
            f"Offline repair ({winner.operator}): {winner.description} at line {winner.line}. It makes "
            f"{len(loc.failing)} failing test(s) pass and keeps {len(loc.passing)} passing; chosen as the smallest of "
            f"{len(runners_up) + 1} plausible edit(s) after validating {stats.validated} candidate(s) in "
            f"{stats.seconds:.1f} s. Beyond the tests, it {winner.extra.get('judgement', 'was not checked')}."
        )
        proposal = _proposal(context, winner.source, explanation)
        from selfmod.tools.llm_tools import propose_code_patch  # LangChain loads only when a proposal is made

        propose_code_patch.invoke(proposal.model_dump(mode="json"))  # a tool run in the trace
        others = [*runners_up, *memory.refused]
        return Proposal(proposal, runners_up=[_summary(c, stats.original_source) for c in others])

    def _find(self, memory: _Memory, context: CodeContext, loc: Localization) -> None:
        """Search, check the plausible candidates beyond the tests, and when the best is doubtful (`doubtful`)
        search once more, this time through the whole ranked list (no early stop), and decide among both
        searches' candidates."""
        site = make_site(self.settings.project_root, context.file, context.qualified_name)
        with phase("search"):
            memory.last = self._search(context, loc, memory.tried)
        with phase("beyond_tests"):
            memory.plausible, memory.refused = decide(
                self.settings, site, context.file, context.qualified_name, loc, memory.last.plausible,
                memory.last.observations,
            )  # fmt: skip
        if not doubtful(memory.plausible, memory.refused):
            return
        with phase("search_more"):
            wider = dataclasses.replace(  # no early stop this time
                self.budget, stop_after=self.budget.candidates, stop_seconds=self.budget.seconds
            )
            more = self._search(context, loc, memory.tried | memory.last.validated_keys, wider)
        if not more.plausible:
            return
        memory.last = memory.last.merged(more)
        with phase("beyond_tests"):
            memory.plausible, memory.refused = decide(
                self.settings, site, context.file, context.qualified_name, loc, memory.last.plausible
            )

    def _search(
        self, context: CodeContext, loc: Localization, tried: set[str], budget: Budget | None = None
    ) -> SearchResult:
        budget = budget or self.budget
        ahead = self._ahead
        found = None if ahead is None else (lambda cand: ahead(_proposal(context, cand.source, "")))
        if not self.show_progress or threading.current_thread() is not threading.main_thread():
            return search(self.settings, context.file, context.qualified_name, loc, tried, budget, None, True, found)
        columns = (TextColumn("repairing {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(context.qualified_name, total=None)

            def update(phase: str, done: int, total: int | None) -> None:
                bar.update(task, description=f"{context.qualified_name}: {phase}", completed=done, total=total)

            return search(self.settings, context.file, context.qualified_name, loc, tried, budget, update, True, found)


def _proposal(context: CodeContext, source: str, explanation: str) -> PatchProposal:
    return PatchProposal(
        filename=context.file,
        start_line=context.start_line,
        end_line=context.end_line,
        new_code=source,
        explanation=explanation or "offline repair",
    )


def _summary(cand: Candidate, original: str) -> dict[str, object]:
    diff = "".join(difflib.unified_diff(original.splitlines(True), cand.source.splitlines(True), n=0))
    return {
        "operator": cand.operator,
        "description": cand.description,
        "line": cand.line,
        "diff": diff,
        "beyond_tests": str(cand.extra.get("judgement", "not checked")),
    }
