"""Next-edit suggestions (issue 29) on edit sequences cut from real code, scripted or with a model.

    python bench/next_edit.py --scripted                  # the pipeline and the judging: all right
    python bench/next_edit.py [--models qwen,smollm2] [--per-kind 1] [--threads 1]
    python bench/next_edit.py --report bench/.next_edit/RUN.jsonl ...

Tasks are cut mechanically, with tree-sitter, from code installed on this machine: Python's
standard library (``sysconfig``'s ``stdlib``), npm's own JavaScript (``npm root -g``/npm/lib),
Go's standard library (``/usr/share/go-1.19/src``) and Rust's (``rust-src``). Five kinds:

- ``parameter``: a parameter renamed at its declaration; next, its other uses in the body.
- ``local``: a local variable renamed where it is first assigned; next, its other uses.
- ``typo``: one name misspelled at all its uses in a function (not where it is declared); the
  first use fixed; next, the others.
- ``argument``: a parameter added at the end of a function's list; next, an argument (``False``,
  ``false``) added to its calls in the same file.
- ``parallel``: three or more consecutive lines of the same shape calling or setting the same
  member (``w.WriteString(...)``, ``this.x = ...``), the member renamed on the first; next, the
  others.

A name is taken only where renaming it is unambiguous from the syntax: it is not used in a nested
function or comprehension, not declared twice (shadowing), not in a shorthand field, and for
``argument`` every mention of the function in the file is its declaration or a plain call. The
remaining edits must lie in the lines chatls lets the model change around the cursor (its
``nextEdit.linesBefore``/``linesAfter`` defaults, less a line), so a perfect model can be right.

Each model's tasks run in one chatls server over stdio, driven as an editor drives it: each task
in a document of its own, opened (``didOpen``), the first edit typed one character at a time
(``didChange``), then ``chatls/nextEdit`` with the new version and the cursor at the end of what
was typed, and the document closed (chatls forgets its edits, so no task's prompt shows
another's; the scripted mode checks that). The time is from that request to its answer: an editor
asks ``debounceMs`` (400) after the last keystroke, so the pause to the suggestion is that much
longer. A small rename is predicted first to warm the server and the model, and not counted. The suggested edits are applied to the text and judged
against the rest of the real change: **right** (every expected edit and nothing else),
**partial** (some of them, nothing else), **wrong** (any edit not in the real change), **none**
(no edits). An edit is in the real change when, over the span it and the expected edits it
touches cover, it gives the same text as those expected edits; so the server's choice of how
finely to cut a replacement does not matter.

``--scripted`` puts ``chatls_testing.scripted_backend`` in place of the model, answering each
request with its editable region rewritten with exactly the expected edits that fall in it: it
checks the bench's tasks, the pipeline end to end and the judging (it must give all right).
Models are served by llama.cpp (``xllamacpp``) as chatls's built-in backend starts them, reached
as a remote OpenAI-compatible backend with ``nextEdit.enabled`` on. Runs are saved as JSON Lines
under ``bench/.next_edit/`` (git-ignored); ``--report`` prints the tables again.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tree_sitter
from lsprotocol import types

from chatls_testing.editor import Editor, offset_of, position_of
from chatls_testing.models import model_paths
from chatls_testing.scripted_backend import Chat, Recorded, Responder, Response, ScriptedBackend
from completion_confidence import Log, start_process, stop_process
from lsp import percentile, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / ".next_edit"
QWEN_DEFAULT = "/work/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
LANGUAGES = ("python", "javascript", "go", "rust")
KINDS = ("parameter", "local", "typo", "argument", "parallel")
LINES_BEFORE = 5
LINES_AFTER = 15
"""Where the remaining edits may be, in lines from the cursor's: chatls's editable region
(``nextEdit.linesBefore`` 6, ``linesAfter`` 16) less one, in case it counts from another line."""
MOST_EDITS = 8
"""Expected edits a task may have (chatls refuses a suggestion over 12 edits or 10 lines)."""
MOST_FILES = 600
"""Files parsed per language before giving up on filling every kind."""
NEXT_EDIT = "chatls/nextEdit"

FUNCTIONS = {
    "python": {"function_definition"},
    "javascript": {"function_declaration", "method_definition", "generator_function_declaration"},
    "go": {"function_declaration", "method_declaration"},
    "rust": {"function_item"},
}
NESTED = {
    "python": {
        "function_definition",
        "lambda",
        "class_definition",
        "list_comprehension",
        "set_comprehension",
        "dictionary_comprehension",
        "generator_expression",
    },
    "javascript": {
        "function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "method_definition",
        "generator_function",
        "generator_function_declaration",
        "class_declaration",
        "class",
    },
    "go": {"func_literal"},
    "rust": {"closure_expression", "function_item"},
}
MEMBERS = {
    "python": {"identifier"},
    "javascript": {"property_identifier"},
    "go": {"field_identifier"},
    "rust": {"field_identifier"},
}
FLAG = {"python": "False", "javascript": "false", "go": "false", "rust": "false"}
SUFFIXES = ("value", "item", "name", "data", "next")
SNAKE = {"python", "rust"}


@dataclass
class Edit:
    start: int
    end: int
    text: str


@dataclass
class Task:
    id: str
    language: str
    kind: str
    source: str
    name: str
    """The file's path in the bench's workspace."""
    before: str
    first: Edit
    """The edit typed, on ``before``."""
    expected: list[Edit]
    """The edits that should follow, on the text after ``first``."""

    @property
    def middle(self) -> str:
        return apply(self.before, [self.first])

    @property
    def final(self) -> str:
        return apply(self.middle, self.expected)


@dataclass
class Outcome:
    task: str
    language: str
    kind: str
    verdict: str
    """``right``, ``partial``, ``wrong`` or ``none``."""
    expected: int
    made: int
    """Expected edits the suggestion made."""
    shown: int
    """Edits suggested."""
    wrong: int
    """Suggested edits not in the real change."""
    ms: float
    edits: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    """What chatls logged about the prediction (why there was none, say)."""


@dataclass
class Run:
    model: str
    seconds: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)


def apply(text: str, edits: Sequence[Edit]) -> str:
    out, cursor = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < cursor:
            raise ValueError("overlapping edits")
        out += [text[cursor : edit.start], edit.text]
        cursor = edit.end
    return "".join(out) + text[cursor:]


class Source:
    """One file parsed, with its nodes' positions as ``str`` offsets."""

    def __init__(self, language: str, path: Path, text: str, parser: tree_sitter.Parser) -> None:
        self.language = language
        self.path = path
        self.text = text
        data = text.encode()
        self.tree = parser.parse(data)
        self._chars: list[int] | None = None
        if len(data) != len(text):
            chars = [0] * (len(data) + 1)
            position = 0
            for index, char in enumerate(text):
                for _ in range(len(char.encode())):
                    chars[position] = index
                    position += 1
            chars[position] = len(text)
            self._chars = chars

    def offset(self, byte: int) -> int:
        return byte if self._chars is None else self._chars[byte]

    def span(self, node: tree_sitter.Node) -> tuple[int, int]:
        return self.offset(node.start_byte), self.offset(node.end_byte)

    def name(self, node: tree_sitter.Node) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def line(self, offset: int) -> int:
        return self.text.count("\n", 0, offset)


def walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def field_of(node: tree_sitter.Node) -> str | None:
    parent = node.parent
    if parent is None:
        return None
    for index, child in enumerate(parent.children):
        if child.id == node.id:
            return parent.field_name_for_child(index)
    return None


def is_variable(node: tree_sitter.Node, language: str) -> bool:
    """Whether an ``identifier`` names a variable (not an attribute, a keyword argument or a
    composite literal's field, which the grammars also call identifiers)."""
    parent = node.parent
    if parent is None or node.type != "identifier":
        return False
    if language == "python":
        if parent.type == "attribute" and field_of(node) == "attribute":
            return False
        if parent.type == "keyword_argument" and field_of(node) == "name":
            return False
    if language == "go" and parent.type == "literal_element":
        keyed = parent.parent
        if keyed is not None and keyed.type == "keyed_element" and field_of(parent) == "key":
            return False
    return True


def binds(node: tree_sitter.Node, language: str) -> bool:
    """Whether an identifier declares a new variable there (shadowing, for the languages whose
    declarations can)."""
    parent = node.parent
    if parent is None:
        return False
    name = field_of(node)
    if language == "python":
        return parent.type == "assignment" and name == "left"
    if language == "javascript":
        return (parent.type == "variable_declarator" and name == "name") or (
            parent.type in ("for_in_statement", "catch_clause") and name in ("left", "parameter")
        )
    if language == "go":
        if parent.type in ("var_spec", "const_spec", "parameter_declaration") and name == "name":
            return True
        holder = parent.parent
        return (
            parent.type == "expression_list"
            and holder is not None
            and holder.type in ("short_var_declaration", "range_clause", "type_switch_statement")
            and field_of(parent) in ("left", "alias")
        )
    # Rust: any identifier under a ``pattern`` field (let, match arms, if let, for, parameters).
    child: tree_sitter.Node = node
    current: tree_sitter.Node | None = parent
    while current is not None and current.type not in FUNCTIONS["rust"]:
        if field_of(child) == "pattern" or child.type in ("match_pattern", "closure_parameters"):
            return True
        child, current = current, current.parent
    return False


def parameters(function: tree_sitter.Node, language: str) -> list[tree_sitter.Node]:
    """The identifiers that name ``function``'s parameters (not ``self``, splats or patterns)."""
    found: list[tree_sitter.Node] = []
    lists = [function.child_by_field_name("parameters")]
    if language == "go":
        lists.append(function.child_by_field_name("receiver"))
    for params in lists:
        if params is None:
            continue
        for child in params.named_children:
            if child.type == "identifier":
                found.append(child)
            elif language == "python" and child.type == "typed_parameter":
                first = child.named_children[0] if child.named_children else None
                if first is not None and first.type == "identifier":
                    found.append(first)
            elif language == "python" and child.type in (
                "default_parameter",
                "typed_default_parameter",
            ):
                name = child.child_by_field_name("name")
                if name is not None and name.type == "identifier":
                    found.append(name)
            elif language == "javascript" and child.type == "assignment_pattern":
                left = child.child_by_field_name("left")
                if left is not None and left.type == "identifier":
                    found.append(left)
            elif language == "go" and child.type == "parameter_declaration":
                found += [n for n in child.children_by_field_name("name") if n.type == "identifier"]
            elif language == "rust" and child.type == "parameter":
                pattern = child.child_by_field_name("pattern")
                if pattern is not None and pattern.type == "identifier":
                    found.append(pattern)
    return [n for n in found if n.text not in (b"self", b"cls", b"_")]


@dataclass
class Scope:
    """A function: the variable identifiers in it by name, and the names it cannot rename."""

    node: tree_sitter.Node
    uses: dict[str, list[tree_sitter.Node]]
    unsafe: set[str]


def scope_of(source: Source, function: tree_sitter.Node) -> Scope:
    language = source.language
    uses: dict[str, list[tree_sitter.Node]] = {}
    unsafe: set[str] = set()
    stack = [(child, False) for child in reversed(function.children)]
    while stack:
        node, nested = stack.pop()
        if node.type == "identifier":
            text = source.name(node)
            if nested:
                unsafe.add(text)
            elif is_variable(node, language):
                uses.setdefault(text, []).append(node)
        elif "shorthand" in node.type or node.type in ("global_statement", "nonlocal_statement"):
            unsafe.update(source.name(n) for n in walk(node) if n.type.endswith("identifier"))
            unsafe.add(source.name(node))
        inner = nested or node.type in NESTED[language]
        stack.extend((child, inner) for child in reversed(node.children))
    return Scope(function, uses, unsafe)


def functions(source: Source) -> list[tree_sitter.Node]:
    return [n for n in walk(source.tree.root_node) if n.type in FUNCTIONS[source.language]]


def new_name(old: str, language: str, rng: random.Random) -> str:
    word = rng.choice(SUFFIXES)
    if language in SNAKE or "_" in old:
        return f"{old}_{word}"
    return old + word.capitalize()


def misspelt(old: str, rng: random.Random) -> str | None:
    """``old`` with two neighbouring letters inside it swapped, as fast typing does."""
    spots = [i for i in range(1, len(old) - 2) if old[i] != old[i + 1] and old[i : i + 2].isalpha()]
    if not spots:
        return None
    spot = rng.choice(spots)
    return old[:spot] + old[spot + 1] + old[spot] + old[spot + 2 :]


def word_in(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w$]){re.escape(word)}(?![\w$])", text) is not None


def reachable(source: Source, cursor: int, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether every span is in the lines the model may change around ``cursor``."""
    line = source.line(cursor)
    return all(
        line - LINES_BEFORE <= source.line(s) and source.line(e) <= line + LINES_AFTER
        for s, e in spans
    )


def _rename_task(
    source: Source,
    kind: str,
    declaration: tree_sitter.Node,
    others: list[tree_sitter.Node],
    rng: random.Random,
) -> Task | None:
    old = source.name(declaration)
    new = new_name(old, source.language, rng)
    if word_in(source.text, new) or not others or len(others) > MOST_EDITS:
        return None
    start, end = source.span(declaration)
    shift = len(new) - len(old)
    expected = []
    for node in others:
        s, e = source.span(node)
        expected.append(Edit(s + shift, e + shift, new) if s > start else Edit(s, e, new))
    if not reachable(source, start, [source.span(n) for n in others]):
        return None
    return _task(source, kind, source.text, Edit(start, end, new), expected, old)


def _task(
    source: Source, kind: str, before: str, first: Edit, expected: list[Edit], what: str
) -> Task:
    line = before.count("\n", 0, first.start) + 1
    return Task(
        id=f"{source.language}/{source.path.name}:{line}:{kind}:{what}",
        language=source.language,
        kind=kind,
        source=str(source.path),
        name=f"{source.language}/{source.path.name}",
        before=before,
        first=first,
        expected=expected,
    )


def _the_parameter(source: Source, scope: Scope, param: tree_sitter.Node) -> bool:
    """Whether every mention of ``param``'s name in the function is that parameter (in Python,
    assigning to it again is still the same variable)."""
    name = source.name(param)
    uses = scope.uses.get(name, [])
    if name in scope.unsafe or not uses or uses[0].id != param.id:
        return False
    return source.language == "python" or not any(binds(n, source.language) for n in uses[1:])


def parameter_tasks(source: Source, rng: random.Random) -> list[Task]:
    tasks = []
    for function in functions(source):
        scope = scope_of(source, function)
        for param in parameters(function, source.language):
            if not _the_parameter(source, scope, param):
                continue
            uses = scope.uses[source.name(param)]
            task = _rename_task(source, "parameter", param, uses[1:], rng)
            if task:
                tasks.append(task)
    return tasks


def _locals(source: Source, scope: Scope) -> Iterator[tuple[str, list[tree_sitter.Node]]]:
    """Variables declared once in the function body, at their first mention, and used after."""
    params = {source.name(n) for n in parameters(scope.node, source.language)}
    for name, uses in scope.uses.items():
        if name in params or name in scope.unsafe or len(uses) < 2:
            continue
        if not binds(uses[0], source.language):
            continue
        if source.language != "python" and any(binds(n, source.language) for n in uses[1:]):
            continue
        yield name, uses


def local_tasks(source: Source, rng: random.Random) -> list[Task]:
    tasks = []
    for function in functions(source):
        scope = scope_of(source, function)
        for _, uses in _locals(source, scope):
            task = _rename_task(source, "local", uses[0], uses[1:], rng)
            if task:
                tasks.append(task)
    return tasks


def typo_tasks(source: Source, rng: random.Random) -> list[Task]:
    tasks = []
    for function in functions(source):
        scope = scope_of(source, function)
        candidates = [uses for _, uses in _locals(source, scope)]
        for param in parameters(function, source.language):
            uses = scope.uses.get(source.name(param), [])
            if _the_parameter(source, scope, param):
                candidates.append(uses)
        for uses in candidates:
            old = source.name(uses[0])
            wrong = misspelt(old, rng) if len(old) >= 4 else None
            misspelt_uses = uses[1:]
            if wrong is None or word_in(source.text, wrong) or len(misspelt_uses) < 2:
                continue
            if len(misspelt_uses) > MOST_EDITS + 1:
                continue
            spans = [source.span(n) for n in misspelt_uses]
            if not reachable(source, spans[0][1], spans[1:]):
                continue
            # A swap keeps the length: the offsets hold in every version of the text.
            before = apply(source.text, [Edit(s, e, wrong) for s, e in spans])
            first = Edit(spans[0][0], spans[0][1], old)
            expected = [Edit(s, e, old) for s, e in spans[1:]]
            tasks.append(_task(source, "typo", before, first, expected, wrong))
    return tasks


def _arguments_open(call: tree_sitter.Node) -> tree_sitter.Node | None:
    """A call's argument list when an argument can be added at its end: no trailing comma,
    keyword, splat or spread argument."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None or arguments.type not in ("argument_list", "arguments"):
        return None
    closing = arguments.children[-1] if arguments.children else None
    if closing is None or closing.type != ")":
        return None
    inner = arguments.children[1:-1]
    if inner and inner[-1].type == ",":
        return None
    awkward = {
        "keyword_argument",
        "list_splat",
        "dictionary_splat",
        "spread_element",
        "variadic_argument",
        "comment",
    }
    if any(child.type in awkward for child in arguments.named_children):
        return None
    if any(child.type == "..." for child in arguments.children):
        return None
    return arguments


def _append(source: Source, listing: tree_sitter.Node, text: str) -> Edit:
    """``text`` as the last item of a parenthesised list."""
    items = listing.named_children
    if not items:
        opening = source.span(listing)[0] + 1
        return Edit(opening, opening, text)
    end = source.span(items[-1])[1]
    return Edit(end, end, ", " + text)


def _named_functions(
    source: Source,
) -> Iterator[tuple[tree_sitter.Node, tree_sitter.Node | None]]:
    """Functions called by a plain name, with that name: declared ones (not Go's methods) and,
    in JavaScript, ``const f = (...) => ...`` too (npm's own code is mostly written so)."""
    for function in functions(source):
        if function.type != "method_declaration":
            yield function, function.child_by_field_name("name")
    if source.language == "javascript":
        for node in walk(source.tree.root_node):
            value = (
                node.child_by_field_name("value") if node.type == "variable_declarator" else None
            )
            if value is not None and value.type in ("arrow_function", "function_expression"):
                yield value, node.child_by_field_name("name")


def argument_tasks(source: Source, rng: random.Random) -> list[Task]:
    language = source.language
    mentions: dict[str, list[tree_sitter.Node]] = {}
    for node in walk(source.tree.root_node):
        if node.type == "identifier":
            mentions.setdefault(source.name(node), []).append(node)
    tasks = []
    for function, name_node in _named_functions(source):
        params = function.child_by_field_name("parameters")
        if name_node is None or params is None or name_node.type != "identifier":
            continue
        name = source.name(name_node)
        calls: list[tree_sitter.Node] = []
        for mention in mentions.get(name, []):
            if mention.id == name_node.id:
                continue
            call = mention.parent
            if (
                call is None
                or call.type not in ("call", "call_expression")
                or field_of(mention) != "function"
                or _arguments_open(call) is None
            ):
                calls = []
                break
            calls.append(call)
        if not calls or len(calls) > MOST_EDITS:
            continue
        last = params.named_children[-1] if params.named_children else None
        if last is not None and last.type not in (
            "identifier",
            "typed_parameter",
            "parameter_declaration",
            "parameter",
        ):
            continue
        if language in ("python", "javascript") and any(
            c.type == "," for c in params.children[-2:]
        ):
            continue
        if language == "python" and function.parent and function.parent.type == "block":
            grand = function.parent.parent
            if grand is not None and grand.type == "class_definition":
                continue  # a method: called through self, not by its name
        flag = "strict"
        typed = {
            "python": f"{flag}: bool"
            if last is not None and last.type == "typed_parameter"
            else flag,
            "javascript": flag,
            "go": f"{flag} bool",
            "rust": f"{flag}: bool",
        }[language]
        if word_in(source.text[slice(*source.span(function))], flag):
            continue
        first = _append(source, params, typed)
        expected = []
        for call in calls:
            arguments = _arguments_open(call)
            assert arguments is not None
            edit = _append(source, arguments, FLAG[language])
            shift = len(first.text) if edit.start > first.start else 0
            expected.append(Edit(edit.start + shift, edit.end + shift, edit.text))
        if not reachable(source, first.start, [(e.start, e.end) for e in expected]):
            continue
        tasks.append(_task(source, "argument", source.text, first, expected, name))
    return tasks


def _leaves_by_line(source: Source, node: tree_sitter.Node) -> dict[int, list[tree_sitter.Node]]:
    lines: dict[int, list[tree_sitter.Node]] = {}
    spanning: set[int] = set()
    for leaf in walk(node):
        if leaf.child_count or leaf.type in ("comment", "line_comment", "block_comment"):
            continue
        first, last = leaf.start_point[0], leaf.end_point[0]
        if first != last:
            spanning.update(range(first, last + 1))
        lines.setdefault(first, []).append(leaf)
    return {
        n: sorted(ls, key=lambda x: x.start_byte) for n, ls in lines.items() if n not in spanning
    }


def parallel_tasks(source: Source, rng: random.Random) -> list[Task]:
    language = source.language
    tasks = []
    lines = source.text.split("\n")
    for function in functions(source):
        by_line = _leaves_by_line(source, function)
        numbers = sorted(by_line)
        runs: list[list[int]] = []
        for number in numbers:
            shape = [leaf.type for leaf in by_line[number]]
            indent = len(lines[number]) - len(lines[number].lstrip())
            previous = runs[-1][-1] if runs else None
            if (
                previous is not None
                and previous == number - 1
                and [leaf.type for leaf in by_line[previous]] == shape
                and len(lines[previous]) - len(lines[previous].lstrip()) == indent
            ):
                runs[-1].append(number)
            else:
                runs.append([number])
        for run in runs:
            if len(run) < 3 or len(by_line[run[0]]) < 3:
                continue
            run = run[: MOST_EDITS + 1]
            rows = [by_line[n] for n in run]
            for index, leaf in enumerate(rows[0]):
                texts = {source.name(row[index]) for row in rows}
                member = source.name(leaf)
                if len(texts) != 1 or leaf.type not in MEMBERS[language]:
                    continue
                if language == "python" and not (
                    leaf.parent is not None
                    and leaf.parent.type == "attribute"
                    and field_of(leaf) == "attribute"
                ):
                    continue
                if sum(source.name(x) == member for x in rows[0]) != 1:
                    continue
                # The member nowhere else near: the rest of the real change is then only the run.
                near = range(max(0, run[0] - LINES_AFTER), run[-1] + LINES_AFTER + 1)
                if any(word_in(lines[n], member) for n in near if n < len(lines) and n not in run):
                    continue
                new = new_name(member, language, rng)
                if word_in(source.text, new):
                    continue
                spans = [source.span(row[index]) for row in rows]
                shift = len(new) - len(member)
                first = Edit(spans[0][0], spans[0][1], new)
                expected = [Edit(s + shift, e + shift, new) for s, e in spans[1:]]
                if reachable(source, spans[0][1], spans[1:]):
                    tasks.append(_task(source, "parallel", source.text, first, expected, member))
                break
    return tasks


CUTTERS: dict[str, Callable[[Source, random.Random], list[Task]]] = {
    "parameter": parameter_tasks,
    "local": local_tasks,
    "typo": typo_tasks,
    "argument": argument_tasks,
    "parallel": parallel_tasks,
}


def source_files(language: str) -> list[Path]:
    """The language's files on this machine, tests and vendored code left out."""
    skip = {"test", "tests", "testdata", "site-packages", "benches", "node_modules", "idlelib"}
    if language == "python":
        roots, pattern = [Path(sysconfig.get_paths()["stdlib"])], "*.py"
    elif language == "javascript":
        npm = shutil.which("npm")
        found = subprocess.run([npm, "root", "-g"], capture_output=True, text=True) if npm else None
        base = Path(found.stdout.strip()) if found and found.returncode == 0 else None
        roots, pattern = [(base or Path("/usr/lib/node_modules")) / "npm" / "lib"], "*.js"
    elif language == "go":
        roots = [Path("/usr/share/go-1.19/src"), *sorted(Path("/usr/lib").glob("go-1.*/src"))]
        pattern = "*.go"
    else:
        roots = [
            Path("/usr/lib/rustlib/src/rust/library"),
            *sorted(Path("/usr/src").glob("rustc-*/library")),
        ]
        pattern = "*.rs"
    for root in roots:
        if root.is_dir():
            return sorted(
                p
                for p in root.rglob(pattern)
                if not skip & set(p.relative_to(root).parts)
                and not p.name.endswith("_test.go")
                and p.name != "tests.rs"
                and p.stat().st_size < 150_000
            )
    return []


def parser_for(language: str) -> tree_sitter.Parser:
    import tree_sitter_go
    import tree_sitter_javascript
    import tree_sitter_python
    import tree_sitter_rust

    module = {
        "python": tree_sitter_python,
        "javascript": tree_sitter_javascript,
        "go": tree_sitter_go,
        "rust": tree_sitter_rust,
    }[language]
    return tree_sitter.Parser(tree_sitter.Language(module.language()))


def cut(per_kind: int, seed: int, kinds: Sequence[str]) -> list[Task]:
    """``per_kind`` tasks of each kind in each language, at most one of a kind per file. Each
    kind in each language draws from its own generator, so leaving a kind out changes no other.
    Consecutive tasks differ in kind and in language (a run cut short stays balanced)."""
    chosen: dict[tuple[str, str], list[Task]] = {}
    for language in LANGUAGES:
        files = source_files(language)
        if not files:
            print(f"{language}: no sources found; skipped", file=sys.stderr)
            continue
        random.Random(f"{seed}:{language}").shuffle(files)
        rngs = {kind: random.Random(f"{seed}:{language}:{kind}") for kind in kinds}
        parser = parser_for(language)
        for path in files[:MOST_FILES]:
            wanted = [k for k in kinds if len(chosen.get((language, k), [])) < per_kind]
            if not wanted:
                break
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            if "\r" in text:
                continue
            source = Source(language, path, text, parser)
            for kind in wanted:
                found = CUTTERS[kind](source, rngs[kind])
                if found:
                    chosen.setdefault((language, kind), []).append(rngs[kind].choice(found))
    ordered = []
    for index in range(per_kind):
        for turn in range(len(LANGUAGES)):
            for number, kind in enumerate(kinds):
                language = LANGUAGES[(number + turn) % len(LANGUAGES)]
                tasks = chosen.get((language, kind), [])
                if index < len(tasks):
                    ordered.append(tasks[index])
    return ordered


def judge(task: Task, suggested: list[Edit]) -> tuple[str, int, int]:
    """The verdict, the expected edits made and the suggested edits not in the real change."""
    middle = task.middle
    suggested = [e for e in suggested if middle[e.start : e.end] != e.text]
    if not suggested:
        return "none", 0, 0
    made: set[int] = set()
    wrong = 0
    for edit in suggested:
        touched = [
            i for i, e in enumerate(task.expected) if edit.start <= e.end and e.start <= edit.end
        ]
        low = min([edit.start] + [task.expected[i].start for i in touched])
        high = max([edit.end] + [task.expected[i].end for i in touched])
        window = middle[low:high]
        theirs = apply(window, [Edit(edit.start - low, edit.end - low, edit.text)])
        ours = apply(
            window,
            [
                Edit(
                    task.expected[i].start - low, task.expected[i].end - low, task.expected[i].text
                )
                for i in touched
            ],
        )
        if theirs == ours and touched:
            made.update(touched)
        else:
            wrong += 1
    if wrong:
        return "wrong", len(made), wrong
    try:
        whole = apply(middle, suggested) == task.final
    except ValueError:
        return "wrong", len(made), len(suggested)
    return ("right" if whole else "partial"), len(made), 0


def scripted_answer(task: Task, name: str, leaks: list[str]) -> Responder:
    """The scripted model for ``task`` (open as ``name``): its region rewritten with the
    expected edits in it. A prompt that shows edits of another file is noted in ``leaks``."""
    start_marker, end_marker = "<|editable_region_start|>\n", "<|editable_region_end|>"
    fence = task.language

    def respond(recorded: Recorded) -> Response:
        system = " ".join(str(m.get("content")) for m in recorded.messages if m["role"] == "system")
        if "predict the next edit" not in system:
            return Chat("")
        prompt = str(recorded.messages[-1].get("content") or "")
        leaks.extend(
            line for line in prompt.splitlines() if line.startswith("+++ ") and name not in line
        )
        if start_marker not in prompt:
            return Chat("")
        region = prompt.split(start_marker, 1)[1].split(end_marker, 1)[0]
        region = region.replace("<|cursor|>", "")
        middle = task.middle
        at = middle.find(region)
        rewritten = region
        if at >= 0:
            inside = [
                Edit(e.start - at, e.end - at, e.text)
                for e in task.expected
                if at <= e.start and e.end <= at + len(region)
            ]
            rewritten = apply(region, inside)
        ending = "" if rewritten.endswith("\n") else "\n"
        return Chat(f"```{fence}\n{rewritten}{ending}```")

    return respond


def warm_up() -> Task:
    """A rename in a two-line function: the smallest prediction."""
    before = "def double(value):\n    return value * 2\n"
    at = before.index("value")
    middle = before.replace("value", "amount", 1)
    use = middle.index("value")
    return Task(
        id="warm-up",
        language="python",
        kind="parameter",
        source="",
        name="warm-up/double.py",
        before=before,
        first=Edit(at, at + len("value"), "amount"),
        expected=[Edit(use, use + len("value"), "amount")],
    )


def plain(value: Any) -> Any:
    """A pygls result (nested named tuples for a method lsprotocol does not know) as JSON."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


async def run_task(editor: Editor, task: Task, name: str, whole: bool, log: Log) -> Outcome:
    """``task`` in ``editor``'s server as the document ``name``, closed again afterwards."""
    uri = editor.open(name, task.before, task.language)
    first = task.first
    start = position_of(task.before, first.start)
    end = position_of(task.before, first.end)
    if whole or not first.text:
        editor.type(uri, types.Range(start=start, end=end), first.text)
    else:
        # As typing does: the first key replaces what was there, the others follow it.
        editor.type(uri, types.Range(start=start, end=end), first.text[0])
        for count in range(1, len(first.text)):
            at = position_of(editor.text(uri), first.start + count)
            editor.type(uri, types.Range(start=at, end=at), first.text[count])
    assert editor.text(uri) == task.middle
    version = editor.docs[uri].version
    cursor = position_of(task.middle, first.start + len(first.text))
    started = time.monotonic()
    result = await editor.client.protocol.send_request_async(
        NEXT_EDIT,
        {
            "textDocument": {"uri": uri, "version": version},
            "position": {"line": cursor.line, "character": cursor.character},
        },
    )
    ms = (time.monotonic() - started) * 1000
    # Why there was no suggestion, or how many edits, as chatls logged it.
    notes = [line.split("next edit: ", 1)[1] for line in log.new_lines() if "next edit: " in line]
    # Closed, the server forgets the document's edits: the next task's prompt shows none of them.
    editor.close(uri)
    answer = plain(result) or {}
    suggested = []
    stale = 0
    for raw in answer.get("edits") or []:
        document = raw.get("textDocument") or {}
        if document.get("uri") != uri or document.get("version") != version:
            stale += 1
            continue
        span = raw["range"]
        s = offset_of(task.middle, types.Position(**span["start"]))
        e = offset_of(task.middle, types.Position(**span["end"]))
        suggested.append(Edit(s, e, raw.get("text", "")))
    verdict, made, wrong = judge(task, suggested)
    if stale:
        verdict, wrong = "wrong", wrong + stale
    return Outcome(
        task=task.id,
        language=task.language,
        kind=task.kind,
        verdict=verdict,
        expected=len(task.expected),
        made=made,
        shown=len(suggested) + stale,
        wrong=wrong,
        ms=ms,
        edits=[asdict(e) for e in suggested],
        note="; ".join(notes),
    )


async def measure(
    model: str,
    tasks: list[Task],
    base_url: str,
    args: argparse.Namespace,
    backend: ScriptedBackend | None = None,
) -> Run:
    """The tasks in one chatls server, as in an editor session: each in a document of its own,
    closed after its request."""
    settings: dict[str, Any] = {
        "nextEdit": {"enabled": "on"},
        "temperature": 0,
        "seed": 1,
        "maxRetries": 0,
        "timeout": 600,
    }
    run = Run(model=model)
    leaks: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        client = await start_server(base_url, workspace, settings, workspace / "chatls.log", "info")
        editor = Editor(client, workspace)
        log = Log(workspace / "chatls.log")
        try:
            # The server's first prediction loads the model client, and the model's first
            # request warms it: not part of the figures (a small one, as it costs a model call).
            warm = warm_up()
            if backend is not None:
                backend.responder = scripted_answer(warm, warm.name, leaks)
            await run_task(editor, warm, warm.name, args.whole, log)
            leaks.clear()
            started = time.monotonic()
            for index, task in enumerate(tasks):
                if time.monotonic() - started > args.minutes * 60:
                    print(f"  --minutes {args.minutes} reached: stopping after {index} tasks")
                    break
                name = f"t{index + 1:03}/{task.name}"
                if backend is not None:
                    backend.responder = scripted_answer(task, name, leaks)
                outcome = await run_task(editor, task, name, args.whole, log)
                run.outcomes.append(outcome)
                print(
                    f"  {index + 1:3}/{len(tasks)} {task.id[:60]:<60} {outcome.ms / 1000:5.1f} s "
                    f"{outcome.verdict} ({outcome.made}/{outcome.expected} made, "
                    f"{outcome.wrong} wrong of {outcome.shown} shown)"
                    + (f": {outcome.note}" if outcome.verdict == "none" else ""),
                    flush=True,
                )
            run.seconds = time.monotonic() - started
        finally:
            await stop_server(client)
    if leaks:
        print(f"  warning: {len(leaks)} prompts showed another task's edits: {leaks[:3]}")
    return run


def _percent(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def report(runs: Sequence[Run]) -> None:
    for run in runs:
        done = run.outcomes
        took = f"{run.seconds:.0f} s" if run.seconds < 120 else f"{run.seconds / 60:.1f} min"
        print(f"\n{run.model}: {len(done)} tasks in {took}")
        print(
            "| group | tasks | shown | right | partial | wrong | none | precision | recall "
            "| wrong edits shown | latency median / p90 |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        groups: list[tuple[str, list[Outcome]]] = [
            (kind, [o for o in done if o.kind == kind]) for kind in KINDS
        ]
        groups += [(lang, [o for o in done if o.language == lang]) for lang in LANGUAGES]
        groups.append(("all", done))
        for name, group in groups:
            if not group:
                continue
            counts = {v: sum(o.verdict == v for o in group) for v in ("right", "partial")}
            wrong = sum(o.verdict == "wrong" for o in group)
            none = sum(o.verdict == "none" for o in group)
            shown = len(group) - none
            expected = sum(o.expected for o in group)
            made = sum(o.made for o in group)
            times = [o.ms for o in group]
            print(
                f"| {name} | {len(group)} | {shown} | {counts['right']} | {counts['partial']} | "
                f"{wrong} | {none} | {_percent(counts['right'] + counts['partial'], shown)} | "
                f"{_percent(made, expected)} ({made}/{expected}) | "
                f"{sum(o.wrong for o in group)} | "
                f"{statistics.median(times):,.0f} / {percentile(times, 90):,.0f} ms |"
            )
        reasons = collections.Counter(why_none(o) for o in done if o.verdict == "none")
        if reasons:
            print("  no suggestion: " + "; ".join(f"{n}x {r}" for r, n in reasons.most_common()))


def why_none(outcome: Outcome) -> str:
    """chatls's reason for giving no suggestion, its figures left out so that alike reasons
    count together: the last one it logged before its closing line (which only says there was
    none), since an earlier one (edits left out) may not have decided it."""
    reasons = [
        note
        for note in outcome.note.split("; ")
        if note
        and note != "no suggestion"
        and not re.match(r"(no suggestion|\d+ edits \(.*\)) in \d+ ms$", note)
    ]
    if not reasons:
        return "(no reason logged)"
    return re.sub(r"\d+(\.\d+)?", "N", reasons[-1])


def save(run: Run) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{time.strftime('%Y%m%d-%H%M%S')}-{run.model}.jsonl"
    header = {"model": run.model, "seconds": run.seconds}
    lines = [json.dumps(header)] + [json.dumps(asdict(o)) for o in run.outcomes]
    path.write_text("\n".join(lines) + "\n")
    return path


def load(paths: Sequence[Path]) -> list[Run]:
    """Saved runs, those of one model taken together."""
    runs: dict[str, Run] = {}
    for path in paths:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        run = runs.setdefault(rows[0]["model"], Run(model=rows[0]["model"]))
        run.seconds += rows[0]["seconds"]
        run.outcomes += [Outcome(**row) for row in rows[1:]]
    return list(runs.values())


async def main_async(args: argparse.Namespace, tasks: list[Task]) -> list[Run]:
    from chatls.model.local import child_command

    runs = []
    if args.scripted:
        backend = ScriptedBackend().start()
        print("scripted model (answers each region with the expected edits in it):", flush=True)
        try:
            runs.append(await measure("scripted", tasks, backend.url, args, backend))
        finally:
            backend.stop()
        return runs
    for name, path in model_paths(args.models, args.qwen).items():
        print(f"{name} ({path.name}, {args.threads} threads):", flush=True)
        llama, url = start_process(child_command(path, args.threads, args.context))
        try:
            runs.append(await measure(name, tasks, f"{url}/v1", args))
        finally:
            stop_process(llama)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="qwen,smollm2", help="comma-separated: qwen, smollm2")
    parser.add_argument("--qwen", default=QWEN_DEFAULT, help="Qwen2.5-Coder-0.5B GGUF")
    parser.add_argument("--scripted", action="store_true", help="the scripted model, no real one")
    parser.add_argument("--per-kind", type=int, default=2, help="tasks per kind per language")
    parser.add_argument("--kind", action="append", choices=KINDS, help="only this kind")
    parser.add_argument("--seed", type=int, default=29)
    # One: the machine's two cores are shared, and llama.cpp's threads then wait on each other.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--context", type=int, default=4096, help="tokens per llama.cpp slot")
    parser.add_argument("--minutes", type=float, default=60, help="per model, then stop")
    parser.add_argument(
        "--whole", action="store_true", help="send the first edit as one change, not typed"
    )
    parser.add_argument("--list", action="store_true", help="print the tasks and stop")
    parser.add_argument("--report", type=Path, nargs="*", help="print the tables of saved runs")
    args = parser.parse_args()
    if args.report:
        report(load(args.report))
        return
    tasks = cut(args.per_kind, args.seed, args.kind or KINDS)
    print(f"{len(tasks)} tasks from {len({t.source for t in tasks})} files (seed {args.seed}):")
    for kind in KINDS:
        per = [sum(t.kind == kind and t.language == lang for t in tasks) for lang in LANGUAGES]
        print(
            f"  {kind:<9} "
            + ", ".join(f"{lang} {n}" for lang, n in zip(LANGUAGES, per, strict=True))
        )
    if args.list:
        for task in tasks:
            print(f"\n--- {task.id} ({task.source})")
            print(
                f"first: {task.before[task.first.start : task.first.end]!r} -> {task.first.text!r}"
            )
            for edit in task.expected:
                print(
                    f"  then {task.middle[edit.start : edit.end]!r} -> {edit.text!r} "
                    f"at line {task.middle.count(chr(10), 0, edit.start) + 1}"
                )
        return
    runs = asyncio.run(main_async(args, tasks))
    for run in runs:
        print(f"  saved to {save(run).relative_to(ROOT)}")
    report(runs)


if __name__ == "__main__":
    main()
