"""The registry of a host agent's actions: register, discover, describe for prompts, expose as LangChain tools."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from langchain_core.tools import StructuredTool

from selfmod.tools.registry.actions import Action, check_action_class


@dataclass
class Discovery:
    """What `discover_actions` did: the actions it registered and why others failed."""

    registered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def instantiate(cls: type[Action], deps: dict[str, Any]) -> Action:
    """Create an action, passing only the dependencies its constructor accepts."""
    if cls.__init__ is object.__init__:
        return cls()
    accepted = inspect.signature(cls.__init__).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    return cls(**{k: v for k, v in deps.items() if takes_any or k in accepted})


class ActionRegistry:
    """Named actions; the core actions are registered when a workspace is given."""

    def __init__(self, deps: dict[str, Any] | None = None, core: bool = True) -> None:
        self.deps = dict(deps or {})
        self.actions: dict[str, Action] = {}
        if core and "workspace" in self.deps:
            from selfmod.tools.registry.core_actions import ExecutePythonFileAction, WritePythonCodeAction

            for cls in (WritePythonCodeAction, ExecutePythonFileAction):
                self.register_action(instantiate(cls, self.deps))

    def register_action(self, action: Action, overwrite: bool = False) -> bool:
        """Add an action; a name clash warns and is refused unless `overwrite`."""
        problem = check_action_class(type(action))
        if problem:
            raise TypeError(problem)
        if action.name in self.actions and not overwrite:
            warnings.warn(f"action {action.name!r} is already registered; not replaced", stacklevel=2)
            return False
        self.actions[action.name] = action
        return True

    def register_module(self, module: ModuleType) -> Discovery:
        """Register every usable Action subclass defined in a module, reporting the ones that fail."""
        found = Discovery()
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, Action) or cls is Action:
                continue
            problem = check_action_class(cls)
            if problem:
                found.failed[f"{module.__name__}.{cls.__name__}"] = problem
                continue
            try:
                action = instantiate(cls, self.deps)
            except Exception as exc:  # a failing constructor is reported, not hidden
                found.failed[f"{module.__name__}.{cls.__name__}"] = f"{type(exc).__name__}: {exc}"
                continue
            if self.register_action(action):
                found.registered.append(action.name)
            else:
                found.failed[f"{module.__name__}.{cls.__name__}"] = f"name {action.name!r} already registered"
        return found

    def discover_actions(self, package: str | ModuleType) -> Discovery:
        """Import every module of a package and register the Action subclasses found there."""
        pkg = importlib.import_module(package) if isinstance(package, str) else package
        found = Discovery()
        for info in pkgutil.walk_packages(getattr(pkg, "__path__", []), prefix=pkg.__name__ + "."):
            try:
                module = importlib.import_module(info.name)
            except Exception as exc:  # an import error is reported per module
                found.failed[info.name] = f"import failed: {type(exc).__name__}: {exc}"
                continue
            part = self.register_module(module)
            found.registered += part.registered
            found.failed.update(part.failed)
        return found

    def get_action_definitions(self) -> str:
        """The actions as text for a prompt: name, description, parameters with types and required flags."""
        lines = ["Available actions:"]
        for name, action in sorted(self.actions.items()):
            lines.append(f"- {name}: {action.description}")
            schema = action.Params.model_json_schema()
            required = set(schema.get("required", []))
            for param, spec in schema.get("properties", {}).items():
                kind = spec.get("type") or " | ".join(s.get("type", "?") for s in spec.get("anyOf", [])) or "any"
                flag = "required" if param in required else "optional"
                lines.append(f"    - {param} ({kind}, {flag}): {spec.get('description', '')}".rstrip(": "))
        return "\n".join(lines)

    def as_tools(self) -> list[StructuredTool]:
        """LangChain tools whose argument schemas are the actions' parameter models."""
        tools = []
        for action in self.actions.values():

            def call(_action: Action = action, **kwargs: Any) -> Any:
                return _action.run(**kwargs)

            async def acall(_action: Action = action, **kwargs: Any) -> Any:
                return await _action.arun(**kwargs)

            tools.append(
                StructuredTool.from_function(
                    func=call,
                    coroutine=acall,
                    name=action.name,
                    description=action.description,
                    args_schema=action.Params,
                )
            )
        return tools
