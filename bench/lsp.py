"""What the benchmarks share: chatls started over stdio the way an editor starts it."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def start_server(
    base_url: str,
    workspace: Path,
    settings: dict[str, Any] | None = None,
    log_file: Path | None = None,
    log_level: str = "info",
    progress: bool = False,
    python: tuple[str, ...] = (),
) -> LanguageClient:
    """chatls over stdio, initialised like an editor with inline completion support (logging
    at ``log_level`` to ``log_file`` when given); ``progress``: the editor shows work-done
    progress the server offers (VS Code does); ``python``: options for the interpreter before
    ``-m chatls`` (a profiler)."""
    client = LanguageClient("bench", "1")
    logging = ["--log-level", log_level, "--log-file", str(log_file)] if log_file else []
    await client.start_io(
        sys.executable, *python, "-m", "chatls", *(logging or ["--log-level", "warning"])
    )
    _read_stderr(client)
    caps = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities()
        ),
        window=types.WindowClientCapabilities(work_done_progress=progress),
    )
    await client.initialize_async(
        types.InitializeParams(
            capabilities=caps,
            root_uri=workspace.as_uri(),
            initialization_options={
                "baseUrl": base_url,
                "apiKey": "sk-bench-0000000000",
                "model": "bench",
                **(settings or {}),
            },
        )
    )
    client.initialized(types.InitializedParams())
    return client


_readers: set[asyncio.Task[None]] = set()


def _read_stderr(client: LanguageClient) -> None:
    """Read what the server writes to stderr, as an editor does: pygls's client pipes it and
    never reads it, so a long run fills the pipe and the server blocks in its next log line."""
    server = client._server
    stream = server.stderr if server is not None else None
    if stream is None:
        return

    async def read() -> None:
        while await stream.read(1 << 16):
            pass

    task = asyncio.ensure_future(read())
    _readers.add(task)
    task.add_done_callback(_readers.discard)


async def stop_server(client: LanguageClient) -> None:
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


async def noop_round_trip(client: LanguageClient, uri: str) -> float:
    """A request chatls answers at once (hover where there is nothing): the transport's cost."""
    started = time.monotonic()
    await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=0),
        )
    )
    return (time.monotonic() - started) * 1000
