"""What the code-rewriting actions (Refactor, Fix) share: ask for a new version of a region
and hand the reply to the edits pipeline."""

from __future__ import annotations

import functools
from typing import Any

from chatls.actions.base import ActionRun
from chatls.actions.catalog import ActionResult
from chatls.context.builder import PromptCode
from chatls.edits.fitting import Region
from chatls.edits.replies import answered
from chatls.edits.rewrite import Purpose, code_edit, prepare_checks
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
    limit = action.settled.plan.search_replace_lines
    if limit and lines > limit:
        # Rewriting 300 lines to change 3 is slow and error-prone: ask for the changes.
        extra = {**extra, "edit_format": "search_replace"}
    prompt = action.prompt(PromptCode(region.start, region.end, scope), extra)
    original = action.code.text[region.start : region.end]
    reply = await action.ask(
        prompt,
        CODE_SCHEMA,
        action.until_circling(answered(original)),
        meanwhile=functools.partial(prepare_checks, action.code, region),
    )
    action.check_finished(reply)
    change = code_edit(action.code, region, reply.text, reply.structured, purpose)
    return action.result(change.start, change.end, edits=change.edits, prompt_tokens=prompt.tokens)
