"""Hunks: replacements that say what text they replace (search/replace blocks, unified diff
hunks), found in the document and applied all together or not at all."""

from __future__ import annotations

import itertools

import attrs

from chatls.edits.diff import Replacement
from chatls.errors import ReplyError
from chatls.source.text import TextIndex, leading_whitespace, to_lf


@attrs.frozen
class Hunk:
    before: str
    """The text the model says is there (whole lines)."""
    after: str
    """What it becomes."""
    label: str
    """How the reply's own words call it, for messages: "SEARCH/REPLACE block 2"."""


def _norm(line: str) -> str:
    return " ".join(line.split())


def _matches(lines: list[str], wanted: list[str], loose: bool) -> list[int]:
    size = len(wanted)
    if loose:
        wanted = [_norm(line) for line in wanted]
        lines = [_norm(line) for line in lines]
    return [i for i in range(len(lines) - size + 1) if lines[i : i + size] == wanted]


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _reindent(after: list[str], found: str, given: str) -> list[str]:
    """Shift ``after`` by the indentation the document has and the hunk lacked (or added)."""
    if found == given:
        return after
    out = []
    for line in after:
        if not line.strip():
            out.append("")
        elif given and line.startswith(given):
            out.append(found + line[len(given) :])
        elif not given:
            out.append(found + line)
        else:
            out.append(found + line.lstrip())
    return out


def place(index: TextIndex, hunks: list[Hunk], near: int) -> list[Replacement]:
    """Where each hunk's ``before`` is in the document (exactly, else ignoring whitespace; the
    match nearest ``near`` when there are several) and what replaces it. Raises ``ReplyError``
    naming the first hunk that matches nothing: then nothing is applied."""
    document = [index.line_text(n) for n in range(index.line_count)]
    near_line = index.line_of(near)
    found: list[Replacement] = []
    for hunk in hunks:
        before = _trim(to_lf(hunk.before).split("\n"))
        after = to_lf(hunk.after).split("\n")
        if not before:
            raise ReplyError(
                f"The model's {hunk.label} does not say what it replaces (its search text is "
                "empty), so none of its changes was applied."
            )
        starts = _matches(document, before, False) or _matches(document, before, True)
        if not starts:
            raise ReplyError(
                f"The model's {hunk.label} (`{before[0].strip()[:60]}`) matches nothing in the "
                "file, so none of its changes was applied."
            )
        start = min(starts, key=lambda line: abs(line - near_line))
        end = start + len(before) - 1
        first = next(line for line in before if line.strip())
        mine = next(document[n] for n in range(start, end + 1) if document[n].strip())
        lines = _reindent(_trim(after), leading_whitespace(mine), leading_whitespace(first))
        eol = "\n"
        if start + 1 < index.line_count:
            raw = index.text[index.line_starts[start] : index.line_starts[start + 1]]
            eol = raw[len(raw.rstrip("\r\n")) :] or "\n"
        offset_start = index.line_starts[start]
        offset_end = index.line_span(end)[1]
        if not lines:
            # Deleting lines: take the line break after them too.
            if end + 1 < index.line_count:
                offset_end = index.line_starts[end + 1]
            text = ""
        else:
            text = eol.join(lines)
        found.append(Replacement(offset_start, offset_end, text))
    ordered = sorted(found, key=lambda r: r.start)
    for a, b in itertools.pairwise(ordered):
        if b.start < a.end:
            raise ReplyError(
                "Two of the model's changes overlap in the file, so none of them was applied."
            )
    return ordered
