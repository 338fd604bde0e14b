"""The sandbox: tests run on a copy, with no secrets, no network, hard timeouts and no surviving processes."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import CALC, CALC_FIXED

from selfmod.config import Settings, load_settings
from selfmod.errors import ConfigError
from selfmod.tools.sandbox import Sandbox, tree_hash
from selfmod.tools.sandbox.helpers import ADAPTIVE_FLOOR
from selfmod.tools.sandbox.interpreter import resolved_test_command
from selfmod.tools.sandbox.runner import netns_flags

FAST = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Skip third-party pytest plugins in sandbox runs (passed through by name, like any user setting)."""
    monkeypatch.setenv(FAST, "1")
    return [FAST]


def _settings(root: Path, passthrough: list[str], **kw: object) -> Settings:
    return Settings(project_root=root, env_passthrough=passthrough, **kw)  # type: ignore[arg-type]


def _processes_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_patch_is_tested_on_a_copy_and_the_live_file_never_changes(calc_project: Path, fast: list[str]) -> None:
    (calc_project / "tests" / "test_slow.py").write_text("import time\n\ndef test_slow():\n    time.sleep(0.5)\n")
    live = calc_project / "calc.py"
    original = live.read_bytes()
    seen: set[bytes] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.add(live.read_bytes())
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        broken = CALC.replace("max(low, min(x, high))", "min(low, max(x, high))")
        run = Sandbox(_settings(calc_project, fast)).evaluate("calc.py", broken)
    finally:
        stop.set()
        watcher.join()
    assert not run.success
    assert "tests/test_calc.py::test_clamp" in run.new_failures
    assert seen == {original}
    assert live.read_bytes() == original
    assert sorted(p.name for p in calc_project.iterdir()) == [".selfmod", "calc.py", "reflections.json", "tests"]


def test_passing_patch_reports_per_test_results(calc_project: Path, fast: list[str]) -> None:
    sandbox = Sandbox(_settings(calc_project, fast))
    baseline = sandbox.baseline()
    assert (baseline.passed, baseline.failed) == (2, 1)
    assert {t.name: t.outcome for t in baseline.tests}["tests/test_calc.py::test_mean_empty"] == "failed"
    assert "ZeroDivisionError" in next(t.message for t in baseline.tests if t.outcome == "failed")
    run = sandbox.evaluate("calc.py", CALC_FIXED)
    assert run.success and (run.passed, run.failed) == (3, 0)
    assert run.fixed_tests == ["tests/test_calc.py::test_mean_empty"]
    assert run.patched_file == "calc.py"


def test_baseline_is_cached_per_tree_hash(calc_project: Path, fast: list[str]) -> None:
    sandbox = Sandbox(_settings(calc_project, fast))
    first = sandbox.baseline()
    assert sandbox.baseline() == first
    assert (calc_project / ".selfmod" / "baseline" / f"{tree_hash(calc_project)}-auto.json").is_file()
    (calc_project / "calc.py").write_text(CALC_FIXED)
    fresh = sandbox.baseline()
    assert (fresh.passed, fresh.failed) == (3, 0)


def test_a_prefetched_baseline_is_the_one_evaluate_uses(calc_project: Path, fast: list[str]) -> None:
    sandbox = Sandbox(_settings(calc_project, fast))
    cache = calc_project / ".selfmod" / "baseline" / f"{tree_hash(calc_project)}-auto.json"
    sandbox.prefetch()
    Sandbox(_settings(calc_project, fast)).prefetch()  # one run per project, whichever sandbox asks
    baseline = Sandbox(_settings(calc_project, fast)).baseline()  # waits for the run in the background
    assert cache.is_file()
    written = cache.stat().st_mtime_ns
    assert (baseline.passed, baseline.failed) == (2, 1)
    run = sandbox.evaluate("calc.py", CALC_FIXED)
    assert run.success and run.fixed_tests == ["tests/test_calc.py::test_mean_empty"]
    assert cache.stat().st_mtime_ns == written and len(list(cache.parent.iterdir())) == 1


def test_copy_skips_vcs_state_venvs_and_caches(calc_project: Path, fast: list[str]) -> None:
    for d in (".git", ".selfmod", "myenv", "__pycache__", ".pytest_cache", "build", "pkg.egg-info"):
        (calc_project / d).mkdir(exist_ok=True)
        (calc_project / d / "marker").write_text("x")
    (calc_project / "myenv" / "pyvenv.cfg").write_text("home = /usr\n")
    (calc_project / "tests" / "test_copy.py").write_text(
        "import os\n\ndef test_copy():\n"
        "    present = [d for d in ('.git', '.selfmod', 'myenv', '__pycache__', '.pytest_cache', 'build', 'pkg.egg-info') "
        "if os.path.exists(d)]\n"
        "    assert present == []\n    assert os.path.exists('calc.py')\n"
    )
    run = Sandbox(_settings(calc_project, fast)).evaluate("calc.py", CALC_FIXED)
    assert run.success, run.output


def test_secrets_never_reach_the_tests(calc_project: Path, fast: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-" + "9" * 32
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("DATABASE_PASSWORD", "hunter2-hunter2")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "a" * 36)
    (calc_project / "tests" / "test_env.py").write_text(
        "import os\n\ndef test_env():\n    print(sorted(os.environ.items()))\n"
        "    assert not [k for k in os.environ if 'KEY' in k or 'PASSWORD' in k or 'TOKEN' in k]\n"
        "    assert os.environ['HOME'].startswith(os.environ['TMPDIR'].rsplit('/', 1)[0])\n"
    )
    run = Sandbox(_settings(calc_project, fast, test_command=["python", "-m", "pytest", "-q", "-s"])).evaluate(
        "calc.py", CALC_FIXED
    )
    assert run.success, run.output
    assert secret not in run.output and "hunter2" not in run.output
    assert "HOME" in run.output


def test_a_test_looping_forever_fails_as_timed_out_and_the_run_goes_on(calc_project: Path, fast: list[str]) -> None:
    (calc_project / "tests" / "test_loop.py").write_text("def test_loop():\n    while True:\n        pass\n")
    settings = _settings(calc_project, fast, test_timeout=10)
    run = Sandbox(settings).run({"calc.py": CALC_FIXED})
    outcomes = {t.name.rsplit("::", 1)[-1]: t for t in run.tests}
    assert not run.timed_out and run.results_found and not run.success
    assert (
        outcomes["test_loop"].outcome == "failed" and "timed out after 2 s (in call)" in outcomes["test_loop"].message
    )
    assert [outcomes[n].outcome for n in ("test_mean", "test_mean_empty", "test_clamp")] == ["passed"] * 3


def test_without_an_earlier_run_a_hanging_test_costs_seconds_not_the_runs_limit(
    calc_project: Path, fast: list[str]
) -> None:
    (calc_project / "tests" / "test_zloop.py").write_text("def test_loop():\n    while True:\n        pass\n")
    settings = _settings(calc_project, fast, test_timeout=100.0)
    started = time.monotonic()
    baseline = Sandbox(settings).baseline()  # no reference: the limit adapts to the tests already run
    assert time.monotonic() - started < 15
    loop = {t.name: t for t in baseline.tests}["tests/test_zloop.py::test_loop"]
    assert loop.outcome == "failed" and f"timed out after {ADAPTIVE_FLOOR:g} s" in loop.message
    assert (baseline.passed, baseline.failed) == (2, 2)


def test_a_test_looping_forever_with_the_alarm_blocked_is_killed_by_the_timeout(
    calc_project: Path, fast: list[str]
) -> None:
    token = "selfmod-loop-token-4711"
    (calc_project / "tests" / "test_loop.py").write_text(
        f"import signal\n\ndef test_loop():\n    x = '{token}'\n"
        "    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n    while True:\n        pass\n"
    )
    started = time.monotonic()
    run = Sandbox(
        _settings(calc_project, fast, test_timeout=3, test_command=["python", "-m", "pytest", "-q", "-k", "loop"])
    ).run({"calc.py": CALC_FIXED})
    assert run.timed_out and run.exit_code is None and not run.success
    [test] = run.tests
    assert test.outcome == "error" and test.message == "killed by the test run's 3 s timeout while running"
    assert time.monotonic() - started < 15
    assert _processes_with(token) == []


def test_a_grandchild_holding_the_output_cannot_hang_the_run(calc_project: Path, fast: list[str]) -> None:
    token = "selfmod-grandchild-token-8123"
    (calc_project / "tests" / "test_spawn.py").write_text(
        "import subprocess, sys\n\ndef test_spawn():\n"
        f"    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)  # {token}'], start_new_session=True)\n"
        f"    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)  # {token}'])\n"
    )
    started = time.monotonic()
    run = Sandbox(_settings(calc_project, fast, test_timeout=60)).evaluate("calc.py", CALC_FIXED)
    assert run.success, run.output
    assert time.monotonic() - started < 20
    assert _processes_with(token) == []


@pytest.mark.skipif(netns_flags()[0] is None, reason="no network namespaces on this machine")
def test_tests_have_no_network(calc_project: Path, fast: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    monkeypatch.setenv("PROBE_PORT", str(listener.getsockname()[1]))
    (calc_project / "tests" / "test_net.py").write_text(
        "import os, socket, pytest\n\ndef test_net():\n"
        "    with pytest.raises(OSError):\n"
        "        socket.create_connection(('127.0.0.1', int(os.environ['PROBE_PORT'])), timeout=2)\n"
    )
    run = Sandbox(_settings(calc_project, [*fast, "PROBE_PORT"])).evaluate("calc.py", CALC_FIXED)
    accepted = []
    with contextlib.suppress(TimeoutError):
        accepted.append(listener.accept())
    listener.close()
    assert run.network_isolated and run.isolation_note == ""
    assert run.success, run.output
    assert accepted == []


def test_isolation_switched_off_is_reported(calc_project: Path, fast: list[str]) -> None:
    run = Sandbox(_settings(calc_project, fast, isolate_network=False)).run()
    assert not run.network_isolated
    assert run.isolation_note == "network isolation disabled by settings"


def test_memory_limit_and_output_cap(calc_project: Path, fast: list[str]) -> None:
    (calc_project / "tests" / "test_big.py").write_text(
        "def test_memory():\n    b = bytearray(3 * 1024 ** 3)\n    assert len(b)\n\n"
        "def test_output():\n    print('x' * 400000)\n    assert False\n"
    )
    run = Sandbox(_settings(calc_project, fast, memory_limit_mb=1024, output_cap=5000)).run({"calc.py": CALC_FIXED})
    outcomes = {t.name.rsplit("::", 1)[-1]: t for t in run.tests}
    assert outcomes["test_memory"].outcome == "failed" and "MemoryError" in outcomes["test_memory"].message
    assert len(run.output) < 6000 and "bytes of output cut" in run.output


def test_no_regression_policy(calc_project: Path, fast: list[str]) -> None:
    (calc_project / "tests" / "test_known.py").write_text("def test_known_failure():\n    assert 1 == 2\n")
    strict = Sandbox(_settings(calc_project, fast)).evaluate("calc.py", CALC_FIXED)
    lenient = Sandbox(_settings(calc_project, fast, acceptance="no_regression")).evaluate("calc.py", CALC_FIXED)
    assert not strict.success
    assert lenient.success and lenient.fixed_tests == ["tests/test_calc.py::test_mean_empty"]
    breaks = CALC_FIXED.replace("max(low, min(x, high))", "x")
    bad = Sandbox(_settings(calc_project, fast, acceptance="no_regression")).evaluate("calc.py", breaks)
    assert not bad.success and bad.new_failures == ["tests/test_calc.py::test_clamp"]


def test_test_command_from_pyproject_and_selfmod_toml(calc_project: Path) -> None:
    (calc_project / "pyproject.toml").write_text(
        '[tool.selfmod]\ntest_command = ["python", "-m", "pytest", "-x"]\ntest_timeout = 12\nmax_attempts = 2\n'
        'protected = ["legacy/"]\n'
    )
    settings = load_settings(calc_project)
    assert settings.test_command == ["python", "-m", "pytest", "-x"]
    assert resolved_test_command(settings) == [sys.executable, "-m", "pytest", "-x"]
    assert (settings.test_timeout, settings.max_attempts, settings.protected) == (12, 2, ["legacy/"])
    (calc_project / ".selfmod.toml").write_text(
        'test_command = "python3 -m pytest -q tests"\npython = "py/bin/python"\n'
    )
    (calc_project / "py" / "bin").mkdir(parents=True)
    (calc_project / "py" / "bin" / "python").symlink_to(sys.executable)
    settings = load_settings(calc_project)
    assert settings.test_command == ["python3", "-m", "pytest", "-q", "tests"]
    assert resolved_test_command(settings) == [str(calc_project / "py/bin/python"), "-m", "pytest", "-q", "tests"]
    (calc_project / ".selfmod.toml").write_text("test_timout = 5\n")
    with pytest.raises(ConfigError, match=r"\.selfmod\.toml: test_timout: Extra inputs are not permitted"):
        load_settings(calc_project)
    (calc_project / ".selfmod.toml").write_text("test_timeout = [\n")
    with pytest.raises(ConfigError, match=r"\.selfmod\.toml: invalid TOML"):
        load_settings(calc_project)


def test_a_missing_test_program_is_a_clear_error(calc_project: Path) -> None:
    from selfmod.errors import SandboxError

    with pytest.raises(SandboxError, match="cannot start test command 'no-such-tool-xyz'"):
        Sandbox(Settings(project_root=calc_project, test_command=["no-such-tool-xyz"])).run()


def test_sandbox_keeps_working_directory_clean(calc_project: Path, fast: list[str]) -> None:
    before = sorted(os.listdir(calc_project))
    Sandbox(_settings(calc_project, fast)).run({"calc.py": CALC_FIXED})
    assert sorted(os.listdir(calc_project)) == before
