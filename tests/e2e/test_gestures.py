"""What editors really send: every action × every way people select code × every language
with a grammar, over LSP against the real server, one server for the whole module.

Gestures: a cursor in a definition's body and on its name, a selection from its keyword, whole
lines as Vim's ``V`` sends them (column 0 to the end of the last line) and as a click on VS
Code's line numbers does (ending at column 0 of the next line), whole lines from its decorator,
attribute or doc comment, a word inside its body, and the whole file. Definitions sit in
classes, ``impl`` blocks, namespaces, objects, modules and other functions
(``chatls_testing.gesture_samples``); variants add CRLF line endings, tab indentation, and
characters outside the BMP before the selection (UTF-16 positions).

Every cell states its expected target, computed here from the sample's text (never with
chatls's own code): the scripted backend answers what a good model would for that target, and
the result must be exactly the expected document, answer or refusal.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types

from chatls_testing.editor import position_of
from chatls_testing.gesture_samples import SAMPLES, Sample, Subject
from chatls_testing.scripted_backend import Chat, Recorded, ScriptedBackend
from tests.conftest import Session, open_session

pytestmark = pytest.mark.asyncio(loop_scope="module")

GESTURES = (
    "cursor in body",
    "cursor on name",
    "from keyword",
    "line-wise",
    "line-wise to next line",
    "from lead",
    "word in body",
    "cursor on the blank line after",
)
DOC = {
    "python": "python",
    "go": "//",
    "rust": "///",
    "csharp": "///",
    "swift": "///",
    "ruby": "#",
    "shellscript": "#",
    "lua": "---",
}
"""Each language's doc comment (``block`` for ``/** */`` where not listed)."""
TITLES = {
    "docstring": "Generate docstring",
    "refactor": "Refactor",
    "explain": "Explain",
    "ask": "Ask",
    "translate": "Translate",
    "tests": "Write tests",
    "implement": "Implement",
    "types": "Add types",
    "fix": "Fix",
    "refine": "Refine",
}
TYPED = ("python", "typescript")
TESTED = ("python", "typescript", "javascript", "go", "rust")
_BREAK = re.compile(r"\r\n|\r|\n")
_FENCE = re.compile(r"```[^\n]*\n(.*?)\n```", re.DOTALL)
_COUNT = re.compile(r"\bcount\b")


def _variants() -> list[tuple[str, Sample]]:
    found = [(sample.language, sample) for sample in SAMPLES]
    python = SAMPLES[0]
    found.append(("python-crlf", replace(python, text=python.text.replace("\n", "\r\n"))))
    # Characters outside the BMP before the word selected and before the cursor: two UTF-16
    # units each.
    body = python.subjects[0].body
    emoji = body.replace("if count", 'if "🎯𝄞" and count')
    subjects = (replace(python.subjects[0], body=emoji), *python.subjects[1:])
    found.append(
        ("python-astral", replace(python, text=python.text.replace(body, emoji), subjects=subjects))
    )
    rust = next(sample for sample in SAMPLES if sample.language == "rust")

    def tabs(line: str) -> str:
        stripped = line.lstrip(" ")
        return "\t" * ((len(line) - len(stripped)) // 4) + stripped

    def tab_subject(subject: Subject) -> Subject:
        return replace(
            subject,
            first=tabs(subject.first),
            key=tabs(subject.key),
            last=tabs(subject.last),
            body=tabs(subject.body),
            code=tabs(subject.code),
        )

    found.append(
        (
            "rust-tabs",
            replace(
                rust,
                text="\n".join(tabs(line) for line in rust.text.split("\n")),
                subjects=tuple(tab_subject(s) for s in rust.subjects),
                peek=tab_subject(rust.peek) if rust.peek else None,
                implemented="\n".join(tabs(line) for line in rust.implemented.split("\n")),
            ),
        )
    )
    return found


VARIANTS = _variants()


@dataclass(frozen=True)
class Lines:
    """A text's lines without their terminators, and where each starts."""

    text: str

    @property
    def starts(self) -> list[int]:
        return [0] + [m.end() for m in _BREAK.finditer(self.text)]

    @property
    def lines(self) -> list[str]:
        return _BREAK.split(self.text)

    def end(self, line: int) -> int:
        return self.starts[line] + len(self.lines[line])


@dataclass(frozen=True)
class Place:
    """Where a subject is in a text, as offsets."""

    first: int
    """Line numbers: its lead, its code, its keyword, its body line, its last line."""
    code: int
    key: int
    body: int
    last: int
    lines: Lines
    name: str

    def start(self, line: int) -> int:
        return self.lines.starts[line]

    def text_start(self, line: int) -> int:
        """The first non-blank character of ``line``."""
        content = self.lines.lines[line]
        return self.lines.starts[line] + len(content) - len(content.lstrip())

    @property
    def end(self) -> int:
        return self.lines.end(self.last)

    @property
    def word(self) -> tuple[int, int]:
        """The first ``count`` (or ``tally``, once renamed) on its body line."""
        line = self.lines.lines[self.body]
        at = line.index("count") if "count" in line else line.index("tally")
        start = self.lines.starts[self.body] + at
        return start, start + len("count")


def place(text: str, subject: Subject) -> Place:
    lines = Lines(text)
    all_lines = lines.lines
    first = all_lines.index(subject.first)
    code = all_lines.index(subject.code, first)
    key = all_lines.index(subject.key, first)
    last = all_lines.index(subject.last, key)
    body = all_lines.index(subject.body, key)
    return Place(first, code, key, body, last, lines, subject.name)


def gesture(where: Place, kind: str) -> tuple[int, int]:
    """The offsets an editor's range covers for a gesture on a subject."""
    if kind == "cursor in body":
        at = where.word[0] + 2
        return at, at
    if kind == "cursor on name":
        line = where.lines.lines[where.key]
        at = where.start(where.key) + re.search(rf"\b{re.escape(where.name)}\b", line).start() + 1  # type: ignore[union-attr]
        return at, at
    if kind == "from keyword":
        return where.text_start(where.key), where.end
    if kind == "line-wise":
        return where.start(where.key), where.end
    if kind == "line-wise to next line":
        return where.start(where.key), where.start(where.last + 1)
    if kind == "from lead":
        return where.start(where.first), where.start(where.last + 1)
    if kind == "word in body":
        return where.word
    if kind == "cursor on the blank line after":
        at = (
            where.lines.starts[where.last + 1]
            if where.last + 1 < len(where.lines.starts)
            else where.end
        )
        return at, at
    raise AssertionError(kind)


def _blank_after(where: Place) -> bool:
    following = where.lines.lines[where.last + 1 : where.last + 2]
    return not following or not following[0].strip()


def whole_lines(where: Place, first: int) -> tuple[int, int]:
    return where.start(first), where.end


def region_for(where: Place, kind: str) -> tuple[int, int]:
    """What a region action rewrites for a gesture (whole lines unless part of a line was
    selected); a cursor means the definition's own code, decorators included."""
    if kind.startswith("cursor"):
        return whole_lines(where, where.code)
    if kind == "from lead":
        return whole_lines(where, where.first)
    if kind == "word in body":
        return where.word
    return whole_lines(where, where.key)


def span_for(where: Place, kind: str) -> tuple[int, int]:
    """What a region action shows the model as the code in question for a gesture."""
    if kind.startswith("cursor"):
        return where.text_start(where.code), where.end
    if kind == "from lead":
        return where.text_start(where.first), where.end
    if kind == "word in body":
        return where.word
    return where.text_start(where.key), where.end


def renamed(text: str, start: int, end: int, old: str = "count", new: str = "tally") -> str:
    return text[:start] + re.sub(rf"\b{old}\b", new, text[start:end]) + text[end:]


def documented(sample: Sample, text: str, where: Place, doc: str) -> str:
    """``text`` with ``doc`` as the subject's documentation, where its language wants it."""
    lines = where.lines
    eol = "\r\n" if "\r\n" in text else "\n"
    if sample.language == "python":
        line = where.key + 1
        content = lines.lines[line]
        indent = content[: len(content) - len(content.lstrip())]
        quoted = f'{indent}"""{doc}"""{eol}'
        if content.strip().startswith('"""'):
            return text[: lines.starts[line]] + quoted + text[lines.starts[line + 1] :]
        return text[: lines.starts[line]] + quoted + text[lines.starts[line] :]
    style = DOC.get(sample.language, "block")
    key = lines.lines[where.key]
    indent = key[: len(key) - len(key.lstrip())]
    new = f"{indent}/** {doc} */{eol}" if style == "block" else f"{indent}{style} {doc}{eol}"
    top = where.first
    below = top
    while below < where.key and lines.lines[below].strip().startswith(
        ("/**", "*", "//", "#", "--", "///")
    ):
        if lines.lines[below].strip().startswith("#["):
            break
        below += 1
    return text[: lines.starts[top]] + new + text[lines.starts[below] :]


def last_code(request: Recorded) -> str:
    """The code in question in a request: the last fenced block of its last user message."""
    user = [m for m in request.messages if m.get("role") == "user"][-1]
    blocks = _FENCE.findall(str(user.get("content", "")))
    return blocks[-1] if blocks else ""


def fenced(code: str, fence: str = "") -> str:
    return f"```{fence}\n{code}\n```"


@dataclass
class Expect:
    """What a cell must come to: an edit (the document after it), an answer, a new document,
    or one message holding ``refused``; ``code`` is what the model must have been shown as the
    code in question, ``label`` the progress title's target."""

    after: str | None = None
    markdown: bool = False
    document: bool = False
    refused: str | None = None
    code: str | None = None
    label: str | None = None
    ask: tuple[str, ...] | None = None
    """The definitions the user is asked to choose from (the test picks the first)."""


@dataclass
class Cell:
    name: str
    sample: Sample
    text: str
    action: str
    start: int
    end: int
    expect: Expect
    answer: Callable[[Recorded], str]
    arguments: dict[str, Any]
    pick: str | None = None


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Session]:
    backend = ScriptedBackend().start()
    root = tmp_path_factory.mktemp("gestures")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("OPENAI_")}
    env["HOME"] = str(root / "home")
    opened = await open_session(
        backend, root / "workspace", root / "server.log", env, {"customActions": CUSTOM}
    )
    yield opened
    await opened.client.shutdown_session()
    await opened.client.stop()
    backend.stop()


_counter = iter(range(1_000_000))


async def run_cell(session: Session, cell: Cell) -> str | None:
    """Runs one cell; returns what went differently, or None."""
    editor = session.editor
    number = next(_counter)
    folder = f"c{number}"
    uri = editor.open(f"{folder}/{cell.sample.file}", cell.text, cell.sample.language)
    rng = types.Range(
        start=position_of(cell.text, cell.start, editor.encoding),
        end=position_of(cell.text, cell.end, editor.encoding),
    )
    seen_messages = len(session.messages())
    seen_requests = len(session.backend.requests)
    seen_asked = len(session.asked)
    session.backend.responder = lambda request: Chat(cell.answer(request))
    if cell.pick is not None:
        session.answers.append(cell.pick)
    token = f"t{number}"
    argument = {
        "uri": uri,
        "range": {
            "start": {"line": rng.start.line, "character": rng.start.character},
            "end": {"line": rng.end.line, "character": rng.end.character},
        },
        **cell.arguments,
    }
    if cell.expect.markdown or cell.expect.document:
        # As editor plugins do: they show the answer or the new document themselves.
        argument["quiet"] = True
    result = await session.command(f"chatls.{cell.action}", argument, token)
    session.answers.clear()
    messages = session.messages()[seen_messages:]
    requests = session.backend.requests[seen_requests:]
    asked = session.asked[seen_asked:]
    after = editor.text(uri)
    editor.close(uri)
    expect = cell.expect
    problems = []
    if expect.ask is not None:
        titles = tuple(item.title for ask in asked for item in ask.actions or [])
        if tuple(re.sub(r" \(line \d+\)$", "", title) for title in titles) != expect.ask:
            problems.append(f"asked {titles}, expected {expect.ask}")
    elif asked:
        problems.append(f"asked {[a.message for a in asked]}")
    if expect.refused is not None:
        if after != cell.text:
            problems.append("edited although it should refuse")
        if len(messages) != 1 or expect.refused not in messages[0]:
            problems.append(f"messages {messages}, expected one with {expect.refused!r}")
        return "; ".join(problems) or None
    if messages:
        problems.append(f"messages {messages}")
    if expect.code is not None:
        shown = last_code(requests[-1]) if requests else ""
        if shown != expect.code:
            problems.append(f"the model was shown {shown!r}, expected {expect.code!r}")
    if expect.after is not None and after != expect.after:
        problems.append(f"document became {after!r}, expected {expect.after!r}")
    if expect.markdown and not (isinstance(result, dict) and result.get("markdown")):
        problems.append(f"no answer: {result!r}")
    if expect.document and not (isinstance(result, dict) and result.get("document")):
        problems.append(f"no new document: {result!r}")
    if expect.label is not None:
        reports = session.client.progress_reports.get(token, [])
        titles = [r.title for r in reports if isinstance(r, types.WorkDoneProgressBegin)]
        wanted = f"chatls: {TITLES[cell.action]}: {expect.label}"
        if titles != [wanted]:
            problems.append(f"progress titles {titles}, expected {wanted!r}")
    return "; ".join(problems) or None


def _rename_answer(request: Recorded) -> str:
    return fenced(_COUNT.sub("tally", last_code(request)))


def _doc_answer(name: str) -> Callable[[Recorded], str]:
    return lambda request: f"Does the work of {name}."


def _markdown_answer(request: Recorded) -> str:
    return "It pops the last items and checks the count first."


def _annotated(sample: Sample) -> Callable[[Recorded], str]:
    def answer(request: Recorded) -> str:
        code = last_code(request)
        for subject in sample.subjects:
            if subject.signature is not None:
                before, after = subject.signature
                code = code.replace(before.strip(), after.strip())
        return fenced(code)

    return answer


def _annotate_expected(sample: Sample, text: str, start: int, end: int) -> str:
    middle = text[start:end]
    for subject in sample.subjects:
        if subject.signature is not None:
            before, after = subject.signature
            middle = middle.replace(before.strip(), after.strip())
    return text[:start] + middle + text[end:]


_TESTS: dict[str, dict[str, str]] = {
    "python": {
        "pop": (
            "def test_pop_takes_the_last_items():\n"
            "    assert Stack.pop([1, 2, 3], 2) == [2, 3]\n\n\n"
            "def test_pop_past_the_bottom_raises():\n"
            "    with pytest.raises(IndexError):\n"
            "        Stack.pop([1], 2)\n"
        ),
        "total": (
            "def test_total_doubles_each_value_plus_the_running_count():\n"
            "    assert total([1, 2]) == 8\n\n\n"
            "def test_total_of_nothing_is_zero():\n"
            "    assert total([]) == 0\n"
        ),
    },
    "typescript": {
        "pop": (
            'test("pop takes the last items", () => {\n'
            "  assert.deepEqual(new Stack().pop([1, 2, 3], 2), [2, 3]);\n"
            "});\n\n"
            'test("pop past the bottom throws", () => {\n'
            "  assert.throws(() => new Stack().pop([1], 2), /empty stack/);\n"
            "});\n"
        ),
        "total": (
            'test("total doubles each value plus the running count", () => {\n'
            "  assert.equal(total([1, 2]), 8);\n"
            "});\n"
        ),
    },
    "go": {
        "pop": (
            "func TestPopTakesTheLastItems(t *testing.T) {\n"
            "\ts := &Stack{items: []int{1, 2, 3}}\n"
            "\tgot, err := s.Pop(2)\n"
            "\tif err != nil || len(got) != 2 || got[0] != 2 || got[1] != 3 {\n"
            '\t\tt.Fatalf("Pop(2) = %v, %v; want [2 3], nil", got, err)\n'
            "\t}\n"
            "}\n\n"
            "func TestPopPastTheBottomFails(t *testing.T) {\n"
            "\ts := &Stack{items: []int{1}}\n"
            "\tif _, err := s.Pop(2); err == nil {\n"
            '\t\tt.Fatal("Pop(2) on one item gave no error")\n'
            "\t}\n"
            "}\n"
        ),
        "total": (
            "func TestTotalDoublesEachValuePlusTheRunningCount(t *testing.T) {\n"
            "\tif got := Total([]int{1, 2}); got != 8 {\n"
            '\t\tt.Errorf("Total([1 2]) = %d, want 8", got)\n'
            "\t}\n"
            "}\n"
        ),
    },
    "rust": {
        "pop": (
            "    #[test]\n"
            "    fn pop_takes_the_last_items() {\n"
            "        let mut stack = Stack { count: 0, items: vec![1, 2, 3] };\n"
            "        assert_eq!(stack.pop(2), vec![2, 3]);\n"
            "    }\n"
        ),
        "total": (
            "    #[test]\n"
            "    fn total_doubles_each_value() {\n"
            "        assert_eq!(total(&[1, 2]), 6);\n"
            "    }\n"
        ),
    },
}
"""Tests a good model writes for each sample's ``pop`` and ``total`` (JavaScript shares
TypeScript's): real calls with exact results, in the framework chatls asks for (pytest; Node's
``node:test``, as there is no ``package.json``; Go's ``testing``; Rust's ``#[test]``)."""


def _tests_answer(sample: Sample, names: tuple[str, ...]) -> Callable[[Recorded], str]:
    """The model's tests for ``names``, with the imports a model writes (chatls checks them
    and adds what is missing); languages without a test framework are refused before asking."""
    language = sample.language
    bodies = _TESTS.get("typescript" if language == "javascript" else language, {})
    chosen = [bodies[n.lower()] for n in names if n.lower() in bodies]
    if language == "rust":
        code = "#[cfg(test)]\nmod tests {\n    use super::*;\n\n" + "\n".join(chosen) + "}"
    elif language == "go":
        code = 'package stack\n\nimport "testing"\n\n' + "\n".join(chosen)
    elif language == "python":
        imported = ", ".join(
            n for n, tested in (("Stack", "pop"), ("total", "total")) if tested in names
        )
        code = f"import pytest\n\nfrom stack import {imported}\n\n\n" + "\n\n".join(chosen)
    else:
        wanted = [n for n, tested in (("Stack", "pop"), ("total", "total")) if tested in names]
        source = "./stack" if language == "typescript" else "./stack.js"
        code = (
            'import { test } from "node:test";\n'
            'import assert from "node:assert/strict";\n'
            f'import {{ {", ".join(wanted)} }} from "{source}";\n\n' + "\n".join(chosen)
        )
    return lambda request: fenced(code.rstrip("\n"))


def _tests_refusal(sample: Sample, qualified: tuple[str, ...]) -> str | None:
    """Why Write tests refuses before asking, from the sample's text: a function nested in
    another function cannot be reached from a test file; a JavaScript or TypeScript definition
    its module does not export cannot be imported."""
    functions = {s.qualified for s in sample.subjects if "(" in s.key}
    for name in qualified:
        parent = name.rpartition(".")[0]
        if parent in functions:
            leaf = parent.rsplit(".", 1)[-1]
            return f"is defined inside `{leaf}`, where tests cannot reach it"
    if sample.language in ("javascript", "typescript"):
        for outer in sorted({name.split(".")[0] for name in qualified}):
            declared = rf"^export (default )?(class|function|const|let) {outer}\b"
            if not re.search(declared, sample.text, re.MULTILINE):
                return f"`{outer}` is not exported from {sample.file}"
    return None


def _translated(sample: Sample, target: str) -> Callable[[Recorded], str]:
    """A translation as a good model writes it: every definition in the code shown, nested as
    there, under the target's spelling of its name (``Pop`` becomes ``pop``, ``total`` stays);
    a fragment with no definition is translated as the expression it is."""
    subjects = {s.qualified: s for s in (*sample.subjects, sample.peek, sample.whole) if s}
    known = list(dict.fromkeys([*sample.top_level, *subjects]))
    known += [q for q in {n.rpartition(".")[0] for n in known} if q and q not in known]
    functions = {q for q, s in subjects.items() if "(" in s.key}

    def shown(qualified: str, code: str) -> bool:
        subject = subjects.get(qualified)
        if subject is not None:
            return subject.key.strip() in code
        return re.search(rf"\b{re.escape(qualified.rsplit('.', 1)[-1])}\b", code) is not None

    def spelled(qualified: str, kinds: set[str]) -> str:
        leaf = qualified.rsplit(".", 1)[-1]
        if qualified not in kinds:
            return leaf[:1].upper() + leaf[1:]
        return leaf[:1].lower() + leaf[1:]

    def render(qualified: str, present: list[str], kinds: set[str], depth: int) -> list[str]:
        children = [q for q in present if q.rpartition(".")[0] == qualified]
        pad = ("    " if target == "python" else "  ") * depth
        name = spelled(qualified, kinds)
        inner = [line for child in children for line in render(child, present, kinds, depth + 1)]
        if target == "python":
            if qualified in kinds:
                head = f"{pad}def {name}(*args):"
                return [head, *inner, f"{pad}    return None", ""]
            return [f"{pad}class {name}:", *(inner or [f"{pad}    pass"]), ""]
        method = depth and qualified.rpartition(".")[0] not in kinds
        if qualified in kinds:
            head = f"{pad}{name}(...args) {{" if method else f"{pad}function {name}(...args) {{"
            return [head, *inner, f"{pad}  return undefined;", f"{pad}}}", ""]
        return [f"{pad}class {name} {{", *inner, f"{pad}}}", ""]

    def answer(request: Recorded) -> str:
        code = last_code(request)
        present = [q for q in known if shown(q, code)]
        # Each present definition under its nearest present container.
        nested: list[str] = []
        for qualified in present:
            parent = qualified.rpartition(".")[0]
            while parent and parent not in present:
                parent = parent.rpartition(".")[0]
            nested.append(f"{parent}.{qualified.rsplit('.', 1)[-1]}" if parent else qualified)
        kinds = functions | {
            new for old, new in zip(present, nested, strict=True) if old in functions
        }
        tops = [q for q in nested if "." not in q or q.rpartition(".")[0] not in nested]
        lines = [line for top in tops for line in render(top, nested, kinds, 0)]
        if not lines:
            word = code.strip()
            lines = [word if target == "python" else f"{word};"]
        fence = "python" if target == "python" else "js"
        return fenced("\n".join(lines).rstrip("\n"), fence)

    return answer


def cells_for(variant: str, sample: Sample, action: str) -> list[Cell]:
    text = sample.text
    cells: list[Cell] = []
    for subject in sample.subjects:
        where = place(text, subject)
        label = f"`{subject.qualified}`"
        for kind in GESTURES:
            if kind == "cursor on the blank line after" and not _blank_after(where):
                continue
            start, end = gesture(where, kind)
            name = f"{variant} {action} {subject.qualified} {kind}"
            cells += _cells(name, sample, text, action, subject, where, kind, start, end, label)
    cells += _whole_file(variant, sample, action)
    if action == "implement" and sample.peek is not None:
        where = place(text, sample.peek)
        start, end = where.start(where.key), where.end
        implemented = (
            text[:start]
            + sample.implemented.replace("\n", _eol(text))
            + text[where.lines.starts[where.last + 1] :]
        )
        for kind in GESTURES:
            if kind == "word in body" and "count" not in sample.peek.body:
                continue
            if kind == "cursor on the blank line after" and not _blank_after(where):
                continue
            g_start, g_end = (
                gesture(where, kind)
                if kind != "cursor in body"
                else (where.text_start(where.body) + 1,) * 2
            )
            cells.append(
                Cell(
                    f"{variant} implement {sample.peek.qualified} {kind}",
                    sample,
                    text,
                    "implement",
                    g_start,
                    g_end,
                    Expect(after=implemented, label=f"`{sample.peek.qualified}`"),
                    lambda request, s=sample: fenced(s.implemented.rstrip("\n")),
                    {},
                )
            )
    return cells


def _eol(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _cells(
    name: str,
    sample: Sample,
    text: str,
    action: str,
    subject: Subject,
    where: Place,
    kind: str,
    start: int,
    end: int,
    label: str,
) -> list[Cell]:
    language = sample.language
    definition_code = text[where.text_start(where.code) : where.end]
    if action == "docstring":
        # The request holds the definition alone, never the class around it.
        expect = Expect(
            after=documented(sample, text, where, f"Does the work of {subject.name}."),
            label=label,
            code=text[where.start(where.code) : where.end],
        )
        return [Cell(name, sample, text, action, start, end, expect, _doc_answer(subject.name), {})]
    if action in ("refactor", "custom-replace"):
        low, high = region_for(where, kind)
        expect = Expect(after=renamed(text, low, high), code=text[low:high])
        cell_action = "refactor" if action == "refactor" else "action"
        arguments = {"id": "tidy"} if action == "custom-replace" else {}
        return [
            Cell(name, sample, text, cell_action, start, end, expect, _rename_answer, arguments)
        ]
    if action in ("explain", "ask", "translate"):
        low, high = span_for(where, kind)
        if action == "translate":
            target = "javascript" if language == "python" else "python"
            expect = Expect(document=True, code=text[low:high])
            answer = _translated(sample, target)
            return [
                Cell(name, sample, text, action, start, end, expect, answer, {"language": target})
            ]
        arguments: dict[str, Any] = {"question": "Why the count?"} if action == "ask" else {}
        expect = Expect(markdown=True, code=text[low:high])
        return [Cell(name, sample, text, action, start, end, expect, _markdown_answer, arguments)]
    if action == "custom-function":
        code = text[where.start(where.code) : where.end]
        expect = Expect(markdown=True, code=code)
        return [
            Cell(
                name, sample, text, "action", start, end, expect, _markdown_answer, {"id": "story"}
            )
        ]
    if action == "tests":
        refusal = _tests_refusal(sample, (subject.qualified,))
        if language not in TESTED:
            expect = Expect(refused="Write tests knows the test frameworks")
        elif refusal is not None:
            expect = Expect(refused=refusal)
        else:
            expect = Expect(document=language != "rust", code=definition_code, label=label)
        return [
            Cell(
                name,
                sample,
                text,
                action,
                start,
                end,
                expect,
                _tests_answer(sample, (subject.name,)),
                {},
            )
        ]
    if action == "types":
        if language not in TYPED:
            expect = Expect(refused="Add types works on Python and TypeScript")
        elif subject.signature is None:
            expect = Expect(refused="unchanged", label=label)
        else:
            low = where.start(where.code)
            expect = Expect(after=_annotate_expected(sample, text, low, where.end), label=label)
        return [Cell(name, sample, text, action, start, end, expect, _annotated(sample), {})]
    if action == "implement":
        expect = Expect(refused="Implement works on a function whose body is a placeholder")
        return [Cell(name, sample, text, action, start, end, expect, _rename_answer, {})]
    if action == "fix":
        word = where.word
        low, high = whole_lines(where, where.code)
        after = text[: word[0]] + "tally" + text[word[1] :]
        diagnostic = {
            "range": {
                "start": _pos(text, word[0]),
                "end": _pos(text, word[1]),
            },
            "message": "Prefer a more telling name here",
            "severity": 3,
            "source": "style",
        }

        def answer(request: Recorded, where: Place = where) -> str:
            code = last_code(request)
            line = where.lines.lines[where.body]
            return fenced(code.replace(line, line.replace("count", "tally", 1), 1))

        expect = Expect(after=after, code=text[low:high])
        return [
            Cell(name, sample, text, action, start, end, expect, answer, {"diagnostic": diagnostic})
        ]
    raise AssertionError(action)


def _pos(text: str, offset: int) -> dict[str, int]:
    position = position_of(text, offset)
    return {"line": position.line, "character": position.character}


def _whole_file(variant: str, sample: Sample, action: str) -> list[Cell]:
    """A selection of the whole file (what Ctrl+A sends)."""
    text = sample.text
    start, end = 0, len(text)
    low = len(text) - len(text.lstrip())
    high = len(text.rstrip())
    name = f"{variant} {action} whole file"
    language = sample.language
    several = len(sample.top_level) > 1
    by_name = {
        s.qualified: s for s in (*sample.subjects, *(s for s in [sample.peek, sample.whole] if s))
    }
    chosen = next((q for q in sample.top_level if q in by_name), None)
    if action in ("docstring", "types", "implement") and not several and sample.whole is None:
        # One top-level definition and nothing else that matters: that definition.
        chosen = sample.top_level[0]
    if action in ("refactor", "custom-replace"):
        cell_action = "refactor" if action == "refactor" else "action"
        arguments = {"id": "tidy"} if action == "custom-replace" else {}
        line_start = text.rfind("\n", 0, low) + 1
        line_end = len(text.rstrip("\r\n"))
        expect = Expect(after=renamed(text, line_start, line_end), code=text[line_start:line_end])
        return [
            Cell(name, sample, text, cell_action, start, end, expect, _rename_answer, arguments)
        ]
    if action in ("explain", "ask", "translate"):
        if action == "translate":
            target = "javascript" if language == "python" else "python"
            answer = _translated(sample, target)
            expect = Expect(document=True, code=text[low:high])
            return [
                Cell(name, sample, text, action, start, end, expect, answer, {"language": target})
            ]
        arguments = {"question": "Why?"} if action == "ask" else {}
        expect = Expect(markdown=True, code=text[low:high])
        return [Cell(name, sample, text, action, start, end, expect, _markdown_answer, arguments)]
    if action == "tests":
        refusal = _tests_refusal(sample, sample.top_level)
        if language not in TESTED:
            expect = Expect(refused="Write tests knows the test frameworks")
        elif not several:
            return []
        elif refusal is not None:
            expect = Expect(refused=refusal)
        else:
            expect = Expect(document=language != "rust", code=text[low:high])
        names = tuple(s.name for s in sample.subjects)
        return [
            Cell(name, sample, text, action, start, end, expect, _tests_answer(sample, names), {})
        ]
    if action == "types" and language not in TYPED:
        expect = Expect(refused="Add types works on Python and TypeScript")
        return [Cell(name, sample, text, action, start, end, expect, _annotated(sample), {})]
    if action == "docstring":
        whole = sample.whole if not several else by_name.get(chosen or "")
        if whole is None:
            return []
        where = place(text, whole)
        expect = Expect(
            after=documented(sample, text, where, f"Does the work of {whole.name}."),
            label=f"`{whole.qualified}`",
            ask=sample.top_level if several else None,
        )
        return [
            Cell(
                name,
                sample,
                text,
                action,
                start,
                end,
                expect,
                _doc_answer(whole.name),
                {},
                chosen if several else None,
            )
        ]
    if action in ("types", "implement"):
        if not several:
            return []
        expect = Expect(
            ask=sample.top_level,
            refused="no definition was chosen",
        )
        return [Cell(name, sample, text, action, start, end, expect, _rename_answer, {})]
    return []


CUSTOM = [
    {
        "id": "story",
        "title": "Tell its story",
        "prompt": "Tell the story of this code.",
        "target": "function",
        "output": "markdown",
    },
    {
        "id": "tidy",
        "title": "Tidy",
        "prompt": "Tidy this code.",
        "target": "selection",
        "output": "replace",
    },
]
ACTIONS = (
    "docstring",
    "refactor",
    "explain",
    "ask",
    "translate",
    "tests",
    "implement",
    "types",
    "fix",
    "custom-function",
    "custom-replace",
)


@pytest.mark.parametrize("variant", [name for name, _ in VARIANTS])
@pytest.mark.parametrize("action", ACTIONS)
async def test_every_gesture_lands_on_the_code_meant(
    session: Session, variant: str, action: str, tmp_path: Path
) -> None:
    sample = dict(VARIANTS)[variant]
    failures = []
    for cell in cells_for(variant, sample, action):
        problem = await run_cell(session, cell)
        if problem is not None:
            failures.append(f"{cell.name}: {problem}")
    assert not failures, "\n".join(failures)


def _refine_answer(request: Recorded) -> str:
    """A Refine's answer: the code the model wrote last, with the user's change made."""
    previous = [m for m in request.messages if m.get("role") == "assistant"][-1]
    blocks = _FENCE.findall(str(previous.get("content", "")))
    return fenced(re.sub(r"\btally\b", "amount", blocks[-1]))


@pytest.mark.parametrize("variant", [name for name, _ in VARIANTS])
async def test_refine_finds_the_thread_however_the_code_is_selected(
    session: Session, variant: str
) -> None:
    sample = dict(VARIANTS)[variant]
    failures = []
    for subject in sample.subjects[:2]:
        for kind in ("cursor in body", "from keyword", "line-wise", "line-wise to next line"):
            where = place(sample.text, subject)
            low, high = region_for(where, "cursor in body")
            first = renamed(sample.text, low, high)
            editor = session.editor
            uri = editor.open(f"r{next(_counter)}/{sample.file}", sample.text, sample.language)
            seen = len(session.messages())
            at = position_of(sample.text, gesture(where, "cursor in body")[0], editor.encoding)
            cursor = {"line": at.line, "character": at.character}
            session.backend.responder = lambda request: Chat(_rename_answer(request))
            await session.command(
                "chatls.refactor", {"uri": uri, "range": {"start": cursor, "end": cursor}}
            )
            # The rename keeps every line, so the gesture's lines are where they were.
            moved = place(first, _renamed_subject(subject))
            start, end = gesture(moved, kind)
            rng = {
                "start": _pos_in(first, start, editor.encoding),
                "end": _pos_in(first, end, editor.encoding),
            }
            session.backend.responder = lambda request: Chat(_refine_answer(request))
            await session.command(
                "chatls.refine", {"uri": uri, "range": rng, "instruction": "Call it amount."}
            )
            after = editor.text(uri)
            editor.close(uri)
            expected = renamed(
                first, low, high + (len(first) - len(sample.text)), "tally", "amount"
            )
            messages = session.messages()[seen:]
            if messages or after != expected:
                failures.append(f"{subject.qualified} {kind}: {messages} {after!r}")
    assert not failures, "\n".join(failures)


def _renamed_subject(subject: Subject) -> Subject:
    def rename(line: str) -> str:
        return _COUNT.sub("tally", line)

    return replace(
        subject,
        # The doc comment above is outside what a cursor's Refactor rewrote.
        first=rename(subject.first)
        if subject.first in (subject.code, subject.key)
        else subject.first,
        key=rename(subject.key),
        last=rename(subject.last),
        body=rename(subject.body),
        code=rename(subject.code),
    )


def _pos_in(text: str, offset: int, encoding: str) -> dict[str, int]:
    position = position_of(text, offset, encoding)
    return {"line": position.line, "character": position.character}


@pytest.mark.parametrize("variant", [name for name, _ in VARIANTS])
async def test_the_lightbulb_documents_the_definition_meant(session: Session, variant: str) -> None:
    """VS Code's way: list the actions for the range, resolve Generate docstring, apply it."""
    sample = dict(VARIANTS)[variant]
    failures = []
    for subject in sample.subjects:
        where = place(sample.text, subject)
        for kind in GESTURES:
            if kind == "cursor on the blank line after" and not _blank_after(where):
                continue
            start, end = gesture(where, kind)
            editor = session.editor
            uri = editor.open(f"l{next(_counter)}/{sample.file}", sample.text, sample.language)
            rng = types.Range(
                start=position_of(sample.text, start, editor.encoding),
                end=position_of(sample.text, end, editor.encoding),
            )
            seen = len(session.messages())
            session.backend.responder = lambda request, s=subject: Chat(
                f"Does the work of {s.name}."
            )
            action = await session.action(uri, rng, "refactor.rewrite.chatls.docstring")
            resolved = await session.run(action)
            after = editor.text(uri)
            editor.close(uri)
            expected = documented(sample, sample.text, where, f"Does the work of {subject.name}.")
            messages = session.messages()[seen:]
            if messages or after != expected or resolved.edit is None:
                failures.append(f"{subject.qualified} {kind}: {messages} {after!r}")
    assert not failures, "\n".join(failures)


async def test_several_definitions_without_a_way_to_ask_is_one_message(
    tmp_path: Path,
) -> None:
    backend = ScriptedBackend().start()
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("OPENAI_")}
    emacs = await open_session(backend, tmp_path / "ws", tmp_path / "s.log", env, client="emacs")
    try:
        sample = SAMPLES[0]
        uri = emacs.editor.open(sample.file, sample.text, sample.language)
        end = position_of(sample.text, len(sample.text))
        await emacs.command(
            "chatls.docstring",
            {"uri": uri, "range": {"start": {"line": 0, "character": 0}, "end": _plain(end)}},
        )
        assert emacs.messages() == [
            "chatls: The selection covers several definitions (`Stack` and `total`): put the "
            "cursor in the one to document, or select just that one."
        ]
        assert emacs.asked == [] and backend.requests == []
        assert emacs.editor.text(uri) == sample.text
    finally:
        await emacs.client.shutdown_session()
        await emacs.client.stop()
        backend.stop()


def _plain(position: types.Position) -> dict[str, int]:
    return {"line": position.line, "character": position.character}


async def test_a_dismissed_choice_changes_nothing(session: Session) -> None:
    sample = SAMPLES[0]
    uri = session.editor.open(f"d{next(_counter)}/{sample.file}", sample.text, sample.language)
    seen = len(session.messages())
    requests = len(session.backend.requests)
    end = position_of(sample.text, len(sample.text))
    await session.command(
        "chatls.docstring",
        {"uri": uri, "range": {"start": {"line": 0, "character": 0}, "end": _plain(end)}},
    )
    assert session.asked[-1].message == (
        "The selection covers several definitions: which one should chatls document?"
    )
    assert session.messages()[seen:] == [
        "chatls: Generate docstring: no definition was chosen; nothing changed."
    ]
    assert len(session.backend.requests) == requests
    assert session.editor.text(uri) == sample.text
    session.editor.close(uri)
