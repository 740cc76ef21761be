"""Inline completions (LSP 3.18 ghost text), and the same suggestions as ordinary completion
items for editors without inline completion."""

from __future__ import annotations

from lsprotocol import types

from chatls.lsp.server import ChatlsServer
from chatls.lsp.suggestions import suggest


def register(server: ChatlsServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: ChatlsServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList:
        automatic = params.context.trigger_kind == types.InlineCompletionTriggerKind.Automatic
        found = await suggest(ls, params.text_document.uri, params.position, automatic)
        if found is None:
            return types.InlineCompletionList(items=[])
        suggestions, _ = found
        here = types.Range(start=params.position, end=params.position)
        return types.InlineCompletionList(
            items=[types.InlineCompletionItem(insert_text=text, range=here) for text in suggestions]
        )

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ChatlsServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)


def register_completion_items(server: ChatlsServer) -> None:
    """``textDocument/completion``, registered at start-up when ``asCompletionItems`` is on."""

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(resolve_provider=False))
    async def completion(
        ls: ChatlsServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        from chatls.completion.items import completion_items

        invoked = params.context is not None and (
            params.context.trigger_kind == types.CompletionTriggerKind.Invoked
        )
        found = await suggest(ls, params.text_document.uri, params.position, not invoked)
        if found is None:
            return None
        suggestions, request = found
        # Incomplete, so the editor asks again as the user types and the cache answers.
        return types.CompletionList(
            is_incomplete=True,
            items=completion_items(suggestions, request),
        )
