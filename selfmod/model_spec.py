"""Model selection: `openai:<name>` (any OpenAI-compatible endpoint), `offline`, `scripted:<file.json>` (answers
from a script of tool calls, as the served graph accepts), or a sensible default."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from selfmod.errors import InputError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
OFFLINE = "offline"
SCRIPTED = "scripted:"


def default_spec(environ: Mapping[str, str] | None = None) -> str:
    """`openai:$SELFMOD_MODEL` (or the default name) when OPENAI_API_KEY is set, else `offline`."""
    env = os.environ if environ is None else environ
    if env.get("OPENAI_API_KEY"):
        return "openai:" + (env.get("SELFMOD_MODEL") or DEFAULT_OPENAI_MODEL)
    return OFFLINE


def build_model(spec: str | None, *, timeout: float = 120.0, streaming: bool = False) -> BaseChatModel | None:
    """The chat model for a spec; None means the built-in offline engine.

    `openai:<name>` builds `ChatOpenAI`, which reads OPENAI_API_KEY and OPENAI_BASE_URL, so OpenAI, vLLM,
    Ollama, llama.cpp's server and LM Studio all work.
    """
    spec = (spec or default_spec()).strip()
    if spec == OFFLINE:
        return None
    if spec.startswith(SCRIPTED):
        return scripted_model(Path(spec.removeprefix(SCRIPTED)))
    provider, _, name = spec.partition(":")
    if provider != "openai" or not name:
        raise InputError(f"unknown model {spec!r}: use 'openai:<model name>', 'offline' or 'scripted:<file.json>'")
    from langchain_openai import ChatOpenAI

    api_key = os.environ.get("OPENAI_API_KEY") or ("not-needed" if os.environ.get("OPENAI_BASE_URL") else None)
    if api_key is None:
        raise InputError(f"model {spec!r} needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)")
    return ChatOpenAI(
        model=name,
        api_key=api_key,
        temperature=0,
        timeout=timeout,
        max_retries=0,
        streaming=streaming,
        stream_usage=True,
    )


def scripted_model(path: Path) -> BaseChatModel:
    """A `ScriptedChatModel` from a JSON list of `{"tool": name, "args": {...}}` or `{"text": "..."}` items."""
    from selfmod.testing import ScriptedChatModel

    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"scripted model file {str(path)!r} cannot be read: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"scripted model file {str(path)!r} is not valid JSON: {exc}") from exc
    if not isinstance(items, list):
        raise InputError(f"scripted model file {str(path)!r} must hold a JSON list of answers")
    for n, item in enumerate(items):
        good = isinstance(item, dict) and (
            (isinstance(item.get("tool"), str) and isinstance(item.get("args", {}), dict))
            or (isinstance(item.get("text"), str) and "tool" not in item)
        )
        if not good:
            raise InputError(
                f"scripted model file {str(path)!r}: answer {n} must be "
                '{"tool": "<name>", "args": {...}} or {"text": "..."}'
            )
    return ScriptedChatModel.from_file(path)


def model_name(model: BaseChatModel | None) -> str:
    """A readable name for audit records."""
    if model is None:
        return OFFLINE
    return str(getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__)
