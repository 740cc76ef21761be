"""docs/protocol.md documents exactly the commands the running server registers."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import Start

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented_commands() -> set[str]:
    """The commands docs/protocol.md documents: one `### `chatls.…`` heading each."""
    text = PROTOCOL.read_text(encoding="utf-8")
    return set(re.findall(r"^### `(chatls\.[\w.-]+)`", text, re.M))


async def test_protocol_doc_lists_every_registered_command(start: Start) -> None:
    session = await start()
    provider = session.server_capabilities.execute_command_provider
    assert provider is not None
    registered = set(provider.commands)
    documented = documented_commands()
    assert not registered - documented, (
        f"docs/protocol.md does not document {sorted(registered - documented)}: add a "
        "`### `<command>`` section for each"
    )
    assert not documented - registered, (
        f"docs/protocol.md documents {sorted(documented - registered)}, which the server does "
        "not register"
    )
