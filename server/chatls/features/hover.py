"""Explanations as hovers, kept in step with edits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from chatls.server import ChatlsServer


def register(server: ChatlsServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: ChatlsServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ChatlsServer, params: types.DidChangeTextDocumentParams) -> None:
        for change in params.content_changes:
            change_range = getattr(change, "range", None)
            ls.explanations.changed(params.text_document.uri, change_range, change.text)
