"""The seams between the graph and what it drives: every role and runner the graph uses is one of these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from selfmod.models import BugReport, CodeContext, EditsProposal, PatchProposal, Reflection, TestRun, Verdict


@dataclass
class Usage:
    """Tokens used by the LLM calls of one step."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    calls: int = 0

    def add(self, other: Usage) -> Usage:
        """The sum of two usages."""
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.total_tokens + other.total_tokens,
            self.calls + other.calls,
        )

    def as_dict(self) -> dict[str, int]:
        """Plain dict for state and audit records."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "calls": self.calls,
        }


@dataclass
class Extraction:
    """What the extractor found: a located bug report, or why there is none (`no_bug` / `unlocatable`)."""

    report: BugReport | None
    status: str = "found"
    message: str = ""
    usage: Usage = field(default_factory=Usage)


@dataclass
class Proposal:
    """A patch proposal and what producing it cost."""

    proposal: PatchProposal | EditsProposal
    usage: Usage = field(default_factory=Usage)
    runners_up: list[dict[str, object]] = field(default_factory=list)


class BugExtractor(Protocol):
    """Turns a reflection into a bug report located in the project (or says there is none)."""

    def extract(self, reflection: Reflection) -> Extraction: ...


class Patcher(Protocol):
    """Proposes a patch for a located bug; `feedback` explains why earlier attempts failed."""

    def propose(self, bug: BugReport, context: CodeContext, feedback: str) -> Proposal: ...


class Reviewer(Protocol):
    """An optional second critic (after the deterministic rules) that may reject an accepted patch."""

    def review(
        self, bug: BugReport, context: CodeContext, proposal: PatchProposal | EditsProposal, diff: str
    ) -> Verdict: ...


class TestRunner(Protocol):
    """Tests a patched text in isolation and judges it against the baseline."""

    def evaluate(self, rel_path: str, new_text: str) -> TestRun: ...

    def evaluate_many(self, patched: dict[str, str]) -> TestRun:
        """Test several patched files together (relative path -> text)."""
        ...


@runtime_checkable
class Prefetching(Protocol):
    """A test runner that can start what its first evaluation needs (the unpatched baseline) in the background."""

    def prefetch(self) -> None: ...


@runtime_checkable
class BaselineSource(Protocol):
    """A test runner that can show the unpatched project's test run (what the failing tests say)."""

    def baseline(self) -> TestRun: ...
