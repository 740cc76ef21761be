"""Code actions as the editor asks for them: listing, ``codeAction/resolve`` and the commands,
each run under progress and applied with ``workspace/applyEdit``."""

from __future__ import annotations

import asyncio
import logging
import os
import pathlib
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types

from chatls.actions import stubs
from chatls.actions.catalog import ActionRequest, ActionResult, NewDocument
from chatls.actions.declaration import CUSTOM_COMMAND, Action
from chatls.actions.listing import list_actions, missing_text, parse_arguments
from chatls.actions.quickfix import Replacements
from chatls.actions.registry import find
from chatls.config import Settings
from chatls.errors import ChatlsError, InvalidRequestError, ModelError, NoChangeError
from chatls.exclude import excluded_by
from chatls.lsp import conversations, history, review, testruns, tools
from chatls.lsp.progress import with_progress
from chatls.lsp.protocol import command_token
from chatls.lsp.server import ChatlsServer
from chatls.source.languages import language_for
from chatls.source.text import TextIndex, apply_text_edits, text_index

if TYPE_CHECKING:
    from chatls.actions.runner import Prepared
    from chatls.targets.rules import SeveralDefinitions

log = logging.getLogger(__name__)


class NoChoiceError(NoChangeError):
    """The user was asked which definition to act on and chose none."""


def code_actions(ls: ChatlsServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    if not ls.is_open(uri):
        return []
    document = ls.workspace.get_text_document(uri)
    if excluded_by(document.path, ls.workspace.root_path, ls.settings.exclude):
        return []
    tools.seen(ls, params, document.path, document.version)
    properties = ls.supports("text_document.code_action.resolve_support.properties") or []
    resolve_edits = "edit" in properties and bool(
        ls.supports("text_document.code_action.data_support")
    )
    refine = None
    if ls.threads.has(document.uri):
        try:
            start, end = text_index(document.source, ls.encoding).span(params.range)
        except ChatlsError:
            start = end = -1
        thread = ls.threads.refinable(document.uri, start, end)
        refine = thread.id if thread is not None else None
    replacements = Replacements(
        uri, document.version, document.source, document.language_id, document.path, ls.encoding
    )
    return list_actions(
        uri,
        params.range,
        params.context,
        document.version,
        resolve_edits,
        refine,
        ls.settings.custom_actions,
        document.language_id,
        _lines_to(document.source, params.range.end.line + stubs.LOOKAHEAD),
        replacements,
    )


def _lines_to(text: str, last: int) -> list[str]:
    """The document's lines up to ``last``, without splitting the rest of a long file."""
    lines = text.split("\n", last + 1)[: last + 1]
    return [line[:-1] if line.endswith("\r") else line for line in lines]


async def _run(
    ls: ChatlsServer, request: ActionRequest, info: Action, token: types.ProgressToken | None
) -> ActionResult:
    # The action machinery (prompts, syntax, diffing, the model client) loads on first use,
    # keeping it out of every editor's start-up.
    from chatls.actions.runner import run_action

    settings = await ls.store.ready()
    prepared = await _prepare(ls, request, settings, info)

    async def work(report: Any) -> ActionResult:
        client = await ls.backends.client(settings, report)
        toolbox = await tools.toolbox(ls, settings)
        rules = tools.rules(ls, settings)
        return await run_action(
            request, settings, client, report, toolbox, prepared, rules, read_ahead=True
        )

    title = f"chatls: {info.title}: {prepared.label()}"
    show = bool(ls.supports("window.work_done_progress"))
    return await with_progress(ls, ls.tasks, title, token, work, show)


async def _prepare(
    ls: ChatlsServer, request: ActionRequest, settings: Settings, info: Action
) -> Prepared:
    """The action's target; over several definitions, the user picks one when the editor can
    ask (``window/showMessageRequest``), else one message names them."""
    from chatls.actions.runner import prepare
    from chatls.targets.rules import SeveralDefinitions

    try:
        return prepare(request, settings)
    except SeveralDefinitions as several:
        if ls.supports("window.show_message") is None:
            raise
        index = text_index(request.document.text, request.encoding)
        titles = _choices(several, index)
        answer = await ls.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Info,
                message=f"The selection covers several definitions: which one should chatls "
                f"{several.verb}?",
                actions=[types.MessageActionItem(title=title) for title in titles],
            )
        )
        chosen = answer.title if answer is not None else None
        if chosen not in titles:
            raise NoChoiceError(
                f"{info.title}: no definition was chosen; nothing changed."
            ) from None
        entry = several.candidates[titles.index(chosen)]
        picked = attrs.evolve(request, range=index.range(entry.start, entry.end))
        return prepare(picked, settings)


def _choices(several: SeveralDefinitions, index: TextIndex) -> list[str]:
    """A title per candidate: its qualified name, with its line when two share a name."""
    names = [entry.qualified for entry in several.candidates]
    return [
        name if names.count(name) == 1 else f"{name} (line {index.line_of(entry.start) + 1})"
        for name, entry in zip(names, several.candidates, strict=True)
    ]


async def execute(
    ls: ChatlsServer, action: str, arguments: list[Any], token: types.ProgressToken | None
) -> dict[str, Any] | None:
    """``workspace/executeCommand`` for an action; errors are shown, never raised."""
    task = asyncio.current_task()
    msg_id = ls.protocol.msg_id
    token = token if token is not None else command_token.get()
    if task is not None and msg_id is not None:
        ls.tasks.track_request(msg_id, task)
    asked: tuple[Settings, str, types.Range] | None = None
    """What the history needs once the request is known to be an action's."""
    try:
        args = parse_arguments(arguments)
        if action == CUSTOM_COMMAND:
            if args.id is None:
                raise InvalidRequestError(
                    'chatls.action needs the custom action\'s id: {"id": ..., "uri": ..., '
                    '"range": ...}.'
                )
            action = args.id
        settings = await ls.store.ready()
        info = find(action, settings)
        if info is None:
            known = ", ".join(a.id for a in settings.custom_actions) or "none"
            raise InvalidRequestError(
                f"There is no custom action `{action}` in the settings (`customActions`: {known})."
            )
        _seen(ls, args.uri, args.diagnostic)
        missing = missing_text(info, args)
        if missing is not None:
            raise InvalidRequestError(missing)
        request, thread = conversations.request(ls, info, args)
        asked = (settings, info.id, args.range)
        with ls.threads.tracking(ls.document_uri(args.uri)) as tracker:
            result = await _run(ls, request, info, token)
            if result.new_document is not None:
                history.record(
                    ls, settings, info.id, args.uri, args.range, "answered", result=result
                )
                return await _new_document(ls, result, args.quiet)
            if result.markdown is not None:
                history.record(
                    ls, settings, info.id, args.uri, args.range, "answered", result=result
                )
                thread_id = conversations.keep_answer(ls, result, thread, tracker)
                if not args.quiet:
                    ls.notify_user(result.markdown, "info")
                return {"markdown": result.markdown, "thread": thread_id}
        ls.check_current(result.document)
        hunks = review.wanted(ls, settings, result) if info.edits else None
        if hunks is not None:
            return await review.offer(ls, settings, info.title, result, thread, hunks)
        edit = result.workspace_edit()
        # Refine re-runs an edit action's pipeline; Write tests' Rust module is not one.
        proposed = conversations.propose(ls, result, thread) if info.edits else None
        if proposed is not None:
            # The document may report the edit landing before the editor answers: that landing
            # is this edit's, recorded below, not the thread's earlier edit's.
            history.follow(proposed, None, result, "applied")
        response = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label=f"chatls: {info.title}")
        )
        outcome, why = "applied", ""
        if not response.applied:
            if proposed is not None:
                ls.threads.withdraw(proposed)
            reason = response.failure_reason or "the document probably changed"
            ls.notify_user(f"The editor did not apply the edit: {reason}.", "warning")
            outcome, why = "refused", f"the editor did not apply the edit: {reason}"
        record = history.record(ls, settings, info.id, args.uri, args.range, outcome, why, result)
        if proposed is not None:
            history.follow(proposed, record, result, outcome)
        answer: dict[str, Any] = {
            "applied": bool(response.applied),
            "edit": ls.protocol._converter.unstructure(edit),
        }
        if response.applied and result.tests is not None:
            # Rust's tests went into the source file itself.
            final = apply_text_edits(result.document.text, list(result.edits), ls.encoding)
            answer["tests"] = testruns.after_write(ls, result.tests, final, True)
        return answer
    except ChatlsError as error:
        ls.notify_user(str(error), error.severity)
        if asked is not None:
            kind = "failed" if isinstance(error, ModelError) else "refused"
            history.record(ls, asked[0], asked[1], arguments[0]["uri"], asked[2], kind, str(error))
        return None
    except asyncio.CancelledError:
        # pygls answers a cancelled request itself; a cancelled command must not raise
        # into its request machinery.
        log.info("%s cancelled", action)
        if asked is not None:
            history.record(ls, asked[0], asked[1], arguments[0]["uri"], asked[2], "cancelled")
        return None
    finally:
        if msg_id is not None:
            ls.tasks.untrack_request(msg_id)


async def resolve(ls: ChatlsServer, action: types.CodeAction) -> types.CodeAction:
    """``codeAction/resolve``: compute the edit. Actions without chatls data come back as-is."""
    data = action.data
    if not isinstance(data, dict) or not isinstance(data.get("chatls"), str):
        return action
    settings = await ls.store.ready()
    info = find(data["chatls"], settings)
    if info is None:
        return action
    args = None
    try:
        args = parse_arguments([data])
        _seen(ls, args.uri, args.diagnostic)
        request, thread = conversations.request(ls, info, args)
        result = await _run(ls, request, info, None)
        ls.check_current(result.document)
        hunks = review.wanted(ls, settings, result) if info.edits else None
        if hunks is not None:
            # Reviewed the way the client can: nothing for the client to apply from here.
            await review.offer(ls, settings, info.title, result, thread, hunks)
            return action
    except ChatlsError as error:
        ls.notify_user(str(error), error.severity)
        if args is not None:
            kind = "failed" if isinstance(error, ModelError) else "refused"
            history.record(ls, settings, info.id, args.uri, args.range, kind, str(error))
        return action
    action.edit = result.workspace_edit()
    # The client applies it (or not): the thread starts if the document comes to hold it, and
    # the record says "applied" then.
    proposed = conversations.propose(ls, result, thread)
    record = history.record(ls, settings, info.id, args.uri, args.range, "offered", result=result)
    if proposed is not None:
        history.follow(proposed, record, result, "offered")
    return action


async def _new_document(ls: ChatlsServer, result: ActionResult, quiet: bool) -> dict[str, Any]:
    """A document an action wrote, as the command's result (editor plugins open it as a new
    buffer; without one, the user sees it in a message), or with ``newFiles = "beside"`` a new
    file beside the source, created by the editor. The source is never touched."""
    assert result.new_document is not None
    document = result.new_document
    answer: dict[str, Any] = {
        "document": {
            "text": document.text,
            "languageId": document.language_id,
            "name": document.name,
        }
    }
    if document.path is not None:
        placed = await _place_file(ls, document)
        if placed is not None:
            found, final = placed
            if found.get("applied") and result.tests is not None:
                found["tests"] = testruns.after_write(ls, result.tests, final, document.append)
            return {**answer, **found}
    source = result.document.path
    if document.path is None and ls.settings.new_files == "beside" and source:
        if "create" in (ls.supports("workspace.workspace_edit.resource_operations") or []):
            path = document.free_path(os.path.dirname(source))
            uri = pathlib.Path(path).as_uri()
            edit = create_file_edit(uri, document.text)
            response = await ls.workspace_apply_edit_async(
                types.ApplyWorkspaceEditParams(edit=edit, label=f"chatls: {os.path.basename(path)}")
            )
            if response.applied:
                return {**answer, "created": uri}
            reason = response.failure_reason or "no reason given"
            ls.notify_user(f"The editor did not create {path}: {reason}.", "warning")
        else:
            ls.notify_user(
                "Your editor cannot create files through the language server (no workspace edit "
                "resource operations), so the result is shown instead.",
                "info",
            )
    if not quiet:
        fence = "```"
        ls.notify_user(
            f"{document.name}:\n\n{fence}{document.language_id}\n{document.text}{fence}", "info"
        )
    return answer


async def _place_file(ls: ChatlsServer, document: NewDocument) -> tuple[dict[str, Any], str] | None:
    """Put a document where it belongs (``document.path``): appended to the file there (with
    the imports it lacks), or a new file created by the editor. The outcome, and what the
    file holds then; None when the client cannot create files (the document is then the
    command's result)."""
    assert document.path is not None
    uri = pathlib.Path(document.path).as_uri()
    final = document.text
    if document.append:
        edit, final = _append_edit(ls, uri, document)
    elif "create" in (ls.supports("workspace.workspace_edit.resource_operations") or []):
        edit = create_file_edit(uri, document.text)
    else:
        ls.notify_user(
            f"Your editor cannot create files through the language server (no workspace edit "
            f"resource operations), so {document.name} is shown instead.",
            "info",
        )
        return None
    response = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=f"chatls: {document.name}")
    )
    if not response.applied:
        reason = response.failure_reason or "no reason given"
        ls.notify_user(f"The editor did not write {document.name}: {reason}.", "warning")
    return {"applied": bool(response.applied), "file": uri}, final


def _append_edit(
    ls: ChatlsServer, uri: str, document: NewDocument
) -> tuple[types.WorkspaceEdit, str]:
    """``document``'s text after what the file holds (the open document's text, else the
    file's), and the imports it lacks after the file's own; and the text the file then holds."""
    assert document.path is not None
    version: int | None = None
    if ls.is_open(uri):
        opened = ls.workspace.get_text_document(uri)
        current, version = opened.source, opened.version
    else:
        with open(document.path, encoding="utf-8", newline="") as handle:
            current = handle.read()
    from chatls.edits.testfile import appended

    spec = language_for(document.language_id, document.path)
    changes = appended(current, spec, document.text, document.imports)
    index = text_index(current, ls.encoding)
    final = current
    for start, end, new_text in sorted(changes, reverse=True):
        final = final[:start] + new_text + final[end:]
    edit = types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=ls.document_uri(uri), version=version
                ),
                edits=[
                    types.TextEdit(range=index.range(start, end), new_text=new_text)
                    for start, end, new_text in changes
                ],
            )
        ]
    )
    return edit, final


def create_file_edit(uri: str, text: str) -> types.WorkspaceEdit:
    """A new file holding ``text``: created (failing, never overwriting, if it exists), then
    filled."""
    start = types.Position(line=0, character=0)
    return types.WorkspaceEdit(
        document_changes=[
            types.CreateFile(
                uri=uri, options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False)
            ),
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[types.TextEdit(range=types.Range(start=start, end=start), new_text=text)],
            ),
        ]
    )


def _seen(ls: ChatlsServer, uri: str, diagnostic: types.Diagnostic | None) -> None:
    """The diagnostic a Fix names is one the editor showed: the ``diagnostics`` tool knows it."""
    if diagnostic is not None and ls.is_open(uri):
        document = ls.workspace.get_text_document(uri)
        ls.diagnostics.add(uri, document.path, document.version, diagnostic)
