"""`chatls run`: one action from a shell, against the scripted backend over real HTTP."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from chatls_testing.cli import chatls_run as run_cli
from chatls_testing.scripted_backend import Chat, Error, ScriptedBackend, ToolCalls

SOURCE = "import os\r\n\r\ndef total(items):\r\n    result = 0\r\n    for item in items:\r\n        result = result + item\r\n    return result\r\n"


def chatls_run(
    backend: ScriptedBackend, env: dict[str, str], cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return run_cli(backend, env, cwd, *args, "--structured-output", "off")


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "calc.py"
    path.write_bytes(SOURCE.encode())
    return path


def test_refactor_prints_a_diff_and_leaves_the_file(
    backend: ScriptedBackend, server_env: dict[str, str], sample: Path
) -> None:
    backend.script(Chat("```python\nresult = 0\nfor item in items:\n    result += item\n```"))
    out = chatls_run(
        backend,
        server_env,
        sample.parent,
        "refactor",
        "calc.py",
        "--range",
        "4-6",
        "--instruction",
        "Use augmented assignment",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[:2] == ["--- a/calc.py", "+++ b/calc.py"]
    assert "-        result = result + item\r\n" in out.stdout
    assert "+        result += item\r\n" in out.stdout
    assert sample.read_bytes() == SOURCE.encode()
    assert "Use augmented assignment" in backend.requests[0].prompt
    assert backend.requests[0].headers["authorization"] == "Bearer sk-cli-test-0000000000"


def test_apply_writes_the_file_keeping_crlf(
    backend: ScriptedBackend, server_env: dict[str, str], sample: Path
) -> None:
    backend.script(Chat("```python\nresult = 0\nfor item in items:\n    result += item\n```"))
    out = chatls_run(
        backend, server_env, sample.parent, "refactor", "calc.py", "--range", "4:1-6:31", "--apply"
    )
    assert out.returncode == 0, out.stderr
    assert (
        sample.read_bytes() == SOURCE.replace("result = result + item", "result += item").encode()
    )
    assert "applied" in out.stderr


def test_explain_prints_markdown(
    backend: ScriptedBackend, server_env: dict[str, str], sample: Path
) -> None:
    backend.script(Chat("Adds up **items**."))
    out = chatls_run(backend, server_env, sample.parent, "explain", str(sample), "--range", "3-7")
    assert (out.returncode, out.stdout) == (0, "Adds up **items**.\n")


def test_ask_prints_the_answer_to_the_question(
    backend: ScriptedBackend, server_env: dict[str, str], sample: Path
) -> None:
    backend.script(Chat("It returns **0**: the loop never runs."))
    out = chatls_run(
        backend,
        server_env,
        sample.parent,
        "ask",
        "calc.py",
        "--range",
        "3-7",
        "--question",
        "What if items is empty?",
    )
    assert (out.returncode, out.stdout) == (0, "It returns **0**: the loop never runs.\n")
    [request] = backend.requests
    assert [m["role"] for m in request.messages] == ["system", "user"]
    # Lines 3-7 end at the start of line 8: the line break there is not part of the code asked
    # about.
    assert request.messages[1]["content"].endswith(
        "    return result\n```\n\nWhat if items is empty?"
    )
    out = chatls_run(backend, server_env, sample.parent, "ask", "calc.py", "--range", "3-7")
    assert out.returncode == 2
    assert out.stderr == "chatls: ask needs --question TEXT: what to ask about the code\n"
    assert len(backend.requests) == 1


def test_fix_and_docstring(
    backend: ScriptedBackend, server_env: dict[str, str], sample: Path
) -> None:
    backend.script(Chat('"""Sum the items."""'))
    out = chatls_run(backend, server_env, sample.parent, "docstring", "calc.py", "--range", "5:3")
    assert out.returncode == 0, out.stderr
    assert '+    """Sum the items."""\r\n' in out.stdout
    backend.script(Chat("```python\ndef total(items):\n    return sum(items)\n```"))
    out = chatls_run(
        backend,
        server_env,
        sample.parent,
        "fix",
        "calc.py",
        "--range",
        "6:18-6:31",
        "--diagnostic",
        "use sum()",
    )
    assert out.returncode == 0, out.stderr
    assert "use sum()" in backend.requests[1].prompt
    assert "+    return sum(items)\r\n" in out.stdout


def test_fix_looks_things_up_in_the_current_directory_only(
    backend: ScriptedBackend, server_env: dict[str, str], tmp_path: Path
) -> None:
    work = tmp_path / "project"
    work.mkdir()
    (work / "mail.py").write_text('def send_email(to, subject):\n    """Send."""\n')
    (work / "app.py").write_text('from mail import send_email\nsend_email("Hi", "a@b.c")\n')
    (tmp_path / "outside.py").write_text("SECRET = 'kept-out'\n")
    backend.script(
        ToolCalls(
            [
                ("find_definition", '{"name": "send_email"}'),
                ("read_lines", json.dumps({"path": "../outside.py", "start": 1, "end": 1})),
                (
                    "read_lines",
                    json.dumps({"path": str(tmp_path / "outside.py"), "start": 1, "end": 1}),
                ),
            ]
        ),
        Chat('```python\nsend_email("a@b.c", "Hi")\n```'),
    )
    out = chatls_run(
        backend, server_env, work, "fix", "app.py", "--range", "2", "--diagnostic", "wrong order"
    )
    assert out.returncode == 0, out.stderr
    assert '+send_email("a@b.c", "Hi")' in out.stdout
    first, second = backend.requests
    assert [t["function"]["name"] for t in first.body["tools"]] == [
        "find_definition",
        "read_lines",
        "find_references",
        "diagnostics",
    ]
    results = [m["content"] for m in second.messages if m["role"] == "tool"]
    # The definition is in the prompt already (``definitions``, on by default), from the
    # current directory too: the lookup says so instead of showing it twice.
    assert 'mail.py, line 1:\n```python\ndef send_email(to, subject):\n    """Send."""' in (
        first.prompt
    )
    assert results[0].startswith("`send_email` (mail.py, line 1) is already in the prompt above")
    assert results[1].startswith("Error: `../outside.py`: `..` is not allowed")
    assert results[2].startswith(f"Error: `{tmp_path / 'outside.py'}` is not a path relative")
    assert "kept-out" not in json.dumps(second.messages)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["refactor", "missing.py", "--range", "1-2"], "chatls: no such file: missing.py"),
        (
            ["refactor", "calc.py", "--range", "20-21"],
            "chatls: bad range '20-21': the file has 7 lines",
        ),
        (
            ["refactor", "calc.py", "--range", "3:99"],
            "chatls: bad range '3:99': line 3 has 17 characters",
        ),
        (
            ["refactor", "calc.py", "--range", "5-4"],
            "chatls: bad range '5-4': it ends before it starts",
        ),
        (
            ["refactor", "calc.py", "--range", "x"],
            "chatls: bad range 'x': expected L1:C1-L2:C2, L1-L2 or L:C",
        ),
        (
            ["fix", "calc.py", "--range", "1-2"],
            "chatls: fix needs --diagnostic MSG: the problem to fix",
        ),
        (
            ["refactor", "calc.py", "--range", "1-2", "--config", "nope.json"],
            "chatls: cannot read --config nope.json: No such file or directory",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    backend: ScriptedBackend,
    server_env: dict[str, str],
    sample: Path,
    args: list[str],
    message: str,
) -> None:
    out = chatls_run(backend, server_env, sample.parent, *args)
    assert out.returncode == 2
    assert out.stderr.strip() == message
    assert out.stdout == ""
    assert backend.requests == []


def test_backend_errors_exit_1_with_one_line(
    backend: ScriptedBackend, server_env: dict[str, str], sample: Path
) -> None:
    backend.script(Error(401, "Incorrect API key provided: sk-cli-test-0000000000"))
    out = chatls_run(backend, server_env, sample.parent, "refactor", "calc.py", "--range", "4-6")
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "401" in out.stderr
    assert "sk-cli-test" not in out.stderr + out.stdout


def test_config_file_settings(
    backend: ScriptedBackend, server_env: dict[str, str], sample: Path
) -> None:
    (sample.parent / "chatls.toml").write_text(
        'temperature = 0.5\n[actions.refactor]\nmodel = "from-toml"\n'
    )
    backend.script(Chat("```python\nreturn sum(items)\n```"))
    out = chatls_run(
        backend,
        server_env,
        sample.parent,
        "refactor",
        "calc.py",
        "--range",
        "7",
        "--config",
        "chatls.toml",
    )
    assert out.returncode == 0, out.stderr
    body = backend.requests[0].body
    assert (body["model"], body["temperature"]) == ("from-toml", 0.5)


def test_whole_lines_and_several_definitions(
    backend: ScriptedBackend, server_env: dict[str, str], tmp_path: Path
) -> None:
    """`--range 4-5` takes whole lines, as an editor's line-wise selection: the method they hold
    is documented, not its class; a range over two definitions names them and changes nothing."""
    path = tmp_path / "stack.py"
    path.write_text(
        'class Stack:\n    """A stack."""\n\n    def pop(self, items):\n        return items.pop()\n\n'
        "    def push(self, items, item):\n        items.append(item)\n"
    )
    backend.script(Chat("Take the last item off."))
    out = chatls_run(backend, server_env, tmp_path, "docstring", "stack.py", "--range", "4-5")
    assert out.returncode == 0, out.stderr
    assert '+        """Take the last item off."""' in out.stdout
    out = chatls_run(backend, server_env, tmp_path, "docstring", "stack.py", "--range", "4-8")
    assert out.returncode == 1
    assert out.stderr == (
        "chatls: The selection covers several definitions (`Stack.pop` and `Stack.push`): put "
        "the cursor in the one to document, or select just that one.\n"
    )
    assert len(backend.requests) == 1
