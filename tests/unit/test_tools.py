"""The workspace tools without a server: path safety, ignored files, the index and what each
tool answers."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from chatls.config import DEFAULT_EXCLUDE, Settings
from chatls.tools.files import FileRules, ToolError, WorkspaceFiles
from chatls.tools.index import SymbolIndex
from chatls.tools.toolbox import NAME, SCHEMAS, Toolbox, definitions, label, parse_arguments

CONFIG = '''"""Settings."""
from dataclasses import dataclass


@dataclass
class Config:
    """What the app reads at start-up."""

    path: str
    retries: int = 3

    def load(self) -> str:
        return open(self.path).read()


def parse_config(text: str, strict: bool = False) -> Config:
    """Parse TEXT into a Config."""
    return Config(text)
'''

APP = """from config import parse_config


def main():
    return parse_config("x", True)
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "config.py").write_text(CONFIG)
    (root / "app.py").write_text(APP)
    (root / ".env").write_text("TOKEN=secret-env\n")
    (root / "notes.txt").write_text("parse_config is documented here\n")
    (root / "build").mkdir()
    (root / "build" / "gen.py").write_text("def parse_config(): pass\n")
    (root / ".gitignore").write_text("build/\n*.log\n!keep.log\n")
    (root / "debug.log").write_text("log\n")
    (root / "keep.log").write_text("kept\n")
    (root / "node_modules" / "lib").mkdir(parents=True)
    (root / "node_modules" / "lib" / "index.js").write_text("function parse_config() {}\n")
    (root / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[remote] url = https://token@host/x\n")
    outside = tmp_path / "home" / ".ssh"
    outside.mkdir(parents=True)
    (outside / "id_rsa").write_text("PRIVATE KEY\n")
    (outside / "notes.py").write_text("SECRET = 1\n")
    os.symlink(outside / "notes.py", root / "linked.py")
    os.symlink(outside, root / "sshdir")
    os.symlink(root / "pkg" / "config.py", root / "alias.py")
    os.symlink(root / ".env", root / "env.txt")
    return root


def files(root: Path, **rules: object) -> WorkspaceFiles:
    return WorkspaceFiles([str(root)], FileRules(exclude=DEFAULT_EXCLUDE, **rules))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/etc/passwd", "not a path relative to the workspace root"),
        ("~/.ssh/id_rsa", "not a path relative to the workspace root"),
        ("file:///etc/passwd", "not a path relative to the workspace root"),
        ("C:\\Windows\\win.ini", "not a path relative to the workspace root"),
        ("../home/.ssh/id_rsa", "`..` is not allowed"),
        ("pkg/../../home/.ssh/id_rsa", "`..` is not allowed"),
        ("linked.py", "leads outside the workspace"),
        ("sshdir/notes.py", "leads outside the workspace"),
        ("sshdir/id_rsa", "matches the `exclude` pattern `id_rsa*`"),
        (".env", "matches the `exclude` pattern `.env`"),
        ("env.txt", "matches the `exclude` pattern `.env`"),
        ("build/gen.py", "ignored by the workspace's .gitignore"),
        ("debug.log", "ignored by the workspace's .gitignore"),
        (".git/config", "inside `.git`"),
        ("pkg", "is a directory"),
        ("missing.py", "there is no file"),
        ("", "must be a file path"),
        ("./", "names the workspace folder"),
    ],
)
def test_paths_outside_or_forbidden_are_refused(workspace: Path, path: str, why: str) -> None:
    with pytest.raises(ToolError, match=re.escape(why)):
        files(workspace).resolve(path)


def test_allowed_paths_resolve_to_the_real_file(workspace: Path) -> None:
    found = files(workspace)
    assert found.resolve("pkg/config.py").relative == "pkg/config.py"
    assert found.resolve("./pkg//config.py").relative == "pkg/config.py"
    assert found.resolve("pkg\\config.py").relative == "pkg/config.py"
    # A link inside the workspace leads to the file it names.
    assert found.resolve("alias.py").relative == "pkg/config.py"
    # Negated ignore patterns are honoured; with gitignore off, ignored files are readable.
    assert found.resolve("keep.log").relative == "keep.log"
    assert files(workspace, gitignore=False).resolve("build/gen.py").relative == "build/gen.py"


def test_binary_and_oversized_files_are_not_read(workspace: Path) -> None:
    found = files(workspace)
    with pytest.raises(ToolError, match="binary"):
        found.read(found.resolve("blob.bin"), {})
    (workspace / "big.py").write_text("x = 1\n" * 300)
    small = files(workspace, max_bytes=1000)
    with pytest.raises(ToolError, match=r"is 1,800 bytes, over the 1,000-byte limit \(setting"):
        small.read(small.resolve("big.py"), {})
    # The editor's unsaved text is held to the same limit.
    real = os.path.realpath(workspace / "app.py")
    with pytest.raises(ToolError, match="over the 1,000-byte limit"):
        small.read(small.resolve("app.py"), {real: "y = 2\n" * 300})
    (workspace / "latin1.py").write_bytes("x = 'é'\n".encode("latin-1"))
    with pytest.raises(ToolError, match="not UTF-8"):
        found.read(found.resolve("latin1.py"), {})


def test_the_walk_skips_what_may_not_be_read(workspace: Path) -> None:
    walked = sorted(f.relative for f, _ in files(workspace).walk())
    # Links, .git, node_modules, ignored and excluded files are not walked; binary files are,
    # and refused when read.
    assert walked == [".gitignore", "app.py", "blob.bin", "keep.log", "notes.txt", "pkg/config.py"]
    capped = [f.relative for f, _ in files(workspace, max_files=2).walk()]
    assert len(capped) == 2


def test_nested_gitignore_files_and_excluded_directories(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / ".gitignore").write_text("*.tmp\n")
    (root / "a" / "b" / ".gitignore").write_text("!keep.tmp\n")
    (root / "a" / "b" / "keep.tmp").write_text("x")
    (root / "a" / "b" / "drop.tmp").write_text("x")
    (root / "top.tmp").write_text("x")
    (root / "secrets").mkdir()
    (root / "secrets" / "plain.py").write_text("x")
    found = WorkspaceFiles([str(root)], FileRules(exclude=("secrets/",)))
    walked = sorted(f.relative for f, _ in found.walk())
    assert walked == ["a/.gitignore", "a/b/.gitignore", "a/b/keep.tmp", "top.tmp"]
    with pytest.raises(ToolError, match="exclude"):
        found.resolve("secrets/plain.py")


def run(coroutine: object) -> object:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def make_toolbox(root: Path, overlay: dict[str, str] | None = None) -> Toolbox:
    index = SymbolIndex(files(root))
    texts = overlay or {}
    return Toolbox(index, lambda: texts, lambda real: (None, None))


def test_find_definition_shows_signature_doc_and_members(workspace: Path) -> None:
    toolbox = make_toolbox(workspace)
    result = run(toolbox.run("find_definition", '{"name": "parse_config"}'))
    assert result.ok  # type: ignore[attr-defined]
    assert result.text == (  # type: ignore[attr-defined]
        "`parse_config` is defined in 1 place:\n\n"
        "pkg/config.py, lines 16-18 (function):\n```python\n"
        "def parse_config(text: str, strict: bool = False) -> Config:\n"
        '    """Parse TEXT into a Config."""\n```'
    )
    cls = run(toolbox.run("find_definition", '{"name": "Config"}')).text  # type: ignore[attr-defined]
    assert "class Config:" in cls and "    retries: int = 3" in cls
    assert "    def load(self) -> str:\n        ..." in cls and "open(self.path)" not in cls
    method = run(toolbox.run("find_definition", '{"name": "Config.load"}')).text  # type: ignore[attr-defined]
    assert "(method)" in method and "def load(self) -> str:" in method
    field = run(toolbox.run("find_definition", '{"name": "retries"}')).text  # type: ignore[attr-defined]
    assert "pkg/config.py, line 10 (field)" in field
    # Ignored (build/), skipped (node_modules) and excluded files are never indexed.
    assert "build/" not in result.text and "node_modules" not in result.text  # type: ignore[attr-defined]


def test_find_definition_not_found_suggests_similar_names(workspace: Path) -> None:
    text = run(make_toolbox(workspace).run("find_definition", '{"name": "parse_confg"}')).text  # type: ignore[attr-defined]
    assert text.startswith("No definition of `parse_confg` in the workspace (")
    assert "Similar names: `parse_config` (pkg/config.py:16)" in text


def test_open_documents_unsaved_text_wins_and_the_index_follows(workspace: Path) -> None:
    real = os.path.realpath(workspace / "pkg" / "config.py")
    overlay = {real: CONFIG.replace("def parse_config(", "def read_config(")}
    toolbox = make_toolbox(workspace, overlay)
    assert "No definition" in run(toolbox.run("find_definition", '{"name": "parse_config"}')).text  # type: ignore[attr-defined]
    assert "def read_config(" in run(toolbox.run("find_definition", '{"name": "read_config"}')).text  # type: ignore[attr-defined]
    overlay.clear()  # closed: the disk's text again
    assert (
        "def parse_config(" in run(toolbox.run("find_definition", '{"name": "parse_config"}')).text
    )  # type: ignore[attr-defined]
    # A change on disk reported by the editor is picked up.
    (workspace / "app.py").write_text(APP + "\n\ndef helper():\n    pass\n")
    toolbox.index.changed(os.path.realpath(workspace / "app.py"))
    assert (
        "app.py, lines 8-9 (function)"
        in run(toolbox.run("find_definition", '{"name": "helper"}')).text
    )  # type: ignore[attr-defined]
    # A created file is found after the editor says files were created.
    (workspace / "extra.py").write_text("def extra():\n    pass\n")
    toolbox.index.created_or_deleted()
    assert "extra.py" in run(toolbox.run("find_definition", '{"name": "extra"}')).text  # type: ignore[attr-defined]


def test_read_lines(workspace: Path) -> None:
    toolbox = make_toolbox(workspace)
    text = run(toolbox.run("read_lines", '{"path": "app.py", "start": 4, "end": 5}')).text  # type: ignore[attr-defined]
    assert (
        text
        == 'app.py, lines 4-5 of 5:\n```python\ndef main():\n    return parse_config("x", True)\n```'
    )
    beyond = run(toolbox.run("read_lines", '{"path": "app.py", "start": 9, "end": 12}'))
    assert not beyond.ok and beyond.text == "Error: `app.py` has 5 lines; line 9 does not exist."  # type: ignore[attr-defined]
    clamped = run(toolbox.run("read_lines", '{"path": "app.py", "start": "2", "end": 900}')).text  # type: ignore[attr-defined]
    assert clamped.startswith("app.py, lines 2-5 of 5:")
    (workspace / "long.py").write_text("".join(f"x{n} = {n}\n" for n in range(500)))
    cut = run(toolbox.run("read_lines", '{"path": "long.py", "start": 1, "end": 400}')).text  # type: ignore[attr-defined]
    assert (
        "lines 1-200 of 500 (cut at 200 lines" in cut and "x199 = 199" in cut and "x200" not in cut
    )


def test_read_lines_never_reads_outside_or_excluded(workspace: Path) -> None:
    toolbox = make_toolbox(workspace)
    for path in ("~/.ssh/id_rsa", "../home/.ssh/id_rsa", "sshdir/id_rsa", ".env", "env.txt"):
        result = run(toolbox.run("read_lines", f'{{"path": "{path}", "start": 1, "end": 5}}'))
        assert not result.ok and result.text.startswith("Error: ")  # type: ignore[attr-defined]
        assert "PRIVATE KEY" not in result.text and "secret-env" not in result.text  # type: ignore[attr-defined]


def test_find_references_is_whole_word_and_capped(workspace: Path) -> None:
    toolbox = make_toolbox(workspace)
    text = run(toolbox.run("find_references", '{"name": "parse_config"}')).text  # type: ignore[attr-defined]
    assert text.splitlines() == [
        "4 lines mention `parse_config`:",
        "app.py:1: from config import parse_config",
        'app.py:5: return parse_config("x", True)',
        "notes.txt:1: parse_config is documented here",
        "pkg/config.py:16: def parse_config(text: str, strict: bool = False) -> Config:",
    ]
    assert (
        "No use of `parse_conf`"
        in run(toolbox.run("find_references", '{"name": "parse_conf"}')).text
    )  # type: ignore[attr-defined]
    (workspace / "many.py").write_text("".join(f"use(parse_config)  # {n}\n" for n in range(80)))
    toolbox.index.created_or_deleted()  # what a watching editor reports
    many = run(toolbox.run("find_references", '{"name": "parse_config"}')).text  # type: ignore[attr-defined]
    assert many.startswith("The first 50 lines that mention `parse_config` (there are more):")
    assert len(many.splitlines()) == 51


@pytest.mark.parametrize(
    ("name", "arguments", "error"),
    [
        ("read_lines", '{"path": "app.py", "start": 1', "the arguments are not valid JSON"),
        ("read_lines", '["app.py", 1, 2]', "must be one JSON object"),
        ("read_lines", '{"path": "app.py"}', "missing `start`, `end`"),
        ("read_lines", '{"path": "app.py", "start": 0, "end": 2}', "`start` must be a line number"),
        ("find_definition", '{"name": ""}', "`name` must be a non-empty string"),
        ("delete_everything", "{}", "there is no tool `delete_everything`"),
    ],
)
def test_bad_calls_are_answered_with_an_error(
    workspace: Path, name: str, arguments: str, error: str
) -> None:
    result = run(make_toolbox(workspace).run(name, arguments))
    assert not result.ok and error in result.text  # type: ignore[attr-defined]


def test_definitions_follow_the_api_rules() -> None:
    tools = definitions({"find_definition": "Find it."})
    assert [t["function"]["name"] for t in tools] == list(SCHEMAS)
    assert all(NAME.match(t["function"]["name"]) for t in tools)
    assert tools[0]["function"]["description"] == "Find it."
    assert parse_arguments("find_definition", '{"name": "x", "extra": 1}') == {
        "name": "x",
        "extra": 1,
    }
    assert label("find_definition", '{"name": "parse_config"}') == "looking up `parse_config`"
    assert label("read_lines", '{"path": "a.py", "start": 1, "end": 9}') == (
        "reading `a.py` lines 1-9"
    )
    assert "not valid JSON" in label("read_lines", "{oops")


def test_which_backends_are_offered_the_tools() -> None:
    from chatls.actions import tool_rounds
    from chatls.config import parse_settings
    from chatls.model.client import ModelClient
    from chatls.model.request import Endpoint

    def settings(**tools: object) -> Settings:
        return parse_settings({"tools": tools})[0]

    remote = ModelClient(Endpoint("http://x/v1", None))
    local = ModelClient(Endpoint("http://127.0.0.1:1/v1", None, local=True))
    assert tool_rounds.offered(settings(), remote, "m")
    # The built-in local model: not under auto (measured: small models never called a tool).
    assert not tool_rounds.offered(settings(), local, "m")
    assert tool_rounds.offered(settings(enabled="on"), local, "m")
    assert not tool_rounds.offered(settings(enabled="off"), remote, "m")
    remote.adaptations.refused["m"] = {"tools"}
    assert not tool_rounds.offered(settings(), remote, "m")
    assert tool_rounds.offered(settings(enabled="on"), remote, "m")
    # A budget too small for the definitions and a result: not offered.
    assert tool_rounds.fits(settings(), 1024, "m")
    small = parse_settings({"contextTokens": 900, "maxTokens": 120})[0]
    assert not tool_rounds.fits(small, 120, "m")


def test_results_are_cut_to_whole_lines_within_the_limit() -> None:
    from chatls.actions.tool_rounds import cut
    from chatls.context.tokens import TokenCounter

    counter = TokenCounter("gpt-4o-mini")
    text = (
        "a.py, lines 1-300 of 300:\n```python\n"
        + "".join(f"value_{n} = compute({n})\n" for n in range(300))
        + "```"
    )
    assert cut("short", 100, counter) == "short"
    shortened = cut(text, 200, counter)
    assert counter.count(shortened) <= 200
    body, note = shortened.rsplit("\n…", 1)
    assert note.startswith(" (cut to 200 of its ") and "ask for less" in note
    assert body.endswith("```") and body.count("```") == 2  # the code block is closed
    assert "value_0 = compute(0)" in body and "value_299" not in body


def test_diagnostics_seen_replace_what_each_request_covers() -> None:
    from lsprotocol import types

    from chatls.tools.diagnostics import DiagnosticsSeen

    def at(line: int) -> types.Range:
        return types.Range(
            start=types.Position(line=line, character=0), end=types.Position(line=line, character=5)
        )

    seen = DiagnosticsSeen()
    first = types.Diagnostic(range=at(3), message="unused")
    second = types.Diagnostic(range=at(9), message="undefined")
    seen.update("file:///a.py", "/a.py", 1, at(3), [first])
    seen.update("file:///a.py", "/a.py", 2, at(9), [second])
    assert [s.diagnostic.message for s in seen.for_path("/a.py") or []] == ["unused", "undefined"]
    # The editor asked about line 3 again and reported nothing there: it is gone.
    seen.update("file:///a.py", "/a.py", 3, at(3), [])
    assert [(s.diagnostic.message, s.version) for s in seen.for_path("/a.py") or []] == [
        ("undefined", 2)
    ]
    assert seen.for_path("/b.py") is None
    seen.forget("file:///a.py")
    assert seen.for_path("/a.py") is None
