"""The replay table: replies real models gave in bench/quality.py (SmolLM2-135M and
Qwen2.5-Coder-0.5B, structuredOutput off and jsonSchema), replayed through the real server
over LSP with the scripted backend. Each row expects the edit a careful human would make, or
one message saying why nothing changed. Many rows share one server session to keep it fast.

The table is tests/replays.jsonl, written by bench/curate.py from recorded runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from chatls_testing.editor import position_of
from chatls_testing.scripted_backend import Chat
from tests.conftest import Session, Start

TABLE = Path(__file__).resolve().parent.parent / "replays.jsonl"
ROWS = [json.loads(line) for line in TABLE.read_text(encoding="utf-8").splitlines() if line]
EXTENSIONS = {"python": "py", "javascript": "js", "go": "go", "rust": "rs"}


def _range(text: str, start: int, end: int, encoding: str) -> dict[str, Any]:
    def point(offset: int) -> dict[str, int]:
        position = position_of(text, offset, encoding)
        return {"line": position.line, "character": position.character}

    return {"start": point(start), "end": point(end)}


async def _replay(session: Session, number: int, row: dict[str, Any]) -> str | None:
    """Runs one row; returns what went differently, or None."""
    text = row["document"]
    uri = session.editor.open(
        f"r{number}.{EXTENSIONS[row['language']]}", text, language_id=row["language"]
    )
    rng = _range(text, row["start"], row["end"], session.editor.encoding)
    argument: dict[str, Any] = {"uri": uri, "range": rng}
    if row["instruction"]:
        argument["instruction"] = row["instruction"]
    if row["diagnostic"]:
        diagnostic = row["diagnostic"]
        argument["diagnostic"] = {
            "range": rng,
            "message": diagnostic["message"],
            "source": diagnostic["source"] or None,
            "code": diagnostic["code"] or None,
            "severity": 1,
        }
    seen = len(session.messages())
    session.backend.script(Chat(row["reply"], finish_reason=row["finish"] or "stop"))
    await session.command(f"chatls.{row['action']}", argument)
    messages = session.messages()[seen:]
    after = session.editor.text(uri)
    if row["expected"] is not None:
        if messages or after != row["expected"]:
            return f"expected an edit, got messages {messages} and {after == row['expected']=}"
        return None
    if after != text:
        return "expected a refusal, but the document changed"
    if messages != [f"chatls: {row['message']}"]:
        return f"expected {row['message']!r}, got {messages}"
    return None


@pytest.mark.parametrize("structured", [False, True], ids=["off", "jsonSchema"])
async def test_replay_table(start: Start, structured: bool) -> None:
    rows = [row for row in ROWS if row["structured"] == structured]
    assert rows
    session = await start(settings={"structuredOutput": "jsonSchema" if structured else "off"})
    failures = {}
    for number, row in enumerate(rows):
        problem = await _replay(session, number, row)
        if problem is not None:
            failures[row["id"]] = problem
    assert failures == {}


def test_the_table_covers_every_language_action_and_model() -> None:
    assert len(ROWS) >= 80
    covered = {(row["language"], row["action"]) for row in ROWS}
    assert covered == {
        (language, action) for language in EXTENSIONS for action in ("docstring", "fix", "refactor")
    }
    assert {row["id"].split("-")[0] for row in ROWS} == {"smollm2", "qwen"}
    usable = [row for row in ROWS if row["usable"]]
    right = [row for row in usable if row["expected"] is not None]
    # The target: at least 95% of replies holding a usable answer become the edit.
    assert len(right) >= 0.95 * len(usable)


def test_rows_are_whole() -> None:
    for row in ROWS:
        assert (row["expected"] is None) != (row["message"] is None), row["id"]
        assert 0 <= row["start"] <= row["end"] <= len(row["document"]), row["id"]
        assert isinstance(types.Position, type)
