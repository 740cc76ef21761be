"""A Fix is about one spot: documentation the model dropped away from it (the function's
docstring, a comment) is kept. Only such removals are undone; code the reply removed, changed
or added stays so (a fix may restructure the function), and the checks judge the result."""

from __future__ import annotations

import difflib

from chatls.edits.diff import Replacement
from chatls.edits.replies import similarity
from chatls.source.text import TextIndex, split_lines


def _norm(line: str) -> str:
    return " ".join(line.split())


def _align(old: list[str], new: list[str]) -> list[int | None]:
    """For each old line, the new line it became (in order), or None when it was dropped."""
    result: list[int | None] = [None] * len(old)
    j = 0
    for i, line in enumerate(old):
        best = None
        for k in range(j, len(new)):
            if similarity(_norm(line), _norm(new[k])) >= 0.6:
                best = k
                break
        if best is not None:
            result[i] = best
            j = best + 1
    return result


_COMMENT = ("#", "//", "/*", "*", "--")
_QUOTES = ('"""', "'''", 'r"""', "r'''")


def _documentation(lines: list[str], aligned: list[int | None]) -> set[int]:
    """Offsets of dropped lines that are documentation: whole runs of comment lines, or a
    docstring from its opening quotes to its closing ones."""
    keep: set[int] = set()
    run: list[int] = []
    for offset in [*range(len(lines)), len(lines)]:
        if offset < len(lines) and aligned[offset] is None:
            run.append(offset)
            continue
        if run:
            text = [lines[i].strip() for i in run if lines[i].strip()]
            comments = text and all(line.startswith(_COMMENT) for line in text)
            docstring = (
                text
                and text[0].startswith(_QUOTES)
                and text[-1].endswith(('"""', "'''"))
                and (len(text) > 1 or len(text[0]) >= 6)
            )
            if comments or docstring:
                keep.update(run)
        run = []
    return keep


def keep_dropped_lines(
    index: TextIndex, replacement: Replacement, focus_lines: set[int]
) -> Replacement:
    """``replacement`` with the lines it removed away from ``focus_lines`` put back."""
    old_text = index.text[replacement.start : replacement.end]
    old = split_lines(old_text)
    new = split_lines(replacement.text)
    first_line = index.line_of(replacement.start)
    matcher = difflib.SequenceMatcher(
        None, [_norm(x) for x in old], [_norm(x) for x in new], autojunk=False
    )
    out: list[str] = []
    restored = False
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or tag == "insert":
            out += new[j1:j2]
            continue
        olds = old[i1:i2]
        news = new[j1:j2]
        aligned: list[int | None] = _align(olds, news) if news else [None] * len(olds)
        keep = _documentation(olds, aligned)
        cursor = 0
        for offset, target in enumerate(aligned):
            line_no = first_line + i1 + offset
            if target is None:
                if line_no in focus_lines or offset not in keep:
                    continue
                out.append(olds[offset])
                restored = True
                continue
            out += news[cursor : target + 1]
            cursor = target + 1
        out += news[cursor:]
    if not restored:
        return replacement
    text = "".join(out)
    # The last line carries no line break of its own in a replacement.
    if not replacement.text.endswith(("\n", "\r")) and text.endswith(("\n", "\r")):
        text = text.rstrip("\r\n")
    return Replacement(replacement.start, replacement.end, text)
