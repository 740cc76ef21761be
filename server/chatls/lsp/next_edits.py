"""Next-edit suggestions as the editor asks for them: ``chatls/nextEdit`` (a plugin, after a
pause in typing), its feedback, and the part at the cursor as ghost text for editors without a
plugin. Every answer names the version it applies to and is dropped when the document moved on."""

from __future__ import annotations

import logging
import os
from typing import Any

from lsprotocol import types

from chatls.actions.registry import next_edit_enabled
from chatls.errors import ChatlsError
from chatls.exclude import excluded_by
from chatls.lsp.server import ChatlsServer
from chatls.nextedit.predictor import NextEditRequest, Prediction, Superseded
from chatls.source.document import display_path
from chatls.source.text import text_index

log = logging.getLogger(__name__)

OUTCOMES = ("shown", "accepted", "dismissed")
NOTHING: dict[str, Any] = {"id": "", "edits": []}


async def predict(
    ls: ChatlsServer, uri: str, version: int | None, position: types.Position
) -> Prediction | None:
    """The next edit for ``uri`` at ``version``, or None (nothing to suggest, or not now)."""
    if not ls.is_open(uri):
        return None
    settings = await ls.store.ready()
    if not next_edit_enabled(settings):
        return None
    document = ls.snapshot(uri, None)
    if version is not None and document.version != version:
        log.debug("next edit: version %s asked, the document is at %s", version, document.version)
        return None
    latest = ls.edit_history.latest(uri)
    if latest is None or latest.own:
        # Nothing typed here since the document opened (or chatls's own edit last): no edit
        # of the user's to follow.
        return None
    root = ls.workspace.root_path
    if excluded_by(document.path, root, settings.exclude):
        return None
    recent = [
        unit
        for unit in ls.edit_history.recent(uri, settings.next_edit.recent_edits)
        if unit.uri == uri or _allowed(ls, unit.uri, settings.exclude)
    ]
    paths = {}
    for unit in recent:
        other = ls.snapshot(unit.uri, None) if ls.is_open(unit.uri) else None
        paths[unit.uri] = display_path(other, root) if other is not None else unit.uri
    request = NextEditRequest(
        document=document,
        position=position,
        encoding=ls.encoding,
        recent=tuple(recent),
        paths=paths,
        workspace_root=root,
        diagnostics=_diagnostics(ls, document.path, position),
    )
    try:
        prediction = await ls.predictor.predict(
            request, settings, lambda: ls.backends.client(settings)
        )
    except Superseded:
        log.debug("next edit: superseded by a newer change")
        return None
    except ChatlsError as error:
        # Failures never interrupt typing: logged, and the next pause asks again.
        log.info("next edit: %s", error)
        return None
    if prediction is None or not ls.is_open(uri):
        return None
    if ls.workspace.get_text_document(uri).version != prediction.version:
        log.info("next edit: the document changed while the model answered; dropped")
        return None
    return prediction


def answer(prediction: Prediction | None) -> dict[str, Any]:
    """The result of ``chatls/nextEdit``."""
    if prediction is None:
        return NOTHING
    document = {"uri": prediction.uri, "version": prediction.version}
    return {
        "id": prediction.id,
        "edits": [
            {"range": _range(edit.range), "text": edit.new_text, "textDocument": document}
            for edit in prediction.edits
        ],
    }


def feedback(ls: ChatlsServer, suggestion_id: Any, outcome: Any) -> None:
    if not isinstance(suggestion_id, str) or outcome not in OUTCOMES:
        log.info("next edit feedback: ignored %r %r", suggestion_id, outcome)
        return
    if not ls.predictor.feedback(suggestion_id, outcome):
        log.debug("next edit feedback for %s, which is not known", suggestion_id)


async def at_cursor(
    ls: ChatlsServer, uri: str, position: types.Position
) -> types.InlineCompletionItem | None:
    """The predicted edit as ghost text, when it starts on the cursor's line and stays on it."""
    settings = await ls.store.ready()
    if not settings.next_edit.inline_completion or not ls.is_open(uri):
        return None
    version = ls.workspace.get_text_document(uri).version
    prediction = ls.predictor.known(uri, version)
    if prediction is None and not ls.next_edit_plugin:
        # A plugin asks after its own pause in typing: ghost text then shows what it got,
        # rather than a prediction for every keystroke's version.
        prediction = await predict(ls, uri, version, position)
    if prediction is None:
        return None
    index = text_index(ls.workspace.get_text_document(uri).source, ls.encoding)
    offset = index.offset(position)
    line = index.line_of(offset)
    on_line = [e for e in prediction.edits if e.range.start.line == line]
    if not on_line or any(e.range.end.line != line for e in on_line):
        return None
    spans = [index.span(e.range) for e in on_line]
    low = min(offset, *(start for start, _ in spans))
    high = max(offset, *(end for _, end in spans))
    text = index.text
    pieces, at = [], low
    for (start, end), edit in zip(spans, on_line, strict=True):
        pieces += [text[at:start], edit.new_text]
        at = end
    pieces.append(text[at:high])
    return types.InlineCompletionItem(insert_text="".join(pieces), range=index.range(low, high))


def _allowed(ls: ChatlsServer, uri: str, exclude: list[str]) -> bool:
    """Edits in another document reach the model only from an open, not excluded file."""
    if not ls.is_open(uri):
        return False
    path = ls.workspace.get_text_document(uri).path
    return not excluded_by(path, ls.workspace.root_path, exclude)


def _diagnostics(ls: ChatlsServer, path: str | None, position: types.Position) -> tuple[str, ...]:
    seen = ls.diagnostics.for_path(os.path.realpath(path)) if path else None
    near = [
        s.diagnostic for s in seen or () if abs(s.diagnostic.range.start.line - position.line) <= 20
    ]
    return tuple(f"line {d.range.start.line + 1}: {d.message}" for d in near[:10])


def _range(range_: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": range_.start.line, "character": range_.start.character},
        "end": {"line": range_.end.line, "character": range_.end.character},
    }
