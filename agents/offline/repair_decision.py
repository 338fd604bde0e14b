"""Deciding among plausible candidates: run them beyond the tests, refuse the unconvincing, order the rest."""

from __future__ import annotations

from selfmod.agents.offline.repair_behaviour import Observations, observe
from selfmod.agents.offline.repair_choice import choose
from selfmod.agents.offline.repair_edits import Candidate, Site
from selfmod.agents.offline.repair_overfit import judge_all
from selfmod.agents.offline.repair_ranking import built_key
from selfmod.config import Settings
from selfmod.errors import NoFixError
from selfmod.tools.localize import Localization


def decide(
    settings: Settings,
    site: Site | None,
    rel: str,
    qualname: str,
    loc: Localization,
    plausible: list[Candidate],
    seen: Observations | None = None,
) -> tuple[list[Candidate], list[Candidate]]:
    """(convincing candidates best first, refused ones best first); each candidate's `extra["judgement"]` says
    what the check beyond the tests found (when the check cannot run, nothing is refused and it says why).
    `seen` is the behaviour check of exactly `plausible` when it was already run; else it runs here."""
    if site is None or not plausible:
        return choose(site, plausible), []
    if seen is None:
        seen = observe(settings, rel, qualname, loc, plausible)
    if seen.problem:
        for cand in plausible:
            cand.extra["judgement"] = f"was not checked ({seen.problem})"
            cand.extra["refused"] = ""
        return choose(site, plausible), []
    original = built_key(site, ())
    assert original is not None
    for cand, verdict in zip(plausible, judge_all(original[1], plausible, seen), strict=True):
        cand.extra["judgement"] = verdict.summary()
        cand.extra["refused"] = verdict.refused
    ordered = choose(site, plausible)
    return [c for c in ordered if not c.extra["refused"]], [c for c in ordered if c.extra["refused"]]


def unconvincing(refused: list[Candidate]) -> NoFixError:
    """The `no_fix` error when every plausible candidate was refused, naming the best of them and why."""
    best = refused[0]
    return NoFixError(
        f"offline repair found {len(refused)} candidate(s) that pass the tests but none is convincing; the best, "
        f"{best.description} at line {best.line}, was {best.extra.get('judgement', 'refused')}"
    )
