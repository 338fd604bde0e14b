"""Where patches may go: inside the project root, never onto protected files (tests, selfmod's state, selfmod)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import pathspec

from selfmod.errors import UnsafePathError

DEFAULT_PROTECTED: tuple[str, ...] = (
    "tests/",
    "test/",
    "test_*.py",
    "*_test.py",
    "conftest.py",
    ".selfmod/",
    ".selfmod.toml",
    "pyproject.toml",
    ".git/",
)


def selfmod_source_files() -> tuple[list[Path], set[tuple[int, int]]]:
    """selfmod's own code: its package folders (real paths) and the identities of its files.

    File identities (device, inode) also catch editable installs whose package folders are link trees.
    """
    dirs: set[Path] = set()
    for sub in ("", ".graph", ".agents", ".tools", ".prompts"):
        module = importlib.import_module(f"selfmod{sub}")
        for entry in getattr(module, "__path__", []):
            dirs.add(Path(entry).resolve())
        if module.__file__:
            dirs.add(Path(module.__file__).resolve().parent)
    identities: set[tuple[int, int]] = set()
    for folder in dirs:
        for file in folder.glob("*.py"):
            stat = file.stat()
            identities.add((stat.st_dev, stat.st_ino))
    return sorted(dirs), identities


def relative_path(root: Path, filename: str) -> str:
    """Normalise a project-relative filename and prove it stays inside `root` (symlinks resolved).

    Returns the forward-slash path relative to the real root; raises UnsafePathError naming the input.
    """
    if not filename or "\x00" in filename:
        raise UnsafePathError(f"filename {filename!r} is empty or holds a NUL byte")
    text = filename.replace("\\", "/")
    if text.startswith("/") or PurePosixPath(text).is_absolute() or (len(text) > 1 and text[1] == ":"):
        raise UnsafePathError(f"filename {filename!r} is absolute; give a path relative to the project root")
    if ".." in PurePosixPath(text).parts:
        raise UnsafePathError(f"filename {filename!r} contains '..'; patches must stay inside the project root")
    real_root = root.resolve()
    target = (real_root / text).resolve()
    if target != real_root and real_root not in target.parents:
        raise UnsafePathError(f"filename {filename!r} resolves to {target}, outside the project root {real_root}")
    return target.relative_to(real_root).as_posix()


class ProtectedPaths:
    """Gitignore-style patterns of files no patch may touch, plus selfmod's own source folders."""

    def __init__(self, root: Path, extra: Iterable[str] = (), state_files: Iterable[str] = ()) -> None:
        self.root = root.resolve()
        self.patterns = [*DEFAULT_PROTECTED, *state_files, *extra]
        self._spec = pathspec.GitIgnoreSpec.from_lines(self.patterns)
        self._own_dirs, self._own_files = selfmod_source_files()

    def reason(self, rel_path: str) -> str | None:
        """Why the project-relative path is protected, or None when a patch may change it."""
        if self._spec.match_file(rel_path):
            return f"{rel_path} is protected (patterns: {', '.join(self.patterns)})"
        target = (self.root / rel_path).resolve()
        for own in self._own_dirs:
            if target == own or own in target.parents:
                return f"{rel_path} is part of selfmod itself ({own})"
        if target.is_file():
            stat = target.stat()
            if (stat.st_dev, stat.st_ino) in self._own_files:
                return f"{rel_path} is part of selfmod itself"
        return None
