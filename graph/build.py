"""`build_graph`: wire the nodes into the LangGraph state machine, with injected model, settings and checkpointer."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from selfmod.agents.extractor import LLMExtractor
from selfmod.agents.fallback_patcher import FallbackPatcher
from selfmod.agents.llm_critic import LLMCritic
from selfmod.agents.offline.offline_extractor import OfflineExtractor
from selfmod.agents.offline.offline_patcher import OfflinePatcher
from selfmod.agents.patcher import LLMPatcher, hotter
from selfmod.agents.sampling_patcher import SamplingPatcher
from selfmod.agents.tool_calling import CallPolicy
from selfmod.config import Settings
from selfmod.graph import routing
from selfmod.graph.nodes import Deps, ItemNodes
from selfmod.graph.run_nodes import RunNodes
from selfmod.graph.state import SelfmodInput, SelfmodOutput, SelfmodState
from selfmod.model_spec import model_name
from selfmod.protocols import BugExtractor, Patcher, Reviewer, TestRunner
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.patching.failure_evidence import evidence_from, sites_from
from selfmod.tools.sandbox import Sandbox


def _agents(
    model: BaseChatModel | None, settings: Settings, policy: CallPolicy, tester: TestRunner
) -> tuple[BugExtractor, Patcher]:
    if model is not None:
        evidence, sites = evidence_from(tester, settings.project_root), sites_from(tester)
        first = LLMPatcher(
            model, policy, settings.project_root, evidence, settings.prompt_tokens,
            patch_format=settings.patch_format, sites=sites,
        )  # fmt: skip
        patcher: Patcher = first
        if settings.candidates > 1:
            hot = LLMPatcher(
                hotter(model), policy, settings.project_root, evidence, settings.prompt_tokens,
                patch_format=settings.patch_format, sites=sites,
            )  # fmt: skip
            patcher = SamplingPatcher(first, hot, settings, settings.candidates)
        if settings.offline_first:
            patcher = FallbackPatcher(OfflinePatcher(settings), patcher)
        return LLMExtractor(model, settings, policy, fallback=OfflineExtractor(settings)), patcher
    return OfflineExtractor(settings), OfflinePatcher(settings)


def build_graph(
    model: BaseChatModel | None = None,
    settings: Settings | None = None,
    checkpointer: Checkpointer = None,
    *,
    extractor: BugExtractor | None = None,
    patcher: Patcher | None = None,
    tester: TestRunner | None = None,
    reviewer: Reviewer | None = None,
    llm_critic: bool = False,
    policy: CallPolicy | None = None,
    name: str = "selfmod",
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The compiled self-modification graph. `model=None` means the built-in offline engine.

    Its input schema is `SelfmodInput` (optional `reflections` or `reflections_file`), its output
    `SelfmodOutput` (`results`, `token_usage`, `warnings`), so a host graph can call it as a node.
    """
    settings = settings or Settings()
    policy = policy or CallPolicy()
    tester = tester or Sandbox(settings)
    if extractor is None or patcher is None:
        default_extractor, default_patcher = _agents(model, settings, policy, tester)
        extractor, patcher = extractor or default_extractor, patcher or default_patcher
    if reviewer is None and llm_critic and model is not None:
        reviewer = LLMCritic(model)
    deps = Deps(
        settings=settings,
        extractor=extractor,
        patcher=patcher,
        tester=tester,
        audit=AuditLog(settings.state_dir),
        model_name=model_name(model),
        reviewer=reviewer,
    )
    item, run = ItemNodes(deps), RunNodes(deps)
    graph = StateGraph(SelfmodState, input_schema=SelfmodInput, output_schema=SelfmodOutput)
    graph.add_node("triage", run.triage)
    graph.add_node("next_reflection", item.next_reflection)
    graph.add_node("extract_bug", item.extract_bug)
    graph.add_node("locate", item.locate)
    graph.add_node("write_patch", item.write_patch)
    graph.add_node("review_patch", item.review_patch)
    graph.add_node("test_patch", item.test_patch)
    graph.add_node("record", item.record)
    graph.add_node("request_approval", run.request_approval)
    graph.add_node("approve", run.approve)
    graph.add_node("apply_patch", run.apply_patch)
    graph.add_edge(START, "triage")
    graph.add_edge("triage", "next_reflection")
    graph.add_conditional_edges("next_reflection", routing.route_after_next)
    graph.add_conditional_edges("extract_bug", routing.route_after_extract)
    graph.add_conditional_edges("locate", routing.route_after_locate)
    graph.add_conditional_edges("write_patch", routing.route_after_write)
    graph.add_conditional_edges("review_patch", routing.route_after_review)
    graph.add_conditional_edges("test_patch", routing.route_after_test)
    graph.add_edge("record", "next_reflection")
    graph.add_edge("request_approval", "approve")
    graph.add_edge("approve", "apply_patch")
    graph.add_edge("apply_patch", END)
    return graph.compile(checkpointer=checkpointer, name=name)
