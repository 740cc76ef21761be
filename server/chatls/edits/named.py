"""The checks on a Fix for a diagnostic that names a symbol (an undefined name, an unknown
attribute, an unresolved import): the name is replaced by the one clearly meant (the checker's
suggestion, or the only defined name that close) or, when none is clear, by a name defined
there; nothing else on the diagnosed lines changes; and for every Fix, a function that did not
call itself does not start to."""

from __future__ import annotations

import difflib
import re
import sys

from lsprotocol import types

from chatls.errors import ReplyError
from chatls.source.code import Code
from chatls.source.names import Diagnosis, Names
from chatls.source.text import apply_text_edits

_TOKEN = re.compile(r"[A-Za-z_$][\w$]*|\d+(?:\.\d+)?\w*|\S")
_WRITTEN = re.compile(r"(?:([A-Za-z_$][\w$]*)\s*(\.|::|->|\?\.)\s*)?([A-Za-z_$][\w$]*)")


def imports_module(line: str, name: str, language: str) -> bool:
    """Whether ``line`` imports a module of the standard library called ``name`` (Python's
    ``import time``): a missing import, not an import that makes a misspelling "defined"."""
    if language != "python" or name not in sys.stdlib_module_names:
        return False
    return re.fullmatch(rf"\s*import\s+{re.escape(name)}\s*", line) is not None


def likely(diagnosis: Diagnosis | None) -> str:
    """`` `linno` most likely means `lineno` (a parameter of `error_leader`)``, or "" when no
    name is clearly meant."""
    if diagnosis is None or diagnosis.intended is None:
        return ""
    intended = diagnosis.intended
    return f"`{diagnosis.reported.name}` most likely means `{intended.text}` ({intended.why})"


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:59] + "…"


def _spans(code: Code, edits: list[types.TextEdit]) -> list[tuple[int, int, str]]:
    return sorted((*code.index.span(edit.range), edit.new_text) for edit in edits)


def map_offset(spans: list[tuple[int, int, str]], offset: int, left: bool) -> int:
    """Where ``offset`` of the old text lands in the edited text. An insertion exactly there
    stays on the line it joins: before ``offset`` (``left``) only when it ends a line of its
    own, after it (not ``left``) only when it starts one."""
    shift = 0
    for start, end, text in spans:
        if end < offset or (end == offset and start < end):
            shift += len(text) - (end - start)
        elif start == end == offset:
            if (left and text.endswith("\n")) or (not left and not text.startswith("\n")):
                shift += len(text)
        elif start < offset < end:
            return start + shift + (0 if left else len(text))
        else:
            break
    return offset + shift


def diagnosed_lines(
    code: Code, diagnostic: tuple[int, int], edits: list[types.TextEdit]
) -> tuple[str, str]:
    """The whole lines ``diagnostic`` covers, before and after ``edits``."""
    index = code.index
    start, end = index.whole_lines(*diagnostic)
    spans = _spans(code, edits)
    after = apply_text_edits(code.text, edits, index.encoding)
    new = after[map_offset(spans, start, left=True) : map_offset(spans, end, left=False)]
    return code.text[start:end], new


def _tokens(text: str) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(text))


def _joins(inserted: list[re.Match[str]], before: bool) -> bool:
    """Whether tokens inserted right before (or after) the name become part of it: a qualifier
    (``self.``, ``Self::``, ``this.``) or a longer name, not a bracket that goes around it."""
    text = "".join(t.group() for t in inserted)
    if not text:
        return False
    if before:
        return bool(re.search(r"(\w|\.|::|->)$", text))
    return bool(re.match(r"(\w|\.|::)", text))


def check_named_fix(
    code: Code, diagnosis: Diagnosis, message: str, edits: list[types.TextEdit]
) -> None:
    """Refuse a Fix that replaces the diagnosed name with something other than the name clearly
    meant, or with a name not defined there, or that leaves it when one is clearly meant, or
    that rewrites other code on the diagnosed lines."""
    index = code.index
    name = diagnosis.reported.name
    intended = diagnosis.intended
    spans = _spans(code, edits)
    after = apply_text_edits(code.text, edits, index.encoding)
    line_start, line_end = index.whole_lines(diagnosis.start, diagnosis.end)
    new_start = map_offset(spans, line_start, left=True)
    new_end = map_offset(spans, line_end, left=False)
    old_line = code.text[line_start:line_end]
    new_line = after[new_start:new_end]
    old_tokens = _tokens(old_line)
    new_tokens = _tokens(new_line)
    at, stop = diagnosis.start - line_start, diagnosis.end - line_start
    named = [i for i, t in enumerate(old_tokens) if t.start() < stop and t.end() > at]
    if not named:
        return
    first, last = named[0], named[-1] + 1
    matcher = difflib.SequenceMatcher(
        None, [t.group() for t in old_tokens], [t.group() for t in new_tokens], autojunk=False
    )
    # The name's tokens in the new line: those that stayed, what replaced them, and what was
    # inserted right before or after them (``x`` → ``self.x``).
    placed: list[tuple[int, int]] = []
    touched = False
    others: list[tuple[int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            placed += [(j1 + i - i1, j1 + i - i1 + 1) for i in range(max(i1, first), min(i2, last))]
        elif (i1 < last and i2 > first) or (
            tag == "insert"
            and i1 in (first, last)
            and _joins(new_tokens[j1:j2], before=i1 == first)
        ):
            placed.append((j1, j2))
            touched = True
        else:
            others.append((i1, i2, j1, j2))
    if not touched:
        added = [line for edit in edits for line in edit.new_text.splitlines()]
        if any(imports_module(line, name, code.spec.id) for line in added):
            return
        if intended is not None:
            raise ReplyError(
                f"The model's answer leaves `{name}` as it was, and {likely(diagnosis)}, so it "
                f"does not fix “{message}”; nothing changed."
            )
        importing = re.compile(code.spec.import_line) if code.spec.import_line else None
        if importing is not None and any(importing.match(line) for line in added):
            # The name stays and an import provides it: the rest of its line has no reason to
            # change (``return "/posts/" + slugify(t)`` → ``return slugify(t)``).
            _refuse_others(others, old_line, new_line, old_tokens, new_tokens, name, "", message)
        return
    j1 = min(j for j, _ in placed)
    j2 = max(j for _, j in placed)
    opened = ""
    while j2 - j1 > 1 and new_tokens[j1].group() in "([{":
        # A bracket opened before the name goes around more than it: not part of the name.
        opened += new_tokens[j1].group()
        j1 += 1
    if opened:
        raise ReplyError(
            f"The model's answer also puts `{opened}` before `{name}`, which is not part of "
            f"“{message}”, so nothing changed."
        )
    replacement = new_line[new_tokens[j1].start() : new_tokens[j2 - 1].end()] if j2 > j1 else ""
    replacement = "".join(replacement.split())
    if intended is not None and replacement != intended.text:
        what = f"with `{_shown(replacement)}`" if replacement else "by nothing"
        raise ReplyError(
            f"The model's answer replaces `{name}` {what}, but {likely(diagnosis)}, so nothing "
            "changed."
        )
    _refuse_others(others, old_line, new_line, old_tokens, new_tokens, name, replacement, message)
    if intended is None and j2 > j1:
        _check_defined(code, diagnosis, replacement, after, new_start + new_tokens[j1].start())


def _refuse_others(
    others: list[tuple[int, int, int, int]],
    old_line: str,
    new_line: str,
    old_tokens: list[re.Match[str]],
    new_tokens: list[re.Match[str]],
    name: str,
    replacement: str,
    message: str,
) -> None:
    """Refuse the first change on the diagnosed line that is not the name's own, save the same
    misspelling fixed the same way further along."""
    for i1, i2, o1, o2 in others:
        old = old_line[old_tokens[i1].start() : old_tokens[i2 - 1].end()] if i2 > i1 else ""
        new = new_line[new_tokens[o1].start() : new_tokens[o2 - 1].end()] if o2 > o1 else ""
        if old == name and "".join(new.split()) == replacement:
            continue  # the same misspelling, fixed the same way, further along the line
        if not old:
            # An insertion: show it with the token it goes before.
            following = old_tokens[i1].group() if i1 < len(old_tokens) else ""
            old, new = following, new + following
        change = f"`{_shown(old)}` into `{_shown(new)}`" if new else f"removes `{_shown(old)}`"
        verb = "changes " if new else ""
        raise ReplyError(
            f"The model's answer also {verb}{change} on the line with `{name}`, which is not "
            f"part of “{message}”, so nothing changed."
        )


def _check_defined(code: Code, diagnosis: Diagnosis, replacement: str, after: str, at: int) -> None:
    """Refuse a replacement name that is not defined where it is used (looked up in the edited
    file: an import or definition the answer adds counts)."""
    written = _WRITTEN.fullmatch(replacement)
    if written is None:
        return  # an expression, not a name: the other checks judge it
    qualifier, _, name = written.groups()
    if qualifier is None and diagnosis.qualifier:
        qualifier = diagnosis.qualifier  # the member after ``x.`` was replaced, ``x.`` kept
    names = Names(code.parse(after))
    if not names.supported or names.is_open_at(at):
        return
    if qualifier is None:
        if name in names.visible(at):
            return
        # Go's package reaches over other files; a model shown this one cannot know them.
        where = "defined in this file" if code.spec.id == "go" else "defined there"
    else:
        members = names.members_at(at, qualifier)
        if members is None and diagnosis.reported.owner:
            members = names.class_members(diagnosis.reported.owner)
        if members is None or members.open or name in members.names:
            return
        where = f"a member of `{members.owner}`"
    raise ReplyError(
        f"The model's answer replaces `{diagnosis.reported.name}` with `{replacement}`, which is "
        f"not {where} either, so nothing changed."
    )


def check_recursion(
    code: Code,
    diagnostic: tuple[int, int] | None,
    edits: list[types.TextEdit],
    diagnosis: Diagnosis | None,
) -> None:
    """Refuse a Fix that makes the function around the diagnostic call itself where it did
    not before, unless the diagnosed name was a misspelling of that very function's name."""
    if diagnostic is None or not edits:
        return
    before = Names(code.syntax)
    function = before.function_at(diagnostic[0])
    if function is None or before.calls_to(function) > 0:
        return
    intended = diagnosis.intended if diagnosis is not None else None
    if intended is not None and re.split(r"\.|::|->", intended.text)[-1] == function.name:
        return
    spans = _spans(code, edits)
    after_text = apply_text_edits(code.text, edits, code.index.encoding)
    after = Names(code.parse(after_text))
    found = after.function_at(map_offset(spans, diagnostic[0], left=False))
    if found is None or found.name != function.name or after.calls_to(found) == 0:
        return
    hint = f"; {likely(diagnosis)}" if intended is not None else ""
    raise ReplyError(
        f"The model's answer makes `{function.name}` call itself, which it did not before (most "
        f"likely an endless recursion){hint}. Nothing changed."
    )


def check_calls_kept(
    code: Code,
    diagnostic: tuple[int, int] | None,
    message: str,
    edits: list[types.TextEdit],
    calls: tuple[str, ...],
) -> None:
    """Refuse a Fix that drops a call from the diagnosed lines when the problem is in that
    call's arguments: the arguments are to change, and code without the call compiles (or
    not) for another reason (``format!("{}", cents)`` in place of ``format_price(cents, …)``)."""
    if diagnostic is None or not calls or not edits:
        return
    old, new = diagnosed_lines(code, diagnostic, edits)
    for name in calls:
        called = re.compile(rf"(?<![\w$]){re.escape(name)}\s*(?:::<[^>]*>\s*)?\(")
        if called.search(old) and not called.search(new):
            raise ReplyError(
                f"The model's answer no longer calls `{name}` on the reported line, but the "
                f"problem (“{message}”) is in that call's arguments: dropping the call does not "
                "fix them, so nothing changed."
            )
        before = _arguments(old, called)
        if before and sorted(before) == sorted(_arguments(new, called)):
            raise ReplyError(
                f"The model's answer leaves the arguments of `{name}` as they were, so it does "
                f"not fix “{message}”; nothing changed."
            )


def _arguments(text: str, called: re.Pattern[str]) -> list[str]:
    """The argument lists of the calls ``called`` finds in ``text``, whitespace removed."""
    found: list[str] = []
    for match in called.finditer(text):
        depth, at = 1, match.end()
        while at < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[at], 0)
            at += 1
        found.append("".join(text[match.end() : at - 1].split()))
    return found
