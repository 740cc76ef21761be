"""Explanations shown as hovers over the code they explain, for as long as that code is unchanged.

Ranges follow edits elsewhere in the document (a line typed above shifts them down); an edit
touching the explained code drops its explanation.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from lsprotocol import types

from chatls.source.text import Encoding, to_lf, units


@attrs.define
class Explanation:
    range: types.Range
    text: str
    """The explained code, to confirm it is still there before showing the hover."""
    markdown: str


def _before_or_at(a: types.Position, b: types.Position) -> bool:
    return (a.line, a.character) <= (b.line, b.character)


def _shift(
    position: types.Position, change: types.Range, new_text: str, encoding: Encoding
) -> types.Position:
    """Where ``position`` (at or after the change's end) lands after the change."""
    new_lines = to_lf(new_text).split("\n")
    line_delta = len(new_lines) - 1 - (change.end.line - change.start.line)
    if position.line != change.end.line:
        return types.Position(line=position.line + line_delta, character=position.character)
    # Same line as the change's end: the column moves with the new text's last line.
    column = units(new_lines[-1], encoding)
    if len(new_lines) == 1:
        column += change.start.character
    return types.Position(
        line=position.line + line_delta,
        character=column + position.character - change.end.character,
    )


class Explanations:
    """Per-document explanations."""

    def __init__(self) -> None:
        self._by_uri: dict[str, list[Explanation]] = {}
        self.encoding: Encoding = "utf-16"

    def add(self, uri: str, range_: types.Range, text: str, markdown: str) -> None:
        entries = self._by_uri.setdefault(uri, [])
        entries[:] = [e for e in entries if e.range != range_]
        entries.append(Explanation(range_, text, markdown))

    def has(self, uri: str) -> bool:
        return bool(self._by_uri.get(uri))

    def forget(self, uri: str) -> None:
        self._by_uri.pop(uri, None)

    def changed(self, uri: str, change_range: types.Range | None, new_text: str) -> None:
        entries = self._by_uri.get(uri)
        if not entries:
            return
        if change_range is None:
            return  # a whole-document change: ``at`` re-checks the text before showing it
        kept = []
        for entry in entries:
            if _before_or_at(entry.range.end, change_range.start):
                kept.append(entry)
            elif _before_or_at(change_range.end, entry.range.start):
                entry.range = types.Range(
                    start=_shift(entry.range.start, change_range, new_text, self.encoding),
                    end=_shift(entry.range.end, change_range, new_text, self.encoding),
                )
                kept.append(entry)
        self._by_uri[uri] = kept

    def at(
        self, uri: str, position: types.Position, text_at: Callable[[types.Range], str | None]
    ) -> Explanation | None:
        """The explanation covering ``position``, if the code it explains is still there."""
        for entry in reversed(self._by_uri.get(uri, [])):
            inside = _before_or_at(entry.range.start, position) and _before_or_at(
                position, entry.range.end
            )
            if inside and text_at(entry.range) == entry.text:
                return entry
        return None
