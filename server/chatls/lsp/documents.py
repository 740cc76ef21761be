"""Document sync with LSP's own line model, telling chatls's threads about every change.

pygls applies incremental changes on ``str.splitlines``, which also breaks lines at form feeds,
U+2028 and other characters LSP does not count as line ends; a file containing one would drift
from the editor's copy, and every edit computed on it would land in the wrong place.

Each change is also reported, as offsets into the text before it, to a listener (the threads
kept about code, whose positions follow the text). A whole-document change is reported as the
one span that differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from chatls.source.text import TextIndex, normalize_encoding, remember, text_index


class ChangeListener(Protocol):
    def watches(self, uri: str) -> bool:
        """Whether changes to ``uri`` matter (asked on every change, so cheap)."""
        ...

    def changed(
        self, uri: str, start: int, end: int, new_text: str, text: str, before: str
    ) -> None:
        """``[start, end)`` of ``uri``'s text ``before`` was replaced by ``new_text``, giving
        ``text``."""
        ...


class Listeners:
    """Several listeners as one: each hears the changes it watches."""

    def __init__(self, *listeners: ChangeListener) -> None:
        self._listeners = listeners

    def watches(self, uri: str) -> bool:
        return any(listener.watches(uri) for listener in self._listeners)

    def changed(
        self, uri: str, start: int, end: int, new_text: str, text: str, before: str
    ) -> None:
        for listener in self._listeners:
            if listener.watches(uri):
                listener.changed(uri, start, end, new_text, text, before)


class ChatlsTextDocument(TextDocument):
    listener: ChangeListener | None = None

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        index = text_index(self.source, normalize_encoding(self.position_codec.encoding))
        start = _clamped_offset(index, change.range.start)
        end = max(start, _clamped_offset(index, change.range.end))
        updated = remember(index.replaced(start, end, change.text))
        before = self.source
        self._source = updated.text
        if self.listener is not None and self.listener.watches(self.uri):
            self.listener.changed(self.uri, start, end, change.text, updated.text, before)

    def _apply_full_change(self, change: types.TextDocumentContentChangeEvent) -> None:
        old = self.source
        super()._apply_full_change(change)
        new = self.source
        if self.listener is None or not self.listener.watches(self.uri) or old == new:
            return
        # The one span that differs: what is common at both ends stays where it was.
        limit = min(len(old), len(new))
        prefix = _longest(lambda n: old[:n] == new[:n], limit)
        suffix = _longest(lambda n: old[len(old) - n :] == new[len(new) - n :], limit - prefix)
        self.listener.changed(
            self.uri, prefix, len(old) - suffix, new[prefix : len(new) - suffix], new, old
        )


def _longest(holds: Callable[[int], bool], limit: int) -> int:
    """The largest ``n <= limit`` for which ``holds(n)``, given it holds for 0 and for every
    ``n`` below one where it holds (slice comparisons run in C: fast on a large file)."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if holds(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _clamped_offset(index: TextIndex, position: types.Position) -> int:
    if position.line >= index.line_count:
        return len(index.text)
    return index.offset(position)


class ChatlsWorkspace(Workspace):
    listener: ChangeListener | None = None

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        document = ChatlsTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )
        document.listener = self.listener
        return document


def replace_workspace(workspace: Workspace, listener: ChangeListener) -> ChatlsWorkspace:
    """A ChatlsWorkspace with the same roots and encoding as pygls's fresh one, reporting
    changes to ``listener``."""
    attributes: dict[str, Any] = {
        "root_uri": workspace.root_uri,
        "sync_kind": workspace._sync_kind,
        "workspace_folders": list(workspace.folders.values()),
        "position_encoding": workspace.position_encoding,
    }
    replacement = ChatlsWorkspace(**attributes)
    replacement.listener = listener
    return replacement
