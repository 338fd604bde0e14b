"""Where one reflection's time goes: `with phase("search"):` adds its wall time to the collector a graph node
opened with `collect()`; the node merges the figures into the state's `durations` (audit record, `--json` rows).

Phases nest (`write_patch` contains `localize`, `search`, `beyond_tests`); each is reported under its own name,
so a phase's figure includes its sub-phases'. Work outside a collector (another thread, a library caller) is not
timed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

_collector: ContextVar[dict[str, float] | None] = ContextVar("selfmod_timings", default=None)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block and add it to the open collector under `name` (nothing when none is open)."""
    target = _collector.get()
    started = time.perf_counter()
    try:
        yield
    finally:
        if target is not None:
            target[name] = target.get(name, 0.0) + time.perf_counter() - started


def record(name: str, seconds: float) -> None:
    """Add seconds measured elsewhere (e.g. by a helper process) to the open collector under `name`."""
    target = _collector.get()
    if target is not None:
        target[name] = target.get(name, 0.0) + seconds


@contextmanager
def collect() -> Iterator[dict[str, float]]:
    """Open a collector for the block; the yielded dict holds the seconds per phase once the block ends."""
    found: dict[str, float] = {}
    token = _collector.set(found)
    try:
        yield found
    finally:
        _collector.reset(token)


def add_durations(left: Mapping[str, float] | None, right: Mapping[str, float] | None) -> dict[str, float]:
    """Seconds per phase summed key by key, rounded to milliseconds."""
    out = dict(left or {})
    for key, value in (right or {}).items():
        out[key] = round(out.get(key, 0.0) + value, 3)
    return out
