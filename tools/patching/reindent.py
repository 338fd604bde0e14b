"""Move a block of code to a new base indentation in the file's own indent style (tabs or N spaces)."""

from __future__ import annotations

from selfmod.tools.code.source_text import is_blank, leading_ws


def _width(ws: str, tab: int) -> int:
    return sum(tab if ch == "\t" else 1 for ch in ws)


def code_unit(lines: list[str], base: str, skip: set[int], first_no: int) -> str:
    """The indent step used inside the block: a tab, or the smallest positive run of spaces past `base`."""
    steps: list[str] = []
    for offset, line in enumerate(lines):
        if first_no + offset in skip or is_blank(line):
            continue
        ws = leading_ws(line)
        rel = ws[len(base) :] if ws.startswith(base) else ""
        if rel:
            steps.append(rel)
    if any(step.startswith("\t") for step in steps):
        return "\t"
    spaces = [len(step) for step in steps if set(step) == {" "}]
    return " " * (min(spaces) if spaces else 4)


def reindent(lines: list[str], first_no: int, base: str, target: str, file_unit: str, skip: set[int]) -> list[str]:
    """Re-base `lines` (numbered from `first_no`) from indentation `base` to `target`, converting each level
    from the block's own step to `file_unit`. Lines in `skip` (inside multi-line strings) are left untouched.
    """
    unit = code_unit(lines, base, skip, first_no)
    out: list[str] = []
    for offset, line in enumerate(lines):
        if first_no + offset in skip:
            out.append(line)
            continue
        if is_blank(line):
            out.append("")
            continue
        ws = leading_ws(line)
        rel = ws[len(base) :] if ws.startswith(base) else ""
        if rel and unit != file_unit:
            levels, rest = divmod(_width(rel, len(unit.expandtabs(4))), len(unit.expandtabs(4)))
            rel = file_unit * levels + " " * rest
        out.append(target + rel + line[len(ws) :])
    return out
