"""The project's interpreter: the one its tests, the localisation run and the repair worker all run under.

Resolution order: the `python` setting; the interpreter a `test_command` names by path (`.venv/bin/python -m
pytest`, `/opt/py/bin/pytest`); a `.venv` or `venv` in the project; selfmod's own interpreter. A bare `python`,
`python3` or `pytest` at the head of `test_command` means "the project's interpreter". Virtualenvs are never copied
into the sandbox, so paths into the project's own virtualenv are made absolute (the namespace sandbox binds them
read-only).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from selfmod.config import PYTHON_NAMES, Settings
from selfmod.errors import ConfigError

VENV_DIRS = (".venv", "venv")
PYTEST_NAMES = ("pytest", "py.test")


def _absolute(root: Path, program: str) -> Path:
    path = Path(program).expanduser()
    return path if path.is_absolute() else root / path


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _explicit(settings: Settings, root: Path) -> str:
    value = str(settings.python)
    found = _absolute(root, value) if "/" in value else shutil.which(value)
    if found is None or not _runnable(Path(found)):
        raise ConfigError(f"python setting {value!r}: no such executable interpreter (relative paths start at {root})")
    return str(found)


def _named_by_command(settings: Settings, root: Path) -> str | None:
    """The interpreter a test command names by path: itself, or the `python` beside a `pytest` script."""
    head = settings.test_command[0] if settings.test_command else ""
    if "/" not in head:
        return None
    path = _absolute(root, head)
    if path.name.startswith("python") and _runnable(path):
        return str(path)
    if path.name in PYTEST_NAMES:
        sibling = path.parent / "python"
        if _runnable(sibling):
            return str(sibling)
    return None


def project_python(settings: Settings) -> str:
    """The interpreter the project's tests need (see the module docstring for the order)."""
    root = settings.project_root.resolve()
    if settings.python:
        return _explicit(settings, root)
    named = _named_by_command(settings, root)
    if named is not None:
        return named
    for folder in VENV_DIRS:
        candidate = root / folder / "bin" / "python"
        if _runnable(candidate) and (root / folder / "pyvenv.cfg").is_file():
            return str(candidate)
    return sys.executable


def _inside_project_venv(root: Path, path: Path) -> bool:
    inside = path.is_relative_to(root) and path != root
    return inside and any((parent / "pyvenv.cfg").is_file() for parent in path.parents if parent.is_relative_to(root))


def resolved_test_command(settings: Settings) -> list[str]:
    """The test command as it runs in the sandbox: `python`/`pytest` heads replaced by the project's interpreter,
    paths into the project's virtualenv made absolute."""
    command = list(settings.test_command)
    if not command:
        return command
    head, rest = command[0], command[1:]
    if head in PYTHON_NAMES:
        return [project_python(settings), *rest]
    if head in PYTEST_NAMES:
        return [project_python(settings), "-m", "pytest", *rest]
    if "/" in head and not Path(head).is_absolute():
        root = settings.project_root.resolve()
        path = root / head
        if _inside_project_venv(root, path):
            return [str(path), *rest]
    return command
