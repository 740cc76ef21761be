"""Initialisation, settings and shutdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from chatls.documents import replace_workspace

if TYPE_CHECKING:
    from chatls.server import ChatlsServer


def register(server: ChatlsServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: ChatlsServer, params: types.InitializeParams) -> None:
        ls.protocol._workspace = replace_workspace(ls.workspace)
        ls.initialization_options = params.initialization_options
        ls.settings_loading()
        if ls.settings.inline_completion.as_completion_items:
            from chatls.features.inline_completion import register_completion_items

            register_completion_items(ls)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: ChatlsServer, params: types.InitializedParams) -> None:
        await ls.reload_settings()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: ChatlsServer, params: types.DidChangeConfigurationParams
    ) -> None:
        await ls.reload_settings(params.settings)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: ChatlsServer, params: None) -> None:
        await ls.close_backends()
