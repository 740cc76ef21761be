"""Inline completions: the text to insert at the cursor, cheap enough to ask for on every pause
in typing.

Per document, a new request supersedes the one in flight (its HTTP stream closes at once);
automatic requests wait ``debounceMs`` first; answers are cached, and typing the first
characters of a suggestion returns the rest of it without asking again. Replies are cleaned of
the usual faults: fences and prose, the code before the cursor repeated, the code after the
cursor repeated, indentation that does not fit the cursor's line.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import attrs
from lsprotocol import types

from chatls import prompts
from chatls.actions import display_path
from chatls.catalog import Document
from chatls.config import Settings
from chatls.context import Prompt, build_prompt
from chatls.edits import detect_indent_style
from chatls.languages import DEFINITION_LINE, language_for
from chatls.model import ChatRequest, ModelClient
from chatls.replies import code_blocks
from chatls.syntax import Syntax
from chatls.text import Encoding, dominant_eol, leading_whitespace, text_index, to_lf
from chatls.tokens import TokenCounter

log = logging.getLogger(__name__)

CURSOR = "<CURSOR>"
_CLOSERS = set(")]}>\"'`;,")
# Lines after which the completion is a body: a new, deeper block, not the rest of this line.
_STARTS_BODY = re.compile(r"(:|\{|\bdo|\bthen)\s*$")
_WORD_END = re.compile(r"[A-Za-z_$][\w$]*$")
_LEAD_IN = re.compile(r"^(here|sure|certainly|the completion|completion)\b.*:\s*$", re.IGNORECASE)
_CACHE_SIZE = 64
_TAIL = 400


class Superseded(Exception):
    """A newer request for the same document replaced this one."""


@attrs.frozen
class CompletionRequest:
    document: Document
    position: types.Position
    encoding: Encoding = "utf-16"
    automatic: bool = True
    workspace_root: str | None = None


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
        multiline = bool(_STARTS_BODY.search(line_prefix))
    if line_prefix and not line_prefix.strip():
        indent = line_prefix  # the user already indented the line
    elif line_prefix:
        indent = leading_whitespace(line_prefix)
        if _STARTS_BODY.search(line_prefix):
            indent += unit
    else:
        # Column 0 of an empty line: take the indentation of the code above.
        above = text[:line_start].rstrip("\r\n")
        previous = above[above.rfind("\n") + 1 :]
        indent = leading_whitespace(previous)
        if _STARTS_BODY.search(previous):
            indent += unit
    return Cursor(offset, line_prefix, line_suffix, multiline, indent)


def _strip_echo_of_prefix(reply: str, text: str, cursor: Cursor) -> str:
    """Remove a repetition of the code just before the cursor (whole lines plus the current
    line's text), longest repetition first."""
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
        echo = text[start : cursor.offset].lstrip(" \t")
        if echo.strip() and candidate.startswith(echo):
            return candidate[len(echo) :]
    # The word being typed, repeated in full: "v" then "values" means "alues".
    word = _WORD_END.search(cursor.line_prefix)
    if word and reply.startswith(word.group(0)) and reply[len(word.group(0)) :][:1].isalnum():
        return reply[len(word.group(0)) :]
    return reply


def _strip_echo_of_suffix(reply: str, cursor: Cursor) -> str:
    """Remove the rest of the current line when the reply ends by repeating it."""
    rest = cursor.line_suffix.strip()
    if not rest:
        return reply
    stripped = reply.rstrip()
    if stripped.endswith(rest):
        return stripped[: -len(rest)]
    # A partial overlap counts only for closing characters: "a, b)" before ")".
    for size in range(len(rest) - 1, 0, -1):
        overlap = rest[:size]
        if set(overlap) <= _CLOSERS and stripped.endswith(overlap):
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
    for number, line in enumerate(lines):
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
) -> str | None:
    """The text to insert at the cursor from a raw reply, or None when nothing usable is left."""
    reply = to_lf(reply)
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
    suffix = text[cursor.offset : cursor.offset + _TAIL]
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
            not lines[0].strip() or bool(_STARTS_BODY.search(cursor.line_prefix))
        )
        on_cursor_line = not newline_first and bool(lines[0].strip())
        body = _reindent_block(lines, cursor, unit, on_cursor_line)
        body = _drop_repeated_following_lines(body, suffix)
        if not body:
            return None
        body[-1] = _strip_echo_of_suffix(body[-1], cursor).rstrip()
        completion = "\n".join(body)
        if newline_first:
            completion = "\n" + completion
        completion = completion.replace("\n", eol)
    if not completion.strip() or suffix.startswith(completion):
        return None
    return completion


@attrs.frozen
class _Entry:
    uri: str
    key: tuple[Any, ...]
    line: int
    line_prefix: str
    before_tail: str
    after_head: str
    suggestions: tuple[str, ...]


class _Plan:
    """What a request needs once the cursor is known: the cheap parts at once (enough to
    answer from the cache), the rest when the request really goes to the model."""

    def __init__(self, request: CompletionRequest, settings: Settings) -> None:
        document = request.document
        self.text = text = document.text
        index = text_index(text, request.encoding)
        self.offset = offset = index.offset(request.position)
        self.line = index.line_of(offset)
        self.line_start, self.line_end = index.line_span(self.line)
        self.line_prefix = text[self.line_start : offset]
        self.spec = language_for(document.language_id, document.path)
        inline = settings.inline_completion
        self.key: tuple[Any, ...] = (
            inline.model or settings.model,
            inline.n,
            inline.temperature,
            inline.max_tokens,
            inline.context_tokens,
            self.spec.id,
        )
        self.before_tail = text[max(0, self.line_start - _TAIL) : self.line_start]
        self.after_head = text[offset : offset + _TAIL]

    @functools.cached_property
    def unit(self) -> str:
        if "\t" in leading_whitespace(self.line_prefix):
            return "\t"  # the line itself says tabs, whatever the lines around it lack
        return detect_indent_style(self.text[max(0, self.offset - 4000) : self.offset + 2000]).unit

    @functools.cached_property
    def cursor(self) -> Cursor:
        return cursor_at(self.text, self.offset, self.line_start, self.line_end, self.unit)

    @functools.cached_property
    def eol(self) -> str:
        return _line_end(self.text, self.line_end)


ClientFactory = Callable[[], Awaitable[ModelClient]]


class Completer:
    """Completions for every open document: supersession, debounce and the cache."""

    def __init__(self) -> None:
        self._inflight: dict[str, asyncio.Task[Any]] = {}
        self._superseded: set[asyncio.Task[Any]] = set()
        self._recent: collections.deque[_Entry] = collections.deque(maxlen=_CACHE_SIZE)

    def forget(self, uri: str) -> None:
        task = self._inflight.pop(uri, None)
        if task is not None and not task.done():
            self._superseded.add(task)
            task.cancel()

    def _cached(self, uri: str, plan: _Plan) -> list[str] | None:
        for entry in reversed(self._recent):
            if (
                entry.uri != uri
                or entry.key != plan.key
                or entry.line != plan.line
                or entry.before_tail != plan.before_tail
                or entry.after_head != plan.after_head
                or not plan.line_prefix.startswith(entry.line_prefix)
            ):
                continue
            typed = plan.line_prefix[len(entry.line_prefix) :]
            rest = [s[len(typed) :] for s in entry.suggestions if s.startswith(typed)]
            rest = [s for s in rest if s.strip()]
            if rest:
                return rest
        return None

    async def complete(
        self, request: CompletionRequest, settings: Settings, client: ClientFactory
    ) -> list[str]:
        """Suggestions for the cursor; raises ``Superseded`` when a newer request took over."""
        uri = request.document.uri
        task = asyncio.current_task()
        previous = self._inflight.get(uri)
        if previous is not None and previous is not task and not previous.done():
            self._superseded.add(previous)
            previous.cancel()
        if task is not None:
            self._inflight[uri] = task
        try:
            plan = _Plan(request, settings)
            hit = self._cached(uri, plan)
            if hit is not None:
                return hit
            inline = settings.inline_completion
            started = time.perf_counter()
            # The prompt is built while the debounce runs: a keystroke that supersedes this
            # request wastes a millisecond or two, one that does not gets its answer sooner.
            prompt = self._prompt(request, settings, plan)
            if request.automatic and inline.debounce_ms:
                waited = time.perf_counter() - started
                await asyncio.sleep(max(0.0, inline.debounce_ms / 1000 - waited))
            started = time.perf_counter()
            suggestions = await self._ask(settings, plan, prompt, await client())
            log.debug(
                "inline completion: %d suggestions in %.1f ms after the debounce",
                len(suggestions),
                (time.perf_counter() - started) * 1000,
            )
            self._recent.append(
                _Entry(
                    uri,
                    plan.key,
                    plan.line,
                    plan.line_prefix,
                    plan.before_tail,
                    plan.after_head,
                    tuple(suggestions),
                )
            )
            return suggestions
        except asyncio.CancelledError:
            if task in self._superseded:
                self._superseded.discard(task)
                raise Superseded from None
            raise
        finally:
            if self._inflight.get(uri) is task:
                del self._inflight[uri]

    def _prompt(self, request: CompletionRequest, settings: Settings, plan: _Plan) -> Prompt:
        inline = settings.inline_completion
        cursor = plan.cursor
        syntax = Syntax(plan.text, plan.spec, parse=False)
        fixed = {
            "language": plan.spec.name,
            "language_id": plan.spec.id,
            "fence": plan.spec.fence,
            "path": display_path(request.document, request.workspace_root),
            "cursor": CURSOR,
            "multiline": cursor.multiline,
        }

        def render(context: dict[str, Any]) -> list[dict[str, str]]:
            return prompts.messages("complete", {**fixed, **context}, with_context=False)

        return build_prompt(
            syntax,
            cursor.offset,
            cursor.offset,
            None,
            render,
            # Counted before the backend is known; only a local backend names its model itself,
            # and tiktoken knows neither name, so the count is the same.
            TokenCounter(inline.model or settings.model),
            inline.context_tokens - inline.max_tokens,
            "inlineCompletion.contextTokens minus inlineCompletion.maxTokens",
            above_per_below=3,
            fill=False,
        )

    async def _ask(
        self, settings: Settings, plan: _Plan, prompt: Prompt, client: ModelClient
    ) -> list[str]:
        inline = settings.inline_completion
        cursor = plan.cursor
        # One choice stops as soon as it holds what fits here; several rely on stop sequences.
        if inline.n > 1:
            stop, enough = (["\n\n\n"] if cursor.multiline else ["\n"]), None
        else:
            stop, enough = ["\n\n\n"], _block_finished if cursor.multiline else _line_finished
        log.debug("inline completion prompt: %d tokens", prompt.tokens)
        reply = await client.chat(
            ChatRequest(
                model=client.endpoint.model or inline.model or settings.model,
                messages=prompt.messages,
                temperature=inline.temperature,
                max_tokens=inline.max_tokens,
                stop=stop,
                n=inline.n,
                enough=enough,
                usage=False,
            )
        )
        cleaned: list[str] = []
        for text, reason in zip(reply.texts, reply.finish_reasons, strict=True):
            suggestion = clean(text, plan.text, cursor, plan.unit, reason, plan.eol)
            if suggestion is not None and suggestion not in cleaned:
                cleaned.append(suggestion)
        return cleaned


def _line_end(text: str, line_end: int) -> str:
    """The cursor line's own line break, or the file's usual one on a last line."""
    if text.startswith("\r\n", line_end):
        return "\r\n"
    if line_end < len(text):
        return text[line_end]
    return dominant_eol(text[-20000:])


def _content_lines(text: str) -> list[str]:
    """Finished lines of a streamed reply, without fences, lead-ins and blank lines."""
    return [
        line
        for line in text.split("\n")[:-1]
        if line.strip()
        and not line.lstrip().startswith(("```", "~~~"))
        and not _LEAD_IN.match(line.strip())
    ]


def _line_finished(text: str) -> bool:
    """A single-line completion is complete once one line of content has ended."""
    return bool(_content_lines(text))


def _block_finished(text: str) -> bool:
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


def completion_items(
    suggestions: Sequence[str], request: CompletionRequest
) -> list[types.CompletionItem]:
    """The suggestions as ordinary completion items (replacing the word being typed)."""
    text = request.document.text
    index = text_index(text, request.encoding)
    offset = index.offset(request.position)
    line_start = index.line_starts[index.line_of(offset)]
    word = re.search(r"[\w$]*$", text[line_start:offset])
    typed = word.group(0) if word else ""
    start = index.position(offset - len(typed))
    items = []
    for number, suggestion in enumerate(suggestions):
        first_line = suggestion.strip().split("\n", 1)[0]
        items.append(
            types.CompletionItem(
                label=(typed + first_line)[:80] or suggestion.strip()[:80],
                kind=types.CompletionItemKind.Text,
                detail="chatls",
                sort_text=f"~chatls{number}",
                filter_text=typed + suggestion.lstrip(),
                text_edit=types.TextEdit(
                    range=types.Range(start=start, end=request.position),
                    new_text=typed + suggestion,
                ),
            )
        )
    return items
