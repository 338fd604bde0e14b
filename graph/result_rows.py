"""The result rows `selfmod run --json` reports: every row carries every contract key, null where unknown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from selfmod.graph.state import Result
from selfmod.models import AuditRecord
from selfmod.tools.changes.audit import HANDLED_STATUSES

RESULT_KEYS = (
    "reflection_id",
    "status",
    "file",
    "function",
    "attempts",
    "audit_id",
    "message",
    "token_usage",
    "durations",
)
"""The keys of the JSON contract (README "Command line"), in the order they are printed."""


def result_row(reflection_id: str, status: str, **fields: Any) -> Result:
    """A result row with every contract key: the given fields, None for the unknown ones (an empty message)."""
    unknown = set(fields) - set(RESULT_KEYS)
    if unknown:
        raise ValueError(f"not result row keys: {sorted(unknown)}")
    row: dict[str, Any] = dict.fromkeys(RESULT_KEYS)
    row.update(reflection_id=reflection_id, status=status, message="")
    row.update(fields)
    return row  # type: ignore[return-value]


def complete_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row from anywhere (older checkpoints included) with the missing contract keys added as null."""
    return {**dict.fromkeys(RESULT_KEYS), **row}


def earlier_outcome(records: Iterable[AuditRecord], reflection_id: str) -> AuditRecord | None:
    """The latest audit record of a reflection's earlier handling (what a `duplicate` row points to)."""
    found = None
    for record in records:
        if record.reflection_id == reflection_id and record.status in HANDLED_STATUSES:
            found = record
    return found


def duplicate_row(reflection_id: str, records: list[AuditRecord]) -> Result:
    """The row of a reflection handled before (or twice in this input): where the earlier outcome is recorded."""
    earlier = earlier_outcome(records, reflection_id)
    if earlier is None:
        message = "already handled (it appears twice in the input)"
        return result_row(reflection_id, "duplicate", attempts=0, message=message, token_usage={})
    return result_row(
        reflection_id,
        "duplicate",
        file=earlier.file,
        function=earlier.bug_report.function if earlier.bug_report else None,
        attempts=earlier.attempts,
        audit_id=earlier.id,
        message=f"already handled: {earlier.status} in audit record {earlier.id}",
        token_usage={},
    )
