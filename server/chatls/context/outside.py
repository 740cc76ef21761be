"""Definitions from other files as a prompt shows them: chosen within their share of the
budget, most directly used first, rendered once (``_context.definitions``) and named in the
progress and the log.

Where they go is the templates' business (``prompts.messages``): after the file's stable window
and before the action's own part, so requests on one file still share the window as their
prefix, and actions on the same code share the definitions too. No room is kept for them in the
window when it is chosen: measured with ``bench/prefix_cache.py --scripted --definitions --files
c`` (four actions on neighbouring methods of a 2,000-line file, 1 to 4 definitions each), a
fixed room shrank every window and the shared prefix with it (8,116-8,124 characters shared
between consecutive requests), while letting an over-budget prompt give up the window's last
block shrank one of them (7,989, then 9,670 twice; 9,619 without definitions).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from chatls.context import prompts
from chatls.context.tokens import TokenCounter


@attrs.frozen
class Outside:
    """One definition from another file, as the lookup found it."""

    name: str
    where: str
    """Its file, relative to the workspace."""
    line: int
    """1-based."""
    kind: str
    text: str
    """Signature and doc comment, or the whole definition when short."""
    signature: str
    fence: str


@attrs.frozen
class Included:
    """What a prompt included, for the progress and the log."""

    name: str
    where: str
    line: int
    tokens: int


def _item(definition: Outside, brief: bool) -> dict[str, object]:
    return {
        "name": definition.name,
        "where": definition.where,
        "line": definition.line,
        "kind": definition.kind,
        "text": definition.signature if brief else definition.text,
        "fence": definition.fence,
    }


def render(items: Sequence[dict[str, object]]) -> str:
    if not items:
        return ""
    template = prompts.builtin("_context")["definitions"]
    return prompts.render(template, {"definitions": list(items)}, "_context.definitions")


def fit(
    definitions: Sequence[Outside], counter: TokenCounter, room: int, brief: bool = False
) -> tuple[str, tuple[Included, ...]]:
    """The definitions that fit ``room`` tokens, in their order (each whole, else by its
    signature alone, else left out), rendered; and what was included. ``brief``: signatures
    only."""
    if room <= 0 or not definitions:
        return "", ()
    base = counter.count(render([_item(definitions[0], True)])) - counter.count(
        _block(definitions[0], True)
    )
    used = max(0, base)
    items: list[dict[str, object]] = []
    included: list[Included] = []
    for definition in definitions:
        for short in (True,) if brief else (False, True):
            cost = counter.count(_block(definition, short))
            if used + cost <= room:
                used += cost
                items.append(_item(definition, short))
                included.append(Included(definition.name, definition.where, definition.line, cost))
                break
    text = render(items)
    return text, tuple(included)


def _block(definition: Outside, brief: bool) -> str:
    """One definition's part of the rendered list (its cost, near enough)."""
    body = definition.signature if brief else definition.text
    return f"{definition.where}, line {definition.line}:\n```{definition.fence}\n{body}\n```\n"


def summary(included: Sequence[Included]) -> str:
    """``3 definitions from other files (212 tokens)``."""
    tokens = sum(item.tokens for item in included)
    things = "1 definition" if len(included) == 1 else f"{len(included)} definitions"
    return f"{things} from other files ({tokens:,} tokens)"


def listing(included: Sequence[Included]) -> str:
    """Each one, for the log: ``parse (src/util.py:12, 40 tokens)``."""
    return ", ".join(f"{i.name} ({i.where}:{i.line}, {i.tokens} tokens)" for i in included)
