"""A server that refuses a parameter gets the request again at once without it (or with less of
it), once per level, with no retries with backoff, and is remembered; keys too short or too
common to be secrets never mangle a message nor reach a log; ghost text that repeats chatls's
own instructions is dropped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lsprotocol import types

from chatls_testing.scripted_backend import PROFILES, Chat, Error, Recorded
from tests.conftest import SECRET, Session, Start
from tests.e2e.test_inline_completion import _inline, _open, _start

SOURCE = "def f(x):\n    return x + 1\n"
TRACE = (
    '\n\n  File "/srv/venv/lib/python3.11/site-packages/llama_cpp/server/app.py", line 376, in '
    "create_chat_completion\n    POST /v1/chat/completions"
)


def validation_500(location: str, message: str, value: str) -> Error:
    """llama-cpp-python's answer to a field its pydantic model refuses: HTTP 500, the
    validation error's text and a line of the server's traceback."""
    entry = (
        f"{{'type': 'literal_error', 'loc': {location}, 'msg': \"{message}\", 'input': '{value}'}}"
    )
    text = f"1 validation error:\n  {entry}{TRACE}"
    return Error(
        500,
        body={
            "error": {
                "message": text,
                "type": "internal_server_error",
                "param": None,
                "code": None,
            }
        },
    )


async def _docstring(session: Session, uri: str) -> Any:
    cursor = session.editor.range_of(uri, "return x + 1").start
    return await session.command(
        "chatls.docstring", {"uri": uri, "range": {"start": _pos(cursor), "end": _pos(cursor)}}
    )


async def _refactor(session: Session, uri: str, line: str = "    return x + 1\n") -> Any:
    rng = session.editor.range_of(uri, line)
    return await session.command(
        "chatls.refactor", {"uri": uri, "range": {"start": _pos(rng.start), "end": _pos(rng.end)}}
    )


def _pos(position: types.Position) -> dict[str, int]:
    return {"line": position.line, "character": position.character}


def _kind(recorded: Recorded) -> str | None:
    return (recorded.body.get("response_format") or {}).get("type")


async def test_a_500_refusing_json_schema_then_json_object_steps_down_to_free_text(
    start: Start,
) -> None:
    # maxRetries 2: a 500 the SDK retried would show up here as more requests.
    session = await start(settings={"structuredOutput": "auto", "maxRetries": 2})
    uri = session.editor.open("d.py", SOURCE)
    session.backend.script(
        validation_500(
            "('body', 'response_format', 'type')",
            "Input should be 'text' or 'json_object'",
            "json_schema",
        ),
        validation_500(
            "('body', 'response_format', 'type')", "Input should be 'text'", "json_object"
        ),
        Chat("Add one to x."),
    )
    result = await _docstring(session, uri)
    assert result["applied"] is True, session.messages()
    assert session.editor.text(uri) == 'def f(x):\n    """Add one to x."""\n    return x + 1\n'
    assert session.messages() == []
    schema, mode, text = session.backend.requests
    assert [_kind(r) for r in (schema, mode, text)] == ["json_schema", "json_object", None]
    assert [r.status for r in (schema, mode, text)] == [500, 500, 200]
    # JSON mode does not enforce the schema: the request states it.
    assert '"docstring"' in mode.messages[-1]["content"]
    assert "JSON Schema" in mode.messages[-1]["content"]
    assert "JSON Schema" not in schema.messages[-1]["content"]
    # Free text: the prompt asks for it, built again for it.
    assert "documentation text, without quotes" in text.prompt
    assert "JSON" not in text.prompt
    # Remembered for this endpoint and model: one request, free text straight away.
    session.backend.script(Chat("Add one to x, again."))
    await _docstring(session, uri)
    assert len(session.backend.requests) == 4
    assert "response_format" not in session.backend.requests[3].body
    log = session.log()
    # The whole body is in the log; the user saw nothing of it.
    assert "Input should be 'text' or 'json_object'" in log and "app.py" in log


async def test_json_mode_is_enough_for_a_server_that_takes_it(start: Start) -> None:
    session = await start(settings={"structuredOutput": "auto", "maxRetries": 2})
    session.backend.profile = PROFILES["llama-cpp-python"]
    uri = session.editor.open("d.py", SOURCE)
    session.backend.script(Chat.json({"docstring": "Add one to x."}))
    result = await _docstring(session, uri)
    assert result["applied"] is True, session.messages()
    assert '"""Add one to x."""' in session.editor.text(uri)
    refused, answered = session.backend.requests
    assert (_kind(refused), refused.status, _kind(answered), answered.status) == (
        "json_schema",
        500,
        "json_object",
        200,
    )
    session.backend.script(Chat.json({"docstring": "Add one."}))
    await _docstring(session, uri)
    assert [_kind(r) for r in session.backend.requests[2:]] == ["json_object"]


@pytest.mark.parametrize("status", [400, 404, 422, 500])
async def test_tools_refused_with_a_validation_body_are_dropped_at_once(
    start: Start, status: int
) -> None:
    session = await start(settings={"maxRetries": 2})
    uri = session.editor.open("f.py", SOURCE)
    detail = [
        {
            "type": "extra_forbidden",
            "loc": ["body", "tools"],
            "msg": "Extra inputs are not permitted",
        }
    ]
    session.backend.script(
        Error(status, body={"detail": detail}), Chat("```python\n    return x + 2\n```")
    )
    result = await _refactor(session, uri)
    assert result["applied"] is True, session.messages()
    refused, retried = session.backend.requests
    assert refused.status == status and refused.body.get("tools")
    assert "tools" not in retried.body and "tool_choice" not in retried.body
    assert session.messages() == []
    session.backend.script(Chat("```python\n    return x + 3\n```"))
    await _refactor(session, uri, "    return x + 2\n")
    assert len(session.backend.requests) == 3 and "tools" not in session.backend.requests[2].body


async def test_logprobs_refused_by_a_500_are_dropped_once_and_remembered(start: Start) -> None:
    session = await _start(start)
    uri, position = _open(session, "g.py", "def double(x):\n    return ‸\n")
    session.backend.script(
        validation_500("('body', 'logprobs')", "Extra inputs are not permitted", "True"),
        Chat("x * 2"),
    )
    items = await _inline(session, uri, position)
    assert [item.insert_text for item in items] == ["x * 2"]
    refused, retried = session.backend.requests
    assert refused.body.get("logprobs") is True and refused.status == 500
    assert "logprobs" not in retried.body
    uri, position = _open(session, "h.py", "def triple(x):\n    return ‸\n")
    session.backend.script(Chat("x * 3"))
    assert [item.insert_text for item in await _inline(session, uri, position)] == ["x * 3"]
    assert len(session.backend.requests) == 3
    assert "logprobs" not in session.backend.requests[2].body


async def test_a_500_that_is_not_a_refusal_is_still_retried(start: Start) -> None:
    session = await start(settings={"maxRetries": 1})
    uri = session.editor.open("f.py", SOURCE)
    session.backend.script(
        Error(500, "CUDA out of memory"), Chat("```python\n    return x + 2\n```")
    )
    result = await _refactor(session, uri)
    assert result["applied"] is True
    assert [r.status for r in session.backend.requests] == [500, 200]
    assert "tools" in session.backend.requests[1].body


@pytest.mark.parametrize("key", ["x", "ollama"])
async def test_a_short_or_common_key_never_mangles_a_message_nor_reaches_the_log(
    start: Start, key: str
) -> None:
    session = await start(settings={"apiKey": key})
    uri = session.editor.open("f.py", SOURCE)
    said = (
        "The text you sent was not what the server expected: model ollama-coder-x does not "
        "exist on this ollama server"
    )
    session.backend.script(Error(403, said))
    result = await _refactor(session, uri)
    assert result is None
    (message,) = session.messages()
    assert said in message and "***" not in message
    # The key was sent as the key...
    assert session.backend.requests[0].headers["authorization"] == f"Bearer {key}"
    # ...and is nowhere in the log as the key, while the words that contain it are intact.
    log = session.log()
    assert "model ollama-coder-x does not exist" in log
    for shape in (f'"apiKey": "{key}"', f"Bearer {key}\n", f"Bearer {key} ", f"'apiKey': '{key}'"):
        assert shape not in log, shape
    assert json.dumps(key) not in _settings_lines(log)


def _settings_lines(log: str) -> str:
    return "\n".join(line for line in log.splitlines() if "apiKey" in line)


async def test_a_real_key_in_an_error_body_is_masked_and_the_message_kept(start: Start) -> None:
    session = await start()
    uri = session.editor.open("f.py", SOURCE)
    session.backend.script(Error(403, f"Key {SECRET} has no access to test-model; ask an admin."))
    await _refactor(session, uri)
    (message,) = session.messages()
    assert SECRET not in message and "Key *** has no access to test-model" in message
    assert SECRET not in session.log()


async def test_a_server_traceback_is_not_shown_but_logged_whole(start: Start) -> None:
    session = await start(settings={"maxRetries": 0})
    uri = session.editor.open("f.py", SOURCE)
    body = (
        'Model failed: out of slots.\nTraceback (most recent call last):\n  File "srv.py", line 9'
    )
    session.backend.script(Error(503, body))
    await _refactor(session, uri)
    (message,) = session.messages()
    assert "out of slots" in message and "Traceback" not in message and "srv.py" not in message
    assert "after 0 retries" not in message
    assert 'File \\"srv.py\\", line 9' in session.log()


async def test_ghost_text_that_repeats_the_instructions_is_dropped(start: Start) -> None:
    session = await _start(start)
    text = "def area(w, h):\n    return w * h\n\n‸\n"
    uri, position = _open(session, "a.py", text)
    session.backend.script(Chat("The rest of the line."))
    assert await _inline(session, uri, position) == []
    assert "repeats the prompt" in session.log()
    # Code on the same line is offered as ever.
    uri, position = _open(session, "b.py", text.replace("area", "volume"))
    session.backend.script(Chat("def perimeter(w, h):\n    return 2 * (w + h)"))
    items = await _inline(session, uri, position)
    assert len(items) == 1 and "return 2 * (w + h)" in str(items[0].insert_text)
