"""``tests.run``: once the editor has applied the tests Write tests wrote, run them in the
background (the command answers first, so the new file opens at once) under cancellable
progress, and tell the user how they did in one message. Only in a trusted workspace: VS
Code's workspace trust (``workspaceTrusted``, sent by the extension), else
``tests.trustedFolders``."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any

from chatls.actions.catalog import TestsWritten
from chatls.lsp.progress import with_progress
from chatls.lsp.server import ChatlsServer

if TYPE_CHECKING:
    from chatls.running.tests import RunReport, TestRun

log = logging.getLogger(__name__)

_RUNNING: set[asyncio.Task[None]] = set()

UNTRUSTED = (
    "chatls runs tests only in a workspace you trust: VS Code's workspace trust, or in other "
    "editors a folder listed in `tests.trustedFolders`"
)


def where(path: str, root: str | None) -> str:
    """A path as the user knows it: relative to the workspace when inside it."""
    if root:
        relative = os.path.relpath(path, root)
        if not relative.startswith(".."):
            return relative.replace(os.sep, "/")
    return os.path.basename(path)


def after_write(ls: ChatlsServer, tests: TestsWritten, text: str, appended: bool) -> dict[str, Any]:
    """What the command's result says about the tests, after starting their run when
    ``tests.run`` is on and the workspace is trusted."""
    # The runner loads with the first tests written, keeping it out of start-up.
    from chatls.running.tests import TestRun, trusted

    settings = ls.settings
    info: dict[str, Any] = {"count": len(tests.names), "names": list(tests.names)}
    shown = where(tests.path, ls.workspace.root_path)
    if settings.tests.run == "off":
        info["run"] = "off"
        return info
    if not trusted(settings.workspace_trusted, settings.tests.trusted_folders, tests.project):
        info["run"] = "untrusted"
        count = len(tests.names)
        ls.notify_user(
            f"{count} test{'s' if count != 1 else ''} written to {shown}; not run: {UNTRUSTED}.",
            "info",
        )
        return info
    run = TestRun(
        tests.framework,
        tests.language_id,
        tests.path,
        text,
        tests.names,
        tests.project,
        tests.module,
        appended,
    )
    task = asyncio.get_running_loop().create_task(_run(ls, run, shown))
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    info["run"] = "started"
    return info


async def _run(ls: ChatlsServer, run: TestRun, shown: str) -> None:
    from chatls.running.tests import run_tests, summary

    timeout = ls.settings.tests.timeout
    count = len(run.names)
    title = f"chatls: running {count} new test{'s' if count != 1 else ''}"

    async def work(report: Any) -> RunReport:
        report(f"{shown}…")
        return await run_tests(run, timeout)

    try:
        result = await with_progress(
            ls, ls.tasks, title, None, work, bool(ls.supports("window.work_done_progress"))
        )
    except asyncio.CancelledError:
        ls.notify_user(f"The run of the new tests in {shown} was cancelled; they are kept.", "info")
        return
    except Exception as error:  # the server must outlive any runner
        log.exception("running the new tests failed")
        ls.notify_user(f"chatls could not run the new tests in {shown}: {error}", "warning")
        return
    log.info("tests run: %s", result)
    message, severity = summary(result, count, shown, timeout)
    ls.notify_user(message, severity)


def cancel_all() -> None:
    """At shutdown: every run stops (and its processes with it)."""
    for task in list(_RUNNING):
        task.cancel()
