"""The safety net between a fitted reply and the buffer, on meaning as well as syntax:
definitions the model repeated from elsewhere are dropped; an edit is refused when it would add
syntax errors (for Python, when the compiler rejects the result: ``return`` outside a function
parses), when it would remove a definition (or the line opening one) the reply does not stand
for, and, for a Fix, when the diagnosed code is left as it was or the only change is an import
of the undefined name itself."""

from __future__ import annotations

import collections
import difflib
import logging
import re

from lsprotocol import types

from chatls.edits.fitting import Region
from chatls.edits.named import diagnosed_lines, imports_module, likely
from chatls.errors import ReplyError
from chatls.source.code import Code
from chatls.source.names import Diagnosis, Names
from chatls.source.syntax import (
    Span,
    Syntax,
    python_compiles,
    python_compiles_where,
    python_error_line,
    short_name,
    signatures_without_annotations,
)
from chatls.source.text import apply_text_edits

log = logging.getLogger(__name__)

_NAME = re.compile(r"[A-Za-z_$][\w$]*")
_REMOVAL = re.compile(
    r"unused|never used|never read|not used|not accessed|unreachable|redundant|unnecessary|"
    r"duplicate|remove|extraneous|dead code|no effect|useless",
    re.IGNORECASE,
)
_IMPORT_WORDS = frozenset(
    {"import", "from", "as", "use", "require", "const", "let", "var", "include", "using", "mod"}
)


def drop_duplicate_definitions(code: Code, reply_code: str, region: Region) -> str:
    """Remove definitions the model repeated from elsewhere in the file (or twice)."""
    reply = Syntax.of(reply_code, code.spec)
    defined = reply.definitions(top_level_only=True)
    if not defined:
        return reply_code
    elsewhere: set[str] = set()
    inside: set[str] = set()
    for span in code.syntax.definitions():
        if span.end <= region.start or span.start >= region.end:
            elsewhere.add(span.name)
        elif span.start >= region.start and span.end <= region.end:
            inside.add(span.name)
    seen: set[str] = set()
    drop: list[Span] = []
    for span in defined:
        if span.name in seen or (span.name in elsewhere and span.name not in inside):
            drop.append(span)
        seen.add(span.name)
    for span in reversed(drop):
        end = span.end
        while end < len(reply_code) and reply_code[end] in "\r\n \t":
            end += 1
        start = reply_code.rfind("\n", 0, span.start) + 1
        reply_code = reply_code[:start] + reply_code[end:]
    if drop and not reply_code.strip():
        names = ", ".join(f"`{span.name}`" for span in drop)
        raise ReplyError(
            f"The model answered with {names}, defined elsewhere in the file, instead of the "
            "code it was asked about; nothing changed."
        )
    return reply_code


def check_syntax(
    code: Code, edits: list[types.TextEdit], fixing: tuple[int, int] | None = None
) -> None:
    """Refuse edits that would leave the file with more syntax errors than it has, and a Fix
    of a syntax error that leaves the error where it was."""
    index = code.index
    after_text = apply_text_edits(index.text, edits, index.encoding)
    before = code.syntax.error_count()
    after_syntax = code.parse(after_text) if before is not None else None
    # The whole original is compiled only when the result does not compile.
    broken = (
        code.spec.id == "python"
        and not (
            python_compiles_where(after_syntax, _edited_spans(code, edits))
            if after_syntax is not None
            else python_compiles(after_text)
        )
        and python_compiles(index.text)
    )
    if not broken and after_syntax is not None and before is not None:
        after = after_syntax.error_count()
        broken = after is not None and after > before
    if not broken and fixing is not None:
        lines = set(range(index.line_of(fixing[0]), index.line_of(fixing[1]) + 1))
        was = _error_lines(index.text, code.spec.id, code.syntax)
        if was & lines:
            still = _error_lines(after_text, code.spec.id, after_syntax)
            moved = 0
            for edit in edits:
                edit_start, edit_end = index.span(edit.range)
                if edit_end <= fixing[0]:
                    moved += edit.new_text.count("\n") - index.text.count(
                        "\n", edit_start, edit_end
                    )
            if {line + moved for line in was & lines} & still:
                raise ReplyError(
                    f"The model's answer leaves the syntax error on line {min(lines) + 1} in "
                    "place, so nothing changed."
                )
    if broken:
        raise ReplyError(
            f"The model's answer is not valid {code.spec.name} here (it would add syntax "
            "errors), so nothing changed. Try again, or select different code."
        )


def _edited_spans(code: Code, edits: list[types.TextEdit]) -> list[tuple[int, int]]:
    """Where each edit's new text lies in the text after the edits."""
    spans = []
    shift = 0
    for start, end, text in sorted((*code.index.span(edit.range), edit.new_text) for edit in edits):
        spans.append((start + shift, start + shift + len(text)))
        shift += len(text) - (end - start)
    return spans


def _error_lines(text: str, language: str, syntax: Syntax | None) -> set[int]:
    """0-based lines holding a syntax error (Python's compiler's first, else tree-sitter's)."""
    if language == "python":
        found = python_error_line(text)
        return set() if found is None else {found}
    return syntax.error_lines() if syntax is not None else set()


_COMMENT_LINE = re.compile(r"^\s*(//|#|--|/\*|\*|$)")


def check_definitions(
    code: Code,
    edits: list[types.TextEdit],
    spans: list[tuple[int, int, str]],
    instructed_removal: bool,
    instruction: str = "",
) -> None:
    """Refuse an edit that removes a definition, or the line opening the one around the code,
    unless the reply stood for all of it and ``instructed_removal`` lets the instruction remove
    what it names: a Refactor of a selection that held it whole, asked for in words that name
    it ("inline `helper`", "rename `Count`")."""
    if code.syntax.tree is None or not edits:
        return
    before = [entry.span for entry in code.syntax.documented()]
    after_text = apply_text_edits(code.text, edits, code.index.encoding)
    after = collections.Counter(
        short_name(name) for name in code.parse(after_text).documented_names()
    )
    counts = collections.Counter(short_name(s.name) for s in before)
    for name, count in after.items():
        if name and 0 < counts[name] < count:
            raise ReplyError(
                f"The model's answer would define `{name}` a second time, so nothing changed."
            )
    for name, count in counts.items():
        if not name or after[name] >= count:
            continue
        whole = [
            s
            for s in before
            if short_name(s.name) == name
            and any(
                start <= s.start
                and s.end <= end
                and not all(_COMMENT_LINE.match(line) for line in text.splitlines())
                for start, end, text in spans
            )
        ]
        if instructed_removal and whole and name in _NAME.findall(instruction):
            continue
        raise ReplyError(
            f"The model's answer would remove `{name}` (or the line that opens it), which it "
            "was not asked to rewrite, so nothing changed."
        )


def check_names_kept(code: Code, edits: list[types.TextEdit]) -> None:
    """Refuse an edit that leaves a name undefined where the function around it still uses it,
    outside what the edit replaced: a rewrite of part of a function that renamed or dropped a
    variable its other lines read, or that put them into a function of the model's own (SmolLM2,
    given the first five lines of a six-line function in ``make demo``, wrote five new functions
    and left ``return statistics.mean(result)`` in the last of them). Only names the scope rules
    resolve before the edit are checked (``chatls.source.names``)."""
    from chatls.source.uses import bare_names

    if code.syntax.tree is None or not edits:
        return
    names = code.names
    if not names.supported:
        return
    replaced = sorted((*_offsets(code, edit), len(edit.new_text)) for edit in edits)
    line_of = code.index.line_of
    # Whole lines: an edit as small as a character may change a name next to it.
    touched = {n for low, high, _ in replaced for n in range(line_of(low), line_of(high) + 1)}
    after: Names | None = None
    checked: set[int] = set()
    for start, end, _ in replaced:
        function = names.function_at(start)
        if function is None or function.end < end or function.start in checked:
            continue
        checked.add(function.start)
        for name, offset in bare_names(code.syntax, function.start, function.end):
            if line_of(offset) in touched:
                continue
            if name not in names.visible(offset):
                continue
            if after is None:
                after_text = apply_text_edits(code.text, edits, code.index.encoding)
                after = Names(code.parse(after_text))
            moved = offset + sum(size - (hi - lo) for lo, hi, size in replaced if hi <= offset)
            if name in after.visible(moved) or after.is_open_at(moved):
                continue
            raise ReplyError(
                f"The model's answer would leave `{name}` undefined on line {line_of(offset) + 1}, "
                "which it was not asked to rewrite, so nothing changed."
            )


def _offsets(code: Code, edit: types.TextEdit) -> tuple[int, int]:
    return code.index.span(edit.range)


def check_fix(
    code: Code,
    diagnostic: tuple[int, int] | None,
    message: str,
    edits: list[types.TextEdit],
    imports: list[str],
    named: Diagnosis | None = None,
) -> list[str]:
    """A fix changes the code the diagnostic points at: the name itself when it points at a
    name, else something on its lines. An import of nothing but the undefined name, when that
    name looks like a misspelling of one in the file (the one ``named`` says is meant, when
    one is), is no fix: such imports are dropped, and a reply that has nothing else is
    refused. Returns the imports to add."""
    if diagnostic is None:
        return imports
    start, end = diagnostic
    if start == end:
        start, end = code.index.whole_lines(start, end)
    symbol = code.text[start:end].strip()
    is_name = bool(_NAME.fullmatch(symbol))
    misspelt: list[str] = []
    if is_name:
        known = set(_NAME.findall(code.text)) - {symbol}
        misspelt = [named.intended.text] if named and named.intended else []
        misspelt = misspelt or difflib.get_close_matches(symbol, sorted(known), n=1, cutoff=0.75)

    def bogus(line: str) -> bool:
        names = set(_NAME.findall(line)) - _IMPORT_WORDS
        if imports_module(line, symbol, code.spec.id):
            return False  # ``import time``, missing, with a ``times`` about
        return is_name and bool(misspelt) and names == {symbol}

    kept = [line for line in imports if not bogus(line)]
    if len(kept) < len(imports):
        log.info("dropped imports of the undefined name itself: %s", set(imports) - set(kept))
    touched = False
    if not is_name:
        # A range over an expression or a line is read loosely (checkers point roughly):
        # a change on its lines counts.
        start, end = code.index.whole_lines(start, end)
    for edit in edits:
        edit_start, edit_end = _offsets(code, edit)
        if edit_start < end and edit_end > start:
            touched = True  # it changes the diagnosed text itself
        elif not is_name and start <= edit_start <= end:
            touched = True  # it adds to the diagnosed lines: a missing `)` or `;`
        elif edit_start == edit_end == start and re.search(r"(\w|\.|::|->)$", edit.new_text):
            touched = True  # it extends or qualifies the name: `x` becomes `self.x`
        elif edit_start == edit_end == end and re.match(r"\w", edit.new_text):
            touched = True  # `allowanc` becomes `allowance`
        if touched:
            break
    if touched and is_name:
        # A misspelt or unknown name is fixed on its line; a reply that also rewrites other
        # lines (rewords the docstring, replaces the body) is another piece of code.
        lines_start, lines_end = code.index.whole_lines(start, end)
        for edit in edits:
            edit_start, edit_end = _offsets(code, edit)
            removed = code.text[edit_start:edit_end]
            outside = edit_start < lines_start or edit_end > lines_end
            if outside and removed.strip():
                raise ReplyError(
                    f"The model's answer changes more than the line with `{symbol}`, so it is "
                    f"not a fix for “{message}”; nothing changed."
                )
    if touched:
        return kept
    if kept and is_name and any(symbol in _NAME.findall(line) for line in kept):
        return kept  # the import provides the missing name (datetime, os...)
    if len(kept) < len(imports):
        raise ReplyError(
            f"The model's answer only imports `{symbol}`, the undefined name itself (it looks "
            f"like a misspelling of `{misspelt[0]}`); that is not a fix, so nothing changed."
        )
    shown = f"`{symbol}`" if symbol and "\n" not in symbol and len(symbol) <= 80 else "the code"
    hint = f" {likely(named)}." if likely(named) else ""
    raise ReplyError(
        f"The model's answer leaves {shown} as it was, so it does not fix “{message}”; "
        f"nothing changed.{hint}"
    )


def check_line_kept(
    code: Code, diagnostic: tuple[int, int] | None, message: str, edits: list[types.TextEdit]
) -> None:
    """Refuse a Fix that deletes the reported lines with nothing in their place, unless the
    problem is that they should go (unused, unreachable): a deleted line is no longer
    reported, which a small model takes for fixed."""
    if diagnostic is None or not edits or _REMOVAL.search(message):
        return
    old, new = diagnosed_lines(code, diagnostic, edits)
    if not old.strip() or new.strip():
        return
    raise ReplyError(
        f"The model's answer deletes the reported line instead of fixing it, so “{message}” "
        "is gone only because the code is; nothing changed."
    )


def check_fix_elsewhere(
    code: Code, diagnostic: tuple[int, int] | None, message: str, edits: list[types.TextEdit]
) -> None:
    """A Fix changes the diagnosed lines; beyond them it may add code (an import, a missing
    ``return``, a closing bracket), and change or remove only the lines tied to them by a
    local variable they share: "use sum()" on a loop's ``+=`` takes the ``result = 0`` above
    and the ``return result`` below with it, but a reply that also rewrites a signature or an
    unrelated statement is another piece of code. (A diagnostic on a name has its own,
    stricter rule in ``check_fix``.)"""
    if diagnostic is None:
        return
    if _NAME.fullmatch(code.text[diagnostic[0] : diagnostic[1]].strip()):
        return
    lines_start, lines_end = code.index.whole_lines(*diagnostic)
    tied = _local_variables(code, diagnostic[0], lines_start, lines_end)
    for edit in edits:
        edit_start, edit_end = _offsets(code, edit)
        for at, upto in ((edit_start, min(edit_end, lines_start)), (lines_end, edit_end)):
            at = max(at, edit_start)
            if upto <= at:
                continue
            if not code.text[at:upto].strip():
                continue
            for line in range(code.index.line_of(at), code.index.line_of(upto - 1) + 1):
                line_start, line_end = code.index.line_span(line)
                removed = code.text[max(at, line_start) : min(upto, line_end)]
                if removed.strip() and not tied & set(_NAME.findall(code.index.line_text(line))):
                    _refuse_elsewhere(code, line, message)


def _local_variables(code: Code, at: int, start: int, end: int) -> set[str]:
    """The local variables (not parameters) of the scope at ``at`` that the text between
    ``start`` and ``end`` uses."""
    names = Names(code.syntax)
    if not names.supported:
        return set()
    visible = names.visible(at)
    used = set(_NAME.findall(code.text[start:end]))
    return {
        name
        for name in used
        if (binding := visible.get(name)) is not None
        and binding.local
        and binding.kind == "variable"
    }


def _refuse_elsewhere(code: Code, line: int, message: str) -> None:
    shown = " ".join(code.index.line_text(line).split())
    shown = shown if len(shown) <= 60 else shown[:59] + "…"
    raise ReplyError(
        f"The model's answer also changes line {line + 1} (`{shown}`), which "
        f"“{message}” is not about, so nothing changed."
    )


def check_signature_kept(signature: str, before: str, after: str) -> None:
    """Refuse a rewrite that changed a signature it had to keep (Implement, Add types' body)."""
    wanted = " ".join(signature.split())
    if " ".join(after.split()).count(wanted) < " ".join(before.split()).count(wanted):
        raise ReplyError(
            "The model's answer changes the function's signature, which it was asked to keep, "
            "so nothing changed."
        )


def check_annotations_only(code: Code, edits: list[types.TextEdit]) -> None:
    """Refuse edits that change anything but the type annotations of signatures (Add types):
    bodies and the code outside functions byte for byte, signatures but for annotations."""
    after_text = apply_text_edits(code.text, edits, code.index.encoding)
    before = signatures_without_annotations(code.syntax)
    after = signatures_without_annotations(code.parse(after_text))
    if before is not None and after is not None:
        # The imports the annotations need may be added.
        imports = re.compile(code.spec.import_line)
        for parts in (before, after):
            lines = parts[0][0].split("\n")
            parts[0] = ("\n".join(line for line in lines if not imports.match(line)), "")
    if before is None or after != before:
        raise ReplyError(
            "The model's answer changes more than type annotations (Add types may only annotate "
            "signatures), so nothing changed."
        )
