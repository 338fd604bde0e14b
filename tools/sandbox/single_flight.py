"""Work done once however many threads ask for it: the first asker computes, the others wait and share."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Results by key, each computed once; `start` computes one in the background for a later `take`.

    A key being computed (by `start`'s thread or by a `take` that found nothing) is in flight: a `start` of it
    then does nothing, and a `take` waits for it and takes its result."""

    def __init__(self, keep: int = 16) -> None:
        self._lock = threading.Lock()
        self._flying: dict[str, threading.Event] = {}
        self._done: OrderedDict[str, T] = OrderedDict()
        self._keep = keep

    def start(self, key: str, compute: Callable[[], T]) -> None:
        """Compute the value for `key` in a background thread unless it is done or in flight (errors are
        dropped: `take` then computes it)."""
        with self._lock:
            if key in self._done or key in self._flying:
                return
            landed = self._flying[key] = threading.Event()

        def run() -> None:
            try:
                value = compute()
            except Exception:
                value = None
            with self._lock:
                if value is not None:
                    self._done[key] = value
                    while len(self._done) > self._keep:
                        self._done.popitem(last=False)
                del self._flying[key]
            landed.set()

        threading.Thread(target=run, name=f"selfmod-single-flight-{key[:8]}").start()

    def take(self, key: str, compute: Callable[[], T]) -> T:
        """The value computed in the background for `key` (waiting for it if still running), used once; else
        `compute()`, during which a `start` of the same key does nothing."""
        with self._lock:
            landed = self._flying.get(key)
        if landed is not None:
            landed.wait()
        with self._lock:
            if key in self._done:
                return self._done.pop(key)
            if key in self._flying:  # another take computes it: ours is computed too, not shared
                return compute()
            mine = self._flying[key] = threading.Event()
        try:
            return compute()
        finally:
            with self._lock:
                del self._flying[key]
            mine.set()
