"""Fitting replacement code to the document: the region it replaces, and its indentation, tabs
or spaces, line endings, trailing-newline shape, partial-line selections, and lines the model
echoed from just outside the selection.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter

import attrs

from chatls.edits.replies import similarity
from chatls.source.text import (
    TextIndex,
    dominant_eol,
    leading_whitespace,
    strip_eol,
    to_lf,
)

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
_FIRST_WORD = re.compile(r"\s*(\S+)")
_WORDS = re.compile(r"\w+")


@attrs.frozen
class Region:
    """The span of the document an action replaces."""

    start: int
    end: int
    partial: bool
    """True when the span starts or ends inside a line's text; the result then stays inline."""


@attrs.frozen
class IndentStyle:
    unit: str
    """One level of indentation: a tab, or some number of spaces."""
    guessed: bool = False
    """The document has no indented line to tell: the reply's own unit stands (a Go file whose
    only function is being written keeps the model's tabs)."""

    @property
    def uses_tabs(self) -> bool:
        return self.unit == "\t"


def region_for_selection(index: TextIndex, start: int, end: int) -> Region:
    """Whole lines when only whitespace lies between the selection and its lines' ends."""
    text = index.text
    first = index.line_of(start)
    first_start, _ = index.line_span(first)
    last = index.line_of(end)
    if end == index.line_starts[last] and last > first:
        last -= 1
        last_end = index.line_span(last)[1]
        ends_clean = True
    else:
        last_end = index.line_span(last)[1]
        ends_clean = not text[end:last_end].strip()
    starts_clean = not text[first_start:start].strip()
    if starts_clean and ends_clean and text[first_start:last_end].strip():
        return Region(first_start, last_end, partial=False)
    return Region(start, end, partial=True)


@functools.lru_cache(maxsize=4)
def detect_indent_style(text: str) -> IndentStyle:
    """The indentation a document uses, the way editors guess it: tabs, or the common step.
    Remembered for the last few texts: an edit's fitting asks for it once per piece."""
    tabs = 0
    spaces = 0
    steps: Counter[int] = Counter()
    previous = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        indent = leading_whitespace(line)
        if indent.startswith("\t"):
            tabs += 1
            continue
        width = len(indent)
        if width:
            spaces += 1
        if width > previous:
            steps[width - previous] += 1
        previous = width
    if tabs > spaces:
        return IndentStyle("\t")
    for step, _ in steps.most_common():
        if 2 <= step <= 8:
            return IndentStyle(" " * step)
    return IndentStyle("    ", guessed=not spaces)


def _reply_unit(lines: list[str]) -> str | None:
    """The indentation step of a reply, or None when it aligns with arbitrary widths."""
    indents = [leading_whitespace(line) for line in lines if line.strip()]
    if any("\t" in indent for indent in indents):
        return "\t" if all(set(indent) <= {"\t"} for indent in indents) else None
    widths = [len(indent) for indent in indents if indent]
    if not widths:
        return None
    unit = math.gcd(*widths)
    return " " * unit if unit >= 2 else None


def _restyle(lines: list[str], style: IndentStyle) -> list[str]:
    """Re-express relative indentation in the document's unit when the reply uses another."""
    unit = _reply_unit(lines)
    if unit is None or unit == style.unit or style.guessed:
        return lines
    out = []
    for line in lines:
        indent = leading_whitespace(line)
        levels = len(indent) // len(unit)
        out.append(style.unit * levels + line[len(indent) :])
    return out


def _dedent(lines: list[str]) -> list[str]:
    indents = [leading_whitespace(line) for line in lines if line.strip()]
    if not indents:
        return ["" for _ in lines]
    common = min(indents, key=len)
    # Only strip what every line really shares; mixed tabs/spaces fall back to the shared prefix.
    for indent in indents:
        while not indent.startswith(common):
            common = common[:-1]
    return [line[len(common) :] if line.strip() else "" for line in lines]


def _bracket_balance(lines: list[str]) -> int:
    balance = 0
    for line in lines:
        for ch in line:
            if ch in _OPENERS:
                balance += 1
            elif ch in _CLOSERS:
                balance -= 1
    return balance


def _nonblank(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip()]


def _drop_echoed_prefix(reply: list[str], before: list[str], original: list[str]) -> list[str]:
    """Remove leading reply lines that repeat the lines just above the selection."""
    above = _nonblank(before)
    head = _nonblank(reply)
    own = _nonblank(original)
    for count in range(min(len(head), len(above), 8), 0, -1):
        if head[:count] == above[-count:] and own[:count] != head[:count]:
            seen = 0
            for index, line in enumerate(reply):
                if line.strip():
                    seen += 1
                if seen == count:
                    return reply[index + 1 :]
    return reply


def _drop_echoed_suffix(reply: list[str], after: list[str], original: list[str]) -> list[str]:
    """Remove trailing reply lines that repeat the lines just below the selection."""
    below = _nonblank(after)
    tail = _nonblank(reply)
    own = _nonblank(original)
    target = _bracket_balance(original)
    for count in range(min(len(tail), len(below), 8), 0, -1):
        if tail[-count:] != below[:count] or own[-count:] == tail[-count:]:
            continue
        seen = 0
        for index in range(len(reply) - 1, -1, -1):
            if reply[index].strip():
                seen += 1
            if seen == count:
                trimmed = reply[:index]
                # Closing lines that the selection's own brackets need are not an echo.
                if _bracket_balance(reply) == target != _bracket_balance(trimmed):
                    break
                return trimmed
    return reply


def _same_statement_kind(a: str, b: str) -> bool:
    wa = _FIRST_WORD.match(a)
    wb = _FIRST_WORD.match(b)
    return bool(wa and wb and wa.group(1) == wb.group(1))


def _same_header(a: str, b: str) -> bool:
    """Two versions of one declaration line: same keyword and name, or mostly the same."""
    words_a = _WORDS.findall(a)[:2]
    words_b = _WORDS.findall(b)[:2]
    return (len(words_a) == 2 and words_a == words_b) or similarity(a, b) >= 0.6


def _fix_stripped_first_line(reply: list[str], original: list[str]) -> list[str]:
    """Undo the common slip of a model copying the selection without its first line's indent."""
    if len(reply) < 2 or not original or not reply[0].strip():
        return reply
    base = leading_whitespace(original[0])
    rest_reply = [leading_whitespace(line) for line in reply[1:] if line.strip()]
    rest_orig = [leading_whitespace(line) for line in original[1:] if line.strip()]
    if not base or leading_whitespace(reply[0]) or not rest_reply or not rest_orig:
        return reply
    if min(map(len, rest_reply)) == min(map(len, rest_orig)) >= len(base):
        return [base + reply[0], *reply[1:]]
    return reply


def _trim_blank_edges(lines: list[str]) -> list[str]:
    start = 0
    end = len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _region_eol(index: TextIndex, region: Region) -> str:
    line = index.line_of(region.start)
    start = index.line_starts[line]
    end = index.line_starts[line + 1] if line + 1 < index.line_count else len(index.text)
    raw = index.text[start:end]
    eol = raw[len(strip_eol(raw)) :]
    return eol or dominant_eol(index.text)


@attrs.frozen
class Fitted:
    region: Region
    text: str


def fit_replacement(index: TextIndex, region: Region, code: str) -> Fitted:
    """Shape ``code`` (the model's version of the region) to replace ``region`` in place."""
    eol = _region_eol(index, region)
    lines = _trim_blank_edges(to_lf(code).split("\n"))
    if region.partial:
        return Fitted(region, _fit_inline(index, region, lines, eol))
    return _fit_lines(index, region, lines, eol)


def _fit_inline(index: TextIndex, region: Region, lines: list[str], eol: str) -> str:
    text = index.text
    original = text[region.start : region.end]
    if not lines:
        return ""
    line_no = index.line_of(region.start)
    line_start, _ = index.line_span(line_no)
    end_line = index.line_of(region.end)
    _, line_end = index.line_span(end_line)
    before = text[line_start : region.start].strip()
    after = text[region.end : line_end].strip()
    body = "\n".join(lines).strip()
    if before and body.startswith(before) and not original.strip().startswith(before):
        body = body[len(before) :].lstrip()
    if after and body.endswith(after) and not original.strip().endswith(after):
        body = body[: -len(after)].rstrip()
    new_lines = body.split("\n")
    if len(new_lines) > 1:
        original_lines = original.split("\n")
        continuation = [line for line in original_lines[1:] if line.strip()]
        line_indent = leading_whitespace(index.line_text(line_no))
        style = detect_indent_style(text)
        base = (
            min((leading_whitespace(line) for line in continuation), key=len)
            if continuation
            else line_indent + style.unit
        )
        rest = _restyle(_dedent(new_lines[1:]), style)
        new_lines = [new_lines[0]] + [base + line if line else "" for line in rest]
    stripped = original.rstrip("\r\n")
    lead = original[: len(original) - len(original.lstrip())]
    trail = stripped[len(stripped.rstrip()) :]
    result = lead + eol.join(new_lines) + trail
    if original.endswith(("\n", "\r")):
        result += eol
    return result


def _fit_lines(index: TextIndex, region: Region, lines: list[str], eol: str) -> Fitted:
    text = index.text
    first = index.line_of(region.start)
    last = index.line_of(region.end)
    original = [index.line_text(n) for n in range(first, last + 1)]
    before = [index.line_text(n) for n in range(max(0, first - 8), first)]
    after = [index.line_text(n) for n in range(last + 1, min(index.line_count, last + 9))]

    lines = _drop_echoed_prefix(lines, before, original)
    lines = _drop_echoed_suffix(lines, after, original)
    lines = _trim_blank_edges(lines)

    # A reply that rewrote the line just above (a changed signature) takes that line in.
    head = next((line for line in lines if line.strip()), "")
    above = next((line for line in reversed(before) if line.strip()), "")
    if (
        head
        and above
        and _same_statement_kind(head, above)
        and not _same_statement_kind(head, original[0])
        and _same_header(head, above)
    ):
        above_line = first - 1 - next(i for i, line in enumerate(reversed(before)) if line.strip())
        region = Region(index.line_starts[above_line], region.end, partial=False)
        first = above_line
        original = [index.line_text(n) for n in range(first, last + 1)]

    if not lines:
        return Fitted(region, "")
    lines = _fix_stripped_first_line(lines, original)
    style = detect_indent_style(text)
    relative = _restyle(_dedent(lines), style)
    indents = [leading_whitespace(line) for line in original if line.strip()]
    base = min(indents, key=len) if indents else ""
    if style.uses_tabs and base and " " in base and "\t" not in base:
        base = "\t" * (len(base) // 4)
    fitted = [base + line if line else "" for line in relative]
    return Fitted(region, eol.join(fitted))


def fit_insertion(index: TextIndex, region: Region, code: str, below: bool) -> Fitted:
    """Shape new ``code`` to go on lines of its own below (or above) ``region``, indented like
    the region's first line; the returned region is empty, at the line boundary."""
    eol = _region_eol(index, region)
    lines = _trim_blank_edges(to_lf(code).split("\n"))
    first = index.line_of(region.start)
    last = index.line_of(region.end - 1) if region.end > region.start else first
    style = detect_indent_style(index.text)
    base = leading_whitespace(index.line_text(first))
    fitted = [base + line if line else "" for line in _restyle(_dedent(lines), style)]
    text = eol.join(fitted) + eol
    if below:
        at_line = last + 1
        if at_line >= index.line_count or index.line_starts[at_line] > len(index.text):
            at = len(index.text)
            if index.text and not index.text.endswith(("\n", "\r")):
                text = eol + text
        else:
            at = index.line_starts[at_line]
    else:
        at = index.line_starts[first]
    return Fitted(Region(at, at, partial=False), text)
