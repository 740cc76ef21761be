"""What running an action takes and gives: the request, the result, the documents and tests it
writes. The actions themselves are declared in their own modules (``chatls.actions.registry``).
Cheap to import."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
from lsprotocol import types

from chatls.source.document import Document
from chatls.source.text import Encoding

if TYPE_CHECKING:
    from chatls.actions.conversation import Conversation


@attrs.frozen
class NewDocument:
    """A document an action wrote (never a change to the source): the editor opens it."""

    text: str
    language_id: str
    name: str
    """A name for it: beside the source, in the target language's extension."""
    path: str | None = None
    """Where it belongs (Write tests' test file); None: wherever the user likes."""
    append: bool = False
    """``path`` exists: the text goes at its end, never over what it holds."""
    imports: tuple[str, ...] = ()
    """Appending: import lines the file lacks, to go after its own imports."""

    def free_path(self, directory: str) -> str:
        """Where it can go in ``directory`` without replacing a file: its name, else the name
        with ``.2``, ``.3``... before the extension."""
        stem, extension = os.path.splitext(self.name)
        candidate = os.path.join(directory, self.name)
        number = 2
        while os.path.exists(candidate):
            candidate = os.path.join(directory, f"{stem}.{number}{extension}")
            number += 1
        return candidate


@attrs.frozen
class TestsWritten:
    """The tests Write tests wrote, as their runner names them (for ``tests.run``)."""

    __test__ = False  # not a pytest test class, whatever its name

    framework: str
    names: tuple[str, ...]
    path: str
    """The file that holds them: the test file, or (Rust) the source file."""
    project: str
    """The project's root, where its runner runs."""
    language_id: str
    module: str = ""
    """Rust: the test module's name."""


@attrs.frozen
class ActionRequest:
    action: str
    document: Document
    range: types.Range
    encoding: Encoding = "utf-16"
    diagnostic: types.Diagnostic | None = None
    diagnostics: Sequence[types.Diagnostic] = ()
    instruction: str | None = None
    workspace_root: str | None = None
    question: str | None = None
    conversation: Conversation | None = None
    """The thread a Refine or an Ask follow-up continues."""
    language: str | None = None
    """Translate: the language to translate into."""


@attrs.frozen
class ActionResult:
    action: str
    document: Document
    range: types.Range
    """What the result is about: the explained code, or the region that was rewritten."""
    edits: tuple[types.TextEdit, ...] = ()
    markdown: str | None = None
    new_document: NewDocument | None = None
    prompt_tokens: int = 0
    conversation: Conversation | None = None
    """The thread including this answer: the messages sent and the reply, verbatim."""
    tests: TestsWritten | None = None
    """Write tests: what it wrote, once the result is applied."""
    model: str = ""
    """The model that answered."""
    usage: dict[str, int] | None = None
    """The backend's token counts for the answer, when it reported them."""
    remote_id: str | None = None
    """The backend's id for the completion (to set its metadata when it was stored)."""

    def workspace_edit(self) -> types.WorkspaceEdit:
        """The edits, pinned to the version they were computed from."""
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=self.document.uri, version=self.document.version
                    ),
                    edits=list(self.edits),
                )
            ]
        )
