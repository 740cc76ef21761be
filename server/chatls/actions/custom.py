"""Custom actions (``customActions`` in the settings): the user's task on the selection, the
function around the cursor or the whole file, and its answer as a replacement, new code below or
above, Markdown, or a new document, each through the same stage the built-in actions use.

Each is a declaration like a built-in action's (``declare``), made from its settings.

Their templates are checked when the settings load (``context.prompts.check_custom_actions``):
the model is never asked with a template that cannot render.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from chatls.actions.catalog import NewDocument
from chatls.actions.declaration import CUSTOM_COMMAND, Action, Offer
from chatls.config import CustomAction
from chatls.context.prompts import RequestPlan
from chatls.edits.rules import EditRules
from chatls.errors import InvalidRequestError, ReplyError
from chatls.targets.rules import Rule, Target

if TYPE_CHECKING:
    from chatls.actions.base import ActionRun
    from chatls.actions.catalog import ActionResult
    from chatls.source.code import Code

RULES = EditRules(instructed_removal=True)
"""A replacement follows the task as a Refactor follows an instruction: a definition the task
names may go away."""

_OUTPUTS: dict[str, Literal["edit", "markdown", "document"]] = {
    "markdown": "markdown",
    "newFile": "document",
}


def declare(custom: CustomAction) -> Action:
    """The declaration of the user's action."""
    return Action(
        custom.id,
        custom.title,
        custom.action_kind,
        run,
        command=CUSTOM_COMMAND,
        edits=custom.edits,
        output=_OUTPUTS.get(custom.output, "edit"),
        offer=Offer("always", tuple(custom.languages)),
        target=target_rule(custom),
        plan=RequestPlan(context="file"),
        template="custom",
        rules=RULES,
        custom=True,
    )


def target_rule(custom: CustomAction) -> Rule:
    """What a custom action's ``target`` setting means for the target stage."""
    if custom.target == "file":
        return Rule("file", "file")
    if custom.target == "function":
        return Rule(
            "scope",
            "definition",
            nothing=f"{custom.title} works on a function: put the cursor inside one.",
            verb=f"run {custom.title} on",
        )
    return Rule(
        "scope",
        "region",
        nothing=f"Select the code to {custom.title.lower()}: there is no function or class "
        "around the cursor.",
    )


async def run(action: ActionRun, target: Target) -> ActionResult:
    from chatls.actions.rewriting import CODE_SCHEMA, rewrite
    from chatls.context.builder import PromptCode
    from chatls.edits.fitting import Region, region_for_selection
    from chatls.edits.insertion import insertion_edit
    from chatls.edits.replies import markdown_answer
    from chatls.edits.rewrite import Purpose

    custom = action.settled.custom
    if custom is None:
        raise InvalidRequestError(f"Unknown action `{action.request.action}`.")
    chosen = custom.target != "selection" or target.chosen
    code = action.code
    start, end = target.start, target.end
    if custom.target == "function":
        start = code.index.line_starts[code.index.line_of(start)]
    elif custom.target == "file":
        start, end = 0, len(code.text)
    if custom.output == "replace":
        region = region_for_selection(code.index, start, end)
        scope = code.syntax.enclosing_scope(region.start, region.end)
        purpose = Purpose(RULES, instruction=custom.prompt, chosen=chosen)
        return await rewrite(action, region, scope, {"partial": region.partial}, purpose)
    prompt_code = PromptCode(start, end, code.syntax.enclosing_scope(start, end))
    prompt = action.prompt(prompt_code, {"partial": False})
    if custom.output == "markdown":
        reply = await action.ask(prompt, None)
        markdown = markdown_answer(reply.text)
        if not markdown:
            raise ReplyError("The model's answer was empty.")
        if reply.finish_reasons and reply.finish_reasons[0] == "length":
            markdown += f"\n\n*(The answer was cut off at maxTokens = {action.max_tokens}.)*"
        return action.result(start, end, markdown=markdown, prompt_tokens=prompt.tokens)
    if custom.output == "newFile":
        reply = await action.ask(prompt, None)
        action.check_finished(reply)
        text = whole_file(reply.text)
        if not text.strip():
            raise ReplyError("The model's answer held no code; nothing was written.")
        document = NewDocument(text, code.spec.id, beside(code, custom.id, None))
        return action.result(start, end, new_document=document, prompt_tokens=prompt.tokens)
    reply = await action.ask(prompt, CODE_SCHEMA)
    action.check_finished(reply)
    region = Region(*code.index.whole_lines(start, max(start, end - 1)), partial=False)
    change = insertion_edit(
        code, region, reply.text, action.structured, below=custom.output == "insertBelow"
    )
    return action.result(start, end, edits=change.edits, prompt_tokens=prompt.tokens)


def whole_file(reply: str) -> str:
    """The code of a reply that is a whole file: its largest fenced block, or all of it."""
    from chatls.edits.replies import code_blocks, strip_fences

    blocks = code_blocks(reply)
    text = max((block.code for block in blocks), key=len) if blocks else strip_fences(reply)
    return text.strip("\n") + "\n"


def beside(code: Code, suffix: str, extension: str | None) -> str:
    """A file name beside the source: ``name.<suffix><extension>`` (``name<extension>``
    without a suffix)."""
    path = code.document.path or code.document.uri.rsplit("/", 1)[-1]
    stem, own = os.path.splitext(os.path.basename(path))
    middle = f".{suffix}" if suffix else ""
    return f"{stem}{middle}{extension if extension is not None else own}"
