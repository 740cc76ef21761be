"""The safety net between a fitted reply and the buffer: definitions the model repeated from
elsewhere are dropped, and an edit that would add syntax errors is refused."""

from __future__ import annotations

from lsprotocol import types

from chatls.edits.fitting import Region
from chatls.errors import ReplyError
from chatls.source.code import Code
from chatls.source.syntax import Span, Syntax, python_compiles
from chatls.source.text import apply_text_edits


def drop_duplicate_definitions(code: Code, reply_code: str, region: Region) -> str:
    """Remove definitions the model repeated from elsewhere in the file (or twice)."""
    reply = Syntax(reply_code, code.spec)
    defined = reply.definitions(top_level_only=True)
    if len(defined) < 2:
        return reply_code
    elsewhere: set[str] = set()
    inside: set[str] = set()
    for span in code.syntax.definitions():
        if span.end <= region.start or span.start >= region.end:
            elsewhere.add(span.name)
        elif span.start >= region.start and span.end <= region.end:
            inside.add(span.name)
    seen: set[str] = set()
    drop: list[Span] = []
    for span in defined:
        if span.name in seen or (span.name in elsewhere and span.name not in inside):
            drop.append(span)
        seen.add(span.name)
    for span in reversed(drop):
        end = span.end
        while end < len(reply_code) and reply_code[end] in "\r\n \t":
            end += 1
        start = reply_code.rfind("\n", 0, span.start) + 1
        reply_code = reply_code[:start] + reply_code[end:]
    return reply_code


def check_syntax(code: Code, edits: list[types.TextEdit]) -> None:
    """Refuse edits that would leave the file with more syntax errors than it has."""
    index = code.index
    after_text = apply_text_edits(index.text, edits, index.encoding)
    # The whole original is compiled only when the result does not compile.
    broken = (
        code.spec.id == "python" and not python_compiles(after_text) and python_compiles(index.text)
    )
    before = code.syntax.error_count()
    if not broken and before is not None:
        after = Syntax(after_text, code.spec).error_count()
        broken = after is not None and after > before
    if broken:
        raise ReplyError(
            f"The model's answer is not valid {code.spec.name} here (it would add syntax "
            "errors), so nothing changed. Try again, or select different code."
        )
