from __future__ import annotations

from chatls.config import DEFAULT_EXCLUDE, Settings, merge, parse_settings


def test_defaults() -> None:
    settings, problems = parse_settings(None)
    assert problems == []
    assert settings == Settings()
    assert settings.structured_output == "auto"
    assert ".env" in settings.exclude and "*.pem" in settings.exclude
    assert list(DEFAULT_EXCLUDE) == settings.exclude


def test_camel_case_and_section_wrapper() -> None:
    settings, problems = parse_settings(
        {
            "chatls": {
                "baseUrl": "http://x/v1",
                "maxTokens": 10,
                "actions": {"fix": {"systemPrompt": "s"}},
            }
        }
    )
    assert problems == []
    assert settings.base_url == "http://x/v1" and settings.max_tokens == 10
    assert settings.action("fix").system_prompt == "s"
    assert settings.action("explain").model is None


def test_each_bad_value_is_reported_and_defaulted_alone() -> None:
    settings, problems = parse_settings(
        {
            "temperature": 5,
            "topP": "high",
            "stop": [1, 2],
            "seed": 1.5,
            "timeout": True,
            "model": "kept",
            "structuredOutput": "off",
        }
    )
    assert settings.model == "kept" and settings.structured_output == "off"
    assert settings.temperature == 0.2 and settings.top_p is None and settings.stop == []
    assert settings.seed is None and settings.timeout == 60.0
    assert len(problems) == 5
    assert problems[0] == "`temperature`: expected a value between 0 and 2, got 5"


def test_stop_accepts_a_single_string_and_ints_for_floats() -> None:
    settings, problems = parse_settings({"stop": "END", "temperature": 1})
    assert problems == [] and settings.stop == ["END"] and settings.temperature == 1.0


def test_max_tokens_is_capped_to_leave_room_for_the_prompt() -> None:
    settings, problems = parse_settings({"contextTokens": 1000, "maxTokens": 900})
    assert settings.max_tokens == 500
    assert "`maxTokens` (900)" in problems[0]


def test_merge_is_deep() -> None:
    assert merge(
        {"a": 1, "actions": {"fix": {"model": "x"}}}, {"actions": {"fix": {"temperature": 0}}}
    ) == {"a": 1, "actions": {"fix": {"model": "x", "temperature": 0}}}


def test_the_key_is_not_in_the_repr() -> None:
    settings, _ = parse_settings({"apiKey": "sk-secret-value-123456"})
    assert "sk-secret" not in repr(settings)


def test_a_null_override_removes_the_value() -> None:
    merged = merge(
        {"apiKey": "sk-old", "model": "m", "actions": {"fix": {"model": "x"}}},
        {"apiKey": None, "actions": {"fix": {"model": None}}},
    )
    assert merged == {"model": "m", "actions": {"fix": {}}}


def test_tool_settings_are_typed_defaulted_and_validated() -> None:
    settings, problems = parse_settings(None)
    tools = settings.tools
    assert (tools.enabled, tools.max_rounds, tools.max_calls) == ("auto", 4, 8)
    assert tools.gitignore is True and tools.result_tokens == 800
    settings, problems = parse_settings(
        {"tools": {"enabled": "sometimes", "maxRounds": 0, "maxCalls": 3, "gitignore": "no"}}
    )
    assert settings.tools.enabled == "auto" and settings.tools.max_rounds == 4
    assert settings.tools.max_calls == 3 and settings.tools.gitignore is True
    assert problems == [
        "`tools.enabled`: expected one of 'auto', 'on', 'off', got 'sometimes'",
        "`tools.maxRounds`: expected a value between 1 and 20, got 0",
        "`tools.gitignore`: expected true or false, got 'no'",
    ]
