"""Write tests: the project's framework, the file its ecosystem uses (created with CreateFile,
appended to when it exists, never overwritten), the fallback for a client that cannot create
files, and Rust's in-file module."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.cli import chatls_run
from tests.conftest import Session, Start
from tests.scripted_backend import Chat, ScriptedBackend

KIND = "source.chatls.tests"
PY = "def add(a, b):\n    return a + b\n"
PY_TESTS = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"


async def _write(session: Session, uri: str, cursor: str, reply: str) -> object:
    at = session.editor.range_of(uri, cursor).start
    action = await session.action(uri, types.Range(start=at, end=at), KIND)
    assert action.title == "chatls: Write tests"
    assert action.command is not None and action.command.command == "chatls.tests"
    session.backend.script(Chat(reply))
    return await session.run(action)


async def test_python_pytest_new_file_created_in_tests(start: Start) -> None:
    session = await start()
    root = session.editor.root
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    uri = session.editor.open("calc.py", PY)
    result = await _write(session, uri, "return", f"```python\n{PY_TESTS}```")
    target = root / "tests" / "test_calc.py"
    assert result["file"] == target.as_uri() and result["applied"] is True  # type: ignore[index]
    assert target.read_text() == PY_TESTS
    assert session.editor.text(uri) == PY
    [edit] = session.editor.applied
    assert isinstance(edit.document_changes[0], types.CreateFile)  # type: ignore[index]
    prompt = session.backend.requests[0].prompt
    assert "pytest" in prompt and "tests/test_calc.py" in prompt and "`calc`" in prompt


async def test_python_unittest_detected_and_existing_file_appended(start: Start) -> None:
    session = await start()
    root = session.editor.root
    (root / "tests").mkdir()
    mine = "import unittest\n\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n    pass\n"
    (root / "tests" / "test_calc.py").write_text(mine)
    uri = session.editor.open("calc.py", PY)
    new = "class TestAdd(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(1, 2), 3)\n"
    await _write(session, uri, "return", f"```python\n{new}```")
    assert (root / "tests" / "test_calc.py").read_text() == mine + "\n" + new
    prompt = session.backend.requests[0].prompt
    assert "unittest" in prompt and "class T(unittest.TestCase)" in prompt


async def test_typescript_vitest_beside_the_source(start: Start) -> None:
    session = await start()
    root = session.editor.root
    (root / "package.json").write_text('{"devDependencies": {"vitest": "^1.0.0"}}')
    source = "export function add(a: number, b: number): number {\n  return a + b;\n}\n"
    uri = session.editor.open("calc.ts", source, "typescript")
    tests = "import { expect, test } from 'vitest';\nimport { add } from './calc';\n\ntest('add', () => {\n  expect(add(1, 2)).toBe(3);\n});\n"
    await _write(session, uri, "return", f"```typescript\n{tests}```")
    assert (root / "calc.test.ts").read_text() == tests
    prompt = session.backend.requests[0].prompt
    assert "Vitest" in prompt and "`./calc`" in prompt


async def test_go_appends_to_an_open_test_file(start: Start) -> None:
    session = await start()
    source = "package calc\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
    uri = session.editor.open("calc.go", source, "go")
    existing = 'package calc\n\nimport "testing"\n\nfunc TestOld(t *testing.T) {}\n'
    test_uri = session.editor.open("calc_test.go", existing, "go")
    new = 'func TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal("bad")\n\t}\n}\n'
    await _write(session, uri, "return", f"```go\n{new}```")
    assert session.editor.text(test_uri) == existing + "\n" + new
    assert session.editor.text(uri) == source


async def test_rust_tests_go_in_the_file(start: Start) -> None:
    session = await start()
    source = "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n"
    uri = session.editor.open("lib.rs", source, "rust")
    module = "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn adds() {\n        assert_eq!(add(1, 2), 3);\n    }\n}\n"
    await _write(session, uri, "a + b", f"```rust\n{module}```")
    assert session.editor.text(uri) == source + "\n" + module
    # Refine re-runs an edit action: it is not offered on the tests Write tests added.
    inside = session.editor.range_of(uri, "fn adds()")
    assert "refactor.rewrite.chatls.refine" not in [
        a.kind for a in await session.actions(uri, inside)
    ]
    more = "#[test]\nfn adds_negatives() {\n    assert_eq!(add(-1, -2), -3);\n}\n"
    await _write(session, uri, "a + b", f"```rust\n{more}```")
    assert session.editor.text(uri) == source + "\n" + module.replace(
        "    }\n}\n",
        "    }\n\n    #[test]\n    fn adds_negatives() {\n        assert_eq!(add(-1, -2), -3);\n    }\n}\n",
    )


async def test_client_without_resource_operations_gets_the_document(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("calc.py", PY)
    result = await _write(session, uri, "return", f"```python\n{PY_TESTS}```")
    assert result == {  # type: ignore[comparison-overlap]
        "document": {"text": PY_TESTS, "languageId": "python", "name": "test_calc.py"}
    }
    assert not (session.editor.root / "test_calc.py").exists()
    assert session.editor.applied == []
    shown = session.messages(types.MessageType.Info)
    assert any("cannot create files" in m for m in shown)


async def test_not_offered_outside_functions_or_for_other_languages(start: Start) -> None:
    session = await start()
    uri = session.editor.open("calc.py", "X = 1\n\n\n" + PY)
    assert KIND not in [
        a.kind for a in await session.actions(uri, session.editor.range_of(uri, "X = 1"))
    ]
    assert KIND in [
        a.kind for a in await session.actions(uri, session.editor.range_of(uri, "return"))
    ]
    lua = session.editor.open("a.lua", "function f()\n  return 1\nend\n", "lua")
    assert KIND not in [
        a.kind for a in await session.actions(lua, session.editor.range_of(lua, "return"))
    ]


def test_chatls_run_tests_never_overwrites(
    backend: ScriptedBackend, server_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "calc.py").write_text(PY)
    (tmp_path / "test_calc.py").write_text("# mine\n")
    backend.script(Chat(f"```python\n{PY_TESTS}```"))
    out = chatls_run(
        backend,
        server_env,
        tmp_path,
        "tests",
        str(tmp_path / "calc.py"),
        "--range",
        "2:5",
        "--apply",
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "test_calc.py").read_text() == "# mine\n\n" + PY_TESTS
