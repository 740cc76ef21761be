"""LSP feature handlers, one module per feature. Each stays thin: it adapts a message to a
``ChatlsServer`` method and back."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatls.server import ChatlsServer


def register_all(server: ChatlsServer) -> None:
    from chatls.features import code_actions, hover, inline_completion, lifecycle

    lifecycle.register(server)
    code_actions.register(server)
    hover.register(server)
    inline_completion.register(server)
