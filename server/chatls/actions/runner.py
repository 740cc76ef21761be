"""Running one action: from a document snapshot and a range to a result, an explanation or
edits pinned to the snapshot's version.

This is the code both the language server and the headless CLI run. It knows nothing of LSP
transport, and only orchestrates: the actions' own modules say what to ask, ``edits`` turns
the reply into edits.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import attrs

from chatls.actions import (
    ask,
    custom,
    docstring,
    explain,
    fix,
    implement,
    refactor,
    refine,
    translate,
    types,
    unit_tests,
)
from chatls.actions.base import ActionRun, Progress
from chatls.actions.catalog import ActionRequest, ActionResult, find
from chatls.config import Settings
from chatls.errors import ExcludedFileError, InvalidRequestError
from chatls.exclude import excluded_by
from chatls.model.client import ModelClient

if TYPE_CHECKING:
    from chatls.tools.toolbox import Toolbox

_RUN: dict[str, Callable[[ActionRun, int, int], Awaitable[ActionResult]]] = {
    "explain": explain.run,
    "ask": ask.run,
    "refactor": refactor.run,
    "refine": refine.run,
    "fix": fix.run,
    "docstring": docstring.run,
    "implement": implement.run,
    "types": types.run,
    "translate": translate.run,
    "tests": unit_tests.run,
}


async def run_action(
    request: ActionRequest,
    settings: Settings,
    client: ModelClient,
    progress: Progress | None = None,
    toolbox: Toolbox | None = None,
) -> ActionResult:
    """Run one action on a snapshot; raises ``ChatlsError`` with a message for the user.
    With a ``toolbox``, the model may look things up in the workspace first (``tools``)."""
    if find(request.action, settings) is None:
        raise InvalidRequestError(f"Unknown action `{request.action}`.")
    document = request.document
    pattern = excluded_by(document.path, request.workspace_root, settings.exclude)
    if pattern is not None:
        raise ExcludedFileError(
            f"chatls does not send {os.path.basename(document.path or document.uri)} to a model: "
            f"it matches the `exclude` pattern `{pattern}`."
        )
    run = _RUN.get(request.action, custom.run)
    if request.action == "refine":
        # A Refine is the next turn of the action that started the thread: its model, budget
        # and output format.
        started = request.conversation.action if request.conversation else None
        info = find(started, settings) if started is not None else None
        if info is None or not info.edits:
            raise InvalidRequestError(
                "Refine continues the conversation behind an edit chatls made, and none was given."
            )
        request = attrs.evolve(request, action=info.id)
    action = ActionRun(request, settings, client, progress or (lambda message: None), toolbox)
    start, end = action.code.index.span(request.range)
    return await run(action, start, end)
