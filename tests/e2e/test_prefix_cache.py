"""Prompts laid out for the backend's prefix cache, end to end over LSP: consecutive requests on
one file share most of their prompt, ``prompt_cache_key`` goes out (and is dropped and
remembered where refused), the backend's cache figures reach the user, and a prompt over the
backend's context is made smaller and sent again without the user seeing the 400."""

from __future__ import annotations

import itertools

import pytest
from lsprotocol import types

from chatls_testing.editor import position_of
from chatls_testing.scripted_backend import Chat, Error, Recorded
from tests.conftest import Session, Start
from tests.e2e.test_inline_completion import _inline, inline_capabilities


def function(i: int) -> str:
    return (
        f"def step{i}(values, limit):\n"
        f'    """Sum of the values over limit, times {i}."""\n'
        "    total = 0\n"
        "    for value in values:\n"
        "        if value > limit:\n"
        f"            total += value * {i}\n"
        "    return total\n"
    )


def functions(count: int) -> str:
    """A Python file of ``count`` small functions (9 lines each) under a few imports."""
    return "import os\nimport re\n\n\n" + "\n\n".join(function(i) for i in range(count))


def said(session: Session) -> list[str]:
    return [m.removeprefix("chatls: ") for m in session.messages()]


def shared(first: Recorded, second: Recorded) -> float:
    """The two prompts' common prefix (system message, then the user's) as a share of the
    shorter one: what a prefix cache can reuse."""
    a, b = first.prompt, second.prompt
    same = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    return (min(len(a), len(b)) if same is None else same) / min(len(a), len(b))


async def _explain(session: Session, uri: str, i: int) -> None:
    rng = session.editor.range_of(uri, function(i))
    action = await session.action(uri, rng, "refactor.chatls.explain")
    await session.run(action)


async def _refactor(session: Session, uri: str, i: int) -> None:
    rng = session.editor.range_of(uri, function(i))
    action = await session.action(uri, rng, "refactor.rewrite.chatls.refactor")
    await session.run(action)


@pytest.mark.parametrize(
    ("count", "context", "targets"),
    [
        # About 300 lines: the whole file fits, so every action anywhere in it shares it.
        (33, 8192, (3, 30, 17, 9)),
        # About 1,500 lines in a 4,096-token budget: neighbouring functions share a window.
        (166, 4096, (80, 81, 82, 83)),
    ],
    ids=["file-that-fits", "1500-lines"],
)
async def test_consecutive_actions_in_a_file_share_their_prefix(
    start: Start, count: int, context: int, targets: tuple[int, ...]
) -> None:
    session = await start(settings={"contextTokens": context})
    uri = session.editor.open("steps.py", functions(count))
    renamed = function(targets[1]).replace("total", "result").rstrip()
    session.backend.script(
        Chat("It sums the large values."),
        Chat(f"```python\n{renamed}\n```"),
        Chat("It sums the large values."),
        Chat("It sums them too."),
    )
    await _explain(session, uri, targets[0])
    await _refactor(session, uri, targets[1])
    assert "result += value" in session.editor.text(uri)
    await _explain(session, uri, targets[2])
    await _explain(session, uri, targets[3])
    requests = session.backend.requests
    assert len(requests) == 4
    for earlier, later in itertools.pairwise(requests):
        assert earlier.messages[0] == later.messages[0]
        if "result += value" in later.prompt and "result += value" not in earlier.prompt:
            # The applied refactor changed the file itself: shared up to where it changed.
            edited = earlier.prompt.index(f"def step{targets[1]}(")
            assert shared(earlier, later) * min(len(earlier.prompt), len(later.prompt)) > edited
        else:
            at = int(shared(earlier, later) * min(len(earlier.prompt), len(later.prompt)))
            assert shared(earlier, later) >= 0.8, (
                earlier.prompt[at - 200 : at + 200],
                later.prompt[at - 200 : at + 200],
            )
    # The code in question comes last, marked by its lines, after the file.
    last = requests[-1].messages[1]["content"]
    assert last.rindex(f"def step{targets[3]}(") > last.index("Explain this Python code")
    assert "(lines " in last
    # The budget still holds: a 1,500-line file is shown in part.
    if count == 166:
        assert "(earlier lines omitted)" in last.split("\n", 1)[0]
        assert f"{functions(count).count(chr(10)) + 1} lines in all" in last
        assert "def step0(" not in last and "def step165(" not in last


async def test_typing_keeps_the_completion_prompt_prefix(start: Start) -> None:
    session = await start(
        client=inline_capabilities(),
        # After typing, a next-edit prediction is asked beside the completion: a third request.
        settings={"inlineCompletion": {"debounceMs": 0}, "nextEdit": {"enabled": "off"}},
    )
    marker = "            total += value * 30\n    return total\n"
    text = functions(40).replace(marker, marker + "    \n", 1)
    uri = session.editor.open("steps.py", text)
    cursor = text.index("    \n") + 4
    position = position_of(text, cursor, session.editor.encoding)
    session.backend.script(Chat("return None"), Chat("total)"))

    await _inline(session, uri, position)
    session.editor.type(uri, types.Range(start=position, end=position), "print(")
    await _inline(
        session, uri, types.Position(line=position.line, character=position.character + 6)
    )
    first, second = session.backend.requests
    assert shared(first, second) >= 0.8
    user = second.messages[1]["content"]
    # The code before the cursor, then the cursor, then only a few lines after it.
    assert "    print(<CURSOR>\n" in user
    assert "def step31(" in user and "def step32(" not in user


async def test_prompt_cache_key_per_file(start: Start) -> None:
    session = await start()
    one = session.editor.open("one.py", functions(5))
    two = session.editor.open("two.py", functions(5))
    session.backend.script(Chat("a"), Chat("b"), Chat("c"))
    await _explain(session, one, 1)
    await _explain(session, one, 3)
    await _explain(session, two, 1)
    keys = [r.body.get("prompt_cache_key") for r in session.backend.requests]
    assert keys[0] and keys[0] == keys[1] and keys[2] and keys[2] != keys[0]
    assert "one" not in keys[0] and "steps" not in keys[0]


async def test_a_backend_that_refuses_prompt_cache_key_is_remembered(start: Start) -> None:
    session = await start()
    uri = session.editor.open("one.py", functions(5))
    session.backend.script(
        Error(400, "Unrecognized request argument supplied: prompt_cache_key"),
        Chat("It sums."),
        Chat("It sums again."),
    )
    await _explain(session, uri, 1)
    await _explain(session, uri, 2)
    first, retried, later = session.backend.requests
    assert "prompt_cache_key" in first.body
    assert "prompt_cache_key" not in retried.body and "prompt_cache_key" not in later.body
    assert said(session) == ["It sums.", "It sums again."]


LLAMA_OVERFLOW = {
    "error": {
        "code": 400,
        "message": "request (9237 tokens) exceeds the available context size (3500 tokens), "
        "try increasing it",
        "type": "exceed_context_size_error",
        "n_prompt_tokens": 9237,
        "n_ctx": 3500,
    }
}


@pytest.mark.parametrize(
    "overflow",
    [
        Error(400, body=LLAMA_OVERFLOW),
        Error(
            400,
            "This model's maximum context length is 3500 tokens. However, your messages "
            "resulted in 9237 tokens. Please reduce the length of the messages.",
            param="messages",
            code="context_length_exceeded",
        ),
    ],
    ids=["llama.cpp", "openai"],
)
async def test_a_prompt_over_the_backends_context_is_shrunk_and_sent_again(
    start: Start, overflow: Error
) -> None:
    from chatls.context.tokens import TokenCounter

    session = await start(settings={"contextTokens": 8192, "tools": {"enabled": "off"}})
    uri = session.editor.open("steps.py", functions(166))
    session.backend.script(overflow, Chat("It sums the large values."), Chat("Again."))
    await _explain(session, uri, 80)
    # The user sees the answer, not the 400.
    assert said(session) == ["It sums the large values."]
    too_long, retried = session.backend.requests
    counter = TokenCounter("test-model", 1.0)
    assert (
        counter.count_messages(retried.messages) < 3500 < counter.count_messages(too_long.messages)
    )
    # The limit is remembered: the next action's first request already fits.
    await _explain(session, uri, 120)
    assert len(session.backend.requests) == 3
    assert counter.count_messages(session.backend.requests[2].messages) < 3500
    assert said(session)[-1] == "Again."


async def test_an_overflow_that_persists_is_one_clear_message(start: Start) -> None:
    session = await start(settings={"contextTokens": 8192})
    uri = session.editor.open("steps.py", functions(166))
    session.backend.script(Error(400, body=LLAMA_OVERFLOW), Error(400, body=LLAMA_OVERFLOW))
    rng = session.editor.range_of(uri, function(80))
    before = session.editor.text(uri)
    await session.run(await session.action(uri, rng, "refactor.rewrite.chatls.refactor"))
    (message,) = session.messages()
    assert "context" in message and "contextTokens" in message and "Traceback" not in message
    assert session.editor.text(uri) == before
    assert len(session.backend.requests) == 2


async def test_cached_tokens_are_shown_and_logged(start: Start) -> None:
    session = await start()
    uri = session.editor.open("steps.py", functions(5))
    counts = {
        "prompt_tokens": 3080,
        "completion_tokens": 5,
        "total_tokens": 3085,
        "prompt_tokens_details": {"cached_tokens": 3060},
    }
    session.backend.script(Chat("It sums.", counts=counts))
    await _explain(session, uri, 1)
    reports = [
        getattr(report, "message", "") or ""
        for reports in session.client.progress_reports.values()
        for report in reports
    ]
    assert any("(3,060 of 3,080 prompt tokens cached)" in r for r in reports), reports
    assert "3080 prompt tokens (3060 cached), first token after" in session.log()


async def test_a_narrow_action_after_a_wide_one_extends_its_prefix(start: Start) -> None:
    # A backend with one cache slot (a user's llama-server) keeps one prompt: a Generate
    # docstring sent narrow after an Explain evicted the file, and the next wide action read it
    # all again. After a request that showed the file's window, it shows it too; Fix stays
    # narrow (its answers were worse with the window).
    session = await start(settings={"contextTokens": 8192})
    uri = session.editor.open("steps.py", functions(33))
    fixed = function(31).replace("    total = 0", "    total: int = 0").rstrip()
    session.backend.script(
        Chat("It sums the large values."),
        Chat("Sum of the large values."),
        Chat("It sums them too."),
        Chat(f"```python\n{fixed}\n```"),
        Chat("Sum of the large values."),
    )
    await _explain(session, uri, 3)
    action = await session.action(
        uri, session.editor.range_of(uri, function(30)), "refactor.rewrite.chatls.docstring"
    )
    await session.run(action)
    await _explain(session, uri, 2)
    diagnostic = types.Diagnostic(
        range=session.editor.range_of(uri, function(31)[function(31).index("total = 0") :]),
        message='Need type annotation for "total"',
        source="mypy",
    )
    action = await session.action(
        uri, diagnostic.range, "quickfix.chatls.fix", diagnostics=[diagnostic]
    )
    await session.run(action)
    text = session.editor.text(uri)
    assert "total: int = 0" in text and '"""Sum of the large values."""' in text
    explain, docstring, again, fix = session.backend.requests[:4]
    assert docstring.messages[0] == explain.messages[0] == again.messages[0]
    # The docstring's edit at step30 is the first change: everything before it is shared.
    assert shared(explain, docstring) >= 0.8
    edited = explain.prompt.index("def step30(")
    assert shared(docstring, again) * min(len(docstring.prompt), len(again.prompt)) > edited
    # Its own part follows the file, as it asks it.
    user = docstring.messages[1]["content"]
    assert user.index("def step0(") < user.rindex("Write the documentation for this Python")
    assert user.endswith("without quotes, comment markers or code.")
    # Fix keeps its own narrow context.
    assert "def step0(" not in fix.prompt and "Code to fix:" in fix.prompt

    # A file whose window the backend does not hold: Generate docstring stays narrow.
    other = session.editor.open("other.py", functions(33))
    action = await session.action(
        other, session.editor.range_of(other, function(5)), "refactor.rewrite.chatls.docstring"
    )
    await session.run(action)
    narrow = session.backend.requests[4].prompt
    assert "def step5(" in narrow and "def step0(" not in narrow and "def step6(" not in narrow
