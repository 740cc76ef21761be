"""The ``exclude`` setting: files whose text is never sent to a model."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any


@functools.cache
def _exclude_spec(patterns: tuple[str, ...]) -> Any:
    import pathspec

    # Git's own reading of the patterns (``gitwildmatch`` is deprecated since pathspec 1.0).
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def excluded_by(path: str | None, root: str | None, patterns: Sequence[str]) -> str | None:
    """The ``exclude`` pattern ``path`` matches, if any."""
    if not path or not patterns:
        return None
    return _excluded_by(path, root, tuple(patterns))


@functools.lru_cache(maxsize=256)
def _excluded_by(path: str, root: str | None, patterns: tuple[str, ...]) -> str | None:
    # Asked on every keystroke for completions: the answer for a path is remembered.
    relative = path
    if root and os.path.commonpath(
        [os.path.abspath(root), os.path.abspath(path)]
    ) == os.path.abspath(root):
        relative = os.path.relpath(path, root)
    return matching_pattern(relative.replace(os.sep, "/").lstrip("/"), patterns)


def matching_pattern(relative: str, patterns: tuple[str, ...]) -> str | None:
    """The pattern a path relative to the workspace root matches, if any (``/``-separated; a
    directory ends with ``/``)."""
    if not patterns or not _exclude_spec(patterns).match_file(relative):
        return None
    for pattern in patterns:
        if _exclude_spec((pattern,)).match_file(relative):
            return pattern
    return patterns[0]
