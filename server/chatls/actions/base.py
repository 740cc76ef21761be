"""What every action shares on one snapshot: the model and budget it uses, the prompt with its
context, the request to the model, and the result pinned to the snapshot."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from chatls.actions import tool_rounds
from chatls.actions.catalog import ActionRequest, ActionResult
from chatls.actions.conversation import Conversation, FollowUp
from chatls.config import Settings
from chatls.context import prompts
from chatls.context.tokens import TokenCounter
from chatls.context.window import Prompt, build_prompt, build_stable_prompt, signatures
from chatls.errors import ReplyError
from chatls.model.client import ModelClient, cache_key
from chatls.model.failures import ContextOverflow, StructuredOutputRefused
from chatls.model.request import ChatReply, ChatRequest
from chatls.source.code import Code
from chatls.source.document import display_path
from chatls.source.syntax import Span

if TYPE_CHECKING:
    from chatls.tools.toolbox import Toolbox

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
WINDOW_ANSWER_TOKENS = 1024
"""Room for the answer the file's window is chosen with (the largest action default; at most
a quarter of a small budget)."""
_WINDOWS: dict[str, int] = {}
"""Per file, the first line of the window its last request showed: the next one keeps it while
it holds the code, so neighbouring code shares the backend's cached prefix."""
_WINDOWS_KEPT = 256
ACTION_SLOT = 0
"""The local server's slot for actions (inline completion has its own)."""
_RECEIVING_INTERVAL = 0.25
"""Seconds between progress reports of chunks received (the other reports all go out)."""


@attrs.frozen
class PromptCode:
    """The code a prompt is about, and the scope whose lines come first as its context."""

    code_start: int
    code_end: int
    scope: Span | None


class Declared(Protocol):
    """What a run reads of its action's declaration (``chatls.actions.declaration``, which
    imports this module)."""

    @property
    def id(self) -> str: ...
    @property
    def edits(self) -> bool: ...
    @property
    def max_tokens(self) -> int: ...
    @property
    def template(self) -> str: ...
    @property
    def plan(self) -> prompts.RequestPlan: ...
    @property
    def custom(self) -> bool: ...


class ActionRun:
    """One action on one snapshot."""

    def __init__(
        self,
        request: ActionRequest,
        info: Declared,
        settings: Settings,
        client: ModelClient,
        progress: Progress,
        toolbox: Toolbox | None = None,
        code: Code | None = None,
    ) -> None:
        self.request = request
        self.settings = settings
        self.client = client
        self.progress = progress
        self.toolbox = toolbox
        self.info = info
        self.custom = settings.custom(request.action) if info.custom else None
        """The user's definition, for a custom action."""
        self.template = info.template
        """The templates (and request plan) the prompt comes from."""
        self.code = code or Code(request.document, request.encoding)
        overrides = settings.action(request.action)
        self.overrides = overrides
        # A local backend serves exactly one model, whatever the settings name.
        self.model = client.endpoint.model or overrides.model or settings.model
        self.max_tokens = min(
            overrides.max_tokens or settings.max_tokens or self.info.max_tokens,
            settings.context_tokens // 2,
        )
        self.plan = info.plan
        self.structured = self.info.edits and self._structured()
        self.tools = (
            toolbox is not None
            and tool_rounds.offered(settings, client, self.model)
            and tool_rounds.fits(settings, self.max_tokens, self.model)
        )
        """Whether the model may look things up in the workspace (``actions.tool_rounds``)."""
        self.follow_up: FollowUp | None = None
        """Set for a thread's next turn (Refine, an Ask follow-up): its request replaces the
        action's own prompt, and the answer goes through the action's own pipeline."""
        self._exchange: tuple[Prompt, str] | None = None
        self._rebuild: Callable[[], Prompt] | None = None
        """Builds the action's prompt again, within what is known of the backend by then."""

    def _structured(self) -> bool:
        mode = self.settings.structured_output
        if mode == "off":
            return False
        if self.client.structured_output(self.model) == "text":
            # The backend refused both JSON schemas and JSON mode for this model: free text.
            return False
        if mode == "auto" and self.client.endpoint.local:
            # Constrained to a JSON grammar, small local models tend to ramble inside the
            # string until maxTokens (measured with SmolLM2-135M); their free text is usable.
            return False
        if mode == "auto":
            # Each action's default is measured (bench/quality.py): code inside JSON strings
            # comes out worse, prose does not.
            return self.plan.structured
        return True

    def _with_schema(
        self, messages: list[dict[str, Any]], schema: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        """``messages`` as sent: under JSON mode (a backend that refuses JSON schemas) the
        schema is stated at the end of the last message, since the backend will not enforce
        it."""
        if (
            schema is None
            or not self.structured
            or self.client.structured_output(self.model) != "json_object"
        ):
            return messages
        note = prompts.render(
            prompts.builtin("_context")["schema"],
            {"schema": json.dumps(schema.get("schema", schema))},
            "_context.schema",
        )
        last = messages[-1]
        return [*messages[:-1], {**last, "content": f"{last['content']}\n\n{note}"}]

    def variables(self, code: str, **extra: Any) -> dict[str, Any]:
        spec = self.code.spec
        return {
            "language": spec.name,
            "language_id": spec.id,
            "fence": spec.fence,
            "path": display_path(self.request.document, self.request.workspace_root),
            "code": code,
            "structured": self.structured,
            "instruction": self.request.instruction,
            "diagnostics": [],
            "diagnostic": None,
            "kind": "code",
            "name": "",
            "doc_convention": spec.doc_convention,
            "signatures": [],
            "edit_format": "whole",
            "lines": "",
            **extra,
        }

    def counter(self) -> TokenCounter:
        """Counts in this model's tokens as far as the backend has shown how they compare."""
        return token_counter(self.client, self.model)

    def context_tokens(self) -> int:
        """``contextTokens``, or less when the backend's context is known to be smaller."""
        return context_tokens(self.settings, self.client, self.model)

    def prompt(self, target: PromptCode, extra: dict[str, Any]) -> Prompt:
        if self.follow_up is not None:
            return self.follow_up.prompt
        code = self.code.text[target.code_start : target.code_end]
        if self.plan.signatures:
            extra = {
                "signatures": signatures(self.code.syntax, target.code_start, target.code_end),
                **extra,
            }
        fixed = self.variables(code, **extra)

        task = None
        if self.custom is not None:
            task = (self.custom.prompt, f"`customActions` `{self.custom.id}` prompt")
            fixed = {"output": self.custom.output, "target": self.custom.target, **fixed}

        stable = self.plan.context == "file" and self.plan.stable

        def render(context: dict[str, Any]) -> list[dict[str, str]]:
            return prompts.messages(
                self.template,
                # `structured` as it is now: a backend's refusal can turn it off between builds.
                {**fixed, **context, "structured": self.structured},
                self.overrides.system_prompt,
                self.overrides.prompt,
                task=task,
                stable=stable,
            )

        def build() -> Prompt:
            limit = self.context_tokens()
            budget = limit - self.max_tokens
            if self.tools:
                budget -= tool_rounds.reserve(self.settings, self.max_tokens, limit)
            explained = (
                f"contextTokens ({limit}) minus maxTokens ({self.max_tokens})"
                if limit == self.settings.context_tokens
                else f"the model's context ({limit} tokens) minus maxTokens ({self.max_tokens})"
            )
            if stable:
                # Every action gets the window chosen for the largest default answer, so
                # actions on the same code share it whatever their own maxTokens.
                answer = max(self.max_tokens, min(WINDOW_ANSWER_TOKENS, limit // 4))
                shared = limit - answer
                if self.tools:
                    shared -= tool_rounds.reserve(self.settings, answer, limit)
                uri = self.request.document.uri
                built = build_stable_prompt(
                    self.code.syntax,
                    target.code_start,
                    target.code_end,
                    render,
                    self.counter(),
                    budget,
                    explained,
                    window_budget=max(1, shared),
                    anchor=_WINDOWS.get(uri),
                )
                if built.window is not None:
                    _WINDOWS[uri] = built.window
                    while len(_WINDOWS) > _WINDOWS_KEPT:
                        del _WINDOWS[next(iter(_WINDOWS))]
                return built
            return build_prompt(
                self.code.syntax,
                target.code_start,
                target.code_end,
                target.scope,
                render,
                self.counter(),
                budget,
                explained,
                reach=self.plan.context,
            )

        self._rebuild = build
        return build()

    async def ask(
        self,
        prompt: Prompt,
        schema: dict[str, Any] | None,
        enough: Callable[[str], bool] | None = None,
        max_tokens: int | None = None,
        tools: bool = True,
    ) -> ChatReply:
        """Ask the model (letting it look things up first when ``tools`` and the settings and
        backend allow)."""
        settings = self.settings
        temperature = self.overrides.temperature
        request = ChatRequest(
            model=self.model,
            messages=prompt.messages,
            temperature=temperature if temperature is not None else settings.temperature,
            top_p=settings.top_p,
            max_tokens=max_tokens or self.max_tokens,
            stop=list(settings.stop),
            presence_penalty=settings.presence_penalty,
            frequency_penalty=settings.frequency_penalty,
            seed=settings.seed,
            json_schema=schema if self.structured else None,
            enough=None if self.structured else enough,
            cache_key=cache_key(self.request.document.uri),
            slot=ACTION_SLOT,
            counted_tokens=prompt.counted or None,
        )
        self.progress(f"Asking {self.model} ({prompt.tokens:,} prompt tokens)…")

        last = 0.0

        def received(chunks: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= _RECEIVING_INTERVAL:
                last = now
                self.progress(f"Receiving from {self.model}… {chunks} chunks")

        overflowed = False
        while True:
            request.messages = self._with_schema(prompt.messages, schema)
            request.counted_tokens = prompt.counted or None
            try:
                reply = await self._send(request, prompt, tools, received)
                break
            except StructuredOutputRefused as refused:
                # Remembered by the client for this endpoint and model: asked once at each
                # level (JSON schema, JSON mode with the schema in the instructions, free text).
                self.structured = refused.level != "text"
                request.json_schema = schema if self.structured else None
                request.enough = None if self.structured else enough
                log.info("%s: %s; asking for %s", self.info.id, refused, refused.level)
                self.progress(
                    f"{self.model} here does not take that structured output; asking for "
                    + ("JSON" if self.structured else "free text")
                    + "…"
                )
                if not self.structured and self._rebuild is not None and self.follow_up is None:
                    prompt = self._rebuild()
            except ContextOverflow as overflow:
                # The backend counts more than chatls did, or its context is smaller than
                # `contextTokens`: both are remembered now, so one retry with a prompt built
                # again fits. A follow-up's thread is not rebuilt here; it says so instead.
                if overflowed or self._rebuild is None or self.follow_up is not None:
                    raise
                smaller = self._rebuild()
                if smaller.counted >= prompt.counted:
                    raise
                overflowed = True
                log.info(
                    "%s: %s; retrying with %d prompt tokens", self.info.id, overflow, smaller.tokens
                )
                self.progress(
                    f"The prompt was over {self.model}'s context; asking again with less of the "
                    "file…"
                )
                prompt = smaller
        if reply.cached_tokens is not None and reply.usage:
            self.progress(
                f"Answered ({reply.cached_tokens:,} of {reply.usage['prompt_tokens']:,} prompt "
                "tokens cached)"
            )
        log.debug("%s: reply %r (finish %s)", self.info.id, reply.texts, reply.finish_reasons)
        if reply.usage:
            log.info("%s: usage %s", self.info.id, reply.usage)
        self._exchange = (prompt, reply.text)
        return reply

    async def _send(
        self, request: ChatRequest, prompt: Prompt, tools: bool, received: Callable[[int], None]
    ) -> ChatReply:
        if tools and self.tools and self.toolbox is not None:
            return await tool_rounds.converse(
                request,
                prompt.tokens,
                self.client,
                self.toolbox,
                self.settings,
                self.progress,
                received,
            )
        return await self.client.chat(request, received)

    def check_finished(self, reply: ChatReply) -> None:
        reason = reply.finish_reasons[0] if reply.finish_reasons else None
        if reason == "length":
            raise ReplyError(
                f"The model's answer was cut off at maxTokens ({self.max_tokens}) and was not "
                "applied. Raise `maxTokens`, or select less code."
            )
        if reason == "content_filter":
            raise ReplyError("The endpoint's content filter withheld the answer; nothing changed.")

    def result(self, start: int, end: int, **fields: Any) -> ActionResult:
        fields.setdefault("conversation", self.conversation())
        return ActionResult(
            action=self.info.id,
            document=self.request.document,
            range=self.code.index.range(start, end),
            **fields,
        )

    def conversation(self) -> Conversation | None:
        """The thread once the model has answered: its first exchange, or the next one."""
        if self._exchange is None:
            return None
        prompt, reply = self._exchange
        if self.follow_up is not None:
            return self.follow_up.conversation_after(reply)
        return Conversation.begin(self.info.id, prompt, reply)


def token_counter(client: ModelClient, model: str) -> TokenCounter:
    return TokenCounter(model, client.token_scale(model))


def context_tokens(settings: Settings, client: ModelClient, model: str) -> int:
    """``contextTokens``, or the backend's context for ``model`` when that is known and
    smaller."""
    return client.fit_context(model, settings.context_tokens)
