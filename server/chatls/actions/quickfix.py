"""The fix that needs no model: "Replace `getencding` with `getencoding`", offered next to Fix
when a diagnostic names an unknown symbol and either the checker says what it should be or
exactly one name defined there is that close (``source/names.py``). Never when two names are
equally close.

Listing stays cheap: a diagnostic's message is matched first (no parse); only one that names
a symbol without suggesting a replacement costs a parse, kept per document version.
"""

from __future__ import annotations

import collections
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from chatls.errors import ChatlsError
from chatls.source import reported
from chatls.source.text import Encoding, TextIndex, text_index

if TYPE_CHECKING:
    from chatls.source.names import Names

log = logging.getLogger(__name__)

KIND = "quickfix.chatls.replace"
_PARSES: collections.OrderedDict[tuple[str, int, str | None], Names] = collections.OrderedDict()
_PARSES_KEPT = 4


class Replacements:
    """The model-free fixes for one listing request, one per diagnostic at most."""

    def __init__(
        self,
        uri: str,
        version: int | None,
        text: str,
        language_id: str | None,
        path: str | None,
        encoding: Encoding,
    ) -> None:
        self.uri = uri
        self.version = version
        self.text = text
        self.language_id = language_id
        self.path = path
        self.encoding: Encoding = encoding
        self._index: TextIndex | None = None
        self._offered: set[tuple[int, int, str]] = set()

    def _names(self) -> Names:
        from chatls.source.languages import language_for
        from chatls.source.names import Names
        from chatls.source.syntax import Syntax

        key = (self.uri, self.version, self.language_id) if self.version is not None else None
        found = _PARSES.get(key) if key is not None else None
        if found is not None and found.syntax.text == self.text:
            return found
        # The document's last parse, if kept: typing changes little, and tree-sitter then
        # reparses only what changed.
        previous = next(
            (
                n.syntax
                for k, n in reversed(_PARSES.items())
                if k[0] == self.uri and k[2] == self.language_id
            ),
            None,
        )
        names = Names(
            Syntax(self.text, language_for(self.language_id, self.path), previous=previous)
        )
        if key is not None:
            _PARSES[key] = names
            while len(_PARSES) > _PARSES_KEPT:
                _PARSES.popitem(last=False)
        return names

    def action(self, diagnostic: types.Diagnostic) -> types.CodeAction | None:
        """The quick fix for ``diagnostic``, or None."""
        try:
            return self._action(diagnostic)
        except Exception:  # a slip in the name lookup must not take the other actions away
            log.exception("no quick fix for %r", diagnostic.message)
            return None

    def _action(self, diagnostic: types.Diagnostic) -> types.CodeAction | None:
        related = [info.message for info in diagnostic.related_information or []]
        found = reported.read(diagnostic.message, related)
        if found is None:
            return None
        from chatls.source.names import diagnose

        if self._index is None:
            self._index = text_index(self.text, self.encoding)
        try:
            start, end = self._index.span(diagnostic.range)
        except ChatlsError:
            return None  # a diagnostic for another version of the document
        diagnosis = diagnose(self.text, start, end, found, self._names)
        if diagnosis is None or diagnosis.intended is None:
            return None
        new = diagnosis.intended.text
        key = (diagnosis.start, diagnosis.end, new)
        if key in self._offered or self.text[diagnosis.start : diagnosis.end] == new:
            return None
        self._offered.add(key)
        title = f"chatls: Replace `{found.name}` with `{new}`"
        edit = types.TextEdit(range=self._index.range(diagnosis.start, diagnosis.end), new_text=new)
        return types.CodeAction(
            title=title,
            kind=KIND,
            diagnostics=[diagnostic],
            is_preferred=True,
            edit=types.WorkspaceEdit(
                document_changes=[
                    types.TextDocumentEdit(
                        text_document=types.OptionalVersionedTextDocumentIdentifier(
                            uri=self.uri, version=self.version
                        ),
                        edits=[edit],
                    )
                ]
            ),
        )
