"""The reply → edit pipeline for code: read the code (and imports) out of the reply, drop
repeated definitions, fit it to the region, compute minimal edits, add imports, check.

This is the one entry point the code-rewriting actions call.
"""

from __future__ import annotations

import logging

from chatls.edits.checks import check_syntax, drop_duplicate_definitions
from chatls.edits.diff import Change, minimal_edits
from chatls.edits.fitting import Region, fit_replacement
from chatls.edits.imports import import_edits, split_imports
from chatls.edits.replies import extract_code, parse_json_object
from chatls.errors import NoChangeError, ReplyError
from chatls.source.code import Code

log = logging.getLogger(__name__)


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


def code_edit(code: Code, region: Region, reply: str, structured: bool) -> Change:
    """The edits that put the reply's version of ``region`` in place; raises ``ChatlsError``
    with the reason when there is nothing right to apply. The change's span is what was
    rewritten: it may have grown to take in a changed line above the region."""
    original = code.text[region.start : region.end]
    new_code, imports = parse_code(code, reply, structured, original)
    if not new_code.strip():
        raise ReplyError("The model's answer held no code; nothing changed.")
    new_code = drop_duplicate_definitions(code, new_code, region)
    fitted = fit_replacement(code.index, region, new_code)
    edits = minimal_edits(code.index, fitted.region.start, fitted.region.end, fitted.text)
    edits = import_edits(code, imports, fitted.region) + edits
    if not edits:
        raise NoChangeError("The model proposed no change.")
    check_syntax(code, edits)
    return Change(fitted.region.start, fitted.region.end, tuple(edits))
