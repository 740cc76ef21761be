"""The messy-reply table, end to end: real server, real HTTP, the editor applying the edits."""

from __future__ import annotations

import pytest
from lsprotocol import types

from chatls_testing.editor import position_of
from chatls_testing.messy_replies import CASES
from chatls_testing.scripted_backend import Chat
from tests.conftest import Start


@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_messy_replies_through_the_server(start: Start, client: str) -> None:
    session = await start(client=client)
    failures = []
    for number, case in enumerate(CASES):
        text, start_offset, end_offset = case.split()
        uri = session.editor.open(f"case{number}.{case.extension}", text, language_id=case.language)
        encoding = session.editor.encoding
        rng = types.Range(
            start=position_of(text, start_offset, encoding),
            end=position_of(text, end_offset, encoding),
        )
        session.backend.script(Chat(case.reply))
        action = await session.action(uri, rng, "refactor.rewrite.chatls.refactor")
        await session.run(action)
        if session.editor.text(uri) != case.expected:
            failures.append(f"{case.id}: {session.editor.text(uri)!r} != {case.expected!r}")
    assert failures == []
    assert session.messages() == []
