"""A looping answer, cut where it starts repeating itself, on the shapes SmolLM2 loops in (the
same paragraph again, the same sentence inside longer lines, a list going round), and answers
that repeat words or short lines without looping kept whole; a streamed reply is judged on its
complete lines only."""

from __future__ import annotations

from chatls.context.prompts import RequestPlan
from chatls.edits.repetition import (
    cut_repetition,
    doubled,
    looping_prose,
    repeats,
    starts_repeating,
)

SAID = [
    "The function counts how many times each word appears in the text.",
    "",
    "It splits the text on whitespace and keeps a dictionary of counts.",
    "",
]


def test_the_same_paragraphs_again_are_cut_before_their_second_round() -> None:
    lines = SAID * 6
    assert cut_repetition(lines) == SAID[:3]


def test_a_sentence_said_a_third_time_inside_other_lines_cuts_its_paragraph() -> None:
    lines = [
        "`word_count` returns a dictionary.",
        "",
        "Each word is a key. The value is how many times the word appears in the text.",
        "Then it returns. The value is how many times the word appears in the text.",
        "",
        "Finally. The value is how many times the word appears in the text.",
    ]
    assert looping_prose(lines) == 2
    assert cut_repetition(lines) == ["`word_count` returns a dictionary."]


def test_a_list_going_round_is_cut_with_its_heading_left_out() -> None:
    steps = ["- split", "- count", "- store", "- return"]
    lines = ["Steps:", *steps, "", "## Steps again", *steps]
    assert repeats(lines) == 7
    assert cut_repetition(lines) == ["Steps:", *steps]


def test_an_open_example_at_the_cut_is_left_out() -> None:
    lines = ["Example:", "```python", "word_count('a a')", "{'a': 2}", "", "x", "y", "z"]
    looping = [*lines[:4], "word_count('a a')", "{'a': 2}", "word_count('a a')", "{'a': 2}"] * 2
    assert cut_repetition(looping)[-1] == "Example:"
    assert cut_repetition(lines) == lines


def test_answers_that_repeat_short_lines_or_words_are_kept_whole() -> None:
    lines = [
        "- `counts`: a dictionary",
        "",
        "Returns:",
        "",
        "- `counts`: a dictionary",
        "",
        "The word `counts` is the dictionary; the word `counts` is returned.",
    ]
    assert cut_repetition(lines) == lines
    assert cut_repetition([]) == []


def test_a_streamed_reply_is_judged_on_its_complete_lines() -> None:
    looping = "\n".join(SAID * 2)
    assert starts_repeating(looping + "\n")
    assert not starts_repeating("\n".join(SAID) + "\n" + SAID[0][:40])
    assert not starts_repeating("")


def test_the_built_in_backend_gets_the_plan_declared_for_it() -> None:
    plan = RequestPlan(local_context="none")
    assert plan.for_backend(local=True).context == "none"
    assert plan.for_backend(local=False).context == "file"
    assert RequestPlan(context="scope").for_backend(local=True).context == "scope"


def test_a_narrow_plan_shows_the_window_a_remote_backend_holds() -> None:
    narrow = RequestPlan(context="scope", extends=True)
    assert not narrow.for_backend(local=False).shows_window
    assert narrow.for_backend(local=False, window_cached=True).shows_window
    # The built-in backend gives narrow actions a slot of their own instead.
    assert not narrow.for_backend(local=True, window_cached=True).shows_window
    assert not RequestPlan(context="none").for_backend(False, True).shows_window
    # Implement keeps the code in the middle of its context, cached window or not.
    unstable = RequestPlan(stable=False)
    assert not unstable.for_backend(local=False, window_cached=True).shows_window


def test_a_line_announcing_what_the_cut_left_out_goes_with_it() -> None:
    # The demo's Ask about `word_count` as SmolLM2 answered it: the loop began after "...:".
    announcing = "If you want to count an empty string, you can use a more explicit loop:"
    lines = [*SAID, announcing, "", *SAID * 2]
    assert repeats(lines) == 6
    assert cut_repetition(lines) == SAID[:3]
    assert cut_repetition(["Returns:", "", *SAID * 3])[0] == "Returns:"


def test_a_line_said_again_right_away_is_cut_but_not_in_code_or_when_short() -> None:
    # The demo's Explain of `word_count` with SmolLM2, from the second identical bullet on.
    bullets = [
        "- The `counts` dictionary is created with the `get()` method.",
        "- The `return` statement returns the dictionary containing the count of each word.",
        "- The `return` statement returns the dictionary containing the count of each word.",
        "- The `print()` statement outputs the dictionary containing the count of each word.",
    ]
    assert doubled(bullets) == 2
    assert cut_repetition(bullets) == bullets[:2]
    assert starts_repeating("\n".join(bullets[:3]) + "\n")
    step = "total = total + values[index] * weight"
    code = ["It adds:", "```python", step, step, "```"]
    assert cut_repetition(code) == code
    short = ["Returns:", "", "Returns:", "x"]
    assert cut_repetition(short) == short
