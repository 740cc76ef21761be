"""New code on lines of its own, below or above a region (custom actions with ``insertBelow``
or ``insertAbove``): extracted like a rewrite, the region itself dropped if the model echoed
it, indented like the region, its imports added, and checked."""

from __future__ import annotations

from lsprotocol import types

from chatls.edits.checks import check_syntax
from chatls.edits.diff import Change
from chatls.edits.fitting import Region, fit_insertion
from chatls.edits.imports import import_edits
from chatls.edits.rewrite import parse_code
from chatls.errors import ReplyError
from chatls.source.code import Code
from chatls.source.text import to_lf


def _normalized_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in to_lf(text).split("\n") if line.strip()]


def _without_echo(new_code: str, original: str, below: bool) -> str:
    """The new code without the region, when the model repeated it before (or after) it."""
    echo = _normalized_lines(original)
    lines = to_lf(new_code).split("\n")
    kept = [(i, " ".join(line.split())) for i, line in enumerate(lines) if line.strip()]
    if not echo or len(kept) <= len(echo):
        return new_code
    if below and [text for _, text in kept[: len(echo)]] == echo:
        return "\n".join(lines[kept[len(echo) - 1][0] + 1 :])
    if not below and [text for _, text in kept[-len(echo) :]] == echo:
        return "\n".join(lines[: kept[-len(echo)][0]])
    return new_code


def insertion_edit(code: Code, region: Region, reply: str, structured: bool, below: bool) -> Change:
    """The edits that put the reply's new code below (or above) ``region``; raises
    ``ChatlsError`` with the reason when there is nothing right to insert."""
    original = code.text[region.start : region.end]
    new_code, imports = parse_code(code, reply, structured, "")
    new_code = _without_echo(new_code, original, below)
    if not new_code.strip():
        raise ReplyError("The model's answer held no new code; nothing changed.")
    fitted = fit_insertion(code.index, region, new_code, below)
    at = fitted.region.start
    edit_range = code.index.range(at, at)

    edits = [types.TextEdit(range=edit_range, new_text=fitted.text)]
    added = import_edits(code, imports, Region(at, at, False))
    all_edits = added + edits
    check_syntax(code, all_edits)
    return Change(at, at, tuple(all_edits))
