"""The model client's request arguments for prefix caches, and what it learns from a backend's
token counts."""

from __future__ import annotations

from chatls.model.client import ModelClient, cache_key
from chatls.model.request import ChatRequest, Endpoint


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
