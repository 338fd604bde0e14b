"""Retrieve one symbol's code with numbered context lines and the file's hash (`extract_code_block`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from selfmod.errors import CodeIndexError, InputError
from selfmod.models import CodeContext
from selfmod.tools.code.code_index import ModuleIndex, Resolution, index_source, numbered, resolve
from selfmod.tools.code.source_text import read_source, sha256_bytes
from selfmod.tools.path_safety import relative_path


@dataclass(frozen=True)
class Located:
    """A successful retrieval: the context plus the parsed module it came from."""

    context: CodeContext
    index: ModuleIndex


def load_module(root: Path, filename: str) -> tuple[str, ModuleIndex, str]:
    """Read and index a project file; returns (relative path, index, sha256 of the bytes)."""
    rel = relative_path(root, filename)
    path = root.resolve() / rel
    if not path.is_file():
        raise InputError(f"{filename!r} is not a file in the project {root}")
    try:
        text, raw = read_source(path)
    except UnicodeDecodeError as exc:
        raise CodeIndexError(f"{rel}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    return rel, index_source(text, rel), sha256_bytes(raw)


def extract_code_block(
    root: Path, filename: str, symbol: str, context_lines: int = 5, summary: str = ""
) -> Located | Resolution:
    """The symbol's block plus `context_lines` lines either side, numbered; or why it cannot be resolved.

    Raises UnsafePathError/InputError for paths outside the project or missing files, and CodeIndexError
    for files that do not parse.
    """
    rel, index, digest = load_module(root, filename)
    resolution = resolve(index, symbol, summary)
    if resolution.status != "found" or resolution.symbol is None:
        return resolution
    sym = resolution.symbol
    lines = index.lines
    first = max(1, sym.start - context_lines)
    last = min(len(lines), sym.end + context_lines)
    ctx = CodeContext(
        file=rel,
        symbol=symbol,
        qualified_name=sym.qualname,
        kind=sym.kind,
        start_line=sym.start,
        end_line=sym.end,
        context_start=first,
        context_end=last,
        code=numbered(lines, first, last),
        file_sha256=digest,
    )
    return Located(ctx, index)
