"""Translate: the selection (or the function around the cursor) in another language, returned
as a new document named beside the source; the source is never edited. A translation is
returned only when it parses in the target language (tree-sitter finds no error in it; Python's
own compiler accepts it too) and holds every definition the selection holds, under its name in
the target's naming convention (``parse_line`` may become ``parseLine`` or ``ParseLine``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chatls.actions.catalog import NewDocument
from chatls.actions.declaration import Action, Asks, Offer
from chatls.context.prompts import RequestPlan
from chatls.errors import InvalidRequestError, ReplyError
from chatls.source.languages import LANGUAGES, LanguageSpec, named_language
from chatls.targets.rules import Rule, Target

if TYPE_CHECKING:
    from chatls.actions.base import ActionRun
    from chatls.actions.catalog import ActionResult
    from chatls.source.code import Code

LANGUAGE = Asks(
    "language",
    "chatls translate to: ",
    "Translate needs the language to translate into, and your editor ran it without one. "
    'Use chatls\'s editor plugin, or run the command with {"language": "rust"}.',
)


async def run(action: ActionRun, target: Target) -> ActionResult:
    from chatls.actions.custom import beside, whole_file
    from chatls.context.builder import PromptCode

    wanted = (action.request.language or "").strip()
    if not wanted:
        raise InvalidRequestError(LANGUAGE.missing)
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
    action.check_finished(reply, circles=False)
    text = whole_file(reply.text)
    if not text.strip():
        raise ReplyError("The model's answer held no code; nothing was written.")
    if language.id == "php" and not text.lstrip().startswith("<?php"):
        text = "<?php\n\n" + text
    check_translation(code, start, end, language, text)
    name = beside(code, "", language.extensions[0] if language.extensions else None)
    document = NewDocument(text, language.id, name)
    return action.result(start, end, new_document=document, prompt_tokens=prompt.tokens)


def _key(name: str) -> str:
    """A name without its naming convention: ``parse_line``, ``parseLine`` and ``ParseLine``
    are one name."""
    return re.sub(r"[\W_]", "", name).lower()


def check_translation(code: Code, start: int, end: int, target: LanguageSpec, text: str) -> None:
    """Refuse a translation that does not parse in ``target``, or that lacks a definition the
    translated code holds."""
    from chatls.source.syntax import Syntax
    from chatls.source.testcode import defined_anywhere, parses

    syntax = Syntax(text, target)
    valid, line = parses(syntax)
    if not valid:
        where = f" (line {line + 1})" if line is not None else ""
        raise ReplyError(
            f"The model's translation is not valid {target.name}{where}; nothing was written."
        )
    wanted = _translated_names(code, start, end)
    have = {_key(name) for name in defined_anywhere(syntax)}
    missing = [name for name in wanted if _key(name) not in have]
    if missing:
        names = ", ".join(f"`{name}`" for name in missing)
        raise ReplyError(
            f"The model's translation has no {names} (under any {target.name} spelling of the "
            "name); nothing was written."
        )


def _translated_names(code: Code, start: int, end: int) -> list[str]:
    """The outermost definitions in ``[start, end)`` (dunder methods aside: the target has its
    own names for them)."""
    inside = [
        d
        for d in code.syntax.definitions()
        if d.name and start <= d.start and d.end <= end and not d.name.startswith("__")
    ]
    outer = [
        d
        for d in inside
        if not any(o.start <= d.start and d.end <= o.end and o != d for o in inside)
    ]
    return sorted({d.name.split(".")[-1].split("::")[-1] for d in outer})


ACTION = Action(
    "translate",
    "Translate",
    "refactor.chatls.translate",
    run,
    order=100,
    output="document",
    max_tokens=2048,
    asks=LANGUAGE,
    offer=Offer("never"),
    plan=RequestPlan(context="scope", signatures=True),
    target=Rule(
        "scope",
        "region",
        nothing="Select the code to translate: there is no function or class around the cursor.",
    ),
)
