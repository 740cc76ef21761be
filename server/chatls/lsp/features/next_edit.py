"""``chatls/nextEdit``: the edit that follows the user's recent ones, for editor plugins, and
``chatls/nextEditFeedback``: which suggestions were shown, accepted or dismissed."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from chatls.lsp.server import ChatlsServer

REQUEST = "chatls/nextEdit"
FEEDBACK = "chatls/nextEditFeedback"


def register(server: ChatlsServer) -> None:
    @server.feature(REQUEST)
    async def next_edit(ls: ChatlsServer, params: Any) -> dict[str, Any]:
        from chatls.lsp import next_edits

        raw = _plain(params)
        document = raw.get("textDocument") or {}
        position = raw.get("position") or {}
        uri, version = document.get("uri"), document.get("version")
        line, character = position.get("line"), position.get("character")
        if (
            not isinstance(uri, str)
            or not _count(line)
            or not _count(character)
            or not isinstance(line, int)
            or not isinstance(character, int)
        ):
            return next_edits.NOTHING
        found = await next_edits.predict(
            ls,
            ls.document_uri(uri),
            version if isinstance(version, int) else None,
            types.Position(line=line, character=character),
        )
        return next_edits.answer(found)

    @server.feature(FEEDBACK)
    def next_edit_feedback(ls: ChatlsServer, params: Any) -> None:
        from chatls.lsp import next_edits

        raw = _plain(params)
        next_edits.feedback(ls, raw.get("id"), raw.get("outcome"))


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _plain(params: Any) -> dict[str, Any]:
    """Custom methods' params as plain data, however pygls handed them over."""
    if isinstance(params, dict):
        return params
    if hasattr(params, "_asdict"):
        return {k: _plain(v) if hasattr(v, "_asdict") else v for k, v in params._asdict().items()}
    if hasattr(params, "__dict__"):
        return {k: _plain(v) if hasattr(v, "__dict__") else v for k, v in vars(params).items()}
    return {}
