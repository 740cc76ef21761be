"""Write tests: the project's framework, the file its ecosystem uses (created with CreateFile,
appended to when it exists, never overwritten), the fallback for a client that cannot create
files, and Rust's in-file module. What is written is checked first (tests in the framework's
own form that use the code, not a copy of it, that parse) and reaches the code the way the
project's layout says, whatever import the model guessed."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from lsprotocol import types

from chatls_testing.cli import chatls_run
from chatls_testing.scripted_backend import Chat, ScriptedBackend
from tests.conftest import Session, Start

KIND = "source.chatls.tests"
PY = "def add(a, b):\n    return a + b\n"
PY_TESTS = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
SHAPES = (
    "def clamp(value, low, high):\n"
    "    if value < low:\n"
    "        return low\n"
    "    if value > high:\n"
    "        return high\n"
    "    return value\n"
)
# The shapes Qwen2.5-Coder-0.5B answered with in a src-layout project: the function itself,
# and a good test with no import.
REPEATED = f"```python\n{SHAPES}```"
NO_IMPORT = "```python\ndef test_clamp():\n    assert clamp(5, 0, 3) == 3\n```"
SRC_PYPROJECT = '[project]\nname = "geom"\n\n[tool.pytest.ini_options]\npythonpath = ["src"]\n'


async def _write(session: Session, uri: str, cursor: str, reply: str) -> object:
    at = session.editor.range_of(uri, cursor).start
    action = await session.action(uri, types.Range(start=at, end=at), KIND)
    assert action.title == "chatls: Write tests"
    assert action.command is not None and action.command.command == "chatls.tests"
    session.backend.script(Chat(reply))
    return await session.run(action)


def _src_project(root: Path) -> Path:
    """A small src-layout project, as a new user has it: no tests yet."""
    (root / "pyproject.toml").write_text(SRC_PYPROJECT)
    (root / "src" / "geom").mkdir(parents=True)
    (root / "src" / "geom" / "__init__.py").write_text("")
    return root / "src" / "geom" / "shapes.py"


async def test_python_pytest_new_file_created_in_tests(start: Start) -> None:
    session = await start()
    root = session.editor.root
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    uri = session.editor.open("calc.py", PY)
    result = await _write(session, uri, "return", f"```python\n{PY_TESTS}```")
    target = root / "tests" / "test_calc.py"
    assert result["file"] == target.as_uri() and result["applied"] is True  # type: ignore[index]
    assert result["tests"] == {"count": 1, "names": ["test_add"], "run": "off"}  # type: ignore[index]
    assert target.read_text() == PY_TESTS
    assert session.editor.text(uri) == PY
    [edit] = session.editor.applied
    assert isinstance(edit.document_changes[0], types.CreateFile)  # type: ignore[index]
    prompt = session.backend.requests[0].prompt
    assert "pytest" in prompt and "tests/test_calc.py" in prompt
    assert "`from calc import add`" in prompt
    assert session.messages() == []


async def test_src_layout_tests_without_imports_get_them_and_run(start: Start) -> None:
    session = await start()
    root = session.editor.root
    source = _src_project(root)
    uri = session.editor.open(str(source.relative_to(root)), SHAPES)
    await _write(session, uri, "return low", NO_IMPORT)
    written = root / "tests" / "test_shapes.py"
    assert written.read_text() == (
        "from geom.shapes import clamp\n\n\ndef test_clamp():\n    assert clamp(5, 0, 3) == 3\n"
    )
    assert not (root / "src" / "geom" / "test_shapes.py").exists()
    assert "`from geom.shapes import clamp`" in session.backend.requests[0].prompt
    # The file runs as the project's tests run (pytest from the project's root).
    ran = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(written)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout


async def test_answers_that_are_not_tests_are_refused(start: Start) -> None:
    session = await start()
    root = session.editor.root
    source = _src_project(root)
    uri = session.editor.open(str(source.relative_to(root)), SHAPES)
    refusals = [
        (REPEATED, "The model answered with `clamp` itself rather than tests for it"),
        (
            f"```python\n{SHAPES}\n\ndef test_clamp():\n    assert clamp(5, 0, 3) == 3\n```",
            "The model's tests define their own `clamp` instead of testing yours",
        ),
        (
            "```python\ndef check():\n    assert clamp(5, 0, 3) == 3\n```",
            "The model's answer holds no pytest tests (`def test_...` functions or `class Test...`)",
        ),
        (
            "```python\ndef test_min():\n    assert min(1, 2) == 1\n```",
            "None of the model's tests uses `clamp`",
        ),
        (
            "```python\ndef test_clamp(:\n    assert clamp(5, 0, 3) == 3\n```",
            "The model's tests are not valid Python (line 1)",
        ),
    ]
    for reply, message in refusals:
        seen = len(session.messages())
        result = await _write(session, uri, "return low", reply)
        assert result is None
        assert session.messages()[seen:] == [f"chatls: {message}; nothing was written."]
    assert session.editor.applied == []
    assert not (root / "tests").exists()
    assert session.editor.text(uri) == SHAPES


async def test_python_layouts(start: Start) -> None:
    """Where each kind of project keeps its tests, and how they import the code."""
    session = await start()
    root = session.editor.root
    files = {
        "srcproj/pyproject.toml": SRC_PYPROJECT,
        "srcproj/src/geom/__init__.py": "",
        "cfgproj/setup.cfg": "[metadata]\nname = tools\n\n[options]\npackage_dir =\n    =lib\n",
        "cfgproj/lib/tools/__init__.py": "",
        "hastests/pyproject.toml": "[project]\nname = 'app'\n",
        "hastests/test/test_other.py": "def test_other():\n    pass\n",
        "configured/pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['checks']\n",
        "configured/checks/conftest.py": "",
        "flat/setup.py": "from setuptools import setup\nsetup()\n",
        "multi/pyproject.toml": "[project]\nname = 'multi'\n",
        "multi/tests/test_utils.py": "from multi_a.utils import f\n\n\ndef test_f():\n    pass\n",
        "loose/notes.txt": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    cases = [
        ("srcproj/src/geom/shapes.py", "srcproj/tests/test_shapes.py", "geom.shapes"),
        ("cfgproj/lib/tools/pad.py", "cfgproj/tests/test_pad.py", "tools.pad"),
        ("hastests/app/calc.py", "hastests/test/test_calc.py", "app.calc"),
        ("configured/pkg/calc.py", "configured/checks/test_calc.py", "pkg.calc"),
        ("flat/calc.py", "flat/tests/test_calc.py", "calc"),
        ("multi/multi_b/utils.py", "multi/tests/test_multi_b_utils.py", "multi_b.utils"),
        ("loose/calc.py", "loose/test_calc.py", "calc"),
    ]
    wrong = {}
    for source, expected, module in cases:
        uri = session.editor.open(source, PY)
        await _write(
            session, uri, "return", "```python\ndef test_add():\n    assert add(1, 2) == 3\n```"
        )
        written = root / expected
        want = f"from {module} import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
        if not written.exists() or written.read_text() != want:
            wrong[source] = written.read_text() if written.exists() else "not written"
    assert wrong == {}
    assert session.messages() == []


async def test_python_unittest_detected_and_existing_file_appended(start: Start) -> None:
    session = await start()
    root = session.editor.root
    (root / "tests").mkdir()
    mine = "import unittest\n\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n    pass\n"
    (root / "tests" / "test_calc.py").write_text(mine)
    uri = session.editor.open("calc.py", PY)
    new = "class TestAdd(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(1, 2), 3)\n"
    await _write(session, uri, "return", f"```python\n{new}```")
    assert (root / "tests" / "test_calc.py").read_text() == mine + "\n\n" + new
    prompt = session.backend.requests[0].prompt
    assert "unittest" in prompt and "class T(unittest.TestCase)" in prompt


async def test_appending_adds_the_imports_the_new_tests_lack(start: Start) -> None:
    session = await start()
    root = session.editor.root
    (root / "tests").mkdir()
    mine = '"""Tests."""\n\nfrom calc import sub\n\n\ndef test_sub():\n    assert sub(2, 1) == 1\n'
    test_uri = session.editor.open("tests/test_calc.py", mine)
    uri = session.editor.open("calc.py", PY + "\n\ndef sub(a, b):\n    return a - b\n")
    new = (
        "from calc import add\n\n\n@pytest.mark.parametrize('a, b, total', [(1, 2, 3)])\n"
        "def test_add(a, b, total):\n    assert add(a, b) == total\n"
    )
    await _write(session, uri, "return a + b", f"```python\n{new}```")
    assert session.editor.text(test_uri) == (
        '"""Tests."""\n\nfrom calc import sub\nimport pytest\nfrom calc import add\n\n\n'
        "def test_sub():\n    assert sub(2, 1) == 1\n\n\n"
        "@pytest.mark.parametrize('a, b, total', [(1, 2, 3)])\n"
        "def test_add(a, b, total):\n    assert add(a, b) == total\n"
    )


async def test_javascript_imports_follow_the_module_export_style(start: Start) -> None:
    session = await start()
    root = session.editor.root
    (root / "package.json").write_text('{"name": "calc"}')
    cjs = "function add(a, b) {\n  return a + b;\n}\n\nmodule.exports = add;\n"
    uri = session.editor.open("cjs/calc.js", cjs, "javascript")
    reply = "import { add } from '../src/calc';\n\ntest('adds', () => {\n  assert.equal(add(1, 2), 3);\n});\n"
    await _write(session, uri, "return", f"```javascript\n{reply}```")
    assert (root / "cjs" / "calc.test.js").read_text() == (
        "const { test } = require('node:test');\n"
        "const assert = require('node:assert/strict');\n"
        "const add = require('./calc.js');\n\n"
        "test('adds', () => {\n  assert.equal(add(1, 2), 3);\n});\n"
    )
    esm = "export function add(a, b) {\n  return a + b;\n}\n\nexport default add;\n"
    uri = session.editor.open("esm/calc.mjs", esm, "javascript")
    reply = "test('adds', () => {\n  assert.equal(add(1, 2), 3);\n});\n"
    await _write(session, uri, "return", f"```javascript\n{reply}```")
    assert (root / "esm" / "calc.test.mjs").read_text() == (
        "import { test } from 'node:test';\n"
        "import assert from 'node:assert/strict';\n"
        "import { add } from './calc.mjs';\n\n"
        "test('adds', () => {\n  assert.equal(add(1, 2), 3);\n});\n"
    )
    # Jest's functions are globals: an answer written for Node's runner cannot run there.
    (root / "jesty").mkdir()
    (root / "jesty" / "package.json").write_text('{"devDependencies": {"jest": "^29.0.0"}}')
    uri = session.editor.open("jesty/calc.js", cjs, "javascript")
    await _write(
        session, uri, "return", "```javascript\ntest('adds', () => { vi.fn(); add(1, 2); });\n```"
    )
    assert session.messages()[-1] == (
        "chatls: The model's tests use `vi`, which Jest does not provide; nothing was written."
    )
    assert not (root / "jesty" / "calc.test.js").exists()


async def test_a_function_its_module_does_not_export_is_refused_before_asking(start: Start) -> None:
    session = await start()
    uri = session.editor.open(
        "calc.ts",
        "function add(a: number, b: number): number {\n  return a + b;\n}\n",
        "typescript",
    )
    at = session.editor.range_of(uri, "return").start
    action = await session.action(uri, types.Range(start=at, end=at), KIND)
    assert await session.run(action) is None
    assert session.messages() == [
        "chatls: `add` is not exported from calc.ts, so a test file cannot import it: export it first."
    ]
    assert session.backend.requests == []


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
    assert "Vitest" in prompt and "`import { add } from './calc';`" in prompt


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


async def test_go_external_test_package_becomes_the_same_package(start: Start) -> None:
    session = await start()
    root = session.editor.root
    source = "package calc\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
    uri = session.editor.open("calc/calc.go", source, "go")
    reply = (
        'package calc_test\n\nimport (\n\t"fmt"\n\t"testing"\n\n\t"example.com/m/calc"\n)\n\n'
        "func TestAdd(t *testing.T) {\n\tif got := calc.Add(1, 2); got != 3 {\n"
        '\t\tt.Errorf("got %d", got)\n\t}\n}\n'
    )
    await _write(session, uri, "return", f"```go\n{reply}```")
    assert (root / "calc" / "calc_test.go").read_text() == (
        'package calc\n\nimport "testing"\n\n'
        "func TestAdd(t *testing.T) {\n\tif got := Add(1, 2); got != 3 {\n"
        '\t\tt.Errorf("got %d", got)\n\t}\n}\n'
    )


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


async def test_rust_module_appended_to_gets_use_super(start: Start) -> None:
    session = await start()
    source = (
        "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\n"
        "#[cfg(test)]\nmod checks {\n    use super::add;\n\n    #[test]\n    fn old() {\n"
        "        assert_eq!(add(0, 0), 0);\n    }\n}\n"
    )
    uri = session.editor.open("lib.rs", source, "rust")
    # The model answered with a whole module of its own: its tests join the file's module.
    reply = "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn adds() {\n        assert_eq!(add(1, 2), 3);\n    }\n}\n"
    result = await _write(session, uri, "a + b", f"```rust\n{reply}```")
    assert result["tests"]["names"] == ["adds"]  # type: ignore[index]
    assert session.editor.text(uri) == source.replace(
        "mod checks {\n    use super::add;\n",
        "mod checks {\n    use super::*;\n    use super::add;\n",
    ).replace(
        "    }\n}\n",
        "    }\n\n    #[test]\n    fn adds() {\n        assert_eq!(add(1, 2), 3);\n    }\n}\n",
    )
    # An answer that is the function again is refused; the file is left as it is.
    before = session.editor.text(uri)
    await _write(
        session, uri, "a + b", "```rust\npub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n```"
    )
    assert session.messages()[-1] == (
        "chatls: The model answered with `add` itself rather than tests for it; nothing was written."
    )
    assert session.editor.text(uri) == before


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
    assert (tmp_path / "test_calc.py").read_text() == (
        "from calc import add\n# mine\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )


def test_chatls_run_tests_src_layout_and_refusal(
    backend: ScriptedBackend, server_env: dict[str, str], tmp_path: Path
) -> None:
    source = _src_project(tmp_path)
    source.write_text(SHAPES)
    backend.script(Chat(REPEATED))
    out = chatls_run(
        backend, server_env, tmp_path, "tests", str(source), "--range", "2:5", "--apply"
    )
    assert out.returncode == 1
    assert out.stderr == (
        "chatls: The model answered with `clamp` itself rather than tests for it; nothing was "
        "written.\n"
    )
    assert out.stdout == ""
    assert not (tmp_path / "tests").exists()
    backend.script(Chat(NO_IMPORT))
    out = chatls_run(
        backend, server_env, tmp_path, "tests", str(source), "--range", "2:5", "--apply"
    )
    assert out.returncode == 0, out.stderr
    written = tmp_path / "tests" / "test_shapes.py"
    assert written.read_text() == (
        "from geom.shapes import clamp\n\n\ndef test_clamp():\n    assert clamp(5, 0, 3) == 3\n"
    )
    assert out.stdout == written.read_text()
    assert out.stderr == f"chatls: wrote {written}\n"
