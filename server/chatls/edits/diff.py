"""Minimal edits: the smallest text edits that turn one span of a document into new text,
computed with difflib on lines and trimmed to the changed characters, in the client's
position units."""

from __future__ import annotations

import difflib

import attrs
from lsprotocol import types

from chatls.source.text import TextIndex, split_lines


@attrs.frozen
class Replacement:
    """``[start, end)`` of the snapshot becomes ``text``."""

    start: int
    end: int
    text: str


@attrs.frozen
class Change:
    """What an action's edits rewrite (``[start, end)`` of the snapshot) and the edits."""

    start: int
    end: int
    edits: tuple[types.TextEdit, ...]


def _line_offsets(lines: list[str]) -> list[int]:
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return offsets


def _safe_cut(text: str, cut: int) -> int:
    """Never split a CRLF pair: positions between CR and LF do not exist in LSP."""
    if 0 < cut < len(text) and text[cut - 1] == "\r" and text[cut] == "\n":
        return cut - 1
    return cut


def minimal_edits(index: TextIndex, start: int, end: int, new: str) -> list[types.TextEdit]:
    """Edits turning ``index.text[start:end]`` into ``new``, touching only what changed."""
    old = index.text[start:end]
    if old == new:
        return []
    a = [line for line in split_lines(old) if line]
    b = [line for line in split_lines(new) if line]
    a_off = _line_offsets(a)
    b_off = _line_offsets(b)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    edits: list[types.TextEdit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old_start, old_end = a_off[i1], a_off[i2]
        new_start, new_end = b_off[j1], b_off[j2]
        old_seg = old[old_start:old_end]
        new_seg = new[new_start:new_end]
        prefix = 0
        limit = min(len(old_seg), len(new_seg))
        while prefix < limit and old_seg[prefix] == new_seg[prefix]:
            prefix += 1
        prefix = min(_safe_cut(old_seg, prefix), _safe_cut(new_seg, prefix))
        suffix = 0
        limit -= prefix
        while suffix < limit and old_seg[-1 - suffix] == new_seg[-1 - suffix]:
            suffix += 1
        cut_old = _safe_cut(old_seg, len(old_seg) - suffix)
        cut_new = _safe_cut(new_seg, len(new_seg) - suffix)
        suffix = min(len(old_seg) - cut_old, len(new_seg) - cut_new)
        edit_start = start + old_start + prefix
        edit_end = start + old_end - suffix
        edits.append(
            types.TextEdit(
                range=index.range(edit_start, edit_end),
                new_text=new_seg[prefix : len(new_seg) - suffix],
            )
        )
    return edits


def replacement_edits(index: TextIndex, replacements: list[Replacement]) -> list[types.TextEdit]:
    """Minimal edits for several non-overlapping replacements."""
    edits: list[types.TextEdit] = []
    for item in replacements:
        edits += minimal_edits(index, item.start, item.end, item.text)
    return edits
