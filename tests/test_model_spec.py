"""Model selection from a spec and the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage
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


def test_scripted_spec_answers_from_the_file_in_order(tmp_path: Path) -> None:
    script = tmp_path / "answers.json"
    script.write_text(json.dumps([{"tool": "log_bug_report", "args": {"filename": "a.py"}}, {"text": "no bug"}]))
    model = build_model(f"scripted:{script}")
    assert model is not None and model_name(model) == "scripted"
    first, second = model.invoke("hi"), model.invoke("again")
    assert isinstance(first, AIMessage) and first.tool_calls[0]["name"] == "log_bug_report"
    assert first.tool_calls[0]["args"] == {"filename": "a.py"} and second.content == "no bug"


def test_scripted_spec_with_a_bad_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"'.*missing\.json' cannot be read"):
        build_model(f"scripted:{tmp_path / 'missing.json'}")
    (tmp_path / "x.json").write_text('[{"args": {}}]')
    with pytest.raises(InputError, match=r"x\.json': answer 0 must be"):
        build_model(f"scripted:{tmp_path / 'x.json'}")
