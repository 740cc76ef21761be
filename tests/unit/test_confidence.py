"""A completion's confidence comes from the tokens that would be shown, not the whole reply."""

from __future__ import annotations

import math

import pytest

from chatls.completion.confidence import confidence


def tokens(*pairs: tuple[str, float]) -> list[dict[str, object]]:
    return [{"token": text, "logprob": logprob} for text, logprob in pairs]


def test_only_the_shown_tokens_count() -> None:
    # The model repeated the line's start (cleaned away) before the part that is shown.
    reply = tokens(("total", -5.0), (" = ", -4.0), ("items", -0.1), (")", -0.2))
    sure = confidence(reply, "total = items)", "items")
    assert sure is not None and sure.tokens == 1
    assert sure.mean == pytest.approx(math.exp(-0.1)) and sure.first == pytest.approx(
        math.exp(-0.1)
    )


def test_whitespace_tokens_do_not_dilute_it() -> None:
    reply = tokens(("\n", -9.0), ("    ", -9.0), ("return", -0.5), (" x", -1.5))
    sure = confidence(reply, "\n    return x", "return x")
    assert sure is not None and sure.tokens == 2
    assert sure.mean == pytest.approx(math.exp(-1.0))
    assert sure.first == pytest.approx(math.exp(-0.5))


@pytest.mark.parametrize(
    "reply",
    [
        [],  # not sent
        tokens(("ite", -0.1)),  # tokens of something else than this reply
        [{"token": "items", "logprob": None}],  # no number
    ],
)
def test_no_usable_tokens_no_confidence(reply: list[dict[str, object]]) -> None:
    assert confidence(reply, "items", "items") is None


def test_a_rewritten_suggestion_is_judged_by_the_whole_reply() -> None:
    reply = tokens(("\tif", -0.2), (" x:", -0.4))
    sure = confidence(reply, "\tif x:", "    if  x :")
    assert sure is not None and sure.tokens == 2
