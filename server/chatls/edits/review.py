"""A change under review: cut into hunks a user can accept or reject one by one, and the edits
of the hunks accepted, found again in the document if it moved on since, and refused if what
they would leave does not parse (or said to be unchecked, in a language chatls cannot parse)."""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Collection, Sequence

import attrs
from lsprotocol import types

from chatls.edits.checks import check_syntax
from chatls.edits.diff import Replacement, replacement_edits
from chatls.edits.hunks import Hunk, place
from chatls.errors import ReplyError
from chatls.source.code import Code
from chatls.source.document import Document
from chatls.source.text import Encoding, TextIndex, apply_text_edits, split_lines, text_index

CONTEXT_LINES = 2
"""Unchanged lines kept on each side of a hunk, to find it again in a document that moved."""


@attrs.frozen
class ReviewHunk:
    """Lines ``[start_line, end_line)`` of the original become ``new``."""

    number: int
    """Its place in the change, from 0."""
    start_line: int
    end_line: int
    old: str
    """The lines it replaces, line breaks included ("" for an insertion)."""
    new: str
    before: str
    """Up to ``CONTEXT_LINES`` unchanged lines above it."""
    after: str
    """Up to ``CONTEXT_LINES`` unchanged lines below it."""

    @property
    def touched(self) -> int:
        """Lines it removes plus lines it adds."""
        return _count(self.old) + _count(self.new)

    def range(self, index: TextIndex) -> types.Range:
        """Its lines in the original, as an LSP range (whole lines)."""
        return types.Range(_line_start(index, self.start_line), _line_start(index, self.end_line))


def _count(lines: str) -> int:
    return len(split_lines(lines)) - (1 if lines.endswith(("\n", "\r")) or not lines else 0)


def _line_start(index: TextIndex, line: int) -> types.Position:
    if line >= index.line_count:
        return index.position(len(index.text))
    return types.Position(line=line, character=0)


def review_hunks(
    text: str, edits: Sequence[types.TextEdit], encoding: Encoding
) -> list[ReviewHunk]:
    """The change ``edits`` make to ``text``, as hunks of whole lines (difflib's grouping of the
    line diff, without context)."""
    after = apply_text_edits(text, list(edits), encoding)
    old = split_lines(text)
    new = split_lines(after)
    hunks: list[ReviewHunk] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        hunks.append(
            ReviewHunk(
                number=len(hunks),
                start_line=a1,
                end_line=a2,
                old="".join(old[a1:a2]),
                new="".join(new[b1:b2]),
                before="".join(old[max(0, a1 - CONTEXT_LINES) : a1]),
                after="".join(old[a2 : a2 + CONTEXT_LINES]),
            )
        )
    return hunks


def touched_lines(hunks: Sequence[ReviewHunk]) -> int:
    return sum(hunk.touched for hunk in hunks)


@attrs.frozen
class Accepted:
    """The edits of the accepted hunks on the document as it is now."""

    edits: list[types.TextEdit]
    shift: int
    """Lines the change moved by since the review (text added or removed above it)."""
    unchecked: str | None = None
    """For a part of the change, the language when chatls has no syntax checker for it: the
    user must hear that nothing checked the file still parses without the other hunks."""


def accepted_edits(
    original: Document,
    current: Document,
    hunks: Sequence[ReviewHunk],
    accepted: Collection[int],
    encoding: Encoding,
) -> Accepted:
    """The edits that apply the ``accepted`` hunks to ``current``: at their own lines when the
    document is still ``original``, else found again by their text and the lines around them
    (the locate stage replies go through). Raises ``ReplyError`` when one cannot be found, or
    when the document they would leave has syntax errors it did not have."""
    chosen = [hunk for hunk in hunks if hunk.number in accepted]
    index = text_index(current.text, encoding)
    shift = 0
    if current.text == original.text:
        lines = {hunk.number: hunk.start_line for hunk in chosen}
    else:
        lines = {}
        for hunk in chosen:
            lines[hunk.number] = _find_again(index, hunk)
        shift = lines[chosen[0].number] - chosen[0].start_line if chosen else 0
    replacements = [
        Replacement(
            index.offset(_line_start(index, lines[hunk.number])),
            index.offset(_line_start(index, lines[hunk.number] + hunk.end_line - hunk.start_line)),
            hunk.new,
        )
        for hunk in chosen
    ]
    replacements.sort(key=lambda r: r.start)
    for a, b in itertools.pairwise(replacements):
        if b.start < a.end:
            raise ReplyError(
                "The document changed so that two hunks of the change now overlap, so "
                "nothing was applied. Run the action again on the current code."
            )
    edits = replacement_edits(index, replacements)
    unchecked = None
    if len(chosen) < len(hunks):
        code = Code(current, encoding)
        if code.spec.id != "python" and code.syntax.error_count() is None:
            unchecked = code.spec.name
        try:
            check_syntax(code, edits)
        except ReplyError:
            numbers = ", ".join(str(hunk.number + 1) for hunk in chosen)
            raise ReplyError(
                f"Accepting only hunk{'s' if len(chosen) > 1 else ''} {numbers} of the change "
                "would leave the file with syntax errors, so nothing was applied. Accept the "
                "hunks that go with them too, or reject the change."
            ) from None
    return Accepted(edits, shift, unchecked)


def _find_again(index: TextIndex, hunk: ReviewHunk) -> int:
    """The line where ``hunk``'s own lines start now, found with the lines around it (which
    other hunks may share: only the hunk's own lines are replaced)."""
    try:
        (found,) = place(
            index,
            [
                Hunk(
                    hunk.before + hunk.old + hunk.after,
                    hunk.before + hunk.new + hunk.after,
                    f"hunk {hunk.number + 1}",
                )
            ],
            index.offset(_line_start(index, min(hunk.start_line, index.line_count - 1))),
        )
    except ReplyError:
        raise ReplyError(
            f"The document changed where hunk {hunk.number + 1} of the change goes, so nothing "
            "was applied. Run the action again on the current code."
        ) from None
    # The search text's blank lines at its start are not searched for (``hunks.place``).
    searched = split_lines(hunk.before + hunk.old + hunk.after)
    blank = next((n for n, line in enumerate(searched) if line.strip()), 0)
    return index.line_of(found.start) - blank + _count(hunk.before)
