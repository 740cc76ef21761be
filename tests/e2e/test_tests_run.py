"""``tests.run``: the tests Write tests wrote, run with the project's own runner once the editor
has them (saved or not), in the background under cancellable progress, without network and
within ``tests.timeout``; only in a trusted workspace; reported in one message. Real runners:
pytest (this venv's, found through ``$VIRTUAL_ENV`` as for a user who started the editor from
an activated environment), Node's test runner, ``go test``, cargo."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from chatls_testing.cli import chatls_run
from chatls_testing.scripted_backend import Chat, ScriptedBackend
from tests.conftest import Session, Start

KIND = "source.chatls.tests"
SHAPES = (
    "def clamp(value, low, high):\n"
    "    if value < low:\n"
    "        return low\n"
    "    if value > high:\n"
    "        return high\n"
    "    return value\n"
)
PYPROJECT = '[project]\nname = "geom"\n\n[tool.pytest.ini_options]\npythonpath = ["src"]\n'
PASSING = (
    "```python\ndef test_low():\n    assert clamp(-1, 0, 3) == 0\n\n\n"
    "def test_high():\n    assert clamp(5, 0, 3) == 3\n```"
)
ON = {"tests": {"run": "on"}, "workspaceTrusted": True}


@pytest.fixture
def server_env(server_env: dict[str, str]) -> dict[str, str]:
    # The project's interpreter: the one this test suite runs in, which has pytest. The tests
    # give the server a HOME of its own; rustup's toolchains stay the user's.
    home = Path.home()
    return {
        **server_env,
        "VIRTUAL_ENV": sys.prefix,
        "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(home / ".rustup")),
        "CARGO_HOME": os.environ.get("CARGO_HOME", str(home / ".cargo")),
    }


def _project(root: Path) -> str:
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "src" / "geom").mkdir(parents=True)
    (root / "src" / "geom" / "__init__.py").write_text("")
    return "src/geom/shapes.py"


async def _write(session: Session, uri: str, cursor: str, reply: str) -> Any:
    at = session.editor.range_of(uri, cursor).start
    action = await session.action(uri, types.Range(start=at, end=at), KIND)
    session.backend.script(Chat(reply))
    return await session.run(action)


async def _message(session: Session, needle: str, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [m for m in session.messages() if needle in m]
        if found:
            return found[-1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no message with {needle!r}: {session.messages()}")


async def _progress_token(session: Session, title: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for token, reports in session.client.progress_reports.items():
            if reports and getattr(reports[0], "title", "") == title:
                return str(token)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no progress titled {title!r}")


async def test_new_tests_run_with_pytest_and_pass(start: Start) -> None:
    session = await start(settings=ON)
    root = session.editor.root
    uri = session.editor.open(_project(root), SHAPES)
    result = await _write(session, uri, "return low", PASSING)
    assert result["tests"] == {"count": 2, "names": ["test_low", "test_high"], "run": "started"}
    message = await _message(session, "tests written")
    assert message == "chatls: 2 tests written to tests/test_shapes.py: 2 passed."
    token = await _progress_token(session, "chatls: running 2 new tests")
    assert isinstance(session.client.progress_reports[token][-1], types.WorkDoneProgressEnd)
    # Only the test file: the run left nothing of its own behind.
    assert sorted(p.name for p in (root / "tests").iterdir()) == ["test_shapes.py"]
    assert not (root / ".pytest_cache").exists()


async def test_a_failing_test_is_kept_and_reported(start: Start) -> None:
    session = await start(settings=ON)
    root = session.editor.root
    uri = session.editor.open(_project(root), SHAPES)
    reply = PASSING.replace("clamp(5, 0, 3) == 3", "clamp(5, 0, 3) == 5")
    await _write(session, uri, "return low", reply)
    message = await _message(session, "tests written")
    assert message.startswith(
        "chatls: 2 tests written to tests/test_shapes.py: 1 passed, 1 failed (it is kept: a "
        "failing test may have found a bug, or be wrong itself).\n- test_high: assert 3 == 5"
    )
    assert "assert clamp(5, 0, 3) == 5" in (root / "tests" / "test_shapes.py").read_text()


async def test_an_unsaved_test_file_runs_as_the_editor_has_it(start: Start) -> None:
    session = await start(settings=ON)
    root = session.editor.root
    uri = session.editor.open(_project(root), SHAPES)
    mine = "from geom.shapes import clamp\n\n\ndef test_old():\n    assert False\n"
    # Open with a change the editor has not saved: the old test is not run, the new one is.
    test_uri = session.editor.open("tests/test_shapes.py", mine)
    (root / "tests" / "test_shapes.py").write_text("# stale on disk\n")
    await _write(
        session,
        uri,
        "return low",
        "```python\ndef test_low():\n    assert clamp(-1, 0, 3) == 0\n```",
    )
    assert "def test_old" in session.editor.text(test_uri)
    message = await _message(session, "test written")
    assert message == "chatls: 1 test written to tests/test_shapes.py: 1 passed."
    assert (root / "tests" / "test_shapes.py").read_text() == "# stale on disk\n"
    assert sorted(p.name for p in (root / "tests").iterdir()) == ["test_shapes.py"]


async def test_off_by_default_and_never_in_an_untrusted_workspace(start: Start) -> None:
    off = await start()
    uri = off.editor.open(_project(off.editor.root), SHAPES)
    result = await _write(off, uri, "return low", PASSING)
    assert result["tests"]["run"] == "off"
    assert off.messages() == []
    untrusted = await start(settings={"tests": {"run": "on"}})
    uri = untrusted.editor.open(_project(untrusted.editor.root), SHAPES)
    result = await _write(untrusted, uri, "return low", PASSING)
    assert result["tests"]["run"] == "untrusted"
    assert untrusted.messages() == [
        "chatls: 2 tests written to tests/test_shapes.py; not run: chatls runs tests only in a "
        "workspace you trust: VS Code's workspace trust, or in other editors a folder listed in "
        "`tests.trustedFolders`."
    ]
    # VS Code's verdict wins over the folders a user lists for other editors.
    vetoed = await start(
        settings={"tests": {"run": "on", "trustedFolders": ["/"]}, "workspaceTrusted": False}
    )
    uri = vetoed.editor.open(_project(vetoed.editor.root), SHAPES)
    assert (await _write(vetoed, uri, "return low", PASSING))["tests"]["run"] == "untrusted"


async def test_a_trusted_folder_lets_tests_run(start: Start, tmp_path: Path) -> None:
    session = await start(settings={"tests": {"run": "on", "trustedFolders": [str(tmp_path)]}})
    uri = session.editor.open(_project(session.editor.root), SHAPES)
    result = await _write(session, uri, "return low", PASSING)
    assert result["tests"]["run"] == "started"
    assert await _message(session, "tests written") == (
        "chatls: 2 tests written to tests/test_shapes.py: 2 passed."
    )


async def test_tests_run_without_network(start: Start) -> None:
    session = await start(settings=ON)
    uri = session.editor.open(_project(session.editor.root), SHAPES)
    host, port = session.backend.url.split("//")[1].split("/")[0].split(":")
    reply = (
        "```python\nimport socket\n\nimport pytest\n\n\ndef test_offline():\n"
        "    assert clamp(1, 0, 3) == 1\n    with pytest.raises(OSError):\n"
        f"        socket.create_connection(({host!r}, {port}), timeout=5)\n```"
    )
    await _write(session, uri, "return low", reply)
    assert await _message(session, "test written") == (
        "chatls: 1 test written to tests/test_shapes.py: 1 passed."
    )


async def test_a_slow_run_is_stopped_at_the_time_limit(start: Start) -> None:
    session = await start(settings={**ON, "tests": {"run": "on", "timeout": 2}})
    root = session.editor.root
    uri = session.editor.open(_project(root), SHAPES)
    marker = root / "finished"
    reply = (
        "```python\nimport time\n\n\ndef test_slow():\n    time.sleep(4)\n"
        f"    open({str(marker)!r}, 'w').close()\n    assert clamp(1, 0, 3) == 1\n```"
    )
    started = time.monotonic()
    await _write(session, uri, "return low", reply)
    # The server keeps answering while the tests run.
    listed = await session.actions(uri, session.editor.range_of(uri, "return low"))
    assert KIND in [a.kind for a in listed]
    assert not [m for m in session.messages() if "written" in m]
    message = await _message(session, "test written")
    assert message == (
        "chatls: 1 test written to tests/test_shapes.py; pytest was stopped after 2 s "
        "(`tests.timeout`)."
    )
    await asyncio.sleep(max(0.0, started + 5 - time.monotonic()))
    assert not marker.exists()


async def test_a_run_is_cancelled_from_its_progress(start: Start) -> None:
    session = await start(settings=ON)
    root = session.editor.root
    uri = session.editor.open(_project(root), SHAPES)
    marker = root / "finished"
    reply = (
        "```python\nimport time\n\n\ndef test_slow():\n    time.sleep(3)\n"
        f"    open({str(marker)!r}, 'w').close()\n    assert clamp(1, 0, 3) == 1\n```"
    )
    await _write(session, uri, "return low", reply)
    token = await _progress_token(session, "chatls: running 1 new test")
    session.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    message = await _message(session, "cancelled")
    assert (
        message
        == "chatls: The run of the new tests in tests/test_shapes.py was cancelled; they are kept."
    )
    await asyncio.sleep(4)
    assert not marker.exists()
    assert (root / "tests" / "test_shapes.py").exists()


async def test_node_test_runner(start: Start) -> None:
    session = await start(settings=ON)
    root = session.editor.root
    (root / "package.json").write_text('{"name": "calc"}')
    source = "function add(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add };\n"
    uri = session.editor.open("calc.js", source, "javascript")
    reply = "describe('add', () => {\n  it('adds', () => assert.equal(add(1, 2), 3));\n  it('subtracts', () => assert.equal(add(1, -1), 1));\n});\n"
    await _write(session, uri, "return", f"```javascript\n{reply}```")
    message = await _message(session, "tests written")
    assert message.startswith(
        "chatls: 2 tests written to calc.test.js: 1 passed, 1 failed (it is kept: a failing "
        "test may have found a bug, or be wrong itself).\n- subtracts: Expected values to be "
        "strictly equal:"
    )


async def test_rust_tests_run_in_a_copy_of_the_crate_while_unsaved(start: Start) -> None:
    session = await start(settings=ON)
    root = session.editor.root
    (root / "Cargo.toml").write_text(
        '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n'
    )
    source = (
        "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\n"
        "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn old() {\n"
        "        assert_eq!(add(0, 0), 1);\n    }\n}\n"
    )
    uri = session.editor.open("src/lib.rs", source, "rust")
    more = "#[test]\nfn adds() {\n    assert_eq!(add(1, 2), 3);\n}\n"
    await _write(session, uri, "a + b", f"```rust\n{more}```")
    message = await _message(session, "test written", seconds=300)
    # Only the new test ran (the old one fails), from the text the editor holds.
    assert message == "chatls: 1 test written to src/lib.rs: 1 passed."
    assert (root / "src" / "lib.rs").read_text() == source
    assert not (root / "target").exists()


def test_chatls_run_runs_the_new_tests(
    backend: ScriptedBackend, server_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / _project(tmp_path)
    source.write_text(SHAPES)
    backend.script(Chat(PASSING))
    out = chatls_run(
        backend,
        server_env,
        tmp_path,
        "tests",
        str(source),
        "--range",
        "2:5",
        "--apply",
        "--run-tests",
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines() == [
        f"chatls: wrote {tmp_path / 'tests' / 'test_shapes.py'}",
        "chatls: 2 tests written to tests/test_shapes.py: 2 passed.",
    ]
    backend.script(Chat(PASSING.replace("test_low", "test_low_again")))
    out = chatls_run(
        backend, server_env, tmp_path, "tests", str(source), "--range", "2:5", "--run-tests"
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == (
        "chatls: 2 tests written; not run: the tests run from their file, so `tests.run` needs "
        "--apply.\n"
    )


async def test_go_runs_only_the_new_tests_of_an_unsaved_test_file(start: Start) -> None:
    """Appended to an open ``_test.go`` the editor has not saved: ``go test -run`` runs the new
    tests alone (the old one fails), from the text the editor holds, and the package on disk
    is left as it was."""
    session = await start(settings=ON)
    root = session.editor.root
    (root / "go.mod").write_text("module example.com/calc\n\ngo 1.19\n")
    source = "package calc\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
    uri = session.editor.open("calc.go", source, "go")
    existing = (
        'package calc\n\nimport "testing"\n\nfunc TestOld(t *testing.T) {\n'
        '\tt.Fatal("the old test fails")\n}\n'
    )
    (root / "calc_test.go").write_text(existing)
    session.editor.open("calc_test.go", existing, "go")
    new = (
        "func TestAddsTwoNumbers(t *testing.T) {\n\tif got := Add(1, 2); got != 3 {\n"
        '\t\tt.Fatalf("Add(1, 2) = %d, want 3", got)\n\t}\n}\n\n'
        "func TestAddsANegative(t *testing.T) {\n\tif got := Add(1, -1); got != 2 {\n"
        '\t\tt.Fatalf("Add(1, -1) = %d, want 2", got)\n\t}\n}\n'
    )
    await _write(session, uri, "return", f"```go\n{new}```")
    message = await _message(session, "tests written", seconds=300)
    assert message.startswith(
        "chatls: 2 tests written to calc_test.go: 1 passed, 1 failed (it is kept: a failing "
        "test may have found a bug, or be wrong itself).\n- TestAddsANegative:"
    ), message
    assert "Add(1, -1) = 0, want 2" in message
    assert "TestOld" not in message
    assert (root / "calc_test.go").read_text() == existing
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == [
        "calc.go",
        "calc_test.go",
        "go.mod",
    ]
