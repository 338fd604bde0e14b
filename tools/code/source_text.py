"""Line-level facts about Python source text: line splitting as Python counts lines, newline and indent style."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tokenize
from collections import Counter

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")


def split_lines(text: str) -> list[str]:
    """Split like the Python tokenizer does (only \\r\\n, \\n and \\r end lines), keeping the line ends.

    `str.splitlines` also splits on form feeds and Unicode separators, which would shift line numbers
    relative to `ast` in files holding such characters.
    """
    return _LINE_RE.findall(text)


def strip_eol(line: str) -> str:
    """The line without its line ending."""
    return line.rstrip("\r\n")


def newline_of(text: str) -> str:
    """The file's dominant line ending."""
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    return "\r\n" if crlf > lf else "\n"


def leading_ws(line: str) -> str:
    """The indentation of a line (spaces and tabs)."""
    return line[: len(line) - len(line.lstrip(" \t"))]


def is_blank(line: str) -> bool:
    """True for lines holding only whitespace."""
    return not line.strip()


def indent_unit(text: str) -> str:
    """The file's indentation step (a tab, or N spaces): the most common increase at INDENT tokens."""
    steps: Counter[str] = Counter()
    stack = [""]
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.INDENT:
                outer = stack[-1]
                step = tok.string[len(outer) :] if tok.string.startswith(outer) else tok.string
                steps["\t" if "\t" in step else step] += 1
                stack.append(tok.string)
            elif tok.type == tokenize.DEDENT:
                stack.pop()
    except (tokenize.TokenError, SyntaxError):
        pass
    return steps.most_common(1)[0][0] if steps else "    "


def string_interior_lines(source: str) -> set[int]:
    """1-based numbers of lines that lie inside a multi-line string (after its first line).

    Their leading whitespace is string content, so re-indenting must leave them alone. Uses the tokenizer,
    so it works on snippets that do not parse yet (wrong indentation, a fragment of a body).
    """
    lines: set[int] = set()
    fstring_starts: list[int] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            name = tokenize.tok_name[tok.type]
            if name == "FSTRING_START":
                fstring_starts.append(tok.start[0])
            elif name == "FSTRING_END" and fstring_starts:
                lines.update(range(fstring_starts.pop() + 1, tok.end[0] + 1))
            elif tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                lines.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass
    return lines


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """Hex SHA-256 of text encoded as UTF-8 (what the file holds when written by selfmod)."""
    return sha256_bytes(text.encode("utf-8"))


def read_source(path: str | os.PathLike[str], *, errors: str = "strict") -> tuple[str, bytes]:
    """Read a source file as (text, raw bytes), keeping its line endings exactly."""
    with open(path, "rb") as fh:
        raw = fh.read()
    return raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8", errors=errors), raw
