"""The actions, built from their declarations: every module of ``chatls.actions`` that declares
an ``ACTION`` is one, and a custom action from the settings is one too. Adding an action is
adding its module (and its templates); nothing here names one."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Any

from chatls import actions as package
from chatls.actions.declaration import CUSTOM_COMMAND, Action
from chatls.config import Settings

MACHINERY = frozenset(
    {
        "base",
        "catalog",
        "conversation",
        "custom",
        "declaration",
        "followup",
        "listing",
        "tool_rounds",
        "quickfix",
        "read_ahead",
        "registry",
        "reviews",
        "rewriting",
        "runner",
        "stubs",
        "test_layout",
        "threads",
    }
)
"""The modules that serve every action rather than declare one: not imported to list actions
(a module missing here is imported at start-up, which costs time but changes nothing else)."""


@functools.cache
def builtin() -> dict[str, Action]:
    """The built-in actions by id, in the order the editor lists them."""
    found = []
    for module in pkgutil.iter_modules(package.__path__):
        if module.name in MACHINERY:
            continue
        declared = getattr(
            importlib.import_module(f"{package.__name__}.{module.name}"), "ACTION", None
        )
        if isinstance(declared, Action):
            found.append(declared)
    found.sort(key=lambda action: (action.order, action.id))
    return {action.id: action for action in found}


def find(action_id: str, settings: Settings) -> Action | None:
    """A built-in action, or a custom one from the settings."""
    if action_id in builtin():
        return builtin()[action_id]
    defined = settings.custom(action_id)
    if defined is None:
        return None
    from chatls.actions.custom import declare

    return declare(defined)


def settable_ids() -> tuple[str, ...]:
    """The ids ``actions.<id>`` settings may name."""
    return tuple(action.id for action in builtin().values() if action.settable)


def builtin_ids() -> tuple[str, ...]:
    """The ids a custom action may not take."""
    return tuple(builtin())


def every(settings: Settings) -> list[Action]:
    """The built-in actions, then the user's."""
    from chatls.actions.custom import declare

    return [*builtin().values(), *(declare(custom) for custom in settings.custom_actions)]


def published(settings: Settings) -> dict[str, Any]:
    """What editor clients learn of the actions, at ``initialize`` and when settings change."""
    return {
        "actions": [action.published() for action in every(settings)],
        "customCommand": CUSTOM_COMMAND,
        "nextEdit": {
            "enabled": next_edit_enabled(settings),
            "debounceMs": settings.next_edit.debounce_ms,
        },
    }


def next_edit_enabled(settings: Settings) -> bool:
    """``nextEdit.enabled`` resolved: ``auto`` is on for a remote backend only."""
    from chatls.model.backends import wants_local

    mode = settings.next_edit.enabled
    return mode == "on" or (mode == "auto" and not wants_local(settings))
