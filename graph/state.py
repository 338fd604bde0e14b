"""Graph state: what the self-modification graph reads, writes and returns. Values are JSON-ready dicts.

The run processes reflections one at a time (`item` and the fields after it belong to the current one), collects
tested patches in `pending`, asks for approval once for all of them, then applies the approved ones.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

from typing_extensions import TypedDict


def add_usage(left: dict[str, int] | None, right: dict[str, int] | None) -> dict[str, int]:
    """Reducer: sum token counters key by key."""
    out = dict(left or {})
    for key, value in (right or {}).items():
        out[key] = out.get(key, 0) + value
    return out


class Result(TypedDict, total=False):
    """The outcome of one reflection, as reported by `selfmod run --json`."""

    reflection_id: str
    status: str
    file: str | None
    function: str | None
    attempts: int
    audit_id: str | None
    message: str
    token_usage: dict[str, int]
    durations: dict[str, float]


class SelfmodInput(TypedDict, total=False):
    """What a caller may pass in; everything is optional."""

    reflections: list[dict[str, Any]]
    reflections_file: str


class SelfmodOutput(TypedDict, total=False):
    """What the graph returns."""

    results: list[Result]
    token_usage: dict[str, int]
    warnings: list[str]


class SelfmodState(TypedDict, total=False):
    """The full state (input, output and working fields)."""

    reflections: list[dict[str, Any]]
    reflections_file: str
    results: Annotated[list[Result], operator.add]
    warnings: Annotated[list[str], operator.add]
    token_usage: Annotated[dict[str, int], add_usage]
    queue: list[dict[str, Any]]
    pending: Annotated[list[dict[str, Any]], operator.add]
    decisions: dict[str, bool]
    started_at: float
    run_id: str
    item: dict[str, Any] | None
    bug: dict[str, Any] | None
    context: dict[str, Any] | None
    proposal: dict[str, Any] | None
    verdict: dict[str, Any] | None
    new_text: str | None
    edited: dict[str, dict[str, str]] | None
    test_run: dict[str, Any] | None
    attempts: int
    feedback: str
    outcome: str
    message: str
    item_usage: dict[str, int]
    durations: dict[str, float]
    runners_up: list[dict[str, Any]]


ITEM_RESET: dict[str, Any] = {
    "bug": None,
    "context": None,
    "proposal": None,
    "verdict": None,
    "new_text": None,
    "edited": None,
    "test_run": None,
    "attempts": 0,
    "feedback": "",
    "outcome": "",
    "message": "",
    "item_usage": {},
    "durations": {},
    "runners_up": [],
}
"""Per-reflection fields cleared before the next reflection starts."""
