"""Ask: a free question about the selection (or the function around the cursor), answered in
Markdown like Explain. A question about code an Explain or an Ask already answered follows up:
it continues that thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatls.actions.declaration import Action, Asks
from chatls.actions.explain import answer
from chatls.context.prompts import RequestPlan
from chatls.errors import InvalidRequestError
from chatls.targets.rules import Rule, Target

if TYPE_CHECKING:
    from chatls.actions.base import ActionRun
    from chatls.actions.catalog import ActionResult

QUESTION = Asks(
    "question",
    "chatls ask: ",
    "Ask needs a question, and your editor ran it without one: LSP code actions cannot ask "
    'for text. Use chatls\'s editor plugin, or run the command with {"question": "..."}.',
)


async def run(action: ActionRun, target: Target) -> ActionResult:
    from chatls.actions.conversation import render
    from chatls.actions.followup import follow_up

    question = (action.request.question or "").strip()
    if not question:
        raise InvalidRequestError(QUESTION.missing)
    thread = action.request.conversation
    if thread is not None:
        action.follow_up = await follow_up(action, thread, render("ask", {"question": question}))
    return await answer(action, target, {"question": question})


ACTION = Action(
    "ask",
    "Ask",
    "refactor.chatls.ask",
    run,
    order=20,
    output="markdown",
    continues="answer",
    plan=RequestPlan(local_context="definition"),
    asks=QUESTION,
    target=Rule(
        "scope",
        "region",
        nothing="Select the code to ask about: there is no function or class around the cursor.",
    ),
)
