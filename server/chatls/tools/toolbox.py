"""The four tools: their parameters (JSON Schema) and what each answers.

Every answer is text for the model, bounded here by lines, matches and definitions shown; the
caller bounds it again by tokens. A call that cannot be answered (bad arguments, a path outside
the workspace, an excluded file) is answered with the reason, never raised.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from chatls.source.languages import language_for
from chatls.source.outline import declared_apart
from chatls.source.text import text_index
from chatls.tools.diagnostics import Seen
from chatls.tools.files import ToolError, WorkspaceFile
from chatls.tools.index import IndexedSymbol, SymbolIndex, symbols_of

log = logging.getLogger(__name__)

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
"""What the Chat Completions API accepts as a tool name."""

DEFINITIONS_SHOWN = 5
LINES_READ = 200
REFERENCES_SHOWN = 50

_NAME_PARAMETER = {
    "type": "string",
    "description": "The name as the code spells it: a function, class, method, type, "
    "constant, variable or field (`parse_config`, `Config`, `Config.load`).",
}
_PATH_PARAMETER = {
    "type": "string",
    "description": "A file path relative to the workspace root, as the tools' results show "
    "it (`src/app.py`).",
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "find_definition": {
        "type": "object",
        "properties": {"name": _NAME_PARAMETER},
        "required": ["name"],
        "additionalProperties": False,
    },
    "read_lines": {
        "type": "object",
        "properties": {
            "path": _PATH_PARAMETER,
            "start": {"type": "integer", "description": "The first line, counting from 1."},
            "end": {
                "type": "integer",
                "description": f"The last line, included (at most {LINES_READ} lines).",
            },
        },
        "required": ["path", "start", "end"],
        "additionalProperties": False,
    },
    "find_references": {
        "type": "object",
        "properties": {"name": _NAME_PARAMETER},
        "required": ["name"],
        "additionalProperties": False,
    },
    "diagnostics": {
        "type": "object",
        "properties": {"path": _PATH_PARAMETER},
        "required": ["path"],
        "additionalProperties": False,
    },
}
EXAMPLES = {
    "find_definition": '{"name": "parse_config"}',
    "read_lines": '{"path": "src/app.py", "start": 1, "end": 40}',
    "find_references": '{"name": "parse_config"}',
    "diagnostics": '{"path": "src/app.py"}',
}

Overlay = Callable[[], Mapping[str, str]]
"""The open documents' text by real path, as it is now."""
DiagnosticsFor = Callable[[str], tuple[list[Seen] | None, int | None]]
"""What the editor sent for a real path, and the open document's version now."""


@attrs.frozen
class ToolResult:
    text: str
    ok: bool


def definitions(descriptions: Mapping[str, str]) -> list[dict[str, Any]]:
    """The tools as the request's ``tools`` parameter, described by ``descriptions``."""
    return [
        {
            "type": "function",
            "function": {
                "name": name,
                "description": descriptions.get(name, ""),
                "parameters": schema,
            },
        }
        for name, schema in SCHEMAS.items()
    ]


def parse_arguments(name: str, raw: str) -> dict[str, Any]:
    """The call's arguments as an object; raises ``ToolError`` telling the model how to fix
    them."""
    example = EXAMPLES.get(name, "{}")
    try:
        value = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as error:
        shown = raw if len(raw) <= 120 else raw[:117] + "..."
        raise ToolError(
            f"the arguments are not valid JSON ({error.msg} at character {error.pos}): "
            f"{shown!r}. Send one JSON object, such as {example}."
        ) from None
    if not isinstance(value, dict):
        raise ToolError(f"the arguments must be one JSON object, such as {example}.")
    missing = [key for key in SCHEMAS[name]["required"] if key not in value]
    if missing:
        raise ToolError(
            f"missing {', '.join(f'`{m}`' for m in missing)}; send arguments such as {example}."
        )
    return value


def _shown(value: Any, limit: int = 60) -> str:
    text = " ".join(str(value).split()).replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label(name: str, raw: str) -> str:
    """What a call does, for the progress and the log ("looking up `parse_config`")."""
    try:
        value = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        return f"calling `{_shown(name)}` (its arguments are not valid JSON)"
    if name == "find_definition":
        return f"looking up `{_shown(value.get('name', ''))}`"
    if name == "read_lines":
        where = f"{value.get('start', '?')}-{value.get('end', '?')}"
        return f"reading `{_shown(value.get('path', ''))}` lines {_shown(where, 20)}"
    if name == "find_references":
        return f"finding references to `{_shown(value.get('name', ''))}`"
    if name == "diagnostics":
        return f"reading the diagnostics of `{_shown(value.get('path', ''))}`"
    return f"calling `{_shown(name)}`, which does not exist"


def _fenced(text: str, language: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{language}\n{text}\n{fence}"


def _name_argument(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ToolError('`name` must be a non-empty string, such as "parse_config".')
    name = value.strip()
    if len(name) > 200 or "\n" in name:
        raise ToolError('`name` must be one identifier, such as "parse_config".')
    return name


def _line_argument(value: Any, which: str) -> int:
    if isinstance(value, bool):
        raise ToolError(f"`{which}` must be a line number (from 1).")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < 1:
        raise ToolError(f"`{which}` must be a line number (from 1), got {_shown(value, 20)}.")
    return value


class Toolbox:
    """The tools over one workspace index, for one request."""

    def __init__(self, index: SymbolIndex, overlay: Overlay, diagnostics: DiagnosticsFor) -> None:
        self.index = index
        self.files = index.files
        self._overlay = overlay
        self._diagnostics = diagnostics
        self.in_prompt: set[tuple[str, int]] = set()
        """Definitions the prompt already shows (file as displayed, 1-based line): a lookup of
        one of them says so instead of showing it again."""

    def overlay(self) -> Mapping[str, str]:
        """The open documents' text by real path, as it is now."""
        return self._overlay()

    async def run(self, name: str, raw: str) -> ToolResult:
        """Answer one call; never raises (but for cancellation)."""
        try:
            if name not in SCHEMAS:
                raise ToolError(
                    f"there is no tool `{_shown(name)}`; the tools are "
                    + ", ".join(f"`{n}`" for n in SCHEMAS)
                    + "."
                )
            arguments = parse_arguments(name, raw)
            if name == "find_definition":
                text = await self.find_definition(_name_argument(arguments["name"]))
            elif name == "read_lines":
                start = _line_argument(arguments["start"], "start")
                end = _line_argument(arguments["end"], "end")
                text = await self.read_lines(arguments["path"], start, end)
            elif name == "find_references":
                text = await self.find_references(_name_argument(arguments["name"]))
            else:
                text = await self.read_diagnostics(arguments["path"])
            return ToolResult(text, True)
        except ToolError as error:
            return ToolResult(f"Error: {error}", False)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a lookup must never take the action down
            log.exception("tool %s failed", name)
            return ToolResult(f"Error: the lookup failed ({type(error).__name__}).", False)

    async def find_definition(self, name: str) -> str:
        overlay = dict(self._overlay())
        await self.index.current(overlay)
        found = self.index.lookup(name)
        if not found:
            return await asyncio.to_thread(self._not_found, name)
        located = [(self.files.display(f), e.start_line + 1) for f, e in found]
        if all(place in self.in_prompt for place in located):
            # Already in the prompt (chatls put it there): a short answer saves the budget a
            # second copy would take, and says where to look.
            listed = ", ".join(f"{where}, line {line}" for where, line in located)
            return (
                f'`{name}` ({listed}) is already in the prompt above, under "Definitions from '
                'other files in the workspace"; use it from there.'
            )
        shown = await asyncio.to_thread(self._describe, found[:DEFINITIONS_SHOWN], overlay)
        places = "1 place" if len(found) == 1 else f"{len(found)} places"
        text = f"`{name}` is defined in {places}:\n\n" + "\n\n".join(shown)
        rest = found[DEFINITIONS_SHOWN:]
        if rest:
            listed = ", ".join(f"{self.files.display(f)}:{e.start_line + 1}" for f, e in rest[:20])
            more = f" and {len(rest) - 20} more" if len(rest) > 20 else ""
            text += f"\n\nAlso defined at: {listed}{more}."
        return text

    def _searched(self) -> str:
        note = f"{self.index.file_count} files searched"
        if self.index.truncated:
            limit = self.files.rules.max_files
            note += f"; the workspace has more, beyond `tools.maxFiles` ({limit})"
        return note

    def _not_found(self, name: str) -> str:
        text = f"No definition of `{name}` in the workspace ({self._searched()})."
        names = list(self.index.names())
        folded = [n for n in names if n.lower() == name.lower()]
        similar = folded or difflib.get_close_matches(name, names, n=5, cutoff=0.75)
        places = []
        for other in similar[:5]:
            located = self.index.lookup(other)
            if located:
                file, entry = located[0]
                places.append(f"`{other}` ({self.files.display(file)}:{entry.start_line + 1})")
        if places:
            text += " Similar names: " + ", ".join(places) + "."
        return text

    def _describe(
        self, found: list[tuple[WorkspaceFile, IndexedSymbol]], overlay: Mapping[str, str]
    ) -> list[str]:
        out = []
        texts: dict[str, str | None] = {}
        for file, entry in found:
            if file.real not in texts:
                try:
                    texts[file.real] = self.files.read(file, overlay)
                except ToolError:
                    texts[file.real] = None
            text = texts[file.real]
            where = self.files.display(file)
            if text is None:
                gone = f"{entry.kind}; the file is no longer readable"
                out.append(f"{where}:{entry.start_line + 1} ({gone})")
                continue
            outlined = symbols_of(text, file.real)
            symbols = [s for s in outlined if s.qualified == entry.qualified]
            symbol = min(symbols, key=lambda s: abs(s.start_line - entry.start_line), default=None)
            if symbol is None:
                out.append(f"{where}:{entry.start_line + 1} ({entry.kind}; it changed since)")
                continue
            fence = language_for(None, file.real).fence
            if symbol.members:
                shown = symbol.members
            elif language_for(None, file.real).doc_style == "python":
                shown = "\n".join(part for part in (symbol.header, symbol.doc) if part)
            else:
                shown = "\n".join(part for part in (symbol.doc, symbol.header) if part)
            shown = "\n".join([shown, *declared_apart(symbol, outlined)])
            lines = f"line {symbol.start_line + 1}"
            if symbol.end_line > symbol.start_line:
                lines = f"lines {symbol.start_line + 1}-{symbol.end_line + 1}"
            out.append(f"{where}, {lines} ({symbol.kind}):\n{_fenced(shown, fence)}")
        return out

    async def read_lines(self, path: Any, start: int, end: int) -> str:
        overlay = dict(self._overlay())
        return await asyncio.to_thread(self._read_lines, path, start, end, overlay)

    def _read_lines(self, path: Any, start: int, end: int, overlay: Mapping[str, str]) -> str:
        file = self.files.resolve(path)
        shown = self.files.display(file)
        text = self.files.read(file, overlay, shown)
        index = text_index(text, "utf-32")
        count = index.line_count
        if count > 1 and not index.line_text(count - 1):
            count -= 1
        if start > count:
            raise ToolError(f"`{shown}` has {count} lines; line {start} does not exist.")
        if end < start:
            start, end = end, start
        last = min(end, count, start + LINES_READ - 1)
        body = "\n".join(index.line_text(n) for n in range(start - 1, last))
        note = ""
        if last < min(end, count):
            note = f" (cut at {LINES_READ} lines; ask for the rest separately)"
        fence = language_for(None, file.real).fence
        return f"{shown}, lines {start}-{last} of {count}{note}:\n{_fenced(body, fence)}"

    async def find_references(self, name: str) -> str:
        overlay = dict(self._overlay())
        await self.index.current(overlay)
        return await asyncio.to_thread(self._find_references, name, overlay)

    def _find_references(self, name: str, overlay: Mapping[str, str]) -> str:
        pattern = re.compile(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])")
        hits: list[str] = []
        more = False
        for file in self.index.files_in_order(overlay):
            try:
                text = self.files.read(file, overlay)
            except ToolError:
                continue
            if name not in text:
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if pattern.search(line):
                    if len(hits) == REFERENCES_SHOWN:
                        more = True
                        break
                    shown = line.strip()
                    if len(shown) > 160:
                        shown = shown[:157] + "..."
                    hits.append(f"{self.files.display(file)}:{number}: {shown}")
            if more:
                break
        if not hits:
            return f"No use of `{name}` in the workspace ({self._searched()})."
        head = f"{len(hits)} lines mention `{name}`"
        if more:
            head = f"The first {REFERENCES_SHOWN} lines that mention `{name}` (there are more)"
        return head + ":\n" + "\n".join(hits)

    async def read_diagnostics(self, path: Any) -> str:
        file = await asyncio.to_thread(self.files.resolve, path)
        shown = self.files.display(file)
        seen, version = self._diagnostics(file.real)
        if seen is None:
            return (
                f"chatls has not seen diagnostics for `{shown}`: the editor sends them only "
                "with code action requests, for the code at the cursor or selection."
            )
        if not seen:
            return (
                f"The editor reported no diagnostics for the parts of `{shown}` chatls saw "
                "(only those around the cursor or selection of a code action request)."
            )
        lines = [
            f"Diagnostics the editor reported for `{shown}` (only those around the cursor or "
            "selection of code action requests chatls saw):"
        ]
        for item in seen[:50]:
            lines.append(_diagnostic_line(item, version))
        return "\n".join(lines)


def _diagnostic_line(item: Seen, version: int | None) -> str:
    diagnostic = item.diagnostic
    severity = diagnostic.severity.name.lower() if diagnostic.severity else "problem"
    source = f" ({diagnostic.source})" if diagnostic.source else ""
    code = f" [{diagnostic.code}]" if diagnostic.code is not None else ""
    stale = ""
    if version is not None and item.version is not None and item.version != version:
        stale = " (reported on an earlier version of the file: lines may have moved)"
    message = " ".join(diagnostic.message.split())
    return f"- line {diagnostic.range.start.line + 1}, {severity}{source}: {message}{code}{stale}"
