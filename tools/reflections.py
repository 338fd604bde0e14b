"""The agent's reflections file: strict loading with clear errors, stable ids, atomic appends."""

from __future__ import annotations

import hashlib
import json
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from selfmod.errors import ReflectionsFileError
from selfmod.models import Reflection
from selfmod.tools.changes.atomic import atomic_write_text
from selfmod.tools.changes.locks import project_lock

MAX_REFLECTIONS_BYTES = 50 * 2**20
"""Largest reflections file selfmod reads (checked with stat before reading)."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of lists and objects accepted in a reflections file."""


@dataclass
class LoadedReflections:
    """The usable entries of a reflections file and a warning for each skipped one."""

    entries: list[Reflection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def reflection_id(entry: Reflection) -> str:
    """The entry's own id, else a deterministic hash of its content."""
    if entry.id:
        return entry.id
    content = json.dumps(
        [entry.timestamp, entry.task_summary, entry.outcome, entry.reflection], ensure_ascii=False
    ).encode()
    return "r-" + hashlib.sha256(content).hexdigest()[:16]


def _nesting_depth(data: Any) -> int:
    """How deeply lists and objects nest in parsed JSON (iterative, so no depth can overflow the stack)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _read_json(path: Path) -> Any:
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise ReflectionsFileError(f"reflections file {path} does not exist") from exc
    except OSError as exc:
        raise ReflectionsFileError(f"reflections file {path} cannot be read: {exc.strerror}") from exc
    if stat.S_ISDIR(info.st_mode):
        raise ReflectionsFileError(f"reflections file {path} is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise ReflectionsFileError(f"reflections file {path} is not a regular file")
    if info.st_size > MAX_REFLECTIONS_BYTES:
        raise ReflectionsFileError(
            f"reflections file {path} is {info.st_size} bytes; the limit is {MAX_REFLECTIONS_BYTES // 2**20} MiB"
        )
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_REFLECTIONS_BYTES + 1)
    except OSError as exc:
        raise ReflectionsFileError(f"reflections file {path} cannot be read: {exc.strerror}") from exc
    if len(raw) > MAX_REFLECTIONS_BYTES:
        raise ReflectionsFileError(f"reflections file {path} grew past {MAX_REFLECTIONS_BYTES // 2**20} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReflectionsFileError(f"reflections file {path} is not UTF-8 (byte {exc.start})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReflectionsFileError(
            f"reflections file {path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise ReflectionsFileError(f"reflections file {path} nests deeper than {MAX_JSON_DEPTH} levels") from exc
    if _nesting_depth(data) > MAX_JSON_DEPTH:
        raise ReflectionsFileError(f"reflections file {path} nests deeper than {MAX_JSON_DEPTH} levels")
    return data


def load_reflections(path: Path) -> LoadedReflections:
    """Load a JSON list of reflections; entries of the wrong shape are skipped with a warning."""
    data = _read_json(path)
    if not isinstance(data, list):
        raise ReflectionsFileError(f"reflections file {path} must hold a JSON list, not {type(data).__name__}")
    loaded = LoadedReflections()
    for position, raw in enumerate(data):
        if not isinstance(raw, dict):
            loaded.warnings.append(f"{path}: entry {position} is a {type(raw).__name__}, not an object; skipped")
            continue
        try:
            entry = Reflection.model_validate(raw)
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) or "entry" for e in exc.errors())
            loaded.warnings.append(f"{path}: entry {position} has wrong or missing fields ({fields}); skipped")
            continue
        if entry.id is None:
            entry = entry.model_copy(update={"id": reflection_id(entry)})
        loaded.entries.append(entry)
    return loaded


def append_reflection(path: Path, state_dir: Path, entry: Reflection) -> None:
    """Append one entry atomically under the project lock; a corrupt file is never overwritten."""
    with project_lock(state_dir):
        data = _read_json(path) if path.exists() else []
        if not isinstance(data, list):
            raise ReflectionsFileError(f"reflections file {path} must hold a JSON list; not appending")
        data.append(entry.model_dump(mode="json", exclude_none=True))
        atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
