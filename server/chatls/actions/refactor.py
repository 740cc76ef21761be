"""Refactor: a new version of the selection (or the function around the cursor), following
the user's instruction when there is one."""

from __future__ import annotations

from chatls.actions.base import ActionRun
from chatls.actions.catalog import ActionResult
from chatls.actions.rewriting import rewrite
from chatls.edits.fitting import region_for_selection
from chatls.edits.rewrite import Purpose


async def run(action: ActionRun, start: int, end: int) -> ActionResult:
    chosen = not action.code.text[start:end].strip()
    start, end = action.code_span(start, end, "refactor")
    region = region_for_selection(action.code.index, start, end)
    scope = action.code.syntax.enclosing_scope(region.start, region.end)
    purpose = Purpose("refactor", instruction=action.request.instruction or "", chosen=chosen)
    return await rewrite(action, region, scope, {"partial": region.partial}, purpose)
