"""Actions: what a host agent can do, with a pydantic parameter model validated before every execution."""

from __future__ import annotations

import asyncio
import inspect
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError

from selfmod.errors import InputError


class ActionError(InputError):
    """An action was called with missing, unknown or invalid parameters, or refused its input."""


class Action(ABC):
    """Base of every action: a name, a description, a parameter model and `execute(**params)` (sync or async)."""

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[BaseModel]]

    def validate(self, params: dict[str, Any]) -> BaseModel:
        """The validated parameters; unknown or missing ones are an error naming the action and the fields."""
        known = set(self.Params.model_fields)
        unknown = sorted(set(params) - known)
        if unknown:
            raise ActionError(f"action {self.name!r} has no parameter(s) {', '.join(unknown)} (known: {sorted(known)})")
        try:
            return self.Params.model_validate(params)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise ActionError(f"action {self.name!r}: {problems}") from exc

    @abstractmethod
    def execute(self, **params: Any) -> Any:
        """Do the action with validated parameters (may be `async def`)."""

    def run(self, **params: Any) -> Any:
        """Validate, then execute; an async `execute` is run to completion."""
        values = self.validate(params)
        result = self.execute(**dict(values))
        if inspect.isawaitable(result):
            return asyncio.run(_await(result))
        return result

    async def arun(self, **params: Any) -> Any:
        """Validate, then execute (awaiting an async `execute`)."""
        values = self.validate(params)
        result = self.execute(**dict(values))
        return await result if inspect.isawaitable(result) else result


async def _await(value: Any) -> Any:
    return await value


def check_action_class(cls: type) -> str:
    """Why `cls` is not a usable Action subclass ('' when it is)."""
    if not (isinstance(cls, type) and issubclass(cls, Action)) or cls is Action:
        return f"{cls!r} is not an Action subclass"
    if inspect.isabstract(cls):
        return f"{cls.__name__} is abstract"
    for attr in ("name", "description"):
        if not isinstance(getattr(cls, attr, None), str) or not getattr(cls, attr):
            return f"{cls.__name__} has no {attr}"
    params = getattr(cls, "Params", None)
    if not (isinstance(params, type) and issubclass(params, BaseModel)):
        return f"{cls.__name__}.Params is not a pydantic model"
    try:
        params.model_json_schema()
    except Exception as exc:  # a broken model is reported, whatever pydantic raised
        return f"{cls.__name__}.Params has no valid JSON schema: {exc}"
    return ""
