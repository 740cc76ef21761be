"""Doc comments in each language's convention, placed where the language wants them.

Whatever shape the reply has (the whole definition with its doc comment, a bare doc comment,
a Python docstring, plain prose, a JSON object), only the documentation text is taken from it:
the reply is parsed with the file's own grammar and the documentation attached to the
definition that matches the target (by name, or the only one) is used, never one that belongs
to another definition. chatls then writes the delimiters and decides the place, so an existing
doc comment is replaced rather than duplicated, and the code stays byte-identical.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import Any

import attrs

from chatls.edits.diff import Change, minimal_edits
from chatls.edits.fitting import detect_indent_style
from chatls.edits.repetition import cut_repetition, on_complete_lines, starts_repeating
from chatls.edits.replies import code_blocks, parse_json_object
from chatls.errors import NoChangeError, ReplyError
from chatls.source.code import Code
from chatls.source.languages import DEFINITION_LINE, LanguageSpec
from chatls.source.syntax import Definition, Span, Syntax, short_name
from chatls.source.text import TextIndex, apply_text_edits, dominant_eol, leading_whitespace

_PY_STRING = re.compile(r'(?s)[rRuU]?("""|\'\'\')(.*?)\1')
_BLOCK = re.compile(r"(?s)/\*\*?(.*?)\*/")
_LINE_LIMIT = 88
_BULLET = re.compile(r"([-*+]|\d+[.)])\s+")
_FIELD = re.compile(r"(@\w+|[\w*]+(?: \([^)]*\))?:)\s+\S")
_LINE_MARKERS = ("///", "//!", "//", "---", "--", "#")
_LEAD_IN = re.compile(r"^(here|sure|certainly|below|the following|this is)\b.*:\s*$", re.IGNORECASE)


@attrs.frozen
class DocPlacement:
    start: int
    end: int
    text: str


def _dedent_lines(lines: list[str], trim: bool = True) -> list[str]:
    indents = [len(leading_whitespace(line)) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    out = [line[cut:].rstrip() if line.strip() else "" for line in lines]
    if not trim:
        return out
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


def _strip_line_markers(lines: list[str]) -> list[str] | None:
    stripped = [line.strip() for line in lines if line.strip()]
    for marker in _LINE_MARKERS:
        if stripped and all(line.startswith(marker) for line in stripped):
            out = []
            for line in lines:
                body = line.strip()[len(marker) :] if line.strip() else ""
                out.append(body[1:] if body.startswith(" ") else body)
            return out
    return None


def _is_comment(line: str) -> bool:
    return line.strip().startswith(("/*", "*", *_LINE_MARKERS))


def _leading_comment(lines: list[str]) -> list[str] | None:
    """A doc comment followed by the code it documents (the usual reply shape), read without
    a grammar: the comment's lines, when code follows them."""
    for marker in ("///", "//", "---", "#"):
        count = 0
        for line in lines:
            stripped = line.strip()
            if stripped.startswith(marker) and not stripped.startswith(("#!", "#[", "#include")):
                count += 1
            elif stripped or count:
                break
        rest = [line for line in lines[count:] if line.strip()]
        if count and rest:
            return _strip_line_markers(lines[:count])
    return None


def doc_text(reply: str, structured: bool) -> list[str]:
    """The documentation text in a reply, as lines without markers or quotes."""
    if structured:
        data = parse_json_object(reply)
        if data is not None and isinstance(data.get("docstring"), str):
            reply = data["docstring"]
    candidate = reply
    blocks = code_blocks(reply)
    leading = [line for line in reply.strip().splitlines()[:2] if line.strip()]
    fenced_answer = bool(leading) and (
        leading[0].startswith(("```", "~~~")) or bool(_LEAD_IN.match(leading[0].strip()))
    )
    # Fences inside a plain-text answer are examples in the documentation, not the answer.
    if blocks and fenced_answer:
        candidate = blocks[0].code
        for block in blocks:
            if _PY_STRING.search(block.code) or _BLOCK.search(block.code):
                candidate = block.code
                break
    lines = candidate.strip("\n").splitlines()
    while lines and _LEAD_IN.match(lines[0].strip()):
        lines.pop(0)
    candidate = "\n".join(lines)
    if match := _PY_STRING.search(candidate):
        lines = match.group(2).splitlines()
        # The first line sits right after the quotes and carries no indentation of its own.
        first, rest = (lines[0].strip(), lines[1:]) if lines else ("", [])
        lines = [first, *_dedent_lines(rest, trim=False)]
    elif match := _BLOCK.search(candidate):
        inner = match.group(1).splitlines()
        lines = [re.sub(r"^\s*\* ?", "", line) for line in inner]
    elif (marked := _strip_line_markers(lines)) is not None:
        lines = marked
    elif _leading_comment(lines) is not None:
        lines = _leading_comment(lines) or []
    elif any(DEFINITION_LINE.match(line) for line in lines):
        raise ReplyError("The model answered with code instead of documentation; nothing changed.")
    lines = _dedent_lines(lines)
    if not lines:
        raise ReplyError("The model's answer held no documentation text; nothing changed.")
    return lines


_NOT_OURS = object()


def _doc_in_code(spec: LanguageSpec, text: str, target: str, others: set[str]) -> Any:
    """The documentation ``text`` (code in the file's language) attaches to ``target``: its
    lines, ``None`` when the text holds no documentation for it, or ``_NOT_OURS`` when the only
    documentation in it is another definition's."""
    parsed = Syntax(text, spec)
    if parsed.tree is None:
        return None
    documented = parsed.documented()
    if not documented and spec.member_wrapper and parsed.error_count():
        # A method on its own is not a valid C# file: read it as a class member.
        head, tail = spec.member_wrapper
        text = head + text + tail
        parsed = Syntax(text, spec)
        documented = [d for d in parsed.documented() if d.span.start > 0]
    if documented:
        mine = [d for d in documented if short_name(d.name) == target]
        if not mine and len(documented) == 1 and short_name(documented[0].name) not in others:
            mine = documented
        if mine:
            found = next((d for d in mine if d.doc is not None), None)
            if found is None or found.doc is None:
                return None
            return _doc_span_lines(text, found.doc)
        return _NOT_OURS if any(d.doc is not None for d in documented) else None
    bare = parsed.module_docstring()
    if bare is not None and not text[bare.end :].strip():
        return _doc_span_lines(text, bare)
    blocks = parsed.comment_blocks()
    if blocks and not _outside(text, blocks).strip():
        lines: list[str] = []
        for block in blocks:
            lines += ([""] if lines else []) + _doc_span_lines(text, block)
        return lines
    return None


def _outside(text: str, spans: list[Span]) -> str:
    out = []
    cursor = 0
    for span in spans:
        out.append(text[cursor : span.start])
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)


def _doc_span_lines(text: str, span: Span) -> list[str]:
    return _marked_lines(text[span.start : span.end].strip("\n"))


def _marked_lines(candidate: str) -> list[str]:
    """Documentation lines without quotes or comment markers."""
    lines = candidate.strip("\n").splitlines()
    if match := _PY_STRING.search(candidate):
        lines = match.group(2).splitlines()
        # The first line sits right after the quotes and carries no indentation of its own.
        first, rest = (lines[0].strip(), lines[1:]) if lines else ("", [])
        return _dedent_lines([first, *_dedent_lines(rest, trim=False)])
    if match := _BLOCK.search(candidate):
        inner = match.group(1).splitlines()
        return _dedent_lines([re.sub(r"^\s*\* ?", "", line) for line in inner])
    marked = _strip_line_markers(lines)
    return _dedent_lines(marked if marked is not None else lines)


def _normal(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split()).lower()


def _docs_elsewhere(code: Code, definition: Definition) -> dict[str, str]:
    """The documentation the file already holds for other definitions (and the module),
    normalised: models copy it from the context instead of writing their own."""
    found: dict[str, str] = {}
    syntax = code.syntax
    for entry in syntax.documented():
        if entry.doc is None or entry.span.start == definition.span.start:
            continue
        if entry.span.name == definition.span.name and entry.span.end == definition.span.end:
            continue
        found[_normal(_doc_span_lines(code.text, entry.doc))] = entry.name
    module = syntax.module_docstring()
    if module is not None:
        found[_normal(_doc_span_lines(code.text, module))] = "the module"
    found.pop("", None)
    return found


def reply_doc(code: Code, definition: Definition, reply: str, structured: bool) -> list[str]:
    """The documentation a reply holds for ``definition``, as lines without markers or quotes;
    raises ``ReplyError`` when it holds none, or only another definition's."""
    text = reply
    data = parse_json_object(reply) if structured or reply.lstrip().startswith("{") else None
    if data is not None and isinstance(data.get("docstring"), str):
        text = data["docstring"]
    target = short_name(definition.span.name)
    others = {short_name(span.name) for span in code.syntax.definitions()} - {target}
    blocks = [block.code for block in code_blocks(text) if block.code.strip()]
    lines: list[str] | None = None
    foreign = False
    if code.syntax.tree is not None:
        for candidate in [*blocks, text]:
            found = _doc_in_code(code.spec, candidate, target, others)
            if found is _NOT_OURS:
                foreign = True
            elif found:
                lines = found
                break
    if lines is None and foreign:
        raise ReplyError(
            f"The model's answer documents another definition, not `{target}`; nothing changed."
        )
    if lines is None:
        own = code.text[definition.span.start : definition.span.end]
        lines = doc_text(_without_own_code(text, own), False)
        # Documentation that repeats the definition's own lines is the code pasted in.
        mine = {" ".join(line.split()) for line in own.splitlines() if len(line.strip()) > 12}
        if any(" ".join(line.split()) in mine for line in lines):
            raise ReplyError(
                "The model answered with code instead of documentation; nothing changed."
            )
    lines = cut_repetition(lines)
    copied = _docs_elsewhere(code, definition).get(_normal(lines))
    if copied is not None:
        raise ReplyError(
            f"The model copied the documentation of {_named(copied)} from the file instead of "
            f"documenting `{target}`; nothing changed."
        )
    return lines


def _without_own_code(text: str, own: str) -> str:
    """Prose with the definition's own code shown after it ("The implementation is: ```...```")
    is prose: the copied code, and the line leading into it, are no documentation."""
    blocks = code_blocks(text)
    lines = text.splitlines()
    if not blocks or not lines or lines[0].lstrip().startswith(("```", "~~~")):
        return text
    mine = {" ".join(line.split()) for line in own.splitlines() if line.strip()}
    out: list[str] = []
    inside: list[str] | None = None
    for line in lines:
        fence = line.lstrip().startswith(("```", "~~~"))
        if inside is None and fence:
            inside = [line]
            continue
        if inside is not None:
            inside.append(line)
            if fence:
                body = [" ".join(x.split()) for x in inside[1:-1] if x.strip()]
                if body and sum(x in mine for x in body) * 2 >= len(body):
                    while out and not out[-1].strip():
                        out.pop()
                    if out and out[-1].rstrip().endswith(":"):
                        # The sentence leading into the code goes, not the paragraph.
                        last = out.pop()
                        cut = last.rstrip().rfind(". ")
                        if cut > 0:
                            out.append(last[: cut + 1])
                else:
                    out += inside
                inside = None
            continue
        out.append(line)
    if inside is not None:
        out += inside
    return "\n".join(out)


def documentation_complete(spec: LanguageSpec, name: str) -> Callable[[str], bool]:
    """A test for a streaming reply: True once it holds finished documentation for ``name``
    (a closed fenced block with it, a closed docstring or doc comment followed by more lines,
    or the definition's own line after its doc comment). The rest would be the code again, or
    commentary: nothing chatls uses, so the stream can close there."""
    target = short_name(name)

    def check(complete: str) -> bool:
        if starts_repeating(complete):
            return True
        blocks = code_blocks(complete)
        for block in blocks:
            if block.closed and _doc_in_code(spec, block.code, target, set()) not in (
                None,
                _NOT_OURS,
            ):
                return True
        if blocks or not complete.strip():
            return False
        stripped = complete.strip()
        if spec.doc_style == "python":
            if re.fullmatch(r'(?s)[rRuU]?(""\"|\'\'\')(.*?)\1', stripped):
                return True
        elif stripped.startswith("/*") and stripped.endswith("*/"):
            return True
        lines = stripped.splitlines()
        leading = _leading_comment(lines)
        if leading is not None:
            head = next((line for line in lines if line.strip() and not _is_comment(line)), "")
            return bool(re.search(rf"\b{re.escape(target)}\b", head))
        found = _doc_in_code(spec, complete, target, set())
        if found in (None, _NOT_OURS):
            return False
        # The definition's line came after its doc comment: what follows is its code.
        last = complete.rstrip().splitlines()[-1].strip()
        if spec.doc_style == "python":
            return True
        return not last.startswith(("/*", "*", *_LINE_MARKERS)) and bool(
            re.search(rf"\b{re.escape(target)}\b", last)
        )

    return on_complete_lines(check)


def _named(name: str) -> str:
    return name if name == "the module" else f"`{name}`"


def wrap(lines: list[str], width: int) -> list[str]:
    """Wrap over-long prose lines; lists, code examples and short lines stay as written."""
    out: list[str] = []
    in_code = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
        if in_code or len(line) <= width or stripped.startswith(("|", ">>>", "```")):
            out.append(line)
            continue
        indent = leading_whitespace(line)
        bullet = _BULLET.match(stripped)
        if bullet:
            follow = indent + " " * bullet.end()  # hang under the item's text
        elif _FIELD.match(stripped):
            follow = indent + "    "  # "name: description", "@param x ...": indent the rest
        else:
            follow = indent
        out.extend(
            textwrap.wrap(
                stripped,
                width=max(width, 40),
                initial_indent=indent,
                subsequent_indent=follow,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return out


def place(
    index: TextIndex,
    spec: LanguageSpec,
    definition: Definition,
    lines: list[str],
    eol: str,
    unit: str,
) -> DocPlacement:
    """Where the doc comment goes and what it replaces."""
    indent = leading_whitespace(index.line_text(definition.header_line))
    if spec.doc_style == "python":
        lines = wrap(lines, _LINE_LIMIT - len(indent) - len(unit.expandtabs(4)))
        return _place_python(index, definition, lines, eol, unit)
    lines = wrap(lines, _LINE_LIMIT - len(indent) - 4)
    return _place_above(index, spec.doc_style, definition, lines, eol)


def _place_python(
    index: TextIndex, definition: Definition, lines: list[str], eol: str, unit: str
) -> DocPlacement:
    text = index.text
    header_indent = leading_whitespace(index.line_text(definition.header_line))
    lines = [line.replace('"""', r"\"\"\"") for line in lines]
    if lines[-1].endswith('"'):
        lines[-1] += " "
    if definition.docstring is not None:
        indent = leading_whitespace(index.line_text(index.line_of(definition.docstring.start)))
    elif (
        definition.body_start is not None
        and index.line_of(definition.body_start) > definition.header_line
    ):
        indent = leading_whitespace(index.line_text(index.line_of(definition.body_start)))
    else:
        indent = header_indent + unit
    if len(lines) == 1:
        doc = f'"""{lines[0]}"""'
    else:
        body = eol.join(indent + line if line else "" for line in lines[1:])
        doc = f'"""{lines[0]}{eol}{body}{eol}{indent}"""'
    if definition.docstring is not None:
        return DocPlacement(definition.docstring.start, definition.docstring.end, doc)
    if definition.body_start is None:
        raise ReplyError("This definition has no body to document.")
    body_line = index.line_of(definition.body_start)
    if body_line > definition.header_line:
        start = index.line_starts[body_line]
        return DocPlacement(start, start, indent + doc + eol)
    # A one-line definition (``def f(): return 1``) becomes a block to hold the docstring.
    gap = definition.body_start
    while gap > 0 and text[gap - 1] in " \t":
        gap -= 1
    return DocPlacement(gap, definition.body_start, eol + indent + doc + eol + indent)


def _is_doc_line(line: str, style: str) -> bool:
    stripped = line.strip()
    if style == "#":
        return stripped.startswith("#") and not stripped.startswith(("#!", "#[", "#include"))
    if style == "block":
        return stripped.startswith("///")
    return stripped.startswith(style)


def _place_above(
    index: TextIndex, style: str, definition: Definition, lines: list[str], eol: str
) -> DocPlacement:
    anchor = index.line_of(definition.span.start)
    indent = leading_whitespace(index.line_text(anchor))
    # Attributes (#[derive], annotations written above) stay between the doc and the item.
    while anchor > 0 and index.line_text(anchor - 1).strip().startswith(("#[", "@")):
        anchor -= 1
    top = anchor
    if style == "block" and anchor > 0 and index.line_text(anchor - 1).rstrip().endswith("*/"):
        line = anchor - 1
        while line >= 0 and "/*" not in index.line_text(line):
            line -= 1
        if line >= 0 and index.line_text(line).lstrip().startswith("/**"):
            top = line
    while top > 0 and _is_doc_line(index.line_text(top - 1), style):
        top -= 1
    if style == "block":
        lines = [line.replace("*/", "*\\/") for line in lines]
        if len(lines) == 1 and len(lines[0]) <= 80:
            rendered = [f"/** {lines[0]} */"]
        else:
            rendered = ["/**", *(f" * {line}" if line else " *" for line in lines), " */"]
    else:
        rendered = [f"{style} {line}" if line else style for line in lines]
    text = "".join(indent + line + eol for line in rendered)
    return DocPlacement(index.line_starts[top], index.line_starts[anchor], text)


def doc_edit(code: Code, definition: Definition, reply: str, structured: bool) -> Change:
    """The edits that put the reply's documentation on ``definition``; raises ``ChatlsError``
    with the reason when the reply holds none, or when it is already there."""
    lines = reply_doc(code, definition, reply, structured)
    placement = place(
        code.index,
        code.spec,
        definition,
        lines,
        dominant_eol(code.text),
        detect_indent_style(code.text).unit,
    )
    edits = minimal_edits(code.index, placement.start, placement.end, placement.text)
    if not edits:
        raise NoChangeError("The documentation is already what the model proposed.")
    _check_code_unchanged(code, placement, edits)
    return Change(placement.start, placement.end, tuple(edits))


def _check_code_unchanged(code: Code, placement: DocPlacement, edits: list[Any]) -> None:
    """A doc edit touches documentation only: the code around it stays byte-identical."""
    after = apply_text_edits(code.text, edits, code.index.encoding)
    start, end = placement.start, placement.end
    tail = len(code.text) - end
    inserted = after[start : len(after) - tail].strip()
    same_outside = (
        after[:start] == code.text[:start] and after[len(after) - tail :] == (code.text[end:])
    )
    if code.spec.doc_style == "python":
        only_doc = bool(re.fullmatch(r'(?s)[rRuU]?(""")(.*)\1', inserted))
    else:
        only_doc = all(
            line.strip().startswith(("/**", "*", "*/", *_LINE_MARKERS))
            for line in inserted.splitlines()
        )
    if not (same_outside and only_doc):
        raise ReplyError("The documentation would change the code around it, so nothing changed.")
