from __future__ import annotations

from chatls.edits.replies import code_blocks, extract_code, markdown_answer, parse_json_object
from chatls.logs import RedactingFilter
from chatls.model.failures import redact


def test_fences_of_every_kind() -> None:
    reply = 'a\n````js\nx\n```\ny\n````\n~~~\nz\n~~~\n```python title="f.py"\nw\n'
    blocks = code_blocks(reply)
    assert [(b.language, b.code, b.closed) for b in blocks] == [
        ("js", "x\n```\ny", True),
        ("", "z", True),
        ("python", "w", False),
    ]


def test_indented_fence_content_is_dedented_by_the_fence_indent() -> None:
    blocks = code_blocks("  ```\n  a\n    b\n  ```")
    assert blocks[0].code == "a\n  b"


def test_json_replies() -> None:
    assert parse_json_object('{"code": "x"}') == {"code": "x"}
    assert parse_json_object('```json\n{"code": "x"}\n```') == {"code": "x"}
    assert parse_json_object('Sure: {"code": "x"} done') == {"code": "x"}
    assert parse_json_object("[1, 2]") is None
    assert parse_json_object("not json") is None


def test_markdown_answer_unwraps_a_markdown_fence() -> None:
    assert markdown_answer("```markdown\n# Title\ntext\n```") == "# Title\ntext"
    assert markdown_answer("  plain  ") == "plain"


def test_extract_prefers_the_block_like_the_selection() -> None:
    reply = "```python\nprint(area(2))\n```\n```python\ndef area(r):\n    return 3.14 * r ** 2\n```"
    assert extract_code(reply, "def area(r):\n    return 3.14 * r * r").startswith("def area")


def test_redaction() -> None:
    RedactingFilter.add_secret("my-custom-secret-value")
    text = (
        "initialization_options={'apiKey': 'my-custom-secret-value', 'x': 1} "
        'Authorization: Bearer sk-abcdefghijklmnop "apiKey": "other-secret" key sk-proj-12345678901'
    )
    cleaned = RedactingFilter.redact(text)
    assert "my-custom-secret-value" not in cleaned
    assert "sk-abcdefghijklmnop" not in cleaned and "other-secret" not in cleaned
    assert "sk-proj-12345678901" not in cleaned
    assert "'x': 1" in cleaned
    assert redact("Incorrect API key provided: sk-live-123456789", "sk-live-123456789") == (
        "Incorrect API key provided: ***"
    )


def test_docstring_lines_are_wrapped_like_a_person_would() -> None:
    from chatls.edits.docs import wrap

    long = "word " * 30
    lines = wrap(
        [
            long.strip(),
            "",
            "Args:",
            "    x: " + long.strip(),
            "- " + long.strip(),
            "```",
            long,
            "```",
        ],
        60,
    )
    assert all(len(line) <= 60 for line in lines[:-3])
    assert lines[lines.index("Args:") + 2].startswith("        word")
    bullet = next(i for i, line in enumerate(lines) if line.startswith("- "))
    assert lines[bullet + 1].startswith("  word")
    assert lines[-2] == long  # code examples are left alone
