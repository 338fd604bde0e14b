"""Bad input through the real command line: exit code 2, one `error:` line naming the input, nothing created."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from selfmod.tools.reflections import MAX_REFLECTIONS_BYTES

Setup = Callable[[Path, Path], Path]
"""Breaks the project (given the project and a folder outside it); returns the path the error must name."""

RUN = ["run", "--model", "offline", "--json"]
TRIAGE = ["triage"]
RESUME = ["resume", "t-1", "--approve", "--model", "offline"]
STEP = ["step", "--model", "offline"]
STEP_THREAD = ["step", "--thread", "t-1", "--model", "offline"]
AUDIT = ["audit"]
VERIFY = ["audit", "--verify"]
ROLLBACK = ["rollback", "a-1"]
DISABLE = ["disable", "--reason", "test"]
ENABLE = ["enable"]
HISTORY = ["history", "t-1"]
REPLAY = ["replay", "t-1", "--from", "c-1", "--model", "offline"]
TRACES = ["trace", "list"]
EVERY_COMMAND = [
    RUN,
    TRIAGE,
    RESUME,
    STEP,
    STEP_THREAD,
    AUDIT,
    VERIFY,
    ROLLBACK,
    DISABLE,
    ENABLE,
    HISTORY,
    REPLAY,
    TRACES,
]


def folder_reflections(project: Path, outside: Path) -> Path:
    (project / "reflections.json").unlink()
    (project / "reflections.json").mkdir()
    return project / "reflections.json"


def deep_reflections(project: Path, outside: Path) -> Path:
    (project / "reflections.json").write_text("[" * 10_000 + "]" * 10_000)
    return project / "reflections.json"


def deep_but_parseable_reflections(project: Path, outside: Path) -> Path:
    (project / "reflections.json").write_text('[{"reflection": "x", "extra": ' + "[" * 500 + "]" * 500 + "}]")
    return project / "reflections.json"


def not_utf8_reflections(project: Path, outside: Path) -> Path:
    (project / "reflections.json").write_bytes(b'[{"reflection": "caf\xe9 bug"}]')
    return project / "reflections.json"


def huge_reflections(project: Path, outside: Path) -> Path:
    with (project / "reflections.json").open("wb") as fh:
        fh.truncate(MAX_REFLECTIONS_BYTES + 1)  # sparse: costs no disk
    return project / "reflections.json"


def state_is_a_file(project: Path, outside: Path) -> Path:
    (project / ".selfmod").write_text("not a folder\n")
    return project / ".selfmod"


def state_links_outside(project: Path, outside: Path) -> Path:
    (project / ".selfmod").symlink_to(outside, target_is_directory=True)
    return project / ".selfmod"


def state_links_inside(project: Path, outside: Path) -> Path:
    (project / "state").mkdir()
    (project / ".selfmod").symlink_to("state", target_is_directory=True)
    return project / ".selfmod"


def audit_log_is_a_folder(project: Path, outside: Path) -> Path:
    (project / ".selfmod" / "audit.jsonl").mkdir(parents=True)
    return project / ".selfmod" / "audit.jsonl"


def audit_log_is_a_symlink(project: Path, outside: Path) -> Path:
    (project / ".selfmod").mkdir()
    (outside / "audit.jsonl").write_text("")
    (project / ".selfmod" / "audit.jsonl").symlink_to(outside / "audit.jsonl")
    return project / ".selfmod" / "audit.jsonl"


def checkpoints_is_a_folder(project: Path, outside: Path) -> Path:
    (project / ".selfmod" / "checkpoints.sqlite").mkdir(parents=True)
    return project / ".selfmod" / "checkpoints.sqlite"


def checkpoints_is_a_symlink(project: Path, outside: Path) -> Path:
    (project / ".selfmod").mkdir()
    (project / ".selfmod" / "checkpoints.sqlite").symlink_to(outside / "stolen.sqlite")
    return project / ".selfmod" / "checkpoints.sqlite"


def backups_is_a_symlink(project: Path, outside: Path) -> Path:
    (project / ".selfmod").mkdir()
    (project / ".selfmod" / "backups").symlink_to(outside, target_is_directory=True)
    return project / ".selfmod" / "backups"


def settings_is_a_folder(project: Path, outside: Path) -> Path:
    (project / ".selfmod.toml").mkdir()
    return project / ".selfmod.toml"


def settings_not_utf8(project: Path, outside: Path) -> Path:
    (project / ".selfmod.toml").write_bytes(b'reflections_file = "r\xff.json"\n')
    return project / ".selfmod.toml"


CASES: list[tuple[Setup, list[list[str]]]] = [
    (folder_reflections, [RUN, TRIAGE, STEP]),
    (deep_reflections, [RUN, TRIAGE]),
    (deep_but_parseable_reflections, [RUN]),
    (not_utf8_reflections, [RUN, TRIAGE]),
    (huge_reflections, [RUN]),
    (state_is_a_file, [RUN, RESUME, AUDIT, DISABLE]),
    (state_links_outside, EVERY_COMMAND),
    (state_links_inside, [RUN]),
    (audit_log_is_a_folder, [RUN, AUDIT, ROLLBACK]),
    (audit_log_is_a_symlink, [AUDIT, VERIFY]),
    (checkpoints_is_a_folder, [RUN, RESUME, HISTORY]),
    (checkpoints_is_a_symlink, [RUN, STEP_THREAD]),
    (backups_is_a_symlink, [ROLLBACK]),
    (settings_is_a_folder, [RUN, AUDIT]),
    (settings_not_utf8, [RUN, TRIAGE]),
]


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under `root`: folders, symlink targets, and a hash of each file's bytes."""
    tree: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            rel = str(path.relative_to(root))
            if path.is_symlink():
                tree[rel] = "link -> " + os.readlink(path)
            elif path.is_dir():
                tree[rel] = "dir"
            else:
                tree[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return tree


def selfmod(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "SELFMOD"))}
    env.update(COLUMNS="80", HOME=str(cwd))
    return subprocess.run(
        [sys.executable, "-m", "selfmod", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def assert_refused(proc: subprocess.CompletedProcess[str], named: Path | str) -> None:
    """Exit 2, nothing on stdout, exactly one `error:` line on stderr that names the input, no traceback."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and str(named) in lines[0], lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("setup", "args"),
    [pytest.param(setup, args, id=f"{setup.__name__}-{'-'.join(args[:2])}") for setup, cmds in CASES for args in cmds],
)
def test_bad_input_exits_2_names_it_and_changes_nothing(setup: Setup, args: list[str], tmp_path: Path) -> None:
    root = tmp_path.resolve()
    project, outside = root / "proj", root / "elsewhere"
    project.mkdir()
    outside.mkdir()
    (project / "reflections.json").write_text("[]\n")
    named = setup(project, outside)
    before = snapshot(root)
    proc = selfmod([*args, "--project", str(project)], cwd=root)
    assert_refused(proc, named)
    assert snapshot(root) == before


@pytest.mark.parametrize("args", [RUN, TRIAGE, AUDIT, RESUME, TRACES], ids=lambda a: a[0])
def test_a_project_path_that_is_a_file_exits_2(args: list[str], tmp_path: Path) -> None:
    root = tmp_path.resolve()
    project = root / "proj"
    project.write_text("a file\n")
    before = snapshot(root)
    proc = selfmod([*args, "--project", str(project)], cwd=root)
    assert_refused(proc, project)
    assert "is not a directory" in proc.stderr
    assert snapshot(root) == before


def test_an_unknown_thread_in_a_fresh_project_creates_no_state(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    (root / "reflections.json").write_text("[]\n")
    before = snapshot(root)
    proc = selfmod([*RESUME, "--project", str(root)], cwd=root)
    assert_refused(proc, "'t-1'")
    assert snapshot(root) == before
    assert not (root / ".selfmod").exists()


def test_a_message_with_brackets_is_printed_verbatim(tmp_path: Path) -> None:
    root = tmp_path.resolve() / "proj [x]"
    root.mkdir()
    (root / "reflections.json").mkdir()
    proc = selfmod([*TRIAGE, "--project", str(root)], cwd=tmp_path)
    assert_refused(proc, root / "reflections.json")


def test_a_good_project_still_runs_and_creates_its_state(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    (root / "reflections.json").write_text("[]\n")
    proc = selfmod([*RUN, "--project", str(root)], cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert (root / ".selfmod").is_dir() and not (root / ".selfmod").is_symlink()
    assert (root / ".selfmod" / "checkpoints.sqlite").is_file()
