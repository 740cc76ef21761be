"""A snapshot's text read once: the views of it (line index, language, syntax tree) that every
stage after the prompt reads."""

from __future__ import annotations

import functools

from chatls.source.document import Document
from chatls.source.languages import LanguageSpec, language_for
from chatls.source.names import Names
from chatls.source.syntax import Syntax
from chatls.source.text import Encoding, TextIndex, text_index


class Code:
    """One snapshot's text read once: its line index in the client's encoding, its language,
    and its syntax tree (parsed on first use)."""

    def __init__(self, document: Document, encoding: Encoding) -> None:
        self.document = document
        self.index: TextIndex = text_index(document.text, encoding)
        self.spec: LanguageSpec = language_for(document.language_id, document.path)

    @property
    def text(self) -> str:
        return self.index.text

    @functools.cached_property
    def syntax(self) -> Syntax:
        return Syntax.of(self.index.text, self.spec, lineage=self.document.uri)

    @functools.cached_property
    def names(self) -> Names:
        """Name resolution over this snapshot's parse, its scopes kept for every check that
        asks."""
        return Names(self.syntax)

    def parse(self, text: str) -> Syntax:
        """The parse of ``text``, this snapshot changed by an edit (incremental from it)."""
        return Syntax.of(text, self.spec, previous=self.syntax)
