"""What an action is, declared once in its own module (``ACTION``): its name and place in the
editor, what it asks the user for, when it is offered, what it works on, what its request
holds, the rules its edit must pass, and its ``run``. ``chatls.actions.registry`` collects the
declarations; everything else reads them from there.

Cheap to import: the server lists and publishes actions with the declarations alone, so an
action module imports its machinery inside ``run``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

import attrs

from chatls.context.prompts import RequestPlan
from chatls.edits.rules import EditRules
from chatls.targets.rules import Rule

if TYPE_CHECKING:
    from chatls.actions.base import ActionRun
    from chatls.actions.catalog import ActionResult
    from chatls.source.code import Code
    from chatls.targets.rules import Target

Run = Callable[["ActionRun", "Target"], Awaitable["ActionResult"]]
Check = Callable[["Code"], None]

CUSTOM_COMMAND = "chatls.action"
"""The one command that runs any custom action, named by its ``id`` argument: custom actions
come and go with the settings, and a client learns the server's commands once, at start-up."""


@attrs.frozen
class Asks:
    """Text only the user can give. LSP code actions cannot ask for it, so editor plugins do
    before running the command."""

    argument: Literal["instruction", "question", "language"]
    """The command argument that carries it."""
    prompt: str
    """What an editor plugin asks with."""
    missing: str = ""
    """The message for a command run without it; empty when it is optional."""

    @property
    def required(self) -> bool:
        return bool(self.missing)


@attrs.frozen
class Offer:
    """When the editor's list of code actions holds the action."""

    when: Literal["always", "thread", "stub", "function", "diagnostic", "never"] = "always"
    """``always``; ``thread``: over an edit chatls made whose conversation goes on; ``stub``: on
    a placeholder body or a TODO line; ``function``: inside a function; ``diagnostic``: once
    per diagnostic in the request; ``never``: run by its command alone."""
    languages: tuple[str, ...] = ()
    """The language ids it works on; empty: all."""

    def language(self, language_id: str | None) -> bool:
        return not self.languages or language_id in self.languages


@attrs.frozen
class Action:
    id: str
    title: str
    kind: str
    """Its LSP code action kind."""
    run: Run = attrs.field(eq=False, repr=False)
    target: Rule = attrs.field(factory=lambda: Rule("scope", "region"))
    """What a range means for it (``chatls.targets``)."""
    order: int = 1000
    """Its place among the actions in the editor's list."""
    command: str = ""
    """The command that runs it; ``chatls.<id>`` when unset."""
    edits: bool = False
    """Its result is an edit of the source (which Refine may continue)."""
    output: Literal["edit", "markdown", "document"] = "edit"
    """What an editor receives: an edit, Markdown to show, or a document to open."""
    max_tokens: int = 1024
    """Default room for the answer when the settings name none."""
    asks: Asks | None = None
    offer: Offer = attrs.field(factory=Offer)
    check: Check | None = attrs.field(default=None, eq=False, repr=False)
    """What it checks of the file before a target is looked for (an action for some languages
    says so rather than that the cursor is amiss)."""
    plan: RequestPlan = attrs.field(factory=RequestPlan)
    """What its request holds."""
    template: str = ""
    """Its templates, ``context/templates/<template>.toml``; the id when unset."""
    rules: EditRules = attrs.field(factory=EditRules)
    """The rules its edits must pass."""
    continues: Literal["edit", "answer"] | None = None
    """The thread it goes on with: Refine the one behind an edit, Ask an earlier answer."""
    settable: bool = True
    """It has settings of its own (``actions.<id>``); Refine takes those of the action it
    continues."""
    custom: bool = False
    """Defined in the settings (``customActions``), run by ``chatls.action``."""

    def __attrs_post_init__(self) -> None:
        if not self.command:
            object.__setattr__(self, "command", f"chatls.{self.id}")
        if not self.template:
            object.__setattr__(self, "template", self.id)

    def published(self) -> dict[str, Any]:
        """What an editor client learns about it (``capabilities.experimental.chatls``)."""
        described: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "command": self.command,
            "edits": self.edits,
            "output": self.output,
            "offered": self.offer.when,
            "custom": self.custom,
        }
        if self.offer.languages:
            described["languages"] = list(self.offer.languages)
        if self.continues is not None:
            described["continues"] = self.continues
        if self.asks is not None:
            described["asks"] = {
                "argument": self.asks.argument,
                "prompt": self.asks.prompt,
                "required": self.asks.required,
            }
        return described
