"""Durable graph state: a SQLite checkpointer at `.selfmod/checkpoints.sqlite`.

The database lies in `.selfmod/`, which patch code or another writer could edit, so loading a checkpoint must not
run code: values are read with LangGraph's strict serializer (see `strict_serializer`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from selfmod.config import Settings
from selfmod.tools.changes.state_dir import ensure_state_dir

CHECKPOINTS = "checkpoints.sqlite"


def has_checkpoints(settings: Settings) -> bool:
    """True when the project has a checkpoint database, so a thread id may name a run (creates nothing)."""
    return (settings.state_dir / CHECKPOINTS).is_file()


def strict_serializer() -> JsonPlusSerializer:
    """LangGraph's serializer limited to its built-in safe types, with no pickle.

    The graph state holds JSON-ready values only (`graph/state.py`), so nothing needs to be allow-listed; an
    msgpack extension naming any other class or callable (`os.system`, ...) is returned as its raw arguments,
    never imported, constructed or called.
    """
    return JsonPlusSerializer(pickle_fallback=False, allowed_msgpack_modules=None)


@contextmanager
def sqlite_checkpointer(settings: Settings) -> Iterator[SqliteSaver]:
    """Open the project's checkpoint database for the duration of a run or resume."""
    ensure_state_dir(settings.state_dir)
    conn = sqlite3.connect(settings.state_dir / CHECKPOINTS, check_same_thread=False)
    try:
        saver = SqliteSaver(conn, serde=strict_serializer())
        saver.setup()
        yield saver
    finally:
        conn.close()
