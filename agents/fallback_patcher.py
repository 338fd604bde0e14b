"""Offline first, then the LLM: the search-based engine as a cheap first try before any tokens are spent."""

from __future__ import annotations

from selfmod.errors import LLMError
from selfmod.models import BugReport, CodeContext
from selfmod.protocols import Patcher, Proposal


class FallbackPatcher:
    """Asks `first` (the offline engine); when it has nothing (more) to offer, asks `then` (the LLM patcher)."""

    def __init__(self, first: Patcher, then: Patcher) -> None:
        self.first, self.then = first, then
        self._first_done: set[tuple[str, str]] = set()

    def propose(self, bug: BugReport, context: CodeContext, feedback: str) -> Proposal:
        key = (context.file, context.qualified_name)
        if key not in self._first_done:
            try:
                return self.first.propose(bug, context, feedback)
            except LLMError:
                self._first_done.add(key)
        return self.then.propose(bug, context, feedback)
