"""Definitions from other files as a prompt shows them: chosen within their share of the
budget, most directly used first, rendered once (``_context.definitions``) and named in the
progress and the log.

Where they go is the templates' business (``prompts.messages``): after the file's stable window
and before the action's own part, so requests on one file still share the window as their
prefix, and actions on the same code share the definitions too. No room is kept for them in the
window when it is chosen: measured with ``bench/prefix_cache.py --scripted --definitions --files
c`` (four actions on neighbouring methods of a 2,000-line file, 1 to 4 definitions each), a
fixed room shrank every window and the shared prefix with it (8,116-8,124 characters shared
between consecutive requests), while letting an over-budget prompt give up the window's last
block shrank one of them (7,989, then 9,670 twice; 9,619 without definitions).
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Sequence

import attrs

from chatls.context import prompts
from chatls.context.tokens import TokenCounter
from chatls.source.reported import Reported
from chatls.source.signatures import calls


@attrs.frozen
class Outside:
    """One definition from another file, as the lookup found it."""

    name: str
    where: str
    """Its file, relative to the workspace."""
    line: int
    """1-based."""
    kind: str
    text: str
    """Signature and doc comment, or the whole definition when short."""
    signature: str
    fence: str
    members: tuple[str, ...] = ()
    """For a class, struct or type: the names it defines."""
    parameters: tuple[str, ...] = ()
    """For a function or method: its parameter names, in order."""


@attrs.frozen
class Fact:
    """What the definitions from other files say about the reported line, spelt out for a Fix:
    small models copy the code unchanged with the definition in front of them, and make the
    change once the fact is stated next to the problem (``bench/tools.py``, definitions mode).

    ``kind`` is ``member`` (``name`` has no ``missing``; ``names`` are what it has),
    ``parameter`` (``name`` takes no ``missing``; ``unused`` are its parameters not passed),
    ``import`` (``name`` is defined in ``where`` and not imported; ``statement`` imports it) or
    ``order`` (``name`` takes ``names`` in this order)."""

    kind: str
    name: str
    missing: str = ""
    names: tuple[str, ...] = ()
    closest: str = ""
    unused: tuple[str, ...] = ()
    where: str = ""
    statement: str = ""
    written: str = ""
    """How the code names it once imported, when not as it is (Go's ``text.Slugify``)."""


@attrs.frozen
class Included:
    """What a prompt included, for the progress and the log."""

    name: str
    where: str
    line: int
    tokens: int


def _item(definition: Outside, brief: bool) -> dict[str, object]:
    return {
        "name": definition.name,
        "where": definition.where,
        "line": definition.line,
        "kind": definition.kind,
        "text": definition.signature if brief else definition.text,
        "fence": definition.fence,
    }


def render(items: Sequence[dict[str, object]]) -> str:
    if not items:
        return ""
    template = prompts.builtin("_context")["definitions"]
    return prompts.render(template, {"definitions": list(items)}, "_context.definitions")


def fit(
    definitions: Sequence[Outside], counter: TokenCounter, room: int, brief: bool = False
) -> tuple[str, tuple[Included, ...]]:
    """The definitions that fit ``room`` tokens, in their order (each whole, else by its
    signature alone, else left out), rendered; and what was included. ``brief``: signatures
    only."""
    if room <= 0 or not definitions:
        return "", ()
    base = counter.count(render([_item(definitions[0], True)])) - counter.count(
        _block(definitions[0], True)
    )
    used = max(0, base)
    items: list[dict[str, object]] = []
    included: list[Included] = []
    for definition in definitions:
        for short in (True,) if brief else (False, True):
            cost = counter.count(_block(definition, short))
            if used + cost <= room:
                used += cost
                items.append(_item(definition, short))
                included.append(Included(definition.name, definition.where, definition.line, cost))
                break
    text = render(items)
    return text, tuple(included)


def _block(definition: Outside, brief: bool) -> str:
    """One definition's part of the rendered list (its cost, near enough)."""
    body = definition.signature if brief else definition.text
    return f"{definition.where}, line {definition.line}:\n```{definition.fence}\n{body}\n```\n"


def summary(included: Sequence[Included]) -> str:
    """``3 definitions from other files (212 tokens)``."""
    tokens = sum(item.tokens for item in included)
    things = "1 definition" if len(included) == 1 else f"{len(included)} definitions"
    return f"{things} from other files ({tokens:,} tokens)"


def listing(included: Sequence[Included]) -> str:
    """Each one, for the log: ``parse (src/util.py:12, 40 tokens)``."""
    return ", ".join(f"{i.name} ({i.where}:{i.line}, {i.tokens} tokens)" for i in included)


def facts(
    definitions: Sequence[Outside],
    reported: Reported | None,
    line: str,
    language: str,
    document: str | None,
    commonjs: bool = False,
    go_module: tuple[str, str] | None = None,
) -> list[Fact]:
    """What ``definitions`` say about a diagnostic on ``line``: the member or name it reports
    as unknown, a keyword the called function does not take, or else the order of the
    parameters of what the line calls. ``document`` is the file's path as the definitions'
    ``where`` spell theirs (relative to the workspace); ``commonjs`` says the file loads its
    modules with ``require``, which is how its imports must be written; ``go_module`` is a Go
    file's module path and its ``go.mod``'s folder, which Go's import paths start from."""
    found: list[Fact] = []
    if reported is not None and reported.kind == "member":
        fact = _member(definitions, reported)
        if fact is not None:
            found.append(fact)
    if reported is not None and reported.kind == "name":
        for definition in definitions:
            if definition.name == reported.name:
                statement = _import(language, definition.where, document, definition.name, commonjs)
                written = ""
                if language == "go" and go_module is not None:
                    statement, written = _go_import(definition.where, document, go_module)
                found.append(
                    Fact(
                        "import",
                        definition.name,
                        where=definition.where,
                        statement=statement,
                        written=f"{written}.{definition.name}" if written else "",
                    )
                )
                break
    called = [
        (definition, call)
        for definition in definitions
        if definition.parameters
        for call in calls(line, definition.name)
    ]
    for definition, call in called:
        unknown = [k for k in call.keywords if k not in definition.parameters]
        if unknown:
            unused = tuple(
                p for p in definition.parameters[call.positional :] if p not in call.keywords
            )
            found.append(
                Fact(
                    "parameter",
                    definition.name,
                    unknown[0],
                    definition.parameters,
                    _closest(unknown[0], unused) or (unused[0] if len(unused) == 1 else ""),
                    unused,
                )
            )
    if not found:
        found = [
            Fact("order", definition.name, names=definition.parameters)
            for definition, _ in called
            if len(definition.parameters) > 1
        ][:2]
    return found


def _bare(owner: str) -> str:
    """``*pkg.Cart<T>`` → ``Cart``: the type's own name as a definition is named."""
    owner = re.sub(r"<.*", "", owner).strip("*&[] ")
    return re.split(r"\.|::", owner)[-1]


def _closest(name: str, names: Sequence[str]) -> str:
    """The one of ``names`` ``name`` most likely meant: one that contains it or that it
    contains (``total`` → ``total_price``), else the closest spelling, else ``""``."""
    lower = name.lower()
    containing = [n for n in names if lower in n.lower() or n.lower() in lower]
    if len(containing) == 1:
        return containing[0]
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.5)
    return close[0] if close else ""


def _member(definitions: Sequence[Outside], reported: Reported) -> Fact | None:
    owner = _bare(reported.owner) if reported.owner else None
    candidates = [
        d
        for d in definitions
        if d.members and reported.name not in d.members and (owner is None or d.name == owner)
    ]
    if owner is None:
        # Looked up on something the message does not name: only a single close match says
        # which type it was.
        candidates = [d for d in candidates if _closest(reported.name, d.members)]
    if len(candidates) != 1:
        return None
    (definition,) = candidates
    return Fact(
        "member",
        definition.name,
        reported.name,
        definition.members,
        _closest(reported.name, definition.members),
    )


def _go_import(where: str, document: str | None, module: tuple[str, str]) -> tuple[str, str]:
    """The import of the package whose folder holds ``where``, and the name the code calls it
    by (the folder's last part, as ``package`` clauses are by convention); nothing for a
    definition in the document's own package, which needs no import."""
    path, base = module
    folder = posixpath.dirname(where)
    if document is not None and folder == posixpath.dirname(document):
        return "", ""
    if base:
        if not (folder + "/").startswith(base + "/"):
            return "", ""
        folder = folder[len(base) :].strip("/")
    if not folder:
        return "", ""
    return f'import "{path}/{folder}"', folder.rsplit("/", 1)[-1]


def _import(
    language: str, where: str, document: str | None, name: str, commonjs: bool = False
) -> str:
    """The statement that imports ``name`` from the file ``where`` into ``document``, where
    the language makes it from paths alone; ``""`` elsewhere (Go imports packages by module
    path, C includes headers)."""
    stem, extension = posixpath.splitext(where)
    if language == "python" and extension in (".py", ".pyi"):
        parts = [p for p in stem.split("/") if p]
        if parts and parts[-1] == "__init__":
            parts.pop()
        if parts and all(p.isidentifier() for p in parts):
            return f"from {'.'.join(parts)} import {name}"
    if language in ("typescript", "typescriptreact", "javascript", "javascriptreact") and document:
        relative = posixpath.relpath(stem, posixpath.dirname(document) or ".")
        if not relative.startswith("."):
            relative = f"./{relative}"
        if commonjs:
            return f'const {{ {name} }} = require("{relative}");'
        return f'import {{ {name} }} from "{relative}";'
    if language == "rust" and extension == ".rs":
        parts = stem.split("/")
        if "src" in parts:
            parts = parts[parts.index("src") + 1 :]
            if parts and parts[-1] in ("lib", "main", "mod"):
                parts.pop()
            return f"use {'::'.join(['crate', *parts, name])};"
    return ""
