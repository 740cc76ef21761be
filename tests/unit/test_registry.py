"""The registry: every module of ``chatls.actions`` either serves all actions or declares one."""

from __future__ import annotations

import importlib
import pkgutil

from chatls import actions
from chatls.actions.declaration import Action
from chatls.actions.registry import MACHINERY, builtin


def test_every_action_module_declares_its_action() -> None:
    for module in pkgutil.iter_modules(actions.__path__):
        declared = getattr(importlib.import_module(f"chatls.actions.{module.name}"), "ACTION", None)
        assert (module.name in MACHINERY) != isinstance(declared, Action), module.name


def test_ids_and_commands_are_unique() -> None:
    declared = list(builtin().values())
    assert len({a.command for a in declared}) == len(declared)
    assert all(a.command == f"chatls.{a.id}" for a in declared)
