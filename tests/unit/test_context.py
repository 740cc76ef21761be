"""Context building and token budgeting: exact counts, never over budget, trimmed outward."""

from __future__ import annotations

import tiktoken

from chatls.context import prompts
from chatls.context.tokens import TokenCounter
from chatls.context.window import build_prompt
from chatls.source.languages import language_for
from chatls.source.syntax import Syntax

SOURCE = (
    "import os\nimport sys\n\n\n"
    + "".join(f"def helper{i}():\n    return {i}\n\n\n" for i in range(40))
    + "def target(items):\n"
    + "".join(f"    step{i} = {i}\n" for i in range(30))
    + "    total = sum(items)\n"
    + "".join(f"    after{i} = {i}\n" for i in range(30))
    + "    return total\n\n\n"
    + "".join(f"def tail{i}():\n    return {i}\n\n\n" for i in range(40))
)


def _render(variables: dict[str, object]) -> list[dict[str, str]]:
    base = {
        "language": "Python",
        "language_id": "python",
        "fence": "python",
        "path": "m.py",
        "code": "    total = sum(items)",
        "structured": False,
        "instruction": "Refactor.",
        "diagnostics": [],
        "diagnostic": None,
        "kind": "code",
        "name": "",
        "doc_convention": "",
        "partial": False,
        "edit_format": "whole",
        "signatures": [],
    }
    return prompts.messages("refactor", {**base, **variables})


def _build(budget: int) -> tuple[object, Syntax, int, int]:
    syntax = Syntax(SOURCE, language_for("python", "m.py"))
    start = SOURCE.index("    total = sum(items)")
    end = start + len("    total = sum(items)")
    scope = syntax.enclosing_scope(start, end)
    prompt = build_prompt(
        syntax, start, end, scope, _render, TokenCounter("gpt-4o"), budget, "test"
    )
    return prompt, syntax, start, end


def test_counts_are_exact_tiktoken_counts() -> None:
    counter = TokenCounter("gpt-4o")
    encoding = tiktoken.get_encoding("o200k_base")
    messages = [
        {"role": "system", "content": "Hello 😀 world"},
        {"role": "user", "content": "def f(): pass"},
    ]
    expected = 3 + sum(
        3 + len(encoding.encode(m["role"])) + len(encoding.encode(m["content"])) for m in messages
    )
    assert counter.count_messages(messages) == expected
    assert counter.encoding == "o200k_base"
    assert TokenCounter("gpt-4").encoding == "cl100k_base"
    assert TokenCounter("some-local-model").encoding == "o200k_base"


def test_never_over_budget_and_as_full_as_it_can_be() -> None:
    counter = TokenCounter("gpt-4o")
    for budget in (400, 600, 900, 1500, 3000):
        prompt, *_ = _build(budget)
        assert prompt.tokens <= budget  # type: ignore[attr-defined]
        assert counter.count_messages(prompt.messages) == prompt.tokens  # type: ignore[attr-defined]
        whole, *_ = _build(100000)
        if prompt.context_lines < whole.context_lines:  # type: ignore[attr-defined]
            # Filled to within about one line (these lines cost under 15 tokens each).
            assert prompt.tokens > budget - 15  # type: ignore[attr-defined]


def test_context_grows_outward_inside_the_scope_first() -> None:
    prompt, *_ = _build(500)
    user = prompt.messages[1]["content"]  # type: ignore[attr-defined]
    # The nearest lines are in, the far ones out, and nothing outside the function yet.
    assert "step29 = 29" in user and "after0 = 0" in user
    assert "def helper" not in user and "def tail" not in user
    assert "earlier lines omitted" in user and "later lines omitted" in user


def test_whole_scope_then_imports_then_the_rest() -> None:
    prompt, *_ = _build(1100)
    user = prompt.messages[1]["content"]  # type: ignore[attr-defined]
    assert "def target(items):" in user and "return total" in user
    assert "import os" in user
    big, *_ = _build(100000)
    everything = big.messages[1]["content"]  # type: ignore[attr-defined]
    assert "def helper0():" in everything and "def tail39():" in everything
    assert "omitted" not in everything


def test_too_large_a_selection_is_an_error() -> None:
    import pytest

    from chatls.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="too large"):
        _build(120)
