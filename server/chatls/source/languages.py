"""What chatls knows about each language: names, grammars, scopes, imports and doc comments.

Pure data; the tree-sitter grammars named here are imported only when a file is parsed.
"""

from __future__ import annotations

import os
import re

import attrs

DocStyle = str
"""``python`` (a docstring inside the body), ``block`` (``/** */`` above), or a line prefix such
as ``///``, ``//`` or ``#`` repeated on each line above the definition."""


@attrs.frozen
class LanguageSpec:
    id: str
    name: str
    extensions: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    grammar: tuple[str, str] | None = None
    """Module and function returning the tree-sitter language pointer."""
    scopes: frozenset[str] = frozenset()
    """Node types that enclose code worth showing as context (functions, classes...)."""
    definitions: frozenset[str] = frozenset()
    """Node types that take a doc comment."""
    wrappers: frozenset[str] = frozenset()
    """Node types that wrap a definition and come first in the text (decorators, export...)."""
    imports: frozenset[str] = frozenset()
    """Top-level node types that make up the file's header."""
    import_line: str = r"^\s*(import|from|#include|using|use|require|package)\b"
    doc_style: DocStyle = "#"
    doc_convention: str = "a comment above the definition"
    fence: str = ""
    member_wrapper: tuple[str, str] | None = None
    """Text around a class member that makes it parse on its own (C# methods)."""
    commonjs: bool = False
    """A top-level ``require("...")`` (``const { f } = require("./m")``) imports, as CommonJS
    does: it is part of the file's header and binds names from another module."""


_JS_SCOPES = frozenset(
    {
        "function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "generator_function_declaration",
        "method_definition",
        "class_declaration",
        "class",
    }
)
_JS_DEFS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "method_definition",
        "class_declaration",
        "lexical_declaration",
    }
)
# CommonJS lines are imports in JavaScript only: in TypeScript tsc types a ``require`` as
# ``any`` (or does not know it at all), so a reply must ``import`` there.
_JS_IMPORT_LINE = (
    r"^\s*(import\b|require\s*\(|(const|let|var)\s+([\w$]+|\{[^}]*\})\s*=\s*require\s*\()"
)
_TS_EXTRA = frozenset(
    {
        "interface_declaration",
        "abstract_class_declaration",
        "enum_declaration",
        "type_alias_declaration",
    }
)

LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        id="python",
        name="Python",
        extensions=(".py", ".pyi", ".pyw"),
        grammar=("tree_sitter_python", "language"),
        scopes=frozenset({"function_definition", "class_definition"}),
        definitions=frozenset({"function_definition", "class_definition"}),
        wrappers=frozenset({"decorated_definition"}),
        imports=frozenset({"import_statement", "import_from_statement", "future_import_statement"}),
        doc_style="python",
        doc_convention="a PEP 257 docstring (summary line, blank line, then Google-style "
        "Args/Returns/Raises sections where useful)",
        fence="python",
    ),
    LanguageSpec(
        id="javascript",
        name="JavaScript",
        extensions=(".js", ".mjs", ".cjs", ".jsx"),
        aliases=("javascriptreact", "jsx"),
        grammar=("tree_sitter_javascript", "language"),
        scopes=_JS_SCOPES,
        definitions=_JS_DEFS,
        wrappers=frozenset({"export_statement"}),
        imports=frozenset({"import_statement"}),
        import_line=_JS_IMPORT_LINE,
        doc_style="block",
        doc_convention="a JSDoc comment (/** ... */ with @param and @returns tags)",
        fence="javascript",
        commonjs=True,
    ),
    LanguageSpec(
        id="typescript",
        name="TypeScript",
        extensions=(".ts", ".mts", ".cts"),
        grammar=("tree_sitter_typescript", "language_typescript"),
        scopes=_JS_SCOPES | _TS_EXTRA,
        definitions=_JS_DEFS | _TS_EXTRA,
        wrappers=frozenset({"export_statement"}),
        imports=frozenset({"import_statement"}),
        doc_style="block",
        doc_convention="a TSDoc comment (/** ... */ with @param and @returns tags, no types)",
        fence="typescript",
        commonjs=True,
    ),
    LanguageSpec(
        id="typescriptreact",
        name="TypeScript (TSX)",
        extensions=(".tsx",),
        aliases=("tsx",),
        grammar=("tree_sitter_typescript", "language_tsx"),
        scopes=_JS_SCOPES | _TS_EXTRA,
        definitions=_JS_DEFS | _TS_EXTRA,
        wrappers=frozenset({"export_statement"}),
        imports=frozenset({"import_statement"}),
        doc_style="block",
        doc_convention="a TSDoc comment (/** ... */ with @param and @returns tags, no types)",
        fence="tsx",
        commonjs=True,
    ),
    LanguageSpec(
        id="go",
        name="Go",
        extensions=(".go",),
        grammar=("tree_sitter_go", "language"),
        scopes=frozenset(
            {"function_declaration", "method_declaration", "func_literal", "type_declaration"}
        ),
        definitions=frozenset({"function_declaration", "method_declaration", "type_declaration"}),
        imports=frozenset({"package_clause", "import_declaration"}),
        doc_style="//",
        doc_convention="a Go doc comment: // lines directly above, the first sentence starting "
        "with the declared name",
        fence="go",
    ),
    LanguageSpec(
        id="rust",
        name="Rust",
        extensions=(".rs",),
        grammar=("tree_sitter_rust", "language"),
        scopes=frozenset(
            {
                "function_item",
                "impl_item",
                "trait_item",
                "struct_item",
                "enum_item",
                "mod_item",
                "closure_expression",
            }
        ),
        definitions=frozenset(
            {"function_item", "struct_item", "enum_item", "trait_item", "mod_item", "impl_item"}
        ),
        imports=frozenset({"use_declaration", "extern_crate_declaration"}),
        doc_style="///",
        doc_convention="a Rust doc comment: /// lines above, markdown, with # Errors / # Panics "
        "/ # Examples sections where useful",
        fence="rust",
    ),
    LanguageSpec(
        id="java",
        name="Java",
        extensions=(".java",),
        grammar=("tree_sitter_java", "language"),
        scopes=frozenset(
            {
                "method_declaration",
                "constructor_declaration",
                "class_declaration",
                "interface_declaration",
                "enum_declaration",
                "record_declaration",
                "lambda_expression",
            }
        ),
        definitions=frozenset(
            {
                "method_declaration",
                "constructor_declaration",
                "class_declaration",
                "interface_declaration",
                "enum_declaration",
                "record_declaration",
            }
        ),
        imports=frozenset({"package_declaration", "import_declaration"}),
        doc_style="block",
        doc_convention="a Javadoc comment (/** ... */ with @param, @return and @throws tags)",
        fence="java",
    ),
    LanguageSpec(
        id="c",
        name="C",
        extensions=(".c", ".h"),
        grammar=("tree_sitter_c", "language"),
        scopes=frozenset({"function_definition", "struct_specifier", "enum_specifier"}),
        definitions=frozenset({"function_definition", "declaration", "struct_specifier"}),
        imports=frozenset({"preproc_include"}),
        doc_style="block",
        doc_convention="a Doxygen comment (/** ... */ with @param and @return)",
        fence="c",
    ),
    LanguageSpec(
        id="cpp",
        name="C++",
        extensions=(".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"),
        aliases=("c++",),
        grammar=("tree_sitter_cpp", "language"),
        scopes=frozenset(
            {
                "function_definition",
                "class_specifier",
                "struct_specifier",
                "namespace_definition",
                "lambda_expression",
            }
        ),
        definitions=frozenset(
            {"function_definition", "class_specifier", "struct_specifier", "declaration"}
        ),
        wrappers=frozenset({"template_declaration"}),
        imports=frozenset({"preproc_include", "using_declaration"}),
        doc_style="block",
        doc_convention="a Doxygen comment (/** ... */ with @param and @return)",
        fence="cpp",
    ),
    LanguageSpec(
        id="csharp",
        name="C#",
        extensions=(".cs",),
        aliases=("c#", "cs"),
        grammar=("tree_sitter_c_sharp", "language"),
        scopes=frozenset(
            {
                "method_declaration",
                "constructor_declaration",
                "class_declaration",
                "struct_declaration",
                "interface_declaration",
                "record_declaration",
                "namespace_declaration",
                "local_function_statement",
                "lambda_expression",
            }
        ),
        definitions=frozenset(
            {
                "method_declaration",
                "constructor_declaration",
                "class_declaration",
                "struct_declaration",
                "interface_declaration",
                "record_declaration",
                "enum_declaration",
                "property_declaration",
                "local_function_statement",
            }
        ),
        imports=frozenset({"using_directive"}),
        doc_style="///",
        doc_convention="an XML doc comment (/// <summary>...</summary>, <param>, <returns>)",
        fence="csharp",
        member_wrapper=("class ChatlsMember {\n", "\n}\n"),
    ),
    LanguageSpec(
        id="kotlin",
        name="Kotlin",
        extensions=(".kt", ".kts"),
        grammar=("tree_sitter_kotlin", "language"),
        scopes=frozenset(
            {"function_declaration", "class_declaration", "object_declaration", "lambda_literal"}
        ),
        definitions=frozenset({"function_declaration", "class_declaration", "object_declaration"}),
        imports=frozenset({"package_header", "import"}),
        doc_style="block",
        doc_convention="a KDoc comment (/** ... */ with @param and @return)",
        fence="kotlin",
    ),
    LanguageSpec(
        id="swift",
        name="Swift",
        extensions=(".swift",),
        grammar=("tree_sitter_swift", "language"),
        scopes=frozenset(
            {
                "function_declaration",
                "init_declaration",
                "class_declaration",
                "protocol_declaration",
                "lambda_literal",
            }
        ),
        definitions=frozenset(
            {
                "function_declaration",
                "init_declaration",
                "class_declaration",
                "protocol_declaration",
            }
        ),
        imports=frozenset({"import_declaration"}),
        doc_style="///",
        doc_convention="a Swift doc comment (/// lines, - Parameters: / - Returns:)",
        fence="swift",
    ),
    LanguageSpec(
        id="php",
        name="PHP",
        extensions=(".php",),
        grammar=("tree_sitter_php", "language_php"),
        scopes=frozenset(
            {
                "function_definition",
                "method_declaration",
                "class_declaration",
                "interface_declaration",
                "trait_declaration",
                "anonymous_function",
                "arrow_function",
            }
        ),
        definitions=frozenset(
            {
                "function_definition",
                "method_declaration",
                "class_declaration",
                "interface_declaration",
                "trait_declaration",
            }
        ),
        imports=frozenset({"namespace_use_declaration", "namespace_definition"}),
        doc_style="block",
        doc_convention="a PHPDoc comment (/** ... */ with @param and @return)",
        fence="php",
    ),
    LanguageSpec(
        id="ruby",
        name="Ruby",
        extensions=(".rb",),
        grammar=("tree_sitter_ruby", "language"),
        scopes=frozenset({"method", "singleton_method", "class", "module", "block", "do_block"}),
        definitions=frozenset({"method", "singleton_method", "class", "module"}),
        import_line=r"^\s*(require|require_relative|load)\b",
        doc_style="#",
        doc_convention="YARD comments (# lines above, @param / @return)",
        fence="ruby",
    ),
    LanguageSpec(
        id="lua",
        name="Lua",
        extensions=(".lua",),
        grammar=("tree_sitter_lua", "language"),
        scopes=frozenset({"function_declaration", "function_definition"}),
        definitions=frozenset({"function_declaration"}),
        import_line=r"^\s*(local\s+\w+\s*=\s*)?require\b",
        doc_style="---",
        doc_convention="LuaLS annotations (--- lines above, ---@param / ---@return)",
        fence="lua",
    ),
    LanguageSpec(
        id="shellscript",
        name="Shell",
        extensions=(".sh", ".bash", ".zsh"),
        aliases=("sh", "bash", "zsh"),
        grammar=("tree_sitter_bash", "language"),
        scopes=frozenset({"function_definition"}),
        definitions=frozenset({"function_definition"}),
        import_line=r"^\s*(source|\.)\s",
        doc_style="#",
        doc_convention="a # comment block above the function",
        fence="bash",
    ),
    LanguageSpec(
        id="scala",
        name="Scala",
        extensions=(".scala", ".sc"),
        grammar=("tree_sitter_scala", "language"),
        scopes=frozenset(
            {
                "function_definition",
                "class_definition",
                "object_definition",
                "trait_definition",
                "lambda_expression",
            }
        ),
        definitions=frozenset(
            {"function_definition", "class_definition", "object_definition", "trait_definition"}
        ),
        imports=frozenset({"package_clause", "import_declaration"}),
        doc_style="block",
        doc_convention="a Scaladoc comment (/** ... */ with @param and @return)",
        fence="scala",
    ),
)

GENERIC = LanguageSpec(id="plaintext", name="plain text")

_BY_ID = {alias: spec for spec in LANGUAGES for alias in (spec.id, *spec.aliases)}
_BY_EXTENSION = {ext: spec for spec in LANGUAGES for ext in spec.extensions}


def named_language(name: str) -> LanguageSpec | None:
    """A language the user named: its id (``rust``), name (``Rust``) or extension (``.rs``)."""
    wanted = name.strip().lower()
    if wanted in _BY_ID:
        return _BY_ID[wanted]
    for spec in LANGUAGES:
        if (
            wanted == spec.name.lower()
            or wanted in spec.extensions
            or "." + wanted in spec.extensions
        ):
            return spec
    return None


DEFINITION_LINE = re.compile(
    r"^\s*(?:(?:export|default|public|private|protected|internal|static|async|pub|final|"
    r"abstract|override|open|inline|local)\s+)*"
    r"(?:def|function|func|fn|class|struct|interface|module|sub|proc|method|trait|impl|enum)\b"
)


def language_for(language_id: str | None, path: str | None) -> LanguageSpec:
    """The language of a document: its LSP language id first, then its file extension."""
    if language_id and language_id.lower() in _BY_ID:
        return _BY_ID[language_id.lower()]
    if path:
        ext = os.path.splitext(path)[1].lower()
        if ext in _BY_EXTENSION:
            return _BY_EXTENSION[ext]
    if language_id:
        return attrs.evolve(GENERIC, id=language_id, name=language_id, fence=language_id)
    return GENERIC
