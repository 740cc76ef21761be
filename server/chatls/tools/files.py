"""The workspace's files as the model may see them: paths it names resolved safely, files
walked for the index, text read within limits.

A path from the model is untrusted input (a file it read may tell it to ask for
``~/.ssh/id_rsa``). It must be relative, without ``..``; it resolves inside one of the workspace
folders once symbolic links are followed; and neither the path as named nor the file it leads
to may match ``exclude``, lie under ``.git``, or (with ``tools.gitignore``) be ignored by the
workspace's ``.gitignore`` files. Binary and oversized files are refused too.
"""

from __future__ import annotations

import collections
import functools
import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from chatls.exclude import matching_pattern


class ToolError(Exception):
    """A lookup that cannot be answered; the message goes to the model as the tool's result."""


SKIPPED_DIRECTORIES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        ".gradle",
        ".next",
    }
)
"""Directories the index never walks into (dependencies and caches: large, and rarely what
the model is looking for). A file there can still be read by path unless it is ignored."""

_SNIFF = 8192


@attrs.frozen
class Root:
    path: str
    """The folder's real path (symbolic links resolved)."""
    name: str
    """Its last component: how paths in it are prefixed when there are several folders."""


@attrs.frozen
class WorkspaceFile:
    root: Root
    relative: str
    """``/``-separated, relative to the root."""
    real: str
    """The absolute real path (symbolic links resolved)."""


@attrs.frozen
class FileRules:
    """What may be read: the settings' patterns and limits."""

    exclude: tuple[str, ...] = ()
    gitignore: bool = True
    max_bytes: int = 1_000_000
    max_files: int = 5000


class WorkspaceFiles:
    def __init__(self, roots: Sequence[str], rules: FileRules) -> None:
        seen: dict[str, Root] = {}
        for root in roots:
            real = os.path.realpath(root)
            if os.path.isdir(real) and real not in seen:
                seen[real] = Root(real, os.path.basename(real) or real)
        self.roots = tuple(seen.values())
        self.rules = rules
        self._ignores = _GitIgnores()

    def display(self, file: WorkspaceFile) -> str:
        """The path the model sees (and may name back)."""
        if len(self.roots) > 1:
            return f"{file.root.name}/{file.relative}"
        return file.relative

    def containing(self, real: str) -> Root | None:
        """The folder a real path lies in, if any."""
        for root in self.roots:
            if real == root.path or real.startswith(root.path.rstrip(os.sep) + os.sep):
                return root
        return None

    def file(self, real: str) -> WorkspaceFile | None:
        """A real path inside the workspace as a ``WorkspaceFile`` (no checks)."""
        root = self.containing(real)
        if root is None:
            return None
        return WorkspaceFile(root, os.path.relpath(real, root.path).replace(os.sep, "/"), real)

    def resolve(self, path: Any) -> WorkspaceFile:
        """The readable file the model's ``path`` names; raises ``ToolError`` saying why not."""
        if not isinstance(path, str) or not path.strip():
            raise ToolError("`path` must be a file path relative to the workspace root.")
        shown = path.strip()
        normalized = shown.replace("\\", "/")
        if "\0" in normalized:
            raise ToolError("the path contains a NUL character.")
        if re.match(r"^([A-Za-z][A-Za-z0-9+.-]*:|/|~)", normalized):
            raise ToolError(
                f"`{shown}` is not a path relative to the workspace root: only files inside "
                "the workspace can be read (for example `src/app.py`)."
            )
        parts = [part for part in normalized.split("/") if part not in ("", ".")]
        if ".." in parts:
            raise ToolError(f"`{shown}`: `..` is not allowed; paths stay inside the workspace.")
        if not parts:
            raise ToolError(f"`{shown}` names the workspace folder, not a file.")
        candidates = []
        if len(self.roots) > 1:
            candidates += [(r, parts[1:]) for r in self.roots if r.name == parts[0] and parts[1:]]
        candidates += [(r, parts) for r in self.roots]
        for root, relative_parts in candidates:
            candidate = os.path.join(root.path, *relative_parts)
            if os.path.lexists(candidate):
                break
        else:
            raise ToolError(f"there is no file `{shown}` in the workspace.")
        # The path as named must be allowed, and so must the file it leads to.
        self.check(root, "/".join(relative_parts), shown)
        real = os.path.realpath(candidate)
        file = self.file(real)
        if file is None:
            raise ToolError(
                f"`{shown}` leads outside the workspace (through a symbolic link); it cannot "
                "be read."
            )
        self.check(file.root, file.relative, shown)
        try:
            mode = os.stat(real).st_mode
        except OSError as error:
            raise ToolError(f"`{shown}` cannot be read: {error.strerror}.") from None
        if stat.S_ISDIR(mode):
            raise ToolError(f"`{shown}` is a directory, not a file.")
        if not stat.S_ISREG(mode):
            raise ToolError(f"`{shown}` is not a regular file.")
        return file

    def check(self, root: Root, relative: str, shown: str | None = None) -> None:
        """Raise ``ToolError`` if ``relative`` (in ``root``) is excluded, ignored or in ``.git``."""
        self._ignores.forget()
        reason = self.refusal(root, relative, False)
        if reason is not None:
            raise ToolError(f"`{shown or relative}` {reason}")

    def refusal(
        self, root: Root, relative: str, is_dir: bool, parents_checked: bool = False
    ) -> str | None:
        """Why ``relative`` may not be read, or None. Every directory on the way counts (a file
        under an excluded folder is excluded) unless ``parents_checked`` (walking down)."""
        parts = relative.split("/")
        if ".git" in parts:
            return "is inside `.git`, which chatls never reads."
        first = len(parts) if parents_checked else 1
        for depth in range(first, len(parts) + 1):
            directory = depth < len(parts) or is_dir
            prefix = "/".join(parts[:depth]) + ("/" if directory else "")
            pattern = matching_pattern(prefix, self.rules.exclude)
            if pattern is not None:
                return f"matches the `exclude` pattern `{pattern}`: chatls never sends it anywhere."
        if self.rules.gitignore and self._ignores.ignored(root.path, parts, is_dir, first):
            return (
                "is ignored by the workspace's .gitignore, so chatls does not read it "
                "(setting `tools.gitignore`)."
            )
        return None

    def read(self, file: WorkspaceFile, overlay: Mapping[str, str], shown: str = "") -> str:
        """The file's text: the editor's unsaved text when it is open, else the disk's."""
        text = overlay.get(file.real)
        if text is not None:
            if len(text) > self.rules.max_bytes:
                raise self._too_big(shown or file.relative, len(text))
            return text
        try:
            size = os.stat(file.real).st_size
            if size > self.rules.max_bytes:
                raise self._too_big(shown or file.relative, size)
            with open(file.real, "rb") as handle:
                data = handle.read(self.rules.max_bytes + 1)
        except OSError as error:
            reason = error.strerror
            raise ToolError(f"`{shown or file.relative}` cannot be read: {reason}.") from None
        if len(data) > self.rules.max_bytes:
            raise self._too_big(shown or file.relative, len(data))
        if b"\0" in data[:_SNIFF]:
            raise ToolError(f"`{shown or file.relative}` is a binary file; only text is read.")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(
                f"`{shown or file.relative}` is not UTF-8 text; only text is read."
            ) from None

    def _too_big(self, shown: str, size: int) -> ToolError:
        return ToolError(
            f"`{shown}` is {size:,} bytes, over the {self.rules.max_bytes:,}-byte limit "
            "(setting `tools.maxFileBytes`); it is not read."
        )

    def walk(self) -> Iterator[tuple[WorkspaceFile, os.stat_result]]:
        """The readable files, nearest the root first, at most ``max_files`` of them (symbolic
        links are not followed: the files they lead to are indexed where they are)."""
        count = 0
        self._ignores.forget()
        queue: collections.deque[tuple[Root, str]] = collections.deque(
            (root, "") for root in self.roots
        )
        while queue:
            root, relative = queue.popleft()
            try:
                with os.scandir(os.path.join(root.path, relative)) as listing:
                    entries = sorted(listing, key=lambda entry: entry.name)
            except OSError:
                continue
            for entry in entries:
                child = f"{relative}/{entry.name}" if relative else entry.name
                try:
                    if entry.is_symlink():
                        continue
                    if entry.is_dir():
                        if (
                            entry.name not in SKIPPED_DIRECTORIES
                            and self.refusal(root, child, True, True) is None
                        ):
                            queue.append((root, child))
                        continue
                    if not entry.is_file() or self.refusal(root, child, False, True) is not None:
                        continue
                    info = entry.stat()
                except OSError:
                    continue
                if info.st_size > self.rules.max_bytes:
                    continue
                yield WorkspaceFile(root, child, os.path.join(root.path, child)), info
                count += 1
                if count >= self.rules.max_files:
                    return


class _GitIgnores:
    """The workspace's ``.gitignore`` files, each read once per change (mtime and size)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple[int, int], list[Any]]] = {}
        self._seen: dict[str, list[Any]] = {}

    def forget(self) -> None:
        """Look at the files again (each directory's is checked once until the next call)."""
        self._seen = {}

    def _patterns(self, directory: str) -> list[Any]:
        seen = self._seen.get(directory)
        if seen is None:
            seen = self._seen[directory] = self._read(directory)
        return seen

    def _read(self, directory: str) -> list[Any]:
        path = os.path.join(directory, ".gitignore")
        try:
            info = os.stat(path)
        except OSError:
            return []
        key = (info.st_mtime_ns, info.st_size)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            lines = []
        patterns = [p for p in _spec(tuple(lines)).patterns if p.include is not None]
        self._cache[path] = (key, patterns)
        return patterns

    def ignored(self, root: str, parts: list[str], is_dir: bool, first: int = 1) -> bool:
        """Whether git would ignore ``parts`` (a path under ``root``): the last pattern that
        matches decides, deeper ``.gitignore`` files after shallower ones, and nothing under
        an ignored directory comes back (directories above ``first`` parts are known not to be
        ignored)."""
        for depth in range(first, len(parts) + 1):
            directory = depth < len(parts) or is_dir
            decision = False
            for level in range(depth):
                patterns = self._patterns(os.path.join(root, *parts[:level]))
                if not patterns:
                    continue
                relative = "/".join(parts[level:depth]) + ("/" if directory else "")
                for pattern in patterns:
                    if pattern.match_file(relative) is not None:
                        decision = bool(pattern.include)
            if decision:
                return True
        return False


@functools.lru_cache(maxsize=256)
def _spec(lines: tuple[str, ...]) -> Any:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)
