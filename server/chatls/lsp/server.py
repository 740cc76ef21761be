"""The chatls language server: the state every feature shares (settings, open documents, the
threads kept about code, model backends, the completer, running tasks) and reading the editor's
pipe.

What the features do with it lives beside this module, one job each (``settings``,
``progress``, ``messages``, ``tasks``, ``commands``, ``conversations``, ``suggestions``,
``hovers``); the AI work
itself happens in ``chatls.actions`` and ``chatls.completion``, which know nothing of pygls.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from chatls import __version__
from chatls.actions.registry import published
from chatls.actions.reviews import Reviews
from chatls.actions.threads import Threads
from chatls.config import Settings
from chatls.errors import InvalidRequestError, StaleDocumentError
from chatls.lsp.messages import notify_user
from chatls.lsp.protocol import ChatlsProtocol
from chatls.lsp.settings import SettingsStore
from chatls.lsp.tasks import Tasks
from chatls.nextedit.history import EditHistory
from chatls.source.document import Document
from chatls.source.text import Encoding, normalize_encoding
from chatls.tools.diagnostics import DiagnosticsSeen

if TYPE_CHECKING:
    from chatls.completion.completer import Completer
    from chatls.model.backends import Backends
    from chatls.nextedit.predictor import Predictor
    from chatls.tools.workspace import ToolState

log = logging.getLogger(__name__)

ACTIONS_NOTIFICATION = "chatls/actions"
"""Sent with the actions (as ``initialize`` gave them under ``experimental.chatls``) when
settings change them."""


class ChatlsServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("chatls", __version__, protocol_cls=ChatlsProtocol)
        self.tasks = Tasks()
        assert isinstance(self.protocol, ChatlsProtocol)
        self.protocol.on_cancel = self.tasks.cancel_request
        self.store = SettingsStore(
            self,
            lambda: bool(self.supports("workspace.configuration")),
            lambda message: self.notify_user(message, "warning"),
        )
        self.threads = Threads()
        self.edit_history = EditHistory()
        """The user's recent edits, for next-edit suggestions (``lsp.next_edits``)."""
        self._predictor: Predictor | None = None
        self.reviews = Reviews()
        """Changes shown for review that the user has not answered yet (``lsp.review``)."""
        self.completion_errors: set[str] = set()
        self.store.on_change = self._settings_changed
        self.protocol.experimental = self._experimental
        self._published: dict[str, Any] | None = None
        """The actions the client was told of last (None: not yet, before ``initialize``)."""
        self._backends: Backends | None = None
        self._completer: Completer | None = None
        self.diagnostics = DiagnosticsSeen()
        """The diagnostics code action requests carried, for the ``diagnostics`` tool."""
        self.watching: bool | None = None
        """Whether the client reports file changes; None until first asked (``lsp.tools``)."""
        self._tools: ToolState | None = None

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls's stdio server, with stdin read on the event loop when it is a pipe (see
        ``chatls.lsp.stdio``); otherwise pygls's own."""
        from pygls.io_ import StdoutWriter, run_async

        from chatls.lsp.stdio import PipeReader, readable_on_loop

        source = stdin or sys.stdin.buffer
        if not readable_on_loop(source):
            log.debug("stdin is not a pipe: reading it through pygls's thread pool")
            super().start_io(stdin, stdout)
            return
        log.debug("stdin is a pipe: reading it on the event loop")

        async def serve() -> None:
            await run_async(
                stop_event=stop,
                reader=await PipeReader.open(source),
                protocol=self.protocol,
                logger=log,
                error_handler=self.report_server_error,
            )

        self._stop_event = stop = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(serve())
        except BrokenPipeError:
            log.error("Lost the connection to the editor; shutting down.")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]  # unannotated in pygls

    async def workspace_apply_edit_async(
        self, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        """pygls's, with the documents it edits noted: the changes the editor reports for them
        until it answers are chatls's own, not the user's typing (``EditHistory``)."""
        uris = [
            change.text_document.uri
            for change in params.edit.document_changes or ()
            if isinstance(change, types.TextDocumentEdit)
        ] + list(params.edit.changes or {})
        self.edit_history.applying(uris)
        try:
            return await super().workspace_apply_edit_async(params)
        finally:
            self.edit_history.applied(uris)

    @property
    def settings(self) -> Settings:
        return self.store.settings

    def _experimental(self) -> dict[str, Any]:
        self._published = published(self.settings)
        return {"chatls": self._published}

    def _settings_changed(self) -> None:
        self.completion_errors.clear()
        if self._published is None:
            return
        current = published(self.settings)
        if current != self._published:
            # Custom actions come and go with the settings: editor plugins rebuild their
            # commands from this.
            self._published = current
            self.protocol.notify(ACTIONS_NOTIFICATION, current)

    @property
    def encoding(self) -> Encoding:
        """The position encoding negotiated with the client."""
        return normalize_encoding(self.workspace.position_encoding)

    def supports(self, path: str) -> Any:
        """A client capability by dotted path (``window.work_done_progress``), or None."""
        value: Any = self.client_capabilities
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    @property
    def backends(self) -> Backends:
        if self._backends is None:
            from chatls.model.backends import Backends

            self._backends = Backends()
        return self._backends

    @property
    def completer(self) -> Completer:
        if self._completer is None:
            from chatls.completion.completer import Completer

            self._completer = Completer()
        return self._completer

    @property
    def predictor(self) -> Predictor:
        if self._predictor is None:
            from chatls.nextedit.predictor import Predictor

            self._predictor = Predictor()
        return self._predictor

    def supersede_prediction(self, uri: str) -> None:
        """``uri`` changed or closed: its prediction in flight is no longer wanted."""
        if self._predictor is not None:
            self._predictor.forget(uri)

    @property
    def tools(self) -> ToolState:
        """The workspace tools' index (``chatls.lsp.tools``), made on first use."""
        if self._tools is None:
            from chatls.tools.workspace import ToolState

            self._tools = ToolState()
        return self._tools

    @property
    def looked_up(self) -> bool:
        """Whether the tools have been used (so file changes matter to them)."""
        return self._tools is not None

    def forget(self, uri: str) -> None:
        """A document closed: what chatls kept about it goes."""
        self.diagnostics.forget(uri)
        self.threads.forget(self.document_uri(uri))
        self.edit_history.forget(uri)
        self.supersede_prediction(uri)
        if self._completer is not None:
            self._completer.forget(uri)

    async def close_backends(self) -> None:
        if self._backends is not None:
            await self._backends.close()

    def notify_user(self, message: str, severity: str = "error") -> None:
        notify_user(self, message, severity)

    def is_open(self, uri: str) -> bool:
        return unquote(uri) in self.workspace.text_documents

    def document_uri(self, uri: str) -> str:
        """The URI the open document goes by (threads are kept under it), however the client
        spelled this one."""
        document = self.workspace.text_documents.get(unquote(uri))
        return document.uri if document is not None else uri

    def snapshot(self, uri: str, expected_version: int | None) -> Document:
        if not self.is_open(uri):
            raise InvalidRequestError(f"{uri} is not open in the editor; open it and try again.")
        document = self.workspace.get_text_document(uri)
        if expected_version is not None and document.version != expected_version:
            raise StaleDocumentError(
                "The document changed since this action was offered; run it again."
            )
        return Document(
            uri=uri,
            text=document.source,
            version=document.version,
            path=document.path,
            language_id=document.language_id,
        )

    def check_current(self, document: Document) -> None:
        """Refuse to apply a result computed on a snapshot the editor no longer has."""
        if not self.is_open(document.uri):
            raise StaleDocumentError(
                "The document was closed before the answer arrived; nothing changed."
            )
        if self.workspace.get_text_document(document.uri).version != document.version:
            raise StaleDocumentError(
                "The document changed while the model was answering, so the edit was not "
                "applied. Run the action again."
            )
