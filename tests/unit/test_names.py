"""Reading what a diagnostic says about a name (source/reported.py) and resolving names against
tree-sitter scopes (source/names.py)."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from chatls.source.languages import language_for
from chatls.source.names import Names, closest, diagnose, distance, find_name
from chatls.source.reported import Reported, read
from chatls.source.syntax import Syntax

MESSAGES = [
    # Python
    ('"getencding" is not defined', ("getencding", "name", None, None)),
    ('Cannot access attribute "lenght" for class "Foo"', ("lenght", "member", None, "Foo")),
    ('Cannot access member "lenght" for type "Foo"', ("lenght", "member", None, "Foo")),
    ('"sqr" is not a known attribute of module "math"', ("sqr", "member", None, "math")),
    ('"mth" is unknown import symbol', ("mth", "import", None, None)),
    ("undefined name 'wdith'", ("wdith", "name", None, None)),
    ("Undefined name `wdith`", ("wdith", "name", None, None)),
    ('Name "mth" is not defined', ("mth", "name", None, None)),
    ('"Foo" has no attribute "lenght"; maybe "length"?', ("lenght", "member", "length", "Foo")),
    (
        '"Foo" has no attribute "lenght"; maybe "length" or "lengths"?',
        ("lenght", "member", None, "Foo"),
    ),
    ('Module "math" has no attribute "sqr"; maybe "sqrt"?', ("sqr", "member", "sqrt", "math")),
    ("Undefined variable 'wdith'", ("wdith", "name", None, None)),
    (
        "Instance of 'Foo' has no 'lenght' member; maybe 'length'?",
        ("lenght", "member", "length", "Foo"),
    ),
    ("name 'wdith' is not defined. Did you mean: 'width'?", ("wdith", "name", "width", None)),
    (
        "'Foo' object has no attribute 'lenght'. Did you mean: 'length'?",
        ("lenght", "member", "length", "Foo"),
    ),
    ("cannot import name 'mth' from 'math'", ("mth", "import", None, "math")),
    # TypeScript, JavaScript
    ("Cannot find name 'x'.", ("x", "name", None, None)),
    (
        "Cannot find name 'getEncding'. Did you mean 'getEncoding'?",
        ("getEncding", "name", "getEncoding", None),
    ),
    (
        "Cannot find name 'count'. Did you mean the instance member 'this.count'?",
        ("count", "name", "this.count", None),
    ),
    (
        "Property 'lenght' does not exist on type 'string'. Did you mean 'length'?",
        ("lenght", "member", "length", "string"),
    ),
    (
        "Module '\"fs\"' has no exported member 'readFileSyn'. Did you mean 'readFileSync'?",
        ("readFileSyn", "import", "readFileSync", '"fs"'),
    ),
    ("'ojb' is not defined.", ("ojb", "name", None, None)),
    # Rust
    ("cannot find value `edn` in this scope", ("edn", "name", None, None)),
    (
        "cannot find value `edn` in this scope\nhelp: a local variable with a similar name exists: `end`",
        ("edn", "name", "end", None),
    ),
    ("cannot find function `mmechr` in this scope", ("mmechr", "name", None, None)),
    ("failed to resolve: use of undeclared crate or module `cahr`", ("cahr", "name", None, None)),
    ("no field `lenght` on type `Foo`", ("lenght", "member", None, "Foo")),
    (
        "no method named `lenght` found for reference `&str` in the current scope\nhelp: there is a method `len` with a similar name",
        ("lenght", "member", "len", "&str"),
    ),
    ("unresolved import `std::colections`", ("colections", "import", None, "std")),
    # Go
    ("undefined: odlnew", ("odlnew", "name", None, None)),
    ("undeclared name: odlnew", ("odlnew", "name", None, None)),
    ("undefined: strings.Contians", ("Contians", "member", None, "strings")),
    (
        "r.lenght undefined (type *Reader has no field or method lenght, but does have field length)",
        ("lenght", "member", "length", "*Reader"),
    ),
]


@pytest.mark.parametrize(("message", "expected"), MESSAGES, ids=[m for m, _ in MESSAGES])
def test_messages_that_name_a_symbol(
    message: str, expected: tuple[str, str, str | None, str | None]
) -> None:
    assert read(message) == Reported(*expected)


@pytest.mark.parametrize(
    "message",
    [
        "Use augmented assignment",
        "invalid syntax",
        "mismatched types: expected `bool`, found `()`",
        '"x" is possibly unbound',
        "",
    ],
)
def test_other_messages_name_nothing(message: str) -> None:
    assert read(message) is None


def test_a_suggestion_in_related_information_counts() -> None:
    found = read(
        "cannot find value `edn` in this scope",
        ["a local variable with a similar name exists: `end`"],
    )
    assert found is not None and found.suggestion == "end"


def _names(language: str, text: str) -> Names:
    return Names(Syntax(text, language_for(language, None)))


PY = """import os.path as osp, sys
from math import *
from collections import deque as dq, OrderedDict

LIMIT = 3


class Base:
    kind = "base"

    def describe(self):
        return self.kind


class Lexer(Base):
    wordchars = "abc"

    def __init__(self, infile=None, *rest, **extra):
        self.infile = infile
        self.lineno: int = 1

    def error_leader(self, infile=None, lineno=None):
        for i, (a, b) in enumerate(rest):
            pass
        with open(infile) as handle:
            pass
        total = [q for q in infile]
        return HERE


def helper(x):
    def inner(y):
        return HERE
    return inner(x)
"""


def test_python_scopes() -> None:
    names = _names("python", PY)
    at = PY.index("HERE")
    visible = names.visible(at)
    for name in (
        "self",
        "infile",
        "lineno",
        "i",
        "a",
        "b",
        "handle",
        "total",
        "LIMIT",
        "osp",
        "sys",
        "dq",
        "OrderedDict",
        "Lexer",
        "Base",
        "helper",
        "len",
    ):
        assert name in visible, name
    # A class body's names are not seen from its methods; a comprehension's own name stays in
    # it; another function's locals are not here.
    for name in ("wordchars", "kind", "q", "x", "y", "inner", "os"):
        assert name not in visible, name
    assert visible["lineno"].describe() == "a parameter of `error_leader`"
    assert visible["Lexer"].describe() == "a class in the file"
    assert visible["len"].describe() == "a built-in"
    assert visible["dq"].describe() == "a name the file imports"
    inner = names.visible(PY.index("HERE", at + 1))
    assert {"x", "y", "inner"} <= set(inner) and "self" not in inner
    # ``from math import *`` opens the file's scope.
    assert names.open and names.is_open_at(at)


def test_python_members_include_bases_and_self_assignments() -> None:
    names = _names("python", PY)
    members = names.members_at(PY.index("HERE"), "self")
    assert members is not None and members.owner == "Lexer" and not members.open
    assert {"infile", "lineno", "wordchars", "error_leader", "__init__", "kind", "describe"} <= set(
        members.names
    )
    assert names.members_at(PY.index("HERE"), "other") is None
    assert names.class_members("Base") is not None


def test_python_recursion_forms() -> None:
    text = "class A:\n    def f(self, n):\n        return self.f(n - 1)\n\n\ndef g(n):\n    return g(n) + f(n)\n"
    names = _names("python", text)
    method = names.function_at(text.index("self.f("))
    assert method is not None and method.name == "f" and names.calls_to(method) == 1
    function = names.function_at(text.index("g(n) +"))
    assert function is not None and function.name == "g" and names.calls_to(function) == 1


TS = """import fs, { readFileSync as read, statSync } from "fs";
import * as path from "path";

type Size = number;

export function countLines(file: string, { encoding = "utf8", ...rest }: Options = {}): number {
  const [first, second = 2] = [1];
  for (const line of lines) {}
  try {} catch (err) {}
  return HERE;
}

class Counter extends Base {
  private count = 0;
  #secret = 1;
  constructor(private readonly step: number) { super(); this.total = 0; }
  next = (amount: number): number => this.count + HERE;
}
"""


def test_typescript_scopes_and_members() -> None:
    names = _names("typescript", TS)
    at = TS.index("HERE")
    visible = names.visible(at)
    for name in (
        "fs",
        "read",
        "statSync",
        "path",
        "Size",
        "countLines",
        "file",
        "encoding",
        "rest",
        "first",
        "second",
        "line",
        "err",
        "Counter",
        "Math",
        "console",
    ):
        assert name in visible, name
    assert "readFileSync" not in visible and "count" not in visible
    members = names.members_at(TS.index("HERE", at + 1), "this")
    assert members is not None and members.owner == "Counter"
    assert {"count", "#secret", "step", "total", "next", "constructor"} <= set(members.names)
    assert members.open  # Base is not in the file
    arrow = names.visible(TS.index("HERE", at + 1))
    assert "amount" in arrow and "file" not in arrow


GO = """package lines

import (
	"strings"
	str "strconv"
	"github.com/x/go-yaml/v2"
)

type Reader struct {
	data []byte
	pos  int
}

func (r *Reader) Next(n int) (chunk []byte, err error) {
	end := r.pos + n
	for i, b := range r.data {
		_ = i + int(b)
	}
	return r.Next(HERE)
}

func (r *Reader) Len() int { return len(r.data) }
"""


def test_go_scopes_members_and_recursion() -> None:
    names = _names("go", GO)
    at = GO.index("HERE")
    visible = names.visible(at)
    for name in (
        "r",
        "n",
        "chunk",
        "err",
        "end",
        "i",
        "b",
        "strings",
        "str",
        "yaml",
        "Reader",
        "len",
        "nil",
    ):
        assert name in visible, name
    assert "strconv" not in visible
    members = names.members_at(at, "r")
    assert members is not None and {"data", "pos", "Next", "Len"} <= set(members.names)
    function = names.function_at(at)
    assert function is not None and function.name == "Next" and names.calls_to(function) == 1


RUST = """use std::collections::{HashMap, hash_map::Entry as E};
use std::io::{self, Read};

const LIMIT: usize = 3;

struct Window { start: usize, end: usize }

impl Window {
    fn slice(&self, data: &[u8], (a, b): (u8, u8)) -> usize {
        let end = self.end;
        let Window { start, end: stop } = *self;
        if let Some(v) = data.first() {}
        for k in 0..3 {}
        let f = |w: u8| w;
        self.slice(data, (a, b)) + HERE
    }
}

fn free() -> usize { free() }
"""


def test_rust_scopes_members_and_recursion() -> None:
    names = _names("rust", RUST)
    at = RUST.index("HERE")
    visible = names.visible(at)
    for name in (
        "self",
        "data",
        "a",
        "b",
        "end",
        "start",
        "stop",
        "v",
        "k",
        "f",
        "HashMap",
        "E",
        "io",
        "Read",
        "LIMIT",
        "Window",
        "free",
        "Some",
        "usize",
        "println",
    ):
        assert name in visible, name
    assert "slice" not in visible  # a method, reached through self
    members = names.members_at(at, "self")
    assert members is not None and {"start", "end", "slice"} <= set(members.names)
    method = names.function_at(at)
    assert method is not None and method.name == "slice" and names.calls_to(method) == 1
    function = names.function_at(RUST.index("free() }"))
    assert function is not None and names.calls_to(function) == 1


def test_distance_and_ties() -> None:
    assert distance("wdith", "width") == 1  # a swap is one edit
    assert distance("getencding", "getencoding") == 1
    assert closest("wdith", ["width", "with_", "other"]) == ["width"]
    assert closest("totl", ["total", "tot", "x"]) == ["tot", "total"]  # a tie
    assert closest("pi", ["p", "pii"]) == []  # too short to guess
    assert closest("tpolevel", ["toplevel", "level"]) == ["toplevel"]
    assert closest("value", ["valley"]) == []  # two edits: too far for five letters


def test_find_name_in_a_wide_or_empty_range() -> None:
    text = "x = 1\nreturn foo.lenght + lenght\n"
    line = text.index("return")
    assert find_name(text, line, line + 27, "lenght") == (
        text.index("lenght"),
        text.index("lenght") + 6,
    )
    point = text.index("foo")
    assert find_name(text, point, point, "lenght") == (
        text.index("lenght"),
        text.index("lenght") + 6,
    )
    assert find_name(text, 0, 1, "nothere") is None


def test_a_suggestion_needs_no_parse() -> None:
    text = "const n = parseCuont(s);\n"
    reported = read("Cannot find name 'parseCuont'. Did you mean 'parseCount'?")
    assert reported is not None

    def no_parse() -> Names:
        raise AssertionError("parsed")

    found = diagnose(text, 10, 20, reported, no_parse)
    assert found is not None and found.intended is not None
    assert found.intended.text == "parseCount" and (found.start, found.end) == (10, 20)


def test_diagnose_members_and_ties() -> None:
    text = "class A:\n    def __init__(self):\n        self.width = 1\n\n    def area(self, wide, die):\n        return self.wdith * wdie\n"
    spec = language_for("python", None)
    member = read('Cannot access attribute "wdith" for class "A*"')
    assert member is not None
    found = diagnose(
        text,
        text.index("wdith"),
        text.index("wdith") + 5,
        member,
        lambda: Names(Syntax(text, spec)),
    )
    assert found is not None and found.qualifier == "self"
    assert found.intended is not None and found.intended.text == "width"
    assert found.intended.why == "a field of `A`"
    tie = read('"wdie" is not defined')
    assert tie is not None
    found = diagnose(
        text, text.index("wdie"), text.index("wdie") + 4, tie, lambda: Names(Syntax(text, spec))
    )
    assert found is not None and found.intended is None and found.candidates == ("die", "wide")


def test_a_bare_name_that_is_the_objects_own_member() -> None:
    text = "class A:\n    def __init__(self):\n        self.width = 1\n\n    def area(self):\n        return wdith * 2\n"
    reported = read('"wdith" is not defined')
    assert reported is not None
    found = diagnose(
        text,
        text.index("wdith"),
        text.index("wdith") + 5,
        reported,
        lambda: Names(Syntax(text, language_for("python", None))),
    )
    assert found is not None and found.intended is not None and found.intended.text == "self.width"


def test_languages_without_rules_get_no_names() -> None:
    names = _names("java", "class A { int f(int x) { return y; } }")
    assert not names.supported and names.visible(20) == {} and names.open


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("def f(x):\n    return x\n", "def f(x):\n    return xy\n"),
        ("def f(x):\n    return x\n", "import os\ndef f(x):\n    return x\n"),
        (
            "def f(x):\n    return 'é' + x\n",
            "def f(x):\n    return 'é' + x + 'ü'\n\n\ndef g():\n    pass\n",
        ),
        ("def f(x):\n    return x\n", ""),
        ("x = 1\n", "x = 1\n"),
        # Edits that end inside a line, with lines after them: told to tree-sitter as reaching
        # the line's end.
        ("def f(x):\n    y = x\n    return y\n", "def f(x):\n    y = x + 1\n    return y\n"),
        ("def f(x):\n    y = x\n    return y\n", "def f(x):\n    return x\n"),
        ("x = 1\ny = 2", "x = 1\ny = 23"),
        (
            "def f(x):\r\n    return x\r\n\r\ndef g():\r\n    pass\r\n",
            "def f(x):\r\n    return x + 1\r\n\r\ndef g():\r\n    pass\r\n",
        ),
        ("s = 'é'\nt = 1\n", "s = 'éü'\nt = 1\n"),
    ],
)
def test_a_parse_from_the_previous_version_is_the_full_parse(before: str, after: str) -> None:
    spec = language_for("python", None)
    incremental = Syntax(after, spec, previous=Syntax(before, spec))
    full = Syntax(after, spec)
    assert incremental.tree is not None and full.tree is not None
    assert str(incremental.tree.root_node) == str(full.tree.root_node)
    assert incremental.error_count() == full.error_count()


def test_parses_from_the_previous_version_match_full_parses_over_many_edits() -> None:
    """Line edits of a real module (renames, lines added, dropped, changed, a function's body
    shortened as a Refactor does), each parsed from the version before it."""
    import random

    text = Path(glob.__file__).read_text()
    spec = language_for("python", None)
    lines = text.split("\n")
    previous = Syntax(text, spec)
    pick = random.Random(28)
    for _ in range(60):
        number = pick.randrange(1, len(lines) - 1)
        line = lines[number]
        indent = line[: len(line) - len(line.lstrip())]
        kind = pick.choice(["rename", "add", "drop", "change", "body"])
        if kind == "rename" and line.strip():
            word = line.split()[0]
            lines[number] = line.replace(word, word[: max(1, len(word) // 2)], 1)
        elif kind == "add":
            lines.insert(number, f"{indent}x = {number}")
        elif kind == "drop":
            del lines[number]
        elif kind == "change":
            lines[number] = f"{indent}pass  # {number}"
        else:
            end = number + 1
            while end < len(lines) and (
                not lines[end].strip() or lines[end].startswith(indent + " ")
            ):
                end += 1
            lines[number + 1 : end] = [f"{indent}    return helper(values)"]
        after = "\n".join(lines)
        incremental = Syntax(after, spec, previous=previous)
        full = Syntax(after, spec)
        assert incremental.tree is not None and full.tree is not None
        assert str(incremental.tree.root_node) == str(full.tree.root_node), kind
        previous = incremental
