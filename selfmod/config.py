"""Settings for one target project: defaults, overridden by `[tool.selfmod]` in pyproject.toml or `.selfmod.toml`."""

from __future__ import annotations

import shlex
import sys
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from selfmod.errors import ConfigError

DANGEROUS_CALLS: tuple[str, ...] = (
    # process creation
    "os.system",
    "os.popen",
    "os.exec*",
    "os.spawn*",
    "os.posix_spawn*",
    "os.fork*",
    "os.forkpty",
    "subprocess.*",
    "_posixsubprocess.*",
    "pty.*",
    "multiprocessing.*",
    "concurrent.futures.ProcessPoolExecutor",
    "asyncio.create_subprocess_*",
    "asyncio.subprocess.*",
    "*.subprocess_exec",
    "*.subprocess_shell",
    "posix.*",
    "nt.*",
    "_winapi.*",
    # ending the process or the test run early
    "os._exit",
    "os.abort",
    "os.kill",
    "os.killpg",
    "sys.exit",
    "exit",
    "quit",
    "SystemExit",
    "KeyboardInterrupt",
    "breakpoint",
    "signal.*",
    "_signal.*",
    "atexit.*",
    # native code, namespaces and the network
    "ctypes.*",
    "_ctypes.*",
    "cffi.*",
    "os.setns",
    "os.unshare",
    "socket.*",
    "_socket.*",
    # running or importing code chosen at run time
    "eval",
    "exec",
    "compile",
    "__import__",
    "importlib.*",
    "builtins.*",
    "globals",
    "locals",
    "sys.modules",
    "runpy.*",
    "code.interact",
    "code.Interactive*",
    "codeop.*",
    "pkgutil.resolve_name",
    "pickle.load*",
    "pickle.Unpickler",
    "_pickle.*",
    "marshal.*",
    "types.CodeType",
    # the test framework's internals and interpreter hooks
    "pytest.*",
    "_pytest.*",
    "pluggy.*",
    "unittest.*",
    "sys.settrace",
    "sys.setprofile",
    "sys.addaudithook",
    "sys._getframe",
    "sys._current_frames",
    "threading.settrace*",
    "threading.setprofile*",
    "inspect.currentframe",
    "inspect.stack",
    "gc.get_referrers",
    "gc.get_referents",
    "gc.get_objects",
    "*.__subclasses__",
    "*.__globals__",
    "*.__builtins__",
    "*.__code__",
    "*.f_globals",
    "*.f_locals",
    "*.f_builtins",
    "*.f_back",
    "*.tb_frame",
    "*.gi_frame",
    "*.cr_frame",
    "*.ag_frame",
    # destroying files
    "os.remove",
    "os.unlink",
    "os.rmdir",
    "os.removedirs",
    "shutil.rmtree",
)
"""Names a patch may not newly reference unless allowed: fnmatch patterns on the fully resolved dotted name (through
imports, aliases, getattr, import_module, sys.modules). A pattern also covers what lies inside the name
(`os.system.__call__`), `x.*` also covers the bare module x, and `*.attr` covers that attribute on any object."""

PYTHON_NAMES = {"python", "python3", f"python{sys.version_info.major}.{sys.version_info.minor}"}


class Settings(BaseModel):
    """How selfmod treats one project."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid", validate_assignment=True)

    project_root: Path = Field(default_factory=Path.cwd)
    """The project selfmod may modify; nothing outside it is ever written."""
    reflections_file: str = "reflections.json"
    """The reflections file, relative to the project root."""
    context_lines: int = Field(default=5, ge=0, le=50)
    """Context lines shown around the target symbol."""
    max_attempts: int = Field(default=3, ge=1, le=20)
    """Patch attempts per reflection before it is recorded as rejected."""
    run_time_budget: float = Field(default=1800.0, gt=0)
    """Wall-clock seconds one run may spend before remaining reflections are left for the next run."""
    enforce_scope: bool = True
    """Reject patches that change code outside the target symbol."""
    protected: list[str] = Field(default_factory=list)
    """Extra gitignore-style patterns of files no patch may change."""
    allowed_calls: list[str] = Field(default_factory=list)
    """Dangerous calls (patterns like `subprocess.*`) that patches may introduce anyway."""
    dangerous_calls: list[str] = Field(default_factory=lambda: list(DANGEROUS_CALLS))
    """Calls a patch may not newly introduce."""
    test_command: list[str] = Field(default_factory=lambda: ["python", "-m", "pytest", "-q"])
    """The project's test command, run in the sandbox; a leading `python`/`python3` means the project's interpreter
    (see `python`) and a leading `pytest` runs as `<that interpreter> -m pytest`."""
    python: str | None = None
    """The interpreter of the project's tests, localisation and repair worker (a path relative to the project or
    absolute, or a program on PATH); unset: the `python` of `test_command`, else `.venv/bin/python` or
    `venv/bin/python` in the project, else selfmod's own interpreter."""
    test_timeout: float = Field(default=300.0, gt=0)
    """Wall-clock seconds before the whole test process group is killed."""
    acceptance: Literal["fix_failing", "all_pass", "no_regression"] = "fix_failing"
    """fix_failing: every test failing before passes and every passing one still passes; all_pass: every test
    passes (skips only where the baseline skipped too); no_regression: nothing that passed fails or disappears and
    at least one failing test passes."""
    sandbox: Literal["auto", "bwrap", "process"] = "auto"
    """Where untrusted code runs: `bwrap` namespaces, the weaker `process` sandbox, or `auto` (bwrap when it works)."""
    max_processes: int = Field(default=256, ge=8)
    """Most processes the code under test may have at once in the namespace sandbox."""
    env_passthrough: list[str] = Field(default_factory=list)
    """Extra environment variable names passed to the tests (everything else is withheld)."""
    memory_limit_mb: int = Field(default=4096, ge=64)
    """Address-space limit of the test processes, in MiB."""
    file_size_limit_mb: int = Field(default=512, ge=1)
    """Largest file the test processes may write, in MiB."""
    output_cap: int = Field(default=200_000, ge=1_000)
    """Bytes of test output kept (head and tail)."""
    isolate_network: bool = True
    """Run tests in a new network namespace (no network) where the OS permits."""
    git_commit: bool = True
    """Commit each applied file when the project is a git repository and the file had no uncommitted changes."""
    file_budget: int = Field(default=3, ge=0)
    """How many changes selfmod may apply to one file within `file_budget_window_hours`."""
    file_budget_window_hours: float = Field(default=24.0, gt=0)
    """The window of the per-file modification budget."""
    auto_approve: bool = False
    """Apply tested patches without asking."""
    llm_timeout: float = Field(default=120.0, gt=0)
    """Seconds one LLM request may take."""
    llm_streaming: bool = False
    """Stream LLM responses (tool calls are assembled from the chunks)."""
    llm_critic: bool = False
    """Ask the model for a second opinion after the deterministic critic accepts a patch."""
    offline_first: bool = False
    """With a chat model, try the offline repair engine first and ask the model only when it finds nothing."""
    candidates: int = Field(default=1, ge=1, le=8)
    """Patch proposals the LLM patcher samples per attempt; the one passing the tests, then the behaviour most
    samples agree on beyond them, then the smallest, wins."""
    prompt_tokens: int = Field(default=2500, ge=500)
    """About how many tokens the first patch prompt may take (failing-test evidence is trimmed to fit)."""
    patch_format: Literal["tool_call", "code_block"] = "tool_call"
    """How the LLM patcher asks for a patch: a `propose_code_patch` / `propose_edits` tool call, or the fixed
    function in a ```python block of a plain answer (better for small local models, which garble code in JSON)."""

    @field_validator("test_command", mode="before")
    @classmethod
    def _split_command(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = shlex.split(value)
        return value

    @property
    def state_dir(self) -> Path:
        """`.selfmod/` inside the project: audit log, backups, checkpoints, locks."""
        return self.project_root / ".selfmod"

    @property
    def reflections_path(self) -> Path:
        """Absolute path of the reflections file."""
        return self.project_root / self.reflections_file

    def state_patterns(self) -> list[str]:
        """Protected patterns for selfmod's own state files in this project."""
        return [self.reflections_file, ".selfmod/"]


def _table(path: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"settings file {path} is not UTF-8 (byte {exc.start})") from exc
    except OSError as exc:
        raise ConfigError(f"settings file {path} cannot be read: {exc.strerror}") from exc
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("selfmod")
        return dict(table) if isinstance(table, dict) else None
    return dict(data.get("tool", {}).get("selfmod", data))


def load_settings(project_root: Path, **overrides: Any) -> Settings:
    """Settings for a project: `.selfmod.toml`, else `[tool.selfmod]` of pyproject.toml, then `overrides`."""
    root = Path(project_root).resolve()
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "does not exist"
        raise ConfigError(f"project directory {project_root} {what}")
    values: dict[str, Any] = {}
    source = "defaults"
    for candidate in (root / ".selfmod.toml", root / "pyproject.toml"):
        if candidate.is_dir():
            raise ConfigError(f"settings file {candidate} is a directory, not a file")
        if candidate.is_file():
            table = _table(candidate)
            if table is not None:
                values, source = table, str(candidate)
                break
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["project_root"] = root
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"invalid selfmod settings in {source}: {problems}") from exc
