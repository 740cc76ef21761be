"""Changes shown to the user for review and not answered yet (``chatls.lsp.review`` shows them
and applies what is accepted)."""

from __future__ import annotations

import itertools
from typing import Any

import attrs

from chatls.actions.catalog import ActionResult
from chatls.actions.threads import Thread
from chatls.edits.review import ReviewHunk
from chatls.errors import InvalidRequestError

_KEPT = 16
"""Reviews waiting for an answer, per server; older ones are dropped (the user moved on)."""


@attrs.define
class Review:
    id: str
    title: str
    """The action's title, for labels and messages."""
    result: ActionResult
    thread: Thread | None
    hunks: list[ReviewHunk]
    record: str | None = None
    """Its history record."""


class Reviews:
    """The reviews the user has not answered yet."""

    def __init__(self) -> None:
        self._waiting: dict[str, Review] = {}
        self._ids = itertools.count(1)

    def add(
        self, title: str, result: ActionResult, thread: Thread | None, hunks: list[ReviewHunk]
    ) -> Review:
        review = Review(f"r{next(self._ids)}", title, result, thread, hunks)
        self._waiting[review.id] = review
        while len(self._waiting) > _KEPT:
            del self._waiting[next(iter(self._waiting))]
        return review

    def take(self, review_id: Any) -> Review:
        review = self.get(review_id)
        del self._waiting[review.id]
        return review

    def get(self, review_id: Any) -> Review:
        """The review, still waiting (an accept that is refused leaves it to answer again)."""
        review = self._waiting.get(str(review_id))
        if review is None:
            raise InvalidRequestError(
                f"There is no change waiting for review as `{review_id}`: it was already "
                "accepted or rejected, or chatls restarted. Run the action again."
            )
        return review
