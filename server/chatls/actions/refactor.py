"""Refactor: a new version of the selection (or the function around the cursor), following
the user's instruction when there is one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatls.actions.declaration import Action, Asks
from chatls.context.prompts import RequestPlan
from chatls.edits.rules import EditRules
from chatls.targets.rules import Rule, Target

if TYPE_CHECKING:
    from chatls.actions.base import ActionRun
    from chatls.actions.catalog import ActionResult


async def run(action: ActionRun, target: Target) -> ActionResult:
    from chatls.actions.rewriting import rewrite
    from chatls.edits.fitting import region_for_selection
    from chatls.edits.rewrite import Purpose

    region = region_for_selection(action.code.index, target.start, target.end)
    scope = action.code.syntax.enclosing_scope(region.start, region.end)
    instruction = action.request.instruction or ""
    purpose = Purpose(ACTION.rules, instruction=instruction, chosen=target.chosen)
    return await rewrite(action, region, scope, {"partial": region.partial}, purpose)


ACTION = Action(
    "refactor",
    "Refactor",
    "refactor.rewrite.chatls.refactor",
    run,
    order=30,
    edits=True,
    asks=Asks("instruction", "chatls refactor (instruction, optional): "),
    plan=RequestPlan(context="file", search_replace_lines=150),
    rules=EditRules(instructed_removal=True),
    target=Rule(
        "scope",
        "region",
        nothing="Select the code to refactor: there is no function or class around the cursor.",
    ),
)
