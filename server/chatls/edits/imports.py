"""Imports a reply brings: leading import lines split from the code, and the file-level edits
that add the ones the file lacks below its existing imports."""

from __future__ import annotations

import re

from lsprotocol import types

from chatls.edits.fitting import Region
from chatls.errors import ReplyError
from chatls.source.code import Code
from chatls.source.text import dominant_eol
from chatls.source.uses import commonjs_file

_ES_IMPORT = re.compile(r"^\s*import\s*(?!\()[\w${*]")


def split_imports(code: Code, reply_code: str, original: str) -> tuple[str, list[str]]:
    """Leading import lines the selection did not have become file-level imports."""
    pattern = re.compile(code.spec.import_line)
    first_own = next((line for line in original.splitlines() if line.strip()), "")
    if pattern.match(first_own) or code.spec.id == "plaintext":
        return reply_code, []
    lines = reply_code.split("\n")
    present = {" ".join(line.split()) for line in code.text.splitlines()}
    imports: list[str] = []
    while lines and (pattern.match(lines[0]) or (imports and not lines[0].strip())):
        line = lines.pop(0)
        if line.rstrip().endswith("("):
            # A block (Go's ``import (``): taken whole; the file's own lines are an echo.
            block = [line]
            while lines and not lines[0].strip().startswith(")"):
                block.append(lines.pop(0))
            if lines:
                block.append(lines.pop(0))
            new = [b for b in block if " ".join(b.split()) not in present]
            if new:
                imports.append("\n".join(block))
            continue
        if line.strip() and " ".join(line.split()) not in present:
            imports.append(line.strip())
    return "\n".join(lines), imports


def check_module_system(code: Code, imports: list[str], new_code: str, original: str) -> None:
    """Refuse an ES ``import`` added to a CommonJS file: Node would not load the module (small
    models write ``import`` whatever the file uses)."""
    if code.spec.id != "javascript":
        return
    had = {line.strip() for line in original.splitlines()}
    added = [*imports, *(line for line in new_code.splitlines() if line.strip() not in had)]
    es = next((line.strip() for line in added if _ES_IMPORT.match(line)), None)
    if es is not None and commonjs_file(code.syntax):
        raise ReplyError(
            f"The model's answer adds `{es}`, an ES import, but this file is a CommonJS module "
            "(it uses `require`), where Node would not run it; nothing changed."
        )


def import_edits(code: Code, imports: list[str], region: Region) -> list[types.TextEdit]:
    index = code.index
    text = index.text
    present = {line.strip() for line in text.splitlines()}
    missing = [line.strip() for line in imports if line.strip() and line.strip() not in present]
    if not missing:
        return []
    spans = code.syntax.header_spans()
    if spans:
        line = index.line_of(spans[-1].end) + 1
    else:
        line = 0
        while line < index.line_count and index.line_text(line).startswith(
            ("#!", "# -*-", "//", "/*", " *", "package ")
        ):
            line += 1
    if line >= index.line_count:
        return []
    offset = index.line_starts[line]
    if offset > region.start:
        # Imports would land inside the rewritten code; the code already carries them.
        return []
    eol = dominant_eol(text)
    position = index.position(offset)
    return [
        types.TextEdit(
            range=types.Range(start=position, end=position),
            new_text="".join(line + eol for line in dict.fromkeys(missing)),
        )
    ]
