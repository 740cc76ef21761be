"""The local history over LSP (applied, refused, undone, cancelled, rejected in review; nothing
from excluded files or untrusted workspaces; an unwritable directory), `chatls history` on what
the server wrote, and stored completions on a backend that keeps them."""

from __future__ import annotations

import asyncio
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from chatls_testing.scripted_backend import Chat, ScriptedBackend
from tests.conftest import Session, Start

SOURCE = "def area(width, height):\n    return width * height\n"
TYPED = "def area(width: float, height: float) -> float:\n    return width * height\n"
SLOW = Chat("```python\n" + "return 1  # slow\n" * 200 + "```", chunk_size=4, interval=0.05)


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def whole(uri: str) -> dict[str, Any]:
    return {
        "uri": uri,
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}},
        "instruction": "Add types",
    }


def _parsed(line: str) -> dict[str, Any] | None:
    """A record's line; None for the damaged lines a test wrote itself."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def records(path: Path, count: int, seconds: float = 10.0) -> list[dict[str, Any]]:
    """The history's records once it holds ``count`` (it is written off the request's path)."""
    found: list[dict[str, Any]] = []
    for _ in range(int(seconds / 0.05)):
        if await asyncio.to_thread(path.exists):
            text = await asyncio.to_thread(path.read_text, "utf-8")
            found = [r for r in map(_parsed, text.splitlines()) if r is not None]
            if len(found) >= count:
                return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"the history holds {len(found)} records, not {count}: {found}")


async def start_with_history(
    start: Start, tmp_path: Path, history_max: int | None = None, **settings: Any
) -> tuple[Session, Path]:
    path = tmp_path / "state" / "history.jsonl"
    kept: dict[str, Any] = {"path": str(path)}
    if history_max is not None:
        kept["maxEntries"] = history_max
    session = await start({"history": kept, **settings}, client="neovim")
    return session, path


async def test_an_applied_action_is_recorded_with_its_request_and_reply(
    start: Start, tmp_path: Path
) -> None:
    session, path = await start_with_history(start, tmp_path)
    uri = session.editor.open("shapes.py", SOURCE)
    session.backend.script(
        Chat(fenced(TYPED), counts={"prompt_tokens": 321, "completion_tokens": 12})
    )
    assert (await session.command("chatls.refactor", whole(uri)))["applied"] is True
    (record,) = await records(path, 1)
    assert record["action"] == "refactor" and record["outcome"] == "applied"
    assert record["file"] == "shapes.py" and record["target"] == "1-2"
    assert record["model"] == "test-model"
    # The reply was closed as soon as it was whole, before the backend's usage: chatls's counts.
    assert record["prompt_tokens"] > 50 and 10 < record["answer_tokens"] < 40
    assert record["reply"] == fenced(TYPED)
    sent = session.backend.requests[0].messages
    # The action's own request (the tools' definitions, when offered, are not kept).
    assert [m["role"] for m in record["messages"]] == ["system", "user"]
    assert record["messages"][1] == sent[1]
    assert sent[0]["content"].startswith(record["messages"][0]["content"])
    assert "sk-" not in path.read_text(encoding="utf-8")


async def test_refused_undone_cancelled_and_rejected_are_recorded(
    start: Start, tmp_path: Path
) -> None:
    session, path = await start_with_history(start, tmp_path)
    uri = session.editor.open("shapes.py", SOURCE)
    # Refused: the model answered with the code unchanged.
    session.backend.script(Chat(fenced(SOURCE)))
    assert await session.command("chatls.refactor", whole(uri)) is None
    # Applied, then undone (the editor brings the old code back).
    session.backend.script(Chat(fenced(TYPED)))
    assert (await session.command("chatls.refactor", whole(uri)))["applied"] is True
    header = session.editor.range_of(uri, "def area(width: float, height: float) -> float:")
    session.editor.type(uri, header, "def area(width, height):")
    # Cancelled from the progress's cancel button.
    session.backend.script(SLOW)
    running = asyncio.ensure_future(session.command("chatls.refactor", whole(uri), token="t"))
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: len(session.backend.requests) == 3
    )
    await asyncio.sleep(0.2)
    session.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token="t"))
    assert await asyncio.wait_for(running, 10) is None
    found = await records(path, 3)
    await asyncio.sleep(0.3)  # the undo's update is written after the record
    found = await records(path, 3)
    assert [(r["outcome"], r["reason"][:40]) for r in found] == [
        ("refused", "The model answered with the code unchang"),
        ("undone", ""),
        ("cancelled", ""),
    ]


async def test_a_review_rejected_is_recorded(start: Start, tmp_path: Path) -> None:
    path = tmp_path / "state" / "history.jsonl"
    from tests.e2e.test_review import reviewing

    session = await start({"history": {"path": str(path)}, "review": "always"}, client=reviewing())
    uri = session.editor.open("shapes.py", SOURCE)
    session.backend.script(Chat(fenced(TYPED)))
    review = (await session.command("chatls.refactor", whole(uri)))["review"]
    await session.command("chatls.review.reject", {"id": review["id"]})
    await asyncio.sleep(0.3)
    ((record),) = await records(path, 1)
    assert record["outcome"] == "rejected"


@pytest.mark.parametrize(
    "settings",
    [{"workspaceTrusted": False}, {"history": {"enabled": False}}],
    ids=["untrusted", "off"],
)
async def test_nothing_is_kept_when_untrusted_or_off(
    start: Start, tmp_path: Path, settings: dict[str, Any]
) -> None:
    path = tmp_path / "state" / "history.jsonl"
    merged = {"history": {"path": str(path), **settings.get("history", {})}}
    merged.update({k: v for k, v in settings.items() if k != "history"})
    session = await start(merged, client="neovim")
    uri = session.editor.open("shapes.py", SOURCE)
    session.backend.script(Chat(fenced(TYPED)))
    assert (await session.command("chatls.refactor", whole(uri)))["applied"] is True
    await asyncio.sleep(0.5)
    assert not await asyncio.to_thread(path.exists)


async def test_nothing_is_kept_from_an_excluded_file(start: Start, tmp_path: Path) -> None:
    session, path = await start_with_history(start, tmp_path, exclude=["secret/"])
    hidden = session.editor.open("secret/keys.py", SOURCE)
    shown = session.editor.open("shapes.py", SOURCE)
    session.backend.script(Chat(fenced(TYPED)))
    assert await session.command("chatls.refactor", whole(hidden)) is None  # refused: excluded
    assert (await session.command("chatls.refactor", whole(shown)))["applied"] is True
    # One writer keeps the order: had the excluded file's refusal been kept, it would be first.
    (record,) = await records(path, 1)
    assert record["file"] == "shapes.py" and record["outcome"] == "applied"
    assert "secret" not in await asyncio.to_thread(path.read_text, "utf-8")


async def test_max_entries_keeps_the_newest_and_drops_the_oldest(
    start: Start, tmp_path: Path
) -> None:
    session, path = await start_with_history(start, tmp_path, history_max=2)
    uri = session.editor.open("shapes.py", SOURCE)
    replies = [f"Answer {n}." for n in range(1, 14)]
    session.backend.script(*(Chat(reply) for reply in replies))
    for n, reply in enumerate(replies[:3], 1):
        assert (await session.command("chatls.explain", whole(uri)))["markdown"] == reply
        await records(path, n)
    # Three in the file, two kept: the oldest is no longer listed.
    listed = await session.command("chatls.history", {})
    assert [r["reply"] for r in listed["records"]] == ["Answer 3.", "Answer 2."]
    for reply in replies[3:]:
        assert (await session.command("chatls.explain", whole(uri)))["markdown"] == reply
    # The file is rewritten once it is well over (every write would rewrite it otherwise):
    # after the 13th record it holds the newest two alone.
    for _ in range(200):
        found = await records(path, 1)
        if len(found) == 2 and found[-1]["reply"] == "Answer 13.":
            break
        await asyncio.sleep(0.05)
    assert [r["reply"] for r in found] == ["Answer 12.", "Answer 13."]


async def test_an_unwritable_history_costs_one_log_line(start: Start, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the directory should be", encoding="utf-8")
    session = await start({"history": {"path": str(blocked / "history.jsonl")}}, client="neovim")
    uri = session.editor.open("shapes.py", SOURCE)
    session.backend.script(Chat(fenced(TYPED)), Chat(fenced(SOURCE)))
    assert (await session.command("chatls.refactor", whole(uri)))["applied"] is True
    assert (await session.command("chatls.refactor", whole(uri)))["applied"] is True
    await asyncio.sleep(0.5)
    assert session.log().count("history: ") == 1
    assert session.editor.text(uri) == SOURCE


async def test_a_corrupt_history_costs_one_log_line_and_its_records_are_still_read(
    start: Start, tmp_path: Path
) -> None:
    path = tmp_path / "state" / "history.jsonl"
    path.parent.mkdir()
    kept = {
        "action": "explain",
        "file": "old.py",
        "target": "1",
        "model": "m",
        "outcome": "answered",
    }
    path.write_text(
        "{not json\n" + json.dumps({**kept, "id": "old1", "time": 1.0}) + '\n"a string"\n',
        encoding="utf-8",
    )
    session = await start({"history": {"path": str(path)}}, client="neovim")
    uri = session.editor.open("shapes.py", SOURCE)
    session.backend.script(Chat(fenced(TYPED)))
    assert (await session.command("chatls.refactor", whole(uri)))["applied"] is True
    await records(path, 2)  # written off the request's path
    for _ in range(3):  # each reads the whole file again
        listed = await session.command("chatls.history", {})
        assert [r["action"] for r in listed["records"]] == ["refactor", "explain"]
    header = session.editor.range_of(uri, "def area(width: float, height: float) -> float:")
    session.editor.type(uri, header, "def area(width, height):")  # an undo: read, then rewritten
    outcomes: list[str] = []
    for _ in range(200):
        listed = await session.command("chatls.history", {})
        outcomes = [r["outcome"] for r in listed["records"]]
        if outcomes == ["undone", "answered"]:
            break
        await asyncio.sleep(0.05)
    assert outcomes == ["undone", "answered"]
    # The rewrite kept what it could read.
    assert len(await records(path, 2)) == 2
    (line,) = [line for line in session.log().splitlines() if "history: " in line]
    assert line.endswith(
        f"history: {path} has 2 unreadable lines (skipped); going on with the rest"
    )


def history_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatls", "history", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


async def test_chatls_history_lists_shows_deletes_and_exports(
    start: Start, tmp_path: Path, server_env: dict[str, str]
) -> None:
    session, path = await start_with_history(start, tmp_path)
    uri = session.editor.open("shapes.py", SOURCE)
    session.backend.script(Chat(fenced(TYPED)), Chat("It multiplies the two sides."))
    assert (await session.command("chatls.refactor", whole(uri)))["applied"] is True
    assert (await session.command("chatls.explain", whole(uri)))["markdown"]
    first, second = await records(path, 2)

    listed = await asyncio.to_thread(history_cli, server_env, "list", "--path", str(path))
    lines = listed.stdout.splitlines()
    assert listed.returncode == 0 and len(lines) == 2
    assert lines[0].startswith(second["id"]) and "explain" in lines[0]  # newest first
    assert lines[0].endswith("answered")
    assert lines[1].startswith(first["id"]) and "shapes.py:1-2  applied" in lines[1]
    as_json = await asyncio.to_thread(
        history_cli, server_env, "list", "--path", str(path), "--json", "--action", "refactor"
    )
    assert [r["id"] for r in json.loads(as_json.stdout)] == [first["id"]]
    none = await asyncio.to_thread(
        history_cli, server_env, "list", "--path", str(path), "--file", "other.py"
    )
    assert none.stdout.strip() == "No actions recorded that match."

    shown = await asyncio.to_thread(
        history_cli, server_env, "show", first["id"], "--path", str(path)
    )
    assert "--- system ---" in shown.stdout and "--- reply ---\n" + fenced(TYPED) in shown.stdout

    exported = await asyncio.to_thread(history_cli, server_env, "export", "--path", str(path))
    (line,) = exported.stdout.splitlines()  # the applied answer only
    data = json.loads(line)
    assert data["messages"][-1] == {"role": "assistant", "content": fenced(TYPED)}
    assert data["metadata"]["outcome"] == "applied"
    everything = await asyncio.to_thread(
        history_cli, server_env, "export", "--all", "--path", str(path)
    )
    assert len(everything.stdout.splitlines()) == 2

    deleted = await asyncio.to_thread(
        history_cli, server_env, "delete", first["id"], "--path", str(path)
    )
    assert deleted.stdout.strip() == "Deleted 1 record."
    assert [r["id"] for r in await records(path, 1)] == [second["id"]]
    wrong = await asyncio.to_thread(history_cli, server_env, "show", "nope", "--path", str(path))
    assert wrong.returncode == 2 and "no record nope" in wrong.stderr


def written_history(path: Path, ages: dict[str, float]) -> None:
    """A history file as chatls writes it: one record per id, made ``ages[id]`` seconds ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    now = time.time()
    lines = [
        json.dumps(
            {
                "id": record_id,
                "time": now - age,
                "action": "explain",
                "file": f"{record_id}.py",
                "target": "1",
                "model": "m",
                "outcome": "answered",
            }
        )
        for record_id, age in sorted(ages.items(), key=lambda item: -item[1])
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def listed_ids(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return [line.split()[0] for line in result.stdout.splitlines()]


async def test_chatls_history_list_since(tmp_path: Path, server_env: dict[str, str]) -> None:
    path = tmp_path / "history.jsonl"
    day = 86400.0
    written_history(path, {"old": 10 * day, "week": 5 * day, "hour": 3600.0, "now": 60.0})
    at = ["--path", str(path)]

    def since(value: str) -> subprocess.CompletedProcess[str]:
        return history_cli(server_env, "list", *at, "--since", value)

    assert listed_ids(await asyncio.to_thread(since, "3d")) == ["now", "hour"]
    assert listed_ids(await asyncio.to_thread(since, "30m")) == ["now"]
    assert listed_ids(await asyncio.to_thread(since, "1w")) == ["now", "hour", "week"]
    eight_days_ago = datetime.date.fromtimestamp(time.time() - 8 * day).isoformat()
    assert listed_ids(await asyncio.to_thread(since, eight_days_ago)) == ["now", "hour", "week"]
    as_json = await asyncio.to_thread(
        history_cli, server_env, "list", *at, "--since", "2h", "--json"
    )
    assert [r["id"] for r in json.loads(as_json.stdout)] == ["now", "hour"]
    wrong = await asyncio.to_thread(since, "yesterday")
    assert wrong.returncode == 2
    assert "--since 'yesterday': a date (2026-12-01) or 3d, 12h, 30m, 2w" in wrong.stderr


async def test_chatls_history_delete_all(tmp_path: Path, server_env: dict[str, str]) -> None:
    path = tmp_path / "history.jsonl"
    written_history(path, {"first": 120.0, "second": 60.0})
    at = ["--path", str(path)]
    both = await asyncio.to_thread(history_cli, server_env, "delete", "first", "--all", *at)
    assert both.returncode == 2 and "delete takes IDs, or --all" in both.stderr
    assert listed_ids(await asyncio.to_thread(history_cli, server_env, "list", *at)) == [
        "second",
        "first",
    ]
    deleted = await asyncio.to_thread(history_cli, server_env, "delete", "--all", *at)
    assert deleted.returncode == 0 and deleted.stdout.strip() == "Deleted 2 records."
    assert path.read_text(encoding="utf-8") == ""
    listed = await asyncio.to_thread(history_cli, server_env, "list", *at)
    assert listed.stdout.strip() == "No actions recorded yet."


async def test_inline_completions_are_counted_not_kept(start: Start, tmp_path: Path) -> None:
    path = tmp_path / "state" / "history.jsonl"
    caps = await _inline_caps()
    session = await start(
        {"history": {"path": str(path)}, "inlineCompletion": {"debounceMs": 0}}, client=caps
    )
    uri = session.editor.open("c.py", "total = sum_all()\n")
    session.backend.script(Chat("items)"))
    result = await session.client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=16),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    assert result is not None and len(result.items) == 1
    counts = path.parent / "counts.json"
    for _ in range(200):
        if await asyncio.to_thread(counts.exists):
            break
        await asyncio.sleep(0.05)
    written = await asyncio.to_thread(counts.read_text, "utf-8")
    assert json.loads(written) == {"inline_completions": 1, "inline_completions_shown": 1}
    assert not path.exists()


async def _inline_caps() -> types.ClientCapabilities:
    from tests.e2e.test_inline_completion import inline_capabilities

    return inline_capabilities()


async def test_store_sends_metadata_and_the_outcome_reaches_the_backend(
    start: Start, tmp_path: Path, server_env: dict[str, str], backend: ScriptedBackend
) -> None:
    session, path = await start_with_history(start, tmp_path, store=True)
    uri = session.editor.open("shapes.py", SOURCE)
    session.backend.script(Chat(fenced(TYPED)))
    assert (await session.command("chatls.refactor", whole(uri)))["applied"] is True
    body = session.backend.requests[0].body
    assert body["store"] is True
    assert body["metadata"]["chatls_action"] == "refactor"
    assert body["metadata"]["language"] == "python" and body["metadata"]["chatls_version"]
    assert await asyncio.to_thread(
        backend.wait_for, lambda: any(m == "POST" for m, _, _ in backend.stored_calls)
    )
    (stored,) = backend.stored.values()
    assert stored["metadata"]["chatls_outcome"] == "applied"
    assert stored["metadata"]["chatls_action"] == "refactor"
    (record,) = await records(path, 1)
    assert record["remote_id"] == stored["id"]

    env = {**server_env, "OPENAI_API_KEY": "sk-test-remote-000000"}
    remote = ["--remote", "--base-url", backend.url]
    listed = await asyncio.to_thread(history_cli, env, "list", *remote)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == [stored["id"], "test-model", "refactor", "applied"]
    shown = await asyncio.to_thread(history_cli, env, "show", stored["id"], *remote)
    assert json.loads(shown.stdout)["messages"][0]["role"] == "system"
    deleted = await asyncio.to_thread(history_cli, env, "delete", stored["id"], *remote)
    assert deleted.stdout.strip() == f"{stored['id']}: deleted" and not backend.stored
    assert [(m, p.split("?")[0]) for m, p, _ in backend.stored_calls][-4:] == [
        ("GET", "/v1/chat/completions"),
        ("GET", f"/v1/chat/completions/{stored['id']}"),
        ("GET", f"/v1/chat/completions/{stored['id']}/messages"),
        ("DELETE", f"/v1/chat/completions/{stored['id']}"),
    ]


def outcomes_told(backend: ScriptedBackend) -> list[str]:
    """The outcomes chatls set on stored completions, in the order the backend received them."""
    return [
        body["metadata"]["chatls_outcome"]
        for method, _, body in list(backend.stored_calls)
        if method == "POST"
    ]


async def test_an_undone_edit_reaches_the_stored_completion_as_undone(
    start: Start, tmp_path: Path, backend: ScriptedBackend
) -> None:
    session, path = await start_with_history(start, tmp_path, store=True)
    uri = session.editor.open("shapes.py", SOURCE)
    session.backend.script(Chat(fenced(TYPED)))
    assert (await session.command("chatls.refactor", whole(uri)))["applied"] is True
    assert await asyncio.to_thread(backend.wait_for, lambda: outcomes_told(backend) == ["applied"])
    # The editor brings the old code back.
    header = session.editor.range_of(uri, "def area(width: float, height: float) -> float:")
    session.editor.type(uri, header, "def area(width, height):")
    assert await asyncio.to_thread(
        backend.wait_for, lambda: outcomes_told(backend) == ["applied", "undone"]
    )
    (stored,) = backend.stored.values()
    assert stored["metadata"]["chatls_outcome"] == "undone"
    # The action's own tags are kept beside the outcome.
    assert stored["metadata"]["chatls_action"] == "refactor"
    updates = [p for m, p, _ in backend.stored_calls if m == "POST"]
    assert updates == [f"/v1/chat/completions/{stored['id']}"] * 2
    for _ in range(200):
        (record,) = await records(path, 1)
        if record["outcome"] == "undone":
            break
        await asyncio.sleep(0.05)
    assert record["outcome"] == "undone" and record["remote_id"] == stored["id"]


async def test_a_resolved_edit_the_editor_applies_reaches_the_stored_completion_as_applied(
    start: Start, tmp_path: Path, backend: ScriptedBackend
) -> None:
    path = tmp_path / "state" / "history.jsonl"
    # VS Code's capabilities: the code action is resolved, and the editor applies its edit.
    session = await start({"history": {"path": str(path)}, "store": True})
    uri = session.editor.open("shapes.py", SOURCE)
    session.backend.script(Chat(fenced(TYPED)))
    rng = session.editor.range_of(uri, SOURCE.rstrip("\n"))
    action = await session.action(uri, rng, "refactor.rewrite.chatls.refactor")
    assert action.data is not None
    resolved = await session.client.code_action_resolve_async(action)
    assert resolved.edit is not None
    assert await asyncio.to_thread(backend.wait_for, lambda: outcomes_told(backend) == ["offered"])
    session.editor.apply(resolved.edit)
    assert session.editor.text(uri) == TYPED
    assert await asyncio.to_thread(
        backend.wait_for, lambda: outcomes_told(backend) == ["offered", "applied"]
    )
    (stored,) = backend.stored.values()
    assert stored["metadata"]["chatls_outcome"] == "applied"


async def test_without_store_nothing_is_asked_to_be_kept(start: Start, tmp_path: Path) -> None:
    session, _ = await start_with_history(start, tmp_path)
    uri = session.editor.open("shapes.py", SOURCE)
    session.backend.script(Chat(fenced(TYPED)))
    await session.command("chatls.refactor", whole(uri))
    body = session.backend.requests[0].body
    assert "store" not in body and "metadata" not in body


async def test_a_backend_without_stored_completions_gets_one_clear_message(
    backend: ScriptedBackend, server_env: dict[str, str]
) -> None:
    backend.stores = False
    env = {**server_env, "OPENAI_API_KEY": "sk-test-remote-000000"}
    listed = await asyncio.to_thread(
        history_cli, env, "list", "--remote", "--base-url", backend.url
    )
    assert listed.returncode == 1
    assert listed.stderr.strip() == (
        f"chatls history: {backend.url} does not offer stored completions (404), or does not "
        "have this one: could not list them."
    )


async def test_editors_list_the_recent_actions_and_open_one(start: Start, tmp_path: Path) -> None:
    session, path = await start_with_history(start, tmp_path)
    uri = session.editor.open("shapes.py", SOURCE)
    session.backend.script(Chat(fenced(TYPED)), Chat("It multiplies the two sides."))
    await session.command("chatls.refactor", whole(uri))
    await session.command("chatls.explain", whole(uri))
    await records(path, 2)
    listed = await session.command("chatls.history", {"limit": 5})
    assert listed["enabled"] is True
    assert [(r["action"], r["outcome"]) for r in listed["records"]] == [
        ("explain", "answered"),
        ("refactor", "applied"),
    ]
    assert "messages" not in listed["records"][0]
    only = await session.command("chatls.history", {"action": "refactor"})
    assert [r["action"] for r in only["records"]] == ["refactor"]
    whole_record = await session.command("chatls.history", {"id": listed["records"][1]["id"]})
    assert whole_record["record"]["reply"] == fenced(TYPED)
    assert whole_record["record"]["messages"][0]["role"] == "system"
    assert (await session.command("chatls.history", {"id": "nope"})) == {"record": None}
