"""Settings as the editor gives them: ``initializationOptions`` first, overlaid with what a
``workspace/configuration`` pull returns, re-read on ``didChangeConfiguration``. Requests that
arrive while settings load wait for them; problems are reported once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from chatls.actions.registry import builtin_ids, settable_ids
from chatls.config import Settings, merge, parse_settings, unwrap_section
from chatls.logs import RedactingFilter
from chatls.model.backends import apply_backend_defaults

log = logging.getLogger(__name__)


class SettingsStore:
    def __init__(
        self, server: LanguageServer, can_pull: Callable[[], bool], warn: Callable[[str], None]
    ) -> None:
        self._server = server
        self._can_pull = can_pull
        self._warn = warn
        self.settings = Settings()
        self.initialization_options: Any = None
        self.on_change: Callable[[], None] = lambda: None
        self._reported_problems: list[str] = []
        self._loaded: asyncio.Event | None = None

    def apply(self, raw: Any) -> None:
        settings, problems = parse_settings(raw, settable_ids(), builtin_ids())
        apply_backend_defaults(settings, raw)
        if settings.custom_actions:
            # Checking templates needs Jinja: paid only by those who define actions.
            from chatls.context.prompts import check_custom_actions

            problems += check_custom_actions(settings)
        self.settings = settings
        self.on_change()
        RedactingFilter.add_secret(settings.api_key)
        if problems and problems != self._reported_problems:
            self._warn(
                "Some settings were ignored and their defaults used: " + "; ".join(problems) + "."
            )
        self._reported_problems = problems

    def loading(self, initialization_options: Any) -> None:
        """Called at ``initialize``: requests wait for the first settings pull to finish."""
        self.initialization_options = initialization_options
        self._loaded = asyncio.Event()
        self.apply(unwrap_section(initialization_options) or {})

    async def ready(self) -> Settings:
        if self._loaded is not None and not self._loaded.is_set():
            try:
                await asyncio.wait_for(self._loaded.wait(), timeout=5)
            except TimeoutError:
                log.warning("the client did not answer workspace/configuration in time")
        return self.settings

    async def reload(self, pushed: Any = None) -> None:
        """Settings from ``initializationOptions``, overlaid with what the client holds now."""
        # Requests arriving during a reload wait for it rather than use the old settings.
        if self._loaded is None or self._loaded.is_set():
            self._loaded = asyncio.Event()
        try:
            await self._reload(pushed)
        finally:
            if self._loaded is not None:
                self._loaded.set()

    async def _reload(self, pushed: Any) -> None:
        current: Any = None
        if self._can_pull():
            try:
                result = await self._server.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section="chatls")])
                )
                current = result[0] if result else None
            except Exception as error:
                log.warning("workspace/configuration failed: %s", error)
        if current is None and pushed is not None:
            current = unwrap_section(pushed)
        base = unwrap_section(self.initialization_options) or {}
        self.apply(merge(base, current) if isinstance(current, dict) else base)
