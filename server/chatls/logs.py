"""Logging set-up that never lets an API key through.

pygls logs whole messages (``initialize`` carries the settings, and with them ``apiKey``), the
SDK may log headers: every record passes through a filter that masks known secrets and anything
shaped like a key before any handler writes it.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import ClassVar

_PATTERNS = (
    re.compile(r"""(?i)(["']?api_?key["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,})]+)"""),
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?bearer\s+)([^\s\"',]+)"),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9_\-.]{8,})"),
    re.compile(r"\b(sk-)([A-Za-z0-9_\-]{8,})"),
)


# Keys people give servers that need none: not secrets, and words that occur in prose.
_PLACEHOLDERS = frozenset(
    {
        "anything",
        "api-key",
        "api_key",
        "apikey",
        "changeme",
        "default",
        "dummy",
        "empty",
        "fake",
        "key",
        "llama",
        "llama.cpp",
        "llamacpp",
        "lm-studio",
        "lmstudio",
        "local",
        "no-key",
        "no_key",
        "nokey",
        "none",
        "not-needed",
        "null",
        "ollama",
        "password",
        "placeholder",
        "secret",
        "sk-no-key-required",
        "sk-xxx",
        "test",
        "token",
        "vllm",
        "x",
    }
)
_TOKEN = "A-Za-z0-9_\\-"


def worth_searching(secret: str | None) -> bool:
    """Whether ``secret`` can be looked for in text without mangling it: a key too short or
    too common to be a secret ("x", "ollama", "EMPTY", "sk-no-key-required") is never echoed
    as the key, but searching prose for it would mask every "x" in a message."""
    if not secret:
        return False
    key = secret.strip()
    if len(key) < 8 or key.lower() in _PLACEHOLDERS or len(set(key.lower())) < 4:
        return False
    # A plain word ("localhost", "password1" is not one) is not searched for either.
    return not (key.isalpha() and len(key) < 16)


def mask(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` masked where it stands as a whole token (never inside another
    word), if it is worth searching for at all."""
    if not secret or not worth_searching(secret) or secret not in text:
        return text
    pattern = f"(?<![{_TOKEN}]){re.escape(secret)}(?![{_TOKEN}])"
    return re.sub(pattern, "***", text)


class RedactingFilter(logging.Filter):
    secrets: ClassVar[set[str]] = set()

    @classmethod
    def add_secret(cls, secret: str | None) -> None:
        if worth_searching(secret):
            assert secret is not None
            cls.secrets.add(secret)

    @classmethod
    def redact(cls, text: str) -> str:
        for secret in cls.secrets:
            text = mask(text, secret)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + "***", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


def setup(level: str = "info", log_file: str | None = None) -> None:
    """Log to stderr (stdout carries the protocol) or to ``log_file``, redacted."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    handler: logging.Handler
    if log_file:
        handler = logging.FileHandler(log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # pygls logs every message body at INFO: only worth seeing when debugging the protocol.
    for noisy in ("pygls", "httpx", "httpx2", "httpcore", "openai"):
        logging.getLogger(noisy).setLevel(
            max(numeric, logging.WARNING) if numeric > logging.DEBUG else numeric
        )
