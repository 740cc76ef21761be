"""Recording what each action did into the local history (``chatls.history``), and telling a
backend that stored the completion how it ended. Nothing here waits: the file is written on a
worker thread, the backend told in a task of its own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import os
from collections.abc import Callable
from typing import Any

from lsprotocol import types

from chatls.actions.catalog import ActionResult
from chatls.actions.threads import Thread
from chatls.config import Settings
from chatls.exclude import excluded_by
from chatls.history.store import History, Record, default_path
from chatls.lsp.server import ChatlsServer

log = logging.getLogger(__name__)

_OPEN: dict[tuple[str, int], History] = {}
_WRITER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="history")
"""One thread writes the history, so its writes land in the order they were made."""
_TASKS: set[asyncio.Task[None]] = set()


def history(settings: Settings) -> History | None:
    """The history the settings ask for; None when off, or in a workspace the editor says is
    untrusted."""
    if not settings.history.enabled or settings.workspace_trusted is False:
        return None
    path = os.path.expanduser(settings.history.path) if settings.history.path else default_path()
    key = (path, settings.history.max_entries)
    if key not in _OPEN:
        _OPEN[key] = History(path, settings.history.max_entries)
    return _OPEN[key]


def _write(call: Callable[[], Any]) -> None:
    _WRITER.submit(call)


def record(
    ls: ChatlsServer,
    settings: Settings,
    action: str,
    uri: str,
    range_: types.Range | None,
    outcome: str,
    reason: str = "",
    result: ActionResult | None = None,
) -> str | None:
    """Keep what ``action`` did on ``uri``; returns the record's id (None when nothing is
    kept)."""
    kept = history(settings)
    if kept is None:
        return None
    document = ls.workspace.text_documents.get(uri)
    path = document.path if document is not None else None
    root = ls.workspace.root_path
    if excluded_by(path, root, settings.exclude):
        return None
    file = os.path.relpath(path, root) if path and root else (path or uri)
    target = ""
    if range_ is not None:
        first, last = range_.start.line + 1, range_.end.line + 1
        if range_.end.character == 0 and last > first:
            last -= 1
        target = f"{first}-{last}" if last > first else str(first)
    messages: list[dict[str, Any]] = []
    reply = ""
    if result is not None and result.conversation is not None:
        sent, reply = result.conversation.last_exchange()
        messages = list(sent)
    elif result is not None and result.markdown is not None:
        reply = result.markdown
    entry = Record(
        action=action,
        file=file,
        target=target,
        model=(result.model if result is not None and result.model else settings.model),
        outcome=outcome,
        reason=reason,
        reply=reply,
        messages=messages,
        prompt_tokens=_prompt_tokens(result),
        answer_tokens=_answer_tokens(result, reply),
        workspace=root or "",
        remote_id=result.remote_id if result is not None else None,
    )
    _write(functools.partial(kept.add, entry))
    if result is not None:
        tell_backend(ls, settings, result.remote_id, outcome)
    return entry.id


def _prompt_tokens(result: ActionResult | None) -> int | None:
    """The backend's count, else chatls's own (a reply closed as soon as it was whole comes
    without the backend's usage)."""
    if result is None:
        return None
    if result.usage and result.usage.get("prompt_tokens"):
        return result.usage["prompt_tokens"]
    return result.prompt_tokens or None


def _answer_tokens(result: ActionResult | None, reply: str) -> int | None:
    if result is None or not reply:
        return None
    if result.usage and result.usage.get("completion_tokens"):
        return result.usage["completion_tokens"]
    from chatls.context.tokens import TokenCounter

    return TokenCounter(result.model or "gpt-4o").count(reply)


def update(
    ls: ChatlsServer,
    settings: Settings,
    record_id: str | None,
    outcome: str,
    remote_id: str | None,
    reason: str = "",
) -> None:
    """An action's outcome became known after it was recorded (an offered edit applied, an edit
    undone, a review decided): the local record says so, and so does the completion the backend
    stored (``store``), whose metadata is all a user of the provider's dashboard sees."""
    kept = history(settings)
    if kept is not None and record_id is not None:
        changes = {"outcome": outcome, **({"reason": reason} if reason else {})}
        _write(functools.partial(kept.update, record_id, **changes))
    tell_backend(ls, settings, remote_id, outcome)


def follow(thread: Thread, record_id: str | None, result: ActionResult, outcome: str) -> None:
    """Tie the thread's latest edit to its record, so that what later happens to the edit in
    the document (``watch_threads``) updates both records."""
    thread.record = record_id
    thread.remote_id = result.remote_id
    thread.outcome = outcome


def tell_backend(ls: ChatlsServer, settings: Settings, remote_id: str | None, outcome: str) -> None:
    """Set the stored completion's outcome in its metadata (``store``), without waiting."""
    if not settings.store or remote_id is None:
        return

    async def send() -> None:
        try:
            client = await ls.backends.client(settings, lambda _: None)
            from chatls.model.stored import set_outcome

            await set_outcome(client, remote_id, outcome)
        except Exception as error:  # a backend without the endpoint: the log says so once
            log.info("could not set the stored completion's outcome: %s", error)

    task = asyncio.ensure_future(send())
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


def watch_threads(ls: ChatlsServer) -> None:
    """An edit that lands, or is undone, updates its record."""

    def changed(thread: Thread, outcome: str) -> None:
        # An edit applied through workspace/applyEdit is recorded as applied already; the
        # document reports the same landing.
        if thread.outcome != outcome:
            thread.outcome = outcome
            update(ls, ls.settings, thread.record, outcome, thread.remote_id)

    ls.threads.on_applied = lambda thread: changed(thread, "applied")
    ls.threads.on_undone = lambda thread: changed(thread, "undone")


def count_completion(ls: ChatlsServer, settings: Settings, shown: int) -> None:
    kept = history(settings)
    if kept is not None:
        counts = {"inline_completions": 1, "inline_completions_shown": 1 if shown else 0}
        _write(functools.partial(kept.count, counts))


def flush() -> None:
    """Write what is still held (the counters), before the server exits."""
    for kept in _OPEN.values():
        _write(kept.flush)
    _WRITER.shutdown(wait=True)


async def recent(settings: Settings, asked: dict[str, Any]) -> dict[str, Any]:
    """What ``chatls.history`` answers: ``{"records": [...]}`` newest first without their
    messages, or ``{"record": {...}}`` whole for an ``id``; read off the event loop."""
    kept = history(settings)
    if kept is None:
        return {"records": [], "enabled": False}
    records = await asyncio.get_running_loop().run_in_executor(_WRITER, kept.records)
    wanted = asked.get("id")
    if isinstance(wanted, str):
        found = next((r for r in records if r.id == wanted), None)
        return {"record": found.to_json() if found is not None else None}
    chosen = sorted(records, key=lambda r: r.time, reverse=True)
    if isinstance(asked.get("action"), str):
        chosen = [r for r in chosen if r.action == asked["action"]]
    if isinstance(asked.get("file"), str):
        chosen = [r for r in chosen if asked["file"] in r.file]
    limit = asked.get("limit")
    chosen = chosen[: limit if isinstance(limit, int) and limit > 0 else 50]
    summaries = []
    for record in chosen:
        data = record.to_json()
        del data["messages"]
        summaries.append(data)
    return {"records": summaries, "enabled": True}
