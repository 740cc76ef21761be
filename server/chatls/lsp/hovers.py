"""Explanations as hovers over the code they explain, while that code is unchanged."""

from __future__ import annotations

from lsprotocol import types

from chatls.actions.catalog import ActionResult
from chatls.errors import ChatlsError
from chatls.lsp.server import ChatlsServer
from chatls.source.text import text_index


def remember_explanation(ls: ChatlsServer, result: ActionResult) -> None:
    index = text_index(result.document.text, ls.encoding)
    start, end = index.span(result.range)
    ls.explanations.encoding = index.encoding
    ls.explanations.add(
        result.document.uri,
        result.range,
        result.document.text[start:end],
        result.markdown or "",
    )


def hover(ls: ChatlsServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    if not ls.explanations.has(uri) or not ls.is_open(uri):
        return None
    text = ls.workspace.get_text_document(uri).source
    index = text_index(text, ls.encoding)

    def text_at(range_: types.Range) -> str | None:
        try:
            start, end = index.span(range_)
        except ChatlsError:
            return None
        return text[start:end]

    found = ls.explanations.at(uri, params.position, text_at)
    if found is None:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown),
        range=found.range,
    )
