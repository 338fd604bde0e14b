"""Durable graph state: a SQLite checkpointer at `.selfmod/checkpoints.sqlite`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from langgraph.checkpoint.sqlite import SqliteSaver

from selfmod.config import Settings

CHECKPOINTS = "checkpoints.sqlite"


@contextmanager
def sqlite_checkpointer(settings: Settings) -> Iterator[SqliteSaver]:
    """Open the project's checkpoint database for the duration of a run or resume."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(settings.state_dir / CHECKPOINTS, check_same_thread=False)
    try:
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()
