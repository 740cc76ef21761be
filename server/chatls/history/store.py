"""The history file: one JSON object per line, oldest first, in the user's state directory.

Writes go through one lock and never raise into a request: a history that cannot be read or
written costs one log line, and chatls goes on."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

log = logging.getLogger(__name__)

FILE_NAME = "history.jsonl"
COUNTS_NAME = "counts.json"
COUNTS_EVERY = 30.0
OUTCOMES = ("applied", "refused", "undone", "cancelled", "rejected", "answered", "failed")


def state_dir() -> str:
    """Where chatls keeps what it remembers between runs, as each platform expects it."""
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
    elif sys.platform == "darwin":
        base = os.path.join(home, "Library", "Application Support")
    else:
        base = os.environ.get("XDG_STATE_HOME") or os.path.join(home, ".local", "state")
    return os.path.join(base, "chatls")


def default_path() -> str:
    return os.path.join(state_dir(), FILE_NAME)


@attrs.define
class Record:
    """One action and what became of it."""

    action: str
    file: str
    """Workspace-relative where it can be."""
    target: str
    """The lines it worked on, as people number them (``12-30``)."""
    model: str
    outcome: str
    """``applied``, ``refused`` (``reason`` says why), ``undone``, ``cancelled``, ``rejected``
    (a review the user turned down), ``answered`` (Explain, Ask) or ``failed``."""
    reason: str = ""
    reply: str = ""
    messages: list[dict[str, Any]] = attrs.field(factory=list)
    """The request's messages, as sent."""
    prompt_tokens: int | None = None
    answer_tokens: int | None = None
    workspace: str = ""
    id: str = attrs.field(factory=lambda: uuid.uuid4().hex[:12])
    time: float = attrs.field(factory=time.time)
    remote_id: str | None = None
    """The backend's id for the completion, when it was stored there (``store``)."""

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Record | None:
        if not isinstance(data, dict):
            return None
        names = {field.name for field in attrs.fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError:
            return None


class History:
    """The history at ``path``, at most ``max_entries`` long (the oldest go first)."""

    def __init__(self, path: str, max_entries: int) -> None:
        self.path = path
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._complained = False
        self._told_unreadable = False
        self._pending: dict[str, int] = {}
        self._flushed = 0.0
        self._lines: int | None = None
        """Lines in the file as far as this process knows (read once, then counted)."""

    def _complain(self, error: Exception) -> None:
        if not self._complained:
            self._complained = True
            log.warning("history: %s unusable (%s); going on without it", self.path, error)

    def records(self) -> list[Record]:
        """Every readable record, oldest first; lines that are not records are skipped (the
        next rewrite drops them), and the log says so once."""
        try:
            with open(self.path, encoding="utf-8") as file:
                lines = file.readlines()
        except FileNotFoundError:
            return []
        except OSError as error:
            self._complain(error)
            return []
        found = []
        unreadable = 0
        for line in lines[-self.max_entries :] if self.max_entries else lines:
            record = None
            with contextlib.suppress(ValueError):
                record = Record.from_json(json.loads(line))
            if record is not None:
                found.append(record)
            elif line.strip():
                unreadable += 1
        # Once per process: the file is read on every update, and a damaged line stays until
        # the next rewrite.
        if unreadable and not self._told_unreadable:
            self._told_unreadable = True
            log.warning(
                "history: %s has %d unreadable line%s (skipped); going on with the rest",
                self.path,
                unreadable,
                "" if unreadable == 1 else "s",
            )
        return found

    def add(self, record: Record) -> None:
        with self._lock:
            try:
                os.makedirs(os.path.dirname(self.path) or ".", mode=0o700, exist_ok=True)
                if self._lines is None:
                    self._lines = _line_count(self.path)
                with open(self.path, "a", encoding="utf-8") as file:
                    file.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
                self._lines += 1
                # Rewritten only once it is a tenth over: one write in many reads the file.
                if self._lines > self.max_entries + max(10, self.max_entries // 10):
                    self._write(self.records())
            except OSError as error:
                self._complain(error)

    def update(self, record_id: str, **changes: Any) -> bool:
        with self._lock:
            records = self.records()
            found = False
            for record in records:
                if record.id == record_id:
                    for name, value in changes.items():
                        setattr(record, name, value)
                    found = True
            if found:
                self._write(records)
            return found

    def delete(self, ids: Sequence[str] | None) -> int:
        """Delete the records ``ids`` (every record when None); returns how many went."""
        with self._lock:
            records = self.records()
            kept = [] if ids is None else [r for r in records if r.id not in set(ids)]
            self._write(kept)
            return len(records) - len(kept)

    def _write(self, records: list[Record]) -> None:
        try:
            os.makedirs(os.path.dirname(self.path) or ".", mode=0o700, exist_ok=True)
            temporary = f"{self.path}.{os.getpid()}.tmp"
            with open(temporary, "w", encoding="utf-8") as file:
                for record in records:
                    file.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
            os.replace(temporary, self.path)
            self._lines = len(records)
        except OSError as error:
            self._complain(error)

    def count(self, counts: dict[str, int]) -> None:
        """Add to the counters kept beside the history (inline completions are counted, not
        kept); written at most every ``COUNTS_EVERY`` seconds, since they go up with typing."""
        with self._lock:
            for name, by in counts.items():
                self._pending[name] = self._pending.get(name, 0) + by
            if self._flushed and time.monotonic() - self._flushed < COUNTS_EVERY:
                return
            self._flush_counts()

    def flush(self) -> None:
        with self._lock:
            self._flush_counts()

    def _flush_counts(self) -> None:
        self._flushed = time.monotonic()
        if not self._pending:
            return
        path = os.path.join(os.path.dirname(self.path), COUNTS_NAME)
        try:
            counts = _read_counts(path)
            for name, by in self._pending.items():
                counts[name] = counts.get(name, 0) + by
            os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
            with open(path, "w", encoding="utf-8") as file:
                json.dump(counts, file)
            self._pending.clear()
        except OSError as error:
            self._complain(error)

    def counts(self) -> dict[str, int]:
        return _read_counts(os.path.join(os.path.dirname(self.path), COUNTS_NAME))


def _line_count(path: str) -> int:
    try:
        with open(path, "rb") as file:
            return sum(1 for _ in file)
    except FileNotFoundError:
        return 0


def _read_counts(path: str) -> dict[str, int]:
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, int)} if isinstance(data, dict) else {}


def newest_first(records: Sequence[Record]) -> Iterator[Record]:
    return iter(sorted(records, key=lambda r: r.time, reverse=True))
