"""The offline extractor: map a reflection to code without an LLM.

Clues, strongest first: symbols the reflection names (`module.function`, `Class.method`, `file.py:func`,
`pkg/file.py::func`, quoted or backticked names), which win over traceback frames elsewhere; traceback frames
(`File "x.py", line N, in f`, whose line picks one of several same-named nested functions); failing test names
(and what those tests call); bare identifiers that name a project symbol. Every clue is cross-checked against
the code index. Ties go to the symbol whose class or name words the reflection uses ("the Planner's budget
check"), then to coverage-based localisation when tests fail; only then are the candidates reported.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass

from selfmod.config import Settings
from selfmod.models import BugReport, Reflection, Severity
from selfmod.protocols import Extraction
from selfmod.tools.code.code_index import ModuleIndex, Symbol, index_source
from selfmod.tools.code.project_index import ProjectIndex, index_project, python_files
from selfmod.tools.code.source_text import read_source
from selfmod.tools.localize import Localization, localize

TRACE = re.compile(r'File "([^"]+)", line (\d+), in ([\w<>.]+)')
QUOTED = re.compile(r"""[`'"]([A-Za-z_][\w.]*?)(?:\(\))?[`'"]""")
FILE = re.compile(r"[\w./\\-]+\.py\b")
FILE_SYMBOL = re.compile(r"([\w./\\-]+\.py)\s*::?\s*([A-Za-z_][\w.]*)")
DOTTED = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
TEST_NAME = re.compile(r"\b(test_\w+)")
WORD = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n")
SEVERITY = [
    ("critical", re.compile(r"(?i)\b(critical|security|vulnerab\w*|data loss|corrupt\w*)\b")),
    ("high", re.compile(r"(?i)\b(crash\w*|exception|traceback|raises?|hang\w*|infinite loop|segfault)\b")),
    ("low", re.compile(r"(?i)\b(typo|cosmetic|minor|style|warning)\b")),
]


NAMED = 13
"""Points for a symbol the reflection names: more than one traceback frame (12), so the name wins."""


def severity_of(text: str) -> Severity:
    """Severity from wording; medium when nothing stands out."""
    for level, pattern in SEVERITY:
        if pattern.search(text):
            return level  # type: ignore[return-value]
    return "medium"


@dataclass
class _Clues:
    scores: dict[tuple[str, str], float]
    evidence: dict[tuple[str, str], list[str]]

    def add(self, key: tuple[str, str], points: float, why: str) -> None:
        self.scores[key] = self.scores.get(key, 0.0) + points
        self.evidence.setdefault(key, []).append(why)


def _files_named(text: str, project: ProjectIndex) -> set[str]:
    named = {m.group(0).replace("\\", "/").lstrip("./") for m in FILE.finditer(text)}
    return {rel for rel in project.modules for n in named if rel == n or rel.endswith("/" + n) or n.endswith("/" + rel)}


def _symbols_named(module: ModuleIndex, name: str) -> list[Symbol]:
    parts = name.split(".")
    return [s for s in module.symbols if s.plain_qualname.split(".")[-len(parts) :] == parts]


def _module_prefixes(rel: str) -> list[str]:
    """How a reflection may prefix a symbol of this file: its dotted module path and every shorter tail."""
    parts = rel.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return [".".join(parts[i:]) + "." for i in range(len(parts))]


def _named(rel: str, module: ModuleIndex, name: str) -> list[Symbol]:
    """Symbols of the file that a written name (`Class.method`, `pkg.module.func`, `func`) refers to."""
    for prefix in _module_prefixes(rel):
        if name.startswith(prefix) and _symbols_named(module, name[len(prefix) :]):
            return _symbols_named(module, name[len(prefix) :])
    return _symbols_named(module, name)


def _test_calls(settings: Settings, test_names: set[str]) -> set[str]:
    """Names called by the named test functions in the project's test files."""
    called: set[str] = set()
    root = settings.project_root
    for rel in python_files(root):
        base = rel.rsplit("/", 1)[-1]
        if not (base.startswith("test_") or base.endswith("_test.py") or "/tests/" in f"/{rel}"):
            continue
        try:
            tree = ast.parse(read_source(root / rel)[0])
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in test_names:
                for call in ast.walk(node):
                    if isinstance(call, ast.Call):
                        func = call.func
                        called.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return called - {""}


def _collect(reflection: Reflection, project: ProjectIndex, settings: Settings) -> _Clues:
    text = f"{reflection.task_summary}\n{reflection.outcome}\n{reflection.reflection}"
    clues = _Clues({}, {})
    files = _files_named(text, project)
    for path, line, func in TRACE.findall(text):
        for rel in _files_named(path, project):
            module = project.modules[rel]
            inner = module.innermost_at(int(line))
            for sym in [inner] if inner and inner.name == func.split(".")[-1] else _symbols_named(module, func):
                clues.add((rel, sym.qualname), 12, f'File "{path}", line {line}, in {func}')
    for path, name in FILE_SYMBOL.findall(text):
        for rel in _files_named(path, project):
            for sym in _named(rel, project.modules[rel], name):
                clues.add((rel, sym.qualname), NAMED + 3, f"names {path}::{name}")
    written = {m.group(1) for m in QUOTED.finditer(text)} | {m.group(0) for m in DOTTED.finditer(text)}
    for name in sorted(written):
        found = [(rel, sym) for rel, module in project.modules.items() for sym in _named(rel, module, name)]
        for rel, sym in found:
            bonus = 3 if rel in files else 0
            clues.add((rel, sym.qualname), NAMED + bonus - (4 if len(found) > 1 else 0), f"names {name!r}")
    tests = {m.group(1) for m in TEST_NAME.finditer(text)}
    called = _test_calls(settings, tests) if tests else set()
    for rel, module in project.modules.items():
        for sym in module.symbols:
            if sym.name in called:
                clues.add((rel, sym.qualname), 2, "called by the failing test")
            if any(t.removeprefix("test_").startswith(sym.name) for t in tests) and len(sym.name) > 2:
                clues.add((rel, sym.qualname), 3, "named by the failing test")
    words: defaultdict[str, int] = defaultdict(int)
    for m in WORD.finditer(TRACE.sub(" ", text)):  # a frame's function is a frame clue, not a mention
        words[m.group(0)] += 1
    for rel, module in project.modules.items():
        for sym in module.symbols:
            if sym.qualname in words or (sym.name in words and ("_" in sym.name or len(sym.name) >= 6)):
                clues.add((rel, sym.qualname), 5 + (2 if rel in files else 0), f"mentions {sym.name}")
    return clues


def _summary(reflection: Reflection, name: str) -> str:
    for source in (reflection.reflection, reflection.outcome, reflection.task_summary):
        for part in SENTENCE_BREAK.split(source):
            sentence = part.strip().lstrip("-*0123456789. )").strip()
            if name.split(".")[-1] in sentence:
                return sentence
    return (reflection.outcome or reflection.reflection).strip().splitlines()[0][:300]


class OfflineExtractor:
    """The built-in extractor (no LLM)."""

    def __init__(self, settings: Settings, use_localization: bool = True, traced: bool = True) -> None:
        self.settings = settings
        self.use_localization = use_localization
        self.traced = traced
        """Whether a report is also made as a `log_bug_report` tool run (shown in the graph's traces)."""

    def extract(self, reflection: Reflection) -> Extraction:
        project = index_project(self.settings)
        clues = _collect(reflection, project, self.settings)
        if not clues.scores:
            return Extraction(None, "unlocatable", "the reflection names no function, file or test of this project")
        best = max(clues.scores.values())
        top = [key for key, score in clues.scores.items() if score >= best - 1e-9]
        text = f"{reflection.task_summary}\n{reflection.outcome}\n{reflection.reflection}"
        if len(top) > 1:
            top = _by_words(top, text)
        if len(top) > 1 and self.use_localization:
            top = _by_suspiciousness(top, project, localize(self.settings))
        top = _prefer_specific(top)
        if len(top) > 1:
            names = ", ".join(f"{rel}::{q}" for rel, q in sorted(top))
            return Extraction(None, "unlocatable", f"the reflection fits several symbols equally: {names}")
        rel, qualname = top[0]
        text = f"{reflection.outcome}\n{reflection.reflection}"
        report = BugReport(
            filename=rel,
            function=qualname,
            summary=_summary(reflection, qualname),
            severity=severity_of(text),
            evidence=clues.evidence[(rel, qualname)][:5],
            confidence=round(min(1.0, best / 12), 2),
        )
        if self.traced:
            from selfmod.tools.llm_tools import log_bug_report  # LangChain loads only when a report is traced

            log_bug_report.invoke(report.model_dump(mode="json"))  # a tool run in the trace
        return Extraction(report)


def _by_suspiciousness(
    keys: list[tuple[str, str]], project: ProjectIndex, loc: Localization | None
) -> list[tuple[str, str]]:
    if loc is None or not loc.failing:
        return keys
    scored = {k: loc.function_score(project.modules[k[0]], k[1]) for k in keys}
    best = max(scored.values())
    return [k for k, v in scored.items() if v >= best - 1e-9] if best > 0 else keys


def _by_words(keys: list[tuple[str, str]], text: str) -> list[tuple[str, str]]:
    """The keys whose enclosing class, then whose name words, the reflection uses most."""
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}

    def score(key: tuple[str, str]) -> tuple[int, float]:
        parts = [p.split("@")[0] for p in key[1].split(".")]
        owners = sum(1 for p in parts[:-1] if p.lower() in words)
        tokens = [t.lower() for t in parts[-1].split("_") if t]
        return owners, sum(t in words for t in tokens) / max(1, len(tokens))

    best = max(score(k) for k in keys)
    return [k for k in keys if score(k) == best]


def _prefer_specific(keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop a class when one of its own methods is also a candidate."""
    return [k for k in keys if not any(o[0] == k[0] and o[1].startswith(k[1] + ".") for o in keys)]


__all__ = ["OfflineExtractor", "index_source", "severity_of"]
