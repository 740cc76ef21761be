"""Add types: annotations on Python and TypeScript signatures, everything else byte for byte;
anything more is refused with one message."""

from __future__ import annotations

import pytest
from lsprotocol import types

from chatls_testing.scripted_backend import Chat
from tests.conftest import Start

KIND = "refactor.rewrite.chatls.types"

PY = (
    "import json\n\n\n"
    "def load(path, default=None):\n"
    '    """Read JSON."""\n'
    "    with open(path) as handle:\n"
    "        return json.load(handle) or default\n"
)
PY_TYPED = (
    "import json\n\n\n"
    "def load(path: str, default: dict | None = None) -> dict | None:\n"
    '    """Read JSON."""\n'
    "    with open(path) as handle:\n"
    "        return json.load(handle) or default\n"
)
TS = "export function scale(values, factor = 2) {\n  return values.map((v) => v * factor);\n}\n"
TS_TYPED = (
    "export function scale(values: number[], factor: number = 2): number[] {\n"
    "  return values.map((v) => v * factor);\n}\n"
)


@pytest.mark.parametrize(
    ("file", "language", "source", "cursor", "reply", "expected"),
    [
        ("io.py", "python", PY, "with open", f"```python\n{PY_TYPED[13:]}```", PY_TYPED),
        ("scale.ts", "typescript", TS, "scale(", f"```typescript\n{TS_TYPED}```", TS_TYPED),
    ],
    ids=["python", "typescript"],
)
async def test_add_types(
    start: Start, file: str, language: str, source: str, cursor: str, reply: str, expected: str
) -> None:
    session = await start()
    uri = session.editor.open(file, source, language_id=language)
    at = session.editor.range_of(uri, cursor).start
    action = await session.action(uri, types.Range(start=at, end=at), KIND)
    assert action.title == "chatls: Add types"
    session.backend.script(Chat(reply))
    await session.run(action)
    assert session.messages() == []
    assert session.editor.text(uri) == expected


async def test_typing_imports_may_be_added(start: Start) -> None:
    session = await start()
    source = "def first(items):\n    return items[0]\n"
    uri = session.editor.open("a.py", source)
    at = session.editor.range_of(uri, "return").start
    action = await session.action(uri, types.Range(start=at, end=at), KIND)
    session.backend.script(
        Chat(
            "```python\nfrom typing import Sequence\n\n"
            "def first(items: Sequence[int]) -> int:\n    return items[0]\n```"
        )
    )
    await session.run(action)
    assert session.messages() == []
    assert session.editor.text(uri) == (
        "from typing import Sequence\n"
        "def first(items: Sequence[int]) -> int:\n    return items[0]\n"
    )


@pytest.mark.parametrize(
    "reply",
    [
        # the body changed
        "```python\ndef load(path: str, default: dict | None = None) -> dict | None:\n"
        '    """Read JSON."""\n    with open(path) as handle:\n        return json.load(handle)\n```',
        # a default changed
        "```python\ndef load(path: str, default: dict = {}) -> dict:\n"
        '    """Read JSON."""\n    with open(path) as handle:\n'
        "        return json.load(handle) or default\n```",
    ],
    ids=["body", "default"],
)
async def test_anything_but_annotations_is_refused(start: Start, reply: str) -> None:
    session = await start()
    uri = session.editor.open("io.py", PY)
    at = session.editor.range_of(uri, "with open").start
    action = await session.action(uri, types.Range(start=at, end=at), KIND)
    session.backend.script(Chat(reply))
    await session.run(action)
    assert session.editor.text(uri) == PY
    [error] = session.messages(types.MessageType.Error)
    assert "changes more than type annotations" in error


async def test_offered_only_in_functions_of_python_and_typescript(start: Start) -> None:
    session = await start()
    go = session.editor.open("a.go", "package a\n\nfunc F(x int) int {\n\treturn x\n}\n", "go")
    at = session.editor.range_of(go, "return").start
    assert KIND not in [a.kind for a in await session.actions(go, types.Range(start=at, end=at))]
    py = session.editor.open("b.py", "X = 1\n\n\ndef f(x):\n    return x\n")
    top = session.editor.range_of(py, "X = 1")
    assert KIND not in [a.kind for a in await session.actions(py, top)]
    inside = session.editor.range_of(py, "return x")
    assert KIND in [a.kind for a in await session.actions(py, inside)]
