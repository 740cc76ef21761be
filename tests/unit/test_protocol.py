"""chatls's protocol over pygls's: a handled notification leaves nothing behind (pygls 2.1
keeps every notification's future under a made-up id; a day of typing kept thousands)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from chatls.lsp.app import create_server


class _Writer:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def write(self, data: bytes | str) -> None:
        text = data.decode() if isinstance(data, bytes) else data
        self.sent.append(json.loads(text.split("\r\n\r\n", 1)[1]))

    def close(self) -> None:
        pass


async def test_notifications_and_their_handlers_leave_no_futures(tmp_path: Path) -> None:
    server = create_server()
    protocol = server.protocol
    writer = _Writer()
    protocol.set_writer(writer)

    def send(message: dict[str, Any]) -> None:
        protocol.handle_message(protocol.structure_message({"jsonrpc": "2.0", **message}))

    send(
        {
            "id": 1,
            "method": "initialize",
            "params": {"capabilities": {}, "rootUri": tmp_path.as_uri(), "processId": None},
        }
    )
    send({"method": "initialized", "params": {}})
    uri = (tmp_path / "a.py").as_uri()
    send(
        {
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {
                    "uri": uri,
                    "languageId": "python",
                    "version": 1,
                    "text": "x = 1\n",
                }
            },
        }
    )
    for version in range(2, 202):
        send(
            {
                "method": "textDocument/didChange",
                "params": {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [{"text": f"x = {version}\n"}],
                },
            }
        )
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert any(message.get("id") == 1 and "result" in message for message in writer.sent)
    assert server.workspace.get_text_document(uri).source == "x = 201\n"
    assert len(protocol._request_futures) == 0, list(protocol._request_futures.values())[:3]
