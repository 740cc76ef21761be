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


def test_neighbours_reach_the_definitions_just_before_and_after_and_no_further() -> None:
    syntax = Syntax(SOURCE, language_for("python", "m.py"))
    start = SOURCE.index("def target(items):")
    end = SOURCE.index("    return total\n") + len("    return total")
    prompt = build_prompt(
        syntax, start, end, None, _render, TokenCounter("gpt-4o"), 100000, "test",
        reach="neighbours",
    )  # fmt: skip
    user = prompt.messages[1]["content"]
    assert "def helper39():" in user and "def tail0():" in user and "import os" in user
    assert "def helper38():" not in user and "def tail1():" not in user


def test_definition_reach_is_the_function_around_the_code_without_the_imports() -> None:
    syntax = Syntax(SOURCE, language_for("python", "m.py"))
    start = SOURCE.index("    total = sum(items)")
    end = start + len("    total = sum(items)")
    prompt = build_prompt(
        syntax, start, end, None, _render, TokenCounter("gpt-4o"), 100000, "test",
        reach="definition",
    )  # fmt: skip
    user = prompt.messages[1]["content"]
    assert "def target(items):" in user and "    return total" in user
    assert "import os" not in user and "def helper39():" not in user and "def tail0" not in user


def test_too_large_a_selection_is_an_error() -> None:
    import pytest

    from chatls.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="too large"):
        _build(120)


def _stable(source: str, needle: str, budget: int) -> tuple[object, str]:
    from chatls.context.window import build_stable_prompt

    syntax = Syntax(source, language_for("python", "m.py"))
    start = source.index(needle)

    def render(variables: dict[str, object]) -> list[dict[str, str]]:
        return prompts.messages(
            "refactor",
            {
                "language": "Python",
                "language_id": "python",
                "fence": "python",
                "path": "m.py",
                "code": needle,
                "structured": False,
                "instruction": "Refactor.",
                "edit_format": "whole",
                **variables,
            },
            stable=True,
        )

    prompt = build_stable_prompt(
        syntax, start, start + len(needle), render, TokenCounter("gpt-4o"), budget, "test"
    )
    return prompt, prompt.messages[1]["content"]  # type: ignore[attr-defined]


LONG = "import os\n\n\n" + "".join(
    f"def f{i}(x):\n    y = x + {i}\n    return y * {i}\n\n\n" for i in range(600)
)


def test_a_stable_window_is_the_same_for_neighbouring_code_and_fits() -> None:
    windows = []
    for i in range(200, 240):
        prompt, user = _stable(LONG, f"def f{i}(x):\n    y = x + {i}\n", 3000)
        assert prompt.tokens <= 3000  # type: ignore[attr-defined]
        assert f"def f{i}(x)" in user.split("Selected code")[0]
        windows.append(user.split("```python\n")[2].split("\n```")[0])
    # Windows start on a grid: forty neighbours share one or two windows, not forty; code
    # far away gets another.
    assert len(set(windows)) <= 2
    _, far = _stable(LONG, "def f500(x):\n", 3000)
    assert far.split("```python\n")[2].split("\n```")[0] not in windows


def test_a_file_that_fits_is_shown_whole_whatever_the_selection() -> None:
    small = LONG[: LONG.index("def f40(")]
    users = [_stable(small, f"def f{i}(x):", 8000)[1] for i in (1, 20, 39)]
    assert len({u[: u.index("```\n\n")] for u in users}) == 1
    assert "def f0(x)" in users[0] and "def f39(x)" in users[0] and "omitted" not in users[0]


def test_the_code_is_marked_by_its_lines_after_the_file() -> None:
    _, user = _stable(LONG[:2000], "def f3(x):\n    y = x + 3\n", 8000)
    assert user.startswith("File: m.py (Python)\n\n```python\nimport os\n")
    assert "Selected code (lines 19-20 of the file):" in user
    assert user.index("def f3(x)") < user.index("Selected code")


def test_the_window_stays_where_it_was_while_it_holds_the_code() -> None:
    from chatls.context.window import build_stable_prompt

    syntax = Syntax(LONG, language_for("python", "m.py"))

    def render(variables: dict[str, object]) -> list[dict[str, str]]:
        return [{"role": "user", "content": str(variables["file"])}]

    def window(i: int, anchor: int | None) -> tuple[int | None, str]:
        start = LONG.index(f"def f{i}(x):")
        prompt = build_stable_prompt(
            syntax, start, start + 10, render, TokenCounter("gpt-4o"), 3000, "t", anchor=anchor
        )
        return prompt.window, prompt.messages[0]["content"]

    first, text = window(300, None)
    assert first is not None and "def f300(x)" in text
    # Code further down, still inside: the same window; past its end: a new one.
    assert window(310, first) == (first, text)
    moved, elsewhere = window(500, first)
    assert moved != first and "def f500(x)" in elsewhere


class _Recording(TokenCounter):
    """Notes how many characters it had to encode: texts it has not counted before."""

    def __init__(self, model: str) -> None:
        super().__init__(model)
        self.seen: set[str] = set()
        self.encoded = 0

    def raw(self, text: str) -> int:
        if text not in self.seen:
            self.seen.add(text)
            self.encoded += len(text)
        return super().raw(text)


def test_the_files_characters_per_token_are_counted_a_block_at_a_time() -> None:
    """The window's size comes from how many characters the file's tokens hold: counted by
    blocks of lines, within a hundredth of counting it whole, and after a line changes only
    that line's block is counted again."""
    import glob as stdlib_glob
    from pathlib import Path

    from chatls.context.window import BLOCK_LINES, _chars_per_token
    from chatls.source.text import text_index

    text = Path(stdlib_glob.__file__).read_text()
    counter = _Recording("gpt-4o")
    whole = len(text) / counter.count(text)
    assert abs(_chars_per_token(text_index(text, "utf-16"), counter) - whole) < whole / 100
    counter.encoded = 0
    changed = text.replace("def glob(", "def glob_(", 1)
    _chars_per_token(text_index(changed, "utf-16"), counter)
    line = changed[: changed.index("def glob_(")].count("\n")
    block = "".join(
        changed.splitlines(keepends=True)[line // BLOCK_LINES * BLOCK_LINES :][:BLOCK_LINES]
    )
    assert counter.encoded == len(block)


def test_the_stable_prompts_compact_form_is_rendered_only_when_asked_for() -> None:
    """The code without the window (a thread's compact form) costs a rendering and a count:
    made when a thread asks for it, not before every request, and the same as before."""
    from chatls.context.window import build_stable_prompt

    syntax = Syntax(LONG, language_for("python", "m.py"))
    needle = "def f300(x):\n    y = x + 300\n"
    start = LONG.index(needle)
    rendered: list[dict[str, object]] = []

    def render(variables: dict[str, object]) -> list[dict[str, str]]:
        rendered.append(variables)
        return [
            {"role": "system", "content": "Refactor."},
            {"role": "user", "content": f"{variables['file']}\n\nThe code: {needle}"},
        ]

    prompt = build_stable_prompt(
        syntax, start, start + len(needle), render, TokenCounter("gpt-4o"), 3000, "t"
    )
    assert len(rendered) == 1 and rendered[0]["file_first"] != 61
    compact = prompt.compact
    assert len(rendered) == 2 and prompt.compact is compact and len(rendered) == 2
    assert (
        compact is not None and compact[1]["content"] == f"{needle.rstrip()}\n\nThe code: {needle}"
    )
    assert prompt.tokens > TokenCounter("gpt-4o").count_messages(compact)


def test_code_too_large_alone_is_refused_whether_long_or_short() -> None:
    """Refused with the code's own count, as before the compact form was made lazily: a long
    selection at once, a short one with a long instruction once no window fits."""
    import pytest

    from chatls.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="too large"):
        _stable(LONG, LONG[LONG.index("def f10(x)") : LONG.index("def f90(x)")], 1000)
    with pytest.raises(InvalidRequestError, match=r"needs \d+ tokens but test leaves 60"):
        _stable(LONG, "def f300(x):\n    y = x + 300\n", 60)
