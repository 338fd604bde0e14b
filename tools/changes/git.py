"""The few git operations selfmod needs: is it a repo, is a file clean, commit one file, keep a blob under a ref."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "selfmod",
    "GIT_AUTHOR_EMAIL": "selfmod@localhost",
    "GIT_COMMITTER_NAME": "selfmod",
    "GIT_COMMITTER_EMAIL": "selfmod@localhost",
}


def _git(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_IDENTITY, "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, env=env, timeout=60, input=stdin)


def is_repo(root: Path) -> bool:
    """True when `root` is inside a git work tree."""
    try:
        proc = _git(root, "rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and proc.stdout.strip() == "true"


def is_clean(root: Path, rel: str) -> bool:
    """True when the file is tracked and has no staged or unstaged changes."""
    tracked = _git(root, "ls-files", "--error-unmatch", "--", rel).returncode == 0
    return tracked and _git(root, "status", "--porcelain", "--", rel).stdout.strip() == ""


def commit_file(root: Path, rel: str, message: str) -> str | None:
    """Commit just this file (other staged changes stay staged); returns the commit sha or None on failure."""
    return commit_files(root, [rel], message)


def commit_files(root: Path, rels: list[str], message: str) -> str | None:
    """Commit just these files in one commit (other staged changes stay staged); the sha or None on failure."""
    if _git(root, "add", "--", *rels).returncode != 0:
        return None
    if _git(root, "commit", "--quiet", "--no-verify", "-m", message, "--only", "--", *rels).returncode != 0:
        return None
    proc = _git(root, "rev-parse", "HEAD")
    return proc.stdout.strip() if proc.returncode == 0 else None


def toplevel(path: Path) -> Path | None:
    """The root of the git work tree holding `path` (a directory), or None when there is none."""
    try:
        proc = _git(path, "rev-parse", "--show-toplevel")
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(proc.stdout.strip()).resolve() if proc.returncode == 0 and proc.stdout.strip() else None


def read_ref_blob(root: Path, ref: str) -> str | None:
    """The text of the blob `ref` points to; None when the ref does not exist (or names no blob)."""
    try:
        proc = _git(root, "cat-file", "blob", f"{ref}^{{blob}}")
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def write_ref_blob(root: Path, ref: str, text: str) -> bool:
    """Store `text` as a blob and point `ref` at it (no commit, no work tree change); True on success."""
    try:
        blob = _git(root, "hash-object", "-w", "--stdin", stdin=text)
        if blob.returncode != 0 or not blob.stdout.strip():
            return False
        return _git(root, "update-ref", ref, blob.stdout.strip()).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
