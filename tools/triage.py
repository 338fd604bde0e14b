"""Which reflections describe a failure worth a fix: whole-word failure indicators, no duplicates, never our own."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from selfmod.models import AuditRecord, Reflection
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.reflections import reflection_id

SELFMOD_SOURCE = "selfmod"

_INDICATORS = re.compile(
    r"""(?ix)\b(
        fail(?:s|ed|ing|ure|ures)?
      | errors?|erroneous|erroring|errored
      | bugs?|buggy
      | defects?|defective
      | issues?
      | crash(?:es|ed|ing)?
      | broke|broken|breaks|breaking
      | problems?|problematic
      | exceptions?
      | wrong(?:ly)?
      | incorrect(?:ly)?
    )\b"""
)

TriageStatus = Literal["actionable", "not_actionable", "duplicate", "own"]


@dataclass(frozen=True)
class TriageItem:
    """One reflection and what triage decided."""

    reflection: Reflection
    reflection_id: str
    status: TriageStatus
    indicators: tuple[str, ...] = ()


def failure_indicators(text: str) -> tuple[str, ...]:
    """The failure words in the text, matched as whole words or their stems (not substrings like 'tissue')."""
    return tuple(dict.fromkeys(m.group(1).lower() for m in _INDICATORS.finditer(text)))


def record_not_actionable(audit: AuditLog, items: list[TriageItem]) -> dict[str, str]:
    """Audit every newly seen reflection that triage set aside; returns their audit ids by reflection id."""
    ids = {}
    for item in items:
        if item.status == "not_actionable":
            ids[item.reflection_id] = audit.append(
                AuditRecord(
                    id="",
                    timestamp="",
                    status="not_actionable",
                    reflection_id=item.reflection_id,
                    message="no failure indicator in the reflection",
                )
            ).id
    return ids


def triage(entries: Iterable[Reflection], handled_ids: set[str]) -> list[TriageItem]:
    """Classify each entry; the order of the file is kept."""
    items: list[TriageItem] = []
    seen: set[str] = set()
    for entry in entries:
        rid = reflection_id(entry)
        if (entry.source or "").lower() == SELFMOD_SOURCE:
            items.append(TriageItem(entry, rid, "own"))
        elif rid in handled_ids or rid in seen:
            items.append(TriageItem(entry, rid, "duplicate"))
        else:
            found = failure_indicators(f"{entry.outcome}\n{entry.reflection}")
            items.append(TriageItem(entry, rid, "actionable" if found else "not_actionable", found))
        seen.add(rid)
    return items
