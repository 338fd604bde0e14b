"""The audit log's head, kept apart from the log: how many records it holds and the last record's hash.

The hash chain alone shows edits in the middle of `.selfmod/audit.jsonl`, but not a log whose tail was cut off
or whose chain was recomputed after an edit. So every append also writes the head to anchors the log's writer
does not control by editing the log: `.selfmod/audit.head` (atomic, under the project lock) and, when the project
is in a git repository, a blob under `refs/selfmod/audit-head`. `selfmod audit --verify` compares the log with
each anchor. An anchor that does not match the log when a record is appended is left as it is (it is evidence).
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from selfmod.errors import AuditError
from selfmod.tools.changes.atomic import atomic_write_text
from selfmod.tools.changes.git import read_ref_blob, toplevel, write_ref_blob

HEAD_FILE = "audit.head"
GIT_REF = "refs/selfmod/audit-head"
GENESIS = "0" * 64


@dataclass(frozen=True)
class Head:
    """A snapshot of the log's end."""

    count: int
    """How many records the log held."""
    last_hash: str
    """The hash of its last record (GENESIS for an empty log)."""

    def dumps(self) -> str:
        """The head as one line of JSON."""
        return json.dumps({"count": self.count, "last_hash": self.last_hash}, sort_keys=True) + "\n"

    @classmethod
    def parse(cls, text: str, where: str) -> Head:
        """Read a head written by `dumps`; AuditError naming `where` when it is not one."""
        try:
            data = json.loads(text)
            count, last = data["count"], data["last_hash"]
        except (ValueError, TypeError, KeyError) as exc:
            raise AuditError(f"{where} does not hold an audit head ({text[:80]!r})") from exc
        if not isinstance(count, int) or count < 0 or not isinstance(last, str) or len(last) != 64:
            raise AuditError(f"{where} holds an invalid audit head ({text[:80]!r})")
        return cls(count, last)


@dataclass(frozen=True)
class Tail:
    """The log's last record before an append."""

    last_hash: str
    """Its hash (GENESIS for an empty log)."""
    prev_hash: str | None
    """The hash it chains to (None for an empty log)."""


class Anchor(ABC):
    """A place that keeps a copy of the head."""

    name: str

    @abstractmethod
    def read(self) -> Head | None:
        """The stored head; None when there is none yet; AuditError when it is unreadable."""

    @abstractmethod
    def write(self, head: Head) -> None:
        """Store the head."""


class FileAnchor(Anchor):
    """`.selfmod/audit.head`."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / HEAD_FILE
        self.name = str(self.path)

    def read(self) -> Head | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditError(f"{self.path} cannot be read: {exc}") from exc
        return Head.parse(text, self.name)

    def write(self, head: Head) -> None:
        atomic_write_text(self.path, head.dumps())


class GitAnchor(Anchor):
    """A blob under a ref of the git repository holding the project (outside `.selfmod/`)."""

    def __init__(self, repo: Path, ref: str) -> None:
        self.repo, self.ref = repo, ref
        self.name = f"git ref {ref}"

    def read(self) -> Head | None:
        text = read_ref_blob(self.repo, self.ref)
        return None if text is None else Head.parse(text, self.name)

    def write(self, head: Head) -> None:
        write_ref_blob(self.repo, self.ref, head.dumps())


def git_anchor(state_dir: Path) -> GitAnchor | None:
    """The git anchor of a state folder: a ref in the repository holding the project (looked up from the project,
    so a repository planted inside `.selfmod/` is not used); the ref names the project when it is not the root."""
    project = Path(state_dir).parent.resolve()
    repo = toplevel(project) if project.is_dir() else None
    if repo is None:
        return None
    if project == repo:
        return GitAnchor(repo, GIT_REF)
    rel = project.relative_to(repo).as_posix() if repo in project.parents else str(project)
    where = hashlib.sha256(rel.encode()).hexdigest()
    return GitAnchor(repo, f"{GIT_REF}-{where[:12]}")


def anchors_for(state_dir: Path) -> list[Anchor]:
    """Every anchor of a state folder: the head file, and the git ref when there is a repository."""
    found: list[Anchor] = [FileAnchor(state_dir)]
    ref = git_anchor(state_dir)
    if ref is not None:
        found.append(ref)
    return found


def _count_before(head: Head, tail: Tail) -> int | None:
    """Records in the log before the append, when the anchor matches its end; a crash may have left the anchor
    one record behind (the record was written, the head not yet)."""
    if head.last_hash == tail.last_hash:
        return head.count
    if tail.prev_hash is not None and head.last_hash == tail.prev_hash:
        return head.count + 1
    return None


def advance(state_dir: Path, tail: Tail, new_hash: str, count_lines: Callable[[], int]) -> None:
    """After one record was appended: move every anchor that matched the log to the new head.

    Anchors that do not match stay untouched, so `verify` keeps reporting what differs. A missing anchor is
    created (from a matching anchor's count, else by counting the log's records).
    """
    anchors = anchors_for(state_dir)
    stored: dict[str, Head | None] = {}
    for anchor in anchors:
        try:
            stored[anchor.name] = anchor.read()
        except AuditError:
            continue
    counts = [_count_before(h, tail) for h in stored.values() if h is not None]
    known = next((c for c in counts if c is not None), None)
    for anchor in anchors:
        if anchor.name not in stored:
            continue
        head = stored[anchor.name]
        before = _count_before(head, tail) if head is not None else known
        if head is None and before is None:
            before = known = count_lines() - 1
        if before is not None and (known is None or before == known):
            anchor.write(Head(before + 1, new_hash))


def mismatch(anchor: Anchor, hashes: list[str]) -> str | None:
    """What differs between the log (its records' hashes, oldest first) and one anchor; None when they agree."""
    try:
        head = anchor.read()
    except AuditError as exc:
        return str(exc)
    count = len(hashes)
    if head is None:
        # One record and no head yet is a crash between the first append and its head, like "one ahead" below.
        if count > 1 and isinstance(anchor, FileAnchor):
            return f"{anchor.name} is missing but the log holds {count} record(s) (deleted, or the log is forged)"
        return None
    hint = ""
    if isinstance(anchor, GitAnchor):
        hint = f" (if the log was reset on purpose: git update-ref -d {anchor.ref})"
    if count < head.count:
        return f"the log holds {count} record(s) but {anchor.name} records {head.count}: records were dropped{hint}"
    if count > head.count + 1:
        return (
            f"the log holds {count} record(s) but {anchor.name} records {head.count}: "
            f"records were added without selfmod{hint}"
        )
    at_head = hashes[head.count - 1] if head.count else GENESIS
    if at_head != head.last_hash:
        return (
            f"record {head.count}'s hash {at_head[:12]} differs from {head.last_hash[:12]} in {anchor.name}: "
            f"the chain was rebuilt{hint}"
        )
    return None
