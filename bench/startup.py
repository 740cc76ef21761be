"""Start-up time: spawn to `initialize` answered, chatls against a bare pygls server.

    python bench/startup.py [--runs N]

Prints the median and best of N runs for each, and the difference.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = """
from lsprotocol import types
from pygls.lsp.server import LanguageServer
server = LanguageServer("bare", "0")
@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls, params):
    return None
server.start_io()
"""


def _frame(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def once(command: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
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
    elapsed = time.perf_counter() - started
    assert header.startswith(b"Content-Length"), header
    proc.kill()
    proc.wait()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        commands = {
            "bare pygls": [sys.executable, str(bare)],
            "chatls": [sys.executable, "-m", "chatls", "--log-level", "warning"],
        }
        results: dict[str, list[float]] = {name: [] for name in commands}
        once(commands["chatls"])  # warm the file cache for both
        once(commands["bare pygls"])
        for _ in range(args.runs):
            for name, command in commands.items():
                results[name].append(once(command))
    medians = {name: statistics.median(times) * 1000 for name, times in results.items()}
    for name, times in results.items():
        print(
            f"{name:12s} median {medians[name]:7.1f} ms   best {min(times) * 1000:7.1f} ms   ({args.runs} runs)"
        )
    print(
        f"chatls costs {medians['chatls'] - medians['bare pygls']:+.1f} ms over a bare pygls server (median)"
    )


if __name__ == "__main__":
    main()
