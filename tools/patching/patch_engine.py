"""Turn a `propose_code_patch` proposal into the new file text, locating the change by content, not line numbers.

The target is the symbol recorded at context retrieval, found again by qualified name in the current text.
When `new_code` holds a definition of that symbol, exactly the symbol's lines are replaced and everything
else in the file is kept byte for byte; line numbers matter only for fragments of a body.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from selfmod.errors import CodeIndexError
from selfmod.models import CodeContext, PatchProposal, Rejection, RejectionCode
from selfmod.tools.code.code_index import ModuleIndex, Symbol, index_source
from selfmod.tools.code.source_text import (
    indent_unit,
    leading_ws,
    newline_of,
    split_lines,
    string_interior_lines,
    strip_eol,
)
from selfmod.tools.patching.code_cleanup import Snippet, candidates, dedent_lines, parses, trim_to_parse
from selfmod.tools.patching.patch_targets import end_with_comments, find_target, is_whole_file, proposal_range
from selfmod.tools.patching.placeholders import lazy_comment_problems, stub_problems
from selfmod.tools.patching.reindent import reindent

Mode = Literal["symbol", "fragment", "whole_file", ""]


@dataclass
class PatchOutcome:
    """The engine's answer: the new file text (when one could be built), and any rejections."""

    new_text: str | None
    rejections: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mode: Mode = ""
    old_segment: str = ""
    new_segment: str = ""

    @property
    def ok(self) -> bool:
        """True when a new text exists and nothing was rejected."""
        return self.new_text is not None and not self.rejections


def _reject(code: RejectionCode, message: str, notes: list[str] | None = None) -> PatchOutcome:
    return PatchOutcome(None, [Rejection(code=code, message=message)], notes or [])


def same_path(a: str, b: str) -> bool:
    """Project-relative paths equal after normalising separators and `./`."""

    def norm(p: str) -> str:
        return "/".join(part for part in p.replace("\\", "/").split("/") if part not in ("", "."))

    return norm(a) == norm(b)


def apply_proposal(
    proposal: PatchProposal,
    context: CodeContext,
    source: str,
    *,
    bug_filename: str | None = None,
    enforce_scope: bool = True,
) -> PatchOutcome:
    """Build the patched text of `source` (the file's current text) for `proposal`, or say why not."""
    if not same_path(proposal.filename, context.file) or (bug_filename and not same_path(bug_filename, context.file)):
        named = bug_filename if bug_filename and not same_path(bug_filename, context.file) else context.file
        return _reject(
            RejectionCode.WRONG_FILE,
            f"the patch names {proposal.filename!r} but the bug is in {named!r}; patch {named!r} only",
        )
    try:
        index = index_source(source, context.file)
    except CodeIndexError as exc:
        return _reject(RejectionCode.UNLOCATED, f"the current {context.file} cannot be parsed: {exc}")
    sym = index.by_qualname(context.qualified_name)
    if sym is None:
        return _reject(RejectionCode.UNLOCATED, f"{context.qualified_name} no longer exists in {context.file}")
    if not proposal.new_code.strip():
        return _reject(RejectionCode.EMPTY, "new_code is empty; send the complete fixed function")
    outcomes = [
        _Builder(proposal, sym, index, snippet, enforce_scope).build() for snippet in candidates(proposal.new_code)
    ]
    return min(outcomes, key=_preference)


def _preference(outcome: PatchOutcome) -> tuple[int, int]:
    """Rank readings of new_code: a definition of the target over a fragment, parseable over broken."""
    broken = outcome.new_text is None or any(r.code == RejectionCode.SYNTAX for r in outcome.rejections)
    return (int(broken), 0 if outcome.mode in ("symbol", "whole_file") else 1)


class _Builder:
    def __init__(
        self, proposal: PatchProposal, sym: Symbol, index: ModuleIndex, snippet: Snippet, enforce_scope: bool
    ) -> None:
        self.proposal, self.sym, self.index = proposal, sym, index
        self.lines = index.lines
        self.nl = newline_of(index.source)
        self.unit = indent_unit(index.source)
        self.notes = list(snippet.notes)
        self.raw = snippet.lines
        self.enforce_scope = enforce_scope
        self.outside = {
            line.strip() for no, line in enumerate(self.lines, 1) if not sym.start <= no <= sym.end and line.strip()
        }

    def build(self) -> PatchOutcome:
        code = dedent_lines(self.raw)
        if [line for line in code if line.strip()] != [line for line in self.raw if line.strip()]:
            self.notes.append("re-indented new_code to the target's indentation")
        if not parses(_text(code)):
            trimmed = trim_to_parse(self.raw, self.outside)
            if trimmed is not None:
                code, head, tail = trimmed
                if head or tail:
                    self.notes.append(f"dropped {head + tail} line(s) of prose or copied context around the code")
        if parses(_text(code)):
            code_index = index_source(_text(code))
            target = find_target(code_index, self.sym) or self._renamed(code_index)
            if target is not None:
                return self._symbol_mode(code, code_index, target)
        return self._fragment_mode(code)

    def _renamed(self, code_index: ModuleIndex) -> Symbol | None:
        tops = code_index.top_level()
        start, end = proposal_range(self.proposal)
        if (
            len(tops) == 1
            and start <= self.sym.def_line <= end
            and tops[0].kind.value.endswith("class") == self.sym.kind.value.endswith("class")
        ):
            return tops[0]
        return None

    def _symbol_mode(self, code: list[str], code_index: ModuleIndex, target: Symbol) -> PatchOutcome:
        seg_first, seg_last = target.start, end_with_comments(code, target)
        extras = [
            line
            for no, line in enumerate(code, 1)
            if not seg_first <= no <= seg_last and line.strip() and not line.strip().startswith("#")
        ]
        new_extras = [line.strip() for line in extras if line.strip() not in self.outside]
        if new_extras:
            if self.enforce_scope:
                return _reject(
                    RejectionCode.SCOPE,
                    f"new_code changes code outside {self.sym.qualname} (e.g. {new_extras[0]!r}); only "
                    f"{self.sym.qualname} may change: send just the fixed {self.sym.qualname}",
                    self.notes,
                )
            if is_whole_file(code_index, self.index):
                return self._finish([], code, "whole_file", replace=(1, len(self.lines)), whole=True)
            copied = [no for no, line in enumerate(code, 1) if line.strip() and line.strip() not in self.outside]
            seg_first, seg_last = min(copied[0], seg_first), max(copied[-1], seg_last)
        else:
            dropped = sum(1 for line in extras if line.strip())
            if dropped:
                self.notes.append(f"kept the file's own text for {dropped} copied context line(s)")
        interior = _interior(code)
        body = reindent(
            code[seg_first - 1 : seg_last],
            seg_first,
            leading_ws(code[target.start - 1]),
            self.sym.indent,
            self.unit,
            interior,
        )
        if self.sym.def_line > self.sym.start and target.def_line == target.start and seg_first == target.start:
            body = [strip_eol(line) for line in self.lines[self.sym.start - 1 : self.sym.def_line - 1]] + body
            self.notes.append("kept the original decorators, which new_code left out")
        return self._finish(body, code, "symbol", replace=(self.sym.start, self.sym.end))

    def _fragment_mode(self, code: list[str]) -> PatchOutcome:
        start, end = proposal_range(self.proposal)
        if self.proposal.end_line < self.proposal.start_line:
            return _reject(
                RejectionCode.UNLOCATED,
                f"end_line {self.proposal.end_line} is before start_line {self.proposal.start_line}; "
                f"send the whole fixed {self.sym.qualname}",
                self.notes,
            )
        start, end = self._anchor(code, start, end)
        if not (self.sym.start <= start and end <= self.sym.end):
            return _reject(
                RejectionCode.SCOPE,
                f"new_code does not define {self.sym.qualname} and lines {start}-{end} are not inside it "
                f"(lines {self.sym.start}-{self.sym.end}); send the whole fixed {self.sym.qualname}",
                self.notes,
            )
        lead = next((line for line in code if line.strip()), "")
        body = reindent(code, 1, leading_ws(lead), leading_ws(self.lines[start - 1]), self.unit, _interior(code))
        self.notes.append(f"new_code is a fragment: replaced lines {start}-{end} inside {self.sym.qualname}")
        return self._finish(body, code, "fragment", replace=(start, end))

    def _anchor(self, code: list[str], start: int, end: int) -> tuple[int, int]:
        """Shift a stale range onto the lines whose text matches the fragment's first and/or last line."""
        content = [line.strip() for line in code if line.strip()]
        if not content:
            return start, end
        deltas = (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5)

        def text(no: int) -> str | None:
            return self.lines[no - 1].strip() if 1 <= no <= len(self.lines) else None

        checks: list[Callable[[int], bool]] = [
            lambda d: text(start + d) == content[0] and text(end + d) == content[-1],
            lambda d: text(start + d) == content[0],
            lambda d: text(end + d) == content[-1],
        ]
        for check in checks:
            for delta in deltas:
                if check(delta) and self.sym.start <= start + delta and end + delta <= self.sym.end:
                    if delta:
                        self.notes.append(f"line numbers were off by {delta}; matched the range by content")
                    return start + delta, end + delta
        return start, end

    def _finish(
        self, body: list[str], code: list[str], mode: Mode, replace: tuple[int, int], whole: bool = False
    ) -> PatchOutcome:
        first, last = replace
        if whole:
            body = reindent(code, 1, "", "", self.unit, _interior(code))
            self.notes.append("new_code is the whole file; replaced it (scope checks are off)")
        new_lines = [line + self.nl for line in body]
        tail_has_eol = self.lines[last - 1] != strip_eol(self.lines[last - 1]) if self.lines else True
        if last == len(self.lines) and not tail_has_eol and new_lines:
            new_lines[-1] = strip_eol(new_lines[-1])
        out_lines = self.lines[: first - 1] + new_lines + self.lines[last:]
        new_text = "".join(out_lines)
        delta = len(out_lines) - len(self.lines)
        old_segment = "".join(self.lines[self.sym.start - 1 : self.sym.end])
        new_segment = new_text if whole else "".join(out_lines[self.sym.start - 1 : self.sym.end + delta])
        outcome = PatchOutcome(new_text, [], self.notes, mode, old_segment, new_segment)
        outcome.rejections = _judge(self.index.source, new_text, old_segment, new_segment, self.sym)
        if not any(r.code == RejectionCode.SYNTAX for r in outcome.rejections):
            outcome.rejections += [
                Rejection(code=RejectionCode.PLACEHOLDER, message=problem)
                for problem in lazy_comment_problems(self.index.source, _text(code))
            ]
        return outcome


def _judge(old_text: str, new_text: str, old_segment: str, new_segment: str, sym: Symbol) -> list[Rejection]:
    try:
        new_tree = ast.parse(new_text)
    except SyntaxError as exc:
        line = strip_eol(split_lines(new_text)[exc.lineno - 1]) if exc.lineno else ""
        return [
            Rejection(
                code=RejectionCode.SYNTAX,
                message=f"the patched file does not parse: line {exc.lineno}: {exc.msg} ({line.strip()!r})",
            )
        ]
    if ast.dump(new_tree) == ast.dump(ast.parse(old_text)):
        return [
            Rejection(
                code=RejectionCode.NO_OP,
                message=f"the patch does not change what {sym.qualname} does (only whitespace or comments differ)",
            )
        ]
    problems = stub_problems(_dedent_text(old_segment), _dedent_text(new_segment))
    return [Rejection(code=RejectionCode.PLACEHOLDER, message=p) for p in problems]


def _dedent_text(segment: str) -> str:
    return _text(dedent_lines([strip_eol(line) for line in split_lines(segment)]))


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _interior(code: list[str]) -> set[int]:
    return string_interior_lines(_text(code))
