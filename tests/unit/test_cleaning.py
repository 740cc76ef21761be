"""Inline completion cleaning, heuristic by heuristic, on the shapes real models reply in: where
the cursor is (a line or a block, at which indentation), the code before or after the cursor
repeated, fences and lead-ins, a block fitted to the cursor and ended where it leaves, the lines
after the cursor repeated, replies cut off by max_tokens, when a streamed reply holds enough; and
a candidate that repeats chatls's own instructions or the prompt's framing is not code, and is
dropped, while code that happens to share words with them is kept."""

from __future__ import annotations

import pytest

from chatls.completion.cleaning import (
    CURSOR,
    Cursor,
    _strip_echo_of_prefix,
    _strip_echo_of_suffix,
    block_finished,
    clean,
    context_sections,
    cursor_at,
    echoes_context,
    echoes_prompt,
    line_finished,
)
from chatls.completion.completer import _framing, _line_end
from chatls.edits.fitting import detect_indent_style
from chatls.source.text import leading_whitespace, text_index

FILE = "def area(width, height):\n    return width * height\n\n\n"
FIXED = (
    ("cursor", CURSOR),
    ("fence", "python"),
    ("language", "Python"),
    ("language_id", "python"),
    ("multiline", True),
    ("path", "shapes.py"),
)


def framing() -> str:
    return _framing(FIXED)


@pytest.mark.parametrize(
    "candidate",
    [
        # What SmolLM2 offered on an empty line after a function (issue 21).
        "The rest of the line.",
        "the rest of the line, or, on an empty line in a block",
        "No explanation, no code fences",
        "Reply with only the text to insert at the cursor",
        "# never repeat the code before or after the cursor",
        "File: shapes.py (Python)",
        "The file's imports:",
    ],
)
def test_a_piece_of_the_instructions_or_framing_is_an_echo(candidate: str) -> None:
    assert echoes_prompt(candidate, framing(), FILE)


@pytest.mark.parametrize(
    "candidate",
    [
        "return width * height",
        "line = file.readline()",
        "for line in the_file:",
        "text = insert(cursor, text)",
        # Shares "the code" and "the line" with the instructions, but no run of four words.
        "# skip the line if the code is empty",
        "x",
        "",
    ],
)
def test_code_is_not_an_echo(candidate: str) -> None:
    assert not echoes_prompt(candidate, framing(), FILE)


def test_words_the_file_itself_holds_are_not_an_echo() -> None:
    text = FILE + '    """Return the rest of the line."""\n'
    assert not echoes_prompt("Return the rest of the line.", framing(), text)
    assert echoes_prompt("Return the rest of the line.", framing(), FILE)


def test_the_framing_is_the_prompt_without_the_file() -> None:
    text = framing()
    assert "code completion engine" in text and "File: shapes.py (Python)" in text
    assert "def area" not in text


# The cleaning heuristics, one at a time, on the shapes real models reply in. A marked document
# has ``‸`` where the cursor is; the cursor and the indentation unit are found as the completer
# finds them (``_AtCursor``), and the line break is the cursor line's own.

MARK = "‸"


def _cursor(marked: str, unit: str | None = None) -> tuple[str, Cursor, str]:
    offset = marked.index(MARK)
    text = marked.replace(MARK, "")
    index = text_index(text, "utf-16")
    start, end = index.line_span(index.line_of(offset))
    if unit is None:
        prefix = text[start:offset]
        unit = "\t" if "\t" in leading_whitespace(prefix) else detect_indent_style(text).unit
    return text, cursor_at(text, offset, start, end, unit), unit


def complete(marked: str, reply: str, finish: str | None = "stop") -> str | None:
    """What the completer offers at the mark for ``reply``."""
    text, cursor, unit = _cursor(marked)
    eol = _line_end(text, cursor.offset + len(cursor.line_suffix))
    return clean(reply, text, cursor, unit, finish, eol)


def accepted(marked: str, completion: str) -> str:
    """The document once the completion is accepted."""
    return marked.replace(MARK, completion)


@pytest.mark.parametrize(
    ("marked", "multiline", "indent"),
    [
        # Code after the cursor: complete this line only.
        ("x = compute(‸, 2)\n", False, ""),
        ("    name = user.‸name\n", False, "    "),
        # Only closing characters after it, an ordinary line before: still this line.
        ("total = sum_all(‸)\n", False, ""),
        ('    print("‸");\n', False, "    "),
        # The end of an ordinary line (a trailing space is still that line).
        ("x = 1‸\n", False, ""),
        ("    return a ‸\n", False, "    "),
        # "do" only as a word: "undo" opens nothing.
        ("x = undo‸\n", False, ""),
        # An empty line in a block: a block, at the indentation already typed.
        ("def f(x):\n    ‸\n", True, "    "),
        ("def f(x):\n    ‸   \n", True, "    "),
        # Column 0 of an empty line: the indentation of the code above, one deeper after an opener.
        ("def f(x):\n‸\n", True, "    "),
        ("def f(x):\n    y = 1\n‸\n", True, "    "),
        ("‸", True, ""),
        # The end of a line that opens a body: a block, one level deeper.
        ("    for item in items:‸\n", True, "        "),
        ("function f() {‸}\n", True, "    "),
        ("for i = 1, 3 do‸\nend\n", True, "    "),
        ("if ready then‸\nend\n", True, "    "),
        ("\tif x:‸\n", True, "\t\t"),
    ],
)
def test_the_cursor_says_a_line_or_a_block_and_its_indentation(
    marked: str, multiline: bool, indent: str
) -> None:
    _, cursor, _ = _cursor(marked)
    assert (cursor.multiline, cursor.indent) == (multiline, indent)


@pytest.mark.parametrize(
    ("marked", "reply", "rest"),
    [
        # The cursor's line repeated, then the completion.
        ("total = sum_all(‸)\n", "total = sum_all(items)", "items)"),
        ("    total = sum_all(‸)\n", "total = sum_all(items)", "items)"),
        # The lines before repeated as the file has them, up to the cursor.
        ("def f(x):\n    return ‸\n", "def f(x):\n    return x + 1", "x + 1"),
        (
            "import os\n\ndef f(x):\n    y = x\n    return ‸\n",
            "import os\n\ndef f(x):\n    y = x\n    return y",
            "y",
        ),
        # The word being typed, in full: "ret" then "return".
        ("def f(total):\n    ret‸\n", "return total", "urn total"),
        ("value = self.get‸\n", "get_name()", "_name()"),
        ("    self.user‸\n", "user_id = user_id", "_id = user_id"),
        # A reply that goes on from the cursor, and one that only looks like an echo ("torch.n"
        # then "n.Linear" means nn.Linear), are kept as they are.
        ("def f(total):\n    ret‸\n", "urn total", "urn total"),
        ("layer = torch.n‸\n", "n.Linear(3, 4)", "n.Linear(3, 4)"),
        # The indentation typed on an empty line is no echo.
        ("def f(x):\n    ‸\n", "    y = x", "    y = x"),
    ],
)
def test_a_repetition_of_the_code_before_the_cursor_is_removed(
    marked: str, reply: str, rest: str
) -> None:
    text, cursor, _ = _cursor(marked)
    assert _strip_echo_of_prefix(reply, text, cursor) == rest


def test_the_echo_reaches_four_lines_above_the_cursor_and_no_further() -> None:
    above = "a = 1\nb = 2\nc = 3\nd = 4\n"
    marked = "z = 0\n" + above + "e = ‸\n"
    text, cursor, _ = _cursor(marked)
    assert _strip_echo_of_prefix(above + "e = 5", text, cursor) == "5"
    whole = "z = 0\n" + above + "e = 5"
    assert _strip_echo_of_prefix(whole, text, cursor) == whole


def test_an_echo_of_lines_before_is_removed_in_a_crlf_file() -> None:
    # The reply's line breaks are LF whatever the file's.
    assert complete("def f(x):\r\n    return ‸\r\n", "def f(x):\n    return x + 1") == "x + 1"
    assert complete("def f(x):\r\n    ‸\r\n", "def f(x):\n    return x + 1") == "return x + 1"


def test_after_an_echo_of_the_line_above_the_block_keeps_its_shape() -> None:
    marked = "def f(values):\n    total = 0\n    ‸\n"
    reply = "    total = 0\n    for value in values:\n        total += value\n    return total"
    completion = complete(marked, reply)
    assert completion == "for value in values:\n        total += value\n    return total"
    assert accepted(marked, completion) == (
        "def f(values):\n    total = 0\n    for value in values:\n        total += value\n"
        "    return total\n"
    )


@pytest.mark.parametrize(
    ("marked", "line", "kept"),
    [
        # The rest of the line repeated at the end of the reply.
        ("x = compute(‸, 2)\n", "1, 2)", "1"),
        ("x = compute(‸, 2)\n", "1, 2)  ", "1"),
        ("total = sum_all(‸)\n", "items)", "items"),
        ('s = "‸"\n', 'hello"', "hello"),
        # Part of it, when that part is closing characters: "a, b)" before "))".
        ("print(pair(‸))\n", "a, b)", "a, b"),
        # Brackets the reply opens and closes itself are its own, not a repetition.
        ("print(‸)\n", "len(items)", "len(items)"),
        ("x = foo(‸)\n", "bar(1), baz(2)", "bar(1), baz(2)"),
        ("x = compute(‸, 2)\n", "f(1, 2)", "f(1, 2)"),
        ("print(len(‸))\n", "g(a))", "g(a)"),
        ("print(len(‸))\n", "items))", "items"),
        # Part of the rest that is not closing characters: the model may mean it.
        ("print(‸name)\n", "first_name", "first_name"),
        # Nothing after the cursor: nothing to remove, trailing spaces included.
        ("x = ‸\n", "1  ", "1  "),
    ],
)
def test_a_repetition_of_the_rest_of_the_line_is_removed(marked: str, line: str, kept: str) -> None:
    _, cursor, _ = _cursor(marked)
    assert _strip_echo_of_suffix(line, cursor) == kept


@pytest.mark.parametrize(
    ("marked", "reply", "expected"),
    [
        # Indented as the file is: the first line goes at the cursor, the rest keep their shape.
        ("def f(x):\n    ‸\n", "    y = x * 2\n    return y", "y = x * 2\n    return y"),
        # At column 0: every line at the block's indentation.
        ("def f(x):\n‸\n", "y = x * 2\nreturn y", "    y = x * 2\n    return y"),
        # Nested lines keep their depth, in the file's indentation (tabs here).
        ("def f():\n\t‸\n", "for i in range(3):\n    print(i)", "for i in range(3):\n\t\tprint(i)"),
        # A continuation aligned under its bracket keeps its column.
        (
            "def f(a, b):\n    ‸\n",
            "total = (a +\n         b)\nreturn total",
            "total = (a +\n             b)\n    return total",
        ),
        # After an opener on the cursor's line: from the next line, one level deeper.
        ("def f(x):‸\n", "return x", "\n    return x"),
        ("def f(x):‸\n", "    return x", "\n    return x"),
        ("def f(x):‸\n", "\n    return x", "\n    return x"),
        # A blank line before the block is not part of it.
        ("def f(x):\n    ‸\n", "\n    y = x\n    return y", "y = x\n    return y"),
        ("def f(x):\n‸\n", "\ny = x", "    y = x"),
        # One blank line inside the block stays; two end it.
        ("def f(x):\n    ‸\n", "y = x\n\nreturn y", "y = x\n\n    return y"),
        ("def f(x):\n    ‸\n", "y = x\n\n\nprint(f(1))", "y = x"),
        # A line that dedents past the block's start ends it.
        ("def f(x):\n    ‸\n", "    y = x\n    return y\nprint(f(1))", "y = x\n    return y"),
        # So does a new definition at the block's level after a blank line...
        ("def f(x):\n    ‸\n", "y = 1\nreturn y\n\ndef g():\n    pass", "y = 1\n    return y"),
        # ...but not one straight after the code (a nested helper).
        (
            "def f(x):\n    ‸\n",
            "y = x\ndef helper():\n    return y\nreturn helper",
            "y = x\n    def helper():\n        return y\n    return helper",
        ),
        # Blank lines at the end go.
        ("def f(x):\n    ‸\n", "return x\n\n", "return x"),
    ],
)
def test_a_block_is_fitted_to_the_cursor(marked: str, reply: str, expected: str) -> None:
    assert complete(marked, reply) == expected


def test_a_block_in_a_crlf_file_has_crlf_line_breaks() -> None:
    completion = complete("def f(x):\r\n    ‸\r\n", "y = x\nreturn y")
    assert completion == "y = x\r\n    return y"


def test_a_bracket_a_block_opened_is_closed_on_its_last_line() -> None:
    # Inside a call's parentheses, on an empty line: the block's last ")" closes its own "(".
    marked = "result = compute(\n    ‸)\n"
    assert complete(marked, "first,\nsecond)") == "first,\n    second"
    assert complete(marked, "first,\npair(\n    second)") == "first,\n    pair(\n        second)"


def test_a_block_cut_off_by_max_tokens_loses_its_last_line() -> None:
    reply = "y = x * 2\nreturn compute(y, fac"
    assert complete("def f(x):\n    ‸\n", reply, "length") == "y = x * 2"
    assert complete("def f(x):\n    ‸\n", reply, "stop") == "y = x * 2\n    return compute(y, fac"


@pytest.mark.parametrize(
    ("marked", "reply", "expected"),
    [
        # The lines after the cursor, repeated at the end of the block.
        ("def f(x):\n    ‸\n    return y\n", "y = x + 1\nreturn y", "y = x + 1"),
        (
            "def f(x):\n    ‸\n    z = y * 2\n    return z\n",
            "y = x + 1\nz = y * 2\nreturn z",
            "y = x + 1",
        ),
        # Lines that are there but not at the end of the reply are the model's own.
        ("def f(x):\n    ‸\n    return y\n", "return y\ny = 1", "return y\n    y = 1"),
        # Nothing but the lines that follow: nothing to offer.
        ("def f(x):\n    ‸\n    return x\n", "return x", None),
    ],
)
def test_a_block_does_not_repeat_the_lines_after_the_cursor(
    marked: str, reply: str, expected: str | None
) -> None:
    assert complete(marked, reply) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # Fences and the prose around them.
        ("```python\nitems)\n```", "items"),
        ("Here is the completion:\n```python\nitems)\n```\nThis sums the items.", "items"),
        ("```\nitems)\n```\n\n```python\nvalues)\n```", "items"),
        ("~~~python\nitems)\n~~~", "items"),
        # An unclosed fence (the reply was stopped as soon as the line ended).
        ("```python\nitems)\n", "items"),
        # A lead-in line without a fence.
        ("Sure! Here is the completion:\nitems)", "items"),
        ("The completion is:\nitems)", "items"),
        # The cursor mark from the prompt, echoed.
        ("total = sum_all(<CURSOR>items)", "items"),
        # The first line only.
        ("items)\nprint(total)", "items"),
        # Nothing usable.
        ("", None),
        ("```python\n```", None),
        ("\nitems)", None),
        ("total = sum_all()", None),
    ],
)
def test_a_line_is_cleaned_from_the_reply(reply: str, expected: str | None) -> None:
    assert complete("total = sum_all(‸)\n", reply) == expected


def test_a_line_cut_off_by_max_tokens_is_dropped() -> None:
    assert complete("total = sum_all(‸)\n", "items, start=", "length") is None
    assert complete("total = sum_all(‸)\n", "items, start=0)", "stop") == "items, start=0"


def test_a_line_that_only_repeats_what_follows_the_cursor_is_dropped() -> None:
    assert complete("x = compute(‸1, 2)\n", "1") is None
    assert complete("x = compute(‸1, 2)\n", "1, 2)") is None


def test_a_line_started_on_an_empty_prefix_goes_at_the_cursor() -> None:
    # The indentation is typed already: the reply's own goes.
    marked = "class A:\n    def __init__(self):\n        ‸value = 1\n"
    assert complete(marked, "        self.") == "self."


@pytest.mark.parametrize(
    ("streamed", "finished"),
    [
        ("", False),
        ("items)", False),
        ("items)\n", True),
        ("```python\n", False),
        ("```python\nitems)\n", True),
        ("Here is the completion:\n", False),
        ("\n\n", False),
    ],
)
def test_a_line_is_finished_once_a_line_of_content_ends(streamed: str, finished: bool) -> None:
    assert line_finished(streamed) is finished


@pytest.mark.parametrize(
    ("streamed", "finished"),
    [
        ("    y = x * 2\n", False),
        ("    y = x * 2\n    return y\n", False),
        # A deeper line is still inside the block.
        ("for i in x:\n    print(i)\n", False),
        # The line being streamed does not count until it ends.
        ("    y = x * 2\n    return y\npri", False),
        ("    y = x * 2\n    return y\nprint(f(1))\n", True),
        ("y = 1\nreturn y\n\ndef g():\n", True),
        ("```python\n    y = x * 2\n```\n", False),
        ("Here is the completion:\n```python\ny = 1\nclass B:\n", True),
    ],
)
def test_a_block_is_finished_once_a_line_leaves_it(streamed: str, finished: bool) -> None:
    assert block_finished(streamed) is finished


HEADER = "use crate::fmt;\nuse super::from_u32_unchecked;"


@pytest.mark.parametrize(
    "candidate",
    [
        # Qwen2.5-Coder-0.5B on Rust's core/src/char/decode.rs, in the confidence bench.
        "use crate::fmt;",
        "use crate::fmt;\n    use super::from_u32_unchecked;\n\n    type Item = char;",
        "  use crate::fmt;  ",
    ],
)
def test_a_candidate_copying_a_section_from_its_top_is_an_echo(candidate: str) -> None:
    assert echoes_context(candidate, (HEADER,))


@pytest.mark.parametrize(
    ("candidate", "sections"),
    [
        ("use super::from_u32_unchecked;", (HEADER,)),  # not from the section's top
        ("use crate::fmt;\nlet x = 1;", (HEADER,)),  # goes on with something else
        ("self.buf = Some(u2);", (HEADER,)),
        ("}", ("}\nfn next(&mut self) {",)),  # a lone closer is worth repeating
        ("use crate::fmt;", ()),
        ("", (HEADER,)),
    ],
)
def test_other_candidates_are_not_echoes_of_a_section(
    candidate: str, sections: tuple[str, ...]
) -> None:
    assert not echoes_context(candidate, sections)


def test_the_code_shown_is_a_section_only_well_above_the_cursor() -> None:
    near = "    x = 1\n    y = 2\n    "
    far = "def f(x):\n" + "    x += 1\n" * 5 + "    "
    assert context_sections("package url", "", near) == ("package url",)
    assert context_sections("", "func Get(key string) string", far) == (
        "func Get(key string) string",
        far,
    )


def test_a_heading_of_the_prompt_or_a_definition_already_above_is_an_echo() -> None:
    # SmolLM2 in the confidence bench: the heading, then the imports.
    assert echoes_context("The file's imports:\n    use crate::fmt;", (), framing())
    above = "func Sort(data Interface) {\n\tn := data.Len()\n}\n\nfunc Stable(data Interface) {\n"
    # Qwen2.5-Coder-0.5B in the same bench, inside Stable's body.
    assert echoes_context("func Sort(data Interface) {", (), framing(), above)
    assert not echoes_context("func Other(data Interface) {", (), framing(), above)
    assert not echoes_context("n := data.Len()", (), framing(), above)  # code may repeat
