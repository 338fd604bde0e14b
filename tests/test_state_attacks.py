"""Attacks through selfmod's own state (`.selfmod/`): each is replayed and must leave the project's bytes alone.

(a) a pending patch swapped in the checkpoint database, (b) an object planted in a checkpoint, (c) a forged audit
record handed to rollback, (d) a truncated or rebuilt audit log, (e) a crash right after the file was replaced,
(f) the kill switch pulled after the tests started.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ormsgpack
import pytest
from conftest import CALC, CALC_FIXED
from langgraph.checkpoint.serde.jsonplus import EXT_CONSTRUCTOR_SINGLE_ARG, JsonPlusSerializer
from test_graph import BUG, FAST, FIX, FIXED_FILE, patch, settings_for

from selfmod.api import pending_patches, run_config, run_self_modification
from selfmod.config import Settings, load_settings
from selfmod.demo import LLM_PY
from selfmod.graph.build import build_graph
from selfmod.graph.checkpoint import CHECKPOINTS, sqlite_checkpointer, strict_serializer
from selfmod.models import AuditRecord, TestRun
from selfmod.testing import ScriptedChatModel, tool_call
from selfmod.tools.changes.apply import apply_patch
from selfmod.tools.changes.atomic import atomic_write_bytes
from selfmod.tools.changes.audit import AuditLog, record_hash
from selfmod.tools.changes.safety import disable
from selfmod.tools.code.source_text import sha256_bytes, sha256_text
from selfmod.tools.registry.actions import ActionError
from selfmod.tools.registry.core_actions import WritePythonCodeAction
from selfmod.tools.sandbox import Sandbox

THREAD = "attacked-thread"
TEST_FILE = "tests/test_llm.py"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "selfmod", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def waiting(seed_project: Path) -> Path:
    """The seed project after a real run that stopped at the approval interrupt (thread `THREAD`)."""
    (seed_project / "pyproject.toml").write_text(
        '[tool.selfmod]\nenv_passthrough = ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]\ngit_commit = false\n'
    )
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), patch(FIX)])
    out = run_self_modification(seed_project, model, auto_approve=False, thread_id=THREAD)
    assert [r["status"] for r in out["results"]] == ["awaiting_approval"]
    [shown] = out["awaiting"]
    assert "+    words = text.split()" in shown["diff"] and shown["problem"] == ""
    return seed_project


def edit_checkpoint(root: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Decode the thread's latest checkpoint with the saver's serializer, change its values, store it back."""
    serde = strict_serializer()
    with sqlite3.connect(root / ".selfmod" / CHECKPOINTS) as conn:
        cid, kind, blob = conn.execute(
            "SELECT checkpoint_id, type, checkpoint FROM checkpoints WHERE thread_id = ? "
            "ORDER BY checkpoint_id DESC LIMIT 1",
            (THREAD,),
        ).fetchone()
        checkpoint = serde.loads_typed((kind, blob))
        change(checkpoint["channel_values"])
        kind, blob = serde.dumps_typed(checkpoint)
        conn.execute(
            "UPDATE checkpoints SET type = ?, checkpoint = ? WHERE thread_id = ? AND checkpoint_id = ?",
            (kind, blob, THREAD, cid),
        )


def shown_for_approval(root: Path) -> list[dict[str, Any]]:
    """What `selfmod resume`/`step` show for approval now."""
    settings = load_settings(root)
    with sqlite_checkpointer(settings) as saver:
        graph = build_graph(model=None, settings=settings, checkpointer=saver)
        return pending_patches(graph, run_config(THREAD), settings)


def swap_to_test_file(root: Path) -> Callable[[dict[str, Any]], None]:
    """Point the pending patch at the test file, every hash recomputed so the entry is self-consistent."""
    new_text = "def test_nothing():\n    pass\n"
    live_hash = sha256_bytes((root / TEST_FILE).read_bytes())

    def change(values: dict[str, Any]) -> None:
        [entry] = values["pending"]
        entry.update(file=TEST_FILE, new_text=new_text, expected_sha256=live_hash)
        entry["context"].update(file=TEST_FILE, file_sha256=live_hash)
        entry["record"]["file"] = TEST_FILE
        entry["record"]["proposal"]["filename"] = TEST_FILE
        entry["record"]["test_run"].update(patched_file=TEST_FILE, patched_sha256=sha256_text(new_text))

    return change


def swap_to_untested_text(root: Path) -> Callable[[dict[str, Any]], None]:
    """Keep the file, replace the text with one that was never tested (its tested-hash field forged to match)."""
    new_text = FIXED_FILE + "\n\ndef exfiltrate():\n    return open('/etc/hostname').read()\n"

    def change(values: dict[str, Any]) -> None:
        [entry] = values["pending"]
        entry["new_text"] = new_text
        entry["record"]["test_run"]["patched_sha256"] = sha256_text(new_text)

    return change


@pytest.mark.parametrize(
    ("swap", "shown", "why"),
    [
        (swap_to_test_file, "+def test_nothing():\n+    pass", "is protected"),
        (swap_to_untested_text, "+def exfiltrate():", "not what its proposal makes of the live file"),
    ],
)
def test_a_pending_patch_swapped_in_the_checkpoint_is_shown_as_is_and_never_written(
    waiting: Path, swap: Callable[[Path], Callable[[dict[str, Any]], None]], shown: str, why: str
) -> None:
    before = {rel: (waiting / rel).read_bytes() for rel in ("llm.py", TEST_FILE)}
    edit_checkpoint(waiting, swap(waiting))
    [view] = shown_for_approval(waiting)
    assert shown in view["diff"] and why in view["problem"]
    proc = cli("resume", THREAD, "--project", str(waiting), "--approve", "--json", "--model", "offline", cwd=waiting)
    assert proc.returncode == 0, proc.stderr
    [result] = json.loads(proc.stdout)["results"]
    assert result["status"] == "rejected" and result["message"].startswith("pending patch failed re-check: ")
    assert why in result["message"]
    assert {rel: (waiting / rel).read_bytes() for rel in before} == before
    records = AuditLog(waiting / ".selfmod").records()
    assert [r.status for r in records] == ["awaiting_approval", "rejected"]
    assert records[-1].message == result["message"]
    assert not (waiting / ".selfmod" / "backups").exists()


def test_b_an_object_planted_in_a_checkpoint_is_not_run_on_resume(waiting: Path, tmp_path: Path) -> None:
    marker = tmp_path / "planted-code-ran"
    planted = ormsgpack.Ext(EXT_CONSTRUCTOR_SINGLE_ARG, ormsgpack.packb(("os", "system", f"touch {marker}")))
    edit_checkpoint(waiting, lambda values: values.update(message=planted))
    with sqlite3.connect(waiting / ".selfmod" / CHECKPOINTS) as conn:
        kind, blob = conn.execute(
            "SELECT type, checkpoint FROM checkpoints WHERE thread_id = ? ORDER BY checkpoint_id DESC LIMIT 1",
            (THREAD,),
        ).fetchone()
    JsonPlusSerializer(allowed_msgpack_modules=True).loads_typed((kind, blob))  # the permissive default runs it
    assert marker.exists(), "the planted object should be live under LangGraph's permissive deserialisation"
    marker.unlink()
    proc = cli("resume", THREAD, "--project", str(waiting), "--reject", "--json", "--model", "offline", cwd=waiting)
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
    assert [r["status"] for r in json.loads(proc.stdout)["results"]] == ["rejected"]
    assert (waiting / "llm.py").read_bytes() == LLM_PY.encode()


def _forge(log: AuditLog, genuine: AuditRecord, **fields: Any) -> str:
    """Append a forged `applied` record the regular way (chain and head recomputed, as a careful forger would)."""
    return log.append(genuine.model_copy(update={"id": "forged", "timestamp": "", **fields})).id


@pytest.mark.parametrize(
    ("file", "backup", "why"),
    [
        ("../outside.py", "genuine", "contains '..'"),
        ("ABSOLUTE", "genuine", "is absolute"),
        ("link/outside.py", "genuine", "outside the project root"),
        ("tests/test_calc.py", "genuine", "is protected"),
        (".selfmod/audit.jsonl", "genuine", "is protected"),
        ("calc.py", "evil.py", "is not under"),
        ("calc.py", "../evil.py", "contains '..'"),
    ],
)
def test_c_rollback_refuses_a_forged_record(
    calc_project: Path, tmp_path: Path, file: str, backup: str, why: str
) -> None:
    settings = Settings(project_root=calc_project, git_commit=False)
    log = AuditLog(settings.state_dir)
    genuine = apply_patch(
        settings, log, "calc.py", CALC_FIXED, sha256_text(CALC), AuditRecord(id="", timestamp="", status="")
    )
    outside = tmp_path / "outside.py"
    outside.write_text("kept\n")
    (calc_project / "link").symlink_to(tmp_path)
    (calc_project / "evil.py").write_text("import os\nos.system('echo pwned')\n")
    before = {p: p.read_bytes() for p in (outside, calc_project / "calc.py", calc_project / "tests" / "test_calc.py")}
    forged_file = str(outside) if file == "ABSOLUTE" else file
    forged = _forge(log, genuine, file=forged_file, backup=genuine.backup if backup == "genuine" else backup)
    proc = cli("rollback", forged, "--project", str(calc_project), "--force", cwd=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "refusing" in proc.stderr and why in proc.stderr
    assert {p: p.read_bytes() for p in before} == before
    assert [r.status for r in log.records()] == ["applying", "applied", "applied"]
    ok = cli("rollback", genuine.id, "--project", str(calc_project), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert (calc_project / "calc.py").read_bytes() == CALC.encode()


def _rebuild(lines: list[str], index: int, **changes: Any) -> list[str]:
    """Edit one record and recompute the chain from there on, as a forger with write access to the log would."""
    out, prev = [], None
    for number, line in enumerate(lines):
        data = json.loads(line)
        if number == index:
            data.update(changes)
        if prev is not None:
            data["prev_hash"] = prev
        data["hash"] = prev = record_hash(data)
        out.append(json.dumps(data, sort_keys=True))
    return out


def _chain_intact(lines: list[str]) -> bool:
    """What the hash chain alone can tell: every record hashes right and links to the one before."""
    records = [json.loads(line) for line in lines]
    linked = all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(records))
    return linked and all(record_hash(r) == r["hash"] for r in records)


def _head_for(lines: list[str]) -> str:
    return json.dumps({"count": len(lines), "last_hash": json.loads(lines[-1])["hash"]}, sort_keys=True) + "\n"


@pytest.mark.parametrize(
    ("tamper", "fix_head", "why"),
    [
        ("drop", False, "audit.head records 4: records were dropped"),
        ("drop", True, "git ref refs/selfmod/audit-head records 4: records were dropped"),
        ("rebuild", False, "the chain was rebuilt"),
        ("rebuild", True, "in git ref refs/selfmod/audit-head: the chain was rebuilt"),
    ],
)
def test_d_audit_verify_notices_dropped_records_and_a_rebuilt_chain(
    tmp_path: Path, tamper: str, fix_head: bool, why: str
) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    log = AuditLog(tmp_path / ".selfmod")
    for status in ("applying", "applied", "awaiting_approval", "rejected"):
        log.append(AuditRecord(id="", timestamp="", status=status, reflection_id="r1", file="calc.py"))
    assert cli("audit", "--project", str(tmp_path), "--verify", cwd=tmp_path).returncode == 0
    lines = log.path.read_text().splitlines()
    lines = lines[:2] if tamper == "drop" else _rebuild(lines, 1, status="rejected")
    log.path.write_text("\n".join(lines) + "\n")
    assert _chain_intact(lines), "the tampered log must still chain, so that only its head can tell"
    if fix_head:
        (tmp_path / ".selfmod" / "audit.head").write_text(_head_for(lines))
    proc = cli("audit", "--project", str(tmp_path), "--verify", cwd=tmp_path)
    assert proc.returncode == 1
    assert why in proc.stderr


@pytest.mark.parametrize(("replaced", "status"), [(True, "applied"), (False, "aborted")])
def test_e_a_crash_around_the_replace_is_recorded_by_the_next_run(
    calc_project: Path, tmp_path: Path, replaced: bool, status: str
) -> None:
    (calc_project / "reflections.json").write_text("[]")
    settings = Settings(project_root=calc_project)
    log = AuditLog(settings.state_dir)
    backup = settings.state_dir / "backups" / "crashed" / "calc.py"
    atomic_write_bytes(backup, CALC.encode())
    intent = AuditRecord(
        id="crashed.intent",
        timestamp="",
        status="applying",
        related_id="crashed",
        reflection_id="r1",
        file="calc.py",
        hash_before=sha256_text(CALC),
        hash_after=sha256_text(CALC_FIXED),
        backup=".selfmod/backups/crashed/calc.py",
    )
    log.append(intent)
    if replaced:
        atomic_write_bytes(calc_project / "calc.py", CALC_FIXED.encode())  # the writer died right after this
    proc = cli("run", "--project", str(calc_project), "--json", "--model", "offline", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = log.records()
    assert [(r.id, r.status) for r in records[:2]] == [("crashed.intent", "applying"), ("crashed", status)]
    undo = cli("rollback", "crashed", "--project", str(calc_project), cwd=tmp_path)
    if replaced:
        assert undo.returncode == 0, undo.stderr
        assert log.records()[-1].status == "rolled_back"
    else:
        assert undo.returncode == 2 and "no applied change with audit id 'crashed'" in undo.stderr
    assert (calc_project / "calc.py").read_bytes() == CALC.encode()


class PullsTheSwitchDuringTests:
    """The real sandbox; a person pulls the kill switch while the tests run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sandbox = Sandbox(settings)

    def evaluate(self, rel_path: str, new_text: str) -> TestRun:
        run = self.sandbox.evaluate(rel_path, new_text)
        disable(self.settings, "pulled while the tests ran")
        return run


def test_f_the_kill_switch_pulled_while_tests_run_stops_the_write(seed_project: Path) -> None:
    settings = settings_for(seed_project, auto_approve=True)
    model = ScriptedChatModel(responses=[tool_call("log_bug_report", **BUG), patch(FIX)])
    graph = build_graph(model=model, settings=settings, policy=FAST, tester=PullsTheSwitchDuringTests(settings))
    [result] = graph.invoke({})["results"]
    assert result["status"] == "disabled" and "pulled while the tests ran" in result["message"]
    assert (seed_project / "llm.py").read_bytes() == LLM_PY.encode()
    [record] = AuditLog(settings.state_dir).records()
    assert record.status == "disabled" and record.test_run is not None and record.test_run.success


def test_f_the_kill_switch_pulled_while_waiting_for_approval_stops_the_write(waiting: Path) -> None:
    disable(load_settings(waiting), "pulled while waiting")
    proc = cli("resume", THREAD, "--project", str(waiting), "--approve", "--json", "--model", "offline", cwd=waiting)
    assert proc.returncode == 0, proc.stderr
    assert [r["status"] for r in json.loads(proc.stdout)["results"]] == ["disabled"]
    assert (waiting / "llm.py").read_bytes() == LLM_PY.encode()
    assert [r.status for r in AuditLog(waiting / ".selfmod").records()] == ["awaiting_approval", "disabled"]


def test_f_rollback_and_write_python_code_read_the_kill_switch_before_writing(
    calc_project: Path, tmp_path: Path
) -> None:
    settings = Settings(project_root=calc_project, git_commit=False)
    log = AuditLog(settings.state_dir)
    applied = apply_patch(
        settings, log, "calc.py", CALC_FIXED, sha256_text(CALC), AuditRecord(id="", timestamp="", status="")
    )
    disable(settings, "incident")
    proc = cli("rollback", applied.id, "--project", str(calc_project), cwd=tmp_path)
    assert proc.returncode == 1 and "not rolled back" in proc.stderr and "incident" in proc.stderr
    assert (calc_project / "calc.py").read_bytes() == CALC_FIXED.encode()
    write = WritePythonCodeAction(calc_project, log)
    with pytest.raises(ActionError, match="not written: disabled by"):
        write.run(path="tool.py", code="x = 1\n")
    assert not (calc_project / "tool.py").exists()
    assert [r.status for r in log.records()] == ["applying", "applied", "disabled", "disabled"]
