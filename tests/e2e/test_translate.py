"""Translate: the selection in another language as a new document (the command's result) or,
by setting, a new file beside the source created with ``CreateFile``; the source never
changes."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from chatls_testing.cli import chatls_run
from chatls_testing.scripted_backend import Chat, ScriptedBackend
from tests.conftest import Start

SOURCE = "def add(a, b):\n    return a + b\n"
RUST = "pub fn add(a: i64, b: i64) -> i64 {\n    a + b\n}\n"


async def test_translate_returns_a_new_document(start: Start) -> None:
    session = await start()
    uri = session.editor.open("calc.py", SOURCE)
    session.backend.script(Chat(f"Here you go:\n```rust\n{RUST}```\nIt is idiomatic."))
    rng = session.editor.range_of(uri, SOURCE.strip())
    result = await session.command(
        "chatls.translate", {"uri": uri, "range": rng, "language": "Rust", "quiet": True}
    )
    assert result == {"document": {"text": RUST, "languageId": "rust", "name": "calc.rs"}}
    assert session.editor.text(uri) == SOURCE
    assert session.editor.applied == []
    prompt = session.backend.requests[0].prompt
    assert "into Rust" in prompt and "return a + b" in prompt
    assert session.messages() == []


async def test_translate_beside_creates_a_file_and_never_overwrites(start: Start) -> None:
    session = await start(settings={"newFiles": "beside"})
    uri = session.editor.open("calc.py", SOURCE)
    existing = session.editor.root / "calc.go"
    existing.write_text("package calc // mine\n")
    go = "func Add(a, b int) int {\n\treturn a + b\n}\n"
    session.backend.script(Chat(f"```go\n{go}```"))
    at = session.editor.range_of(uri, "return").start
    result = await session.command(
        "chatls.translate",
        {"uri": uri, "range": {"start": at, "end": at}, "language": "go", "quiet": True},
    )
    created = session.editor.root / "calc.2.go"
    assert result["created"] == created.as_uri()
    assert created.read_text() == go
    assert existing.read_text() == "package calc // mine\n"
    assert session.editor.text(uri) == SOURCE
    [edit] = session.editor.applied
    assert isinstance(edit.document_changes[0], types.CreateFile)  # type: ignore[index]


async def test_beside_falls_back_to_the_result_without_resource_operations(start: Start) -> None:
    session = await start(settings={"newFiles": "beside"}, client="plain")
    uri = session.editor.open("calc.py", SOURCE)
    session.backend.script(Chat(f"```rust\n{RUST}```"))
    rng = session.editor.range_of(uri, SOURCE.strip())
    result = await session.command("chatls.translate", {"uri": uri, "range": rng, "language": "rs"})
    assert result["document"]["text"] == RUST and "created" not in result
    assert not (session.editor.root / "calc.rs").exists()
    shown = session.messages(types.MessageType.Info)
    assert any("cannot create files" in m for m in shown)
    assert any(RUST in m for m in shown)


async def test_translate_without_a_language_or_into_its_own_asks_nothing(start: Start) -> None:
    session = await start()
    uri = session.editor.open("calc.py", SOURCE)
    rng = session.editor.range_of(uri, "return a + b")
    for argument, message in (
        ({}, "Translate needs the language"),
        ({"language": "python"}, "This code is Python already."),
        ({"language": "cobol"}, "does not know the language `cobol`"),
    ):
        result = await session.command("chatls.translate", {"uri": uri, "range": rng, **argument})
        assert result is None
        assert message in session.messages(types.MessageType.Error)[-1]
    assert session.backend.requests == []


async def test_a_translation_is_checked_before_it_is_returned(start: Start) -> None:
    session = await start()
    source = "def parse_line(line):\n    return line.split(',')\n\n\ndef first_field(line):\n    return parse_line(line)[0]\n"
    uri = session.editor.open("fields.py", source)
    rng = session.editor.range_of(uri, source.strip())
    argument = {"uri": uri, "range": rng, "language": "javascript"}
    refusals = [
        (
            "function parseLine(line) {\n  return line.split(',');\n\nfunction firstField(line) {\n  return parseLine(line)[0];\n}\n",
            "The model's translation is not valid JavaScript (line 6); nothing was written.",
        ),
        (
            "function parseLine(line) {\n  return line.split(',');\n}\n",
            "The model's translation has no `first_field` (under any JavaScript spelling of the "
            "name); nothing was written.",
        ),
    ]
    for reply, message in refusals:
        seen = len(session.messages())
        session.backend.script(Chat(f"```javascript\n{reply}```"))
        assert await session.command("chatls.translate", argument) is None
        assert session.messages()[seen:] == [f"chatls: {message}"]
    # The target's own naming convention is the same name.
    good = (
        "function parseLine(line) {\n  return line.split(',');\n}\n\n"
        "const firstField = (line) => parseLine(line)[0];\n"
    )
    session.backend.script(Chat(f"```javascript\n{good}```"))
    result = await session.command("chatls.translate", {**argument, "quiet": True})
    assert result == {"document": {"text": good, "languageId": "javascript", "name": "fields.js"}}
    assert session.editor.text(uri) == source
    assert session.editor.applied == []


def test_chatls_run_translate_refuses_a_syntax_error(
    backend: ScriptedBackend, server_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "calc.py"
    path.write_text(SOURCE)
    backend.script(Chat("```rust\npub fn add(a: i64, b: i64) -> i64 {\n    a +\n}\n```"))
    out = chatls_run(
        backend,
        server_env,
        tmp_path,
        "translate",
        str(path),
        "--range",
        "1-2",
        "--to",
        "rust",
        "--apply",
    )
    assert out.returncode == 1
    assert out.stderr == (
        "chatls: The model's translation is not valid Rust (line 2); nothing was written.\n"
    )
    assert not (tmp_path / "calc.rs").exists()


def test_chatls_run_translate(
    backend: ScriptedBackend, server_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "calc.py"
    path.write_text(SOURCE)
    backend.script(Chat(f"```rust\n{RUST}```"))
    out = chatls_run(
        backend,
        server_env,
        tmp_path,
        "translate",
        str(path),
        "--range",
        "1-2",
        "--to",
        "rust",
        "--apply",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == RUST
    assert (tmp_path / "calc.rs").read_text() == RUST
    assert path.read_text() == SOURCE
