"""Initialisation, settings and shutdown."""

from __future__ import annotations

from lsprotocol import types

from chatls.lsp import history, testruns
from chatls.lsp.documents import Listeners, replace_workspace
from chatls.lsp.server import ChatlsServer


class _Canceller:
    """A keystroke supersedes the next-edit prediction in flight for its document."""

    def __init__(self, ls: ChatlsServer) -> None:
        self._ls = ls

    def watches(self, uri: str) -> bool:
        return True

    def changed(
        self, uri: str, start: int, end: int, new_text: str, text: str, before: str
    ) -> None:
        self._ls.supersede_prediction(uri)


def register(server: ChatlsServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: ChatlsServer, params: types.InitializeParams) -> None:
        ls.protocol._workspace = replace_workspace(
            ls.workspace, Listeners(ls.threads, ls.edit_history, _Canceller(ls))
        )
        history.watch_threads(ls)
        ls.store.loading(params.initialization_options)
        if ls.settings.inline_completion.as_completion_items:
            from chatls.lsp.features.inline_completion import register_completion_items

            register_completion_items(ls)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: ChatlsServer, params: types.InitializedParams) -> None:
        await ls.store.reload()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: ChatlsServer, params: types.DidChangeConfigurationParams
    ) -> None:
        await ls.store.reload(params.settings)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: ChatlsServer, params: None) -> None:
        testruns.cancel_all()
        history.flush()
        await ls.close_backends()
