"""The editor side of end-to-end tests: open documents, typing, and applying the server's edits
the way a real editor does (versions checked, positions in the negotiated encoding).

Deliberately independent of chatls's own text code, so the tests check it rather than echo it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types

_BREAK = re.compile(r"\r\n|\r|\n")


def _units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def offset_of(text: str, position: types.Position, encoding: str = "utf-16") -> int:
    starts = [0] + [m.end() for m in _BREAK.finditer(text)]
    if position.line >= len(starts):
        raise AssertionError(f"position {position} beyond the document")
    start = starts[position.line]
    end_match = _BREAK.search(text, start)
    end = end_match.start() if end_match else len(text)
    line = text[start:end]
    count = 0
    for index, ch in enumerate(line):
        if count >= position.character:
            return start + index
        count += _units(ch, encoding)
    if count < position.character:
        raise AssertionError(f"character {position.character} beyond line {position.line}")
    return start + len(line)


def position_of(text: str, offset: int, encoding: str = "utf-16") -> types.Position:
    before = text[:offset]
    lines = _BREAK.split(before)
    return types.Position(line=len(lines) - 1, character=_units(lines[-1], encoding))


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    spans = sorted(
        (
            (
                offset_of(text, e.range.start, encoding),
                offset_of(text, e.range.end, encoding),
                e.new_text,
            )
            for e in edits
        ),
        key=lambda s: (s[0], s[1]),
    )
    out, cursor = [], 0
    for start, end, new in spans:
        assert start >= cursor, "overlapping edits"
        out.append(text[cursor:start])
        out.append(new)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


@dataclass
class Doc:
    text: str
    version: int
    language_id: str


@dataclass
class Editor:
    client: Any
    root: Path
    encoding: str = "utf-16"
    docs: dict[str, Doc] = field(default_factory=dict)
    applied: list[types.WorkspaceEdit] = field(default_factory=list)
    refuse: bool = False

    def open(self, name: str, text: str, language_id: str = "python") -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        uri = path.as_uri()
        self.docs[uri] = Doc(text, 1, language_id)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language_id, version=1, text=text
                )
            )
        )
        return uri

    def close(self, uri: str) -> None:
        self.docs.pop(uri)
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    def text(self, uri: str) -> str:
        return self.docs[uri].text

    def range_of(self, uri: str, needle: str, occurrence: int = 0) -> types.Range:
        """The range of the ``occurrence``-th match of ``needle`` in the document."""
        text = self.docs[uri].text
        start = -1
        for _ in range(occurrence + 1):
            start = text.index(needle, start + 1)
        return types.Range(
            start=position_of(text, start, self.encoding),
            end=position_of(text, start + len(needle), self.encoding),
        )

    def type(self, uri: str, range_: types.Range, new_text: str) -> None:
        doc = self.docs[uri]
        doc.text = apply_edits(
            doc.text, [types.TextEdit(range=range_, new_text=new_text)], self.encoding
        )
        doc.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=doc.version),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=range_, text=new_text)
                ],
            )
        )

    def apply(self, edit: types.WorkspaceEdit) -> types.ApplyWorkspaceEditResult:
        """What an editor does with ``workspace/applyEdit``: refuse stale versions, else apply.
        ``CreateFile`` makes the file on disk (failing if it exists, unless told otherwise),
        and an unversioned edit of a file that is not open edits it on disk."""
        if self.refuse:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="refused by test")
        created: set[str] = set()
        for change in edit.document_changes or []:
            if isinstance(change, types.CreateFile):
                options = change.options
                allowed = options is not None and (options.overwrite or options.ignore_if_exists)
                if _path(change.uri).exists() and not allowed:
                    return types.ApplyWorkspaceEditResult(
                        applied=False, failure_reason=f"{change.uri} exists"
                    )
                created.add(change.uri)
                continue
            assert isinstance(change, types.TextDocumentEdit)
            uri = change.text_document.uri
            doc = self.docs.get(uri)
            unopened = doc is None and change.text_document.version is None
            if unopened and (uri in created or _path(uri).exists()):
                continue
            if doc is None or change.text_document.version != doc.version:
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="stale version")
        for change in edit.document_changes or []:
            if isinstance(change, types.CreateFile):
                path = _path(change.uri)
                if not path.exists() or (change.options and change.options.overwrite):
                    # Like VS Code and Neovim, the folders it needs are created with it.
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text("", encoding="utf-8")
                continue
            assert isinstance(change, types.TextDocumentEdit)
            if change.text_document.uri not in self.docs:
                path = _path(change.text_document.uri)
                text = path.read_text(encoding="utf-8")
                path.write_text(apply_edits(text, list(change.edits), self.encoding), "utf-8")
                continue
            doc = self.docs[change.text_document.uri]
            doc.text = apply_edits(doc.text, list(change.edits), self.encoding)
            doc.version += 1
            self.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(
                        uri=change.text_document.uri, version=doc.version
                    ),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=doc.text)],
                )
            )
        self.applied.append(edit)
        return types.ApplyWorkspaceEditResult(applied=True)


def _path(uri: str) -> Path:
    return Path(unquote(urlparse(uri).path))
