"""The offline engine's head start: its work on the first reflection begins while the graph framework loads.

Loading LangGraph and LangChain takes about a second and a quarter; the offline engine's own work (the line probe,
the candidate search, the baseline test run) mostly waits for sandboxed processes. `start_warm_up` runs that work
in a background thread as soon as the CLI knows the settings: the patcher keeps the search result for the graph,
the sandbox tests the first plausible patch as soon as the search finds it (usually the one chosen) and the patch
the patcher will propose (when the critic would pass them), each beside the baseline run, and the graph then finds
them ready. It only reads the project and runs its tests
in the sandbox, as the graph would; whatever it cannot do is left for the graph to do (and report) itself.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from selfmod.agents.critic import review_proposal
from selfmod.agents.offline.offline_extractor import OfflineExtractor
from selfmod.agents.offline.offline_patcher import OfflinePatcher
from selfmod.config import Settings
from selfmod.errors import SelfmodError
from selfmod.models import BugReport, CodeContext, PatchProposal
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.changes.safety import is_disabled
from selfmod.tools.code.context import Located, extract_code_block
from selfmod.tools.code.source_text import read_source
from selfmod.tools.reflections import load_reflections
from selfmod.tools.sandbox import Sandbox
from selfmod.tools.triage import triage


def start_warm_up(settings: Settings, patcher: OfflinePatcher, reflections: Path) -> threading.Thread | None:
    """Start the warm-up thread (None when selfmod is disabled for the project: then nothing runs). Its bug
    report is its own (untraced: tracing would load LangChain in this thread too); the graph extracts again."""
    if is_disabled(settings):
        return None
    extractor = OfflineExtractor(settings, traced=False)
    thread = threading.Thread(target=_warm_up, args=(settings, extractor, patcher, reflections), name="selfmod-warm-up")
    thread.start()
    return thread


def _warm_up(settings: Settings, extractor: OfflineExtractor, patcher: OfflinePatcher, reflections: Path) -> None:
    with contextlib.suppress(SelfmodError, OSError, ValueError):
        items = triage(load_reflections(reflections).entries, AuditLog(settings.state_dir).handled_reflection_ids())
        first = next((item for item in items if item.status == "actionable"), None)
        if first is None:
            return
        found = extractor.extract(first.reflection)  # runs the line probe
        if found.report is None or found.status != "found":
            return
        report = found.report
        located = extract_code_block(
            settings.project_root, report.filename, report.function, settings.context_lines, report.summary
        )
        if not isinstance(located, Located):
            return
        context = located.context
        started: set[str] = set()

        def test_ahead(proposal: PatchProposal) -> None:
            if proposal.new_code not in started:  # started: the graph may have applied it already
                started.add(proposal.new_code)
                _test_ahead(settings, proposal, context, report)

        patcher.prepare(context, test_ahead)
        chosen = patcher.peek(context)
        if chosen is not None:
            test_ahead(chosen)


def _test_ahead(settings: Settings, proposal: PatchProposal, context: CodeContext, report: BugReport) -> None:
    """Start the sandbox test of a patch the patcher found (the first plausible one while it goes on, then the
    one it will propose), if the critic would pass it: the graph's test of the same text on the same tree then
    takes this run's result, and a patch already under test is not tested twice."""
    source = read_source(settings.project_root / context.file)[0]
    review = review_proposal(proposal, context, source, settings, report)
    if review.verdict.accepted and review.new_text is not None:
        Sandbox(settings).prefetch_evaluation({context.file: review.new_text})
