"""Implement: the body of a function that is only a stub (``pass``, ``...``, ``todo!()``,
``throw new Error("not implemented")``, an empty body), or the code a ``TODO``/``FIXME`` comment
asks for, written in place through the code edit pipeline. The signature must come back
unchanged and the body must no longer be a stub."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chatls.actions import stubs
from chatls.actions.declaration import Action, Offer
from chatls.context.prompts import RequestPlan
from chatls.errors import InvalidRequestError, ReplyError
from chatls.targets.rules import Rule, Target

if TYPE_CHECKING:
    from chatls.actions.base import ActionRun
    from chatls.actions.catalog import ActionResult
    from chatls.edits.fitting import Region

_IMPORT = re.compile(r"\s*(import\b|from\s+\S+\s+import\b|use\s|#include\b|using\s)")
_PY_ONE_LINE_STUB = re.compile(r":\s*(?:pass|\.\.\.|raise\s+NotImplementedError\b.*)\s*$")

NOTHING_HERE = (
    "Implement works on a function whose body is a placeholder (empty, `pass`, `...`, "
    "`todo!()`, a not-implemented error) or on a TODO/FIXME comment line; there is none here."
)


def signature(lines: list[str], spot: stubs.Spot) -> str:
    """The function's signature as written: its header lines, up to where the body opens."""
    header = "\n".join(lines[spot.first : spot.header_end + 1]).rstrip()
    if header.endswith(":"):
        return header[:-1]
    one_line = _PY_ONE_LINE_STUB.search(header)
    if one_line is not None:
        return header[: one_line.start()]
    return header[: header.rfind("{")] if "{" in header else header


TARGET = Rule(
    "definition",
    "definition",
    nothing=NOTHING_HERE,
    verb="implement",
    line=stubs.TODO,
)


async def run(action: ActionRun, target: Target) -> ActionResult:
    from chatls.actions.rewriting import rewrite
    from chatls.edits.checks import check_signature_kept
    from chatls.edits.fitting import Region
    from chatls.edits.rewrite import Purpose
    from chatls.source.text import apply_text_edits

    code = action.code
    index = code.index
    lines = [index.line_text(n) for n in range(index.line_count)]
    first = index.line_of(target.start)
    last = index.line_of(max(target.start, target.end - 1))
    python = code.spec.id == "python"
    if target.entry is not None:
        spot = stubs.function(lines, first, last, python)
    else:
        # A TODO line, or a definition found by its text in a file chatls has no grammar for.
        spot = stubs.find(lines, first, last, python)
    if spot is None:
        raise InvalidRequestError(NOTHING_HERE)
    region_start = index.line_starts[spot.first]
    region = Region(region_start, index.line_span(spot.last)[1], partial=False)
    scope = code.syntax.enclosing_scope(region.start, region.end)
    purpose = Purpose(ACTION.rules, chosen=True)
    result = await rewrite(action, region, scope, {"todo": spot.todo}, purpose)
    after = apply_text_edits(code.text, list(result.edits), index.encoding)
    if not spot.todo:
        check_signature_kept(signature(lines, spot), code.text, after)
    opening = signature(lines, spot).split("\n")[0]
    if not _rest_kept(code.text, after, region, opening, spot.todo):
        # A small model "helpfully" writes the helpers it calls too; they would shadow or
        # duplicate code the user did not ask about.
        raise ReplyError(
            "The model's answer also changes code outside what was to be implemented "
            "(other definitions or lines around it), so nothing changed."
        )
    if not spot.todo:
        after_lines = after.split("\n")
        moved = 0
        for edit in result.edits:
            edit_start, edit_end = index.span(edit.range)
            if edit_end <= region_start:
                # An import added above moves the function down.
                moved += edit.new_text.count("\n") - code.text.count("\n", edit_start, edit_end)
        still = stubs.find(after_lines, spot.first + moved, spot.first + moved, python)
        if still is not None and not still.todo:
            raise ReplyError(
                "The model's answer leaves the function unimplemented (its body is still a "
                "placeholder), so nothing changed."
            )
    return result


def _rest_kept(before: str, after: str, region: Region, opening: str, todo: bool) -> bool:
    """Everything outside the region is as it was, but for import lines added above it; a
    stub's region still starts with the function's signature (its first line, ``opening``)."""
    suffix = before[region.end :]
    if not after.endswith(suffix):
        return False
    head = after[: len(after) - len(suffix)].splitlines(keepends=True)
    prefix = before[: region.start].splitlines(keepends=True)
    at = 0
    for line in prefix:
        while at < len(head) and head[at] != line:
            if head[at].strip() and not _IMPORT.match(head[at]):
                return False
            at += 1
        if at == len(head):
            return False
        at += 1
    if todo:
        return True
    rest = [line for line in head[at:] if line.strip()]
    return bool(rest) and " ".join(rest[0].split()).startswith(" ".join(opening.split()))


ACTION = Action(
    "implement",
    "Implement",
    "refactor.rewrite.chatls.implement",
    run,
    order=70,
    edits=True,
    offer=Offer("stub"),
    # Measured with bench/quality.py (Qwen2.5-Coder-0.5B, 16 tasks): 6 right, 0 wrong with the
    # code in the middle of its context, 4 right and 1 wrong with the prefix-cache layout.
    plan=RequestPlan(context="file", signatures=True, stable=False),
    target=TARGET,
)
