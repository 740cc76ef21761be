"""Add types: annotations on the signatures of the Python or TypeScript function around the
cursor (or of the functions in the selection), through the code edit pipeline, refused unless
everything but the signatures' annotations comes back byte for byte."""

from __future__ import annotations

from chatls.actions.base import ActionRun
from chatls.actions.catalog import ActionResult
from chatls.actions.rewriting import rewrite
from chatls.edits.checks import check_annotations_only
from chatls.edits.fitting import region_for_selection
from chatls.edits.rewrite import Purpose
from chatls.errors import InvalidRequestError

LANGUAGES = ("python", "typescript", "typescriptreact")


async def run(action: ActionRun, start: int, end: int) -> ActionResult:
    code = action.code
    if code.spec.id not in LANGUAGES:
        raise InvalidRequestError(
            f"Add types works on Python and TypeScript; this file is {code.spec.name}."
        )
    if not code.text[start:end].strip():
        definition = code.syntax.definition(start, end)
        if definition is None:
            raise InvalidRequestError("Put the cursor in a function to add types to it.")
        span = definition.span
        start, end = code.index.line_starts[code.index.line_of(span.start)], span.end
    region = region_for_selection(code.index, start, end)
    scope = code.syntax.enclosing_scope(region.start, region.end)
    result = await rewrite(action, region, scope, {}, Purpose("types", chosen=True))
    check_annotations_only(code, list(result.edits))
    return result
