"""Failures as a user can act on them: every error the SDK raises mapped to one message naming
the endpoint (never the key), a prompt over the model's context recognised in any backend's
words, and a server's error body shortened to what matters."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from chatls.errors import ModelError
from chatls.logs import mask
from chatls.model.request import Endpoint, StructuredLevel

log = logging.getLogger(__name__)

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


class ContextOverflow(ModelError):
    """The backend's context is smaller than the prompt; ``limit`` and ``prompt_tokens`` are
    what it said, when it said."""

    def __init__(self, message: str, limit: int | None, prompt_tokens: int | None) -> None:
        super().__init__("context_overflow", message)
        self.limit = limit
        self.prompt_tokens = prompt_tokens


class StructuredOutputRefused(ModelError):
    """The backend refused the structured output asked for. That is remembered for the model;
    ``level`` is what to ask for now (the prompt must say so: with ``json_object`` the schema
    goes in the instructions, with ``text`` the answer is free text)."""

    def __init__(self, level: StructuredLevel, message: str) -> None:
        super().__init__("structured_output", message)
        self.level = level


class CompletionsRefused(ModelError):
    """The backend refused the completions endpoint (``/v1/completions``) for the model: not
    served (404, 501) or not for this model (400). Remembered; the caller asks through chat."""

    def __init__(self, message: str) -> None:
        super().__init__("refused", message)


def redact(text: str, secret: str | None) -> str:
    """``text`` with the API key masked where it stands as a whole token, and anything shaped
    like an OpenAI-style key masked too. A key too short or too common to be a secret is not
    searched for (chatls never echoes it; masking it in prose would mangle the message)."""
    return re.sub(r"\bsk-[A-Za-z0-9_\-]{8,}", "sk-***", mask(text, secret))


def is_overflow(body: Any, message: str, code: Any = None) -> bool:
    inner = body.get("error", body) if isinstance(body, dict) else None
    inner = inner if isinstance(inner, dict) else {}
    kind = f"{inner.get('type', '')} {inner.get('code', '')} {code or ''}"
    return (
        "exceed_context_size" in kind
        or "context_length_exceeded" in kind
        or _OVERFLOW.search(message.lower()) is not None
    )


def overflow(error: Any, endpoint: Endpoint, model: str) -> ContextOverflow | None:
    """The error as a ``ContextOverflow`` when it says the prompt is over the context of
    ``model``, with the limit and the prompt size it names, when it names them."""
    body = getattr(error, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    inner = inner if isinstance(inner, dict) else {}
    message = backend_message(error)
    if not is_overflow(body, message, getattr(error, "code", None)):
        return None
    limit = _number(inner.get("n_ctx")) or _number(_first(_LIMIT, message))
    size = _number(inner.get("n_prompt_tokens")) or _number(_first(_PROMPT_SIZE, message))
    context = f" ({limit:,} tokens)" if limit else ""
    return ContextOverflow(
        f"The request does not fit the context of `{model}` at "
        f"{endpoint.base_url}{context}. Lower `contextTokens` or select less code. "
        f"(The backend said: {detail(error, endpoint)})",
        limit,
        size,
    )


def log_failure(error: Any, endpoint: Endpoint) -> None:
    """The whole body of an error response, for the log only (the user gets ``detail``);
    the log's filter masks the key."""
    response = getattr(error, "response", None)
    try:
        body = response.text if response is not None else json.dumps(error.body)
    except Exception:  # an unread or undecodable body: the status is still worth a line
        body = str(getattr(error, "body", ""))
    # At info level: the one line a user sees is the message (or `chatls run`'s error).
    log.info(
        "%s answered HTTP %s: %s",
        endpoint.base_url,
        getattr(error, "status_code", "?"),
        redact(body, endpoint.api_key),
    )


def detail(error: Any, endpoint: Endpoint) -> str:
    """What the backend said, short and without the key: the part of a failure a user sees."""
    return redact(shorten(backend_message(error)), endpoint.api_key)


def incomplete(endpoint: Endpoint) -> ModelError:
    return ModelError(
        "incomplete",
        f"The reply from {endpoint.base_url} ended before the model finished "
        "(the stream closed without a finish reason). No edit was made.",
    )


def malformed(endpoint: Endpoint, why: str) -> ModelError:
    return ModelError(
        "malformed",
        f"The model endpoint {endpoint.base_url} sent a malformed streaming reply "
        f"({why}). No edit was made.",
    )


def map_error(error: Exception, endpoint: Endpoint, model: str) -> ModelError:
    import openai

    url = endpoint.base_url
    key = endpoint.api_key
    retries = endpoint.max_retries
    said = detail(error, endpoint)
    if isinstance(error, openai.AuthenticationError):
        return ModelError(
            "auth",
            f"{url} rejected the API key (401). Check the key chatls was given: the "
            "`apiKey` setting (or your editor's chatls: Set API Key command), or "
            "$OPENAI_API_KEY.",
        )
    if isinstance(error, openai.PermissionDeniedError):
        return ModelError("forbidden", f"{url} denied access to model `{model}` (403): {said}")
    if isinstance(error, openai.NotFoundError):
        return ModelError(
            "not_found",
            f"Model `{model}` was not found at {url} (404). Check the `model` setting, "
            "and that `baseUrl` ends where the API starts (usually /v1).",
        )
    if isinstance(error, openai.BadRequestError):
        param = getattr(error, "param", None)
        which = f" parameter `{param}`" if param else ""
        return ModelError("bad_request", f"{url} rejected the request{which} (400): {said}")
    if isinstance(error, openai.RateLimitError):
        after = error.response.headers.get("retry-after")
        wait = f" The endpoint asks to wait {after}s." if after else ""
        return ModelError(
            "rate_limited",
            f"Rate limited by {url} (429), still after {retries} retries.{wait} Try again later.",
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
            + (f": {said}" if said else "."),
        )
    if isinstance(error, openai.APITimeoutError):
        return ModelError(
            "timeout",
            f"{url} did not answer within {endpoint.timeout:g}s (the `timeout` setting).",
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
    return ModelError("error", f"The request to {url} failed: {said}")


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


def flatten(body: Any) -> str:
    try:
        return json.dumps(body)
    except (TypeError, ValueError):
        return str(body)


def body_message(body: Any) -> str | None:
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
    listed = body.get("detail")
    if isinstance(listed, str):
        return listed
    if isinstance(listed, list):
        return str(listed)
    return None


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text)
    return found.group(1) if found else None


def _number(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    if isinstance(value, str) and value.replace(",", "").isdigit():
        return int(value.replace(",", "")) or None
    return None


def backend_message(error: Exception) -> str:
    found = body_message(getattr(error, "body", None))
    if found:
        return found
    message = getattr(error, "message", None)
    return str(message or error)
