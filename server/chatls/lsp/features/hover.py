"""Explanations as hovers, kept in step with edits."""

from __future__ import annotations

from lsprotocol import types

from chatls.lsp import hovers
from chatls.lsp.server import ChatlsServer


def register(server: ChatlsServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: ChatlsServer, params: types.HoverParams) -> types.Hover | None:
        return hovers.hover(ls, params)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ChatlsServer, params: types.DidChangeTextDocumentParams) -> None:
        for change in params.content_changes:
            change_range = getattr(change, "range", None)
            ls.explanations.changed(params.text_document.uri, change_range, change.text)
