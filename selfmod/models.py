"""Domain objects passed between the stages: reflection, bug report, code context, patch, verdict, test run, audit."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Severity = Literal["low", "medium", "high", "critical"]


class _Model(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")


class Reflection(BaseModel):
    """One entry of the agent's reflections file, in the seed's format."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="allow")

    id: str | None = None
    """The entry's own id; when absent a content hash is used."""
    timestamp: str | None = None
    """When the agent wrote the reflection (ISO-8601 as written by the agent)."""
    task_summary: str = ""
    """What task the agent was doing."""
    outcome: str = ""
    """How the task ended, in the agent's words."""
    reflection: str
    """The free-text reflection that may describe a bug."""
    source: str | None = None
    """Who wrote it; "selfmod" marks selfmod's own notes, which are never treated as bugs."""


class BugReport(_Model):
    """Arguments of the `log_bug_report` tool: where the bug is and what it is."""

    filename: str = Field(min_length=1)
    """Path of the buggy file, relative to the project root."""
    function: str = Field(min_length=1)
    """Function, method (`Class.method`) or class name that holds the bug."""
    summary: str = Field(min_length=1)
    """One or two sentences describing the wrong behaviour."""
    severity: Severity = "medium"
    """How bad the bug is: low, medium, high or critical."""
    evidence: list[str] = Field(default_factory=list)
    """Lines quoted from the reflection that support the report."""
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    """How sure the reporter is, from 0 to 1."""

    @field_validator("severity", mode="before")
    @classmethod
    def _lower_severity(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class PatchProposal(_Model):
    """Arguments of the `propose_code_patch` tool: a replacement for a range of lines."""

    filename: str = Field(min_length=1)
    """Path of the file to change, relative to the project root."""
    start_line: int = Field(ge=0)
    """First replaced line, 1-based and inclusive, as numbered in the code shown."""
    end_line: int = Field(ge=0)
    """Last replaced line, 1-based and inclusive, as numbered in the code shown."""
    new_code: str
    """The replacement code: normally the whole fixed function."""
    explanation: str = ""
    """Why this change fixes the bug."""


MODULE_LEVEL = "<module>"
"""The `symbol` of an edit that replaces module-level statements (imports, constants, regexes)."""


class Edit(_Model):
    """One change of a `propose_edits` call: a whole definition, or module-level statements, replaced."""

    filename: str = Field(min_length=1)
    """Path of the file to change, relative to the project root."""
    symbol: str = Field(min_length=1)
    """Qualified name of the function, method (`Class.method`) or class to replace, or `<module>`."""
    new_code: str
    """The complete new definition, or for `<module>` the new text of the module-level statements it replaces."""
    old_code: str = ""
    """For `<module>` edits, optionally the exact current statements to replace (a search/replace block)."""


class EditsProposal(_Model):
    """Arguments of the `propose_edits` tool: several definitions and module-level statements, in one or more files."""

    edits: list[Edit] = Field(min_length=1)
    """The changes, applied together or not at all."""
    explanation: str = ""
    """Why these changes fix the bug."""


class SymbolKind(StrEnum):
    """What kind of definition a symbol is."""

    FUNCTION = "function"
    ASYNC_FUNCTION = "async_function"
    CLASS = "class"


class CodeContext(_Model):
    """The code of one symbol as shown to the patcher, with enough identity to detect later changes."""

    file: str
    """Path relative to the project root, with forward slashes."""
    symbol: str
    """The name as asked for."""
    qualified_name: str
    """Dotted name inside the module, e.g. `Parser.parse` or `outer.inner`."""
    kind: SymbolKind
    """Function, async function or class."""
    start_line: int
    """First line of the symbol (its first decorator), 1-based inclusive."""
    end_line: int
    """Last line of the symbol, 1-based inclusive."""
    context_start: int
    """First line shown, including context lines."""
    context_end: int
    """Last line shown, including context lines."""
    code: str
    """The shown lines, each prefixed with its 1-based number."""
    file_sha256: str
    """SHA-256 of the file's bytes when the context was taken."""


class RejectionCode(StrEnum):
    """Stable machine codes for why a patch was rejected."""

    SYNTAX = "syntax"
    WRONG_FILE = "wrong_file"
    SCOPE = "scope"
    NO_OP = "no_op"
    EMPTY = "empty"
    PLACEHOLDER = "placeholder"
    UNLOCATED = "unlocated"
    PATH_UNSAFE = "path_unsafe"
    PROTECTED_PATH = "protected_path"
    PUBLIC_API = "public_api"
    DANGEROUS_CALL = "dangerous_call"
    LLM_CRITIC = "llm_critic"
    TEST_TAMPERING = "test_tampering"


class Rejection(_Model):
    """One reason a patch cannot be accepted."""

    code: RejectionCode
    """Stable machine code."""
    message: str
    """Human-readable reason, written to be fed back to the patcher."""


class Verdict(_Model):
    """The critic's judgement of one proposal."""

    rejections: list[Rejection] = Field(default_factory=list)
    """Every rule the proposal broke; empty means accepted."""
    notes: list[str] = Field(default_factory=list)
    """Repairs the engine made to the proposal (fences removed, re-indented, ...)."""

    @property
    def accepted(self) -> bool:
        """True when no rule was broken."""
        return not self.rejections

    @property
    def codes(self) -> list[RejectionCode]:
        """The rejection codes, in order."""
        return [r.code for r in self.rejections]


class TestCase(_Model):
    """One test's result from the JUnit XML report."""

    __test__ = False

    name: str
    """Node id such as `tests/test_text.py::test_empty`."""
    outcome: Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
    """What happened to the test; only `passed` counts as a pass."""
    message: str = ""
    """Failure message and traceback, trimmed."""


class TestRun(_Model):
    """The result of running the project's tests in the sandbox."""

    __test__ = False

    command: list[str]
    """The command that was run."""
    exit_code: int | None
    """Exit code; None when the run was killed."""
    passed: int = 0
    """Number of passed tests."""
    failed: int = 0
    """Number of failed tests."""
    errors: int = 0
    """Number of tests with errors."""
    skipped: int = 0
    """Number of skipped tests."""
    tests: list[TestCase] = Field(default_factory=list)
    """Per-test results."""
    duration_s: float = 0.0
    """Wall-clock seconds."""
    timed_out: bool = False
    """True when the run hit the timeout and was killed."""
    network_isolated: bool = False
    """True when the tests ran in a fresh network namespace without network."""
    isolation_note: str = ""
    """Why network isolation was not available, when it was not."""
    isolation: Literal["namespaces", "process"] = "process"
    """The sandbox backend: `namespaces` (bubblewrap) or `process` (the weaker fallback)."""
    results_found: bool = True
    """False when the run left no per-test result file (killed, `os._exit`, `pytest.exit`, ...)."""
    missing_tests: list[str] = Field(default_factory=list)
    """Tests collected from the unpatched copy that did not report a result in this run."""
    tampering: str = ""
    """Why the canary tests show that the code under test tampered with the test run; empty when they did not."""
    output: str = ""
    """Combined stdout and stderr, trimmed to the size cap and redacted."""
    patched_file: str | None = None
    """The file the patch changed in the sandbox copy (None for a baseline run)."""
    patched_sha256: str | None = None
    """SHA-256 of the patched text that was tested; apply writes exactly this text."""
    patched_files: dict[str, str] = Field(default_factory=dict)
    """Every file the patch changed in the sandbox copy, with the SHA-256 of the tested text (several files)."""
    new_failures: list[str] = Field(default_factory=list)
    """Tests that passed in the baseline and do not pass with the patch."""
    still_failing: list[str] = Field(default_factory=list)
    """Tests that failed in the baseline and still do not pass with the patch."""
    fixed_tests: list[str] = Field(default_factory=list)
    """Tests that failed in the baseline and pass with the patch."""
    policy: str = "all_pass"
    """The acceptance policy the run was judged by."""
    success: bool = False
    """Whether the run meets the acceptance policy."""


class FileChange(_Model):
    """One file of a change that spans several files."""

    file: str
    """Path relative to the project root."""
    hash_before: str
    """SHA-256 of the file before the change."""
    hash_after: str
    """SHA-256 of the file after the change."""
    backup: str | None = None
    """Backup of the original file, relative to the project root."""


class AuditRecord(_Model):
    """One line of `.selfmod/audit.jsonl`: the outcome of one reflection or one operation."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="allow")

    id: str
    """Unique audit id."""
    timestamp: str
    """UTC ISO-8601 time the record was written."""
    status: str
    """Outcome: applied, rejected, not_actionable, no_bug, unlocatable, duplicate, awaiting_approval, ..."""
    reflection_id: str | None = None
    """Id of the reflection this record is about."""
    bug_report: BugReport | None = None
    """The extracted bug report."""
    proposal: PatchProposal | None = None
    """The last patch proposal."""
    edits: EditsProposal | None = None
    """The last `propose_edits` proposal, when the patch was given as edits."""
    verdict: Verdict | None = None
    """The critic's verdict on the last proposal."""
    test_run: TestRun | None = None
    """The last sandbox test run."""
    diff: str = ""
    """Unified diff of the change."""
    file: str | None = None
    """File the record is about, relative to the project root."""
    files: list[FileChange] = Field(default_factory=list)
    """Every file of a change that spans several files (`file` then names the located one); empty otherwise."""
    hash_before: str | None = None
    """SHA-256 of the file before the change."""
    hash_after: str | None = None
    """SHA-256 of the file after the change."""
    model: str | None = None
    """Name of the model that wrote the patch."""
    attempts: int = 0
    """How many patch attempts were made."""
    durations: dict[str, float] = Field(default_factory=dict)
    """Seconds spent per stage."""
    token_usage: dict[str, int] = Field(default_factory=dict)
    """Tokens used by LLM calls (input, output, total)."""
    message: str = ""
    """Human-readable detail."""
    commit: str | None = None
    """Git commit made for this change, if any."""
    backup: str | None = None
    """Backup of the original file, relative to the project root."""
    related_id: str | None = None
    """The audit id this record refers to (an apply it completes or a rollback's target)."""
    alert: str = ""
    """Why this record needs a human's attention (budget exceeded, loop suspected)."""
    isolation: str | None = None
    """The sandbox backend the patch was tested in (`namespaces` or `process`); None when no test ran."""
    runners_up: list[dict[str, Any]] = Field(default_factory=list)
    """Other candidate patches that also passed, for the offline engine's choices."""
    prev_hash: str = ""
    """Hash of the previous record, chaining the log."""
    hash: str = ""
    """Hash of this record (all fields except this one)."""
