"""``chatls.history``: the recent actions from the local history, for an editor to list
(``{"limit": 50, "action": ..., "file": ...}``), or one of them whole (``{"id": ...}``)."""

from __future__ import annotations

from typing import Any

from chatls.lsp import history

# pygls reads command handlers' annotations at run time, so this import cannot be type-only.
from chatls.lsp.server import ChatlsServer

COMMAND = "chatls.history"


def register(server: ChatlsServer) -> None:
    @server.command(COMMAND)
    async def recent(ls: ChatlsServer, *arguments: Any) -> dict[str, Any]:
        raw = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
        settings = await ls.store.ready()
        return await history.recent(settings, raw)
