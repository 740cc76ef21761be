"""Fixes for diagnostics that name a symbol, per language, over real LSP against the scripted
backend: the answers issue 20 saw (a call made recursive, the wrong defined name, a neighbour
rewritten, a name defined nowhere) are refused with one message naming the likely name, the
right answer is applied, and the model-free quick fix ("Replace `a` with `b`") is offered once
per diagnostic, never when two names are equally close, and applied without the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from lsprotocol import types

from chatls_testing.editor import position_of
from chatls_testing.scripted_backend import Chat
from tests.conftest import Session, Start


@dataclass
class Problem:
    """A misspelt name in the language's document and what a checker says about it."""

    name: str
    message: str
    source: str
    fixed: str
    """What the name should become (the quick fix's replacement), or "" when it is a tie."""
    occurrence: int = 0
    code: str | None = None
    related: list[str] = field(default_factory=list)


@dataclass
class Reply:
    """A model reply to a Fix of ``problem``: refused with a message holding every one of
    ``says``, or (``says`` empty) applied, turning ``before`` into ``after`` in the document."""

    shape: str
    problem: str
    reply: str
    says: tuple[str, ...] = ()
    before: str = ""
    after: str = ""


@dataclass
class Language:
    id: str
    extension: str
    document: str
    problems: dict[str, Problem]
    replies: list[Reply]
    fence: str = ""


PYTHON = Language(
    "python",
    "py",
    '''import math


def getencoding():
    return "utf-8"


def getpreferredencoding(do_setlocale=True):
    """Return the charset that the user is likely using."""
    if do_setlocale:
        return "utf-8"
    return getencding()


class Lexer:
    def __init__(self, infile=None):
        self.infile = infile
        self.lineno = 1

    def error_leader(self, infile=None, lineno=None):
        if infile is None:
            infile = self.infile
        if lineno is None:
            lineno = self.lineno
        return '"%s", line %d: ' % (infile, linno)

    def where(self):
        return self.lienno


def root(n):
    return mth.sqrt(n)


def tally(items):
    total = 0
    tot = len(items)
    for item in items:
        total += item
    return totl / tot
''',
    {
        "call": Problem(
            "getencding",
            '"getencding" is not defined',
            "Pylance",
            "getencoding",
            code="reportUndefinedVariable",
        ),
        "param": Problem("linno", "Undefined name `linno`", "Ruff", "lineno", code="F821"),
        "module": Problem("mth", 'Name "mth" is not defined', "mypy", "math", code="name-defined"),
        "tie": Problem("totl", "undefined name 'totl'", "pyflakes", ""),
        "member": Problem(
            "lienno",
            'Cannot access attribute "lienno" for class "Lexer*"\n  Attribute "lienno" is unknown',
            "Pylance",
            "lineno",
            code="reportAttributeAccessIssue",
        ),
    },
    [
        Reply(
            "recursion",
            "call",
            "```python\n    return getpreferredencoding()\n```",
            ("`getpreferredencoding` call itself", "`getencoding`"),
        ),
        Reply(
            "right",
            "call",
            "```python\n    return getencoding()\n```",
            before="return getencding()",
            after="return getencoding()",
        ),
        Reply(
            "wrong but defined",
            "param",
            "```python\n        return '\"%s\", line %d: ' % (self.infile, self.lineno)\n```",
            ("replaces `linno` with `self.lineno`", "most likely means `lineno`", "parameter"),
        ),
        Reply(
            "neighbour",
            "param",
            "```python\n        return '\"%s\", line %d: ' % (self.infile, lineno)\n```",
            ("also changes `infile` into `self.infile`", "on the line with `linno`"),
        ),
        Reply(
            "import of the misspelling",
            "module",
            "```python\nfrom math import mth\n\n\ndef root(n):\n    return mth.sqrt(n)\n```",
            ("`mth`", "`math`"),
        ),
        Reply(
            "definition of the misspelling",
            "module",
            "```python\ndef root(n):\n    mth = math\n    return mth.sqrt(n)\n```",
            ("leaves `mth` as it was", "most likely means `math`"),
        ),
        Reply(
            "undefined",
            "tie",
            "```python\n    return totall / tot\n```",
            ("replaces `totl` with `totall`", "not defined there either"),
        ),
        Reply(
            "one of a tie",
            "tie",
            "```python\n    return total / tot\n```",
            before="return totl / tot",
            after="return total / tot",
        ),
        Reply(
            "another member",
            "member",
            "```python\n        return self.infile\n```",
            ("replaces `lienno` with `infile`", "most likely means `lineno`"),
        ),
        Reply(
            "right",
            "member",
            "```python\n        return self.lineno\n```",
            before="return self.lienno",
            after="return self.lineno",
        ),
    ],
)

TYPESCRIPT = Language(
    "typescript",
    "ts",
    """import { readFileSync } from "fs";
import { joni } from "path";

function parseCount(text: string): number {
  return parseInt(text, 10);
}

export function countLines(path: string): number {
  const text = readFileSync(path, "utf8");
  return parseCuont(text);
}

class Counter {
  private count = 0;
  constructor(private readonly step: number) {}
  next(amount: number): number {
    this.count += amuont * this.step;
    return this.count;
  }
  reset(): number {
    return this.cuont;
  }
}

function pick(items: string[], index: number): string {
  const idx = index % items.length;
  const inx = 0;
  return items[indx] ?? items[inx];
}
""",
    {
        "call": Problem(
            "parseCuont",
            "Cannot find name 'parseCuont'. Did you mean 'parseCount'?",
            "ts",
            "parseCount",
            code="2552",
        ),
        "param": Problem("amuont", "Cannot find name 'amuont'.", "ts", "amount", code="2304"),
        "tie": Problem("indx", "Cannot find name 'indx'.", "ts", "", code="2304"),
        "import": Problem(
            "joni",
            "Module '\"path\"' has no exported member 'joni'. Did you mean 'join'?",
            "ts",
            "join",
            code="2724",
        ),
        "member": Problem(
            "cuont",
            "Property 'cuont' does not exist on type 'Counter'.",
            "ts",
            "count",
            code="2339",
        ),
    },
    [
        Reply(
            "recursion",
            "call",
            "```typescript\n  return countLines(text);\n```",
            ("`countLines` call itself", "`parseCount`"),
        ),
        Reply(
            "right",
            "call",
            "```typescript\n  return parseCount(text);\n```",
            before="return parseCuont(text)",
            after="return parseCount(text)",
        ),
        Reply(
            "wrong but defined",
            "param",
            "```typescript\n    this.count += this.step * this.step;\n```",
            ("replaces `amuont` with `this.step`", "most likely means `amount`"),
        ),
        Reply(
            "neighbour",
            "param",
            "```typescript\n    this.count += amount * step;\n```",
            ("also removes `this.`", "on the line with `amuont`"),
        ),
        Reply(
            "undefined",
            "tie",
            "```typescript\n  return items[indexx] ?? items[inx];\n```",
            ("replaces `indx` with `indexx`", "not defined there either"),
        ),
        Reply(
            "one of a tie",
            "tie",
            "```typescript\n  return items[idx] ?? items[inx];\n```",
            before="items[indx]",
            after="items[idx]",
        ),
        Reply(
            "another import",
            "import",
            '```typescript\nimport { basename } from "path";\n```',
            ("replaces `joni` with `basename`", "most likely means `join`"),
        ),
        Reply(
            "right",
            "import",
            '```typescript\nimport { join } from "path";\n```',
            before="import { joni }",
            after="import { join }",
        ),
        Reply(
            "another member",
            "member",
            "```typescript\n    return this.step;\n```",
            ("replaces `cuont` with `step`", "most likely means `count`"),
        ),
        Reply(
            "right",
            "member",
            "```typescript\n    return this.count;\n```",
            before="return this.cuont;",
            after="return this.count;",
        ),
    ],
)

GO = Language(
    "go",
    "go",
    """package lines

import (
	"strings"
)

func countLines(text string) int {
	return strings.Count(text, "\\n")
}

func CountAll(texts []string) int {
	total := 0
	for _, text := range texts {
		total += contLines(text)
	}
	return total
}

type Reader struct {
	data []byte
	pos  int
}

func (r *Reader) Next(n int) []byte {
	end := r.pos + n
	chunk := r.data[r.pos:edn]
	r.pos = end
	return chunk
}

func Pad(s string, size int, side int) string {
	return s + strings.Repeat(" ", sie)
}
""",
    {
        "call": Problem("contLines", "undefined: contLines", "compiler", "countLines"),
        "local": Problem("edn", "undefined: edn", "compiler", "end", code="UndeclaredName"),
        "tie": Problem("sie", "undefined: sie", "compiler", ""),
    },
    [
        Reply(
            "recursion",
            "call",
            "```go\n\t\ttotal += CountAll([]string{text})\n```",
            ("`CountAll` call itself", "`countLines`"),
        ),
        Reply(
            "right",
            "call",
            "```go\n\t\ttotal += countLines(text)\n```",
            before="contLines(text)",
            after="countLines(text)",
        ),
        Reply(
            "wrong but defined",
            "local",
            "```go\n\tchunk := r.data[r.pos:n]\n```",
            ("replaces `edn` with `n`", "most likely means `end`", "variable of `Next`"),
        ),
        Reply(
            "neighbour",
            "local",
            "```go\n\tchunk := r.data[r.pos+1:end]\n```",
            ("also changes", "on the line with `edn`"),
        ),
        Reply(
            "undefined",
            "tie",
            '```go\n\treturn s + strings.Repeat(" ", sizes)\n```',
            ("replaces `sie` with `sizes`", "not defined in this file either"),
        ),
        Reply(
            "one of a tie",
            "tie",
            '```go\n\treturn s + strings.Repeat(" ", size)\n```',
            before='Repeat(" ", sie)',
            after='Repeat(" ", size)',
        ),
    ],
)

RUST = Language(
    "rust",
    "rs",
    """use std::mem;

fn checked_len(data: &[u8]) -> usize {
    data.len()
}

pub fn total_len(parts: &[&[u8]]) -> usize {
    let mut total = 0;
    for part in parts {
        total += chekced_len(part);
    }
    total
}

pub struct Window {
    start: usize,
    end: usize,
}

impl Window {
    pub fn slice<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        let end = self.end.min(data.len());
        &data[self.start..edn]
    }

    pub fn swap(&mut self) {
        mme::swap(&mut self.start, &mut self.end);
    }
}

pub fn widest(len: usize, line: &str) -> usize {
    lne.max(line.len())
}
""",
    {
        "call": Problem(
            "chekced_len",
            "cannot find function `chekced_len` in this scope",
            "rustc",
            "checked_len",
            code="E0425",
            related=["a function with a similar name exists: `checked_len`"],
        ),
        "local": Problem(
            "edn", "cannot find value `edn` in this scope", "rustc", "end", code="E0425"
        ),
        "module": Problem(
            "mme",
            "failed to resolve: use of undeclared crate or module `mme`",
            "rustc",
            "mem",
            code="E0433",
        ),
        "tie": Problem("lne", "cannot find value `lne` in this scope", "rustc", "", code="E0425"),
    },
    [
        Reply(
            "recursion",
            "call",
            "```rust\n        total += total_len(&[part]);\n```",
            ("`total_len` call itself", "`checked_len`"),
        ),
        Reply(
            "right",
            "call",
            "```rust\n        total += checked_len(part);\n```",
            before="chekced_len(part)",
            after="checked_len(part)",
        ),
        Reply(
            "wrong but defined",
            "local",
            "```rust\n        &data[self.start..self.end]\n```",
            ("replaces `edn` with `self.end`", "most likely means `end`"),
        ),
        Reply(
            "neighbour",
            "local",
            "```rust\n        &data[0..end]\n```",
            ("also changes `self.start` into `0`", "on the line with `edn`"),
        ),
        Reply(
            "right",
            "module",
            "```rust\n        mem::swap(&mut self.start, &mut self.end);\n```",
            before="mme::swap",
            after="mem::swap",
        ),
        Reply(
            "undefined",
            "tie",
            "```rust\n    lenn.max(line.len())\n```",
            ("replaces `lne` with `lenn`", "not defined there either"),
        ),
        Reply(
            "one of a tie",
            "tie",
            "```rust\n    len.max(line.len())\n```",
            before="lne.max",
            after="len.max",
        ),
    ],
)

LANGUAGES = [PYTHON, TYPESCRIPT, GO, RUST]


def _diagnostic(text: str, problem: Problem, encoding: str) -> types.Diagnostic:
    at = -1
    for _ in range(problem.occurrence + 1):
        at = text.index(problem.name, at + 1)
    rng = types.Range(
        start=position_of(text, at, encoding),
        end=position_of(text, at + len(problem.name), encoding),
    )
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri="file:///x", range=rng), message=message
        )
        for message in problem.related
    ]
    return types.Diagnostic(
        range=rng,
        message=problem.message,
        source=problem.source,
        code=problem.code,
        severity=types.DiagnosticSeverity.Error,
        related_information=related or None,
    )


def _unstructure(session: Session, value: Any) -> Any:
    return session.client.protocol._converter.unstructure(value)


async def _fix(session: Session, language: Language, number: int, reply: Reply) -> str | None:
    """One reply through Fix; what went differently, or None."""
    text = language.document
    uri = session.editor.open(f"fix{number}.{language.extension}", text, language.id)
    diagnostic = _diagnostic(text, language.problems[reply.problem], session.editor.encoding)
    seen = len(session.messages())
    asked = len(session.backend.requests)
    session.backend.script(Chat(reply.reply))
    await session.command(
        "chatls.fix",
        {
            "uri": uri,
            "range": _unstructure(session, diagnostic.range),
            "diagnostic": _unstructure(session, diagnostic),
        },
    )
    messages = session.messages()[seen:]
    after = session.editor.text(uri)
    session.editor.close(uri)
    if len(session.backend.requests) != asked + 1:
        return "the model was not asked"
    if not reply.says:
        expected = text.replace(reply.before, reply.after, 1)
        if messages or after != expected:
            return f"expected the edit, got {messages} and {after!r}"
        return None
    if after != text:
        return f"expected a refusal, but the document became {after!r}"
    if len(messages) != 1 or not all(part in messages[0] for part in reply.says):
        return f"expected one message saying {reply.says}, got {messages}"
    return None


async def _quick_fixes(session: Session, language: Language, number: int) -> list[str]:
    """The model-free fix for each problem: offered once (even when two checkers report the
    same name), with the right title; none for a tie; applied by the editor alone."""
    failures = []
    for key, problem in language.problems.items():
        text = language.document
        uri = session.editor.open(f"quick{number}-{key}.{language.extension}", text, language.id)
        diagnostic = _diagnostic(text, problem, session.editor.encoding)
        twice = types.Diagnostic(
            range=diagnostic.range,
            message=diagnostic.message + " ",
            source="another checker",
            related_information=diagnostic.related_information,
        )
        asked = len(session.backend.requests)
        actions = await session.actions(uri, diagnostic.range, [diagnostic, twice])
        quick = [a for a in actions if a.kind == "quickfix.chatls.replace"]
        fixes = [a for a in actions if a.kind == "quickfix.chatls.fix"]
        if len(fixes) != 2:
            failures.append(f"{key}: Fix with the model is offered {len(fixes)} times, not 2")
        if not problem.fixed:
            if quick:
                failures.append(f"{key}: a tie, yet {[a.title for a in quick]} offered")
            session.editor.close(uri)
            continue
        title = f"chatls: Replace `{problem.name}` with `{problem.fixed}`"
        if [a.title for a in quick] != [title]:
            failures.append(f"{key}: offered {[a.title for a in quick]}, not once {title!r}")
            session.editor.close(uri)
            continue
        action = quick[0]
        # Next to Fix, marked preferred, an edit of its own: no command, no resolve.
        if actions.index(action) + 1 != actions.index(fixes[0]):
            failures.append(f"{key}: not listed just before Fix")
        if action.command is not None or action.data is not None or not action.is_preferred:
            failures.append(f"{key}: {action} is not a plain preferred edit")
        assert action.edit is not None
        session.editor.apply(action.edit)
        at = text.index(problem.name)
        for _ in range(problem.occurrence):
            at = text.index(problem.name, at + 1)
        expected = text[:at] + problem.fixed + text[at + len(problem.name) :]
        if session.editor.text(uri) != expected:
            failures.append(f"{key}: applying it gave {session.editor.text(uri)!r}")
        if len(session.backend.requests) != asked:
            failures.append(f"{key}: the model was asked")
        session.editor.close(uri)
    return failures


@pytest.mark.parametrize("language", LANGUAGES, ids=[language.id for language in LANGUAGES])
async def test_fixes_of_a_named_symbol(start: Start, language: Language) -> None:
    session = await start(client="neovim" if language.id == "go" else "vscode")
    failures = await _quick_fixes(session, language, 0)
    for number, reply in enumerate(language.replies):
        problem = await _fix(session, language, number, reply)
        if problem is not None:
            failures.append(f"{reply.shape} ({reply.problem}): {problem}")
    assert failures == []
    shapes = {reply.shape for reply in language.replies}
    assert {"recursion", "wrong but defined", "neighbour", "undefined", "right"} <= shapes
