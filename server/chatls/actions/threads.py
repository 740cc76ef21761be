"""Threads: the conversations chatls keeps about code, per document and range, for as long as
that code is unchanged.

An Explain or an Ask starts an *ask* thread over the code it answered about: its latest answer
is the hover there, and a follow-up question continues it. An edit chatls made (Refactor, Fix,
Generate docstring) starts an *edit* thread over the code it wrote, which Refine continues.

Positions are offsets into the document's text (code points), kept up to date change by change
as the editor's changes are applied (``changed``): a change before a thread's code moves it, a
change after it leaves it be, and a change touching it ends the thread, except chatls's own
edit arriving. An edit is *proposed* before the editor gets it, with the document text it
produces; when the document reaches that text, the thread goes on from the edited code. An
ended thread is kept for a while, following the text, so that a Refine there can say why there
is nothing left to refine; and when an undo (or a redo) brings back one of the thread's results,
the thread goes on from that result.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Literal

import attrs

from chatls.actions.registry import builtin
from chatls.errors import InvalidRequestError

if TYPE_CHECKING:
    from chatls.actions.conversation import Conversation

Kind = Literal["ask", "edit"]
State = Literal["waiting", "live", "ended"]

_KEPT_PER_DOCUMENT = 32
_WAITING_KEPT = 4
_CLOSED_KEPT = 256

EDITED = "edited"
"""Why a thread ended: its code was changed by something other than chatls's own edit."""


def follow(start: int, end: int, change: tuple[int, int, int]) -> tuple[int, int] | None:
    """Where ``[start, end)`` is after replacing ``[change_start, change_end)`` of the text with
    ``new_length`` characters; None when the change touches it. Changes ending at ``start`` or
    beginning at ``end`` (typing just before or after) leave the span's own text alone."""
    change_start, change_end, new_length = change
    if change_end <= start:
        delta = new_length - (change_end - change_start)
        return start + delta, end + delta
    if change_start >= end:
        return start, end
    return None


@attrs.define(eq=False)
class Pending:
    """An edit chatls sent to the editor, and the thread once the editor has applied it."""

    text: str
    """The document's text once the edit is in."""
    start: int
    end: int
    """The code the edit wrote, in ``text``."""
    conversation: Conversation
    before: str = ""
    """The code the edit replaced."""


@attrs.define(eq=False)
class Thread:
    id: str
    uri: str
    kind: Kind
    start: int
    end: int
    conversation: Conversation
    state: State = "live"
    markdown: str | None = None
    """The latest answer as shown (ask threads): the hover over the code."""
    pending: Pending | None = None
    history: list[tuple[str, Conversation]] = attrs.field(factory=list)
    """Each result an edit thread produced (its code), and the thread as it stood then."""
    used: int = 0
    """When the thread last started or took a turn, for "the latest"."""
    before: str | None = None
    """The code before chatls's latest edit: the document coming back to it is an undo."""
    record: str | None = None
    """The history record of the thread's latest edit."""
    remote_id: str | None = None
    """The backend's id for that edit's completion, when it was stored there (``store``)."""
    outcome: str | None = None
    """What that edit's record last said (``applied``, ``undone``): an outcome already told is
    not told again."""

    @property
    def action(self) -> str:
        return self.conversation.action

    @property
    def live(self) -> bool:
        return self.state == "live"

    def overlaps(self, start: int, end: int) -> bool:
        """Whether ``[start, end]`` meets the thread's code (a cursor at either edge does)."""
        return start <= self.end and end >= self.start


class Tracker:
    """The changes a document goes through while a request about it runs, to place its answer
    in the text the editor has when the answer arrives."""

    def __init__(self) -> None:
        self.changes: list[tuple[int, int, int]] = []

    def map(self, start: int, end: int) -> tuple[int, int] | None:
        """``[start, end)`` of the text the request read, now; None when it was changed."""
        span: tuple[int, int] | None = (start, end)
        for change in self.changes:
            if span is None:
                break
            span = follow(*span, change)
        return span


class Threads:
    """Every document's threads, and the requests in flight whose answers may start one."""

    def __init__(self) -> None:
        self._by_uri: dict[str, list[Thread]] = {}
        self._trackers: dict[str, list[Tracker]] = {}
        self._closed: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)
        self.on_applied: Callable[[Thread], None] | None = None
        """Called when the document comes to hold an edit chatls proposed."""
        self.on_undone: Callable[[Thread], None] | None = None
        """Called when the document goes back to the code before chatls's latest edit."""

    def watches(self, uri: str) -> bool:
        """Whether ``changed`` needs to hear about changes to ``uri`` (cheap: every keystroke)."""
        return uri in self._by_uri or uri in self._trackers

    def changed(
        self, uri: str, start: int, end: int, new_text: str, text: str, before: str = ""
    ) -> None:
        """``[start, end)`` of the document was replaced by ``new_text``, giving ``text``."""
        change = (start, end, len(new_text))
        for tracker in self._trackers.get(uri, ()):
            tracker.changes.append(change)
        for thread in self._by_uri.get(uri, ()):
            pending = thread.pending
            if pending is not None and text == pending.text:
                thread.start, thread.end = pending.start, pending.end
                thread.conversation = pending.conversation
                thread.state = "live"
                thread.pending = None
                thread.before = pending.before
                if self.on_applied is not None:
                    self.on_applied(thread)
                thread.history.append((text[pending.start : pending.end], pending.conversation))
                del thread.history[:-_KEPT_PER_DOCUMENT]
                continue
            if thread.state == "waiting":
                continue
            moved = follow(thread.start, thread.end, change)
            if moved is not None:
                thread.start, thread.end = moved
                continue
            # The thread's code changed: it ends, and keeps covering the changed text so that a
            # Refine there is told why.
            delta = len(new_text) - (end - start)
            thread.start, thread.end = min(thread.start, start), max(thread.end, end) + delta
            thread.state = "ended"
            code = text[thread.start : thread.end]
            for result, conversation in reversed(thread.history):
                if result == code:
                    # An undo (or redo) brought back one of its results: go on from there.
                    thread.conversation = conversation
                    thread.state = "live"
                    break
            else:
                if code == thread.before and self.on_undone is not None:
                    self.on_undone(thread)

    @contextlib.contextmanager
    def tracking(self, uri: str) -> Iterator[Tracker]:
        """Record the changes to ``uri`` while the ``with`` block runs."""
        tracker = Tracker()
        self._trackers.setdefault(uri, []).append(tracker)
        try:
            yield tracker
        finally:
            trackers = self._trackers[uri]
            trackers.remove(tracker)
            if not trackers:
                del self._trackers[uri]

    def _add(self, thread: Thread) -> Thread:
        threads = self._by_uri.setdefault(thread.uri, [])
        threads.append(thread)
        self._closed.pop(thread.uri, None)
        while len(threads) > _KEPT_PER_DOCUMENT:
            gone = next((t for t in threads if t.state == "ended"), threads[0])
            threads.remove(gone)
        return thread

    def _use(self, thread: Thread) -> None:
        thread.used = next(self._clock)

    def ask(
        self, uri: str, start: int, end: int, conversation: Conversation, markdown: str
    ) -> Thread:
        """Start an ask thread (Explain, Ask) over ``[start, end)``, replacing one on the same
        code."""
        threads = self._by_uri.get(uri, [])
        threads[:] = [
            t for t in threads if not (t.kind == "ask" and (t.start, t.end) == (start, end))
        ]
        thread = Thread(f"t{next(self._ids)}", uri, "ask", start, end, conversation)
        thread.markdown = markdown
        self._use(thread)
        return self._add(thread)

    def answered(self, thread: Thread, conversation: Conversation, markdown: str) -> bool:
        """A follow-up question was answered; False when the thread ended meanwhile."""
        if not thread.live or thread not in self._by_uri.get(thread.uri, ()):
            return False
        thread.conversation = conversation
        thread.markdown = markdown
        self._use(thread)
        return True

    def propose(
        self,
        uri: str,
        thread: Thread | None,
        text: str,
        start: int,
        end: int,
        conversation: Conversation,
        before: str = "",
    ) -> Thread:
        """An edit is on its way to the editor: the thread (a new one, or ``thread`` when this
        is a Refine) goes on from ``[start, end)`` of ``text`` once the document reaches it."""
        if thread is None or thread not in self._by_uri.get(uri, ()):
            # Edits proposed earlier and still not in the document never will be (the client
            # did not apply a resolved action): each holds a copy of the text, so few are kept.
            waiting = [t for t in self._by_uri.get(uri, ()) if t.state == "waiting"]
            for stale in waiting[: max(0, len(waiting) - _WAITING_KEPT + 1)]:
                self._by_uri[uri].remove(stale)
            placeholder = Thread(f"t{next(self._ids)}", uri, "edit", start, end, conversation)
            placeholder.state = "waiting"
            thread = self._add(placeholder)
        thread.pending = Pending(text, start, end, conversation, before)
        self._use(thread)
        return thread

    def withdraw(self, thread: Thread) -> None:
        """The editor did not apply the proposed edit."""
        thread.pending = None
        if thread.state == "waiting":
            threads = self._by_uri.get(thread.uri, [])
            if thread in threads:
                threads.remove(thread)

    def get(self, uri: str, thread_id: str) -> Thread | None:
        return next((t for t in self._by_uri.get(uri, ()) if t.id == thread_id), None)

    def answer_at(self, uri: str, offset: int) -> Thread | None:
        """The latest ask thread whose code holds ``offset``: its answer is the hover there."""
        found = [
            t
            for t in self._by_uri.get(uri, ())
            if t.kind == "ask" and t.live and t.start <= offset <= t.end
        ]
        return max(found, key=lambda t: t.used, default=None)

    def refinable(self, uri: str, start: int, end: int) -> Thread | None:
        """The latest live edit thread meeting ``[start, end]``."""
        found = [
            t
            for t in self._by_uri.get(uri, ())
            if t.kind == "edit" and t.live and t.overlaps(start, end)
        ]
        return max(found, key=lambda t: t.used, default=None)

    def to_refine(self, uri: str, start: int, end: int, thread_id: str | None) -> Thread:
        """The edit thread a Refine at ``[start, end]`` means: the one named, else the latest
        one there, else chatls's latest change in the document. Raises ``InvalidRequestError``
        saying why there is nothing to refine."""
        if thread_id is not None:
            named = self.get(uri, thread_id)
            if named is not None and named.kind == "edit":
                return self._refinable_or_why(named)
            raise InvalidRequestError(self._gone(uri))
        live = self.refinable(uri, start, end)
        if live is not None:
            return live
        edits = [t for t in self._by_uri.get(uri, ()) if t.kind == "edit" and t.state != "waiting"]
        here = [t for t in edits if t.overlaps(start, end)]
        latest = max(here or edits, key=lambda t: t.used, default=None)
        if latest is not None:
            return self._refinable_or_why(latest)
        if uri in self._closed:
            raise InvalidRequestError(self._gone(uri))
        raise InvalidRequestError(
            "There is no change of chatls's here to refine. Refine continues the conversation "
            "behind an edit chatls made (Refactor, Fix, Generate docstring): run one of those "
            "first."
        )

    def _refinable_or_why(self, thread: Thread) -> Thread:
        if thread.live:
            return thread
        info = builtin().get(thread.action)
        title = info.title if info is not None else f"the action `{thread.action}`"
        raise InvalidRequestError(
            "The code chatls changed here was changed since (edited or undone), so that "
            f"conversation has ended and there is nothing to refine. Run {title} again on the "
            "code as it is now."
        )

    def _gone(self, uri: str) -> str:
        if uri in self._closed:
            return (
                "That conversation ended when the document was closed. Start a new one on the "
                "code as it is now."
            )
        return "That conversation has ended. Start a new one on the code as it is now."

    def to_continue(
        self, uri: str, start: int, end: int, text: str, thread_id: str | None
    ) -> Thread | None:
        """The ask thread a question about ``[start, end)`` of ``text`` follows up: the one
        named, else one about the same code (the cursor inside it, or the same text selected);
        None for a new question. Raises ``InvalidRequestError`` when the named one has ended."""
        if thread_id is not None:
            named = self.get(uri, thread_id)
            if named is None or named.kind != "ask" or not named.live:
                raise InvalidRequestError(
                    "That conversation has ended: the code it was about changed, or the "
                    "document was closed. Ask again to start a new one."
                )
            return named
        selected = text[start:end].strip()

        def same_code(t: Thread) -> bool:
            if start == end:
                return t.start <= start <= t.end
            return t.overlaps(start, end) and text[t.start : t.end].strip() == selected

        found = [t for t in self._by_uri.get(uri, ()) if t.kind == "ask" and t.live]
        found = [t for t in found if same_code(t)]
        return min(found, key=lambda t: (t.end - t.start, -t.used), default=None)

    def forget(self, uri: str) -> None:
        """The document closed: its threads end."""
        if self._by_uri.pop(uri, None):
            self._closed[uri] = None
            self._closed.move_to_end(uri)
            while len(self._closed) > _CLOSED_KEPT:
                self._closed.popitem(last=False)

    def has(self, uri: str) -> bool:
        return bool(self._by_uri.get(uri))
