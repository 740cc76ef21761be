"""The files generated from config.py's docstrings (docs/settings.md, the VS Code extension's
settings in package.json) match what the generator writes today."""

from __future__ import annotations

import json

import pytest

from scripts import gen_docs


@pytest.mark.parametrize(
    "path", [gen_docs.SETTINGS_DOC, gen_docs.PACKAGE_JSON], ids=lambda p: p.name
)
def test_generated_file_is_current(path: object) -> None:
    assert path in gen_docs.outputs()
    assert path not in gen_docs.stale(), (
        f"{path} is out of date with server/chatls/config.py: run `{gen_docs.COMMAND}` and "
        "commit the result"
    )


def test_every_setting_is_documented() -> None:
    text = gen_docs.SETTINGS_DOC.read_text(encoding="utf-8")
    for setting in gen_docs.fields(gen_docs.config.Settings):
        assert f"| `{setting.path}` |" in text


def test_vscode_contributes_every_server_setting_but_those_it_supplies_itself() -> None:
    manifest = json.loads(gen_docs.PACKAGE_JSON.read_text(encoding="utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]
    server = {setting.path for setting in gen_docs.fields(gen_docs.config.Settings)}
    contributed = {key.removeprefix("chatls.") for key in properties} & server
    assert contributed == server - set(gen_docs.VSCODE_LEFT_OUT)
    assert "trustedFolders" not in properties["chatls.tests"]["properties"]
    assert properties["chatls.inlineCompletion"]["properties"]["maxTokens"]["default"] == 64


def test_enum_values_are_described_one_by_one() -> None:
    properties = gen_docs.contributed()
    backend = properties["chatls.backend"]
    assert backend["enum"] == ["auto", "local", "remote"]
    assert backend["enumDescriptions"][1] == "The built-in llama.cpp server."

