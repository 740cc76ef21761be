"""What the tools keep between requests: the workspace folders and their index. One per
language server (or per ``chatls run``)."""

from __future__ import annotations

from collections.abc import Sequence

from chatls.config import ToolSettings
from chatls.tools.files import FileRules, WorkspaceFiles
from chatls.tools.index import SymbolIndex


def rules(settings: ToolSettings, exclude: Sequence[str]) -> FileRules:
    return FileRules(
        exclude=tuple(exclude),
        gitignore=settings.gitignore,
        max_bytes=settings.max_file_bytes,
        max_files=settings.max_files,
    )


class ToolState:
    def __init__(self) -> None:
        self.watched = False
        """Whether the editor reports file changes (``workspace/didChangeWatchedFiles``)."""
        self._index: SymbolIndex | None = None
        self._key: tuple[tuple[str, ...], FileRules] | None = None

    def index(self, roots: Sequence[str], rules: FileRules) -> SymbolIndex:
        """The index of ``roots`` read under ``rules``: a new one when either changed (the
        files it may hold changed with them)."""
        key = (tuple(roots), rules)
        if self._index is None or key != self._key:
            self._index = SymbolIndex(WorkspaceFiles(roots, rules), self.watched)
            self._key = key
        self._index.watched = self.watched
        return self._index

    def changed(self, real: str) -> None:
        """A file was saved, or changed on disk."""
        if self._index is not None:
            self._index.changed(real)

    def created_or_deleted(self) -> None:
        if self._index is not None:
            self._index.created_or_deleted()
