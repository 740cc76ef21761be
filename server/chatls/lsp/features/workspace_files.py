"""What the workspace tools learn from the editor about files: saves, and changes on disk once
file watching is registered (``chatls.lsp.tools``)."""

from __future__ import annotations

from lsprotocol import types

from chatls.lsp import tools
from chatls.lsp.server import ChatlsServer


def register(server: ChatlsServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ChatlsServer, params: types.DidSaveTextDocumentParams) -> None:
        tools.saved(ls, params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(
        ls: ChatlsServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        tools.files_changed(ls, list(params.changes))
