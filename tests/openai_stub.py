"""A local OpenAI-compatible chat completions server on 127.0.0.1, answering from a script (tests only)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def tool(name: str, **args: Any) -> dict[str, Any]:
    """A scripted answer that calls `name` with `args`."""
    return {"tool": name, "arguments": json.dumps(args)}


def malformed(name: str, raw: str) -> dict[str, Any]:
    """A scripted answer whose tool-call arguments are not valid JSON."""
    return {"tool": name, "arguments": raw}


def slow(seconds: float, answer: dict[str, Any]) -> dict[str, Any]:
    """A scripted answer sent only after `seconds` (to provoke client timeouts)."""
    return {**answer, "delay": seconds}


def http_error(status: int = 500) -> dict[str, Any]:
    """A scripted HTTP error."""
    return {"status": status}


class StubServer:
    """Serves scripted answers in order and records every request body."""

    def __init__(self, script: list[dict[str, Any]]) -> None:
        self.script = list(script)
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def _next(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.requests.append(body)
            if not self.script:
                return {"status": 599}
            return self.script.pop(0)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length))
                answer = server._next(body)
                if "delay" in answer:
                    time.sleep(answer["delay"])
                if "status" in answer:
                    payload = json.dumps({"error": {"message": "scripted failure", "type": "server_error"}}).encode()
                    self.send_response(answer["status"])
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if body.get("stream"):
                    self._stream(body, answer)
                else:
                    payload = json.dumps(_completion(body, answer)).encode()
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

            def _stream(self, body: dict[str, Any], answer: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                for chunk in _chunks(body, answer):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

        return Handler

    def __enter__(self) -> StubServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


USAGE = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}


def _message(answer: dict[str, Any]) -> dict[str, Any]:
    if "tool" in answer:
        call = {
            "id": f"call_{uuid.uuid4().hex[:10]}",
            "type": "function",
            "function": {"name": answer["tool"], "arguments": answer["arguments"]},
        }
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    return {"role": "assistant", "content": answer.get("text", "")}


def _completion(body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    message = _message(answer)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "stub"),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if "tool" in answer else "stop"}],
        "usage": USAGE,
    }


def _chunks(body: dict[str, Any], answer: dict[str, Any]) -> Iterator[dict[str, Any]]:
    base = {"id": "chatcmpl-stream", "object": "chat.completion.chunk", "created": 0, "model": body.get("model")}
    if "tool" in answer:
        args = answer["arguments"]
        half = len(args) // 2
        first = {
            "index": 0,
            "id": "call_stream1",
            "type": "function",
            "function": {"name": answer["tool"], "arguments": args[:half]},
        }
        yield {
            **base,
            "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [first]}, "finish_reason": None}],
        }
        rest = {"index": 0, "function": {"arguments": args[half:]}}
        yield {**base, "choices": [{"index": 0, "delta": {"tool_calls": [rest]}, "finish_reason": None}]}
        yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
    else:
        yield {
            **base,
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": answer.get("text", "")}, "finish_reason": None}
            ],
        }
        yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    yield {**base, "choices": [], "usage": USAGE}


@contextmanager
def serve(script: list[dict[str, Any]]) -> Iterator[StubServer]:
    """Start a stub server for the duration of a `with` block."""
    with StubServer(script) as server:
        yield server
