"""The workspace tools as the editor feeds them: the workspace folders, the open documents'
unsaved text (which wins over the disk's), the diagnostics code action requests carry, and
file changes (``didSave``, and ``workspace/didChangeWatchedFiles`` once registered with a
client that supports dynamic registration).

Nothing here runs at start-up: the index is built on the first lookup, and file watching is
registered just before it.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from lsprotocol import types

from chatls.config import Settings
from chatls.lsp.server import ChatlsServer
from chatls.tools.diagnostics import Seen

if TYPE_CHECKING:
    from chatls.tools.rules import RulesFinder
    from chatls.tools.toolbox import Toolbox

log = logging.getLogger(__name__)


def roots(ls: ChatlsServer) -> list[str]:
    """The workspace folders' paths (the root path when the client sent no folders)."""
    folders = [folder.uri for folder in ls.workspace.folders.values()]
    paths = []
    for uri in folders:
        if uri.startswith("file:"):
            from pygls.uris import to_fs_path

            path = to_fs_path(uri)
            if path:
                paths.append(path)
    if not paths and ls.workspace.root_path:
        paths.append(ls.workspace.root_path)
    return paths


def overlay(ls: ChatlsServer) -> Mapping[str, str]:
    """The open documents' text, by real path."""
    texts = {}
    for document in list(ls.workspace.text_documents.values()):
        if document.path:
            texts[os.path.realpath(document.path)] = document.source
    return texts


def _diagnostics(ls: ChatlsServer, real: str) -> tuple[list[Seen] | None, int | None]:
    version = None
    for document in list(ls.workspace.text_documents.values()):
        if document.path and os.path.realpath(document.path) == real:
            version = document.version
    return ls.diagnostics.for_path(real), version


async def toolbox(ls: ChatlsServer, settings: Settings) -> Toolbox | None:
    """The tools for one action, or None when there is no workspace folder, or when the tools
    and the definitions from other files are both off (with the tools off, the toolbox only
    finds the definitions chatls puts in the prompt itself)."""
    if settings.tools.enabled == "off" and not settings.definitions.enabled:
        return None
    folders = roots(ls)
    if not folders:
        return None
    from chatls.tools.toolbox import Toolbox
    from chatls.tools.workspace import rules

    await watch_files(ls)
    index = ls.tools.index(folders, rules(settings.tools, settings.exclude))
    return Toolbox(index, lambda: overlay(ls), lambda real: _diagnostics(ls, real))


def rules(ls: ChatlsServer, settings: Settings, level: int = logging.INFO) -> RulesFinder | None:
    """What finds the project's rules files for a request (``chatls.tools.rules.finder``), with
    the open documents' unsaved text winning over the disk's."""
    from chatls.tools.rules import finder

    return finder(settings, roots(ls), lambda: overlay(ls), level)


def completion_signatures(
    ls: ChatlsServer, settings: Settings, path: str | None
) -> Callable[[Sequence[str]], list[str]] | None:
    """For inline completion, the signatures of names from other files, from the workspace
    index as it is; None when the ``definitions`` settings are off or the index is not built
    yet (an action builds it: a completion never waits for a walk of the workspace)."""
    definitions = settings.definitions
    if not definitions.enabled or not definitions.inline_completion_tokens or not ls.looked_up:
        return None
    folders = roots(ls)
    if not folders:
        return None
    from chatls.tools.definitions import signatures
    from chatls.tools.workspace import rules as file_rules

    index = ls.tools.index(folders, file_rules(settings.tools, settings.exclude))
    if not index.built:
        return None
    current = os.path.realpath(path) if path else None
    return lambda names: signatures(index, names, current)


async def watch_files(ls: ChatlsServer) -> None:
    """Ask the client to report file changes, once, if it can (dynamic registration)."""
    if ls.watching is not None:
        return
    ls.watching = False
    if not ls.supports("workspace.did_change_watched_files.dynamic_registration"):
        log.info("the client cannot watch files for chatls: the index rescans on use")
        return
    registration = types.Registration(
        id=f"chatls-files-{uuid.uuid4()}",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern="**/*")]
        ),
    )
    try:
        await ls.client_register_capability_async(
            types.RegistrationParams(registrations=[registration])
        )
    except Exception as error:
        log.info("the client refused to watch files (%s): the index rescans on use", error)
        return
    ls.watching = True
    ls.tools.watched = True
    log.info("the client reports file changes to chatls")


def files_changed(ls: ChatlsServer, changes: list[types.FileEvent]) -> None:
    """``workspace/didChangeWatchedFiles``."""
    from pygls.uris import to_fs_path

    if not ls.looked_up:
        return
    for change in changes:
        path = to_fs_path(change.uri)
        if not path:
            continue
        if change.type == types.FileChangeType.Changed:
            ls.tools.changed(os.path.realpath(path))
        else:
            ls.tools.created_or_deleted()


def saved(ls: ChatlsServer, uri: str) -> None:
    """``textDocument/didSave``: the disk holds new text (used once the document closes)."""
    from pygls.uris import to_fs_path

    path = to_fs_path(uri)
    if path and ls.looked_up:
        ls.tools.changed(os.path.realpath(path))


def seen(
    ls: ChatlsServer, params: types.CodeActionParams, path: str | None, version: int | None
) -> None:
    """A code action request's diagnostics, kept for the ``diagnostics`` tool."""
    ls.diagnostics.update(
        params.text_document.uri, path, version, params.range, list(params.context.diagnostics)
    )
