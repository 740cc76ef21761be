"""Inline completions: the text to insert at the cursor, cheap enough to ask for on every pause
in typing.

Per document, a new request supersedes the one in flight (its HTTP stream closes at once);
automatic requests wait ``debounceMs`` first; answers are cached, and typing the first
characters of a suggestion returns the rest of it without asking again. Replies are cleaned
by ``chatls.completion.cleaning``.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types

from chatls.completion import fim
from chatls.completion.cleaning import (
    CURSOR,
    TAIL,
    Cursor,
    block_finished,
    clean,
    context_sections,
    cursor_at,
    echoes_context,
    echoes_prompt,
    line_finished,
)
from chatls.completion.confidence import confidence
from chatls.config import Settings
from chatls.context import prompts
from chatls.context.builder import within_context
from chatls.context.tokens import TokenCounter
from chatls.context.window import Prompt, build_completion_prompt
from chatls.edits.fitting import detect_indent_style
from chatls.model.adapting import COMPLETIONS
from chatls.model.client import ModelClient, cache_key
from chatls.model.failures import CompletionsRefused
from chatls.model.request import ChatRequest
from chatls.source.document import Document, display_path
from chatls.source.languages import language_for
from chatls.source.scopes import BUILTINS
from chatls.source.syntax import Syntax
from chatls.source.text import Encoding, dominant_eol, leading_whitespace, text_index

if TYPE_CHECKING:
    from chatls.tools.rules import Rules, RulesFinder

log = logging.getLogger(__name__)

_CACHE_SIZE = 64
SLOT = 1
"""The local server's slot for inline completion (actions use slot 0), so each keeps its own
cached prefix."""


class Superseded(Exception):
    """A newer request for the same document replaced this one."""


@attrs.frozen
class CompletionRequest:
    document: Document
    position: types.Position
    encoding: Encoding = "utf-16"
    automatic: bool = True
    workspace_root: str | None = None
    rules: RulesFinder | None = None
    """Finds the project's rules files, with ``rules.inlineCompletion`` on."""
    signatures: Callable[[Sequence[str]], list[str]] | None = attrs.field(default=None, eq=False)
    """Signatures of names from other files (``chatls.lsp.tools.completion_signatures``), when
    the workspace index is there to answer at once."""


@attrs.frozen
class _Entry:
    uri: str
    key: tuple[Any, ...]
    line: int
    line_prefix: str
    before_tail: str
    after_head: str
    suggestions: tuple[str, ...]


class _AtCursor:
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
        self.uri = document.uri
        self.spec = language_for(document.language_id, document.path)
        inline = settings.inline_completion
        self.key: tuple[Any, ...] = (
            inline.model or settings.model,
            inline.n,
            inline.temperature,
            inline.max_tokens,
            inline.context_tokens,
            inline.fim,
            self.spec.id,
        )
        self.before_tail = text[max(0, self.line_start - TAIL) : self.line_start]
        self.sections = {}
        self.after_head = text[offset : offset + TAIL]

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

    framing = ""
    """The prompt's instructions and framing without the file (``_framing``)."""
    sections: dict[str, tuple[str, ...]]
    """Each prompt rendered for the request (by its last message) and its context sections
    (``context_sections``): the prompt sent is one of those the window tried."""
    rules: Rules | None = None
    """The project's rules files, found once for the request."""


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

    def _cached(self, uri: str, plan: _AtCursor) -> list[str] | None:
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
            plan = _AtCursor(request, settings)
            hit = self._cached(uri, plan)
            if hit is not None:
                return hit
            inline = settings.inline_completion
            started = time.perf_counter()
            model_client = await client()
            model = model_client.endpoint.model or inline.model or settings.model
            middle = None
            if not model_client.refuses(model, COMPLETIONS):
                middle = fim.format_for(model, inline.fim)
            # The prompt is built while the debounce runs: a keystroke that supersedes this
            # request wastes a millisecond or two, one that does not gets its answer sooner.
            prompt = self._prompt(request, settings, plan, model_client, middle)
            if request.automatic and inline.debounce_ms:
                waited = time.perf_counter() - started
                await asyncio.sleep(max(0.0, inline.debounce_ms / 1000 - waited))
            started = time.perf_counter()

            async def ask(chosen: fim.FimFormat | None, first: Prompt) -> list[str]:
                async def send(sent: Prompt) -> tuple[list[str], Prompt]:
                    return await self._ask(settings, plan, sent, model_client, chosen), sent

                def rebuild() -> Prompt:
                    return self._prompt(request, settings, plan, model_client, chosen)

                found, _ = await within_context(first, rebuild, send)
                return found

            try:
                suggestions = await ask(middle, prompt)
            except CompletionsRefused as refused:
                # Remembered by the client: later completions go through chat at once.
                log.info("inline completion: %s; asking through chat", refused)
                suggestions = await ask(None, self._prompt(request, settings, plan, model_client))
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

    def _prompt(
        self,
        request: CompletionRequest,
        settings: Settings,
        plan: _AtCursor,
        client: ModelClient,
        middle: fim.FimFormat | None = None,
    ) -> Prompt:
        """The chat prompt, or with ``middle`` the fill-in-the-middle one (a single message
        whose content is the plain prompt: the code only, without rules or signatures)."""
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
            "definitions": "",
        }

        model = client.endpoint.model or inline.model or settings.model
        counter = TokenCounter(model, client.token_scale(model))
        if request.rules is not None and plan.rules is None:
            from chatls.tools.rules import bound, log_rules

            limit = bound(settings.rules.max_tokens, inline.context_tokens)
            plan.rules = request.rules.find(request.document.path, limit, counter.count)
            log_rules("inline completion", plan.rules, logging.DEBUG)
        rules = plan.rules.variables() if plan.rules is not None else []

        def render(context: dict[str, Any]) -> list[dict[str, str]]:
            if middle is not None:
                before = fim.header_and_prefix(context["header"], context["prefix"])
                content = middle.prompt(before, context["suffix"])
                plan.sections[content] = context_sections(context["header"], "", context["prefix"])
                return [{"role": "user", "content": content}]
            messages = prompts.messages(
                "complete", {**fixed, **context}, with_context=False, rules=rules
            )
            plan.sections[messages[-1]["content"]] = context_sections(
                context["header"], str(fixed["definitions"]), context["prefix"]
            )
            return messages

        context = client.fit_context(model, inline.context_tokens)
        budget = context - inline.max_tokens
        if request.signatures is not None and middle is None:
            room = min(settings.definitions.inline_completion_tokens, budget // 4)
            fixed["definitions"] = _signatures(request.signatures, plan, counter, room)
        # The rules stay out of the framing: a suggestion may well follow an example they give.
        plan.framing = _framing(tuple(sorted(fixed.items()))) if middle is None else ""
        return build_completion_prompt(
            syntax,
            cursor.offset,
            render,
            counter,
            budget,
            "inlineCompletion.contextTokens minus inlineCompletion.maxTokens",
        )

    async def _ask(
        self,
        settings: Settings,
        plan: _AtCursor,
        prompt: Prompt,
        client: ModelClient,
        middle: fim.FimFormat | None = None,
    ) -> list[str]:
        inline = settings.inline_completion
        cursor = plan.cursor
        enough: Callable[[str], bool] | None
        # One choice stops as soon as it holds what fits here; several rely on stop sequences.
        if middle is not None:
            # The model writes code from the cursor on, so the end of the line is the end of a
            # single-line completion: the server stops there (and the stream closes there for
            # a server that ignores stop sequences).
            stop = fim.stops(middle, not cursor.multiline)
            typed = cursor.line_prefix if not cursor.line_prefix.strip() else ""
            enough = None
            if inline.n == 1:
                enough = (
                    (lambda text: block_finished(typed + text))
                    if cursor.multiline
                    else line_finished
                )
        elif inline.n > 1:
            stop, enough = (["\n\n\n"] if cursor.multiline else ["\n"]), None
        else:
            stop, enough = ["\n\n\n"], block_finished if cursor.multiline else line_finished
        log.debug(
            "inline completion prompt: %d tokens%s",
            prompt.tokens,
            f" (fill-in-the-middle, {middle.name})" if middle is not None else "",
        )
        reply = await client.chat(
            ChatRequest(
                model=client.endpoint.model or inline.model or settings.model,
                messages=prompt.messages if middle is None else [],
                prompt=prompt.messages[0]["content"] if middle is not None else None,
                temperature=inline.temperature,
                max_tokens=inline.max_tokens,
                stop=stop,
                n=inline.n,
                enough=enough,
                usage=False,
                cache_key=cache_key(plan.uri),
                slot=SLOT,
                counted_tokens=prompt.counted or None,
                # Each candidate's token log probabilities, where the backend gives them (one
                # that refuses them is remembered): candidates under minConfidence are hidden.
                logprobs=True,
            )
        )
        sections = plan.sections.get(prompt.messages[-1]["content"], ())
        kept: list[tuple[float | None, str]] = []
        for number, (text, reason) in enumerate(
            zip(reply.texts, reply.finish_reasons, strict=True)
        ):
            suggestion = clean(
                text, plan.text, cursor, plan.unit, reason, plan.eol, middle is not None
            )
            if (
                suggestion is not None
                and middle is None
                and echoes_prompt(suggestion, plan.framing, plan.text)
            ):
                log.info("inline completion: dropped %r, which repeats the prompt", suggestion)
                continue
            if suggestion is not None and echoes_context(
                suggestion, sections, plan.framing, plan.text[: plan.line_start]
            ):
                log.info(
                    "inline completion: dropped %r, which copies a section of the prompt",
                    suggestion,
                )
                continue
            if suggestion is None or suggestion in (s for _, s in kept):
                continue
            tokens = reply.logprobs[number] if reply.logprobs else []
            sure = confidence(tokens, text, suggestion) if tokens else None
            if sure is not None:
                log.debug(
                    "inline completion %r: confidence %.3f (first token %.3f, %d tokens)",
                    suggestion,
                    sure.mean,
                    sure.first,
                    sure.tokens,
                )
                if sure.mean < inline.min_confidence:
                    log.info(
                        "inline completion: hid %r, confidence %.3f under minConfidence %.3f",
                        suggestion,
                        sure.mean,
                        inline.min_confidence,
                    )
                    continue
            kept.append((sure.mean if sure is not None else None, suggestion))
        if all(score is not None for score, _ in kept):
            # Surest first; without log probabilities the backend's order stands.
            kept.sort(key=lambda pair: -(pair[0] or 0.0))
        return [suggestion for _, suggestion in kept]


SIGNATURE_LINES = 20
"""Lines above the cursor's whose calls and types get their signatures from other files (the
line being typed is not read: each keystroke would change the prompt's start)."""
_CALLED = re.compile(r"([A-Za-z_$][\w$]*)\s*\(|\b([A-Z][\w$]*)")


def _signatures(
    look_up: Callable[[Sequence[str]], list[str]], plan: _AtCursor, counter: TokenCounter, room: int
) -> str:
    """Signatures of the calls and types the lines above the cursor use, from other files,
    within ``room`` tokens, in the order the code first uses them (a new name adds to the end)."""
    if room <= 0:
        return ""
    text = plan.text
    top = plan.line_start
    for _ in range(SIGNATURE_LINES):
        if top == 0:
            break
        top = text.rfind("\n", 0, top - 1) + 1
    names: list[str] = []
    builtins = BUILTINS.get(plan.spec.id, frozenset())
    for match in _CALLED.finditer(text, top, plan.line_start):
        name = match.group(1) or match.group(2)
        if name not in names and name not in builtins:
            names.append(name)
    shown: list[str] = []
    used = 0
    for line in look_up(names[:_MAX_NAMES]):
        cost = counter.count(line) + 1
        if used + cost > room:
            break
        used += cost
        shown.append(line)
    return "\n".join(shown)


_MAX_NAMES = 30


@functools.lru_cache(maxsize=32)
def _framing(fixed: tuple[tuple[str, Any], ...]) -> str:
    """What the completion prompt says besides the file: its instructions and labels, rendered
    with the file's parts left empty (the header a mark with no words, so that its label is
    there)."""
    empty = {"prefix": "", "suffix": "", "header": "…", "before_truncated": False}
    messages = prompts.messages(
        "complete", {**dict(fixed), **empty, "after_truncated": False}, with_context=False
    )
    return "\n".join(message["content"] for message in messages)


def _line_end(text: str, line_end: int) -> str:
    """The cursor line's own line break, or the file's usual one on a last line."""
    if text.startswith("\r\n", line_end):
        return "\r\n"
    if line_end < len(text):
        return text[line_end]
    return dominant_eol(text[-20000:])
