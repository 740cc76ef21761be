"""Inline completion under a typing burst: requests, supersession, server overhead, cache hits.

    python bench/inline_completion.py [--bursts N] [--latency MS] [--no-local]
    python bench/inline_completion.py --fim [--qwen M.gguf] [--per-language N] [--no-local]

A simulated user types 20 characters 30 ms apart into a real chatls server (over stdio, the way
an editor does: didChange, then an automatic textDocument/inlineCompletion per keystroke).
The model is the scripted OpenAI-compatible backend on 127.0.0.1 with a fixed latency, then
the built-in local model (llama.cpp serving SmolLM2-135M). Prints, per burst and overall:
backend requests, completed vs cancelled, time from the last keystroke to the returned item
minus the backend's own latency (and minus the debounce), and cache-hit latency.

``--fim`` adds the Qwen coder model (Qwen2.5-Coder-0.5B-Instruct, served by llama.cpp as chatls
serves its built-in model, reached through ``baseUrl``) on real code: the held-out positions of
``bench/completion_confidence.py`` (the rest of a line, or the next lines of a block, in Python,
JavaScript, Go and Rust), each asked of two chatls servers, one with ``inlineCompletion.fim``
``auto`` (the model's name says it was trained for fill-in-the-middle: the completions endpoint
with its FIM tokens) and one with ``off`` (chat), in alternating order. Prints each one's
latency (request to answer, median and p95) and how often its candidate is what the file
really had (right: the held-out text, or a prefix of it ending at a word boundary, whitespace
ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from lsp import noop_round_trip, percentile, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent

TYPED = "values, reverse=True"  # 20 characters
KEYSTROKE_GAP = 0.030
DEBOUNCE_MS = 75
INLINE = {"inlineCompletion": {"debounceMs": DEBOUNCE_MS, "maxTokens": 24}}
SOURCE = "".join(f"def f{i}(values):\n    return sorted(\n\n" for i in range(40))


class Editor:
    """Just enough of an editor: one open document, typing, inline completion requests."""

    def __init__(self, client: LanguageClient, path: Path) -> None:
        self.client = client
        self.uri = path.as_uri()
        self.text = SOURCE
        self.version = 1
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=self.uri, language_id="python", version=1, text=SOURCE
                )
            )
        )

    def type(self, line: int, character: int, text: str) -> None:
        self.version += 1
        here = types.Position(line=line, character=character)
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=self.uri, version=self.version
                ),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=here, end=here), text=text
                    )
                ],
            )
        )

    async def complete(self, line: int, character: int) -> list[str]:
        result = await self.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri),
                position=types.Position(line=line, character=character),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            )
        )
        items = result.items if isinstance(result, types.InlineCompletionList) else result or []
        return [str(item.insert_text) for item in items]


async def burst(editor: Editor, line: int) -> tuple[float, list[str]]:
    """Type TYPED at the end of ``line``, one automatic request per keystroke; returns the time
    from the last keystroke to the last answer, and that answer."""
    start_col = len("    return sorted(")
    pending = []
    last_keystroke = 0.0
    for number, char in enumerate(TYPED):
        editor.type(line, start_col + number, char)
        last_keystroke = time.monotonic()
        pending.append(asyncio.ensure_future(editor.complete(line, start_col + number + 1)))
        if number < len(TYPED) - 1:
            await asyncio.sleep(KEYSTROKE_GAP)
    answers = await asyncio.gather(*pending)
    return time.monotonic() - last_keystroke, answers[-1]


def _stats(url: str) -> tuple[list[dict[str, float]], int]:
    data = json.loads(urllib.request.urlopen(url.removesuffix("/v1") + "/stats", timeout=10).read())
    return data["requests"], data["disconnects"]


def start_process(command: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    """A helper server in its own process (so its timing is not disturbed by this one) and
    the URL it prints."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None
    return process, process.stdout.readline().decode().strip()


def stop_process(process: subprocess.Popen[bytes]) -> None:
    assert process.stdin is not None
    process.stdin.close()  # both helpers exit when their stdin closes
    process.wait(timeout=30)


async def run_scripted(url: str, bursts: int, latency_ms: int, workspace: Path) -> None:
    client = await start_server(url, workspace, INLINE)
    editor = Editor(client, workspace / "bench.py")
    overheads, raw, requests_per_burst, cancelled = [], [], [], 0
    cache_hits: list[float] = []
    noops: list[float] = []
    typed_hits: list[float] = []
    for number in range(bursts):
        line = 1 + 3 * number
        before, disconnects_before = (len(x) if isinstance(x, list) else x for x in _stats(url))
        elapsed, answer = await burst(editor, line)
        records, disconnects = _stats(url)
        served = records[before:]
        final = served[-1]
        backend_latency = final["finished"] - final["received"]
        requests_per_burst.append(len(served))
        cancelled += disconnects - disconnects_before
        raw.append(elapsed * 1000)
        overheads.append((elapsed - backend_latency - DEBOUNCE_MS / 1000) * 1000)
        # The same context again (the editor re-asking after a cursor move, say): the cache.
        col = len("    return sorted(") + len(TYPED)
        started = time.monotonic()
        again = await editor.complete(line, col)
        cache_hits.append((time.monotonic() - started) * 1000)
        # The user types the suggestion's first characters: the rest comes from the cache too.
        editor.type(line, col, ", k")
        started = time.monotonic()
        rest = await editor.complete(line, col + 3)
        typed_hits.append((time.monotonic() - started) * 1000)
        assert rest == ["ey=str)"], rest
        noops.append(await noop_round_trip(client, editor.uri))
        assert again == answer, (again, answer)
        assert len(_stats(url)[0]) == before + len(served), "cache hit reached the backend"
    await stop_server(client)
    completed = sum(requests_per_burst) - cancelled
    print(
        f"scripted backend, {latency_ms} ms latency, {bursts} bursts of {len(TYPED)} keystrokes "
        f"{KEYSTROKE_GAP * 1000:.0f} ms apart, debounce {DEBOUNCE_MS} ms"
    )
    print(
        f"  backend requests per burst: max {max(requests_per_burst)}, "
        f"mean {statistics.mean(requests_per_burst):.2f} ({completed} completed, {cancelled} cancelled)"
    )
    print(
        f"  last keystroke -> item: median {statistics.median(raw):.1f} ms, p95 {percentile(raw, 95):.1f} ms"
    )
    print(
        f"  server overhead (minus backend latency and debounce): median "
        f"{statistics.median(overheads):.2f} ms, p95 {percentile(overheads, 95):.2f} ms"
    )
    transport = statistics.median(noops)
    print(
        f"  typing into a suggestion (rest from the cache): median "
        f"{statistics.median(typed_hits):.2f} ms, p95 {percentile(typed_hits, 95):.2f} ms"
    )
    print(
        f"  cache hit: median {statistics.median(cache_hits):.2f} ms, p95 "
        f"{percentile(cache_hits, 95):.2f} ms (round trip over stdio)"
    )
    print(
        f"  a no-op request's round trip (the transport alone): median {transport:.2f} ms; so a "
        f"cache hit costs {statistics.median(cache_hits) - transport:.2f} ms in the server and "
        f"the server overhead without the transport is {statistics.median(overheads) - transport:.2f} ms"
    )


async def client_alone(url: str, requests: int = 30) -> float:
    """The same kind of request through chatls's model client (the openai SDK) alone, outside
    the server: how much of the overhead is the SDK and HTTP on loopback."""
    from chatls.model.client import ModelClient
    from chatls.model.request import ChatRequest, Endpoint

    client = ModelClient(Endpoint(url, "sk-bench-0000000000", 10, 0))
    messages = [{"role": "system", "content": "s" * 300}, {"role": "user", "content": "x" * 2000}]
    overheads = []
    for number in range(requests + 2):
        started = time.monotonic()
        await client.chat(
            ChatRequest(
                model="bench", messages=messages, max_tokens=24, stop=["\n\n\n"], usage=False
            )
        )
        elapsed = time.monotonic() - started
        final = _stats(url)[0][-1]
        if number >= 2:  # the first requests open the connection and warm the SDK up
            overheads.append((elapsed - (final["finished"] - final["received"])) * 1000)
    await client.close()
    return statistics.median(overheads)


def _metric(url: str, name: str) -> float:
    text = urllib.request.urlopen(f"{url}/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def run_local(bursts: int, workspace: Path, context: int | None) -> None:
    """Bursts against the built-in local backend exactly as a user gets it: chatls starts
    llama.cpp itself (its slots, cache settings and budgets); its log says where, for the
    /metrics figures."""
    inline = dict(INLINE["inlineCompletion"])
    if context:
        inline["contextTokens"] = context
    log_file = workspace / "chatls-local.log"
    client = await start_server(
        "http://127.0.0.1:9/v1",
        workspace,
        {"backend": "local", "localThreads": 2, "inlineCompletion": inline},
        log_file,
    )
    editor = Editor(client, workspace / "bench_local.py")
    # The first request starts the model; not part of the figures.
    await editor.complete(0, 0)
    found = re.search(r"local model server ready at (\S+)/v1", log_file.read_text())
    assert found, "chatls did not start its local model"
    url = found.group(1)
    raw, overheads = [], []
    read: list[float] = []
    written: list[float] = []
    reading: list[float] = []
    for number in range(bursts):
        line = 1 + 3 * number
        seconds_before = _metric(url, "llamacpp:prompt_seconds_total") + _metric(
            url, "llamacpp:tokens_predicted_seconds_total"
        )
        read_before = _metric(url, "llamacpp:prompt_tokens_total")
        written_before = _metric(url, "llamacpp:tokens_predicted_total")
        prompt_before = _metric(url, "llamacpp:prompt_seconds_total")
        elapsed, suggestions = await burst(editor, line)
        if number == bursts - 1:
            print(f"  the last burst's suggestions: {suggestions!r}")
        model_seconds = (
            _metric(url, "llamacpp:prompt_seconds_total")
            + _metric(url, "llamacpp:tokens_predicted_seconds_total")
        ) - seconds_before
        raw.append(elapsed * 1000)
        overheads.append((elapsed - model_seconds - DEBOUNCE_MS / 1000) * 1000)
        read.append(_metric(url, "llamacpp:prompt_tokens_total") - read_before)
        written.append(_metric(url, "llamacpp:tokens_predicted_total") - written_before)
        reading.append((_metric(url, "llamacpp:prompt_seconds_total") - prompt_before) * 1000)
    await stop_server(client)
    budget = context or "the local backend's default"
    print(
        f"built-in local model (SmolLM2-135M, chatls's local backend, 2 threads), {bursts} "
        f"bursts, inlineCompletion.contextTokens {budget}"
    )
    print(
        f"  last keystroke -> item: median {statistics.median(raw):.0f} ms, p95 {percentile(raw, 95):.0f} ms"
    )
    print(
        f"  per burst, llama.cpp read {statistics.median(read):.0f} prompt tokens (median; the "
        f"rest came from its cache) in {statistics.median(reading):.0f} ms and wrote "
        f"{statistics.median(written):.0f}"
    )
    print(
        f"  minus the model's own compute time (from llama.cpp's /metrics) and the debounce: median "
        f"{statistics.median(overheads):.1f} ms, p95 {percentile(overheads, 95):.1f} ms "
        "(includes llama.cpp's HTTP handling and queueing)"
    )


QWEN = "/work/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


async def run_fim(qwen: Path, args: argparse.Namespace) -> None:
    """The Qwen coder model on held-out real code, with and without fill-in-the-middle."""
    import tempfile

    from chatls.model.local import child_command
    from completion_confidence import Editor as CodeEditor
    from completion_confidence import all_positions, judge
    from completion_confidence import start_process as start_helper
    from completion_confidence import stop_process as stop_helper

    positions = all_positions(args.per_language, args.cluster, args.seed)
    lines = sum(p.kind == "line" for p in positions)
    print(
        f"{qwen.name} ({args.threads} threads) on {len(positions)} held-out positions "
        f"({lines} rest of a line, {len(positions) - lines} next lines) in "
        f"{len({p.language for p in positions})} languages, inlineCompletion.contextTokens "
        f"{args.context_tokens}",
        flush=True,
    )
    llama, url = start_helper(child_command(qwen, args.threads, 4096))
    arms = {"fim": "auto", "chat": "off"}
    results: dict[str, list[tuple[float, str]]] = {arm: [] for arm in arms}
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workspace = Path(tmp)
            editors = {}
            for arm, fim in arms.items():
                settings = {
                    "inlineCompletion": {
                        "debounceMs": 0,
                        "contextTokens": args.context_tokens,
                        "model": qwen.stem,
                        "fim": fim,
                    }
                }
                log_file = workspace / f"chatls-{arm}.log"
                client = await start_server(f"{url}/v1", workspace, settings, log_file, "debug")
                editors[arm] = (CodeEditor(client, workspace), log_file)
            for index, position in enumerate(positions):
                if time.monotonic() - started > args.minutes * 60:
                    print(f"  --minutes {args.minutes} reached: stopping")
                    break
                order = list(arms) if index % 2 == 0 else list(arms)[::-1]
                verdicts = []
                for arm in order:
                    shown, elapsed = await editors[arm][0].complete(position)
                    verdict = judge(shown[0], position.held) if shown else "none"
                    results[arm].append((elapsed, verdict))
                    verdicts.append(f"{arm} {elapsed / 1000:4.1f} s {verdict:<6} {shown[:1]!r}")
                print(
                    f"  {index + 1:3}/{len(positions)} {position.id:<40} held {position.held!r}\n"
                    + "\n".join(f"        {v}" for v in verdicts),
                    flush=True,
                )
            fim_log = editors["fim"][1].read_text()
            chat_log = editors["chat"][1].read_text()
            for editor, _ in editors.values():
                await stop_server(editor.client)
    finally:
        stop_helper(llama)
    assert "/v1/completions" in fim_log and "/v1/completions" not in chat_log
    for arm, label in (("chat", "chat (fim off)"), ("fim", "fill-in-the-middle (fim auto)")):
        done = results[arm]
        if not done:
            continue
        times = [elapsed for elapsed, _ in done]
        right = sum(verdict in ("exact", "prefix") for _, verdict in done)
        exact = sum(verdict == "exact" for _, verdict in done)
        empty = sum(verdict == "none" for _, verdict in done)
        print(
            f"  {label}: right {right}/{len(done)} ({right / len(done):.0%}; {exact} exact), "
            f"{empty} without a candidate; request -> answer median "
            f"{statistics.median(times):.0f} ms, p95 {percentile(times, 95):.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bursts", type=int, default=20)
    parser.add_argument("--latency", type=int, default=100, help="scripted backend latency, ms")
    parser.add_argument("--no-local", action="store_true")
    parser.add_argument(
        "--local-context",
        type=int,
        default=0,
        help="inlineCompletion.contextTokens for the local part (default: the local backend's)",
    )
    parser.add_argument("--fim", action="store_true", help="the Qwen coder model, FIM on and off")
    parser.add_argument("--qwen", default=QWEN, help="Qwen2.5-Coder GGUF for --fim")
    parser.add_argument("--per-language", type=int, default=4, help="--fim positions per language")
    parser.add_argument("--cluster", type=int, default=4, help="--fim positions per stretch")
    parser.add_argument("--seed", type=int, default=27)
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads for --fim")
    parser.add_argument("--context-tokens", type=int, default=1024, help="for --fim")
    parser.add_argument("--minutes", type=float, default=10, help="--fim stops after this")
    args = parser.parse_args()
    import tempfile

    if args.fim:
        asyncio.run(run_fim(Path(args.qwen), args))

    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        (workspace / "bench.py").write_text(SOURCE)
        (workspace / "bench_local.py").write_text(SOURCE)
        backend, url = start_process(
            [
                sys.executable,
                "-m",
                "chatls_testing.scripted_backend",
                str(args.latency),
                ", key=str)",
            ]
        )
        try:
            asyncio.run(run_scripted(url, args.bursts, args.latency, workspace))
            sdk = asyncio.run(client_alone(url))
            print(
                f"  of which the model client alone (openai SDK + HTTP on loopback): median {sdk:.2f} ms"
            )
        finally:
            stop_process(backend)
        if args.no_local:
            return
        from chatls.model.local import INSTALL_HINT, available

        if not available():
            print(f"built-in local model: not installed ({INSTALL_HINT})")
            return
        asyncio.run(run_local(max(3, args.bursts // 4), workspace, args.local_context))


if __name__ == "__main__":
    main()
