"""Every backend failure: one clear message, no edit, the buffer untouched, the server alive,
and the API key nowhere in what the user or the log sees."""

from __future__ import annotations

import pytest
from lsprotocol import types

from chatls_testing.scripted_backend import Chat, Error, Hang, Raw, Response
from tests.conftest import SECRET, Session, Start

SOURCE = "def f(x):\n    return x + 1\n"
GOOD = Chat("```python\nreturn x + 2\n```")


async def _refactor(session: Session, *responses: Response) -> tuple[str, types.CodeAction]:
    uri = session.editor.open("f.py", SOURCE)
    session.backend.script(*responses)
    rng = session.editor.range_of(uri, "    return x + 1\n")
    action = await session.action(uri, rng, "refactor.rewrite.chatls.refactor")
    resolved = await session.run(action)
    return uri, resolved


def _assert_one_error(session: Session, *fragments: str) -> str:
    messages = session.messages()
    assert len(messages) == 1, messages
    (message,) = messages
    for fragment in fragments:
        assert fragment in message, message
    assert SECRET not in message and SECRET[8:20] not in message
    assert "Traceback" not in message
    return message


async def _still_alive(session: Session, uri: str) -> None:
    session.client.messages.clear()
    session.backend.script(GOOD)
    rng = session.editor.range_of(uri, "    return x + 1\n")
    await session.run(await session.action(uri, rng, "refactor.rewrite.chatls.refactor"))
    assert "return x + 2" in session.editor.text(uri)
    log = session.log()
    assert SECRET not in log and SECRET[8:30] not in log


ERRORS = [
    (
        "401",
        [Error(401, f"Incorrect API key provided: {SECRET}", code="invalid_api_key")],
        {},
        ["401", "apiKey"],
    ),
    ("403", [Error(403, "Project does not have access to model")], {}, ["403", "test-model"]),
    (
        "404",
        [Error(404, "The model `test-model` does not exist", code="model_not_found")],
        {},
        ["test-model", "not found", "404"],
    ),
    (
        "400 names the parameter",
        [Error(400, "Invalid value for 'stop': too many", param="stop")],
        {},
        ["400", "`stop`"],
    ),
    (
        "429 after retries",
        [Error(429, "Rate limit reached", headers={"Retry-After": "0"})] * 2,
        {"maxRetries": 1},
        ["Rate limited", "429"],
    ),
    (
        "500 after retries",
        [Error(500, "boom"), Error(503, "overloaded")],
        {"maxRetries": 1},
        ["503", "retries"],
    ),
    ("timeout", [Hang(5)], {"timeout": 0.5}, ["did not answer within 0.5s", "timeout"]),
    (
        "malformed stream",
        [
            Raw(
                [
                    'data: {"id": "x", "choices": [{"index": 0, "delta": {"content": "a"',
                    "data: [DONE]",
                ]
            )
        ],
        {},
        ["malformed"],
    ),
    (
        "stream event that is not a chunk",
        [Raw(['data: ["not", "a", "chunk"]', "data: [DONE]"])],
        {},
        ["malformed", "an event is list"],
    ),
    (
        "stream choice that is not an object",
        [Raw(['data: {"id": "x", "choices": ["a"]}', "data: [DONE]"])],
        {},
        ["malformed", "a choice is not an object"],
    ),
    (
        "stream ends without finishing",
        [
            Raw(
                [
                    'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":'
                    '[{"index":0,"delta":{"content":"```python\\nreturn x"},"finish_reason":null}]}'
                ]
            )
        ],
        {},
        ["ended before the model finished"],
    ),
    (
        "truncated by maxTokens",
        [Chat("```python\nreturn x +", finish_reason="length")],
        {"maxTokens": 50},
        ["cut off", "maxTokens (50)", "not applied"],
    ),
    ("content filter", [Chat("", finish_reason="content_filter")], {}, ["content filter"]),
    ("empty answer", [Chat("")], {}, ["no code"]),
]


@pytest.mark.parametrize(
    ("name", "responses", "settings", "fragments"), ERRORS, ids=[e[0] for e in ERRORS]
)
async def test_backend_error(
    start: Start,
    name: str,
    responses: list[Response],
    settings: dict[str, object],
    fragments: list[str],
) -> None:
    session = await start(settings=settings)
    uri, resolved = await _refactor(session, *responses)
    assert resolved.edit is None
    assert session.editor.text(uri) == SOURCE
    _assert_one_error(session, *fragments)
    await _still_alive(session, uri)


async def test_rate_limit_retry_honours_retry_after_then_succeeds(start: Start) -> None:
    session = await start(settings={"maxRetries": 2})
    uri, resolved = await _refactor(
        session, Error(429, "slow down", headers={"Retry-After": "1"}), GOOD
    )
    assert resolved.edit is not None
    assert "return x + 2" in session.editor.text(uri)
    assert session.messages() == []
    assert len(session.backend.requests) == 2
    assert session.backend.requests[1].headers.get("x-stainless-retry-count") == "1"


async def test_connection_refused(start: Start) -> None:
    session = await start(settings={"baseUrl": "http://127.0.0.1:9/v1"})
    _, resolved = await _refactor(session)
    assert resolved.edit is None
    _assert_one_error(session, "Could not connect", "127.0.0.1:9")


@pytest.mark.parametrize(
    ("error", "sent", "dropped"),
    [
        (
            Error(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                param="max_tokens",
                code="unsupported_parameter",
            ),
            "max_completion_tokens",
            "max_tokens",
        ),
        (
            Error(
                400,
                "Unsupported value: 'temperature' does not support 0.2 with this model. "
                "Only the default (1) value is supported.",
                param="temperature",
                code="unsupported_value",
            ),
            None,
            "temperature",
        ),
    ],
)
async def test_reasoning_model_parameters_are_retried_once(
    start: Start, error: Error, sent: str | None, dropped: str
) -> None:
    session = await start()
    uri, resolved = await _refactor(session, error, GOOD)
    assert resolved.edit is not None, session.messages()
    assert session.messages() == []
    retried = session.backend.requests[1].body
    assert dropped not in retried
    if sent:
        assert retried[sent] == 1024
    # Remembered for the next request: no second failure.
    session.backend.script(GOOD)
    rng = session.editor.range_of(uri, "    return x + 2\n")
    await session.run(await session.action(uri, rng, "refactor.rewrite.chatls.refactor"))
    assert dropped not in session.backend.requests[2].body


async def test_a_parameter_is_not_retried_twice(start: Start) -> None:
    session = await start()
    refusal = Error(
        400,
        "Unsupported parameter: 'temperature' is not supported",
        param="temperature",
        code="unsupported_parameter",
    )
    _, resolved = await _refactor(session, refusal, refusal)
    assert resolved.edit is None
    assert len(session.backend.requests) == 2
    _assert_one_error(session, "temperature")


async def test_structured_output_falls_back_to_free_text(start: Start) -> None:
    # Under `auto`, Generate docstring asks for JSON first (its measured default: prose in
    # JSON comes out well) and code actions ask for free text (code in JSON comes out worse).
    session = await start(settings={"structuredOutput": "auto"})
    uri = session.editor.open("d.py", SOURCE)
    cursor = session.editor.range_of(uri, "return x + 1").start
    here = types.Range(start=cursor, end=cursor)
    session.backend.script(
        Error(400, "response_format json_schema is not supported by this server"),
        Error(400, "response_format json_object is not supported by this server"),
        Chat("Add one to x."),
    )
    resolved = await session.run(
        await session.action(uri, here, "refactor.rewrite.chatls.docstring")
    )
    assert resolved.edit is not None
    kinds = [(r.body.get("response_format") or {}).get("type") for r in session.backend.requests]
    assert kinds == ["json_schema", "json_object", None]
    # ``auto`` remembers the refusals; the next request asks for free text straight away.
    session.backend.script(Chat("Add one to x, again."))
    await session.run(await session.action(uri, here, "refactor.rewrite.chatls.docstring"))
    assert "response_format" not in session.backend.requests[3].body
    assert "documentation text, without quotes" in session.backend.requests[3].prompt
    uri, resolved = await _refactor(session, GOOD)
    assert resolved.edit is not None
    assert "response_format" not in session.backend.requests[4].body
    assert "fenced code block" in session.backend.requests[4].prompt


async def test_structured_reply_that_is_not_json_is_read_as_text(start: Start) -> None:
    session = await start(settings={"structuredOutput": "jsonSchema"})
    uri, resolved = await _refactor(session, GOOD)
    assert resolved.edit is not None
    assert "return x + 2" in session.editor.text(uri)


async def test_nothing_configured_is_one_clear_message_and_no_traffic(start: Start) -> None:
    session = await start(defaults=False, settings={"backend": "remote"})
    _, resolved = await _refactor(session)
    assert resolved.edit is None
    _assert_one_error(session, "No model is configured", "apiKey", "baseUrl")
