"""Custom actions (``customActions``): listed where they apply, run through the same reply →
edit pipeline as the built-in actions, one of each ``output`` kind; bad definitions left out
with one message each; ``chatls run <id>``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types

from chatls_testing.cli import chatls_run
from chatls_testing.scripted_backend import Chat, ScriptedBackend
from tests.conftest import Start

FSTRINGS = {
    "id": "fstrings",
    "title": "Convert to f-strings",
    "prompt": "Convert every string formatting in this {{ language }} code to f-strings.",
    "languages": ["python"],
}
LOGGING = {
    "id": "log-calls",
    "title": "Add logging",
    "prompt": "Write a line that logs the result of calling the function shown.",
    "target": "function",
    "output": "insertBelow",
}
HEADER = {
    "id": "license-header",
    "title": "Add a licence header",
    "prompt": "Write an SPDX licence header comment (MIT) for {{ path }}.",
    "target": "function",
    "output": "insertAbove",
}
REGEX = {
    "id": "explain-regex",
    "title": "Explain this regex",
    "systemPrompt": "You explain regular expressions, piece by piece.",
    "prompt": "Explain the regular expression in this code, piece by piece.",
    "output": "markdown",
    "model": "regex-model",
    "temperature": 0.7,
    "maxTokens": 300,
}
STUB = {
    "id": "stub",
    "title": "Write a stub module",
    "prompt": "Write a typing stub (.pyi) for this module.",
    "target": "file",
    "output": "newFile",
}
SOURCE = (
    "import re\n"
    "\n"
    "\n"
    "def greet(name):\n"
    "    pattern = re.compile(r'^\\w+$')\n"
    "    return 'Hello, %s!' % name\n"
)


def _settings(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"customActions": list(actions)}


async def test_listed_with_its_kind_and_only_for_its_languages(start: Start) -> None:
    session = await start(settings=_settings(FSTRINGS, REGEX))
    uri = session.editor.open("greet.py", SOURCE)
    rng = session.editor.range_of(uri, "return 'Hello, %s!' % name")
    actions = await session.actions(uri, rng)
    titles = {a.title: a.kind for a in actions}
    assert titles["chatls: Convert to f-strings"] == "refactor.rewrite.chatls.fstrings"
    assert titles["chatls: Explain this regex"] == "refactor.chatls.explain-regex"
    only = await session.actions(uri, rng, only=["refactor.rewrite.chatls.fstrings"])
    assert [a.title for a in only] == ["chatls: Convert to f-strings"]
    js = session.editor.open("greet.js", "const s = 'a' + b;\n", language_id="javascript")
    listed = [a.title for a in await session.actions(js, session.editor.range_of(js, "'a'"))]
    assert "chatls: Convert to f-strings" not in listed
    assert "chatls: Explain this regex" in listed
    # Listing never asks the model.
    assert session.backend.requests == []


async def test_replace_goes_through_the_edit_pipeline(start: Start) -> None:
    session = await start(settings=_settings(FSTRINGS))
    uri = session.editor.open("greet.py", SOURCE)
    rng = session.editor.range_of(uri, "return 'Hello, %s!' % name")
    action = await session.action(uri, rng, "refactor.rewrite.chatls.fstrings")
    assert action.data is not None  # resolved like the built-in edits
    # An unindented reply, with prose around it: located and re-indented.
    session.backend.script(Chat("Here it is:\n```python\nreturn f'Hello, {name}!'\n```\nDone."))
    await session.run(action)
    assert session.messages() == []
    assert session.editor.text(uri) == SOURCE.replace(
        "return 'Hello, %s!' % name", "return f'Hello, {name}!'"
    )
    prompt = session.backend.requests[0].prompt
    assert "Convert every string formatting in this Python code to f-strings." in prompt
    assert "return 'Hello, %s!' % name" in prompt


async def test_replace_refuses_a_broken_reply(start: Start) -> None:
    session = await start(settings=_settings(FSTRINGS))
    uri = session.editor.open("greet.py", SOURCE)
    rng = session.editor.range_of(uri, "return 'Hello, %s!' % name")
    action = await session.action(uri, rng, "refactor.rewrite.chatls.fstrings")
    session.backend.script(Chat("```python\nreturn f'Hello, {name}!\n```"))
    await session.run(action)
    assert session.editor.text(uri) == SOURCE
    errors = session.messages(types.MessageType.Error)
    assert len(errors) == 1 and "not valid Python" in errors[0]


async def test_insert_below_the_function(start: Start) -> None:
    session = await start(settings=_settings(LOGGING))
    source = "class A:\n    def twice(self, x):\n        return 2 * x\n\n    def other(self):\n        pass\n"
    uri = session.editor.open("a.py", source)
    cursor = session.editor.range_of(uri, "return 2 * x").start
    action = await session.action(
        uri, types.Range(start=cursor, end=cursor), "refactor.rewrite.chatls.log-calls"
    )
    # The model repeats the function before its new line: the echo is dropped.
    session.backend.script(
        Chat("```python\ndef twice(self, x):\n    return 2 * x\nLOGGED = print(A().twice(2))\n```")
    )
    await session.run(action)
    assert session.messages() == []
    assert session.editor.text(uri) == (
        "class A:\n    def twice(self, x):\n        return 2 * x\n    LOGGED = print(A().twice(2))\n"
        "\n    def other(self):\n        pass\n"
    )


async def test_insert_above_by_command(start: Start) -> None:
    session = await start(settings=_settings(HEADER), client="plain")
    source = "package main\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
    uri = session.editor.open("add.go", source, language_id="go")
    cursor = session.editor.range_of(uri, "return").start
    [action] = await session.actions(
        uri, types.Range(start=cursor, end=cursor), only=["refactor.rewrite.chatls.license-header"]
    )
    assert action.command is not None and action.command.command == "chatls.action"
    assert action.command.arguments is not None
    assert action.command.arguments[0]["id"] == "license-header"
    session.backend.script(Chat("```go\n// SPDX-License-Identifier: MIT\n```"))
    result = await session.run(action)
    assert result["applied"] is True
    assert session.editor.text(uri) == (
        "package main\n\n// SPDX-License-Identifier: MIT\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
    )
    assert "add.go" in session.backend.requests[0].prompt


async def test_markdown_with_its_own_model_and_sampling(start: Start) -> None:
    session = await start(settings=_settings(REGEX))
    uri = session.editor.open("greet.py", SOURCE)
    rng = session.editor.range_of(uri, "re.compile(r'^\\w+$')")
    session.backend.script(Chat("`^\\w+$`: one or more word characters, the whole string."))
    result = await session.command(
        "chatls.action", {"id": "explain-regex", "uri": uri, "range": rng, "quiet": True}
    )
    assert result["markdown"] == "`^\\w+$`: one or more word characters, the whole string."
    assert session.editor.text(uri) == SOURCE
    body = session.backend.requests[0].body
    assert body["model"] == "regex-model"
    assert body["temperature"] == 0.7
    assert body["max_tokens"] == 300
    system = body["messages"][0]["content"]
    assert system.startswith("You explain regular expressions, piece by piece.")


async def test_new_file_never_touches_the_source(start: Start) -> None:
    session = await start(settings=_settings(STUB))
    uri = session.editor.open("greet.py", SOURCE)
    cursor = session.editor.range_of(uri, "import re").start
    session.backend.script(Chat("```python\nimport re\n\ndef greet(name: str) -> str: ...\n```"))
    result = await session.command(
        "chatls.action", {"id": "stub", "uri": uri, "range": {"start": cursor, "end": cursor}}
    )
    assert result["document"] == {
        "text": "import re\n\ndef greet(name: str) -> str: ...\n",
        "languageId": "python",
        "name": "greet.stub.py",
    }
    assert session.editor.text(uri) == SOURCE
    # The whole file went to the model, and the user without a plugin sees the result.
    assert "def greet(name):" in session.backend.requests[0].prompt
    [shown] = session.messages(types.MessageType.Info)
    assert "def greet(name: str) -> str: ..." in shown


async def test_invalid_definitions_are_left_out_with_one_message_each(start: Start) -> None:
    bad = [
        {"id": "explain", "prompt": "x"},
        {"id": "no spaces", "prompt": "x"},
        {"id": "k", "prompt": "x", "kind": "rewrite.mine"},
        {"id": "t", "prompt": "x", "target": "line"},
        {"id": "o", "prompt": "x", "output": "clipboard"},
        {"id": "v", "prompt": "Do it to {{ snippet }} in {{ language }}"},
        {"id": "s", "prompt": "x", "systemPrompt": "{% if %}"},
        {"id": "p"},
        {"id": "fstrings", "prompt": "again"},
    ]
    session = await start(settings=_settings(FSTRINGS, *bad))
    uri = session.editor.open("greet.py", SOURCE)
    rng = session.editor.range_of(uri, "return")
    titles = [a.title for a in await session.actions(uri, rng)]
    assert [t for t in titles if t.startswith("chatls: ") and "f-strings" in t] == [
        "chatls: Convert to f-strings"
    ]
    assert not {"chatls: k", "chatls: t", "chatls: o", "chatls: v", "chatls: s"} & set(titles)
    [warning] = session.messages(types.MessageType.Warning)
    expected = [
        "`customActions[5].output`: expected one of 'replace', 'insertBelow', 'insertAbove', "
        "'markdown', 'newFile', got 'clipboard'; the entry was left out",
        "`customActions[4].target`: expected one of 'selection', 'function', 'file'",
        "`customActions` `explain`: its `id` is a built-in action's",
        "`customActions` `no spaces`: its `id` may hold only letters",
        "`customActions` `k`: `kind` 'rewrite.mine' is not a code action kind",
        "`customActions` `p`: needs a `prompt`",
        "`customActions` `fstrings`: its `id` is taken by an earlier custom action",
        "`customActions` `v`: `prompt` uses unknown template variables (snippet)",
        "`customActions` `s`: `systemPrompt` is not a valid template",
    ]
    for fragment in expected:
        assert fragment in warning
    # Running one that was left out says so, and asks no model.
    result = await session.command("chatls.action", {"id": "v", "uri": uri, "range": rng})
    assert result is None
    assert "There is no custom action `v`" in session.messages(types.MessageType.Error)[0]
    assert session.backend.requests == []


def test_chatls_run_a_custom_action(
    backend: ScriptedBackend, server_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "greet.py"
    path.write_text(SOURCE)
    config = tmp_path / "chatls.json"
    import json

    config.write_text(json.dumps(_settings(FSTRINGS, REGEX)))
    backend.script(Chat("```python\nreturn f'Hello, {name}!'\n```"))
    common = ["--range", "6", "--config", str(config)]
    out = chatls_run(backend, server_env, tmp_path, "fstrings", str(path), *common)
    assert out.returncode == 0, out.stderr
    assert "-    return 'Hello, %s!' % name\n+    return f'Hello, {name}!'\n" in out.stdout
    assert path.read_text() == SOURCE
    unknown = chatls_run(backend, server_env, tmp_path, "nope", str(path), *common)
    assert unknown.returncode == 2
    assert "unknown action 'nope'" in unknown.stderr and "fstrings" in unknown.stderr


async def test_a_custom_edit_can_be_refined_with_its_own_settings(start: Start) -> None:
    session = await start(settings=_settings({**FSTRINGS, "model": "fstring-model"}))
    uri = session.editor.open("greet.py", SOURCE)
    rng = session.editor.range_of(uri, "return 'Hello, %s!' % name")
    session.backend.script(Chat("```python\nreturn f'Hello, {name}!'\n```"))
    await session.run(await session.action(uri, rng, "refactor.rewrite.chatls.fstrings"))
    at = session.editor.range_of(uri, "return f'Hello")
    [refine] = await session.actions(uri, at, only=["refactor.rewrite.chatls.refine"])
    assert refine.command is not None and refine.command.arguments is not None
    session.backend.script(Chat("```python\nreturn f'Hello, {name.title()}!'\n```"))
    result = await session.command(
        "chatls.refine", {**refine.command.arguments[0], "instruction": "Title-case the name"}
    )
    assert result["applied"] is True
    assert session.editor.text(uri) == SOURCE.replace(
        "return 'Hello, %s!' % name", "return f'Hello, {name.title()}!'"
    )
    assert [r.body["model"] for r in session.backend.requests] == ["fstring-model"] * 2
    assert len(session.backend.requests[1].messages) == 4


async def test_the_server_publishes_its_actions_at_initialize_and_when_settings_change(
    start: Start,
) -> None:
    from chatls.actions.registry import builtin

    session = await start(client="plain", settings={"customActions": [FSTRINGS]})
    experimental = session.server_capabilities.experimental
    assert isinstance(experimental, dict)
    published = experimental["chatls"]["actions"]
    assert [a["id"] for a in published] == [*builtin(), "fstrings"]
    by_id = {a["id"]: a for a in published}
    assert by_id["ask"]["asks"] == {
        "argument": "question",
        "prompt": "chatls ask: ",
        "required": True,
    }
    assert by_id["refactor"]["asks"]["required"] is False
    assert by_id["fix"]["kind"] == "quickfix.chatls.fix" and by_id["fix"]["command"] == "chatls.fix"
    assert by_id["fstrings"] == {
        "id": "fstrings",
        "title": "Convert to f-strings",
        "kind": "refactor.rewrite.chatls.fstrings",
        "command": "chatls.action",
        "edits": True,
        "output": "edit",
        "offered": "always",
        "custom": True,
        "languages": ["python"],
    }
    told: list[Any] = []

    @session.client.feature("chatls/actions")
    def on_actions(params: Any) -> None:
        told.append(params)

    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"chatls": {"customActions": [LOGGING]}})
    )
    for _ in range(50):
        if told:
            break
        await asyncio.sleep(0.05)
    (notified,) = told
    ids = [a.id if hasattr(a, "id") else a["id"] for a in _actions_of(notified)]
    assert ids == [*builtin(), "log-calls"]


def _actions_of(params: Any) -> list[Any]:
    """The notification's actions, as the test client's converter left them."""
    actions = params["actions"] if isinstance(params, dict) else params.actions
    return list(actions)
