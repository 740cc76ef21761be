"""Explain: Markdown about the selection (or the function around the cursor)."""

from __future__ import annotations

from chatls.actions.base import ActionRun, Target
from chatls.actions.catalog import ActionResult
from chatls.context.window import overlapping
from chatls.edits.replies import markdown_answer
from chatls.errors import ReplyError


async def run(action: ActionRun, start: int, end: int) -> ActionResult:
    start, end = action.code_span(start, end, "explain")
    syntax = action.code.syntax
    target = Target(start, end, syntax.enclosing_scope(start, end))
    found = overlapping(action.code.index, action.request.diagnostics, start, end)
    prompt = action.prompt(target, {"diagnostics": found})
    reply = await action.ask(prompt, None)
    markdown = markdown_answer(reply.text)
    if not markdown:
        raise ReplyError("The model's answer was empty.")
    if reply.finish_reasons and reply.finish_reasons[0] == "length":
        markdown += f"\n\n*(The answer was cut off at maxTokens = {action.max_tokens}.)*"
    return action.result(start, end, markdown=markdown, prompt_tokens=prompt.tokens)
