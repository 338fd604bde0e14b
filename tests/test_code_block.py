"""`patch_format = "code_block"`: the fixed function read from a ```python block of a plain answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_openai import ChatOpenAI
from openai_stub import serve, tool
from test_graph import BUG, FIX, FIXED_FILE, settings_for

from selfmod.agents.code_block import proposal_from_answer, prose_of
from selfmod.agents.tool_calling import CallPolicy
from selfmod.graph.build import build_graph
from selfmod.models import CodeContext, EditsProposal, PatchProposal
from selfmod.tools.changes.audit import AuditLog

FAST = CallPolicy(backoff_initial=0.01, backoff_max=0.02)


def context(qualified_name: str = "dummy_function") -> CodeContext:
    return CodeContext(
        file="llm.py", symbol=qualified_name, qualified_name=qualified_name, kind="function", start_line=4,
        end_line=6, context_start=1, context_end=9, code="(shown)", file_sha256="0" * 64,
    )  # fmt: skip


def run_code_block(root: Path, script: list[Any], **settings: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The graph on `root` in the code-block format through the real client and the HTTP stub answering `script`
    (temperature 0): the one result row and the requests the stub received."""
    with serve(script) as stub:
        model = ChatOpenAI(model="stub-model", api_key="sk-test", base_url=stub.base_url, max_retries=0, temperature=0)  # type: ignore[call-arg]
        config = settings_for(root, auto_approve=True, patch_format="code_block", **settings)
        out = build_graph(model=model, settings=config, policy=FAST).invoke({})
    [result] = out["results"]
    return result, stub.requests


def test_the_blocks_definition_becomes_a_patch_of_the_located_lines() -> None:
    answer = f"The list can be empty.\n\n```python\n{FIX}```\nThis returns '' for empty text."
    proposal = proposal_from_answer(answer, context(), "why")
    assert isinstance(proposal, PatchProposal)
    assert (proposal.filename, proposal.start_line, proposal.end_line) == ("llm.py", 4, 6)
    assert proposal.new_code == FIX and proposal.explanation == "why"


def test_a_method_is_taken_out_of_the_class_the_model_wrapped_it_in() -> None:
    answer = "```python\nclass Stock:\n    @staticmethod\n    def add(a, b):\n        return a + b\n```"
    proposal = proposal_from_answer(answer, context("Stock.add"))
    assert isinstance(proposal, PatchProposal)
    assert proposal.new_code == "@staticmethod\ndef add(a, b):\n    return a + b\n"


def test_an_import_in_the_block_comes_along_as_a_module_edit() -> None:
    answer = "```py\nimport re\n\ndef dummy_function(text):\n    return re.sub(' +', ' ', text)\n```"
    proposal = proposal_from_answer(answer, context())
    assert isinstance(proposal, EditsProposal)
    assert [(e.symbol, e.new_code) for e in proposal.edits] == [
        ("<module>", "import re\n"),
        ("dummy_function", "def dummy_function(text):\n    return re.sub(' +', ' ', text)\n"),
    ]


def test_blocks_that_do_not_parse_or_define_it_are_skipped() -> None:
    answer = "```python\ndef dummy_function(text:\n```\n```python\ndef other():\n    pass\n```\n```\n" + FIX
    proposal = proposal_from_answer(answer, context())  # the last block is not closed: it still counts
    assert isinstance(proposal, PatchProposal) and proposal.new_code == FIX
    assert proposal_from_answer("I would check for empty input.", context()) is None


def test_the_graph_applies_a_fix_given_as_a_code_block(seed_project: Path) -> None:
    script = [
        tool("log_bug_report", **BUG),
        {"text": "I am not sure."},  # no block: reminded once
        {"text": f"The first word may not exist.\n```python\n{FIX}```"},
    ]
    result, requests = run_code_block(seed_project, script)
    assert (result["status"], result["attempts"]) == ("applied", 1)
    assert (seed_project / "llm.py").read_text() == FIXED_FILE
    ask, reminder = requests[1], requests[2]
    assert "tools" not in ask and "```python block" in ask["messages"][-1]["content"]
    assert "no ```python block" in reminder["messages"][-1]["content"]
    record = AuditLog(seed_project / ".selfmod").find(result["audit_id"])
    assert record is not None and record.token_usage["calls"] == 3
    assert record.proposal is not None and "first word may not exist" in str(record.proposal)


def test_an_answer_that_never_holds_the_function_is_an_error_and_nothing_changes(seed_project: Path) -> None:
    before = (seed_project / "llm.py").read_text()
    script = [tool("log_bug_report", **BUG), *([{"text": "```python\nprint('hi')\n```"}] * 3)]
    result, _ = run_code_block(seed_project, script, max_attempts=1)
    assert result["status"] == "error" and "no ```python block defining dummy_function" in result["message"]
    assert (seed_project / "llm.py").read_text() == before


UNCHANGED = (
    "def dummy_function(text):\n"
    '    """Return the first word of the text, upper-cased."""\n'
    "    # the first word\n"
    "    return text.split()[0].upper()\n"
)


def test_a_function_given_back_unchanged_is_told_so_in_the_conversation_at_the_retry_temperature(
    seed_project: Path,
) -> None:
    script = [
        tool("log_bug_report", **BUG),
        {"text": f"This looks right.\n```python\n{UNCHANGED}```"},  # only a comment differs
        {"text": f"Empty text has no first word.\n```python\n{FIX}```"},
    ]
    result, requests = run_code_block(seed_project, script)
    assert (result["status"], result["attempts"]) == ("applied", 1)
    assert (seed_project / "llm.py").read_text() == FIXED_FILE
    first, nudge = requests[1], requests[2]
    assert first["temperature"] == 0 and nudge["temperature"] == 0.8
    assert "current code unchanged" in nudge["messages"][-1]["content"]
    assert (
        "The failing test fails at line 6 of it:\n\n    return text.split()[0].upper()\n\n"
        "with `IndexError: list index out of range`.\nFirst say in one sentence what is wrong"
    ) in nudge["messages"][-1]["content"]
    assert nudge["messages"][-2] == {"role": "assistant", "content": script[1]["text"]}


def test_a_function_always_given_back_unchanged_is_rejected_by_the_critic_not_an_error(seed_project: Path) -> None:
    before = (seed_project / "llm.py").read_text()
    script = [tool("log_bug_report", **BUG), *([{"text": f"```python\n{UNCHANGED}```"}] * 3)]
    result, requests = run_code_block(seed_project, script, max_attempts=1)
    assert result["status"] == "rejected" and "no_op" in result["message"]
    assert len(requests) == 4  # the bug report, the patch and two replies that it is unchanged
    assert (seed_project / "llm.py").read_text() == before


def test_a_fence_inside_the_functions_docstring_does_not_end_the_block() -> None:
    # humanize and more-itertools docstrings hold Markdown examples; the 1.5B model's right fix was lost here
    fixed = (
        "def dummy_function(text):\n"
        '    """Return the first word of the text, upper-cased.\n\n'
        "    ```pycon\n    >>> dummy_function('a b')\n    'A'\n    ```\n"
        '    """\n'
        "    words = text.split()\n"
        '    return words[0].upper() if words else ""\n'
    )
    proposal = proposal_from_answer(f"```python\n{fixed}```\nEmpty text has no first word.", context())
    assert isinstance(proposal, PatchProposal) and proposal.new_code == fixed


def test_the_explanation_is_the_prose_around_the_block_even_with_a_fence_inside_it() -> None:
    answer = 'Words can be missing.\n```python\ndef f():\n    """\n    ```\n    x\n    ```\n    """\n```\nSo guard it.'
    assert prose_of(answer) == "Words can be missing. So guard it."
    assert prose_of("No block at all.\n  Two lines.") == "No block at all. Two lines."


def test_an_unchanged_function_followed_by_no_block_is_still_rejected_as_no_op(seed_project: Path) -> None:
    script = [
        tool("log_bug_report", **BUG),
        {"text": f"```python\n{UNCHANGED}```"},
        *([{"text": "I cannot see a bug."}] * 2),
    ]
    result, _ = run_code_block(seed_project, script, max_attempts=1)
    assert result["status"] == "rejected" and "no_op" in result["message"]


def test_an_attempt_without_a_usable_answer_costs_that_attempt_not_the_reflection(seed_project: Path) -> None:
    # humanize-823ad609: three answers that did not parse ended the whole reflection at attempt 2 of 3
    script = [
        tool("log_bug_report", **BUG),
        *([{"text": "```python\ndef dummy_function(text):\n  return (\n```"}] * 3),  # attempt 1: never parses
        {"text": f"```python\n{FIX}```"},  # attempt 2
    ]
    result, requests = run_code_block(seed_project, script, max_attempts=2)
    assert (result["status"], result["attempts"]) == ("applied", 2)
    assert (seed_project / "llm.py").read_text() == FIXED_FILE
    retry = requests[4]["messages"]
    assert len(retry) == 2 and "## Attempt 1 gave no usable patch" in retry[-1]["content"]
    assert "no ```python block defining dummy_function after 2 reminder(s)" in retry[-1]["content"]


def test_a_method_copied_with_context_that_does_not_parse_is_read_alone() -> None:
    # boltons-c1c25da3: the model copied the shown context from inside the class docstring down to the next method
    answer = (
        "```python\nclass Bits:\n    * hex/bin string -- good for human readability\n    '''\n"
        "    __slots__ = ('val', 'len')\n\n"
        "    def __init__(self, val=0):\n        if val < 0:\n            raise ValueError('negative')\n\n"
        "        self.val = val\n\n    def __getitem__(self, k):\n        return k\n```"
    )
    proposal = proposal_from_answer(answer, context("Bits.__init__"))
    assert isinstance(proposal, PatchProposal)
    assert proposal.new_code == (
        "def __init__(self, val=0):\n    if val < 0:\n        raise ValueError('negative')\n\n    self.val = val\n"
    )
