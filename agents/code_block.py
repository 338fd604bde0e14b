"""`patch_format = "code_block"`: the fixed function read from a ```python block in the model's plain answer.

Small local models garble code inside a tool call's JSON string (escaped twice, Python triple quotes, the code
copied back unchanged); asked for the fixed function in a fenced block, as they were trained to answer, they do
better. The block's definition of the function becomes a `propose_code_patch` proposal for the located lines;
module-level imports in the block come along as a `<module>` edit (a `propose_edits` proposal then). The
definition keeps its docstring as it is (`tools/patching/docstrings.py`): the model may leave it out.
An answer that gives the function back unchanged is told so in the same conversation (by the hotter model, with
the line where the failing tests fail in it), and an answer without such a block is reminded; both share the
`max_repairs` budget and cost no attempt.
"""

from __future__ import annotations

import ast
import re
import textwrap

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.tools import BaseTool

from selfmod.agents.tool_calling import CallPolicy, ask, retrying, usage_of
from selfmod.errors import LLMOutputError
from selfmod.models import MODULE_LEVEL, CodeContext, Edit, EditsProposal, PatchProposal
from selfmod.prompts import render
from selfmod.protocols import Usage
from selfmod.tools.llm_tools import propose_code_patch, propose_edits
from selfmod.tools.patching.docstrings import keep_docstring

_OPEN = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*$")
_CLOSE = re.compile(r"^[ \t]*```[ \t]*$")
_NUMBERED = re.compile(r"^\s*(\d+) \| ?(.*)$")


def _blocks(text: str) -> list[str]:
    """The fenced blocks of an answer, else the whole answer. A fence can sit inside the code (a docstring's
    Markdown example), so each opening fence gives one block per later closing fence and one to the end of the
    answer (unclosed), shortest first."""
    lines = text.split("\n")
    found = []
    for start, line in enumerate(lines):
        if not _OPEN.search(line):
            continue
        ends = [i for i in range(start + 1, len(lines)) if _CLOSE.match(lines[i])]
        found += ["\n".join(lines[start + 1 : end]) for end in [*ends, len(lines)]]
    return found or [text]


def _definition(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None:
    """The top-level definition called `name`, or a method of that name in a top-level class."""
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for node in tree.body:
        if isinstance(node, kinds) and node.name == name:
            return node
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, kinds) and item.name == name:
                    return item
    return None


def _definition_alone(block: str, name: str) -> str:
    """The `def name` of a block that does not parse as a whole, with its body and decorators, dedented: the
    model copied context lines around it that do not parse on their own (the tail of a class docstring)."""
    lines = block.split("\n")
    start = next(
        (i for i, line in enumerate(lines) if re.match(rf"\s*(async\s+)?def\s+{re.escape(name)}\b", line)), None
    )
    if start is None:
        return ""
    indent = len(lines[start]) - len(lines[start].lstrip())
    first = start
    while first > 0 and lines[first - 1].strip().startswith("@"):
        first -= 1
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    return textwrap.dedent("\n".join(lines[first:end])).rstrip() + "\n"


def _source(lines: list[str], node: ast.stmt) -> str:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return textwrap.dedent("\n".join(lines[first - 1 : node.end_lineno])) + "\n"


def proposal_from_answer(
    text: str, context: CodeContext, explanation: str = ""
) -> PatchProposal | EditsProposal | None:
    """The proposal an answer's code block makes for `context`'s definition, or None when no block defines it."""
    name = context.qualified_name.split(".")[-1]
    for block in _blocks(text):
        code = textwrap.dedent(block)
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError):
            code = _definition_alone(block, name)
            try:
                tree = ast.parse(code)
            except (SyntaxError, ValueError):
                continue
        node = _definition(tree, name)
        if node is None:
            continue
        lines = code.split("\n")
        new_code = keep_docstring(_source(lines, node), current_definition(context))
        why = explanation or "(the fixed definition, from a code block)"
        imports = [s for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)]
        if not imports:
            return PatchProposal(
                filename=context.file,
                start_line=context.start_line,
                end_line=context.end_line,
                new_code=new_code,
                explanation=why,
            )
        header = "".join(_source(lines, s) for s in imports)
        edits = [
            Edit(filename=context.file, symbol=MODULE_LEVEL, new_code=header),
            Edit(filename=context.file, symbol=context.qualified_name, new_code=new_code),
        ]
        return EditsProposal(edits=edits, explanation=why)
    return None


def _shape(code: str) -> str | None:
    """The code's syntax tree without its layout and comments, or None when it does not parse."""
    try:
        return ast.dump(ast.parse(textwrap.dedent(code)))
    except (SyntaxError, ValueError):
        return None


def _numbered_lines(context: CodeContext) -> list[tuple[int, str]]:
    """The definition's lines as the patcher was shown them, with their numbers."""
    found = [(int(m.group(1)), m.group(2)) for m in map(_NUMBERED.match, context.code.split("\n")) if m]
    return [(n, line) for n, line in found if context.start_line <= n <= context.end_line]


def current_definition(context: CodeContext) -> str:
    """The located definition as the patcher was shown it (`context.code` without its line numbers)."""
    return "\n".join(line for _, line in _numbered_lines(context)) + "\n"


def unchanged(proposal: PatchProposal | EditsProposal, context: CodeContext) -> bool:
    """Whether the proposal's definition is the current one (only layout or comments differ)."""
    if isinstance(proposal, PatchProposal):
        code = proposal.new_code
    else:
        code = next((e.new_code for e in proposal.edits if e.symbol == context.qualified_name), "")
    before = _shape(current_definition(context))
    return before is not None and _shape(code) == before


def prose_of(text: str) -> str:
    """The answer before its first fence and after its last, on one line and short (the proposal's
    explanation)."""
    lines = text.split("\n")
    opening = next((i for i, line in enumerate(lines) if _OPEN.search(line)), None)
    if opening is not None:
        closing = [i for i in range(opening + 1, len(lines)) if _CLOSE.match(lines[i])]
        lines = lines[:opening] + (lines[closing[-1] + 1 :] if closing else [])
    return " ".join(" ".join(lines).split())[:300]


def _site(context: CodeContext, sites: list[tuple[int, str]]) -> str:
    """Where the failing tests fail inside the definition, as a sentence with the line (or nothing)."""
    shown = dict(_numbered_lines(context))
    for line, error in sites:
        if line in shown:
            return f" The failing test fails at line {line} of it:\n\n    {shown[line].strip()}\n\nwith `{error}`."
    return ""


def read_code_block(
    model: BaseChatModel,
    messages: list[BaseMessage],
    context: CodeContext,
    policy: CallPolicy,
    again: BaseChatModel | None = None,
    sites: list[tuple[int, str]] | None = None,
) -> tuple[BaseTool, PatchProposal | EditsProposal, Usage]:
    """Ask for the fixed definition in a code block. An answer without one, or with the definition unchanged,
    gets up to `policy.max_repairs` replies in the conversation (answered by `again`, by default `model`; the
    reply to an unchanged one shows where the failing tests fail in it, from `sites`, and asks for a diagnosis
    first); then an unchanged definition is proposed anyway (the critic rejects it as `no_op`) and no block is an
    error."""
    runnable = retrying(model, policy)
    conversation = list(messages)
    usage = Usage()
    name = context.qualified_name
    found: PatchProposal | EditsProposal | None = None
    for reminder in range(policy.max_repairs + 1):
        message = ask(runnable, conversation, usage)
        usage = usage.add(usage_of(message, conversation))
        text = str(message.content)
        proposal = proposal_from_answer(text, context, prose_of(text))
        found = proposal or found
        if proposal is not None and (reminder == policy.max_repairs or not unchanged(proposal, context)):
            break
        if proposal is None:
            reply = render("code_block_missing", qualified_name=name)
        else:
            reply = render("code_block_unchanged", qualified_name=name, failure_site=_site(context, sites or []))
            runnable = retrying(again or model, policy)
        conversation += [AIMessage(content=text), HumanMessage(content=reply)]
    if found is None:
        raise LLMOutputError(
            f"no ```python block defining {name} after {policy.max_repairs} reminder(s)", usage.as_dict()
        )
    return (propose_code_patch if isinstance(found, PatchProposal) else propose_edits), found, usage
