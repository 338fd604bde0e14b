"""The optional LLM critic: a structured second opinion after the deterministic rules (off by default)."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, ConfigDict, Field

from selfmod.models import BugReport, CodeContext, EditsProposal, PatchProposal, Rejection, RejectionCode, Verdict
from selfmod.prompts import render


class CriticAnswer(BaseModel):
    """The LLM critic's structured verdict."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    accept: bool
    """True when the patch fixes the bug without unrelated or unsafe changes."""
    reasons: list[str] = Field(default_factory=list)
    """Concrete reasons for a rejection, written for the patcher."""


class LLMCritic:
    """Asks the model for a `CriticAnswer`; a rejection becomes an `llm_critic` rejection."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model

    def review(
        self, bug: BugReport, context: CodeContext, proposal: PatchProposal | EditsProposal, diff: str
    ) -> Verdict:
        prompt = render(
            "review_patch", summary=bug.summary, filename=context.file, qualified_name=context.qualified_name, diff=diff
        )
        answer = self.model.with_structured_output(CriticAnswer).invoke([HumanMessage(content=prompt)])
        verdict = answer if isinstance(answer, CriticAnswer) else CriticAnswer.model_validate(answer)
        if verdict.accept:
            return Verdict()
        reasons = verdict.reasons or ["the reviewer rejected the patch without a reason"]
        return Verdict(rejections=[Rejection(code=RejectionCode.LLM_CRITIC, message=r) for r in reasons])
