"""The audit log: hash chain, tamper detection, redaction, concurrent writers, torn writes, CLI views."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from selfmod.models import AuditRecord, TestRun
from selfmod.tools.changes.audit import GENESIS, AuditLog, record_hash
from selfmod.tools.redact import redact


def _record(status: str = "rejected", **kw: object) -> AuditRecord:
    return AuditRecord(id="", timestamp="", status=status, **kw)  # type: ignore[arg-type]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "selfmod", *args], cwd=cwd, capture_output=True, text=True, timeout=60, env=env
    )


def test_records_are_chained_with_utc_timestamps(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / ".selfmod")
    first = log.append(_record(reflection_id="a"))
    second = log.append(_record("applied", reflection_id="b"))
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    assert record_hash(second.model_dump(mode="json")) == second.hash
    stamp = datetime.fromisoformat(second.timestamp.replace("Z", "+00:00"))
    assert second.timestamp.endswith("Z") and stamp.tzinfo == UTC
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    assert log.verify().ok and log.verify().count == 2
    assert [json.loads(line)["id"] for line in log.path.read_text().splitlines()] == [first.id, second.id]


def test_tampering_is_detected_and_named(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / ".selfmod")
    ids = [log.append(_record(reflection_id=str(i))).id for i in range(3)]
    lines = log.path.read_text().splitlines()
    lines[1] = lines[1].replace('"rejected"', '"applied"')
    log.path.write_text("\n".join(lines) + "\n")
    result = log.verify()
    assert (result.ok, result.bad_line, result.bad_id) == (False, 2, ids[1])
    proc = _cli("audit", "--project", str(tmp_path), "--verify", cwd=tmp_path)
    assert proc.returncode == 1
    assert f"line 2 (record {ids[1]})" in proc.stderr
    del lines[1]
    log.path.write_text("\n".join(lines) + "\n")
    assert log.verify().bad_line == 2 and "prev_hash" in log.verify().reason


def test_secrets_are_redacted_before_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-abcdef-123456")
    run = TestRun(
        command=["pytest"],
        exit_code=1,
        output="OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx\nusing tok-abcdef-123456\nAuthorization: Bearer abcdefghijklmnopqrstuvwxyz\n",
    )
    stored = AuditLog(tmp_path / ".selfmod").append(_record(test_run=run, message="key sk-abcdefghijklmnopqrstuvwxyz"))
    raw = (tmp_path / ".selfmod" / "audit.jsonl").read_text()
    for secret in ("sk-proj-abcdefghijklmnopqrstuvwx", "tok-abcdef-123456", "abcdefghijklmnopqrstuvwxyz"):
        assert secret not in raw
    assert stored.test_run is not None and stored.test_run.output.count("[REDACTED]") == 3
    assert AuditLog(tmp_path / ".selfmod").verify().ok


def test_redaction_leaves_code_alone() -> None:
    code = "token = get_token()\nresults[result_idx] = api_key_for(user)\n"
    assert redact(code, environ={}) == code


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from selfmod.models import AuditRecord
    from selfmod.tools.changes.audit import AuditLog
    log = AuditLog(Path(sys.argv[1]))
    for i in range(int(sys.argv[3])):
        log.append(AuditRecord(id="", timestamp="", status="rejected", reflection_id=f"{sys.argv[2]}-{i}",
                               message="x" * (i * 997 % 5000)))
    """
)


def test_concurrent_writers_never_interleave_or_lose_records(tmp_path: Path) -> None:
    state = tmp_path / ".selfmod"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(state), f"w{w}", "40"], cwd=tmp_path) for w in range(4)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    log = AuditLog(state)
    assert log.verify().ok
    ids = [r.reflection_id for r in log.records()]
    assert len(ids) == 160 and len(set(ids)) == 160


def test_a_torn_last_line_is_ignored_then_dropped(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / ".selfmod")
    log.append(_record(reflection_id="ok"))
    with open(log.path, "ab") as fh:
        fh.write(b'{"id": "half-writ')
    assert log.verify().ok and [r.reflection_id for r in log.records()] == ["ok"]
    log.append(_record(reflection_id="next"))
    assert log.verify().ok and [r.reflection_id for r in log.records()] == ["ok", "next"]


def test_cli_audit_table_and_json(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / ".selfmod")
    log.append(_record("not_actionable", reflection_id="calm", message="no failure indicator"))
    proc = _cli("audit", "--project", str(tmp_path), "--json", cwd=tmp_path)
    assert proc.returncode == 0
    rows = json.loads(proc.stdout)
    assert [(r["status"], r["reflection_id"]) for r in rows] == [("not_actionable", "calm")]
    table = _cli("audit", "--project", str(tmp_path), cwd=tmp_path)
    assert table.returncode == 0 and "not_actionable" in table.stdout and "calm" in table.stdout
    ok = _cli("audit", "--project", str(tmp_path), "--verify", cwd=tmp_path)
    assert ok.returncode == 0 and "intact: 1 record" in ok.stdout


def _head(state: Path) -> dict[str, object]:
    return dict(json.loads((state / "audit.head").read_text()))


def _git_head(root: Path) -> dict[str, object] | None:
    proc = subprocess.run(
        ["git", "cat-file", "blob", "refs/selfmod/audit-head"], cwd=root, capture_output=True, text=True
    )
    return dict(json.loads(proc.stdout)) if proc.returncode == 0 else None


def test_the_head_is_kept_in_a_file_and_in_a_git_ref(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    last = [AuditLog(plain / ".selfmod").append(_record(reflection_id=str(i))) for i in range(3)][-1]
    assert _head(plain / ".selfmod") == {"count": 3, "last_hash": last.hash}
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    log = AuditLog(repo / ".selfmod")
    last = [log.append(_record(reflection_id=str(i))) for i in range(2)][-1]
    assert _head(repo / ".selfmod") == _git_head(repo) == {"count": 2, "last_hash": last.hash}
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout == (
        "?? .selfmod/\n"
    )


def test_a_record_written_just_before_a_crash_without_its_head_still_verifies(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / ".selfmod")
    first = log.append(_record(reflection_id="a"))
    data = _record(reflection_id="b").model_dump(mode="json")
    data.update(id="late", timestamp="2026-01-01T00:00:00.000Z", prev_hash=first.hash)
    data["hash"] = record_hash(data)
    with open(log.path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(data, sort_keys=True) + "\n")  # the writer died before updating the head
    assert _head(tmp_path / ".selfmod")["count"] == 1
    assert log.verify().ok and log.verify().count == 2
    third = log.append(_record(reflection_id="c"))
    assert _head(tmp_path / ".selfmod") == {"count": 3, "last_hash": third.hash}
    assert log.verify().ok


def test_tampering_evidence_survives_later_appends(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    log = AuditLog(tmp_path / ".selfmod")
    for i in range(4):
        log.append(_record(reflection_id=str(i)))
    evidence = _git_head(tmp_path)
    lines = log.path.read_text().splitlines()[:2]
    log.path.write_text("\n".join(lines) + "\n")
    last = json.loads(lines[-1])["hash"]
    (tmp_path / ".selfmod" / "audit.head").write_text(json.dumps({"count": 2, "last_hash": last}))
    log.append(_record(reflection_id="after"))
    result = log.verify()
    assert not result.ok and "git ref refs/selfmod/audit-head records 4" in result.reason
    assert evidence is not None and evidence["count"] == 4 and _git_head(tmp_path) == evidence


def test_a_deleted_head_is_reported(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / ".selfmod")
    log.append(_record(reflection_id="a"))
    (tmp_path / ".selfmod" / "audit.head").unlink()
    assert log.verify().ok  # the first record written, then a crash before its head: tolerated
    log.append(_record(reflection_id="b"))
    (tmp_path / ".selfmod" / "audit.head").unlink()
    result = log.verify()
    assert not result.ok and "audit.head is missing but the log holds 2 record(s)" in result.reason
    proc = _cli("audit", "--project", str(tmp_path), "--verify", cwd=tmp_path)
    assert proc.returncode == 1 and "audit chain broken: " in proc.stderr and "is missing" in proc.stderr
