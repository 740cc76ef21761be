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
