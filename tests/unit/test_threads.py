"""The thread store: offsets following changes, chatls's own edits recognised, why a Refine is
refused; and conversations kept within their budget."""

from __future__ import annotations

import pytest

from chatls.actions.conversation import Conversation, Turn, plan
from chatls.actions.threads import Thread, Threads, follow
from chatls.context.tokens import TokenCounter
from chatls.errors import InvalidRequestError

URI = "file:///w/a.py"
TEXT = "a = 1\n\ndef f():\n    return 2\n\nb = 3\n"
F = (TEXT.index("def f"), TEXT.index("\n\nb ="))


def conversation(action: str = "refactor", *turns: Turn) -> Conversation:
    return Conversation(action, "system", Turn("first question", "first answer"), turns=turns)


def replace(text: str, start: int, end: int, new: str, threads: Threads) -> str:
    """Change the text as an editor would, telling the threads."""
    changed = text[:start] + new + text[end:]
    threads.changed(URI, start, end, new, changed)
    return changed


def edit_thread(threads: Threads, text: str = TEXT) -> tuple[str, Thread]:
    """A Refactor's edit of f, proposed and then arriving."""
    new_f = "def f():\n    return 3"
    after = text[: F[0]] + new_f + text[F[1] :]
    thread = threads.propose(URI, None, after, F[0], F[0] + len(new_f), conversation())
    assert threads.refinable(URI, F[0], F[0]) is None  # not before the editor has it
    text = replace(text, F[1] - 1, F[1], "3", threads)
    assert text == after
    return text, thread


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((0, 0, 3), (13, 23)),  # typed above
        ((0, 5, 0), (5, 15)),  # deleted above
        ((10, 10, 2), (12, 22)),  # typed right before: the code itself is unchanged
        ((20, 20, 1), (10, 20)),  # typed right after
        ((25, 30, 0), (10, 20)),  # below
        ((12, 14, 1), None),  # inside
        ((5, 12, 0), None),  # across its start
    ],
)
def test_follow(change: tuple[int, int, int], expected: tuple[int, int] | None) -> None:
    assert follow(10, 20, change) == expected


def test_an_edit_thread_goes_live_when_the_document_reaches_its_text() -> None:
    threads = Threads()
    _, thread = edit_thread(threads)
    assert threads.refinable(URI, F[0] + 3, F[0] + 3) is thread
    assert threads.to_refine(URI, 0, 0, None) is thread  # the latest change in the document


def test_typing_above_moves_the_thread_and_typing_in_it_ends_it() -> None:
    threads = Threads()
    text, thread = edit_thread(threads)
    start = thread.start
    text = replace(text, 0, 0, "# x\n", threads)
    assert thread.start == start + 4
    assert text[thread.start : thread.end] == "def f():\n    return 3"
    inside = text.index("return 3")
    text = replace(text, inside, inside + 6, "yield", threads)
    assert threads.refinable(URI, 0, len(text)) is None
    with pytest.raises(InvalidRequestError, match="changed since"):
        threads.to_refine(URI, inside, inside, None)
    # The ended thread still covers the edited code, and follows the text.
    text = replace(text, 0, 0, "\n", threads)
    assert text[thread.start : thread.end] == "def f():\n    yield 3"


def test_a_refine_that_is_not_applied_keeps_the_thread() -> None:
    threads = Threads()
    _, thread = edit_thread(threads)
    pending = threads.propose(URI, thread, "other text", 0, 5, conversation())
    assert pending is thread
    threads.withdraw(pending)
    assert threads.refinable(URI, thread.start, thread.end) is thread
    # A proposed first edit that never arrives is no thread at all.
    lost = threads.propose(URI, None, "never", 0, 1, conversation())
    threads.withdraw(lost)
    assert threads.get(URI, lost.id) is None


def test_refine_says_why_there_is_nothing_to_refine() -> None:
    threads = Threads()
    with pytest.raises(InvalidRequestError, match="no change of chatls's here"):
        threads.to_refine(URI, 0, 0, None)
    edit_thread(threads)
    threads.forget(URI)
    with pytest.raises(InvalidRequestError, match="ended when the document was closed"):
        threads.to_refine(URI, 0, 0, None)
    with pytest.raises(InvalidRequestError, match="ended when the document was closed"):
        threads.to_refine(URI, 0, 0, "t1")


def test_ask_threads_follow_ups_and_hovers() -> None:
    threads = Threads()
    text = TEXT
    first = threads.ask(URI, *F, conversation("explain"), "It returns 2.")
    assert threads.answer_at(URI, F[0] + 5) is first
    assert threads.answer_at(URI, 0) is None
    # A cursor inside it, or the same code selected (give or take whitespace), follows up.
    assert threads.to_continue(URI, F[0] + 2, F[0] + 2, text, None) is first
    assert threads.to_continue(URI, F[0], F[1] + 1, text, None) is first
    assert threads.to_continue(URI, F[0], F[0] + 5, text, None) is None
    assert threads.to_continue(URI, 0, 0, text, "t1") is first
    text = replace(text, F[0] + 5, F[0] + 5, "g", threads)
    assert threads.answer_at(URI, F[0] + 5) is None
    with pytest.raises(InvalidRequestError, match="That conversation has ended"):
        threads.to_continue(URI, 0, 0, text, "t1")
    assert not threads.answered(first, conversation("explain"), "too late")


def test_a_tracker_places_an_answer_in_the_text_as_it_is_now() -> None:
    threads = Threads()
    with threads.tracking(URI) as tracker:
        assert threads.watches(URI)
        text = replace(TEXT, 0, 0, "# x\n", threads)
        assert tracker.map(*F) == (F[0] + 4, F[1] + 4)
        replace(text, F[0] + 6, F[0] + 7, "", threads)
        assert tracker.map(*F) is None
    assert not threads.watches(URI)


def test_plan_keeps_the_first_and_latest_exchanges() -> None:
    counter = TokenCounter("test-model")
    turns = tuple(Turn(f"question {i}", f"answer {i}") for i in range(5))
    thread = Conversation(
        "ask", "system", Turn("first " * 200, "first answer"), "compact first", turns=turns
    )
    roomy = plan(thread, "next", counter, 10_000, 8, 100)
    assert roomy.to_summarize == () and roomy.conversation == thread
    capped = plan(thread, "next", counter, 10_000, 3, 100)
    assert capped.to_summarize == turns[:3]
    assert capped.conversation.turns == turns[3:] and not capped.conversation.compact
    # Over budget: the first request goes compact first, then follow-ups go, never the last.
    tight = plan(thread, "next", counter, 90, 8, 40)
    assert tight.conversation.compact
    assert tight.conversation.turns == turns[-1:]
    messages = tight.conversation.messages("next")
    assert messages[1] == {"role": "user", "content": "compact first"}
    assert messages[-1] == {"role": "user", "content": "next"}


def test_undo_and_redo_take_an_edit_thread_back_and_forth_between_its_results() -> None:
    threads = Threads()
    text, thread = edit_thread(threads)
    one = thread.conversation
    two = one.extended("refine", "answer")
    result_one = text[thread.start : thread.end]
    refined = text.replace("return 3", "return 4")
    threads.propose(URI, thread, refined, thread.start, thread.end, two)
    at = text.index("return 3") + 7
    text = replace(text, at, at + 1, "4", threads)
    assert thread.live and thread.conversation is two
    text = replace(text, at, at + 1, "3", threads)  # undo
    assert thread.live and thread.conversation is one
    assert text[thread.start : thread.end] == result_one
    text = replace(text, at, at + 1, "4", threads)  # redo
    assert thread.live and thread.conversation is two
    text = replace(text, at, at + 1, "5", threads)  # neither
    assert not thread.live
