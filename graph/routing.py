"""Routers: each looks at the state after a node and names the next node."""

from __future__ import annotations

from typing import Literal

from selfmod.graph.state import SelfmodState


def route_after_next(state: SelfmodState) -> Literal["extract_bug", "request_approval", "__end__"]:
    """Another reflection to process, the approval step for the tested patches, or the end."""
    if state.get("item"):
        return "extract_bug"
    return "request_approval" if state.get("pending") else "__end__"


def route_after_extract(state: SelfmodState) -> Literal["locate", "record"]:
    """Locate the code when a bug was reported; otherwise record why not."""
    return "locate" if state.get("bug") and not state.get("outcome") else "record"


def route_after_locate(state: SelfmodState) -> Literal["write_patch", "record"]:
    """Write a patch once the code is found."""
    return "write_patch" if state.get("context") and not state.get("outcome") else "record"


def route_after_write(state: SelfmodState) -> Literal["review_patch", "write_patch", "record"]:
    """Review a proposal; ask again after an unusable answer while attempts remain; other LLM failures end the
    reflection."""
    if state.get("outcome"):
        return "record"
    return "review_patch" if state.get("proposal") else "write_patch"


def route_after_review(state: SelfmodState) -> Literal["test_patch", "write_patch", "record"]:
    """Test an accepted proposal; retry a rejected one while attempts remain."""
    if state.get("outcome"):
        return "record"
    return "test_patch" if state.get("new_text") is not None else "write_patch"


def route_after_test(state: SelfmodState) -> Literal["record", "write_patch"]:
    """Queue a passing patch; retry a failing one while attempts remain."""
    return "record" if state.get("outcome") else "write_patch"
