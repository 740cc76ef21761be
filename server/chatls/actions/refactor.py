"""Refactor: a new version of the selection (or the function around the cursor), following
the user's instruction when there is one."""

from __future__ import annotations

from chatls.actions.base import ActionRun
from chatls.actions.catalog import ActionResult
from chatls.actions.rewriting import rewrite
from chatls.edits.fitting import region_for_selection
from chatls.edits.rewrite import Purpose
from chatls.targets.rules import Rule, Target

TARGET = Rule(
    "scope",
    "region",
    nothing="Select the code to refactor: there is no function or class around the cursor.",
)


async def run(action: ActionRun, target: Target) -> ActionResult:
    region = region_for_selection(action.code.index, target.start, target.end)
    scope = action.code.syntax.enclosing_scope(region.start, region.end)
    instruction = action.request.instruction or ""
    purpose = Purpose("refactor", instruction=instruction, chosen=target.chosen)
    return await rewrite(action, region, scope, {"partial": region.partial}, purpose)
