"""Code actions: listing, resolve, the commands (one per built-in action, and ``chatls.action``
for the custom ones), and progress cancellation."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from chatls.actions import quickfix
from chatls.actions.declaration import CUSTOM_COMMAND
from chatls.actions.registry import builtin
from chatls.lsp import commands

# pygls reads command handlers' annotations at run time, so this import cannot be type-only.
from chatls.lsp.server import ChatlsServer

KINDS = [info.kind for info in builtin().values()] + [quickfix.KIND]


def register(server: ChatlsServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=KINDS, resolve_provider=True),
    )
    def code_action(ls: ChatlsServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return commands.code_actions(ls, params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve(ls: ChatlsServer, action: types.CodeAction) -> types.CodeAction:
        return await commands.resolve(ls, action)

    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def cancel(ls: ChatlsServer, params: types.WorkDoneProgressCancelParams) -> None:
        ls.tasks.cancel_progress(params.token)

    for info in builtin().values():
        _register_command(server, info.command, info.id)
    _register_command(server, CUSTOM_COMMAND, CUSTOM_COMMAND)


def _register_command(server: ChatlsServer, command: str, action: str) -> None:
    @server.command(command)
    async def run(ls: ChatlsServer, *arguments: Any) -> dict[str, Any] | None:
        return await commands.execute(ls, action, list(arguments), None)
