"""Answers as hovers over the code they are about."""

from __future__ import annotations

from lsprotocol import types

from chatls.lsp import hovers
from chatls.lsp.server import ChatlsServer


def register(server: ChatlsServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: ChatlsServer, params: types.HoverParams) -> types.Hover | None:
        return hovers.hover(ls, params)
