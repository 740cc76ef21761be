"""Where Implement applies, told from the text alone (listing must stay instant, so no syntax
tree): a ``TODO``/``FIXME`` comment line, or a function whose body is empty, ``pass``, ``...``,
``todo!()``, ``unimplemented!()``, ``panic("not implemented")``, ``raise NotImplementedError``,
``throw new Error("not implemented")`` and the like.

The same reading finds the lines Implement rewrites, so what is listed is what runs.
"""

from __future__ import annotations

import re

import attrs

TODO = r"^\s*(?:#|//+|--|/\*+|\*|;+)\s*(?:TODO|FIXME)\b"
"""A comment line asking for code."""
_TODO = re.compile(TODO)
_NOT_IMPLEMENTED = r"""["'`](?i:(?:not\s+(?:yet\s+)?implemented|todo|unimplemented)[^"'`]*)["'`]"""
_STUB = re.compile(
    r"^(?:pass|\.\.\.|\?\?\?|raise\s+NotImplementedError\b.*"
    r"|todo!\(.*\)|unimplemented!\(.*\)|TODO\(.*\)"
    rf"|panic!?\(\s*{_NOT_IMPLEMENTED}\s*\)|fatalError\(\s*(?:{_NOT_IMPLEMENTED})?\s*\)"
    rf"|throw\s+(?:new\s+)?[\w:.\\]*(?i:error|exception)\(\s*(?:{_NOT_IMPLEMENTED})?\s*\)"
    r"|throw\s+new\s+UnsupportedOperationException\(.*\))\s*;?$"
)
_COMMENT = re.compile(r"^(?://.*|#.*|/\*.*\*/|--.*)$")
_PY_HEADER = re.compile(r"^(\s*)(?:async\s+)?def\s+\w+")
_KEYWORD = r"(?!(?:if|for|while|switch|catch|return|else|do|try|new|throw|await|yield|case)\b)"
_BRACE_HEADER = re.compile(
    r"^\s*(?:(?:export|default|pub(?:\([^)]*\))?|async|public|private|protected|internal|static|"
    r"override|readonly|unsafe|const|virtual|final|abstract|open|suspend|inline|"
    r"extern(?:\s+\"C\")?)\s+)*"
    r"(?:fn\s+\w+|func\s*(?:\([^)]*\)\s*)?\w+|function\s*\*?\s*\w*|(?:fun|def)\s+[\w.]+"
    # A return type first (Java, C, C++, C#): ``List<Integer> pop(``, ``int *pop(``.
    rf"|{_KEYWORD}(?:[\w$:.]+(?:<[^()]*>)?(?:\[\])*[\s*&]+)?"
    rf"{_KEYWORD}[A-Za-z_$~][\w$]*\s*(?:<[^>]*>)?)"
    r"\s*\("
)
_ANNOTATION = re.compile(r"^\s*(?:@|#\[|\[|//|/\*|\*|#)")
_WINDOW = 40
"""Lines looked at above the cursor for the function it is in."""
_LONGEST_HEADER = 12
"""Lines a signature may take before its body opens."""
_LONGEST_STUB = 200
LOOKAHEAD = _LONGEST_HEADER + _LONGEST_STUB
"""Lines past the range that listing needs to see."""


@attrs.frozen
class Spot:
    """What Implement works on: 0-based lines ``first`` to ``last`` (inclusive)."""

    first: int
    last: int
    todo: bool
    """A comment asking for code, rather than a function's stub body."""
    header_end: int = -1
    """For a function: the last line of its signature (which must come back unchanged)."""


def find(lines: list[str], start: int, end: int, python: bool = True) -> Spot | None:
    """The TODO line or stub function at or around lines ``start``-``end`` of ``lines``."""
    end = min(end, len(lines) - 1)
    for line in range(start, min(end, start + 200) + 1):
        if _TODO.match(lines[line]):
            return Spot(line, line, todo=True)
    for header in range(start, max(-1, start - _WINDOW), -1):
        spot = _function(lines, header, python)
        if spot is not None:
            return spot if spot.last >= start else None
    for header in range(start + 1, min(end, start + 200) + 1):
        spot = _function(lines, header, python)
        if spot is not None:
            return spot
    return None


def function(lines: list[str], first: int, last: int, python: bool = True) -> Spot | None:
    """The stub function whose header is the first function header in lines ``first`` to
    ``last`` (decorators and attributes may come before it), or None when that function has a
    body already (or there is none)."""
    for header in range(first, min(last, first + _LONGEST_HEADER) + 1):
        indented = _PY_HEADER.match(lines[header]) if python else None
        if indented is not None:
            return _python(lines, header, len(indented.group(1)))
        if lines[header].strip() and not _ANNOTATION.match(lines[header]):
            # The target stage found the definition: its first line that is not an attribute
            # or a comment is its header, whatever the language writes there.
            return _braced(lines, header)
    return None


def in_function(lines: list[str], line: int) -> bool:
    """Whether ``line`` is a function's header, or seems inside one (a header above it, less
    indented): where Add types applies."""
    own = _indent(lines[line]) if line < len(lines) else 0
    for header in range(min(line, len(lines) - 1), max(-1, line - _WINDOW), -1):
        text = lines[header]
        if _PY_HEADER.match(text) or _BRACE_HEADER.match(text):
            return header == line or _indent(text) < own
    return False


def _function(lines: list[str], header: int, python: bool = True) -> Spot | None:
    """The stub function whose header is line ``header``; ``python``: a ``def`` line may be
    Python's (Scala's ``def`` is not)."""
    text = lines[header]
    indented = _PY_HEADER.match(text) if python else None
    if indented is not None:
        return _python(lines, header, len(indented.group(1)))
    if _BRACE_HEADER.match(text):
        return _braced(lines, header)
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _python(lines: list[str], header: int, indent: int) -> Spot | None:
    depth = 0
    for colon in range(header, min(len(lines), header + _LONGEST_HEADER)):
        code = lines[colon].split("#", 1)[0].rstrip()
        depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
        if depth <= 0 and code.endswith(":"):
            break
        if depth <= 0 and ":" in code and colon == header:
            # A one-line definition: ``def f(): pass``.
            body = code.rsplit("):", 1)[-1] if "):" in code else code.split(":", 1)[-1]
            body = body.split("->")[-1]
            if _STUB.match(body.strip()):
                return Spot(header, header, todo=False, header_end=header)
            return None
    else:
        return None
    last = colon
    in_doc: str | None = None
    for line in range(colon + 1, len(lines)):
        text = lines[line]
        stripped = text.strip()
        if not stripped:
            continue
        if _indent(text) <= indent and in_doc is None:
            break
        last = line
        if in_doc is not None:
            if in_doc in stripped:
                in_doc = None
            continue
        if line == _first_code(lines, colon) and stripped[:3] in ('"""', "'''"):
            quote = stripped[:3]
            if stripped.count(quote) < 2 or stripped == quote:
                in_doc = quote
            continue
        if not (_STUB.match(stripped) or _COMMENT.match(stripped)):
            return None
    return Spot(header, last, todo=False, header_end=colon)


def _first_code(lines: list[str], after: int) -> int:
    return next((n for n in range(after + 1, len(lines)) if lines[n].strip()), -1)


def _braced(lines: list[str], header: int) -> Spot | None:
    depth = 0
    opened = -1
    inside: list[str] = []
    for line in range(header, min(len(lines), header + _LONGEST_HEADER + _LONGEST_STUB)):
        text = lines[line]
        for at, char in enumerate(text):
            if char == "{":
                depth += 1
                if opened < 0:
                    opened = line
                    inside.append(text[at + 1 :])
                    break
            elif char == ";" and opened < 0 and depth == 0:
                return None
        if opened < 0:
            if line - header >= _LONGEST_HEADER:
                return None
            continue
        if line > opened:
            inside.append(text)
        body = "\n".join(inside)
        closing = _matching_close(body)
        if closing is not None:
            content = [s.strip() for s in body[:closing].split("\n") if s.strip()]
            if all(_STUB.match(s) or _COMMENT.match(s) for s in content):
                return Spot(header, line, todo=False, header_end=opened)
            return None
    return None


def _matching_close(body: str) -> int | None:
    """Where the brace opened just before ``body`` closes in it (strings are not read)."""
    depth = 1
    for at, char in enumerate(body):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return at
    return None
