"""Remove secrets from text before it is stored (audit log, traces): known token shapes and secret env values."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

_TOKEN_PATTERNS = re.compile(
    r"""(?x)
      \bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}        # OpenAI / Anthropic style keys
    | \bgh[pousr]_[A-Za-z0-9]{20,}                   # GitHub tokens
    | \bgithub_pat_[A-Za-z0-9_]{20,}
    | \bxox[abprs]-[A-Za-z0-9\-]{10,}                # Slack tokens
    | \bAKIA[0-9A-Z]{16}\b                           # AWS access key ids
    | \bAIza[0-9A-Za-z_\-]{35}\b                     # Google API keys
    | \bhf_[A-Za-z0-9]{20,}\b                        # Hugging Face tokens
    | \blsv2_[a-z]{2}_[A-Za-z0-9_]{20,}              # LangSmith keys
    | (?<=[Bb]earer\s)[A-Za-z0-9._\-]{16,}
    """
)
_ASSIGNMENT = re.compile(
    r"\b([A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY)[A-Z0-9_]*)"
    r"(\s*[=:]\s*)(['\"]?)([^\s'\"()]{4,})(?![\w(])"
)
_SECRET_NAME = re.compile(r"(?i)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH)")


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of environment variables whose names look secret (long enough to be worth hiding)."""
    env = os.environ if environ is None else environ
    return sorted({v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= 6}, key=len, reverse=True)


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """The text with secret values, token-shaped strings and `NAME=secret` assignments replaced."""
    return _redact(text, secret_values(environ))


def _redact(text: str, secrets: list[str]) -> str:
    for value in secrets:
        text = text.replace(value, REDACTED)
    text = _TOKEN_PATTERNS.sub(REDACTED, text)
    return _ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{REDACTED}", text)


def redact_data(data: Any, environ: Mapping[str, str] | None = None) -> Any:
    """`redact` applied to every string inside nested dicts and lists (the environment is read once)."""
    return _redact_data(data, secret_values(environ))


def _redact_data(data: Any, secrets: list[str]) -> Any:
    if isinstance(data, str):
        return _redact(data, secrets)
    if isinstance(data, dict):
        return {k: _redact_data(v, secrets) for k, v in data.items()}
    if isinstance(data, list):
        return [_redact_data(v, secrets) for v in data]
    return data
