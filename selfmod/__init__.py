"""selfmod: turn an agent's reflections into tested, audited fixes of its own code."""

from __future__ import annotations

from selfmod.config import Settings
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

__version__ = "0.1.0"

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
]
