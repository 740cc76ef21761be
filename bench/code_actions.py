"""Code action listing on a 10,000-line file: what the lightbulb costs.

    python bench/code_actions.py [--requests N]

Listing never calls a model. Three figures, each the round trip of textDocument/codeAction
against a no-op request:

- a diagnostic whose message names no symbol ("possible bug"): Fix is offered, nothing is
  parsed;
- a diagnostic that names an undefined symbol (Ruff's "Undefined name `cuont`"), the document
  unchanged between requests: the model-free quick fix looks the name up in a parse kept for
  the document's version;
- the same while typing: every request follows an edit, so every request parses the file.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from lsp import noop_round_trip, percentile, start_server, stop_server

# Every function holds a misspelt name, for the diagnostic that names one.
SOURCE = "".join(f"def f{i}(count):\n    return cuont + {i}\n\n" for i in range(3400))


async def _list(
    client: LanguageClient, uri: str, line: int, message: str
) -> tuple[float, list[types.CodeAction | types.Command]]:
    selection = types.Range(
        start=types.Position(line=line, character=11),
        end=types.Position(line=line, character=16),
    )
    diagnostic = types.Diagnostic(range=selection, message=message, source="Ruff")
    started = time.monotonic()
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=selection,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    return (time.monotonic() - started) * 1000, list(actions or [])


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
        figures: dict[str, list[float]] = {"plain": [], "named": [], "typing": []}
        noops = []
        version = 1
        for number in range(requests):
            line = 1 + 3 * (number % 3000)
            took, actions = await _list(client, uri, line, "possible bug")
            figures["plain"].append(took)
            # The four everywhere, Add types and Write tests (in a Python function), one Fix.
            assert len(actions) == 7, actions
            took, actions = await _list(client, uri, line, "Undefined name `cuont`")
            figures["named"].append(took)
            # And the model-free fix, "Replace `cuont` with `count`" (none before issue 20).
            assert len(actions) in (7, 8), actions
            noops.append(await noop_round_trip(client, uri))
        for number in range(requests):
            line = 1 + 3 * (number % 3000)
            version += 1
            # A keystroke at the end of the file: a new version, so a new parse.
            end = types.Position(line=SOURCE.count("\n") + number, character=0)
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[
                        types.TextDocumentContentChangePartial(
                            range=types.Range(start=end, end=end), text="\n"
                        )
                    ],
                )
            )
            took, actions = await _list(client, uri, line, "Undefined name `cuont`")
            figures["typing"].append(took)
        await stop_server(client)
    print(f"code actions on a {SOURCE.count(chr(10))}-line file, {requests} requests each")
    labels = {
        "plain": "a diagnostic naming no symbol",
        "named": "a diagnostic naming a symbol, same version",
        "typing": "a diagnostic naming a symbol, after an edit",
    }
    for key, label in labels.items():
        timings = figures[key]
        print(
            f"  {label}: median {statistics.median(timings):.2f} ms, "
            f"p95 {percentile(timings, 95):.2f} ms"
        )
    print(f"  a no-op request: median {statistics.median(noops):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    asyncio.run(run(parser.parse_args().requests))


if __name__ == "__main__":
    main()
