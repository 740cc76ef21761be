"""Definitions from other files, for the prompt itself: what the names a piece of code uses
(``chatls.source.uses``) are, found in the workspace index, each as its signature and doc
comment (its whole text when short), without the model having to ask.

The files are the tools' files: the index holds only files the tools may read (inside the
workspace, not excluded, not ignored), each is checked again before it is read, and an open
document's unsaved text wins over the disk's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Mapping, Sequence

import attrs

from chatls.source.languages import language_for
from chatls.source.outline import Symbol, declared_apart
from chatls.source.signatures import parameters
from chatls.source.uses import MEMBER, Use
from chatls.tools.files import ToolError, WorkspaceFile
from chatls.tools.index import IndexedSymbol, SymbolIndex, symbols_of

log = logging.getLogger(__name__)

BODY_LINES = 12
"""A definition this many lines long or shorter is shown whole; a longer one by its signature
and doc comment (a class by its members without their bodies)."""
MAX_FOUND = 16
"""Definitions looked for per request at most; the prompt's budget share usually takes fewer."""
_MEMBERS_LINES = 40


@attrs.frozen
class Found:
    """One definition from another file, ready to be shown."""

    name: str
    """The name as the code uses it."""
    where: str
    """The file as the tools show it (relative to the workspace)."""
    real: str
    start_line: int
    """0-based, as the index has it (``Toolbox`` compares with it)."""
    kind: str
    text: str
    """Its signature and doc comment, or its whole text when short."""
    signature: str
    """Its signature alone (for inline completion, and when ``text`` does not fit)."""
    fence: str
    members: tuple[str, ...] = ()
    """For a class, struct or type: the names it defines (fields, methods), in order."""
    parameters: tuple[str, ...] = ()
    """For a function or method: its parameter names, in order."""


def _members(
    symbol: Symbol, symbols: Sequence[Symbol], lines: list[str], python: bool
) -> tuple[str, ...]:
    """The names ``symbol`` defines: its outline children, and the fields its methods assign
    (``self.prices = []`` in Python, ``this.email = email`` elsewhere), which the outline does
    not hold. A JavaScript class's ``constructor`` is not a member anyone calls by name."""
    names = [s.name for s in symbols if s.container == symbol.qualified]
    body = "\n".join(lines[symbol.start_line : symbol.end_line + 1])
    receiver = "self" if python else "this"
    names += re.findall(rf"\b{receiver}\.([A-Za-z_$][\w$]*)\s*(?::[^=\n]*)?=(?!=)", body)
    return tuple(dict.fromkeys(n for n in names if not n.startswith("__") and n != "constructor"))


def _hinted(file: WorkspaceFile, hint: str) -> bool:
    """Whether ``file`` can be the module ``hint`` names (its last part is a folder or the
    file's name without its extension)."""
    last = hint.rstrip("/").rsplit("/", 1)[-1].lower()
    if not last:
        return True
    parts = file.relative.lower().split("/")
    return last in parts[:-1] or os.path.splitext(parts[-1])[0] == last


def choose(
    use: Use, found: Sequence[tuple[WorkspaceFile, IndexedSymbol]], current: str | None
) -> tuple[WorkspaceFile, IndexedSymbol] | None:
    """The definition ``use`` most likely means, or None when the workspace does not say."""
    if use.how == MEMBER:
        # A member of something of unknown type: only a name defined once is safe to show.
        distinct = {(f.real, e.qualified) for f, e in found}
        if len(distinct) != 1:
            return None
    others = [(f, e) for f, e in found if f.real != current]
    if use.hint:
        # Imported from a module the workspace does not hold (the standard library, a
        # dependency): a definition elsewhere with the same name is another thing.
        others = [(f, e) for f, e in others if _hinted(f, use.hint)]
    return others[0] if others else None


def _render(symbol: Symbol, symbols: list[Symbol], lines: list[str], python: bool) -> str:
    return "\n".join([_own(symbol, lines, python), *declared_apart(symbol, symbols)])


def _own(symbol: Symbol, lines: list[str], python: bool) -> str:
    count = symbol.end_line - symbol.start_line + 1
    if count <= BODY_LINES:
        body = "\n".join(lines[symbol.start_line : symbol.end_line + 1])
        return body if python or not symbol.doc else f"{symbol.doc}\n{body}"
    if symbol.members:
        shown = symbol.members.splitlines()
        if len(shown) > _MEMBERS_LINES:
            shown = [*shown[:_MEMBERS_LINES], "    ..."]
        return "\n".join(shown)
    parts = (symbol.header, symbol.doc) if python else (symbol.doc, symbol.header)
    return "\n".join(part for part in parts if part)


class _Texts:
    """The files read for one request, each read and outlined once."""

    def __init__(self, index: SymbolIndex, overlay: Mapping[str, str]) -> None:
        self.index = index
        self.overlay = overlay
        self._read: dict[str, tuple[list[str], list[Symbol]] | None] = {}

    def get(self, file: WorkspaceFile) -> tuple[list[str], list[Symbol]] | None:
        if file.real in self._read:
            return self._read[file.real]
        files = self.index.files
        result = None
        # Checked again as the tools check a path: the settings may have changed since the
        # file was indexed.
        if files.refusal(file.root, file.relative, False) is None:
            try:
                text = files.read(file, self.overlay)
                result = (text.splitlines(), symbols_of(text, file.real))
            except ToolError:
                result = None
            except Exception as error:  # one odd file must not take the action down
                log.warning("could not outline %s: %s", file.real, error)
                result = None
        self._read[file.real] = result
        return result


def find(
    index: SymbolIndex, overlay: Mapping[str, str], current: str | None, uses: Sequence[Use]
) -> list[Found]:
    """The definitions of ``uses`` in files other than ``current`` (the document's path), in
    the order of ``uses``, at most ``MAX_FOUND``. Reads files: call it off the event loop."""
    current = os.path.realpath(current) if current else None
    texts = _Texts(index, overlay)
    found: list[Found] = []
    shown: set[tuple[str, str]] = set()
    for use in uses:
        if len(found) >= MAX_FOUND:
            break
        chosen = choose(use, index.lookup(use.name), current)
        if chosen is None:
            continue
        file, entry = chosen
        if (file.real, entry.qualified) in shown:
            continue
        read = texts.get(file)
        if read is None:
            continue
        lines, symbols = read
        matching = [s for s in symbols if s.qualified == entry.qualified]
        symbol = min(matching, key=lambda s: abs(s.start_line - entry.start_line), default=None)
        if symbol is None:
            continue
        spec = language_for(None, file.real)
        python = spec.doc_style == "python"
        shown.add((file.real, entry.qualified))
        found.append(
            Found(
                name=use.name,
                where=index.files.display(file),
                real=file.real,
                start_line=entry.start_line,
                kind=symbol.kind,
                text=_render(symbol, symbols, lines, python),
                signature=symbol.header.strip(),
                fence=spec.fence,
                members=_members(symbol, symbols, lines, python),
                parameters=parameters(symbol.header, symbol.name, spec.id),
            )
        )
    return found


async def look_up(
    index: SymbolIndex,
    overlay: Mapping[str, str],
    current: str | None,
    uses: Sequence[Use],
    refresh: bool = True,
) -> list[Found]:
    """``find``, with the index brought up to date first (``refresh``), or, without it, only
    when the index is already built (inline completion, which must never wait for a walk)."""
    if not uses:
        return []
    if refresh:
        await index.current(overlay)
    elif not index.built:
        return []
    return await asyncio.to_thread(find, index, overlay, current, uses)


def signatures(index: SymbolIndex, names: Sequence[str], current: str | None) -> list[str]:
    """For inline completion: the signature of each of ``names`` defined exactly once in the
    workspace outside ``current`` (a real path), as the index holds it: no file is read and
    nothing waits, so a completion's latency does not move. Names defined in several places are
    left out rather than guessed."""
    shown = []
    for name in names:
        found = {(f.real, e.qualified): (f, e) for f, e in index.lookup(name) if e.name == name}
        if len(found) != 1:
            continue
        ((file, entry),) = found.values()
        if file.real == current or not entry.signature:
            continue
        shown.append(f"{index.files.display(file)}:{entry.start_line + 1}: {entry.signature}")
    return shown
