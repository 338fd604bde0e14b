"""Turn what an LLM sends as `new_code` into candidate Python snippets: fences, prose, echoed line numbers."""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field

from selfmod.tools.code.source_text import is_blank, leading_ws, string_interior_lines

_FENCE = re.compile(r"^\s*(```|~~~)")
_NUMBER_PREFIX = re.compile(r"^\s*(\d+) ?\|(?: |$)")
_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass
class Snippet:
    """One candidate reading of `new_code`, as `\\n`-separated lines without line endings."""

    lines: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def parses(text: str) -> bool:
    """True when `text` is valid Python on its own."""
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def candidates(new_code: str) -> list[Snippet]:
    """Every plausible code reading of `new_code`: each fenced block, else the whole text."""
    lines = new_code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if parses("\n".join(dedent_lines(lines)) + "\n"):
        return [Snippet(lines, [])]
    blocks = _fenced_blocks(lines)
    if blocks:
        prose = any(not is_blank(line) for line in lines[: blocks[0][0]])
        out = []
        for start, body in blocks:
            note = ["removed markdown code fences"]
            if prose and start == blocks[0][0]:
                note.append("dropped prose before the code block")
            out.append(Snippet(_strip_numbers(body, note), note))
        return out
    notes: list[str] = []
    return [Snippet(_strip_numbers(lines, notes), notes)]


def _fenced_blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Markdown code blocks: fences indented at most 3 columns more than the text's least indented line (deeper
    ones, like a docstring's own example fences, are content), closed by a bare fence."""
    base = min((len(leading_ws(line)) for line in lines if not is_blank(line)), default=0)

    def fence(line: str, closing: bool) -> bool:
        if not _FENCE.match(line) or len(leading_ws(line)) > base + 3:
            return False
        return not closing or line.strip() in ("```", "~~~")

    blocks: list[tuple[int, list[str]]] = []
    i = 0
    while i < len(lines):
        if fence(lines[i], closing=False):
            j = i + 1
            while j < len(lines) and not fence(lines[j], closing=True):
                j += 1
            blocks.append((i, lines[i + 1 : j]))
            i = j + 1
        else:
            i += 1
    return blocks


def _strip_numbers(lines: list[str], notes: list[str]) -> list[str]:
    """Remove `12 | ` prefixes when the model echoed the numbered listing (every non-blank line, ascending)."""
    numbers = []
    for line in lines:
        if is_blank(line):
            continue
        match = _NUMBER_PREFIX.match(line)
        if not match:
            return lines
        numbers.append(int(match.group(1)))
    if len(numbers) < 1 or numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        return lines
    notes.append("removed echoed line numbers")
    return [_NUMBER_PREFIX.sub("", line, count=1) if not is_blank(line) else "" for line in lines]


def _dedent(lines: list[str]) -> list[str]:
    """Remove the indentation common to all code lines; multi-line string content is left as it is."""
    interior = string_interior_lines("\n".join(lines) + "\n")
    prefixes = [leading_ws(line) for no, line in enumerate(lines, 1) if no not in interior and not is_blank(line)]
    common = os.path.commonprefix(prefixes) if prefixes else ""  # noqa: RUF071 (whitespace, char by char)
    return [
        line if no in interior else "" if is_blank(line) else line[len(common) :] for no, line in enumerate(lines, 1)
    ]


def dedent_lines(lines: list[str]) -> list[str]:
    """Remove common indentation; if only the first line lacks it (a common copy slip), indent it to match."""
    body = _dedent(lines)
    if parses("\n".join(body) + "\n") or len(body) < 2 or leading_ws(body[0]):
        return body
    rest = [line for line in body[1:] if not is_blank(line)]
    if not rest:
        return body
    shifted = _dedent([leading_ws(rest[0]) + body[0], *body[1:]])
    return shifted if parses("\n".join(shifted) + "\n") else body


def is_prose(line: str) -> bool:
    """A column-0 line that reads as a sentence, not code."""
    stripped = line.strip()
    if not stripped or leading_ws(line) or stripped.startswith("#"):
        return False
    return not parses(stripped + "\n") and len(_WORD.findall(stripped)) >= 2


def trim_to_parse(lines: list[str], droppable: set[str], limit: int = 8) -> tuple[list[str], int, int] | None:
    """The smallest trim of leading/trailing lines that makes the snippet parse.

    Only prose lines or lines that copy the original file (`droppable`, stripped) may be dropped.
    Returns (lines, dropped at the start, dropped at the end) or None.
    """

    def ok(line: str) -> bool:
        return is_blank(line) or is_prose(line) or line.strip() in droppable

    n = len(lines)
    for total in range(0, 2 * limit + 1):
        for head in range(0, min(total, limit) + 1):
            tail = total - head
            if tail > limit or head + tail >= n:
                continue
            if not all(ok(line) for line in lines[:head]) or not all(ok(line) for line in lines[n - tail :]):
                continue
            kept = dedent_lines(lines[head : n - tail])
            if parses("\n".join(kept) + "\n"):
                return kept, head, tail
    return None
