"""A model caught in a loop: where its answer starts saying again what it already said, so the
stream can close there and the answer be cut before it."""

from __future__ import annotations

import re

_WINDOW = 4


def repeats(lines: list[str]) -> int | None:
    """Where ``lines`` start repeating an earlier run of ``_WINDOW`` lines (a model caught in a
    loop), or None."""
    seen: set[tuple[str, ...]] = set()
    for start in range(len(lines) - _WINDOW + 1):
        window = tuple(line.strip() for line in lines[start : start + _WINDOW])
        if not any(window):
            continue
        if window in seen:
            return start
        seen.add(window)
    return None


def doubled(lines: list[str]) -> int | None:
    """Where a line of prose says again, word for word, the line just before it (blank lines
    between aside), or None. Code examples may repeat a line; short lines ("Returns:") may
    too."""
    previous = ""
    in_code = False
    for number, line in enumerate(lines):
        text = " ".join(line.split())
        if text.startswith(("```", "~~~")):
            in_code = not in_code
            previous = ""
            continue
        if in_code or not text:
            continue
        if len(text) >= 30 and text == previous:
            return number
        previous = text
    return None


_SENTENCE = re.compile(r"[^.!?]{30,}[.!?]")


def looping_prose(lines: list[str]) -> int | None:
    """The line of the paragraph where prose starts saying again a sentence it said twice
    already (a looping model), or None."""
    counts: dict[str, int] = {}
    first_repeat: int | None = None
    for number, line in enumerate(lines):
        for sentence in _SENTENCE.findall(line):
            key = " ".join(sentence.split()).lower()
            counts[key] = counts.get(key, 0) + 1
            if counts[key] == 2 and first_repeat is None:
                first_repeat = number
            if counts[key] >= 3 and first_repeat is not None:
                while first_repeat > 0 and lines[first_repeat - 1].strip():
                    first_repeat -= 1
                return first_repeat
    return None


def cut_repetition(lines: list[str]) -> list[str]:
    """An answer (documentation, an explanation) up to where a looping model started repeating
    itself, without the section heading or example left open at the cut."""
    found = [at for at in (repeats(lines), looping_prose(lines), doubled(lines)) if at is not None]
    start = min(found, default=None)
    if start is None or start == 0:
        return lines
    lines = lines[:start]
    if sum(line.strip().startswith(("```", "~~~")) for line in lines) % 2:
        lines = lines[
            : max(i for i, line in enumerate(lines) if line.strip().startswith(("```", "~~~")))
        ]
    # A heading, or a line announcing an example or a list ("you can write it like this:"),
    # promises what the cut left out.
    while lines and (
        not lines[-1].strip()
        or lines[-1].lstrip().startswith("#")
        or (len(lines) > 1 and lines[-1].rstrip().endswith(":"))
    ):
        lines = lines[:-1]
    return lines


def starts_repeating(reply: str) -> bool:
    """Whether the complete lines of a streaming ``reply`` already repeat themselves."""
    lines = reply[: reply.rfind("\n") + 1].splitlines()
    return any(at is not None for at in (repeats(lines), looping_prose(lines), doubled(lines)))
