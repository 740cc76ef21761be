"""Which task runs which request or progress token, so a cancellation from the editor (a
``$/cancelRequest``, or the cancel button of a progress notification) stops the right one."""

from __future__ import annotations

import asyncio
from typing import Any

from lsprotocol import types


class Tasks:
    def __init__(self) -> None:
        self._by_request: dict[Any, asyncio.Task[Any]] = {}
        self._by_token: dict[types.ProgressToken, asyncio.Task[Any]] = {}

    def track_request(self, msg_id: Any, task: asyncio.Task[Any]) -> None:
        self._by_request[msg_id] = task

    def untrack_request(self, msg_id: Any) -> None:
        self._by_request.pop(msg_id, None)

    def track_token(self, token: types.ProgressToken, task: asyncio.Task[Any]) -> None:
        self._by_token[token] = task

    def untrack_token(self, token: types.ProgressToken) -> None:
        self._by_token.pop(token, None)

    def cancel_request(self, msg_id: Any) -> None:
        task = self._by_request.pop(msg_id, None)
        if task is not None:
            task.cancel()

    def cancel_progress(self, token: types.ProgressToken) -> None:
        task = self._by_token.pop(token, None)
        if task is not None:
            task.cancel()
