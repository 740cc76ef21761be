"""What servers say when they refuse a parameter, read as the parameter to drop or step down;
their error text shortened for the user; and redaction that masks only the key."""

from __future__ import annotations

from typing import Any

import pytest

from chatls.logs import RedactingFilter, mask, worth_searching
from chatls.model.adapting import NULL_CONTENT, refused_parameter
from chatls.model.client import ModelClient
from chatls.model.failures import body_message, is_overflow, redact, shorten
from chatls.model.request import ChatRequest, Endpoint
from chatls_testing.scripted_backend import PROFILES, Error

TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
SCHEMA = {"name": "doc", "schema": {"type": "object"}}


def _args(**fields: Any) -> dict[str, Any]:
    client = ModelClient(Endpoint("http://x/v1", None))
    request = ChatRequest(
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        max_tokens=100,
        tools=TOOLS,
        json_schema=SCHEMA,
        logprobs=True,
        top_logprobs=2,
        cache_key="chatls-1",
        n=2,
        **fields,
    )
    return client.adaptations.arguments(request)


def _refused(error: Any, args: dict[str, Any]) -> str | None:
    body = error.body if error.body is not None else {"error": {"message": error.message}}
    inner = body.get("error") if isinstance(body, dict) else None
    inner = inner if isinstance(inner, dict) else {}
    message = body_message(body) or ""
    return refused_parameter(body, message, inner.get("code"), inner.get("param"), args)


@pytest.mark.parametrize(
    ("profile", "change", "refused"),
    [
        ("llama-cpp-python", {}, "response_format"),
        ("azure", {}, "stream_options"),
        ("azure", {"stream_options": None, "prompt_cache_key": None}, "response_format"),
        ("openai-reasoning", {}, "max_tokens"),
        ("openai-reasoning", {"max_tokens": None}, "temperature"),
        ("openai-reasoning", {"max_tokens": None, "temperature": None}, "logprobs"),
        ("ollama-no-tools", {}, "tools"),
        ("vllm", {}, "tools"),
        ("lmstudio", {"response_format": {"type": "json_object"}}, "response_format"),
    ],
)
def test_each_profiles_refusal_names_the_parameter(
    profile: str, change: dict[str, Any], refused: str
) -> None:
    args = {**_args(temperature=0.2), **change}
    args = {key: value for key, value in args.items() if value is not None}
    error = PROFILES[profile].refuse(args)
    assert isinstance(error, Error)
    assert _refused(error, args) == refused


def test_a_null_content_refusal_asks_for_empty_strings() -> None:
    turn = {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function"}]}
    args = {**_args(), "messages": [{"role": "user", "content": "hi"}, turn]}
    for profile in ("llama-cpp-python", "lmstudio"):
        error = PROFILES[profile].refuse({**args, "response_format": None})
        assert isinstance(error, Error)
        assert _refused(error, args) == NULL_CONTENT


@pytest.mark.parametrize(
    "message",
    [
        "The model `gpt-5` does not exist",
        "max_tokens is too large",
        "Rate limit reached",
        "internal error",
    ],
)
def test_other_errors_are_not_refusals(message: str) -> None:
    assert refused_parameter(None, message, None, None, _args()) is None


def test_a_parameter_that_was_not_sent_is_not_refused() -> None:
    message = "Unrecognized request argument supplied: seed"
    assert refused_parameter(None, message, None, None, _args()) is None
    assert refused_parameter(None, message, None, None, {**_args(), "seed": 1}) == "seed"


def test_overflow_bodies_are_recognised() -> None:
    for name in ("openai", "vllm", "lmstudio"):
        profile = PROFILES[name]
        assert profile.overflow is not None
        error = profile.overflow(9000, 4096, True)
        assert isinstance(error, Error)
        body = error.body or {"error": {"message": error.message}}
        assert is_overflow(body, body_message(body) or "")


def test_a_validation_error_is_shortened_to_what_the_user_can_change() -> None:
    error = PROFILES["llama-cpp-python"].refuse({"response_format": {"type": "json_schema"}})
    assert isinstance(error, Error)
    message = body_message(error.body)
    assert message is not None and "Traceback" not in message and 'File "' in message
    short = shorten(message)
    assert short == "`response_format.type`: Input should be 'text' or 'json_object'"


def test_a_traceback_is_cut_and_long_text_shortened() -> None:
    text = 'Model failed to load.\nTraceback (most recent call last):\n  File "x.py", line 1\n'
    assert shorten(text) == "Model failed to load."
    long = "word " * 200
    short = shorten(long)
    assert len(short) <= 300 and short.endswith("…") and not short.endswith(" …")


@pytest.mark.parametrize(
    "key", ["x", "ollama", "EMPTY", "none", "no-key", "sk-no-key-required", "lm-studio", "token"]
)
def test_a_key_too_short_or_common_is_never_searched_for(key: str) -> None:
    assert not worth_searching(key)
    text = "the text expected an ollama model; no-key lm-studio none token EMPTY"
    assert mask(text, key) == text
    assert redact(text, key) == text


def test_a_real_key_is_masked_only_as_a_whole_token() -> None:
    key = "s3cr3t-K3y-1234567890"
    assert worth_searching(key)
    text = f"key {key}, not x{key}y nor {key}0; ({key})."
    assert mask(text, key) == f"key ***, not x{key}y nor {key}0; (***)."


def test_the_log_filter_masks_weak_keys_only_where_they_are_the_key() -> None:
    RedactingFilter.add_secret("ollama")
    RedactingFilter.add_secret("x")
    line = 'settings {"apiKey": "ollama", "model": "ollama-coder"} Authorization: Bearer x'
    cleaned = RedactingFilter.redact(line)
    assert '"apiKey": "ollama"' not in cleaned and "Bearer x" not in cleaned
    assert '"model": "ollama-coder"' in cleaned
    assert "ollama" not in RedactingFilter.secrets and "x" not in RedactingFilter.secrets


def test_structured_output_steps_down_and_parameters_are_dropped_as_remembered() -> None:
    client = ModelClient(Endpoint("http://x/v1", None))
    request = ChatRequest(
        model="m", messages=[], max_tokens=5, json_schema=SCHEMA, logprobs=True, top_logprobs=3
    )
    args = client.adaptations.arguments(request)
    assert args["response_format"]["type"] == "json_schema" and args["max_tokens"] == 5
    assert args["logprobs"] is True and args["top_logprobs"] == 3
    client.adaptations.refused["m"] = {"json_schema", "max_tokens", "top_logprobs"}
    args = client.adaptations.arguments(request)
    assert args["response_format"] == {"type": "json_object"}
    assert "max_tokens" not in args and args["max_completion_tokens"] == 5
    assert args["logprobs"] is True and "top_logprobs" not in args
    client.adaptations.refused["m"] |= {"response_format", "max_completion_tokens", "logprobs"}
    args = client.adaptations.arguments(request)
    assert not {"response_format", "max_tokens", "max_completion_tokens", "logprobs"} & set(args)
    assert client.structured_output("m") == "text"
    assert client.structured_output("other") == "json_schema"


# The other parameters the issue names, each refused in the shapes servers use: OpenAI's
# `unsupported_parameter` with `param`, Azure's "Unrecognized request argument", and a FastAPI
# server's 422 (vLLM, llama-cpp-python) for a field its pydantic model forbids.
OTHERS = (
    "tool_choice",
    "seed",
    "n",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "top_p",
    "stream_options",
    "prompt_cache_key",
    "max_completion_tokens",
)


def _bodies(name: str) -> list[dict[str, Any]]:
    return [
        {
            "error": {
                "message": f"Unsupported parameter: '{name}' is not supported with this model.",
                "type": "invalid_request_error",
                "param": name,
                "code": "unsupported_parameter",
            }
        },
        {
            "error": {
                "message": f"Unrecognized request argument supplied: {name}",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        },
        {
            "detail": [
                {
                    "type": "extra_forbidden",
                    "loc": ["body", name],
                    "msg": "Extra inputs are not permitted",
                    "input": 1,
                }
            ]
        },
    ]


@pytest.mark.parametrize("name", OTHERS)
def test_every_named_parameter_refused_is_dropped_and_remembered(name: str) -> None:
    client = ModelClient(Endpoint("http://x/v1", None))
    request = ChatRequest(
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        max_tokens=100,
        temperature=0.2,
        top_p=0.9,
        presence_penalty=0.1,
        frequency_penalty=0.1,
        seed=7,
        stop=["\n\n"],
        n=2,
        tools=TOOLS,
        tool_choice="auto",
        cache_key="chatls-1",
    )
    if name == "max_completion_tokens":
        # Only sent once `max_tokens` was refused (reasoning models).
        client.adaptations.refused["m"] = {"max_tokens"}
    args = client.adaptations.arguments(request)
    assert name in args
    for body in _bodies(name):
        inner = body.get("error", {})
        message = body_message(body) or ""
        refused = refused_parameter(body, message, inner.get("code"), inner.get("param"), args)
        assert refused == name, body
    client.adaptations.refused.setdefault("m", set()).add(name)
    again = client.adaptations.arguments(request)
    assert name not in again
    # Everything else still goes.
    assert set(args) - set(again) == {name}
