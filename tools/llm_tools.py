"""The tools the LLM calls: `log_bug_report`, `propose_code_patch` and `propose_edits`, with pydantic schemas."""

from __future__ import annotations

from langchain_core.tools import StructuredTool

from selfmod.models import BugReport, EditsProposal, PatchProposal

LOG_BUG_REPORT = "log_bug_report"
PROPOSE_CODE_PATCH = "propose_code_patch"
PROPOSE_EDITS = "propose_edits"


def _log_bug_report(**kwargs: object) -> str:
    report = BugReport.model_validate(kwargs)
    return report.model_dump_json()


def _propose_code_patch(**kwargs: object) -> str:
    proposal = PatchProposal.model_validate(kwargs)
    return proposal.model_dump_json()


def _propose_edits(**kwargs: object) -> str:
    proposal = EditsProposal.model_validate(kwargs)
    return proposal.model_dump_json()


log_bug_report = StructuredTool.from_function(
    func=_log_bug_report,
    name=LOG_BUG_REPORT,
    description=(
        "Record the bug described in the reflection: the file (relative to the project root), the function, "
        "method (Class.method) or class that holds it, a short summary and the severity."
    ),
    args_schema=BugReport,
)

propose_code_patch = StructuredTool.from_function(
    func=_propose_code_patch,
    name=PROPOSE_CODE_PATCH,
    description=(
        "Propose a fix: replace lines start_line..end_line (1-based, inclusive, as numbered in the code shown) "
        "of filename with new_code, normally the complete fixed function, and explain the change."
    ),
    args_schema=PatchProposal,
)

propose_edits = StructuredTool.from_function(
    func=_propose_edits,
    name=PROPOSE_EDITS,
    description=(
        "Propose a fix that needs more than one function: a list of edits, each replacing one whole definition "
        "(symbol = its qualified name, e.g. parse or Parser.parse; a new name adds a function) or module-level "
        'statements (symbol = "<module>": new_code holds the new imports/constants/regexes, which replace the '
        "module-level statements that define the same names; or give old_code, the exact lines to replace). "
        "No line numbers. All edits are applied together or not at all."
    ),
    args_schema=EditsProposal,
)

TOOLS = (log_bug_report, propose_code_patch, propose_edits)
