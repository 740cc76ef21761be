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
_creating: set[asyncio.Task[types.ProgressToken | None]] = set()


async def with_progress(
    server: LanguageServer,
    tasks: Tasks,
    title: str,
    token: types.ProgressToken | None,
    work: Callable[[Callable[[str], None]], Awaitable[T]],
    show: bool,
) -> T:
    """Run ``work`` under cancellable work-done progress; ``show`` when the client shows
    progress it did not ask for. A token the server creates is begun once the editor accepts
    it, while the work already runs: waiting for that answer put an editor round trip before
    every model request."""
    task = asyncio.current_task()
    progress = server.work_done_progress
    latest = "Preparing…"
    begun: types.ProgressToken | None = None
    finished = False

    def begin(accepted: types.ProgressToken) -> None:
        nonlocal begun
        if task is not None:
            tasks.track_token(accepted, task)
        progress.begin(
            accepted,
            types.WorkDoneProgressBegin(title=title, cancellable=True, message=latest),
        )
        begun = accepted

    def report(message: str) -> None:
        nonlocal latest
        latest = message
        if begun is not None:
            progress.report(begun, types.WorkDoneProgressReport(message=message))

    def created(done: asyncio.Task[types.ProgressToken | None]) -> None:
        accepted = None if done.cancelled() else done.result()
        if accepted is None:
            return
        begin(accepted)
        if finished:
            # The work ended before the editor answered: close what it now shows.
            end(accepted)

    def end(token: types.ProgressToken) -> None:
        tasks.untrack_token(token)
        progress.tokens.pop(token, None)
        progress.end(token, types.WorkDoneProgressEnd(message=outcome))

    if token is not None:
        begin(token)
    elif show:
        creating = asyncio.ensure_future(_create(server, f"chatls-{uuid.uuid4()}"))
        # The event loop holds tasks weakly; this one may outlive the work.
        _creating.add(creating)
        creating.add_done_callback(_creating.discard)
        creating.add_done_callback(created)
    outcome = "Failed"
    try:
        result = await work(report)
        outcome = "Done"
        return result
    except asyncio.CancelledError:
        outcome = "Cancelled"
        raise
    finally:
        finished = True
        if begun is not None:
            end(begun)


async def _create(server: LanguageServer, token: types.ProgressToken) -> types.ProgressToken | None:
    """``token`` once the editor accepted it, else None."""
    try:
        await server.work_done_progress.create_async(token)
    except Exception as error:
        log.info("client refused a progress token: %s", error)
        return None
    return token
