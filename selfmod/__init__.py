"""selfmod: turn an agent's reflections into tested, audited fixes of its own code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from selfmod.config import Settings, load_settings
from selfmod.errors import SelfmodError
from selfmod.models import (
    AuditRecord,
    BugReport,
    CodeContext,
    PatchProposal,
    Reflection,
    Rejection,
    RejectionCode,
    TestRun,
    Verdict,
)

if TYPE_CHECKING:
    from selfmod.api import resume_self_modification, run_self_modification
    from selfmod.graph.build import build_graph

__version__ = "0.1.0"

_LAZY = {
    "build_graph": "selfmod.graph.build",
    "run_self_modification": "selfmod.api",
    "resume_self_modification": "selfmod.api",
}


def __getattr__(name: str) -> Any:
    """Import the graph-side API on first use, so `import selfmod` stays light and cycle-free."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'selfmod' has no attribute {name!r}")


__all__ = [
    "AuditRecord",
    "BugReport",
    "CodeContext",
    "PatchProposal",
    "Reflection",
    "Rejection",
    "RejectionCode",
    "SelfmodError",
    "Settings",
    "TestRun",
    "Verdict",
    "__version__",
    "build_graph",
    "load_settings",
    "resume_self_modification",
    "run_self_modification",
]
