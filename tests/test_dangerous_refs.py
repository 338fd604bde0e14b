"""The critic's dangerous-reference check: names resolved through aliases, getattr, dynamic imports and namespaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import context_for, proposal

from selfmod import ActionBuilder, ActionRegistry
from selfmod.agents.critic import review_proposal
from selfmod.agents.dangerous_refs import new_dangerous_calls
from selfmod.config import Settings
from selfmod.models import RejectionCode
from selfmod.testing import ScriptedChatModel, tool_call
from selfmod.tools.changes.audit import AuditLog

# (new module text, the resolved name the rejection must name, text the "via" part must contain or None)
BYPASSES: dict[str, tuple[str, str, str | None]] = {
    "importlib.import_module": (
        "import importlib\n\ndef f():\n    importlib.import_module('subprocess').run(['ls'])\n",
        "subprocess.run",
        "importlib.import_module('subprocess')",
    ),
    "__import__": (
        "def f():\n    __import__('subprocess').run(['ls'])\n",
        "subprocess.run",
        "__import__('subprocess')",
    ),
    "getattr on a module": (
        "import os\n\ndef f():\n    getattr(os, 'system')('ls')\n",
        "os.system",
        "getattr(os, 'system')",
    ),
    "getattr on __import__": (
        "def f():\n    getattr(__import__('os'), '_exit')(0)\n",
        "os._exit",
        "getattr(__import__('os'), '_exit')",
    ),
    "os.posix_spawn": ("import os\n\ndef f():\n    os.posix_spawn('/bin/ls', ['ls'], {})\n", "os.posix_spawn", None),
    "pty.spawn": ("import pty\n\ndef f():\n    pty.spawn('sh')\n", "pty.spawn", None),
    "multiprocessing.Process": (
        "import multiprocessing\n\ndef f():\n    multiprocessing.Process(target=print).start()\n",
        "multiprocessing.Process",
        None,
    ),
    "asyncio.create_subprocess_exec": (
        "import asyncio\n\nasync def f():\n    await asyncio.create_subprocess_exec('ls')\n",
        "asyncio.create_subprocess_exec",
        None,
    ),
    "from-import alias": (
        "from os import _exit as bye\n\ndef f():\n    bye(0)\n",
        "os._exit",
        "from os import _exit as bye",
    ),
    "module alias": ("import os as o\n\ndef f():\n    o._exit(0)\n", "os._exit", "import os as o"),
    "reference kept in a local": (
        "import os\n\ndef f():\n    g = os.system\n    g('x')\n",
        "os.system",
        "g = os.system",
    ),
    "reference kept in a module global": ("import subprocess\n\nrun = subprocess.run\n", "subprocess.run", None),
    "sys.modules": ("import sys\n\ndef f():\n    sys.modules['os'].system('x')\n", "os.system", "sys.modules['os']"),
    "builtins.__import__": (
        "import builtins\n\ndef f():\n    builtins.__import__('os').system('x')\n",
        "os.system",
        "builtins.__import__('os')",
    ),
    "vars(module)": ("import os\n\ndef f():\n    vars(os)['system']('x')\n", "os.system", "vars(os)['system']"),
    "module.__dict__": (
        "import os\n\ndef f():\n    os.__dict__['system']('x')\n",
        "os.system",
        "os.__dict__['system']",
    ),
    "import _pytest": ("import _pytest\n", "_pytest", None),
    "pytest.skip": ("import pytest\n\ndef f():\n    pytest.skip('later')\n", "pytest.skip", None),
    "pytest.exit": ("import pytest\n\ndef f():\n    pytest.exit('done', returncode=0)\n", "pytest.exit", None),
    "pytest.xfail": ("from pytest import xfail\n\ndef f():\n    xfail('x')\n", "pytest.xfail", None),
    "_pytest.runner": ("from _pytest import runner\n\ndef f():\n    return runner\n", "_pytest.runner", None),
    "unittest.mock": (
        "from unittest import mock\n\ndef f():\n    return mock.patch('x')\n",
        "unittest.mock.patch",
        None,
    ),
    "sys.exit": ("import sys\n\ndef f():\n    sys.exit(0)\n", "sys.exit", None),
    "os._exit": ("import os\n\ndef f():\n    os._exit(0)\n", "os._exit", None),
    "signal": ("import signal\n\ndef f():\n    signal.alarm(1)\n", "signal.alarm", None),
    "ctypes": ("import ctypes as c\n\ndef f():\n    c.CDLL(None)\n", "ctypes.CDLL", "import ctypes as c"),
    "os.setns": ("import os\n\ndef f(fd):\n    os.setns(fd)\n", "os.setns", None),
    "os.unshare": ("import os\n\ndef f():\n    os.unshare(0)\n", "os.unshare", None),
    "socket": (
        "import socket\n\ndef f():\n    socket.create_connection(('127.0.0.1', 9))\n",
        "socket.create_connection",
        None,
    ),
    "computed getattr on a module": ("import os\n\ndef f(n):\n    getattr(os, n)('x')\n", "os.*", "getattr(os, n)"),
    "computed import_module": (
        "import importlib\n\ndef f(n):\n    return importlib.import_module(n)\n",
        "importlib.import_module",
        None,
    ),
    "computed __import__": ("def f(n):\n    return __import__(n)\n", "__import__", None),
    "star import": ("from os import *\n\ndef f():\n    system('x')\n", "os.*", "from os import *"),
    "module passed as a value": (
        "import operator\nimport os\n\ndef f():\n    operator.attrgetter('system')(os)('x')\n",
        "os.*",
        "os used as a value",
    ),
    "__builtins__ with concatenated names": (
        "def f():\n    getattr(getattr(__builtins__, '__imp' + 'ort__')('o' + 's'), 'sys' + 'tem')('x')\n",
        "os.system",
        "getattr(",
    ),
    "dotted __import__ returns the top package": (
        "def f():\n    __import__('os.path').system('x')\n",
        "os.system",
        "__import__('os.path')",
    ),
    "__import__ with an empty fromlist": (
        "def f():\n    __import__('os.path', fromlist=[]).system('x')\n",
        "os.system",
        "__import__('os.path', fromlist=[])",
    ),
    "alias chain in reverse order": (
        "import os\n\ndef f():\n    c.system('x')\n\nc = b\nb = a\na = os\n",
        "os.system",
        "c = b",
    ),
    "object.__subclasses__": (
        "def f():\n    return ().__class__.__base__.__subclasses__()\n",
        "().__class__.__base__.__subclasses__",
        None,
    ),
    "function globals": ("def f():\n    return f.__globals__['os']\n", "f.__globals__", None),
    "eval rebound to itself": ("eval = eval\n\ndef f(s):\n    return eval(s)\n", "eval", None),
}


@pytest.mark.parametrize("case", sorted(BYPASSES))
def test_bypass_is_rejected_naming_the_resolved_name(settings: Settings, case: str) -> None:
    code, name, via = BYPASSES[case]
    rejections = new_dangerous_calls("", code, settings)
    assert rejections and {r.code for r in rejections} == {RejectionCode.DANGEROUS_CALL}
    named = {r.message.removeprefix("the patch adds a reference to ").split(" ")[0].rstrip(","): r for r in rejections}
    assert name in named, [r.message for r in rejections]
    hit = named[name].message
    assert "not allowed in patches" in hit
    if via is not None:
        assert f"(via {via}" in hit, hit


def test_rejection_says_how_an_indirect_reference_was_reached(settings: Settings) -> None:
    code = "import importlib\n\ndef f():\n    importlib.import_module('subprocess').run(['ls'])\n"
    messages = [r.message for r in new_dangerous_calls("import importlib\n", code, settings)]
    assert messages == [
        "the patch adds a reference to subprocess.run (via importlib.import_module('subprocess')), "
        "which is not allowed in patches; fix the bug without it"
    ]


def test_bypass_through_review_proposal(project: Path, settings: Settings) -> None:
    src = "import os\n\n\ndef load(path):\n    return open(path).read()\n"
    (project / "store.py").write_text(src)
    ctx = context_for(project, "store.py", "load")
    code = "def load(path):\n    getattr(__import__('os'), '_exit')(0)\n    return open(path).read()\n"
    review = review_proposal(proposal("store.py", 4, 5, code), ctx, src, settings)
    assert review.verdict.codes == [RejectionCode.DANGEROUS_CALL]
    assert "os._exit (via getattr(__import__('os'), '_exit'))" in review.verdict.rejections[0].message
    assert review.new_text is None
    assert (project / "store.py").read_text() == src


ORDINARY = '''import json
import logging
import os
import re
import sys

log = logging.getLogger(__name__)
PATTERN = re.compile(r"\\d+")


def describe(obj, name, items, system="linux"):
    """Ordinary code: paths, builtins, getattr on objects, a local named like a dangerous function."""
    system = system or platform()
    path = os.path.join("data", f"{name}.json")
    exists = os.path.exists(path)
    value = getattr(obj, name, None)
    fields = vars(obj) if hasattr(obj, "__dict__") else {}
    print(len(items), file=sys.stderr)
    data = json.loads(json.dumps({"system": system, "exists": exists}))
    home = os.environ.get("HOME", "")
    return [i for i in items if isinstance(i, dict)], value, fields, data, home, PATTERN.findall(name)


def compile_report(exec, eval):
    return exec(eval)
'''


def test_ordinary_code_is_not_rejected(settings: Settings) -> None:
    assert new_dangerous_calls("", ORDINARY, settings) == []


def test_a_json_module_passed_as_a_value_is_harmless_but_os_is_not(settings: Settings) -> None:
    assert new_dangerous_calls("", "import json\n\ndef f(g):\n    return g(json)\n", settings) == []
    [rejection] = new_dangerous_calls("", "import os\n\ndef f(g):\n    return g(os)\n", settings)
    assert "os.* (via os used as a value)" in rejection.message


def test_existing_usage_is_not_counted(settings: Settings) -> None:
    old = "import subprocess\nrun = subprocess.run\n\n\ndef build():\n    run(['make'])\n    return 1\n"
    new = "import subprocess\nrun = subprocess.run\n\n\ndef build():\n    run(['make'])\n    return 2\n"
    assert new_dangerous_calls(old, new, settings) == []


def test_one_more_occurrence_than_before_is_rejected(settings: Settings) -> None:
    old = "import subprocess\nrun = subprocess.run\n\n\ndef build():\n    run(['make'])\n"
    new = old + "    run(['make', 'install'])\n"
    [rejection] = new_dangerous_calls(old, new, settings)
    assert "subprocess.run (via run = subprocess.run)" in rejection.message


def test_an_import_and_its_use_are_reported_once_by_the_specific_name(settings: Settings) -> None:
    rejections = new_dangerous_calls("", "def f():\n    import subprocess as sp\n    sp.run(['ls'])\n", settings)
    assert [r.message.split(",")[0] for r in rejections] == [
        "the patch adds a reference to subprocess.run (via import subprocess as sp)"
    ]


def test_allowed_calls_exempt_matching_names_only(project: Path) -> None:
    settings = Settings(project_root=project, allowed_calls=["subprocess.run"])
    allowed = "import subprocess as sp\n\ndef f():\n    sp.run(['ls'])\n"
    assert new_dangerous_calls("", allowed, settings) == []
    [rejection] = new_dangerous_calls("", allowed + "    sp.Popen(['ls'])\n", settings)
    assert "subprocess.Popen" in rejection.message


def test_allowed_calls_also_exempt_names_reached_indirectly(project: Path) -> None:
    settings = Settings(project_root=project, allowed_calls=["os.*"])
    assert new_dangerous_calls("", "import os\n\ndef f(n):\n    getattr(os, 'system')(n)\n", settings) == []


def test_a_name_rebound_too_often_to_follow_is_rejected(settings: Settings) -> None:
    code = "import os\n\ndef f():\n    a = os\n    a = a.path\n    a('x')\n"
    [rejection] = new_dangerous_calls("", code, settings)
    assert "<unresolvable>" in rejection.message and "too many values" in rejection.message


def test_new_text_that_cannot_be_analysed_is_rejected(settings: Settings) -> None:
    [rejection] = new_dangerous_calls("x = 1\n", "def f(:\n", settings)
    assert rejection.code == RejectionCode.DANGEROUS_CALL and "cannot be checked" in rejection.message


def test_unparseable_old_text_counts_everything_as_new(settings: Settings) -> None:
    [rejection] = new_dangerous_calls("import os\nos.system(\n", "import os\nos.system('x')\n", settings)
    assert "os.system" in rejection.message


ACTION = """import os

from selfmod.tools.registry.actions import Action


class Greet(Action):
    name = "greet"
    description = "Greet someone."

    def execute(self, **params):
        {body}
        return "hello"
"""


def _builder(root: Path, model: ScriptedChatModel | None = None) -> ActionBuilder:
    settings = Settings(project_root=root, max_attempts=1, git_commit=False)
    return ActionBuilder(settings, ActionRegistry(), model or ScriptedChatModel(responses=[]))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("flag = os.environ.get('SELFMOD_SANDBOX_RUN')", "environment variable SELFMOD_SANDBOX_RUN"),
        ("flag = os.getenv('SELF' + 'MOD_SANDBOX_RUN')", "environment variable SELFMOD_SANDBOX_RUN"),
        ("flag = os.environ['SELFMOD_PROBE_OUT']", "environment variable SELFMOD_PROBE_OUT"),
        ("flag = 'SELFMOD_X' in str(params)", "it mentions 'SELFMOD_X'"),
        ("flag = [k for k in os.environ if k.startswith('SELF')]", "as a whole"),
        ("flag = os.environ.get(params['name'])", "computed name"),
    ],
)
def test_sandbox_detection_in_a_new_action_is_rejected(project: Path, body: str, expected: str) -> None:
    (project / "actions").mkdir()
    problems = _builder(project).problems(proposal("actions/greet.py", 1, 1, ACTION.format(body=body)))
    assert any(p.startswith("sandbox detection:") and expected in p for p in problems), problems


def test_a_new_action_reading_a_fixed_variable_passes_the_static_checks(project: Path) -> None:
    (project / "actions").mkdir()
    code = ACTION.format(body="home = os.environ.get('HOME', '')")
    assert _builder(project).problems(proposal("actions/greet.py", 1, 1, code)) == []


def test_a_sandbox_detecting_action_is_never_created(project: Path) -> None:
    (project / "actions").mkdir()
    code = ACTION.format(body="flag = os.environ.get('SELFMOD_SANDBOX_RUN')")
    model = ScriptedChatModel(
        responses=[
            tool_call(
                "propose_code_patch",
                filename="actions/greet.py",
                start_line=1,
                end_line=1,
                new_code=code,
                explanation="x",
            )
        ]
    )
    builder = _builder(project, model)
    result = builder.create("greet")
    assert result.status == "rejected" and "SELFMOD_SANDBOX_RUN" in result.message
    assert not (project / "actions" / "greet.py").exists()
    assert [r.status for r in AuditLog(builder.settings.state_dir).records()] == ["rejected"]
