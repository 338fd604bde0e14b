"""Generating and ranking repair candidates under the search's clock.

Generation takes every operator in turn (a slice of candidates each) and keeps only the most promising ones by
their prior, which needs no parsing; ranking then builds and parses candidates best first and drops duplicates
(same bytecode) until it has enough. Both stop when their share of the budget is used up, so a very large
function costs its budget, not the size of its candidate space.
"""

from __future__ import annotations

import ast
import hashlib
import heapq
import itertools
import warnings
from collections.abc import Callable, Iterator
from types import CodeType

from selfmod.agents.offline.repair_budget import Budget, PhaseClock, PhaseProgress
from selfmod.agents.offline.repair_edits import Candidate, Edit, Site, function_source
from selfmod.agents.offline.repair_operators import OPERATORS
from selfmod.tools.localize import Localization

SLICE = 200
"""Candidates taken from one operator before the next one's turn (and between two looks at the clock)."""
KEEP_FACTOR = 3
"""Generation keeps this many times the candidates ranking needs (duplicates and syntax errors are dropped later)."""
CHECK_EVERY = 25
"""Candidates built between two looks at the clock while ranking."""


def generate(
    site: Site,
    loc: Localization | None,
    rel: str,
    keep: int | None = None,
    clock: PhaseClock | None = None,
    progress: PhaseProgress | None = None,
    operators: tuple[Callable[[Site], Iterator[Candidate]], ...] = OPERATORS,
) -> tuple[list[Candidate], int]:
    """The `keep` most promising single-edit candidates of `operators` (all when None), unbuilt and in no order,
    and how many were generated in all."""
    order: dict[int, tuple[int, int]] = {}
    heap: list[tuple[float, float, int, int, Candidate]] = []
    turns: list[tuple[int, Iterator[Candidate]]] = [(n, op(site)) for n, op in enumerate(operators)]
    made = 0
    while turns:
        for turn in list(turns):
            number, stream = turn
            taken = 0
            for cand in itertools.islice(stream, SLICE):
                taken += 1
                cand.prior = cand.weight * (0.05 + suspicion(loc, rel, cand.line)) / (1 + 0.1 * cand.size)
                item = (cand.prior, -cand.size, -number, -made, cand)
                order[id(cand)] = (number, made)
                made += 1
                if keep is None or len(heap) < keep:
                    heapq.heappush(heap, item)
                elif item[:4] > heap[0][:4]:
                    order.pop(id(heapq.heapreplace(heap, item)[4]), None)
            if taken < SLICE:
                turns.remove(turn)
        if progress:
            progress("generation", made, None)
        if clock and turns and clock.over("generation"):
            break
    kept = [item[4] for item in heap]
    kept.sort(key=lambda c: (-c.prior, c.size, *order[id(c)]))
    return kept, made


def rank(
    site: Site,
    loc: Localization | None,
    rel: str,
    exclude: set[str],
    limit: int | None = None,
    clock: PhaseClock | None = None,
    progress: PhaseProgress | None = None,
) -> list[Candidate]:
    """Single-edit candidates, deduplicated by what they compile to, most promising first: all of them, or the first
    `limit` (generation and ranking then stop at their share of the clock)."""
    keep = None if limit is None else limit * KEEP_FACTOR
    raw, _made = generate(site, loc, rel, keep, clock, progress)
    return build_ranked(site, raw, exclude, limit, clock, progress)


def build_ranked(
    site: Site,
    raw: list[Candidate],
    exclude: set[str],
    limit: int | None = None,
    clock: PhaseClock | None = None,
    progress: PhaseProgress | None = None,
) -> list[Candidate]:
    """Build the candidates in their order (best first), dropping duplicates and those that do not parse."""
    return list(itertools.islice(ranked_stream(site, raw, exclude, clock, progress), limit))


def ranked_stream(
    site: Site,
    raw: list[Candidate],
    exclude: set[str],
    clock: PhaseClock | None = None,
    progress: PhaseProgress | None = None,
) -> Iterator[Candidate]:
    """`build_ranked` one candidate at a time, so the best can go to the worker while the rest are built."""
    original = built_key(site, ())
    assert original is not None
    seen = {original[2], *exclude}
    for number, cand in enumerate(raw):
        if number % CHECK_EVERY == 0:
            if progress:
                progress("ranking", number, len(raw))
            if clock and clock.over("ranking"):
                return
        built = built_key(site, cand.edits)
        if built is None or built[2] in seen:
            continue
        cand.source, cand.extra["def"], cand.key = built
        seen.add(cand.key)
        yield cand


def pairs(
    site: Site,
    singles: list[Candidate],
    loc: Localization | None,
    rel: str,
    budget: Budget,
    clock: PhaseClock | None = None,
    progress: PhaseProgress | None = None,
) -> list[Candidate]:
    """Two edits at once, both on the most suspicious lines, for bugs no single edit fixes."""
    lines = sorted({c.line for c in singles}, key=lambda n: -suspicion(loc, rel, n))[: budget.pair_lines]
    pool = [c for c in singles if c.line in lines][: budget.pair_pool]
    out, seen = [], {c.key for c in singles}
    combos = list(itertools.combinations(pool, 2))
    for number, (a, b) in enumerate(combos):
        if number % CHECK_EVERY == 0:
            if progress:
                progress("pairs", number, len(combos))
            if clock and clock.over("pairs"):
                break
        built = built_key(site, a.edits + b.edits)
        if built is None or built[2] in seen:
            continue
        pair = Candidate(
            a.edits + b.edits, "pair", f"{a.description}; {b.description}", a.line, a.size + b.size, a.weight * b.weight
        )
        pair.source, pair.extra["def"], pair.key = built
        pair.prior = a.prior * b.prior
        seen.add(pair.key)
        out.append(pair)
    out.sort(key=lambda c: (-c.prior, c.size))
    return out


def built_key(site: Site, edits: tuple[Edit, ...]) -> tuple[str, str, str] | None:
    """(function text as in the file, dedented def, key for duplicates) after the edits; None if invalid."""
    built = function_source(site, edits)
    if built is None:
        return None
    full, def_text, node = built
    return full, def_text, code_key(node)


def code_key(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """What the definition compiles to, decorators aside (so layout, redundant parentheses and constant arithmetic
    make no difference): a digest of its bytecode, constants and names; of its AST when it does not compile
    alone (a `nonlocal` of an enclosing function). Compiling is C code: several times cheaper than `ast.dump`."""
    bare = ast.Module(body=[_undecorated(node)], type_ignores=[])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a candidate's `x is 1` is not ours to warn about
            code = compile(bare, "<candidate>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return "ast:" + hashlib.sha256(ast.dump(node).encode()).hexdigest()
    return hashlib.sha256(repr(_code_parts(code)).encode()).hexdigest()


def _undecorated(node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.stmt:
    copy = type(node)(**{**{f: getattr(node, f) for f in node._fields}, "decorator_list": []})
    return ast.copy_location(copy, node)


def _code_parts(code: CodeType) -> tuple[object, ...]:
    consts = tuple(_code_parts(c) if isinstance(c, CodeType) else (type(c).__name__, repr(c)) for c in code.co_consts)
    return (
        code.co_code,
        consts,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_flags,
    )


def suspicion(loc: Localization | None, rel: str, line: int) -> float:
    """How suspicious a line of the file is (0.5 for every line without a localisation)."""
    if loc is None or not loc.failing_count():
        return 0.5
    return loc.line_score(rel, line)
