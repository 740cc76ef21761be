"""Tool round trips: before it answers, the model may look things up in the workspace.

A round trip is a short conversation inside one request's messages: the model's turn carrying
``tool_calls``, one ``tool`` message per call (in order, each naming its ``tool_call_id``), and
the model's next turn. The final answer then goes through the action's own reply → edit
pipeline, unchanged.

Bounded three ways: ``tools.maxRounds`` round trips and ``tools.maxCalls`` lookups per request,
and the token budget (the definitions, the calls and every result count against
``contextTokens``, each result cut to ``tools.resultTokens``). When a bound is reached, the next
request asks for the answer with ``tool_choice: "none"`` and a closing user message saying so
(backends that ignore ``tool_choice`` still read the message).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from chatls.context import prompts
from chatls.context.tokens import TOKENS_PER_MESSAGE, TokenCounter
from chatls.errors import ModelError, ReplyError
from chatls.model.client import ModelClient
from chatls.model.request import ChatReply, ChatRequest
from chatls.tools.toolbox import NAME, SCHEMAS, ToolResult, definitions, label

if TYPE_CHECKING:
    from chatls.config import Settings
    from chatls.tools.toolbox import Toolbox

log = logging.getLogger(__name__)

TEMPLATES = "tools"
MIN_ROOM = 200
"""Tokens a lookup needs at least (below that, the tools are not offered, or the round ends)."""


def offered(settings: Settings, client: ModelClient, model: str) -> bool:
    """Whether a request to ``model`` offers the tools."""
    mode = settings.tools.enabled
    if mode == "off":
        return False
    if mode == "on":
        return True
    # The built-in local model: neither SmolLM2-135M nor Qwen2.5-Coder-0.5B called a tool when
    # measured (bench/tools.py), and the definitions cost hundreds of prompt tokens on a CPU.
    return not client.endpoint.local and not client.refuses(model, "tools")


def reserve(settings: Settings, max_tokens: int, context: int | None = None) -> int:
    """Tokens kept out of the prompt's context for the tools, when they are offered
    (``context``: the request's whole budget, when less than ``contextTokens``)."""
    whole = context or settings.context_tokens
    return min(settings.tools.context_tokens, (whole - max_tokens) // 2)


def fits(settings: Settings, max_tokens: int, model: str) -> bool:
    """Whether the budget has room for the tools: their definitions and some results."""
    room = reserve(settings, max_tokens) - overhead(model) - MIN_ROOM
    if room < 0:
        log.info(
            "tools not offered: contextTokens (%d) leaves no room for them", settings.context_tokens
        )
    return room >= 0


def _render(name: str, variables: dict[str, object] | None = None) -> str:
    return prompts.render(prompts.builtin(TEMPLATES)[name], variables or {}, f"tools.{name}")


@functools.cache
def _offer() -> tuple[list[dict[str, Any]], str]:
    """The tools as the request offers them, and the note added to the system message."""
    return definitions({name: _render(name) for name in SCHEMAS}), _render("system")


@functools.cache
def overhead(model: str) -> int:
    """Tokens the tools add to every request to ``model`` that offers them (about 600)."""
    counter = TokenCounter(model)
    tools, addendum = _offer()
    return counter.count(json.dumps(tools)) + counter.count(addendum) + 2


@attrs.define
class Costs:
    """What the tools cost one request, for the progress and the log."""

    rounds: int = 0
    calls: int = 0
    tokens: int = 0
    """Tokens the tools added to the prompt: definitions, calls, results, notes (tiktoken's
    count, sent again with every round)."""
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    """The backend's own counts over all the requests, when it reports usage."""

    def add_usage(self, reply: ChatReply) -> None:
        self.requests += 1
        if reply.usage:
            self.prompt_tokens += reply.usage.get("prompt_tokens", 0)
            self.completion_tokens += reply.usage.get("completion_tokens", 0)

    def summary(self) -> str:
        things = "1 lookup" if self.calls == 1 else f"{self.calls} lookups"
        rounds = "1 round" if self.rounds == 1 else f"{self.rounds} rounds"
        return f"{things} in {rounds}, {self.tokens:,} tokens of tool messages"


def cut(text: str, limit: int, counter: TokenCounter) -> str:
    """``text`` within ``limit`` tokens: whole lines from the start, saying what was left out."""
    total = counter.count(text)
    if total <= limit:
        return text
    lines = text.splitlines()
    note = f"\n… (cut to {limit} of its {total} tokens: ask for less, such as fewer lines)"

    def shortened(count: int) -> str:
        kept = lines[:count]
        fences = [match.group(0) for line in kept if (match := re.match(r"`{3,}", line.lstrip()))]
        if len(fences) % 2:
            # Close the code block the cut left open, so the note reads as prose.
            kept.append(fences[-1])
        return "\n".join(kept) + note

    low, high = 0, len(lines)
    while low < high:
        middle = (low + high + 1) // 2
        if counter.count(shortened(middle)) <= limit:
            low = middle
        else:
            high = middle - 1
    if low == 0:
        # Not even one line fits: characters, at a generous 2 per token.
        return text[: max(0, limit * 2 - len(note))] + note
    return shortened(low)


async def converse(
    request: ChatRequest,
    prompt_tokens: int,
    client: ModelClient,
    toolbox: Toolbox,
    settings: Settings,
    progress: Callable[[str], None],
    received: Callable[[int], None],
) -> ChatReply:
    """Send ``request`` (whose prompt counts ``prompt_tokens``) with the tools offered, answer
    the model's lookups round after round, and return its final answer."""
    limits = settings.tools
    scale = client.token_scale(request.model)
    counter = TokenCounter(request.model, scale)
    tools, addendum = _offer()
    budget = client.fit_context(request.model, settings.context_tokens) - (request.max_tokens or 0)
    costs = Costs(tokens=overhead(request.model))
    used = prompt_tokens + costs.tokens
    if budget - used < MIN_ROOM:
        log.info(
            "tools not offered: the prompt leaves %d tokens of %d for them", budget - used, budget
        )
        return await client.chat(request, received)
    messages = [dict(message) for message in request.messages]
    if messages and messages[0].get("role") == "system":
        messages[0]["content"] = f"{messages[0]['content']}\n\n{addendum}"
    else:
        messages.insert(0, {"role": "system", "content": addendum})
    keep = frozenset({"tools"}) if limits.enabled == "on" else frozenset()
    closing: str | None = None
    while True:
        current = attrs.evolve(
            request,
            messages=messages,
            tools=tools,
            tool_choice="none" if closing else None,
            keep=keep,
        )
        try:
            reply = await client.chat(current, received)
        except ModelError as error:
            if error.kind != "refused":
                raise
            raise ModelError(
                "refused",
                f"{error} chatls offers it the workspace tools because `tools.enabled` is "
                '"on"; set it to "auto" to go on without them there.',
            ) from None
        costs.add_usage(reply)
        if not reply.tool_calls:
            break
        if closing is not None:
            if reply.text.strip():
                log.warning("the model asked for lookups after being told to answer: ignored")
                reply = attrs.evolve(reply, tool_calls=[])
                break
            rounds = "1 round" if costs.rounds == 1 else f"{costs.rounds} rounds"
            raise ReplyError(
                f"The model kept asking to look things up after {rounds} of lookups "
                f"({closing}) instead of answering; nothing changed."
            )
        costs.rounds += 1
        turn: dict[str, Any] = {
            "role": "assistant",
            # Null without text, as the API documents it (an empty string makes some servers'
            # chat templates switch the model to calling tools in plain text).
            "content": reply.text or None,
            # Echoed as the API accepts them: a garbled name still gets its answer below.
            "tool_calls": [
                attrs.evolve(call, name=_safe_name(call.name)).message()
                for call in reply.tool_calls
            ],
        }
        messages.append(turn)
        spent = counter.count(json.dumps(turn["tool_calls"])) + counter.count(reply.text)
        spent += TOKENS_PER_MESSAGE
        used += spent
        costs.tokens += spent
        for position, call in enumerate(reply.tool_calls):
            what = label(call.name, call.arguments)
            if costs.calls >= limits.max_calls:
                closing = f"`tools.maxCalls` is {limits.max_calls}"
                result = ToolResult(
                    f"Error: not looked up: this request allows {limits.max_calls} lookups "
                    "(setting `tools.maxCalls`). Answer with what you have.",
                    False,
                )
            else:
                costs.calls += 1
                progress(f"{what[0].upper()}{what[1:]}…")
                result = await toolbox.run(call.name, call.arguments)
            left = len(reply.tool_calls) - position
            room = (budget - used - MIN_ROOM // 2) // left - TOKENS_PER_MESSAGE
            if room < 40:
                closing = "the token budget, `contextTokens`, is used up"
                text = (
                    "Error: no room is left in the request's token budget (`contextTokens`) for "
                    "this result. Answer with what you have."
                )
            else:
                text = cut(result.text, min(limits.result_tokens, room), counter)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": text})
            tokens = counter.count(text) + TOKENS_PER_MESSAGE
            used += tokens
            costs.tokens += tokens
            log.info(
                "tool call %d (round %d): %s(%s) → %s, %d tokens",
                costs.calls,
                costs.rounds,
                _safe_name(call.name),
                call.arguments if len(call.arguments) <= 200 else call.arguments[:197] + "...",
                "ok" if result.ok else result.text[:200],
                tokens,
            )
        if closing is None and costs.rounds >= limits.max_rounds:
            closing = f"`tools.maxRounds` is {limits.max_rounds}"
        if closing is None and costs.calls >= limits.max_calls:
            closing = f"`tools.maxCalls` is {limits.max_calls}"
        if closing is None and budget - used < MIN_ROOM:
            closing = "the token budget, `contextTokens`, is used up"
        if closing is not None:
            note = _render("answer_now", {"why": closing})
            messages.append({"role": "user", "content": note})
            tokens = counter.count(note) + TOKENS_PER_MESSAGE
            used += tokens
            costs.tokens += tokens
            log.info("tools: no more lookups (%s); asking for the answer", closing)
        progress(f"Asking {request.model} again, with what it looked up ({costs.summary()})…")
    if costs.rounds:
        usage = ""
        if costs.prompt_tokens or costs.completion_tokens:
            usage = (
                f"; the backend counted {costs.prompt_tokens:,} prompt and "
                f"{costs.completion_tokens:,} completion tokens over {costs.requests} requests"
            )
        log.info("tools: %s%s", costs.summary(), usage)
        progress(f"Looked things up: {costs.summary()}{usage}")
    return reply


def _safe_name(name: str) -> str:
    if NAME.match(name):
        return name
    return (re.sub(r"[^a-zA-Z0-9_-]", "_", name) or "unnamed")[:64]
