"""Model selection: `openai:<name>` (any OpenAI-compatible endpoint), `offline`, or a sensible default."""

from __future__ import annotations

import os
from collections.abc import Mapping

from langchain_core.language_models import BaseChatModel

from selfmod.errors import InputError

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
OFFLINE = "offline"


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
    provider, _, name = spec.partition(":")
    if provider != "openai" or not name:
        raise InputError(f"unknown model {spec!r}: use 'openai:<model name>' or 'offline'")
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


def model_name(model: BaseChatModel | None) -> str:
    """A readable name for audit records."""
    if model is None:
        return OFFLINE
    return str(getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__)
