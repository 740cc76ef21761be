"""The next edit: a prompt of the user's recent edits and the code around the cursor, the model's
rewrite of that code, and the edits between the two, checked before they are offered.

The reply format is the one the newest edit predictors use (the code region rewritten), because
a small model copies code far more reliably than it writes positions or diffs. What comes back
is held to the region: a rewrite that does not resemble it, that was cut off, that touches what
the user just typed (which would undo it), or that changes more than a next edit does, gives no
suggestion. One request per document is in flight: a newer one supersedes it.
"""

from __future__ import annotations

import asyncio
import collections
import difflib
import itertools
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence

import attrs
from lsprotocol import types

from chatls.config import Settings
from chatls.context import prompts
from chatls.edits.diff import minimal_edits
from chatls.edits.replies import code_blocks
from chatls.model.client import ModelClient, cache_key
from chatls.model.request import ChatRequest
from chatls.nextedit.history import Unit
from chatls.source.document import Document, display_path
from chatls.source.languages import language_for
from chatls.source.text import Encoding, TextIndex, dominant_eol, text_index, to_lf

log = logging.getLogger(__name__)

CURSOR = "<|cursor|>"
START = "<|editable_region_start|>"
END = "<|editable_region_end|>"
READ_ONLY_LINES = 12
"""Lines shown above and below the region, for the model to read (not to change)."""
MOST_EDITS = 12
MOST_CHANGED_LINES = 8
LEAST_SIMILAR = 0.6
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
_DISMISSED = 256
_ISSUED = 64

ClientFactory = Callable[[], Awaitable[ModelClient]]


class Superseded(Exception):
    """A newer prediction for the same document replaced this one."""


@attrs.frozen
class NextEditRequest:
    document: Document
    position: types.Position
    encoding: Encoding = "utf-16"
    recent: tuple[Unit, ...] = ()
    """The latest edits, oldest first (``EditHistory.recent``)."""
    paths: dict[str, str] = attrs.field(factory=dict, eq=False)
    """Workspace-relative paths of the documents the edits are in, by URI."""
    workspace_root: str | None = None
    diagnostics: tuple[str, ...] = ()
    """The problems the editor reported near the cursor, one line each."""


@attrs.frozen
class Prediction:
    id: str
    uri: str
    version: int | None
    edits: tuple[types.TextEdit, ...]


@attrs.frozen
class _Region:
    start: int
    end: int
    text: str
    prompt_text: str
    """``text`` with the cursor marked, when it is inside."""
    above: str
    below: str
    """The read-only code around it (``READ_ONLY_LINES`` each side)."""


class Predictor:
    def __init__(self) -> None:
        self._inflight: dict[str, tuple[int | None, asyncio.Task[Prediction | None]]] = {}
        """Per document, the version a prediction in flight is for, and its task."""
        self._superseded: set[asyncio.Task[Prediction | None]] = set()
        self._latest: dict[str, tuple[int | None, Prediction | None]] = {}
        self._dismissed: collections.OrderedDict[tuple[object, ...], None] = (
            collections.OrderedDict()
        )
        self._issued: collections.OrderedDict[str, tuple[object, ...]] = collections.OrderedDict()
        self._ids = itertools.count(1)

    def forget(self, uri: str) -> None:
        """The document changed or closed: the prediction in flight for it is superseded."""
        self._latest.pop(uri, None)
        _, task = self._inflight.pop(uri, (None, None))
        if task is not None and not task.done():
            self._superseded.add(task)
            task.cancel()

    def known(self, uri: str, version: int | None) -> Prediction | None:
        """The prediction already made for this version of ``uri``, if any."""
        found = self._latest.get(uri)
        return found[1] if found is not None and found[0] == version else None

    def feedback(self, suggestion_id: str, outcome: str) -> bool:
        """The editor showed, applied or dismissed a suggestion; a dismissed one is not offered
        again. False for an id this server does not know (any more)."""
        key = self._issued.get(suggestion_id)
        if key is None:
            return False
        log.info("next edit %s: %s", suggestion_id, outcome)
        if outcome == "dismissed":
            self._dismissed[key] = None
            while len(self._dismissed) > _DISMISSED:
                self._dismissed.popitem(last=False)
            for uri, (version, prediction) in list(self._latest.items()):
                if prediction is not None and prediction.id == suggestion_id:
                    # Asked again for the same version, the answer is now that there is none.
                    self._latest[uri] = (version, None)
        return True

    async def predict(
        self, request: NextEditRequest, settings: Settings, client: ClientFactory
    ) -> Prediction | None:
        """The next edit for the request's document and version; the same answer to a second
        request for the same version; raises ``Superseded`` when a newer request took over."""
        document = request.document
        uri = document.uri
        found = self._latest.get(uri)
        if found is not None and found[0] == document.version:
            return found[1]
        version, previous = self._inflight.get(uri, (None, None))
        if previous is not None and not previous.done():
            if version == document.version:
                # The same version asked for twice (ghost text and the plugin): one request.
                return await asyncio.shield(previous)
            self._superseded.add(previous)
            previous.cancel()
        task = asyncio.ensure_future(self._predict(request, settings, client))
        self._inflight[uri] = (document.version, task)
        try:
            # Cancelling this request (the editor's $/cancelRequest) cancels the model's.
            return await task
        except asyncio.CancelledError:
            if task in self._superseded:
                self._superseded.discard(task)
                raise Superseded from None
            raise
        finally:
            if self._inflight.get(uri, (None, None))[1] is task and task.done():
                del self._inflight[uri]

    async def _predict(
        self, request: NextEditRequest, settings: Settings, client: ClientFactory
    ) -> Prediction | None:
        document = request.document
        started = time.perf_counter()
        index = text_index(document.text, request.encoding)
        region = _region(index, request.position, settings)
        model_client = await client()
        next_edit = settings.next_edit
        model = model_client.endpoint.model or next_edit.model or settings.model
        messages = self._messages(request, settings, index, region)
        reply = await model_client.chat(
            ChatRequest(
                model=model,
                messages=messages,
                temperature=0.0,
                max_tokens=next_edit.max_tokens,
                usage=False,
                cache_key=cache_key(document.uri),
            )
        )
        prediction = None
        if reply.finish_reasons and reply.finish_reasons[0] == "length":
            log.info("next edit: the reply was cut off at maxTokens; no suggestion")
        else:
            edits = self._edits(request, index, region, reply.text)
            if edits:
                prediction = Prediction(
                    f"ne-{next(self._ids)}", document.uri, document.version, tuple(edits)
                )
                self._issued[prediction.id] = _key(document.uri, index, edits)
                while len(self._issued) > _ISSUED:
                    self._issued.popitem(last=False)
        log.info(
            "next edit: %s in %.0f ms",
            f"{len(prediction.edits)} edits ({prediction.id})" if prediction else "no suggestion",
            (time.perf_counter() - started) * 1000,
        )
        self._latest[document.uri] = (document.version, prediction)
        return prediction

    def _messages(
        self, request: NextEditRequest, settings: Settings, index: TextIndex, region: _Region
    ) -> list[dict[str, str]]:
        document = request.document
        diffs = [
            unit.diff(request.paths.get(unit.uri, unit.uri))
            + ("(chatls applied this edit)\n" if unit.own else "")
            for unit in request.recent
        ]
        spec = language_for(document.language_id, document.path)
        variables = {
            "language": spec.name,
            "path": display_path(document, request.workspace_root),
            "edits": "".join(diffs).rstrip("\n") or "(none)",
            "diagnostics": "\n".join(request.diagnostics),
            "cursor": CURSOR,
            "start": START,
            "end": END,
            "above": to_lf(region.above),
            "region": to_lf(region.prompt_text),
            "below": to_lf(region.below).rstrip("\n"),
        }
        own = settings.action("next_edit")
        return prompts.messages(
            "next_edit",
            variables,
            system_override=own.system_prompt,
            user_override=own.prompt,
            with_context=False,
        )

    def _edits(
        self, request: NextEditRequest, index: TextIndex, region: _Region, reply: str
    ) -> list[types.TextEdit]:
        rewritten = _rewritten(
            reply, region.text, dominant_eol(index.text), region.above, region.below
        )
        if rewritten is None or rewritten == region.text:
            log.info("next edit: the model suggested no change")
            return []
        similar = difflib.SequenceMatcher(None, region.text, rewritten, autojunk=False).ratio()
        if similar < LEAST_SIMILAR:
            log.info(
                "next edit: the reply is not a rewrite of the code around the cursor "
                "(similarity %.2f); no suggestion",
                similar,
            )
            return []
        edits = _refined(index, minimal_edits(index, region.start, region.end, rewritten))
        latest = request.recent[-1] if request.recent else None
        if latest is not None and latest.uri == request.document.uri and not latest.own:
            # What the user just typed is theirs: an edit touching it would undo or redo it.
            typed = latest.changed()
            low, high = typed[0], typed[2]
            kept = [e for e in edits if not _touches(index.span(e.range), low, high)]
            if len(kept) < len(edits):
                log.info(
                    "next edit: left out %d edits that change what was just typed",
                    len(edits) - len(kept),
                )
            edits = kept
        edits = _without_noise(index, edits)
        if not edits:
            return []
        changed_lines = sum(
            max(index.line_of(max(a, b - 1)) - index.line_of(a) + 1, e.new_text.count("\n") + 1)
            for e, (a, b) in ((e, index.span(e.range)) for e in edits)
        )
        if len(edits) > MOST_EDITS or changed_lines > MOST_CHANGED_LINES:
            log.info(
                "next edit: %d edits over %d lines is more than a next edit; no suggestion",
                len(edits),
                changed_lines,
            )
            return []
        if _key(request.document.uri, index, edits) in self._dismissed:
            log.info("next edit: the user dismissed this suggestion before")
            return []
        return edits


def _region(index: TextIndex, position: types.Position, settings: Settings) -> _Region:
    offset = index.offset(position)
    line = index.line_of(offset)
    first = max(0, line - settings.next_edit.lines_before)
    last = min(index.line_count - 1, line + settings.next_edit.lines_after)
    start = index.line_span(first)[0]
    end = index.line_span(last)[1]
    text = index.text
    # Whole lines, each with its line break, so the rewrite is whole lines too.
    if end < len(text) and text[end] in "\r\n":
        end += 2 if text.startswith("\r\n", end) else 1
    region = text[start:end]
    marked = region[: offset - start] + CURSOR + region[offset - start :]
    above = index.line_span(max(0, first - READ_ONLY_LINES))[0]
    below = index.line_span(min(index.line_count - 1, last + READ_ONLY_LINES))[1]
    return _Region(start, end, region, marked, text[above:start], text[end:below])


def _rewritten(reply: str, region: str, eol: str, above: str = "", below: str = "") -> str | None:
    """The region as the reply rewrites it, in the document's line breaks and indentation."""
    blocks = code_blocks(reply)
    if blocks:
        code = blocks[0].code
    elif "```" in reply:
        return None
    else:
        code = reply.strip("\n")
    lines = [
        line.replace(CURSOR, "")
        for line in to_lf(code).split("\n")
        if line.strip() not in (START, END)
    ]
    lines = [line.replace(START, "").replace(END, "") for line in lines]
    wanted = to_lf(region).split("\n")
    ended = bool(wanted) and wanted[-1] == ""
    if ended:
        wanted.pop()
        while lines and lines[-1].strip() == "" and len(lines) > len(wanted):
            lines.pop()
    lines = _reindented(_held_to_region(lines, wanted, above, below), wanted)
    if ended:
        lines.append("")
    return eol.join(lines)


def _held_to_region(lines: list[str], wanted: list[str], above: str, below: str) -> list[str]:
    """The rewrite with what small models do at a region's edges undone: lines copied in from
    the read-only code just above or below it dropped, and region lines left out at its start
    or end (a rewrite that stopped early, or began late) put back; in between, a deleted line
    stays deleted."""
    outside = {line.strip() for line in to_lf(above + below).split("\n") if line.strip()}
    matcher = difflib.SequenceMatcher(
        None, [w.strip() for w in wanted], [line.strip() for line in lines], autojunk=False
    )
    codes = matcher.get_opcodes()
    kept: list[str] = []
    for number, (tag, i1, i2, j1, j2) in enumerate(codes):
        edge = number in (0, len(codes) - 1)
        if (
            edge
            and tag == "insert"
            and all(not line.strip() or line.strip() in outside for line in lines[j1:j2])
        ):
            continue
        if edge and tag == "delete":
            kept += wanted[i1:i2]
            continue
        kept += lines[j1:j2]
    return kept


def _reindented(lines: list[str], wanted: list[str]) -> list[str]:
    """``lines`` shifted right when the model dropped the region's common indentation."""

    def least(block: Sequence[str]) -> str | None:
        found = [line[: len(line) - len(line.lstrip())] for line in block if line.strip()]
        return min(found, key=len) if found else None

    have, need = least(lines), least(wanted)
    if have is None or need is None or len(have) >= len(need) or not need.startswith(have):
        return lines
    extra = need[len(have) :]
    return [extra + line if line.strip() else line for line in lines]


def _refined(index: TextIndex, edits: list[types.TextEdit]) -> list[types.TextEdit]:
    """Each single-line edit split into the words it changes (a renamed name at each of its uses
    on the line, not the stretch between the first and the last)."""
    refined: list[types.TextEdit] = []
    for edit in _per_line(index, edits):
        start, end = index.span(edit.range)
        old = index.text[start:end]
        new = edit.new_text
        if "\n" in old or "\n" in new or "\r" in old or "\r" in new:
            refined.append(edit)
            continue
        # Whole words: the line's text around the change takes part in the comparison.
        line_start, line_end = index.line_span(index.line_of(start))
        line_end = max(line_end, end)
        old, new = (
            index.text[line_start:line_end],
            (index.text[line_start:start] + new + index.text[end:line_end]),
        )
        start = line_start
        a, b = _TOKEN.findall(old), _TOKEN.findall(new)
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        at = start
        offsets = [at]
        for token in a:
            at += len(token)
            offsets.append(at)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            refined.append(
                types.TextEdit(
                    range=index.range(offsets[i1], offsets[i2]), new_text="".join(b[j1:j2])
                )
            )
    return refined


def _without_noise(index: TextIndex, edits: list[types.TextEdit]) -> list[types.TextEdit]:
    """The edits less what a next edit never is: a change of whitespace alone (a small model
    re-indenting what it copies), and lines of code the file already holds, copied in (a small
    model writing out a neighbouring function again)."""
    present = {line.strip() for line in index.text.splitlines() if line.strip()}
    kept: list[types.TextEdit] = []
    for edit in edits:
        start, end = index.span(edit.range)
        old = index.text[start:end]
        if "".join(old.split()) == "".join(edit.new_text.split()):
            log.info("next edit: left out an edit of whitespace alone")
            continue
        added = [line.strip() for line in edit.new_text.splitlines() if line.strip()]
        removed = {line.strip() for line in old.splitlines() if line.strip()}
        copied = [line for line in added if line in present and line not in removed]
        if len(added) >= 2 and len(copied) == len(added):
            log.info("next edit: left out %d lines the file already holds, copied in", len(added))
            continue
        kept.append(edit)
    return kept


def _per_line(index: TextIndex, edits: list[types.TextEdit]) -> list[types.TextEdit]:
    """An edit over several lines that keeps their number, as one edit per line."""
    split: list[types.TextEdit] = []
    for edit in edits:
        start, end = index.span(edit.range)
        old_lines = index.text[start:end].split("\n")
        new_lines = edit.new_text.split("\n")
        if len(old_lines) == 1 or len(old_lines) != len(new_lines):
            split.append(edit)
            continue
        at = start
        for old, new in zip(old_lines, new_lines, strict=True):
            length = len(old)
            if old.endswith("\r") and new.endswith("\r"):
                # A CRLF line: the edit stops before its break (LSP has no position inside one).
                old, new = old[:-1], new[:-1]
            if old != new:
                split.append(types.TextEdit(range=index.range(at, at + len(old)), new_text=new))
            at += length + 1
    return split


def _touches(span: tuple[int, int], low: int, high: int) -> bool:
    start, end = span
    return start <= high and end >= low


def _key(uri: str, index: TextIndex, edits: Sequence[types.TextEdit]) -> tuple[object, ...]:
    """A suggestion by what it replaces and with what, wherever that now is."""
    parts: list[object] = [uri]
    for edit in edits:
        start, end = index.span(edit.range)
        around = index.text[max(0, start - 20) : end + 20]
        parts.append((around, index.text[start:end], edit.new_text))
    return tuple(parts)
