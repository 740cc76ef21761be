"""The workspace's definitions by name, built on first use and kept current.

The first lookup walks the workspace and parses every file of a known language with
tree-sitter, in a worker thread so the editor's requests keep flowing. After that, a lookup
re-reads only what changed: files the editor reported (saved, changed on disk, created or
deleted), open documents whose unsaved text differs from what was indexed (the editor's text
wins over the disk's), and, when the editor does not report file changes, whatever a fresh walk
finds changed (at most every ``RESCAN_SECONDS``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterable, Mapping

import attrs

from chatls.source.languages import LANGUAGES, language_for
from chatls.source.outline import Symbol, outline
from chatls.source.syntax import Syntax
from chatls.tools.files import ToolError, WorkspaceFile, WorkspaceFiles

log = logging.getLogger(__name__)

RESCAN_SECONDS = 10.0
_SIGNATURE_CHARS = 200
_CODE_EXTENSIONS = frozenset(ext for spec in LANGUAGES for ext in spec.extensions)


@attrs.frozen
class IndexedSymbol:
    """One definition in the index (its text is read again when it is shown)."""

    name: str
    qualified: str
    kind: str
    start_line: int
    end_line: int
    signature: str = ""
    """The first line of its declaration (what inline completion shows, without reading the
    file again)."""


@attrs.frozen
class _Indexed:
    key: tuple[int, int] | None
    """``(mtime_ns, size)`` of the disk file parsed; None when the editor's text was."""
    text_hash: int | None
    """Hash of the editor's text parsed (open documents)."""
    entries: tuple[IndexedSymbol, ...]


def is_code(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in _CODE_EXTENSIONS


def symbols_of(text: str, path: str) -> list[Symbol]:
    """What a file defines (tree-sitter for the languages chatls has a grammar for)."""
    return outline(Syntax(text, language_for(None, path)))


class SymbolIndex:
    def __init__(self, files: WorkspaceFiles, watched: bool = False) -> None:
        self.files = files
        self.watched = watched
        """Whether the editor reports file changes (then no periodic walk is needed)."""
        self._indexed: dict[str, _Indexed] = {}
        self._order: tuple[WorkspaceFile, ...] = ()
        self._by_name: dict[str, list[tuple[str, IndexedSymbol]]] = {}
        self._dirty: set[str] = set()
        self._rescan = True
        self._scanned = 0.0
        self._task: asyncio.Future[None] | None = None
        self.truncated = False
        """Whether the walk stopped at ``tools.maxFiles``."""

    @property
    def built(self) -> bool:
        return self._scanned > 0

    def changed(self, real: str) -> None:
        """A file was saved or changed on disk."""
        self._dirty.add(real)

    def created_or_deleted(self) -> None:
        """Files appeared or went: the next lookup walks the workspace again."""
        self._rescan = True

    async def current(self, overlay: Mapping[str, str]) -> None:
        """Bring the index up to date (``overlay``: the open documents' text by real path).
        Cancelling the caller does not interrupt a refresh under way: the next one uses it."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        rescan = self._rescan or (
            not self.watched and time.monotonic() - self._scanned > RESCAN_SECONDS
        )
        overlay = {path: text for path, text in overlay.items() if is_code(path)}
        stale = {path for path, text in overlay.items() if self._stale_overlay(path, text)}
        stale |= {p for p in self._indexed if p not in overlay and self._from_overlay(p)}
        if not rescan and not self._dirty and not stale:
            return
        dirty, self._dirty = self._dirty | stale, set()
        self._rescan = False
        self._task = asyncio.ensure_future(
            asyncio.to_thread(self._refresh, rescan, dirty, dict(overlay))
        )
        await asyncio.shield(self._task)

    def _stale_overlay(self, path: str, text: str) -> bool:
        indexed = self._indexed.get(path)
        if indexed is None:
            return self.files.file(path) is not None
        return indexed.text_hash != hash(text)

    def _from_overlay(self, path: str) -> bool:
        return self._indexed[path].text_hash is not None

    def _refresh(self, rescan: bool, dirty: set[str], overlay: dict[str, str]) -> None:
        started = time.monotonic()
        indexed = dict(self._indexed)
        order = self._order
        parsed = 0
        if rescan:
            walked = []
            present: set[str] = set()
            for file, info in self.files.walk():
                walked.append(file)
                present.add(file.real)
                key = (info.st_mtime_ns, info.st_size)
                old = indexed.get(file.real)
                if file.real in overlay or not is_code(file.real):
                    continue
                if old is None or old.key != key or file.real in dirty:
                    indexed[file.real] = self._parse_disk(file, key)
                    parsed += 1
            self.truncated = len(walked) >= self.files.rules.max_files
            order = tuple(walked)
            for path in [p for p in indexed if p not in present and p not in overlay]:
                del indexed[path]
        else:
            for path in dirty:
                if path in overlay:
                    continue
                changed = self.files.file(path)
                try:
                    info = os.stat(path)
                except OSError:
                    indexed.pop(path, None)
                    continue
                if changed is None or not is_code(path) or not self._allowed(changed):
                    indexed.pop(path, None)
                    continue
                indexed[path] = self._parse_disk(changed, (info.st_mtime_ns, info.st_size))
                parsed += 1
        for path, text in overlay.items():
            opened = self.files.file(path)
            if opened is None or not self._allowed(opened):
                continue
            old = indexed.get(path)
            if old is None or old.text_hash != hash(text):
                small = len(text) <= self.files.rules.max_bytes
                entries = self._entries(text, path) if small else ()
                indexed[path] = _Indexed(None, hash(text), entries)
                parsed += 1
        by_name: dict[str, list[tuple[str, IndexedSymbol]]] = {}
        for path, item in indexed.items():
            for entry in item.entries:
                by_name.setdefault(entry.name, []).append((path, entry))
                if entry.qualified != entry.name:
                    by_name.setdefault(entry.qualified, []).append((path, entry))
        self._indexed, self._order, self._by_name = indexed, order, by_name
        if rescan:
            self._scanned = time.monotonic()
        log.info(
            "workspace index: %d files, %d parsed in %.0f ms%s",
            len(order),
            parsed,
            (time.monotonic() - started) * 1000,
            f" (stopped at tools.maxFiles = {self.files.rules.max_files})"
            if self.truncated
            else "",
        )

    def _allowed(self, file: WorkspaceFile) -> bool:
        return self.files.refusal(file.root, file.relative, False) is None

    def _parse_disk(self, file: WorkspaceFile, key: tuple[int, int]) -> _Indexed:
        try:
            text = self.files.read(file, {})
        except ToolError:
            return _Indexed(key, None, ())
        return _Indexed(key, None, self._entries(text, file.real))

    def _entries(self, text: str, path: str) -> tuple[IndexedSymbol, ...]:
        try:
            symbols = symbols_of(text, path)
        except Exception as error:  # one odd file must not break the index
            log.warning("could not outline %s: %s", path, error)
            return ()
        return tuple(
            IndexedSymbol(
                s.name,
                s.qualified,
                s.kind,
                s.start_line,
                s.end_line,
                s.header.strip().split("\n", 1)[0][:_SIGNATURE_CHARS],
            )
            for s in symbols
        )

    def lookup(self, name: str) -> list[tuple[WorkspaceFile, IndexedSymbol]]:
        """Definitions named ``name`` (or ``Class.name``), in walk order."""
        found = self._by_name.get(name, [])
        if not found and "." in name:
            # ``module.function`` or ``package.Class``: the last part, preferring files whose
            # path mentions the rest.
            head, _, tail = name.rpartition(".")
            candidates = self._by_name.get(tail, [])
            hint = head.replace(".", "/").lower()
            found = [c for c in candidates if hint in c[0].lower()] or candidates
        rank = {file.real: n for n, file in enumerate(self._order)}
        result = []
        for path, entry in sorted(found, key=lambda c: (rank.get(c[0], -1), c[1].start_line)):
            file = self.files.file(path)
            if file is not None:
                result.append((file, entry))
        return result

    def names(self) -> Iterable[str]:
        return self._by_name.keys()

    def files_in_order(self, overlay: Mapping[str, str]) -> list[WorkspaceFile]:
        """Every indexed file, open documents first (the likeliest places to look)."""
        first = [
            f for path in overlay if (f := self.files.file(path)) is not None and self._allowed(f)
        ]
        seen = {f.real for f in first}
        return first + [f for f in self._order if f.real not in seen]

    @property
    def file_count(self) -> int:
        return len(self._order)
