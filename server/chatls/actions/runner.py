"""Running one action: from a document snapshot and a range to a result, an explanation or
edits pinned to the snapshot's version.

This is the code both the language server and the headless CLI run. It knows nothing of LSP
transport, and only orchestrates: the action's declaration (``chatls.actions.registry``) gives
its target rule, which the target stage (``chatls.targets``) applies to the range, and its
``run``, which says what to ask and has ``edits`` turn the reply into edits.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

import attrs

from chatls.actions.base import ActionRun, Progress
from chatls.actions.catalog import ActionRequest, ActionResult
from chatls.actions.declaration import Run
from chatls.actions.registry import find
from chatls.config import Settings
from chatls.errors import ChatlsError, ExcludedFileError, InvalidRequestError, ModelError
from chatls.exclude import excluded_by
from chatls.model.client import ModelClient
from chatls.source.code import Code
from chatls.targets.rules import Target, resolve

if TYPE_CHECKING:
    from chatls.tools.rules import RulesFinder
    from chatls.tools.toolbox import Toolbox


@attrs.frozen
class Prepared:
    """An action ready to run: its request, the snapshot read once, and its target."""

    request: ActionRequest
    code: Code
    target: Target
    run: Run = attrs.field(eq=False)

    def label(self) -> str:
        """The target as progress names it (``Stack.pop``, ``lines 4-9``)."""
        return self.target.label(self.code.index)


def prepare(request: ActionRequest, settings: Settings) -> Prepared:
    """Check the request and find its target, before any progress or model; raises
    ``ChatlsError`` with a message for the user (``SeveralDefinitions`` when the user has a
    definition to choose)."""
    declared = find(request.action, settings)
    if declared is None:
        raise InvalidRequestError(f"Unknown action `{request.action}`.")
    document = request.document
    pattern = excluded_by(document.path, request.workspace_root, settings.exclude)
    if pattern is not None:
        raise ExcludedFileError(
            f"chatls does not send {os.path.basename(document.path or document.uri)} to a model: "
            f"it matches the `exclude` pattern `{pattern}`."
        )
    if declared.continues == "edit":
        # The next turn of the action that started the thread: its model, budget and output
        # format.
        started = request.conversation.action if request.conversation else None
        info = find(started, settings) if started is not None else None
        if info is None or not info.edits:
            raise InvalidRequestError(
                f"{declared.title} continues the conversation behind an edit chatls made, and "
                "none was given."
            )
        request = attrs.evolve(request, action=info.id)
    code = Code(request.document, request.encoding)
    if declared.check is not None:
        declared.check(code)
    start, end = code.index.span(request.range)
    return Prepared(request, code, resolve(code, start, end, declared.target), declared.run)


async def run_action(
    request: ActionRequest,
    settings: Settings,
    client: ModelClient,
    progress: Progress | None = None,
    toolbox: Toolbox | None = None,
    prepared: Prepared | None = None,
    rules: RulesFinder | None = None,
    read_ahead: bool = False,
) -> ActionResult:
    """Run one action on a snapshot; raises ``ChatlsError`` with a message for the user.
    With a ``toolbox``, the model may look things up in the workspace first (``tools``).
    ``prepared`` is what ``prepare`` gave for this request, when the caller needed the target
    first (to name it in progress). ``rules`` finds the project's rules files (``rules``).
    ``read_ahead``: more actions on the file may follow (an editor's session, not one command),
    so the built-in model may read the file ahead afterwards (``chatls.actions.read_ahead``)."""
    ready = prepared or prepare(request, settings)
    declared = find(ready.request.action, settings)
    if declared is None:
        raise InvalidRequestError(f"Unknown action `{ready.request.action}`.")
    action = ActionRun(
        ready.request,
        declared,
        settings,
        client,
        progress or (lambda message: None),
        toolbox,
        ready.code,
        rules,
    )
    await action.look_up_definitions(ready.target.start, ready.target.end)
    try:
        result = await ready.run(action, ready.target)
    except ModelError:
        raise
    except ChatlsError:
        # A refusal of the answer: the model is up, and the user at work on this file.
        if read_ahead:
            _read_ahead_soon(action, ready.target)
        raise
    if read_ahead:
        _read_ahead_soon(action, ready.target)
    return result


def _read_ahead_soon(action: ActionRun, target: Target) -> None:
    """Once the result is on its way: building the prompts to read ahead takes a few ms."""
    from chatls.actions.read_ahead import read_window_ahead

    asyncio.get_running_loop().call_soon(read_window_ahead, action, target)
