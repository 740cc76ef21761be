"""chatls's own cost: how long a code action takes against how long its backend took, and what
the server holds in memory with many files open.

    python bench/overhead.py [--latency 50] [--actions 40] [--files 200] [--lines 200]
                             [--profile out.prof] [--progress]

The backend is the scripted OpenAI-compatible server in a process of its own, answering every
request with one fixed Refactor reply after ``--latency`` ms. The client is pygls's, over stdio,
as an editor starts chatls. Per action: the time from ``workspace/executeCommand`` to its answer
(the edit applied through ``workspace/applyEdit`` on the way), and the backend's own time for the
request (from its arrival to the last byte, from the backend's /stats). The ratio of the medians
is the figure issue 28 names (target at most 1.05 at 50 ms). Then ``--files`` Python files of
about 200 lines each are opened and the server's resident memory is read from /proc (target at
most 150 MB with 200). For the floor under those figures, the same request is then sent ``--actions``
times from this process through the ``openai`` SDK alone (streamed, read to the end, as chatls
reads it): what any SDK-based client pays before doing anything of its own. ``--profile`` runs the server under cProfile and writes its stats there
(the figures are then slower: use it to find where time goes, not to quote). ``--progress``:
the editor shows progress, as VS Code does, so the server offers it a token with each action.
``--lines``: the length of the file the actions are in (the other files stay about 200 lines).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from inline_completion import _stats, start_process, stop_process  # noqa: E402
from lsp import percentile, start_server, stop_server  # noqa: E402

FUNCTION = "def total(values):\n    result = 0\n    for value in values:\n        result = result + value\n    return result\n"
REPLY = "```python\ndef total(values):\n    return sum(values)\n```"


def source(number: int, lines: int = 200) -> str:
    """A file of about ``lines`` lines: a module docstring, imports, and functions like users
    write."""
    parts = [f'"""Module {number}."""\n\nimport os\nimport sys\n\n\n', FUNCTION, "\n\n"]
    for index in range(max(1, (lines - 10) // 8)):
        parts.append(
            f"def helper_{number}_{index}(path, flags=0):\n"
            f'    """Read {index} from path."""\n'
            f"    if not os.path.exists(path):\n"
            f"        return None\n"
            f"    with open(path) as handle:\n"
            f"        return handle.read()[{index}:] + str(flags)\n\n\n"
        )
    return "".join(parts)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_ms(pid: int) -> float:
    """The CPU time all of ``pid``'s threads have run, in ms (from the scheduler's own count,
    which a loaded machine's waiting does not inflate as it does wall-clock time)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    return total / 1e6


def server_pid(client: Any) -> int:
    return int(client._server.pid)


async def run(
    url: str,
    workspace: Path,
    actions: int,
    files: int,
    profile: str | None,
    progress: bool,
    lines: int = 200,
) -> None:
    profiler = ("-m", "cProfile", "-o", profile) if profile else ()
    client = await start_server(url, workspace, progress=progress, python=profiler)

    # When each step of an action reached the client (time.monotonic is one clock for every
    # process here, the backend's too): where chatls's own time goes, in wall-clock time.
    arrived: dict[str, float] = {}

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        arrived["edit"] = time.monotonic()
        # Answered as applied without changing the document: every action then sees the same
        # text and version, and the next one repeats the same work.
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def progress(params: types.WorkDoneProgressCreateParams) -> None:
        arrived["progress"] = time.monotonic()
        return None

    path = workspace / "bench_0.py"
    text = source(0, lines)
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    start = text.index(FUNCTION)
    line = text[:start].count("\n")
    # Whole lines, as Vim's V or a click on the line numbers selects them.
    selection = {
        "start": {"line": line, "character": 0},
        "end": {"line": line + FUNCTION.count("\n"), "character": 0},
    }
    ratios_total: list[float] = []
    action_ms: list[float] = []
    backend_ms: list[float] = []
    steps: dict[str, list[float]] = {"before": [], "after": [], "progress": [], "edit": []}
    pid = server_pid(client)
    cpu_start = 0.0
    for number in range(actions + 3):
        if number == 3:
            cpu_start = cpu_ms(pid)
        # The user types between two actions: a new version of the text each time, so no
        # parse or cache of the last action's text serves this one.
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=number + 2),
                content_changes=[
                    types.TextDocumentContentChangeWholeDocument(
                        text=f"# Edit {number}.\n{text[text.index(chr(10)) + 1 :]}"
                    )
                ],
            )
        )
        before = len(_stats(url)[0])
        arrived.clear()
        started = time.monotonic()
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="chatls.refactor",
                arguments=[{"uri": uri, "range": selection, "instruction": "Use sum."}],
            )
        )
        elapsed = time.monotonic() - started
        served = _stats(url)[0][before:]
        if len(served) != 1:
            raise RuntimeError(f"expected one backend request per action, got {len(served)}")
        backend = served[0]["finished"] - served[0]["received"]
        if number < 3:
            continue  # warm-up: imports, the tokenizer, the first parse
        action_ms.append(elapsed * 1000)
        backend_ms.append(backend * 1000)
        ratios_total.append(elapsed / backend)
        steps["before"].append((served[0]["received"] - started) * 1000)
        steps["after"].append((started + elapsed - served[0]["finished"]) * 1000)
        steps["progress"].append((arrived.get("progress", started) - started) * 1000)
        steps["edit"].append((arrived.get("edit", started) - served[0]["finished"]) * 1000)
    cpu_per_action = (cpu_ms(pid) - cpu_start) / actions
    median_action = statistics.median(action_ms)
    median_backend = statistics.median(backend_ms)
    print(f"actions: {actions} Refactors of one function, backend latency set to its replies")
    print(
        f"  action median {median_action:.1f} ms (p95 {percentile(action_ms, 95):.1f}), "
        f"backend median {median_backend:.1f} ms"
    )
    print(
        f"  action/backend: {median_action / median_backend:.3f} (ratio of medians), "
        f"median of ratios {statistics.median(ratios_total):.3f}; "
        f"chatls's own time {median_action - median_backend:.1f} ms"
    )
    median = {name: statistics.median(values) for name, values in steps.items()}
    print(
        f"  chatls's own time, medians: {median['before']:.1f} ms before the backend has the "
        f"request (the progress token asked for after {median['progress']:.1f} ms), "
        f"{median['after']:.1f} ms after its last byte (the edit at the editor after "
        f"{median['edit']:.1f} ms)"
    )
    print(
        f"  the server's CPU time per action: {cpu_per_action:.1f} ms (the SDK's share included; "
        "steadier than the wall-clock figures on a busy machine)"
    )
    print(f"memory: {rss_mb(pid):.0f} MB with 1 file open, after the actions")
    for number in range(1, files):
        text = source(number)
        file = workspace / f"bench_{number}.py"
        file.write_text(text)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=file.as_uri(), language_id="python", version=1, text=text
                )
            )
        )
    # A listing in the last file makes sure every open has been handled.
    await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(
                uri=(workspace / f"bench_{files - 1}.py").as_uri()
            ),
            range=types.Range(
                start=types.Position(line=6, character=0), end=types.Position(line=6, character=0)
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    print(f"memory: {rss_mb(pid):.0f} MB with {files} files open")
    await stop_server(client)
    sdk_ms, sdk_backend_ms = await sdk_alone(url, actions)
    print(
        f"the openai SDK alone: request median {sdk_ms:.1f} ms, backend median "
        f"{sdk_backend_ms:.1f} ms: {sdk_ms / sdk_backend_ms:.3f}, "
        f"{sdk_ms - sdk_backend_ms:.1f} ms of its own"
    )


async def sdk_alone(url: str, requests: int) -> tuple[float, float]:
    """The medians of a streamed request sent through the SDK alone and of the backend's time
    for it."""
    from openai import AsyncOpenAI, AsyncStream

    sdk = AsyncOpenAI(base_url=url, api_key="sk-bench-0000000000")
    body = {
        "model": "bench",
        "messages": [{"role": "user", "content": FUNCTION}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    took: list[float] = []
    served_ms: list[float] = []
    for number in range(requests + 3):
        before = len(_stats(url)[0])
        started = time.monotonic()
        stream = await sdk.post(
            "/chat/completions",
            body=body,
            cast_to=object,
            stream=True,
            stream_cls=AsyncStream[object],
        )
        async for _ in stream:
            pass
        elapsed = time.monotonic() - started
        served = _stats(url)[0][before:]
        if number < 3:
            continue
        took.append(elapsed * 1000)
        served_ms.append((served[0]["finished"] - served[0]["received"]) * 1000)
    await sdk.close()
    return statistics.median(took), statistics.median(served_ms)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--latency", type=int, default=50, help="the backend's latency per reply, ms"
    )
    parser.add_argument("--actions", type=int, default=40)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument(
        "--lines", type=int, default=200, help="the acted-on file's length, in lines"
    )
    parser.add_argument("--profile", help="write the server's cProfile stats to this file")
    parser.add_argument(
        "--progress",
        action="store_true",
        help="the editor shows progress (as VS Code does): the server offers it a token",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # The history the server keeps goes with the run, not into the user's own.
        os.environ["XDG_STATE_HOME"] = str(Path(tmp) / "state")
        workspace = Path(tmp) / "workspace"
        workspace.mkdir()
        backend, url = start_process(
            [sys.executable, "-m", "chatls_testing.scripted_backend", str(args.latency), REPLY]
        )
        try:
            asyncio.run(
                run(
                    url,
                    workspace,
                    args.actions,
                    args.files,
                    args.profile,
                    args.progress,
                    args.lines,
                )
            )
        finally:
            stop_process(backend)


if __name__ == "__main__":
    main()
