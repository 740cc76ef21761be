"""Inline completions end to end: cleaning the reply at the cursor, alternatives, supersession
and cancellation closing the stream, the cache, debounce, exclusions, and the completion-item
fallback."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

from chatls_testing.editor import position_of
from chatls_testing.scripted_backend import Chat, Error
from tests.conftest import Session, Start, capabilities

MARK = "‸"


def inline_capabilities() -> types.ClientCapabilities:
    caps = capabilities("vscode")
    assert caps.text_document is not None
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    return caps


async def _start(start: Start, **settings: object) -> Session:
    inline = {"debounceMs": 0, **settings}
    # Ghost text alone: predictions of the next edit (tests/e2e/test_next_edit.py) would take
    # the replies scripted for it.
    return await start(
        client=inline_capabilities(),
        settings={"inlineCompletion": inline, "nextEdit": {"enabled": "off"}},
    )


def _open(
    session: Session, name: str, marked: str, language: str = "python"
) -> tuple[str, types.Position]:
    offset = marked.index(MARK)
    text = marked.replace(MARK, "")
    uri = session.editor.open(name, text, language_id=language)
    return uri, position_of(text, offset, session.editor.encoding)


async def _inline(
    session: Session, uri: str, position: types.Position, automatic: bool = False
) -> list[types.InlineCompletionItem]:
    kind = (
        types.InlineCompletionTriggerKind.Automatic
        if automatic
        else types.InlineCompletionTriggerKind.Invoked
    )
    result = await session.client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position,
            context=types.InlineCompletionContext(trigger_kind=kind),
        )
    )
    assert isinstance(result, types.InlineCompletionList)
    return list(result.items)


CASES = [
    (
        "model repeats the line and the closing paren",
        "total = sum_all(‸)\n",
        "total = sum_all(items)",
        "items",
    ),
    ("only the rest of the line", "total = sum_all(‸)\n", "items)", "items"),
    ("mid-word", "def f(total):\n    ret‸\n", "return total", "urn total"),
    (
        "fenced with prose",
        "def f(a, b):\n    return a ‸\n",
        "Here is the completion:\n```python\n+ b\n```",
        "+ b",
    ),
    ("one line only, mid-line", "x = compute(‸, 2)\n", "1, 2)\nprint(x)", "1"),
    (
        "block on an empty line",
        "def f(x):\n    ‸\n",
        "```python\n    y = x * 2\n    return y\n```",
        "y = x * 2\n    return y",
    ),
    (
        "block at column 0 of an empty line in a body",
        "def f(x):\n‸\n",
        "y = x * 2\nreturn y",
        "    y = x * 2\n    return y",
    ),
    ("block after an opener", "def f(x):‸\n", "    return x", "\n    return x"),
    (
        "block stops where it leaves the function",
        "def f(x):\n    ‸\n",
        "y = 1\nreturn y\n\ndef g():\n    pass",
        "y = 1\n    return y",
    ),
    (
        "repeats the line after the cursor",
        "def f(x):\n    ‸\n    return y\n",
        "y = x + 1\nreturn y",
        "y = x + 1",
    ),
    (
        "repeats the lines before",
        "def f(x):\n    ‸\n",
        "def f(x):\n    return x + 1",
        "return x + 1",
    ),
    (
        "tabs",
        "def f():\n\t‸\n",
        "for i in range(3):\n    print(i)",
        "for i in range(3):\n\t\tprint(i)",
    ),
    ("CRLF", "def f(x):\r\n    ‸\r\n", "y = x\nreturn y", "y = x\r\n    return y"),
    ("after non-ASCII text", 's = "😀é"; n = len(‸)\n', "s)", "s"),
]


@pytest.mark.parametrize(("name", "marked", "reply", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_reply_is_cleaned_at_the_cursor(
    start: Start, name: str, marked: str, reply: str, expected: str
) -> None:
    session = await _start(start)
    uri, position = _open(session, "c.py", marked)
    session.backend.script(Chat(reply))
    items = await _inline(session, uri, position)
    assert [item.insert_text for item in items] == [expected]
    assert items[0].range == types.Range(start=position, end=position)
    request = session.backend.requests[0]
    assert "<CURSOR>" in request.prompt and request.body["max_tokens"] == 64
    assert session.messages() == []


async def test_prompt_carries_prefix_suffix_language_path_and_imports(start: Start) -> None:
    session = await _start(start)
    uri, position = _open(
        session,
        "pkg/mod.py",
        "import os\nimport sys\n\n\ndef f(p):\n    return os.path.join(‸)\n\nx = 1\n",
    )
    session.backend.script(Chat("p, 'a')"))
    await _inline(session, uri, position)
    user = session.backend.requests[0].messages[1]["content"]
    assert "File: pkg/mod.py (Python)" in user
    assert "def f(p):\n    return os.path.join(<CURSOR>)\n\nx = 1" in user
    assert "import os" in user
    # What does not depend on the cursor is in the system message, so the prompt ends with
    # the few lines after the cursor (read again on every request).
    assert "the rest of the line" in session.backend.requests[0].messages[0]["content"]
    assert user.endswith("x = 1")


async def test_alternatives_are_deduplicated(start: Start) -> None:
    session = await _start(start, n=3)
    uri, position = _open(session, "c.py", "total = sum_all(‸)\n")
    session.backend.script(Chat(["items)", "total = sum_all(items)", "values)"]))
    items = await _inline(session, uri, position)
    assert [item.insert_text for item in items] == ["items", "values"]
    assert session.backend.requests[0].body["n"] == 3
    assert session.backend.requests[0].body["stop"] == ["\n"]


async def test_a_newer_request_supersedes_and_closes_the_stream(start: Start) -> None:
    session = await _start(start)
    uri, position = _open(session, "c.py", "total = sum_all(‸)\n")
    session.backend.script(Chat("items)", delay=30), Chat("values)"))
    first = asyncio.ensure_future(_inline(session, uri, position))
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: len(session.backend.requests) == 1
    )
    session.editor.type(uri, types.Range(start=position, end=position), "v")
    moved = types.Position(line=position.line, character=position.character + 1)
    second = await _inline(session, uri, moved)
    assert [item.insert_text for item in second] == ["alues"]
    assert await asyncio.wait_for(first, 10) == []
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: session.backend.disconnects == 1
    )


async def test_cancel_request_closes_the_stream(start: Start) -> None:
    session = await _start(start)
    uri, position = _open(session, "c.py", "total = sum_all(‸)\n")
    session.backend.script(Chat("items)", delay=30))
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=position,
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked
        ),
    )
    pending = asyncio.ensure_future(
        session.client.protocol.send_request_async(
            "textDocument/inlineCompletion", params, msg_id="ic-1"
        )
    )
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: len(session.backend.requests) == 1
    )
    session.client.cancel_request(types.CancelParams(id="ic-1"))
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: session.backend.disconnects == 1
    )
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(pending, 10)


async def test_cache_and_typing_into_a_suggestion(start: Start) -> None:
    session = await _start(start)
    uri, position = _open(session, "c.py", "def f(values):\n    return sorted(‸)\n")
    session.backend.script(Chat("values, reverse=True)"))
    items = await _inline(session, uri, position)
    assert [i.insert_text for i in items] == ["values, reverse=True"]
    # The same context again: answered from the cache.
    again = await _inline(session, uri, position)
    assert [i.insert_text for i in again] == ["values, reverse=True"]
    # The user types the first characters of the suggestion: the rest, still from the cache.
    session.editor.type(uri, types.Range(start=position, end=position), "val")
    typed = types.Position(line=position.line, character=position.character + 3)
    rest = await _inline(session, uri, typed, automatic=True)
    assert [i.insert_text for i in rest] == ["ues, reverse=True"]
    assert len(session.backend.requests) == 1
    # Typing something else is a new context: a new request.
    session.editor.type(uri, types.Range(start=typed, end=typed), "X")
    session.backend.script(Chat("Y)"))
    other = await _inline(
        session, uri, types.Position(line=typed.line, character=typed.character + 1)
    )
    assert [i.insert_text for i in other] == ["Y"]
    assert len(session.backend.requests) == 2


async def test_automatic_triggers_are_debounced(start: Start) -> None:
    # Long enough that a loaded machine still types the burst within it.
    session = await _start(start, debounceMs=5000)
    uri, position = _open(session, "c.py", "total = sum_all(‸)\n")
    session.backend.default = Chat("items)")
    burst = []
    for number, char in enumerate("abc"):
        at = types.Position(line=position.line, character=position.character + number)
        session.editor.type(uri, types.Range(start=at, end=at), char)
        after = types.Position(line=at.line, character=at.character + 1)
        burst.append(asyncio.ensure_future(_inline(session, uri, after, automatic=True)))
        await asyncio.sleep(0.02)
    results = await asyncio.gather(*burst)
    assert results[:2] == [[], []]
    assert [i.insert_text for i in results[2]] == ["items"]
    assert len(session.backend.requests) == 1


async def test_explicit_requests_are_never_debounced(start: Start) -> None:
    # With a one-minute debounce, only an undebounced request can be answered in time.
    session = await _start(start, debounceMs=60000)
    uri, position = _open(session, "c.py", "total = sum_all(‸)\n")
    session.backend.script(Chat("items)"))
    items = await asyncio.wait_for(_inline(session, uri, position), 20)
    assert [i.insert_text for i in items] == ["items"]


async def test_excluded_and_disabled(start: Start) -> None:
    session = await _start(start)
    uri, position = _open(session, ".env", "TOKEN=‸\n", language="dotenv")
    assert await _inline(session, uri, position) == []
    session2 = await start(
        client=inline_capabilities(), settings={"inlineCompletion": {"enabled": False}}
    )
    uri2, position2 = _open(session2, "c.py", "x = (‸)\n")
    assert await _inline(session2, uri2, position2) == []
    assert session.backend.requests == []


async def test_errors_are_shown_once(start: Start) -> None:
    session = await _start(start)
    uri, position = _open(session, "c.py", "total = sum_all(‸)\n")
    session.backend.default = Error(401, "bad key")
    assert await _inline(session, uri, position) == []
    assert await _inline(session, uri, types.Position(line=0, character=0)) == []
    assert len(session.messages()) == 1
    assert "Inline completion" in session.messages()[0] and "401" in session.messages()[0]


async def test_completion_items_for_editors_without_inline_completion(start: Start) -> None:
    session = await start(
        client="emacs", settings={"inlineCompletion": {"asCompletionItems": True, "debounceMs": 0}}
    )
    uri, position = _open(session, "c.py", "def f(total):\n    ret‸\n")
    session.backend.script(Chat("return total"))
    result = await session.client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position,
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
        )
    )
    assert isinstance(result, types.CompletionList) and result.is_incomplete
    (item,) = result.items
    assert item.text_edit is not None and item.text_edit.new_text == "return total"
    edit = item.text_edit
    assert isinstance(edit, types.TextEdit)
    assert edit.range.start == types.Position(line=1, character=4) and edit.range.end == position


async def test_completion_items_are_off_by_default(start: Start) -> None:
    session = await start(client="emacs")
    assert session.server_capabilities.completion_provider is None
    assert session.server_capabilities.inline_completion_provider is not None


async def test_a_guess_under_min_confidence_is_hidden_and_a_sure_one_shown(start: Start) -> None:
    session = await _start(start, minConfidence=0.5)
    uri, position = _open(session, "c.py", "total = sum_all(‸)\n")
    # ln 0.9 per token is shown; ln 0.2 per token is a guess.
    session.backend.script(Chat("items)", logprobs=-0.105), Chat("values)", logprobs=-1.61))
    assert [item.insert_text for item in await _inline(session, uri, position)] == ["items"]
    assert session.backend.requests[0].body["logprobs"] is True
    session.editor.type(uri, types.Range(start=position, end=position), " ")
    moved = types.Position(line=position.line, character=position.character + 1)
    assert await _inline(session, uri, moved) == []
    assert "under minConfidence 0.500" in session.log()


async def test_alternatives_come_surest_first(start: Start) -> None:
    session = await _start(start, n=3)
    uri, position = _open(session, "c.py", "total = sum_all(‸)\n")
    session.backend.script(Chat(["values)", "items)", "data)"], logprobs=[-1.2, -0.05, -0.6]))
    items = await _inline(session, uri, position)
    assert [item.insert_text for item in items] == ["items", "data", "values"]


async def test_without_log_probabilities_every_suggestion_is_shown(start: Start) -> None:
    session = await _start(start, minConfidence=0.99)
    uri, position = _open(session, "c.py", "total = sum_all(‸)\n")
    session.backend.script(Chat("items)"))  # a backend that ignores `logprobs`
    assert [item.insert_text for item in await _inline(session, uri, position)] == ["items"]
    assert session.backend.requests[0].body["logprobs"] is True


# A file longer than a small window: the imports above the window go in the prompt's own
# "The file's imports" section.
LONG = (
    "import os\nimport sys\n\n\n"
    + "".join(f"def f{n}(x):\n    return x + {n}\n\n\n" for n in range(120))
    + "def main(paths):\n    found = []\n    for path in paths:\n        ‸\n    return found\n"
)


async def test_a_candidate_that_copies_a_section_of_the_prompt_is_dropped(start: Start) -> None:
    # What SmolLM2 and Qwen2.5-Coder-0.5B did at most positions of the confidence bench: write
    # the prompt out again from the imports section on, as if it were the file.
    session = await _start(start, n=3, contextTokens=512)
    uri, position = _open(session, "long.py", LONG)
    session.backend.script(
        Chat(
            [
                "```python\nimport os\nimport sys\n```",
                "if os.path.exists(path):\n    found.append(path)",
                # SmolLM2's shape: the section's heading first.
                "The file's imports:\nimport os",
            ]
        )
    )
    items = await _inline(session, uri, position)
    user = session.backend.requests[0].messages[1]["content"]
    assert "The file's imports:\nimport os\nimport sys\n" in user
    assert [item.insert_text for item in items] == [
        "if os.path.exists(path):\n            found.append(path)"
    ]
    assert session.log().count("which copies a section of the prompt") == 2

    # The first lines of the code shown, well above the cursor, are a section too.
    code = user.split("import sys\n", 1)[1].lstrip("\n")
    window_top = "\n".join(code.split("\n")[:2])
    assert window_top.startswith("def f")
    session.editor.type(uri, types.Range(start=position, end=position), "x")
    moved = types.Position(line=position.line, character=position.character + 1)
    session.backend.script(Chat([window_top, " = path"]))
    items = await _inline(session, uri, moved)
    assert [item.insert_text for item in items] == [" = path"]
    assert session.log().count("which copies a section of the prompt") == 3

    # A function the file defined above, written again in the loop's body.
    other, position = _open(session, "other.py", LONG)
    session.backend.script(Chat(["def f7(x):\n    return x + 7", "found.append(path)"]))
    items = await _inline(session, other, position)
    assert [item.insert_text for item in items] == ["found.append(path)"]
    assert session.log().count("which copies a section of the prompt") == 4
