"""A model caught in a loop: where its answer starts saying again what it already said, so the
stream can close there and the answer be cut before it."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable
from difflib import SequenceMatcher

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


_RESTATED = 24
_ALIKE = 0.8


def _prose(lines: list[str]) -> list[tuple[int, str]]:
    """The lines outside code examples and tables that have text, each with its number, spaces
    collapsed (two tables may well share their header)."""
    shown: list[tuple[int, str]] = []
    in_code = False
    for number, line in enumerate(lines):
        text = " ".join(line.split())
        if text.startswith(("```", "~~~")):
            in_code = not in_code
        elif text and not in_code and not text.startswith("|"):
            shown.append((number, text))
    return shown


def restarts(lines: list[str]) -> int | None:
    """Where prose starts a part of the answer over: a line said word for word earlier (at
    least ``_RESTATED`` characters), followed by a line much like the one that followed it
    then, or None. SmolLM2's Explain of the demo's ``word_count`` gave "Here's a breakdown of
    the code:" and its three bullets twice, the bullets reworded a little the second time, so
    neither the same run of lines nor a sentence said three times caught it."""
    prose = _prose(lines)
    first: dict[str, int] = {}
    for at, (number, text) in enumerate(prose[:-1]):
        earlier = first.setdefault(text, at)
        if earlier == at or len(text) < _RESTATED:
            continue
        then, now = prose[earlier + 1][1], prose[at + 1][1]
        if then != text and SequenceMatcher(None, then, now).ratio() >= _ALIKE:
            return number
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


_STRETCH = 16
_LONGEST_STRETCH = 400
_TIMES = 3


def loop_in_line(line: str) -> int | None:
    """Where ``line``, which ends saying one stretch over and over (three times in a row or
    more), starts saying it the second time, or None. SmolLM2 loops inside one line too, and then
    never ends a line for the other checks to see: 3 of its 30 explanations of bench/quality.py's
    functions ran to maxTokens so ("returns a function that takes a single argument `comp` and
    returns a function that takes ...", "a stat stat stat ...", and a string concatenated with
    itself in a code line)."""
    n = len(line)
    for size in range(_STRETCH, min(_LONGEST_STRETCH, n // _TIMES) + 1):
        # A cheap look at one character first: most sizes fail it.
        if not line[n - 1] == line[n - 1 - size] == line[n - 1 - 2 * size]:
            continue
        stretch = line[n - size :]
        if not (line.startswith(stretch, n - 2 * size) and line.startswith(stretch, n - 3 * size)):
            continue
        if sum(char.isalpha() for char in stretch) < 2:
            continue  # a rule of `=====`, a row of zeros
        start = n - 3 * size
        while start > 0 and line[start - 1] == line[start - 1 + size]:
            start -= 1
        return start + size
    return None


def _said_once(line: str, cut: int) -> str:
    """``line`` before ``cut`` (where it says its stretch again), back to its last sentence's
    end, or else its last whole word."""
    head = line[:cut]
    ends = [head.rfind(mark) for mark in (". ", "! ", "? ", ": ")]
    end = max(ends)
    if end > 0:
        return head[: end + 1]
    return head[: head.rfind(" ")].rstrip() if " " in head.strip() else ""


def _detected(lines: list[str]) -> tuple[int | None, ...]:
    return repeats(lines), looping_prose(lines), doubled(lines), restarts(lines)


def cut_repetition(lines: list[str]) -> list[str]:
    """An answer (documentation, an explanation) up to where a looping model started repeating
    itself, without the section heading or example left open at the cut."""
    found = [at for at in _detected(lines) if at is not None]
    start = min(found, default=None)
    for number, line in enumerate(lines[:start]):
        cut = loop_in_line(line)
        if cut is not None:
            kept = _said_once(line, cut)
            lines = [*lines[:number], *([kept] if kept.strip() else [])]
            start = len(lines)
            break
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


def on_complete_lines(test: Callable[[str], bool]) -> Callable[[str], bool]:
    """A test for a streaming reply that runs ``test`` on its complete lines, once each time
    a line is completed: between newlines nothing new could change its answer, and chunks
    arrive a few characters at a time."""
    seen = 0

    def check(reply: str) -> bool:
        nonlocal seen
        count = reply.count("\n")
        if count == seen:
            return False
        seen = count
        return test(reply[: reply.rfind("\n") + 1])

    return check


def starts_repeating(reply: str) -> bool:
    """Whether the complete lines of a streaming ``reply`` already repeat themselves, or the
    line it is writing says one stretch over and over."""
    lines = reply[: reply.rfind("\n") + 1].splitlines()
    if any(at is not None for at in _detected(lines)):
        return True
    return loop_in_line(reply[reply.rfind("\n") + 1 :]) is not None


_CIRCLING_LINE = 20


def _runs(text: str, span: int) -> Counter[tuple[str, ...]]:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith(("```", "~~~"))]
    return Counter(tuple(lines[at : at + span]) for at in range(len(lines) - span + 1))


# A streaming rewrite that repeats itself checks its answer against the same file once per line:
# counting the file's runs once makes that about 8 times cheaper for a 250-line file. Two
# entries: the file being rewritten, and one other. Read only: a Counter gives 0 for a missing
# run without storing it.
_file_runs = functools.lru_cache(maxsize=2)(_runs)


def circling(reply: str, source: str, times: int = 3, span: int = 1) -> tuple[str, int] | None:
    """The run of ``span`` lines (blank lines aside) that ``reply`` says most often, when it
    says it at least ``times`` times and more often than ``source`` (the file) does, with how
    often: a model writing the same code round and round, as SmolLM2 did in ``make demo``'s
    Refactor (``def mean_of_positive_with_default_lambda(values):`` and its ``return`` line
    eight times, until maxTokens). A run counts when one of its lines is at least
    ``_CIRCLING_LINE`` characters long (a closing brace is anyone's). None otherwise."""

    said = _runs(reply, span)
    if max(said.values(), default=0) < times:
        return None
    for run, count in said.most_common():
        if count < times:
            break
        # The file is counted only for a run said often enough: most answers have none.
        if (
            max(len(line) for line in run) >= _CIRCLING_LINE
            and count > _file_runs(source, span)[run]
        ):
            return max(run, key=len), count
    return None
