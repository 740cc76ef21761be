"""How sure the model was of a completion, from the log probabilities of the tokens that would be
shown: ghost text that is a guess is worse than none."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs


@attrs.frozen
class Confidence:
    mean: float
    """The geometric mean of the shown tokens' probabilities (exp of their mean log
    probability), from 0 to 1."""
    first: float
    """The probability of the first shown token."""
    tokens: int
    """How many tokens it was computed over."""


def confidence(tokens: Sequence[dict[str, Any]], raw: str, shown: str) -> Confidence | None:
    """The confidence of ``shown``, the text cleaned from the model's ``raw`` reply, over the
    tokens of ``raw`` that make it up (``tokens`` as the backend sent them: ``token`` and
    ``logprob``). None when the backend sent none, or they do not spell ``raw``."""
    pieces = [(str(t.get("token", "")), t.get("logprob")) for t in tokens]
    if not pieces or any(not isinstance(p, int | float) for _, p in pieces):
        return None
    if "".join(text for text, _ in pieces) != raw:
        # A backend that sends byte pieces, or tokens for another choice: not this reply's.
        return None
    core = shown.strip()
    start = raw.find(core) if core else -1
    if start < 0:
        # Cleaning rewrote it (indentation, a stripped echo): judge the whole reply.
        start, end = 0, len(raw)
    else:
        end = start + len(core)
    chosen: list[float] = []
    offset = 0
    for text, logprob in pieces:
        following = offset + len(text)
        if following > start and offset < end and text.strip():
            chosen.append(float(logprob))  # type: ignore[arg-type]
        offset = following
    if not chosen:
        return None
    return Confidence(
        mean=math.exp(sum(chosen) / len(chosen)), first=math.exp(chosen[0]), tokens=len(chosen)
    )
