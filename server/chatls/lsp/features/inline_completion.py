"""Inline completions (LSP 3.18 ghost text), and the same suggestions as ordinary completion
items for editors without inline completion."""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types

from chatls.lsp.server import ChatlsServer
from chatls.lsp.suggestions import suggest


def register(server: ChatlsServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: ChatlsServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList:
        automatic = params.context.trigger_kind == types.InlineCompletionTriggerKind.Automatic
        uri = params.text_document.uri
        # The next edit, where it starts on the cursor's line, is ghost text too (for editors
        # without a chatls plugin). It is asked beside the completion and waited for only when
        # the completion has nothing: it never delays ghost text (it is still made, and kept
        # for this version, for a plugin's chatls/nextEdit).
        prediction = asyncio.ensure_future(_predicted(ls, uri, params.position))
        try:
            found = await suggest(ls, uri, params.position, automatic)
            predicted = (
                await prediction if prediction.done() or found is None or not found[0] else None
            )
        except asyncio.CancelledError:
            prediction.cancel()
            raise
        items = [predicted] if predicted is not None else []
        if found is not None:
            here = types.Range(start=params.position, end=params.position)
            items += [types.InlineCompletionItem(insert_text=text, range=here) for text in found[0]]
        return types.InlineCompletionList(items=items)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ChatlsServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)


log = logging.getLogger(__name__)


async def _predicted(
    ls: ChatlsServer, uri: str, position: types.Position
) -> types.InlineCompletionItem | None:
    settings = await ls.store.ready()
    if not settings.next_edit.inline_completion or ls.edit_history.latest(uri) is None:
        return None
    from chatls.lsp.next_edits import at_cursor

    try:
        return await at_cursor(ls, uri, position)
    except asyncio.CancelledError:
        raise
    except Exception:
        # Never let a prediction cost the user their ghost text.
        log.exception("next edit as inline completion failed")
        return None


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
