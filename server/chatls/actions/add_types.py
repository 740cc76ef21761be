"""Add types: annotations on the signatures of the Python or TypeScript function around the
cursor (or of the functions in the selection), through the code edit pipeline, refused unless
everything but the signatures' annotations comes back byte for byte."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatls.actions.declaration import Action, Offer
from chatls.context.prompts import RequestPlan
from chatls.errors import InvalidRequestError
from chatls.targets.rules import Rule, Target

if TYPE_CHECKING:
    from chatls.actions.base import ActionRun
    from chatls.actions.catalog import ActionResult
    from chatls.source.code import Code

LANGUAGES = ("python", "typescript", "typescriptreact")


def check(code: Code) -> None:
    if code.spec.id not in LANGUAGES:
        raise InvalidRequestError(
            f"Add types works on Python and TypeScript; this file is {code.spec.name}."
        )


async def run(action: ActionRun, target: Target) -> ActionResult:
    from chatls.actions.rewriting import rewrite
    from chatls.edits.checks import check_annotations_only
    from chatls.edits.fitting import region_for_selection
    from chatls.edits.rewrite import Purpose

    code = action.code
    start = code.index.line_starts[code.index.line_of(target.start)]
    region = region_for_selection(code.index, start, target.end)
    scope = code.syntax.enclosing_scope(region.start, region.end)
    result = await rewrite(action, region, scope, {}, Purpose(ACTION.rules, chosen=True))
    check_annotations_only(code, list(result.edits))
    return result


ACTION = Action(
    "types",
    "Add types",
    "refactor.rewrite.chatls.types",
    run,
    order=80,
    edits=True,
    offer=Offer("function", LANGUAGES),
    check=check,
    plan=RequestPlan(context="file", signatures=True),
    target=Rule(
        "definition",
        "definition",
        nothing="Put the cursor in a function to add types to it.",
        verb="add types to",
    ),
)
