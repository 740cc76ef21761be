"""Parameter names from signatures, and what a call on one line passes."""

from __future__ import annotations

import pytest

from chatls.source.signatures import Call, calls, parameters


@pytest.mark.parametrize(
    ("header", "name", "language", "expected"),
    [
        (
            'def send_email(to: str, subject: str, body: str = "") -> None:',
            "send_email",
            "python",
            ("to", "subject", "body"),
        ),
        (
            "def load(self, path: str, *, strict: bool = False, **rest) -> dict:",
            "load",
            "python",
            ("path", "strict", "rest"),
        ),
        ("def only(a, /, b, *args):", "only", "python", ("a", "b", "args")),
        (
            'export function send(to: string, opts?: Map<string, number>, body = ""): void',
            "send",
            "typescript",
            ("to", "opts", "body"),
        ),
        (
            "constructor(private readonly store: Store, public name: string)",
            "constructor",
            "typescript",
            ("store", "name"),
        ),
        (
            "func (c *Cart) Add(to, subject string, body string) error",
            "Add",
            "go",
            ("to", "subject", "body"),
        ),
        (
            "pub fn send(&mut self, to: &str, mut n: HashMap<String, u8>) -> u8",
            "send",
            "rust",
            ("to", "n"),
        ),
        ("public static int add(final int a, String b)", "add", "java", ("a", "b")),
        ("class Cart:", "Cart", "python", ()),
        ("def broken(a, b", "broken", "python", ()),
    ],
)
def test_parameters(header: str, name: str, language: str, expected: tuple[str, ...]) -> None:
    assert parameters(header, name, language) == expected


def test_calls_count_what_is_passed_by_position_and_by_name() -> None:
    line = 'return load(f(a, b), "x, y", strict=x == 1, validate=True) + load(z)'
    assert calls(line, "load") == [Call(2, ("strict", "validate")), Call(1, ())]
    # A comparison in an argument is not a bracket; a call left open on the line is no call.
    assert calls("send(a < b, c > d)", "send") == [Call(2, ())]
    assert calls("send(a,", "send") == []
    assert calls("resend(a)", "send") == []
