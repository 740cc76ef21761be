"""The executable: flags, transports, and a start-up that imports nothing heavy."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

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
            conn.sendall(
                _frame(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "initialize",
                        "params": {"processId": None, "rootUri": None, "capabilities": {}},
                    }
                )
            )
            reply = _read(conn)
            capabilities = reply["result"]["capabilities"]  # type: ignore[index]
            assert capabilities["codeActionProvider"]["resolveProvider"] is True
            assert set(capabilities["executeCommandProvider"]["commands"]) == {
                "chatls.explain",
                "chatls.refactor",
                "chatls.fix",
                "chatls.docstring",
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
    proc.stdin.write(
        _frame(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": {}},
            }
        )
    )
    proc.stdin.flush()
    header = proc.stdout.readline()
    assert header.startswith(b"Content-Length")
    proc.kill()
    proc.wait()


def test_starting_the_server_imports_nothing_heavy() -> None:
    code = (
        "import sys; from chatls.server import create_server; create_server(); "
        "print(sorted(m for m in ('openai', 'tiktoken', 'tree_sitter', 'jinja2', 'pathspec', 'httpx2') "
        "if m in sys.modules))"
    )
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
