"""What goes into a request: the code in question plus what a reviewer would need to see,
trimmed outward from the code so the token budget is never exceeded.

Context grows one line at a time, alternating above and below, first inside the enclosing
scope, then the file's imports, then the rest of the file. The largest prefix of that growth
that fits is found by binary search over exact tiktoken counts of the rendered messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
from lsprotocol import types

from chatls.context.tokens import TokenCounter
from chatls.errors import InvalidRequestError
from chatls.source.syntax import Span, Syntax
from chatls.source.text import TextIndex, strip_eol, to_lf

log = logging.getLogger(__name__)

Render = Callable[[dict[str, Any]], list[dict[str, str]]]


@attrs.frozen
class Prompt:
    messages: list[dict[str, str]]
    tokens: int
    context_lines: int
    """Lines of surrounding code included (not counting the code itself)."""
    compact: list[dict[str, str]] | None = None
    """The same messages without the surrounding code, for a conversation that outgrows the
    budget later."""


def diagnostic_info(index: TextIndex, diagnostic: types.Diagnostic) -> dict[str, Any]:
    """A diagnostic as template variables (1-based line, the text it points at)."""
    text = ""
    line_text = ""
    try:
        start, end = index.span(diagnostic.range)
        snippet = index.text[start:end]
        if 0 < len(snippet) <= 120 and "\n" not in snippet:
            text = snippet
        whole = index.line_text(index.line_of(start)).strip()
        if len(whole) <= 200:
            line_text = whole
    except InvalidRequestError:
        pass
    severity = diagnostic.severity.name.lower() if diagnostic.severity else ""
    return {
        "similar": similar_names(index.text, text),
        "line": diagnostic.range.start.line + 1,
        "message": diagnostic.message,
        "source": diagnostic.source or "",
        "code": "" if diagnostic.code is None else str(diagnostic.code),
        "severity": severity,
        "text": text,
        "line_text": line_text,
    }


def similar_names(text: str, name: str, limit: int = 3) -> list[str]:
    """Names in ``text`` that look like ``name``, closest first: what a compiler's "a local
    variable with a similar name exists" hint gives, for checkers that do not say it."""
    import difflib
    import re

    if not re.fullmatch(r"[A-Za-z_]\w*", name):
        return []
    known = sorted(set(re.findall(r"[A-Za-z_]\w*", text)) - {name})
    return difflib.get_close_matches(name, known, n=limit, cutoff=0.75)


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


def signatures(syntax: Syntax, start: int, end: int, limit: int = 12) -> list[str]:
    """The first lines of the file's definitions that the code at ``[start, end)`` uses (by
    name), for a reader who sees only that code."""
    import re

    code = syntax.text[start:end]
    words = set(re.findall(r"\w+", code))
    index = syntax.index
    found: list[str] = []
    for span in syntax.definitions():
        if span.start < end and span.end > start:
            continue
        name = re.split(r"[.:]+", span.name)[-1]
        if name not in words:
            continue
        line = index.line_of(span.start)
        # The line that names it, past decorators and attributes.
        while line < index.line_of(span.end) and name not in index.line_text(line):
            line += 1
        text = index.line_text(line).strip()
        if text and text not in found:
            found.append(text)
        if len(found) >= limit:
            break
    return found


class _Window:
    """The growth order of context lines around ``[start, end)``, produced lazily so a large
    file costs only the lines that fit."""

    def __init__(
        self,
        syntax: Syntax,
        start: int,
        end: int,
        scope: Span | None,
        above_per_below: int = 1,
        reach: str = "file",
    ) -> None:
        index = syntax.index
        text = index.text
        self.index = index
        self.start = start
        self.end = end
        self.first = index.line_of(start)
        last = index.line_of(end)
        if end == index.line_starts[last] and last > self.first:
            last -= 1
        self.last = last
        line_start = index.line_starts[self.first]
        self.before_inline = text[line_start:start] if start > line_start else ""
        line_end = index.line_span(self.last)[1]
        self.after_inline = text[end:line_end] if end < line_end else ""
        self.header_lines = sorted(
            {
                n
                for span in syntax.header_spans()
                for n in range(index.line_of(span.start), index.line_of(span.end) + 1)
            }
        )
        if scope is not None:
            bounds = (index.line_of(scope.start), index.line_of(scope.end))
        else:
            bounds = (self.first, self.last)
        self.reach = reach
        self._order = self._steps(bounds, above_per_below)
        # After step i: lines above, lines below, header included (prefix sums of the steps).
        self.taken: list[tuple[int, int, bool]] = []

    def _steps(self, scope: tuple[int, int], ratio: int) -> Iterator[str]:
        """Inside the scope first (``ratio`` lines above per line below), then the header,
        then the rest of the file; as far as ``reach`` goes (``none``, ``scope`` or ``file``)."""
        if self.reach == "none":
            return
        above, below = self.first, self.last
        areas = [scope] if self.reach == "scope" else [scope, (0, self.index.line_count - 1)]
        for low, high in areas:
            while above > low or below < high:
                for _ in range(ratio):
                    if above > low:
                        above -= 1
                        yield "above"
                if below < high:
                    below += 1
                    yield "below"
            if (low, high) == scope and self.header_lines:
                yield "header"

    def grow(self) -> int | None:
        """Take the next step; returns how many characters it adds, or None at the end."""
        step = next(self._order, None)
        if step is None:
            return None
        above, below, header = self.taken[-1] if self.taken else (0, 0, False)
        starts = self.index.line_starts
        if step == "header":
            self.taken.append((above, below, True))
            return sum(starts[n + 1] - starts[n] for n in self.header_lines if n + 1 < len(starts))
        if step == "above":
            self.taken.append((above + 1, below, header))
            line = self.first - above - 1
        else:
            self.taken.append((above, below + 1, header))
            line = self.last + below + 1
        end = starts[line + 1] if line + 1 < len(starts) else len(self.index.text)
        return end - starts[line]

    def variables(self, count: int) -> dict[str, Any]:
        above, below, with_header = self.taken[count - 1] if count else (0, 0, False)
        index = self.index
        text = index.text
        top = self.first - above
        bottom = self.last + below
        first_start = index.line_starts[self.first]
        # Whole lines around the code, with line breaks shown as LF whatever the file uses.
        before = to_lf(strip_eol(text[index.line_starts[top] : first_start])) if above else ""
        after = ""
        if below:
            after_start = index.line_starts[self.last + 1]
            after = to_lf(text[after_start : index.line_span(bottom)[1]])
        header = ""
        if with_header:
            header = "\n".join(index.line_text(n) for n in self.header_lines if n < top)
        if self.before_inline:
            before = f"{before}\n{self.before_inline}" if above else self.before_inline
        if self.after_inline:
            after = f"{self.after_inline}\n{after}" if below else self.after_inline
        return {
            "before": before if before.strip() else "",
            "after": after if after.strip() else "",
            # Exactly the text around the code, so prefix + code + suffix is a slice of the file.
            "prefix": text[index.line_starts[top] : self.start],
            "suffix": text[self.end : index.line_span(bottom)[1]],
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
    above_per_below: int = 1,
    fill: bool = True,
    reach: str = "file",
) -> Prompt:
    """Messages for the code at ``[start, end)`` with as much context as ``budget`` allows.

    Lines are added while the sum of their own token counts fits (each line encoded once),
    then the rendered messages are counted exactly and trimmed until they fit. With ``fill``,
    further lines are tried one by one until the next would not fit. ``reach`` bounds the
    context: ``none`` (the code alone), ``scope`` (the enclosing scope and the file's header)
    or ``file``.
    """
    window = _Window(syntax, start, end, scope, above_per_below, reach)

    def attempt(count: int) -> tuple[list[dict[str, str]], int, int]:
        variables = window.variables(count)
        lines = variables.pop("context_lines")
        messages = render(variables)
        return messages, counter.count_messages(messages), lines

    best = bare = attempt(0)
    if best[1] > budget:
        raise InvalidRequestError(
            f"The code is too large for one request: the prompt needs {best[1]} tokens but "
            f"{budget_explained} leaves {budget}. Select less code or raise `contextTokens`."
        )
    # Lines are priced by their length at the rate of the code around them; the exact count
    # below corrects the estimate. Encoding each line separately would cost more than the
    # rest of a completion request together.
    sample = syntax.index.text[max(0, start - 3000) : end + 1000] or "x"
    chars_per_token = len(sample) / max(1, counter.count(sample))
    estimate = float(best[1])
    count = 0
    while (added := window.grow()) is not None:
        estimate += added / chars_per_token
        if estimate > budget:
            break
        count += 1
    candidate = attempt(count)
    while candidate[1] > budget and count > 0:
        average = max(1, (candidate[1] - best[1]) // count)
        count = max(0, count - max(1, (candidate[1] - budget + average - 1) // average))
        candidate = attempt(count)
    if candidate[1] <= budget:
        best = candidate
    while fill:
        if count >= len(window.taken) and window.grow() is None:
            break
        bigger = attempt(count + 1)
        if bigger[1] > budget:
            break
        best = bigger
        count += 1
    log.debug("prompt: %d tokens (budget %d), %d context lines", best[1], budget, best[2])
    return Prompt(messages=best[0], tokens=best[1], context_lines=best[2], compact=bare[0])
