"""Work-done progress for long work: the client's token or one the server creates, its reports,
and the cancel button wired to the work's task. Frequent reports (chunks received) are
throttled where they come from, so every other step (a lookup the model asked for) is shown."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from chatls.lsp.tasks import Tasks

log = logging.getLogger(__name__)
T = TypeVar("T")


async def with_progress(
    server: LanguageServer,
    tasks: Tasks,
    title: str,
    token: types.ProgressToken | None,
    work: Callable[[Callable[[str], None]], Awaitable[T]],
    show: bool,
) -> T:
    """Run ``work`` under cancellable work-done progress; ``show`` when the client shows
    progress it did not ask for."""
    task = asyncio.current_task()
    if token is None and show:
        token = f"chatls-{uuid.uuid4()}"
        try:
            await server.work_done_progress.create_async(token)
        except Exception as error:
            log.info("client refused a progress token: %s", error)
            token = None
    progress = server.work_done_progress

    def report(message: str) -> None:
        if token is not None:
            progress.report(token, types.WorkDoneProgressReport(message=message))

    if token is not None and task is not None:
        tasks.track_token(token, task)
        progress.begin(
            token,
            types.WorkDoneProgressBegin(title=title, cancellable=True, message="Preparing…"),
        )
    outcome = "Failed"
    try:
        result = await work(report)
        outcome = "Done"
        return result
    except asyncio.CancelledError:
        outcome = "Cancelled"
        raise
    finally:
        if token is not None:
            tasks.untrack_token(token)
            progress.tokens.pop(token, None)
            progress.end(token, types.WorkDoneProgressEnd(message=outcome))
