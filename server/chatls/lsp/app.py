"""The server with its features registered: what ``chatls`` runs."""

from __future__ import annotations

from chatls.lsp.features import register_all
from chatls.lsp.server import ChatlsServer


def create_server() -> ChatlsServer:
    server = ChatlsServer()
    register_all(server)
    return server
