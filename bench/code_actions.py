"""Code action listing on a 10,000-line file: what the lightbulb costs.

    python bench/code_actions.py [--requests N]

Listing must never parse or call a model; this measures the round trip of
textDocument/codeAction (with a diagnostic, so Fix is offered too) against a no-op request.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from lsprotocol import types

from lsp import noop_round_trip, percentile, start_server, stop_server

SOURCE = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(3400))


async def run(requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.py"
        path.write_text(SOURCE)
        # No model is ever reached; the URL only has to be well formed.
        client = await start_server("http://127.0.0.1:9/v1", Path(tmp))
        uri = path.as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=SOURCE
                )
            )
        )
        timings, noops = [], []
        for number in range(requests):
            line = 1 + 3 * (number % 3000)
            selection = types.Range(
                start=types.Position(line=line, character=4),
                end=types.Position(line=line, character=16),
            )
            diagnostic = types.Diagnostic(range=selection, message="possible bug")
            started = time.monotonic()
            actions = await client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=selection,
                    context=types.CodeActionContext(diagnostics=[diagnostic]),
                )
            )
            timings.append((time.monotonic() - started) * 1000)
            # The four everywhere, Add types and Write tests (in a Python function), one Fix.
            assert actions is not None and len(actions) == 7, actions
            noops.append(await noop_round_trip(client, uri))
        await stop_server(client)
    print(f"code actions on a {SOURCE.count(chr(10))}-line file, {requests} requests")
    print(
        f"  round trip: median {statistics.median(timings):.2f} ms, p95 {percentile(timings, 95):.2f} ms "
        f"(a no-op request: median {statistics.median(noops):.2f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    asyncio.run(run(parser.parse_args().requests))


if __name__ == "__main__":
    main()
