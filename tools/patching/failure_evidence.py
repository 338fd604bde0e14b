"""What the tests say about a bug, for the patch prompt: the failing tests' ids, their assertion messages and
tracebacks (trimmed to the lines that carry information), and the source of the failing tests that call the
function (bounded; a test function parametrized into several failing ids is shown once), all within a character
budget. Terminal colour codes are dropped (a project's pytest settings may force colour)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

from selfmod.errors import SelfmodError
from selfmod.models import BugReport, CodeContext, TestRun
from selfmod.protocols import BaselineSource, TestRunner

MAX_TESTS = 3
MESSAGE_LINES = 12
LINE_CHARS = 160
TEST_LINES = 25
_SITE = re.compile(r"^(?P<path>[\w./\\-]+\.py):(?P<line>\d+):")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def without_colour(text: str) -> str:
    """The text without terminal colour and cursor codes."""
    return _ANSI.sub("", text)


def trimmed_failure(message: str) -> str:
    """The informative lines of a pytest failure: the failing source line (`>`), the error lines (`E`) and the
    `file:line:` locations, the last MESSAGE_LINES of them, each cut to LINE_CHARS."""
    message = without_colour(message)
    kept = [
        line.rstrip()[:LINE_CHARS]
        for line in message.splitlines()
        if line.startswith((">", "E ")) or _SITE.match(line.strip())
    ]
    if not kept:
        kept = [line.rstrip()[:LINE_CHARS] for line in message.strip().splitlines()[-MESSAGE_LINES:]]
    return "\n".join(kept[-MESSAGE_LINES:])


def source_of_test(root: Path, node_id: str) -> str:
    """The source of the test function a pytest node id names (`path::Class::test[param]`), at most TEST_LINES
    lines; empty when it cannot be read."""
    path, _, rest = node_id.partition("::")
    names = [part.split("[", 1)[0] for part in rest.split("::") if part]
    try:
        text = (root / path).read_text(encoding="utf-8")
        node: ast.AST = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return ""
    for name in names:
        found = next(
            (
                n
                for n in ast.iter_child_nodes(node)
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == name
            ),
            None,
        )
        if found is None:
            return ""
        node = found
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return ""
    lines = text.splitlines()[node.lineno - 1 : node.end_lineno]
    if len(lines) > TEST_LINES:
        lines = [*lines[:TEST_LINES], "    ..."]
    return "\n".join(lines)


def failure_evidence(root: Path, run: TestRun, function: str, max_chars: int) -> str:
    """The evidence section for `function` (a name or `Class.method`) from an unpatched test run; empty when no
    test fails."""
    failing = [t for t in run.tests if t.outcome in ("failed", "error")]
    if not failing or max_chars <= 0:
        return ""
    short = function.split(".")[-1]
    sources = {t.name: source_of_test(root, t.name) for t in failing}
    ordered = sorted(failing, key=lambda t: (short not in sources[t.name] and short not in t.message, t.name))
    # A test that reaches the function only through a public caller still says what is expected.
    indirect = not any(short in source for source in sources.values())
    names = ", ".join(t.name for t in ordered[:8]) + (" ..." if len(ordered) > 8 else "")
    text = f"Failing tests ({len(failing)}): {names}\n"
    shown: set[str] = set()
    for test in ordered[:MAX_TESTS]:
        block = f"\n### {test.name}\n"
        source = sources[test.name]
        relevant = bool(source) and (indirect or short in source)
        if relevant and source in shown:
            block += "(the test function above)\n"
        elif relevant:
            block += f"```python\n{source}\n```\n"
            shown.add(source)
        block += f"Failure:\n```\n{trimmed_failure(test.message)}\n```\n"
        if len(text) + len(block) > max_chars:
            room = max_chars - len(text)
            if room > 200:
                text += block[:room] + "\n[...]\n"
            break
        text += block
    return text


def failure_sites(run: TestRun, file: str, start: int, end: int) -> list[tuple[int, str]]:
    """The lines `start`..`end` of `file` that the failing tests' tracebacks pass through, each with the error the
    test ends with (its first `E` line), in the order first seen."""
    sites: dict[int, str] = {}
    for test in run.tests:
        if test.outcome not in ("failed", "error"):
            continue
        lines = without_colour(test.message).splitlines()
        error = next((line[1:].strip() for line in lines if line.startswith("E ") and line[1:].strip()), "")
        for line in lines:
            match = _SITE.match(line.strip())
            path = match["path"].replace("\\", "/") if match else ""
            if match and (path == file or path.endswith("/" + file)) and start <= int(match["line"]) <= end:
                sites.setdefault(int(match["line"]), error[:LINE_CHARS])
    return list(sites.items())


def evidence_from(tester: TestRunner, root: Path) -> Callable[[BugReport, CodeContext, int], str]:
    """The LLM patcher's evidence: from the tester's unpatched run when it has one (else nothing)."""

    def evidence(bug: BugReport, context: CodeContext, max_chars: int) -> str:
        if not isinstance(tester, BaselineSource):
            return ""
        try:
            run = tester.baseline()
        except SelfmodError:
            return ""
        return failure_evidence(root, run, context.qualified_name or bug.function, max_chars)

    return evidence


def sites_from(tester: TestRunner) -> Callable[[CodeContext], list[tuple[int, str]]]:
    """Where the unpatched run's failing tests fail inside a located definition (`failure_sites`), if known."""

    def sites(context: CodeContext) -> list[tuple[int, str]]:
        if not isinstance(tester, BaselineSource):
            return []
        try:
            run = tester.baseline()
        except SelfmodError:
            return []
        return failure_sites(run, context.file, context.start_line, context.end_line)

    return sites
