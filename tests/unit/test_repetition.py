"""A looping answer, cut where it starts repeating itself, on the shapes SmolLM2 loops in (the
same paragraph again, the same sentence inside longer lines, a list going round), and answers
that repeat words or short lines without looping kept whole; a streamed reply is judged on its
complete lines only."""

from __future__ import annotations

from chatls.context.prompts import RequestPlan
from chatls.edits.repetition import (
    circling,
    cut_repetition,
    doubled,
    loop_in_line,
    looping_prose,
    repeats,
    restarts,
    starts_repeating,
)
from chatls_testing.samples import BREAKDOWN, ONE_LINE_LOOP

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


def test_a_part_of_the_answer_said_again_reworded_is_cut_before_it_starts_over() -> None:
    lines = BREAKDOWN.splitlines()
    assert (repeats(lines), looping_prose(lines), doubled(lines)) == (None, None, None)
    assert restarts(lines) == 8
    assert cut_repetition(lines) == lines[:7]
    # While streaming: seen once the line after the heading said again is complete.
    assert not starts_repeating("\n".join(lines[:10]))
    assert starts_repeating("\n".join(lines[:11]) + "\n")


def test_a_line_said_again_before_something_new_is_kept() -> None:
    lines = [
        "The loop skips values that are not positive.",
        "- `result` collects the positive values, in order.",
        "",
        "The loop skips values that are not positive.",
        "- `statistics.mean` then raises `StatisticsError` when none was.",
    ]
    assert cut_repetition(lines) == lines
    tables = [
        "| name | meaning in this function |",
        "| --- | --- |",
        "| `values` | the numbers |",
        "",
        "| name | meaning in this function |",
        "| --- | --- |",
        "| `result` | the positive numbers |",
    ]
    assert cut_repetition(tables) == tables
    example = ["It is called like this:", "```python", "mean_of_positive([1, -2, 3])", "```"]
    twice = [*example, "", "For example with other numbers it is called like this:", *example[1:]]
    assert cut_repetition(twice) == twice


def test_a_line_saying_one_stretch_over_and_over_keeps_what_it_said_before() -> None:
    first = ONE_LINE_LOOP[: ONE_LINE_LOOP.index("arguments.") + len("arguments.")]
    assert cut_repetition([ONE_LINE_LOOP]) == [first]
    assert cut_repetition(["Intro.", "", ONE_LINE_LOOP, "", "more"]) == ["Intro.", "", first]
    # While streaming, on the line still being written, from its third time round.
    loop = ONE_LINE_LOOP.index("returns a function")
    stretch = len("returns a function that takes a single argument `options` and returns a "
                  "function that takes a single argument `comp` and ")  # fmt: skip
    assert not starts_repeating(ONE_LINE_LOOP[: loop + 2 * stretch])
    assert starts_repeating(ONE_LINE_LOOP[: loop + 3 * stretch + 20])
    # SmolLM2 on `glob._isdir` (2026-12-07): one word again and again.
    stat = "The code fails because of the `os.stat` function. It returns a stat" + " stat" * 40
    assert loop_in_line(stat) is not None
    assert cut_repetition(["Intro.", stat]) == [
        "Intro.",
        "The code fails because of the `os.stat` function.",
    ]


def test_lines_that_repeat_a_short_stretch_or_no_words_are_kept() -> None:
    lines = [
        "=" * 80,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        "zeros = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]",
        "It is very very very important that the list is sorted, sorted, sorted first.",
        "pad = ['ab', 'ab', 'ab', 'ab', 'ab', 'ab', 'ab', 'ab']",
    ]
    assert [loop_in_line(line) for line in lines] == [None] * len(lines)
    assert cut_repetition(lines) == lines
    assert not starts_repeating("\n".join(lines))


def test_code_written_round_and_round_is_told_from_code_that_repeats_its_file() -> None:
    # SmolLM2's Refactor in `make demo` (2026-12-07), cut off at maxTokens.
    block = (
        "def mean_of_positive_with_default_lambda(values):\n"
        "    return lambda: sum(values) / len(values) if len(values) > 0 else 0\n\n"
    )
    reply = "```python\ndef mean_of_positive(values):\n    return 0\n\n" + block * 8
    assert circling(reply, "") == ("def mean_of_positive_with_default_lambda(values):", 8)
    # A line the file itself has as often is the file's, not a loop; short lines are anyone's.
    assert circling(reply, block * 8) is None
    closers = "```go\n" + "\t\t}\n\t}\n}\n\nreturn nil\n" * 6
    assert circling(closers, "") is None
    assert circling("a long line that is said twice\n" * 2, "") is None


def test_two_lines_coming_round_together_are_a_loop_one_line_in_each_branch_is_not() -> None:
    block = (
        "def mean_of_positive_with_default_lambda(values):\n"
        "    return lambda: sum(values) / len(values) if len(values) > 0 else 0\n\n"
    )
    assert circling(block * 3, "", times=4, span=2) is None
    assert circling(block * 4, "", times=4, span=2) == (
        "return lambda: sum(values) / len(values) if len(values) > 0 else 0",
        4,
    )
    branches = "".join(
        f"    elif kind == {n}:\n        log.debug('taking the slow path here')\n        x = {n}\n"
        for n in range(6)
    )
    assert circling(branches, "", times=4, span=2) is None
