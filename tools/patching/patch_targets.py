"""Finding the target inside an LLM's `new_code`: the matching definition, its real end, the proposal's range."""

from __future__ import annotations

from selfmod.models import PatchProposal
from selfmod.tools.code.code_index import ModuleIndex, Symbol
from selfmod.tools.code.source_text import leading_ws


def proposal_range(proposal: PatchProposal) -> tuple[int, int]:
    """The proposal's range, read as 1-based (a 0 start means the model counted from 0)."""
    start, end = proposal.start_line, max(proposal.end_line, proposal.start_line)
    return (start + 1, end + 1) if start == 0 else (start, end)


def end_with_comments(code: list[str], target: Symbol) -> int:
    """The target's last line, extended over comment lines indented inside it (ast stops at the last statement)."""
    last = target.end
    probe = last
    while probe < len(code) and (not code[probe].strip() or code[probe].lstrip().startswith("#")):
        if code[probe].strip() and len(leading_ws(code[probe])) > len(target.indent):
            last = probe + 1
        elif code[probe].strip():
            break
        probe += 1
    return last


def find_target(code_index: ModuleIndex, sym: Symbol) -> Symbol | None:
    """The definition in new_code that is the target: the longest qualified-name suffix match, same kind."""
    wanted = sym.qualname.split(".")
    best: tuple[int, int, Symbol] | None = None
    for cand in code_index.symbols:
        parts = cand.qualname.split(".")
        if wanted[-len(parts) :] != parts or (cand.kind == "class") != (sym.kind == "class"):
            continue
        key = (len(parts), -cand.start)
        if best is None or key > best[:2]:
            best = (*key, cand)
    return best[2] if best else None


def is_whole_file(code_index: ModuleIndex, index: ModuleIndex) -> bool:
    original = {s.name for s in index.top_level()}
    sent = {s.name for s in code_index.top_level()}
    return len(original) >= 2 and original <= sent
