"""The parameter names a declaration's signature lists, and the arguments a call on one line
passes: what a Fix needs to say "``f`` has no parameter ``x``" or "``f`` takes ``to`` first".

Plain text over one signature or one line, near enough for the languages chatls reads: names
come before their types in Python, TypeScript/JavaScript, Go, Rust, Kotlin and Swift, after
them in the C family, Java and C#.
"""

from __future__ import annotations

import re

import attrs

_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_TYPE_FIRST = frozenset({"c", "cpp", "java", "csharp", "dart"})
_NOT_PARAMETERS = frozenset({"self", "cls", "this", "&self", "&mut self", "mut self"})
_MODIFIERS = frozenset(
    {"mut", "const", "final", "readonly", "public", "private", "protected", "ref", "out", "in"}
)


def _inside(text: str, opening: int) -> str | None:
    """The text between the bracket at ``opening`` and its match, or None when the line ends
    first."""
    depth = 0
    quote = ""
    for position in range(opening, len(text)):
        char = text[position]
        if quote:
            if char == quote and text[position - 1] != "\\":
                quote = ""
            continue
        if char in "\"'`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return text[opening + 1 : position]
    return None


def _split(arguments: str, angles: bool = False) -> list[str]:
    """Top-level comma-separated parts (``a, f(b, c), [d, e]`` is three); with ``angles``,
    ``<...>`` nests too (generic types in a signature, never comparisons in a call)."""
    opening = "([{<" if angles else "([{"
    closing = ")]}>" if angles else ")]}"
    parts: list[str] = []
    depth = 0
    quote = ""
    current: list[str] = []
    for position, char in enumerate(arguments):
        if quote:
            if char == quote and arguments[position - 1] != "\\":
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char in opening:
            depth += 1
        elif char in closing and depth > 0 and arguments[position - 1 : position + 1] != "->":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if "".join(current).strip():
        parts.append("".join(current))
    return parts


def parameters(header: str, name: str, language: str) -> tuple[str, ...]:
    """The parameter names ``header`` (a declaration of ``name``) lists, in order; empty when
    it has no parameter list (a class, a field)."""
    match = re.search(rf"(?<![\w$]){re.escape(name)}\s*(?:<[^()]*>)?\s*\(", header)
    if match is None:
        return ()
    inside = _inside(header, match.end() - 1)
    if inside is None:
        return ()
    names: list[str] = []
    for part in _split(inside, angles=True):
        part = part.strip()
        if not part or part in _NOT_PARAMETERS or part in ("*", "/"):
            continue
        declared = re.split(r"[:=]", part, maxsplit=1)[0]
        words = [w for w in _IDENT.findall(declared) if w not in _MODIFIERS]
        if not words or words[-1] in _NOT_PARAMETERS or words[0] in _NOT_PARAMETERS:
            continue
        names.append(words[-1] if language in _TYPE_FIRST else words[0])
    return tuple(names)


@attrs.frozen
class Call:
    """A call written on one line: what it passes."""

    positional: int
    keywords: tuple[str, ...]
    """Arguments passed by name (``strict=True``), in order."""


def calls(line: str, name: str) -> list[Call]:
    """Each call of ``name`` on ``line`` whose arguments close on that line."""
    found: list[Call] = []
    for match in re.finditer(rf"(?<![\w$]){re.escape(name)}\s*\(", line):
        inside = _inside(line, match.end() - 1)
        if inside is None:
            continue
        positional = 0
        keywords: list[str] = []
        for part in _split(inside):
            keyword = re.match(r"\s*([A-Za-z_]\w*)\s*=(?!=)", part)
            if keyword:
                keywords.append(keyword.group(1))
            elif part.strip():
                positional += 1
        found.append(Call(positional, tuple(keywords)))
    return found
