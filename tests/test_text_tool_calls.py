"""Tool calls written as text by servers that ignore `tool_choice` (small local models do): read from the answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_openai import ChatOpenAI
from openai_stub import serve, tool
from test_graph import BUG, FIX, FIXED_FILE, settings_for

from selfmod.agents.text_tool_calls import tool_call_from_text, unescaped_code
from selfmod.agents.tool_calling import CallPolicy
from selfmod.graph.build import build_graph

WANTED = {"propose_code_patch": ["filename", "start_line", "end_line", "new_code", "explanation"]}
ARGS = {"filename": "a.py", "start_line": 1, "end_line": 2, "new_code": "def f():\n    return {'x': 1}\n",
        "explanation": "fix"}  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "```json\n" + json.dumps({"name": "propose_code_patch", "arguments": ARGS}) + "\n```",
        "Here is the fix:\n" + json.dumps({"name": "propose_code_patch", "parameters": ARGS}) + "\nDone.",
        json.dumps({"name": "propose_code_patch", "arguments": json.dumps(ARGS)}),
        json.dumps({"tool": "propose_code_patch", "args": ARGS}),
        json.dumps([{"type": "function", "function": {"name": "propose_code_patch", "arguments": json.dumps(ARGS)}}]),
        "```json\n" + json.dumps(ARGS) + "\n```",  # the bare arguments of the one wanted tool
        # a raw newline inside a JSON string, as models write code
        '{"name": "propose_code_patch", "arguments": {"filename": "a.py", "start_line": 1, "end_line": 2, '
        '"new_code": "def f():\n    return {\'x\': 1}\n", "explanation": "fix"}}',
    ],
    ids=["fenced", "prose-parameters", "string-arguments", "tool-args", "openai-list", "bare", "raw-newline"],
)
def test_a_call_written_as_text_is_read(text: str) -> None:
    assert tool_call_from_text(text, WANTED) == ("propose_code_patch", ARGS)


@pytest.mark.parametrize(
    "text",
    [
        "I cannot fix this.",
        json.dumps({"name": "other_tool", "arguments": ARGS}),
        json.dumps({"filename": "a.py"}),  # not the tool's arguments: required fields missing
        '{"name": "propose_code_patch", "arguments": {"filename": ',  # cut off
    ],
    ids=["prose", "other-tool", "partial-args", "truncated"],
)
def test_text_without_a_wanted_call_is_none(text: str) -> None:
    assert tool_call_from_text(text, WANTED) is None


def test_bare_arguments_count_only_when_one_tool_is_wanted() -> None:
    both = {**WANTED, "propose_edits": ["edits", "explanation"]}
    assert tool_call_from_text(json.dumps(ARGS), both) is None
    named = json.dumps({"name": "propose_edits", "arguments": {"edits": [], "explanation": "x"}})
    assert tool_call_from_text(named, both) == ("propose_edits", {"edits": [], "explanation": "x"})


def test_a_server_that_answers_in_text_still_gets_the_fix_applied(seed_project: Path) -> None:
    report = "```json\n" + json.dumps({"name": "log_bug_report", "arguments": BUG}) + "\n```"
    patch = {"filename": "llm.py", "start_line": 4, "end_line": 6, "new_code": FIX, "explanation": "fix"}
    answer = "The fix:\n```json\n" + json.dumps({"name": "propose_code_patch", "arguments": patch}) + "\n```"
    with serve([{"text": report}, {"text": answer}]) as stub:
        model = ChatOpenAI(model="stub-model", api_key="sk-test", base_url=stub.base_url, max_retries=0)  # type: ignore[call-arg]
        policy = CallPolicy(max_repairs=0, transient_retries=0, backoff_initial=0.01)
        out = build_graph(model=model, settings=settings_for(seed_project, auto_approve=True), policy=policy).invoke({})
    assert [r["status"] for r in out["results"]] == ["applied"]
    assert (seed_project / "llm.py").read_text() == FIXED_FILE
    assert len(stub.requests) == 2  # no repair round trips: the text was the call


def test_python_triple_quoted_code_in_the_json_is_read() -> None:
    text = (
        '```json\n{"name": "propose_code_patch", "arguments": {"filename": "a.py", "start_line": 1, '
        '"end_line": 2, "new_code": """\ndef f():\n    """Doc, with "quotes"."""\n    return 1\n""", '
        '"explanation": "fix"}}\n```'
    )
    call = tool_call_from_text(text, WANTED)
    assert call is not None
    assert call[1]["new_code"] == '\ndef f():\n    """Doc, with "quotes"."""\n    return 1\n'


def test_triple_quoted_code_on_one_line_with_escapes_is_read_as_python_reads_it() -> None:
    # Qwen2.5-Coder-1.5B wrote this shape: JSON-style \\n escapes inside Python triple quotes
    text = (
        '{"name": "propose_code_patch", "arguments": {"filename": "a.py", "start_line": 1, "end_line": 3, '
        '"new_code": """def f(a):\\n    \\"""Doc."""\\n    return \\"x\\\\n\\".join(a)\\n""", '
        '"explanation": "fix"}}'
    )
    call = tool_call_from_text(text, WANTED)
    assert call is not None
    assert call[1]["new_code"] == 'def f(a):\n    """Doc."""\n    return "x\\n".join(a)\n'


def test_triple_quoted_code_with_real_newlines_keeps_its_escapes() -> None:
    text = (
        '{"name": "propose_code_patch", "arguments": {"filename": "a.py", "start_line": 1, "end_line": 2, '
        '"new_code": """def f(a):\n    return "\\n".join(a)\n""", "explanation": "fix"}}'
    )
    call = tool_call_from_text(text, WANTED)
    assert call is not None
    assert call[1]["new_code"] == 'def f(a):\n    return "\\n".join(a)\n'


def test_code_escaped_twice_in_a_json_string_is_read_as_its_lines(seed_project: Path) -> None:
    # the same model, asked for the call after a plain-text diagnosis, escaped the code's newlines twice
    patch = {"filename": "llm.py", "start_line": 4, "end_line": 6, "new_code": FIX.replace("\n", "\\n"),
             "explanation": "fix"}  # fmt: skip
    assert "\n" not in patch["new_code"].strip()
    with serve([tool("log_bug_report", **BUG), {"text": "```json\n" + json.dumps({"name": "propose_code_patch",
                "arguments": patch}) + "\n```"}]) as stub:  # fmt: skip
        model = ChatOpenAI(model="stub-model", api_key="sk-test", base_url=stub.base_url, max_retries=0)  # type: ignore[call-arg]
        out = build_graph(model=model, settings=settings_for(seed_project, auto_approve=True)).invoke({})
    assert [r["status"] for r in out["results"]] == ["applied"]
    assert (seed_project / "llm.py").read_text() == FIXED_FILE


def test_only_escaped_code_that_parses_once_read_as_lines_is_changed() -> None:
    assert unescaped_code("def f(a):\\n    return a\\n") == "def f(a):\n    return a\n"
    assert unescaped_code("    def m(self):\\n        return 1") == "    def m(self):\n        return 1"
    prose = "joins with \\n instead of a space"
    assert unescaped_code(prose) == prose  # not code either way
    one_line = 'SEP = "\\n"'
    assert unescaped_code(one_line) == one_line  # already parses
    lines = 'def f():\n    return "\\n"\n'
    assert unescaped_code(lines) == lines  # real newlines: code as written


def test_after_an_unusable_answer_the_first_tool_is_forced_by_name(seed_project: Path) -> None:
    patch = {"filename": "llm.py", "start_line": 4, "end_line": 6, "new_code": FIX, "explanation": "fix"}
    script = [
        tool("log_bug_report", **BUG),
        {"text": "I would change the function."},
        tool("propose_code_patch", **patch),
    ]
    with serve(script) as stub:
        model = ChatOpenAI(model="stub-model", api_key="sk-test", base_url=stub.base_url, max_retries=0)  # type: ignore[call-arg]
        policy = CallPolicy(max_repairs=1, transient_retries=0, backoff_initial=0.01)
        out = build_graph(model=model, settings=settings_for(seed_project, auto_approve=True), policy=policy).invoke({})
    assert [r["status"] for r in out["results"]] == ["applied"]
    first_try, repair = stub.requests[1], stub.requests[2]
    assert first_try["tool_choice"] == "required"
    assert repair["tool_choice"] == {"type": "function", "function": {"name": "propose_code_patch"}}
