"""The reply → edit pipeline for code, and the one entry point the code-rewriting actions call.

extract (``replies``: fences, prose, JSON; or the hunks of ``search_replace`` / ``udiff``) →
locate (``locate``: what the reply stands for) → fit (``fitting``: indentation, tabs, line
endings) → minimal edits (``diff``) → check (``checks``: syntax, Python's compiler, definitions
kept, and under a diagnosed rewrite's rules, that the diagnosed code changed). Every way out
without an edit is a ``ChatlsError`` with one message saying why.
"""

from __future__ import annotations

import logging
import re

import attrs
from lsprotocol import types

from chatls.edits import search_replace, udiff
from chatls.edits.checks import (
    check_definitions,
    check_fix,
    check_fix_elsewhere,
    check_line_kept,
    check_names_kept,
    check_syntax,
    drop_duplicate_definitions,
)
from chatls.edits.diff import Change, Replacement, replacement_edits
from chatls.edits.fitting import Region, detect_indent_style, fit_replacement
from chatls.edits.focus import keep_dropped_lines
from chatls.edits.hunks import place
from chatls.edits.imports import check_module_system, import_edits, split_imports
from chatls.edits.locate import locate, normalized_lines
from chatls.edits.named import check_calls_kept, check_named_fix, check_recursion, likely
from chatls.edits.replies import code_blocks, extract_code, parse_json_object
from chatls.edits.rules import EditRules
from chatls.errors import NoChangeError, ReplyError
from chatls.source.code import Code
from chatls.source.names import Diagnosis
from chatls.source.text import apply_text_edits

log = logging.getLogger(__name__)


@attrs.frozen
class Purpose:
    """What the rewrite is for, which decides what counts as a right result."""

    rules: EditRules = attrs.field(factory=EditRules)
    """The rules the acting action declares."""
    diagnostic: tuple[int, int] | None = None
    """A Fix's diagnostic span: the code that must change."""
    message: str = ""
    """The diagnostic's message, for the user-facing explanations."""
    instruction: str = ""
    """Refactor: the user's words; a definition they name may go away."""
    chosen: bool = False
    """chatls chose the region (the function around a diagnostic or the cursor) rather than
    the user selecting it: a shorter reply may then stand for a part of it."""
    named: Diagnosis | None = None
    """A Fix's diagnostic names a symbol: which, where, and what it most likely should be."""
    calls: tuple[str, ...] = ()
    """Functions the diagnosed lines call whose arguments the diagnostic is about: a Fix
    corrects the arguments and keeps the call."""
    implied_imports: tuple[tuple[str, str], ...] = ()
    """``(written, statement)``: a Fix that writes ``text.Slugify`` means the package, and gets
    the import statement that brings it when the answer leaves it out (as goimports would)."""


def parse_code(code: Code, reply: str, structured: bool, original: str) -> tuple[str, list[str]]:
    """The code a reply holds for ``original``, and the import lines it asks for."""
    if structured:
        data = parse_json_object(reply)
        if data is not None and isinstance(data.get("code"), str):
            imports = data.get("imports")
            lines = [i for i in imports if isinstance(i, str)] if isinstance(imports, list) else []
            found = data["code"]
            return (extract_code(found, original) if "```" in found else found), lines
        log.info("structured reply did not parse; reading it as free text")
    return split_imports(code, extract_code(reply, original), original)


def _reply_text(reply: str, structured: bool) -> str:
    if structured:
        data = parse_json_object(reply)
        if data is not None and isinstance(data.get("code"), str):
            return str(data["code"])
    return reply


def _diff_text(text: str) -> str | None:
    blocks = code_blocks(text)
    for block in blocks:
        if block.language in ("diff", "patch", "udiff") or udiff.holds_diff(block.code):
            return block.code if udiff.holds_diff(block.code) else None
    if not blocks and udiff.holds_diff(text):
        return text
    return None


def _normalized(text: str) -> str:
    return " ".join(text.split())


def prepare_checks(code: Code, region: Region) -> None:
    """Read what ``code_edit`` needs of the document alone (its definitions, with and without
    their documentation, its indentation, the names visible in the code being rewritten), so
    that the edit's checks do not wait for it once the reply is in: called while the model
    answers."""
    syntax = code.syntax
    syntax.documented()
    syntax.definitions()
    syntax.definitions(top_level_only=True)
    detect_indent_style(code.text)
    normalized_lines(code.index)
    if code.names.supported:
        code.names.function_at(region.start)
        code.names.visible(region.start)


def code_edit(
    code: Code, region: Region, reply: str, structured: bool, purpose: Purpose | None = None
) -> Change:
    """The edits that put the reply's version of ``region`` in place; raises ``ChatlsError``
    with the reason when there is nothing right to apply. The change's span covers what was
    rewritten (it may reach past the region: a changed line above, a hunk elsewhere)."""
    purpose = purpose or Purpose()
    index = code.index
    original = code.text[region.start : region.end]
    text = _reply_text(reply, structured)
    imports: list[str] = []
    diff = None if search_replace.holds_blocks(text) else _diff_text(text)
    if search_replace.holds_blocks(text):
        hunks = search_replace.parse(text)
        if not hunks:
            raise ReplyError(
                "The model's SEARCH/REPLACE block is unfinished (no `>>>>>>> REPLACE`), so "
                "nothing changed."
            )
        replacements = place(index, hunks, region.start)
    elif diff is not None:
        replacements = place(index, udiff.parse(diff), region.start)
    else:
        new_code, imports = parse_code(code, reply, structured, original)
        if not new_code.strip() and not imports:
            raise ReplyError("The model's answer held no code; nothing changed.")
        if not imports and _normalized(new_code) == _normalized(original):
            _unchanged(code, purpose)
        check_module_system(code, imports, new_code, original)
        replacements = []
        if new_code.strip():
            new_code = drop_duplicate_definitions(code, new_code, region)
            for piece in locate(index, region, new_code, purpose.diagnostic, purpose.chosen):
                fitted = fit_replacement(index, piece.region, piece.code)
                replacements.append(
                    Replacement(fitted.region.start, fitted.region.end, fitted.text)
                )
        # else the answer is the imports alone (a missing import's Fix): the code stays.
    diagnosed = purpose.rules.diagnosed
    if diagnosed and purpose.diagnostic is not None:
        first = index.line_of(purpose.diagnostic[0])
        focus = set(range(first, index.line_of(purpose.diagnostic[1]) + 1))
        replacements = [keep_dropped_lines(index, r, focus) for r in replacements]
    edits = replacement_edits(index, replacements)
    start = min((r.start for r in replacements), default=region.start)
    end = max((r.end for r in replacements), default=region.end)
    if diagnosed:
        imports = check_fix(
            code, purpose.diagnostic, purpose.message, edits, imports, purpose.named
        )
    imports = [*imports, *_implied(code, purpose, edits, imports)]
    added = import_edits(code, imports, Region(start, end, False))
    if not edits and not added:
        _unchanged(code, purpose)
    all_edits: list[types.TextEdit] = added + edits
    check_syntax(code, all_edits, purpose.diagnostic if diagnosed else None)
    spans = [(r.start, r.end, r.text) for r in replacements]
    check_definitions(code, all_edits, spans, purpose.rules.instructed_removal, purpose.instruction)
    check_names_kept(code, all_edits)
    if diagnosed:
        check_fix_elsewhere(code, purpose.diagnostic, purpose.message, all_edits)
        check_line_kept(code, purpose.diagnostic, purpose.message, all_edits)
        check_recursion(code, purpose.diagnostic, all_edits, purpose.named)
        check_calls_kept(code, purpose.diagnostic, purpose.message, all_edits, purpose.calls)
        if purpose.named is not None:
            check_named_fix(code, purpose.named, purpose.message, all_edits)
    return Change(start, end, tuple(all_edits))


def _implied(
    code: Code, purpose: Purpose, edits: list[types.TextEdit], imports: list[str]
) -> list[str]:
    """The imports ``purpose.implied_imports`` adds: the answer writes the name through its
    package and neither the file nor the answer imports that package."""
    found: list[str] = []
    for written, statement in purpose.implied_imports:
        path = re.search(r'"[^"]+"', statement)
        if path is None or path.group() in code.text or any(path.group() in i for i in imports):
            continue
        used = re.compile(rf"(?<![\w.]){re.escape(written)}\b")
        after = apply_text_edits(code.text, edits, code.index.encoding)
        if len(used.findall(after)) > len(used.findall(code.text)):
            log.info("the answer uses %s without importing it: adding %s", written, statement)
            found.append(statement)
    return found


def _unchanged(code: Code, purpose: Purpose) -> None:
    if purpose.rules.diagnosed and purpose.diagnostic is not None:
        start, end = purpose.diagnostic
        what = code.text[start:end].strip()
        shown = f"`{what}` is still there, so " if what and "\n" not in what else ""
        hint = f" {likely(purpose.named)}." if likely(purpose.named) else ""
        raise ReplyError(
            f"The model answered with the code unchanged: {shown}“{purpose.message}” is not "
            f"fixed; nothing changed.{hint}"
        )
    raise NoChangeError("The model answered with the code unchanged; nothing changed.")
