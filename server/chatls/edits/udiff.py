"""Unified diff replies: ``@@`` hunks of context, ``-`` and ``+`` lines (with or without line
numbers, which models get wrong), each applied where its old side is found."""

from __future__ import annotations

import re

from chatls.edits.hunks import Hunk
from chatls.source.text import to_lf

_HEADER = re.compile(r"^(---|\+\+\+) |^diff --git |^index [0-9a-f]")
_HUNK = re.compile(r"^@@")


def holds_diff(reply: str) -> bool:
    """Whether ``reply`` (a code block's text) is a diff: hunk headers, or only lines marked
    with ``+``, ``-`` or a space, some of them changes."""
    lines = [line for line in to_lf(reply).split("\n") if line.strip()]
    if any(_HUNK.match(line) for line in lines):
        return True
    body = [line for line in lines if not _HEADER.match(line)]
    if not body or any(line[0] not in "+- " for line in body):
        return False
    changed = [line for line in body if line[0] in "+-"]
    # A list of "- item" bullets is not a diff: a diff changes something.
    return bool(changed) and any(line.startswith("+") for line in changed)


def parse(reply: str) -> list[Hunk]:
    hunks: list[list[str]] = []
    for line in to_lf(reply).split("\n"):
        if _HEADER.match(line):
            continue
        if _HUNK.match(line):
            hunks.append([])
            continue
        if not hunks:
            hunks.append([])
        hunks[-1].append(line)
    out: list[Hunk] = []
    for body in hunks:
        while body and not body[-1].strip():
            body = body[:-1]
        before: list[str] = []
        after: list[str] = []
        for line in body:
            if line.startswith("-"):
                before.append(line[1:])
            elif line.startswith("+"):
                after.append(line[1:])
            else:
                # Context; models often drop the leading space of blank or context lines.
                text = line[1:] if line.startswith(" ") else line
                before.append(text)
                after.append(text)
        if any(line.strip() for line in before + after):
            number = len(out) + 1
            label = f"diff hunk {number}" if len(hunks) > 1 else "diff hunk"
            out.append(Hunk("\n".join(before), "\n".join(after), label))
    return out
