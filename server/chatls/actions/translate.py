"""Translate: the selection (or the function around the cursor) in another language, returned
as a new document named beside the source; the source is never edited."""

from __future__ import annotations

from chatls.actions.base import ActionRun, Target
from chatls.actions.catalog import ActionResult, NewDocument
from chatls.actions.custom import beside, whole_file
from chatls.actions.listing import NEEDS_TEXT
from chatls.errors import InvalidRequestError, ReplyError
from chatls.source.languages import LANGUAGES, named_language


async def run(action: ActionRun, start: int, end: int) -> ActionResult:
    wanted = (action.request.language or "").strip()
    if not wanted:
        raise InvalidRequestError(NEEDS_TEXT["language"])
    target = named_language(wanted)
    if target is None:
        known = ", ".join(spec.id for spec in LANGUAGES)
        raise InvalidRequestError(f"chatls does not know the language `{wanted}` (known: {known}).")
    code = action.code
    if target.id == code.spec.id:
        raise InvalidRequestError(f"This code is {code.spec.name} already.")
    start, end = action.code_span(start, end, "translate")
    prompt = action.prompt(
        Target(start, end, code.syntax.enclosing_scope(start, end)),
        {"target_language": target.name, "target_fence": target.fence},
    )
    reply = await action.ask(prompt, None)
    action.check_finished(reply)
    text = whole_file(reply.text)
    if not text.strip():
        raise ReplyError("The model's answer held no code; nothing was written.")
    name = beside(code, "", target.extensions[0] if target.extensions else None)
    document = NewDocument(text, target.id, name)
    return action.result(start, end, new_document=document, prompt_tokens=prompt.tokens)
