"""Explain: Markdown about the selection (or the function around the cursor)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from chatls.actions.declaration import Action
from chatls.context.prompts import RequestPlan
from chatls.errors import ReplyError
from chatls.targets.rules import Rule, Target

if TYPE_CHECKING:
    from chatls.actions.base import ActionRun
    from chatls.actions.catalog import ActionResult

log = logging.getLogger(__name__)


async def run(action: ActionRun, target: Target) -> ActionResult:
    return await answer(action, target, {})


async def answer(action: ActionRun, target: Target, extra: dict[str, Any]) -> ActionResult:
    """A Markdown answer about the target: Explain, and Ask (whose follow-ups send the thread
    instead of a prompt of their own)."""
    from chatls.context.builder import PromptCode
    from chatls.context.window import overlapping
    from chatls.edits.repetition import cut_repetition, starts_repeating
    from chatls.edits.replies import markdown_answer

    start, end = target.start, target.end
    syntax = action.code.syntax
    code = PromptCode(start, end, syntax.enclosing_scope(start, end))
    found = overlapping(action.code.index, action.request.diagnostics, start, end)
    prompt = action.prompt(code, {"diagnostics": found, **extra})
    # A small model can loop, saying the same sentences until maxTokens: the stream closes
    # once it does, and the answer ends before the repetition.
    reply = await action.ask(prompt, None, enough=starts_repeating)
    markdown = markdown_answer(reply.text)
    lines = markdown.splitlines()
    kept = cut_repetition(lines)
    if not "\n".join(kept).strip():
        raise ReplyError("The model's answer was empty.")
    looped = kept != lines
    markdown = "\n".join(kept) if looped else markdown
    if looped:
        log.info(
            "%s: the answer began repeating itself after %d lines; %s",
            action.info.id,
            len(kept),
            "the stream was closed there, the rest never generated"
            if reply.closed_early
            else "the repetition was left out",
        )
        markdown += "\n\n*(The model began repeating itself here; the rest was left out.)*"
    elif reply.finish_reasons and reply.finish_reasons[0] == "length":
        markdown += f"\n\n*(The answer was cut off at maxTokens = {action.max_tokens}.)*"
    return action.result(start, end, markdown=markdown, prompt_tokens=prompt.tokens)


ACTION = Action(
    "explain",
    "Explain",
    "refactor.chatls.explain",
    run,
    order=10,
    output="markdown",
    plan=RequestPlan(local_context="definition"),
    target=Rule(
        "scope",
        "region",
        nothing="Select the code to explain: there is no function or class around the cursor.",
    ),
)
