from __future__ import annotations

from chatls_testing.scripted_backend import Chat
from tests.conftest import Start

SOURCE = """import os


def total(items):
    result = 0
    for item in items:
        result = result + item
    return result
"""


async def test_refactor_resolve(start: Start) -> None:
    session = await start()
    uri = session.editor.open("calc.py", SOURCE)
    session.backend.script(
        Chat("Here you go:\n```python\nresult = 0\nfor item in items:\n    result += item\n```\n")
    )
    rng = session.editor.range_of(
        uri, "    result = 0\n    for item in items:\n        result = result + item\n"
    )
    action = await session.action(uri, rng, "refactor.rewrite.chatls.refactor")
    assert action.data is not None and action.command is None
    resolved = await session.run(action)
    assert resolved.edit is not None, session.messages()
    assert session.editor.text(uri) == SOURCE.replace("result = result + item", "result += item")
