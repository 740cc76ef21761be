"""A document as an action or a completion sees it: an immutable snapshot. Cheap to import:
the server builds snapshots on every request."""

from __future__ import annotations

import os

import attrs


@attrs.frozen
class Document:
    """A snapshot of a document: everything an action reads comes from here."""

    uri: str
    text: str
    version: int | None = None
    path: str | None = None
    language_id: str | None = None


def display_path(document: Document, root: str | None) -> str:
    """The document's path relative to the workspace root when it lies inside it."""
    path = document.path or document.uri
    if root and document.path:
        try:
            relative = os.path.relpath(document.path, root)
        except ValueError:
            return path
        if not relative.startswith(".."):
            return relative.replace(os.sep, "/")
    return path
