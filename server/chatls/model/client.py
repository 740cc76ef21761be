"""The model client: OpenAI Chat Completions over the official SDK, streamed, with errors a user
can act on.

Replies always stream, so cancelling the awaiting task closes the HTTP response (and with it
the connection) at once. The SDK does the retrying (429 and 5xx, honouring ``Retry-After``);
this module adapts to backends that refuse a parameter and maps every failure to one message.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from chatls.errors import ModelError
from chatls.model.toolcalls import ToolCall, ToolCallParts

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)

# Parameters a backend may refuse (reasoning models refuse sampling settings and max_tokens;
# some servers refuse stream_options or response_format) and that can be dropped or renamed.
_ADAPTABLE = (
    "max_tokens",
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "stop",
    "stream_options",
    "response_format",
    "tools",
    "tool_choice",
    "prompt_cache_key",
)

# What backends say when a prompt is longer than the model's context: llama.cpp's
# `exceed_context_size_error`, OpenAI's `context_length_exceeded`, vLLM's and others' wording.
_OVERFLOW = re.compile(
    r"exceeds? the (available )?context|context[_ ]length[_ ]exceeded|maximum context length|"
    r"context (window|size) (is )?(exceeded|too small)|too many tokens|prompt is too long|"
    r"longer than the model's context"
)
_LIMIT = re.compile(
    r"(?:context size|context length|context window|maximum context length)\D{0,20}?\(?(\d[\d,]*)"
)
_PROMPT_SIZE = re.compile(
    r"(?:request|prompt|messages|you requested|resulted in)\D{0,20}?\(?(\d[\d,]*) tokens"
)


_REFUSAL = re.compile(
    r"unsupported|not supported|does not support|doesn't support|unrecognized|unknown (param|field|"
    r"argument)|not allowed|not permitted|extra (inputs|fields)|only the default|invalid type"
)
# Servers that take tools only when started with a flag say so: llama.cpp ("tools param requires
# --jinja flag"), vLLM ("\"auto\" tool choice requires --enable-auto-tool-choice ...").
_TOOLS_NEED_A_FLAG = re.compile(r"\btools?[ _-]?(param|choice)?\b.{0,40}\brequires?\b")


@attrs.frozen
class Endpoint:
    base_url: str
    api_key: str | None = attrs.field(repr=False)
    timeout: float = 60.0
    max_retries: int = 2
    model: str | None = None
    """The one model this endpoint serves, when it decides (the local backend)."""
    local: bool = False
    """The built-in llama.cpp server."""


@attrs.define
class ChatRequest:
    model: str
    messages: list[dict[str, Any]]
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] = attrs.field(factory=list)
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    n: int = 1
    json_schema: dict[str, Any] | None = None
    """``{"name": ..., "schema": ...}`` to ask for a structured reply."""
    usage: bool = True
    """Ask for token usage (one more streamed chunk to read)."""
    enough: Callable[[str], bool] | None = attrs.field(default=None, eq=False)
    """Called with the text so far; True ends the reply there (it has what was asked for),
    closing the stream so the model stops generating."""
    tools: list[dict[str, Any]] | None = None
    """Function definitions the model may call (``{"type": "function", "function": ...}``)."""
    tool_choice: str | None = None
    """``"none"`` to make the model answer now; unset leaves the backend's default (auto)."""
    keep: frozenset[str] = frozenset()
    """Adaptable parameters that must not be dropped: when the backend refuses one, the request
    fails (``ModelError`` of kind ``refused``) instead of going on without it."""
    cache_key: str | None = None
    """``prompt_cache_key``: requests about one file share it, so the backend routes them to
    the cache that holds their common prefix."""
    slot: int | None = None
    """The local llama.cpp server's slot (one per purpose, so inline completions and actions
    do not evict each other's cached prefix)."""
    counted_tokens: int | None = None
    """chatls's own count of the prompt, compared with the backend's to learn how far off it
    is for this model."""


@attrs.define
class ChatReply:
    texts: list[str]
    """One text per choice, in choice order."""
    finish_reasons: list[str | None]
    structured: bool
    """True when the reply was produced under the JSON schema."""
    usage: dict[str, int] | None = None
    tool_calls: list[ToolCall] = attrs.field(factory=list)
    """The calls the first choice asked for, in order (empty for an answer)."""
    cached_tokens: int | None = None
    """Prompt tokens the backend reused from its prefix cache, when it says."""
    first_token_ms: float | None = None
    """From sending the request to the first streamed piece of the answer."""
    total_ms: float = 0.0

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""


ProgressCallback = Callable[[int], None]


class ContextOverflow(ModelError):
    """The backend's context is smaller than the prompt; ``limit`` and ``prompt_tokens`` are
    what it said, when it said."""

    def __init__(self, message: str, limit: int | None, prompt_tokens: int | None) -> None:
        super().__init__("context_overflow", message)
        self.limit = limit
        self.prompt_tokens = prompt_tokens


def redact(text: str, secret: str | None) -> str:
    """``text`` with the API key, and anything shaped like one, masked."""
    if secret:
        text = text.replace(secret, "***")
    return re.sub(r"\b(sk|key|api)[-_][A-Za-z0-9_\-]{8,}", r"\1-***", text)


_MAX_SCALE = 2.0
_MIN_PLAUSIBLE = 0.5
_MAX_PLAUSIBLE = 2.5


class ModelClient:
    """One endpoint; remembers, per model, which parameters the backend refused, how large its
    context is and how chatls's token counts compare with the backend's."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._client: AsyncOpenAI | None = None
        self._refused: dict[str, set[str]] = {}
        self._limits: dict[str, int] = {}
        self._scales: dict[str, float] = {}

    def refuses(self, model: str, parameter: str) -> bool:
        return parameter in self._refused.get(model, set())

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

    def _sdk(self) -> AsyncOpenAI:
        if self._client is None:
            from openai import AsyncOpenAI

            self._client = AsyncOpenAI(
                base_url=self.endpoint.base_url,
                # Local servers need no key, but the SDK insists on one.
                api_key=self.endpoint.api_key or "no-key",
                timeout=self.endpoint.timeout,
                max_retries=self.endpoint.max_retries,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        refused = self._refused.get(request.model, set()) - request.keep
        args: dict[str, Any] = {
            "model": request.model,
            "messages": request.messages,
            "stream": True,
        }
        optional = {
            "temperature": request.temperature,
            "top_p": request.top_p,
            "presence_penalty": request.presence_penalty,
            "frequency_penalty": request.frequency_penalty,
            "seed": request.seed,
            "stop": request.stop or None,
        }
        for name, value in optional.items():
            if value is not None and name not in refused:
                args[name] = value
        if request.max_tokens is not None:
            key = "max_completion_tokens" if "max_tokens" in refused else "max_tokens"
            args[key] = request.max_tokens
        if request.n > 1:
            args["n"] = request.n
        if request.usage and "stream_options" not in refused:
            args["stream_options"] = {"include_usage": True}
        if request.json_schema is not None and "response_format" not in refused:
            args["response_format"] = {
                "type": "json_schema",
                "json_schema": {**request.json_schema, "strict": True},
            }
        if request.cache_key and "prompt_cache_key" not in refused:
            args["prompt_cache_key"] = request.cache_key
        if self.endpoint.local:
            # llama.cpp: keep the prompt's KV cache for the next request, in this purpose's slot.
            args["cache_prompt"] = True
            if request.slot is not None:
                args["id_slot"] = request.slot
        if request.tools and "tools" not in refused:
            args["tools"] = request.tools
            if request.tool_choice is not None and "tool_choice" not in refused:
                args["tool_choice"] = request.tool_choice
        return args

    async def chat(
        self, request: ChatRequest, on_progress: ProgressCallback | None = None
    ) -> ChatReply:
        """Send ``request`` and gather the streamed reply; raises ``ModelError``."""
        import openai

        adapted: set[str] = set()
        while True:
            args = self._arguments(request)
            try:
                reply = await self._stream(args, on_progress, request.enough)
            except openai.BadRequestError as error:
                overflow = self._overflow(error, request)
                if overflow is not None:
                    raise overflow from None
                refused = self._refused_parameter(error, args)
                if refused is None or refused in adapted:
                    raise self._map(error, request.model) from None
                adapted.add(refused)
                self._refused.setdefault(request.model, set()).add(refused)
                if refused in request.keep:
                    detail = redact(_backend_message(error), self.endpoint.api_key)
                    raise ModelError(
                        "refused",
                        f"{self.endpoint.base_url} does not accept `{refused}` for model "
                        f"`{request.model}` (400): {detail}",
                    ) from None
                log.info("backend refused %s for %s; retrying without it", refused, request.model)
                continue
            except openai.APIError as error:
                raise self._map(error, request.model) from None
            prompt_tokens = reply.usage.get("prompt_tokens") if reply.usage else None
            self._learn_scale(request.model, request.counted_tokens, prompt_tokens)
            log.info(
                "%s: %s prompt tokens (%s cached), first token after %s, %.0f ms in all",
                request.model,
                prompt_tokens if prompt_tokens is not None else "unreported",
                reply.cached_tokens if reply.cached_tokens is not None else "unreported",
                f"{reply.first_token_ms:.0f} ms" if reply.first_token_ms is not None else "-",
                reply.total_ms,
            )
            return reply

    def _overflow(self, error: Any, request: ChatRequest) -> ContextOverflow | None:
        """The error as a ``ContextOverflow`` when it says the prompt is over the context; the
        limit it names is remembered for the model."""
        body = getattr(error, "body", None)
        inner = body.get("error", body) if isinstance(body, dict) else None
        inner = inner if isinstance(inner, dict) else {}
        message = _backend_message(error)
        kind = f"{inner.get('type', '')} {inner.get('code', '')} {getattr(error, 'code', '')}"
        if not (
            "exceed_context_size" in kind
            or "context_length_exceeded" in kind
            or _OVERFLOW.search(message.lower())
        ):
            return None
        limit = _number(inner.get("n_ctx")) or _number(_first(_LIMIT, message))
        size = _number(inner.get("n_prompt_tokens")) or _number(_first(_PROMPT_SIZE, message))
        if limit:
            self.set_context_limit(request.model, limit)
        self._learn_scale(request.model, request.counted_tokens, size)
        detail = redact(message, self.endpoint.api_key)
        context = f" ({limit:,} tokens)" if limit else ""
        return ContextOverflow(
            f"The request does not fit the context of `{request.model}` at "
            f"{self.endpoint.base_url}{context}. Lower `contextTokens` or select less code. "
            f"(The backend said: {detail})",
            limit,
            size,
        )

    async def _stream(
        self,
        args: dict[str, Any],
        on_progress: ProgressCallback | None,
        enough: Callable[[str], bool] | None,
    ) -> ChatReply:
        from openai import AsyncStream

        started = time.perf_counter()
        first: float | None = None
        cached: int | None = None
        # Through the SDK's generic `post` (the same retries, errors and SSE decoding) rather
        # than the typed `chat.completions.create`, which runs the already plain-JSON arguments
        # through its TypedDict transform and builds a pydantic model per chunk: 1.3 ms a
        # request here, felt in inline completion. Chunks stay plain JSON, read defensively.
        stream = await self._sdk().post(
            "/chat/completions",
            body=args,
            cast_to=object,
            stream=True,
            stream_cls=AsyncStream[object],
        )
        texts: dict[int, list[str]] = {}
        calls = ToolCallParts()
        finish: dict[int, str | None] = {}
        usage: dict[str, int] | None = None
        chunks = 0
        try:
            async for chunk in stream:
                if not isinstance(chunk, dict):
                    raise self._malformed(f"an event is {type(chunk).__name__}, not an object")
                counts = chunk.get("usage")
                if isinstance(counts, dict):
                    usage = {
                        "prompt_tokens": int(counts.get("prompt_tokens") or 0),
                        "completion_tokens": int(counts.get("completion_tokens") or 0),
                    }
                    details = counts.get("prompt_tokens_details")
                    if isinstance(details, dict) and isinstance(details.get("cached_tokens"), int):
                        cached = details["cached_tokens"]
                timings = chunk.get("timings")
                if cached is None and isinstance(timings, dict):
                    # llama.cpp reports its cache reuse here even without stream_options.
                    cache_n = timings.get("cache_n")
                    cached = cache_n if isinstance(cache_n, int) else None
                for choice in chunk.get("choices") or []:
                    if not isinstance(choice, dict):
                        raise self._malformed("a choice is not an object")
                    index = choice.get("index")
                    parts = texts.setdefault(index if isinstance(index, int) else 0, [])
                    delta = choice.get("delta")
                    content = delta.get("content") if isinstance(delta, dict) else None
                    if isinstance(content, str) and content:
                        parts.append(content)
                        chunks += 1
                    pieces = delta.get("tool_calls") if isinstance(delta, dict) else None
                    if isinstance(pieces, list) and not index:
                        calls.add(pieces)
                        chunks += 1
                    reason = choice.get("finish_reason")
                    if isinstance(reason, str):
                        finish[index if isinstance(index, int) else 0] = reason
                if first is None and chunks:
                    first = (time.perf_counter() - started) * 1000
                if on_progress is not None:
                    on_progress(chunks)
                # Once the model calls tools, its text is a preamble, never the whole answer.
                if enough is not None and not calls and 0 in texts and enough("".join(texts[0])):
                    log.debug("reply complete after %d chunks; closing the stream", chunks)
                    finish[0] = "stop"
                    break
        except json.JSONDecodeError as error:
            raise self._malformed(f"invalid JSON in an event: {error.msg}") from None
        finally:
            await stream.close()
        indices = sorted(texts)
        if not indices or all(finish.get(i) is None for i in indices):
            raise ModelError(
                "incomplete",
                f"The reply from {self.endpoint.base_url} ended before the model finished "
                "(the stream closed without a finish reason). No edit was made.",
            )
        return ChatReply(
            texts=["".join(texts[i]) for i in indices],
            finish_reasons=[finish.get(i) for i in indices],
            structured="response_format" in args,
            usage=usage,
            tool_calls=calls.calls(),
            cached_tokens=cached,
            first_token_ms=first,
            total_ms=(time.perf_counter() - started) * 1000,
        )

    def _malformed(self, why: str) -> ModelError:
        return ModelError(
            "malformed",
            f"The model endpoint {self.endpoint.base_url} sent a malformed streaming reply "
            f"({why}). No edit was made.",
        )

    def _refused_parameter(self, error: Any, args: dict[str, Any]) -> str | None:
        """The parameter a 400 says the backend does not support, if that is what it says."""
        message = _backend_message(error).lower()
        code = str(getattr(error, "code", "") or "")
        needs_flag = _TOOLS_NEED_A_FLAG.search(message) is not None
        if not (code.startswith("unsupported") or _REFUSAL.search(message) or needs_flag):
            return None
        param = getattr(error, "param", None)
        candidates = [param] if isinstance(param, str) else []
        candidates += [name for name in _ADAPTABLE if name in message]
        if "json_schema" in message or "json schema" in message:
            candidates.append("response_format")
        if _TOOLS_NEED_A_FLAG.search(message):
            candidates.append("tools")
        for name in candidates:
            if name in args:
                return name
        return None

    def _map(self, error: Exception, model: str) -> ModelError:
        import openai

        url = self.endpoint.base_url
        key = self.endpoint.api_key
        retries = self.endpoint.max_retries
        detail = redact(_backend_message(error), key)
        if isinstance(error, openai.AuthenticationError):
            return ModelError(
                "auth",
                f"{url} rejected the API key (401). Check the key chatls was given: the "
                "`apiKey` setting (or your editor's chatls: Set API Key command), or "
                "$OPENAI_API_KEY.",
            )
        if isinstance(error, openai.PermissionDeniedError):
            return ModelError(
                "forbidden", f"{url} denied access to model `{model}` (403): {detail}"
            )
        if isinstance(error, openai.NotFoundError):
            return ModelError(
                "not_found",
                f"Model `{model}` was not found at {url} (404). Check the `model` setting, "
                "and that `baseUrl` ends where the API starts (usually /v1).",
            )
        if isinstance(error, openai.BadRequestError):
            param = getattr(error, "param", None)
            which = f" parameter `{param}`" if param else ""
            return ModelError("bad_request", f"{url} rejected the request{which} (400): {detail}")
        if isinstance(error, openai.RateLimitError):
            after = error.response.headers.get("retry-after")
            wait = f" The endpoint asks to wait {after}s." if after else ""
            return ModelError(
                "rate_limited",
                f"Rate limited by {url} (429), still after {retries} retries.{wait} "
                "Try again later.",
            )
        if isinstance(error, openai.APIStatusError):
            return ModelError(
                "server_error" if error.status_code >= 500 else "http_error",
                f"{url} failed with HTTP {error.status_code}"
                + (f" after {retries} retries" if error.status_code >= 500 else "")
                + (f": {detail}" if detail else "."),
            )
        if isinstance(error, openai.APITimeoutError):
            return ModelError(
                "timeout",
                f"{url} did not answer within {self.endpoint.timeout:g}s (the `timeout` setting).",
            )
        if isinstance(error, openai.APIConnectionError):
            cause = error.__cause__ or error.__context__
            reason = redact(str(cause), key) if cause else "connection error"
            if "refused" in reason.lower() or "connect" in type(cause).__name__.lower():
                return ModelError(
                    "connection",
                    f"Could not connect to {url} (connection refused). Is the model server "
                    "running, and is `baseUrl` right?",
                )
            return ModelError("connection", f"Lost the connection to {url}: {reason}")
        return ModelError("error", f"The request to {url} failed: {detail}")


def cache_key(uri: str) -> str:
    """The ``prompt_cache_key`` of requests about the file at ``uri``: one per file, without
    the file's name in it."""
    import hashlib

    return "chatls-" + hashlib.sha256(uri.encode("utf-8")).hexdigest()[:24]


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text)
    return found.group(1) if found else None


def _number(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    if isinstance(value, str) and value.replace(",", "").isdigit():
        return int(value.replace(",", "")) or None
    return None


def _backend_message(error: Exception) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    message = getattr(error, "message", None)
    return str(message or error)
