"""Force one tool call, parse and validate it, repair bad answers, retry transient failures."""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import tenacity
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ValidationError

from selfmod.agents.text_tool_calls import tool_call_from_text, unescaped_code
from selfmod.errors import LLMOutputError, LLMUnavailableError, PromptTooLongError
from selfmod.protocols import Usage

T = TypeVar("T", bound=BaseModel)
Chosen = tuple[BaseTool, BaseModel]


def transient_errors() -> tuple[type[BaseException], ...]:
    """Exceptions worth a retry: connection problems, timeouts, rate limits and 5xx answers."""
    kinds: list[type[BaseException]] = [ConnectionError, TimeoutError]
    try:
        import openai

        kinds += [openai.APIConnectionError, openai.APITimeoutError, openai.InternalServerError, openai.RateLimitError]
    except ImportError:  # pragma: no cover - langchain-openai is a dependency
        pass
    try:
        import httpx

        kinds += [httpx.TransportError]
    except ImportError:  # pragma: no cover
        pass
    return tuple(kinds)


OVERFLOW_WORDS = ("context length", "context window", "maximum context", "too many tokens", "exceed")
"""How OpenAI, vLLM and llama.cpp servers word a prompt longer than the model's context (in a 400 answer)."""


def is_context_overflow(exc: BaseException) -> bool:
    """True for a 400 answer saying the prompt does not fit the model's context window."""
    status = getattr(exc, "status_code", None)
    text = str(exc).lower()
    return status in (400, 413, 422) and any(word in text for word in OVERFLOW_WORDS)


def estimated_tokens(text: str) -> int:
    """About how many tokens a text is (four characters a token), for servers that report no usage."""
    return (len(text) + 3) // 4


def usage_of(message: AIMessage, sent: Sequence[BaseMessage] = ()) -> Usage:
    """Token usage reported on a message; estimated from the text sent and received when the server reports
    none (some OpenAI-compatible servers omit `usage`)."""
    meta: dict[str, Any] = dict(message.usage_metadata or {})
    if meta.get("total_tokens") or meta.get("input_tokens"):
        return Usage(
            input_tokens=int(meta.get("input_tokens", 0)),
            output_tokens=int(meta.get("output_tokens", 0)),
            total_tokens=int(meta.get("total_tokens", 0)),
            calls=1,
        )
    sent_text = "".join(str(m.content) for m in sent)
    answer = str(message.content) + json.dumps([c.get("args") for c in message.tool_calls])
    prompt, completion = estimated_tokens(sent_text), estimated_tokens(answer)
    return Usage(input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion, calls=1)


@dataclass
class ToolAnswer(Generic[T]):
    """A validated tool call and what it cost."""

    args: T
    usage: Usage
    attempts: int


@dataclass(frozen=True)
class CallPolicy:
    """How hard to try: repair retries for bad answers, retries with backoff for transient errors."""

    max_repairs: int = 2
    transient_retries: int = 3
    backoff_initial: float = 0.5
    backoff_max: float = 8.0


def _code_unescaped(value: Any) -> Any:
    """The arguments with code written on one line with `\\n` escapes read as its lines (`unescaped_code`)."""
    if isinstance(value, str):
        return unescaped_code(value)
    if isinstance(value, dict):
        return {k: _code_unescaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_code_unescaped(v) for v in value]
    return value


def _problem(message: AIMessage, choices: Sequence[tuple[BaseTool, type[BaseModel]]]) -> tuple[Chosen | None, str]:
    names = {tool.name: (tool, schema) for tool, schema in choices}
    wanted = " or ".join(names)
    calls: list[Any] = [c for c in message.tool_calls if c["name"] in names]
    if not calls and isinstance(message.content, str):
        required = {name: schema.model_json_schema().get("required", []) for name, (_, schema) in names.items()}
        written = tool_call_from_text(message.content, required)  # a server that ignored tool_choice
        calls = [{"name": written[0], "args": written[1]}] if written else []
    if not calls:
        broken = [c for c in message.invalid_tool_calls if c.get("name") in (*names, None)]
        if broken:
            return None, f"the arguments of your {wanted} call are not valid JSON: {broken[0].get('args')!r:.300}"
        text = str(message.content)[:200]
        return None, f"you did not call {wanted}" + (f" (you wrote: {text!r})" if text else "")
    tool, schema = names[calls[0]["name"]]
    try:
        return (tool, schema.model_validate(_code_unescaped(calls[0]["args"]))), ""
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return None, f"the arguments of your {tool.name} call are invalid: {details}"


def _jitter_params(policy: CallPolicy) -> Any:
    """Backoff settings for tenacity's exponential jitter (newer tenacity names the base `multiplier`)."""
    first = (
        "multiplier" if "multiplier" in inspect.signature(tenacity.wait_exponential_jitter).parameters else "initial"
    )
    return {first: policy.backoff_initial, "max": policy.backoff_max, "jitter": policy.backoff_initial}


def retrying(runnable: Any, policy: CallPolicy) -> Any:
    """The model (or a model with tools bound) retrying transient failures with backoff, as `policy` says."""
    return runnable.with_retry(
        retry_if_exception_type=transient_errors(),
        stop_after_attempt=policy.transient_retries + 1,
        exponential_jitter_params=_jitter_params(policy),
    )


def ask(runnable: Any, conversation: list[BaseMessage], usage: Usage) -> AIMessage:
    """One answer of a `retrying` model, its failures as selfmod's errors (carrying the `usage` spent so far)."""
    try:
        message = runnable.invoke(conversation)
    except transient_errors() as exc:
        raise LLMUnavailableError(
            f"the model could not be reached: {type(exc).__name__}: {exc}", usage.as_dict()
        ) from exc
    except Exception as exc:
        if is_context_overflow(exc):
            raise PromptTooLongError(f"the server refused the prompt as too long: {exc}", usage.as_dict()) from exc
        raise
    if not isinstance(message, AIMessage):
        raise LLMOutputError(f"the model returned {type(message).__name__}, not an assistant message", usage.as_dict())
    return message


def call_tool(
    model: BaseChatModel, messages: list[BaseMessage], tool: BaseTool, schema: type[T], policy: CallPolicy
) -> ToolAnswer[T]:
    """Ask the model to call `tool` (forced), validate its arguments against `schema`, and repair when needed."""
    _, answer = call_one_of(model, messages, [(tool, schema)], policy)
    return ToolAnswer(cast(T, answer.args), answer.usage, answer.attempts)


def call_one_of(
    model: BaseChatModel,
    messages: list[BaseMessage],
    choices: Sequence[tuple[BaseTool, type[BaseModel]]],
    policy: CallPolicy,
) -> tuple[BaseTool, ToolAnswer[BaseModel]]:
    """Ask the model to call one of the tools (forced: that one, or any of several), validate, repair when needed."""
    tools = [tool for tool, _ in choices]
    wanted = " or ".join(tool.name for tool in tools)
    choice = tools[0].name if len(tools) == 1 else "any"

    def bind(tool_choice: str) -> Any:
        return retrying(model.bind_tools(tools, tool_choice=tool_choice), policy)

    bound = bind(choice)
    schemas = {tool.name: schema.model_json_schema()["properties"] for tool, schema in choices}
    shown = json.dumps(schemas[tools[0].name] if len(tools) == 1 else schemas)[: 1500 * len(tools)]
    conversation = list(messages)
    usage = Usage()
    for attempt in range(1, policy.max_repairs + 2):
        message = ask(bound, conversation, usage)
        usage = usage.add(usage_of(message, conversation))
        chosen, problem = _problem(message, choices)
        if chosen is not None:
            return chosen[0], ToolAnswer(chosen[1], usage, attempt)
        conversation.append(
            HumanMessage(
                content=f"Your answer could not be used: {problem}. Call {wanted} again, once, with arguments "
                f"that match its schema: {shown}"
            )
        )
        if choice == "any":  # a server that ignores "required" usually honours a named tool (constrained output)
            choice = tools[0].name
            bound = bind(choice)
    raise LLMOutputError(
        f"no valid {wanted} call after {policy.max_repairs} repair attempt(s): {problem}", usage.as_dict()
    )
