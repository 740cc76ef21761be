"""Definitions from other files in the prompt, end to end: the real server finds what the
selected code uses in the workspace and puts it in the request itself, without tool calls; the
scripted backend records every request, and the tests read the messages it got."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from chatls_testing.scripted_backend import Chat, ToolCalls
from chatls_testing.tool_tasks import TASKS, Task
from tests.conftest import Session, Start, capabilities

SHAPES = '''"""Shapes."""


def area(width: float, height: float) -> float:
    """The area of a WIDTH by HEIGHT rectangle."""
    return width * height
'''
SECRETS = '''def secret_key() -> str:
    """PRIVATE-DEFINITION-0123"""
    return "x"
'''
APP = """from shapes import area
from hidden import secret_key
from vault import vault_token


def report(w, h):
    total = area(w, h)
    key = secret_key()
    token = vault_token()
    return f"{total} {key} {token}"
"""
HEADING = "Definitions from other files in the workspace that this code uses:"
OFF = {"tools": {"enabled": "off"}}


def lines(session: Session, uri: str, first: str, last: str) -> types.Range:
    """Whole lines from the one holding ``first`` to the one holding ``last``, as editors select
    them: from column 0 to column 0 of the next line."""
    text = session.editor.text(uri).splitlines()
    top = next(n for n, line in enumerate(text) if first in line)
    bottom = next(n for n, line in enumerate(text) if last in line and n >= top)
    return types.Range(types.Position(top, 0), types.Position(bottom + 1, 0))


def as_json(rng: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


def sent(session: Session) -> str:
    """Everything the last request said, its messages one after the other."""
    return "\n".join(str(m["content"]) for m in session.backend.requests[-1].messages)


def progress(session: Session, token: str = "tok") -> list[str]:
    return [
        report.message
        for report in session.client.progress_reports.get(token, [])
        if isinstance(report, types.WorkDoneProgressReport) and report.message
    ]


async def explain(session: Session, uri: str, rng: types.Range) -> None:
    session.backend.script(Chat("It reports."))
    await session.command("chatls.explain", {"uri": uri, "range": as_json(rng)}, token="tok")


def workspace(root: Path) -> None:
    (root / "shapes.py").write_text(SHAPES)
    (root / "private").mkdir()
    (root / "private" / "hidden.py").write_text(SECRETS)
    (root / "vault.py").write_text('def vault_token() -> str:\n    """IGNORED-0456"""\n')
    (root / ".gitignore").write_text("vault.py\n")


async def test_a_definition_from_another_file_reaches_the_prompt_and_excluded_ones_never(
    start: Start,
) -> None:
    session = await start(settings={**OFF, "exclude": ["private/**"]}, client="plain")
    workspace(session.editor.root)
    uri = session.editor.open("app.py", APP)
    await explain(session, uri, lines(session, uri, "def report", "return f"))

    text = sent(session)
    assert HEADING in text
    assert "shapes.py, line 4:" in text
    assert 'def area(width: float, height: float) -> float:\n    """The area of a WIDTH' in text
    # Excluded (`exclude`) and ignored (.gitignore) files are never read, whatever the code uses.
    assert "PRIVATE-DEFINITION" not in text
    assert "IGNORED-0456" not in text
    # After the file's window, before the action's own instructions: the window stays the
    # prefix every request on the file shares.
    user = session.backend.requests[-1].messages[-1]["content"]
    assert user.index("```python\nfrom shapes import area") < user.index(HEADING)
    assert user.index(HEADING) < user.index("Explain this")

    shown = progress(session)
    assert any(
        m.startswith("Asking test-model (") and "with 1 definition from other files (" in m
        for m in shown
    ), shown
    assert "definitions from other files in the prompt: area (shapes.py:4, " in session.log()


async def test_an_open_documents_unsaved_text_wins_over_the_disk(start: Start) -> None:
    session = await start(settings=OFF, client="plain")
    workspace(session.editor.root)
    # The editor has shapes.py open with a change it has not saved.
    session.editor.open("shapes.py", SHAPES.replace("def area(width", "def area(unsaved_width"))
    uri = session.editor.open("app.py", APP)
    await explain(session, uri, lines(session, uri, "def report", "return f"))

    text = sent(session)
    assert "def area(unsaved_width: float" in text
    assert "def area(width: float" not in text


async def test_definitions_off_sends_none(start: Start) -> None:
    session = await start(settings={**OFF, "definitions": {"enabled": False}}, client="plain")
    workspace(session.editor.root)
    uri = session.editor.open("app.py", APP)
    await explain(session, uri, lines(session, uri, "def report", "return f"))

    assert HEADING not in sent(session)
    assert "def area(" not in sent(session)
    assert not any("definitions from other files" in m for m in progress(session))


async def test_the_share_is_kept_when_the_file_itself_is_large(start: Start) -> None:
    session = await start(settings={**OFF, "contextTokens": 4096}, client="plain")
    workspace(session.editor.root)
    filler = "".join(
        f"def filler_{n}(value):\n    return value * {n} + {n}\n\n\n" for n in range(600)
    )
    uri = session.editor.open("app.py", APP + "\n\n" + filler)
    await explain(session, uri, lines(session, uri, "def report", "return f"))

    request = session.backend.requests[-1]
    text = sent(session)
    # The file is far over the budget: only a window of it is sent, the definition still is.
    assert "filler_599" not in text
    assert "def area(width: float, height: float) -> float:" in text
    assert request.body.get("max_tokens") is None or isinstance(request.body["max_tokens"], int)


async def test_with_tools_on_a_definition_in_the_prompt_is_not_shown_again(start: Start) -> None:
    session = await start(client="plain")
    workspace(session.editor.root)
    uri = session.editor.open("app.py", APP)
    session.backend.script(
        ToolCalls([("find_definition", '{"name": "area"}')]), Chat("It reports.")
    )
    rng = lines(session, uri, "def report", "return f")
    await session.command("chatls.explain", {"uri": uri, "range": as_json(rng)}, token="tok")

    first, second = session.backend.requests
    assert HEADING in "\n".join(str(m["content"]) for m in first.messages)
    (tool,) = [m for m in second.messages if m["role"] == "tool"]
    answer = tool["content"]
    assert answer.startswith("`area` (shapes.py, line 4) is already in the prompt above")


@pytest.mark.parametrize("task", TASKS, ids=[task.id for task in TASKS])
async def test_the_bench_tasks_get_the_fact_they_need_without_tools(
    start: Start, task: Task
) -> None:
    session = await start(settings=OFF, client="plain")
    root = session.editor.root
    for name, text in task.files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    uri = session.editor.open(task.target, task.files[task.target], task.language)
    rng = session.editor.range_of(uri, task.needle)
    diagnostic = {"range": as_json(rng), "message": task.diagnostic}
    session.backend.script(Chat(f"```{task.language}\n{task.fixed}```"))
    await session.command(
        "chatls.fix", {"uri": uri, "range": as_json(rng), "diagnostic": diagnostic}
    )
    (request,) = session.backend.requests
    assert "tools" not in request.body
    assert task.fact in json.dumps(request.messages)


def inline_capabilities() -> types.ClientCapabilities:
    caps = capabilities("vscode")
    assert caps.text_document is not None
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    return caps


async def complete_at(session: Session, uri: str, position: types.Position) -> None:
    session.backend.script(Chat("total"))
    await session.client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position,
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )


async def test_inline_completion_gets_signatures_only_once_the_index_is_built(
    start: Start,
) -> None:
    session = await start(
        settings={**OFF, "inlineCompletion": {"debounceMs": 0}}, client=inline_capabilities()
    )
    workspace(session.editor.root)
    uri = session.editor.open("app.py", APP)
    after_call = types.Position(7, 4)  # the line below `total = area(w, h)`
    signature = "shapes.py:4: def area(width: float, height: float) -> float:"

    # No action has built the workspace index yet: the completion does not wait for it.
    await complete_at(session, uri, after_call)
    assert signature not in sent(session)

    await explain(session, uri, lines(session, uri, "def report", "return f"))
    await complete_at(session, uri, types.Position(8, 4))  # a line on (the last is cached)
    text = sent(session)
    assert text.startswith("You are chatls, a code completion engine")
    assert f"Signatures from other files:\n{signature}" in text
    # Signatures only: no doc comment, no body.
    assert "The area of a WIDTH" not in text


FACTS = {
    "argument-order": "`send_email` takes its parameters in this order: `to`, `subject`, `body`.",
    "renamed-field": "`User` has no attribute `name`; the closest is `username`. "
    "Its attributes are `username`, `email`.",
    "missing-import": "`slugify` is not imported. It is defined in blog/text/slugs.py: "
    "add `from blog.text.slugs import slugify` above the code.",
    "keyword-renamed": "`load_settings` has no parameter `validate`; the closest is `strict`. "
    "Its parameters are `path`, `strict`.",
    "method-renamed": "`Cart` has no attribute `total`; the closest is `total_price`. "
    "Its attributes are `add`, `total_price`, `prices`.",
    "js-renamed-field": "`User` has no property `name`; the closest is `username`.",
    # A CommonJS file is told the `require` that imports it, not an ES import.
    "js-missing-import": 'add `const { slugify } = require("./text/slugs");` above the code',
    # Go imports a package by its module path (go.mod) and calls it through the package.
    "go-missing-import": "`Slugify` is not imported. It is defined in text/slugs.go: add "
    '`import "blog/text"` above the code and write `text.Slugify` for `Slugify`.',
    "rust-argument-order": "`format_price` takes its parameters in this order: `currency`, "
    "`cents`.",
}


async def fix_task(session: Session, task: Task, answer: str) -> str:
    """Runs the Fix of ``task`` in its workspace with ``answer`` scripted; the document's URI."""
    root = session.editor.root
    for name, text in task.files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    uri = session.editor.open(task.target, task.files[task.target], task.language)
    rng = session.editor.range_of(uri, task.needle)
    diagnostic = {"range": as_json(rng), "message": task.diagnostic}
    session.backend.script(Chat(answer))
    await session.command(
        "chatls.fix", {"uri": uri, "range": as_json(rng), "diagnostic": diagnostic}
    )
    return uri


@pytest.mark.parametrize("task_id", sorted(FACTS))
async def test_a_fix_is_told_what_the_definitions_say_about_the_reported_line(
    start: Start, task_id: str
) -> None:
    (task,) = [t for t in TASKS if t.id == task_id]
    session = await start(settings=OFF, client="plain")
    await fix_task(session, task, f"```{task.language}\n{task.fixed}```")
    user = str(session.backend.requests[-1].messages[-1]["content"])
    # Next to the problem, after the reported line and before what to answer.
    assert FACTS[task_id] in user
    assert user.index("The reported line is") < user.index(FACTS[task_id])
    assert user.index(FACTS[task_id]) < user.index("Answer with")


async def test_without_the_definitions_nothing_is_stated(start: Start) -> None:
    (task,) = [t for t in TASKS if t.id == "renamed-field"]
    session = await start(settings={**OFF, "definitions": {"enabled": False}}, client="plain")
    await fix_task(session, task, f"```python\n{task.fixed}```")
    user = str(session.backend.requests[-1].messages[-1]["content"])
    assert "closest is" not in user and "username" not in user


async def test_an_answer_that_is_only_the_missing_import_adds_it_above_the_code(
    start: Start,
) -> None:
    (task,) = [t for t in TASKS if t.id == "missing-import"]
    session = await start(settings=OFF, client="plain")
    uri = await fix_task(session, task, "```python\nfrom blog.text.slugs import slugify\n```")
    assert (
        session.editor.text(uri)
        == "from blog.text.slugs import slugify\n" + task.files[task.target]
    )


WRONG = {
    # Answers Qwen2.5-Coder-0.5B gave with the definitions in its prompt (bench/tools.py).
    "js-renamed-field": ("user.name", "user.email", "most likely means `username`"),
    "js-missing-import": (
        "function postUrl",
        'import { slugify } from "./text/slugs";\nfunction postUrl',
        "an ES import, but this file is a CommonJS module",
    ),
    "rust-argument-order": (
        'format_price(cents, "EUR")',
        'format!("Total: {}", cents / 100, cents % 100)',
        "no longer calls `format_price` on the reported line",
    ),
    # SmolLM2's (2 threads): the arguments left as they were, the string around them rewritten.
    "js-argument-order": (
        '"Total: " + formatPrice(cents, "EUR");',
        '`Total: ${formatPrice(cents, "EUR")}`;',
        "leaves the arguments of `formatPrice` as they were",
    ),
    # SmolLM2's: the import right, and the rest of the reported line cut.
    "ts-missing-import": (
        'export function postUrl(title: string): string {\n  return "/posts/" + slugify(title);',
        'import { slugify } from "./text/slugs";\n'
        "export function postUrl(title: string): string {\n  return slugify(title);",
        'also removes `"/posts/" +` on the line with `slugify`',
    ),
    # SmolLM2's on a loaded machine: the reported line deleted, which no checker reports.
    "js-argument-order-deleted": (
        '  return "Total: " + formatPrice(cents, "EUR");\n',
        "",
        "deletes the reported line instead of fixing it",
    ),
}


@pytest.mark.parametrize("task_id", sorted(WRONG))
async def test_a_plausible_wrong_fix_with_the_definitions_at_hand_is_refused(
    start: Start, task_id: str
) -> None:
    (task,) = [t for t in TASKS if t.id == task_id.removesuffix("-deleted")]
    old, new, reason = WRONG[task_id]
    original = task.files[task.target]
    assert old in original
    session = await start(settings=OFF, client="plain")
    answer = original.replace(old, new, 1)
    uri = await fix_task(session, task, f"```{task.language}\n{answer}```")
    assert session.editor.text(uri) == original
    (message,) = session.messages()
    assert reason in message


async def test_a_fix_that_drops_the_call_whose_arguments_are_reported_is_refused_without_definitions(
    start: Start,
) -> None:
    # Qwen2.5-Coder-0.5B's answer with nothing from other files (bench/tools.py, no tools).
    (task,) = [t for t in TASKS if t.id == "rust-argument-order"]
    original = task.files[task.target]
    session = await start(settings={**OFF, "definitions": {"enabled": False}}, client="plain")
    answer = original.replace('format_price(cents, "EUR")', "cents")
    assert answer != original
    uri = await fix_task(session, task, f"```rust\n{answer}```")
    assert "fn format_price" not in str(session.backend.requests[-1].messages)
    assert session.editor.text(uri) == original
    (message,) = session.messages()
    assert "no longer calls `format_price` on the reported line" in message


async def test_a_go_fix_that_calls_through_the_package_gets_its_import(start: Start) -> None:
    # Qwen2.5-Coder-0.5B wrote `text.Slugify`, as the fact said, and left out the import.
    (task,) = [t for t in TASKS if t.id == "go-missing-import"]
    original = task.files[task.target]
    session = await start(settings=OFF, client="plain")
    answer = 'func URL(title string) string {\n\treturn "/posts/" + text.Slugify(title)\n}\n'
    uri = await fix_task(session, task, f"```go\n{answer}```")
    assert session.editor.text(uri) == original.replace(
        "package posts\n", 'package posts\nimport "blog/text"\n'
    ).replace("+ Slugify(", "+ text.Slugify(")
    assert session.messages() == []


async def test_a_go_fix_that_calls_another_package_than_the_one_defining_it_is_refused(
    start: Start,
) -> None:
    (task,) = [t for t in TASKS if t.id == "go-missing-import"]
    original = task.files[task.target]
    session = await start(settings=OFF, client="plain")
    answer = 'func URL(title string) string {\n\treturn "/posts/" + strings.Slugify(title)\n}\n'
    uri = await fix_task(session, task, f"```go\n{answer}```")
    assert session.editor.text(uri) == original
    (message,) = session.messages()
    assert "most likely means `text.Slugify`" in message


async def test_a_method_reached_through_the_object_that_now_holds_it_is_applied(
    start: Start,
) -> None:
    # Qwen2.5-Coder-0.5B's right answer: the reported name kept, `invoice.` put before it.
    (task,) = [t for t in TASKS if t.id == "method-moved"]
    session = await start(settings=OFF, client="plain")
    line = '    return f"Total: {order.invoice.total():.2f}"\n'
    uri = await fix_task(session, task, f"```python\n{line}```")
    assert session.editor.text(uri) == task.files[task.target].replace(
        "order.total()", "order.invoice.total()"
    )
    assert session.messages() == []
