"""A scripted OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

It speaks real HTTP (streaming SSE or JSON), records every request it receives, and notices
when a client drops a connection mid-reply. Tests queue the replies it gives:

    backend.script(Chat("```python\\nx = 1\\n```"), Error(429, headers={"Retry-After": "0"}))

The legacy completions endpoint (``/v1/completions``, a plain ``prompt``: fill-in-the-middle)
is served from the same script, in its own shape (``choices[].text``, ``object``
``text_completion``), unless ``completions`` is False: then it answers 404 as a server without
that endpoint does.

A model that looks something up first answers with ``ToolCalls`` (streamed as ``tool_calls``
deltas, the arguments in pieces), then, once the tool results are sent back, with ``Chat``.

With a ``Profile`` (``PROFILES``), the server behaves as a documented OpenAI-compatible server
does: it refuses what that server refuses, with that server's status and error body (before any
scripted reply is used), streams usage and tool calls the way it does, and answers a prompt over
its context as it does.
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
    status: int = 0
    """The HTTP status it was answered with."""
    tools_honoured: bool = True
    """False when the server's profile ignores the request's ``tools`` (the model never sees
    them)."""

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
    logprobs: float | list[float] | None = None
    """When the request asks for ``logprobs``: each streamed piece is one token with this log
    probability (one value per choice, or one for all); None sends none, as backends that
    ignore the parameter do."""

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


@dataclass(frozen=True)
class Profile:
    """How one OpenAI-compatible server answers, as its documentation and issue tracker show
    (the sources are cited at each profile in ``PROFILES``)."""

    name: str
    refuse: Callable[[dict[str, Any]], Error | None] = lambda body: None
    """The error the server answers this request body with, before the model sees it."""
    usage: bool = True
    """Whether ``stream_options.include_usage`` gets a usage chunk."""
    tool_calls: str = "pieces"
    """``pieces``: OpenAI's shape (index, id and name first, then the arguments in pieces);
    ``whole``: each call whole in one delta, without an index (Ollama)."""
    tools: bool = True
    """Whether the model sees ``tools`` (False: the server ignores them)."""
    n: bool = True
    """Whether ``n`` gets that many choices (False: always one)."""
    filter_chunks: bool = False
    """Azure: a first chunk with no choices, only ``prompt_filter_results``, and content filter
    results on every choice."""
    context: int = 32768
    """Tokens the model holds (estimated at three characters a token, about what local
    servers count for code)."""
    overflow: Callable[[int, int, bool], Response] | None = None
    """The answer to a prompt of ``tokens`` over ``context`` (``stream`` or not); None: the
    server cuts the prompt to fit and answers (Ollama)."""

    def check(self, body: dict[str, Any]) -> Response | None:
        refused = self.refuse(body)
        if refused is not None:
            return refused
        text = "".join(str(m.get("content") or "") for m in body.get("messages", []))
        text += str(body.get("prompt") or "")
        tokens = len(text) // 3
        if tokens > self.context and self.overflow is not None:
            return self.overflow(tokens, self.context, bool(body.get("stream")))
        return None


class ScriptedBackend:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.disconnects = 0
        self.connections = 0
        """TCP connections clients opened to it (a client that keeps its connection opens one)."""
        self.completed = 0
        self._queue: list[Response] = []
        self.responder: Responder | None = None
        self.default: Response | None = None
        self.profile: Profile | None = None
        self.stored: dict[str, dict[str, Any]] = {}
        """Completions kept for requests that said ``store`` (OpenAI's stored completions)."""
        self.stores = True
        """Whether it offers the stored-completion endpoints (False: 404, as most servers)."""
        self.stored_calls: list[tuple[str, str, Any]] = []
        """The stored-completion requests: method, path, body."""
        self.completions = True
        """Whether it serves the completions endpoint (False: 404, as OpenAI's chat-only models
        and servers without ``/v1/completions``; the request is recorded, no reply used)."""
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
            if self.profile is not None:
                refused = self.profile.check(recorded.body)
                if refused is not None:
                    return refused
                recorded.tools_honoured = self.profile.tools
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
    _recorded: Recorded | None = None
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with self.owner._lock:
            self.owner.connections += 1
        # Small SSE writes on a kept-alive connection would otherwise wait on Nagle's
        # algorithm and delayed ACKs (40 ms a time), which is not how real servers behave.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def parse_request(self) -> bool:
        # The request counts as arrived once its first line is in, so the time spent parsing
        # headers here is this server's own latency, not the client's.
        self.arrived = time.monotonic()
        return super().parse_request()

    def _stored_completions(self, method: str, body: Any = None) -> bool:
        """OpenAI's stored-completion endpoints; False when the path is not one of them."""
        path = self.path.split("?", 1)[0]
        if not path.startswith("/v1/chat/completions"):
            return False
        rest = path.removeprefix("/v1/chat/completions").strip("/")
        if method == "POST" and not rest:
            return False  # a chat completion request
        owner = self.owner
        with owner._lock:
            owner.stored_calls.append((method, self.path, body))
        if not owner.stores:
            self._json(404, {"error": {"message": "Not Found", "type": "not_found_error"}})
            return True
        if not rest:
            data = list(reversed(owner.stored.values()))
            self._json(200, {"object": "list", "data": data, "has_more": False})
            return True
        completion_id, _, sub = rest.partition("/")
        stored = owner.stored.get(completion_id)
        if stored is None:
            self._json(404, {"error": {"message": f"No completion {completion_id}", "type": "x"}})
        elif method == "DELETE":
            del owner.stored[completion_id]
            self._json(
                200, {"id": completion_id, "object": "chat.completion.deleted", "deleted": True}
            )
        elif method == "POST":
            stored["metadata"] = dict((body or {}).get("metadata") or {})
            self._json(200, stored)
        elif sub == "messages":
            messages = [
                {"id": f"{completion_id}-{n}", **m}
                for n, m in enumerate(stored["request_messages"])
            ]
            self._json(200, {"object": "list", "data": messages, "has_more": False})
        else:
            self._json(200, stored)
        return True

    def do_DELETE(self) -> None:
        if not self._stored_completions("DELETE"):
            self._json(404, {"error": {"message": "Not Found"}})

    def do_GET(self) -> None:
        if self._stored_completions("GET"):
            return
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
        if self._stored_completions("POST", body):
            return
        recorded = Recorded(
            self.path, {k.lower(): v for k, v in self.headers.items()}, body, arrived
        )
        self._recorded = recorded
        if _legacy(self.path) and not self.owner.completions:
            with self.owner._changed:
                self.owner.requests.append(recorded)
                self.owner._changed.notify_all()
            # What llama.cpp's and most servers' routers answer for a path they lack.
            self._json(
                404,
                {"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}},
            )
            self._completed(recorded)
            return
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
        self._status(status)
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
        profile = self.owner.profile
        contents = response.content if isinstance(response.content, list) else [response.content]
        n = int(body.get("n") or 1) if profile is None or profile.n else 1
        if not isinstance(response.content, list) and n > 1:
            contents = contents * n
        if profile is not None and not profile.n:
            contents = contents[:1]
        reasons = (
            response.finish_reason
            if isinstance(response.finish_reason, list)
            else [response.finish_reason] * len(contents)
        )
        model = body.get("model", "test-model")
        completion_id = "chatcmpl-test"
        if body.get("store") and self.owner.stores:
            completion_id = f"chatcmpl-stored-{len(self.owner.stored) + 1}"
            self.owner.stored[completion_id] = _stored(
                completion_id, model, body, contents, reasons
            )
        legacy = _legacy(recorded.path)
        if not body.get("stream"):
            whole = _completion(model, contents, reasons)
            if legacy:
                whole = _as_legacy(whole)
            self._json(200, {**whole, "id": completion_id})
            self._completed(recorded)
            return
        self._start_stream(200)
        if profile is not None and profile.filter_chunks:
            self._event(_AZURE_FILTER_CHUNK)
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
                chunk = _chunk(model, index, delta, None)
                chunk["id"] = completion_id
                logprob = _logprob(response, index) if body.get("logprobs") else None
                if logprob is not None and legacy:
                    # OpenAI's (and vLLM's) shape on the completions endpoint.
                    chunk["choices"][0]["logprobs"] = {
                        "tokens": [piece],
                        "token_logprobs": [logprob],
                        "top_logprobs": [{piece: logprob}],
                        "text_offset": [0],
                    }
                elif logprob is not None:
                    chunk["choices"][0]["logprobs"] = {
                        "content": [
                            {
                                "token": piece,
                                "logprob": logprob,
                                "bytes": list(piece.encode("utf-8")),
                                "top_logprobs": [],
                            }
                        ]
                    }
                self._event(_as_legacy(chunk) if legacy else chunk)
            last = {**_chunk(model, index, {}, reasons[index]), "id": completion_id}
            self._event(_as_legacy(last) if legacy else last)
            if profile is not None and profile.filter_chunks:
                # Azure's chunk of content filter offsets, with no delta, after the text.
                self._event(_azure_offsets_chunk(index))
        if self._usage_asked(response.usage, body):
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
        profile = self.owner.profile
        whole = profile is not None and profile.tool_calls == "whole"
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": response.content or None}]
        for index, (call_id, (name, arguments)) in enumerate(zip(ids, response.calls, strict=True)):
            if whole:
                # Ollama: each call whole in one delta, without an index.
                call = {"id": call_id, "type": "function"}
                deltas.append(
                    {"tool_calls": [{**call, "function": {"name": name, "arguments": arguments}}]}
                )
                continue
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
        if self._usage_asked(response.usage, body):
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

    def _usage_asked(self, scripted: bool, body: dict[str, Any]) -> bool:
        if not scripted or not (body.get("stream_options") or {}).get("include_usage"):
            return False
        return self.owner.profile is None or self.owner.profile.usage

    def _status(self, status: int) -> None:
        if self._recorded is not None:
            self._recorded.status = status

    def _start_stream(self, status: int) -> None:
        self._status(status)
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
_FILTERED = {
    category: {"filtered": False, "severity": "safe"}
    for category in ("hate", "self_harm", "sexual", "violence")
}
_AZURE_FILTER_CHUNK = {
    "id": "",
    "object": "",
    "created": 0,
    "model": "",
    "choices": [],
    "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": _FILTERED}],
}


def _azure_offsets_chunk(index: int) -> dict[str, Any]:
    return {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [
            {
                "index": index,
                "finish_reason": None,
                "content_filter_offsets": {"check_offset": 0, "start_offset": 0, "end_offset": 9},
                "content_filter_results": _FILTERED,
            }
        ],
    }


def _stored(
    completion_id: str, model: str, body: dict[str, Any], contents: list[str], reasons: list[str]
) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "metadata": dict(body.get("metadata") or {}),
        "choices": [
            {
                "index": n,
                "message": {"role": "assistant", "content": text},
                "finish_reason": reason,
            }
            for n, (text, reason) in enumerate(zip(contents, reasons, strict=True))
        ],
        "request_messages": list(body.get("messages") or []),
    }


def _logprob(response: Chat, index: int) -> float | None:
    if isinstance(response.logprobs, list):
        return response.logprobs[index]
    return response.logprobs


def _chunk(model: str, index: int, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


def _legacy(path: str) -> bool:
    """Whether ``path`` is the completions endpoint (a plain prompt), not chat's."""
    path = path.split("?", 1)[0].rstrip("/")
    return path.endswith("/completions") and not path.endswith("/chat/completions")


def _as_legacy(payload: dict[str, Any]) -> dict[str, Any]:
    """A chat chunk or reply in the completions endpoint's shape: each choice's text as
    ``text``, ``object`` ``text_completion``."""
    choices = []
    for choice in payload.get("choices", []):
        carried = choice.get("delta") or choice.get("message") or {}
        text = {"index": choice["index"], "text": carried.get("content") or ""}
        choices.append(
            {**text, "logprobs": choice.get("logprobs"), "finish_reason": choice["finish_reason"]}
        )
    return {**payload, "object": "text_completion", "choices": choices}


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


# --- Profiles of the OpenAI-compatible servers people run -----------------------------------
# Each reproduces what that server's documentation or issue tracker shows it doing (cited at the
# profile); llama-cpp-python's was recorded here from the real server (0.3.36, Qwen2.5-Coder).

_OPENAI_FIELDS = frozenset(
    {
        "model",
        "messages",
        "stream",
        "stream_options",
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "n",
        "response_format",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "logprobs",
        "top_logprobs",
        "logit_bias",
        "prompt_cache_key",
        "user",
        "store",
        "metadata",
        "reasoning_effort",
        "service_tier",
    }
)


def _openai_error(message: str, param: str | None = None, code: str | None = None) -> Error:
    return Error(400, message, param=param, code=code)


def _unknown(body: dict[str, Any], known: frozenset[str]) -> str | None:
    return next((name for name in body if name not in known), None)


def _openai(body: dict[str, Any]) -> Error | None:
    # OpenAI's API reference lists the fields; anything else is "Unrecognized request argument
    # supplied" (400, param and code null), as in langchain-ai/langchain#23552's Azure trace.
    unknown = _unknown(body, _OPENAI_FIELDS)
    if unknown:
        return _openai_error(f"Unrecognized request argument supplied: {unknown}")
    return None


def _openai_reasoning(body: dict[str, Any]) -> Error | None:
    # Reasoning models (o-series, gpt-5): max_tokens gives the body quoted in
    # ITSpecialist111/ai_automation_suggester#38 and microsoft/vscode-copilot-release#9954;
    # sampling settings other than the default "Unsupported value ... Only the default (1) value
    # is supported"; logprobs the same "Unsupported parameter" template.
    if "max_tokens" in body:
        return _openai_error(
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
            "'max_completion_tokens' instead.",
            "max_tokens",
            "unsupported_parameter",
        )
    for name in ("temperature", "top_p"):
        if name in body and body[name] != 1:
            return _openai_error(
                f"Unsupported value: '{name}' does not support {body[name]} with this model. "
                "Only the default (1) value is supported.",
                name,
                "unsupported_value",
            )
    for name in ("logprobs", "presence_penalty", "frequency_penalty"):
        if name in body:
            return _openai_error(
                f"Unsupported parameter: '{name}' is not supported with this model.",
                name,
                "unsupported_parameter",
            )
    return _openai(body)


def _openai_overflow(tokens: int, context: int, stream: bool) -> Response:
    # OpenAI's context_length_exceeded body.
    return _openai_error(
        f"This model's maximum context length is {context} tokens. However, your messages "
        f"resulted in {tokens} tokens. Please reduce the length of the messages.",
        "messages",
        "context_length_exceeded",
    )


# Azure OpenAI at api-version 2024-06-01 (still the GA version many deployments pin): it knows
# neither stream_options ("Unrecognized request argument supplied: stream_options",
# langchain-ai/langchain#23552, openai/openai-python#1469) nor prompt_cache_key, and takes
# json_schema only from 2024-08-01-preview (the body in langgenius/dify#8994). Its streams start
# with a chunk with no choices, only prompt_filter_results (AbanteAI/mentat#429), and carry
# content filter chunks without a delta (microsoft/autogen#6465).
_AZURE_FIELDS = _OPENAI_FIELDS - {
    "stream_options",
    "prompt_cache_key",
    "max_completion_tokens",
    "store",
    "metadata",
    "reasoning_effort",
    "service_tier",
}


def _azure(body: dict[str, Any]) -> Error | None:
    unknown = _unknown(body, _AZURE_FIELDS)
    if unknown:
        return Error(
            400,
            body={
                "error": {
                    "code": None,
                    "message": f"Unrecognized request argument supplied: {unknown}",
                    "param": None,
                    "type": "invalid_request_error",
                }
            },
        )
    if (body.get("response_format") or {}).get("type") == "json_schema":
        return Error(
            400,
            body={
                "error": {
                    "message": "response_format value as json_schema is enabled only for api "
                    "versions 2024-08-01-preview and later",
                    "type": "",
                    "param": "",
                    "code": "BadRequest",
                }
            },
        )
    return None


def _ollama_no_tools(body: dict[str, Any]) -> Error | None:
    # A model whose template has no tools (codellama, deepseek-r1): 400 "... does not support
    # tools", type api_error (ollama/ollama#6027, pydantic/pydantic-ai#703, cline/cline#460).
    if body.get("tools"):
        return Error(
            400,
            body={
                "error": {
                    "message": "registry.ollama.ai/library/codellama:7b does not support tools",
                    "type": "api_error",
                    "param": None,
                    "code": None,
                }
            },
        )
    return None


def _vllm_error(message: str) -> Error:
    # vLLM's ErrorResponse: {"object": "error", "message", "type": "BadRequestError", "code": 400}.
    return Error(
        400,
        body={
            "object": "error",
            "message": message,
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
    )


def _vllm(body: dict[str, Any]) -> Error | None:
    # Started without --enable-auto-tool-choice (the default): tools with the default tool
    # choice are refused (vllm-project/vllm#9986, openai/openai-agents-python#2129). Unknown
    # fields are ignored with a server-side warning (vllm-project/vllm#10463).
    if body.get("tools") and body.get("tool_choice", "auto") == "auto":
        return _vllm_error(
            '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
        )
    return None


def _vllm_overflow(tokens: int, context: int, stream: bool) -> Response:
    return _vllm_error(
        f"This model's maximum context length is {context} tokens. However, you requested "
        f"{tokens} tokens ({tokens - 512} in the messages, 512 in the completion). Please reduce "
        "the length of the messages or completion."
    )


def _lmstudio(body: dict[str, Any]) -> Error | None:
    # LM Studio 0.3: response_format must be json_schema (lmstudio-bug-tracker#189, #307: body
    # {"error": "'response_format.type' must be 'json_schema'"}); an assistant tool-call turn
    # with "content": null is refused (lmstudio-bug-tracker#261, fixed in later versions).
    kind = (body.get("response_format") or {}).get("type")
    if kind is not None and kind != "json_schema":
        return Error(400, body={"error": "'response_format.type' must be 'json_schema'"})
    for message in body.get("messages", []):
        if message.get("role") == "assistant" and message.get("content", "") is None:
            return Error(
                400,
                body={
                    "error": "Invalid 'content': 'content' field must be a string or an array "
                    "of objects."
                },
            )
    return None


def _lmstudio_overflow(tokens: int, context: int, stream: bool) -> Response:
    # lmstudio-bug-tracker#237, #546.
    return Error(
        400,
        body={
            "error": f"Trying to keep the first {tokens} tokens when context the overflows. "
            f"However, the model is loaded with context length of only {context} tokens, which "
            "is not enough. Try to load the model with a larger context length, or provide a "
            "shorter input."
        },
    )


_LLCPP_TRACE = (
    '\n\n  File "/srv/llcpp/lib/python3.11/site-packages/llama_cpp/server/app.py", line 376, '
    "in create_chat_completion\n    POST /v1/chat/completions"
)


def _llcpp_error(entries: list[str]) -> Error:
    count = f"{len(entries)} validation error{'s' if len(entries) > 1 else ''}"
    message = f"{count}:\n" + "\n".join(f"  {entry}" for entry in entries) + _LLCPP_TRACE
    return Error(
        500,
        body={
            "error": {
                "message": message,
                "type": "internal_server_error",
                "param": None,
                "code": None,
            }
        },
    )


def _llama_cpp_python(body: dict[str, Any]) -> Error | None:
    # Recorded from llama-cpp-python 0.3.36's server: pydantic validation errors come back as
    # HTTP 500 with the error's text and a line of the server's traceback.
    kind = (body.get("response_format") or {}).get("type")
    if kind not in (None, "text", "json_object"):
        return _llcpp_error(
            [
                "{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': "
                "\"Input should be 'text' or 'json_object'\", 'input': '"
                + str(kind)
                + "', 'ctx': {'expected': \"'text' or 'json_object'\"}}"
            ]
        )
    for number, message in enumerate(body.get("messages", [])):
        if message.get("role") == "assistant" and message.get("content", "") is None:
            where = f"('body', 'messages', {number}, "
            return _llcpp_error(
                [
                    f"{{'type': 'literal_error', 'loc': {where}'ChatCompletionRequestSystemMessage',"
                    " 'role'), 'msg': \"Input should be 'system'\", 'input': 'assistant'}",
                    f"{{'type': 'string_type', 'loc': {where}'ChatCompletionRequestAssistantMessage',"
                    " 'content'), 'msg': 'Input should be a valid string', 'input': None}",
                    f"{{'type': 'missing', 'loc': {where}'ChatCompletionRequestToolMessage', "
                    "'tool_call_id'), 'msg': 'Field required'}",
                ]
            )
    return None


def _llama_cpp_python_overflow(tokens: int, context: int, stream: bool) -> Response:
    # Streamed, the error is raised inside the stream after a 200: the stream closes with no
    # event (the message is only in the server's log). Not streamed, a 400 (its errors.py).
    if stream:
        return Raw([])
    return _openai_error(
        f"This model's maximum context length is {context} tokens. However, you requested "
        f"{tokens} tokens ({tokens - 512} in the messages, 512 in the completion). Please reduce "
        "the length of the messages or completion.",
        "messages",
        "context_length_exceeded",
    )


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile("openai", _openai, context=8192, overflow=_openai_overflow),
        Profile("openai-reasoning", _openai_reasoning, context=8192, overflow=_openai_overflow),
        Profile(
            "azure",
            _azure,
            usage=False,
            filter_chunks=True,
            context=8192,
            overflow=_openai_overflow,
        ),
        # Ollama (docs.ollama.com/api/openai-compatibility): usage in streams since 0.5.2
        # (ogx-ai/ogx#5011), json_schema, unknown fields and `n` ignored, each tool call whole
        # in one chunk without an index (ollama/ollama#7881, #11633), and a prompt over
        # num_ctx cut to fit rather than refused.
        Profile("ollama", tool_calls="whole", n=False, context=4096, overflow=None),
        Profile(
            "ollama-no-tools",
            _ollama_no_tools,
            tool_calls="whole",
            n=False,
            context=4096,
            overflow=None,
        ),
        Profile("vllm", _vllm, context=8192, overflow=_vllm_overflow),
        # LM Studio: no usage in streams even when asked (lmstudio-bug-tracker#676, #713).
        Profile("lmstudio", _lmstudio, usage=False, context=8192, overflow=_lmstudio_overflow),
        Profile(
            "llama-cpp-python",
            _llama_cpp_python,
            usage=False,
            tools=False,
            n=False,
            context=8192,
            overflow=_llama_cpp_python_overflow,
        ),
    )
}


def main() -> None:
    """``python -m chatls_testing.scripted_backend LATENCY_MS CONTENT``: serve one fixed reply
    after a fixed latency, in a process of its own, printing the URL; statistics at GET /stats."""
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
