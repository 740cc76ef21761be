"""What the code-rewriting actions (Refactor, Fix) share: ask for a new version of a region
and hand the reply to the edits pipeline."""

from __future__ import annotations

from typing import Any

from chatls.actions.base import ActionRun, Target
from chatls.actions.catalog import ActionResult
from chatls.actions.conversation import render
from chatls.context.tokens import TokenCounter
from chatls.context.window import Prompt
from chatls.edits.diff import Change
from chatls.edits.fitting import Region
from chatls.edits.replies import answered
from chatls.edits.rewrite import Purpose, code_edit
from chatls.errors import UnfixedError
from chatls.model.client import ChatReply
from chatls.source.syntax import Span

CODE_SCHEMA = {
    "name": "code_edit",
    "schema": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "imports": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["code", "imports"],
        "additionalProperties": False,
    },
}


async def rewrite(
    action: ActionRun,
    region: Region,
    scope: Span | None,
    extra: dict[str, Any],
    purpose: Purpose | None = None,
) -> ActionResult:
    lines = action.code.text.count("\n", region.start, region.end) + 1
    limit = action.plan.search_replace_lines
    if limit and lines > limit:
        # Rewriting 300 lines to change 3 is slow and error-prone: ask for the changes.
        extra = {**extra, "edit_format": "search_replace"}
    prompt = action.prompt(Target(region.start, region.end, scope), extra)
    original = action.code.text[region.start : region.end]
    reply = await action.ask(prompt, CODE_SCHEMA, answered(original))
    action.check_finished(reply)
    try:
        change = code_edit(action.code, region, reply.text, reply.structured, purpose)
    except UnfixedError:
        retry = _retry(action, prompt, reply, extra)
        if retry is None:
            raise
        action.progress("The answer left the problem in place; asking once more…")
        reply = await action.ask(retry, CODE_SCHEMA, answered(original))
        action.check_finished(reply)
        change = code_edit(action.code, region, reply.text, reply.structured, purpose)
        prompt = retry
    return _result(action, change, prompt)


def _retry(
    action: ActionRun, prompt: Prompt, reply: ChatReply, extra: dict[str, Any]
) -> Prompt | None:
    """A Fix whose answer left the reported code as it was gets one more turn that says so
    (measured with bench/quality.py: small models often echo the line they were asked to fix,
    and fix it when told). None when this is already a follow-up, or it would not fit."""
    if action.follow_up is not None or "diagnostic" not in extra:
        return None
    variables = {"diagnostic": extra["diagnostic"], "structured": action.structured}
    messages = [
        *prompt.messages,
        {"role": "assistant", "content": reply.text},
        {"role": "user", "content": render("fix_retry", variables)},
    ]
    tokens = TokenCounter(action.model).count_messages(messages)
    if tokens > action.settings.context_tokens - action.max_tokens:
        return None
    return Prompt(messages, tokens, prompt.context_lines)


def _result(action: ActionRun, change: Change, prompt: Prompt) -> ActionResult:
    return action.result(change.start, change.end, edits=change.edits, prompt_tokens=prompt.tokens)
