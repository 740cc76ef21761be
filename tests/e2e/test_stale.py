"""Bad input and buffers that change under the model: a clear message, never a stale edit."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from chatls_testing.scripted_backend import Chat
from tests.conftest import Session, Start

SOURCE = "def f(x):\n    return x + 1\n"
SLOW = Chat("```python\nreturn x + 2\n```", delay=0.8)


def _range(rng: types.Range) -> dict[str, object]:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


async def _until_requested(session: Session) -> None:
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: len(session.backend.requests) == 1
    )


def _top(session: Session) -> types.Range:
    return types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )


async def test_typing_during_resolve_sends_no_edit(start: Start) -> None:
    session = await start(client="vscode")
    uri = session.editor.open("f.py", SOURCE)
    session.backend.script(SLOW)
    action = await session.action(
        uri, session.editor.range_of(uri, "    return x + 1\n"), "refactor.rewrite.chatls.refactor"
    )
    pending = asyncio.ensure_future(session.client.code_action_resolve_async(action))
    await _until_requested(session)
    session.editor.type(uri, _top(session), "# typed meanwhile\n")
    resolved = await pending
    assert resolved.edit is None
    assert session.editor.text(uri) == "# typed meanwhile\n" + SOURCE
    assert session.messages(types.MessageType.Warning) == [
        "chatls: The document changed while the model was answering, so the edit was not "
        "applied. Run the action again."
    ]


async def test_typing_during_command_sends_no_apply_edit(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("f.py", SOURCE)
    session.backend.script(SLOW)
    rng = session.editor.range_of(uri, "    return x + 1\n")
    pending = asyncio.ensure_future(
        session.command("chatls.refactor", {"uri": uri, "range": _range(rng)})
    )
    await _until_requested(session)
    session.editor.type(uri, _top(session), "x = 0\n")
    assert await pending is None
    assert session.editor.applied == []
    assert session.editor.text(uri) == "x = 0\n" + SOURCE
    assert len(session.messages(types.MessageType.Warning)) == 1


async def test_action_offered_for_an_older_version_is_refused_before_asking(start: Start) -> None:
    session = await start(client="vscode")
    uri = session.editor.open("f.py", SOURCE)
    action = await session.action(
        uri, session.editor.range_of(uri, "    return x + 1\n"), "refactor.rewrite.chatls.refactor"
    )
    session.editor.type(uri, _top(session), "\n")
    resolved = await session.client.code_action_resolve_async(action)
    assert resolved.edit is None
    assert session.backend.requests == []
    assert session.messages() == [
        "chatls: The document changed since this action was offered; run it again."
    ]


async def test_closing_the_document_during_a_request(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("f.py", SOURCE)
    session.backend.script(SLOW)
    rng = session.editor.range_of(uri, "    return x + 1\n")
    pending = asyncio.ensure_future(
        session.command("chatls.refactor", {"uri": uri, "range": _range(rng)})
    )
    await _until_requested(session)
    session.editor.close(uri)
    assert await pending is None
    assert session.editor.applied == []
    assert any("closed" in m for m in session.messages())


async def test_editor_refusing_the_edit_is_reported(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("f.py", SOURCE)
    session.editor.refuse = True
    session.backend.script(Chat("```python\nreturn x + 2\n```"))
    rng = session.editor.range_of(uri, "    return x + 1\n")
    result = await session.command("chatls.refactor", {"uri": uri, "range": _range(rng)})
    assert result["applied"] is False
    assert session.messages() == ["chatls: The editor did not apply the edit: refused by test."]


async def test_invalid_ranges_are_refused_clearly(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("f.py", SOURCE)
    beyond = {"start": {"line": 40, "character": 0}, "end": {"line": 41, "character": 0}}
    backwards = {"start": {"line": 1, "character": 4}, "end": {"line": 0, "character": 0}}
    assert await session.command("chatls.refactor", {"uri": uri, "range": beyond}) is None
    assert await session.command("chatls.refactor", {"uri": uri, "range": backwards}) is None
    assert await session.command("chatls.refactor", {"uri": uri}) is None
    assert await session.command("chatls.refactor", {"range": backwards}) is None
    missing = (session.editor.root / "nope.py").as_uri()
    assert await session.command("chatls.explain", {"uri": missing, "range": backwards}) is None
    assert session.messages() == [
        "chatls: invalid position 41:1: the document has 3 lines",
        "chatls: invalid range 2:5-1:1: it ends before it starts",
        "chatls: The command's `range` argument is missing or not an LSP range.",
        "chatls: The command's `uri` argument is missing.",
        f"chatls: {missing} is not open in the editor; open it and try again.",
    ]
    assert session.backend.requests == []


async def test_fix_with_a_malformed_diagnostic(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("f.py", SOURCE)
    rng = _range(session.editor.range_of(uri, "x + 1"))
    assert (
        await session.command("chatls.fix", {"uri": uri, "range": rng, "diagnostic": {"oops": 1}})
        is None
    )
    assert await session.command("chatls.fix", {"uri": uri, "range": rng}) is None
    assert session.messages() == [
        "chatls: The command's `diagnostic` argument is not an LSP diagnostic.",
        "chatls: Fix needs the diagnostic to fix.",
    ]


async def test_huge_selection_is_refused_before_sending(start: Start) -> None:
    session = await start(client="plain", settings={"contextTokens": 1000, "maxTokens": 200})
    text = "def f(x):\n" + "".join(f"    x = x + {i}  # step number {i}\n" for i in range(2000))
    uri = session.editor.open("big.py", text)
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": 2001, "character": 0}}
    assert await session.command("chatls.refactor", {"uri": uri, "range": whole}) is None
    (message,) = session.messages()
    assert "too large" in message and "contextTokens" in message
    assert session.backend.requests == []
