"""Conversations: what a thread has said so far, and the messages of its next request.

A thread starts with an action's own exchange (its system and user messages and the model's
answer). Follow-ups add exchanges: a Refine instruction or an Ask question, and the answer. The
next request sends it all: the system message, the first exchange, the later ones, every answer
verbatim, then the new user message.

Bounded by ``conversation.maxTurns`` and the token budget: only the first exchange and the
latest ones are sent word for word. Past those, the first request drops its surrounding code
(never the code itself), and then the oldest follow-ups are replaced by a summary the model
writes (``chatls.actions.followup``). The system message, the first exchange and the latest one,
which holds the current code or answer, are always sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from chatls.context import prompts

if TYPE_CHECKING:
    from chatls.context.tokens import TokenCounter
    from chatls.context.window import Prompt

TEMPLATES = "conversation"


@attrs.frozen
class Turn:
    """One exchange: what the user sent and the model's answer, verbatim."""

    user: str
    assistant: str


@attrs.frozen
class Conversation:
    """A thread's messages: the first exchange, the follow-ups kept word for word, and a summary
    of those that no longer are."""

    action: str
    """The action that started the thread (``explain``, ``ask``, ``refactor``...)."""
    system: str
    first: Turn
    first_compact: str | None = None
    """The first user message without the code around the code in question."""
    compact: bool = False
    """Whether the first user message is sent in its compact form (once it is, it stays so,
    keeping the prefix a local model may have cached)."""
    turns: tuple[Turn, ...] = ()
    summary: str | None = None
    summarized: int = 0
    """How many follow-up exchanges the summary stands for."""

    @classmethod
    def begin(cls, action: str, prompt: Prompt, reply: str) -> Conversation:
        """The thread an action's own exchange starts."""
        system, user = prompt.messages[0]["content"], prompt.messages[-1]["content"]
        compact = prompt.compact[-1]["content"] if prompt.compact else None
        return cls(action, system, Turn(user, reply), compact if compact != user else None)

    @property
    def exchanges(self) -> int:
        """Exchanges so far, the summarized ones included."""
        return 1 + self.summarized + len(self.turns)

    def extended(self, user: str, assistant: str) -> Conversation:
        return attrs.evolve(self, turns=(*self.turns, Turn(user, assistant)))

    def last_exchange(self) -> tuple[list[dict[str, str]], str]:
        """The latest request's messages, as sent, and its answer."""
        if not self.turns:
            first_user = (
                self.first_compact if self.compact and self.first_compact else self.first.user
            )
            return [
                {"role": "system", "content": self.system},
                {"role": "user", "content": first_user},
            ], self.first.assistant
        earlier = attrs.evolve(self, turns=self.turns[:-1])
        return earlier.messages(self.turns[-1].user), self.turns[-1].assistant

    def partly_accepted(self, code: str, fence: str) -> Conversation:
        """The thread once the user kept only part of its latest answer: that answer is followed
        by the code as it now reads, which the next turn starts from."""

        def noted(reply: str) -> str:
            return render("partly_accepted", {"reply": reply, "code": code, "fence": fence})

        if self.turns:
            last = self.turns[-1]
            return attrs.evolve(
                self, turns=(*self.turns[:-1], Turn(last.user, noted(last.assistant)))
            )
        return attrs.evolve(self, first=Turn(self.first.user, noted(self.first.assistant)))

    def messages(self, new_user: str) -> list[dict[str, str]]:
        """The request for the next turn: everything kept, then ``new_user``."""
        first_user = self.first_compact if self.compact and self.first_compact else self.first.user
        out = [
            {"role": "system", "content": self.system},
            {"role": "user", "content": first_user},
            {"role": "assistant", "content": self.first.assistant},
        ]
        users = [turn.user for turn in self.turns] + [new_user]
        if self.summary:
            users[0] = render("summarized", {"summary": self.summary, "message": users[0]})
        for user, turn in zip(users, self.turns, strict=False):
            out.append({"role": "user", "content": user})
            out.append({"role": "assistant", "content": turn.assistant})
        out.append({"role": "user", "content": users[-1]})
        return out


def render(name: str, variables: dict[str, Any]) -> str:
    """One of the conversation templates (``context/templates/conversation.toml``)."""
    return prompts.render(prompts.builtin(TEMPLATES)[name], variables, f"{TEMPLATES}.{name}")


@attrs.frozen
class FollowUp:
    """The next request of a thread: its messages, the thread as they send it (compacted or
    summarized), and the new user message."""

    prompt: Prompt
    conversation: Conversation
    user: str

    def conversation_after(self, reply: str) -> Conversation:
        """The thread once the model has answered this request."""
        return self.conversation.extended(self.user, reply)


@attrs.frozen
class Compaction:
    """How the next request fits: the thread to send, and the follow-ups to summarize first."""

    conversation: Conversation
    to_summarize: tuple[Turn, ...]


def plan(
    conversation: Conversation,
    new_user: str,
    counter: TokenCounter,
    budget: int,
    max_turns: int,
    summary_tokens: int,
) -> Compaction:
    """The least compaction that keeps the request within ``budget`` tokens and ``max_turns``
    exchanges: first the first request's surrounding code goes, then the oldest follow-ups
    (counting ``summary_tokens`` for the summary that will stand for them). The latest
    follow-up always stays. The result may still be over budget: the caller refuses then."""
    turns = conversation.turns
    keep = max(0, max_turns - 1)
    cut = max(0, len(turns) - keep) if keep else len(turns)
    cut = min(cut, max(0, len(turns) - 1))

    def cost(candidate: Conversation, summarizing: bool) -> int:
        tokens = counter.count_messages(candidate.messages(new_user))
        return tokens + (summary_tokens if summarizing else 0)

    def at(count: int, compact: bool) -> Conversation:
        return attrs.evolve(conversation, turns=turns[count:], compact=compact)

    compact = conversation.compact
    candidate = at(cut, compact)
    if cost(candidate, cut > 0) > budget and conversation.first_compact and not compact:
        compact = True
        candidate = at(cut, compact)
    while cost(candidate, cut > 0) > budget and cut < len(turns) - 1:
        cut += 1
        candidate = at(cut, compact)
    return Compaction(candidate, turns[:cut])
