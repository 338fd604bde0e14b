"""The one exception hierarchy of selfmod. Code raises these; only the boundaries (CLI, graph nodes) catch them.

SelfmodError
├── InputError                 bad user input: a file, a path, an option (CLI exit code 2)
│   ├── ConfigError            invalid settings or [tool.selfmod] table
│   ├── ReflectionsFileError   reflections file missing or not valid JSON
│   └── UnsafePathError        a path that escapes the project root or is protected
├── CodeIndexError             a Python file cannot be read or parsed for indexing
├── PromptError                a prompt template is missing or a variable was not supplied
├── SandboxError               the sandbox could not be prepared or the test command not started
├── ApplyError                 a tested patch could not be applied (changed file, lock, I/O)
├── AuditError                 the audit log cannot be written or read
└── LLMError                   the model could not be used for a reflection (carries the tokens used)
    ├── LLMUnavailableError    HTTP errors or timeouts that outlasted the retries
    ├── PromptTooLongError     the server refused the prompt as longer than its context window
    └── LLMOutputError         no valid tool call after the repair retries
        └── NoFixError         the offline engine found no repair that passes the tests (`no_fix`)
"""

from __future__ import annotations


class SelfmodError(Exception):
    """Base of every error selfmod raises on purpose."""


class InputError(SelfmodError):
    """Bad user input; the message names the input."""


class ConfigError(InputError):
    """Invalid settings."""


class ReflectionsFileError(InputError):
    """The reflections file is missing or corrupt."""


class UnsafePathError(InputError):
    """A path escapes the project root or targets a protected file."""


class CodeIndexError(SelfmodError):
    """A Python source file cannot be read or parsed."""


class PromptError(SelfmodError):
    """A prompt template is missing or a variable was not supplied."""


class SandboxError(SelfmodError):
    """The sandbox could not be prepared or the test command could not be started."""


class ApplyError(SelfmodError):
    """A tested patch could not be applied."""


class AuditError(SelfmodError):
    """The audit log cannot be written or read."""


class LLMError(SelfmodError):
    """The model could not be used for a reflection."""

    def __init__(self, message: str, usage: dict[str, int] | None = None) -> None:
        super().__init__(message)
        self.usage = usage or {}


class LLMUnavailableError(LLMError):
    """HTTP errors or timeouts that outlasted the retries."""


class PromptTooLongError(LLMError):
    """The server refused the request because the prompt exceeds its context window (the caller may shrink it)."""


class LLMOutputError(LLMError):
    """No valid tool call after the repair retries."""


class NoFixError(LLMOutputError):
    """The offline engine tried and found no repair that passes the tests (reported as `no_fix`, with what it tried)."""
