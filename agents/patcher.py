"""The LLM patcher: a located bug in, a `propose_code_patch` or `propose_edits` proposal out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel

from selfmod.agents.code_block import read_code_block
from selfmod.agents.tool_calling import CallPolicy, call_one_of
from selfmod.errors import LLMOutputError, PromptTooLongError
from selfmod.models import BugReport, CodeContext, EditsProposal, PatchProposal
from selfmod.prompts import render
from selfmod.protocols import Proposal, Usage
from selfmod.tools.code.source_text import read_source
from selfmod.tools.llm_tools import propose_code_patch, propose_edits
from selfmod.tools.patching.module_context import module_context

Evidence = Callable[[BugReport, CodeContext, int], str]
"""What the tests say about a bug (failing test ids, trimmed failures, test source), in at most that many
characters (`tools/patching/failure_evidence.py`)."""

Sites = Callable[[CodeContext], list[tuple[int, str]]]
"""The lines of a located definition where the failing tests fail, each with the error (`failure_sites`)."""

CHARS_PER_TOKEN = 3.5
"""For code and English, about this many characters make one token (keeps prompts under `prompt_tokens`)."""

HOT = 0.8
"""Temperature of retries and extra samples (at temperature 0 the same prompt gets the same answer)."""


def hotter(model: BaseChatModel, temperature: float = HOT) -> BaseChatModel:
    """The same model sampling at `temperature` (itself when it has no temperature setting)."""
    if "temperature" not in type(model).model_fields:
        return model
    return model.model_copy(update={"temperature": temperature})


class LLMPatcher:
    """Calls `propose_code_patch` or `propose_edits` (one of them, forced; or with `patch_format` "code_block"
    asks for the fixed function in a ```python block) with the numbered code, the file's
    imports and the module-level names the function uses, what the failing tests say (within `prompt_tokens`),
    and on retries why earlier attempts failed. Retries sample at `retry_temperature` (a small model at
    temperature 0 repeats its rejected answer word for word, feedback or not). A server that refuses the prompt
    as too long gets it again with less evidence, then none."""

    def __init__(
        self,
        model: BaseChatModel,
        policy: CallPolicy | None = None,
        root: Path | None = None,
        evidence: Evidence | None = None,
        prompt_tokens: int = 2500,
        retry_temperature: float | None = HOT,
        patch_format: Literal["tool_call", "code_block"] = "tool_call",
        sites: Sites | None = None,
    ) -> None:
        self.patch_format = patch_format
        self.template = "write_patch_code_block" if patch_format == "code_block" else "write_patch"
        self.model = model
        self.retry_model = model if retry_temperature is None else hotter(model, retry_temperature)
        self.policy = policy or CallPolicy()
        self.root = root
        self.evidence = evidence
        self.sites = sites
        self.prompt_tokens = prompt_tokens

    def _around(self, context: CodeContext) -> str:
        if self.root is None:
            return "(not shown)"
        try:
            source = read_source(Path(self.root) / context.file)[0]
        except (OSError, UnicodeDecodeError):
            return "(not readable)"
        return module_context(source, context.start_line, context.end_line) or "(no imports or module-level names)"

    def prompt(self, bug: BugReport, context: CodeContext, feedback: str, evidence_share: float = 1.0) -> str:
        """The patch prompt; the tests' evidence gets what `prompt_tokens` leaves (times `evidence_share`)."""
        fields = {
            "qualified_name": context.qualified_name,
            "filename": context.file,
            "start_line": context.start_line,
            "end_line": context.end_line,
            "summary": bug.summary,
            "context_start": context.context_start,
            "context_end": context.context_end,
            "code": context.code,
            "module_context": self._around(context),
            "feedback": feedback,
        }
        bare = render(self.template, **fields, evidence="(not shown)")
        room = int((self.prompt_tokens * CHARS_PER_TOKEN - len(bare)) * evidence_share)
        shown = self.evidence(bug, context, room) if self.evidence is not None and room > 0 else ""
        return render(self.template, **fields, evidence=shown or "(not shown)")

    def propose(self, bug: BugReport, context: CodeContext, feedback: str) -> Proposal:
        model = self.retry_model if feedback else self.model
        spent = Usage()
        for share in (1.0, 0.4, 0.0):
            messages = [
                SystemMessage(content="You fix bugs in Python code with minimal, complete changes."),
                HumanMessage(content=self.prompt(bug, context, feedback, share)),
            ]
            try:
                tool, args, usage = self._ask(model, messages, context)
                break
            except PromptTooLongError as exc:
                spent = spent.add(Usage(**{k: v for k, v in exc.usage.items() if k in Usage.__dataclass_fields__}))
                if share == 0.0:
                    raise
        tool.invoke(args.model_dump(mode="json"))  # a tool run in the trace
        return Proposal(args, usage.add(spent))

    def _ask(
        self, model: BaseChatModel, messages: list[BaseMessage], context: CodeContext
    ) -> tuple[BaseTool, PatchProposal | EditsProposal, Usage]:
        if self.patch_format == "code_block":
            sites = self.sites(context) if self.sites is not None else []
            return read_code_block(model, messages, context, self.policy, again=self.retry_model, sites=sites)
        choices: list[tuple[BaseTool, type[BaseModel]]] = [
            (propose_code_patch, PatchProposal),
            (propose_edits, EditsProposal),
        ]
        tool, answer = call_one_of(model, messages, choices, self.policy)
        if not isinstance(answer.args, PatchProposal | EditsProposal):
            raise LLMOutputError(f"{tool.name} gave no patch proposal", answer.usage.as_dict())
        return tool, answer.args, answer.usage
