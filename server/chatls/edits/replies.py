"""Getting the code out of what a model actually says.

Models wrap code in fences (with or without a language tag, sometimes unclosed), add prose
before and after, show the original next to the new version, add usage examples, or answer
with a diff. These functions pick the text a careful human would paste.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from typing import Any

import attrs

_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_TOKEN = re.compile(r"\w+|[^\w\s]")
_PROSE = re.compile(r"^(?:[-*]\s+)?[A-Z][\w'’,]*(?:[ \t]+[\w'’,;()`\"/-]+){2,}[ \t]*[.:!?]?$")
_PROSE_OPENERS = re.compile(
    r"^(here|sure|certainly|of course|okay|ok|below|the following|this|i['’]ve|i have|i|note|"
    r"explanation|changes|refactored|updated|fixed|corrected|improved|output|result|answer)\b",
    re.IGNORECASE,
)


@attrs.frozen
class CodeBlock:
    language: str
    code: str
    closed: bool


def code_blocks(reply: str) -> list[CodeBlock]:
    """Fenced blocks in ``reply``, in order; an unclosed last fence runs to the end."""
    blocks: list[CodeBlock] = []
    lines = reply.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE_OPEN.match(lines[i])
        if match is None:
            i += 1
            continue
        fence = match["fence"]
        indent = len(match["indent"])
        info = match["info"].strip().split()
        language = info[0].lower() if info else ""
        body: list[str] = []
        i += 1
        closed = False
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                closed = True
                i += 1
                break
            line = lines[i]
            # A fence indented by N spaces removes up to N spaces from its content lines.
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            i += 1
        blocks.append(CodeBlock(language=language, code="\n".join(body), closed=closed))
    return blocks


def similarity(a: str, b: str) -> float:
    """How alike two pieces of code are, ignoring layout (0..1)."""
    ta = _TOKEN.findall(a)
    tb = _TOKEN.findall(b)
    if not ta and not tb:
        return 1.0
    return difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio()


def _normalized(code: str) -> str:
    return " ".join(code.split())


def _is_prose(line: str, reference_lines: set[str]) -> bool:
    stripped = line.strip()
    if not stripped or stripped in reference_lines:
        return False
    if _PROSE_OPENERS.match(stripped) and (stripped.endswith((":", ".", "!")) or " " in stripped):
        return bool(_PROSE.match(stripped)) or stripped.endswith(":")
    return bool(_PROSE.match(stripped)) and stripped.endswith((".", "!", "?"))


def _strip_prose(text: str, reference: str) -> str:
    reference_lines = {line.strip() for line in reference.splitlines()}
    lines = text.splitlines()
    while lines and (not lines[0].strip() or _is_prose(lines[0], reference_lines)):
        lines.pop(0)
    # Trailing prose is a paragraph after the code: drop whole prose paragraphs from the end.
    while lines:
        while lines and not lines[-1].strip():
            lines.pop()
        end = len(lines)
        start = end
        while start > 0 and lines[start - 1].strip():
            start -= 1
        paragraph = lines[start:end]
        if start > 0 and paragraph and all(_is_prose(line, reference_lines) for line in paragraph):
            del lines[start:end]
            continue
        break
    return "\n".join(lines)


def _undiff(code: str) -> str | None:
    """The new side of a unified diff, or None when ``code`` is not a diff."""
    lines = code.splitlines()
    body = [line for line in lines if not line.startswith(("---", "+++", "@@", "diff ", "index "))]
    if not body:
        return None
    changed = [line for line in body if line.startswith(("+", "-"))]
    if not changed or any(line and line[0] not in "+- " for line in body):
        return None
    return "\n".join(line[1:] for line in body if not line.startswith("-"))


def extract_code(reply: str, reference: str) -> str:
    """The code in ``reply`` that stands for ``reference`` (the code that was asked about)."""
    blocks = code_blocks(reply)
    if not blocks:
        return _strip_prose(reply, reference)
    candidates: list[tuple[float, int, str]] = []
    for index, block in enumerate(blocks):
        code = block.code
        undiffed = _undiff(code)
        if undiffed:
            code = undiffed
        if code.strip():
            candidates.append((similarity(code, reference), index, code))
    if not candidates:
        return ""
    best = max(score for score, _, _ in candidates)
    close = [c for c in candidates if c[0] >= best * 0.5]
    # A block identical to the selection is the "before" half of a before/after answer.
    changed = [c for c in close if _normalized(c[2]) != _normalized(reference)]
    pool = changed or close
    return max(pool, key=lambda c: (c[0], c[1]))[2]


def answered(reference: str) -> Callable[[str], bool]:
    """A test for a streaming reply: True once it holds a finished code block standing for
    ``reference`` (closed, changed from it, and recognisably the same code rather than a usage
    example). What the model writes after that is commentary nobody applies."""
    fences_seen = 0

    def check(reply: str) -> bool:
        nonlocal fences_seen
        fences = reply.count("```") + reply.count("~~~")
        if fences == fences_seen:
            return False
        fences_seen = fences
        return any(
            block.closed
            and block.code.strip()
            and _normalized(block.code) != _normalized(reference)
            and similarity(block.code, reference) >= 0.3
            for block in code_blocks(reply)
        )

    return check


def strip_fences(text: str) -> str:
    """The content of ``text`` without one surrounding fence, if it has one."""
    blocks = code_blocks(text)
    if len(blocks) == 1 and text.strip().startswith(("```", "~~~")):
        return blocks[0].code
    return text


def parse_json_object(reply: str) -> dict[str, Any] | None:
    """The JSON object a structured reply holds, tolerating a fence around it."""
    text = strip_fences(reply).strip()
    if not text.startswith("{"):
        start = text.find("{")
        end = text.rfind("}")
        if start < 0 or end <= start:
            return None
        text = text[start : end + 1]
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def markdown_answer(reply: str) -> str:
    """An explanation as markdown: the reply itself, minus a fence some models wrap it in."""
    text = reply.strip()
    blocks = code_blocks(text)
    if len(blocks) == 1 and blocks[0].language in ("markdown", "md") and text.startswith("```"):
        text = blocks[0].code.strip()
    return text
