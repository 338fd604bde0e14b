"""Model selection from a spec and the environment."""

from __future__ import annotations

import pytest
from langchain_openai import ChatOpenAI

from selfmod.errors import InputError
from selfmod.model_spec import build_model, default_spec, model_name


def test_default_is_openai_with_a_key_else_offline() -> None:
    assert default_spec({}) == "offline"
    assert default_spec({"OPENAI_API_KEY": "sk-x"}) == "openai:gpt-4o-mini"
    assert default_spec({"OPENAI_API_KEY": "sk-x", "SELFMOD_MODEL": "qwen2.5-coder"}) == "openai:qwen2.5-coder"


def test_openai_spec_honours_base_url_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    model = build_model("openai:llama3.1", streaming=True)
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "llama3.1" and str(model.root_client.base_url) == "http://127.0.0.1:11434/v1/"
    assert model.streaming and model.max_retries == 0 and model_name(model) == "llama3.1"


def test_offline_and_bad_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert build_model("offline") is None and model_name(None) == "offline"
    with pytest.raises(InputError, match="unknown model 'gpt-4'"):
        build_model("gpt-4")
    with pytest.raises(InputError, match="needs OPENAI_API_KEY"):
        build_model("openai:gpt-4o")
