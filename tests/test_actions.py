"""Actions, the registry, LangChain tools, the core actions and self-created actions."""

from __future__ import annotations

import asyncio
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from selfmod import Action, ActionBuilder, ActionError, ActionRegistry
from selfmod.agents.tool_calling import CallPolicy
from selfmod.config import Settings
from selfmod.testing import ScriptedChatModel, tool_call
from selfmod.tools.changes.audit import AuditLog


class AddParams(BaseModel):
    a: int
    b: int = 0


class AddAction(Action):
    name = "add"
    description = "Add two numbers."
    Params = AddParams

    def execute(self, **params: Any) -> int:
        return int(params["a"]) + int(params["b"])


class SlowAdd(AddAction):
    name = "slow_add"

    async def execute(self, **params: Any) -> int:  # type: ignore[override]
        await asyncio.sleep(0)
        return int(params["a"]) + int(params["b"])


def test_parameters_are_validated_before_execution() -> None:
    action = AddAction()
    assert action.run(a=2, b=3) == 5
    with pytest.raises(ActionError, match=r"'add' has no parameter\(s\) c"):
        action.run(a=1, c=2)
    with pytest.raises(ActionError, match=r"'add': a: Field required"):
        action.run(b=1)
    with pytest.raises(ActionError, match=r"'add': a: Input should be a valid integer"):
        action.run(a="x")


def test_async_actions_run_sync_and_async() -> None:
    assert SlowAdd().run(a=1, b=1) == 2
    assert asyncio.run(SlowAdd().arun(a=2, b=2)) == 4


def test_registry_refuses_a_clash_unless_overwrite() -> None:
    registry = ActionRegistry()
    assert registry.register_action(AddAction())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert not registry.register_action(AddAction())
    assert "already registered" in str(caught[0].message)
    replacement = AddAction()
    assert registry.register_action(replacement, overwrite=True) and registry.actions["add"] is replacement


def test_discovery_injects_dependencies_and_reports_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "host_actions"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "greet.py").write_text(
        textwrap.dedent("""
        from pydantic import BaseModel
        from selfmod.tools.registry.actions import Action

        class P(BaseModel):
            who: str

        class Greet(Action):
            name = "greet"
            description = "Say hello."
            Params = P

            def __init__(self, greeting: str) -> None:
                self.greeting = greeting

            def execute(self, **params):
                return f"{self.greeting}, {params['who']}"

        class NeedsDb(Action):
            name = "needs_db"
            description = "Needs a database."
            Params = P

            def __init__(self, database) -> None:
                self.database = database

            def execute(self, **params):
                return None
    """)
    )
    (pkg / "broken.py").write_text("import not_a_module_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = ActionRegistry(deps={"greeting": "Hi"})
    found = registry.discover_actions("host_actions")
    assert found.registered == ["greet"]
    assert "TypeError" in found.failed["host_actions.greet.NeedsDb"]
    assert "import failed: ModuleNotFoundError" in found.failed["host_actions.broken"]
    assert registry.actions["greet"].run(who="Ada") == "Hi, Ada"


def test_definitions_for_prompts_and_tools_for_models(tmp_path: Path) -> None:
    registry = ActionRegistry(deps={"workspace": tmp_path})
    registry.register_action(AddAction())
    text = registry.get_action_definitions()
    assert text.startswith("Available actions:")
    assert (
        "- add: Add two numbers." in text
        and "    - a (integer, required)" in text
        and "    - b (integer, optional)" in text
    )
    assert "- write_python_code:" in text and "- execute_python_file:" in text
    tools = {t.name: t for t in registry.as_tools()}
    assert set(tools) == {"add", "write_python_code", "execute_python_file"}
    assert tools["add"].args_schema is AddParams
    assert tools["add"].invoke({"a": 4, "b": 5}) == 9
    model = ScriptedChatModel(responses=[tool_call("write_python_code", path="hello.py", code="print('hi')\n")])
    message = model.bind_tools(list(tools.values())).invoke("write a script")
    call = message.tool_calls[0]
    tools[call["name"]].invoke(call["args"])
    assert (tmp_path / "hello.py").read_text() == "print('hi')\n"
    ran = tools["execute_python_file"].invoke({"path": "hello.py"})
    assert ran["exit_code"] == 0 and ran["output"].strip() == "hi"


@pytest.mark.parametrize("path", ["../escape.py", "/tmp/abs.py", "a/../../x.py"])
def test_write_python_code_stays_in_the_workspace(tmp_path: Path, path: str) -> None:
    registry = ActionRegistry(deps={"workspace": tmp_path / "ws"})
    with pytest.raises(ActionError, match=r"project root|absolute|'\.\.'"):
        registry.actions["write_python_code"].run(path=path, code="x = 1\n")
    assert not (tmp_path / "escape.py").exists()


def test_write_python_code_checks_the_code_and_audits(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / ".selfmod")
    registry = ActionRegistry(deps={"workspace": tmp_path, "audit": audit})
    write = registry.actions["write_python_code"]
    with pytest.raises(ActionError, match=r"does not parse \(line 1"):
        write.run(path="bad.py", code="def (:\n")
    with pytest.raises(ActionError, match=r"only writes \.py files"):
        write.run(path="notes.txt", code="x")
    assert write.run(path="pkg/ok.py", code="x = 1\n") == {"path": "pkg/ok.py", "bytes": 6}
    assert [(r.status, r.file) for r in audit.records()] == [("action_write", "pkg/ok.py")]


def test_execute_python_file_is_isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_API_KEY", "sk-live-" + "9" * 24)
    registry = ActionRegistry(deps={"workspace": tmp_path})
    (tmp_path / "env.py").write_text(
        "import os, sys\nprint(sorted(os.environ))\nsys.stdout.buffer.write(b'\\xff\\xfe bytes')\n"
    )
    (tmp_path / "loop.py").write_text("while True:\n    pass\n")
    run = registry.actions["execute_python_file"]
    out = run.run(path="env.py")
    assert out["exit_code"] == 0 and "SERVICE_API_KEY" not in out["output"] and "\ufffd" in out["output"]
    looped = run.run(path="loop.py", timeout=1)
    assert looped["timed_out"] and looped["exit_code"] is None
    with pytest.raises(ActionError, match=r"is not a file"):
        run.run(path="missing.py")


GOOD_MODULE = """from pydantic import BaseModel

from selfmod.tools.registry.actions import Action


class GreetParams(BaseModel):
    who: str


class GreetAction(Action):
    name = "greet"
    description = "Greet someone by name."
    Params = GreetParams

    def execute(self, **params):
        return f"Hello, {params['who']}!"
"""

NOT_AN_ACTION = "def greet(who):\n    return 'hi ' + who\n"


def test_a_self_created_action_is_checked_tested_applied_and_registered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    root = tmp_path / "agent"
    (root / "actions").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "tests" / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    settings = Settings(project_root=root, env_passthrough=["PYTEST_DISABLE_PLUGIN_AUTOLOAD"], git_commit=False)
    registry = ActionRegistry(deps={"workspace": root})
    model = ScriptedChatModel(
        responses=[
            tool_call(
                "propose_code_patch",
                filename="actions/greet.py",
                start_line=1,
                end_line=1,
                new_code=NOT_AN_ACTION,
                explanation="x",
            ),
            tool_call(
                "propose_code_patch",
                filename="../outside.py",
                start_line=1,
                end_line=1,
                new_code=GOOD_MODULE,
                explanation="x",
            ),
            tool_call(
                "propose_code_patch",
                filename="actions/greet.py",
                start_line=1,
                end_line=1,
                new_code=GOOD_MODULE,
                explanation="greet",
            ),
        ]
    )
    result = ActionBuilder(settings, registry, model, policy=CallPolicy(backoff_initial=0.01)).create(
        "greet a person by name"
    )
    assert (result.status, result.file, result.registered) == ("applied", "actions/greet.py", ["greet"]), result.message
    assert "defines no Action subclass" in model.calls[1][-1].content
    assert "outside the project root" in model.calls[2][-1].content or "'..'" in model.calls[2][-1].content
    assert (root / "actions" / "greet.py").read_text() == GOOD_MODULE
    assert not (tmp_path / "outside.py").exists()
    assert "greet" in {t.name for t in registry.as_tools()}
    assert registry.actions["greet"].run(who="Ada") == "Hello, Ada!"
    [record] = [r for r in AuditLog(settings.state_dir).records() if r.status == "applied"]
    assert record.id == result.audit_id and record.file == "actions/greet.py" and record.attempts == 3


def test_a_new_action_that_breaks_the_tests_is_never_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    root = tmp_path / "agent"
    (root / "actions").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "tests" / "test_no_greet.py").write_text(
        "import pathlib\n\ndef test_no_greet():\n    assert not pathlib.Path('actions/greet.py').exists()\n"
    )
    settings = Settings(project_root=root, env_passthrough=["PYTEST_DISABLE_PLUGIN_AUTOLOAD"], max_attempts=1)
    registry = ActionRegistry()
    model = ScriptedChatModel(
        responses=[
            tool_call(
                "propose_code_patch",
                filename="actions/greet.py",
                start_line=1,
                end_line=1,
                new_code=GOOD_MODULE,
                explanation="x",
            )
        ]
    )
    result = ActionBuilder(settings, registry, model).create("greet")
    assert result.status == "rejected" and "tests fail with the new module" in result.message
    assert not (root / "actions" / "greet.py").exists() and "greet" not in registry.actions
    assert [r.status for r in AuditLog(settings.state_dir).records()] == ["rejected"]
