"""Inline completion as the editor asks for it: settings, exclusion, and failures that never
interrupt typing (each distinct one shown once, then only logged)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from chatls.errors import ChatlsError, InvalidRequestError
from chatls.exclude import excluded_by
from chatls.lsp.server import ChatlsServer

if TYPE_CHECKING:
    from chatls.completion.completer import CompletionRequest

log = logging.getLogger(__name__)


async def suggest(
    ls: ChatlsServer, uri: str, position: types.Position, automatic: bool
) -> tuple[list[str], CompletionRequest] | None:
    """Inline completion suggestions at ``position``, or None."""
    if not ls.is_open(uri):
        return None
    settings = await ls.store.ready()
    if not settings.inline_completion.enabled:
        return None
    document = ls.snapshot(uri, None)
    if excluded_by(document.path, ls.workspace.root_path, settings.exclude):
        return None
    # Inline completion's machinery loads with the first request, not at start-up.
    from chatls.completion.completer import CompletionRequest, Superseded
    from chatls.lsp.tools import completion_signatures

    rules = None
    if settings.rules.inline_completion:
        from chatls.lsp.tools import rules as project_rules

        # Logged quietly: completions ask on every pause in typing.
        rules = project_rules(ls, settings, logging.DEBUG)
    request = CompletionRequest(
        document=document,
        position=position,
        encoding=ls.encoding,
        automatic=automatic,
        workspace_root=ls.workspace.root_path,
        rules=rules,
        signatures=completion_signatures(ls, settings, document.path),
    )
    try:
        suggestions = await ls.completer.complete(
            request, settings, lambda: ls.backends.client(settings)
        )
    except Superseded:
        return None
    except InvalidRequestError as error:
        log.info("inline completion: %s", error)
        return None
    except ChatlsError as error:
        message = str(error)
        if message not in ls.completion_errors:
            ls.completion_errors.add(message)
            ls.notify_user(f"Inline completion: {message}", error.severity)
        else:
            log.info("inline completion: %s", message)
        return None
    from chatls.lsp.history import count_completion

    count_completion(ls, settings, len(suggestions))
    return suggestions, request
