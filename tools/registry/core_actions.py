"""The core actions: write a Python file inside a workspace, and run one there with the sandbox's runner."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from selfmod.errors import UnsafePathError
from selfmod.models import AuditRecord
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.changes.safety import write_unless_disabled
from selfmod.tools.code.source_text import sha256_text
from selfmod.tools.path_safety import relative_path
from selfmod.tools.registry.actions import Action, ActionError
from selfmod.tools.sandbox.runner import Confinement, Limits, child_env, run_isolated


class WriteParams(BaseModel):
    """Parameters of `write_python_code`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    path: str
    """File to write, relative to the workspace; must end in .py."""
    code: str
    """The Python source; it must parse."""


class ExecuteParams(BaseModel):
    """Parameters of `execute_python_file`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    path: str
    """File to run, relative to the workspace."""
    args: list[str] = Field(default_factory=list)
    """Command-line arguments (no shell)."""
    timeout: float = Field(default=30.0, gt=0, le=600)
    """Seconds before the whole process group is killed."""


def _inside(workspace: Path, path: str) -> Path:
    try:
        return Path(workspace).resolve() / relative_path(Path(workspace), path)
    except UnsafePathError as exc:
        raise ActionError(str(exc)) from exc


class WritePythonCodeAction(Action):
    """Writes a Python file, only inside the configured workspace."""

    name = "write_python_code"
    description = "Write a Python file inside the workspace (the code must parse)."
    Params = WriteParams

    def __init__(self, workspace: Path, audit: AuditLog | None = None) -> None:
        self.workspace = Path(workspace)
        self.audit = audit

    def execute(self, **params: Any) -> dict[str, Any]:
        path, code = str(params["path"]), str(params["code"])
        if not path.endswith(".py"):
            raise ActionError(f"write_python_code only writes .py files, not {path!r}")
        target = _inside(self.workspace, path)
        try:
            ast.parse(code, filename=path)
        except SyntaxError as exc:
            raise ActionError(f"write_python_code: {path} does not parse (line {exc.lineno}: {exc.msg})") from exc
        rel = target.relative_to(self.workspace.resolve()).as_posix()
        state_dir = self.audit.state_dir if self.audit is not None else self.workspace.resolve() / ".selfmod"
        stopped = write_unless_disabled(state_dir, target, code.encode("utf-8"))
        if stopped:
            if self.audit is not None:
                self.audit.append(AuditRecord(id="", timestamp="", status="disabled", file=rel, message=stopped))
            raise ActionError(f"{self.name}: {rel} not written: {stopped}")
        if self.audit is not None:
            record = AuditRecord(id="", timestamp="", status="action_write", file=rel, hash_after=sha256_text(code))
            self.audit.append(record.model_copy(update={"message": f"{self.name} wrote {rel}"}))
        return {"path": rel, "bytes": len(code.encode())}


class ExecutePythonFileAction(Action):
    """Runs a Python file of the workspace: no shell, timeout, process-group kill, scrubbed environment."""

    name = "execute_python_file"
    description = "Run a Python file of the workspace and return its exit code and output."
    Params = ExecuteParams

    def __init__(self, workspace: Path, env_passthrough: list[str] | None = None) -> None:
        self.workspace = Path(workspace)
        self.env_passthrough = list(env_passthrough or [])

    def execute(self, **params: Any) -> dict[str, Any]:
        target = _inside(self.workspace, str(params["path"]))
        if not target.is_file():
            raise ActionError(f"execute_python_file: {params['path']!r} is not a file in the workspace")
        scratch = self.workspace / ".selfmod" / "exec-home"
        scratch.mkdir(parents=True, exist_ok=True)
        env = child_env(scratch, scratch, self.env_passthrough)
        limits = Limits(timeout=float(params["timeout"]), output_cap=100_000)
        confinement = Confinement(writable=(self.workspace.resolve(),))
        result = run_isolated([sys.executable, str(target), *params["args"]], self.workspace, env, limits, confinement)
        return {"exit_code": result.exit_code, "output": result.output, "timed_out": result.timed_out}
