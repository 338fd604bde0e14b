"""Prompt templates (`*.md`) and their strict renderer: a missing variable is an error, never a blank."""

from __future__ import annotations

import string
from importlib.resources import files

from selfmod.errors import PromptError


def load(name: str) -> str:
    """The raw text of `prompts/<name>.md`."""
    resource = files("selfmod.prompts").joinpath(f"{name}.md")
    if not resource.is_file():
        raise PromptError(f"no prompt template named {name!r} (looked for {name}.md in selfmod.prompts)")
    return resource.read_text(encoding="utf-8")


def render(name: str, **variables: object) -> str:
    """Fill `${var}` placeholders of a template; raise PromptError naming any missing variable."""
    template = string.Template(load(name))
    needed = {m.group("named") or m.group("braced") for m in template.pattern.finditer(template.template)} - {None}
    missing = sorted(str(n) for n in needed if n not in variables)
    if missing:
        raise PromptError(f"prompt {name!r} needs variable(s) {', '.join(missing)}")
    return template.substitute({k: str(v) for k, v in variables.items()})
