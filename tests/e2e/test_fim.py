"""Fill-in-the-middle inline completion end to end: the code before and after the cursor in the
model's FIM tokens on the completions endpoint for a coder model, the candidate shown, a single
line stopped at its end, a backend without the endpoint falling back to chat (remembered), and
the setting's three values."""

from __future__ import annotations

from lsprotocol import types

from chatls_testing.scripted_backend import Chat
from tests.conftest import Session, Start
from tests.e2e.test_inline_completion import _inline, _open, inline_capabilities

CODER = "qwen2.5-coder-1.5b-instruct"


async def _start(start: Start, model: str = CODER, **settings: object) -> Session:
    inline = {"debounceMs": 0, "model": model, **settings}
    # Ghost text alone: predictions of the next edit (tests/e2e/test_next_edit.py) would take
    # the replies scripted for it.
    return await start(
        client=inline_capabilities(),
        settings={"inlineCompletion": inline, "nextEdit": {"enabled": "off"}},
    )


async def test_a_coder_model_gets_prefix_and_suffix_in_its_fim_tokens(start: Start) -> None:
    session = await _start(start)
    uri, position = _open(
        session, "m.py", "import os\n\n\ndef f(p):\n    return os.path.join(‸, 'a')\n\nx = 1\n"
    )
    session.backend.script(Chat("p"))
    items = await _inline(session, uri, position)
    assert [item.insert_text for item in items] == ["p"]
    (request,) = session.backend.requests
    assert request.path == "/v1/completions"
    assert "messages" not in request.body
    assert request.body["prompt"] == (
        "<|fim_prefix|>import os\n\n\ndef f(p):\n    return os.path.join("
        "<|fim_suffix|>, 'a')\n\nx = 1\n<|fim_middle|>"
    )
    assert request.body["model"] == CODER
    # Mid-line: only the rest of the line fits, so the server stops at its end.
    assert request.body["stop"][0] == "\n"
    assert "<|endoftext|>" in request.body["stop"]
    # The completions endpoint's logprobs is a count.
    assert request.body["logprobs"] == 1
    assert session.messages() == []


async def test_a_block_on_an_empty_line_keeps_the_files_indentation(start: Start) -> None:
    session = await _start(start)
    uri, position = _open(session, "m.py", "def f(x):\n    ‸\n\nprint(f(2))\n")
    # The middle starts at the cursor, after the indentation already typed.
    session.backend.script(Chat("y = x * 2\n    return y\n"))
    items = await _inline(session, uri, position)
    assert [item.insert_text for item in items] == ["y = x * 2\n    return y"]
    body = session.backend.requests[0].body
    assert body["prompt"].startswith("<|fim_prefix|>def f(x):\n    <|fim_suffix|>\n")
    assert body["stop"][0] == "\n\n\n"


async def test_a_single_line_is_closed_at_its_end(start: Start) -> None:
    """A server that ignores the stop sequence: the stream closes once the line has ended."""
    session = await _start(start)
    uri, position = _open(session, "m.py", "total = sum_all(‸)\nprint(total)\n")
    session.backend.script(Chat("items)\nprint(total)\n" + "x = 1\n" * 200, chunk_size=4))
    items = await _inline(session, uri, position)
    assert [item.insert_text for item in items] == ["items"]
    assert await _wait(session, lambda: session.backend.disconnects == 1)


async def test_a_backend_without_the_completions_endpoint_falls_back_to_chat_and_remembers(
    start: Start,
) -> None:
    session = await _start(start)
    session.backend.completions = False
    uri, position = _open(session, "m.py", "total = sum_all(‸)\nother = max(\n")
    session.backend.script(Chat("items)"), Chat("values)"))
    assert [item.insert_text for item in await _inline(session, uri, position)] == ["items"]
    paths = [request.path for request in session.backend.requests]
    assert paths == ["/v1/completions", "/v1/chat/completions"]
    assert "<CURSOR>" in session.backend.requests[1].prompt
    elsewhere = types.Position(line=1, character=len("other = max("))
    assert [item.insert_text for item in await _inline(session, uri, elsewhere)] == ["values)"]
    paths = [request.path for request in session.backend.requests]
    assert paths == ["/v1/completions", "/v1/chat/completions", "/v1/chat/completions"]
    assert "completions go through chat" in session.log()
    assert session.messages() == []


async def test_other_models_get_chat_unless_fim_is_on(start: Start) -> None:
    session = await _start(start, model="gpt-4o-mini")
    uri, position = _open(session, "m.py", "total = sum_all(‸)\n")
    session.backend.script(Chat("items)"))
    assert [item.insert_text for item in await _inline(session, uri, position)] == ["items"]
    assert session.backend.requests[-1].path == "/v1/chat/completions"

    forced = await _start(start, model="my-finetune", fim="on")
    uri, position = _open(forced, "m.py", "total = sum_all(‸)\n")
    forced.backend.script(Chat("items"))
    assert [item.insert_text for item in await _inline(forced, uri, position)] == ["items"]
    assert forced.backend.requests[-1].path == "/v1/completions"
    assert forced.backend.requests[-1].body["prompt"].startswith("<|fim_prefix|>")

    off = await _start(start, fim="off")
    uri, position = _open(off, "m.py", "total = sum_all(‸)\n")
    off.backend.script(Chat("items)"))
    assert [item.insert_text for item in await _inline(off, uri, position)] == ["items"]
    assert off.backend.requests[-1].path == "/v1/chat/completions"


async def test_log_probabilities_of_the_completions_endpoint_hide_a_guess(start: Start) -> None:
    session = await _start(start, minConfidence=0.5)
    uri, position = _open(session, "m.py", "total = sum_all(‸)\n")
    session.backend.script(Chat("items", logprobs=-0.105), Chat("values", logprobs=-1.61))
    assert [item.insert_text for item in await _inline(session, uri, position)] == ["items"]
    session.editor.type(uri, types.Range(start=position, end=position), " ")
    moved = types.Position(line=position.line, character=position.character + 1)
    assert await _inline(session, uri, moved) == []
    assert "under minConfidence 0.500" in session.log()


async def test_excluded_files_are_never_sent(start: Start) -> None:
    session = await _start(start)
    uri, position = _open(session, ".env", "TOKEN=‸\n", language="dotenv")
    assert await _inline(session, uri, position) == []
    assert session.backend.requests == []


async def _wait(session: Session, predicate: object) -> bool:
    import asyncio

    return await asyncio.to_thread(session.backend.wait_for, predicate)  # type: ignore[arg-type]
