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


async def run(action: ActionRun, start: int, end: int) -> ActionResult:
    question = (action.request.question or "").strip()
    if not question:
        raise InvalidRequestError(NEEDS_TEXT["question"])
    thread = action.request.conversation
    if thread is not None:
        action.follow_up = await follow_up(action, thread, render("ask", {"question": question}))
    return await answer(action, start, end, "ask about", {"question": question})
