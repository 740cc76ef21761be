"""Fix: rewrite the smallest function, class or statement around a diagnostic so that the
problem it reports is gone."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from chatls.actions.declaration import Action, Offer
from chatls.context.prompts import RequestPlan
from chatls.edits.rules import EditRules
from chatls.errors import InvalidRequestError
from chatls.targets.rules import Rule, Target

if TYPE_CHECKING:
    from chatls.actions.base import ActionRun
    from chatls.actions.catalog import ActionResult
    from chatls.context.outside import Fact
    from chatls.source.names import Diagnosis
    from chatls.source.reported import Reported

log = logging.getLogger(__name__)

_ARGUMENTS_OF = re.compile(r"\s*(?:[A-Za-z_$][\w$]*\s*(?:\.|::)\s*)*([A-Za-z_$][\w$]*)\s*\(")
"""A diagnosed range that is a call: the function called (``money.Format(`` → ``Format``)."""


async def run(action: ActionRun, target: Target) -> ActionResult:
    from chatls.actions.rewriting import rewrite
    from chatls.context.window import diagnostic_info
    from chatls.edits.fitting import Region, region_for_selection
    from chatls.edits.rewrite import Purpose
    from chatls.source import reported
    from chatls.source.syntax import Span

    diagnostic = action.request.diagnostic
    if diagnostic is None:
        raise InvalidRequestError("Fix needs the diagnostic to fix.")
    index = action.code.index
    syntax = action.code.syntax
    start, end = index.span(diagnostic.range)
    span = syntax.enclosing_scope(start, end) or syntax.top_level_statement(start, end)
    if span is None:
        span = Span(*index.whole_lines(start, end))
    region = region_for_selection(index, span.start, span.end)
    if region.partial:
        region = Region(*index.whole_lines(region.start, region.end), False)
    outer = syntax.enclosing_scope(region.start, region.end)
    info = diagnostic_info(index, diagnostic)
    related = [item.message for item in diagnostic.related_information or []]
    found = reported.read(diagnostic.message, related)
    facts = _facts(action, found, info["line_text"])
    named = _meant(_named(action, found, diagnostic.message, start, end), facts)
    fixing = (named.start, named.end) if named is not None else (start, end)
    calls = tuple(fact.name for fact in facts if fact.kind in ("order", "parameter"))
    called = _ARGUMENTS_OF.match(index.text[start:end])
    if called is not None and re.search(r"argument|parameter", diagnostic.message, re.I):
        calls += (called.group(1),)
    implied = tuple((f.written, f.statement) for f in facts if f.written and f.statement)
    purpose = Purpose(
        ACTION.rules,
        fixing,
        diagnostic.message,
        chosen=True,
        named=named,
        calls=calls,
        implied_imports=implied,
    )
    return await rewrite(action, region, outer, {"diagnostic": info, "facts": facts}, purpose)


def _facts(action: ActionRun, found: Reported | None, line: str) -> list[Fact]:
    """What the definitions from other files say about the reported line (``outside.facts``)."""
    from chatls.context.outside import facts
    from chatls.source.document import display_path, go_module
    from chatls.source.uses import commonjs_file

    if not action.outside or not line:
        return []
    document = display_path(action.request.document, action.request.workspace_root)
    commonjs = commonjs_file(action.code.syntax)
    language = action.code.spec.id
    module = None
    if language == "go":
        module = go_module(action.request.document.path, action.request.workspace_root)
    return facts(action.outside, found, line, language, document, commonjs, module)


def _meant(named: Diagnosis | None, facts: list[Fact]) -> Diagnosis | None:
    """A member unknown here that another file's definition has under a close name: that name
    is the one meant, and a Fix that puts another member in its place is refused (a small
    model writes ``user.email`` for a renamed ``user.name`` with ``username`` in front of it)."""
    import attrs

    from chatls.source.names import Intended

    if named is None or named.intended is not None:
        return named
    for fact in facts:
        if fact.kind == "import" and fact.name == named.reported.name and fact.written:
            why = f"it is in another package, imported with `{fact.statement}`"
            return attrs.evolve(
                named, intended=Intended(fact.written, why), candidates=(fact.written,)
            )
        if fact.kind == "member" and fact.missing == named.reported.name and fact.closest:
            why = f"the closest member of `{fact.name}`, defined in another file"
            return attrs.evolve(
                named, intended=Intended(fact.closest, why), candidates=(fact.closest,)
            )
    return named


def _named(
    action: ActionRun, found: Reported | None, message: str, start: int, end: int
) -> Diagnosis | None:
    """What the diagnostic says about a name, when it names one (an undefined name, an
    unknown attribute, an unresolved import)."""
    from chatls.source.names import Names, diagnose

    if found is None:
        return None
    code = action.code
    try:
        return diagnose(code.text, start, end, found, lambda: Names(code.syntax))
    except Exception:  # the Fix goes on with the checks every Fix gets
        log.exception("could not read the names around %r", message)
        return None


ACTION = Action(
    "fix",
    "Fix",
    "quickfix.chatls.fix",
    run,
    order=50,
    edits=True,
    offer=Offer("diagnostic"),
    plan=RequestPlan(
        context="scope", signatures=True, search_replace_lines=150, local_context="definition"
    ),
    rules=EditRules(diagnosed=True),
    target=Rule("given", "given"),
)
"""What a Fix works on comes from its diagnostic, not from the selection."""
