"""The LLM patcher: a located bug in, a `propose_code_patch` proposal out."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from selfmod.agents.tool_calling import CallPolicy, call_tool
from selfmod.models import BugReport, CodeContext, PatchProposal
from selfmod.prompts import render
from selfmod.protocols import Proposal
from selfmod.tools.llm_tools import propose_code_patch


class LLMPatcher:
    """Calls `propose_code_patch` (forced) with the numbered code and, on retries, why earlier attempts failed."""

    def __init__(self, model: BaseChatModel, policy: CallPolicy | None = None) -> None:
        self.model = model
        self.policy = policy or CallPolicy()

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
            feedback=feedback,
        )
        answer = call_tool(
            self.model,
            [
                SystemMessage(content="You fix bugs in Python code with minimal, complete changes."),
                HumanMessage(content=prompt),
            ],
            propose_code_patch,
            PatchProposal,
            self.policy,
        )
        propose_code_patch.invoke(answer.args.model_dump(mode="json"))  # a tool run in the trace
        return Proposal(answer.args, answer.usage)
