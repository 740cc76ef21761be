"""Reading the editor's messages from stdin on the event loop.

pygls reads stdin through its thread pool, one thread round trip per header line and per
body: six for a keystroke's didChange plus its inlineCompletion, about a millisecond on a
two-core machine, on every keystroke. When stdin is a pipe or a socket (as when an editor
starts chatls), it is read on the event loop instead; anything else (a terminal, a file, or
Windows) keeps pygls's reader, since making those non-blocking could disturb whoever shares
them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
from typing import BinaryIO

log = logging.getLogger(__name__)

# A header line longer than this is not LSP; it is skipped, as pygls's reader would.
_LINE_LIMIT = 1 << 20


def readable_on_loop(stream: BinaryIO) -> bool:
    """Whether ``stream`` can be read on the event loop without side effects on others."""
    if sys.platform == "win32":
        return False
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


class PipeReader:
    """pygls's ``AsyncReader`` over an asyncio stream: ``b""`` means the editor went away."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self._stream = stream

    @classmethod
    async def open(cls, source: BinaryIO) -> PipeReader:
        loop = asyncio.get_running_loop()
        stream = asyncio.StreamReader(limit=_LINE_LIMIT, loop=loop)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), source)
        return cls(stream)

    async def readline(self) -> bytes:
        try:
            return await self._stream.readline()
        except ValueError:
            log.warning("skipped a header line longer than %d bytes", _LINE_LIMIT)
            return b"?"  # not a header and not the blank line that ends them

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self._stream.readexactly(n)
        except asyncio.IncompleteReadError:
            return b""  # stdin closed mid-message
