"""Reading a prompt ahead on the built-in backend (``chatls.model.prefill``), over real HTTP
against the scripted backend standing in for llama.cpp's server: the pieces it sends, and that a
request of the client's cancels the piece in flight and none is sent while it runs."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable

import pytest_asyncio

from chatls.model.client import ModelClient
from chatls.model.request import ChatRequest, Endpoint
from chatls_testing.scripted_backend import Chat, Error, Hang, Recorded, ScriptedBackend

SYSTEM = {"role": "system", "content": "You are chatls."}
LINES = "".join(f"line {n:02d} of the file, about forty characters long\n" for n in range(30))


def _client(backend: ScriptedBackend, local: bool = True) -> ModelClient:
    endpoint = Endpoint(backend.url, None, timeout=10, max_retries=0, model="m", local=local)
    client = ModelClient(endpoint)
    if client.prefill is not None:
        client.prefill.idle = 0.05
        client.prefill.chunk = 400
    return client


@pytest_asyncio.fixture
async def client(backend: ScriptedBackend) -> AsyncIterator[ModelClient]:
    """A client of the built-in backend (the scripted one standing in), reading ahead after
    50 ms idle, 400 characters a piece."""
    made = _client(backend)
    yield made
    await made.close()


def _ahead(content: str = LINES) -> ChatRequest:
    return ChatRequest(
        model="m",
        messages=[SYSTEM, {"role": "user", "content": content}],
        max_tokens=1,
        slot=0,
        cache_key="chatls-x",
    )


def _pieces(backend: ScriptedBackend) -> list[str]:
    return [r.messages[-1]["content"] for r in backend.requests if r.body.get("max_tokens") == 1]


async def _until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds * 100)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached in time")


def _read(client: ModelClient) -> Callable[[], bool]:
    """Whether ``client`` has nothing left to read ahead."""
    prefill = client.prefill
    assert prefill is not None
    return lambda: not prefill.pending


async def test_the_prompt_is_read_in_pieces_each_extending_the_last(
    backend: ScriptedBackend, client: ModelClient
) -> None:
    backend.default = Chat("x")
    client.read_ahead(_ahead())
    await _until(_read(client))
    pieces = _pieces(backend)
    assert len(pieces) == 4, pieces
    assert pieces[-1] == LINES
    for shorter, longer in itertools.pairwise(pieces):
        assert longer.startswith(shorter) and len(shorter) < len(longer)
    # Each piece ends at a line's end, about `chunk` characters past the last.
    assert all(p.endswith("\n") for p in pieces)
    assert all(400 <= len(b) - len(a) < 460 for a, b in itertools.pairwise(pieces[:-1]))
    for request in backend.requests:
        assert request.messages[0] == SYSTEM
        assert request.body["id_slot"] == 0 and request.body["cache_prompt"] is True


async def test_a_request_cancels_the_piece_in_flight_and_reading_goes_on_once_idle(
    backend: ScriptedBackend, client: ModelClient
) -> None:
    def respond(recorded: Recorded) -> Chat | Hang:
        if recorded.body.get("max_tokens") == 1 and len(_pieces(backend)) == 2:
            return Hang(30)  # the second piece: llama.cpp still reading it
        return Chat("x", delay=0.2 if recorded.body.get("max_tokens") != 1 else 0.0)

    backend.responder = respond
    client.read_ahead(_ahead())
    await _until(lambda: len(_pieces(backend)) == 2)
    asked = ChatRequest(model="m", messages=[{"role": "user", "content": "Explain."}])
    reply = await client.chat(asked)
    assert reply.text == "x"
    # The held piece's connection was closed when the request began, not after 30 s.
    assert backend.wait_for(lambda: backend.disconnects == 1, timeout=5)
    own = next(r for r in backend.requests if r.messages[-1]["content"] == "Explain.")
    during = [
        r
        for r in backend.requests
        if r.body.get("max_tokens") == 1 and own.received <= r.received <= own.finished
    ]
    assert during == []
    await _until(_read(client))
    pieces = _pieces(backend)
    # The cancelled piece is asked again, then the rest; the first is not.
    assert pieces[2] == pieces[1] and pieces[-1] == LINES
    assert pieces.count(pieces[0]) == 1


async def test_a_prompt_that_extends_what_was_read_goes_on_from_there(
    backend: ScriptedBackend, client: ModelClient
) -> None:
    backend.default = Chat("x")
    client.read_ahead(_ahead())
    await _until(_read(client))
    first = len(_pieces(backend))
    # A line typed at the end: only the new part is read.
    client.read_ahead(_ahead(LINES + "a new line\n"))
    await _until(_read(client))
    again = _pieces(backend)[first:]
    # Another file: read from its start.
    client.read_ahead(_ahead("other\n" + LINES))
    await _until(_read(client))
    assert again == [LINES + "a new line\n"]
    assert len(_pieces(backend)) == first + 1 + 4


async def test_a_backend_error_ends_reading_ahead_quietly(
    backend: ScriptedBackend, client: ModelClient
) -> None:
    backend.script(Error(500, "the model crashed"))
    backend.default = Chat("x")
    client.read_ahead(_ahead())
    await _until(_read(client))
    assert len(backend.requests) == 1
    reply = await client.chat(ChatRequest(model="m", messages=[SYSTEM]))
    assert reply.text == "x"
    await asyncio.sleep(0.3)  # six times the idle time: nothing more is read
    assert len(backend.requests) == 2


async def test_remote_backends_are_never_asked_ahead(backend: ScriptedBackend) -> None:
    backend.default = Chat("x")
    client = _client(backend, local=False)
    assert client.prefill is None
    client.read_ahead(_ahead())
    await asyncio.sleep(0.3)
    await client.close()
    assert backend.requests == []
