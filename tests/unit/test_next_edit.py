"""Next-edit suggestions' own parts: the edit history's units, and a rewrite turned into the
edits a user would make."""

from __future__ import annotations

import pytest
from lsprotocol import types

from chatls.config import Settings
from chatls.nextedit.history import DOCUMENTS, UNITS_PER_DOCUMENT, EditHistory
from chatls.nextedit.predictor import NextEditRequest, Predictor, _region, _rewritten
from chatls.source.document import Document
from chatls.source.text import apply_text_edits, text_index

URI = "file:///w/a.py"


class Typist:
    """Feeds an ``EditHistory`` as the document's change listener does."""

    def __init__(self, history: EditHistory, text: str, uri: str = URI) -> None:
        self.history, self.text, self.uri = history, text, uri

    def replace(self, start: int, end: int, new: str) -> None:
        before = self.text
        self.text = before[:start] + new + before[end:]
        self.history.changed(self.uri, start, end, new, self.text, before)

    def type(self, at: int, word: str) -> None:
        for number, char in enumerate(word):
            self.replace(at + number, at + number, char)


def test_keystrokes_in_one_place_are_one_unit() -> None:
    history = EditHistory()
    typist = Typist(history, "def f(a):\n    return a\n\n\nx = 1\n")
    typist.type(len("def f(a"), ", b")
    (unit,) = history.units(URI)
    assert unit.before == "def f(a):\n    return a\n\n\nx = 1\n"
    assert unit.after == "def f(a, b):\n    return a\n\n\nx = 1\n"
    assert unit.diff("a.py") == (
        "--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,3 @@\n-def f(a):\n+def f(a, b):\n     return a\n \n"
    )


def test_an_edit_elsewhere_starts_a_new_unit_and_undoing_one_drops_it() -> None:
    history = EditHistory()
    typist = Typist(history, "a = 1\nb = 2\n\n\nc = 3\n")
    typist.replace(4, 5, "10")
    typist.replace(len(typist.text) - 2, len(typist.text) - 1, "30")
    assert [u.after for u in history.units(URI)] == [
        "a = 10\nb = 2\n\n\nc = 3\n",
        "a = 10\nb = 2\n\n\nc = 30\n",
    ]
    typist.replace(len(typist.text) - 3, len(typist.text) - 1, "3")
    # Typed and taken back: nothing happened there.
    assert len(history.units(URI)) == 1


def test_chatls_own_edits_are_marked_and_never_merged() -> None:
    history = EditHistory()
    typist = Typist(history, "x = 1\n")
    typist.type(5, "0")
    history.applying([URI])
    typist.replace(0, 1, "y")
    history.applied([URI])
    typist.replace(0, 1, "z")
    assert [u.own for u in history.units(URI)] == [False, True, False]


def test_history_is_bounded() -> None:
    history = EditHistory()
    for number in range(DOCUMENTS + 3):
        typist = Typist(history, "\n" * 200, f"file:///w/{number}.py")
        for unit in range(UNITS_PER_DOCUMENT + 2):
            # Three lines apart (each "x" typed before moves the next one along).
            typist.replace(4 * unit, 4 * unit, "x")
    assert len(history._units) == DOCUMENTS
    assert all(len(units) == UNITS_PER_DOCUMENT for units in history._units.values())
    recent = history.recent(f"file:///w/{DOCUMENTS + 2}.py", 20)
    assert len(recent) == 20
    assert recent[-1].uri == f"file:///w/{DOCUMENTS + 2}.py"


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("```python\n    return w * height\n```", "    return w * height\n"),
        # The model dropped the region's indentation.
        ("```\nreturn w * height\n```", "    return w * height\n"),
        # Markers and the cursor echoed back.
        (
            "```python\n<|editable_region_start|>\n    return w<|cursor|> * height\n"
            "<|editable_region_end|>\n```",
            "    return w * height\n",
        ),
        ("no fence at all\n", "    no fence at all\n"),
        ("```python\n    return w * height\n", "    return w * height\n"),
    ],
)
def test_the_rewrite_is_read_as_the_region(reply: str, expected: str) -> None:
    assert _rewritten(reply, "    return width * height\n", "\n") == expected


def test_a_crlf_document_gets_crlf_back() -> None:
    assert (
        _rewritten("```\na = 2\nb = 3\n```", "a = 1\r\nb = 3\r\n", "\r\n") == "a = 2\r\nb = 3\r\n"
    )


def _edits(text: str, rewritten: str, cursor: int) -> str:
    """What the predictor's checks make of ``rewritten`` (the whole region) at ``cursor``."""
    index = text_index(text)
    settings = Settings()
    region = _region(index, index.position(cursor), settings)
    request = NextEditRequest(Document(URI, text, 1), index.position(cursor))
    edits = Predictor()._edits(request, index, region, f"```\n{rewritten}```")
    return apply_text_edits(text, edits) if edits else "no suggestion"


def test_uses_renamed_on_a_line_are_separate_word_edits() -> None:
    text = "def f(w):\n    return width + width\n"
    index = text_index(text)
    region = _region(index, types.Position(line=0, character=7), Settings())
    request = NextEditRequest(Document(URI, text, 1), types.Position(line=0, character=7))
    edits = Predictor()._edits(request, index, region, "```\ndef f(w):\n    return w + w\n```")
    assert [(e.range.start.character, e.range.end.character, e.new_text) for e in edits] == [
        (11, 16, "w"),
        (19, 24, "w"),
    ]


def test_a_rewrite_that_changes_too_much_gives_nothing() -> None:
    text = "".join(f"value_{n} = compute({n})\n" for n in range(20))
    rewritten = "".join(f"other_{n} = compute({n})\n" for n in range(20))
    assert _edits(text, rewritten, 3) == "no suggestion"


def test_a_reply_unlike_the_region_gives_nothing() -> None:
    text = "def area(w, height):\n    return width * height\n"
    assert _edits(text, "print('hello world')\n", 10) == "no suggestion"


def test_uses_renamed_on_neighbouring_lines_are_word_edits_too() -> None:
    text = "def total(prices, tax):\n    net = sum(prices)\n    taxed = subtotal * (1 + tax)\n    return round(subtotal, 2)\n"
    index = text_index(text)
    cursor = types.Position(line=1, character=7)
    region = _region(index, cursor, Settings())
    request = NextEditRequest(Document(URI, text, 1), cursor)
    reply = "```\ndef total(prices, tax):\n    net = sum(prices)\n    taxed = net * (1 + tax)\n    return round(net, 2)\n```"
    edits = Predictor()._edits(request, index, region, reply)
    assert [
        (e.range.start.line, e.range.start.character, e.range.end.character, e.new_text)
        for e in edits
    ] == [
        (2, 12, 20, "net"),
        (3, 17, 25, "net"),
    ]


def test_a_crlf_document_gets_edits_that_keep_its_line_breaks() -> None:
    text = "def f(n):\r\n    a = m + 1\r\n    b = m + 2\r\n"
    assert _edits(text, "def f(n):\n    a = n + 1\n    b = n + 2\n", 7) == (
        "def f(n):\r\n    a = n + 1\r\n    b = n + 2\r\n"
    )


def test_a_rewrite_that_copies_the_code_around_the_region_or_stops_early_is_held_to_it() -> None:
    region = "    total = 0\n    for item in items:\n        total += item\n    return total\n"
    above = "def add(entries):\n"
    below = "\n\ndef other():\n    pass\n"
    # Copied in the line above, and stopped before the region's last line.
    reply = "```\ndef add(entries):\n    total = 0\n    for item in entries:\n        total += item\n```"
    assert _rewritten(reply, region, "\n", above, below) == region.replace("in items", "in entries")
    # Copied in the lines below.
    reply = "```\n" + region.replace("in items", "in entries") + "\n\ndef other():\n    pass\n```"
    assert _rewritten(reply, region, "\n", above, below) == region.replace("in items", "in entries")


def test_reindenting_or_copying_code_the_file_holds_is_no_next_edit() -> None:
    text = "def first(a):\n    b = a + 1\n    return b\n\n\ndef second(x):\n    y = x * 2\n    return y\n"
    cursor = text.index("(x") + 2
    # Re-indented only.
    assert (
        _edits(text, text.replace("    y = x * 2", "        y = x * 2"), cursor) == "no suggestion"
    )
    # The first function written out again inside the second.
    copied = text.replace("    return y\n", "    return y\n    b = a + 1\n    return b\n")
    assert _edits(text, copied, cursor) == "no suggestion"
