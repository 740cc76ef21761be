"""The model client's request arguments for prefix caches, what it learns from a backend's
token counts, and what it runs while the backend answers."""

from __future__ import annotations

import time

from chatls.model.client import ModelClient, cache_key
from chatls.model.request import ChatRequest, Endpoint
from chatls_testing.scripted_backend import Chat, Error, ScriptedBackend


def _arguments(local: bool, **fields: object) -> dict[str, object]:
    client = ModelClient(Endpoint("http://127.0.0.1:1/v1", None, local=local))
    request = ChatRequest(model="m", messages=[{"role": "user", "content": "x"}], **fields)  # type: ignore[arg-type]
    return client.adaptations.arguments(request)


def test_the_local_server_keeps_each_purposes_prompt_cached_in_its_own_slot() -> None:
    args = _arguments(True, slot=1, cache_key="chatls-abc")
    assert args["cache_prompt"] is True and args["id_slot"] == 1
    assert args["prompt_cache_key"] == "chatls-abc"


def test_remote_backends_get_only_the_cache_key() -> None:
    args = _arguments(False, slot=1, cache_key="chatls-abc")
    assert "cache_prompt" not in args and "id_slot" not in args
    assert args["prompt_cache_key"] == "chatls-abc"


def test_one_cache_key_per_file_without_its_name() -> None:
    one, same, other = (cache_key(u) for u in ("file:///a/x.py", "file:///a/x.py", "file:///b.py"))
    assert one == same != other and "x.py" not in one


def test_the_scale_learned_from_usage_is_never_below_one_and_ignores_placeholders() -> None:
    client = ModelClient(Endpoint("http://127.0.0.1:1/v1", None))
    client._learn_scale("m", 1000, 10)  # a placeholder count, not this prompt's
    assert client.token_scale("m") is None
    client._learn_scale("m", 1000, 950)
    assert client.token_scale("m") == 1.0
    client._learn_scale("m", 1000, 1120)
    client._learn_scale("m", 1000, 1050)
    assert client.token_scale("m") == 1.12


async def _sent_with_meanwhile(backend: ScriptedBackend, retries: int) -> list[tuple[float, float]]:
    """Sends one request whose ``meanwhile`` holds the event loop for 0.2 s; returns when each
    run of it began and ended. Had it run before the request was written, the backend (a
    thread, free to run while the loop sleeps) could only have the request after it ended."""
    client = ModelClient(Endpoint(backend.url, None, timeout=10, max_retries=retries))
    runs: list[tuple[float, float]] = []

    def meanwhile() -> None:
        began = time.monotonic()
        time.sleep(0.2)
        runs.append((began, time.monotonic()))

    request = ChatRequest(
        model="m", messages=[{"role": "user", "content": "x"}], meanwhile=meanwhile
    )
    try:
        reply = await client.chat(request)
    finally:
        await client.close()
    assert reply.text == "done"
    return runs


async def test_meanwhile_runs_once_the_backend_has_the_request_and_before_its_reply(
    backend: ScriptedBackend,
) -> None:
    backend.script(Chat("done", delay=0.5))
    [(began, ended)] = await _sent_with_meanwhile(backend, retries=0)
    [sent] = backend.requests
    assert sent.received < ended
    assert began < sent.finished


async def test_meanwhile_runs_once_when_the_sdk_sends_the_request_again(
    backend: ScriptedBackend,
) -> None:
    backend.script(
        Error(503, "overloaded", headers={"retry-after-ms": "10"}), Chat("done", delay=0.5)
    )
    [(began, ended)] = await _sent_with_meanwhile(backend, retries=1)
    first, again = backend.requests
    assert first.received < ended
    assert again.finished > began
