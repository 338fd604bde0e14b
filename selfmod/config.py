"""Settings for one target project: defaults, overridden by `[tool.selfmod]` or `.selfmod.toml`."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DANGEROUS_CALLS: tuple[str, ...] = (
    "os.system",
    "os.popen",
    "os.exec*",
    "os.spawn*",
    "os.fork",
    "os.kill",
    "os.remove",
    "os.unlink",
    "os.rmdir",
    "subprocess.*",
    "eval",
    "exec",
    "compile",
    "__import__",
    "shutil.rmtree",
    "socket.*",
    "ctypes.*",
)
"""Calls a patch may not newly introduce unless allowed (fnmatch patterns on the dotted call name)."""


class Settings(BaseModel):
    """How selfmod treats one project."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    project_root: Path = Field(default_factory=Path.cwd)
    """The project selfmod may modify; nothing outside it is ever written."""
    reflections_file: str = "reflections.json"
    """The reflections file, relative to the project root."""
    context_lines: int = Field(default=5, ge=0, le=50)
    """Context lines shown around the target symbol."""
    max_attempts: int = Field(default=3, ge=1, le=20)
    """Patch attempts per reflection before it is recorded as rejected."""
    enforce_scope: bool = True
    """Reject patches that change code outside the target symbol."""
    protected: list[str] = Field(default_factory=list)
    """Extra gitignore-style patterns of files no patch may change."""
    allowed_calls: list[str] = Field(default_factory=list)
    """Dangerous calls (patterns like `subprocess.*`) that patches may introduce anyway."""
    dangerous_calls: list[str] = Field(default_factory=lambda: list(DANGEROUS_CALLS))
    """Calls a patch may not newly introduce."""

    @property
    def state_dir(self) -> Path:
        """`.selfmod/` inside the project: audit log, backups, checkpoints, locks."""
        return self.project_root / ".selfmod"

    def state_patterns(self) -> list[str]:
        """Protected patterns for selfmod's own state files in this project."""
        return [self.reflections_file, ".selfmod/"]
