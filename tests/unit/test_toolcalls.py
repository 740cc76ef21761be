"""Streamed tool calls assembled from their deltas, and backends that refuse tools recognised."""

from __future__ import annotations

from typing import Any

import pytest

from chatls.model.adapting import refused_parameter
from chatls.model.client import ModelClient
from chatls.model.request import ChatRequest, Endpoint
from chatls.model.toolcalls import ToolCall, ToolCallParts


def _feed(*chunks: Any) -> list[ToolCall]:
    parts = ToolCallParts()
    for chunk in chunks:
        parts.add(chunk)
    return parts.calls()


def test_calls_are_assembled_by_index_from_argument_pieces() -> None:
    calls = _feed(
        [
            {
                "index": 0,
                "id": "call_a",
                "type": "function",
                "function": {"name": "find_definition", "arguments": ""},
            }
        ],
        [{"index": 0, "function": {"arguments": '{"na'}}],
        [
            {
                "index": 1,
                "id": "call_b",
                "type": "function",
                "function": {"name": "read_lines", "arguments": '{"pa'},
            }
        ],
        [{"index": 0, "function": {"arguments": 'me": "f"}'}}],
        [{"index": 1, "function": {"arguments": 'th": "a.py", "start": 1, "end": 2}'}}],
    )
    assert calls == [
        ToolCall("call_a", "find_definition", '{"name": "f"}'),
        ToolCall("call_b", "read_lines", '{"path": "a.py", "start": 1, "end": 2}'),
    ]
    assert calls[0].message() == {
        "id": "call_a",
        "type": "function",
        "function": {"name": "find_definition", "arguments": '{"name": "f"}'},
    }


def test_several_calls_in_one_chunk_and_a_repeated_name() -> None:
    calls = _feed(
        [
            {"index": 0, "id": "x", "function": {"name": "f", "arguments": "{}"}},
            {"index": 1, "id": "y", "function": {"name": "g", "arguments": "{"}},
        ],
        [{"index": 1, "function": {"name": "g", "arguments": "}"}}],
    )
    assert calls == [ToolCall("x", "f", "{}"), ToolCall("y", "g", "{}")]


def test_missing_indices_ids_and_parsed_arguments() -> None:
    # Servers that leave out the index: a new id starts a call; pieces continue the last one.
    calls = _feed(
        [{"id": "a", "function": {"name": "f", "arguments": '{"x"'}}],
        [{"function": {"arguments": ": 1}"}}],
        [{"id": "b", "function": {"name": "g", "arguments": {"y": 2}}}],
        [{"index": 5, "function": {"name": "h"}}],
    )
    assert calls == [
        ToolCall("a", "f", '{"x": 1}'),
        ToolCall("b", "g", '{"y": 2}'),
        ToolCall("call_5", "h", ""),
    ]


def test_garbage_is_skipped_not_raised() -> None:
    assert _feed(None, "x", [1, "y", {"index": 0}], [{"index": 0, "function": "z"}]) == [
        ToolCall("call_0", "", "")
    ]


@pytest.mark.parametrize(
    ("message", "refused"),
    [
        ("registry.ollama.ai/library/gemma:2b does not support tools", "tools"),
        ("tools param requires --jinja flag", "tools"),
        (
            '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
            "tools",
        ),
        ("tool_choice is not supported by this model", "tool_choice"),
        ("Unrecognized request argument supplied: tools", "tools"),
        ("max_tokens is too large", None),
    ],
)
def test_refusals_of_tools_are_recognised(message: str, refused: str | None) -> None:
    client = ModelClient(Endpoint("http://x/v1", None))
    request = ChatRequest(
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        max_tokens=10,
        tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
        tool_choice="none",
    )
    args = client.adaptations.arguments(request)
    assert args["tools"] and args["tool_choice"] == "none"
    body = {"error": {"message": message}}
    assert refused_parameter(body, message, None, None, args) == refused


def test_refused_tools_are_dropped_unless_kept() -> None:
    client = ModelClient(Endpoint("http://x/v1", None))
    client.adaptations.refused["m"] = {"tools"}
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    request = ChatRequest(model="m", messages=[], tools=tools, tool_choice="none")
    assert "tools" not in client.adaptations.arguments(request)
    assert "tool_choice" not in client.adaptations.arguments(request)
    kept = ChatRequest(model="m", messages=[], tools=tools, keep=frozenset({"tools"}))
    assert client.adaptations.arguments(kept)["tools"] == tools
