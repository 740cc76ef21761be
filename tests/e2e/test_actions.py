"""Every action, through both the resolve path and the command path, against real HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

from chatls_testing.samples import BREAKDOWN, DEMO_REFACTOR_LOOPS, ONE_LINE_LOOP, PY
from chatls_testing.scripted_backend import Chat
from tests.conftest import Start


async def test_listing_offers_every_action_and_one_fix_per_diagnostic(start: Start) -> None:
    session = await start()
    uri = session.editor.open("a.py", PY)
    d1 = types.Diagnostic(
        range=session.editor.range_of(uri, "result + item"),
        message="Use augmented assignment",
        source="pylint",
    )
    d2 = types.Diagnostic(
        range=session.editor.range_of(uri, "math.pi"), message="Undefined name 'pi'", source="mypy"
    )
    actions = await session.actions(uri, session.editor.range_of(uri, "return result"), [d1, d2])
    kinds = [a.kind for a in actions]
    assert kinds == [
        "refactor.chatls.explain",
        "refactor.chatls.ask",
        "refactor.rewrite.chatls.refactor",
        "refactor.rewrite.chatls.docstring",
        "refactor.rewrite.chatls.types",
        "source.chatls.tests",
        "quickfix.chatls.fix",
        "quickfix.chatls.fix",
    ]
    fixes = [a for a in actions if a.kind == "quickfix.chatls.fix"]
    assert [f.title for f in fixes] == [
        "chatls: Fix “Use augmented assignment”",
        "chatls: Fix “Undefined name 'pi'”",
    ]
    assert list(fixes[0].diagnostics or []) == [d1]
    # Listing never calls the model.
    assert session.backend.requests == []


@pytest.mark.parametrize(
    ("only", "expected"),
    [
        (["quickfix"], ["quickfix.chatls.fix"]),
        (
            ["refactor.rewrite"],
            [
                "refactor.rewrite.chatls.refactor",
                "refactor.rewrite.chatls.docstring",
                "refactor.rewrite.chatls.types",
            ],
        ),
        (
            ["refactor"],
            [
                "refactor.chatls.explain",
                "refactor.chatls.ask",
                "refactor.rewrite.chatls.refactor",
                "refactor.rewrite.chatls.docstring",
                "refactor.rewrite.chatls.types",
            ],
        ),
        (["source"], ["source.chatls.tests"]),
        (["refactor.chatls.explain"], ["refactor.chatls.explain"]),
    ],
)
async def test_listing_honours_only(start: Start, only: list[str], expected: list[str]) -> None:
    session = await start()
    uri = session.editor.open("a.py", PY)
    diagnostic = types.Diagnostic(range=session.editor.range_of(uri, "result"), message="x")
    actions = await session.actions(uri, session.editor.range_of(uri, "result"), [diagnostic], only)
    assert [a.kind for a in actions] == expected


async def test_listing_a_10000_line_file_never_calls_the_model(start: Start) -> None:
    session = await start()
    big = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(3400))
    assert big.count("\n") >= 10000
    uri = session.editor.open("big.py", big)
    actions = await session.actions(uri, session.editor.range_of(uri, "return x + 3000"))
    # Add types and Write tests are offered in a Python function; Implement is not (the body
    # is not a stub).
    assert len(actions) == 6
    assert session.backend.requests == []


async def test_explain_command_returns_markdown_and_hover(start: Start) -> None:
    session = await start(client="neovim")
    uri = session.editor.open("a.py", PY)
    session.backend.script(Chat("Computes the **area** of a circle.\n"))
    rng = session.editor.range_of(uri, "return math.pi * r * r")
    action = await session.action(uri, rng, "refactor.chatls.explain")
    assert action.data is None and action.command is not None
    assert action.command.command == "chatls.explain"
    result = await session.run(action)
    assert result == {"markdown": "Computes the **area** of a circle.", "thread": "t1"}
    assert any("area" in m for m in session.messages(types.MessageType.Info))
    request = session.backend.requests[0]
    assert "Python" in request.messages[0]["content"]
    assert "return math.pi * r * r" in request.prompt
    assert request.headers["authorization"].startswith("Bearer sk-test-")

    hover = await session.client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=rng.start.line, character=rng.start.character + 3),
        )
    )
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value == "Computes the **area** of a circle."
    assert hover.range == rng

    # Typing above the explained code moves the hover with it.
    session.editor.type(
        uri,
        types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
        ),
        "# note\n",
    )
    moved = types.Position(line=rng.start.line + 1, character=rng.start.character + 3)
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=moved)
    )
    assert hover is not None and hover.range is not None
    assert hover.range.start.line == rng.start.line + 1

    # Changing the explained code itself removes the hover.
    inside = session.editor.range_of(uri, "math.pi")
    session.editor.type(uri, inside, "3.14")
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=moved)
    )
    assert hover is None


async def test_explain_quiet_sends_no_message(start: Start) -> None:
    session = await start()
    uri = session.editor.open("a.py", PY)
    session.backend.script(Chat("It adds."))
    rng = session.editor.range_of(uri, "result = result + item")
    result = await session.command(
        "chatls.explain", {"uri": uri, "range": _json(rng), "quiet": True}
    )
    assert result == {"markdown": "It adds.", "thread": "t1"}
    assert session.messages() == []


async def test_explain_with_empty_selection_explains_the_enclosing_function(start: Start) -> None:
    session = await start()
    uri = session.editor.open("a.py", PY)
    session.backend.script(Chat("Sums items."))
    cursor = session.editor.range_of(uri, "for item").start
    result = await session.command(
        "chatls.explain", {"uri": uri, "range": _json(types.Range(start=cursor, end=cursor))}
    )
    assert result == {"markdown": "Sums items.", "thread": "t1"}
    prompt = session.backend.requests[0].prompt
    assert "def total(items):" in prompt and "return result" in prompt


@pytest.mark.parametrize("client", ["vscode", "neovim", "emacs", "plain"])
async def test_refactor_applies_on_every_client(start: Start, client: str) -> None:
    session = await start(client=client)
    uri = session.editor.open("a.py", 's = "naïve 😀"; total = sum_all(a, b)\n' + PY)
    session.backend.script(
        Chat("```python\nresult = 0\nfor item in items:\n    result += item\n```")
    )
    rng = session.editor.range_of(
        uri, "    result = 0\n    for item in items:\n        result = result + item\n"
    )
    action = await session.action(uri, rng, "refactor.rewrite.chatls.refactor")
    resolves = client in ("vscode", "neovim")
    assert (action.data is not None) == resolves
    result = await session.run(action)
    if not resolves:
        assert result["applied"] is True
    assert session.editor.text(uri) == 's = "naïve 😀"; total = sum_all(a, b)\n' + PY.replace(
        "result = result + item", "result += item"
    )
    assert session.messages() == []


async def test_refactor_inline_on_a_line_with_emoji(start: Start) -> None:
    for client in ("vscode", "neovim", "emacs"):
        session = await start(client=client)
        text = 's = "naïve 😀"; total = sum_all(a, b)\n'
        uri = session.editor.open("e.py", text)
        session.backend.script(Chat("```python\nsum([a, b])\n```"))
        rng = session.editor.range_of(uri, "sum_all(a, b)")
        await session.run(await session.action(uri, rng, "refactor.rewrite.chatls.refactor"))
        assert session.editor.text(uri) == 's = "naïve 😀"; total = sum([a, b])\n', client


async def test_refactor_command_takes_an_instruction(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("a.py", PY)
    session.backend.script(Chat("```python\nreturn math.pi * r ** 2\n```"))
    rng = session.editor.range_of(uri, "    return math.pi * r * r\n")
    result = await session.command(
        "chatls.refactor", {"uri": uri, "range": _json(rng), "instruction": "Use the ** operator"}
    )
    assert result["applied"] is True
    assert "Use the ** operator" in session.backend.requests[0].prompt
    assert "return math.pi * r ** 2" in session.editor.text(uri)
    assert result["edit"]["documentChanges"][0]["textDocument"]["version"] == 1


async def test_fix_edits_only_the_enclosing_function(start: Start) -> None:
    session = await start()
    uri = session.editor.open("a.py", PY)
    diagnostic = types.Diagnostic(
        range=session.editor.range_of(uri, "result + item"),
        message="Consider using augmented assignment",
        source="pylint",
        code="R1714",
    )
    session.backend.script(
        Chat(
            "The fix:\n```python\ndef total(items):\n    result = 0\n    for item in items:\n"
            "        result += item\n    return result\n```"
        )
    )
    action = await session.action(
        uri, diagnostic.range, "quickfix.chatls.fix", diagnostics=[diagnostic]
    )
    await session.run(action)
    assert session.editor.text(uri) == PY.replace("result = result + item", "result += item")
    prompt = session.backend.requests[0].prompt
    assert "Consider using augmented assignment" in prompt and "pylint" in prompt
    assert "def total(items):" in prompt
    # The other function is context, not the code to fix.
    code_block = prompt.split("Code to fix:")[1]
    assert "def area" not in code_block
    edits = session.editor.applied[0].document_changes[0].edits  # type: ignore[union-attr]
    assert len(edits) == 1 and edits[0].range.start.line == 10


async def test_fix_adds_a_missing_import(start: Start) -> None:
    session = await start(client="plain", settings={"structuredOutput": "jsonSchema"})
    text = "import os\n\n\ndef now():\n    return datetime.now()\n"
    uri = session.editor.open("t.py", text)
    diagnostic = types.Diagnostic(
        range=session.editor.range_of(uri, "datetime"), message='"datetime" is not defined'
    )
    session.backend.script(
        Chat.json(
            {
                "code": "def now():\n    return datetime.now()\n",
                "imports": ["from datetime import datetime"],
            }
        )
    )
    action = await session.action(
        uri, diagnostic.range, "quickfix.chatls.fix", diagnostics=[diagnostic]
    )
    await session.run(action)
    assert session.editor.text(uri) == (
        "import os\nfrom datetime import datetime\n\n\ndef now():\n    return datetime.now()\n"
    )
    assert session.backend.requests[0].body["response_format"]["type"] == "json_schema"


async def test_resolve_returns_foreign_actions_unchanged(start: Start) -> None:
    session = await start()
    action = types.CodeAction(title="other", kind="quickfix", data={"from": "another server"})
    resolved = await session.client.code_action_resolve_async(action)
    assert resolved == action
    plain = types.CodeAction(title="no data", kind="quickfix")
    assert await session.client.code_action_resolve_async(plain) == plain


async def test_excluded_files_get_no_actions_and_are_never_sent(start: Start) -> None:
    session = await start()
    uri = session.editor.open(".env", "API_TOKEN=abc\n", language_id="dotenv")
    rng = session.editor.range_of(uri, "API_TOKEN=abc")
    assert await session.actions(uri, rng) == []
    result = await session.command("chatls.explain", {"uri": uri, "range": _json(rng)})
    assert result is None
    assert session.backend.requests == []
    assert any("exclude" in m for m in session.messages())


def _json(rng: types.Range) -> dict[str, object]:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


async def test_a_reply_that_would_break_the_syntax_is_refused(start: Start) -> None:
    session = await start()
    uri = session.editor.open("a.py", PY)
    session.backend.script(
        Chat("```python\nresult = 0\nfor item in items\n    result += item\n```")
    )
    rng = session.editor.range_of(
        uri, "    result = 0\n    for item in items:\n        result = result + item\n"
    )
    resolved = await session.run(await session.action(uri, rng, "refactor.rewrite.chatls.refactor"))
    assert resolved.edit is None
    assert session.editor.text(uri) == PY
    (message,) = session.messages()
    assert "not valid Python" in message


async def test_fixing_a_syntax_error_is_allowed(start: Start) -> None:
    session = await start()
    broken = "def f(x):\n    return (x + 1\n\n\ndef g():\n    return 2\n"
    uri = session.editor.open("b.py", broken)
    diagnostic = types.Diagnostic(
        range=session.editor.range_of(uri, "(x + 1"), message="'(' was never closed"
    )
    session.backend.script(Chat("```python\ndef f(x):\n    return (x + 1)\n```"))
    await session.run(
        await session.action(uri, diagnostic.range, "quickfix.chatls.fix", diagnostics=[diagnostic])
    )
    assert session.editor.text(uri) == broken.replace("(x + 1\n", "(x + 1)\n")


async def test_definitions_repeated_from_elsewhere_are_dropped(start: Start) -> None:
    session = await start()
    uri = session.editor.open("a.py", PY)
    session.backend.script(
        Chat(
            "```python\ndef area(r):\n    return math.pi * r ** 2\n\n\ndef total(items):\n    return sum(items)\n\n\n"
            "def area(r):\n    return 0\n```"
        )
    )
    rng = session.editor.range_of(uri, "def area(r):\n    return math.pi * r * r\n")
    await session.run(await session.action(uri, rng, "refactor.rewrite.chatls.refactor"))
    assert session.editor.text(uri) == PY.replace("math.pi * r * r", "math.pi * r ** 2")


async def test_reply_ends_once_the_code_block_is_complete(start: Start) -> None:
    session = await start()
    uri = session.editor.open("a.py", PY)
    rambling = " And here is why this is better." * 200
    session.backend.script(
        Chat(
            "Before:\n```python\n    return math.pi * r * r\n```\nAfter:\n```python\n    return math.pi * r ** 2\n```\n"
            + rambling,
            finish_reason="length",
            chunk_size=8,
            interval=0.005,
        )
    )
    rng = session.editor.range_of(uri, "    return math.pi * r * r\n")
    await session.run(await session.action(uri, rng, "refactor.rewrite.chatls.refactor"))
    # The commentary after the finished block (and its maxTokens cut-off) never mattered:
    # chatls closed the stream as soon as the answer was complete.
    assert session.editor.text(uri) == PY.replace("math.pi * r * r", "math.pi * r ** 2")
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: session.backend.disconnects == 1
    )
    assert session.messages() == []


async def test_a_stream_that_ends_right_after_the_answer_keeps_its_connection(
    start: Start,
) -> None:
    # The answer is whole at its closing fence, before the stream's last events: chatls reads
    # those for a moment instead of closing the stream, so the next request reuses the
    # connection (with a remote server: no new TLS handshake per action).
    session = await start()
    uri = session.editor.open("a.py", PY)
    for _ in range(3):
        session.backend.script(Chat("```python\n    return math.pi * r ** 2\n```"))
        rng = session.editor.range_of(uri, "    return math.pi * r * r\n")
        await session.run(await session.action(uri, rng, "refactor.rewrite.chatls.refactor"))
        assert session.editor.text(uri) == PY.replace("math.pi * r * r", "math.pi * r ** 2")
        session.editor.type(uri, session.editor.range_of(uri, "r ** 2"), "r * r")
    assert session.backend.completed == 3
    assert session.backend.disconnects == 0
    assert session.backend.connections == 1


async def test_a_reply_python_would_not_compile_is_refused(start: Start) -> None:
    # tree-sitter accepts this inconsistent dedent; Python's compiler does not.
    session = await start()
    uri = session.editor.open("a.py", PY)
    session.backend.script(
        Chat(
            "```python\ndef area(r):\n        return math.pi * r ** 2\n\n    def helper(r):\n        return r\n```"
        )
    )
    rng = session.editor.range_of(uri, "def area(r):\n    return math.pi * r * r\n")
    resolved = await session.run(await session.action(uri, rng, "refactor.rewrite.chatls.refactor"))
    assert resolved.edit is None
    assert session.editor.text(uri) == PY
    (message,) = session.messages()
    assert "not valid Python" in message


async def test_explain_that_starts_repeating_itself_is_cut_there_and_the_stream_closed(
    start: Start,
) -> None:
    session = await start(client="neovim")
    uri = session.editor.open("a.py", PY)
    said = (
        "The function computes the area of a circle from its radius.\n\n"
        "It multiplies pi by the radius squared and returns the result.\n\n"
    )
    # What SmolLM2 does in `make demo`: the same two sentences until maxTokens.
    session.backend.script(Chat(said * 30, chunk_size=16, interval=0.01))
    rng = session.editor.range_of(uri, "return math.pi * r * r")
    result = await session.run(await session.action(uri, rng, "refactor.chatls.explain"))
    assert result["markdown"] == (
        said.rstrip() + "\n\n*(The model began repeating itself here; the rest was left out.)*"
    )
    # Closed once the loop showed, not read to the end.
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: session.backend.disconnects == 1
    )
    assert session.backend.completed == 0
    assert (
        "explain: the answer began repeating itself after 3 lines; the stream was closed there"
        in session.log()
    )


async def test_explain_that_says_its_breakdown_again_reworded_is_cut_before_it(
    start: Start,
) -> None:
    session = await start(client="neovim")
    demo = (Path(__file__).parents[2] / "demo" / "sample.py").read_text()
    uri = session.editor.open("sample.py", demo)
    # `make demo`'s Explain: whole lines, from `def word_count` to column 0 after `return`.
    first = demo.index("def word_count")
    rng = session.editor.range_of(uri, demo[first : demo.index("\n\n", first) + 1])
    assert (rng.start.character, rng.end.character) == (0, 0)
    # SmolLM2's answer there, which chatls showed whole before.
    session.backend.script(Chat(BREAKDOWN, chunk_size=8, interval=0.02))
    result = await session.run(await session.action(uri, rng, "refactor.chatls.explain"))
    kept = "\n".join(BREAKDOWN.splitlines()[:7])
    assert result["markdown"] == (
        kept + "\n\n*(The model began repeating itself here; the rest was left out.)*"
    )
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: session.backend.disconnects == 1
    )
    assert session.backend.completed == 0


async def test_explain_looping_inside_one_line_is_cut_there_and_the_stream_closed(
    start: Start,
) -> None:
    session = await start(client="neovim")
    uri = session.editor.open("a.py", PY)
    # SmolLM2's loop inside one line, which it never ends: before, chatls read it to maxTokens.
    session.backend.script(Chat(ONE_LINE_LOOP * 8, chunk_size=16, interval=0.01))
    rng = session.editor.range_of(uri, "return math.pi * r * r")
    result = await session.run(await session.action(uri, rng, "refactor.chatls.explain"))
    first = ONE_LINE_LOOP[: ONE_LINE_LOOP.index("arguments.") + len("arguments.")]
    assert result["markdown"] == (
        first + "\n\n*(The model began repeating itself here; the rest was left out.)*"
    )
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: session.backend.disconnects == 1
    )
    assert session.backend.completed == 0


@pytest.mark.parametrize(
    ("chat", "line", "count", "ended"),
    [
        # Renaming as it goes, no two lines come round together: read to maxTokens.
        (
            Chat(DEMO_REFACTOR_LOOPS[0], finish_reason="length"),
            "return sum(values) / len(values) * (values[0] + 1) if isi...",
            7,
            " until it was cut off at maxTokens (400)",
        ),
        # The same two lines again and again: closed at their fourth time.
        (
            Chat(DEMO_REFACTOR_LOOPS[1] * 3, chunk_size=16, interval=0.01),
            "return lambda: sum(values) / len(values) if len(values) >...",
            4,
            ", so chatls stopped it there",
        ),
    ],
    ids=["renaming", "same"],
)
async def test_a_refactor_going_round_in_circles_is_refused_saying_so(
    start: Start, chat: Chat, line: str, count: int, ended: str
) -> None:
    session = await start(client="neovim", settings={"maxTokens": 400})
    demo = (Path(__file__).parents[2] / "demo" / "sample.py").read_text()
    uri = session.editor.open("sample.py", demo)
    first = demo.index("def mean_of_positive")
    rng = session.editor.range_of(uri, demo[first : demo.index("\n\n", first) + 1])
    assert (rng.start.character, rng.end.character) == (0, 0)
    session.backend.script(chat)
    resolved = await session.run(await session.action(uri, rng, "refactor.rewrite.chatls.refactor"))
    assert resolved.edit is None
    assert session.editor.text(uri) == demo
    assert session.messages() == [
        f"chatls: The model's answer went round in circles (`{line}` {count} times){ended}; "
        "nothing changed. A larger `maxTokens` would not help: select less code, or use a "
        "stronger model."
    ]
    if chat.finish_reason != "length":
        assert await asyncio.to_thread(
            session.backend.wait_for, lambda: session.backend.disconnects == 1
        )
        assert session.backend.completed == 0


async def test_ask_that_loops_inside_its_paragraphs_is_cut_before_the_loop(start: Start) -> None:
    session = await start(client="neovim")
    uri = session.editor.open("a.py", PY)
    first = "It returns the area of a circle whose radius is `r`."
    # SmolLM2's other loop: one sentence again and again at the end of lines that differ.
    loop = "The area is pi times the radius times the radius."
    lines = [f"Step {n}: it multiplies. {loop}" for n in range(1, 40)]
    session.backend.script(Chat("\n\n".join([first, *lines]), chunk_size=16, interval=0.01))
    rng = session.editor.range_of(uri, "return math.pi * r * r")
    result = await session.command(
        "chatls.ask",
        {
            "uri": uri,
            "range": {
                "start": {"line": rng.start.line, "character": rng.start.character},
                "end": {"line": rng.end.line, "character": rng.end.character},
            },
            "question": "What does it return?",
        },
    )
    # The answer keeps what came before the sentence's first repetition, and ends cleanly.
    assert result["markdown"] == (
        f"{first}\n\n{lines[0]}"
        "\n\n*(The model began repeating itself here; the rest was left out.)*"
    )
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: session.backend.disconnects == 1
    )
    assert session.backend.completed == 0
    assert "ask: the answer began repeating itself after 3 lines" in session.log()
