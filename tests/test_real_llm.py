"""The LLM path against a real model served on 127.0.0.1, where the local model is built (skipped elsewhere).

The server is started the way `../shared/local-llm/serve.sh` starts it (llama-cpp-python's OpenAI-compatible
server with Qwen2.5-Coder-1.5B-Instruct, Q4_K_M); the real `ChatOpenAI` client then makes the extractor's forced
`log_bug_report` call, and the patcher's code-block answer is read as a patch. CI has no model and keeps using the local stub (`openai_stub.py`) for the HTTP path.
"""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel

from selfmod.agents.extractor import LLMExtractor
from selfmod.agents.patcher import LLMPatcher
from selfmod.config import Settings
from selfmod.model_spec import build_model
from selfmod.models import BugReport, PatchProposal, Reflection
from selfmod.tools.code.context import Located, extract_code_block

LLM_DIR = Path(os.environ.get("SELFMOD_LLM_DIR", Path.home() / ".cache" / "selfmod-llm"))
MODEL = LLM_DIR / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
PYTHON = LLM_DIR / "venv" / "bin" / "python"
NAME = "qwen2.5-coder-1.5b-instruct"

pytestmark = pytest.mark.skipif(
    not (MODEL.is_file() and PYTHON.is_file()),
    reason=f"no local model at {MODEL} (build it with ../shared/local-llm/setup.sh); the stub covers HTTP in CI",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    port = _free_port()
    command = [str(PYTHON), "-m", "llama_cpp.server", "--model", str(MODEL), "--model_alias", NAME,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "8192", "--n_threads", "2"]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/models", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the local model server did not come up (exit code {server.poll()})")
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def model(served: str, monkeypatch: pytest.MonkeyPatch) -> BaseChatModel:
    """The real client, configured from the environment as `--model openai:NAME` is."""
    monkeypatch.setenv("OPENAI_BASE_URL", served)
    monkeypatch.setenv("OPENAI_API_KEY", "local")
    built = build_model(f"openai:{NAME}", timeout=300)
    assert built is not None
    return built


@pytest.mark.timeout(1200)  # a 1.5B model on 2 busy CPU cores
def test_the_extractor_gets_a_parsed_bug_report_from_the_real_model(model: BaseChatModel, seed_project: Path) -> None:
    reflection = Reflection.model_validate(
        {
            "id": "real-1",
            "task_summary": "summarise the text",
            "outcome": "failed",
            "reflection": "The function 'dummy_function' in 'llm.py' returns the wrong value for an empty list.",
        }
    )
    found = LLMExtractor(model, Settings(project_root=seed_project)).extract(reflection)
    assert found.status == "found", found.message
    assert found.report is not None
    assert (found.report.filename, found.report.function) == ("llm.py", "dummy_function")
    assert found.usage.calls >= 1 and found.usage.input_tokens > 100


@pytest.mark.timeout(1200)
def test_the_real_models_code_block_answer_is_read_as_a_patch_of_the_function(
    model: BaseChatModel, seed_project: Path
) -> None:
    located = extract_code_block(seed_project, "llm.py", "dummy_function", 5)
    assert isinstance(located, Located)
    bug = BugReport(filename="llm.py", function="dummy_function", summary="IndexError on empty input: return ''")
    made = LLMPatcher(model, root=seed_project, patch_format="code_block").propose(bug, located.context, "")
    patch = made.proposal
    assert isinstance(patch, PatchProposal)  # the seed needs no import: one definition, not edits
    assert (patch.filename, patch.start_line, patch.end_line) == ("llm.py", 4, 6)
    assert ast.parse(patch.new_code).body[0].name == "dummy_function"  # type: ignore[attr-defined]
    assert made.usage.calls >= 1 and made.usage.output_tokens > 10
