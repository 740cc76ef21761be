"""Listing code actions (cheap: no model, and no parsing but for a diagnostic that names a
misspelt symbol, see ``quickfix``) and reading command arguments.

An action either carries a command (clients without ``codeAction/resolve`` for ``edit``, Explain
and Ask everywhere, since their result is a hover, and Refine, which needs the user's text) or
``data`` that ``codeAction/resolve`` turns into an edit.

Ask and Refine need text only the user can give (a question, an instruction). LSP has no way
for a code action to ask for it: their commands go without it, editor plugins ask before
sending them on, and a client without a plugin gets one message saying so.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import attrs
import cattrs
from lsprotocol import types

from chatls.actions import stubs
from chatls.actions.custom import declare
from chatls.actions.declaration import Action
from chatls.actions.quickfix import KIND, Replacements
from chatls.actions.registry import builtin
from chatls.config import CustomAction
from chatls.errors import InvalidRequestError

_TITLE_LIMIT = 72


@functools.cache
def _converter() -> cattrs.Converter:
    # Building lsprotocol's converter costs tens of milliseconds: pay it on the first run of
    # an action, not at start-up or when listing.
    from lsprotocol import converters

    return converters.get_converter()


@attrs.frozen
class CommandArguments:
    uri: str
    range: types.Range
    version: int | None = None
    diagnostic: types.Diagnostic | None = None
    instruction: str | None = None
    quiet: bool = False
    """Set by editor plugins that display an explanation themselves."""
    question: str | None = None
    thread: str | None = None
    """The thread a Refine or an Ask follow-up continues (its id, from an earlier answer)."""
    id: str | None = None
    """The custom action ``chatls.action`` runs."""
    language: str | None = None
    """Translate: the language to translate into."""


def missing_text(info: Action, args: CommandArguments) -> str | None:
    """The message for a command run without the text its action needs, else None."""
    if info.asks is None or not info.asks.required or getattr(args, info.asks.argument):
        return None
    return info.asks.missing


def kind_matches(kind: str, only: Sequence[str] | None) -> bool:
    if not only:
        return True
    return any(kind == wanted or kind.startswith(wanted + ".") for wanted in only)


def _asks(info: Action) -> bool:
    """Whether the user must give text before it runs (its title ends in an ellipsis)."""
    return info.asks is not None and info.asks.required


def _title(info: Action, diagnostic: types.Diagnostic | None) -> str:
    if diagnostic is None:
        return f"chatls: {info.title}" + ("…" if _asks(info) else "")
    message = " ".join(diagnostic.message.split())
    if len(message) > _TITLE_LIMIT:
        message = message[: _TITLE_LIMIT - 1] + "…"
    return f"chatls: Fix “{message}”"


def command_arguments(
    uri: str,
    range_: types.Range,
    version: int | None,
    diagnostic: types.Diagnostic | None = None,
) -> dict[str, Any]:
    # pygls serialises the lsprotocol objects when it sends the actions.
    args: dict[str, Any] = {"uri": uri, "range": range_, "version": version}
    if diagnostic is not None:
        args["diagnostic"] = diagnostic
    return args


def list_actions(
    uri: str,
    range_: types.Range,
    context: types.CodeActionContext,
    version: int | None,
    resolve_edits: bool,
    refine: str | None = None,
    custom: Sequence[CustomAction] = (),
    language_id: str | None = None,
    lines: Sequence[str] | None = None,
    replacements: Replacements | None = None,
) -> list[types.CodeAction]:
    """The actions offered for a range; ``resolve_edits`` when the client resolves ``edit``;
    ``refine``, the thread of an edit chatls made there, offers Refine; ``custom``, the user's
    own actions, those for ``language_id``; ``lines``, the document's lines from the first
    up to a little past the range, offer Implement where it applies; ``replacements`` the
    model-free quick fix, just before Fix, for a diagnostic that names a misspelt symbol."""
    python = language_id in (None, "python")
    inside: bool | None = None
    offered: list[tuple[Action, types.Diagnostic | None]] = []
    per_diagnostic: list[Action] = []
    for info in builtin().values():
        when = info.offer.when
        if when == "diagnostic":
            per_diagnostic.append(info)
            continue
        if not info.offer.language(language_id):
            continue
        if when == "thread":
            listed = refine is not None
        elif when == "stub":
            listed = lines is not None and bool(
                stubs.find(list(lines), range_.start.line, range_.end.line, python)
            )
        elif when == "function":
            if inside is None and lines is not None:
                inside = stubs.in_function(list(lines), range_.start.line)
            listed = bool(inside)
        else:
            listed = when == "always"
        if listed:
            offered.append((info, None))
    offered += [
        (declare(action), None)
        for action in custom
        if not action.languages or language_id in action.languages
    ]
    seen: set[tuple[str, int, int, int, int]] = set()
    for reported in context.diagnostics:
        r = reported.range
        key = (reported.message, r.start.line, r.start.character, r.end.line, r.end.character)
        if key not in seen:
            seen.add(key)
            offered += [(info, reported) for info in per_diagnostic]
    actions = []
    for info, diagnostic in offered:
        if diagnostic is not None and replacements is not None and kind_matches(KIND, context.only):
            quick = replacements.action(diagnostic)
            if quick is not None:
                actions.append(quick)
        if not kind_matches(info.kind, context.only):
            continue
        title = _title(info, diagnostic)
        target = diagnostic.range if diagnostic is not None else range_
        args = command_arguments(uri, target, version, diagnostic)
        if info.offer.when == "thread":
            args["thread"] = refine
        if info.custom:
            args["id"] = info.id
        action = types.CodeAction(
            title=title,
            kind=info.kind,
            diagnostics=[diagnostic] if diagnostic is not None else None,
        )
        if info.edits and resolve_edits and not _asks(info):
            action.data = {"chatls": info.id, **args}
        else:
            action.command = types.Command(title=title, command=info.command, arguments=[args])
        actions.append(action)
    return actions


def parse_arguments(arguments: Sequence[Any] | None) -> CommandArguments:
    """Command arguments: one object with ``uri`` and ``range`` (and optional extras)."""
    if not arguments or not isinstance(arguments[0], dict):
        raise InvalidRequestError(
            'The command needs one argument object: {"uri": ..., "range": ...}.'
        )
    raw = arguments[0]
    uri = raw.get("uri")
    if not isinstance(uri, str) or not uri:
        raise InvalidRequestError("The command's `uri` argument is missing.")
    try:
        range_ = _converter().structure(raw.get("range"), types.Range)
    except Exception:
        raise InvalidRequestError(
            "The command's `range` argument is missing or not an LSP range."
        ) from None
    diagnostic: types.Diagnostic | None = None
    if raw.get("diagnostic") is not None:
        try:
            diagnostic = _converter().structure(raw["diagnostic"], types.Diagnostic)
        except Exception:
            raise InvalidRequestError(
                "The command's `diagnostic` argument is not an LSP diagnostic."
            ) from None
    version = raw.get("version")
    instruction = raw.get("instruction")
    question = raw.get("question")
    thread = raw.get("thread")
    action_id = raw.get("id")
    language = raw.get("language")
    return CommandArguments(
        uri=uri,
        range=range_,
        version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        diagnostic=diagnostic,
        instruction=instruction if isinstance(instruction, str) and instruction.strip() else None,
        quiet=raw.get("quiet") is True,
        question=question if isinstance(question, str) and question.strip() else None,
        thread=thread if isinstance(thread, str) and thread else None,
        id=action_id if isinstance(action_id, str) and action_id else None,
        language=language if isinstance(language, str) and language.strip() else None,
    )
