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


class RedactingFilter(logging.Filter):
    secrets: ClassVar[set[str]] = set()

    @classmethod
    def add_secret(cls, secret: str | None) -> None:
        if secret and len(secret) >= 4:
            cls.secrets.add(secret)

    @classmethod
    def redact(cls, text: str) -> str:
        for secret in cls.secrets:
            text = text.replace(secret, "***")
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
