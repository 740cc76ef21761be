"""Implement: offered only on a placeholder body or a TODO/FIXME line (listing reads text, never
asks a model), written in place through the edit pipeline, signature kept, in Python,
TypeScript, Go and Rust."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from chatls_testing.cli import chatls_run
from chatls_testing.scripted_backend import Chat, ScriptedBackend
from tests.conftest import Start

KIND = "refactor.rewrite.chatls.implement"

CASES = [
    (
        "python pass, method with a docstring",
        "shapes.py",
        "python",
        'class Box:\n    def area(self, w: int, h: int) -> int:\n        """Area of a w by h box."""\n'
        "        pass\n\n    def name(self) -> str:\n        return 'box'\n",
        "pass",
        # The model answers with the function unindented: re-indented into the class.
        '```python\ndef area(self, w: int, h: int) -> int:\n    """Area of a w by h box."""\n'
        "    return w * h\n```",
        'class Box:\n    def area(self, w: int, h: int) -> int:\n        """Area of a w by h box."""\n'
        "        return w * h\n\n    def name(self) -> str:\n        return 'box'\n",
    ),
    (
        "python TODO comment",
        "todo.py",
        "python",
        "def load(path):\n    # TODO: read the file at path and return its lines\n    return []\n",
        "TODO",
        "```python\nwith open(path) as handle:\n    lines = handle.read().splitlines()\n```",
        "def load(path):\n    with open(path) as handle:\n        lines = handle.read().splitlines()\n"
        "    return []\n",
    ),
    (
        "typescript throw not implemented",
        "sum.ts",
        "typescript",
        "export function sum(values: number[]): number {\n"
        "  throw new Error('not implemented');\n}\n",
        "sum(",
        "```typescript\nexport function sum(values: number[]): number {\n"
        "  return values.reduce((a, b) => a + b, 0);\n}\n```",
        "export function sum(values: number[]): number {\n"
        "  return values.reduce((a, b) => a + b, 0);\n}\n",
    ),
    (
        "go panic not implemented",
        "add.go",
        "go",
        'package calc\n\n// Add returns a + b.\nfunc Add(a, b int) int {\n\tpanic("not implemented")\n}\n',
        "panic",
        "```go\nfunc Add(a, b int) int {\n    return a + b\n}\n```",
        "package calc\n\n// Add returns a + b.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n",
    ),
    (
        "rust todo!()",
        "lib.rs",
        "rust",
        "pub fn double(x: i32) -> i32 {\n    todo!()\n}\n",
        "todo!",
        "```rust\npub fn double(x: i32) -> i32 {\n    x * 2\n}\n```",
        "pub fn double(x: i32) -> i32 {\n    x * 2\n}\n",
    ),
]


@pytest.mark.parametrize(
    ("name", "file", "language", "source", "cursor", "reply", "expected"),
    CASES,
    ids=[c[0] for c in CASES],
)
async def test_implement(
    start: Start,
    name: str,
    file: str,
    language: str,
    source: str,
    cursor: str,
    reply: str,
    expected: str,
) -> None:
    session = await start()
    uri = session.editor.open(file, source, language_id=language)
    at = session.editor.range_of(uri, cursor).start
    action = await session.action(uri, types.Range(start=at, end=at), KIND)
    assert action.title == "chatls: Implement"
    assert session.backend.requests == []
    session.backend.script(Chat(reply))
    await session.run(action)
    assert session.messages() == []
    assert session.editor.text(uri) == expected


async def test_not_offered_on_a_function_that_has_a_body(start: Start) -> None:
    session = await start()
    uri = session.editor.open("a.py", "def f(x):\n    return x\n\n\ndef g():\n    pass\n")
    rng = session.editor.range_of(uri, "return x")
    assert KIND not in [a.kind for a in await session.actions(uri, rng)]
    assert KIND in [a.kind for a in await session.actions(uri, session.editor.range_of(uri, "g("))]


async def test_by_command_in_a_client_without_resolve(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("a.rs", "fn half(x: f64) -> f64 { unimplemented!() }\n", "rust")
    at = session.editor.range_of(uri, "half").start
    action = await session.action(uri, types.Range(start=at, end=at), KIND)
    assert action.command is not None and action.command.command == "chatls.implement"
    session.backend.script(Chat("```rust\nfn half(x: f64) -> f64 {\n    x / 2.0\n}\n```"))
    result = await session.run(action)
    assert result["applied"] is True
    assert session.editor.text(uri) == "fn half(x: f64) -> f64 {\n    x / 2.0\n}\n"


async def test_refuses_a_changed_signature_and_a_body_still_a_stub(start: Start) -> None:
    session = await start()
    source = "def area(w, h):\n    ...\n"
    uri = session.editor.open("a.py", source)
    at = session.editor.range_of(uri, "...").start
    for reply, message in (
        ("```python\ndef area(w, h, d):\n    return w * h * d\n```", "signature"),
        ("```python\ndef area(w, h):\n    pass\n```", "still a placeholder"),
    ):
        action = await session.action(uri, types.Range(start=at, end=at), KIND)
        session.backend.script(Chat(reply))
        await session.run(action)
        assert session.editor.text(uri) == source
        errors = session.messages(types.MessageType.Error)
        assert len(errors) >= 1 and message in errors[-1], errors


async def test_refuses_an_answer_that_also_writes_other_functions(start: Start) -> None:
    # Recorded from Qwen2.5-Coder-0.5B (bench/quality.py, shlex): besides the body, it wrote a
    # `_find_unsafe` function that would have shadowed the module's own `_find_unsafe`.
    session = await start()
    source = (
        "import re\n\n_find_unsafe = re.compile(r'[^\\w@%+=:,./-]').search\n\n\n"
        "def _print_tokens(lexer):\n    pass\n"
    )
    uri = session.editor.open("a.py", source)
    at = session.editor.range_of(uri, "pass").start
    reply = (
        "```python\ndef _find_unsafe(s):\n    return []\n\n"
        "def _print_tokens(lexer):\n    for token in lexer:\n        print(token)\n```"
    )
    action = await session.action(uri, types.Range(start=at, end=at), KIND)
    session.backend.script(Chat(reply))
    await session.run(action)
    assert session.editor.text(uri) == source
    errors = session.messages(types.MessageType.Error)
    assert len(errors) == 1 and "changes code outside" in errors[0], errors


async def test_run_elsewhere_says_where_it_applies(start: Start) -> None:
    session = await start()
    uri = session.editor.open("a.py", "x = 1\n")
    rng = session.editor.range_of(uri, "x = 1")
    result = await session.command("chatls.implement", {"uri": uri, "range": rng})
    assert result is None
    assert "Implement works on a function" in session.messages(types.MessageType.Error)[0]
    assert session.backend.requests == []


def test_chatls_run_implement(
    backend: ScriptedBackend, server_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "lib.go"
    path.write_text("package lib\n\nfunc Twice(x int) int {\n}\n")
    backend.script(Chat("```go\nfunc Twice(x int) int {\n\treturn 2 * x\n}\n```"))
    out = chatls_run(
        backend, server_env, tmp_path, "implement", str(path), "--range", "3:6", "--apply"
    )
    assert out.returncode == 0, out.stderr
    assert path.read_text() == "package lib\n\nfunc Twice(x int) int {\n\treturn 2 * x\n}\n"
