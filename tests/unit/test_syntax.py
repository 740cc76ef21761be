"""Enclosing scopes and definitions for every language with a grammar, and the fallback."""

from __future__ import annotations

import pytest

from chatls.source.languages import language_for
from chatls.source.syntax import Syntax

SOURCES = {
    "python": (
        "import os\n\nclass A:\n    def run(self):\n        x = 1\n        return x\n",
        "def run",
    ),
    "javascript": (
        "import x from 'x';\nclass A {\n  run() {\n    const x = 1;\n    return x;\n  }\n}\n",
        "run() {",
    ),
    "typescript": (
        "import x from 'x';\nexport function run(a: number): number {\n  const x = 1;\n"
        "  return x;\n}\n",
        "export function run",
    ),
    "go": (
        'package main\n\nimport "fmt"\n\nfunc run() int {\n\tx := 1\n\treturn x\n}\n',
        "func run",
    ),
    "rust": (
        "use std::fmt;\n\nimpl A {\n    fn run(&self) -> i32 {\n        let x = 1;\n        x\n    }\n}\n",
        "fn run",
    ),
    "java": (
        "import java.util.List;\nclass A {\n    int run() {\n        int x = 1;\n        return x;\n    }\n}\n",
        "int run",
    ),
    "c": ("#include <stdio.h>\n\nint run(void) {\n    int x = 1;\n    return x;\n}\n", "int run"),
    "cpp": (
        "#include <vector>\n\nnamespace n {\nint run() {\n    int x = 1;\n    return x;\n}\n}\n",
        "int run",
    ),
    "kotlin": (
        "import a.b\n\nclass A {\n    fun run(): Int {\n        val x = 1\n        return x\n    }\n}\n",
        "fun run",
    ),
}


@pytest.mark.parametrize("language", list(SOURCES))
def test_enclosing_scope_and_header(language: str) -> None:
    source, header = SOURCES[language]
    syntax = Syntax(source, language_for(language, None))
    inner = source.index("x = 1") if "x = 1" in source else source.index("x := 1")
    scope = syntax.enclosing_scope(inner, inner + 5)
    assert scope is not None
    assert source[scope.start :].lstrip().startswith(header), source[scope.start : scope.end]
    assert source[scope.start : scope.end].rstrip().endswith(("return x", "x", "}"))
    first_header = syntax.header_spans()[0]
    assert source[first_header.start : first_header.end].split()[0] in (
        "import",
        "package",
        "use",
        "#include",
    )


@pytest.mark.parametrize(
    "language", ["python", "javascript", "typescript", "go", "rust", "java", "c", "cpp"]
)
def test_definition_for_docstrings(language: str) -> None:
    source, header = SOURCES[language]
    syntax = Syntax(source, language_for(language, None))
    inner = source.index("return x") if "return x" in source else source.index("x\n    }")
    definition = syntax.definition(inner, inner)
    assert definition is not None
    assert source[definition.span.start :].startswith(header)
    assert definition.span.name == "run"


def test_javascript_arrow_function_constant_is_a_definition() -> None:
    source = "const add = (a, b) => {\n  const c = a + b;\n  return c;\n};\n"
    syntax = Syntax(source, language_for("javascript", None))
    definition = syntax.definition(source.index("return"), source.index("return"))
    assert definition is not None
    assert definition.span.start == 0
    inner_const = source.index("const c")
    # The inner ``const c`` is not a definition: it holds no function.
    assert syntax.definition(inner_const, inner_const).span.start == 0  # type: ignore[union-attr]


def test_python_docstring_and_body() -> None:
    source = 'def f(x):\n    """Doc."""\n    return x\n'
    syntax = Syntax(source, language_for("python", None))
    definition = syntax.definition(source.index("return"), source.index("return"))
    assert definition is not None and definition.docstring is not None
    assert source[definition.docstring.start : definition.docstring.end] == '"""Doc."""'


def test_non_ascii_offsets_are_characters() -> None:
    source = 's = "😀é"\n\ndef f():\n    return "ü"\n'
    syntax = Syntax(source, language_for("python", None))
    scope = syntax.enclosing_scope(source.index("return"), source.index("return"))
    assert scope is not None and source[scope.start : scope.end] == 'def f():\n    return "ü"'


def test_indentation_fallback() -> None:
    source = "thing Foo\n  part one\n  part two\n    nested\n  part three\nend\nother\n"
    syntax = Syntax(source, language_for("unknownlang", "x.unknown"))
    nested = source.index("nested")
    scope = syntax.enclosing_scope(nested, nested)
    assert scope is not None
    assert source[scope.start : scope.end] == "  part two\n    nested"
    top = source.index("part one")
    scope = syntax.enclosing_scope(top, top)
    assert scope is not None and source[scope.start : scope.end].startswith("thing Foo")
    assert source[scope.start : scope.end].endswith("end")


def test_compiling_where_an_edit_is_judges_as_compiling_the_whole_file() -> None:
    # Random edits of standard library modules, the kinds a model's reply makes (lines dropped,
    # dedented, indented, repeated from elsewhere, a stray return, a __future__ import or a
    # global moved in): compiling only the statements around the edit must agree with
    # Python's compiler on the whole file every time.
    import random
    import sysconfig
    from pathlib import Path

    from chatls.source.syntax import python_compiles, python_compiles_where

    spec = language_for("python", None)
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    rng = random.Random(28)
    judged = broken = 0
    while judged < 300:
        text = rng.choice(files).read_text(errors="ignore")
        lines = text.splitlines(keepends=True)
        if len(text) > 60_000 or len(lines) < 5 or not python_compiles(text):
            continue
        first = rng.randrange(len(lines))
        last = min(len(lines), first + rng.randint(0, 6))
        kind = rng.choice(["drop", "dedent", "indent", "repeat", "return", "future", "global"])
        new = {
            "drop": [],
            "dedent": [line[2:] if line.startswith("  ") else line for line in lines[first:last]],
            "indent": ["   " + line for line in lines[first:last]],
            "repeat": [*lines[first:last], rng.choice(lines)],
            "return": [*lines[first:last], "return 1\n"],
            "future": ["from __future__ import annotations\n", *lines[first:last]],
            "global": ["global counted\n", *lines[first:last]],
        }[kind]
        start = len("".join(lines[:first]))
        inserted = "".join(new)
        after = text[:start] + inserted + "".join(lines[last:])
        whole = python_compiles(after)
        assert (
            python_compiles_where(Syntax(after, spec), [(start, start + len(inserted))]) == whole
        ), (
            kind,
            after[max(0, start - 200) : start + len(inserted) + 200],
        )
        judged += 1
        broken += not whole
    assert broken > 100  # the edits did break files: the agreement was tested both ways


def test_compiling_where_an_edit_is_sees_past_comments_to_the_code_next_to_it() -> None:
    from chatls.source.syntax import python_compiles_where

    # The body of `first` deleted: its comment stays; `def first():` is still the neighbour.
    after = "def first():\n    # type: () -> int\ndef second():\n    return 2\n"
    edit = after.index("def second")
    assert not python_compiles_where(Syntax(after, language_for("python", None)), [(edit, edit)])
