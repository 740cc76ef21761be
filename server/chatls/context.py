"""What goes into a request: the code in question plus what a reviewer would need to see,
trimmed outward from the code so the token budget is never exceeded.

Context grows one line at a time, alternating above and below, first inside the enclosing
scope, then the file's imports, then the rest of the file. The largest prefix of that growth
that fits is found by binary search over exact tiktoken counts of the rendered messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import attrs
from lsprotocol import types

from chatls.errors import InvalidRequestError
from chatls.syntax import Span, Syntax
from chatls.text import TextIndex
from chatls.tokens import TokenCounter

log = logging.getLogger(__name__)

Render = Callable[[dict[str, Any]], list[dict[str, str]]]


@attrs.frozen
class Prompt:
    messages: list[dict[str, str]]
    tokens: int
    context_lines: int
    """Lines of surrounding code included (not counting the code itself)."""


def diagnostic_info(index: TextIndex, diagnostic: types.Diagnostic) -> dict[str, Any]:
    """A diagnostic as template variables (1-based line, the text it points at)."""
    text = ""
    try:
        start, end = index.span(diagnostic.range)
        snippet = index.text[start:end]
        if 0 < len(snippet) <= 120 and "\n" not in snippet:
            text = snippet
    except InvalidRequestError:
        pass
    severity = diagnostic.severity.name.lower() if diagnostic.severity else ""
    return {
        "line": diagnostic.range.start.line + 1,
        "message": diagnostic.message,
        "source": diagnostic.source or "",
        "code": "" if diagnostic.code is None else str(diagnostic.code),
        "severity": severity,
        "text": text,
    }


def overlapping(
    index: TextIndex, diagnostics: Sequence[types.Diagnostic], start: int, end: int
) -> list[dict[str, Any]]:
    found = []
    for diagnostic in diagnostics:
        try:
            d_start, d_end = index.span(diagnostic.range)
        except InvalidRequestError:
            continue
        if d_start <= end and d_end >= start:
            found.append(diagnostic_info(index, diagnostic))
    return found


class _Window:
    """The growth order of context lines around ``[start, end)``."""

    def __init__(self, syntax: Syntax, start: int, end: int, scope: Span | None) -> None:
        index = syntax.index
        text = index.text
        self.index = index
        self.first = index.line_of(start)
        last = index.line_of(end)
        if end == index.line_starts[last] and last > self.first:
            last -= 1
        self.last = last
        line_start = index.line_starts[self.first]
        self.before_inline = text[line_start:start] if start > line_start else ""
        line_end = index.line_span(self.last)[1]
        self.after_inline = text[end:line_end] if end < line_end else ""
        self.header_spans = syntax.header_spans()
        header_lines = sorted(
            {
                n
                for s in self.header_spans
                for n in range(index.line_of(s.start), index.line_of(s.end) + 1)
            }
        )
        self.header_lines = header_lines
        if scope is not None:
            scope_first, scope_last = index.line_of(scope.start), index.line_of(scope.end)
        else:
            scope_first, scope_last = self.first, self.last
        steps: list[str] = []
        above, below = self.first, self.last
        # Inside the scope first, alternating, then the header, then the rest of the file.
        for low, high, with_header in (
            (scope_first, scope_last, True),
            (0, index.line_count - 1, False),
        ):
            while above > low or below < high:
                if above > low:
                    steps.append("above")
                    above -= 1
                if below < high:
                    steps.append("below")
                    below += 1
            if with_header and header_lines:
                steps.append("header")
        self.steps = steps

    def variables(self, count: int) -> dict[str, Any]:
        taken = self.steps[:count]
        above = taken.count("above")
        below = taken.count("below")
        index = self.index
        top = self.first - above
        bottom = self.last + below
        before_lines = [index.line_text(n) for n in range(top, self.first)]
        after_lines = [index.line_text(n) for n in range(self.last + 1, bottom + 1)]
        header = ""
        if "header" in taken:
            outside = [n for n in self.header_lines if n < top]
            header = "\n".join(index.line_text(n) for n in outside)
        before = "\n".join(before_lines)
        if self.before_inline:
            before = f"{before}\n{self.before_inline}" if before else self.before_inline
        after = "\n".join(after_lines)
        if self.after_inline:
            after = f"{self.after_inline}\n{after}" if after else self.after_inline
        return {
            "before": before if before.strip() else "",
            "after": after if after.strip() else "",
            "header": header,
            "before_truncated": top > 0,
            "after_truncated": bottom < index.line_count - 1,
            "context_lines": above + below,
        }


def build_prompt(
    syntax: Syntax,
    start: int,
    end: int,
    scope: Span | None,
    render: Render,
    counter: TokenCounter,
    budget: int,
    budget_explained: str,
) -> Prompt:
    """Messages for the code at ``[start, end)`` with as much context as ``budget`` allows."""
    window = _Window(syntax, start, end, scope)

    def attempt(count: int) -> tuple[list[dict[str, str]], int, int]:
        variables = window.variables(count)
        lines = variables.pop("context_lines")
        messages = render(variables)
        return messages, counter.count_messages(messages), lines

    messages, tokens, lines = attempt(0)
    if tokens > budget:
        raise InvalidRequestError(
            f"The code is too large for one request: the prompt needs {tokens} tokens but "
            f"{budget_explained} leaves {budget}. Select less code or raise `contextTokens`."
        )
    low, high = 0, len(window.steps)
    best = (messages, tokens, lines)
    while low < high:
        middle = (low + high + 1) // 2
        candidate = attempt(middle)
        if candidate[1] <= budget:
            low = middle
            best = candidate
        else:
            high = middle - 1
    log.debug("prompt: %d tokens (budget %d), %d context lines", best[1], budget, best[2])
    return Prompt(messages=best[0], tokens=best[1], context_lines=best[2])
