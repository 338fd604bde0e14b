"""Where a reflection points in the project: its traceback frames in the project's own files, the project
symbols it names (quoted, or bare when the name is distinctive) and the files it names, for the extractor's
prompt (the frames of libraries and of the tests are left out)."""

from __future__ import annotations

import re

from selfmod.tools.code.project_index import ProjectIndex

_FRAME = re.compile(r'File "([^"]+)", line (\d+), in ([\w<>.]+)')
_NAME = re.compile(r"[`'\"]([A-Za-z_][\w.]*)(?:\(\))?[`'\"]")
_WORD = re.compile(r"[A-Za-z_][\w.]*\w")
MAX_LINES = 8


def _module_of(path: str, project: ProjectIndex) -> str | None:
    path = path.replace("\\", "/")
    return next(
        (rel for rel in sorted(project.modules, key=len, reverse=True) if path == rel or path.endswith("/" + rel)),
        None,
    )


def pointers(text: str, project: ProjectIndex) -> list[str]:
    """Lines naming the project's own traceback frames (`file:line in function`) and the project symbols the text
    quotes (`'name' in module.py`), most recent frame first, at most MAX_LINES."""
    found: list[str] = []
    for path, line, name in reversed(_FRAME.findall(text)):
        rel = _module_of(path, project)
        if rel is not None and not rel.rsplit("/", 1)[-1].startswith(("test_", "conftest")):
            found.append(f"traceback frame: {rel}, line {line}, in {name}")
    quoted = set(_NAME.findall(text))
    words = set(_WORD.findall(text))
    for rel, module in sorted(project.modules.items()):
        for symbol in module.symbols:
            short = symbol.qualname.rsplit(".", 1)[-1]
            distinctive = "_" in short or len(short) >= 8  # a bare `add` or `run` is likely an English word
            if symbol.qualname in quoted or short in quoted or (distinctive and short in words):
                found.append(f"named in the reflection: {symbol.qualname} ({rel})")
        if rel in text or rel.rsplit("/", 1)[-1] in words:
            found.append(f"file named in the reflection: {rel}")
    return list(dict.fromkeys(found))[:MAX_LINES]
