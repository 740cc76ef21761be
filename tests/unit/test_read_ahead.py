"""What the built-in backend reads ahead after a narrow action (``chatls.actions.read_ahead``):
the start of what every action that shows the file sends, checked against the requests those
actions really send (through the real pipeline and client, to the scripted backend standing in
for the built-in one)."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest
from lsprotocol import types

from chatls.actions.base import ActionRun
from chatls.actions.catalog import ActionRequest
from chatls.actions.read_ahead import window_request
from chatls.actions.registry import find
from chatls.actions.runner import prepare, run_action
from chatls.config import parse_settings
from chatls.errors import ChatlsError
from chatls.model.client import ModelClient
from chatls.model.request import Endpoint
from chatls.source.document import Document
from chatls_testing.scripted_backend import Chat, ScriptedBackend

SOURCE = Path(glob.__file__)
"""A real module of 250 lines, which the built-in budget shows whole."""
TEXT = SOURCE.read_text()


def _request(action: str, function: str, text: str) -> ActionRequest:
    """The whole lines of ``function``'s first two lines, as an editor selects them."""
    line = text[: text.index(f"def {function}(")].count("\n")
    return ActionRequest(
        action=action,
        document=Document(uri=SOURCE.as_uri(), text=text, version=1, language_id="python"),
        range=types.Range(
            start=types.Position(line=line, character=0),
            end=types.Position(line=line + 2, character=0),
        ),
    )


@pytest.mark.parametrize("wide", ["refactor", "types"])  # those that show it, on this backend
async def test_what_is_read_ahead_begins_the_next_file_showing_action(
    backend: ScriptedBackend, wide: str
) -> None:
    text = TEXT
    settings, problems = parse_settings({"contextTokens": 4096, "maxRetries": 0})
    assert not problems
    client = ModelClient(Endpoint(backend.url, None, max_retries=0, model="m", local=True))
    explain = prepare(_request("explain", "glob0", text), settings)
    declared = find("explain", settings)
    assert declared is not None
    narrow = ActionRun(
        explain.request, declared, settings, client, lambda m: None, code=explain.code
    )
    assert not narrow.settled.plan.shows_window
    ahead = window_request(narrow, explain.target)
    assert ahead is not None
    read = ahead.messages[-1]["content"]
    # The file, whole, and nothing of any action's own part after it.
    assert "def glob0(" in read and "def _iterdir(" in read
    assert read.endswith("```\n\n")

    backend.default = Chat("no answer that applies")
    # Another function of the same file: what that action really sends.
    with pytest.raises(ChatlsError):
        await run_action(_request(wide, "_iterdir", text), settings, client)
    await client.close()
    sent = backend.requests[-1].messages
    assert sent[:-1] == ahead.messages[:-1]  # the same system message
    assert sent[-1]["content"].startswith(read)
    assert ahead.max_tokens == 1 and ahead.slot == 0
