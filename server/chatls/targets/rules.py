"""What a cursor or a selection means, written once for every action (docs/design.md's "What a
selection means" table says the same in words).

- Whitespace at either end of a selection does not count: a selection that starts in a line's
  indentation starts at its first character, one that ends at column 0 of a line ends where the
  line before it ends.
- A cursor in a line's indentation is on the line's first character, and past its last
  character on that character.
- A selection over one definition (its lines, with or without their indentation, its
  decorators, attributes, annotations, doc comment or ``export``) is that definition, never the
  class, ``impl``, namespace or module around it; a selection inside one definition is the
  innermost definition around it.
- A selection over several definitions is the region for actions that work on a region; the
  others name the definitions they found and ask for one (``SeveralDefinitions``).
"""

from __future__ import annotations

import re
from typing import Literal

import attrs

from chatls.errors import InvalidRequestError
from chatls.source.code import Code
from chatls.source.syntax import OutlineEntry, Span
from chatls.source.text import TextIndex

_COMMENT_LINE = ("#", "//", "/*", "*", "--", ";")
_NAMED_AT_MOST = 8
"""Definitions named in a message about a selection over several."""


@attrs.frozen
class Rule:
    """What an action takes from the editor's range."""

    cursor: Literal["definition", "scope", "file", "given"]
    """A bare cursor: the innermost definition around it (function, method, class...); the
    innermost scope around it (closures and lambdas count too), as Explain and Refactor take
    it; the whole file; or the range as given (a diagnostic's, a thread's)."""
    selection: Literal["definition", "region", "file", "given"]
    """A selection: one definition (the one it covers, or the innermost around it); the region
    selected; the whole file; or the range as given."""
    nothing: str = "Select the code, or put the cursor in a function or class."
    """The message when there is no definition or scope where the cursor is."""
    verb: str = "use"
    """What the action does to a definition, for the message asking for one: "document"."""
    several: Literal["ask", "region"] = "ask"
    """A selection over several definitions, for ``selection = "definition"``: ask which one
    (``SeveralDefinitions``), or take the region selected (Write tests writes tests for all)."""
    line: str | None = None
    """A pattern for lines that are a target of their own (Implement's TODO comments): such a
    line under the cursor, or the first one in the selection, is the target."""


@attrs.frozen
class Target:
    """The code an action works on, as offsets into the snapshot's text."""

    start: int
    end: int
    entry: OutlineEntry | None = None
    """The definition the target is, when it is exactly one."""
    chosen: bool = False
    """chatls chose the span (the definition or scope around a cursor) rather than the user
    selecting it."""

    def label(self, index: TextIndex) -> str:
        """How progress names it: ``Stack.pop``, or the lines it spans."""
        if self.entry is not None:
            return f"`{self.entry.qualified}`"
        first = index.line_of(self.start) + 1
        last = index.line_of(max(self.start, self.end - 1)) + 1
        return f"line {first}" if first == last else f"lines {first}-{last}"


class SeveralDefinitions(InvalidRequestError):
    """A selection over several definitions, for an action that works on one: the message
    names them, and an editor that can ask the user offers them as choices."""

    def __init__(self, candidates: tuple[OutlineEntry, ...], verb: str) -> None:
        names = [f"`{entry.qualified}`" for entry in candidates[:_NAMED_AT_MOST]]
        more = len(candidates) - len(names)
        listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
        if more:
            listed = ", ".join(names) + f" and {more} more"
        super().__init__(
            f"The selection covers several definitions ({listed}): put the cursor in the one "
            f"to {verb}, or select just that one."
        )
        self.candidates = candidates
        self.verb = verb


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` without the whitespace at either end (line breaks included)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def point(index: TextIndex, offset: int) -> int:
    """Where a cursor at ``offset`` is for a reader: in a line's indentation it is on the
    line's first character, past its last character on that character. On a blank line it is
    on the last character before it: where Emacs leaves point after marking a definition's
    lines, and where people stop after writing one, is the line after it."""
    text = index.text
    line_start, line_end = index.line_span(index.line_of(offset))
    content = text[line_start:line_end]
    first = line_start + len(content) - len(content.lstrip())
    last = line_start + len(content.rstrip())
    if first >= last:
        before = len(text[:line_start].rstrip())
        return before - 1 if before > 0 else offset
    return min(max(offset, first), last - 1)


def resolve(code: Code, start: int, end: int, rule: Rule) -> Target:
    """The target ``rule`` makes of ``[start, end)`` in ``code``; raises
    ``InvalidRequestError`` (``SeveralDefinitions`` for a choice to make) when there is none."""
    text = code.text
    low, high = trimmed(text, start, end)
    cursor = low == high
    how = rule.cursor if cursor else rule.selection
    if how == "given":
        return Target(start, end)
    if how == "file":
        low, high = trimmed(text, 0, len(text))
        return Target(low, high, chosen=cursor)
    if rule.line is not None:
        marked = _marked_line(code.index, low, high, rule.line)
        if marked is not None:
            return marked
    if cursor:
        at = point(code.index, start)
        return _around(code, at, rule)
    if how == "region":
        return Target(low, high, _exactly(code, low, high))
    return _definition(code, low, high, rule)


def _marked_line(index: TextIndex, start: int, end: int, pattern: str) -> Target | None:
    compiled = re.compile(pattern)
    for line in range(index.line_of(start), index.line_of(end) + 1):
        text = index.line_text(line)
        if compiled.match(text):
            first, last = index.line_span(line)
            low, high = trimmed(index.text, first, last)
            return Target(low, high, chosen=start == end)
    return None


def _entries(code: Code, start: int, end: int) -> tuple[OutlineEntry, ...]:
    """The definitions a target for ``[start, end)`` is chosen from (not the whole file's)."""
    return code.syntax.entries_near(start, end)


def _innermost(
    entries: tuple[OutlineEntry, ...], start: int, end: int
) -> tuple[int | None, OutlineEntry | None]:
    """The innermost of ``entries`` whose lines (its lead included) hold ``[start, end)``, and
    its place among them."""
    found: tuple[int | None, OutlineEntry | None] = (None, None)
    for number, entry in enumerate(entries):
        if entry.lead <= start and end <= entry.end and (end > start or start < entry.end):
            # Entries come outer before inner: the last that holds the span is the innermost.
            found = (number, entry)
    return found


def _exactly(code: Code, start: int, end: int) -> OutlineEntry | None:
    """The definition ``[start, end)`` is, lead or not, when it is exactly one."""
    for entry in _entries(code, start, end):
        if start in (entry.lead, entry.start) and end == entry.end:
            return entry
    return None


def _around(code: Code, at: int, rule: Rule) -> Target:
    number, entry = _innermost(_entries(code, at, at), at, at)
    del number
    if rule.cursor == "definition":
        if entry is not None:
            return Target(entry.start, entry.end, entry, chosen=True)
        return _by_text(code, at, rule)
    scope = code.syntax.enclosing_scope(at, at)
    if entry is not None and (
        scope is None or entry.start >= scope.start or _is_value_of(code.text, scope, entry)
    ):
        # A cursor on a doc comment or an attribute above a definition means that definition,
        # which the grammar's scopes (the class around it) do not know; a cursor in a function
        # that is a definition's value (``const f = () => {...}``) means the definition.
        return Target(entry.start, entry.end, entry, chosen=True)
    if scope is None:
        raise InvalidRequestError(rule.nothing)
    return Target(scope.start, scope.end, _exactly(code, scope.start, scope.end), chosen=True)


def _is_value_of(text: str, scope: Span, entry: OutlineEntry) -> bool:
    """Whether ``scope`` is all of ``entry`` but its name: ``const f = (x) => {...};``."""
    return (
        entry.start <= scope.start
        and scope.end <= entry.end
        and not text[scope.end : entry.end].strip(" \t\r\n;,")
        and "\n" not in text[entry.start : scope.start]
    )


def _by_text(code: Code, at: int, rule: Rule) -> Target:
    """Without a grammar: the definition line the cursor is on, or the block opener above it."""
    if code.syntax.tree is None:
        definition = code.syntax.definition(at, at)
        if definition is not None:
            return Target(definition.span.start, definition.span.end, chosen=True)
        if code.index.line_text(code.index.line_of(at)).strip():
            # A guess would put a doc comment on the wrong definition.
            raise InvalidRequestError(
                f"chatls cannot tell which definition is meant here: it has no {code.spec.name} "
                "grammar, and the line around the cursor is not a definition it recognises. "
                "Put the cursor on the definition's own line."
            )
    raise InvalidRequestError(rule.nothing)


def _definition(code: Code, start: int, end: int, rule: Rule) -> Target:
    entries = _entries(code, start, end)
    number, around = _innermost(entries, start, end)
    if around is not None and start <= _name_end(code.text, around):
        # From its first line (or its doc comment), or from its name as a drag that starts a
        # word late does: the definition, whatever it holds.
        return Target(around.start, around.end, around)
    touched = [
        entry
        for entry in entries
        if entry.parent == number and entry.lead < end and start < entry.end
    ]
    if not touched:
        if around is not None:
            return Target(around.start, around.end, around)
        return _by_text(code, start, rule)
    if len(touched) == 1:
        only = touched[0]
        rest = code.text[start : only.lead] + "\n" + code.text[only.end : end]
        if around is None or not _holds_code(rest):
            return Target(only.start, only.end, only)
        candidates: tuple[OutlineEntry, ...] = (only, around)
    else:
        candidates = tuple(touched)
    if rule.several == "region":
        return Target(start, end)
    raise SeveralDefinitions(candidates, rule.verb)


def _name_end(text: str, entry: OutlineEntry) -> int:
    """Where the definition's name ends in its header, or its start when it is not found."""
    found = text.find(entry.name, entry.start, entry.end) if entry.name else -1
    return entry.start if found < 0 else found + len(entry.name)


def _holds_code(text: str) -> bool:
    """Whether ``text`` has a line that is neither blank nor a comment."""
    return any(
        line.strip() and not line.strip().startswith(_COMMENT_LINE) for line in text.splitlines()
    )
