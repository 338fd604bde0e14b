"""The append-only, hash-chained audit log `.selfmod/audit.jsonl`: one JSON record per line, one per outcome.

Its head (record count and last hash) is also kept outside the log (`tools/changes/audit_head.py`), so `verify` notices
dropped trailing records and a recomputed chain, not only edits in the middle.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from selfmod.errors import AuditError
from selfmod.models import AuditRecord
from selfmod.tools.changes.audit_head import GENESIS, Tail, advance, anchors_for, mismatch
from selfmod.tools.changes.locks import project_lock
from selfmod.tools.redact import redact_data

HANDLED_STATUSES = frozenset(
    {"applied", "rejected", "not_actionable", "no_bug", "unlocatable", "awaiting_approval", "already_applied"}
)
"""Outcomes after which a reflection is not processed again (errors and refusals are retried later)."""


def utc_now() -> str:
    """The current UTC time, ISO-8601 with a Z suffix."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_audit_id() -> str:
    """A fresh, sortable audit id."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def record_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a record without its own `hash` field."""
    body = {k: v for k, v in data.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class Verification:
    """The result of checking the chain."""

    ok: bool
    count: int
    bad_line: int | None = None
    bad_id: str | None = None
    reason: str = ""


class AuditLog:
    """Append-only JSON Lines, chained by `prev_hash`; writers hold the project lock, so records never interleave.

    A torn last line (a writer killed mid-write) was never acknowledged: readers skip it, the next append cuts it.
    """

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / "audit.jsonl"

    def append(self, record: AuditRecord) -> AuditRecord:
        """Redact, chain, write and fsync one record; returns it as stored."""
        with project_lock(self.state_dir):
            self._drop_torn_tail()
            data = record.model_dump(mode="json")
            data["id"] = data.get("id") or new_audit_id()
            data["timestamp"] = data.get("timestamp") or utc_now()
            data = redact_data(data)
            tail = self._tail()
            data["prev_hash"] = tail.last_hash
            data["hash"] = record_hash(data)
            line = (json.dumps(data, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                view = memoryview(line)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            advance(self.state_dir, tail, data["hash"], lambda: len(self._lines()))
        return AuditRecord.model_validate(data)

    def _drop_torn_tail(self) -> None:
        """Cut an incomplete last line left by a writer killed mid-write (it was never acknowledged)."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size == 0:
            return
        with open(self.path, "rb+") as fh:
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            fh.seek(0)
            data = fh.read()
            fh.truncate(data.rfind(b"\n") + 1)
            os.fsync(fh.fileno())

    def _tail(self) -> Tail:
        """The last record's hash and the hash it chains to."""
        last = self._last_line()
        if last is None:
            return Tail(GENESIS, None)
        try:
            data = json.loads(last)
            return Tail(str(data["hash"]), str(data["prev_hash"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditError(f"{self.path}: last record is not valid JSON; run `selfmod audit --verify`") from exc

    def _last_line(self) -> bytes | None:
        """The last complete line, read backwards from the end so long logs cost little."""
        if not self.path.exists():
            return None
        with open(self.path, "rb") as fh:
            pos = fh.seek(0, os.SEEK_END)
            tail = b""
            while pos > 0:
                step = min(65536, pos)
                pos -= step
                fh.seek(pos)
                tail = fh.read(step) + tail
                body = tail.rstrip(b"\n")
                if b"\n" in body or pos == 0:
                    return body[body.rfind(b"\n") + 1 :] or None
        return None

    def _lines(self) -> list[bytes]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        return raw.split(b"\n")[:-1]  # a torn final line (no newline) is not part of the log

    def records(self) -> list[AuditRecord]:
        """Every complete record, oldest first."""
        out = []
        for number, line in enumerate(self._lines(), 1):
            try:
                out.append(AuditRecord.model_validate_json(line))
            except ValidationError as exc:
                raise AuditError(f"{self.path}: line {number} is not a valid audit record: {exc}") from exc
        return out

    def verify(self) -> Verification:
        """Check every record's hash and its link to the one before, then the log's end against its head."""
        prev = GENESIS
        lines = self._lines()
        hashes: list[str] = []
        for number, line in enumerate(lines, 1):
            try:
                data = json.loads(line)
            except ValueError:
                return Verification(False, number - 1, number, None, "not valid JSON")
            rid = data.get("id") if isinstance(data, dict) else None
            if not isinstance(data, dict) or data.get("prev_hash") != prev:
                return Verification(False, number - 1, number, rid, "prev_hash does not match the previous record")
            if record_hash(data) != data.get("hash"):
                return Verification(False, number - 1, number, rid, "content does not match its hash")
            prev = data["hash"]
            hashes.append(prev)
        for anchor in anchors_for(self.state_dir):
            differs = mismatch(anchor, hashes)
            if differs:
                return Verification(False, len(lines), None, None, differs)
        return Verification(True, len(lines))

    def handled_reflection_ids(self) -> set[str]:
        """Reflection ids whose processing reached a final outcome."""
        return {r.reflection_id for r in self.records() if r.reflection_id and r.status in HANDLED_STATUSES}

    def find(self, audit_id: str) -> AuditRecord | None:
        """The record with this id."""
        return next((r for r in self.records() if r.id == audit_id), None)
