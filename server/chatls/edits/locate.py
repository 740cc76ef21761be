"""Locate: what part of the document a whole-block reply stands for.

Models answer a request about a function with the whole function, with only the line they
changed, with the lines around it, or with a few fragments separated by "...". The reply's
lines are aligned with the region's (difflib on lines, whitespace-insensitive) and the reply
is taken to stand for the region, one part of it, or several parts. Replacing only what the
reply stands for is what keeps a one-line answer from wiping out the function around it.
"""

from __future__ import annotations

import difflib
import functools
import re

import attrs

from chatls.edits.fitting import Region
from chatls.edits.replies import similarity
from chatls.errors import ReplyError
from chatls.source.text import TextIndex, to_lf

# A line standing for code the model left out: "...", "# ... rest unchanged", "// ...".
_ELISION = re.compile(
    r"^\s*(?:#|//|--|/\*|\*)?\s*(?:\.\.\.|…)\s*(?:[\w ,'’()-]*(?:\.\.\.|…)?)?\s*(?:\*/)?\s*$"
)
_SIMILAR = 0.5


@attrs.frozen
class Piece:
    """One part of the reply and the whole lines of the document it replaces."""

    region: Region
    code: str


def _norm(line: str) -> str:
    return " ".join(line.split())


@functools.lru_cache(maxsize=4)
def normalized_lines(index: TextIndex) -> tuple[str, ...]:
    """Every line of the document with its spacing normalized, as echoes are compared."""
    return tuple(_norm(index.line_text(n)) for n in range(index.line_count))


def fragments(code: str, original: list[str] | None = None) -> list[str]:
    """The reply split where it says it left code out (unless the original has such a line
    itself: ``...`` is a Python statement)."""
    own = {line for line in original or [] if _ELISION.match(line)}
    parts: list[list[str]] = [[]]
    for line in to_lf(code).split("\n"):
        if _ELISION.match(line) and line.strip() and _norm(line) not in own:
            parts.append([])
        else:
            parts[-1].append(line)
    return ["\n".join(part) for part in parts if any(line.strip() for line in part)]


def _lines(index: TextIndex, region: Region) -> list[int]:
    first = index.line_of(region.start)
    last = index.line_of(region.end)
    return list(range(first, last + 1))


def _anchored(reply: list[str], original: list[str]) -> bool:
    """The reply starts and ends where the region does (same or edited first and last lines)."""

    def same(a: str, b: str) -> bool:
        if a == b:
            return True
        words_a, words_b = a.split()[:1], b.split()[:1]
        return words_a == words_b and similarity(a, b) >= 0.75

    return same(reply[0], original[0]) and same(reply[-1], original[-1])


_CLOSER = re.compile(r"^[\])}]+[;,]?$")


def _balance(lines: list[str]) -> int:
    count = 0
    for line in lines:
        for char in line:
            if char in "([{":
                count += 1
            elif char in ")]}":
                count -= 1
    return count


def trim_echoes(index: TextIndex, region: Region, code: str) -> str:
    """``code`` without the lines it repeats from the document outside the region, before and
    after its answer: models answer with the whole class or file around what they were asked
    about. Lines are dropped only when what remains starts (and ends) where the region does."""
    lines = to_lf(code).split("\n")
    first = index.line_of(region.start)
    last = index.line_of(region.end)
    own = [_norm(index.line_text(n)) for n in range(first, last + 1)]
    own = [line for line in own if line]
    if not own:
        return code
    reply = [_norm(line) for line in lines if line.strip()]
    if all(any(similarity(line, mine) >= 0.6 for mine in own) for line in reply):
        # Every line resembles one of the region's: the reply is about the region, even when
        # a fixed line now reads like one elsewhere in the file.
        return code
    lines_of_document = normalized_lines(index)
    outside = {*lines_of_document[:first], *lines_of_document[last + 1 :]}
    outside.discard("")

    def lands(line: str, anchor: str) -> bool:
        return line == anchor or similarity(line, anchor) >= 0.6

    start = 0
    while start < len(lines):
        line = _norm(lines[start])
        if line and (line == own[0] or line not in outside):
            break
        start += 1
    if start == len(lines):
        raise ReplyError(
            "The model answered with code from around the selection, not a new version of "
            "it; nothing changed."
        )
    if start and not lands(_norm(lines[start]), own[0]):
        start = 0
    end = len(lines)
    target = _balance(own)
    while end > start + 1:
        line = _norm(lines[end - 1])
        if not line:
            end -= 1
            continue
        if _CLOSER.match(line):
            # A closing line is an echo only if the answer has one too many of them.
            if _balance([_norm(x) for x in lines[start:end]]) >= target:
                break
        elif line == own[-1] or line not in outside:
            break
        end -= 1
    tail = next((_norm(x) for x in reversed(lines[start:end]) if x.strip()), "")
    if end < len(lines) and not (lands(tail, own[-1]) or _CLOSER.match(tail)):
        end = len(lines)
    return "\n".join(lines[start:end])


def locate(
    index: TextIndex,
    region: Region,
    code: str,
    focus: tuple[int, int] | None = None,
    chosen: bool = False,
) -> list[Piece]:
    """The pieces of ``code`` and the lines each replaces; the whole region unless the reply
    clearly stands for less of it. ``focus`` (a diagnostic's span) breaks ties. A region the
    user selected is what a single-piece reply stands for; one chatls ``chosen`` (the function
    around a diagnostic) may be answered with just the lines that change."""
    if region.partial:
        return [Piece(region, code)]
    code = trim_echoes(index, region, code)
    numbers = _lines(index, region)
    original = [_norm(index.line_text(n)) for n in numbers]
    parts = fragments(code, original)
    if not parts:
        return [Piece(region, code)]
    if len(parts) == 1 and not chosen:
        return [Piece(region, parts[0])]
    if len(parts) == 1:
        reply = [_norm(line) for line in parts[0].split("\n") if line.strip()]
        own = [line for line in original if line]
        if not own or not reply or len(reply) >= len(own) or _anchored(reply, own):
            return [Piece(region, parts[0])]
        if original[0] and original[0] in reply:
            # The reply keeps the region's first line (a definition's header): it is the
            # whole region, shortened or with its end left out.
            return [Piece(region, parts[0])]
    pieces: list[Piece] = []
    taken: set[int] = set()
    for number, part in enumerate(parts, 1):
        span = _find(index, numbers, original, part, focus)
        if span is None:
            first = next(line for line in part.split("\n") if line.strip()).strip()
            raise ReplyError(
                f"Part {number} of the model's answer (`{first[:60]}`) matches nothing in the "
                "code it was asked about, so none of it was applied."
            )
        lines = set(range(span[0], span[1] + 1))
        if lines & taken:
            raise ReplyError(
                "Two parts of the model's answer stand for the same lines, so none of it was "
                "applied."
            )
        taken |= lines
        start = index.line_starts[span[0]]
        end = index.line_span(span[1])[1]
        pieces.append(Piece(Region(start, end, False), part))
    return sorted(pieces, key=lambda piece: piece.region.start)


def _find(
    index: TextIndex,
    numbers: list[int],
    original: list[str],
    part: str,
    focus: tuple[int, int] | None,
) -> tuple[int, int] | None:
    """The document lines (first, last) that ``part`` stands for within the region."""
    reply = [_norm(line) for line in part.split("\n") if line.strip()]
    if not reply:
        return None
    rows = [i for i, line in enumerate(original) if line]
    own = [original[i] for i in rows]
    matcher = difflib.SequenceMatcher(None, reply, own, autojunk=False)
    equal = [block for block in matcher.get_matching_blocks() if block.size]
    if equal:
        # Unmatched reply lines before the first and after the last equal line stand for
        # the same number of region lines there (they are edited versions of them).
        head, tail = equal[0], equal[-1]
        first = max(0, head.b - head.a)
        last = min(len(own) - 1, tail.b + tail.size - 1 + (len(reply) - tail.a - tail.size))
        return numbers[rows[first]], numbers[rows[last]]
    focus_lines: set[int] = set()
    if focus is not None:
        focus_lines = set(range(index.line_of(focus[0]), index.line_of(focus[1]) + 1))
    best: tuple[float, int] | None = None
    size = len(reply)
    for start in range(0, len(own) - size + 1):
        window = own[start : start + size]
        score = sum(similarity(a, b) for a, b in zip(reply, window, strict=True)) / size
        covered = {numbers[rows[start + k]] for k in range(size)}
        if focus_lines & covered:
            score += 0.1
        if score >= _SIMILAR and (best is None or score > best[0]):
            best = (score, start)
    if best is None:
        return None
    return numbers[rows[best[1]]], numbers[rows[best[1] + size - 1]]
