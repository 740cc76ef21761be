"""Cleaning a model's reply into the text to insert at the cursor: fences and prose removed, the
code before or after the cursor not repeated, indentation fitted to the cursor's line; and
deciding, while the reply streams, when it holds all that fits here."""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from chatls.edits.replies import code_blocks
from chatls.source.languages import DEFINITION_LINE
from chatls.source.text import leading_whitespace, to_lf

CURSOR = "<CURSOR>"
_CLOSERS = set(")]}>\"'`;,")
# Lines after which the completion is a body: a new, deeper block, not the rest of this line.
STARTS_BODY = re.compile(r"(:|\{|\bdo|\bthen)\s*$")
_WORD_END = re.compile(r"[A-Za-z_$][\w$]*$")
_WORD_GOES_ON = re.compile(r"[\w$]")
_LEAD_IN = re.compile(r"^(here|sure|certainly|the completion|completion)\b.*:\s*$", re.IGNORECASE)
TAIL = 400


@attrs.frozen
class Cursor:
    """Where the completion goes, and what kind fits there."""

    offset: int
    line_prefix: str
    line_suffix: str
    multiline: bool
    indent: str
    """Indentation for the lines of a block after the first."""


def cursor_at(text: str, offset: int, line_start: int, line_end: int, unit: str) -> Cursor:
    line_prefix = text[line_start:offset]
    line_suffix = text[offset:line_end]
    rest = line_suffix.strip()
    if rest and not set(rest) <= _CLOSERS:
        multiline = False  # mid-line: complete this line only
    elif not line_prefix.strip():
        multiline = True  # an empty line in a block: a block
    else:
        multiline = bool(STARTS_BODY.search(line_prefix))
    if line_prefix and not line_prefix.strip():
        indent = line_prefix  # the user already indented the line
    elif line_prefix:
        indent = leading_whitespace(line_prefix)
        if STARTS_BODY.search(line_prefix):
            indent += unit
    else:
        # Column 0 of an empty line: take the indentation of the code above.
        above = text[:line_start].rstrip("\r\n")
        previous = above[above.rfind("\n") + 1 :]
        indent = leading_whitespace(previous)
        if STARTS_BODY.search(previous):
            indent += unit
    return Cursor(offset, line_prefix, line_suffix, multiline, indent)


def _strip_echo_of_prefix(reply: str, text: str, cursor: Cursor) -> str:
    """Remove a repetition of the code just before the cursor (whole lines plus the current
    line's text), longest repetition first. After lines repeated up to an empty line's typed
    indentation, that indentation stays with the reply: it is where the lines that follow are
    measured from."""
    line_start = cursor.offset - len(cursor.line_prefix)
    starts = [line_start]
    position = line_start
    for _ in range(4):
        if position == 0:
            break
        position = text.rfind("\n", 0, position - 1) + 1
        starts.append(position)
    candidate = reply.lstrip(" \t")
    for start in reversed(starts):
        # The reply's line breaks are LF (``clean``), whatever the file's.
        echo = to_lf(text[start : cursor.offset]).lstrip(" \t")
        if echo.strip() and candidate.startswith(echo):
            if start < line_start and not cursor.line_prefix.strip():
                return cursor.line_prefix + candidate[len(echo) :]
            return candidate[len(echo) :]
    # The word being typed, repeated in full: "v" then "values" means "alues", "get" then
    # "get_name" means "_name". A reply that goes on with something else keeps the word
    # ("torch.n" then "n.Linear" is nn.Linear).
    word = _WORD_END.search(cursor.line_prefix)
    if word and reply.startswith(word.group(0)) and _WORD_GOES_ON.match(reply, len(word.group(0))):
        return reply[len(word.group(0)) :]
    return reply


_PAIRS = {")": "(", "]": "[", "}": "{"}


def _closes_its_own(head: str, tail: str) -> bool:
    """Whether a bracket in ``tail`` closes one opened in ``head``, the text before it."""
    opened: list[tuple[str, bool]] = []
    for text, in_head in ((head, True), (tail, False)):
        for char in text:
            if char in "([{":
                opened.append((char, in_head))
            elif char in _PAIRS and opened and opened[-1][0] == _PAIRS[char]:
                _, opened_in_head = opened.pop()
                if opened_in_head and not in_head:
                    return True
    return False


def _strip_echo_of_suffix(reply: str, cursor: Cursor, before: str = "") -> str:
    """Remove the rest of the current line when the reply ends by repeating it; brackets the
    reply opened itself (``before`` is the reply's lines above this one) close there and stay:
    "len(items)" before ")" is a call, "items)" a repeated ")"."""
    rest = cursor.line_suffix.strip()
    if not rest:
        return reply
    stripped = reply.rstrip()
    if stripped.endswith(rest) and not _closes_its_own(
        before + stripped[: -len(rest)], stripped[-len(rest) :]
    ):
        return stripped[: -len(rest)]
    # A partial overlap counts only for closing characters: "a, b)" before ")".
    for size in range(len(rest) - 1, 0, -1):
        overlap = rest[:size]
        if (
            set(overlap) <= _CLOSERS
            and stripped.endswith(overlap)
            and not _closes_its_own(before + stripped[:-size], overlap)
        ):
            return stripped[:-size]
    return reply


def _reindent_block(lines: list[str], cursor: Cursor, unit: str, on_cursor_line: bool) -> list[str]:
    """The first line goes at the cursor; the others keep their shape relative to it, moved to
    the cursor's indentation. The block ends where a line leaves it (dedents past its start)
    or, after a blank line, where a new definition begins."""
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first == len(lines):
        return []
    step = len(unit) if unit != "\t" else 4
    base = len(leading_whitespace(lines[first]).expandtabs(step))
    out: list[str] = []
    blank_run = 0
    for number, line in enumerate(lines[first:], first):
        if not line.strip():
            blank_run += 1
            if blank_run >= 2 and out:
                break
            out.append("")
            continue
        after_blank = blank_run > 0 and bool(out)
        blank_run = 0
        width = len(leading_whitespace(line).expandtabs(step))
        if number > first and width < base:
            break
        body = line.strip()
        relative = width - base
        if after_blank and relative == 0 and DEFINITION_LINE.match(body):
            break
        if number == first and on_cursor_line:
            # The first line goes at the cursor: after the indentation already typed, or
            # straight on from the code already on the line.
            typed = cursor.line_prefix
            if not typed.strip() and cursor.indent.startswith(typed):
                body = cursor.indent[len(typed) :] + body
            out.append(body)
            continue
        levels, spaces = divmod(relative, step)
        out.append(cursor.indent + unit * levels + " " * spaces + body)
    while out and not out[-1]:
        out.pop()
    return out


def _drop_repeated_following_lines(lines: list[str], suffix: str) -> list[str]:
    following = [line.strip() for line in suffix.split("\n")[1:] if line.strip()][:8]
    for count in range(min(len(lines), len(following)), 0, -1):
        tail = [line.strip() for line in lines[-count:]]
        if tail == following[:count]:
            return lines[:-count]
    return lines


def clean(
    reply: str,
    text: str,
    cursor: Cursor,
    unit: str,
    finish_reason: str | None,
    eol: str = "\n",
    middle: bool = False,
) -> str | None:
    """The text to insert at the cursor from a raw reply, or None when nothing usable is left.
    ``middle``: the reply is a fill-in-the-middle model's text from the cursor on, with no
    fences, lead-ins or repeated code before the cursor to remove."""
    reply = to_lf(reply)
    if middle:
        if not cursor.line_prefix.strip():
            # The indentation typed is the first line's: the lines after it are the file's.
            reply = cursor.line_prefix + reply
        elif cursor.line_prefix.endswith((" ", "\t")):
            # Tokenizers join a space to the word after it (" err"): after a space already
            # typed, a middle that starts with one would make two.
            reply = reply.lstrip(" \t")
    else:
        blocks = code_blocks(reply)
        if blocks:
            reply = blocks[0].code
        else:
            lines = reply.split("\n")
            while lines and _LEAD_IN.match(lines[0].strip()):
                lines.pop(0)
            reply = "\n".join(lines)
        reply = reply.replace(CURSOR, "")
        reply = _strip_echo_of_prefix(reply, text, cursor)
    suffix = text[cursor.offset : cursor.offset + TAIL]
    if not cursor.multiline:
        if finish_reason == "length":
            return None  # the line was cut off somewhere in the middle
        line = reply.split("\n", 1)[0] if reply.strip() else ""
        if not line.strip():
            return None
        if not cursor.line_prefix.strip():
            line = line.lstrip()
        completion = _strip_echo_of_suffix(line, cursor).rstrip()
    else:
        lines = reply.split("\n")
        if finish_reason == "length" and len(lines) > 1:
            lines = lines[:-1]  # the last line was cut off
        newline_first = bool(cursor.line_prefix.strip()) and (
            not lines[0].strip() or bool(STARTS_BODY.search(cursor.line_prefix))
        )
        # The block's first line goes at the cursor, even when the reply starts with a blank line.
        on_cursor_line = not newline_first
        body = _reindent_block(lines, cursor, unit, on_cursor_line)
        body = _drop_repeated_following_lines(body, suffix)
        if not body:
            return None
        body[-1] = _strip_echo_of_suffix(body[-1], cursor, "\n".join(body[:-1])).rstrip()
        completion = "\n".join(body)
        if newline_first:
            completion = "\n" + completion
        completion = completion.replace("\n", eol)
    if not completion.strip() or suffix.startswith(completion):
        return None
    return completion


_WORD = re.compile(r"[A-Za-z0-9_']+")
_ECHO_RUN = 4
"""Consecutive words of chatls's own instructions that make a candidate an echo of them (fewer
than that is ordinary English or code: "the line", "return x")."""


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def echoes_prompt(candidate: str, framing: str, text: str) -> bool:
    """Whether ``candidate`` repeats chatls's own words rather than code: it holds a run of
    ``_ECHO_RUN`` words (or is wholly a run of at least three) from ``framing``, the prompt's
    instructions and framing without the file, that the file ``text`` itself does not hold.
    A small model that finds nothing to write tends to copy its instructions ("The rest of the
    line.") or the prompt's labels ("File: app.py (Python)")."""
    words = _words(candidate)
    if len(words) < 3:
        return False
    frame = f" {' '.join(_words(framing))} "
    file_words: str | None = None
    for size in range(len(words), 2, -1):
        if size < _ECHO_RUN and size != len(words):
            break
        for start in range(len(words) - size + 1):
            run = f" {' '.join(words[start : start + size])} "
            if run not in frame:
                continue
            if file_words is None:
                # Only now: reading the whole file into words costs what a request does.
                file_words = f" {' '.join(_words(text))} "
            if run not in file_words:
                return True
    return False


_ECHO_LINES = 2
"""Lines of a section a candidate must copy from its top to be an echo of it (one when the
candidate or the section has one line only)."""
PREFIX_ECHO_FROM = 5
"""Lines above the cursor from which the code shown counts as a section of its own: nearer
lines are the code just before the cursor, whose repetition ``clean`` strips instead."""


def _substantial(line: str) -> bool:
    """A line worth recognising: not a lone bracket or keyword a completion may well repeat."""
    return len(_words(line)) >= 2 or len(line) >= 12


def echoes_context(
    candidate: str, sections: Sequence[str], framing: str = "", before: str = ""
) -> bool:
    """Whether ``candidate`` starts by copying the prompt rather than writing what goes at the
    cursor: one of its context sections from the top (the file's imports, the signatures from
    other files, the first lines of the code shown when they are well above the cursor), one
    of its headings (a line of ``framing``: ``The file's imports:``), or a definition's first
    line that the code before the cursor (``before``) already holds. Small models (SmolLM2,
    Qwen2.5-Coder-0.5B) often take the prompt for a file to write out again and begin so
    (``use crate::fmt;``, ``package url``, ``func Sort(data Interface) {``); whatever
    follows, it is not what goes at the cursor."""
    lines = [line.strip() for line in candidate.split("\n") if line.strip()]
    if not lines:
        return False
    for section in sections:
        top = [line.strip() for line in section.split("\n") if line.strip()]
        if not top or not _substantial(top[0]):
            continue
        size = min(len(lines), len(top), _ECHO_LINES)
        if lines[:size] == top[:size]:
            return True
    first = lines[0]
    if _substantial(first) and first in {line.strip() for line in framing.split("\n")}:
        return True
    # A definition already written above is not written again inside the code after it.
    return bool(DEFINITION_LINE.match(first)) and any(
        line.strip() == first for line in before.split("\n")
    )


def context_sections(header: str, definitions: str, prefix: str) -> tuple[str, ...]:
    """The sections of a completion prompt ``echoes_context`` looks for, from the variables
    it was rendered with."""
    sections = [header, definitions]
    if prefix.count("\n") >= PREFIX_ECHO_FROM:
        sections.append(prefix)
    return tuple(section for section in sections if section.strip())


def _content_lines(text: str) -> list[str]:
    """Finished lines of a streamed reply, without fences, lead-ins and blank lines."""
    return [
        line
        for line in text.split("\n")[:-1]
        if line.strip()
        and not line.lstrip().startswith(("```", "~~~"))
        and not _LEAD_IN.match(line.strip())
    ]


def line_finished(text: str) -> bool:
    """A single-line completion is complete once one line of content has ended."""
    return bool(_content_lines(text))


def block_finished(text: str) -> bool:
    """A block is complete once a line leaves it (dedents past its first line) or a new
    definition starts."""
    content = _content_lines(text)
    if len(content) < 2:
        return False
    first = len(leading_whitespace(content[0]))
    return any(
        len(leading_whitespace(line)) < first
        or (len(leading_whitespace(line)) == first and DEFINITION_LINE.match(line))
        for line in content[1:]
    )
