from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from chatls_testing.editor import Editor
from chatls_testing.scripted_backend import ScriptedBackend

SECRET = "sk-test-THISKEYMUSTNEVERLEAK-1234567890"


def _own_warnings_fail() -> list[str]:
    """``-W`` options that make a warning raised from any chatls module an error in the server's
    process, as ``filterwarnings`` does in the test run's (``-W`` matches one module exactly)."""
    package = Path(__file__).resolve().parent.parent / "server" / "chatls"
    modules = sorted(
        ".".join(("chatls", *path.relative_to(package).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for path in package.rglob("*.py")
    )
    return [f"-Werror:::{module}" for module in modules]


SERVER = [sys.executable, *_own_warnings_fail(), "-m", "chatls"]
CAPABILITIES = {
    "vscode": "visual-studio-code",
    "neovim": "neovim@v0.11",
    "emacs": "emacs",
}


@pytest.fixture
def backend() -> Iterator[ScriptedBackend]:
    server = ScriptedBackend().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def server_env(cache_home: Path, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TIKTOKEN_"))}
    env["XDG_CACHE_HOME"] = str(cache_home)
    env["HOME"] = str(tmp_path / "home")
    # The history goes to the user's state directory: each test gets its own.
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    return env


def _structure_action(client: LanguageClient) -> None:
    # lsprotocol's client converter would turn a CodeAction that carries a command into a
    # Command; tell them apart by the type of "command".
    converter = client.protocol._converter

    def structure(obj: Any, _: Any) -> Any:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], structure)  # noqa: UP007


def capabilities(name: str) -> types.ClientCapabilities:
    if name == "plain":
        return types.ClientCapabilities()
    return pytest_lsp.client_capabilities(CAPABILITIES[name])


Answer = str | Callable[[], str | None] | None


@dataclass
class Session:
    client: LanguageClient
    editor: Editor
    backend: ScriptedBackend
    log_file: Path
    server_capabilities: types.ServerCapabilities
    answers: list[Answer] = field(default_factory=list)
    """What the user picks when the server asks (``window/showMessageRequest``), in turn: a
    title, None (dismissed), or a function that does what the user does while the question is
    open and returns what they then pick."""
    asked: list[types.ShowMessageRequestParams] = field(default_factory=list)
    """What the server asked the user."""

    async def actions(
        self,
        uri: str,
        range_: types.Range,
        diagnostics: list[types.Diagnostic] | None = None,
        only: list[str] | None = None,
    ) -> list[types.CodeAction]:
        result = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=range_,
                context=types.CodeActionContext(diagnostics=diagnostics or [], only=only),
            )
        )
        assert all(isinstance(a, types.CodeAction) for a in result or [])
        return list(result or [])  # type: ignore[arg-type]

    async def action(self, uri: str, range_: types.Range, kind: str, **kw: Any) -> types.CodeAction:
        found = [a for a in await self.actions(uri, range_, **kw) if a.kind == kind]
        assert len(found) >= 1, f"no {kind} action offered"
        return found[0]

    async def command(
        self, command: str, argument: dict[str, Any], token: str | None = None
    ) -> Any:
        if token is not None:
            # A token the client chose itself: the test client must know it to record progress.
            self.client.progress_reports.setdefault(token, [])
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=[argument], work_done_token=token)
        )

    async def run(self, action: types.CodeAction) -> Any:
        """Run an action the way an editor does: resolve it if it has data, then apply/execute."""
        if action.data is not None:
            resolved = await self.client.code_action_resolve_async(action)
            if resolved.edit is not None:
                self.editor.apply(resolved.edit)
            return resolved
        assert action.command is not None
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=action.command.command, arguments=action.command.arguments
            )
        )

    def messages(self, kind: types.MessageType | None = None) -> list[str]:
        return [m.message for m in self.client.messages if kind is None or m.type == kind]

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8") if self.log_file.exists() else ""


Start = Callable[..., Awaitable[Session]]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_failed] = report.failed
    return report


_failed = pytest.StashKey[bool]()


async def open_session(
    backend: ScriptedBackend,
    root: Path,
    log_file: Path,
    env: dict[str, str],
    settings: dict[str, Any] | None = None,
    client: str | types.ClientCapabilities = "vscode",
    configuration: dict[str, Any] | None = None,
    defaults: bool = True,
    server: list[str] | None = None,
) -> Session:
    """A real chatls server over stdio, initialized like an editor would, with ``root`` as its
    workspace; ``defaults`` point it at ``backend``."""
    os.makedirs(root, exist_ok=True)
    command = [*(server or SERVER), "--log-level", "debug", "--log-file", str(log_file)]
    lsp = await ClientServerConfig(server_command=command, server_env=env).start()
    assert isinstance(lsp, LanguageClient)
    _structure_action(lsp)
    caps = client if isinstance(client, types.ClientCapabilities) else capabilities(client)
    encodings = caps.general.position_encodings if caps.general else None
    editor = Editor(lsp, root, encoding=str(encodings[0]) if encodings else "utf-16")
    answers: list[Answer] = []
    asked: list[types.ShowMessageRequestParams] = []

    @lsp.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return editor.apply(params.edit)

    @lsp.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def show_message_request(
        params: types.ShowMessageRequestParams,
    ) -> types.MessageActionItem | None:
        # What the user picks: the next queued answer (a title), or nothing (dismissed).
        asked.append(params)
        answer = answers.pop(0) if answers else None
        # Called here, before the answer goes back: what the user typed meanwhile reaches the
        # server ahead of their answer, as it does from an editor.
        title = answer() if callable(answer) else answer
        return types.MessageActionItem(title=title) if title is not None else None

    options: dict[str, Any] = {}
    if defaults:
        options = {
            "baseUrl": backend.url,
            "apiKey": SECRET,
            "model": "test-model",
            "structuredOutput": "off",
            "maxRetries": 0,
            "timeout": 10,
        }
    options.update(settings or {})
    if configuration is not None:
        lsp.set_configuration(configuration, section="chatls")
    initialized = await lsp.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
            initialization_options=options,
        )
    )
    return Session(lsp, editor, backend, log_file, initialized.capabilities, answers, asked)


@pytest_asyncio.fixture
async def start(
    backend: ScriptedBackend,
    tmp_path: Path,
    server_env: dict[str, str],
    request: pytest.FixtureRequest,
) -> AsyncIterator[Start]:
    sessions: list[Session] = []

    async def _start(
        settings: dict[str, Any] | None = None,
        client: str | types.ClientCapabilities = "vscode",
        configuration: dict[str, Any] | None = None,
        defaults: bool = True,
        server: list[str] | None = None,
    ) -> Session:
        number = len(sessions)
        session = await open_session(
            backend,
            tmp_path / f"workspace{number}",
            tmp_path / f"server{number}.log",
            server_env,
            settings,
            client,
            configuration,
            defaults,
            server,
        )
        sessions.append(session)
        return session

    yield _start
    for session in sessions:
        await session.client.shutdown_session()
        await session.client.stop()
        if request.node.stash.get(_failed, False):
            # The server's own log is the first thing to read when an end-to-end test fails.
            print(f"--- server log {session.log_file} ---\n{session.log()[-20000:]}")
