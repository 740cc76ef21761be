"""A working day in minutes: one chatls server driven by a randomized session, to show that
nothing grows without bound and that its invariants hold throughout.

    python bench/soak.py [--minutes 10] [--seed 1]

The session types in five files (lines added and removed, undo), selects code the way editors
do (whole lines from column 0 to column 0 of the next line, a bare cursor, a region from the
start of a line), runs Explain, Refactor, Generate docstring and Add types on it (some left
running while typing goes on, some cancelled through their progress), asks for inline
completions, and lists code actions. The backend is the scripted OpenAI-compatible server: most
replies come after 50 ms, some are slow (2 s), some are 429s, 500s or streams cut short.

Every 30 s a probe measures on a file nobody types in, with nothing else in flight: the code
action listing's latency (50 requests) and one Refactor against its backend's time. Printed at
the start and the end: the server's RSS, the p99 listing latency and the action overhead; and
the invariants: the server process alive, every request answered (each within 60 s), and no
edit that the editor received for a version other than its current one applied. Edits that
arrive for a version typing has already replaced are refused by the editor, as VS Code does, and
counted: a race between the server and the keyboard, not a fault, as long as none is applied.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

from chatls_testing.editor import apply_edits
from chatls_testing.scripted_backend import Chat, Error, Raw, ScriptedBackend

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lsp import percentile, start_server  # noqa: E402
from overhead import REPLY, rss_mb, server_pid, source  # noqa: E402

ANSWER_WITHIN = 60.0
PROBE = "def probe_total(values):\n    result = 0\n    for value in values:\n        result = result + value\n    return result\n"
PROBE_REPLY = "```python\ndef probe_total(values):\n    return sum(values)\n```"
COMMANDS = ("chatls.explain", "chatls.refactor", "chatls.docstring", "chatls.types")


class Session:
    def __init__(self, client: Any, backend: ScriptedBackend, workspace: Path, seed: int) -> None:
        self.client = client
        self.backend = backend
        self.random = random.Random(seed)
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.undo: dict[str, list[str]] = {}
        self.sizes: dict[str, int] = {}
        self.pending: set[asyncio.Task[Any]] = set()
        self.requests = 0
        self.unanswered: list[str] = []
        self.errors: list[str] = []
        self.stale_refused = 0
        self.applied = 0
        self.stale_applied = 0
        self.probes: list[dict[str, float]] = []
        self.tokens = 0
        self.messages: dict[types.MessageType, int] = {}
        for number in range(5):
            path = workspace / f"soak_{number}.py"
            self._open(path, source(number))
        self.probe_uri = (workspace / "probe.py").as_uri()
        self._open(workspace / "probe.py", f"import os\n\n\n{PROBE}")

    def _open(self, path: Path, text: str) -> None:
        path.write_text(text)
        uri = path.as_uri()
        self.texts[uri] = text
        self.versions[uri] = 1
        self.undo[uri] = []
        self.sizes[uri] = text.count("\n")
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )

    def apply(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        """The editor's side of ``workspace/applyEdit``: an edit for another version is refused."""
        changes = params.edit.document_changes or []
        for change in changes:
            if not isinstance(change, types.TextDocumentEdit):
                continue
            uri = change.text_document.uri
            if change.text_document.version != self.versions.get(uri):
                self.stale_refused += 1
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="stale")
        for change in changes:
            if not isinstance(change, types.TextDocumentEdit):
                continue
            uri = change.text_document.uri
            edits = [e for e in change.edits if isinstance(e, types.TextEdit)]
            self._change(uri, apply_edits(self.texts[uri], edits))
            self.applied += 1
        if params.edit.changes:
            self.stale_applied += 1  # unversioned: could land on any version
        return types.ApplyWorkspaceEditResult(applied=True)

    def _change(self, uri: str, text: str) -> None:
        self.undo[uri] = [*self.undo[uri][-20:], self.texts[uri]]
        self.texts[uri] = text
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def answered(self, what: str, request: Any) -> Any:
        self.requests += 1
        try:
            return await asyncio.wait_for(request, ANSWER_WITHIN)
        except TimeoutError:
            self.unanswered.append(what)
        except Exception as error:  # an LSP error answer is an answer
            self.errors.append(f"{what}: {type(error).__name__}")
        return None

    def _files(self) -> list[str]:
        return [uri for uri in self.texts if uri != self.probe_uri]

    def _function_lines(self, uri: str) -> list[tuple[int, int]]:
        lines = self.texts[uri].split("\n")
        starts = [n for n, line in enumerate(lines) if line.startswith("def ")]
        spans = []
        for start in starts:
            end = start + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end]):
                end += 1
            while end > start + 1 and not lines[end - 1].strip():
                end -= 1
            spans.append((start, end))
        return spans

    def _selection(self, uri: str) -> dict[str, Any]:
        spans = self._function_lines(uri)
        if not spans:
            return {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}
        start, end = self.random.choice(spans)
        shape = self.random.choice(("lines", "cursor", "region"))
        if shape == "lines":  # Vim's V, a click on the line numbers
            return {"start": {"line": start, "character": 0}, "end": {"line": end, "character": 0}}
        if shape == "cursor":
            line = self.random.randrange(start, end)
            return {"start": {"line": line, "character": 4}, "end": {"line": line, "character": 4}}
        return {"start": {"line": start, "character": 0}, "end": {"line": end - 1, "character": 8}}

    def type_something(self) -> None:
        uri = self.random.choice(self._files())
        lines = self.texts[uri].split("\n")
        at = self.random.randrange(len(lines))
        # A line taken away as often as one is added once the file has grown past its size
        # at the start: a day's session edits files, it does not only grow them, and a bench
        # whose files grow cannot tell drift from a growing workload.
        removing = 0.5 if len(lines) > self.sizes[uri] + 20 else 0.3
        if self.random.random() < removing and len(lines) > 10:
            del lines[at]
        else:
            lines.insert(at, f"# note {self.random.randrange(1000)}")
        self._change(uri, "\n".join(lines))

    def undo_something(self) -> None:
        uri = self.random.choice(self._files())
        if self.undo[uri]:
            previous = self.undo[uri].pop()
            self.texts[uri], self.versions[uri] = previous, self.versions[uri] + 1
            self.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(
                        uri=uri, version=self.versions[uri]
                    ),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=previous)],
                )
            )

    def action(self, cancel: bool) -> None:
        uri = self.random.choice(self._files())
        command = self.random.choice(COMMANDS)
        argument: dict[str, Any] = {"uri": uri, "range": self._selection(uri), "quiet": True}
        if command == "chatls.refactor":
            argument["instruction"] = "Make it shorter."
        self.tokens += 1
        token = f"soak-{self.tokens}"
        request = self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=[argument], work_done_token=token)
        )
        task = asyncio.ensure_future(self.answered(command, request))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)
        if cancel:
            asyncio.get_running_loop().call_later(
                self.random.uniform(0.01, 0.3),
                lambda: self.client.window_work_done_progress_cancel(
                    types.WorkDoneProgressCancelParams(token=token)
                ),
            )

    def inline(self) -> None:
        uri = self.random.choice(self._files())
        lines = self.texts[uri].split("\n")
        line = self.random.randrange(len(lines))
        request = self.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=len(lines[line])),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            )
        )
        task = asyncio.ensure_future(self.answered("inlineCompletion", request))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def listing(self, uri: str) -> float:
        started = time.monotonic()
        await self.answered(
            "codeAction",
            self.client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=types.Range(
                        start=types.Position(line=4, character=0),
                        end=types.Position(line=5, character=0),
                    ),
                    context=types.CodeActionContext(diagnostics=[]),
                )
            ),
        )
        return (time.monotonic() - started) * 1000

    async def probe(self, elapsed: float) -> None:
        """Quiet measurements: nothing else in flight."""
        await asyncio.gather(*list(self.pending))
        listings = [await self.listing(self.probe_uri) for _ in range(50)]
        # The same text each time would let parses be reused: a new version first.
        self._change(self.probe_uri, f"# probe {elapsed:.0f}\n" + self.texts[self.probe_uri])
        line = self.texts[self.probe_uri].split("\n").index(PROBE.split("\n")[0])
        started = time.monotonic()
        await self.answered(
            "probe refactor",
            self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="chatls.refactor",
                    arguments=[
                        {
                            "uri": self.probe_uri,
                            "range": {
                                "start": {"line": line, "character": 0},
                                "end": {"line": line + 5, "character": 0},
                            },
                            "instruction": "Use sum.",
                        }
                    ],
                )
            ),
        )
        action = time.monotonic() - started
        last = self.backend.requests[-1] if self.backend.requests else None
        if last is None or "probe_total" not in last.prompt or not last.finished:
            self.errors.append("probe refactor: no backend request")
            backend = float("nan")
        else:
            backend = last.finished - last.received
        # Back to the probe's own text, so every probe does the same work.
        self._change(self.probe_uri, f"import os\n\n\n{PROBE}")
        self.probes.append(
            {
                "at": elapsed,
                "rss": rss_mb(server_pid(self.client)),
                "p99": percentile(listings, 99),
                "median": statistics.median(listings),
                "overhead": (action - backend) * 1000,
            }
        )
        probe = self.probes[-1]
        print(
            f"  {elapsed / 60:5.1f} min: RSS {probe['rss']:.0f} MB, listing p99 {probe['p99']:.2f} ms "
            f"(median {probe['median']:.2f}), Refactor overhead {probe['overhead']:.1f} ms; "
            f"{self.requests} requests so far",
            flush=True,
        )
        with self.backend._lock:
            del self.backend.requests[:-5]


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie, exited but not yet reaped, does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


async def _shut_down(client: Any, pid: int) -> bool:
    """``shutdown`` answered and the process gone within 30 s of ``exit``."""
    try:
        await asyncio.wait_for(client.shutdown_async(None), 30)
    except TimeoutError:
        return False
    client.exit(None)
    for _ in range(300):
        if not _alive(pid):
            break
        await asyncio.sleep(0.1)
    else:
        return False
    # pygls 2.1's client can hang in its own stop once the server has gone (its exit handler
    # walks its request table while failing the futures in it); the server is judged above.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(client.stop(), 5)
    return True


def responder(chance: random.Random) -> Any:
    def reply(recorded: Any) -> Any:
        prompt = recorded.prompt
        if "probe_total" in prompt:
            return Chat(PROBE_REPLY, delay=0.05)
        roll = chance.random()
        if roll < 0.04:
            return Error(429, "Rate limit reached", headers={"retry-after": "0"})
        if roll < 0.08:
            return Error(500, "internal error")
        if roll < 0.10:
            return Raw(['data: {"choices": [{"delta": {"content": "def "'])  # cut short
        if roll < 0.15:
            return Chat(REPLY, delay=2.0)
        return Chat(REPLY, delay=0.05)

    return reply


async def soak(minutes: float, seed: int, workspace: Path, log_file: Path | None) -> int:
    backend = ScriptedBackend().start()
    assert backend._server is not None
    # A cancelled request drops its connection mid-answer; the backend would print each one.
    backend._server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    backend.responder = responder(random.Random(seed + 1))
    client = await start_server(
        backend.url,
        workspace,
        {"inlineCompletion": {"enabled": True}},
        log_file=log_file,
        log_level="info" if log_file else "warning",
    )
    session = Session(client, backend, workspace, seed)

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return session.apply(params)

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def progress(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    @client.feature(types.PROGRESS)
    def progress_report(params: types.ProgressParams) -> None:
        return None

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def log_message(params: types.LogMessageParams) -> None:
        return None

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def show(params: types.ShowMessageParams) -> None:
        session.messages[params.type] = session.messages.get(params.type, 0) + 1

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def ask(params: types.ShowMessageRequestParams) -> None:
        return None  # no answer: nothing applied (review is off here anyway)

    pid = server_pid(client)
    started = time.monotonic()
    next_probe = 0.0
    print(f"soak: {minutes} min, seed {seed}", flush=True)
    while (elapsed := time.monotonic() - started) < minutes * 60:
        if elapsed >= next_probe:
            await session.probe(elapsed)
            next_probe += 30
        roll = session.random.random()
        if roll < 0.45:
            session.type_something()
        elif roll < 0.52:
            session.undo_something()
        elif roll < 0.62:
            session.action(cancel=False)
        elif roll < 0.67:
            session.action(cancel=True)
        elif roll < 0.85:
            session.inline()
        else:
            await session.listing(session.random.choice(session._files()))
        await asyncio.sleep(session.random.uniform(0.02, 0.15))
    await session.probe(time.monotonic() - started)
    alive = _alive(pid)
    stopped = await _shut_down(client, pid)
    backend.stop()
    # The first probe runs before anything was imported on first use; the start is the first
    # third of the others, the end the last third (one probe's p99 or single Refactor is noisy).
    steady = session.probes[1:]
    third = max(1, len(steady) // 3)
    print("start → end (medians over the first and the last third of the probes):")
    for key, unit in (("rss", "MB"), ("p99", "ms"), ("overhead", "ms")):
        start = statistics.median(p[key] for p in steady[:third] if p[key] == p[key])
        end = statistics.median(p[key] for p in steady[-third:] if p[key] == p[key])
        change = (end - start) / start * 100 if start else 0.0
        print(f"  {key:<8} {start:8.2f} → {end:8.2f} {unit} ({change:+.0f}%)")
    print(
        f"requests {session.requests}; answered with an error {len(session.errors)}; "
        f"unanswered within {ANSWER_WITHIN:.0f} s {len(session.unanswered)}; "
        f"edits applied {session.applied}, refused as stale by the editor {session.stale_refused}, "
        f"unversioned {session.stale_applied}; server alive at the end: {alive}, "
        f"shut down when asked: {stopped}"
    )
    shown = ", ".join(f"{kind.name} {count}" for kind, count in sorted(session.messages.items()))
    print(f"messages shown: {shown or 'none'}")
    failed = bool(session.unanswered) or not alive or not stopped or session.stale_applied > 0
    print("invariants: " + ("BROKEN" if failed else "held"))
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-file", type=Path, help="the server's log, at level info")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # The history the server keeps goes with the run, not into the user's own.
        os.environ["XDG_STATE_HOME"] = str(Path(tmp) / "state")
        workspace = Path(tmp) / "workspace"
        workspace.mkdir()
        sys.exit(asyncio.run(soak(args.minutes, args.seed, workspace, args.log_file)))


if __name__ == "__main__":
    main()
