"""Fill-in-the-middle prompts: which models get them and in which tokens, the prompt built from
the code around the cursor, its stop sequences, the request's arguments for the completions
endpoint, both shapes of its log probabilities, and a middle cleaned at the cursor."""

from __future__ import annotations

import pytest

from chatls.completion import fim
from chatls.completion.cleaning import Cursor, clean, cursor_at
from chatls.model.adapting import Adaptations
from chatls.model.request import ChatRequest, Endpoint
from chatls.model.stream import _tokens


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("qwen2.5-coder-0.5b-instruct-q4_k_m", "qwen"),
        ("Qwen/Qwen2.5-Coder-7B", "qwen"),
        ("qwen3-coder:30b", "qwen"),
        ("codegemma:2b", "qwen"),
        ("bigcode/starcoder2-3b", "starcoder"),
        ("deepseek-coder-6.7b-base", "deepseek"),
        ("codellama:7b-code", "codellama"),
        ("SmolLM2-135M-Instruct.Q4_1", None),
        ("gpt-4o-mini", None),
        ("qwen2.5:7b", None),
    ],
)
def test_the_name_says_which_format(model: str, expected: str | None) -> None:
    found = fim.detect(model)
    assert (found.name if found else None) == expected


def test_the_setting_decides() -> None:
    assert fim.format_for("qwen2.5-coder-1.5b", "auto") is fim.QWEN
    assert fim.format_for("qwen2.5-coder-1.5b", "off") is None
    assert fim.format_for("gpt-4o-mini", "auto") is None
    assert fim.format_for("my-finetune", "on") is fim.QWEN
    assert fim.format_for("starcoder2", "on") is fim.STARCODER


def test_the_prompt_is_prefix_suffix_middle() -> None:
    prefix, suffix = "def f(x):\n    return ", "\n\nprint(f(1))\n"
    assert fim.QWEN.prompt(prefix, suffix) == (
        "<|fim_prefix|>def f(x):\n    return <|fim_suffix|>\n\nprint(f(1))\n<|fim_middle|>"
    )
    assert fim.STARCODER.prompt("a", "b") == "<fim_prefix>a<fim_suffix>b<fim_middle>"
    assert fim.DEEPSEEK.prompt("a", "b") == "<｜fim▁begin｜>a<｜fim▁hole｜>b<｜fim▁end｜>"
    assert fim.CODELLAMA.prompt("a", "b") == "<PRE> a <SUF>b <MID>"


def test_the_imports_come_first_when_the_window_starts_below_them() -> None:
    assert fim.header_and_prefix("", "x = 1\ny = ") == "x = 1\ny = "
    assert fim.header_and_prefix("import os\nimport sys", "    y = ") == (
        "import os\nimport sys\n\n    y = "
    )


def test_a_single_line_stops_at_its_end() -> None:
    assert fim.stops(fim.QWEN, single_line=True)[0] == "\n"
    assert fim.stops(fim.QWEN, single_line=False)[0] == "\n\n\n"
    assert len(fim.stops(fim.QWEN, single_line=False)) <= 4
    assert "<|endoftext|>" in fim.stops(fim.QWEN, single_line=True)


def test_the_arguments_go_to_the_completions_endpoint() -> None:
    adaptations = Adaptations(Endpoint("http://127.0.0.1:1/v1", None, local=True))
    request = ChatRequest(
        model="qwen2.5-coder",
        messages=[],
        prompt="<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>",
        max_tokens=24,
        stop=["\n"],
        logprobs=True,
        usage=False,
        slot=1,
    )
    args = adaptations.arguments(request)
    assert args["prompt"] == "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>"
    assert "messages" not in args
    assert args["logprobs"] == 1 and "top_logprobs" not in args
    assert args["stop"] == ["\n"] and args["max_tokens"] == 24
    assert args["id_slot"] == 1 and args["cache_prompt"] is True
    chat = adaptations.arguments(ChatRequest(model="m", messages=[], logprobs=True))
    assert chat["logprobs"] is True and "prompt" not in chat


def test_both_shapes_of_log_probabilities() -> None:
    llama = {"content": [{"token": "fib", "logprob": -0.1, "bytes": [102, 105, 98]}]}
    assert _tokens(llama) == llama["content"]
    openai = {"tokens": ["fib", "(n"], "token_logprobs": [-0.1, -0.2], "text_offset": [0, 3]}
    assert _tokens(openai) == [{"token": "fib", "logprob": -0.1}, {"token": "(n", "logprob": -0.2}]
    assert _tokens(None) == [] and _tokens({"tokens": None}) == []


def _cursor(marked: str) -> tuple[str, Cursor]:
    offset = marked.index("‸")
    text = marked.replace("‸", "")
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text, cursor_at(text, offset, start, end if end >= 0 else len(text), "    ")


def test_a_middle_on_an_empty_line_keeps_the_files_indentation() -> None:
    text, cursor = _cursor("def f(x):\n    ‸\n")
    middle = "y = x * 2\n    return y\n"
    assert clean(middle, text, cursor, "    ", "stop", middle=True) == "y = x * 2\n    return y"


def test_a_middle_that_starts_like_the_line_is_not_an_echo() -> None:
    # Chat replies often repeat the line; a middle never does, so nothing is stripped.
    text, cursor = _cursor("x = x‸\n")
    assert clean(" = x + 1", text, cursor, "    ", "stop", middle=True) == " = x + 1"
    assert clean("x = 2", text, cursor, "    ", "stop", middle=True) == "x = 2"


def test_a_middle_after_a_typed_space_does_not_add_another() -> None:
    text, cursor = _cursor("\tif ‸\n")
    assert clean(" err != nil {", text, cursor, "\t", "stop", middle=True) == "err != nil {"
