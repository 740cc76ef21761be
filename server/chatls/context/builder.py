"""An action's prompt, built and built again: the code in question with as much of the file as the
request plan reaches and the budget allows, the file's window kept from one request to the next
so neighbouring code shares the backend's cached prefix, and a prompt sent again, smaller, when
the backend says it was over its context."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import attrs

from chatls.context import outside as outside_files
from chatls.context import prompts
from chatls.context.tokens import TokenCounter
from chatls.context.window import Prompt, Render, build_prompt, build_stable_prompt
from chatls.errors import InvalidRequestError
from chatls.model.failures import ContextOverflow
from chatls.source.syntax import Span, Syntax

T = TypeVar("T")

WINDOW_ANSWER_TOKENS = 1024
"""Room for the answer the file's window is chosen with (the largest action default; at most
a quarter of a small budget)."""


@attrs.frozen
class PromptCode:
    """The code a prompt is about, and the scope whose lines come first as its context."""

    code_start: int
    code_end: int
    scope: Span | None


class _Windows:
    """Per file, the first line of the window its last request showed: the next one keeps it
    while it holds the code. The oldest files are forgotten first."""

    def __init__(self, kept: int) -> None:
        self._first: dict[str, int] = {}
        self._kept = kept

    def anchor(self, uri: str) -> int | None:
        return self._first.get(uri)

    def remember(self, uri: str, first: int) -> None:
        self._first.pop(uri, None)
        self._first[uri] = first
        while len(self._first) > self._kept:
            del self._first[next(iter(self._first))]


Reserve = Callable[[int, int], int]
"""Tokens to keep for tool round trips, given the answer's room and the model's context."""


@attrs.define
class PromptBuilder:
    """Builds one action's prompt for the code at ``code``; ``build`` may be called again after
    the backend showed its context is smaller, or its tokens larger, than chatls assumed."""

    syntax: Syntax
    uri: str
    render: Render
    plan: prompts.RequestPlan
    max_tokens: int
    configured_tokens: int
    """``contextTokens`` as set (the budget is explained against it)."""
    context_tokens: Callable[[], int]
    """The context as far as it is known now (``contextTokens`` or the model's, if smaller)."""
    counter: Callable[[], TokenCounter]
    reserve: Reserve | None = None
    outside: Sequence[outside_files.Outside] | None = None
    """Definitions from other files the code uses, most directly used first; None: the
    ``definitions`` settings are off. They take their share first: a stable window over the
    budget then gives up blocks at its end (``build_stable_prompt``), which keeps the start of
    the prompt as other requests on the file have it."""
    outside_tokens: int = 0
    """``definitions.maxTokens``: the most they take, within the plan's share."""

    windows = _Windows(kept=256)
    """Shared by every build in the process: the window is a property of the file."""

    @property
    def stable(self) -> bool:
        """Whether the file is shown in a stable window (see ``chatls.context.window``)."""
        return self.plan.shows_window

    def _outside_room(self, budget: int) -> int:
        """Tokens the definitions from other files may take of ``budget``."""
        if self.outside is None or self.plan.definitions <= 0:
            return 0
        return max(0, min(self.outside_tokens, int(budget * self.plan.definitions)))

    def build(self, target: PromptCode) -> Prompt:
        """The prompt, with definitions from other files within their share (or, when even the
        code alone does not fit with them, without)."""
        limit = self.context_tokens()
        budget = limit - self.max_tokens
        if self.reserve is not None:
            budget -= self.reserve(self.max_tokens, limit)
        room = self._outside_room(budget)
        text, included = outside_files.fit(self.outside or (), self.counter(), room)
        if not included:
            return self._build(target, "")
        try:
            built = self._build(target, text)
        except InvalidRequestError:
            return self._build(target, "")
        return attrs.evolve(built, outside=included)

    def _build(self, target: PromptCode, definitions: str) -> Prompt:
        def render(variables: dict[str, Any]) -> list[dict[str, str]]:
            return self.render({**variables, "definitions": definitions})

        limit = self.context_tokens()
        budget = limit - self.max_tokens
        if self.reserve is not None:
            budget -= self.reserve(self.max_tokens, limit)
        explained = (
            f"contextTokens ({limit}) minus maxTokens ({self.max_tokens})"
            if limit == self.configured_tokens
            else f"the model's context ({limit} tokens) minus maxTokens ({self.max_tokens})"
        )
        if not self.stable:
            return build_prompt(
                self.syntax,
                target.code_start,
                target.code_end,
                target.scope,
                render,
                self.counter(),
                budget,
                explained,
                reach=self.plan.context,
            )
        # Every action gets the window chosen for the largest default answer, so actions on the
        # same code share it whatever their own maxTokens.
        answer = max(self.max_tokens, min(WINDOW_ANSWER_TOKENS, limit // 4))
        shared = limit - answer
        if self.reserve is not None:
            shared -= self.reserve(answer, limit)
        built = build_stable_prompt(
            self.syntax,
            target.code_start,
            target.code_end,
            render,
            self.counter(),
            budget,
            explained,
            window_budget=max(1, shared),
            anchor=self.windows.anchor(self.uri),
        )
        if built.window is not None:
            self.windows.remember(self.uri, built.window)
        return built


def with_schema(messages: list[dict[str, Any]], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """``messages`` with the schema stated at the end of the last one: for JSON mode, where the
    backend will not enforce the schema itself."""
    note = prompts.render(
        prompts.builtin("_context")["schema"],
        {"schema": json.dumps(schema.get("schema", schema))},
        "_context.schema",
    )
    last = messages[-1]
    return [*messages[:-1], {**last, "content": f"{last['content']}\n\n{note}"}]


async def within_context(
    prompt: Prompt,
    rebuild: Callable[[], Prompt] | None,
    send: Callable[[Prompt], Awaitable[tuple[T, Prompt]]],
    retrying: Callable[[ContextOverflow, Prompt], None] | None = None,
) -> tuple[T, Prompt]:
    """``send(prompt)``, and once more with the prompt built again when the backend says it is
    over its context: the client has remembered what the backend said (its context, how its
    tokens compare), so the new prompt fits. The error stands when there is nothing to rebuild
    (a thread's next turn) or the new prompt would not be smaller. ``send`` returns its result
    and the prompt it sent (which may differ, for a re-worded request)."""
    try:
        return await send(prompt)
    except ContextOverflow as overflow:
        if rebuild is None:
            raise
        smaller = rebuild()
        if smaller.counted >= prompt.counted:
            raise
        if retrying is not None:
            retrying(overflow, smaller)
        return await send(smaller)
