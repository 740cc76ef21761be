"""Test code read with tree-sitter: the tests a text holds in each framework's own form and the
names each one uses, what the text defines and imports, the names it uses without binding
them, and how a JavaScript module exports what it defines.

Frameworks are named by id: ``pytest``, ``unittest``, ``vitest``, ``jest``, ``node`` (Node's
``node:test``), ``go`` (the ``testing`` package) and ``rust`` (``#[test]``).
"""

from __future__ import annotations

import builtins
import re
import symtable
from collections.abc import Iterator
from typing import TYPE_CHECKING

import attrs

from chatls.source.syntax import Span, Syntax, python_compiles

if TYPE_CHECKING:
    from tree_sitter import Node


@attrs.frozen
class FoundTest:
    """One test as its runner names it, and every name its code mentions."""

    name: str
    uses: frozenset[str]


@attrs.frozen
class Imported:
    """One import statement (a whole line or block, in characters), what it imports from, and
    the local names it binds (``(imported, local)``; ``imported`` is ``*`` for a namespace and
    ``default`` for a default import)."""

    start: int
    end: int
    source: str
    names: tuple[tuple[str, str], ...] = ()
    kind: str = "import"
    """``import``, ``from`` (Python), ``require`` (a ``const x = require(...)`` line)."""


@attrs.frozen
class Exports:
    """How a JavaScript/TypeScript module makes its definitions importable."""

    system: str
    """``esm`` (``export``), ``cjs`` (``module.exports``/``exports.x``) or ``none``."""
    named: frozenset[str] = frozenset()
    default: str | None = None
    """The local name of the default export (``module.exports = add`` counts as one)."""
    has_default: bool = False


def walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def node_text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def char_span(syntax: Syntax, node: Node) -> tuple[int, int]:
    span = syntax._span(node)
    return span.start, span.end


def parses(syntax: Syntax) -> tuple[bool, int | None]:
    """Whether the text parses without an error, and the 0-based line of the first one."""
    if syntax.spec.id == "python":
        from chatls.source.syntax import python_error_line

        line = python_error_line(syntax.text)
        if line is not None:
            return False, line
    errors = syntax.error_lines()
    if errors:
        return False, min(errors)
    return True, None


_NAME_NODES = frozenset(
    {
        "identifier",
        "property_identifier",
        "shorthand_property_identifier",
        "field_identifier",
        "type_identifier",
        "package_identifier",
    }
)


def _names_in(node: Node) -> frozenset[str]:
    return frozenset(node_text(n) for n in walk(node) if n.type in _NAME_NODES)


def _python_tests(syntax: Syntax, framework: str) -> list[FoundTest]:
    assert syntax.tree is not None
    found: list[FoundTest] = []
    for child in syntax.tree.root_node.named_children:
        node = _unwrap_decorated(child)
        name = node_text(node.child_by_field_name("name"))
        if (
            node.type == "function_definition"
            and name.startswith("test")
            and framework != ("unittest")
        ):
            found.append(FoundTest(name, _names_in(node)))
        elif node.type == "class_definition":
            bases = node_text(node.child_by_field_name("superclasses"))
            testcase = "TestCase" in bases
            if not testcase and (framework == "unittest" or not name.startswith("Test")):
                continue
            body = node.child_by_field_name("body")
            for member in body.named_children if body is not None else []:
                method = _unwrap_decorated(member)
                method_name = node_text(method.child_by_field_name("name"))
                if method.type == "function_definition" and method_name.startswith("test"):
                    found.append(FoundTest(f"{name}::{method_name}", _names_in(method)))
    return found


def _unwrap_decorated(node: Node) -> Node:
    if node.type == "decorated_definition":
        inner = node.child_by_field_name("definition")
        if inner is not None:
            return inner
    return node


_JS_TEST_CALLS = frozenset({"test", "it"})
_JS_SKIPPED = frozenset({"skip", "todo"})


def _js_test_name(call: Node) -> str | None:
    """The test's name when ``call`` is ``test(...)``/``it(...)`` (``.only``, ``.each(...)``
    included), else None."""
    function = call.child_by_field_name("function")
    while function is not None and function.type in ("call_expression", "member_expression"):
        if function.type == "member_expression":
            if node_text(function.child_by_field_name("property")) in _JS_SKIPPED:
                return None
            function = function.child_by_field_name("object")
        else:
            function = function.child_by_field_name("function")
    if (
        function is None
        or function.type != "identifier"
        or node_text(function) not in (_JS_TEST_CALLS)
    ):
        return None
    arguments = call.child_by_field_name("arguments")
    first = (
        arguments.named_children[0] if arguments is not None and arguments.named_children else None
    )
    if first is None:
        return None
    if first.type in ("string", "template_string"):
        return node_text(first)[1:-1]
    return node_text(first)


def _js_tests(syntax: Syntax) -> list[FoundTest]:
    assert syntax.tree is not None
    found = []
    for node in walk(syntax.tree.root_node):
        if node.type != "call_expression":
            continue
        name = _js_test_name(node)
        if name is not None:
            arguments = node.child_by_field_name("arguments")
            found.append(FoundTest(name, _names_in(arguments) if arguments else frozenset()))
    return found


_GO_TEST = re.compile(r"^Test([^a-z].*)?$")


def _go_tests(syntax: Syntax) -> list[FoundTest]:
    assert syntax.tree is not None
    found = []
    for node in syntax.tree.root_node.named_children:
        if node.type != "function_declaration":
            continue
        name = node_text(node.child_by_field_name("name"))
        parameters = node.child_by_field_name("parameters")
        declared = [p for p in parameters.named_children] if parameters is not None else []
        if (
            _GO_TEST.match(name)
            and len(declared) == 1
            and re.sub(r"\s", "", node_text(declared[0].child_by_field_name("type"))).endswith(
                "*testing.T"
            )
        ):
            body = node.child_by_field_name("body")
            found.append(FoundTest(name, _names_in(body) if body is not None else frozenset()))
    return found


def rust_test_attribute(node: Node) -> bool:
    """Whether the attributes right above ``node`` make it a test (``#[test]``,
    ``#[tokio::test]``...)."""
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type in ("attribute_item", "line_comment"):
        if sibling.type == "attribute_item":
            attribute = sibling.named_children[0] if sibling.named_children else None
            path = (
                node_text(attribute.named_children[0])
                if attribute and attribute.named_children
                else ""
            )
            if path == "test" or path.endswith("::test"):
                return True
        sibling = sibling.prev_named_sibling
    return False


def _rust_tests(syntax: Syntax) -> list[FoundTest]:
    assert syntax.tree is not None
    found = []
    for node in walk(syntax.tree.root_node):
        if node.type == "function_item" and rust_test_attribute(node):
            body = node.child_by_field_name("body")
            name = node_text(node.child_by_field_name("name"))
            found.append(FoundTest(name, _names_in(body) if body is not None else frozenset()))
    return found


def tests_in(syntax: Syntax, framework: str) -> list[FoundTest]:
    """The tests ``syntax``'s text holds in ``framework``'s own form."""
    if syntax.tree is None:
        return []
    if framework in ("pytest", "unittest"):
        return _python_tests(syntax, framework)
    if framework in ("vitest", "jest", "node"):
        return _js_tests(syntax)
    if framework == "go":
        return _go_tests(syntax)
    if framework == "rust":
        return _rust_tests(syntax)
    return []


def _python_assigned(node: Node) -> list[str]:
    left = node.child_by_field_name("left")
    if left is not None and left.type == "identifier":
        return [node_text(left)]
    return []


def defined(syntax: Syntax, tests: list[FoundTest]) -> set[str]:
    """Names the text defines, at any depth, other than its tests and what it imports:
    functions, classes and types (Go methods as ``Type.Method``), and Python module-level and
    JavaScript variables."""
    if syntax.tree is None:
        return set()
    language = syntax.spec.id
    test_names = {t.name.rsplit("::", 1)[-1] for t in tests}
    found: set[str] = set()
    root = syntax.tree.root_node
    for node in walk(root):
        kind = node.type
        name = ""
        if language == "python":
            if kind in ("function_definition", "class_definition"):
                name = node_text(node.child_by_field_name("name"))
            elif kind == "assignment" and node.parent is not None and (node.parent.parent == root):
                found.update(_python_assigned(node))
        elif language in ("javascript", "typescript", "typescriptreact", "javascriptreact"):
            if kind in (
                "function_declaration",
                "class_declaration",
                "generator_function_declaration",
            ):
                name = node_text(node.child_by_field_name("name"))
            elif kind == "variable_declarator":
                value = node.child_by_field_name("value")
                target = node.child_by_field_name("name")
                if target is not None and target.type == "identifier" and not _is_require(value):
                    name = node_text(target)
        elif language == "go":
            if kind == "function_declaration":
                name = node_text(node.child_by_field_name("name"))
            elif kind == "method_declaration":
                receiver = node_text(node.child_by_field_name("receiver"))
                type_name = re.findall(r"\w+", receiver)[-1:] or [""]
                name = f"{type_name[0]}.{node_text(node.child_by_field_name('name'))}"
            elif kind == "type_spec":
                name = node_text(node.child_by_field_name("name"))
        elif language == "rust" and kind in (
            "function_item",
            "struct_item",
            "enum_item",
            "trait_item",
        ):
            name = node_text(node.child_by_field_name("name"))
        if name and name not in test_names:
            found.add(name)
    return found


def _is_require(node: Node | None) -> bool:
    return (
        node is not None
        and node.type == "call_expression"
        and node_text(node.child_by_field_name("function")) == "require"
    )


def _string_value(node: Node | None) -> str:
    text = node_text(node)
    if len(text) >= 2 and text[0] in "'\"`" and text[-1] == text[0]:
        return text[1:-1]
    return text


def imports_in(syntax: Syntax) -> list[Imported]:
    """The text's top-level imports (Python ``import``/``from``, JavaScript ``import`` and
    ``require`` declarations, Go import specs, Rust ``use``)."""
    if syntax.tree is None:
        return []
    language = syntax.spec.id
    found: list[Imported] = []
    for node in syntax.tree.root_node.named_children:
        start, end = char_span(syntax, node)
        if language == "python":
            if node.type == "import_statement":
                for item in node.named_children:
                    module, local = _python_alias(item)
                    found.append(Imported(start, end, module, ((module, local),), "import"))
            elif node.type == "future_import_statement":
                found.append(Imported(start, end, "__future__", (), "from"))
            elif node.type == "import_from_statement":
                module_node = node.child_by_field_name("module_name")
                names = []
                for item in node.children_by_field_name("name"):
                    imported, local = _python_alias(item)
                    names.append((imported, local))
                if any(c.type == "wildcard_import" for c in node.named_children):
                    names.append(("*", "*"))
                found.append(Imported(start, end, node_text(module_node), tuple(names), "from"))
        elif language in ("javascript", "typescript", "typescriptreact", "javascriptreact"):
            if node.type == "import_statement":
                found.append(
                    Imported(
                        start,
                        end,
                        _string_value(node.child_by_field_name("source")),
                        _js_import_names(node),
                    )
                )
            elif node.type in ("lexical_declaration", "variable_declaration"):
                declarators = [c for c in node.named_children if c.type == "variable_declarator"]
                if declarators and all(
                    _is_require(d.child_by_field_name("value")) for d in declarators
                ):
                    for declarator in declarators:
                        value = declarator.child_by_field_name("value")
                        arguments = value.child_by_field_name("arguments") if value else None
                        source = (
                            _string_value(arguments.named_children[0])
                            if arguments and arguments.named_children
                            else ""
                        )
                        found.append(
                            Imported(start, end, source, _require_names(declarator), "require")
                        )
            elif node.type == "expression_statement" and _is_require(
                node.named_children[0] if node.named_children else None
            ):
                call = node.named_children[0]
                arguments = call.child_by_field_name("arguments")
                source = (
                    _string_value(arguments.named_children[0])
                    if arguments and arguments.named_children
                    else ""
                )
                found.append(Imported(start, end, source, (), "require"))
        elif language == "go":
            if node.type == "import_declaration":
                for spec in walk(node):
                    if spec.type != "import_spec":
                        continue
                    path = _string_value(spec.child_by_field_name("path"))
                    alias = node_text(spec.child_by_field_name("name"))
                    local = alias or go_package_name(path)
                    s_start, s_end = char_span(syntax, spec)
                    found.append(Imported(s_start, s_end, path, ((path, local),)))
        elif language == "rust" and node.type == "use_declaration":
            found.append(Imported(start, end, node_text(node.child_by_field_name("argument"))))
    return found


def go_package_name(path: str) -> str:
    """The name an import path's package goes by, as Go's convention has it."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    last = re.sub(r"\.v\d+$", "", last)
    if re.fullmatch(r"v\d+", last) and "/" in path:
        last = path.rstrip("/").rsplit("/", 2)[-2]
    return re.sub(r"^go-|-go$", "", last).replace("-", "_").replace(".", "_")


def _python_alias(node: Node) -> tuple[str, str]:
    if node.type == "aliased_import":
        name = node_text(node.child_by_field_name("name"))
        return name, node_text(node.child_by_field_name("alias"))
    name = node_text(node)
    return name, name.split(".")[0]


def _js_import_names(node: Node) -> tuple[tuple[str, str], ...]:
    names: list[tuple[str, str]] = []
    for clause in node.named_children:
        if clause.type != "import_clause":
            continue
        for part in clause.named_children:
            if part.type == "identifier":
                names.append(("default", node_text(part)))
            elif part.type == "namespace_import":
                ident = [c for c in part.named_children if c.type == "identifier"]
                names.append(("*", node_text(ident[0]) if ident else ""))
            elif part.type == "named_imports":
                for spec in part.named_children:
                    if spec.type != "import_specifier":
                        continue
                    name = node_text(spec.child_by_field_name("name"))
                    alias = node_text(spec.child_by_field_name("alias"))
                    names.append((name, alias or name))
    return tuple(names)


def _require_names(declarator: Node) -> tuple[tuple[str, str], ...]:
    target = declarator.child_by_field_name("name")
    if target is None:
        return ()
    if target.type == "identifier":
        return (("*", node_text(target)),)
    names: list[tuple[str, str]] = []
    if target.type == "object_pattern":
        for part in target.named_children:
            if part.type == "shorthand_property_identifier_pattern":
                names.append((node_text(part), node_text(part)))
            elif part.type == "pair_pattern":
                key = node_text(part.child_by_field_name("key"))
                value = node_text(part.child_by_field_name("value"))
                names.append((key, value))
    return tuple(names)


_JS_GLOBALS = frozenset(
    [
        *dir(builtins),
        "undefined",
        "NaN",
        "Infinity",
        "globalThis",
        "console",
        "Math",
        "JSON",
        "Object",
        "Array",
        "String",
        "Number",
        "Boolean",
        "Symbol",
        "BigInt",
        "Date",
        "RegExp",
        "Error",
        "TypeError",
        "RangeError",
        "SyntaxError",
        "Promise",
        "Map",
        "Set",
        "WeakMap",
        "WeakSet",
        "Reflect",
        "Proxy",
        "Uint8Array",
        "ArrayBuffer",
        "DataView",
        "Intl",
        "setTimeout",
        "clearTimeout",
        "setInterval",
        "clearInterval",
        "queueMicrotask",
        "structuredClone",
        "process",
        "Buffer",
        "require",
        "module",
        "exports",
        "__dirname",
        "__filename",
        "URL",
        "URLSearchParams",
        "TextEncoder",
        "TextDecoder",
        "fetch",
        "arguments",
        "this",
        "isNaN",
        "isFinite",
        "parseInt",
        "parseFloat",
    ]
)

_JS_BINDING_FIELDS = frozenset(
    {
        ("variable_declarator", "name"),
        ("arrow_function", "parameter"),
        ("pair_pattern", "value"),
        ("assignment_pattern", "left"),
        ("for_in_statement", "left"),
    }
)
"""(parent type, field) pairs where an identifier is bound rather than used."""
_JS_BINDING_PARENTS: dict[str, str | None] = {
    "function_declaration": "name",
    "generator_function_declaration": "name",
    "class_declaration": "name",
    "function_expression": "name",
    "class": "name",
    "method_definition": "name",
    "import_specifier": None,
    "namespace_import": None,
    "import_clause": None,
    "catch_clause": "parameter",
    "formal_parameters": None,
    "required_parameter": "pattern",
    "optional_parameter": "pattern",
    "rest_pattern": None,
    "array_pattern": None,
    "labeled_statement": "label",
}


def free_names(syntax: Syntax) -> set[str]:
    """Names the text uses without defining, importing or otherwise binding them (nor a
    builtin). Python's own symbol tables for Python; for other languages an approximation
    from the syntax tree that is exact for the code tests are made of."""
    if syntax.spec.id == "python":
        return _python_free(syntax.text)
    if syntax.tree is None:
        return set()
    language = syntax.spec.id
    if language == "go":
        return _go_free(syntax)
    used: set[str] = set()
    bound: set[str] = set()
    for node in walk(syntax.tree.root_node):
        if node.type not in (
            "identifier",
            "shorthand_property_identifier_pattern",
            "shorthand_property_identifier",
        ):
            continue
        name = node_text(node)
        parent = node.parent
        if node.type == "shorthand_property_identifier_pattern":
            bound.add(name)
            continue
        if node.type == "shorthand_property_identifier":
            used.add(name)
            continue
        if parent is None:
            used.add(name)
            continue
        field = parent.field_name_for_child(_index(parent, node))
        binding = _JS_BINDING_PARENTS.get(parent.type, "")
        if (parent.type, field) in _JS_BINDING_FIELDS or binding is None or binding == field:
            bound.add(name)
        else:
            used.add(name)
    return used - bound - _JS_GLOBALS


def _index(parent: Node, child: Node) -> int:
    for number, candidate in enumerate(parent.children):
        if candidate.id == child.id:
            return number
    return 0


def _go_free(syntax: Syntax) -> set[str]:
    """Package qualifiers (``strings.``, ``testing.T``) the text uses without importing."""
    assert syntax.tree is not None
    used: set[str] = set()
    locals_: set[str] = set()
    for node in walk(syntax.tree.root_node):
        if node.type == "selector_expression":
            operand = node.child_by_field_name("operand")
            if operand is not None and operand.type == "identifier":
                used.add(node_text(operand))
        elif node.type == "qualified_type":
            used.add(node_text(node.child_by_field_name("package")))
        elif node.type in (
            "short_var_declaration",
            "var_spec",
            "parameter_declaration",
            "range_clause",
            "const_spec",
        ):
            left = node.child_by_field_name("left") or node.child_by_field_name("name")
            if left is not None:
                locals_.update(node_text(n) for n in walk(left) if n.type == "identifier")
    imported = {local for item in imports_in(syntax) for _, local in item.names}
    return used - locals_ - imported


def _python_free(text: str) -> set[str]:
    if not python_compiles(text):
        return set()
    table = symtable.symtable(text, "<tests>", "exec")
    module_bound = {
        symbol.get_name()
        for symbol in table.get_symbols()
        if symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace()
    }
    free: set[str] = set()
    stack = [table]
    while stack:
        scope = stack.pop()
        stack.extend(scope.get_children())
        for symbol in scope.get_symbols():
            name = symbol.get_name()
            if not symbol.is_referenced():
                continue
            if scope is table:
                if not (symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace()):
                    free.add(name)
            elif symbol.is_global() and name not in module_bound:
                free.add(name)
    return free - set(dir(builtins)) - {"__file__", "__name__", "__doc__", "__builtins__"}


def python_top_level(syntax: Syntax) -> set[str]:
    """Names a Python module defines at its top level (what ``from module import`` can take)."""
    if syntax.tree is None:
        return set()
    names: set[str] = set()
    for child in syntax.tree.root_node.named_children:
        node = _unwrap_decorated(child)
        if node.type in ("function_definition", "class_definition"):
            names.add(node_text(node.child_by_field_name("name")))
        elif node.type == "expression_statement":
            for part in node.named_children:
                if part.type == "assignment":
                    names.update(_python_assigned(part))
    return names


def exports_of(syntax: Syntax) -> Exports:
    """What a JavaScript/TypeScript module exports, and how."""
    if syntax.tree is None:
        return Exports("none")
    named: set[str] = set()
    default: str | None = None
    has_default = False
    system = "none"
    for node in syntax.tree.root_node.named_children:
        if node.type == "export_statement":
            system = "esm"
            is_default = any(c.type == "default" for c in node.children)
            declaration = node.child_by_field_name("declaration") or node.child_by_field_name(
                "value"
            )
            names: list[str] = []
            if declaration is not None:
                if declaration.type in ("lexical_declaration", "variable_declaration"):
                    names = [
                        node_text(d.child_by_field_name("name"))
                        for d in declaration.named_children
                        if d.type == "variable_declarator"
                    ]
                elif declaration.type == "identifier":
                    names = [node_text(declaration)]
                else:
                    names = [node_text(declaration.child_by_field_name("name"))]
            if is_default:
                has_default = True
                default = next((n for n in names if n), None)
                continue
            named.update(n for n in names if n)
            for clause in node.named_children:
                if clause.type != "export_clause":
                    continue
                for spec in clause.named_children:
                    name = node_text(spec.child_by_field_name("name"))
                    alias = node_text(spec.child_by_field_name("alias")) or name
                    if alias == "default":
                        has_default, default = True, name
                    else:
                        named.add(alias)
        elif node.type == "expression_statement" and node.named_children:
            expression = node.named_children[0]
            if expression.type != "assignment_expression":
                continue
            left = node_text(expression.child_by_field_name("left"))
            right = expression.child_by_field_name("right")
            if left == "module.exports" and right is not None:
                system = "cjs"
                if right.type == "object":
                    for part in right.named_children:
                        if part.type == "shorthand_property_identifier":
                            named.add(node_text(part))
                        elif part.type in ("pair", "method_definition"):
                            key = node_text(
                                part.child_by_field_name("key") or part.child_by_field_name("name")
                            )
                            named.add(key.strip("'\""))
                else:
                    has_default = True
                    if right.type == "identifier":
                        default = node_text(right)
                    elif right.type in ("function_expression", "class", "function"):
                        default = node_text(right.child_by_field_name("name")) or None
            elif m := re.fullmatch(r"(?:module\.)?exports\.(\w+)", left):
                system = "cjs"
                named.add(m.group(1))
    return Exports(system, frozenset(named), default, has_default)


def defined_anywhere(syntax: Syntax) -> set[str]:
    """Every name the text defines at any depth (functions, methods, classes, types, and
    variables holding functions), in any language with a grammar: what a translation must
    hold."""
    if syntax.tree is None:
        return set()
    kinds = set(syntax.spec.definitions) | {
        "type_spec",
        "function_signature_item",
        "method_definition",
        "function_item",
        "function_declaration",
        "method_declaration",
        "class_definition",
        "function_definition",
    }
    names: set[str] = set()
    for node in walk(syntax.tree.root_node):
        if node.type == "variable_declarator":
            value = node.child_by_field_name("value")
            if value is not None and value.type in (
                "arrow_function",
                "function_expression",
                "function",
                "class",
            ):
                names.add(node_text(node.child_by_field_name("name")))
            continue
        if node.type not in kinds:
            continue
        name = syntax._span(node).name
        if not name:
            from chatls.source.syntax import _declared_name

            name = _declared_name(node)
        if name:
            names.add(name)
    return {n for n in names if n}


@attrs.frozen
class RustTestModule:
    """A ``#[cfg(test)] mod``: the offsets just inside its braces, its name, and whether it
    has ``use super::*;``."""

    inner_start: int
    inner_end: int
    name: str
    glob: bool


def rust_test_module(syntax: Syntax) -> RustTestModule | None:
    """The file's ``#[cfg(test)] mod`` at the top level."""
    if syntax.tree is None:
        return None
    for node in syntax.tree.root_node.named_children:
        if node.type != "mod_item":
            continue
        body = node.child_by_field_name("body")
        if body is None or not _cfg_test(node):
            continue
        start, end = char_span(syntax, body)
        glob = any(
            child.type == "use_declaration"
            and re.sub(r"\s", "", node_text(child)) == "usesuper::*;"
            for child in body.named_children
        )
        name = node_text(node.child_by_field_name("name"))
        return RustTestModule(start + 1, end - 1, name, glob)
    return None


def _cfg_test(node: Node) -> bool:
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type in ("attribute_item", "line_comment"):
        if (
            sibling.type == "attribute_item"
            and re.sub(r"\s", "", node_text(sibling)) == "#[cfg(test)]"
        ):
            return True
        sibling = sibling.prev_named_sibling
    return False


def go_package(syntax: Syntax) -> str | None:
    if syntax.tree is None:
        return None
    for node in syntax.tree.root_node.named_children:
        if node.type == "package_clause":
            for child in node.named_children:
                return node_text(child)
    return None


def function_values(syntax: Syntax) -> list[Span]:
    """JavaScript's ``const name = (...) => ...`` and ``const name = function ...`` at any depth
    (``Syntax.definitions`` leaves variables out), wrappers (``export``) included."""
    if syntax.tree is None:
        return []
    found = []
    for node in walk(syntax.tree.root_node):
        if node.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for declarator in node.named_children:
            if declarator.type != "variable_declarator":
                continue
            value = declarator.child_by_field_name("value")
            if value is None or value.type not in (
                "arrow_function",
                "function_expression",
                "function",
                "class",
            ):
                continue
            outer = (
                node.parent
                if node.parent is not None and node.parent.type == "export_statement"
                else node
            )
            start, end = char_span(syntax, outer)
            found.append(
                Span(
                    start,
                    end,
                    "lexical_declaration",
                    node_text(declarator.child_by_field_name("name")),
                )
            )
    return found


def sys_path_changes(syntax: Syntax) -> list[tuple[int, int]]:
    """Python statements that patch ``sys.path``."""
    if syntax.tree is None:
        return []
    return [
        char_span(syntax, node)
        for node in walk(syntax.tree.root_node)
        if node.type == "expression_statement"
        and re.match(r"sys\.path\s*(\.|\[|\+=|=)", node_text(node))
    ]


def go_header(syntax: Syntax) -> list[tuple[int, int]]:
    """A Go file's package clause and import declarations."""
    if syntax.tree is None:
        return []
    return [
        char_span(syntax, node)
        for node in syntax.tree.root_node.named_children
        if node.type in ("package_clause", "import_declaration")
    ]


def qualifiers(syntax: Syntax, packages: set[str]) -> list[tuple[int, int]]:
    """Where Go code qualifies a name with one of ``packages`` (the ``calc.`` of
    ``calc.Add`` and ``calc.Shape``)."""
    if syntax.tree is None or not packages:
        return []
    found = []
    for node in walk(syntax.tree.root_node):
        qualifier = None
        if node.type == "selector_expression":
            qualifier = node.child_by_field_name("operand")
            if qualifier is not None and qualifier.type != "identifier":
                qualifier = None
        elif node.type == "qualified_type":
            qualifier = node.child_by_field_name("package")
        if qualifier is not None and node_text(qualifier) in packages:
            start, _ = char_span(syntax, qualifier)
            found.append((start, start + len(node_text(qualifier)) + 1))
    return found
