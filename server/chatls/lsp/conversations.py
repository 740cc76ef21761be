"""Threads as the editor sees them: which thread a Refine or an Ask continues, and keeping each
answer (a hover, or an edit on its way to the editor) as the thread's next turn.

The threads themselves (``chatls.actions.threads``) know only offsets into the text; this module
turns the editor's ranges into them and back, in the negotiated position encoding.
"""

from __future__ import annotations

import logging

from chatls.actions.catalog import ActionRequest, ActionResult
from chatls.actions.declaration import Action
from chatls.actions.listing import CommandArguments
from chatls.actions.threads import Thread, Tracker
from chatls.errors import ChatlsError
from chatls.lsp.server import ChatlsServer
from chatls.source.text import Encoding, apply_text_edits, text_index

log = logging.getLogger(__name__)

SUMMARIZED = (
    "Earlier turns of this conversation were summarized to keep it within `contextTokens` and "
    "`conversation.maxTurns`."
)


def request(
    ls: ChatlsServer, action: Action, args: CommandArguments
) -> tuple[ActionRequest, Thread | None]:
    """The request for a command, on a snapshot of the document as it is now, with the thread
    it continues (a Refine always continues one; an Ask when it follows up)."""
    document = ls.snapshot(args.uri, args.version)
    thread = None
    range_ = args.range
    if action.continues is not None:
        uri = ls.document_uri(args.uri)
        index = text_index(document.text, ls.encoding)
        # A thread named by its id is found without the range, which may be out of date.
        start, end = index.span(args.range) if args.thread is None else (0, 0)
        if action.continues == "edit":
            thread = ls.threads.to_refine(uri, start, end, args.thread)
        else:
            thread = ls.threads.to_continue(uri, start, end, document.text, args.thread)
        if thread is not None:
            range_ = index.range(thread.start, thread.end)
    return (
        ActionRequest(
            action=action.id,
            document=document,
            range=range_,
            encoding=ls.encoding,
            diagnostic=args.diagnostic,
            diagnostics=[args.diagnostic] if args.diagnostic else [],
            instruction=args.instruction,
            workspace_root=ls.workspace.root_path,
            question=args.question,
            conversation=thread.conversation if thread is not None else None,
            language=args.language,
        ),
        thread,
    )


def _tell_if_summarized(ls: ChatlsServer, thread: Thread | None, result: ActionResult) -> None:
    before = thread.conversation.summarized if thread is not None else 0
    if result.conversation is not None and result.conversation.summarized > before:
        ls.notify_user(SUMMARIZED, "info")


def keep_answer(
    ls: ChatlsServer, result: ActionResult, thread: Thread | None, tracker: Tracker
) -> str | None:
    """An Explain or Ask answer becomes its thread's latest turn (and the hover over its code);
    returns the thread's id, or None when its code changed while the model answered."""
    _tell_if_summarized(ls, thread, result)
    if result.conversation is None or result.markdown is None:
        return None
    if thread is not None:
        if ls.threads.answered(thread, result.conversation, result.markdown):
            return thread.id
        log.info("the code of thread %s changed during the answer: the thread ended", thread.id)
        return None
    uri = ls.document_uri(result.document.uri)
    try:
        start, end = text_index(result.document.text, ls.encoding).span(result.range)
    except ChatlsError:
        return None
    span = tracker.map(start, end)
    if span is None or not ls.is_open(uri):
        log.info("the code explained changed during the answer: no thread kept")
        return None
    return ls.threads.ask(uri, *span, result.conversation, result.markdown).id


def propose(ls: ChatlsServer, result: ActionResult, thread: Thread | None) -> Thread | None:
    """An edit is about to reach the editor: its thread goes on from the code it writes once the
    document has it (``result`` was computed on the document as it is now)."""
    _tell_if_summarized(ls, thread, result)
    if result.conversation is None or not result.edits:
        return None
    text, new_start, new_end = landing(result, ls.encoding)
    start, end = text_index(result.document.text, ls.encoding).span(result.range)
    return ls.threads.propose(
        ls.document_uri(result.document.uri),
        thread,
        text,
        new_start,
        new_end,
        result.conversation,
        before=result.document.text[start:end],
    )


def landing(result: ActionResult, encoding: Encoding) -> tuple[str, int, int]:
    """The document once ``result``'s edits are in, and where its code is there."""
    document = result.document
    index = text_index(document.text, encoding)
    start, end = index.span(result.range)
    edits = [(*index.span(edit.range), len(edit.new_text)) for edit in result.edits]
    # Where the rewritten code lands: edits above it (imports) move it, its own resize it.
    new_start = start + sum(n - (e - s) for s, e, n in edits if s < start)
    new_end = end + sum(n - (e - s) for s, e, n in edits if s <= end)
    return apply_text_edits(document.text, list(result.edits), encoding), new_start, new_end
