"""Cancelling a slow model: progress cancel buttons and $/cancelRequest close the HTTP stream at
once (the backend sees the connection drop) and nothing is applied."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

from chatls_testing.scripted_backend import Chat, Hang
from tests.conftest import Session, Start

SOURCE = "def f(x):\n    return x + 1\n"
SLOW = Chat("```python\n" + "return x + 2  # slow\n" * 200 + "```", chunk_size=4, interval=0.05)


async def _wait(session: Session, predicate: object, seconds: float = 10.0) -> None:
    ok = await asyncio.to_thread(session.backend.wait_for, predicate, seconds)  # type: ignore[arg-type]
    assert ok, "the backend did not see the expected event"


def _args(session: Session, uri: str) -> dict[str, object]:
    rng = session.editor.range_of(uri, "    return x + 1\n")
    return {
        "uri": uri,
        "range": {
            "start": {"line": rng.start.line, "character": rng.start.character},
            "end": {"line": rng.end.line, "character": rng.end.character},
        },
    }


@pytest.mark.parametrize("response", [SLOW, Hang(20)], ids=["mid-stream", "before-headers"])
async def test_client_progress_token_cancel_closes_the_stream(
    start: Start, response: object
) -> None:
    session = await start(client="plain")
    uri = session.editor.open("f.py", SOURCE)
    session.backend.script(response)  # type: ignore[arg-type]
    running = asyncio.ensure_future(
        session.command("chatls.refactor", _args(session, uri), token="tok-1")
    )
    await _wait(session, lambda: len(session.backend.requests) == 1)
    await asyncio.sleep(0.2)
    session.client.window_work_done_progress_cancel(
        types.WorkDoneProgressCancelParams(token="tok-1")
    )
    await _wait(session, lambda: session.backend.disconnects == 1)
    assert await asyncio.wait_for(running, 10) is None
    assert session.editor.applied == []
    assert session.editor.text(uri) == SOURCE
    reports = session.client.progress_reports["tok-1"]
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    assert isinstance(reports[-1], types.WorkDoneProgressEnd) and reports[-1].message == "Cancelled"


async def test_server_created_progress_is_cancellable(start: Start) -> None:
    session = await start(client="vscode")
    uri = session.editor.open("f.py", SOURCE)
    session.backend.script(SLOW)
    running = asyncio.ensure_future(session.command("chatls.refactor", _args(session, uri)))
    await _wait(session, lambda: len(session.backend.requests) == 1)
    for _ in range(100):
        if session.client.progress_reports:
            break
        await asyncio.sleep(0.05)
    (token,) = session.client.progress_reports
    session.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    await _wait(session, lambda: session.backend.disconnects == 1)
    assert await asyncio.wait_for(running, 10) is None
    assert session.editor.text(uri) == SOURCE


async def test_cancel_request_on_resolve_closes_the_stream(start: Start) -> None:
    session = await start(client="vscode")
    uri = session.editor.open("f.py", SOURCE)
    session.backend.script(SLOW)
    rng = session.editor.range_of(uri, "    return x + 1\n")
    action = await session.action(uri, rng, "refactor.rewrite.chatls.refactor")
    pending = asyncio.ensure_future(
        session.client.protocol.send_request_async("codeAction/resolve", action, msg_id="resolve-1")
    )
    await _wait(session, lambda: len(session.backend.requests) == 1)
    await asyncio.sleep(0.2)
    session.client.cancel_request(types.CancelParams(id="resolve-1"))
    await _wait(session, lambda: session.backend.disconnects == 1)
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(pending, 10)
    assert session.editor.text(uri) == SOURCE


async def test_cancel_request_on_execute_command_closes_the_stream(start: Start) -> None:
    session = await start(client="plain")
    uri = session.editor.open("f.py", SOURCE)
    session.backend.script(SLOW)
    params = types.ExecuteCommandParams(command="chatls.refactor", arguments=[_args(session, uri)])
    pending = asyncio.ensure_future(
        session.client.protocol.send_request_async(
            "workspace/executeCommand", params, msg_id="cmd-1"
        )
    )
    await _wait(session, lambda: len(session.backend.requests) == 1)
    await asyncio.sleep(0.2)
    session.client.cancel_request(types.CancelParams(id="cmd-1"))
    await _wait(session, lambda: session.backend.disconnects == 1)
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(pending, 10)
    await asyncio.sleep(0.3)
    assert session.editor.applied == []
    assert session.editor.text(uri) == SOURCE
    # And the server carries on.
    session.backend.script(Chat("```python\nreturn x + 2\n```"))
    result = await session.command("chatls.refactor", _args(session, uri))
    assert result["applied"] is True


@pytest.mark.parametrize("accepted", ["at once", "after the action"])
async def test_an_editor_slow_to_accept_progress_delays_nothing(
    start: Start, accepted: str
) -> None:
    """The model is asked while the editor has not yet answered the progress token it was
    offered; progress is begun once it does, and ended as the action ended if that came first."""
    session = await start(client="vscode")
    uri = session.editor.open("f.py", SOURCE)
    session.backend.script(Chat("```python\nreturn x + 2\n```"))
    accept = asyncio.Event()
    offered: list[types.ProgressToken] = []
    reports = session.client.progress_reports

    async def create(params: types.WorkDoneProgressCreateParams) -> None:
        offered.append(params.token)
        await accept.wait()
        reports.setdefault(params.token, [])

    # The editor's own handler, replaced: this editor answers when the test says.
    session.client.protocol.fm.features[types.WINDOW_WORK_DONE_PROGRESS_CREATE] = create
    running = asyncio.ensure_future(session.command("chatls.refactor", _args(session, uri)))
    await _wait(session, lambda: len(session.backend.requests) == 1)
    assert len(offered) == 1 and reports == {}
    if accepted == "at once":
        accept.set()
    result = await asyncio.wait_for(running, 10)
    assert result["applied"] is True
    assert session.editor.text(uri) == "def f(x):\n    return x + 2\n"
    accept.set()
    (token,) = offered
    for _ in range(100):
        if reports.get(token) and isinstance(reports[token][-1], types.WorkDoneProgressEnd):
            break
        await asyncio.sleep(0.05)
    shown = reports[token]
    assert isinstance(shown[0], types.WorkDoneProgressBegin) and shown[0].cancellable
    assert isinstance(shown[-1], types.WorkDoneProgressEnd) and shown[-1].message == "Done"
    assert sum(isinstance(report, types.WorkDoneProgressBegin) for report in shown) == 1
