"""A reply assembled from what the backend sent: the streamed chunks (text per choice, tool-call
pieces, finish reasons, log probabilities, usage and cache counts, timings), or the same read
from a reply that was not streamed."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from chatls.model.failures import incomplete, malformed
from chatls.model.request import ChatReply, Endpoint, ProgressCallback
from chatls.model.toolcalls import ToolCallParts

if TYPE_CHECKING:
    from openai import AsyncStream

log = logging.getLogger(__name__)


_DRAIN_EVENTS = 4
"""Events a stream closed early may still send before it ends by itself: the finish chunk, a
content-filter chunk, usage (``[DONE]`` ends it)."""


class EmptyStream(Exception):
    """The server answered 200 and closed the stream without a single event."""


async def read_stream(
    stream: AsyncStream[object],
    endpoint: Endpoint,
    structured: bool,
    started: float,
    on_progress: ProgressCallback | None,
    enough: Callable[[str], bool] | None,
) -> ChatReply:
    """The reply assembled from a stream of chunks (plain JSON, read defensively); closes the
    stream once ``enough`` says the answer is whole."""
    first: float | None = None
    cached: int | None = None
    texts: dict[int, list[str]] = {}
    calls = ToolCallParts()
    finish: dict[int, str | None] = {}
    logprobs: dict[int, list[dict[str, Any]]] = {}
    usage: dict[str, int] | None = None
    chunks = 0
    events = 0
    completion_id: str | None = None
    closed_early = False
    events_in = aiter(stream)
    try:
        async for chunk in events_in:
            events += 1
            if not isinstance(chunk, dict):
                raise malformed(endpoint, f"an event is {type(chunk).__name__}, not an object")
            if completion_id is None and isinstance(chunk.get("id"), str):
                completion_id = chunk["id"]
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
                    raise malformed(endpoint, "a choice is not an object")
                index = choice.get("index")
                number = index if isinstance(index, int) else 0
                parts = texts.setdefault(number, [])
                tokens = _tokens(choice.get("logprobs"))
                if tokens:
                    logprobs.setdefault(number, []).extend(tokens)
                delta = choice.get("delta")
                content = delta.get("content") if isinstance(delta, dict) else None
                if content is None and isinstance(choice.get("text"), str):
                    content = choice["text"]  # the completions endpoint
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
                closed_early = True
                gap = (time.perf_counter() - started) * 1000 - (first or 0.0)
                await _drain(events_in, gap / max(1, events - 1) / 1000)
                break
    except json.JSONDecodeError as error:
        raise malformed(endpoint, f"invalid JSON in an event: {error.msg}") from None
    finally:
        await stream.close()
    if not events:
        raise EmptyStream
    indices = sorted(texts)
    if not indices or all(finish.get(i) is None for i in indices):
        raise incomplete(endpoint)
    return ChatReply(
        texts=["".join(texts[i]) for i in indices],
        finish_reasons=[finish.get(i) for i in indices],
        structured=structured,
        usage=usage,
        tool_calls=calls.calls(),
        cached_tokens=cached,
        logprobs=[logprobs.get(i, []) for i in indices] if logprobs else None,
        first_token_ms=first,
        total_ms=(time.perf_counter() - started) * 1000,
        id=completion_id,
        closed_early=closed_early,
    )


async def _drain(events: AsyncIterator[object], gap: float) -> None:
    """Read, unused, what a server sends right after an answer judged whole: a server that then
    ends the stream (the model stopped there) keeps the connection for the next request, saving
    a new one (and a TLS handshake with a remote server), where closing the stream mid-way
    closes the connection. A server that goes on writing is cut off after about two of its
    ``gap``s between events (5 to 100 ms)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(0.1, max(0.005, 2 * gap))
    try:
        for _ in range(_DRAIN_EVENTS + 1):
            await asyncio.wait_for(anext(events), max(0.0, deadline - loop.time()))
    except StopAsyncIteration:
        log.debug("the stream ended by itself after the answer")
    except Exception as error:
        # The answer is whole: nothing the rest of the stream holds or does can change it.
        log.debug("the stream did not end by itself after the answer (%r)", error)


def read_body(body: object, endpoint: Endpoint, structured: bool, started: float) -> ChatReply:
    """The reply of a request sent without streaming, read into the same shape."""
    if not isinstance(body, dict):
        raise malformed(endpoint, f"the reply is {type(body).__name__}, not an object")
    texts: list[str] = []
    reasons: list[str | None] = []
    logprobs: list[list[dict[str, Any]]] = []
    calls = ToolCallParts()
    for number, choice in enumerate(body.get("choices") or []):
        if not isinstance(choice, dict):
            raise malformed(endpoint, "a choice is not an object")
        message = choice.get("message")
        message = message if isinstance(message, dict) else {}
        content = message.get("content", choice.get("text"))
        texts.append(content if isinstance(content, str) else "")
        reason = choice.get("finish_reason")
        reasons.append(reason if isinstance(reason, str) else None)
        if number == 0:
            calls.add(message.get("tool_calls"))
        logprobs.append(_tokens(choice.get("logprobs")))
    if not texts or all(reason is None for reason in reasons):
        raise incomplete(endpoint)
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
        structured=structured,
        usage=usage,
        tool_calls=calls.calls(),
        logprobs=logprobs if any(logprobs) else None,
        first_token_ms=elapsed,
        total_ms=elapsed,
        id=body.get("id") if isinstance(body.get("id"), str) else None,
    )


def _tokens(logprobs: Any) -> list[dict[str, Any]]:
    """A choice's tokens with their log probabilities: chat's ``content`` list (which llama.cpp
    sends on the completions endpoint too), or the completions endpoint's parallel ``tokens``
    and ``token_logprobs`` lists (OpenAI, vLLM) as the same ``{token, logprob}`` objects."""
    if not isinstance(logprobs, dict):
        return []
    content = logprobs.get("content")
    if isinstance(content, list):
        return [token for token in content if isinstance(token, dict)]
    tokens, values = logprobs.get("tokens"), logprobs.get("token_logprobs")
    if isinstance(tokens, list) and isinstance(values, list):
        return [
            {"token": token, "logprob": value}
            for token, value in zip(tokens, values, strict=False)
            if isinstance(token, str)
        ]
    return []
