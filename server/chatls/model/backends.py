"""Which model endpoint a request goes to, shared by the language server and the CLI.

Every backend ends up as an OpenAI-compatible URL used through the same ``ModelClient``; the
local backend only adds starting llama.cpp's server first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from chatls.config import OPENAI_BASE_URL, Settings
from chatls.errors import ConfigurationError, ModelError
from chatls.logs import RedactingFilter
from chatls.model.client import Endpoint, ModelClient
from chatls.model.local import (
    INSTALL_HINT,
    LocalModelError,
    LocalServer,
    available,
    default_threads,
)

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


class Backends:
    """Model clients per endpoint, and the local server when one is used."""

    def __init__(self) -> None:
        self._clients: dict[Endpoint, ModelClient] = {}
        self._local: LocalServer | None = None
        self._announced_local = False

    async def _local_server(self, settings: Settings) -> LocalServer:
        threads = settings.local_threads or default_threads()
        wanted = (settings.local_model, threads, settings.context_tokens)
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
        return client

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
        if self._local is not None:
            await self._local.stop()
