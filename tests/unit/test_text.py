from __future__ import annotations

import pytest
from lsprotocol import types

from chatls.errors import InvalidRequestError
from chatls.source.text import (
    Encoding,
    TextIndex,
    apply_text_edits,
    dominant_eol,
    split_lines,
    text_index,
)

TEXT = 'a = "é😀"; b\r\nsecond\rthird\n\x0cfourth\u2028same line\n'


def P(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def test_lines_split_only_on_lsp_line_ends() -> None:
    index = TextIndex(TEXT)
    assert index.line_count == 5
    assert [index.line_text(i) for i in range(5)] == [
        'a = "é😀"; b',
        "second",
        "third",
        "\x0cfourth\u2028same line",
        "",
    ]
    assert split_lines("a\r\nb") == ["a\r\n", "b"]


@pytest.mark.parametrize(("encoding", "column"), [("utf-16", 11), ("utf-8", 14), ("utf-32", 10)])
def test_columns_in_each_encoding(encoding: str, column: int) -> None:
    index = TextIndex(TEXT, encoding)  # type: ignore[arg-type]
    offset = TEXT.index("b\r\n")
    assert index.position(offset) == P(0, column)
    assert index.offset(P(0, column)) == offset


def test_a_position_inside_a_surrogate_pair_rounds_down() -> None:
    index = TextIndex(TEXT, "utf-16")
    emoji = TEXT.index("😀")
    assert index.offset(P(0, 7)) == emoji  # the pair's second half


def test_past_the_end_of_a_line_means_its_end() -> None:
    index = TextIndex(TEXT)
    assert index.offset(P(1, 99)) == TEXT.index("\rthird")


def test_invalid_positions_and_ranges() -> None:
    index = TextIndex(TEXT)
    with pytest.raises(InvalidRequestError, match="the document has 5 lines"):
        index.offset(P(5, 0))
    with pytest.raises(InvalidRequestError, match="ends before it starts"):
        index.span(types.Range(start=P(1, 2), end=P(1, 1)))


def test_crlf_offsets_never_split_the_pair() -> None:
    index = TextIndex("ab\r\ncd")
    assert index.position(3) == P(0, 2)
    assert index.position(4) == P(1, 0)


def test_dominant_eol() -> None:
    assert dominant_eol("a\r\nb\r\nc\n") == "\r\n"
    assert dominant_eol("a\nb") == "\n"
    assert dominant_eol("one line") == "\n"


def test_apply_text_edits() -> None:
    edits = [
        types.TextEdit(range=types.Range(start=P(0, 0), end=P(0, 1)), new_text="A"),
        types.TextEdit(range=types.Range(start=P(1, 0), end=P(1, 6)), new_text="2nd"),
    ]
    assert apply_text_edits(TEXT, edits).startswith('A = "é😀"; b\r\n2nd\rthird')


def test_incremental_index_matches_a_full_rebuild() -> None:
    import random

    rng = random.Random(20261122)
    pieces = ["a", "bc", "\n", "\r", "\r\n", "😀", " ", "\x0c", "xyz\n"]
    text = "start\r\nline two\nthree\rfour"
    index = TextIndex(text)
    for _ in range(20000):
        start = rng.randrange(len(index.text) + 1)
        end = min(len(index.text), start + rng.randrange(6))
        new = "".join(rng.choice(pieces) for _ in range(rng.randrange(4)))
        index = index.replaced(start, end, new)
        assert index.line_starts == TextIndex(index.text).line_starts, repr(index.text)


def test_an_index_in_another_encoding_reuses_the_line_scan() -> None:
    text = TEXT + "x = 1\n" * 3 + "unique to this test"
    document = text_index(text, "utf-16")
    encodings: tuple[Encoding, ...] = ("utf-8", "utf-32")
    for encoding in encodings:
        other = text_index(text, encoding)
        fresh = TextIndex(text, encoding)
        assert other.line_starts is document.line_starts
        assert other.line_starts == fresh.line_starts
        end = len(text)
        assert other.position(end) == fresh.position(end)
        assert other.offset(fresh.position(3)) == 3
