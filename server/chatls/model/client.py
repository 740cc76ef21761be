"""The model client: OpenAI Chat Completions over the official SDK, streamed, with errors a user
can act on.

Replies always stream, so cancelling the awaiting task closes the HTTP response (and with it
the connection) at once. The SDK does the retrying (429, 408 and 5xx, honouring
``Retry-After``); this module adapts to backends that refuse a parameter and maps every failure
to one message.

A refusal is any 400, 404, 422, 500 or 501 whose body says a parameter chatls sent is invalid or
unsupported (OpenAI's ``unsupported_parameter``, Azure's "Unrecognized request argument", a
FastAPI/pydantic validation error naming ``('body', 'response_format', ...)``, LM Studio's
"'response_format.type' must be 'json_schema'", Ollama's "does not support tools", vLLM's
"tool choice requires --enable-auto-tool-choice"). The parameter is dropped, or stepped down
(``max_tokens`` → ``max_completion_tokens``; ``response_format`` json_schema → json_object →
none), the request goes again at once, and the refusal is remembered per endpoint and model.
A 5xx that is such a refusal is not retried by the SDK either (see ``_no_retry_for_refusals``):
the same request would be refused again.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import attrs

from chatls.errors import ModelError
from chatls.logs import mask
from chatls.model.toolcalls import ToolCall, ToolCallParts

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)

# Parameters a backend may refuse and that can be dropped or renamed: reasoning models refuse
# sampling settings and max_tokens; Azure's older API versions refuse stream_options; servers
# without a tool parser refuse tools; llama-cpp-python and LM Studio refuse one kind of
# response_format each.
_ADAPTABLE = (
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "stop",
    "n",
    "stream_options",
    "response_format",
    "tools",
    "tool_choice",
    "logprobs",
    "top_logprobs",
    "prompt_cache_key",
)
_NULL_CONTENT = "content: null"
"""Remembered for servers that refuse an assistant message's ``content: null`` (llama-cpp-python,
older LM Studio): its tool-calling turns then go with an empty string."""
_REFUSAL_STATUSES = frozenset({400, 404, 422, 500, 501})

StructuredLevel = Literal["json_schema", "json_object", "text"]

# What backends say when a prompt is longer than the model's context: llama.cpp's
# `exceed_context_size_error`, OpenAI's `context_length_exceeded`, vLLM's and others' wording,
# LM Studio's "Trying to keep the first N tokens when context the overflows. However, the model
# is loaded with context length of only M tokens".
_OVERFLOW = re.compile(
    r"exceeds? the (available )?context|context[_ ]length[_ ]exceeded|maximum context length|"
    r"context (window|size) (is )?(exceeded|too small)|too many tokens|prompt is too long|"
    r"longer than the model's context|when context (the )?overflows|context length of only"
)
_LIMIT = re.compile(
    r"(?:context size|context length|context window|maximum context length)\D{0,20}?\(?(\d[\d,]*)"
)
_PROMPT_SIZE = re.compile(
    r"(?:request|prompt|messages|you requested|resulted in|keep the first)"
    r"\D{0,20}?\(?(\d[\d,]*) tokens"
)


_REFUSAL = re.compile(
    r"unsupported|not supported|does not support|doesn't support|unrecogni[sz]ed|unknown (param|"
    r"field|argument)|unknown_parameter|not allowed|not permitted|extra (inputs|fields)|"
    r"extra_forbidden|only the default|invalid|input should be|must be|literal_error|"
    r"validation error|is enabled only|only supported|not implemented|not available"
)
# Servers that take tools only when started with a flag say so: llama.cpp ("tools param requires
# --jinja flag"), vLLM ("\"auto\" tool choice requires --enable-auto-tool-choice ...").
_TOOLS_NEED_A_FLAG = re.compile(r"\btools?[ _-]?(param|choice)?\b.{0,40}\brequires?\b")
# Where a validation error names the field: pydantic's ('body', 'response_format', 'type'),
# FastAPI's ["body", "n"], and dotted paths such as body.messages.2.content.
_LOCATION = re.compile(r"""['"]body['"]\s*,\s*['"]([a-z_]+)['"]|\bbody\.([a-z_]+)""")
# Parameter names a message mentions; a lone "n" only quoted, or right after Azure's "argument
# supplied:" (or "parameter:"), where it cannot be anything else.
_MENTION = re.compile(
    r"""(?:supplied|parameters?|arguments?):\s*(n)(?!\w)|(?<![\\\w])([a-z_]{2,})(?!\w)|['"`](n)['"`]"""
)
_MESSAGE_CONTENT = re.compile(r"messages(?:\[|\.|['\"],\s*)(\d+)")


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
    logprobs: bool = False
    """Ask for each generated token's log probability (``ChatReply.logprobs``), where the
    backend gives them."""
    top_logprobs: int | None = None
    """With ``logprobs``: how many alternatives per token."""
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
    logprobs: list[list[dict[str, Any]]] | None = None
    """Per choice, the tokens' ``{token, logprob, top_logprobs, ...}`` as the backend sent them;
    None when it sent none (not asked for, refused, or ignored)."""
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


class _EmptyStream(Exception):
    """The server answered 200 and closed the stream without a single event."""


class StructuredOutputRefused(ModelError):
    """The backend refused the structured output asked for. That is remembered for the model;
    ``level`` is what to ask for now (the prompt must say so: with ``json_object`` the schema
    goes in the instructions, with ``text`` the answer is free text)."""

    def __init__(self, level: StructuredLevel, message: str) -> None:
        super().__init__("structured_output", message)
        self.level = level


def redact(text: str, secret: str | None) -> str:
    """``text`` with the API key masked where it stands as a whole token, and anything shaped
    like an OpenAI-style key masked too. A key too short or too common to be a secret is not
    searched for (chatls never echoes it; masking it in prose would mangle the message)."""
    return re.sub(r"\bsk-[A-Za-z0-9_\-]{8,}", "sk-***", mask(text, secret))


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

    def structured_output(self, model: str) -> StructuredLevel:
        """The structured output ``model`` takes here, as far as its refusals have shown:
        ``json_schema`` until refused, then ``json_object``, then free ``text``."""
        refused = self._refused.get(model, set())
        if "response_format" in refused:
            return "text"
        return "json_object" if "json_schema" in refused else "json_schema"

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
                    event_hooks={"response": [_no_retry_for_refusals]}
                ),
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        refused = self._refused.get(request.model, set()) - request.keep
        messages = request.messages
        if _NULL_CONTENT in refused:
            messages = [_empty_content(message) for message in messages]
        args: dict[str, Any] = {
            "model": request.model,
            "messages": messages,
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
            if "max_tokens" not in refused:
                args["max_tokens"] = request.max_tokens
            elif "max_completion_tokens" not in refused:
                args["max_completion_tokens"] = request.max_tokens
        if request.n > 1 and "n" not in refused:
            args["n"] = request.n
        if request.usage and "stream_options" not in refused:
            args["stream_options"] = {"include_usage": True}
        if request.json_schema is not None:
            level = self.structured_output(request.model)
            if level == "json_schema":
                args["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {**request.json_schema, "strict": True},
                }
            elif level == "json_object":
                args["response_format"] = {"type": "json_object"}
        if request.logprobs and "logprobs" not in refused:
            args["logprobs"] = True
            if request.top_logprobs and "top_logprobs" not in refused:
                args["top_logprobs"] = request.top_logprobs
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
        """Send ``request`` and gather the streamed reply; raises ``ModelError`` (a
        ``StructuredOutputRefused`` when the caller must re-word its prompt for less
        structured output)."""
        import openai

        adapted: set[str] = set()
        streaming = True
        while True:
            args = self._arguments(request)
            try:
                if streaming:
                    reply = await self._stream(args, on_progress, request.enough)
                else:
                    reply = await self._complete(args)
            except _EmptyStream:
                if not streaming:
                    raise self._incomplete() from None
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
                self._log_failure(error)
                if error.status_code in _REFUSAL_STATUSES:
                    overflow = self._overflow(error, request)
                    if overflow is not None:
                        raise overflow from None
                    refused = refused_parameter(
                        error.body, _backend_message(error), error.code, error.param, args
                    )
                    if refused is not None and refused not in adapted:
                        adapted.add(refused)
                        self._adapt(request, args, refused, error)
                        continue
                raise self._map(error, request.model) from None
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

    def _adapt(self, request: ChatRequest, args: dict[str, Any], refused: str, error: Any) -> None:
        """Remember that ``request.model`` refuses ``refused`` here; return to send again, or
        raise when the request cannot go on without it."""
        model = request.model
        refusals = self._refused.setdefault(model, set())
        where = f"{self.endpoint.base_url} (HTTP {error.status_code})"
        if refused == "response_format":
            kind = str(args["response_format"].get("type"))
            level: StructuredLevel = "json_object" if kind == "json_schema" else "text"
            refusals.add("json_schema" if kind == "json_schema" else "response_format")
            log.info(
                "%s refused response_format %s for %s; asking for %s", where, kind, model, level
            )
            raise StructuredOutputRefused(
                level,
                f"{self.endpoint.base_url} does not accept `response_format` {kind} for model "
                f"`{model}` ({error.status_code}): {self._detail(error)}",
            )
        refusals.add(refused)
        if refused == _NULL_CONTENT:
            log.info("%s refused content: null for %s; sending empty strings", where, model)
            return
        if refused in request.keep:
            raise ModelError(
                "refused",
                f"{self.endpoint.base_url} does not accept `{refused}` for model `{model}` "
                f"({error.status_code}): {self._detail(error)}",
            )
        instead = ""
        if refused == "max_tokens" and "max_completion_tokens" not in refusals:
            instead = " (sending max_completion_tokens)"
        log.info("%s refused %s for %s; sending again without it%s", where, refused, model, instead)

    def _log_failure(self, error: Any) -> None:
        """The whole body of an error response, for the log only (the user gets ``_detail``);
        the log's filter masks the key."""
        response = getattr(error, "response", None)
        try:
            body = response.text if response is not None else json.dumps(error.body)
        except Exception:  # an unread or undecodable body: the status is still worth a line
            body = str(getattr(error, "body", ""))
        # At info level: the one line a user sees is the message (or `chatls run`'s error).
        log.info(
            "%s answered HTTP %s: %s",
            self.endpoint.base_url,
            getattr(error, "status_code", "?"),
            redact(body, self.endpoint.api_key),
        )

    def _detail(self, error: Any) -> str:
        return redact(shorten(_backend_message(error)), self.endpoint.api_key)

    def _overflow(self, error: Any, request: ChatRequest) -> ContextOverflow | None:
        """The error as a ``ContextOverflow`` when it says the prompt is over the context; the
        limit it names is remembered for the model."""
        body = getattr(error, "body", None)
        inner = body.get("error", body) if isinstance(body, dict) else None
        inner = inner if isinstance(inner, dict) else {}
        message = _backend_message(error)
        if not _is_overflow(body, message, getattr(error, "code", None)):
            return None
        limit = _number(inner.get("n_ctx")) or _number(_first(_LIMIT, message))
        size = _number(inner.get("n_prompt_tokens")) or _number(_first(_PROMPT_SIZE, message))
        if limit:
            self.set_context_limit(request.model, limit)
        self._learn_scale(request.model, request.counted_tokens, size)
        context = f" ({limit:,} tokens)" if limit else ""
        return ContextOverflow(
            f"The request does not fit the context of `{request.model}` at "
            f"{self.endpoint.base_url}{context}. Lower `contextTokens` or select less code. "
            f"(The backend said: {self._detail(error)})",
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
        logprobs: dict[int, list[dict[str, Any]]] = {}
        usage: dict[str, int] | None = None
        chunks = 0
        events = 0
        try:
            async for chunk in stream:
                events += 1
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
                    number = index if isinstance(index, int) else 0
                    parts = texts.setdefault(number, [])
                    tokens = choice.get("logprobs")
                    tokens = tokens.get("content") if isinstance(tokens, dict) else None
                    if isinstance(tokens, list):
                        logprobs.setdefault(number, []).extend(
                            token for token in tokens if isinstance(token, dict)
                        )
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
                        finish[number] = reason
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
        if not events:
            raise _EmptyStream
        indices = sorted(texts)
        if not indices or all(finish.get(i) is None for i in indices):
            raise self._incomplete()
        return ChatReply(
            texts=["".join(texts[i]) for i in indices],
            finish_reasons=[finish.get(i) for i in indices],
            structured="response_format" in args,
            usage=usage,
            tool_calls=calls.calls(),
            cached_tokens=cached,
            logprobs=[logprobs.get(i, []) for i in indices] if logprobs else None,
            first_token_ms=first,
            total_ms=(time.perf_counter() - started) * 1000,
        )

    async def _complete(self, args: dict[str, Any]) -> ChatReply:
        """The same request without streaming (for a server that reports its errors only
        that way), read into the same reply."""
        started = time.perf_counter()
        args = {key: value for key, value in args.items() if key != "stream_options"}
        body = await self._sdk().post(
            "/chat/completions", body={**args, "stream": False}, cast_to=object
        )
        if not isinstance(body, dict):
            raise self._malformed(f"the reply is {type(body).__name__}, not an object")
        texts: list[str] = []
        reasons: list[str | None] = []
        logprobs: list[list[dict[str, Any]]] = []
        calls = ToolCallParts()
        for number, choice in enumerate(body.get("choices") or []):
            if not isinstance(choice, dict):
                raise self._malformed("a choice is not an object")
            message = choice.get("message")
            message = message if isinstance(message, dict) else {}
            content = message.get("content")
            texts.append(content if isinstance(content, str) else "")
            reason = choice.get("finish_reason")
            reasons.append(reason if isinstance(reason, str) else None)
            if number == 0:
                calls.add(message.get("tool_calls"))
            tokens = choice.get("logprobs")
            tokens = tokens.get("content") if isinstance(tokens, dict) else None
            logprobs.append(
                [t for t in tokens if isinstance(t, dict)] if isinstance(tokens, list) else []
            )
        if not texts or all(reason is None for reason in reasons):
            raise self._incomplete()
        counts = body.get("usage")
        usage = None
        if isinstance(counts, dict):
            usage = {
                "prompt_tokens": int(counts.get("prompt_tokens") or 0),
                "completion_tokens": int(counts.get("completion_tokens") or 0),
            }
        elapsed = (time.perf_counter() - started) * 1000
        return ChatReply(
            texts=texts,
            finish_reasons=reasons,
            structured="response_format" in args,
            usage=usage,
            tool_calls=calls.calls(),
            logprobs=logprobs if any(logprobs) else None,
            first_token_ms=elapsed,
            total_ms=elapsed,
        )

    def _incomplete(self) -> ModelError:
        return ModelError(
            "incomplete",
            f"The reply from {self.endpoint.base_url} ended before the model finished "
            "(the stream closed without a finish reason). No edit was made.",
        )

    def _malformed(self, why: str) -> ModelError:
        return ModelError(
            "malformed",
            f"The model endpoint {self.endpoint.base_url} sent a malformed streaming reply "
            f"({why}). No edit was made.",
        )

    def _map(self, error: Exception, model: str) -> ModelError:
        import openai

        url = self.endpoint.base_url
        key = self.endpoint.api_key
        retries = self.endpoint.max_retries
        detail = self._detail(error)
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
            # A 5xx went through the SDK's retries unless the response said not to (a refusal
            # of a parameter, see `_no_retry_for_refusals`).
            retried = (
                error.status_code >= 500
                and retries > 0
                and error.response.headers.get("x-should-retry") != "false"
            )
            return ModelError(
                "server_error" if error.status_code >= 500 else "http_error",
                f"{url} failed with HTTP {error.status_code}"
                + (f" after {retries} retries" if retried else "")
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


def refused_parameter(
    body: Any, message: str, code: Any, param: Any, args: dict[str, Any]
) -> str | None:
    """The parameter of ``args`` that an error response refuses (its ``body``, the ``message``
    in it, and OpenAI's ``code`` and ``param`` fields), if that is what it says: the one
    ``_ADAPTABLE`` name it gives, or ``_NULL_CONTENT``."""
    text = message if isinstance(body, str) else f"{message} {_flatten(body)}"
    lowered = text.lower()
    code = str(code or "").lower()
    needs_flag = _TOOLS_NEED_A_FLAG.search(lowered) is not None
    if not (
        code.startswith(("unsupported", "unknown", "invalid"))
        or _REFUSAL.search(lowered)
        or needs_flag
    ):
        return None
    candidates: list[str] = []
    if isinstance(param, str) and param:
        candidates.append(re.split(r"[.\[]", param, maxsplit=1)[0])
    candidates += [a or b for a, b in _LOCATION.findall(lowered)]
    if needs_flag:
        # The server's default tool choice is what it refuses: only leaving out the tools helps.
        candidates.append("tools")
    # Names the message itself mentions, in order (see `_MENTION` for a lone "n").
    mentioned = _MENTION.finditer(message.lower())
    candidates += [next(g for g in word.groups() if g) for word in mentioned]
    if re.search(r"json[_ ]?(schema|object)|response[_ ]format", lowered):
        candidates.append("response_format")
    for name in candidates:
        if name in _ADAPTABLE and name in args:
            return name
    if "content" in lowered and "messages" in args:
        nulls = [
            n
            for n, m in enumerate(args["messages"])
            if m.get("content") is None and m.get("tool_calls")
        ]
        named = {int(n) for n in _MESSAGE_CONTENT.findall(lowered)}
        if nulls and (not named or named & set(nulls)):
            return _NULL_CONTENT
    return None


def _is_overflow(body: Any, message: str, code: Any = None) -> bool:
    inner = body.get("error", body) if isinstance(body, dict) else None
    inner = inner if isinstance(inner, dict) else {}
    kind = f"{inner.get('type', '')} {inner.get('code', '')} {code or ''}"
    return (
        "exceed_context_size" in kind
        or "context_length_exceeded" in kind
        or _OVERFLOW.search(message.lower()) is not None
    )


async def _no_retry_for_refusals(response: Any) -> None:
    """httpx response hook: a 5xx whose body refuses a parameter of the request (or says the
    prompt is over the context) gets ``x-should-retry: false``, the header the SDK's retry
    logic obeys, so it is not sent again unchanged; ``ModelClient.chat`` then adapts at once.
    Other 5xx are retried by the SDK with its backoff as before."""
    if response.status_code < 500 or response.status_code not in _REFUSAL_STATUSES:
        return
    await response.aread()
    try:
        body: Any = json.loads(response.content)
    except ValueError:
        body = response.text
    try:
        args = json.loads(response.request.content or b"{}")
    except (ValueError, AttributeError):
        return
    message = _body_message(body) or str(body)
    inner = body.get("error", body) if isinstance(body, dict) else {}
    inner = inner if isinstance(inner, dict) else {}
    if _is_overflow(body, message) or refused_parameter(
        body, message, inner.get("code"), inner.get("param"), args if isinstance(args, dict) else {}
    ):
        response.headers["x-should-retry"] = "false"


def _empty_content(message: dict[str, Any]) -> dict[str, Any]:
    if message.get("content") is None and message.get("tool_calls"):
        return {**message, "content": ""}
    return message


_TRACEBACK_LINE = re.compile(r'^\s*(Traceback \(most recent call last\)|File ".*", line \d+)')
_SHOWN = 300
"""Characters of a server's error message shown to the user; the whole body goes to the log."""


def shorten(message: str) -> str:
    """A server's error message as a user can act on it: no traceback, a validation error's
    entries as "`field`: what is wrong", at most ``_SHOWN`` characters."""
    entries = _validation_entries(message)
    if entries:
        message = "; ".join(entries)
    else:
        kept: list[str] = []
        for line in message.splitlines():
            if _TRACEBACK_LINE.match(line):
                break  # what follows is the server's stack, not what the user can change
            kept.append(line.strip())
        message = " ".join(part for part in kept if part)
    message = re.sub(r"\s+", " ", message).strip()
    if len(message) > _SHOWN:
        cut = message[: _SHOWN - 1]
        message = cut[: cut.rfind(" ")] if " " in cut[_SHOWN // 2 :] else cut
        message += "…"
    return message


_ENTRY = re.compile(
    r"""['"]loc['"]\s*:\s*[(\[]([^)\]]*)[)\]].*?['"]msg['"]\s*:\s*(?:'([^']*)'|"([^"]*)")""",
    re.DOTALL,
)


def _validation_entries(message: str) -> list[str]:
    """pydantic/FastAPI validation errors (``{'loc': ('body', 'x'), 'msg': '...'}``) as
    "`x`: msg"."""
    entries = []
    for location, single, double in _ENTRY.findall(message):
        parts = [p.strip(" '\"") for p in location.split(",")]
        parts = [p for p in parts if p and p != "body"]
        entries.append(f"`{'.'.join(parts)}`: {single or double}")
    return entries[:3]


def _flatten(body: Any) -> str:
    try:
        return json.dumps(body)
    except (TypeError, ValueError):
        return str(body)


def _body_message(body: Any) -> str | None:
    """The message in an error body: OpenAI's ``{"error": {"message"}}``, LM Studio's
    ``{"error": "..."}``, vLLM's ``{"message"}``, FastAPI's ``{"detail": [...]}``."""
    if isinstance(body, str):
        return body
    if not isinstance(body, dict):
        return None
    inner = body.get("error", body)
    if isinstance(inner, str):
        return inner
    if isinstance(inner, dict) and isinstance(inner.get("message"), str):
        return str(inner["message"])
    if isinstance(body.get("message"), str):
        return str(body["message"])
    detail = body.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        return str(detail)
    return None


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
    found = _body_message(getattr(error, "body", None))
    if found:
        return found
    message = getattr(error, "message", None)
    return str(message or error)
