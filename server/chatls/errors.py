"""Errors whose message is written for the user and shown as-is, once."""

from __future__ import annotations


class ChatlsError(Exception):
    """A failure the user can act on; ``str(error)`` is the whole message."""

    severity: str = "error"


class InvalidRequestError(ChatlsError):
    """The request itself is wrong: a bad range, an unknown document, missing arguments."""


class ExcludedFileError(ChatlsError):
    """The file matches ``exclude`` and must never be sent to a model."""

    severity = "warning"


class StaleDocumentError(ChatlsError):
    """The document changed while the model was answering."""

    severity = "warning"


class ReplyError(ChatlsError):
    """The model answered, but not with anything that can be applied."""


class NoChangeError(ChatlsError):
    """The model's answer leaves the code as it is."""

    severity = "info"


class ModelError(ChatlsError):
    """The model endpoint failed; ``kind`` names the class of failure for callers and tests."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ConfigurationError(ChatlsError):
    """No usable model is configured."""
