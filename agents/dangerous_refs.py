"""Which references a patch may not add: resolved names matched against the settings' deny and allow patterns.

A name is denied when it, or one of its dotted prefixes, matches a pattern (`os.system.__call__` is `os.system`);
a pattern `x.*` also matches the bare module `x`; `x.*` (any attribute of x) is denied when any denied pattern lies
inside x. Only references that occur more often after the patch than before count, so existing usage keeps working.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from selfmod.config import Settings
from selfmod.models import Rejection, RejectionCode
from selfmod.tools.code.name_bindings import Reference, constant_text
from selfmod.tools.code.name_resolver import ENV_GETTERS, ENVIRONS, UNRESOLVABLE, referenced_names

ENV_METHODS = frozenset(dir(os.environ))
SANDBOX_MARK = "SELFMOD"
MAX_VIAS = 3


def _prefixes(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for all patterns, a `x.*` pattern also matching the bare `x` (fnmatch semantics, case-sensitive)."""
    bare = [p[:-2] for p in patterns if p.endswith(".*")]
    return re.compile("|".join(fnmatch.translate(p) for p in [*patterns, *bare]) or "(?!)")


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return _compiled(tuple(patterns)).match(name) is not None


def is_denied(name: str, patterns: Sequence[str]) -> bool:
    """True when the name, a dotted prefix of it, or (for `x.*`) something inside x matches a deny pattern."""
    if name.split(".")[0] == UNRESOLVABLE:
        return True
    for prefix in _prefixes(name):
        if _matches(prefix, patterns):
            return True
        if prefix.endswith(".*") and any(p.startswith(prefix[:-1]) for p in patterns):
            return True
    return False


def is_allowed(name: str, patterns: Sequence[str]) -> bool:
    """True when the name or a dotted prefix matches an allow pattern, or (a plain module) something in it does."""
    if any(_matches(prefix, patterns) for prefix in _prefixes(name)):
        return True
    return "*" not in name and any(p.startswith(name + ".") for p in patterns)


def _shown(ref: Reference, deny: Sequence[str]) -> tuple[str, str] | None:
    """The denied name a reference stands for and how it was reached, or None when it is harmless."""
    if is_denied(ref.name, deny):
        return ref.name, ref.via
    if ref.escapes and is_denied(ref.name + ".*", deny):
        return ref.name + ".*", ref.via or f"{ref.name} used as a value"
    return None


def dangerous_references(source: str, deny: Sequence[str]) -> tuple[Counter[str], dict[str, list[str]]]:
    """How often each denied name is referenced, and the indirect ways it is reached (raises SyntaxError)."""
    counts: Counter[str] = Counter()
    vias: dict[str, list[str]] = {}
    for ref in referenced_names(source):
        if shown := _shown(ref, deny):
            name, via = shown
            counts[name] += 1
            if via and via not in vias.setdefault(name, []):
                vias[name].append(via)
    return counts, vias


def _most_specific(names: Iterable[str]) -> list[str]:
    """Drop a name when a longer one inside it is reported too (`subprocess` beside `subprocess.run`)."""
    names = sorted(set(names))
    return [n for n in names if not any(o.startswith(n + ".") for o in names)]


def _rejection(message: str) -> Rejection:
    return Rejection(code=RejectionCode.DANGEROUS_CALL, message=message)


def new_dangerous_calls(old: str, new: str, settings: Settings) -> list[Rejection]:
    """Denied names the patch references more often than the old text, unless the settings allow them."""
    try:
        after, vias = dangerous_references(new, settings.dangerous_calls)
    except (SyntaxError, ValueError, RecursionError) as exc:
        return [_rejection(f"the patched code cannot be checked for dangerous references ({exc}); write plain code")]
    try:
        before, _ = dangerous_references(old, settings.dangerous_calls)
    except (SyntaxError, ValueError, RecursionError):
        before = Counter()
    added = [n for n in after if after[n] > before[n] and not is_allowed(n, settings.allowed_calls)]
    out = []
    for name in _most_specific(added):
        how = f" (via {'; '.join(vias[name][:MAX_VIAS])})" if vias.get(name) else ""
        out.append(
            _rejection(
                f"the patch adds a reference to {name}{how}, which is not allowed in patches; fix the bug without it"
            )
        )
    return out


def _environment_probes(source: str) -> list[str]:
    found = []
    for ref in referenced_names(source):
        env = next((e for e in ENVIRONS if ref.name.startswith(e + ".")), None)
        key = ref.name[len(env) + 1 :] if env else ""
        if SANDBOX_MARK in key.upper():
            found.append(f"it reads the environment variable {key} ({ref.via or ref.name})")
        elif key == "*" or key in ENV_METHODS or (ref.escapes and ref.name in ENVIRONS) or ref.name in ENV_GETTERS:
            found.append(f"it reads the environment by a computed name or as a whole ({ref.via or ref.name})")
    return found


def sandbox_probes(source: str) -> list[Rejection]:
    """Ways a new module could tell the sandbox from a live run: `SELFMOD_*` strings or computed environment reads."""
    try:
        tree = ast.parse(source)
        found = _environment_probes(source)
    except (SyntaxError, ValueError, RecursionError) as exc:
        return [_rejection(f"the code cannot be checked for sandbox detection ({exc}); write plain code")]
    for node in ast.walk(tree):
        text = constant_text(node) if isinstance(node, ast.Constant | ast.BinOp | ast.JoinedStr) else None
        if text is not None and SANDBOX_MARK in text.upper():
            found.append(f"it mentions {text[:60]!r}")
    return [
        _rejection(f"sandbox detection: {why}; a new action must behave the same in the sandbox and live")
        for why in dict.fromkeys(found)
    ]
