"""A scripted chat model for testing graphs that use selfmod, without any LLM or network.

    model = ScriptedChatModel(responses=[
        tool_call("log_bug_report", filename="llm.py", function="dummy_function", summary="fails on ''"),
        tool_call("propose_code_patch", filename="llm.py", start_line=4, end_line=6, new_code=FIXED),
    ])
    graph = selfmod.build_graph(model=model, settings=settings)

Each call pops the next response: an AIMessage, a string (plain text, i.e. no tool call), or a function of the
messages that returns either. `model.calls` records the messages of every call for assertions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import Field


def tool_call(name: str, **args: Any) -> AIMessage:
    """An assistant message that calls tool `name` with `args`."""
    return AIMessage(
        content="",
        tool_calls=[{"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}],
    )


def broken_tool_call(name: str, raw_arguments: str) -> AIMessage:
    """An assistant message whose tool-call arguments are not valid JSON (as real models sometimes send)."""
    return AIMessage(
        content="",
        invalid_tool_calls=[
            {
                "name": name,
                "args": raw_arguments,
                "id": f"call_{uuid.uuid4().hex[:12]}",
                "error": "arguments are not valid JSON",
                "type": "invalid_tool_call",
            }
        ],
    )


class ScriptedChatModel(BaseChatModel):
    """A chat model that answers from a script; raises when the script runs out."""

    responses: list[Any] = Field(default_factory=list)
    """The remaining scripted responses, consumed in order."""
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    """The messages of every call so far."""
    model_name: str = "scripted"
    """Reported as the model's name in audit records."""
    tokens_per_call: int = 10
    """Input and output tokens reported per call, so usage accounting can be tested."""

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Accept tools like a real model; the script decides what is called."""
        return self.bind(tools=[getattr(t, "name", str(t)) for t in tools], tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        if not self.responses:
            raise RuntimeError(f"ScriptedChatModel: no scripted response left for call {len(self.calls)}")
        item = self.responses.pop(0)
        if isinstance(item, BaseException):
            raise item
        answer = item(messages) if callable(item) else item
        message = AIMessage(content=answer) if isinstance(answer, str) else answer.model_copy()
        message.usage_metadata = {
            "input_tokens": self.tokens_per_call,
            "output_tokens": self.tokens_per_call,
            "total_tokens": 2 * self.tokens_per_call,
        }
        message.response_metadata = {"model_name": self.model_name}
        return ChatResult(generations=[ChatGeneration(message=message)])

    @classmethod
    def from_file(cls, path: Path) -> ScriptedChatModel:
        """A model answering from a JSON list of `{"tool": name, "args": {...}}` or `{"text": "..."}` items."""
        items = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            responses=[tool_call(i["tool"], **i.get("args", {})) if "tool" in i else i.get("text", "") for i in items]
        )

    def transcript(self) -> str:
        """Every call's messages as text (handy in assertion messages)."""
        return json.dumps([[m.type + ": " + str(m.content) for m in call] for call in self.calls], indent=1)
