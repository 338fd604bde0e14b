"""`selfmod demo`: a sample agent project with a seeded bug, shown going through selfmod's core stages."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax

from selfmod.agents.critic import review_proposal
from selfmod.config import Settings
from selfmod.models import AuditRecord, PatchProposal, Reflection
from selfmod.tools.apply import apply_patch, unified_diff
from selfmod.tools.audit import AuditLog
from selfmod.tools.context import Located, extract_code_block
from selfmod.tools.sandbox import Sandbox, summary

LLM_PY = '''"""The sample agent's text utilities."""


def dummy_function(text):
    """Return the first word of the text, upper-cased."""
    return text.split()[0].upper()


def word_count(text):
    return len(text.split())
'''

TEST_LLM_PY = """from llm import dummy_function, word_count


def test_first_word():
    assert dummy_function("hello world") == "HELLO"


def test_empty_input():
    assert dummy_function("") == ""


def test_word_count():
    assert word_count("a b c") == 3
"""

SEED_REFLECTION = {
    "id": "seed-1",
    "timestamp": "2025-07-01T00:00:00Z",
    "task_summary": "Test bug in dummy_function",
    "outcome": "Function failed on edge case.",
    "reflection": "1. What failed?\n- The function 'dummy_function' in 'llm.py' does not handle empty input correctly.",
}

# What an LLM typically sends: prose, a fence, the function at the wrong indentation, stale line numbers.
MESSY_ANSWER = '''Here is the corrected function:

```python
        def dummy_function(text):
            """Return the first word of the text, upper-cased."""
            words = text.split()
            if not words:
                return ""
            return words[0].upper()
```
'''

LAZY_ANSWER = """def dummy_function(text):
    if not text:
        return ""
    # rest of the code unchanged
"""


def write_sample_project(root: Path) -> None:
    """Create the sample agent project (code, tests, reflections) under `root`."""
    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "llm.py").write_text(LLM_PY)
    (root / "tests" / "test_llm.py").write_text(TEST_LLM_PY)
    (root / "reflections.json").write_text(json.dumps([SEED_REFLECTION], indent=2))


def run_demo(root: Path, console: Console) -> int:
    """Show context retrieval, a lazy proposal rejected, a messy one repaired, tested and applied."""
    write_sample_project(root)
    settings = Settings(project_root=root, git_commit=False)
    reflection = Reflection.model_validate(SEED_REFLECTION)
    console.print(Panel(reflection.reflection, title=f"reflection {reflection.id}"))
    found = extract_code_block(root, "llm.py", "dummy_function")
    assert isinstance(found, Located)
    ctx = found.context
    console.print(Panel(Syntax(ctx.code, "text"), title=f"context: {ctx.file}::{ctx.qualified_name}"))
    source = (root / "llm.py").read_text()
    for label, answer in (("lazy answer", LAZY_ANSWER), ("messy answer", MESSY_ANSWER)):
        prop = PatchProposal(
            filename="llm.py", start_line=ctx.start_line + 2, end_line=ctx.end_line + 2, new_code=answer
        )
        review = review_proposal(prop, ctx, source, settings)
        if not review.verdict.accepted:
            reasons = "\n".join(escape(f"[{r.code.value}] {r.message}") for r in review.verdict.rejections)
            console.print(Panel(reasons, title=f"critic rejects the {label}", border_style="red"))
            continue
        assert review.new_text is not None
        notes = "\n".join(escape(f"- {n}") for n in review.verdict.notes)
        console.print(Panel(f"{notes}", title=f"critic accepts the {label} after repairs", border_style="green"))
        console.print(Syntax(unified_diff("llm.py", source, review.new_text), "diff"))
        run = Sandbox(settings).evaluate(ctx.file, review.new_text)
        console.print(Panel(escape(summary(run)), title="tests in the sandbox (a copy; llm.py untouched)"))
        if not run.success:
            console.print("[red]tests fail; nothing applied[/red]")
            return 1
        log = AuditLog(settings.state_dir)
        base = AuditRecord(
            id="",
            timestamp="",
            status="",
            reflection_id=reflection.id,
            proposal=prop,
            verdict=review.verdict,
            test_run=run,
            attempts=2,
            model="demo (canned answer)",
        )
        record = apply_patch(settings, log, ctx.file, review.new_text, ctx.file_sha256, base)
        console.print(
            Panel(
                escape(record.model_dump_json(indent=2, exclude={"diff", "test_run", "proposal"})), title="audit record"
            )
        )
        console.print(f"audit chain intact: {log.verify().ok}")
    console.print(
        "[dim]The answers above are canned LLM answers; the LLM and offline agents that write them come next.[/dim]"
    )
    return 0
