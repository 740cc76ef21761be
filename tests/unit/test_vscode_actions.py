"""The VS Code extension's actions (``src/generated/actions.ts`` and the commands and menus in
``package.json``) are generated from the server's registry and match what the generator writes
today; a new action reaches them through the generator alone."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chatls.actions import registry
from chatls.actions.declaration import Action, Asks, Offer
from chatls.actions.registry import published
from chatls.config import Settings
from scripts import gen_docs, gen_vscode_actions


@pytest.mark.parametrize(
    "path", [gen_vscode_actions.ACTIONS_TS, gen_docs.PACKAGE_JSON], ids=lambda p: p.name
)
def test_generated_file_is_current(path: object) -> None:
    assert path in gen_docs.outputs()
    assert path not in gen_docs.stale(), (
        f"{path} is out of date with the server's actions: run `{gen_docs.COMMAND}` and commit "
        "the result"
    )


def test_the_extension_knows_the_actions_the_server_publishes() -> None:
    text = gen_vscode_actions.ACTIONS_TS.read_text(encoding="utf-8")
    listed = re.search(r"BUILTIN_ACTIONS: readonly PublishedAction\[\] = (\[.*?\n\]);", text, re.S)
    assert listed is not None
    server = published(Settings())
    assert json.loads(listed[1]) == server["actions"]
    assert f'CUSTOM_COMMAND = "{server["customCommand"]}"' in text


def test_package_json_has_a_command_and_menu_entries_per_action() -> None:
    manifest = json.loads(gen_docs.PACKAGE_JSON.read_text(encoding="utf-8"))
    contributes = manifest["contributes"]
    ids = [action["id"] for action in published(Settings())["actions"]]
    generated = [
        entry["command"].removeprefix(gen_vscode_actions.PREFIX)
        for entry in contributes["commands"]
        if entry["command"].startswith(gen_vscode_actions.PREFIX)
    ]
    assert generated == ids
    for menu in ("editor/context", "commandPalette"):
        commands = [entry["command"] for entry in contributes["menus"][menu]]
        assert [c for c in commands if c.startswith(gen_vscode_actions.PREFIX)] == [
            gen_vscode_actions.PREFIX + action_id for action_id in ids
        ]
    # The extension's own commands stay beside them.
    assert "chatls.runAction" in [entry["command"] for entry in contributes["commands"]]


async def _run(*_: object) -> Any:
    raise AssertionError("never run")


def test_a_new_action_reaches_the_extension_through_the_generator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new = Action(
        "summarize",
        "Summarize",
        "refactor.chatls.summarize",
        _run,
        output="markdown",
        asks=Asks("instruction", "chatls summarize (focus, optional): "),
        offer=Offer(languages=("python",)),
    )
    builtin = registry.builtin()
    monkeypatch.setattr(gen_vscode_actions, "builtin", lambda: {**builtin, new.id: new})
    assert "chatls.run.summarize" not in gen_docs.PACKAGE_JSON.read_text(encoding="utf-8")
    manifest = json.loads(gen_docs.package_json(gen_docs.PACKAGE_JSON.read_text(encoding="utf-8")))
    command = manifest["contributes"]["commands"][len(builtin)]
    assert command == {
        "command": "chatls.run.summarize",
        "title": "Summarize…",
        "category": "chatls",
    }
    (entry,) = [
        e
        for e in manifest["contributes"]["menus"]["editor/context"]
        if e["command"] == "chatls.run.summarize"
    ]
    assert entry["when"] == "editorTextFocus && editorLangId =~ /^(python)$/"
    assert '"id": "summarize"' in gen_vscode_actions.typescript()
    assert gen_docs.stale() == [gen_docs.PACKAGE_JSON, gen_vscode_actions.ACTIONS_TS]
