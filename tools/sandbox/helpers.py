"""What selfmod runs inside the sandbox under the project's interpreter, and how it finds it.

The helpers in `inside/` (the report plugin, the line probe, the repair worker) use only the standard library and
pytest; their folder goes on PYTHONPATH, so selfmod need not be installed in the project's environment.
"""

from __future__ import annotations

from selfmod.config import Settings
from selfmod.tools.sandbox.results import PLUGIN, PLUGIN_DIR

REPORT_PLUGIN = PLUGIN
PROBE_PLUGIN = "selfmod_probe"
WORKER_MODULE = "selfmod_repair_worker"
MIN_TEST_SECONDS = 2.0
"""No test is cut shorter than this, however fast the earlier run was."""
ADAPTIVE_FLOOR = 3.0
"""In a run with no earlier run to go by, no test is cut shorter than this once the limit adapts to the tests
already run (`inside/selfmod_report.py`)."""


def helper_env(env: dict[str, str], **extra: str) -> dict[str, str]:
    """`env` with the helpers' folder first on PYTHONPATH, plus `extra` variables."""
    pythonpath = [str(PLUGIN_DIR), *filter(None, env.get("PYTHONPATH", "").split(":"))]
    return {**env, "PYTHONPATH": ":".join(dict.fromkeys(pythonpath)), **extra}


def per_test_timeout(settings: Settings, reference_seconds: float | None = None) -> float:
    """Seconds one test phase may take before it fails as "timed out": a fifth of the whole run's timeout, and,
    when a complete earlier run of all the tests took `reference_seconds`, no more than twice that plus 2 s."""
    cap = max(MIN_TEST_SECONDS, settings.test_timeout / 5)
    if reference_seconds is None:
        return round(cap, 3)
    return round(min(cap, max(MIN_TEST_SECONDS, 2 * reference_seconds + 2)), 3)


def time_limit_env(settings: Settings, reference_seconds: float | None = None) -> dict[str, str]:
    """The report plugin's per-test limit variables: `per_test_timeout`, adapting to the tests already run when no
    earlier run gives a reference."""
    limits = {"SELFMOD_TEST_TIMEOUT": str(per_test_timeout(settings, reference_seconds))}
    if reference_seconds is None:
        limits["SELFMOD_TEST_TIMEOUT_FLOOR"] = str(ADAPTIVE_FLOOR)
    return limits
