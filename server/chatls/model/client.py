"""The model client: OpenAI Chat Completions over the official SDK, streamed, with errors a user
can act on.

Replies always stream, so cancelling the awaiting task closes the HTTP response (and with it
the connection) at once. The SDK does the retrying (429, 408 and 5xx, honouring
``Retry-After``); a backend that refuses a parameter is adapted to (``chatls.model.adapting``),
and every failure becomes one message (``chatls.model.failures``). The reply is assembled by
``chatls.model.stream``.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chatls.model import failures
from chatls.model.adapting import (
    COMPLETIONS,
    REFUSAL_STATUSES,
    Adaptations,
    no_retry_for_refusals,
    refused_parameter,
)
from chatls.model.prefill import Prefill
from chatls.model.request import (
    ChatReply,
    ChatRequest,
    Endpoint,
    ProgressCallback,
    StructuredLevel,
)
from chatls.model.stream import EmptyStream, read_body, read_stream

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)

_NO_COMPLETIONS = frozenset({400, 404, 422, 501})
"""Statuses that, on the completions endpoint and naming no parameter, say the endpoint itself
is not there for the model (a 500 may pass: the SDK has retried it, and it is not remembered)."""
_MAX_SCALE = 2.0
_MIN_PLAUSIBLE = 0.5
_MAX_PLAUSIBLE = 2.5


class ModelClient:
    """One endpoint; remembers, per model, which parameters the backend refused, how large its
    context is and how chatls's token counts compare with the backend's."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._client: AsyncOpenAI | None = None
        self.adaptations = Adaptations(endpoint)
        self._limits: dict[str, int] = {}
        self._scales: dict[str, float] = {}
        self.window_key: str | None = None
        """The ``cache_key`` of the file whose stable window began the last action's request
        here: what a backend with one cache slot holds now (None: something else)."""
        self.prefill: Prefill | None = Prefill(self._chat_quietly) if endpoint.local else None
        """Reads prompts ahead while the built-in model is idle (``read_ahead``)."""

    def refuses(self, model: str, parameter: str) -> bool:
        return self.adaptations.refuses(model, parameter)

    def structured_output(self, model: str) -> StructuredLevel:
        return self.adaptations.structured_output(model)

    def context_limit(self, model: str) -> int | None:
        """The model's context in the backend's tokens, once known (from the local server's
        ``/props`` or an overflow error)."""
        return self._limits.get(model)

    def fit_context(self, model: str, configured: int) -> int:
        """``configured`` tokens, or the model's context when that is known and smaller."""
        limit = self._limits.get(model)
        return min(configured, limit) if limit else configured

    def set_context_limit(self, model: str, limit: int) -> None:
        self._limits[model] = limit

    def token_scale(self, model: str) -> float | None:
        """Backend tokens per token chatls counted, learned from the backend's usage reports
        (the largest ratio seen, so a budget made with it fits), or None before the first."""
        return self._scales.get(model)

    def _learn_scale(self, model: str, counted: int | None, real: int | None) -> None:
        if not counted or not real or counted < 32:
            return
        ratio = real / counted
        if not _MIN_PLAUSIBLE <= ratio <= _MAX_PLAUSIBLE:
            # Not a count of this prompt (some servers report placeholders): ignored.
            return
        # Never below tiktoken's own count: the margin only ever makes prompts smaller.
        ratio = min(_MAX_SCALE, max(1.0, ratio))
        if ratio > self._scales.get(model, 0.0):
            log.info("%s counts %.3f tokens per token chatls counts", model, ratio)
            self._scales[model] = ratio

    def sdk(self) -> AsyncOpenAI:
        if self._client is None:
            from openai import AsyncOpenAI, DefaultAsyncHttpxClient

            self._client = AsyncOpenAI(
                base_url=self.endpoint.base_url,
                # Local servers need no key, but the SDK insists on one.
                api_key=self.endpoint.api_key or "no-key",
                timeout=self.endpoint.timeout,
                max_retries=self.endpoint.max_retries,
                # The SDK's own client, with a response hook that tells the SDK's retry logic
                # not to retry a 5xx that refuses a parameter (it would be refused again).
                http_client=DefaultAsyncHttpxClient(
                    event_hooks={"request": [_tell_once_sent], "response": [no_retry_for_refusals]}
                ),
            )
        return self._client

    def read_ahead(self, request: ChatRequest) -> None:
        """Have the built-in model read ``request``'s prompt into its cache while it has
        nothing else to do (``chatls.model.prefill``); elsewhere, nothing."""
        if self.prefill is not None:
            self.prefill.want(request)

    async def close(self) -> None:
        if self.prefill is not None:
            self.prefill.stop()
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def chat(
        self, request: ChatRequest, on_progress: ProgressCallback | None = None
    ) -> ChatReply:
        """Send ``request`` (see ``_chat``), reading ahead paused meanwhile."""
        prefill = self.prefill
        if prefill is None:
            return await self._chat(request, on_progress)
        prefill.begin()
        try:
            return await self._chat(request, on_progress)
        finally:
            prefill.end()

    async def _chat_quietly(self, request: ChatRequest) -> ChatReply:
        """``_chat`` with its outcome logged at debug level (reading ahead's many pieces)."""
        return await self._chat(request, level=logging.DEBUG)

    async def _chat(
        self,
        request: ChatRequest,
        on_progress: ProgressCallback | None = None,
        level: int = logging.INFO,
    ) -> ChatReply:
        """Send ``request`` and gather the streamed reply; raises ``ModelError`` (a
        ``StructuredOutputRefused`` when the caller must re-word its prompt for less
        structured output; ``CompletionsRefused`` when a request with a plain ``prompt`` met a
        backend that does not serve the completions endpoint for the model, remembered so that
        ``refuses(model, COMPLETIONS)`` says so from then on)."""
        sending = _MEANWHILE.set(_once(request.meanwhile) if request.meanwhile else None)
        try:
            return await self._adapting(request, on_progress, level)
        finally:
            _MEANWHILE.reset(sending)

    async def _adapting(
        self, request: ChatRequest, on_progress: ProgressCallback | None, level: int
    ) -> ChatReply:
        """``_chat``'s sending, adapting the request to what the backend refused."""
        import openai

        adapted: set[str] = set()
        streaming = True
        while True:
            args = self.adaptations.arguments(request)
            try:
                if streaming:
                    reply = await self._stream(args, on_progress, request.enough)
                else:
                    reply = await self._complete(args)
            except EmptyStream:
                if not streaming:
                    raise failures.incomplete(self.endpoint) from None
                # llama-cpp-python raises its errors (a prompt over the context among them)
                # inside the stream, after answering 200: the stream closes before its first
                # event. Asked without streaming, it answers with the error itself.
                log.info(
                    "%s closed the stream before its first event; asking once without streaming",
                    self.endpoint.base_url,
                )
                streaming = False
                continue
            except openai.APIStatusError as error:
                failures.log_failure(error, self.endpoint)
                if error.status_code in REFUSAL_STATUSES:
                    overflow = failures.overflow(error, self.endpoint, request.model)
                    if overflow is not None:
                        if overflow.limit:
                            self.set_context_limit(request.model, overflow.limit)
                        self._learn_scale(
                            request.model, request.counted_tokens, overflow.prompt_tokens
                        )
                        raise overflow from None
                    refused = refused_parameter(
                        error.body, failures.backend_message(error), error.code, error.param, args
                    )
                    if refused is not None and refused not in adapted:
                        adapted.add(refused)
                        self.adaptations.adapt(request, args, refused, error)
                        continue
                    if request.prompt is not None and error.status_code in _NO_COMPLETIONS:
                        self.adaptations.refused.setdefault(request.model, set()).add(COMPLETIONS)
                        log.info(
                            "%s refused the completions endpoint for %s (HTTP %s); "
                            "completions go through chat",
                            self.endpoint.base_url,
                            request.model,
                            error.status_code,
                        )
                        raise failures.CompletionsRefused(
                            f"{self.endpoint.base_url} does not serve /completions for model "
                            f"`{request.model}` ({error.status_code}): "
                            f"{failures.detail(error, self.endpoint)}"
                        ) from None
                raise failures.map_error(error, self.endpoint, request.model) from None
            except openai.APIError as error:
                raise failures.map_error(error, self.endpoint, request.model) from None
            prompt_tokens = reply.usage.get("prompt_tokens") if reply.usage else None
            self._learn_scale(request.model, request.counted_tokens, prompt_tokens)
            log.log(
                level,
                "%s: %s prompt tokens (%s cached), first token after %s, %.0f ms in all",
                request.model,
                prompt_tokens if prompt_tokens is not None else "unreported",
                reply.cached_tokens if reply.cached_tokens is not None else "unreported",
                f"{reply.first_token_ms:.0f} ms" if reply.first_token_ms is not None else "-",
                reply.total_ms,
            )
            return reply

    async def _stream(
        self,
        args: dict[str, Any],
        on_progress: ProgressCallback | None,
        enough: Callable[[str], bool] | None,
    ) -> ChatReply:
        from openai import AsyncStream

        started = time.perf_counter()
        # Through the SDK's generic `post` (the same retries, errors and SSE decoding) rather
        # than the typed `chat.completions.create`, which runs the already plain-JSON arguments
        # through its TypedDict transform and builds a pydantic model per chunk: 1.3 ms a
        # request here, felt in inline completion.
        stream = await self.sdk().post(
            _path(args),
            body=args,
            cast_to=object,
            stream=True,
            stream_cls=AsyncStream[object],
        )
        return await read_stream(
            stream, self.endpoint, "response_format" in args, started, on_progress, enough
        )

    async def _complete(self, args: dict[str, Any]) -> ChatReply:
        """The same request without streaming (for a server that reports its errors only
        that way)."""
        started = time.perf_counter()
        args = {key: value for key, value in args.items() if key != "stream_options"}
        body = await self.sdk().post(_path(args), body={**args, "stream": False}, cast_to=object)
        return read_body(body, self.endpoint, "response_format" in args, started)


_MEANWHILE: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "chatls_meanwhile", default=None
)
"""The ``meanwhile`` of the request the current task is sending (the SDK's request hook runs
in that task)."""


def _once(call: Callable[[], None]) -> Callable[[], None]:
    """``call`` the first time only (a retried or adapted request is written again); what it
    does is only done early, so its failure is logged and not raised: the work that needs it
    does it again and reports any error then."""
    pending = [call]

    def run() -> None:
        if pending:
            try:
                pending.pop()()
            except Exception:
                log.debug("work done while the backend answers failed", exc_info=True)

    return run


async def _tell_once_sent(request: Any) -> None:
    """httpx request hook: have httpcore's ``trace`` extension say when the request has been
    written and the reply is awaited, and run the request's ``meanwhile`` then. Run before,
    it would hold the request back by its own time."""
    meanwhile = _MEANWHILE.get()
    if meanwhile is None:
        return

    async def trace(event: str, info: dict[str, Any]) -> None:
        if event.endswith(".receive_response_headers.started"):
            # Soon, not now: the task goes on to wait for the reply, and this runs then.
            asyncio.get_running_loop().call_soon(meanwhile)

    request.extensions = {**request.extensions, "trace": trace}


def _path(args: dict[str, Any]) -> str:
    """The legacy completions endpoint for a plain prompt, chat for messages."""
    return "/completions" if "prompt" in args else "/chat/completions"


def cache_key(uri: str) -> str:
    """The ``prompt_cache_key`` of requests about the file at ``uri``: one per file, without
    the file's name in it."""
    import hashlib

    return "chatls-" + hashlib.sha256(uri.encode("utf-8")).hexdigest()[:24]
