"""On the built-in backend, after an action that showed the model only part of a file: have the
model read the file's stable window while it is idle (``localPrefill``), since the next action
that shows the file (Refactor, Add types, ...) begins with it.

With the built-in model, Explain, Ask and Fix see the definition alone and Generate docstring
the code around it (their plans' ``local_context`` and ``context``: what works for a tiny
model), so the first action that shows the file reads all of it: 15 to 30 s on two cores
before its first token (bench/prefix_cache.py --mixed: 1% of the later prompts cached). Every
action that shows the window begins with the same system message and the window
(``chatls.context.prompts.messages``); what is read ahead is the common start of two such
prompts on the code in question, which is that part and nothing of either action's own.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import attrs

from chatls.actions.base import ACTION_SLOT, ActionRun
from chatls.actions.registry import builtin
from chatls.context.builder import PromptCode
from chatls.errors import ChatlsError
from chatls.model.client import cache_key
from chatls.model.request import ChatRequest

if TYPE_CHECKING:
    from chatls.targets.rules import Target

log = logging.getLogger(__name__)

_SHOWN = 2
"""Prompts compared: two actions' prompts share exactly what every such action sends first."""


def read_window_ahead(action: ActionRun, target: Target) -> None:
    """After ``action`` on ``target``: have the built-in model read the file's window ahead,
    unless its cache holds it already, the action showed it, or ``localPrefill`` is off."""
    client = action.client
    if (
        client.prefill is None
        or not action.settings.local_prefill
        or action.settled.plan.shows_window
        or client.window_key == cache_key(action.request.document.uri)
    ):
        return
    try:
        request = window_request(action, target)
    except ChatlsError as error:
        log.info("not reading the file ahead: %s", error)
        return
    if request is not None:
        client.read_ahead(request)


def window_request(action: ActionRun, target: Target) -> ChatRequest | None:
    """A request for one token whose prompt is the start every action showing the file's window
    would send for ``target``; None when there is no such start (the window's templates
    overridden, or fewer than two such actions)."""
    shown: list[list[dict[str, str]]] = []
    scope = action.code.syntax.enclosing_scope(target.start, target.end)
    for declared in builtin().values():
        if len(shown) == _SHOWN:
            break
        if declared.continues is not None or not declared.plan.for_backend(local=True).shows_window:
            continue
        wide = ActionRun(
            # The code alone: a thread, a question or a diagnostic belong to the action's own
            # part, which is not read ahead.
            attrs.evolve(
                action.request,
                action=declared.id,
                instruction=None,
                question=None,
                conversation=None,
                diagnostic=None,
                diagnostics=(),
            ),
            declared,
            action.settings,
            action.client,
            lambda message: None,
            code=action.code,
            rules=action.rules_finder,
        )
        prompt = wide.prompt(PromptCode(target.start, target.end, scope), {"partial": False})
        shown.append(prompt.messages)
    if len(shown) < _SHOWN or any(m[:-1] != shown[0][:-1] for m in shown):
        return None
    first, second = (m[-1]["content"] for m in shown)
    same = next(
        (n for n, (a, b) in enumerate(zip(first, second, strict=False)) if a != b),
        min(len(first), len(second)),
    )
    # Up to the last whole line the prompts share.
    common = first[: first.rfind("\n", 0, same) + 1]
    if not common.strip():
        return None
    return ChatRequest(
        model=action.model,
        messages=[*shown[0][:-1], {**shown[0][-1], "content": common}],
        max_tokens=1,
        temperature=0.0,
        cache_key=cache_key(action.request.document.uri),
        slot=ACTION_SLOT,
    )
