"""Inline completion suggestions as ordinary completion items, for editors without inline
completion (Helix, Emacs 28)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types

from chatls.completion.completer import CompletionRequest
from chatls.source.text import text_index


def completion_items(
    suggestions: Sequence[str], request: CompletionRequest
) -> list[types.CompletionItem]:
    """The suggestions as ordinary completion items (replacing the word being typed)."""
    text = request.document.text
    index = text_index(text, request.encoding)
    offset = index.offset(request.position)
    line_start = index.line_starts[index.line_of(offset)]
    word = re.search(r"[\w$]*$", text[line_start:offset])
    typed = word.group(0) if word else ""
    start = index.position(offset - len(typed))
    items = []
    for number, suggestion in enumerate(suggestions):
        first_line = suggestion.strip().split("\n", 1)[0]
        items.append(
            types.CompletionItem(
                label=(typed + first_line)[:80] or suggestion.strip()[:80],
                kind=types.CompletionItemKind.Text,
                detail="chatls",
                sort_text=f"~chatls{number}",
                filter_text=typed + suggestion.lstrip(),
                text_edit=types.TextEdit(
                    range=types.Range(start=start, end=request.position),
                    new_text=typed + suggestion,
                ),
            )
        )
    return items
