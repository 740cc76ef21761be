"""The executable: flags, transports, and a start-up that imports nothing heavy."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from chatls import __version__

PY = sys.executable


def test_version_and_help() -> None:
    out = subprocess.run(
        [PY, "-m", "chatls", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"chatls {__version__}"
    # The console script installed beside this interpreter.
    executable = str(Path(sys.executable).parent / "chatls")
    script = subprocess.run([executable, "--version"], capture_output=True, text=True, check=True)
    assert script.stdout.strip() == f"chatls {__version__}"
    helptext = subprocess.run(
        [PY, "-m", "chatls", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for flag in ("--stdio", "--tcp", "--host", "--port", "--log-file", "--log-level"):
        assert flag in helptext


def test_bad_flags_exit_non_zero_with_a_message() -> None:
    out = subprocess.run(
        [PY, "-m", "chatls", "--log-level", "loud"], capture_output=True, text=True
    )
    assert out.returncode == 2 and "invalid choice" in out.stderr


INITIALIZE: dict[str, object] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"processId": None, "rootUri": None, "capabilities": {}},
}


def _frame(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def _read(stream: socket.socket) -> dict[str, object]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += stream.recv(1)
    length = int(data.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    body = b""
    while len(body) < length:
        body += stream.recv(length - len(body))
    return json.loads(body)


def test_tcp_transport_answers_initialize() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [PY, "-m", "chatls", "--tcp", "--host", "127.0.0.1", "--port", str(port)],
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                time.sleep(0.1)
        with conn:
            conn.sendall(_frame(INITIALIZE))
            reply = _read(conn)
            capabilities = reply["result"]["capabilities"]  # type: ignore[index]
            assert capabilities["codeActionProvider"]["resolveProvider"] is True
            assert set(capabilities["executeCommandProvider"]["commands"]) == {
                "chatls.explain",
                "chatls.ask",
                "chatls.refactor",
                "chatls.refine",
                "chatls.fix",
                "chatls.docstring",
                "chatls.implement",
                "chatls.types",
                "chatls.tests",
                "chatls.translate",
                "chatls.action",
                "chatls.review.accept",
                "chatls.review.reject",
                "chatls.history",
            }
            assert reply["result"]["serverInfo"] == {"name": "chatls", "version": __version__}  # type: ignore[index]
    finally:
        server.kill()
        server.wait()


def test_stdio_flag_is_accepted() -> None:
    # vscode-languageclient appends --stdio; the server must start and answer on stdin/stdout.
    proc = subprocess.Popen(
        [PY, "-m", "chatls", "--stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(_frame(INITIALIZE))
    proc.stdin.flush()
    header = proc.stdout.readline()
    assert header.startswith(b"Content-Length")
    proc.kill()
    proc.wait()


def test_starting_the_server_imports_nothing_heavy() -> None:
    code = (
        "import sys; from chatls.lsp.app import create_server; create_server(); "
        "print(sorted(m for m in ('openai', 'tiktoken', 'tree_sitter', 'jinja2', 'pathspec', 'httpx2') "
        "if m in sys.modules))"
    )
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _session(uri: str, text: str) -> bytes:
    """An editor's session up to shutdown, written at once: open a document, ask, shut down."""
    messages: list[dict[str, object]] = [
        INITIALIZE,
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}
            },
        },
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "textDocument/codeAction",
            "params": {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
                "context": {"diagnostics": []},
            },
        },
        {"jsonrpc": "2.0", "id": 3, "method": "shutdown", "params": None},
    ]
    return b"".join(_frame(message) for message in messages)


def _read_pipe(stream: IO[bytes]) -> dict[str, object]:
    length = 0
    while line := stream.readline().strip():
        if line.startswith(b"Content-Length: "):
            length = int(line.split(b": ")[1])
    return json.loads(stream.read(length))


def _replies(output: bytes) -> dict[object, dict[str, object]]:
    replies = {}
    while output:
        header, _, rest = output.partition(b"\r\n\r\n")
        length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        message = json.loads(rest[:length])
        output = rest[length:]
        if "id" in message and "method" not in message:
            replies[message["id"]] = message
    return replies


# A body far over asyncio's default 64 KiB stream limit, in one write with the other messages.
BIG = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(6000))


def test_stdio_pipe_reads_batched_and_large_messages(tmp_path: Path) -> None:
    uri = (tmp_path / "big.py").as_uri()
    log = tmp_path / "chatls.log"
    proc = subprocess.Popen(
        [PY, "-m", "chatls", "--log-level", "debug", "--log-file", str(log)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(_session(uri, BIG))
        proc.stdin.flush()
        replies: dict[object, dict[str, object]] = {}
        while 3 not in replies:
            message = _read_pipe(proc.stdout)
            if "id" in message and "method" not in message:
                replies[message["id"]] = message
        assert replies[1]["result"]["serverInfo"]["name"] == "chatls"  # type: ignore[index]
        kinds = {action["kind"] for action in replies[2]["result"]}  # type: ignore[attr-defined]
        assert kinds == {
            "refactor.chatls.explain",
            "refactor.chatls.ask",
            "refactor.rewrite.chatls.refactor",
            "refactor.rewrite.chatls.docstring",
            "refactor.rewrite.chatls.types",
            "source.chatls.tests",
        }
        assert replies[3]["result"] is None
        proc.stdin.write(_frame({"jsonrpc": "2.0", "method": "exit", "params": None}))
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()
    assert proc.stderr is not None
    assert b"Traceback" not in proc.stderr.read()
    assert "stdin is a pipe: reading it on the event loop" in log.read_text()


def test_stdio_from_a_file_uses_pygls_reader(tmp_path: Path) -> None:
    # Not a pipe (a file here; a terminal likewise): read the way pygls reads, same answers.
    uri = (tmp_path / "small.py").as_uri()
    session = tmp_path / "session.bin"
    session.write_bytes(_session(uri, "x = 1\n"))
    log = tmp_path / "chatls.log"
    with session.open("rb") as stdin:
        out = subprocess.run(
            [PY, "-m", "chatls", "--log-level", "debug", "--log-file", str(log)],
            stdin=stdin,
            capture_output=True,
            timeout=60,
        )
    replies = _replies(out.stdout)
    assert replies[1]["result"]["serverInfo"]["name"] == "chatls"  # type: ignore[index]
    assert replies[2]["result"]
    assert out.returncode == 0
    assert "stdin is not a pipe: reading it through pygls's thread pool" in log.read_text()


def test_stdin_closing_mid_message_ends_the_server_quietly() -> None:
    start = _frame(INITIALIZE)
    cut = b'Content-Length: 500\r\n\r\n{"jsonrpc": "2.0", "id": 2, "meth'
    out = subprocess.run([PY, "-m", "chatls"], input=start + cut, capture_output=True, timeout=60)
    assert _replies(out.stdout)[1]["result"]
    assert out.returncode == 0
    assert b"Traceback" not in out.stderr, out.stderr.decode()
