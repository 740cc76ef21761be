"""Review before a change lands (``review`` settings): the proposed edit goes to the editor as
something to look at, and the document changes only when the user accepts it, whole or hunk by
hunk.

How it is shown depends on what the client can do, best first:

- a client that says ``experimental.chatls.review`` (the VS Code extension, the Neovim plugin,
  chatls.el) gets a ``chatls/review`` notification with the hunks, shows them in the editor,
  and answers with the ``chatls.review.accept`` or ``chatls.review.reject`` command;
- one that supports change annotations gets the edit with ``needsConfirmation`` (VS Code's
  Refactor Preview; Neovim 0.12);
- any other that can ask (``window/showMessageRequest``) is asked "Apply", "Show diff" or
  "Discard"; "Show diff" opens the diff (``window/showDocument`` on a temporary file).

No answer means nothing is applied. An accepted change is found again in the document if it
moved on meanwhile, or refused saying why (``chatls.edits.review``)."""

from __future__ import annotations

import contextlib
import difflib
import logging
import os
import tempfile
from collections.abc import Collection
from typing import Any

import attrs
from lsprotocol import types

from chatls.actions.catalog import ActionResult
from chatls.actions.reviews import Review
from chatls.actions.threads import Thread
from chatls.config import Settings
from chatls.edits.review import ReviewHunk, accepted_edits, review_hunks, touched_lines
from chatls.errors import ChatlsError, InvalidRequestError, StaleDocumentError
from chatls.lsp import conversations, history
from chatls.lsp.server import ChatlsServer
from chatls.source.document import Document
from chatls.source.languages import language_for
from chatls.source.text import apply_text_edits, text_index

log = logging.getLogger(__name__)

NOTIFICATION = "chatls/review"
ACCEPT = "chatls.review.accept"
REJECT = "chatls.review.reject"
ANNOTATION = "chatls-review"
_APPLY, _SHOW, _DISCARD = "Apply", "Show diff", "Discard"


def wanted(ls: ChatlsServer, settings: Settings, result: ActionResult) -> list[ReviewHunk] | None:
    """The change's hunks when the settings ask to review it, else None."""
    mode = settings.review_mode(result.action)
    if mode == "off" or not result.edits:
        return None
    hunks = review_hunks(result.document.text, result.edits, ls.encoding)
    if mode == "large" and touched_lines(hunks) <= settings.review.lines:
        return None
    return hunks


def client_reviews(ls: ChatlsServer) -> bool:
    """Whether the client shows chatls's reviews itself (``experimental.chatls.review``)."""
    experimental = ls.supports("experimental")
    own = experimental.get("chatls") if isinstance(experimental, dict) else None
    return isinstance(own, dict) and bool(own.get("review"))


async def offer(
    ls: ChatlsServer,
    settings: Settings,
    title: str,
    result: ActionResult,
    thread: Thread | None,
    hunks: list[ReviewHunk],
) -> dict[str, Any] | None:
    """Let the user review ``result``'s change; returns the command's result (None when the
    editor applies nothing now)."""
    review = ls.reviews.add(title, result, thread, hunks)
    rng = result.range
    review.record = history.record(
        ls, settings, result.action, result.document.uri, rng, "in review", result=result
    )
    if client_reviews(ls):
        payload = describe(ls, review)
        ls.protocol.notify(NOTIFICATION, payload)
        return {"applied": False, "review": payload}
    if ls.supports("workspace.workspace_edit.change_annotation_support"):
        ls.reviews.take(review.id)
        return await _annotated(ls, review)
    if ls.supports("window.show_message") is not None:
        return await _ask(ls, review)
    ls.reviews.take(review.id)
    _outcome(ls, review, "refused")
    ls.notify_user(
        f"{title}: `review` asks to review this change, but this editor can show neither a "
        "diff nor a question, so nothing was applied. Set `review.mode` to `off` to apply "
        "changes directly.",
        "warning",
    )
    return None


def describe(ls: ChatlsServer, review: Review) -> dict[str, Any]:
    """The review as the ``chatls/review`` notification gives it."""
    document = review.result.document
    index = text_index(document.text, ls.encoding)
    converter = ls.protocol._converter
    return {
        "id": review.id,
        "title": review.title,
        "action": review.result.action,
        "textDocument": {"uri": document.uri, "version": document.version},
        "hunks": [
            {
                "index": hunk.number,
                "range": converter.unstructure(hunk.range(index)),
                "oldText": hunk.old,
                "newText": hunk.new,
            }
            for hunk in review.hunks
        ],
        "diff": unified_diff(review),
    }


def unified_diff(review: Review) -> str:
    document = review.result.document
    name = os.path.basename(document.path or document.uri)
    after = apply_text_edits(document.text, list(review.result.edits))
    return "".join(
        difflib.unified_diff(
            document.text.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"a/{name}",
            f"b/{name}",
        )
    )


async def accept(
    ls: ChatlsServer, review_id: Any, numbers: Collection[int] | None
) -> dict[str, Any]:
    """Apply the hunks ``numbers`` of a review (all when None) to the document as it is now."""
    review = ls.reviews.get(review_id)
    if numbers is not None and not numbers:
        return reject_taken(ls, ls.reviews.take(review_id))
    chosen = set(range(len(review.hunks))) if numbers is None else set(numbers)
    unknown = chosen - set(range(len(review.hunks)))
    if unknown:
        raise InvalidRequestError(
            f"The change has {len(review.hunks)} hunks; there is no hunk "
            f"{', '.join(str(n + 1) for n in sorted(unknown))}."
        )
    original = review.result.document
    if not ls.is_open(original.uri):
        raise StaleDocumentError(f"{review.title}: the document was closed; nothing changed.")
    current = ls.snapshot(original.uri, None)
    # Refused here (moved beyond finding, or a part that would not parse), the review stays
    # for another answer: more hunks, all of them, or a reject.
    accepted = accepted_edits(original, current, review.hunks, chosen, ls.encoding)
    ls.reviews.take(review_id)
    partly = len(chosen) < len(review.hunks)
    result = _as_accepted(ls, review, current, accepted.edits, accepted.shift, partly)
    proposed = conversations.propose(ls, result, review.thread)
    if proposed is not None:
        proposed.record = review.record
    response = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(
            edit=result.workspace_edit(), label=f"chatls: {review.title}"
        )
    )
    _outcome(ls, review, "applied" if response.applied else "refused")
    if not response.applied:
        if proposed is not None:
            ls.threads.withdraw(proposed)
        reason = response.failure_reason or "the document probably changed"
        ls.notify_user(f"The editor did not apply the edit: {reason}.", "warning")
    elif accepted.unchecked is not None:
        ls.notify_user(
            f"{review.title}: applied only part of the change; chatls cannot check "
            f"{accepted.unchecked} syntax, so it could not tell whether the file is still valid "
            "without the hunks left out.",
            "warning",
        )
    return {
        "applied": bool(response.applied),
        "hunks": sorted(chosen),
        "edit": ls.protocol._converter.unstructure(result.workspace_edit()),
    }


def reject(ls: ChatlsServer, review_id: Any) -> dict[str, Any]:
    return reject_taken(ls, ls.reviews.take(review_id))


def reject_taken(ls: ChatlsServer, review: Review) -> dict[str, Any]:
    log.info("review %s (%s) rejected: nothing applied", review.id, review.title)
    _outcome(ls, review, "rejected")
    return {"applied": False, "hunks": []}


def _outcome(ls: ChatlsServer, review: Review, outcome: str, reason: str = "") -> None:
    history.update(ls, ls.settings, review.record, outcome, review.result.remote_id, reason)


def _as_accepted(
    ls: ChatlsServer,
    review: Review,
    current: Document,
    edits: list[types.TextEdit],
    shift: int,
    partly: bool,
) -> ActionResult:
    """The result as it lands: on the document as it is now, with the accepted edits; when only
    part of it was kept, the thread learns what the code now reads, which Refine starts from."""
    result = review.result
    index = text_index(result.document.text, ls.encoding)
    start, end = index.span(result.range)
    if current.text != result.document.text:
        # Found again in a document that moved: the code the action rewrote moved with it.
        index = text_index(current.text, ls.encoding)
        first = min(max(0, result.range.start.line + shift), index.line_count - 1)
        last = min(max(first, result.range.end.line + shift), index.line_count - 1)
        start = index.line_starts[first]
        line_start, line_end = index.line_span(last)
        end = min(line_start + result.range.end.character, line_end)
    accepted = attrs.evolve(
        result, document=current, edits=tuple(edits), range=index.range(start, end)
    )
    if partly and result.conversation is not None:
        text, new_start, new_end = conversations.landing(accepted, ls.encoding)
        fence = language_for(current.language_id, current.path).fence
        conversation = result.conversation.partly_accepted(text[new_start:new_end], fence)
        accepted = attrs.evolve(accepted, conversation=conversation)
    return accepted


async def _annotated(ls: ChatlsServer, review: Review) -> dict[str, Any]:
    """The edit with a change annotation that asks the editor to confirm it."""
    result = review.result
    proposed = conversations.propose(ls, result, review.thread)
    if proposed is not None:
        proposed.record = review.record
    document = result.document
    edit = types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=document.uri, version=document.version
                ),
                edits=[
                    types.AnnotatedTextEdit(
                        range=e.range, new_text=e.new_text, annotation_id=ANNOTATION
                    )
                    for e in result.edits
                ],
            )
        ],
        change_annotations={
            ANNOTATION: types.ChangeAnnotation(
                label=f"chatls: {review.title}",
                needs_confirmation=True,
                description=f"{len(review.hunks)} hunks, {touched_lines(review.hunks)} lines",
            )
        },
    )
    response = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=f"chatls: {review.title}")
    )
    _outcome(ls, review, "applied" if response.applied else "rejected")
    if not response.applied and proposed is not None:
        ls.threads.withdraw(proposed)
    if not response.applied:
        ls.notify_user(f"{review.title}: the change was not applied.", "info")
    return {"applied": bool(response.applied), "edit": ls.protocol._converter.unstructure(edit)}


async def _ask(ls: ChatlsServer, review: Review) -> dict[str, Any] | None:
    """Apply, Show diff or Discard, asked with ``window/showMessageRequest``."""
    shown = False
    while True:
        choices = [_APPLY, _DISCARD] if shown else [_APPLY, _SHOW, _DISCARD]
        answer = await ls.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Info,
                message=(
                    f"chatls: {review.title} proposes a change of {len(review.hunks)} "
                    f"hunk{'s' if len(review.hunks) != 1 else ''} "
                    f"({touched_lines(review.hunks)} lines). Apply it?"
                ),
                actions=[types.MessageActionItem(title=choice) for choice in choices],
            )
        )
        chosen = answer.title if answer is not None else None
        if chosen == _APPLY:
            try:
                return await accept(ls, review.id, None)
            except ChatlsError as error:
                # Unlike a client that shows reviews, this one cannot answer again: the review
                # ends here, and its record (not a second one) says why.
                with contextlib.suppress(InvalidRequestError):
                    ls.reviews.take(review.id)
                _outcome(ls, review, "refused", str(error))
                ls.notify_user(str(error), error.severity)
                return None
        if chosen == _SHOW and not shown:
            shown = await _show_diff(ls, review)
            if shown:
                continue
        ls.reviews.take(review.id)
        _outcome(ls, review, "rejected")
        ls.notify_user(f"{review.title}: the change was discarded; nothing changed.", "info")
        return {"applied": False, "hunks": []}


async def _show_diff(ls: ChatlsServer, review: Review) -> bool:
    """The diff in the editor, from a temporary file outside the workspace."""
    if not ls.supports("window.show_document"):
        ls.notify_user(unified_diff(review), "info")
        return True
    handle, path = tempfile.mkstemp(prefix=f"chatls-{review.id}-", suffix=".diff")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(unified_diff(review))
    from pygls.uris import from_fs_path

    uri = from_fs_path(path) or f"file://{path}"
    shown = await ls.window_show_document_async(types.ShowDocumentParams(uri=uri, take_focus=True))
    return bool(shown is not None and shown.success)
