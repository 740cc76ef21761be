"""Ask: a free question about the selection (or the function around the cursor), answered in
Markdown like Explain. A question about code an Explain or an Ask already answered follows up:
it continues that thread."""

from __future__ import annotations

from chatls.actions.base import ActionRun
from chatls.actions.catalog import ActionResult
from chatls.actions.conversation import render
from chatls.actions.explain import answer
from chatls.actions.followup import follow_up
from chatls.actions.listing import NEEDS_TEXT
from chatls.errors import InvalidRequestError
from chatls.targets.rules import Rule, Target

TARGET = Rule(
    "scope",
    "region",
    nothing="Select the code to ask about: there is no function or class around the cursor.",
)


async def run(action: ActionRun, target: Target) -> ActionResult:
    question = (action.request.question or "").strip()
    if not question:
        raise InvalidRequestError(NEEDS_TEXT["question"])
    thread = action.request.conversation
    if thread is not None:
        action.follow_up = await follow_up(action, thread, render("ask", {"question": question}))
    return await answer(action, target, {"question": question})
