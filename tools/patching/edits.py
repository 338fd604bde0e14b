"""Turn the edits of one file (from `propose_edits`) into its new text, each edit located by symbol, not by line.

A symbol edit goes through the patch engine (`apply_proposal`) as the complete new definition of that symbol,
so fences, prose, echoed numbers, indentation, tabs and CRLF are repaired exactly as for `propose_code_patch`.
A `<module>` edit goes through `module_edits`. A symbol the file does not define yet is added as a new top-level
definition. The edits apply one after the other, each located again in the text the previous ones produced.
"""

from __future__ import annotations

import ast

from selfmod.errors import CodeIndexError
from selfmod.models import MODULE_LEVEL, CodeContext, Edit, PatchProposal, Rejection, RejectionCode
from selfmod.tools.code.code_index import index_source, normalize_name, resolve
from selfmod.tools.code.source_text import indent_unit, newline_of, split_lines, string_interior_lines
from selfmod.tools.patching.code_cleanup import candidates, dedent_lines, parses
from selfmod.tools.patching.module_edits import edit_module_level
from selfmod.tools.patching.patch_engine import PatchOutcome, apply_proposal
from selfmod.tools.patching.reindent import reindent

MODULE_ALIASES = frozenset({MODULE_LEVEL, "module", "<module-level>", "module-level", "__module__", "<toplevel>"})
"""What models write for "module-level statements"."""


def is_module_level(symbol: str) -> bool:
    """True when an edit's symbol means module-level statements."""
    return symbol.strip().strip("`'\"").lower() in MODULE_ALIASES


def edit_file(rel: str, source: str, edits: list[Edit]) -> PatchOutcome:
    """The new text of `source` (the current text of `rel`) after all `edits`, or every reason it cannot be built."""
    text, notes, rejections = source, [], []
    for number, edit in enumerate(edits, 1):
        label = f"edit {number} ({edit.symbol} in {rel})"
        if is_module_level(edit.symbol):
            out = edit_module_level(text, rel, edit.new_code, edit.old_code)
        else:
            out = _edit_symbol(text, rel, edit)
        if out.new_text is not None and [r.code for r in out.rejections] == [RejectionCode.NO_OP] and len(edits) > 1:
            notes.append(f"{label} changes nothing; ignored")
            continue
        notes += [f"{label}: {note}" for note in out.notes]
        if out.rejections or out.new_text is None:
            rejections += [Rejection(code=r.code, message=f"{label}: {r.message}") for r in out.rejections]
            continue
        text = out.new_text
    if rejections:
        return PatchOutcome(None, rejections, notes)
    if ast.dump(ast.parse(text)) == ast.dump(ast.parse(source)):
        return PatchOutcome(None, [Rejection(code=RejectionCode.NO_OP, message=f"the edits do not change {rel}")])
    return PatchOutcome(text, [], notes)


def _edit_symbol(text: str, rel: str, edit: Edit) -> PatchOutcome:
    try:
        index = index_source(text, rel)
    except CodeIndexError as exc:
        return _reject(RejectionCode.UNLOCATED, f"{rel} cannot be parsed: {exc}")
    name = normalize_name(edit.symbol.split("::")[-1], rel)
    found = resolve(index, name)
    if found.status == "not_found" and "." not in name:
        return _add_definition(text, rel, name, edit.new_code)
    if found.status != "found" or found.symbol is None:
        return _reject(RejectionCode.UNLOCATED, found.reason)
    sym = found.symbol
    context = CodeContext(
        file=rel,
        symbol=edit.symbol,
        qualified_name=sym.qualname,
        kind=sym.kind,
        start_line=sym.start,
        end_line=sym.end,
        context_start=sym.start,
        context_end=sym.end,
        code="",
        file_sha256="",
    )
    proposal = PatchProposal(filename=rel, start_line=sym.start, end_line=sym.end, new_code=edit.new_code)
    return apply_proposal(proposal, context, text)


def _add_definition(text: str, rel: str, name: str, new_code: str) -> PatchOutcome:
    """A new top-level function or class: before an `if __name__ == "__main__":` block, else at the end."""
    for snippet in candidates(new_code):
        code = dedent_lines(snippet.lines)
        if not parses("\n".join(code) + "\n"):
            continue
        body = ast.parse("\n".join(code) + "\n").body
        names = [s.name for s in body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
        if names != [name] or len(body) != 1:
            continue
        nl = newline_of(text)
        lines = split_lines(text)
        code = reindent(code, 1, "", "", indent_unit(text), string_interior_lines("\n".join(code) + "\n"))
        block = [line + nl for line in code]
        main = next((s.lineno for s in ast.parse(text).body if _is_main_guard(s)), None)
        if main is None:
            head = "".join(lines).rstrip("\r\n") + nl
            new_text = head + nl + nl + "".join(block)
        else:
            new_text = "".join(lines[: main - 1]) + "".join(block) + nl + nl + "".join(lines[main - 1 :])
        notes = [*snippet.notes, f"added the new definition {name} to {rel}"]
        return PatchOutcome(new_text, [], notes, "symbol", "", "".join(block))
    return _reject(
        RejectionCode.UNLOCATED,
        f"{rel} defines no {name!r}, and new_code is not one new top-level definition of it",
    )


def _is_main_guard(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test) and "__name__" in ast.unparse(stmt.test)


def _reject(code: RejectionCode, message: str) -> PatchOutcome:
    return PatchOutcome(None, [Rejection(code=code, message=message)])
