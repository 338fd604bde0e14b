"""Tool calls a server wrote as text: when a model answers with a JSON object in its message (in a ```json fence
or not) instead of a structured `tool_calls` entry, as small models served with `tool_choice` "auto" or
"required" do, the call is read from the text.

Accepted shapes: `{"name": T, "arguments": {...}}` (also "parameters", "args", "input", or "arguments" as a JSON
string), `{"tool": T, "args": {...}}`, `{"function": {"name": T, "arguments": ...}}`, a list of those (the first
wanted one counts), and, when one tool is wanted, its bare arguments object (recognised by the tool's required
fields). Python triple-quoted strings as values are read as strings.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from selfmod.tools.patching.code_cleanup import parses

ARG_KEYS = ("arguments", "parameters", "args", "input")


def _objects(text: str) -> Iterator[Any]:
    """Every JSON value that starts at a `{` or `[` in the text and parses, outermost first."""
    decoder = json.JSONDecoder(strict=False)  # models write code with raw newlines inside JSON strings
    position = 0
    while position < len(text):
        starts = [i for i in (text.find("{", position), text.find("[", position)) if i >= 0]
        if not starts:
            return
        start = min(starts)
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            position = start + 1
            continue
        yield value
        position = end


def _as_call(value: Any, wanted: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, Any]] | None:
    if isinstance(value, list):
        return next((call for item in value if (call := _as_call(item, wanted)) is not None), None)
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("function"), dict):
        return _as_call(value["function"], wanted)
    name = value.get("name", value.get("tool"))
    if isinstance(name, str) and name in wanted:
        args = next((value[k] for k in ARG_KEYS if k in value), None)
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                return None
        return (name, args) if isinstance(args, dict) else None
    if len(wanted) == 1:
        [(only, required)] = wanted.items()
        if required and all(field in value for field in required):
            return only, value
    return None


_TRIPLE = re.compile(r'(:\s*)("""|\'\'\')(.*?)\2(?=\s*[,}\]])', re.DOTALL)


def _json_strings(text: str) -> str:
    """Python triple-quoted values (`"new_code": <three quotes>def f(): ...<three quotes>`, as small models write
    code) made JSON strings; a value ends at the first closing quotes followed by `,`, `}` or `]`, so docstrings
    inside it stay."""
    return _TRIPLE.sub(lambda m: m.group(1) + json.dumps(unescaped_code(m.group(3))), text)


_ESCAPE = re.compile(r"\\([\\'\"nt])")
_ESCAPED = {"n": "\n", "t": "\t"}


def unescaped_code(value: str) -> str:
    """Code written on one line with `\\n` escapes left in (in Python triple quotes, or escaped twice in a JSON
    string, as small models write it) read as the lines it stands for: the escapes become the newlines, tabs,
    quotes and backslashes they stand for, when that makes it parse and it did not before. Anything else stays."""
    if "\n" in value or "\\n" not in value or parses(textwrap.dedent(value)):
        return value
    decoded = _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), value)
    return decoded if parses(textwrap.dedent(decoded)) else value


def tool_call_from_text(text: str, wanted: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, Any]] | None:
    """(tool name, arguments) of the first call of a wanted tool written in `text`, or None. `wanted` maps each
    tool name to its required argument names."""
    for value in [*_objects(text), *_objects(_json_strings(text))]:
        call = _as_call(value, wanted)
        if call is not None:
            return call
    return None
