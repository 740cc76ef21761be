"""The answers to a review: ``chatls.review.accept`` (``{"id": ..., "hunks": [0, 2]}``, every
hunk when ``hunks`` is left out) and ``chatls.review.reject`` (``{"id": ...}``)."""

from __future__ import annotations

from typing import Any

from chatls.errors import ChatlsError, InvalidRequestError
from chatls.lsp import review

# pygls reads command handlers' annotations at run time, so this import cannot be type-only.
from chatls.lsp.server import ChatlsServer


def register(server: ChatlsServer) -> None:
    @server.command(review.ACCEPT)
    async def accept(ls: ChatlsServer, *arguments: Any) -> dict[str, Any] | None:
        try:
            review_id, hunks = _arguments(arguments)
            return await review.accept(ls, review_id, hunks)
        except ChatlsError as error:
            ls.notify_user(str(error), error.severity)
            return None

    @server.command(review.REJECT)
    def reject(ls: ChatlsServer, *arguments: Any) -> dict[str, Any] | None:
        try:
            review_id, _ = _arguments(arguments)
            return review.reject(ls, review_id)
        except ChatlsError as error:
            ls.notify_user(str(error), error.severity)
            return None


def _arguments(arguments: tuple[Any, ...]) -> tuple[str, list[int] | None]:
    raw = arguments[0] if arguments and isinstance(arguments[0], dict) else None
    if raw is None or not isinstance(raw.get("id"), str):
        raise InvalidRequestError(
            'The command needs the review\'s id: {"id": ..., "hunks": [...]}.'
        )
    hunks = raw.get("hunks")
    if hunks is not None and (
        not isinstance(hunks, list)
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in hunks)
    ):
        raise InvalidRequestError("The command's `hunks` argument is a list of hunk numbers.")
    return raw["id"], hunks
