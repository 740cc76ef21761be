"""The chatls language server: settings, documents, progress, messages and applying results.

Feature handlers (``chatls.features``) stay thin and call into this class; the AI work itself
happens in ``chatls.actions`` and below, which know nothing of pygls.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from chatls import __version__
from chatls.catalog import ACTIONS, ActionRequest, ActionResult, Document
from chatls.code_actions import CommandArguments, list_actions, parse_arguments
from chatls.config import Settings, merge, parse_settings, unwrap_section
from chatls.errors import ChatlsError, InvalidRequestError, StaleDocumentError
from chatls.exclude import excluded_by
from chatls.explanations import Explanations
from chatls.logs import RedactingFilter
from chatls.text import Encoding, normalize_encoding, text_index

if TYPE_CHECKING:
    from chatls.backends import Backends
    from chatls.completion import Completer, CompletionRequest

log = logging.getLogger(__name__)
T = TypeVar("T")

_SEVERITY = {
    "error": types.MessageType.Error,
    "warning": types.MessageType.Warning,
    "info": types.MessageType.Info,
}
_REPORT_INTERVAL = 0.25


_command_token: contextvars.ContextVar[types.ProgressToken | None] = contextvars.ContextVar(
    "chatls_command_token", default=None
)


class ChatlsProtocol(LanguageServerProtocol):
    _server: ChatlsServer

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        # pygls hands commands their arguments only; the client's progress token travels to
        # the command's task in a context variable.
        _command_token.set(params.work_done_token)
        return (yield from super().lsp_workspace__execute_command(params))

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        # pygls cancels only the request's outer future; an async command keeps running in its
        # own task, which chatls tracks and cancels here.
        super()._handle_cancel_notification(msg_id)
        self._server.cancel_request(msg_id)


class ChatlsServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("chatls", __version__, protocol_cls=ChatlsProtocol)
        self.settings = Settings()
        self.initialization_options: Any = None
        self.explanations = Explanations()
        self._reported_problems: list[str] = []
        self._backends: Backends | None = None
        self._by_request: dict[Any, asyncio.Task[Any]] = {}
        self._by_token: dict[types.ProgressToken, asyncio.Task[Any]] = {}
        self._settings_loaded: asyncio.Event | None = None
        self._completer: Completer | None = None
        self._completion_errors: set[str] = set()

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls's stdio server, with stdin read on the event loop when it is a pipe (see
        ``chatls.stdio``); otherwise pygls's own."""
        from pygls.io_ import StdoutWriter, run_async

        from chatls.stdio import PipeReader, readable_on_loop

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

    def apply_settings(self, raw: Any) -> None:
        settings, problems = parse_settings(raw)
        self.settings = settings
        self._completion_errors.clear()
        RedactingFilter.add_secret(settings.api_key)
        if problems and problems != self._reported_problems:
            self.notify_user(
                "Some settings were ignored and their defaults used: " + "; ".join(problems) + ".",
                "warning",
            )
        self._reported_problems = problems

    def settings_loading(self) -> None:
        """Called at ``initialize``: requests wait for the first settings pull to finish."""
        self._settings_loaded = asyncio.Event()
        self.apply_settings(unwrap_section(self.initialization_options) or {})

    async def settings_ready(self) -> Settings:
        if self._settings_loaded is not None and not self._settings_loaded.is_set():
            try:
                await asyncio.wait_for(self._settings_loaded.wait(), timeout=5)
            except TimeoutError:
                log.warning("the client did not answer workspace/configuration in time")
        return self.settings

    async def reload_settings(self, pushed: Any = None) -> None:
        """Settings from ``initializationOptions``, overlaid with what the client holds now."""
        # Requests arriving during a reload wait for it rather than use the old settings.
        if self._settings_loaded is None or self._settings_loaded.is_set():
            self._settings_loaded = asyncio.Event()
        try:
            await self._reload_settings(pushed)
        finally:
            if self._settings_loaded is not None:
                self._settings_loaded.set()

    async def _reload_settings(self, pushed: Any) -> None:
        current: Any = None
        if self.supports("workspace.configuration"):
            try:
                result = await self.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section="chatls")])
                )
                current = result[0] if result else None
            except Exception as error:
                log.warning("workspace/configuration failed: %s", error)
        if current is None and pushed is not None:
            current = unwrap_section(pushed)
        base = unwrap_section(self.initialization_options) or {}
        self.apply_settings(merge(base, current) if isinstance(current, dict) else base)

    @property
    def backends(self) -> Backends:
        if self._backends is None:
            from chatls.backends import Backends

            self._backends = Backends()
        return self._backends

    @property
    def completer(self) -> Completer:
        if self._completer is None:
            from chatls.completion import Completer

            self._completer = Completer()
        return self._completer

    async def suggest(
        self, uri: str, position: types.Position, automatic: bool
    ) -> tuple[list[str], CompletionRequest] | None:
        """Inline completion suggestions at ``position``; failures never interrupt typing:
        each distinct one is shown once, then only logged."""
        if not self.is_open(uri):
            return None
        settings = await self.settings_ready()
        if not settings.inline_completion.enabled:
            return None
        document = self.snapshot(uri, None)
        if excluded_by(document.path, self.workspace.root_path, settings.exclude):
            return None
        from chatls.completion import CompletionRequest, Superseded

        request = CompletionRequest(
            document=document,
            position=position,
            encoding=self.encoding,
            automatic=automatic,
            workspace_root=self.workspace.root_path,
        )
        try:
            suggestions = await self.completer.complete(
                request, settings, lambda: self.backends.client(settings)
            )
        except Superseded:
            return None
        except InvalidRequestError as error:
            log.info("inline completion: %s", error)
            return None
        except ChatlsError as error:
            message = str(error)
            if message not in self._completion_errors:
                self._completion_errors.add(message)
                self.notify_user(f"Inline completion: {message}", error.severity)
            else:
                log.info("inline completion: %s", message)
            return None
        return suggestions, request

    async def close_backends(self) -> None:
        if self._backends is not None:
            await self._backends.close()

    def notify_user(self, message: str, severity: str = "error") -> None:
        log.log(logging.WARNING if severity != "info" else logging.INFO, "%s", message)
        self.window_show_message(
            types.ShowMessageParams(type=_SEVERITY[severity], message=f"chatls: {message}")
        )

    def is_open(self, uri: str) -> bool:
        return unquote(uri) in self.workspace.text_documents

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

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        if not self.is_open(uri):
            return []
        document = self.workspace.get_text_document(uri)
        if excluded_by(document.path, self.workspace.root_path, self.settings.exclude):
            return []
        properties = self.supports("text_document.code_action.resolve_support.properties") or []
        resolve_edits = "edit" in properties and bool(
            self.supports("text_document.code_action.data_support")
        )
        return list_actions(uri, params.range, params.context, document.version, resolve_edits)

    def cancel_request(self, msg_id: Any) -> None:
        task = self._by_request.pop(msg_id, None)
        if task is not None:
            task.cancel()

    def cancel_progress(self, token: types.ProgressToken) -> None:
        task = self._by_token.pop(token, None)
        if task is not None:
            task.cancel()

    async def with_progress(
        self,
        title: str,
        token: types.ProgressToken | None,
        work: Callable[[Callable[[str], None]], Awaitable[T]],
    ) -> T:
        """Run ``work`` under cancellable work-done progress, when the client shows progress."""
        task = asyncio.current_task()
        if token is None and self.supports("window.work_done_progress"):
            token = f"chatls-{uuid.uuid4()}"
            try:
                await self.work_done_progress.create_async(token)
            except Exception as error:
                log.info("client refused a progress token: %s", error)
                token = None
        progress = self.work_done_progress
        last = 0.0

        def report(message: str) -> None:
            nonlocal last
            now = time.monotonic()
            if token is not None and now - last >= _REPORT_INTERVAL:
                last = now
                progress.report(token, types.WorkDoneProgressReport(message=message))

        if token is not None and task is not None:
            self._by_token[token] = task
            progress.begin(
                token,
                types.WorkDoneProgressBegin(title=title, cancellable=True, message="Preparing…"),
            )
        outcome = "Failed"
        try:
            result = await work(report)
            outcome = "Done"
            return result
        except asyncio.CancelledError:
            outcome = "Cancelled"
            raise
        finally:
            if token is not None:
                self._by_token.pop(token, None)
                progress.tokens.pop(token, None)
                progress.end(token, types.WorkDoneProgressEnd(message=outcome))

    def _request(self, action: str, args: CommandArguments) -> ActionRequest:
        return ActionRequest(
            action=action,
            document=self.snapshot(args.uri, args.version),
            range=args.range,
            encoding=self.encoding,
            diagnostic=args.diagnostic,
            diagnostics=[args.diagnostic] if args.diagnostic else [],
            instruction=args.instruction,
            workspace_root=self.workspace.root_path,
        )

    async def _run(self, request: ActionRequest, token: types.ProgressToken | None) -> ActionResult:
        # The action machinery (prompts, syntax, diffing, the model client) loads on first use,
        # keeping it out of every editor's start-up.
        from chatls.actions import run_action

        info = ACTIONS[request.action]
        settings = await self.settings_ready()

        async def work(report: Callable[[str], None]) -> ActionResult:
            client = await self.backends.client(settings, report)
            return await run_action(request, settings, client, report)

        return await self.with_progress(f"chatls: {info.title}", token, work)

    def _check_current(self, result: ActionResult) -> None:
        uri = result.document.uri
        if not self.is_open(uri):
            raise StaleDocumentError(
                "The document was closed before the answer arrived; nothing changed."
            )
        if self.workspace.get_text_document(uri).version != result.document.version:
            raise StaleDocumentError(
                "The document changed while the model was answering, so the edit was not "
                "applied. Run the action again."
            )

    def remember_explanation(self, result: ActionResult) -> None:
        index = text_index(result.document.text, self.encoding)
        start, end = index.span(result.range)
        self.explanations.encoding = index.encoding
        self.explanations.add(
            result.document.uri,
            result.range,
            result.document.text[start:end],
            result.markdown or "",
        )

    async def execute(
        self, action: str, arguments: list[Any], token: types.ProgressToken | None
    ) -> dict[str, Any] | None:
        """``workspace/executeCommand`` for an action; errors are shown, never raised."""
        task = asyncio.current_task()
        msg_id = self.protocol.msg_id
        token = token if token is not None else _command_token.get()
        if task is not None and msg_id is not None:
            self._by_request[msg_id] = task
        try:
            args = parse_arguments(arguments)
            result = await self._run(self._request(action, args), token)
            if result.markdown is not None:
                self.remember_explanation(result)
                if not args.quiet:
                    self.notify_user(result.markdown, "info")
                return {"markdown": result.markdown}
            self._check_current(result)
            edit = result.workspace_edit()
            response = await self.workspace_apply_edit_async(
                types.ApplyWorkspaceEditParams(edit=edit, label=f"chatls: {ACTIONS[action].title}")
            )
            if not response.applied:
                reason = response.failure_reason or "the document probably changed"
                self.notify_user(f"The editor did not apply the edit: {reason}.", "warning")
            return {
                "applied": bool(response.applied),
                "edit": self.protocol._converter.unstructure(edit),
            }
        except ChatlsError as error:
            self.notify_user(str(error), error.severity)
            return None
        except asyncio.CancelledError:
            # pygls answers a cancelled request itself; a cancelled command must not raise
            # into its request machinery.
            log.info("%s cancelled", action)
            return None
        finally:
            if msg_id is not None:
                self._by_request.pop(msg_id, None)

    async def resolve(self, action: types.CodeAction) -> types.CodeAction:
        """``codeAction/resolve``: compute the edit. Actions without chatls data come back as-is."""
        data = action.data
        if not isinstance(data, dict) or data.get("chatls") not in ACTIONS:
            return action
        try:
            args = parse_arguments([data])
            result = await self._run(self._request(data["chatls"], args), None)
            self._check_current(result)
        except ChatlsError as error:
            self.notify_user(str(error), error.severity)
            return action
        action.edit = result.workspace_edit()
        return action

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        if not self.explanations.has(uri) or not self.is_open(uri):
            return None
        text = self.workspace.get_text_document(uri).source
        index = text_index(text, self.encoding)

        def text_at(range_: types.Range) -> str | None:
            try:
                start, end = index.span(range_)
            except ChatlsError:
                return None
            return text[start:end]

        found = self.explanations.at(uri, params.position, text_at)
        if found is None:
            return None
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown),
            range=found.range,
        )


def create_server() -> ChatlsServer:
    from chatls.features import register_all

    server = ChatlsServer()
    register_all(server)
    return server
