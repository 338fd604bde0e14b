"""The deterministic critic: path safety, protected paths, public API, dangerous calls, and the engine's rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import context_for, proposal

from selfmod.agents.critic import review_proposal
from selfmod.config import Settings
from selfmod.models import BugReport, CodeContext, RejectionCode

SRC = """import os


def load(path):
    with open(path) as fh:
        return fh.read()


class Cache:
    def get(self, key):
        return self.data[key]

    def put(self, key, value):
        self.data[key] = value
"""

FIX = "def load(path):\n    if not os.path.exists(path):\n        return ''\n    with open(path) as fh:\n        return fh.read()\n"


def _setup(project: Path, name: str = "store.py", symbol: str = "load") -> CodeContext:
    target = project / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(SRC)
    return context_for(project, name, symbol)


def test_good_patch_is_accepted_and_gives_the_text_to_test(project: Path, settings: Settings) -> None:
    ctx = _setup(project)
    review = review_proposal(proposal("store.py", 4, 6, FIX), ctx, SRC, settings)
    assert review.verdict.accepted, review.verdict
    assert review.new_text == SRC.replace(
        "def load(path):\n", "def load(path):\n    if not os.path.exists(path):\n        return ''\n"
    )


@pytest.mark.parametrize("name", ["../outside.py", "/etc/passwd", "a/../../x.py", "C:\\win.py", "a\x00b.py"])
def test_paths_that_escape_are_rejected(project: Path, settings: Settings, name: str) -> None:
    ctx = _setup(project)
    review = review_proposal(proposal(name, 4, 6, FIX), ctx, SRC, settings)
    assert review.verdict.codes == [RejectionCode.PATH_UNSAFE]
    assert review.new_text is None


def test_symlink_out_of_the_project_is_rejected(project: Path, settings: Settings, tmp_path: Path) -> None:
    ctx = _setup(project)
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "store.py").write_text(SRC)
    os.symlink(outside, project / "linked")
    review = review_proposal(proposal("linked/store.py", 4, 6, FIX), ctx, SRC, settings)
    assert review.verdict.codes == [RejectionCode.PATH_UNSAFE]
    assert "outside the project root" in review.verdict.rejections[0].message


@pytest.mark.parametrize(
    "name",
    [
        "tests/helpers.py",
        "pkg/tests/util.py",
        "test_store.py",
        "pkg/store_test.py",
        "conftest.py",
        "pkg/conftest.py",
        ".selfmod/hooks.py",
        "legacy/old.py",
    ],
)
def test_protected_paths_are_rejected(project: Path, name: str) -> None:
    settings = Settings(project_root=project, protected=["legacy/"])
    ctx = _setup(project, name)
    review = review_proposal(proposal(name, 4, 6, FIX), ctx, SRC, settings)
    assert RejectionCode.PROTECTED_PATH in review.verdict.codes
    assert review.new_text is None


def test_reflections_file_is_protected(project: Path) -> None:
    settings = Settings(project_root=project, reflections_file="agent/reflections.py")
    ctx = _setup(project, "agent/reflections.py")
    review = review_proposal(proposal("agent/reflections.py", 4, 6, FIX), ctx, SRC, settings)
    assert RejectionCode.PROTECTED_PATH in review.verdict.codes


def test_selfmod_own_source_is_protected() -> None:
    repo = Path(__file__).resolve().parent.parent
    settings = Settings(project_root=repo)
    source = (repo / "tools" / "code" / "code_index.py").read_text()
    ctx = context_for(repo, "tools/code/code_index.py", "normalize_name")
    review = review_proposal(
        proposal(
            "tools/code/code_index.py",
            ctx.start_line,
            ctx.end_line,
            "def normalize_name(name, module_path=None):\n    return name\n",
        ),
        ctx,
        source,
        settings,
    )
    assert RejectionCode.PROTECTED_PATH in review.verdict.codes
    assert "selfmod itself" in " ".join(r.message for r in review.verdict.rejections)


def test_bug_report_file_must_match(project: Path, settings: Settings) -> None:
    ctx = _setup(project)
    bug = BugReport(filename="other.py", function="load", summary="fails on missing files")
    review = review_proposal(proposal("store.py", 4, 6, FIX), ctx, SRC, settings, bug_report=bug)
    assert review.verdict.codes == [RejectionCode.WRONG_FILE]


def test_renaming_a_public_function_is_rejected(project: Path, settings: Settings) -> None:
    ctx = _setup(project)
    renamed = FIX.replace("def load(", "def load_text(")
    review = review_proposal(proposal("store.py", 4, 6, renamed), ctx, SRC, settings)
    assert review.verdict.codes == [RejectionCode.PUBLIC_API]
    assert "load" in review.verdict.rejections[0].message


def test_removing_a_public_method_is_rejected(project: Path, settings: Settings) -> None:
    ctx = _setup(project, symbol="Cache")
    new_class = "class Cache:\n    def get(self, key):\n        return self.data.get(key)\n"
    review = review_proposal(proposal("store.py", 9, 14, new_class), ctx, SRC, settings)
    assert review.verdict.codes == [RejectionCode.PUBLIC_API]
    assert "Cache.put" in review.verdict.rejections[0].message


def test_renaming_a_private_helper_is_allowed(project: Path, settings: Settings) -> None:
    src = "def _helper(x):\n    return x\n"
    (project / "h.py").write_text(src)
    ctx = context_for(project, "h.py", "_helper")
    review = review_proposal(proposal("h.py", 1, 2, "def _helper2(x):\n    return x + 1\n"), ctx, src, settings)
    assert review.verdict.accepted, review.verdict


DANGEROUS = {
    "os.system": "    os.system('rm -rf build')\n",
    "subprocess via alias": "    import subprocess as sp\n    sp.run(['ls'])\n",
    "from-import": "    from subprocess import check_output\n    check_output(['ls'])\n",
    "eval": "    eval(path)\n",
    "exec": "    exec('x = 1')\n",
    "shutil.rmtree": "    import shutil\n    shutil.rmtree(path)\n",
    "socket": "    import socket\n    socket.create_connection(('127.0.0.1', 9))\n",
    "ctypes": "    import ctypes\n    ctypes.CDLL(None)\n",
}


@pytest.mark.parametrize("name", sorted(DANGEROUS))
def test_new_dangerous_calls_are_rejected(project: Path, settings: Settings, name: str) -> None:
    ctx = _setup(project)
    code = FIX.replace("    with open", DANGEROUS[name] + "    with open")
    review = review_proposal(proposal("store.py", 4, 6, code), ctx, SRC, settings)
    assert review.verdict.codes == [RejectionCode.DANGEROUS_CALL]


def test_dangerous_call_allowed_by_config(project: Path) -> None:
    settings = Settings(project_root=project, allowed_calls=["subprocess.*"])
    ctx = _setup(project)
    code = FIX.replace("    with open", DANGEROUS["subprocess via alias"] + "    with open")
    assert review_proposal(proposal("store.py", 4, 6, code), ctx, SRC, settings).verdict.accepted


def test_dangerous_call_already_present_is_not_new(project: Path, settings: Settings) -> None:
    src = "import os\n\n\ndef clean(p):\n    os.system('true')\n    return p\n"
    (project / "c.py").write_text(src)
    ctx = context_for(project, "c.py", "clean")
    code = "def clean(p):\n    os.system('true')\n    return p or ''\n"
    assert review_proposal(proposal("c.py", 4, 6, code), ctx, src, settings).verdict.accepted


def test_rejection_messages_are_written_for_the_patcher(project: Path, settings: Settings) -> None:
    ctx = _setup(project)
    review = review_proposal(proposal("store.py", 4, 6, "def load(path):\n    pass\n"), ctx, SRC, settings)
    assert review.verdict.codes == [RejectionCode.PLACEHOLDER]
    assert "write the real body" in review.verdict.rejections[0].message
