"""The backend matrix: every feature of chatls, over LSP, against one OpenAI-compatible server.

``run_matrix`` starts chatls over stdio as an editor does, with a proxy between chatls and the
server that records every request, its status and whether chatls dropped the stream, and runs
each feature in turn in one session: every action, Refine, the workspace tools, inline
completion, cancellation and a prompt over the server's context. A refusal learned by an early
feature is remembered by the later ones, as it is for a user.

Each feature gives a ``Cell``: ``ok`` (the edit, answer or document came back), ``msg`` (no
result and exactly one clear message saying why: what a weak real model's unusable answer gets)
or ``FAIL`` (silence, several messages, a traceback or a raw validation dump shown, a hang, an
edit that is wrong for the scripted model). Its note says what the traffic showed: the requests
sent, and each refusal chatls adapted to ("json_schema→json_object (500)", "−tools (400)").

Against ``scripted_backend.py`` with a ``Profile``, ``ScriptedModel`` plays the model: it
answers each action's prompt with the right answer in the format asked for, so every cell must
be ``ok``. Used by ``bench/backends.py`` (real servers and the profiles, printed as a table) and
``tests/e2e/test_backends.py`` (the profiles, in CI).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from chatls_testing.editor import Editor
from chatls_testing.scripted_backend import Chat, Recorded, Response, ToolCalls

FEATURES = (
    "explain",
    "ask",
    "refactor",
    "fix",
    "docstring",
    "implement",
    "types",
    "tests",
    "translate",
    "refine",
    "tools",
    "inline",
    "cancel",
    "overflow",
)
TITLES = {
    "explain": "Explain",
    "ask": "Ask",
    "refactor": "Refactor",
    "fix": "Fix",
    "docstring": "Docstring",
    "implement": "Implement",
    "types": "Add types",
    "tests": "Write tests",
    "translate": "Translate",
    "refine": "Refine",
    "tools": "Tools",
    "inline": "Inline",
    "cancel": "Cancel",
    "overflow": "Overflow",
}

SAMPLE = (
    '''import math

from geometry import make_point


def area(width, height):
    return width * heigth


def total(values):
    result = 0
    for value in values:
        result = result + value
    return result


def mean(values):
    """Return the arithmetic mean of values."""
    pass


def hypotenuse(a, b):
    return math.sqrt(a * a + b * b)


def origin():
    return make_point(0, 0)


def double(x):
'''
    + "    \n"
)  # the cursor's line, indented as an editor leaves it
GEOMETRY = '''"""Points in space."""


def make_point(x, y, z=0):
    """A point at x, y and z."""
    return (x, y, z)
'''
QUESTION = "What does total return for an empty list?"
TOOLS_QUESTION = "What arguments does make_point take, and which are optional?"
REFINE_INSTRUCTION = "Start the sum at 0.0 so the result is always a float."


def big_file(functions: int) -> str:
    """A long module of distinct small functions: a prompt over a small model's context."""
    parts = ["import math\n"]
    for n in range(functions):
        parts.append(
            f"\n\ndef scaled_distance_{n}(x, y, factor={n + 1}):\n"
            f'    """Distance of (x, y) from the origin, times {n + 1}."""\n'
            f"    squared = x * x + y * y + {n}\n"
            "    return math.sqrt(squared) * factor\n"
        )
    parts.append("\n\ndef last_one(values):\n    return sorted(values)[-1]\n")
    return "".join(parts)


# --- The scripted model -------------------------------------------------------------------

_REPLIES: dict[str, str] = {
    "explain": "`total` adds the values one by one and returns the sum; an empty list gives 0.",
    "ask": "It returns 0: the loop never runs, so `result` keeps its first value.",
    "tools": "`make_point(x, y, z=0)`: `x` and `y` are required, `z` is optional (0).",
    "refactor": "def total(values):\n    return sum(values)\n",
    "fix": "    return width * height\n",
    "docstring": "Return the area of a width by height rectangle.",
    "implement": (
        'def mean(values):\n    """Return the arithmetic mean of values."""\n'
        "    return sum(values) / len(values)\n"
    ),
    "types": "def hypotenuse(a: float, b: float) -> float:\n    return math.sqrt(a * a + b * b)\n",
    "tests": (
        "from shapes import total\n\n\ndef test_total_adds_the_values():\n"
        "    assert total([1, 2, 3]) == 6\n\n\ndef test_total_of_nothing_is_zero():\n"
        "    assert total([]) == 0\n"
    ),
    "translate": "function total(values) {\n  return values.reduce((a, b) => a + b, 0);\n}\n",
    "refine": "def total(values):\n    return sum(values, 0.0)\n",
    "inline": "return x * 2",
    "overflow": "`last_one` sorts the values and returns the largest.",
}
_FENCES = {"translate": "javascript"}
_PROSE = {"explain", "ask", "tools", "docstring", "overflow", "inline"}
SLOW = "`total` walks the list. " * 400


def _last_user(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


def classify(messages: list[dict[str, Any]]) -> str:
    """Which feature a request is for, from the instructions chatls's templates give."""
    system = str(messages[0].get("content") or "") if messages else ""
    last = _last_user(messages)
    if "code completion engine" in system:
        return "inline"
    markers = (
        (REFINE_INSTRUCTION, "refine"),
        (TOOLS_QUESTION, "tools"),
        (QUESTION, "ask"),
        ("Explain this", "explain"),
        ("Code to fix:", "fix"),
        ("Write the documentation for this", "docstring"),
        ("is not implemented yet", "implement"),
        ("Add type annotations to the parameters", "types"),
        ("tests for this", "tests"),
        ("Translate this", "translate"),
        ("Selected code", "refactor"),
    )
    for marker, feature in markers:
        if marker in last:
            return "overflow" if feature == "explain" and "last_one" in last else feature
    return "unknown"


@dataclass
class ScriptedModel:
    """Answers each feature's prompt rightly, in the format the request asks for."""

    slow: bool = False
    """Answer the next Explain slowly (for cancelling it)."""

    def __call__(self, recorded: Recorded) -> Response:
        body = recorded.body
        messages = recorded.messages
        feature = classify(messages)
        if self.slow and feature == "explain":
            return Chat(SLOW, chunk_size=4, interval=0.02)
        looked_up = any(m.get("role") == "tool" for m in messages)
        if feature == "tools" and body.get("tools") and recorded.tools_honoured and not looked_up:
            return ToolCalls([("find_definition", '{"name": "make_point"}')])
        reply = _REPLIES.get(feature, "I cannot tell.")
        last = _last_user(messages)
        wants_json = "response_format" in body or "JSON object" in last
        if feature == "docstring" and wants_json:
            return Chat.json({"docstring": reply})
        if feature in _PROSE:
            return Chat(reply)
        if wants_json and feature not in ("tests", "translate"):
            return Chat.json({"code": reply, "imports": []})
        return Chat(f"```{_FENCES.get(feature, 'python')}\n{reply}```")


# --- Seeing the traffic ---------------------------------------------------------------------


@dataclass
class Exchange:
    body: dict[str, Any]
    status: int = 0
    dropped: bool = False
    """chatls closed the connection before the response ended (a cancelled stream)."""
    tool_calls: int = 0
    usage: bool = False
    """The response carried token usage."""


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Proxy:
    """Forwards to ``upstream`` unchanged, streaming as it comes, and records each exchange."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy._forward(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                proxy._forward(self, self.rfile.read(length))

        self.server = _Quiet(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def mark(self) -> int:
        with self._lock:
            return len(self.exchanges)

    def since(self, mark: int) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges[mark:])

    def _forward(self, handler: BaseHTTPRequestHandler, raw: bytes | None) -> None:
        path = handler.path.removeprefix("/v1")
        exchange = None
        if raw is not None:
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            exchange = Exchange(body if isinstance(body, dict) else {})
            with self._lock:
                self.exchanges.append(exchange)
        headers = {"content-type": "application/json"}
        if handler.headers.get("authorization"):
            headers["authorization"] = handler.headers["authorization"]
        request = urllib.request.Request(
            self.upstream + path, data=raw, headers=headers, method="POST" if raw else "GET"
        )
        try:
            response: Any = urllib.request.urlopen(request, timeout=1800)
            status = response.status
        except urllib.error.HTTPError as error:
            response, status = error, error.code
        except OSError:
            handler.send_error(502)
            return
        if exchange is not None:
            exchange.status = status
        handler.send_response(status)
        handler.send_header("content-type", response.headers.get("content-type", "text/plain"))
        handler.send_header("transfer-encoding", "chunked")
        handler.end_headers()
        seen = b""
        try:
            while chunk := response.read1(65536):
                seen += chunk
                handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                handler.wfile.flush()
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            if exchange is not None:
                exchange.dropped = True
        finally:
            response.close()
        if exchange is not None:
            exchange.tool_calls, exchange.usage = _read_reply(seen.decode("utf-8", "replace"))


def _read_reply(text: str) -> tuple[int, bool]:
    """The tool calls a reply (streamed or not) made, and whether it reported usage."""
    calls: set[str] = set()
    usage = False
    events = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
    for event in events or [text]:
        try:
            chunk = json.loads(event)
        except ValueError:
            continue
        if not isinstance(chunk, dict):
            continue
        usage = usage or isinstance(chunk.get("usage"), dict)
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            part = choice.get("delta") or choice.get("message") or {}
            for call in (part.get("tool_calls") if isinstance(part, dict) else None) or []:
                if isinstance(call, dict) and call.get("id"):
                    calls.add(str(call["id"]))
    return len(calls), usage


# --- Cells --------------------------------------------------------------------------------


@dataclass
class Cell:
    status: str
    """``ok``, ``msg`` or ``FAIL``."""
    note: str = ""
    requests: int = 0
    detail: str = ""
    """The message shown or what went wrong, whole (the table shows ``note``)."""

    def text(self) -> str:
        return f"{self.status} ({self.note})" if self.note else self.status


def adaptations(exchanges: list[Exchange]) -> list[str]:
    """What each refused request changed in the next one: "−stream_options (400)",
    "json_schema→json_object (500)", "content null→\"\" (500)"."""
    notes = []
    for refused, retried in itertools.pairwise(exchanges):
        before, after = refused.body, retried.body
        if before.get("stream") and after.get("stream") is False:
            notes.append("empty stream→not streamed")
        if refused.status < 400:
            continue
        kinds = [(body.get("response_format") or {}).get("type") for body in (before, after)]
        if kinds[0] != kinds[1]:
            notes.append(f"{kinds[0]}→{kinds[1] or 'text'} ({refused.status})")
        for name in sorted(set(before) - set(after) - {"response_format"}):
            renamed = {"max_tokens": "max_completion_tokens"}.get(name)
            if renamed and renamed in after:
                notes.append(f"{name}→{renamed} ({refused.status})")
            else:
                notes.append(f"−{name} ({refused.status})")
        nulls = [m for m in before.get("messages", []) if m.get("content", "") is None]
        if nulls and not [m for m in after.get("messages", []) if m.get("content", "") is None]:
            notes.append(f'content null→"" ({refused.status})')
    return notes


_RAW = re.compile(r"Traceback|File \"|validation error|\{'type'|'loc'")


def judge(
    result: Any,
    messages: list[str],
    exchanges: list[Exchange],
    check: Callable[[], str | None],
    note: str = "",
) -> Cell:
    """The cell for one feature: its result, the messages shown, the traffic, and ``check``
    (what is wrong with the result, for the scripted model; None when right)."""
    notes = adaptations(exchanges) + ([note] if note else [])
    requests = len(exchanges)
    shown = [m for m in messages if m.strip()]
    raw = [m for m in shown if _RAW.search(m)]
    if raw:
        return Cell("FAIL", "raw server text shown", requests, raw[0][:300])
    if result:
        problem = check()
        if problem is not None:
            return Cell("FAIL", problem, requests, json.dumps(result)[:300])
        if shown:
            return Cell("FAIL", "a result and a message", requests, shown[0][:300])
        return Cell("ok", ", ".join(notes), requests)
    if len(shown) == 1:
        note = ", ".join([*notes, _gist(shown[0])])
        return Cell("msg", note, requests, shown[0])
    if not shown:
        return Cell("FAIL", "no result, no message", requests)
    return Cell("FAIL", f"{len(shown)} messages", requests, " | ".join(shown)[:300])


def _message(report: Any) -> Any:
    """A progress report's message (the client may leave the value a plain object)."""
    return report.get("message") if isinstance(report, dict) else getattr(report, "message", "")


def _gist(message: str) -> str:
    first = message.strip().removeprefix("chatls: ").split(". ")[0].split("\n")[0]
    first = re.split(r",| and was| which|; | \(or ", first)[0]
    first = re.sub(r"^The model's answer |^The model ", "", first)
    return first if len(first) <= 40 else first[:37] + "..."


# --- The run --------------------------------------------------------------------------------


@dataclass
class Options:
    model: str = "test-model"
    api_key: str = "x"
    scripted: ScriptedModel | None = None
    """The scripted model behind a profile (its answers are checked, and it plays slow for
    cancellation); None for a real server."""
    context_tokens: int = 16384
    """More than the server's context: the overflow feature's big file must go over it."""
    overflow_functions: int = 400
    timeout: float = 600.0
    settings: dict[str, Any] = field(default_factory=dict)


class Session:
    """chatls over stdio with an editor's documents, messages and progress."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.editor = Editor(client, root)
        self.messages: list[tuple[int, str]] = []
        self.progress: dict[str, list[Any]] = {}

    def shown(self, since: int) -> list[str]:
        return [text for _, text in self.messages[since:]]

    async def command(self, name: str, argument: dict[str, Any], token: str | None = None) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[argument], work_done_token=token)
        )


async def _start(proxy_url: str, root: Path, options: Options, log_file: Path | None) -> Session:
    client = LanguageClient("matrix", "1")
    logging = ["--log-level", "debug", "--log-file", str(log_file)] if log_file else []
    await client.start_io(sys.executable, "-m", "chatls", *(logging or ["--log-level", "warning"]))
    session = Session(client, root)

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return session.editor.apply(params.edit)

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def show(params: types.ShowMessageParams) -> None:
        session.messages.append((int(params.type), params.message))

    @client.feature(types.PROGRESS)
    def progress(params: types.ProgressParams) -> None:
        session.progress.setdefault(str(params.token), []).append(params.value)

    caps = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities()
        ),
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(
                document_changes=True,
                resource_operations=[types.ResourceOperationKind.Create],
            )
        ),
    )
    await client.initialize_async(
        types.InitializeParams(
            capabilities=caps,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="matrix")],
            initialization_options={
                "baseUrl": proxy_url,
                "apiKey": options.api_key,
                "model": options.model,
                "contextTokens": options.context_tokens,
                "timeout": options.timeout,
                "maxRetries": 2,
                "inlineCompletion": {"debounceMs": 0},
                **options.settings,
            },
        )
    )
    client.initialized(types.InitializedParams())
    return session


async def _stop(session: Session) -> None:
    try:
        await asyncio.wait_for(session.client.shutdown_async(None), 10)
        session.client.exit(None)
    finally:
        await session.client.stop()


def _lines(editor: Editor, uri: str, first: str, count: int) -> dict[str, Any]:
    """Whole lines from column 0 of the line holding ``first`` to column 0 after ``count``
    lines, as editors select them."""
    start = editor.range_of(uri, first).start.line
    return _range(start, 0, start + count, 0)


def _range(line: int, character: int, end_line: int, end_character: int) -> dict[str, Any]:
    return {
        "start": {"line": line, "character": character},
        "end": {"line": end_line, "character": end_character},
    }


def _cursor(editor: Editor, uri: str, needle: str) -> dict[str, Any]:
    at = editor.range_of(uri, needle).start
    return _range(at.line, at.character, at.line, at.character)


def _workspace(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "geometry.py").write_text(GEOMETRY, encoding="utf-8")


async def run_matrix(
    upstream: str,
    root: Path,
    options: Options,
    log_file: Path | None = None,
    features: tuple[str, ...] = FEATURES,
    report: Callable[[str, Cell], None] | None = None,
) -> dict[str, Cell]:
    """Every feature against the server at ``upstream`` (its ``/v1`` URL)."""
    proxy = Proxy(upstream)
    _workspace(root)
    session = await _start(proxy.url, root, options, log_file)
    cells: dict[str, Cell] = {}
    try:
        runner = _Runner(session, proxy, options)
        for feature in features:
            mark, shown = proxy.mark(), len(session.messages)
            try:
                cell = await asyncio.wait_for(
                    runner.run(feature, mark, shown), options.timeout + 60
                )
            except TimeoutError:
                cell = Cell("FAIL", "timed out", len(proxy.since(mark)))
            except Exception as error:  # a bench reports what broke and goes on
                cell = Cell("FAIL", f"{type(error).__name__}", len(proxy.since(mark)), str(error))
            cells[feature] = cell
            if report is not None:
                report(feature, cell)
    finally:
        await _stop(session)
        proxy.stop()
    return cells


class _Runner:
    def __init__(self, session: Session, proxy: Proxy, options: Options) -> None:
        self.session = session
        self.editor = session.editor
        self.proxy = proxy
        self.options = options
        self.uri = self.editor.open("shapes.py", SAMPLE)
        self.edited: list[str] = []
        """The functions edits were applied to, in order: Refine continues one's thread."""
        self.note = ""
        """What the feature's own checks saw, for its cell."""

    def expect(self, *fragments: str) -> Callable[[], str | None]:
        """For the scripted model: the document must now hold ``fragments``."""

        def check() -> str | None:
            if self.options.scripted is None:
                return None
            text = self.editor.text(self.uri)
            missing = [f for f in fragments if f not in text]
            return f"edit lacks {missing[0]!r}" if missing else None

        return check

    def expect_result(self, key: str, *fragments: str, result: Any) -> Callable[[], str | None]:
        def check() -> str | None:
            if self.options.scripted is None:
                return None
            text = json.dumps(result.get(key) if isinstance(result, dict) else result)
            missing = [f for f in fragments if f not in text]
            return f"result lacks {missing[0]!r}" if missing else None

        return check

    async def run(self, feature: str, mark: int, shown: int) -> Cell:
        self.note = ""
        method = getattr(self, f"_{feature}")
        result, check = await method()
        messages = self.session.shown(shown)
        traffic = self.proxy.since(mark)
        if feature == "cancel":
            notes = ", ".join([*adaptations(traffic), self.note])
            if result and not messages:
                return Cell("ok", notes, len(traffic))
            return Cell("FAIL", notes, len(traffic), " | ".join(messages))
        return judge(result, messages, traffic, check, self.note)

    def _arguments(self, first: str, count: int, **extra: Any) -> dict[str, Any]:
        return {"uri": self.uri, "range": _lines(self.editor, self.uri, first, count), **extra}

    def _applied(self, result: Any, function: str) -> bool:
        applied = isinstance(result, dict) and result.get("applied") is True
        if applied:
            self.edited.append(function)
        return applied

    async def _explain(self) -> tuple[Any, Callable[[], str | None]]:
        result = await self.session.command(
            "chatls.explain", self._arguments("def total", 5, quiet=True)
        )
        answer = result.get("markdown") if isinstance(result, dict) else None
        return answer, self.expect_result("markdown", "sum", result={"markdown": answer})

    async def _ask(self) -> tuple[Any, Callable[[], str | None]]:
        result = await self.session.command(
            "chatls.ask", self._arguments("def total", 5, question=QUESTION, quiet=True)
        )
        answer = result.get("markdown") if isinstance(result, dict) else None
        return answer, self.expect_result("markdown", "returns 0", result={"markdown": answer})

    async def _refactor(self) -> tuple[Any, Callable[[], str | None]]:
        result = await self.session.command("chatls.refactor", self._arguments("def total", 5))
        applied = self._applied(result, "total")
        return applied, self.expect("return sum(values)")

    async def _fix(self) -> tuple[Any, Callable[[], str | None]]:
        where = self.editor.range_of(self.uri, "heigth")
        diagnostic = {
            "range": _range(
                where.start.line, where.start.character, where.end.line, where.end.character
            ),
            "message": "undefined name 'heigth'",
            "source": "pyflakes",
            "severity": 1,
        }
        argument = {"uri": self.uri, "range": diagnostic["range"], "diagnostic": diagnostic}
        result = await self.session.command("chatls.fix", argument)
        return self._applied(result, "area"), self.expect("width * height\n")

    async def _docstring(self) -> tuple[Any, Callable[[], str | None]]:
        argument = {"uri": self.uri, "range": _cursor(self.editor, self.uri, "area(width")}
        result = await self.session.command("chatls.docstring", argument)
        return self._applied(result, "area"), self.expect('"""Return the area of a width')

    async def _implement(self) -> tuple[Any, Callable[[], str | None]]:
        argument = {"uri": self.uri, "range": _cursor(self.editor, self.uri, "    pass")}
        result = await self.session.command("chatls.implement", argument)
        return self._applied(result, "mean"), self.expect("return sum(values) / len(values)")

    async def _types(self) -> tuple[Any, Callable[[], str | None]]:
        result = await self.session.command("chatls.types", self._arguments("def hypotenuse", 2))
        return self._applied(result, "hypotenuse"), self.expect("a: float, b: float) -> float")

    async def _tests(self) -> tuple[Any, Callable[[], str | None]]:
        argument = self._arguments("def total", 2, quiet=True)
        result = await self.session.command("chatls.tests", argument)
        document = result.get("document") if isinstance(result, dict) else None
        return document, self.expect_result("text", "def test_total", result=document)

    async def _translate(self) -> tuple[Any, Callable[[], str | None]]:
        argument = self._arguments("def total", 2, language="JavaScript", quiet=True)
        result = await self.session.command("chatls.translate", argument)
        document = result.get("document") if isinstance(result, dict) else None
        return document, self.expect_result("text", "function total", result=document)

    async def _refine(self) -> tuple[Any, Callable[[], str | None]]:
        if not self.edited:
            self.note = "no edit to refine"
            return None, lambda: None
        # The Refactor of `total` when it was applied (what the scripted model refines).
        function = "total" if "total" in self.edited else self.edited[-1]
        text = self.editor.text(self.uri)
        start = text[: text.index(f"def {function}")].count("\n")
        argument = {
            "uri": self.uri,
            "range": _range(start, 0, start + 1, 0),
            "instruction": REFINE_INSTRUCTION,
        }
        result = await self.session.command("chatls.refine", argument)
        applied = isinstance(result, dict) and result.get("applied") is True
        return applied, self.expect("sum(values, 0.0)")

    async def _tools(self) -> tuple[Any, Callable[[], str | None]]:
        mark = self.proxy.mark()
        argument = self._arguments("def origin", 2, question=TOOLS_QUESTION, quiet=True)
        result = await self.session.command("chatls.ask", argument)
        answer = result.get("markdown") if isinstance(result, dict) else None
        traffic = self.proxy.since(mark)
        looked_up = sum(exchange.tool_calls for exchange in traffic)
        offered = any(exchange.body.get("tools") for exchange in traffic if exchange.status < 400)

        def check() -> str | None:
            if self.options.scripted is None:
                return None
            if "z` is optional" not in str(answer):
                return "wrong answer"
            return None

        self.note = (
            f"{looked_up} lookup{'s' if looked_up != 1 else ''}" if offered else "not offered"
        )
        return answer, check

    async def _inline(self) -> tuple[Any, Callable[[], str | None]]:
        text = self.editor.text(self.uri)
        line = text[: text.index("def double(x):")].count("\n") + 1
        result = await self.session.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri),
                position=types.Position(line=line, character=4),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Invoked
                ),
            )
        )
        items = result.items if isinstance(result, types.InlineCompletionList) else result or []
        texts = [str(item.insert_text) for item in items]

        def check() -> str | None:
            if self.options.scripted is None:
                return None
            return None if any("return x * 2" in t for t in texts) else f"ghost text {texts}"

        # An empty list is an answer too: nothing worth showing there.
        if not texts:
            self.note = "no suggestion"
        return texts or ["(none)"], check

    async def _cancel(self) -> tuple[Any, Callable[[], str | None]]:
        if self.options.scripted is not None:
            self.options.scripted.slow = True
        mark = self.proxy.mark()
        argument = self._arguments("def total", 5, quiet=True)
        token = f"cancel-{time.monotonic_ns()}"
        running = asyncio.ensure_future(self.session.command("chatls.explain", argument, token))
        deadline = time.monotonic() + self.options.timeout
        # Cancel once the answer is streaming (or, for a slow server, after its first request).
        while time.monotonic() < deadline and not running.done():
            reports = self.session.progress.get(token, [])
            if any("Receiving" in str(_message(report)) for report in reports):
                break
            await asyncio.sleep(0.05)
        cancelled_at = time.monotonic()
        self.session.client.window_work_done_progress_cancel(
            types.WorkDoneProgressCancelParams(token=token)
        )
        try:
            result = await asyncio.wait_for(running, 15)
        finally:
            if self.options.scripted is not None:
                self.options.scripted.slow = False
        waited = time.monotonic() - cancelled_at
        # The proxy sees the drop at its next write to chatls's closed connection.
        for _ in range(50):
            traffic = self.proxy.since(mark)
            dropped = any(exchange.dropped for exchange in traffic)
            if dropped or result is not None:
                break
            await asyncio.sleep(0.1)
        finished_first = result is not None
        self.note = (
            "finished before the cancel"
            if finished_first
            else f"closed in {waited:.1f} s"
            if dropped
            else f"returned after {waited:.1f} s, stream not seen closing"
        )
        ok = result is None and dropped and waited < 5
        return (ok or None), lambda: None

    async def _overflow(self) -> tuple[Any, Callable[[], str | None]]:
        big = self.editor.open("big.py", big_file(self.options.overflow_functions))
        mark = self.proxy.mark()
        text = self.editor.text(big)
        start = text[: text.index("def last_one")].count("\n")
        argument = {"uri": big, "range": _range(start, 0, start + 2, 0), "quiet": True}
        result = await self.session.command("chatls.explain", argument)
        answer = result.get("markdown") if isinstance(result, dict) else None
        traffic = self.proxy.since(mark)
        sizes = [len(json.dumps(e.body.get("messages", []))) for e in traffic]
        told = any(e.status >= 400 for e in traffic)
        if told and len(sizes) > 1 and sizes[-1] < sizes[0]:
            self.note = f"refused, sent again at {sizes[-1] * 100 // sizes[0]}%"
        elif told:
            self.note = "refused"
        else:
            self.note = "server cut it"
        return answer, self.expect_result("markdown", "largest", result={"markdown": answer})
