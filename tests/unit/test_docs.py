"""The files generated from config.py's docstrings (docs/settings.md, the VS Code extension's
settings in package.json) match what the generator writes today."""

from __future__ import annotations

import json
import re
from pathlib import Path

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


DOCUMENTS = [
    gen_docs.ROOT / name
    for name in ("README.md", "CONTRIBUTING.md", "bench/README.md", "clients/README.md")
] + sorted((gen_docs.ROOT / "docs").glob("*.md"))


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a document's headings."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(gen_docs.ROOT)))
def test_links_between_documents_resolve(document: Path) -> None:
    text = re.sub(r"```.*?```", "", document.read_text(encoding="utf-8"), flags=re.S)
    for target, anchor in re.findall(r"\]\(([^)#:\s]*)(?:#([^)\s]+))?\)", text):
        linked = (document.parent / target).resolve() if target else document
        assert linked.exists(), f"{document.name} links to {target}, which does not exist"
        if anchor:
            assert anchor in _anchors(linked), f"{document.name} links to {target}#{anchor}"
