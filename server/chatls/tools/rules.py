"""Project rules: the instruction files people already keep for AI tools (``AGENTS.md``,
``.github/copilot-instructions.md``, ``CONVENTIONS.md``, ``.chatls/rules.md``; the setting
``rules.files``), found in each folder from a document's up to its workspace folder, nearest
first, and taken within a token bound for the system message.

A rules file reaches the model without anyone asking for it, so it passes the workspace tools'
checks (``WorkspaceFiles.refusal``): not inside ``.git``, not matching ``exclude``, and, once
symbolic links are followed, still inside the workspace; a path that fails is left out and the
caller logs why. ``.gitignore`` does not apply: the files are named explicitly (by the built-in
list or the user's), not found by a walk, and personal rules files are often kept out of git.

Files are read once per change (modification time and size), so that every action, and inline
completion when it asks for rules, costs a few ``stat`` calls.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence

import attrs

from chatls.config import Settings
from chatls.tools.files import FileRules, Root, WorkspaceFiles

log = logging.getLogger(__name__)

Count = Callable[[str], int]
"""Tokens of a text, as the model counts them (``chatls.context.tokens``)."""

READ_BYTES = 256 * 1024
"""Most of a rules file read: far more than any bound takes (a token is a few characters), so
a huge file costs one bounded read."""
_CHARS_PER_TOKEN = 12
"""Characters per token no text exceeds in practice: a cut is searched within this many
characters per token left, so counting stays cheap whatever the file's size."""
_SNIFF = 8192
_KEPT = 256
"""Files whose reads are remembered (the oldest are forgotten first)."""

_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:|/|~)")


@attrs.frozen
class RulesFile:
    path: str
    """As the log and the progress show it: relative to the workspace folder."""
    text: str
    tokens: int
    cut: bool = False
    """Cut at the end of a line to fit the bound."""

    def describe(self) -> str:
        plural = "" if self.tokens == 1 else "s"
        return f"{self.path} ({self.tokens:,} token{plural}{', cut' if self.cut else ''})"


@attrs.frozen
class Rules:
    """The rules files a request includes, nearest first, and what was left out and why."""

    files: tuple[RulesFile, ...] = ()
    left_out: tuple[str, ...] = ()
    """One line per file found but not used (refused, cut away, unreadable), for the log."""

    @property
    def tokens(self) -> int:
        return sum(file.tokens for file in self.files)

    def describe(self) -> str:
        """``AGENTS.md (120 tokens), src/AGENTS.md (40 tokens)``."""
        return ", ".join(file.describe() for file in self.files)

    def variables(self) -> list[dict[str, str]]:
        """As the ``_context.rules`` template reads them."""
        return [{"path": file.path, "text": file.text} for file in self.files]


@attrs.frozen
class _Read:
    """A file's text as read (at most ``READ_BYTES``), or why it cannot be used."""

    text: str | None
    problem: str | None = None


_reads: dict[str, tuple[tuple[int, int], _Read]] = {}
"""By real path: the file's modification time and size when read, and what was read. Shared by
the whole process, as the file is the same whoever asks."""


class RulesFinder:
    """Finds a document's rules files in the workspace folders ``roots``."""

    def __init__(
        self,
        roots: Sequence[str],
        names: Sequence[str],
        exclude: Sequence[str],
        overlay: Callable[[], Mapping[str, str]],
    ) -> None:
        # `.gitignore` is not read (see the module's docstring); the size bound is ours.
        self.files = WorkspaceFiles(roots, FileRules(exclude=tuple(exclude), gitignore=False))
        self.names = tuple(names)
        self._overlay = overlay
        self._open: Mapping[str, str] | None = None

    def find(self, document_path: str | None, limit: int, count: Count) -> Rules:
        """The rules for the document at ``document_path``: nearest folder first, within
        ``limit`` tokens together; nothing for a document outside the workspace folders."""
        if not document_path or limit <= 0:
            return Rules()
        directory = os.path.realpath(os.path.dirname(os.path.abspath(document_path)))
        root = self.files.containing(directory)
        if root is None:
            return Rules()
        self._open = None
        names, left_out = self._valid_names()
        taken: list[RulesFile] = []
        seen: set[str] = set()
        left = limit
        for folder in _folders(directory, root.path):
            for name in names:
                found = self._candidate(root, folder, name, seen)
                if found is None:
                    continue
                shown, text = found
                if isinstance(text, _Refused):
                    left_out.append(f"{shown}: {text.reason}")
                    continue
                if not text.strip():
                    continue  # an empty file says nothing, and costs nothing
                if left <= 0:
                    left_out.append(f"{shown}: left out, the rules already take `rules.maxTokens`")
                    continue
                file = _within(shown, text, left, count)
                if file is None:
                    left_out.append(
                        f"{shown}: left out, its first line alone is over the {left} tokens left"
                    )
                    continue
                taken.append(file)
                left -= file.tokens
                if file.cut:
                    left_out.append(
                        f"{shown}: cut after line {file.text.count(chr(10)) + 1}, to "
                        f"{file.tokens} tokens (the rules take {limit} tokens at most)"
                    )
                    # The rest of a nearer file matters more than any file further up.
                    left = 0
        return Rules(tuple(taken), tuple(left_out))

    def _valid_names(self) -> tuple[list[list[str]], list[str]]:
        """``names`` as path parts; the ones that could leave the folder are refused."""
        valid: list[list[str]] = []
        refused: list[str] = []
        for name in self.names:
            normalized = name.strip().replace("\\", "/")
            parts = [part for part in normalized.split("/") if part not in ("", ".")]
            if not parts or ".." in parts or _ABSOLUTE.match(normalized) or "\0" in normalized:
                refused.append(
                    f"`rules.files` entry `{name}`: not a path relative to a folder; left out"
                )
                continue
            valid.append(parts)
        return valid, refused

    def _candidate(
        self, root: Root, folder: str, parts: list[str], seen: set[str]
    ) -> tuple[str, str | _Refused] | None:
        """The file ``parts`` names in ``folder`` as shown and its text (or why it is refused),
        or None when there is none (or it was already taken through another name)."""
        path = os.path.join(folder, *parts)
        if not os.path.lexists(path):
            return None
        relative = os.path.relpath(path, root.path).replace(os.sep, "/")
        shown = relative if len(self.files.roots) == 1 else f"{root.name}/{relative}"
        # The path as named must be allowed, and so must the file it leads to.
        reason = self.files.refusal(root, relative, False)
        if reason is not None:
            return shown, _Refused(reason)
        real = os.path.realpath(path)
        if real in seen:
            return None
        file = self.files.file(real)
        if file is None:
            return shown, _Refused(
                "leads outside the workspace (through a symbolic link); chatls does not read it"
            )
        reason = self.files.refusal(file.root, file.relative, False)
        if reason is not None:
            return shown, _Refused(reason)
        seen.add(real)
        if self._open is None:
            self._open = self._overlay()
        text = self._open.get(real)
        if text is not None:
            return shown, text[:READ_BYTES]
        read = _read(real)
        if read.text is None:
            return shown, _Refused(read.problem or "cannot be read")
        return shown, read.text


@attrs.frozen
class _Refused:
    reason: str


def _folders(directory: str, root: str) -> list[str]:
    """``directory`` and its parents up to ``root``, nearest first."""
    folders = [directory]
    while directory != root:
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
        folders.append(directory)
    return folders


def _read(real: str) -> _Read:
    """The file's text (at most ``READ_BYTES``), read again only when it changed."""
    try:
        info = os.stat(real)
    except OSError as error:
        return _Read(None, f"cannot be read: {error.strerror}")
    if not stat.S_ISREG(info.st_mode):
        return _Read(None, "is not a regular file")
    key = (info.st_mtime_ns, info.st_size)
    cached = _reads.get(real)
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        with open(real, "rb") as handle:
            data = handle.read(READ_BYTES)
    except OSError as error:
        return _Read(None, f"cannot be read: {error.strerror}")
    if b"\0" in data[:_SNIFF]:
        read = _Read(None, "is a binary file; only text is read")
    else:
        try:
            # A read cut short may end inside a character: that one is left undecoded.
            final = info.st_size <= READ_BYTES
            read = _Read(codecs.getincrementaldecoder("utf-8")().decode(data, final=final))
        except UnicodeDecodeError:
            read = _Read(None, "is not UTF-8 text; only text is read")
    _reads.pop(real, None)
    _reads[real] = (key, read)
    while len(_reads) > _KEPT:
        del _reads[next(iter(_reads))]
    return read


def _within(shown: str, text: str, left: int, count: Count) -> RulesFile | None:
    """The file's text whole if it fits in ``left`` tokens, else its longest run of whole lines
    from the top that does (the top of such a file usually holds its general rules); None when
    not even its first line fits."""
    text = text.strip()
    tokens = count(text)
    if tokens <= left:
        return RulesFile(shown, text, tokens)
    searched = text[: left * _CHARS_PER_TOKEN]
    lines = searched.splitlines(keepends=True)
    if len(searched) < len(text) and lines and not lines[-1].endswith(("\n", "\r")):
        lines.pop()  # cut mid-line by the search's bound
    low, high = 0, len(lines)
    best: tuple[str, int] | None = None
    while low < high:
        middle = (low + high + 1) // 2
        candidate = "".join(lines[:middle]).rstrip()
        used = count(candidate)
        if used <= left:
            best = (candidate, used)
            low = middle
        else:
            high = middle - 1
    if best is None or not best[0]:
        return None
    return RulesFile(shown, best[0], best[1], cut=True)


RULES_SHARE = 8
"""The rules take at most this fraction of a request's context (one eighth), whatever
``rules.maxTokens`` says: a small local model's 4,096 tokens keep room for the code."""


def bound(max_tokens: int, context_tokens: int) -> int:
    """Tokens the rules may take in a request whose budget is ``context_tokens``."""
    return min(max_tokens, context_tokens // RULES_SHARE)


def finder(
    settings: Settings,
    roots: Sequence[str],
    overlay: Callable[[], Mapping[str, str]],
    level: int = logging.INFO,
) -> RulesFinder | None:
    """What finds the rules for a request, or None when there are none to find: ``rules`` off,
    no workspace folder, or a workspace the editor says is untrusted (whose files could tell
    the model anything; the same signal that keeps the history from it). ``level``: how loudly
    to log the untrusted case (completions ask on every pause in typing)."""
    if not settings.rules.enabled or not roots:
        return None
    if settings.workspace_trusted is False:
        log.log(level, "rules: none, the workspace is not trusted")
        return None
    return RulesFinder(roots, settings.rules.files, settings.exclude, overlay)


def log_rules(what: str, rules: Rules, level: int = logging.INFO) -> None:
    """Say which rules files a request includes, with their tokens, and what was left out."""
    for line in rules.left_out:
        log.log(level, "%s: rules file %s", what, line)
    if rules.files:
        log.log(level, "%s: rules from %s", what, rules.describe())
    else:
        log.debug("%s: no rules files", what)
