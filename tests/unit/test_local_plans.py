"""What the built-in backend's tiny model is shown for a Fix (the plan's ``local_context``),
checked on the request the real pipeline and client send to the scripted backend."""

from __future__ import annotations

import imaplib
from pathlib import Path

import pytest
from lsprotocol import types

from chatls.actions.catalog import ActionRequest
from chatls.actions.runner import run_action
from chatls.config import parse_settings
from chatls.errors import ChatlsError
from chatls.model.client import ModelClient
from chatls.model.request import Endpoint
from chatls.source.document import Document
from chatls.source.text import text_index
from chatls_testing.scripted_backend import Chat, ScriptedBackend

SOURCE = Path(imaplib.__file__)
"""A real module whose ``IMAP4`` class runs to 1,145 lines."""
TEXT = SOURCE.read_text()


def _fix(name: str) -> ActionRequest:
    """A Fix of the method ``name`` of ``IMAP4``, for a diagnostic on its name as mypy gives it."""
    at = TEXT.index(f"    def {name}(") + len("    def ")
    index = text_index(TEXT, "utf-16")
    diagnostic = types.Diagnostic(
        range=index.range(at, at + len(name)),
        message=f'Function is missing a return type annotation  [no-untyped-def] ("{name}")',
        source="mypy",
        severity=types.DiagnosticSeverity.Error,
    )
    return ActionRequest(
        action="fix",
        document=Document(uri=SOURCE.as_uri(), text=TEXT, version=1, language_id="python"),
        range=diagnostic.range,
        diagnostic=diagnostic,
        diagnostics=(diagnostic,),
    )


async def _sent(backend: ScriptedBackend, local: bool) -> str:
    settings, problems = parse_settings({"contextTokens": 4096, "maxRetries": 0})
    assert not problems
    client = ModelClient(Endpoint(backend.url, None, max_retries=0, model="m", local=local))
    backend.default = Chat("no answer that applies")
    with pytest.raises(ChatlsError):
        await run_action(_fix("sort"), settings, client)
    await client.close()
    return backend.requests[-1].messages[-1]["content"]


async def test_a_fix_shows_the_built_in_model_the_method_not_its_class(
    backend: ScriptedBackend,
) -> None:
    local = await _sent(backend, local=True)
    assert "def sort(self, sort_criteria, charset, *search_criteria):" in local
    assert "def setquota(" not in local and "def select(" not in local
    # Another backend is shown the class around the method, as far as the budget goes.
    remote = await _sent(backend, local=False)
    assert "def setquota(" in remote and "def select(" in remote
    assert len(local) * 4 < len(remote)
