"""Backends that refuse a parameter: which parameter an error response refuses, what each model
refused at this endpoint, and the request's arguments without what it refuses.

A refusal is any 400, 404, 422, 500 or 501 whose body says a parameter chatls sent is invalid or
unsupported (OpenAI's ``unsupported_parameter``, Azure's "Unrecognized request argument", a
FastAPI/pydantic validation error naming ``('body', 'response_format', ...)``, LM Studio's
"'response_format.type' must be 'json_schema'", Ollama's "does not support tools", vLLM's
"tool choice requires --enable-auto-tool-choice"). The parameter is dropped, or stepped down
(``max_tokens`` → ``max_completion_tokens``; ``response_format`` json_schema → json_object →
none), the request goes again at once, and the refusal is remembered per endpoint and model.
A 5xx that is such a refusal is not retried by the SDK either (see ``no_retry_for_refusals``):
the same request would be refused again.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from chatls.errors import ModelError
from chatls.model.failures import (
    StructuredOutputRefused,
    body_message,
    detail,
    flatten,
    is_overflow,
)
from chatls.model.request import ChatRequest, Endpoint, StructuredLevel

log = logging.getLogger(__name__)

# Parameters a backend may refuse and that can be dropped or renamed: reasoning models refuse
# sampling settings and max_tokens; Azure's older API versions refuse stream_options; servers
# without a tool parser refuse tools; llama-cpp-python and LM Studio refuse one kind of
# response_format each.
ADAPTABLE = (
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
    "store",
    "metadata",
)
NULL_CONTENT = "content: null"
"""Remembered for servers that refuse an assistant message's ``content: null`` (llama-cpp-python,
older LM Studio): its tool-calling turns then go with an empty string."""
REFUSAL_STATUSES = frozenset({400, 404, 422, 500, 501})
COMPLETIONS = "completions endpoint"
"""Remembered for a model whose backend refused the completions endpoint (``/v1/completions``)
itself, rather than one of its parameters."""


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


class Adaptations:
    """What each model refused at one endpoint, remembered for the endpoint's life."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.refused: dict[str, set[str]] = {}

    def refuses(self, model: str, parameter: str) -> bool:
        return parameter in self.refused.get(model, set())

    def structured_output(self, model: str) -> StructuredLevel:
        """The structured output ``model`` takes here, as far as its refusals have shown:
        ``json_schema`` until refused, then ``json_object``, then free ``text``."""
        refused = self.refused.get(model, set())
        if "response_format" in refused:
            return "text"
        return "json_object" if "json_schema" in refused else "json_schema"

    def arguments(self, request: ChatRequest) -> dict[str, Any]:
        refused = self.refused.get(request.model, set()) - request.keep
        messages = request.messages
        if NULL_CONTENT in refused:
            messages = [_empty_content(message) for message in messages]
        args: dict[str, Any] = {"model": request.model}
        if request.prompt is not None:
            args["prompt"] = request.prompt
        else:
            args["messages"] = messages
        args["stream"] = True
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
            # The completions endpoint takes how many alternatives to report, 1 at least (0
            # gives none on some servers); chat takes a flag and ``top_logprobs``.
            args["logprobs"] = True if request.prompt is None else max(1, request.top_logprobs or 0)
            if request.prompt is None and request.top_logprobs and "top_logprobs" not in refused:
                args["top_logprobs"] = request.top_logprobs
        if request.store and "store" not in refused:
            args["store"] = True
            if request.metadata and "metadata" not in refused:
                args["metadata"] = request.metadata
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

    def adapt(self, request: ChatRequest, args: dict[str, Any], refused: str, error: Any) -> None:
        """Remember that ``request.model`` refuses ``refused`` here; return to send again, or
        raise when the request cannot go on without it."""
        model = request.model
        refusals = self.refused.setdefault(model, set())
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
                f"`{model}` ({error.status_code}): {detail(error, self.endpoint)}",
            )
        refusals.add(refused)
        if refused == NULL_CONTENT:
            log.info("%s refused content: null for %s; sending empty strings", where, model)
            return
        if refused in request.keep:
            raise ModelError(
                "refused",
                f"{self.endpoint.base_url} does not accept `{refused}` for model `{model}` "
                f"({error.status_code}): {detail(error, self.endpoint)}",
            )
        instead = ""
        if refused == "max_tokens" and "max_completion_tokens" not in refusals:
            instead = " (sending max_completion_tokens)"
        log.info("%s refused %s for %s; sending again without it%s", where, refused, model, instead)


def refused_parameter(
    body: Any, message: str, code: Any, param: Any, args: dict[str, Any]
) -> str | None:
    """The parameter of ``args`` that an error response refuses (its ``body``, the ``message``
    in it, and OpenAI's ``code`` and ``param`` fields), if that is what it says: the one
    ``ADAPTABLE`` name it gives, or ``NULL_CONTENT``."""
    text = message if isinstance(body, str) else f"{message} {flatten(body)}"
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
        if name in ADAPTABLE and name in args:
            return name
    if "content" in lowered and "messages" in args:
        nulls = [
            n
            for n, m in enumerate(args["messages"])
            if m.get("content") is None and m.get("tool_calls")
        ]
        named = {int(n) for n in _MESSAGE_CONTENT.findall(lowered)}
        if nulls and (not named or named & set(nulls)):
            return NULL_CONTENT
    return None


async def no_retry_for_refusals(response: Any) -> None:
    """httpx response hook: a 5xx whose body refuses a parameter of the request (or says the
    prompt is over the context) gets ``x-should-retry: false``, the header the SDK's retry
    logic obeys, so it is not sent again unchanged; ``ModelClient.chat`` then adapts at once.
    Other 5xx are retried by the SDK with its backoff as before."""
    if response.status_code < 500 or response.status_code not in REFUSAL_STATUSES:
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
    message = body_message(body) or str(body)
    inner = body.get("error", body) if isinstance(body, dict) else {}
    inner = inner if isinstance(inner, dict) else {}
    if is_overflow(body, message) or refused_parameter(
        body, message, inner.get("code"), inner.get("param"), args if isinstance(args, dict) else {}
    ):
        response.headers["x-should-retry"] = "false"


def _empty_content(message: dict[str, Any]) -> dict[str, Any]:
    if message.get("content") is None and message.get("tool_calls"):
        return {**message, "content": ""}
    return message
