"""The repair search's limits and its clock: each phase (generation, ranking, validation) has a share of the time
budget, checks it as it goes, and the search reports which phases the budget cut short."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

PHASES = ("generation", "ranking", "pairs", "validation")
PHASE_END = {"generation": 0.35, "ranking": 0.6, "pairs": 0.7, "validation": 1.0}
"""When each phase must stop, as a share of the budget since the search started (later phases get the rest)."""

PhaseProgress = Callable[[str, int, int | None], None]
"""Called as work is done: (phase, done, total or None while unknown)."""


@dataclass(frozen=True)
class Budget:
    """Limits per reflection."""

    candidates: int = 2000
    seconds: float = 120.0
    stop_after: int = 300
    """Candidates validated in all, once one passed, before the worker stops looking for more."""
    stop_seconds: float = 2.0
    """Seconds the worker goes on looking once one candidate passed (whichever of the two ends first)."""
    max_plausible: int = 25
    quick_screen: bool = True
    """Screen with pytest's setup/call/teardown hooks but without its reports (survivors get the full protocol)."""
    lanes: int = 0
    """Candidates the worker screens at once, each in its own child (0: one per core it may use)."""
    pair_lines: int = 3
    pair_pool: int = 40


@dataclass
class PhaseClock:
    """The search's deadline, each phase's share of it, and the phases it cut short."""

    seconds: float
    started: float = field(default_factory=time.time)
    cut: list[str] = field(default_factory=list)

    @property
    def deadline(self) -> float:
        """When the whole search must end (epoch seconds)."""
        return self.started + self.seconds

    def phase_end(self, phase: str) -> float:
        """When `phase` must stop."""
        return self.started + self.seconds * PHASE_END[phase]

    def over(self, phase: str) -> bool:
        """True (and `phase` recorded as cut short) once the phase's share of the budget is used up."""
        if time.time() < self.phase_end(phase):
            return False
        if phase not in self.cut:
            self.cut.append(phase)
        return True

    def mark_cut(self, phase: str) -> None:
        """Record that the budget ended `phase` before it finished (found outside the clock, e.g. by the worker)."""
        if phase not in self.cut:
            self.cut.append(phase)
