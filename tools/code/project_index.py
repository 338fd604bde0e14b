"""The project's patchable modules and their symbols, for prompts and for checking a bug report's location."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from selfmod.config import Settings
from selfmod.errors import CodeIndexError
from selfmod.tools.code.code_index import ModuleIndex, index_source
from selfmod.tools.code.source_text import read_source
from selfmod.tools.path_safety import ProtectedPaths
from selfmod.tools.sandbox import SKIP_DIRS


@dataclass
class ProjectIndex:
    """Every parseable, unprotected Python module of the project, by relative path."""

    modules: dict[str, ModuleIndex]

    def summary(self, limit: int = 6000) -> str:
        """One line per module: `path: name, Class, Class.method, ...` (cut at `limit` characters)."""
        lines = []
        for rel, module in sorted(self.modules.items()):
            names = ", ".join(s.qualname for s in module.symbols)
            lines.append(f"{rel}: {names}" if names else rel)
        text = "\n".join(lines)
        return text if len(text) <= limit else text[:limit] + "\n... (more modules not shown)"


def python_files(root: Path) -> list[str]:
    """Relative paths of the project's .py files, skipping VCS data, state, virtualenvs and caches."""
    found = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIP_DIRS and not d.endswith(".egg-info") and not (Path(directory) / d / "pyvenv.cfg").exists()
        )
        found += [(Path(directory) / f).relative_to(root).as_posix() for f in sorted(files) if f.endswith(".py")]
    return found


def index_project(settings: Settings) -> ProjectIndex:
    """Index the modules a patch may touch (protected files such as tests are left out)."""
    root = settings.project_root.resolve()
    protected = ProtectedPaths(root, settings.protected, settings.state_patterns())
    modules = {}
    for rel in python_files(root):
        if protected.reason(rel):
            continue
        try:
            modules[rel] = index_source(read_source(root / rel)[0], rel)
        except (CodeIndexError, UnicodeDecodeError, OSError):
            continue
    return ProjectIndex(modules)
