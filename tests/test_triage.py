"""Triage: strict loading of the reflections file, whole-word indicators, stable ids, no reprocessing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from selfmod.errors import ReflectionsFileError
from selfmod.models import Reflection
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.reflections import load_reflections, reflection_id
from selfmod.tools.triage import failure_indicators, record_not_actionable, triage


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "selfmod", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_missing_file_names_the_file_and_exits_2(tmp_path: Path) -> None:
    with pytest.raises(ReflectionsFileError, match=r"reflections file .*nope\.json does not exist"):
        load_reflections(tmp_path / "nope.json")
    proc = _cli("triage", "--project", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "reflections.json does not exist" in proc.stderr


def test_corrupt_file_names_the_position_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "reflections.json"
    path.write_text('[\n  {"reflection": "ok"},\n  {"reflection": oops}\n]\n')
    with pytest.raises(ReflectionsFileError, match=r"reflections\.json is not valid JSON: .* at line 3, column 18"):
        load_reflections(path)
    proc = _cli("triage", "--project", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "line 3, column 18" in proc.stderr
    assert path.read_text() == '[\n  {"reflection": "ok"},\n  {"reflection": oops}\n]\n'


def test_not_a_list_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"reflection": "x"}')
    with pytest.raises(ReflectionsFileError, match="must hold a JSON list, not dict"):
        load_reflections(path)


def test_entries_of_the_wrong_shape_are_skipped_with_warnings(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps([{"reflection": "a bug"}, 42, {"outcome": "no reflection field"}, {"reflection": ["x"]}])
    )
    loaded = load_reflections(path)
    assert [e.reflection for e in loaded.entries] == ["a bug"]
    assert len(loaded.warnings) == 3
    assert "entry 1 is a int" in loaded.warnings[0]
    assert "entry 2 has wrong or missing fields (reflection)" in loaded.warnings[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The parser failed on unicode", ("failed",)),
        ("Failure to converge", ("failure",)),
        ("It fails when empty", ("fails",)),
        ("An Error was raised", ("error",)),
        ("found a bug", ("bug",)),
        ("a known defect", ("defect",)),
        ("this issue again", ("issue",)),
        ("the app crashed twice", ("crashed",)),
        ("it broke; it is broken; it breaks", ("broke", "broken", "breaks")),
        ("a problem with dates", ("problem",)),
        ("raised an exception", ("exception",)),
        ("the result is wrong", ("wrong",)),
        ("incorrect output", ("incorrect",)),
        ("the tissue sample was fine", ()),
        ("a breakthrough in planning", ()),
        ("errorless run, debugging went well", ()),
        ("the prefix bugle sounded", ()),
        ("everything went well", ()),
    ],
)
def test_indicators_are_whole_words(text: str, expected: tuple[str, ...]) -> None:
    assert failure_indicators(text) == expected


def test_ids_are_own_or_a_stable_content_hash() -> None:
    a = Reflection(reflection="it failed", task_summary="t")
    b = Reflection(reflection="it failed", task_summary="t")
    c = Reflection(reflection="it failed", task_summary="other")
    assert reflection_id(a) == reflection_id(b) != reflection_id(c)
    assert reflection_id(a).startswith("r-")
    assert reflection_id(Reflection(id="mine", reflection="x")) == "mine"


def test_statuses_duplicates_and_own_notes() -> None:
    entries = [
        Reflection(id="1", reflection="the function failed"),
        Reflection(id="2", reflection="all good"),
        Reflection(id="3", reflection="Applied a fix for bug 1; what failed is fixed", source="selfmod"),
        Reflection(id="1", reflection="the function failed"),
        Reflection(id="4", reflection="an error again"),
    ]
    items = triage(entries, handled_ids={"4"})
    assert [(i.reflection_id, i.status) for i in items] == [
        ("1", "actionable"),
        ("2", "not_actionable"),
        ("3", "own"),
        ("1", "duplicate"),
        ("4", "duplicate"),
    ]


def test_not_actionable_is_audited_once(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / ".selfmod")
    entries = [Reflection(id="calm", reflection="went fine"), Reflection(id="bad", reflection="it crashed")]
    record_not_actionable(audit, triage(entries, audit.handled_reflection_ids()))
    second = triage(entries, audit.handled_reflection_ids())
    record_not_actionable(audit, second)
    assert [(r.reflection_id, r.status) for r in audit.records()] == [("calm", "not_actionable")]
    assert [i.status for i in second] == ["duplicate", "actionable"]
    assert audit.verify().ok


def test_cli_triage_json(calc_project: Path) -> None:
    proc = _cli("triage", "--project", str(calc_project), "--json", cwd=calc_project)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "results": [{"reflection_id": "r1", "status": "actionable", "indicators": ["crashed", "bug"]}],
        "warnings": [],
    }
