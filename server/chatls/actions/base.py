"""What every action shares on one snapshot: the model and budget it uses, the prompt with its
context, the request to the model, and the result pinned to the snapshot."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from chatls.actions import tool_rounds
from chatls.actions.catalog import ActionRequest, ActionResult
from chatls.actions.conversation import Conversation, FollowUp
from chatls.config import ActionSettings, CustomAction, Settings
from chatls.context import outside, prompts
from chatls.context.builder import PromptBuilder, PromptCode, with_schema, within_context
from chatls.context.tokens import TokenCounter
from chatls.context.window import Prompt, signatures
from chatls.errors import ReplyError
from chatls.model.client import ModelClient, cache_key
from chatls.model.failures import ContextOverflow, StructuredOutputRefused
from chatls.model.request import ChatReply, ChatRequest
from chatls.source.code import Code
from chatls.source.document import display_path

if TYPE_CHECKING:
    from chatls.tools.rules import Rules, RulesFinder
    from chatls.tools.toolbox import Toolbox

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
ACTION_SLOT = 0
"""The local server's slot for actions (inline completion has its own)."""
_RECEIVING_INTERVAL = 0.25
"""Seconds between progress reports of chunks received (the other reports all go out)."""


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


@attrs.frozen
class RunSettings:
    """What one run of an action uses, settled before anything is asked: from the settings,
    the action's declaration and what is known of the backend."""

    model: str
    max_tokens: int
    overrides: ActionSettings
    custom: CustomAction | None
    """The user's definition, for a custom action."""
    template: str
    """The templates the prompt comes from."""
    plan: prompts.RequestPlan
    tools: bool
    """Whether the model may look things up in the workspace (``actions.tool_rounds``)."""

    @classmethod
    def settle(
        cls,
        request: ActionRequest,
        info: Declared,
        settings: Settings,
        client: ModelClient,
        toolbox: Toolbox | None,
    ) -> RunSettings:
        overrides = settings.action(request.action)
        # A local backend serves exactly one model, whatever the settings name.
        model = client.endpoint.model or overrides.model or settings.model
        max_tokens = min(
            overrides.max_tokens or settings.max_tokens or info.max_tokens,
            settings.context_tokens // 2,
        )
        return cls(
            model=model,
            max_tokens=max_tokens,
            overrides=overrides,
            custom=settings.custom(request.action) if info.custom else None,
            template=info.template,
            plan=info.plan.for_backend(
                client.endpoint.local,
                window_cached=client.window_key == cache_key(request.document.uri),
            ),
            tools=(
                toolbox is not None
                and tool_rounds.offered(settings, client, model)
                and tool_rounds.fits(settings, max_tokens, model)
            ),
        )


class ActionRun:
    """One action on one snapshot: its prompt, its request to the model, its result."""

    def __init__(
        self,
        request: ActionRequest,
        info: Declared,
        settings: Settings,
        client: ModelClient,
        progress: Progress,
        toolbox: Toolbox | None = None,
        code: Code | None = None,
        rules: RulesFinder | None = None,
    ) -> None:
        self.request = request
        self.settings = settings
        self.client = client
        self.progress = progress
        self.toolbox = toolbox
        self.info = info
        self.code = code or Code(request.document, request.encoding)
        self.settled = RunSettings.settle(request, info, settings, client, toolbox)
        self.structured = self.info.edits and self._structured()
        """Whether the answer is asked for as JSON; a backend's refusal can turn it off."""
        self.follow_up: FollowUp | None = None
        """Set for a thread's next turn (Refine, an Ask follow-up): its request replaces the
        action's own prompt, and the answer goes through the action's own pipeline."""
        self._exchange: tuple[Prompt, str] | None = None
        self._usage: dict[str, int] | None = None
        self._remote_id: str | None = None
        self._rebuild: Callable[[], Prompt] | None = None
        """Builds the action's prompt again, within what is known of the backend by then."""
        self._circling: tuple[str, int] | None = None
        """What the model's code said again and again, when chatls closed the stream there."""
        self._finder = rules
        self._rules: Rules | None = None
        self.outside: list[outside.Outside] | None = None
        """Definitions from other files the target uses (``look_up_definitions``); None when
        the ``definitions`` settings are off or there is no workspace to look in."""

    @property
    def model(self) -> str:
        return self.settled.model

    @property
    def rules_finder(self) -> RulesFinder | None:
        return self._finder

    @property
    def max_tokens(self) -> int:
        return self.settled.max_tokens

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
            return self.settled.plan.structured
        return True

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
            "definitions": "",
            **extra,
        }

    def counter(self) -> TokenCounter:
        """Counts in this model's tokens as far as the backend has shown how they compare."""
        return token_counter(self.client, self.model)

    def context_tokens(self) -> int:
        """``contextTokens``, or less when the backend's context is known to be smaller."""
        return context_tokens(self.settings, self.client, self.model)

    def rules(self) -> Rules | None:
        """The project's rules files for this run (``rules``), found once: a prompt built again
        keeps the same system message."""
        if self._finder is None:
            return None
        if self._rules is None:
            from chatls.tools.rules import bound, log_rules

            limit = bound(self.settings.rules.max_tokens, self.settings.context_tokens)
            self._rules = self._finder.find(self.request.document.path, limit, self.counter().count)
            log_rules(self.info.id, self._rules)
        return self._rules

    async def look_up_definitions(self, start: int, end: int) -> None:
        """Find the definitions from other files that the code at ``[start, end)`` uses, for
        the prompt (``definitions`` settings; the workspace the tools read)."""
        if (
            not self.settings.definitions.enabled
            or self.toolbox is None
            or self.settled.plan.definitions <= 0
            or self.follow_up is not None
            or self.request.conversation is not None  # a thread's next turn: its own messages
        ):
            return
        from chatls.source.uses import outside_uses
        from chatls.tools.definitions import look_up

        if not self.toolbox.index.built:
            self.progress("Indexing the workspace for definitions from other files…")
        started = time.monotonic()
        # The snapshot's scopes, which the edit's checks read again while the model works.
        uses = outside_uses(self.code.syntax, start, end, names=self.code.names)
        found = await look_up(
            self.toolbox.index, self.toolbox.overlay(), self.request.document.path, uses
        )
        self.outside = [
            outside.Outside(
                f.name,
                f.where,
                f.start_line + 1,
                f.kind,
                f.text,
                f.signature,
                f.fence,
                f.members,
                f.parameters,
            )
            for f in found
        ]
        log.debug(
            "%s: %d names from outside the file, %d definitions found in %.0f ms",
            self.info.id,
            len(uses),
            len(found),
            (time.monotonic() - started) * 1000,
        )

    def prompt(self, target: PromptCode, extra: dict[str, Any]) -> Prompt:
        if self.follow_up is not None:
            return self.follow_up.prompt
        settled = self.settled
        code = self.code.text[target.code_start : target.code_end]
        if settled.plan.signatures:
            extra = {
                "signatures": signatures(self.code.syntax, target.code_start, target.code_end),
                **extra,
            }
        fixed = self.variables(code, **extra)
        task = None
        if settled.custom is not None:
            task = (settled.custom.prompt, f"`customActions` `{settled.custom.id}` prompt")
            fixed = {"output": settled.custom.output, "target": settled.custom.target, **fixed}
        settings = self.settings
        rules = self.rules()

        def render(context: dict[str, Any]) -> list[dict[str, str]]:
            return prompts.messages(
                settled.template,
                # `structured` as it is now: a backend's refusal can turn it off between builds.
                {**fixed, **context, "structured": self.structured},
                settled.overrides.system_prompt,
                settled.overrides.prompt,
                task=task,
                stable=builder.stable,
                rules=rules.variables() if rules is not None else (),
            )

        def reserve(answer: int, limit: int) -> int:
            return tool_rounds.reserve(settings, answer, limit)

        builder = PromptBuilder(
            syntax=self.code.syntax,
            uri=self.request.document.uri,
            render=render,
            plan=settled.plan,
            max_tokens=settled.max_tokens,
            configured_tokens=settings.context_tokens,
            context_tokens=self.context_tokens,
            counter=self.counter,
            reserve=reserve if settled.tools else None,
            outside=self.outside,
            outside_tokens=settings.definitions.max_tokens,
        )
        self._rebuild = functools.partial(builder.build, target)
        return self._rebuild()

    async def ask(
        self,
        prompt: Prompt,
        schema: dict[str, Any] | None,
        enough: Callable[[str], bool] | None = None,
        max_tokens: int | None = None,
        tools: bool = True,
        meanwhile: Callable[[], None] | None = None,
    ) -> ChatReply:
        """Ask the model (letting it look things up first when ``tools`` and the settings and
        backend allow); ``meanwhile`` runs once the request is on its way."""
        settings = self.settings
        temperature = self.settled.overrides.temperature

        def warm() -> None:
            if meanwhile is not None:
                meanwhile()
            # The form a thread sends once it outgrows its budget, rendered while the model
            # works rather than after its answer (0.3 ms).
            _ = prompt.compact

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
            meanwhile=warm,
            cache_key=cache_key(self.request.document.uri),
            slot=ACTION_SLOT,
            counted_tokens=prompt.counted or None,
            store=settings.store,
            metadata=self._metadata() if settings.store else None,
        )
        # Whatever the reply, the backend's cache now holds this request's prompt.
        shows_window = self.settled.plan.shows_window and self.follow_up is None
        self.client.window_key = request.cache_key if shows_window else None
        with_outside = ""
        if prompt.outside:
            with_outside = f", with {outside.summary(prompt.outside)}"
            log.info(
                "%s: definitions from other files in the prompt: %s",
                self.info.id,
                outside.listing(prompt.outside),
            )
            if self.toolbox is not None:
                self.toolbox.in_prompt = {(item.where, item.line) for item in prompt.outside}
        rules = self._rules
        with_rules = f" with rules from {rules.describe()}" if rules and rules.files else ""
        self.progress(
            f"Asking {self.model} ({prompt.tokens:,} prompt tokens{with_outside}){with_rules}…"
        )

        last = 0.0

        def received(chunks: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= _RECEIVING_INTERVAL:
                last = now
                self.progress(f"Receiving from {self.model}… {chunks} chunks")

        async def send(prompt: Prompt) -> tuple[ChatReply, Prompt]:
            while True:
                request.messages = prompt.messages
                if schema is not None and self.structured and self._json_mode():
                    request.messages = with_schema(prompt.messages, schema)
                request.counted_tokens = prompt.counted or None
                try:
                    return await self._send(request, prompt, tools, received), prompt
                except StructuredOutputRefused as refused:
                    # Remembered by the client for this endpoint and model: asked once at each
                    # level (JSON schema, JSON mode with the schema in the instructions, free
                    # text).
                    self.structured = refused.level != "text"
                    request.json_schema = schema if self.structured else None
                    request.enough = None if self.structured else enough
                    log.info("%s: %s; asking for %s", self.info.id, refused, refused.level)
                    self.progress(
                        f"{self.model} here does not take that structured output; asking for "
                        + ("JSON" if self.structured else "free text")
                        + "…"
                    )
                    if not self.structured and self._rebuild and self.follow_up is None:
                        prompt = self._rebuild()

        def retrying(overflow: ContextOverflow, smaller: Prompt) -> None:
            log.info(
                "%s: %s; retrying with %d prompt tokens", self.info.id, overflow, smaller.tokens
            )
            self.progress(
                f"The prompt was over {self.model}'s context; asking again with less of the file…"
            )

        # A thread's next turn is not rebuilt here: its overflow says so instead.
        rebuild = self._rebuild if self.follow_up is None else None
        reply, prompt = await within_context(prompt, rebuild, send, retrying)
        if reply.cached_tokens is not None and reply.usage:
            self.progress(
                f"Answered ({reply.cached_tokens:,} of {reply.usage['prompt_tokens']:,} prompt "
                "tokens cached)"
            )
        log.debug("%s: reply %r (finish %s)", self.info.id, reply.texts, reply.finish_reasons)
        if reply.usage:
            log.info("%s: usage %s", self.info.id, reply.usage)
        self._exchange = (prompt, reply.text)
        self._usage = reply.usage
        self._remote_id = reply.id
        return reply

    async def _send(
        self, request: ChatRequest, prompt: Prompt, tools: bool, received: Callable[[int], None]
    ) -> ChatReply:
        if tools and self.settled.tools and self.toolbox is not None:
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

    def _metadata(self) -> dict[str, str]:
        """What a stored completion is tagged with (the outcome is added once known)."""
        from chatls import __version__

        return {
            "chatls_action": self.info.id,
            "language": self.code.spec.id,
            "chatls_version": __version__,
        }

    def _json_mode(self) -> bool:
        """Whether the backend takes JSON mode but not JSON schemas for this model (the schema
        then goes in the instructions)."""
        return self.client.structured_output(self.model) == "json_object"

    def until_circling(self, enough: Callable[[str], bool]) -> Callable[[str], bool]:
        """``enough``, or else a test that closes the stream once the code goes round in
        circles: two lines together four times, more often than the file has them (SmolLM2's
        Refactor in ``make demo`` wrote one function eight times until maxTokens). A line
        written again on its own may be meant (a log call in each branch); a pair of them four
        times is a loop. ``check_finished`` then refuses the answer."""
        from chatls.edits.repetition import circling, on_complete_lines

        def circles(complete: str) -> bool:
            self._circling = circling(complete, self.code.text, times=4, span=2)
            return self._circling is not None

        watch = on_complete_lines(circles)
        return lambda reply: enough(reply) or watch(reply)

    def check_finished(self, reply: ChatReply, circles: bool = True) -> None:
        """Refuse an answer the model did not finish. ``circles``: say so when it went round in
        circles instead (not for new files, such as tests, whose lines repeat by nature)."""
        from chatls.edits.repetition import circling

        reason = reply.finish_reasons[0] if reply.finish_reasons else None
        if self._circling is not None and reply.closed_early:
            raise self._circles(self._circling, ", so chatls stopped it there")
        if reason == "length":
            # A model going round in circles would only go round longer with more tokens.
            found = circling(reply.text, self.code.text) if circles else None
            if found is not None:
                raise self._circles(
                    found, f" until it was cut off at maxTokens ({self.max_tokens})"
                )
            raise ReplyError(
                f"The model's answer was cut off at maxTokens ({self.max_tokens}) and was not "
                "applied. Raise `maxTokens`, or select less code."
            )
        if reason == "content_filter":
            raise ReplyError("The endpoint's content filter withheld the answer; nothing changed.")

    def _circles(self, found: tuple[str, int], ended: str) -> ReplyError:
        line, count = found
        shown = line if len(line) <= 60 else f"{line[:57]}..."
        return ReplyError(
            f"The model's answer went round in circles (`{shown}` {count} times){ended}; "
            "nothing changed. A larger `maxTokens` would not help: select less code, or use a "
            "stronger model."
        )

    def result(self, start: int, end: int, **fields: Any) -> ActionResult:
        fields.setdefault("conversation", self.conversation())
        fields.setdefault("model", self.model)
        fields.setdefault("usage", self._usage)
        fields.setdefault("remote_id", self._remote_id)
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
