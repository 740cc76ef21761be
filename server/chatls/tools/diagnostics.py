"""The diagnostics the editor showed chatls, per document.

LSP gives a server no way to ask the editor for diagnostics: chatls sees only those a code
action request carries (the ones at the cursor or selection, as the editor chooses) and the one
a Fix names. Each request replaces what was kept for the range it covers, so the store holds
the latest the editor said about every part of the document it asked about.
"""

from __future__ import annotations

import os

import attrs
from lsprotocol import types


@attrs.frozen
class Seen:
    diagnostic: types.Diagnostic
    version: int | None
    """The document's version when the editor sent it."""


def _key(position: types.Position) -> tuple[int, int]:
    return position.line, position.character


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return _key(a.start) <= _key(b.end) and _key(b.start) <= _key(a.end)


@attrs.define
class _Document:
    path: str | None
    seen: list[Seen] = attrs.field(factory=list)


class DiagnosticsSeen:
    _KEPT = 200

    def __init__(self) -> None:
        self._by_uri: dict[str, _Document] = {}

    def update(
        self,
        uri: str,
        path: str | None,
        version: int | None,
        where: types.Range,
        diagnostics: list[types.Diagnostic],
    ) -> None:
        """The editor sent ``diagnostics`` for the range ``where`` of ``uri``."""
        document = self._by_uri.get(uri)
        if document is None:
            if not diagnostics:
                return
            document = self._by_uri[uri] = _Document(path)
        document.path = path
        kept = [s for s in document.seen if not _overlaps(s.diagnostic.range, where)]
        kept += [Seen(d, version) for d in diagnostics]
        kept.sort(key=lambda s: _key(s.diagnostic.range.start))
        document.seen = kept[-self._KEPT :]

    def add(
        self, uri: str, path: str | None, version: int | None, diagnostic: types.Diagnostic
    ) -> None:
        """One diagnostic the editor named (a Fix's), keeping the others."""
        document = self._by_uri.setdefault(uri, _Document(path))
        if not any(s.diagnostic == diagnostic for s in document.seen):
            document.seen.append(Seen(diagnostic, version))
            document.seen.sort(key=lambda s: _key(s.diagnostic.range.start))

    def forget(self, uri: str) -> None:
        self._by_uri.pop(uri, None)

    def for_path(self, real: str) -> list[Seen] | None:
        """What was seen for the document at the real path ``real``; None if nothing ever
        was."""
        for document in self._by_uri.values():
            if document.path and os.path.realpath(document.path) == real:
                return list(document.seen)
        return None
