"""What goes into a request: the code in question plus what a reviewer would need to see,
within the token budget, laid out so that backends with a prefix cache reuse most of it.

A request that reaches into the whole file (``reach = "file"``) shows the file first in a
*stable window*: the whole file when it fits, else whole blocks of ``BLOCK_LINES`` lines whose
first block sits on a fixed grid, so every action on code in the same stretch of the file sends
the same window and only the part after it (the code in question, the instruction) differs.
Narrower requests (``scope``, ``none``) grow context one line at a time around the code,
first inside the enclosing scope, then the file's imports. Either way the rendered messages
are counted exactly and trimmed until they fit.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types

from chatls.context.tokens import TokenCounter
from chatls.errors import InvalidRequestError
from chatls.source.syntax import Span, Syntax
from chatls.source.text import TextIndex, strip_eol, to_lf

if TYPE_CHECKING:
    from chatls.context.outside import Included

log = logging.getLogger(__name__)

Render = Callable[[dict[str, Any]], list[dict[str, str]]]


BLOCK_LINES = 40
"""Windows start and end on multiples of this many lines, so typing does not move them."""
WINDOW_SHARE = 0.75
"""Of a request's budget, what the file's window may take; the rest is for the system message,
the action's instructions and the code in question."""
WHOLE_FILE_SHARE = 0.9
"""A file up to this share of the budget is shown whole (the same for every code in it)."""
_SAMPLE_CHARS = 40_000


@attrs.frozen
class Prompt:
    messages: list[dict[str, str]]
    tokens: int
    context_lines: int
    """Lines of surrounding code included (not counting the code itself)."""
    compact_of: Callable[[], list[dict[str, str]]] | None = attrs.field(
        default=None, eq=False, repr=False
    )
    """Makes ``compact`` (rendered only when asked for)."""
    counted: int = 0
    """tiktoken's own count of ``messages`` (``tokens`` is it scaled to the model's tokenizer)."""
    window: int | None = None
    """The first line of the file's stable window, for the next request on the file."""
    outside: tuple[Included, ...] = ()
    """The definitions from other files it includes."""

    @functools.cached_property
    def compact(self) -> list[dict[str, str]] | None:
        """The same messages without the surrounding code, for a conversation that outgrows
        the budget later."""
        return self.compact_of() if self.compact_of is not None else None


@attrs.frozen
class _Attempt:
    """One rendering of the prompt, and what it costs."""

    messages: list[dict[str, str]]
    counted: int
    """tiktoken's own count of ``messages``."""
    tokens: int
    context_lines: int


@attrs.frozen
class _Taken:
    """How far a window has grown: lines above and below the code, and the file's header."""

    above: int = 0
    below: int = 0
    header: bool = False


def header_lines(syntax: Syntax) -> list[int]:
    """The lines of the file's imports and declarations (``Syntax.header_spans``), in order."""
    index = syntax.index
    return sorted(
        {
            n
            for span in syntax.header_spans()
            for n in range(index.line_of(span.start), index.line_of(span.end) + 1)
        }
    )


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
        self.header_lines = header_lines(syntax)
        self.syntax = syntax
        if scope is not None:
            bounds = (index.line_of(scope.start), index.line_of(scope.end))
        else:
            bounds = (self.first, self.last)
        self.reach = reach
        self._order = self._steps(bounds, above_per_below)
        # After step i, how far the window has grown (prefix sums of the steps).
        self.taken: list[_Taken] = []

    def _steps(self, scope: tuple[int, int], ratio: int) -> Iterator[str]:
        """Inside the scope first (``ratio`` lines above per line below), then the header,
        then the definitions just before and after it or the rest of the file; as far as
        ``reach`` goes (``none``, ``definition``, ``scope``, ``neighbours`` or ``file``)."""
        if self.reach == "none":
            return
        above, below = self.first, self.last
        if self.reach == "definition":
            # The function the code is in, without the imports: a tiny model reads the
            # imported names as functions the code calls.
            scope = self._definition()
        areas = [scope]
        if self.reach == "neighbours":
            areas.append(self._neighbours(scope))
        elif self.reach == "file":
            areas.append((0, self.index.line_count - 1))
        for low, high in areas:
            while above > low or below < high:
                for _ in range(ratio):
                    if above > low:
                        above -= 1
                        yield "above"
                if below < high:
                    below += 1
                    yield "below"
            if (low, high) == scope and self.header_lines and self.reach != "definition":
                yield "header"

    def _definition(self) -> tuple[int, int]:
        """The lines of the innermost definition that holds the code (the code's own lines
        when none does)."""
        line_of = self.index.line_of
        holding = [
            (line_of(span.start), line_of(span.end))
            for span in self.syntax.definitions()
            if line_of(span.start) <= self.first and line_of(span.end) >= self.last
        ]
        return min(holding, key=lambda lines: lines[1] - lines[0], default=(self.first, self.last))

    def _neighbours(self, scope: tuple[int, int]) -> tuple[int, int]:
        """The lines from the definition just before the scope to the one just after it."""
        low, high = scope
        line_of = self.index.line_of
        spans = [(line_of(span.start), line_of(span.end)) for span in self.syntax.definitions()]
        ended = [last for _, last in spans if last < low]
        if ended:
            low = min(first for first, last in spans if last == max(ended))
        started = [first for first, _ in spans if first > high]
        if started:
            high = max(last for first, last in spans if first == min(started))
        return low, high

    def grow(self) -> int | None:
        """Take the next step; returns how many characters it adds, or None at the end."""
        step = next(self._order, None)
        if step is None:
            return None
        last = self.taken[-1] if self.taken else _Taken()
        starts = self.index.line_starts
        if step == "header":
            self.taken.append(attrs.evolve(last, header=True))
            return sum(starts[n + 1] - starts[n] for n in self.header_lines if n + 1 < len(starts))
        if step == "above":
            self.taken.append(attrs.evolve(last, above=last.above + 1))
            line = self.first - last.above - 1
        else:
            self.taken.append(attrs.evolve(last, below=last.below + 1))
            line = self.last + last.below + 1
        end = starts[line + 1] if line + 1 < len(starts) else len(self.index.text)
        return end - starts[line]

    def variables(self, count: int) -> dict[str, Any]:
        taken = self.taken[count - 1] if count else _Taken()
        above, below, with_header = taken.above, taken.below, taken.header
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
            # Line numbers only where the whole file is shown (the stable layout).
            "lines": "",
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
    context: ``none`` (the code alone), ``definition`` (the innermost definition holding it, no
    header), ``scope`` (the enclosing scope and the file's header),
    ``neighbours`` (those and the definitions just before and after) or ``file``.
    """
    window = _Window(syntax, start, end, scope, above_per_below, reach)

    def attempt(count: int) -> _Attempt:
        variables = window.variables(count)
        lines = variables.pop("context_lines")
        messages = render(variables)
        counted = counter.raw_messages(messages)
        return _Attempt(messages, counted, counter.scaled(counted), lines)

    best = bare = attempt(0)
    if best.tokens > budget:
        raise InvalidRequestError(
            f"The code is too large for one request: the prompt needs {best.tokens} tokens but "
            f"{budget_explained} leaves {budget}. Select less code or raise `contextTokens`."
        )
    # Lines are priced by their length at the rate of the code around them; the exact count
    # below corrects the estimate. Encoding each line separately would cost more than the
    # rest of a completion request together.
    sample = syntax.index.text[max(0, start - 3000) : end + 1000] or "x"
    chars_per_token = len(sample) / max(1, counter.count(sample))
    estimate = float(best.tokens)
    count = 0
    while (added := window.grow()) is not None:
        estimate += added / chars_per_token
        if estimate > budget:
            break
        count += 1
    candidate = attempt(count)
    while candidate.tokens > budget and count > 0:
        average = max(1, (candidate.tokens - best.tokens) // count)
        count = max(0, count - max(1, (candidate.tokens - budget + average - 1) // average))
        candidate = attempt(count)
    if candidate.tokens <= budget:
        best = candidate
    while fill:
        if count >= len(window.taken) and window.grow() is None:
            break
        bigger = attempt(count + 1)
        if bigger.tokens > budget:
            break
        best = bigger
        count += 1
    log.debug(
        "prompt: %d tokens (budget %d), %d context lines", best.tokens, budget, best.context_lines
    )
    return _prompt(best, lambda: bare.messages)


def _prompt(best: _Attempt, compact: Callable[[], list[dict[str, str]]] | None) -> Prompt:
    return Prompt(
        messages=best.messages,
        tokens=best.tokens,
        context_lines=best.context_lines,
        compact_of=compact,
        counted=best.counted,
    )


@attrs.frozen
class _Shown:
    """Blocks ``[first, end)`` of the file, shown as its window."""

    first: int
    end: int


class _Blocks:
    """The file cut into blocks of ``BLOCK_LINES`` lines, with their sizes in characters."""

    def __init__(self, index: TextIndex) -> None:
        self.index = index
        starts = index.line_starts
        count = index.line_count
        self.count = (count + BLOCK_LINES - 1) // BLOCK_LINES
        self.sizes = [
            _offset(index, min(count, (b + 1) * BLOCK_LINES)) - starts[b * BLOCK_LINES]
            for b in range(self.count)
        ]

    def fits(self, first: int, capacity: float) -> int:
        """One past the last block of the longest run from ``first`` within ``capacity``
        characters (at least ``first + 1``)."""
        used = 0.0
        last = first
        while last < self.count and (last == first or used + self.sizes[last] <= capacity):
            used += self.sizes[last]
            last += 1
        return last

    def choose(
        self, low: int, high: int, capacity: float, whole: float, anchor: int | None = None
    ) -> _Shown:
        """The blocks to show for code in blocks ``low`` to ``high`` (inclusive): the
        whole file if it is at most ``whole`` characters; else the window that starts at
        block ``anchor`` (the previous request's) if it still holds the code, or else the
        window starting on the grid of quarter-windows one step before the code's (so the code
        starts a quarter to half-way down: an edit there leaves the first quarter or more of
        the next prompt as it was, and the code below, where work usually goes on, stays in the
        window), widened upwards at the end of the file."""
        if sum(self.sizes) <= whole:
            return _Shown(0, self.count)
        if anchor is not None and anchor <= low and self.fits(anchor, capacity) > high:
            return _Shown(anchor, self.fits(anchor, capacity))
        average = sum(self.sizes) / self.count
        step = max(1, int(capacity / average) // 4)
        first = max(0, (low // step - 1) * step)
        while self.fits(first, capacity) <= high and first < low:
            first = min(low, first + step)
        last = self.fits(first, capacity)
        if last == self.count:
            # At the end of the file the room left over goes upwards, the same for every
            # target here, instead of being wasted.
            while first > 0 and sum(self.sizes[first - 1 : last]) <= capacity:
                first -= 1
        return _Shown(first, last)


def _lines(first: int, last: int) -> str:
    """0-based lines ``first`` to ``last`` as people number them: ``12-30``, or ``12``."""
    return f"{first + 1}-{last + 1}" if last > first else str(first + 1)


def _offset(index: TextIndex, line: int) -> int:
    return index.line_starts[line] if line < index.line_count else len(index.text)


def build_stable_prompt(
    syntax: Syntax,
    start: int,
    end: int,
    render: Render,
    counter: TokenCounter,
    budget: int,
    budget_explained: str,
    window_budget: int | None = None,
    anchor: int | None = None,
) -> Prompt:
    """Messages for the code at ``[start, end)`` with the file shown in a stable window (see
    the module's docstring): the variables ``file`` (the window's text), ``file_first`` and
    ``file_last`` (its 1-based lines), ``line_count``, ``lines`` (the code's lines, as
    ``12-30``) and the window's part above and below the code as ``before`` and ``after``.

    The window is chosen for ``window_budget`` (the same for every action, defaulting to
    ``budget``): it takes up to ``WINDOW_SHARE`` of it, and is cut at its end when this
    action's prompt would not fit ``budget``. ``anchor`` is the first line of the window the
    previous request on this file used (``Prompt.window``): kept while it holds the code."""
    index = syntax.index
    header = header_lines(syntax)
    first_line = index.line_of(start)
    last_line = index.line_of(end)
    if end == index.line_starts[last_line] and last_line > first_line:
        last_line -= 1
    blocks = _Blocks(index)

    def variables(top: int, bottom: int) -> dict[str, Any]:
        """The window of lines ``[top, bottom]``."""
        text = index.text
        window_start = index.line_starts[top]
        window_end = index.line_span(bottom)[1]
        before = to_lf(strip_eol(text[window_start : index.line_starts[first_line]]))
        after_start = index.line_span(last_line)[1]
        after = to_lf(text[after_start:window_end]).removeprefix("\n")
        shown_header = [n for n in header if n < top]
        return {
            "file": to_lf(text[window_start:window_end]),
            "file_first": top + 1,
            "file_last": bottom + 1,
            "line_count": index.line_count,
            "lines": _lines(first_line, last_line),
            "header": "\n".join(index.line_text(n) for n in shown_header),
            "before": before if before.strip() else "",
            "after": after if after.strip() else "",
            "prefix": text[window_start:start],
            "suffix": text[end:window_end],
            "before_truncated": top > 0,
            "after_truncated": bottom < index.line_count - 1,
        }

    def attempt(top: int, bottom: int) -> _Attempt:
        messages = render(variables(top, bottom))
        lines = (bottom - top + 1) - (last_line - first_line + 1)
        counted = counter.raw_messages(messages)
        return _Attempt(messages, counted, counter.scaled(counted), lines)

    @functools.cache
    def bare() -> _Attempt:
        """The code without the window: what a thread that outgrows its budget sends, and the
        last resort when the window does not fit. Rendered only when one of those asks (a
        rendering and a count, 0.3 ms of every action before its request)."""
        return attempt(first_line, last_line)

    def too_large(tokens: int) -> InvalidRequestError:
        return InvalidRequestError(
            f"The code is too large for one request: the prompt needs {tokens} tokens but "
            f"{budget_explained} leaves {budget}. Select less code or raise `contextTokens`."
        )

    # A selection of more characters than the budget has tokens may not fit alone: said at
    # once, rather than after trying each window around it.
    if end - start > budget and bare().tokens > budget:
        raise too_large(bare().tokens)
    # The window depends on the file and `window_budget` only, never on the action or the
    # code in question, so that every action on this stretch of the file sends the same one.
    chars_per_token = _chars_per_token(index, counter)
    code_first, code_last = first_line // BLOCK_LINES, last_line // BLOCK_LINES
    room = (window_budget or budget) * chars_per_token
    shown = blocks.choose(
        code_first,
        code_last,
        room * WINDOW_SHARE,
        room * WHOLE_FILE_SHARE,
        None if anchor is None else anchor // BLOCK_LINES,
    )
    low, high = shown.first, shown.end
    chosen = low * BLOCK_LINES
    while True:
        top = min(low * BLOCK_LINES, first_line)
        bottom = max(min(high * BLOCK_LINES, index.line_count) - 1, last_line)
        candidate = attempt(top, bottom)
        if candidate.tokens <= budget:
            break
        # Over this action's budget (a long selection, a long instruction): give up blocks
        # at the end first, which leaves the start of the prompt as other requests have it.
        if high - 1 > code_last:
            high -= 1
        elif low < code_first:
            low += 1
        else:
            candidate = bare()
            if candidate.tokens > budget:
                raise too_large(candidate.tokens)
            break
    log.debug(
        "prompt: %d tokens (budget %d), lines %d-%d of %d",
        candidate.tokens,
        budget,
        top + 1,
        bottom + 1,
        index.line_count,
    )
    return attrs.evolve(_prompt(candidate, lambda: bare().messages), window=chosen)


def _chars_per_token(index: TextIndex, counter: TokenCounter) -> float:
    """How many characters a token of the file's first ``_SAMPLE_CHARS`` holds, counted a block
    of lines at a time with each block's count remembered: after a keystroke only its block is
    counted again, not up to 40,000 characters (3 ms)."""
    text = index.text
    end = min(len(text), _SAMPLE_CHARS)
    if not end:
        return 1 / max(1, counter.count("x"))
    starts = index.line_starts[::BLOCK_LINES]
    raw = 0
    for number, start in enumerate(starts):
        if start >= end:
            break
        stop = starts[number + 1] if number + 1 < len(starts) else len(text)
        raw += counter.raw(text[start : min(stop, end)])
    return end / max(1, counter.scaled(raw))


SUFFIX_LINES = 3
"""Lines after the cursor's in a completion prompt: they follow the cursor, so each request
reads them again; a few say what comes next."""


def build_completion_prompt(
    syntax: Syntax,
    offset: int,
    render: Render,
    counter: TokenCounter,
    budget: int,
    budget_explained: str,
) -> Prompt:
    """Messages for a completion at ``offset``, laid out for a prefix cache: the code before
    the cursor from a line on a grid of ``BLOCK_LINES`` (so typing, or moving down the file,
    leaves the start of the prompt as it was and a backend with a prefix cache reads only what
    changed since the last request), then the cursor, then at most ``SUFFIX_LINES`` lines
    (and an eighth of the budget) after it."""
    index = syntax.index
    text = index.text
    line = index.line_of(offset)
    last = index.line_count - 1
    header = header_lines(syntax)

    def attempt(top: int, bottom: int) -> _Attempt:
        variables = {
            "prefix": text[index.line_starts[top] : offset],
            "suffix": text[offset : index.line_span(bottom)[1]],
            "header": "\n".join(index.line_text(n) for n in header if n < top),
            "before_truncated": top > 0,
            "after_truncated": bottom < last,
        }
        messages = render(variables)
        counted = counter.raw_messages(messages)
        return _Attempt(messages, counted, counter.scaled(counted), bottom - top)

    bare = attempt(line, line)
    if bare.tokens > budget:
        raise InvalidRequestError(
            f"The code around the cursor is too large for one request: the prompt needs "
            f"{bare.tokens} tokens but {budget_explained} leaves {budget}."
        )
    sample = text[max(0, offset - 3000) : offset + 1000] or "x"
    chars_per_token = len(sample) / max(1, counter.count(sample))
    room = (budget - bare.tokens) * chars_per_token
    bottom = line
    used = 0.0
    while bottom < min(last, line + SUFFIX_LINES):
        size = index.line_span(bottom + 1)[1] - index.line_span(bottom)[1]
        if used + size > room / 8:
            break
        used += size
        bottom += 1
    top = line
    while top > 0:
        size = index.line_starts[top] - index.line_starts[top - 1]
        if used + size > room:
            break
        used += size
        top -= 1
    if top > 0:
        top = min(line, -(-top // BLOCK_LINES) * BLOCK_LINES)
    candidate = attempt(top, bottom)
    while candidate.tokens > budget and top < line:
        # Over by the estimate's error: start a block later.
        top = min(line, top + BLOCK_LINES)
        candidate = attempt(top, bottom)
    while candidate.tokens > budget and bottom > line:
        bottom -= 1
        candidate = attempt(top, bottom)
    return _prompt(candidate, None)
