"""Transactional apply, rollback, git, kill switch, budgets and crash safety, checked on bytes and audit records."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import CALC, CALC_FIXED

from selfmod.config import Settings
from selfmod.errors import ApplyError, InputError
from selfmod.models import AuditRecord
from selfmod.tools.changes.apply import apply_patch, recover_interrupted
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.changes.rollback import rollback
from selfmod.tools.code.source_text import sha256_text

ORIGINAL_SHA = sha256_text(CALC)


def _apply(settings: Settings, text: str = CALC_FIXED, expected: str = ORIGINAL_SHA, rid: str = "r1") -> AuditRecord:
    base = AuditRecord(id="", timestamp="", status="", reflection_id=rid)
    return apply_patch(settings, AuditLog(settings.state_dir), "calc.py", text, expected, base)


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "selfmod", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_apply_writes_exactly_the_tested_text_with_backup_audit_and_note(calc_project: Path) -> None:
    live = calc_project / "calc.py"
    live.chmod(0o640)
    settings = Settings(project_root=calc_project)
    record = _apply(settings)
    assert record.status == "applied"
    assert live.read_bytes() == CALC_FIXED.encode()
    assert stat.S_IMODE(live.stat().st_mode) == 0o640
    assert (record.hash_before, record.hash_after) == (ORIGINAL_SHA, sha256_text(CALC_FIXED))
    backup = calc_project / ".selfmod" / "backups" / record.id / "calc.py"
    assert record.backup == f".selfmod/backups/{record.id}/calc.py"
    assert backup.read_bytes() == CALC.encode()
    assert "+    if not values:" in record.diff
    statuses = [(r.status, r.id) for r in AuditLog(settings.state_dir).records()]
    assert statuses == [("applying", f"{record.id}.intent"), ("applied", record.id)]
    notes = json.loads((calc_project / "reflections.json").read_text())
    assert notes[-1]["source"] == "selfmod" and notes[-1]["audit_id"] == record.id
    assert not list(calc_project.glob("*.bak")) and not list(calc_project.glob(".*.selfmod-tmp"))


def test_apply_is_idempotent(calc_project: Path) -> None:
    settings = Settings(project_root=calc_project)
    first = _apply(settings)
    second = _apply(settings)
    assert (first.status, second.status) == ("applied", "already_applied")
    assert (calc_project / "calc.py").read_bytes() == CALC_FIXED.encode()
    assert len(list((calc_project / ".selfmod" / "backups").iterdir())) == 1
    assert len(json.loads((calc_project / "reflections.json").read_text())) == 2


def test_apply_refused_on_a_changed_file(calc_project: Path) -> None:
    settings = Settings(project_root=calc_project)
    changed = CALC + "\n# edited by a human\n"
    (calc_project / "calc.py").write_text(changed)
    record = _apply(settings)
    assert record.status == "file_changed"
    assert "changed since its code was read" in record.message
    assert (calc_project / "calc.py").read_text() == changed
    assert not (calc_project / ".selfmod" / "backups").exists()


def test_git_commit_of_just_that_file(calc_project: Path) -> None:
    _git(calc_project, "init", "-q")
    _git(calc_project, "add", ".")
    _git(calc_project, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    (calc_project / "tests" / "test_calc.py").write_text("# staged edit\n")
    _git(calc_project, "add", "tests/test_calc.py")
    record = _apply(Settings(project_root=calc_project))
    assert record.status == "applied" and record.commit
    assert _git(calc_project, "show", "--name-only", "--format=%s", "HEAD").split("\n")[:3] == [
        f"selfmod: fix calc.py for reflection r1 (audit {record.id})",
        "",
        "calc.py",
    ]
    assert "tests/test_calc.py" in _git(calc_project, "diff", "--cached", "--name-only")


def test_no_commit_when_the_file_was_dirty_or_commits_are_off(calc_project: Path) -> None:
    _git(calc_project, "init", "-q")
    _git(calc_project, "add", ".")
    _git(calc_project, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    head = _git(calc_project, "rev-parse", "HEAD")
    dirty = CALC + "# local\n"
    (calc_project / "calc.py").write_text(dirty)
    record = _apply(Settings(project_root=calc_project), text=dirty + "# more\n", expected=sha256_text(dirty))
    assert record.status == "applied" and record.commit is None
    (calc_project / "calc.py").write_text(CALC)
    off = _apply(Settings(project_root=calc_project, git_commit=False), rid="r2")
    assert off.status == "applied" and off.commit is None
    assert _git(calc_project, "rev-parse", "HEAD") == head


def test_rollback_restores_bytes_and_reverts_the_commit(calc_project: Path) -> None:
    _git(calc_project, "init", "-q")
    _git(calc_project, "add", ".")
    _git(calc_project, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    record = _apply(Settings(project_root=calc_project))
    proc = _cli("rollback", record.id, "--project", str(calc_project), cwd=calc_project)
    assert proc.returncode == 0, proc.stderr
    assert (calc_project / "calc.py").read_bytes() == CALC.encode()
    assert _git(calc_project, "log", "-1", "--format=%s").startswith(f"selfmod: roll back audit {record.id}")
    assert _git(calc_project, "status", "--porcelain", "--", "calc.py") == ""
    last = AuditLog(calc_project / ".selfmod").records()[-1]
    assert (last.status, last.related_id, last.hash_after) == ("rolled_back", record.id, ORIGINAL_SHA)
    again = _cli("rollback", record.id, "--project", str(calc_project), cwd=calc_project)
    assert again.returncode == 1 and "already rolled back" in again.stderr


def test_rollback_refuses_a_changed_file_unless_forced(calc_project: Path) -> None:
    settings = Settings(project_root=calc_project)
    record = _apply(settings)
    (calc_project / "calc.py").write_text(CALC_FIXED + "# human edit\n")
    with pytest.raises(ApplyError, match="changed after"):
        rollback(settings, AuditLog(settings.state_dir), record.id)
    assert (calc_project / "calc.py").read_text().endswith("# human edit\n")
    forced = rollback(settings, AuditLog(settings.state_dir), record.id, force=True)
    assert forced.message.endswith("(forced)")
    assert (calc_project / "calc.py").read_bytes() == CALC.encode()
    with pytest.raises(InputError, match="no applied change with audit id 'nope'"):
        rollback(settings, AuditLog(settings.state_dir), "nope")


def test_kill_switch_flag_and_environment(calc_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _cli("disable", "--project", str(calc_project), "--reason", "incident 42", cwd=calc_project).returncode == 0
    settings = Settings(project_root=calc_project)
    record = _apply(settings)
    assert record.status == "disabled" and "incident 42" in record.message
    assert (calc_project / "calc.py").read_bytes() == CALC.encode()
    assert _cli("enable", "--project", str(calc_project), cwd=calc_project).returncode == 0
    monkeypatch.setenv("SELFMOD_DISABLED", "1")
    assert _apply(settings).status == "disabled"
    monkeypatch.delenv("SELFMOD_DISABLED")
    assert _apply(settings).status == "applied"


def test_per_file_budget_refuses_and_alerts(calc_project: Path) -> None:
    settings = Settings(project_root=calc_project, file_budget=2)
    texts = [CALC + f"# change {i}\n" for i in range(3)]
    current = CALC
    statuses = []
    for i, text in enumerate(texts):
        statuses.append(_apply(settings, text=text, expected=sha256_text(current), rid=f"r{i}").status)
        current = text if statuses[-1] == "applied" else current
    assert statuses == ["applied", "applied", "budget_exceeded"]
    last = AuditLog(settings.state_dir).records()[-1]
    assert "budget 2" in last.alert
    assert (calc_project / "calc.py").read_text() == texts[1]


def test_a_patch_that_reverts_an_earlier_selfmod_patch_is_refused(calc_project: Path) -> None:
    settings = Settings(project_root=calc_project)
    _apply(settings)
    back = _apply(settings, text=CALC, expected=sha256_text(CALC_FIXED), rid="r9")
    assert back.status == "refused" and "undo selfmod's earlier patch" in back.alert
    assert (calc_project / "calc.py").read_bytes() == CALC_FIXED.encode()


def test_apply_refuses_protected_files_whoever_calls_it(calc_project: Path) -> None:
    settings = Settings(project_root=calc_project)
    test_file = calc_project / "tests" / "test_calc.py"
    before = test_file.read_bytes()
    base = AuditRecord(id="", timestamp="", status="", reflection_id="r1")
    record = apply_patch(
        settings,
        AuditLog(settings.state_dir),
        "tests/test_calc.py",
        "def test_x():\n    pass\n",
        sha256_text(before.decode()),
        base,
    )
    assert record.status == "refused" and "tests/test_calc.py is protected" in record.message
    assert test_file.read_bytes() == before
    assert not (calc_project / ".selfmod" / "backups").exists()


def test_recovery_aborts_an_intent_naming_an_unsafe_path(calc_project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n")
    settings = Settings(project_root=calc_project)
    log = AuditLog(settings.state_dir)
    intent = AuditRecord(
        id="evil.intent",
        timestamp="",
        status="applying",
        related_id="evil",
        file="../outside.py",
        hash_after=sha256_text("x = 1\n"),
    )
    log.append(intent)
    [record] = recover_interrupted(settings, log)
    assert (record.id, record.status) == ("evil", "aborted") and "contains '..'" in record.message
    assert recover_interrupted(settings, log) == []
    assert [r.status for r in log.records()] == ["applying", "aborted"]


APPLY_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from selfmod.config import Settings
    from selfmod.models import AuditRecord
    from selfmod.tools.changes.apply import apply_patch
    from selfmod.tools.changes.audit import AuditLog
    root, new_text, expected, rid = Path(sys.argv[1]), Path(sys.argv[2]).read_text(), sys.argv[3], sys.argv[4]
    settings = Settings(project_root=root, git_commit=False, file_budget=1000)
    base = AuditRecord(id="", timestamp="", status="", reflection_id=rid)
    print(apply_patch(settings, AuditLog(settings.state_dir), "calc.py", new_text, expected, base).status)
    """
)


def test_two_concurrent_runs_apply_once(calc_project: Path, tmp_path: Path) -> None:
    patch = tmp_path / "patched.py"
    patch.write_text(CALC_FIXED)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPLY_SCRIPT, str(calc_project), str(patch), ORIGINAL_SHA, f"run{i}"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for i in range(2)
    ]
    outputs = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert outputs == ["already_applied", "applied"]
    log = AuditLog(calc_project / ".selfmod")
    assert [r.status for r in log.records()].count("applied") == 1
    assert log.verify().ok
    assert (calc_project / "calc.py").read_bytes() == CALC_FIXED.encode()


def test_sigkill_at_random_moments_never_leaves_a_half_state(calc_project: Path, tmp_path: Path) -> None:
    patch = tmp_path / "patched.py"
    patch.write_text(CALC_FIXED)
    live = calc_project / "calc.py"
    log = AuditLog(calc_project / ".selfmod")
    settings = Settings(project_root=calc_project, file_budget=1000)
    rng = random.Random(20261123)
    outcomes = set()
    for trial in range(24):
        live.write_text(CALC)
        before = len(log.records())
        proc = subprocess.Popen(
            [sys.executable, "-c", APPLY_SCRIPT, str(calc_project), str(patch), ORIGINAL_SHA, f"t{trial}"],
            stdout=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        time.sleep(trial * 0.05 + rng.uniform(0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        data = live.read_bytes()
        assert data in (CALC.encode(), CALC_FIXED.encode()), f"trial {trial}: torn file"
        patched = data == CALC_FIXED.encode()
        outcomes.add(patched)
        assert log.verify().ok, f"trial {trial}: {log.verify()}"
        recover_interrupted(settings, log)
        assert log.verify().ok
        mine = [r for r in log.records()[before:] if r.reflection_id == f"t{trial}"]
        intents = [r for r in mine if r.status == "applying"]
        applied = [r for r in mine if r.status == "applied"]
        assert len(applied) == (1 if patched else 0), f"trial {trial}: {[r.status for r in mine]}"
        if intents and not patched:
            assert [r.status for r in mine][-1] == "aborted"
    assert outcomes == {True, False}, "the kills should land both before and after the replace"


def test_run_budget_limits_attempts_and_time() -> None:
    from selfmod.tools.changes.safety import RunBudget

    now = [100.0]
    budget = RunBudget(max_attempts=3, seconds=60, clock=lambda: now[0])
    assert [budget.may_attempt(n) for n in range(4)] == [True, True, True, False]
    now[0] = 159.0
    assert budget.may_attempt(0) and budget.remaining() == pytest.approx(1.0)
    now[0] = 160.0
    assert budget.out_of_time() and not budget.may_attempt(0) and budget.remaining() == 0.0
