"""Judging a patched run against the baseline: only a reported `passed` is a pass.

Skipped, xfailed, xpassed or missing is not passed; a run without a result file, a run killed by its timeout, a run
whose test ids differ from the unpatched copy's, and a run whose canaries show tampering all fail.
"""

from __future__ import annotations

from selfmod.models import TestRun

FAILING = ("failed", "error")


def judge(run: TestRun, baseline: TestRun, policy: str) -> TestRun:
    """Fill in fixes, regressions, missing tests and `success` under the acceptance policy."""
    before = {t.name: t.outcome for t in baseline.tests}
    after = {t.name: t.outcome for t in run.tests}
    failing_before = [n for n, o in before.items() if o in FAILING]
    missing = sorted(n for n in before if n not in after)
    unexpected = sorted(n for n in after if n not in before)
    new_failures = sorted(n for n, o in before.items() if o == "passed" and after.get(n) != "passed")
    fixed = sorted(n for n in failing_before if after.get(n) == "passed")
    still_failing = sorted(n for n in failing_before if after.get(n) != "passed")
    completed = (
        run.results_found and not run.timed_out and run.exit_code is not None and not run.tampering and bool(after)
    )
    same_tests = not missing and not unexpected
    if policy == "no_regression":
        success = completed and same_tests and not new_failures and bool(fixed)
    elif policy == "all_pass":
        success = (
            completed
            and same_tests
            and all(o == "passed" or (o == "skipped" and before.get(n) == "skipped") for n, o in after.items())
        )
    else:
        success = completed and same_tests and not new_failures and not still_failing
    return run.model_copy(
        update={
            "new_failures": new_failures,
            "fixed_tests": fixed,
            "still_failing": still_failing,
            "missing_tests": missing,
            "success": success,
        }
    )


def failure_reason(run: TestRun) -> str:
    """Why a judged run failed, in one line."""
    if run.tampering:
        return f"the patch tampered with the test run: {run.tampering}"
    if run.timed_out:
        return "the tests timed out"
    if not run.results_found:
        return "the test run left no per-test results (it exited early or was killed)"
    if run.missing_tests:
        return f"tests did not report a result: {', '.join(run.missing_tests[:5])}"
    if run.new_failures:
        return f"tests that passed before no longer pass: {', '.join(run.new_failures[:5])}"
    if run.still_failing:
        return f"failing tests still do not pass: {', '.join(run.still_failing[:5])}"
    return "the run does not meet the acceptance policy"


def summary(run: TestRun) -> str:
    """One line such as `3 passed, 1 failed in 1.2 s`."""
    parts = [f"{run.passed} passed", f"{run.failed} failed"]
    if run.errors:
        parts.append(f"{run.errors} errors")
    if run.skipped:
        parts.append(f"{run.skipped} skipped")
    tail = " (timed out)" if run.timed_out else ""
    return ", ".join(parts) + f" in {run.duration_s:.1f} s{tail}"
