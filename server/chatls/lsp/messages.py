"""Telling the user: one ``window/showMessage`` per outcome, logged too (keys never shown)."""

from __future__ import annotations

import logging

from lsprotocol import types
from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)

_SEVERITY = {
    "error": types.MessageType.Error,
    "warning": types.MessageType.Warning,
    "info": types.MessageType.Info,
}


def notify_user(server: LanguageServer, message: str, severity: str = "error") -> None:
    log.log(logging.WARNING if severity != "info" else logging.INFO, "%s", message)
    server.window_show_message(
        types.ShowMessageParams(type=_SEVERITY[severity], message=f"chatls: {message}")
    )
