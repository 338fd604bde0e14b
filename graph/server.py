"""The graph as served by `langgraph dev` / LangGraph Studio (declared in langgraph.json; absolute imports only).

Each run's configuration chooses the project and the model:

    config = {"configurable": {"project": "/path/to/agent", "model": "openai:gpt-4o-mini", "auto_approve": False}}

`model` takes the CLI's specs (`openai:<name>`, `offline`) plus `scripted:<file.json>`, a scripted model for
exercising a server without an LLM. Without configuration: $SELFMOD_PROJECT (or the working directory) and the
default model from the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig

from selfmod.config import load_settings
from selfmod.graph.build import build_graph
from selfmod.model_spec import build_model
from selfmod.testing import ScriptedChatModel


def model_for(spec: str | None) -> BaseChatModel | None:
    """A chat model from a spec; `scripted:<file>` reads a script of tool calls and texts from JSON."""
    if spec and spec.startswith("scripted:"):
        return ScriptedChatModel.from_file(Path(spec.removeprefix("scripted:")))
    return build_model(spec)


def make_graph(config: RunnableConfig) -> Any:
    """Build the self-modification graph for one run's configuration (the server adds its own persistence)."""
    configurable = config.get("configurable") or {}
    project = configurable.get("project") or os.environ.get("SELFMOD_PROJECT") or "."
    settings = load_settings(Path(project), auto_approve=configurable.get("auto_approve"))
    return build_graph(model=model_for(configurable.get("model")), settings=settings)
