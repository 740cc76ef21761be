"""The next turn of a thread (Refine, or an Ask follow-up): its request within the budget, with
the oldest follow-ups summarized by the model when they no longer fit (the only time a summary
costs a model call)."""

from __future__ import annotations

import logging

import attrs

from chatls.actions.base import ActionRun
from chatls.actions.conversation import Conversation, FollowUp, Turn, plan, render
from chatls.context.tokens import TokenCounter
from chatls.context.window import Prompt
from chatls.errors import InvalidRequestError, ReplyError

log = logging.getLogger(__name__)

SUMMARY_TOKENS = 256
"""Room for a summary's answer (an eighth of ``contextTokens`` when that is less)."""


async def follow_up(action: ActionRun, conversation: Conversation, user: str) -> FollowUp:
    """The request for ``user``'s message after ``conversation``; raises ``ChatlsError`` when even
    the system message, the first exchange and the latest one no longer fit."""
    settings = action.settings
    counter = action.counter()
    limit = action.context_tokens()
    budget = limit - action.max_tokens
    summary_tokens = min(SUMMARY_TOKENS, limit // 8)
    planned = plan(
        conversation, user, counter, budget, settings.conversation.max_turns, summary_tokens
    )
    current = planned.conversation
    if planned.to_summarize:
        summary = await _summarize(
            action, conversation.summary, planned.to_summarize, counter, summary_tokens
        )
        current = attrs.evolve(
            current,
            summary=summary,
            summarized=conversation.summarized + len(planned.to_summarize),
        )
    messages = current.messages(user)
    tokens = counter.count_messages(messages)
    # The model counts its summary with its own tokenizer: shorten it if tiktoken's count
    # overshoots the room it was given.
    while tokens > budget and current.summary and len(current.summary) > 40:
        shorter = current.summary[: len(current.summary) * 3 // 4].rstrip() + "…"
        current = attrs.evolve(current, summary=shorter)
        messages = current.messages(user)
        tokens = counter.count_messages(messages)
    if tokens > budget:
        raise InvalidRequestError(
            f"This conversation no longer fits in one request: its first exchange and its "
            f"latest one need {tokens} tokens, but contextTokens ({limit}) "
            f"minus maxTokens ({action.max_tokens}) leaves {budget}. Start a new one on the "
            "current code, or raise `contextTokens`."
        )
    log.debug(
        "follow-up: %d tokens (budget %d), %d exchanges word for word, %d summarized%s",
        tokens,
        budget,
        1 + len(current.turns),
        current.summarized,
        ", first request compact" if current.compact else "",
    )
    return FollowUp(Prompt(messages=messages, tokens=tokens, context_lines=0), current, user)


async def _summarize(
    action: ActionRun,
    previous: str | None,
    turns: tuple[Turn, ...],
    counter: TokenCounter,
    max_tokens: int,
) -> str:
    """A summary of ``turns`` (and of the ``previous`` summary), written by the model."""
    limit = action.context_tokens() - max_tokens
    kept = list(turns)

    def messages() -> list[dict[str, str]]:
        variables = {
            "summary": previous or "",
            "turns": [{"user": t.user, "assistant": t.assistant} for t in kept],
        }
        return [
            {"role": "system", "content": render("summary_system", {})},
            {"role": "user", "content": render("summary_user", variables)},
        ]

    request = messages()
    tokens = counter.count_messages(request)
    while tokens > limit and len(kept) > 1:
        # Each of these turns fitted in a request of its own; the oldest go unsummarized.
        kept.pop(0)
        request = messages()
        tokens = counter.count_messages(request)
    if tokens > limit:
        raise InvalidRequestError(
            "This conversation's earlier turns are too long to summarize within "
            f"contextTokens ({action.settings.context_tokens}). Start a new one on the current "
            "code, or raise `contextTokens`."
        )
    dropped = len(turns) - len(kept)
    log.info("summarizing %d earlier turns (%d dropped unsummarized)", len(kept), dropped)
    action.progress("Summarizing earlier turns…")
    reply = await action.ask(
        Prompt(messages=request, tokens=tokens, context_lines=0),
        None,
        max_tokens=max_tokens,
        tools=False,
    )
    summary = " ".join(reply.text.split())
    if not summary:
        raise ReplyError("The model's summary of the earlier turns was empty; nothing was sent.")
    return summary
