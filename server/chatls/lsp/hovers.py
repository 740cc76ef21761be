"""Answers as hovers: the latest answer of an Explain or Ask thread shows over the code it is
about, while that code is unchanged (the thread ends when it changes)."""

from __future__ import annotations

from lsprotocol import types

from chatls.errors import ChatlsError
from chatls.lsp.server import ChatlsServer
from chatls.source.text import text_index


def hover(ls: ChatlsServer, params: types.HoverParams) -> types.Hover | None:
    uri = ls.document_uri(params.text_document.uri)
    if not ls.threads.has(uri) or not ls.is_open(uri):
        return None
    index = text_index(ls.workspace.get_text_document(uri).source, ls.encoding)
    try:
        offset = index.offset(params.position)
    except ChatlsError:
        return None
    found = ls.threads.answer_at(uri, offset)
    if found is None or found.markdown is None:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown),
        range=index.range(found.start, found.end),
    )
