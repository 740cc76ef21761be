"""One command of the project's, run the careful way: in its own process group (so a time limit
or a cancellation stops everything it started), without network, without chatls's own secrets
in its environment, never blocking the event loop.

No network: a new network namespace (``unshare --net``; with ``--user --map-root-user`` when
chatls is not root) where the kernel allows it, which leaves the command no interface but a
loopback that is down. Where it does not (macOS, Windows, kernels without unprivileged user
namespaces), the environment points every proxy variable at a closed port and sets each
runner's offline switch (``CARGO_NET_OFFLINE``, ``GOPROXY=off``, ``npm_config_offline``,
``PIP_NO_INDEX``): downloads by the tools fail, but code that opens its own sockets is not
stopped. ``isolation()`` says which applies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
import time

import attrs

log = logging.getLogger(__name__)

_OUTPUT_KEPT = 400_000
"""Characters of a command's output kept (its end, where runners put their summaries)."""
_CLOSED_PORT = "http://127.0.0.1:9"
_OFFLINE = {
    "CARGO_NET_OFFLINE": "true",
    "GOPROXY": "off",
    "GOTOOLCHAIN": "local",
    "GOSUMDB": "off",
    "npm_config_offline": "true",
    "PIP_NO_INDEX": "1",
    "UV_OFFLINE": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "CI": "1",
    "NO_COLOR": "1",
    "FORCE_COLOR": "0",
    "CARGO_TERM_COLOR": "never",
}
_PROXIES = (
    "http_proxy",
    "https_proxy",
    "ftp_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "FTP_PROXY",
    "ALL_PROXY",
)


@attrs.frozen
class Finished:
    """A command's end: its exit code (None: stopped at the time limit), its output (stdout
    and stderr together) and how long it ran."""

    code: int | None
    output: str
    seconds: float


_isolation: list[str] | None = None


async def isolation() -> tuple[list[str], str]:
    """The prefix that takes the network away from a command, and what it does."""
    global _isolation
    if _isolation is None:
        _isolation = await _find_isolation()
    if _isolation:
        return _isolation, "a network namespace of its own (no network)"
    return [], "proxies pointed at a closed port and the runners' offline switches"


async def _find_isolation() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare is None or not sys.platform.startswith("linux"):
        return []
    candidates = [[unshare, "--user", "--map-root-user", "--net"]]
    if os.geteuid() == 0:
        candidates.insert(0, [unshare, "--net"])
    for prefix in candidates:
        try:
            process = await asyncio.create_subprocess_exec(
                *prefix,
                "true",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            if await asyncio.wait_for(process.wait(), 10) == 0:
                return prefix
        except (OSError, TimeoutError) as error:
            log.debug("%s unusable: %s", prefix, error)
    log.info("no network namespace available: running tests with the network blocked by proxies")
    return []


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The command's environment: the server's, without its model settings (``OPENAI_*``),
    with every proxy pointed at a closed port and the runners told to stay offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    for name in _PROXIES:
        env[name] = _CLOSED_PORT
    env["no_proxy"] = env["NO_PROXY"] = ""
    env.update(_OFFLINE)
    env.update(extra or {})
    return env


async def execute(
    argv: list[str],
    cwd: str,
    time_limit: float,
    env: dict[str, str] | None = None,
) -> Finished:
    """Run ``argv`` in ``cwd`` without network; stopped (the whole process group) at
    ``time_limit`` seconds or when the calling task is cancelled."""
    prefix, _ = await isolation()
    started = time.monotonic()
    log.info("running %s in %s", " ".join(argv), cwd)
    process = await asyncio.create_subprocess_exec(
        *prefix,
        *argv,
        cwd=cwd,
        env=env or environment(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), time_limit)
    except TimeoutError:
        await _stop(process)
        return Finished(None, "", time.monotonic() - started)
    except BaseException:
        await _stop(process)
        raise
    text = output.decode("utf-8", "replace")[-_OUTPUT_KEPT:]
    return Finished(process.returncode, text, time.monotonic() - started)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        # Only the group the command leads (start_new_session): never one its pid might have
        # been handed to since.
        if hasattr(os, "killpg") and os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    with contextlib.suppress(TimeoutError, ProcessLookupError):
        await asyncio.wait_for(process.wait(), 5)
