"""Translate: the selection (or the function around the cursor) in another language, returned
as a new document named beside the source; the source is never edited."""

from __future__ import annotations

from chatls.actions.base import ActionRun, PromptCode
from chatls.actions.catalog import ActionResult, NewDocument
from chatls.actions.custom import beside, whole_file
from chatls.actions.listing import NEEDS_TEXT
from chatls.errors import InvalidRequestError, ReplyError
from chatls.source.languages import LANGUAGES, named_language
from chatls.targets.rules import Rule, Target

TARGET = Rule(
    "scope",
    "region",
    nothing="Select the code to translate: there is no function or class around the cursor.",
)


async def run(action: ActionRun, target: Target) -> ActionResult:
    wanted = (action.request.language or "").strip()
    if not wanted:
        raise InvalidRequestError(NEEDS_TEXT["language"])
    language = named_language(wanted)
    if language is None:
        known = ", ".join(spec.id for spec in LANGUAGES)
        raise InvalidRequestError(f"chatls does not know the language `{wanted}` (known: {known}).")
    code = action.code
    if language.id == code.spec.id:
        raise InvalidRequestError(f"This code is {code.spec.name} already.")
    start, end = target.start, target.end
    prompt = action.prompt(
        PromptCode(start, end, code.syntax.enclosing_scope(start, end)),
        {"target_language": language.name, "target_fence": language.fence},
    )
    reply = await action.ask(prompt, None)
    action.check_finished(reply)
    text = whole_file(reply.text)
    if not text.strip():
        raise ReplyError("The model's answer held no code; nothing was written.")
    name = beside(code, "", language.extensions[0] if language.extensions else None)
    document = NewDocument(text, language.id, name)
    return action.result(start, end, new_document=document, prompt_tokens=prompt.tokens)
