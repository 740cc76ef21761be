"""The user's recent edits, from ``didChange``: per document, runs of typing in one place
coalesced into one unit each (a renamed parameter is one unit, not six keystrokes), chatls's
own edits marked, the size bounded; and the documents edited last, for a prediction's prompt.

A unit keeps the document's text before its first change and after its latest: Python strings
are shared, so this costs a reference per unit, and its diff is computed only when a prompt
needs it.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterable

import attrs

UNITS_PER_DOCUMENT = 16
DOCUMENTS = 8
LARGEST = 400_000
"""Characters: larger documents are not followed (a prediction there would not see them)."""


@attrs.define
class Unit:
    """One run of edits in one place of one document."""

    uri: str
    before: str
    """The document's text before the unit's first change."""
    after: str
    """Its text after the unit's latest change."""
    start: int
    end: int
    """The span the unit's changes cover in ``after``."""
    own: bool
    """chatls applied it (an action's edit, an accepted suggestion), the user did not type it."""
    at: float

    def changed(self) -> tuple[int, int, int, int]:
        """``(start, old_end, new_end, common_end)``: the span that differs, as offsets into
        ``before`` (``start`` to ``old_end``) and ``after`` (``start`` to ``new_end``), and the
        length of the common end."""
        before, after = self.before, self.after
        limit = min(len(before), len(after))
        prefix = 0
        while prefix < limit and before[prefix] == after[prefix]:
            prefix += 1
        suffix = 0
        while suffix < limit - prefix and before[-1 - suffix] == after[-1 - suffix]:
            suffix += 1
        return prefix, len(before) - suffix, len(after) - suffix, suffix

    def diff(self, path: str, context: int = 2) -> str:
        """The unit as one unified-diff hunk of whole lines, with ``context`` lines around."""
        start, old_end, new_end, _ = self.changed()
        old_lines = self.before.splitlines(keepends=True)
        new_lines = self.after.splitlines(keepends=True)
        first = self.before.count("\n", 0, start)
        old_last = self.before.count("\n", 0, max(start, old_end - 1))
        new_last = self.after.count("\n", 0, max(start, new_end - 1))
        low = max(0, first - context)
        old_high = min(len(old_lines), old_last + 1 + context)
        new_high = min(len(new_lines), new_last + 1 + context)
        lines = [
            f"--- a/{path}\n",
            f"+++ b/{path}\n",
            f"@@ -{low + 1},{old_high - low} +{low + 1},{new_high - low} @@\n",
        ]
        lines += [" " + _line(line) for line in old_lines[low:first]]
        lines += ["-" + _line(line) for line in old_lines[first : old_last + 1]]
        lines += ["+" + _line(line) for line in new_lines[first : new_last + 1]]
        lines += [" " + _line(line) for line in new_lines[new_last + 1 : new_high]]
        return "".join(lines)


def _line(line: str) -> str:
    return line.rstrip("\r\n") + "\n"


class EditHistory:
    """Recent edits per document, fed by the workspace's change listener."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._units: collections.OrderedDict[str, list[Unit]] = collections.OrderedDict()
        self._applying: collections.Counter[str] = collections.Counter()

    def watches(self, uri: str) -> bool:
        return True

    def applying(self, uris: Iterable[str]) -> None:
        """chatls is applying an edit to ``uris`` (``workspace/applyEdit``): the changes the
        editor reports until it answers (``applied``) are chatls's own, not the user's."""
        for uri in uris:
            self._applying[uri] += 1

    def applied(self, uris: Iterable[str]) -> None:
        for uri in uris:
            self._applying[uri] -= 1
            if self._applying[uri] <= 0:
                del self._applying[uri]

    def changed(
        self, uri: str, start: int, end: int, new_text: str, text: str, before: str
    ) -> None:
        """``[start, end)`` of ``before`` was replaced by ``new_text``, giving ``text``."""
        if len(text) > LARGEST:
            self.forget(uri)
            return
        own = self._applying[uri] > 0
        units = self._units.get(uri)
        if units is None:
            units = self._units[uri] = []
            while len(self._units) > DOCUMENTS:
                self._units.popitem(last=False)
        self._units.move_to_end(uri)
        now = self._clock()
        last = units[-1] if units else None
        if (
            last is not None
            and not own
            and not last.own
            and (last.after is before or last.after == before)
            and _near(before, last.start, last.end, start, end)
        ):
            delta = len(new_text) - (end - start)
            last_end = last.end + delta if last.end >= end else max(last.end, start)
            last.start = min(last.start, start)
            last.end = max(last_end, start + len(new_text))
            last.after = text
            last.at = now
            if last.before == last.after:
                units.pop()
            return
        units.append(Unit(uri, before, text, start, start + len(new_text), own, now))
        del units[:-UNITS_PER_DOCUMENT]

    def units(self, uri: str) -> list[Unit]:
        return list(self._units.get(uri, ()))

    def latest(self, uri: str) -> Unit | None:
        units = self._units.get(uri)
        return units[-1] if units else None

    def recent(self, uri: str, count: int) -> list[Unit]:
        """The latest ``count`` units over ``uri`` and the other documents edited last, oldest
        first; ``uri``'s own come last, nearest the cursor in the prompt."""
        others = [u for other, units in self._units.items() if other != uri for u in units]
        mine = self._units.get(uri, [])
        chosen = mine[-count:]
        room = count - len(chosen)
        if room > 0:
            chosen = sorted(others, key=lambda u: u.at)[-room:] + chosen
        return chosen

    def forget(self, uri: str) -> None:
        self._units.pop(uri, None)


def _near(text: str, low: int, high: int, start: int, end: int) -> bool:
    """Whether ``[start, end)`` lies on the lines of ``[low, high)`` or the line next to them."""
    first = text.count("\n", 0, low)
    last = first + text.count("\n", low, high)
    line = text.count("\n", 0, start)
    line_end = line + text.count("\n", start, end)
    return line_end >= first - 1 and line <= last + 1
