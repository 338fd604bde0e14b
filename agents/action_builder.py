"""Self-created actions: the model proposes a new action module; it is accepted only if it stays in the actions
folder, parses, adds no dangerous call, imports and defines a valid Action in the sandbox, and the project's tests
pass there. Then it is created (audited), imported and registered, so its tool appears in `as_tools()`.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from selfmod.agents.dangerous_refs import new_dangerous_calls, sandbox_probes
from selfmod.agents.tool_calling import CallPolicy, call_tool
from selfmod.config import Settings
from selfmod.errors import UnsafePathError
from selfmod.models import AuditRecord, PatchProposal
from selfmod.prompts import render
from selfmod.tools.changes.apply import create_file
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.llm_tools import propose_code_patch
from selfmod.tools.path_safety import ProtectedPaths, relative_path
from selfmod.tools.registry.action_registry import ActionRegistry, Discovery
from selfmod.tools.sandbox import Sandbox

CHECK = """
import importlib.util, json, sys
from selfmod.tools.registry.actions import Action, check_action_class
spec = importlib.util.spec_from_file_location("selfmod_new_action", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
found = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, Action) and c is not Action
         and c.__module__ == module.__name__]
print(json.dumps({c.__name__: check_action_class(c) for c in found}))
"""


@dataclass
class BuildResult:
    """The outcome of one request for a new action."""

    status: str
    message: str = ""
    file: str | None = None
    registered: list[str] = field(default_factory=list)
    audit_id: str | None = None


class ActionBuilder:
    """Turns a request ("an action that ...") into a tested, registered action."""

    def __init__(
        self,
        settings: Settings,
        registry: ActionRegistry,
        model: BaseChatModel,
        actions_dir: str = "actions",
        policy: CallPolicy | None = None,
    ) -> None:
        self.settings, self.registry, self.model = settings, registry, model
        self.actions_dir = actions_dir.strip("/")
        self.policy = policy or CallPolicy()
        self.audit = AuditLog(settings.state_dir)

    def problems(self, proposal: PatchProposal) -> list[str]:
        """Why the proposed module cannot be accepted (empty when it passes every check)."""
        root = self.settings.project_root
        try:
            rel = relative_path(root, proposal.filename)
        except UnsafePathError as exc:
            return [str(exc)]
        if not rel.startswith(self.actions_dir + "/") or not rel.endswith(".py"):
            return [f"{rel} is not a new .py module in {self.actions_dir}/"]
        if (root / rel).exists():
            return [f"{rel} already exists; new actions go into new modules"]
        protected = ProtectedPaths(root, self.settings.protected, self.settings.state_patterns()).reason(rel)
        if protected:
            return [protected]
        try:
            compile(proposal.new_code, rel, "exec")
        except SyntaxError as exc:
            return [f"{rel} does not parse (line {exc.lineno}: {exc.msg})"]
        rejections = new_dangerous_calls("", proposal.new_code, self.settings) + sandbox_probes(proposal.new_code)
        return [r.message for r in rejections]

    def sandbox_check(self, rel: str, code: str) -> list[str]:
        """Import the module and check its Action classes in the sandbox, then run the project's tests there."""
        sandbox = Sandbox(self.settings)
        with sandbox.workspace({rel: code}) as ws:
            run = sandbox.execute(ws, [sys.executable, "-c", CHECK, str(ws.project / rel)], timeout=60)
        if run.exit_code != 0:
            last = run.output.strip().splitlines()[-1] if run.output.strip() else f"exit code {run.exit_code}"
            return [f"the module does not import: {last}"]
        classes = json.loads(run.output.strip().splitlines()[-1])
        if not classes:
            return ["the module defines no Action subclass"]
        bad = [f"{name}: {why}" for name, why in classes.items() if why]
        if bad:
            return bad
        tests = sandbox.evaluate(rel, code)
        if not tests.success:
            return [
                f"the project's tests fail with the new module: {', '.join(tests.new_failures) or tests.output[-300:]}"
            ]
        return []

    def create(self, request: str) -> BuildResult:
        """Ask for a new action, check it, create and register it; rejections are fed back up to max_attempts."""
        feedback = ""
        for attempt in range(1, self.settings.max_attempts + 1):
            prompt = render(
                "new_action",
                actions_dir=self.actions_dir,
                request=request,
                definitions=self.registry.get_action_definitions(),
                feedback=feedback,
            )
            answer = call_tool(
                self.model, [HumanMessage(content=prompt)], propose_code_patch, PatchProposal, self.policy
            )
            proposal = answer.args
            problems = self.problems(proposal)
            rel = proposal.filename.replace("\\", "/").removeprefix("./")
            if not problems:
                problems = self.sandbox_check(rel, proposal.new_code)
            if not problems:
                base = AuditRecord(id="", timestamp="", status="", proposal=proposal, attempts=attempt, message=request)
                record = create_file(self.settings, self.audit, rel, proposal.new_code, base)
                if record.status != "applied":
                    return BuildResult(record.status, record.message, rel, audit_id=record.id)
                found = self._register(self.settings.project_root / rel)
                return BuildResult("applied", "; ".join(found.failed.values()), rel, found.registered, record.id)
            feedback = "\n## Your previous module was rejected\n" + "\n".join(f"- {p}" for p in problems) + "\n"
        record = self.audit.append(
            AuditRecord(
                id="", timestamp="", status="rejected", attempts=self.settings.max_attempts, message=feedback.strip()
            )
        )
        return BuildResult("rejected", feedback.strip(), audit_id=record.id)

    def _register(self, path: Path) -> Discovery:
        name = f"selfmod_actions_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return self.registry.register_module(module)
