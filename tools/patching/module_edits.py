"""A `<module>` edit: replace module-level statements (imports, constants, regexes), located by what they define.

A new statement is anchored on the file's module-level statements that bind the same names (an import of the
same module counts too); statements copied unchanged from the file are only context. The changed statements
must sit in one run of module-level statements with no definition in between, and every file statement in that
run must be sent again. With `old_code`, the exact current lines are searched instead (a search/replace block).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from selfmod.models import Rejection, RejectionCode
from selfmod.tools.code.source_text import indent_unit, newline_of, split_lines, string_interior_lines, strip_eol
from selfmod.tools.patching.code_cleanup import candidates, dedent_lines, parses, trim_to_parse
from selfmod.tools.patching.patch_engine import PatchOutcome
from selfmod.tools.patching.placeholders import lazy_comment_problems
from selfmod.tools.patching.reindent import reindent

_DEFINITION = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class _Block:
    """Lines `first..last` (1-based, inclusive) of a text."""

    first: int
    last: int


def _reject(code: RejectionCode, message: str, notes: list[str]) -> PatchOutcome:
    return PatchOutcome(None, [Rejection(code=code, message=message)], notes)


def _bound(target: ast.expr) -> set[str]:
    if isinstance(target, ast.Name):
        return {f"name:{target.id}"}
    if isinstance(target, ast.Tuple | ast.List):
        return set().union(*(_bound(elt) for elt in target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _bound(target.value)
    return {f"target:{ast.unparse(target)}"}


def statement_keys(stmt: ast.stmt) -> set[str]:
    """What a module-level statement defines: bound names, assignment targets, the module it imports from."""
    if isinstance(stmt, ast.Import):
        return {f"name:{alias.asname or alias.name.split('.')[0]}" for alias in stmt.names}
    if isinstance(stmt, ast.ImportFrom):
        return {f"from:{'.' * stmt.level}{stmt.module or ''}"} | {f"name:{a.asname or a.name}" for a in stmt.names}
    if isinstance(stmt, ast.Assign):
        return set().union(*(_bound(t) for t in stmt.targets))
    if isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        return _bound(stmt.target)
    keys = {f"stmt:{ast.dump(stmt)}"}
    for node in ast.walk(stmt):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.Import | ast.ImportFrom) and node is not stmt:
            keys |= {k for k in statement_keys(node) if not k.startswith("stmt:")}
    return keys


def _readings(new_code: str, outside: set[str]) -> list[tuple[list[str], list[str]]]:
    """Parseable readings of new_code (fences, prose, indentation repaired), each with its notes."""
    out = []
    for snippet in candidates(new_code):
        code = dedent_lines(snippet.lines)
        notes = list(snippet.notes)
        if not parses(_text(code)):
            trimmed = trim_to_parse(snippet.lines, outside)
            if trimmed is None:
                continue
            code, head, tail = trimmed
            if head or tail:
                notes.append(f"dropped {head + tail} line(s) of prose around the code")
        out.append((code, notes))
    return out


def edit_module_level(source: str, rel: str, new_code: str, old_code: str = "") -> PatchOutcome:
    """The new text of `source` with the module-level statements of `new_code` in place, or why not."""
    if not new_code.strip():
        return _reject(RejectionCode.EMPTY, f"the <module> edit of {rel} has no new_code", [])
    lines = split_lines(source)
    readings = _readings(new_code, {line.strip() for line in lines if line.strip()})
    if not readings:
        return _reject(RejectionCode.SYNTAX, f"the new_code of the <module> edit of {rel} is not valid Python", [])
    outcomes = [_Splice(source, rel, code, notes).build(old_code) for code, notes in readings]
    return min(outcomes, key=lambda o: (o.new_text is None, len(o.rejections)))


class _Splice:
    def __init__(self, source: str, rel: str, code: list[str], notes: list[str]) -> None:
        self.source, self.rel, self.code, self.notes = source, rel, code, notes
        self.lines = split_lines(source)
        self.tree = ast.parse(source)
        self.new = ast.parse(_text(code)).body

    def build(self, old_code: str) -> PatchOutcome:
        defined = [s for s in self.new if isinstance(s, _DEFINITION)]
        if defined:
            name = defined[0].name
            return self._fail(
                RejectionCode.SCOPE,
                f"a <module> edit holds module-level statements only; send {name} as its own edit with symbol {name!r}",
            )
        if old_code.strip():
            return self._search_replace(old_code)
        return self._anchored()

    def _fail(self, code: RejectionCode, message: str) -> PatchOutcome:
        return _reject(code, message, self.notes)

    def _search_replace(self, old_code: str) -> PatchOutcome:
        wanted = [line.strip() for line in candidates(old_code)[0].lines if line.strip()]
        content = [(no, line.strip()) for no, line in enumerate(self.lines, 1) if line.strip()]
        for i in range(len(content) - len(wanted) + 1):
            if [text for _, text in content[i : i + len(wanted)]] == wanted:
                block = _Block(content[i][0], content[i + len(wanted) - 1][0])
                self.notes.append(f"replaced lines {block.first}-{block.last} of {self.rel} found by old_code")
                return self._finish(block, self.code)
        return self._fail(
            RejectionCode.UNLOCATED, f"old_code of the <module> edit was not found in {self.rel}; copy it exactly"
        )

    def _anchored(self) -> PatchOutcome:
        file_stmts = [s for s in self.tree.body if not isinstance(s, _DEFINITION)]
        dumps = {ast.dump(s) for s in file_stmts}
        changed = [i for i, s in enumerate(self.new) if ast.dump(s) not in dumps]
        if not changed:
            return self._fail(RejectionCode.NO_OP, f"the <module> edit of {self.rel} repeats the current statements")
        portion = self.new[changed[0] : changed[-1] + 1]
        if len(portion) < len(self.new):
            self.notes.append(f"kept the file's own text for {len(self.new) - len(portion)} copied statement(s)")
        matches = [f for f in file_stmts if any(statement_keys(f) & statement_keys(s) for s in portion)]
        code = self.code[_first_line(self.code, portion[0]) - 1 : (portion[-1].end_lineno or portion[-1].lineno)]
        if not matches:
            return self._insert(code)
        block = _Block(min(f.lineno for f in matches), max(f.end_lineno or f.lineno for f in matches))
        between = [s for s in self.tree.body if isinstance(s, _DEFINITION) and block.first < s.lineno < block.last]
        if between:
            return self._fail(
                RejectionCode.SCOPE,
                f"the statements this <module> edit replaces (lines {block.first}-{block.last} of {self.rel}) are "
                f"not one block: {between[0].name} lies between them; send one <module> edit per block",
            )
        keys = set().union(*(statement_keys(s) for s in portion))
        dropped = [f for f in file_stmts if block.first <= f.lineno <= block.last and not statement_keys(f) & keys]
        if dropped:
            text = strip_eol(self.lines[dropped[0].lineno - 1]).strip()
            return self._fail(
                RejectionCode.SCOPE,
                f"the <module> edit of {self.rel} would drop line {dropped[0].lineno} ({text!r}), which lies "
                f"between the statements it changes; send it too, or use old_code for an exact replacement",
            )
        first = block.first
        sent = {line.strip() for line in code if line.strip().startswith("#")}
        while first > 1 and self.lines[first - 2].strip().startswith("#") and self.lines[first - 2].strip() in sent:
            first -= 1
        return self._finish(_Block(first, block.last), code)

    def _insert(self, code: list[str]) -> PatchOutcome:
        """New statements only: after the last module-level import, else after the docstring, before definitions."""
        body = self.tree.body
        imports = [s for s in body if isinstance(s, ast.Import | ast.ImportFrom)]
        first_def = next((s.lineno for s in body if isinstance(s, _DEFINITION)), len(self.lines) + 1)
        after: list[ast.stmt] = [s for s in imports if s.lineno < first_def]
        after = after or [s for s in body[:1] if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)]
        if all(isinstance(s, ast.Import | ast.ImportFrom) for s in self.new) or not after:
            at = (after[-1].end_lineno or after[-1].lineno) if after else 0
        else:
            plain = [s for s in body if not isinstance(s, _DEFINITION) and s.lineno < first_def]
            at = plain[-1].end_lineno or plain[-1].lineno
        self.notes.append(f"inserted new module-level statement(s) after line {at} of {self.rel}")
        return self._finish(_Block(at + 1, at), code)

    def _finish(self, block: _Block, code: list[str]) -> PatchOutcome:
        nl = newline_of(self.source)
        body = reindent(code, 1, "", "", indent_unit(self.source), string_interior_lines(_text(code)))
        new_lines = [line + nl for line in body]
        tail = self.lines[block.last :]
        head = self.lines[: block.first - 1]
        if head and head[-1] == strip_eol(head[-1]):
            head[-1] += nl
        if not tail and self.lines and self.lines[-1] == strip_eol(self.lines[-1]) and new_lines:
            new_lines[-1] = strip_eol(new_lines[-1])
        new_text = "".join(head + new_lines + tail)
        old_segment = "".join(self.lines[block.first - 1 : block.last])
        outcome = PatchOutcome(new_text, [], self.notes, "", old_segment, "".join(new_lines))
        try:
            new_tree = ast.parse(new_text)
        except SyntaxError as exc:
            outcome.rejections.append(
                Rejection(
                    code=RejectionCode.SYNTAX,
                    message=f"{self.rel} does not parse after the <module> edit: line {exc.lineno}: {exc.msg}",
                )
            )
            return outcome
        if ast.dump(new_tree) == ast.dump(self.tree):
            outcome.rejections.append(
                Rejection(code=RejectionCode.NO_OP, message=f"the <module> edit does not change {self.rel}")
            )
        outcome.rejections += [
            Rejection(code=RejectionCode.PLACEHOLDER, message=problem)
            for problem in lazy_comment_problems(self.source, _text(code))
        ]
        return outcome


def _first_line(code: list[str], stmt: ast.stmt) -> int:
    """The statement's first line in `code`, moved up over the comment lines right above it."""
    first = stmt.lineno
    while first > 1 and code[first - 2].strip().startswith("#"):
        first -= 1
    return first


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"
