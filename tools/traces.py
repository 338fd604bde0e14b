"""Local, LangSmith-style tracing: a LangChain tracer that stores every run tree in `.selfmod/traces.sqlite`.

Runs of type chain (the graph and its nodes), llm (prompts, outputs, token usage, latency) and tool
(`log_bug_report`, `propose_code_patch`, `sandbox_test_run`) keep their id, parent id, trace id, start and end,
error and tags. Secrets are redacted before anything is stored. Nothing is sent anywhere.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.tracers.base import BaseTracer
from langchain_core.tracers.schemas import Run
from pydantic import BaseModel

from selfmod.tools.changes.state_dir import ensure_state_dir
from selfmod.tools.redact import redact_data

TRACES = "traces.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, trace_id TEXT, parent_id TEXT, name TEXT, run_type TEXT,
    start_time TEXT, end_time TEXT, error TEXT, tags TEXT, inputs TEXT, outputs TEXT, tokens INTEGER
);
CREATE INDEX IF NOT EXISTS runs_trace ON runs (trace_id);
"""


def _default(value: Any) -> Any:
    if isinstance(value, BaseMessage):
        data: dict[str, Any] = {"type": value.type, "content": value.content}
        calls = getattr(value, "tool_calls", None)
        if calls:
            data["tool_calls"] = calls
        usage = getattr(value, "usage_metadata", None)
        if usage:
            data["usage_metadata"] = dict(usage)
        return data
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | tuple):
        return list(value)
    return repr(value)


def to_json(value: Any) -> str:
    """JSON text of run inputs/outputs with secrets redacted (messages and models made plain first)."""
    plain = json.loads(json.dumps(value, default=_default))
    return json.dumps(redact_data(plain), ensure_ascii=False)


def total_tokens(value: Any) -> int:
    """The first `total_tokens` found in nested outputs (LangChain puts usage in several places)."""
    if isinstance(value, dict):
        if isinstance(value.get("total_tokens"), int):
            return int(value["total_tokens"])
        for child in value.values():
            found = total_tokens(child)
            if found:
                return found
    if isinstance(value, list):
        for child in value:
            found = total_tokens(child)
            if found:
                return found
    return 0


@dataclass
class TraceRun:
    """One stored run and its children."""

    id: str
    trace_id: str
    parent_id: str | None
    name: str
    run_type: str
    start_time: str
    end_time: str | None
    error: str | None
    tags: list[str]
    inputs: Any
    outputs: Any
    tokens: int
    children: list[TraceRun] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """Latency in seconds (0 while running)."""
        if not self.end_time:
            return 0.0
        return (datetime.fromisoformat(self.end_time) - datetime.fromisoformat(self.start_time)).total_seconds()

    def total_tokens(self) -> int:
        """Tokens of this run's LLM calls and all its descendants'."""
        own = self.tokens if self.run_type == "llm" else 0
        return own + sum(child.total_tokens() for child in self.children)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the HTML export."""
        return {
            "id": self.id,
            "name": self.name,
            "run_type": self.run_type,
            "start_time": self.start_time,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "tags": self.tags,
            "tokens": self.total_tokens(),
            "inputs": self.inputs,
            "outputs": self.outputs,
            "children": [c.as_dict() for c in self.children],
        }


class TraceStore:
    """The SQLite file of run trees."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        ensure_state_dir(self.path.parent)
        conn = sqlite3.connect(self.path, timeout=30)
        conn.executescript(SCHEMA)
        return conn

    def save(self, run: Run) -> None:
        """Store a run and all its descendants (replacing earlier versions of them)."""
        rows: list[tuple[Any, ...]] = []

        def walk(node: Run) -> None:
            outputs = node.outputs or {}
            rows.append(
                (
                    str(node.id),
                    str(node.trace_id or node.id),
                    str(node.parent_run_id) if node.parent_run_id else None,
                    node.name,
                    node.run_type,
                    node.start_time.isoformat(),
                    node.end_time.isoformat() if node.end_time else None,
                    redact_data(node.error) if node.error else None,
                    json.dumps(node.tags or []),
                    to_json(node.inputs or {}),
                    to_json(outputs),
                    total_tokens(json.loads(json.dumps(outputs, default=_default))) if node.run_type == "llm" else 0,
                )
            )
            for child in node.child_runs:
                walk(child)

        walk(run)
        with self._lock, self._connect() as conn:
            conn.executemany("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)

    def roots(self, limit: int = 50) -> list[TraceRun]:
        """The most recent top-level runs, each with its whole tree."""
        if not self.path.exists():
            return []
        with self._connect() as conn:
            query = "SELECT id FROM runs WHERE parent_id IS NULL ORDER BY start_time DESC LIMIT ?"
            ids = [r[0] for r in conn.execute(query, (limit,))]
        return [tree for tree in (self.tree(i) for i in ids) if tree is not None]

    def tree(self, run_id: str) -> TraceRun | None:
        """The run with this id (or unique id prefix) and everything under it."""
        if not self.path.exists():
            return None
        with self._connect() as conn:
            match = conn.execute("SELECT trace_id, id FROM runs WHERE id LIKE ?", (run_id + "%",)).fetchall()
            if len(match) != 1:
                return None
            trace_id, full_id = match[0]
            rows = conn.execute("SELECT * FROM runs WHERE trace_id = ? ORDER BY start_time", (trace_id,)).fetchall()
        runs = {
            r[0]: TraceRun(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                json.loads(r[8]),
                json.loads(r[9]),
                json.loads(r[10]),
                r[11],
            )
            for r in rows
        }
        for run in runs.values():
            if run.parent_id in runs:
                runs[run.parent_id].children.append(run)
        return runs[full_id]


class LocalTracer(BaseTracer):
    """Stores each finished run tree in a `TraceStore`."""

    name: str = "selfmod_local_tracer"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.store = TraceStore(path)

    def _persist_run(self, run: Run) -> None:
        self.store.save(run)


def tracer_for(state_dir: Path) -> LocalTracer:
    """The local tracer of a project."""
    return LocalTracer(Path(state_dir) / TRACES)
