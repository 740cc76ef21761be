"""Search/replace replies: blocks of ``<<<<<<< SEARCH`` / ``=======`` / ``>>>>>>> REPLACE``,
each naming the lines it replaces. Asked for when the target is large, and accepted from any
reply that uses them."""

from __future__ import annotations

import re

from chatls.edits.hunks import Hunk
from chatls.source.text import to_lf

_SEARCH = re.compile(r"^\s*<{5,9}\s*SEARCH\b.*$")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_REPLACE = re.compile(r"^\s*>{5,9}\s*REPLACE\b.*$")


def holds_blocks(reply: str) -> bool:
    return any(_SEARCH.match(line) for line in to_lf(reply).split("\n"))


def parse(reply: str) -> list[Hunk]:
    """The blocks in ``reply``, in order; a block left unfinished is not one."""
    hunks: list[Hunk] = []
    state = "outside"
    before: list[str] = []
    after: list[str] = []
    for line in to_lf(reply).split("\n"):
        if state == "outside":
            if _SEARCH.match(line):
                state, before, after = "search", [], []
        elif state == "search":
            if _DIVIDER.match(line):
                state = "replace"
            else:
                before.append(line)
        elif _REPLACE.match(line):
            number = len(hunks) + 1
            label = f"SEARCH/REPLACE block {number}" if number > 1 else "SEARCH/REPLACE block"
            hunks.append(Hunk("\n".join(before), "\n".join(after), label))
            state = "outside"
        else:
            after.append(line)
    return hunks
