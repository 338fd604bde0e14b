"""The LLM extractor: a reflection in, a bug report located in the project out (or `no_bug` / `unlocatable`)."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from selfmod.agents.tool_calling import CallPolicy, call_tool
from selfmod.config import Settings
from selfmod.models import BugReport, Reflection
from selfmod.prompts import render
from selfmod.protocols import BugExtractor, Extraction, Usage
from selfmod.tools.code.code_index import resolve
from selfmod.tools.code.mentions import pointers
from selfmod.tools.code.project_index import ProjectIndex, index_project
from selfmod.tools.llm_tools import log_bug_report
from selfmod.tools.triage import failure_indicators

NO_BUG = "no_bug"


def locate_problem(report: BugReport, project: ProjectIndex) -> str:
    """Why the report does not point at exactly one symbol of a patchable module ('' when it does)."""
    rel = report.filename.replace("\\", "/").removeprefix("./")
    module = project.modules.get(rel)
    if module is None:
        near = [m for m in project.modules if m.rsplit("/", 1)[-1] == rel.rsplit("/", 1)[-1]]
        hint = f" Did you mean {near[0]!r}?" if len(near) == 1 else ""
        return f"{report.filename!r} is not a patchable module of this project.{hint}"
    found = resolve(module, report.function, report.summary)
    return "" if found.status == "found" else found.reason


class LLMExtractor:
    """Calls `log_bug_report` (forced) and checks the answer against the code index, with one corrective retry."""

    def __init__(
        self,
        model: BaseChatModel,
        settings: Settings,
        policy: CallPolicy | None = None,
        fallback: BugExtractor | None = None,
    ) -> None:
        self.model = model
        self.settings = settings
        self.policy = policy or CallPolicy()
        self.fallback = fallback
        """Asked when the model, corrected once, still denies or misplaces a reported failure in the project."""

    def extract(self, reflection: Reflection) -> Extraction:
        project = index_project(self.settings)
        usage = Usage()
        correction = ""
        hints = pointers(f"{reflection.outcome}\n{reflection.reflection}", project)
        for attempt in range(2):
            prompt = render(
                "extract_bug",
                pointers="\n".join(f"- {h}" for h in hints) or "(nothing in the reflection names this project's code)",
                symbols=project.summary(),
                task_summary=reflection.task_summary,
                outcome=reflection.outcome,
                reflection=reflection.reflection,
                correction=correction,
            )
            answer = call_tool(
                self.model,
                [SystemMessage(content="You triage bug reports for a Python project."), HumanMessage(content=prompt)],
                log_bug_report,
                BugReport,
                self.policy,
            )
            usage = usage.add(answer.usage)
            report = answer.args
            if report.function.strip().lower() == NO_BUG:
                if not hints or not failure_indicators(reflection.outcome + " " + reflection.reflection):
                    return Extraction(None, "no_bug", report.summary, usage)
                if attempt:
                    return self._second_opinion(reflection, Extraction(None, "no_bug", report.summary, usage))
                correction = (
                    f"\n## Correction\nYou answered `no_bug`, but the reflection reports a failure and points at "
                    f"this project's code ({hints[0].split(': ', 1)[1]}). Report the bug there unless the "
                    "reflection says that code is right."
                )
                continue
            problem = locate_problem(report, project)
            log_bug_report.invoke(report.model_dump(mode="json"))  # a tool run in the trace
            if not problem:
                rel = report.filename.replace("\\", "/").removeprefix("./")
                found = resolve(project.modules[rel], report.function, report.summary)
                name = found.symbol.qualname if found.symbol is not None else report.function
                return Extraction(report.model_copy(update={"filename": rel, "function": name}), usage=usage)
            correction = (
                f"\n## Correction\nYour previous report named {report.filename!r} / {report.function!r}, but "
                f"{problem} Use a file and a symbol from the list above, or `no_bug`."
            )
        return self._second_opinion(reflection, Extraction(report, "unlocatable", problem, usage))

    def _second_opinion(self, reflection: Reflection, denied: Extraction) -> Extraction:
        """The fallback's report when it locates the failure the model would not; the model's answer otherwise."""
        if self.fallback is None:
            return denied
        found = self.fallback.extract(reflection)
        if found.report is None:
            return denied
        said = "no_bug" if denied.status == "no_bug" else f"a place not in the project ({denied.message})"
        note = f"located by selfmod's deterministic locator; the model answered {said} twice: {denied.message}"
        report = found.report.model_copy(update={"evidence": [note[:500], *found.report.evidence]})
        return Extraction(report, usage=denied.usage.add(found.usage))
