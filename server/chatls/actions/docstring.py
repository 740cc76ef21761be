"""Generate docstring: documentation for the definition the user means, in the language's
convention and place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatls.actions.declaration import Action
from chatls.context.prompts import RequestPlan
from chatls.errors import InvalidRequestError
from chatls.targets.rules import Rule, Target

if TYPE_CHECKING:
    from chatls.actions.base import ActionRun
    from chatls.actions.catalog import ActionResult

TARGET = Rule(
    "definition",
    "definition",
    nothing="Put the cursor in a function, method or class to document it.",
    verb="document",
)

DOC_SCHEMA = {
    "name": "doc_comment",
    "schema": {
        "type": "object",
        "properties": {"docstring": {"type": "string"}},
        "required": ["docstring"],
        "additionalProperties": False,
    },
}


async def run(action: ActionRun, target: Target) -> ActionResult:
    from chatls.context.builder import PromptCode
    from chatls.edits.docs import doc_edit, documentation_complete

    code = action.code
    if target.entry is not None:
        definition = code.syntax.entry_definition(target.entry)
    else:
        # No grammar: the target stage found a definition line by its text.
        found = code.syntax.definition(target.start, target.start)
        if found is None:
            raise InvalidRequestError(TARGET.nothing)
        definition = found
    span = definition.span
    code_start = code.index.line_starts[code.index.line_of(span.start)]
    prompt_code = PromptCode(
        code_start, span.end, code.syntax.enclosing_scope(span.start, span.end)
    )
    kind = span.kind.replace("_definition", "").replace("_declaration", "").replace("_item", "")
    prompt = action.prompt(prompt_code, {"kind": kind.replace("_", " "), "name": span.name})
    reply = await action.ask(prompt, DOC_SCHEMA, documentation_complete(code.spec, span.name))
    action.check_finished(reply)
    change = doc_edit(code, definition, reply.text, reply.structured)
    return action.result(change.start, change.end, edits=change.edits, prompt_tokens=prompt.tokens)


ACTION = Action(
    "docstring",
    "Generate docstring",
    "refactor.rewrite.chatls.docstring",
    run,
    order=60,
    edits=True,
    max_tokens=400,
    plan=RequestPlan(context="none", structured=True, definitions=0.05, extends=True),
    target=TARGET,
)
