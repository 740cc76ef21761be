"""Explain: Markdown about the selection (or the function around the cursor)."""

from __future__ import annotations

from typing import Any

from chatls.actions.base import ActionRun, PromptCode
from chatls.actions.catalog import ActionResult
from chatls.context.window import overlapping
from chatls.edits.replies import markdown_answer
from chatls.errors import ReplyError
from chatls.targets.rules import Rule, Target

TARGET = Rule(
    "scope",
    "region",
    nothing="Select the code to explain: there is no function or class around the cursor.",
)


async def run(action: ActionRun, target: Target) -> ActionResult:
    return await answer(action, target, {})


async def answer(action: ActionRun, target: Target, extra: dict[str, Any]) -> ActionResult:
    """A Markdown answer about the target: Explain, and Ask (whose follow-ups send the thread
    instead of a prompt of their own)."""
    start, end = target.start, target.end
    syntax = action.code.syntax
    code = PromptCode(start, end, syntax.enclosing_scope(start, end))
    found = overlapping(action.code.index, action.request.diagnostics, start, end)
    prompt = action.prompt(code, {"diagnostics": found, **extra})
    reply = await action.ask(prompt, None)
    markdown = markdown_answer(reply.text)
    if not markdown:
        raise ReplyError("The model's answer was empty.")
    if reply.finish_reasons and reply.finish_reasons[0] == "length":
        markdown += f"\n\n*(The answer was cut off at maxTokens = {action.max_tokens}.)*"
    return action.result(start, end, markdown=markdown, prompt_tokens=prompt.tokens)
