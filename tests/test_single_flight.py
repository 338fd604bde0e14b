"""Work started ahead is done once: a later ask takes it, and an ask already computing keeps a late start out."""

from __future__ import annotations

import threading

from selfmod.tools.sandbox.single_flight import SingleFlight


def test_a_started_value_is_computed_once_and_taken_once() -> None:
    flight: SingleFlight[str] = SingleFlight()
    calls: list[str] = []
    release = threading.Event()

    def slow() -> str:
        release.wait(5)
        calls.append("background")
        return "ahead"

    flight.start("k", slow)
    flight.start("k", slow)  # in flight: nothing more
    release.set()
    assert flight.take("k", lambda: calls.append("again") or "late") == "ahead"
    assert calls == ["background"]
    assert flight.take("k", lambda: "fresh") == "fresh"  # used once


def test_a_start_while_a_take_computes_does_nothing() -> None:
    flight: SingleFlight[str] = SingleFlight()
    computing, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def in_take() -> str:
        computing.set()
        release.wait(5)
        calls.append("take")
        return "mine"

    got: list[str] = []
    taker = threading.Thread(target=lambda: got.append(flight.take("k", in_take)))
    taker.start()
    assert computing.wait(5)
    flight.start("k", lambda: calls.append("start") or "theirs")
    release.set()
    taker.join(5)
    assert got == ["mine"] and calls == ["take"]


def test_a_failed_start_leaves_the_work_to_take() -> None:
    flight: SingleFlight[str] = SingleFlight()

    def broken() -> str:
        raise RuntimeError("no sandbox")

    flight.start("k", broken)
    assert flight.take("k", lambda: "computed") == "computed"
