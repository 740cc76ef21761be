"""A scripted OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

It speaks real HTTP (streaming SSE or JSON), records every request it receives, and notices
when a client drops a connection mid-reply. Tests queue the replies it gives:

    backend.script(Chat("```python\\nx = 1\\n```"), Error(429, headers={"Retry-After": "0"}))

A model that looks something up first answers with ``ToolCalls`` (streamed as ``tool_calls``
deltas, the arguments in pieces), then, once the tool results are sent back, with ``Chat``.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received: float = field(default_factory=time.monotonic)
    """When the request arrived (time.monotonic), for measuring latency."""
    finished: float = 0.0
    """When its response was fully sent; 0 if it never was (the client went away)."""

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def prompt(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages)


@dataclass
class Chat:
    """A successful completion. ``content`` is one text, or one per choice."""

    content: str | list[str]
    finish_reason: str | list[str] = "stop"
    chunk_size: int = 8
    delay: float = 0.0
    """Seconds before the response headers."""
    interval: float = 0.0
    """Seconds between streamed chunks."""
    usage: bool = True
    counts: dict[str, Any] | None = None
    """The ``usage`` object to report instead of the placeholder counts."""

    @staticmethod
    def json(value: Any, **kwargs: Any) -> Chat:
        return Chat(json.dumps(value), **kwargs)


@dataclass
class ToolCalls:
    """A turn that calls tools: ``calls`` are ``(name, arguments)`` with the arguments as the
    model writes them (any text: the client must cope with invalid JSON). Streamed the way
    OpenAI does: each call's first delta carries its index, id and name, then its arguments
    arrive ``chunk_size`` characters at a time."""

    calls: list[tuple[str, str]]
    content: str = ""
    """Text the model writes before its calls."""
    chunk_size: int = 5
    interval: float = 0.0
    """Seconds between streamed chunks."""
    ids: list[str] | None = None
    finish_reason: str = "tool_calls"
    usage: bool = True

    def call_ids(self) -> list[str]:
        return self.ids or [f"call_{n}_{name}" for n, (name, _) in enumerate(self.calls)]


@dataclass
class Error:
    status: int
    message: str = "error"
    headers: dict[str, str] = field(default_factory=dict)
    param: str | None = None
    code: str | None = None
    body: Any = None


@dataclass
class Raw:
    """Arbitrary SSE lines, for malformed streams."""

    lines: list[str]
    status: int = 200
    interval: float = 0.0


@dataclass
class Hang:
    """Accept the request and send nothing for ``seconds``."""

    seconds: float = 30.0


Response = Chat | ToolCalls | Error | Raw | Hang
Responder = Callable[[Recorded], Response]


class ScriptedBackend:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.disconnects = 0
        self.completed = 0
        self._queue: list[Response] = []
        self.responder: Responder | None = None
        self.default: Response | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def start(self) -> ScriptedBackend:
        backend = self

        class Handler(_Handler):
            owner = backend

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def script(self, *responses: Response) -> None:
        with self._lock:
            self._queue.extend(responses)

    def _next(self, recorded: Recorded) -> Response:
        with self._changed:
            self.requests.append(recorded)
            self._changed.notify_all()
            if self._queue:
                return self._queue.pop(0)
        if self.responder is not None:
            return self.responder(recorded)
        if self.default is not None:
            return self.default
        return Error(500, "the test scripted no reply for this request")

    def _note(self, what: str) -> None:
        with self._changed:
            if what == "disconnect":
                self.disconnects += 1
            else:
                self.completed += 1
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate()`` holds (checked whenever the backend records something)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True


class _Handler(BaseHTTPRequestHandler):
    owner: ScriptedBackend
    arrived = 0.0
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Small SSE writes on a kept-alive connection would otherwise wait on Nagle's
        # algorithm and delayed ACKs (40 ms a time), which is not how real servers behave.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def parse_request(self) -> bool:
        # The request counts as arrived once its first line is in, so the time spent parsing
        # headers here is this server's own latency, not the client's.
        self.arrived = time.monotonic()
        return super().parse_request()

    def do_GET(self) -> None:
        if self.path == "/stats":
            # For benchmarks running the backend in its own process: when each request came and
            # went, on the system-wide monotonic clock.
            records = [
                {"received": r.received, "finished": r.finished} for r in self.owner.requests
            ]
            self._json(200, {"requests": records, "disconnects": self.owner.disconnects})
            return
        self._json(200, {"object": "list", "data": [{"id": "test-model", "object": "model"}]})

    def do_POST(self) -> None:
        arrived = self.arrived
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        recorded = Recorded(
            self.path, {k.lower(): v for k, v in self.headers.items()}, body, arrived
        )
        response = self.owner._next(recorded)
        try:
            self._respond(response, recorded)
        except (BrokenPipeError, ConnectionResetError):
            self.owner._note("disconnect")
            self.close_connection = True

    def _gone(self) -> bool:
        sock: socket.socket = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            return sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _wait(self, seconds: float) -> bool:
        """Sleep, but report a dropped connection as soon as it happens."""
        deadline = time.monotonic() + seconds
        while True:
            if self._gone():
                self.owner._note("disconnect")
                self.close_connection = True
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(0.01, left))

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _completed(self, recorded: Recorded) -> None:
        recorded.finished = time.monotonic()
        self.owner._note("completed")

    def _respond(self, response: Response, recorded: Recorded) -> None:
        body = recorded.body
        if isinstance(response, Hang):
            if self._wait(response.seconds):
                self._json(500, {"error": {"message": "hung"}})
            return
        if isinstance(response, Error):
            payload = response.body
            if payload is None:
                payload = {
                    "error": {
                        "message": response.message,
                        "type": "invalid_request_error",
                        "param": response.param,
                        "code": response.code,
                    }
                }
            self._json(response.status, payload, response.headers)
            self._completed(recorded)
            return
        if isinstance(response, Raw):
            self._start_stream(response.status)
            for line in response.lines:
                if response.interval and not self._wait(response.interval):
                    return
                self._write(line + "\n\n")
            self._end_stream()
            self._completed(recorded)
            return
        if isinstance(response, ToolCalls):
            self._tool_calls(response, recorded)
            return
        if response.delay and not self._wait(response.delay):
            return
        contents = response.content if isinstance(response.content, list) else [response.content]
        n = int(body.get("n") or 1)
        if not isinstance(response.content, list) and n > 1:
            contents = contents * n
        reasons = (
            response.finish_reason
            if isinstance(response.finish_reason, list)
            else [response.finish_reason] * len(contents)
        )
        model = body.get("model", "test-model")
        if not body.get("stream"):
            self._json(200, _completion(model, contents, reasons))
            self._completed(recorded)
            return
        self._start_stream(200)
        for index, text in enumerate(contents):
            pieces = [
                text[i : i + response.chunk_size] for i in range(0, len(text), response.chunk_size)
            ]
            for number, piece in enumerate(pieces or [""]):
                if response.interval and not self._wait(response.interval):
                    return
                delta: dict[str, Any] = {"content": piece}
                if number == 0:
                    delta["role"] = "assistant"
                self._event(_chunk(model, index, delta, None))
            self._event(_chunk(model, index, {}, reasons[index]))
        if response.usage and (body.get("stream_options") or {}).get("include_usage"):
            self._event(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [],
                    "usage": response.counts
                    or {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                }
            )
        self._write("data: [DONE]\n\n")
        self._end_stream()
        self._completed(recorded)

    def _tool_calls(self, response: ToolCalls, recorded: Recorded) -> None:
        body = recorded.body
        model = body.get("model", "test-model")
        ids = response.call_ids()
        if not body.get("stream"):
            message = {
                "role": "assistant",
                "content": response.content or None,
                "tool_calls": [
                    {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
                    for i, (n, a) in zip(ids, response.calls, strict=True)
                ],
            }
            choice = {"index": 0, "message": message, "finish_reason": response.finish_reason}
            self._json(
                200,
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "model": model,
                    "choices": [choice],
                    "usage": _USAGE,
                },
            )
            self._completed(recorded)
            return
        self._start_stream(200)
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": response.content or None}]
        for index, (call_id, (name, arguments)) in enumerate(zip(ids, response.calls, strict=True)):
            first = {"index": index, "id": call_id, "type": "function"}
            deltas.append({"tool_calls": [{**first, "function": {"name": name, "arguments": ""}}]})
            size = response.chunk_size
            for start in range(0, len(arguments), size):
                piece = arguments[start : start + size]
                deltas.append({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        for delta in deltas:
            if response.interval and not self._wait(response.interval):
                return
            self._event(_chunk(model, 0, delta, None))
        self._event(_chunk(model, 0, {}, response.finish_reason))
        if response.usage and (body.get("stream_options") or {}).get("include_usage"):
            self._event(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion.chunk",
                    "model": model,
                    "created": int(time.time()),
                    "choices": [],
                    "usage": _USAGE,
                }
            )
        self._write("data: [DONE]\n\n")
        self._end_stream()
        self._completed(recorded)

    def _start_stream(self, status: int) -> None:
        # Chunked, so the connection stays open for the next request as with real servers.
        self.send_response(status)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _event(self, payload: dict[str, Any]) -> None:
        self._write(f"data: {json.dumps(payload)}\n\n")

    def _write(self, text: str) -> None:
        if self._gone():
            raise BrokenPipeError
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


_USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def _chunk(model: str, index: int, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


def _completion(model: str, contents: list[str], reasons: list[str]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": i,
                "message": {"role": "assistant", "content": text},
                "finish_reason": reasons[i],
            }
            for i, text in enumerate(contents)
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def main() -> None:
    """``python tests/scripted_backend.py LATENCY_MS CONTENT``: serve one fixed reply after a
    fixed latency, in a process of its own, printing the URL; statistics at GET /stats."""
    import sys

    latency = float(sys.argv[1]) / 1000
    content = sys.argv[2].encode().decode("unicode_escape")
    backend = ScriptedBackend()
    backend.responder = lambda request: Chat(content, delay=latency)
    backend.start()
    print(backend.url, flush=True)
    sys.stdin.read()
    backend.stop()


if __name__ == "__main__":
    main()
