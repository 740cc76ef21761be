"""Next-edit suggestions over LSP: ``chatls/nextEdit`` after the user's own typing, checked
against the version it names, cancelled by typing, not repeated once dismissed, and offered as
ghost text where it starts on the cursor's line. The backend is scripted to rewrite the region
the prompt marks, as a model does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from lsprotocol import types

from chatls_testing.editor import position_of
from chatls_testing.scripted_backend import Chat, Recorded
from tests.conftest import Session, Start, capabilities

START, END, CURSOR = "<|editable_region_start|>", "<|editable_region_end|>", "<|cursor|>"

SHAPES = """\
import math


def area(width, height):
    return width * height


def circle(radius):
    return math.pi * radius**2
"""


def is_next_edit(request: Recorded) -> bool:
    return "predict the next edit" in str(request.messages[0].get("content", ""))


def region(request: Recorded) -> str:
    """The code the prompt lets the model change, as it was (cursor marker removed)."""
    user = str(request.messages[-1]["content"])
    return user.split(START + "\n", 1)[1].split(END, 1)[0].replace(CURSOR, "")


def rewriting(old: str, new: str, **chat: Any) -> Callable[[Recorded], Chat]:
    """A model that answers a next-edit prompt with ``old`` replaced by ``new`` in the region,
    and any other request (ghost text) with nothing."""

    def answer(request: Recorded) -> Chat:
        if not is_next_edit(request):
            return Chat("")
        return Chat(f"```python\n{region(request).replace(old, new)}```", **chat)

    return answer


async def _start(start: Start, **settings: Any) -> Session:
    caps = capabilities("vscode")
    assert caps.text_document is not None
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    return await start(
        client=caps,
        settings={"inlineCompletion": {"debounceMs": 0}, **settings},
    )


def _rename_by_keystrokes(session: Session, uri: str) -> types.Position:
    """``width`` → ``w`` in ``def area(width, height)``, one backspace at a time, as typed."""
    editor = session.editor
    for _ in range(4):
        text = editor.text(uri)
        at = text.index("(width" if "(width" in text else "(wid" if "(wid" in text else "(wi")
        word_end = at + 1 + len(text[at + 1 :].split(",", 1)[0])
        editor.type(
            uri,
            types.Range(
                start=position_of(text, word_end - 1, editor.encoding),
                end=position_of(text, word_end, editor.encoding),
            ),
            "",
        )
    text = editor.text(uri)
    assert "def area(w, height):" in text
    return position_of(text, text.index("(w,") + 2, editor.encoding)


async def _next_edit(
    session: Session, uri: str, position: types.Position, version: int | None = None
) -> dict[str, Any]:
    params = {
        "textDocument": {
            "uri": uri,
            "version": session.editor.docs[uri].version if version is None else version,
        },
        "position": {"line": position.line, "character": position.character},
    }
    result = await session.client.protocol.send_request_async("chatls/nextEdit", params)
    return _plain(result)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) and not hasattr(value, "_asdict"):
        return [_plain(v) for v in value]
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if hasattr(value, "__dict__"):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


async def _inline(
    session: Session, uri: str, position: types.Position
) -> list[types.InlineCompletionItem]:
    result = await session.client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position,
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    assert isinstance(result, types.InlineCompletionList)
    return list(result.items)


def _apply(session: Session, uri: str, answer: dict[str, Any]) -> str:
    edits = [
        types.TextEdit(
            range=types.Range(
                start=types.Position(**edit["range"]["start"]),
                end=types.Position(**edit["range"]["end"]),
            ),
            new_text=edit["text"],
        )
        for edit in answer["edits"]
    ]
    version = answer["edits"][0]["textDocument"]["version"]
    result = session.editor.apply(
        types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=version
                    ),
                    edits=edits,
                )
            ]
        )
    )
    assert result.applied, result.failure_reason
    return session.editor.text(uri)


async def test_a_renamed_parameter_gets_its_use_renamed(start: Start) -> None:
    session = await _start(start)
    assert session.server_capabilities.experimental["chatls"]["nextEdit"] == {
        "enabled": True,
        "debounceMs": 400,
    }
    session.backend.responder = rewriting("return width", "return w")
    uri = session.editor.open("shapes.py", SHAPES)
    position = _rename_by_keystrokes(session, uri)
    version = session.editor.docs[uri].version
    answer = await _next_edit(session, uri, position)

    assert answer["id"]
    assert answer["edits"] == [
        {
            "range": {
                "start": {"line": 4, "character": 11},
                "end": {"line": 4, "character": 16},
            },
            "text": "w",
            "textDocument": {"uri": uri, "version": version},
        }
    ]
    assert _apply(session, uri, answer) == SHAPES.replace("width", "w")

    (request,) = [r for r in session.backend.requests if is_next_edit(r)]
    prompt = str(request.messages[-1]["content"])
    # Four keystrokes in one place are one edit, shown as one hunk of whole lines.
    assert prompt.count("@@") == 2
    assert "-def area(width, height):\n+def area(w, height):\n" in prompt
    assert f"def area(w{CURSOR}, height):" in prompt
    assert "--- a/shapes.py" in prompt


async def test_a_suggestion_is_for_its_version_only(start: Start) -> None:
    session = await _start(start)
    session.backend.responder = rewriting("return width", "return w")
    uri = session.editor.open("shapes.py", SHAPES)
    position = _rename_by_keystrokes(session, uri)
    old = session.editor.docs[uri].version - 1

    # Asked for a version the document has left: nothing, and the model is not asked.
    assert await _next_edit(session, uri, position, version=old) == {"id": "", "edits": []}
    assert not [r for r in session.backend.requests if is_next_edit(r)]

    # An edit for the version it names is refused by the editor once the user typed on.
    answer = await _next_edit(session, uri, position)
    text = session.editor.text(uri)
    session.editor.type(uri, session.editor.range_of(uri, "height", 0), "h")
    stale = session.editor.apply(
        types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=answer["edits"][0]["textDocument"]["version"]
                    ),
                    edits=[
                        types.TextEdit(
                            range=types.Range(
                                start=types.Position(line=4, character=11),
                                end=types.Position(line=4, character=16),
                            ),
                            new_text="w",
                        )
                    ],
                )
            ]
        )
    )
    assert not stale.applied
    assert session.editor.text(uri) != text.replace("return width", "return w")


async def test_typing_cancels_the_prediction_in_flight(start: Start) -> None:
    session = await _start(start)
    session.backend.responder = rewriting("return width", "return w", delay=30)
    uri = session.editor.open("shapes.py", SHAPES)
    position = _rename_by_keystrokes(session, uri)
    pending = asyncio.ensure_future(_next_edit(session, uri, position))
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: any(is_next_edit(r) for r in session.backend.requests)
    )
    session.editor.type(uri, session.editor.range_of(uri, "height", 0), "h")
    # The model's stream is closed at once, and the request answers that there is nothing.
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: session.backend.disconnects == 1
    )
    assert await asyncio.wait_for(pending, 10) == {"id": "", "edits": []}


async def test_a_dismissed_suggestion_is_not_offered_again(start: Start) -> None:
    session = await _start(start)
    session.backend.responder = rewriting("return width", "return w")
    uri = session.editor.open("shapes.py", SHAPES)
    position = _rename_by_keystrokes(session, uri)
    first = await _next_edit(session, uri, position)
    assert first["edits"]
    session.client.protocol.notify(
        "chatls/nextEditFeedback", {"id": first["id"], "outcome": "shown"}
    )

    # Shown is not dismissed: asked again after more typing on that line, it is offered.
    editor = session.editor
    editor.type(uri, editor.range_of(uri, "height", 0), "heigh")
    editor.type(uri, editor.range_of(uri, "heigh", 0), "height")
    second = await _next_edit(session, uri, position)
    assert second["edits"] == [
        {**first["edits"][0], "textDocument": {"uri": uri, "version": editor.docs[uri].version}}
    ]

    session.client.protocol.notify(
        "chatls/nextEditFeedback", {"id": second["id"], "outcome": "dismissed"}
    )
    # Asked again for the same version: not the dismissed suggestion, and no new request.
    requests = len([r for r in session.backend.requests if is_next_edit(r)])
    assert await _next_edit(session, uri, position) == {"id": "", "edits": []}
    assert len([r for r in session.backend.requests if is_next_edit(r)]) == requests
    editor.type(uri, editor.range_of(uri, "height", 0), "heigh")
    editor.type(uri, editor.range_of(uri, "heigh", 0), "height")
    requests = len([r for r in session.backend.requests if is_next_edit(r)])
    assert await _next_edit(session, uri, position) == {"id": "", "edits": []}
    assert len([r for r in session.backend.requests if is_next_edit(r)]) == requests + 1
    assert await asyncio.to_thread(
        lambda: "next edit: the user dismissed this suggestion before" in session.log()
    )


async def test_at_the_cursor_the_suggestion_is_ghost_text(start: Start) -> None:
    session = await _start(start)
    session.backend.responder = rewriting("return width", "return w")
    one_line = "def area(width, height): return width * height\n"
    uri = session.editor.open("line.py", one_line)
    editor = session.editor
    editor.type(uri, editor.range_of(uri, "idth", 0), "")
    text = editor.text(uri)
    cursor = position_of(text, text.index("(w,") + 2, editor.encoding)
    (item,) = await _inline(session, uri, cursor)
    assert item.insert_text == ", height): return w"
    assert item.range is not None
    assert item.range.start == cursor
    replaced = types.Range(start=cursor, end=position_of(text, text.index("width"), "utf-16"))
    assert item.range.end.line == 0
    assert item.range.end.character == replaced.end.character + len("width")


async def test_chatls_own_edits_are_not_followed(start: Start) -> None:
    session = await _start(start)
    session.backend.responder = lambda request: (
        Chat('"""The area of a rectangle."""') if not is_next_edit(request) else Chat("")
    )
    uri = session.editor.open("shapes.py", SHAPES)
    await session.command(
        "chatls.docstring",
        {"uri": uri, "range": session.editor.range_of(uri, "area", 0), "version": 1},
    )
    assert '"""The area of a rectangle."""' in session.editor.text(uri)
    answer = await _next_edit(session, uri, types.Position(line=4, character=4))
    # The only edit since the document opened is chatls's: nothing of the user's to follow.
    assert answer == {"id": "", "edits": []}
    assert not [r for r in session.backend.requests if is_next_edit(r)]


@pytest.mark.parametrize(
    "settings",
    [{"nextEdit": {"enabled": "off"}}, {"exclude": ["**/private/**"]}],
    ids=["off", "excluded"],
)
async def test_off_or_excluded_asks_nothing(start: Start, settings: dict[str, Any]) -> None:
    session = await _start(start, **settings)
    session.backend.responder = rewriting("return width", "return w")
    enabled = session.server_capabilities.experimental["chatls"]["nextEdit"]["enabled"]
    assert enabled is ("nextEdit" not in settings)
    uri = session.editor.open("private/shapes.py", SHAPES)
    position = _rename_by_keystrokes(session, uri)
    assert await _next_edit(session, uri, position) == {"id": "", "edits": []}
    assert not [r for r in session.backend.requests if is_next_edit(r)]


async def test_with_a_plugin_ghost_text_shows_what_the_plugin_asked_for(start: Start) -> None:
    session = await _start(start)
    session.backend.responder = rewriting("return width", "return w")
    uri = session.editor.open("line.py", "def area(width, height): return width * height\n")
    editor = session.editor
    editor.type(uri, editor.range_of(uri, "idth", 0), "")
    text = editor.text(uri)
    cursor = position_of(text, text.index("(w,") + 2, editor.encoding)
    asked = await _next_edit(session, uri, cursor)
    assert asked["edits"]

    async def inline() -> list[str | types.StringValue]:
        return [item.insert_text for item in await _inline(session, uri, cursor)]

    predictions = len([r for r in session.backend.requests if is_next_edit(r)])
    # The version the plugin asked about: its suggestion, without asking the model again.
    assert await inline() == [", height): return w"]
    # A version it has not asked about yet (a keystroke later): no prediction of its own.
    editor.type(uri, editor.range_of(uri, "height", 0), "heigh")
    editor.type(uri, editor.range_of(uri, "heigh", 0), "height")
    assert await inline() == []
    assert len([r for r in session.backend.requests if is_next_edit(r)]) == predictions
