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
    from selfmod.agents.action_builder import ActionBuilder
    from selfmod.agents.hypothesiser import (
        ExperimentVerdict,
        Hypothesis,
        analyze_experiment_outcome,
        generate_hypothesis,
        reflection_from_hypothesis,
    )
    from selfmod.api import resume_self_modification, run_self_modification
    from selfmod.graph.build import build_graph
    from selfmod.tools.registry.action_registry import ActionRegistry
    from selfmod.tools.registry.actions import Action, ActionError

__version__ = "0.1.0"

_LAZY = {
    "Action": "selfmod.tools.registry.actions",
    "ActionError": "selfmod.tools.registry.actions",
    "ActionRegistry": "selfmod.tools.registry.action_registry",
    "ActionBuilder": "selfmod.agents.action_builder",
    "Hypothesis": "selfmod.agents.hypothesiser",
    "ExperimentVerdict": "selfmod.agents.hypothesiser",
    "generate_hypothesis": "selfmod.agents.hypothesiser",
    "analyze_experiment_outcome": "selfmod.agents.hypothesiser",
    "reflection_from_hypothesis": "selfmod.agents.hypothesiser",
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
    "Action",
    "ActionBuilder",
    "ActionError",
    "ActionRegistry",
    "AuditRecord",
    "BugReport",
    "CodeContext",
    "ExperimentVerdict",
    "Hypothesis",
    "PatchProposal",
    "Reflection",
    "Rejection",
    "RejectionCode",
    "SelfmodError",
    "Settings",
    "TestRun",
    "Verdict",
    "__version__",
    "analyze_experiment_outcome",
    "build_graph",
    "generate_hypothesis",
    "load_settings",
    "reflection_from_hypothesis",
    "resume_self_modification",
    "run_self_modification",
]
