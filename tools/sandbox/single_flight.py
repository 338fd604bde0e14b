"""Work done once however many threads ask for it: the first asker computes, the others wait and share."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Results by key, each computed once; `start` computes one in the background for a later `take`."""

    def __init__(self, keep: int = 16) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._done: OrderedDict[str, T] = OrderedDict()
        self._keep = keep

    def _key_lock(self, key: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())

    def start(self, key: str, compute: Callable[[], T]) -> None:
        """Compute the value for `key` in a background thread (errors are dropped: `take` then computes it)."""

        def run() -> None:
            with self._key_lock(key), contextlib.suppress(Exception):
                if key not in self._done:
                    self._done[key] = compute()
                    while len(self._done) > self._keep:
                        self._done.popitem(last=False)

        threading.Thread(target=run, name=f"selfmod-single-flight-{key[:8]}").start()

    def take(self, key: str, compute: Callable[[], T]) -> T:
        """The value computed in the background for `key` (waiting for it if still running), used once; else
        `compute()`."""
        with self._key_lock(key):
            if key in self._done:
                return self._done.pop(key)
        return compute()
