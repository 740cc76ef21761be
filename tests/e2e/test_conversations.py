"""Conversations end to end: Refine after an edit and Ask with follow-ups, each request checked
message by message (the whole thread, the previous answers verbatim, the new turn last), against
real HTTP and the real server over LSP."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from chatls.context.tokens import TokenCounter
from chatls_testing.scripted_backend import Chat, Recorded
from tests.conftest import Session, Start

CODE = """import os


def find(items, wanted):
    for index, item in enumerate(items):
        if item == wanted:
            return index
    return -1


def label(path):
    return os.path.basename(path)
"""

FIND = CODE[CODE.index("def find") : CODE.index("\n\n\ndef label")]
ONE_LINER = "def find(items, wanted):\n    return items.index(wanted) if wanted in items else -1"
LOOP_NONE = FIND.replace("return -1", "return None")
ANSWER_FORMAT = (
    "Answer with the complete new version of the code you wrote last, in one fenced code "
    "block, and nothing else."
)


def fenced(code: str) -> str:
    return f"```python\n{code}\n```"


def refine_turn(instruction: str) -> dict[str, str]:
    return {"role": "user", "content": f"{instruction}\n\n{ANSWER_FORMAT}"}


def assistant(content: str) -> dict[str, str]:
    return {"role": "assistant", "content": content}


def user(content: str) -> dict[str, str]:
    return {"role": "user", "content": content}


def as_json(rng: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


def cursor(session: Session, uri: str, needle: str) -> dict[str, Any]:
    at = session.editor.range_of(uri, needle).start
    return as_json(types.Range(start=at, end=at))


async def refactor_find(session: Session, uri: str, reply: str = ONE_LINER) -> None:
    """Refactor ``find`` through its code action, as the editor would (resolved or run)."""
    session.backend.script(Chat(fenced(reply)))
    rng = session.editor.range_of(uri, FIND)
    await session.run(await session.action(uri, rng, "refactor.rewrite.chatls.refactor"))
    assert session.editor.text(uri) == CODE.replace(FIND, reply)


async def refine_action(session: Session, uri: str, rng: types.Range) -> types.CodeAction | None:
    found = [
        a for a in await session.actions(uri, rng) if a.kind == "refactor.rewrite.chatls.refine"
    ]
    return found[0] if found else None


async def test_refine_twice_sends_the_whole_thread_and_replaces_the_last_result(
    start: Start,
) -> None:
    session = await start()  # VS Code's capabilities: Refactor is resolved, then applied
    uri = session.editor.open("find.py", CODE)
    await refactor_find(session, uri)
    first = session.backend.requests[0].messages
    assert [m["role"] for m in first] == ["system", "user"]

    # Refine is offered on the code chatls wrote, as a command the editor's plugin runs with
    # the user's instruction.
    action = await refine_action(session, uri, session.editor.range_of(uri, "items.index"))
    assert action is not None and action.title == "chatls: Refine…"
    assert action.command is not None and action.command.command == "chatls.refine"
    argument = dict(action.command.arguments[0])  # type: ignore[index]
    assert argument["thread"] == "t1"

    session.backend.script(Chat(fenced(LOOP_NONE)))
    result = await session.command(
        "chatls.refine", {**argument, "instruction": "Keep the loop with the early return"}
    )
    assert result["applied"] is True
    assert session.editor.text(uri) == CODE.replace(FIND, LOOP_NONE)
    assert session.backend.requests[1].messages == [
        first[0],
        first[1],
        assistant(fenced(ONE_LINER)),
        refine_turn("Keep the loop with the early return"),
    ]

    # Again: the thread grows by one exchange, and the edit replaces only what changed.
    session.backend.script(Chat(fenced(FIND)))
    result = await session.command(
        "chatls.refine",
        {"uri": uri, "range": cursor(session, uri, "return None"), "instruction": "Return -1"},
    )
    assert result["applied"] is True
    assert session.editor.text(uri) == CODE
    assert session.backend.requests[2].messages == [
        first[0],
        first[1],
        assistant(fenced(ONE_LINER)),
        refine_turn("Keep the loop with the early return"),
        assistant(fenced(LOOP_NONE)),
        refine_turn("Return -1"),
    ]
    [change] = session.editor.applied[-1].document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == session.editor.docs[uri].version - 1
    assert [(e.new_text, e.range.start.line) for e in change.edits] == [("-1", 7)]
    assert session.messages() == []


async def test_an_undo_of_a_refine_takes_the_thread_back_to_the_previous_result(
    start: Start,
) -> None:
    session = await start(client="plain")
    uri = session.editor.open("find.py", CODE)
    await refactor_find(session, uri)
    first = session.backend.requests[0].messages
    session.backend.script(Chat(fenced(LOOP_NONE)))
    here = cursor(session, uri, "def find")
    await session.command("chatls.refine", {"uri": uri, "range": here, "instruction": "A loop"})
    assert session.editor.text(uri) == CODE.replace(FIND, LOOP_NONE)
    # What an editor's undo sends: the inverse of the refine's edit.
    session.editor.type(uri, session.editor.range_of(uri, LOOP_NONE), ONE_LINER)
    session.backend.script(Chat(fenced(ONE_LINER.replace("-1", "None"))))
    result = await session.command(
        "chatls.refine", {"uri": uri, "range": here, "instruction": "Return None"}
    )
    assert result["applied"] is True
    assert session.backend.requests[2].messages == [
        first[0],
        first[1],
        assistant(fenced(ONE_LINER)),
        refine_turn("Return None"),
    ]


async def test_refine_after_typing_above_follows_the_code(start: Start) -> None:
    session = await start(client="plain")  # Refactor runs as a command: workspace/applyEdit
    uri = session.editor.open("find.py", CODE)
    await refactor_find(session, uri)
    first = session.backend.requests[0].messages
    top = types.Position(line=0, character=0)
    session.editor.type(uri, types.Range(start=top, end=top), "# Helpers.\n\n")
    below = session.editor.range_of(uri, "os.path.basename(path)")
    session.editor.type(uri, below, "os.path.split(path)[1] if path else ''")

    moved = session.editor.range_of(uri, ONE_LINER)
    assert moved.start.line == 5
    assert await refine_action(session, uri, moved) is not None
    assert await refine_action(session, uri, session.editor.range_of(uri, "import os")) is None

    session.backend.script(Chat(fenced(LOOP_NONE)))
    result = await session.command(
        "chatls.refine",
        {"uri": uri, "range": as_json(moved), "instruction": "Keep the loop"},
    )
    assert result["applied"] is True
    expected = ("# Helpers.\n\n" + CODE.replace(FIND, LOOP_NONE)).replace(
        "os.path.basename(path)", "os.path.split(path)[1] if path else ''"
    )
    assert session.editor.text(uri) == expected
    assert session.backend.requests[1].messages == [
        first[0],
        first[1],
        assistant(fenced(ONE_LINER)),
        refine_turn("Keep the loop"),
    ]


async def test_refine_after_the_user_edited_the_refined_code_is_refused(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("find.py", CODE)
    await refactor_find(session, uri)
    session.editor.type(uri, session.editor.range_of(uri, "-1"), "None")
    edited = session.editor.range_of(uri, "items.index")
    assert await refine_action(session, uri, edited) is None

    result = await session.command(
        "chatls.refine",
        {"uri": uri, "range": as_json(edited), "instruction": "Use a loop"},
    )
    assert result is None
    [message] = session.messages(types.MessageType.Error)
    assert "changed since (edited or undone)" in message and "Run Refactor again" in message
    assert len(session.backend.requests) == 1
    assert session.editor.text(uri) == CODE.replace(FIND, ONE_LINER).replace("-1", "None")


async def test_refine_after_an_edited_implement_names_implement(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("area.py", "def area(w, h):\n    pass\n")
    at = session.editor.range_of(uri, "pass").start
    action = await session.action(
        uri, types.Range(start=at, end=at), "refactor.rewrite.chatls.implement"
    )
    session.backend.script(Chat(fenced("def area(w, h):\n    return w * h")))
    await session.run(action)
    assert session.editor.text(uri) == "def area(w, h):\n    return w * h\n"
    session.editor.type(uri, session.editor.range_of(uri, "w * h"), "h * w")

    result = await session.command(
        "chatls.refine",
        {
            "uri": uri,
            "range": as_json(session.editor.range_of(uri, "h * w")),
            "instruction": "Check for negatives",
        },
    )
    assert result is None
    [message] = session.messages(types.MessageType.Error)
    assert "changed since (edited or undone)" in message and "Run Implement again" in message
    assert len(session.backend.requests) == 1


async def test_undoing_the_edit_or_closing_the_document_ends_the_thread(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("find.py", CODE)
    await refactor_find(session, uri)
    # An undo, as far as the server can tell: the original code is back.
    session.editor.type(uri, session.editor.range_of(uri, ONE_LINER), FIND)
    result = await session.command(
        "chatls.refine",
        {"uri": uri, "range": cursor(session, uri, "enumerate"), "instruction": "Shorter"},
    )
    assert result is None
    assert "edited or undone" in session.messages(types.MessageType.Error)[-1]

    await refactor_find(session, uri)
    session.editor.close(uri)
    uri = session.editor.open("find.py", CODE.replace(FIND, ONE_LINER))
    result = await session.command(
        "chatls.refine",
        {"uri": uri, "range": cursor(session, uri, "items.index"), "instruction": "Shorter"},
    )
    assert result is None
    assert "ended when the document was closed" in session.messages(types.MessageType.Error)[-1]
    assert len(session.backend.requests) == 2


async def test_a_refine_the_editor_does_not_apply_leaves_the_thread_as_it_was(
    start: Start,
) -> None:
    session = await start(client="plain")
    uri = session.editor.open("find.py", CODE)
    await refactor_find(session, uri)
    first = session.backend.requests[0].messages
    session.editor.refuse = True
    session.backend.script(Chat(fenced(LOOP_NONE)))
    here = cursor(session, uri, "items.index")
    result = await session.command(
        "chatls.refine", {"uri": uri, "range": here, "instruction": "Keep the loop"}
    )
    assert result["applied"] is False
    session.editor.refuse = False
    session.backend.script(Chat(fenced(FIND)))
    result = await session.command(
        "chatls.refine", {"uri": uri, "range": here, "instruction": "Keep the loop and -1"}
    )
    assert result["applied"] is True
    assert session.editor.text(uri) == CODE
    assert session.backend.requests[2].messages == [
        first[0],
        first[1],
        assistant(fenced(ONE_LINER)),
        refine_turn("Keep the loop and -1"),
    ]


async def test_refine_a_docstring_through_the_documentation_pipeline(start: Start) -> None:
    session = await start(client="neovim")
    uri = session.editor.open("find.py", CODE)
    session.backend.script(Chat("Return the index of wanted in items."))
    at = cursor(session, uri, "def find")
    result = await session.command("chatls.docstring", {"uri": uri, "range": at})
    assert result["applied"] is True
    first = session.backend.requests[0].messages
    documented = CODE.replace(
        "def find(items, wanted):\n",
        'def find(items, wanted):\n    """Return the index of wanted in items."""\n',
    )
    assert session.editor.text(uri) == documented

    reply = "Return the index of wanted in items, or -1 when it is not there."
    session.backend.script(Chat(reply))
    result = await session.command(
        "chatls.refine",
        {"uri": uri, "range": cursor(session, uri, '"""Return'), "instruction": "Mention -1"},
    )
    assert result["applied"] is True
    assert session.editor.text(uri) == documented.replace(
        "wanted in items.", "wanted in items, or -1 when it is not there."
    )
    assert session.backend.requests[1].messages == [
        first[0],
        first[1],
        assistant("Return the index of wanted in items."),
        user(
            "Mention -1\n\nAnswer with only the new documentation text, without quotes, "
            "comment markers or code."
        ),
    ]


async def test_ask_then_two_follow_ups_continue_one_thread(start: Start) -> None:
    session = await start()
    uri = session.editor.open("find.py", CODE)
    selection = session.editor.range_of(uri, FIND)
    answers = [
        "It scans `items` until it meets `wanted`.",
        "It returns **-1**: the loop never runs.",
        "Yes: `items.index` raises instead.",
    ]
    session.backend.script(*(Chat(a) for a in answers))
    first = await session.command(
        "chatls.ask",
        {"uri": uri, "range": as_json(selection), "question": "How does it search?"},
    )
    assert first == {"markdown": answers[0], "thread": "t1"}
    opening = session.backend.requests[0].messages
    assert [m["role"] for m in opening] == ["system", "user"]
    # The file first, under the system message every action on it shares; the action's own
    # instructions after the file.
    assert "The user's file comes first" in opening[0]["content"]
    assert "answering a colleague's question" in opening[1]["content"]
    assert opening[1]["content"].endswith(f"```python\n{FIND}\n```\n\nHow does it search?")

    # The same code selected again: a follow-up.
    second = await session.command(
        "chatls.ask",
        {"uri": uri, "range": as_json(selection), "question": "What if items is empty?"},
    )
    assert second == {"markdown": answers[1], "thread": "t1"}
    # Named by the thread id an answer returned, with only a cursor.
    third = await session.command(
        "chatls.ask",
        {
            "uri": uri,
            "range": cursor(session, uri, "return -1"),
            "question": "Is index() the same?",
            "thread": "t1",
        },
    )
    assert third == {"markdown": answers[2], "thread": "t1"}
    assert session.backend.requests[2].messages == [
        *opening,
        assistant(answers[0]),
        user("What if items is empty?"),
        assistant(answers[1]),
        user("Is index() the same?"),
    ]
    assert session.backend.requests[1].messages == session.backend.requests[2].messages[:4]
    # The latest answer is the hover over the code.
    hover = await session.client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=session.editor.range_of(uri, "enumerate").start,
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value == answers[2]
    assert hover.range == selection


async def test_a_follow_up_after_explain_continues_its_thread(start: Start) -> None:
    session = await start()
    uri = session.editor.open("find.py", CODE)
    session.backend.script(Chat("Finds `wanted`."), Chat("Because `-1` is never an index."))
    explained = await session.command(
        "chatls.explain", {"uri": uri, "range": cursor(session, uri, "enumerate"), "quiet": True}
    )
    assert explained == {"markdown": "Finds `wanted`.", "thread": "t1"}
    answer = await session.command(
        "chatls.ask",
        {"uri": uri, "range": cursor(session, uri, "item == wanted"), "question": "Why -1?"},
    )
    assert answer == {"markdown": "Because `-1` is never an index.", "thread": "t1"}
    explain = session.backend.requests[0].messages
    assert "explaining code" in explain[1]["content"]
    assert session.backend.requests[1].messages == [
        *explain,
        assistant("Finds `wanted`."),
        user("Why -1?"),
    ]
    # Another function is other code: a new thread.
    session.backend.script(Chat("Its last part."))
    other = await session.command(
        "chatls.ask",
        {"uri": uri, "range": cursor(session, uri, "basename"), "question": "What part?"},
    )
    assert other == {"markdown": "Its last part.", "thread": "t2"}
    assert [m["role"] for m in session.backend.requests[2].messages] == ["system", "user"]


async def test_a_follow_up_on_changed_code_starts_over_or_is_refused(start: Start) -> None:
    session = await start()
    uri = session.editor.open("find.py", CODE)
    session.backend.script(Chat("Finds it."), Chat("A new answer."))
    await session.command(
        "chatls.ask",
        {"uri": uri, "range": cursor(session, uri, "enumerate"), "question": "What?"},
    )
    session.editor.type(uri, session.editor.range_of(uri, "return -1"), "return None")
    refused = await session.command(
        "chatls.ask",
        {
            "uri": uri,
            "range": cursor(session, uri, "enumerate"),
            "question": "Why?",
            "thread": "t1",
        },
    )
    assert refused is None
    assert "That conversation has ended" in session.messages(types.MessageType.Error)[-1]
    fresh = await session.command(
        "chatls.ask",
        {"uri": uri, "range": cursor(session, uri, "enumerate"), "question": "Why?"},
    )
    assert fresh == {"markdown": "A new answer.", "thread": "t2"}
    assert [m["role"] for m in session.backend.requests[1].messages] == ["system", "user"]


async def test_commands_run_without_their_text_say_so_once(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("find.py", CODE)
    args = {"uri": uri, "range": cursor(session, uri, "enumerate")}
    assert await session.command("chatls.ask", args) is None
    assert await session.command("chatls.refine", {**args, "instruction": "  "}) is None
    ask, refine = session.messages(types.MessageType.Error)
    assert ask.startswith("chatls: Ask needs a question") and "plugin" in ask
    assert refine.startswith("chatls: Refine needs an instruction")
    assert session.backend.requests == []
    # A Refine with its instruction but nothing to refine says that instead.
    assert await session.command("chatls.refine", {**args, "instruction": "Shorter"}) is None
    assert "no change of chatls's here to refine" in session.messages()[-1]


async def test_max_turns_summarizes_the_oldest_follow_ups(start: Start) -> None:
    session = await start({"conversation": {"maxTurns": 2}})
    uri = session.editor.open("find.py", CODE)
    here = as_json(session.editor.range_of(uri, FIND))
    session.backend.script(
        Chat("A0."),
        Chat("A1."),
        Chat("A2."),
        Chat("The programmer asked Q1; it was A1."),
        Chat("A3."),
    )
    for question in ("Q0?", "Q1?", "Q2?", "Q3?"):
        result = await session.command(
            "chatls.ask", {"uri": uri, "range": here, "question": question, "quiet": True}
        )
        assert result["thread"] == "t1"
    requests = [r.messages for r in session.backend.requests]
    opening = requests[0]
    assert requests[2] == [*opening, assistant("A0."), user("Q1?"), assistant("A1."), user("Q2?")]
    # Three exchanges would be sent word for word: the oldest follow-up is summarized.
    summary_request = requests[3]
    assert [m["role"] for m in summary_request] == ["system", "user"]
    assert summary_request[0]["content"].startswith("You condense part of a conversation")
    assert (
        summary_request[1]["content"] == "The turns to condense:\n\nProgrammer: Q1?\n\nchatls: A1."
    )
    assert requests[4] == [
        *opening,
        assistant("A0."),
        user(
            "(Earlier turns of this conversation, summarized: The programmer asked Q1; it was "
            "A1.)\n\nQ2?"
        ),
        assistant("A2."),
        user("Q3?"),
    ]
    summarized = [m for m in session.messages(types.MessageType.Info) if "summarized" in m]
    assert summarized == [
        "chatls: Earlier turns of this conversation were summarized to keep it within "
        "`contextTokens` and `conversation.maxTurns`."
    ]


async def test_a_thread_outgrowing_the_budget_is_summarized_and_never_over_it(
    start: Start,
) -> None:
    context_tokens, max_tokens = 900, 120
    session = await start({"contextTokens": context_tokens, "maxTokens": max_tokens})
    # A file long enough that the first request fills its window with code around `find`, and
    # answers long enough that the first follow-up no longer fits with it.
    filler = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(60))
    uri = session.editor.open("long.py", filler + CODE)
    long_answer = " ".join(f"Point {i}: the loop compares item {i} with wanted." for i in range(14))
    summary = "The programmer asked how find searches; chatls listed its steps."

    def reply(recorded: Recorded) -> Chat:
        condensing = recorded.messages[0]["content"].startswith("You condense")
        return Chat(summary if condensing else long_answer)

    session.backend.responder = reply
    here = as_json(session.editor.range_of(uri, FIND))
    for number in range(6):
        result = await session.command(
            "chatls.ask",
            {"uri": uri, "range": here, "question": f"Question {number}?", "quiet": True},
        )
        assert result["thread"] == "t1", session.messages()
    counter = TokenCounter("test-model")
    budget = context_tokens - max_tokens
    requests = [r.messages for r in session.backend.requests]
    for messages in requests:
        assert counter.count_messages(messages) <= budget
    opening = requests[0]
    assert "def helper_59(x)" in opening[1]["content"]
    # The first follow-up already outgrew the budget: the first request lost the code around
    # `find` (never `find` itself), and kept it so.
    follow_up = requests[1]
    assert follow_up[0] == opening[0]
    assert "def helper_59(x)" not in follow_up[1]["content"]
    assert f"```python\n{FIND}\n```\n\nQuestion 0?" in follow_up[1]["content"]
    assert follow_up[2:] == [assistant(long_answer), user("Question 1?")]
    summaries = [m for m in requests if m[0]["content"].startswith("You condense")]
    assert summaries, "the thread never needed a summary"
    last = requests[-1]
    assert last[0] == opening[0] and last[1] == follow_up[1]
    assert last[-1] == user("Question 5?")
    assert last[-2] == assistant(long_answer)
    assert last[3]["content"].startswith(
        f"(Earlier turns of this conversation, summarized: {summary})"
    )
    assert any("summarized" in m for m in session.messages(types.MessageType.Info))


async def test_refine_with_structured_output_asks_for_json_again(start: Start) -> None:
    session = await start({"structuredOutput": "jsonSchema"}, client="plain")
    uri = session.editor.open("find.py", CODE)
    first_reply = '{"code": "' + ONE_LINER.replace("\n", "\\n") + '", "imports": []}'
    second_reply = '{"code": "' + LOOP_NONE.replace("\n", "\\n") + '", "imports": []}'
    session.backend.script(Chat(first_reply), Chat(second_reply))
    await session.command(
        "chatls.refactor", {"uri": uri, "range": as_json(session.editor.range_of(uri, FIND))}
    )
    assert session.editor.text(uri) == CODE.replace(FIND, ONE_LINER)
    result = await session.command(
        "chatls.refine",
        {"uri": uri, "range": cursor(session, uri, "items.index"), "instruction": "A loop"},
    )
    assert result["applied"] is True
    assert session.editor.text(uri) == CODE.replace(FIND, LOOP_NONE)
    first, refine = session.backend.requests
    assert refine.body["response_format"] == first.body["response_format"]
    assert refine.messages == [
        *first.messages,
        assistant(first_reply),
        user(
            'A loop\n\nAnswer with a JSON object: "code" holds the complete new version of the '
            'code you wrote last (only that code), and "imports" lists any import lines it needs '
            "that the file lacks."
        ),
    ]


async def test_refine_a_doc_comment_above_its_declaration(start: Start) -> None:
    session = await start(client="plain")
    source = "export class Sum {\n  add(a, b) {\n    return a + b;\n  }\n}\n"
    uri = session.editor.open("sum.js", source, language_id="javascript")
    session.backend.script(Chat("Add two numbers."), Chat("Add two numbers and return the sum."))
    await session.command("chatls.docstring", {"uri": uri, "range": cursor(session, uri, "a + b")})
    documented = source.replace("  add(a, b)", "  /** Add two numbers. */\n  add(a, b)")
    assert session.editor.text(uri) == documented
    result = await session.command(
        "chatls.refine",
        {"uri": uri, "range": cursor(session, uri, "/**"), "instruction": "Say what it returns"},
    )
    assert result["applied"] is True
    assert session.editor.text(uri) == documented.replace(
        "numbers. */", "numbers and return the sum. */"
    )
