"""What the patcher is told after a failed attempt: the critic's reasons, the failing tests (trimmed), or why its
answer could not be used."""

from __future__ import annotations

from selfmod.models import TestRun, Verdict
from selfmod.tools.patching.failure_evidence import trimmed_failure, without_colour

MAX_TEST_OUTPUT = 3000


def critic_feedback(verdict: Verdict, attempt: int) -> str:
    """The critic's rejections as a prompt section."""
    reasons = "\n".join(f"- [{r.code.value}] {r.message}" for r in verdict.rejections)
    return (
        f"\n## Attempt {attempt} was rejected by the reviewer\n{reasons}\nFix these problems in your next proposal.\n"
    )


def unusable_feedback(error: Exception, attempt: int) -> str:
    """Why an answer gave no patch at all (no parsable code, no valid call) as a prompt section."""
    return (
        f"\n## Attempt {attempt} gave no usable patch\n{error}\n"
        "Answer exactly in the format asked for below, with code that parses.\n"
    )


def test_feedback(run: TestRun, attempt: int) -> str:
    """The failing tests with the informative lines of their failures (or the tail of the output) as a prompt
    section."""
    failing = [t for t in run.tests if t.outcome in ("failed", "error")]
    lines = [f"\n## Attempt {attempt} failed the project's tests"]
    if run.timed_out:
        lines.append("The tests timed out (an endless loop?).")
    for test in failing[:5]:
        failure = trimmed_failure(test.message)[:600].replace("\n", "\n    ")
        lines.append(f"- {test.name}:\n    {failure}")
    if not failing:
        output = without_colour(run.output)[-MAX_TEST_OUTPUT:]
        lines.append(f"Test output (last {len(output)} characters):\n{output}")
    lines.append("Propose a corrected version that makes these tests pass without breaking others.")
    return "\n".join(lines) + "\n"
