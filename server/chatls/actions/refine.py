"""Refine: the next turn of the conversation behind an edit chatls made. The model gets the whole
thread and the user's instruction, and its answer replaces the code chatls wrote last, through
the same reply → edit pipeline as the action that started the thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatls.actions import docstring
from chatls.actions.declaration import Action, Asks, Offer
from chatls.errors import InvalidRequestError, ReplyError
from chatls.targets.rules import Rule, Target, resolve

if TYPE_CHECKING:
    from chatls.actions.base import ActionRun
    from chatls.actions.catalog import ActionResult

INSTRUCTION = Asks(
    "instruction",
    "chatls refine (instruction): ",
    "Refine needs an instruction (what to change in chatls's last result), and your editor "
    "ran it without one: LSP code actions cannot ask for text. Use chatls's editor plugin, "
    'or run the command with {"instruction": "..."}.',
)


async def run(action: ActionRun, target: Target) -> ActionResult:
    """Refine the target, the code chatls wrote last in the thread of ``action.request`` (run
    with the settings of the action that started it)."""
    from chatls.actions.conversation import render
    from chatls.actions.followup import follow_up
    from chatls.actions.rewriting import rewrite
    from chatls.edits.fitting import region_for_selection

    start, end = target.start, target.end
    instruction = (action.request.instruction or "").strip()
    if not instruction:
        raise InvalidRequestError(INSTRUCTION.missing)
    conversation = action.request.conversation
    if conversation is None:
        raise InvalidRequestError("Refine continues a conversation, and none was given.")
    user = render(
        "refine",
        {
            "instruction": instruction,
            "action": conversation.action,
            "structured": action.structured,
        },
    )
    action.follow_up = await follow_up(action, conversation, user)
    if conversation.action == docstring.ACTION.id:
        return await _redocument(action, start, end)
    region = region_for_selection(action.code.index, start, end)
    return await rewrite(action, region, None, {})


async def _redocument(action: ActionRun, start: int, end: int) -> ActionResult:
    """A new doc comment in place of the one chatls wrote at ``[start, end)``: the definition it
    documents is the one it sits in (Python) or the one below it."""
    text = action.code.text
    at = start if action.code.spec.doc_style == "python" else end
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    rule = docstring.ACTION.target
    result = await docstring.run(action, resolve(action.code, at, at, rule))
    rewritten = action.code.index.span(result.range)
    if rewritten[0] > end or rewritten[1] < start:
        raise ReplyError(
            "chatls could not find the documentation it wrote there any more; nothing changed."
        )
    return result


ACTION = Action(
    "refine",
    "Refine",
    "refactor.rewrite.chatls.refine",
    run,
    order=40,
    edits=True,
    asks=INSTRUCTION,
    offer=Offer("thread"),
    continues="edit",
    settable=False,
    target=Rule("given", "given"),
)
"""The thread names the code: what chatls wrote last."""
