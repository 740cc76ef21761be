"""Document sync with LSP's own line model.

pygls applies incremental changes on ``str.splitlines``, which also breaks lines at form feeds,
U+2028 and other characters LSP does not count as line ends; a file containing one would drift
from the editor's copy, and every edit computed on it would land in the wrong place.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from chatls.source.text import TextIndex, normalize_encoding, remember, text_index


class ChatlsTextDocument(TextDocument):
    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        index = text_index(self.source, normalize_encoding(self.position_codec.encoding))
        start = _clamped_offset(index, change.range.start)
        end = max(start, _clamped_offset(index, change.range.end))
        updated = remember(index.replaced(start, end, change.text))
        self._source = updated.text


def _clamped_offset(index: TextIndex, position: types.Position) -> int:
    if position.line >= index.line_count:
        return len(index.text)
    return index.offset(position)


class ChatlsWorkspace(Workspace):
    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return ChatlsTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )


def replace_workspace(workspace: Workspace) -> ChatlsWorkspace:
    """A ChatlsWorkspace with the same roots and encoding as pygls's fresh one."""
    attributes: dict[str, Any] = {
        "root_uri": workspace.root_uri,
        "sync_kind": workspace._sync_kind,
        "workspace_folders": list(workspace.folders.values()),
        "position_encoding": workspace.position_encoding,
    }
    return ChatlsWorkspace(**attributes)
