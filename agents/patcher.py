"""The LLM patcher: a located bug in, a `propose_code_patch` or `propose_edits` proposal out."""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from selfmod.agents.tool_calling import CallPolicy, call_one_of
from selfmod.errors import LLMOutputError
from selfmod.models import BugReport, CodeContext, EditsProposal, PatchProposal
from selfmod.prompts import render
from selfmod.protocols import Proposal
from selfmod.tools.code.source_text import read_source
from selfmod.tools.llm_tools import propose_code_patch, propose_edits
from selfmod.tools.patching.module_context import module_context


class LLMPatcher:
    """Calls `propose_code_patch` or `propose_edits` (one of them, forced) with the numbered code, the file's
    imports and the module-level names the function uses, and on retries why earlier attempts failed."""

    def __init__(self, model: BaseChatModel, policy: CallPolicy | None = None, root: Path | None = None) -> None:
        self.model = model
        self.policy = policy or CallPolicy()
        self.root = root

    def _around(self, context: CodeContext) -> str:
        if self.root is None:
            return "(not shown)"
        try:
            source = read_source(Path(self.root) / context.file)[0]
        except (OSError, UnicodeDecodeError):
            return "(not readable)"
        return module_context(source, context.start_line, context.end_line) or "(no imports or module-level names)"

    def propose(self, bug: BugReport, context: CodeContext, feedback: str) -> Proposal:
        prompt = render(
            "write_patch",
            qualified_name=context.qualified_name,
            filename=context.file,
            start_line=context.start_line,
            end_line=context.end_line,
            summary=bug.summary,
            context_start=context.context_start,
            context_end=context.context_end,
            code=context.code,
            module_context=self._around(context),
            feedback=feedback,
        )
        tool, answer = call_one_of(
            self.model,
            [
                SystemMessage(content="You fix bugs in Python code with minimal, complete changes."),
                HumanMessage(content=prompt),
            ],
            [(propose_code_patch, PatchProposal), (propose_edits, EditsProposal)],
            self.policy,
        )
        tool.invoke(answer.args.model_dump(mode="json"))  # a tool run in the trace
        if not isinstance(answer.args, PatchProposal | EditsProposal):
            raise LLMOutputError(f"{tool.name} gave no patch proposal", answer.usage.as_dict())
        return Proposal(answer.args, answer.usage)
