"""A document as an action or a completion sees it: an immutable snapshot. Cheap to import:
the server builds snapshots on every request."""

from __future__ import annotations

import os
import re

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


def go_module(path: str | None, root: str | None) -> tuple[str, str] | None:
    """The Go module a file at ``path`` belongs to: the ``module`` line of the nearest
    ``go.mod`` at or above its folder, within the workspace ``root``, and that file's folder
    relative to the root (``""`` at the root). None outside a module."""
    if not path or not root:
        return None
    root = os.path.realpath(root)
    folder = os.path.dirname(os.path.realpath(path))
    while folder == root or folder.startswith(root + os.sep):
        candidate = os.path.join(folder, "go.mod")
        if os.path.isfile(candidate):
            try:
                with open(candidate, encoding="utf-8", errors="replace") as file:
                    head = file.read(4096)
            except OSError:
                return None
            found = re.search(r"^module\s+\"?([^\s\"]+)", head, re.MULTILINE)
            if found is None:
                return None
            relative = os.path.relpath(folder, root)
            return found.group(1), "" if relative == "." else relative.replace(os.sep, "/")
        if folder == root:
            break
        folder = os.path.dirname(folder)
    return None
