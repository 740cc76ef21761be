"""LSP feature handlers, one module per feature. Each stays thin: it adapts a message to the
server's state and the modules beside it, and back."""

from __future__ import annotations

from chatls.lsp.server import ChatlsServer


def register_all(server: ChatlsServer) -> None:
    from chatls.lsp.features import (
        code_actions,
        history,
        hover,
        inline_completion,
        lifecycle,
        next_edit,
        review,
        workspace_files,
    )

    lifecycle.register(server)
    code_actions.register(server)
    history.register(server)
    hover.register(server)
    next_edit.register(server)
    inline_completion.register(server)
    review.register(server)
    workspace_files.register(server)
