"""Settings: initializationOptions, workspace/configuration, didChangeConfiguration, per-action
overrides, environment defaults, and bad values (one message, defaults used, no crash)."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from chatls_testing.scripted_backend import Chat
from tests.conftest import SECRET, Session, Start

SOURCE = "def f(x):\n    return x + 1\n"
REPLY = Chat("```python\nreturn x + 2\n```")


async def _refactor(session: Session, uri: str | None = None) -> dict[str, object]:
    uri = uri or session.editor.open(f"f{len(session.editor.docs)}.py", SOURCE)
    session.backend.script(REPLY)
    rng = session.editor.range_of(uri, "x + ")
    line = types.Range(
        start=types.Position(line=rng.start.line, character=0),
        end=types.Position(line=rng.start.line + 1, character=0),
    )
    result = await session.command(
        "chatls.refactor",
        {
            "uri": uri,
            "range": {
                "start": {"line": line.start.line, "character": 0},
                "end": {"line": line.end.line, "character": 0},
            },
        },
    )
    return result or {}


async def test_sampling_settings_reach_the_request(start: Start) -> None:
    session = await start(
        settings={
            "temperature": 0.7,
            "topP": 0.9,
            "maxTokens": 300,
            "stop": ["\n\n\n"],
            "presencePenalty": 0.5,
            "frequencyPenalty": -0.5,
            "seed": 42,
        }
    )
    await _refactor(session)
    body = session.backend.requests[0].body
    assert body["model"] == "test-model"
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.7, 0.9, 300)
    assert (body["stop"], body["presence_penalty"], body["frequency_penalty"], body["seed"]) == (
        ["\n\n\n"],
        0.5,
        -0.5,
        42,
    )
    assert body["stream"] is True


async def test_invalid_settings_one_message_defaults_used(start: Start) -> None:
    session = await start(
        settings={
            "temperature": "hot",
            "maxRetries": -1,
            "colour": "blue",
            "structuredOutput": "xml",
            "actions": {"bogus": {}, "refactor": {"maxTokens": "lots"}},
            "apiKey": 12345,
            "model": "still-used",
        }
    )
    messages = session.messages(types.MessageType.Warning)
    assert len(messages) == 1
    (message,) = messages
    for fragment in (
        "`temperature`: expected a number",
        "`maxRetries`",
        "`colour`: unknown setting",
        "`structuredOutput`",
        "`actions.bogus`",
        "`actions.refactor.maxTokens`",
        "`apiKey`: expected a string, got a hidden value",
    ):
        assert fragment in message
    assert "12345" not in message
    result = await _refactor(session)
    assert result["applied"] is True
    body = session.backend.requests[0].body
    assert body["model"] == "still-used"
    assert body["temperature"] == 0.2


async def test_workspace_configuration_overrides_initialization_options(start: Start) -> None:
    session = await start(client="vscode", configuration={"model": "from-configuration"})
    await _refactor(session)
    assert session.backend.requests[0].body["model"] == "from-configuration"
    # The base URL and key still come from initializationOptions.
    assert session.backend.requests[0].headers["authorization"] == f"Bearer {SECRET}"


async def test_did_change_configuration_is_re_read(start: Start) -> None:
    session = await start(client="vscode", configuration={"model": "first"})
    await _refactor(session)
    session.client.set_configuration({"model": "second"}, section="chatls")
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=None)
    )
    await asyncio.sleep(0.3)
    await _refactor(session)
    assert [r.body["model"] for r in session.backend.requests] == ["first", "second"]


async def test_pushed_settings_for_clients_without_configuration(start: Start) -> None:
    session = await start(client="plain")
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"chatls": {"model": "pushed"}})
    )
    await asyncio.sleep(0.3)
    await _refactor(session)
    assert session.backend.requests[0].body["model"] == "pushed"


async def test_per_action_overrides(start: Start) -> None:
    session = await start(
        settings={
            "actions": {
                "refactor": {
                    "model": "refactor-model",
                    "temperature": 0.0,
                    "maxTokens": 77,
                    "systemPrompt": "You are terse. Language: {{ language }}.",
                    "prompt": "Rewrite:\n{{ code }}\nFile {{ path }}",
                }
            }
        }
    )
    await _refactor(session)
    body = session.backend.requests[0].body
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("refactor-model", 0.0, 77)
    system = body["messages"][0]
    assert system["role"] == "system"
    # The override, then the note about the workspace tools (offered by default).
    assert system["content"].startswith("You are terse. Language: Python.\n\nYou can look up code")
    assert body["messages"][1]["content"] == "Rewrite:\n    return x + 1\nFile f0.py"


async def test_a_broken_template_is_named_in_one_message(start: Start) -> None:
    session = await start(
        settings={"actions": {"refactor": {"prompt": "{{ nonsense }} {{ code }}"}}}
    )
    result = await _refactor(session)
    assert result == {}
    (message,) = session.messages()
    assert "`actions.refactor.prompt`" in message and "nonsense" in message
    assert session.backend.requests == []


async def test_environment_supplies_endpoint_and_key(
    start: Start, server_env: dict[str, str], backend: object
) -> None:
    server_env["OPENAI_BASE_URL"] = backend.url  # type: ignore[attr-defined]
    server_env["OPENAI_API_KEY"] = "sk-from-environment-0000000000"
    session = await start(defaults=False, settings={"model": "env-model"})
    result = await _refactor(session)
    assert result["applied"] is True
    assert (
        session.backend.requests[0].headers["authorization"]
        == "Bearer sk-from-environment-0000000000"
    )
    assert "sk-from-environment-0000000000" not in session.log()


async def test_the_key_never_reaches_the_log(start: Start) -> None:
    session = await start()
    await _refactor(session)
    log = session.log()
    assert "initialization_options" in log  # the debug log did record the initialize message
    assert SECRET not in log
    assert SECRET[3:25] not in log
