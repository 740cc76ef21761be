"""Reading a prompt's start into the built-in model's cache while the model has nothing else to
do, so that the request beginning with it later finds it cached.

On two CPU cores llama.cpp reads about 130 prompt tokens a second with SmolLM2-135M, so the
first request that shows a file waits many seconds for the file before its first token. What
to read ahead is the caller's choice (``chatls.actions.read_ahead``); this module reads it in
pieces of about ``CHUNK_CHARS`` characters, each a request for one token whose prompt extends the
last one, so the slot keeps what it read and nothing is read twice. Every request of the client
pauses the reading: the piece in flight is cancelled (its connection closed, so llama.cpp drops
it after the batch it is on), and the reading goes on from the last whole piece once the client
has had nothing in flight for ``IDLE_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import attrs

from chatls.errors import ChatlsError, ModelError
from chatls.model.request import ChatReply, ChatRequest

log = logging.getLogger(__name__)

IDLE_SECONDS = 2.0
"""How long the client has had nothing in flight before reading ahead starts or goes on: longer
than the pauses between keystrokes (each pause asks for an inline completion)."""
CHUNK_CHARS = 300
"""About 85 tokens of code. A request that arrives while a piece is being read waits for it
(llama.cpp finishes the batch it is on): on two cores with SmolLM2-135M a piece took 1.0 s
(median; 1.6 s at most), and glob.py's 8,700 characters took 24.7 s in 26 pieces against 20 to
28 s read whole. 600 characters halve the pieces and double that wait."""


class Prefill:
    """Reads ``want``'s prompt ahead while ``begin``/``end`` say no request is in flight."""

    def __init__(
        self,
        send: Callable[[ChatRequest], Awaitable[ChatReply]],
        idle: float = IDLE_SECONDS,
        chunk: int = CHUNK_CHARS,
    ) -> None:
        self._send = send
        self.idle = idle
        self.chunk = chunk
        self._wanted: ChatRequest | None = None
        self._last: ChatRequest | None = None
        """The request last wanted, read or not."""
        self._read = 0
        """Characters of ``_last``'s last message read so far (whole pieces)."""
        self._busy = 0
        self._quiet_since = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> bool:
        """Whether there is something left to read ahead."""
        return self._wanted is not None

    def want(self, request: ChatRequest) -> None:
        """Read ``request``'s prompt ahead, in place of whatever was wanted before. What was
        already read of a prompt it extends (the same file's window after a keystroke below the
        pieces read) is not read again."""
        before = self._last
        if before is None or not _extends(request, before, self._read):
            self._read = 0
        self._last = request
        if self._read >= len(request.messages[-1]["content"]):
            return
        self._wanted = request
        self._start()

    def begin(self) -> None:
        """A request of the client's starts: reading ahead waits for it."""
        self._busy += 1
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def end(self) -> None:
        """A request of the client's ended."""
        self._busy -= 1
        self._quiet_since = time.monotonic()
        self._start()

    def stop(self) -> None:
        self._wanted = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _start(self) -> None:
        if self._busy or self._wanted is None or self._task is not None:
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while self._wanted is not None:
                wait = self._quiet_since + self.idle - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                await self._next(self._wanted)
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    async def _next(self, wanted: ChatRequest) -> None:
        last = wanted.messages[-1]
        content: str = last["content"]
        end = len(content)
        if self._read + self.chunk < end:
            # A piece ends at a line's end, where the whole prompt's tokens most likely break
            # too, so the next piece (and the request itself) reuses all of it.
            newline = content.find("\n", self._read + self.chunk)
            end = end if newline < 0 else newline + 1
        piece = attrs.evolve(
            wanted,
            messages=[*wanted.messages[:-1], {**last, "content": content[:end]}],
            max_tokens=1,
            enough=None,
        )
        try:
            try:
                reply = await self._send(piece)
            except ModelError as error:
                if error.kind != "connection":
                    raise
                # llama.cpp's server now and then closes a kept connection as the next
                # request goes out on it (about once in 50 back-to-back requests here): once
                # more, on a new one.
                reply = await self._send(piece)
        except ChatlsError as error:
            log.info("reading ahead stopped: %s", error)
            self._wanted = None
            return
        if self._wanted is not wanted:
            return
        self._read = end
        log.debug("read ahead to character %d of %d", end, len(content))
        if end >= len(content):
            log.info(
                "read ahead: the model's cache holds the %d prompt tokens a later request will "
                "start with",
                reply.usage.get("prompt_tokens", 0) if reply.usage else 0,
            )
            self._wanted = None


def _extends(request: ChatRequest, before: ChatRequest, read: int) -> bool:
    """Whether ``request``'s prompt begins with what was read of ``before``'s."""
    if request.messages[:-1] != before.messages[:-1]:
        return False
    done = before.messages[-1]["content"][:read]
    return bool(request.messages[-1]["content"].startswith(done))
