"""Kill switch and loop safety: disabled flag, per-file modification budget, refusal of revert ping-pong."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from selfmod.config import Settings
from selfmod.models import AuditRecord
from selfmod.tools.changes.atomic import atomic_write_bytes, atomic_write_text
from selfmod.tools.changes.locks import project_lock

DISABLED_FLAG = "disabled"
ENV_DISABLED = "SELFMOD_DISABLED"


def kill_switch(state_dir: Path) -> str | None:
    """Why nothing may be written now (the environment variable or the flag in `state_dir`), or None.

    Writers call it inside the project lock right before each file write, so a switch pulled at any earlier
    moment (while tests ran, while waiting for approval) stops the write.
    """
    if os.environ.get(ENV_DISABLED, "").strip().lower() in {"1", "true", "yes", "on"}:
        return f"{ENV_DISABLED} is set"
    flag = Path(state_dir) / DISABLED_FLAG
    if flag.exists() or flag.is_symlink():
        try:
            why = flag.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            why = ""
        return f"disabled by {flag} ({why or 'no reason given'})"
    return None


def write_unless_disabled(state_dir: Path, path: Path, data: bytes) -> str | None:
    """Write `path` atomically unless the kill switch is on, read inside the project lock right before the write;
    returns why nothing was written, or None."""
    with project_lock(state_dir):
        reason = kill_switch(state_dir)
        if reason is None:
            atomic_write_bytes(path, data)
        return reason


def is_disabled(settings: Settings) -> str | None:
    """Why selfmod must not apply anything to this project now, or None."""
    return kill_switch(settings.state_dir)


def disable(settings: Settings, reason: str = "") -> Path:
    """Turn the kill switch on (a flag file in `.selfmod/`)."""
    flag = settings.state_dir / DISABLED_FLAG
    atomic_write_text(flag, reason or "disabled from the command line")
    return flag


def enable(settings: Settings) -> bool:
    """Turn the kill switch off; True when it was on."""
    flag = settings.state_dir / DISABLED_FLAG
    if flag.exists():
        flag.unlink()
        return True
    return False


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def touches(record: AuditRecord, rel: str) -> bool:
    """True when the record changed `rel` (its file, or one of the files of a change that spans several)."""
    return record.file == rel or any(change.file == rel for change in record.files)


def hash_before(record: AuditRecord, rel: str) -> str | None:
    """The hash `rel` had before the record's change."""
    return next((c.hash_before for c in record.files if c.file == rel), record.hash_before)


def live_applies(records: list[AuditRecord], rel: str) -> list[AuditRecord]:
    """Applied records for the file that were not rolled back since."""
    rolled_back = {r.related_id for r in records if r.status == "rolled_back"}
    return [r for r in records if r.status == "applied" and touches(r, rel) and r.id not in rolled_back]


def budget_exceeded(settings: Settings, records: list[AuditRecord], rel: str) -> str | None:
    """Why another change to `rel` is over the per-file budget, or None."""
    since = datetime.now(UTC) - timedelta(hours=settings.file_budget_window_hours)
    recent = [r for r in records if r.status == "applied" and touches(r, rel) and _parse(r.timestamp) >= since]
    if len(recent) >= settings.file_budget:
        return (
            f"{rel} was already changed {len(recent)} time(s) in the last {settings.file_budget_window_hours:g} h "
            f"(budget {settings.file_budget}); refusing further changes"
        )
    return None


def reverts_earlier(records: list[AuditRecord], rel: str, new_hash: str) -> AuditRecord | None:
    """The earlier selfmod patch that this new text would undo (its result equals that patch's original)."""
    return next((r for r in reversed(live_applies(records, rel)) if hash_before(r, rel) == new_hash), None)


class RunBudget:
    """Per-run limits: patch attempts per reflection and wall-clock time for the whole run."""

    def __init__(self, max_attempts: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_attempts = max_attempts
        self.seconds = seconds
        self._clock = clock
        self._start = clock()

    def may_attempt(self, attempts_made: int) -> bool:
        """True while another patch attempt is allowed for a reflection."""
        return attempts_made < self.max_attempts and not self.out_of_time()

    def out_of_time(self) -> bool:
        """True once the run has used its wall-clock budget."""
        return self._clock() - self._start >= self.seconds

    def remaining(self) -> float:
        """Seconds left in the run."""
        return max(0.0, self.seconds - (self._clock() - self._start))
