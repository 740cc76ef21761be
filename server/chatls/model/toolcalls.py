"""Tool calls as a streamed reply delivers them: pieces of ``delta.tool_calls``, assembled by
their ``index`` into whole calls (a call's id and name come first, its JSON arguments in
fragments across many chunks)."""

from __future__ import annotations

import json
from typing import Any

import attrs


@attrs.frozen
class ToolCall:
    """One call the model asked for: ``arguments`` is the JSON text exactly as the model wrote
    it (it may not parse)."""

    id: str
    name: str
    arguments: str

    def message(self) -> dict[str, Any]:
        """The call as it goes back in the assistant message's ``tool_calls``."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@attrs.define
class _Parts:
    id: str = ""
    name: str = ""
    arguments: list[str] = attrs.field(factory=list)


class ToolCallParts:
    """The calls of one choice, assembled from its deltas."""

    def __init__(self) -> None:
        self._calls: dict[int, _Parts] = {}
        self._last: int | None = None

    def __bool__(self) -> bool:
        return bool(self._calls)

    def add(self, deltas: Any) -> None:
        """One chunk's ``delta.tool_calls``; entries that are not objects are skipped (a call
        the model garbled is answered with an error later, not a crash here)."""
        if not isinstance(deltas, list):
            return
        for delta in deltas:
            if not isinstance(delta, dict):
                continue
            index = delta.get("index")
            call_id = delta.get("id")
            if not isinstance(index, int) or isinstance(index, bool):
                # Servers that leave out the index send a call's first piece with its id: a new
                # id starts a call, the pieces after it continue the latest one.
                if (isinstance(call_id, str) and call_id) or self._last is None:
                    index = max(self._calls, default=-1) + 1
                else:
                    index = self._last
            parts = self._calls.setdefault(index, _Parts())
            self._last = index
            if isinstance(call_id, str) and call_id:
                parts.id = call_id
            function = delta.get("function")
            if not isinstance(function, dict):
                continue
            name = function.get("name")
            # Most servers send the name whole, once; some repeat it in every piece.
            if isinstance(name, str) and name and name != parts.name:
                parts.name = name if not parts.name or parts.arguments else parts.name + name
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                parts.arguments.append(arguments)
            elif isinstance(arguments, dict):
                # A few servers send the arguments already parsed.
                parts.arguments.append(json.dumps(arguments))

    def calls(self) -> list[ToolCall]:
        """The calls in index order; a call without an id gets one (tool results must name it)."""
        return [
            ToolCall(parts.id or f"call_{index}", parts.name, "".join(parts.arguments))
            for index, parts in sorted(self._calls.items())
        ]
