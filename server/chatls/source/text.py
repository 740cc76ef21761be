"""Text as LSP sees it: lines split only on CR, LF and CRLF, positions in a negotiated encoding.

pygls's own codec clamps out-of-range characters to ``len - 1`` and splits lines on every
character Python's ``splitlines`` knows (form feeds, U+2028...), which LSP does not; edits computed
on that model land in the wrong place, so chatls keeps its own.
"""

from __future__ import annotations

import bisect
import collections
import re
from typing import Literal

import attrs
from lsprotocol import types

from chatls.errors import InvalidRequestError

Encoding = Literal["utf-8", "utf-16", "utf-32"]
ENCODINGS: tuple[Encoding, ...] = ("utf-16", "utf-8", "utf-32")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def to_lf(text: str) -> str:
    """``text`` with every line break (CRLF, CR or LF) as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalize_encoding(value: str | None) -> Encoding:
    if value in ("utf-8", "utf-32"):
        return value  # type: ignore[return-value]
    return "utf-16"


def units(text: str, encoding: Encoding) -> int:
    """Length of ``text`` in code units of ``encoding``."""
    if encoding == "utf-32" or text.isascii():
        return len(text)
    if encoding == "utf-16":
        return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
    return len(text.encode("utf-8"))


def _index_for_units(line: str, count: int, encoding: Encoding) -> int:
    """Code-point index in ``line`` reached after ``count`` code units (rounded down)."""
    if encoding == "utf-32" or line.isascii():
        return min(count, len(line))
    seen = 0
    for index, ch in enumerate(line):
        width = 1 if encoding == "utf-16" and ord(ch) <= 0xFFFF else 2
        if encoding == "utf-8":
            width = len(ch.encode("utf-8"))
        if seen + width > count:
            return index
        seen += width
    return len(line)


def split_lines(text: str) -> list[str]:
    """Lines with their terminators; the text after the last terminator is a line too."""
    lines: list[str] = []
    start = 0
    for match in _LINE_BREAK.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    lines.append(text[start:])
    return lines


def strip_eol(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith(("\n", "\r")):
        return line[:-1]
    return line


def dominant_eol(text: str) -> str:
    """The line ending a document mostly uses; LF for a document with none."""
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    if crlf >= lf and crlf >= cr and crlf > 0:
        return "\r\n"
    if cr > lf:
        return "\r"
    return "\n"


@attrs.frozen
class TextIndex:
    """Converts between offsets into a text and LSP positions."""

    text: str
    encoding: Encoding = "utf-16"
    line_starts: tuple[int, ...] = attrs.field(default=(), eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.line_starts:
            starts = [0]
            starts.extend(match.end() for match in _LINE_BREAK.finditer(self.text))
            object.__setattr__(self, "line_starts", tuple(starts))

    def replaced(self, start: int, end: int, new_text: str) -> TextIndex:
        """The index of the text with ``[start, end)`` replaced, re-scanning only the lines the
        change touched: typing in a 10,000-line file stays cheap."""
        text = self.text[:start] + new_text + self.text[end:]
        starts = self.line_starts
        first = self.line_of(start)
        if first > 0 and self.text[starts[first] - 1] == "\r":
            first -= 1  # that CR may pair with an LF the change brings
        after = self.line_of(end) + 1
        delta = len(new_text) - (end - start)
        scan_from = starts[first]
        # Two characters past the change's last line, and never between CR and LF, so a line
        # break the edit made or unmade at its edges is seen.
        region_end = min(
            len(text), (starts[after] + delta if after < len(starts) else len(text)) + 2
        )
        while 0 < region_end < len(text) and text[region_end - 1] == "\r":
            region_end += 1
        middle = [m.end() for m in _LINE_BREAK.finditer(text, scan_from, region_end)]
        tail = [s + delta for s in starts[after:] if s + delta > region_end]
        return TextIndex(text, self.encoding, (*starts[: first + 1], *middle, *tail))

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_span(self, line: int) -> tuple[int, int]:
        """Offsets of a line's content, without its terminator."""
        start = self.line_starts[line]
        end = self.line_starts[line + 1] if line + 1 < len(self.line_starts) else len(self.text)
        content = strip_eol(self.text[start:end])
        return start, start + len(content)

    def whole_lines(self, start: int, end: int) -> tuple[int, int]:
        """From the start of ``start``'s line to the end of ``end``'s line (terminator excluded)."""
        return self.line_starts[self.line_of(start)], self.line_span(self.line_of(end))[1]

    def line_text(self, line: int) -> str:
        start, end = self.line_span(line)
        return self.text[start:end]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset) - 1

    def offset(self, position: types.Position) -> int:
        """Offset of ``position``; a character past the line's end means its end, as LSP says."""
        if position.line < 0 or position.character < 0:
            raise InvalidRequestError(f"invalid position {_show(position)}: negative values")
        if position.line >= self.line_count:
            raise InvalidRequestError(
                f"invalid position {_show(position)}: the document has {self.line_count} lines"
            )
        start, end = self.line_span(position.line)
        line = self.text[start:end]
        return start + _index_for_units(line, position.character, self.encoding)

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = self.line_of(offset)
        start, end = self.line_span(line)
        # An offset inside a CRLF pair belongs to the end of the line's content.
        column_text = self.text[start : min(offset, end)]
        return types.Position(line=line, character=units(column_text, self.encoding))

    def span(self, range_: types.Range) -> tuple[int, int]:
        start = self.offset(range_.start)
        end = self.offset(range_.end)
        if end < start:
            raise InvalidRequestError(
                f"invalid range {_show(range_.start)}-{_show(range_.end)}: it ends before it starts"
            )
        return start, end

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))


_INDEXES: collections.OrderedDict[tuple[str, Encoding], TextIndex] = collections.OrderedDict()
_INDEXES_KEPT = 16


def remember(index: TextIndex) -> TextIndex:
    """Make ``index`` the one ``text_index`` returns for its text."""
    _INDEXES[(index.text, index.encoding)] = index
    _INDEXES.move_to_end((index.text, index.encoding))
    while len(_INDEXES) > _INDEXES_KEPT:
        _INDEXES.popitem(last=False)
    return index


def text_index(text: str, encoding: Encoding = "utf-16") -> TextIndex:
    """A shared index per text: building one walks the whole document, which on every
    keystroke of a large file would cost milliseconds."""
    found = _INDEXES.get((text, encoding))
    if found is not None:
        _INDEXES.move_to_end((text, encoding))
        return found
    # Line starts do not depend on the encoding: the document's index, kept up to date edit by
    # edit in the client's encoding, spares the scan when another encoding is asked for.
    for other in ENCODINGS:
        sibling = _INDEXES.get((text, other))
        if sibling is not None:
            return remember(TextIndex(text, encoding, sibling.line_starts))
    return remember(TextIndex(text, encoding))


def _show(position: types.Position) -> str:
    return f"{position.line + 1}:{position.character + 1}"


def leading_whitespace(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: Encoding = "utf-16") -> str:
    """Apply non-overlapping edits to ``text`` the way an editor does."""
    index = text_index(text, encoding)
    spans = sorted(
        ((*index.span(edit.range), edit.new_text) for edit in edits),
        key=lambda item: (item[0], item[1]),
    )
    out: list[str] = []
    cursor = 0
    for start, end, new_text in spans:
        if start < cursor:
            raise ValueError("overlapping edits")
        out.append(text[cursor:start])
        out.append(new_text)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)
