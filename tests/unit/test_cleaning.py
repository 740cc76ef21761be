"""Inline completion cleaning: a candidate that repeats chatls's own instructions or the prompt's
framing is not code, and is dropped; code that happens to share words with them is kept."""

from __future__ import annotations

import pytest

from chatls.completion.cleaning import CURSOR, echoes_prompt
from chatls.completion.completer import _framing

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
