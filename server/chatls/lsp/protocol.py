"""pygls's protocol with the changes chatls needs: the client's progress token reaches the
command's task, ``$/cancelRequest`` reaches the command's own task, and a handled notification
leaves nothing behind."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Generator
from typing import Any

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

command_token: contextvars.ContextVar[types.ProgressToken | None] = contextvars.ContextVar(
    "chatls_command_token", default=None
)
"""The ``workDoneToken`` of the ``workspace/executeCommand`` being run."""


class ChatlsProtocol(LanguageServerProtocol):
    on_cancel: Callable[[Any], None] = staticmethod(lambda msg_id: None)
    """Told the id of every request the client cancels."""
    experimental: Callable[[], Any] = staticmethod(lambda: None)
    """What the server's capabilities hold under ``experimental``, asked once ``initialize``'s
    handler has read the settings."""

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        # pygls builds the capabilities from the registered features alone; the actions a
        # client learns at start-up go under ``experimental``.
        result: types.InitializeResult = yield from super().lsp_initialize(params)
        result.capabilities.experimental = self.experimental()
        return result

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        # pygls hands commands their arguments only; the client's progress token travels to
        # the command's task in a context variable.
        command_token.set(params.work_done_token)
        return (yield from super().lsp_workspace__execute_command(params))

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        # pygls 2.1 files every notification's future, and the future of each handler its own
        # generator handlers call (didOpen, didChange, executeCommand...), under a made-up id
        # it never removes: only a client request's answer clears its entry. A day of typing
        # kept every didChange's finished task and result (bench/soak.py: +1,000 futures and
        # +1 MB every minute). Those entries go once their future is done.
        answering = isinstance(callback, functools.partial) and callback.func == getattr(
            self, "_send_handler_result", None
        )
        future = self._request_futures.get(msg_id)
        if future is None or answering:
            return

        def remove(done: Any) -> None:
            if self._request_futures.get(msg_id) is done:
                del self._request_futures[msg_id]

        # Later, on the loop: a future can finish while pygls walks the dict (shutdown cancels
        # every pending one, and a cancelled Future runs its callbacks there and then), or in
        # a worker thread.
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called from a worker thread: pygls's own bookkeeping stays
            return
        future.add_done_callback(lambda done: loop.call_soon_threadsafe(remove, done))

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        # pygls cancels only the request's outer future; an async command keeps running in its
        # own task, which chatls tracks and cancels here.
        super()._handle_cancel_notification(msg_id)
        self.on_cancel(msg_id)
