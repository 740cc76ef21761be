"""Generate docstring: documentation for the definition around the cursor, in the language's
convention and place."""

from __future__ import annotations

from chatls.actions.base import ActionRun, Target
from chatls.actions.catalog import ActionResult
from chatls.edits.docs import doc_edit, documentation_complete
from chatls.errors import InvalidRequestError

DOC_SCHEMA = {
    "name": "doc_comment",
    "schema": {
        "type": "object",
        "properties": {"docstring": {"type": "string"}},
        "required": ["docstring"],
        "additionalProperties": False,
    },
}


async def run(action: ActionRun, start: int, end: int) -> ActionResult:
    code = action.code
    definition = code.syntax.definition(start, end)
    if definition is None and code.syntax.tree is None and code.text[start:end].strip() == "":
        line = code.index.line_text(code.index.line_of(start))
        if line.strip():
            raise InvalidRequestError(
                f"chatls cannot tell which definition is meant here: it has no {code.spec.name} "
                "grammar, and the line around the cursor is not a definition it recognises. "
                "Put the cursor on the definition's own line."
            )
    if definition is None:
        raise InvalidRequestError("Put the cursor in a function, method or class to document it.")
    span = definition.span
    code_start = code.index.line_starts[code.index.line_of(span.start)]
    target = Target(code_start, span.end, code.syntax.enclosing_scope(span.start, span.end))
    kind = span.kind.replace("_definition", "").replace("_declaration", "").replace("_item", "")
    prompt = action.prompt(target, {"kind": kind.replace("_", " "), "name": span.name})
    reply = await action.ask(prompt, DOC_SCHEMA, documentation_complete(code.spec, span.name))
    action.check_finished(reply)
    change = doc_edit(code, definition, reply.text, reply.structured)
    return action.result(change.start, change.end, edits=change.edits, prompt_tokens=prompt.tokens)
