"""What goes to a model and what comes back: the endpoint, a chat request and its reply, as
chatls's own plain data (the SDK is not imported to build or read them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import attrs

from chatls.model.toolcalls import ToolCall

StructuredLevel = Literal["json_schema", "json_object", "text"]

ProgressCallback = Callable[[int], None]
"""Called with the number of streamed pieces received so far."""


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
    meanwhile: Callable[[], None] | None = attrs.field(default=None, eq=False)
    """Called once, as soon as the request is written to the backend (before any reply): work
    that does not need the reply runs while the backend reads the prompt, not after it."""
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
    store: bool = False
    """Ask the backend to keep the completion (stored completions), with ``metadata``."""
    metadata: dict[str, str] | None = None
    counted_tokens: int | None = None
    """chatls's own count of the prompt, compared with the backend's to learn how far off it
    is for this model."""
    prompt: str | None = None
    """A plain prompt for the completions endpoint (``/v1/completions``: fill-in-the-middle)
    instead of ``messages``; a backend that refuses that endpoint raises
    ``CompletionsRefused`` and is remembered (``refuses(model, COMPLETIONS)``)."""


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
    id: str | None = None
    """The backend's id for the completion (``chatcmpl-...``)."""
    closed_early: bool = False
    """The stream was closed before the backend finished, because the request's ``enough``
    said the answer was whole (its finish reason is then ``stop``)."""

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""
