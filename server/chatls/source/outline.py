"""What a file defines, as a reader looking for a name needs it: each function, class, method,
type, constant, variable or field outside function bodies, with its signature and doc comment.

Read from the tree-sitter parse (``Syntax``), whatever the language: definitions are the node
types its ``LanguageSpec`` lists, variables and fields the types below. Languages without a
grammar fall back to lines that look like definitions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs

from chatls.source.languages import DEFINITION_LINE
from chatls.source.syntax import Syntax

if TYPE_CHECKING:
    from tree_sitter import Node

# Node types that define names outside functions but are not definitions in ``LanguageSpec``
# (those take doc comments): assignments, constants, fields, enum members.
_VARIABLES: dict[str, frozenset[str]] = {
    "python": frozenset({"assignment"}),
    "javascript": frozenset({"variable_declarator", "field_definition"}),
    "typescript": frozenset(
        {"variable_declarator", "public_field_definition", "property_signature"}
    ),
    "typescriptreact": frozenset(
        {"variable_declarator", "public_field_definition", "property_signature"}
    ),
    "go": frozenset({"const_spec", "var_spec", "field_declaration"}),
    "rust": frozenset({"const_item", "static_item", "field_declaration", "enum_variant"}),
    "java": frozenset({"field_declaration", "constant_declaration", "enum_constant"}),
    "c": frozenset({"field_declaration", "enumerator", "declaration"}),
    "cpp": frozenset({"field_declaration", "enumerator", "declaration"}),
}
# Wrapping or statement nodes whose children may define names; expressions are never entered.
_OPAQUE = re.compile(
    r"expression(?!_statement)|call|argument|literal|string|comment|^(list|dictionary|array|object)$"
)
_FUNCTION = re.compile(r"function|method|constructor|lambda|closure|arrow|func_literal")
_COMMENT = re.compile(r"comment")
_MAX_NODES = 200_000
"""Nodes visited per file at most: a generated file of one huge literal must not stall."""
_DOC_LINES = 12
_MEMBER_LINES = 40
_CONSTRUCTORS = frozenset({"__init__", "constructor"})
_FIELD = re.compile(r"\s*(?:self|this)\.[A-Za-z_$][\w$]*\s*(?::[^=]*)?=(?![=>])")

_NAMED = re.compile(
    DEFINITION_LINE.pattern + r"\s+\*?\s*([A-Za-z_$][\w$]*)",
)


@attrs.frozen
class Symbol:
    name: str
    kind: str
    """``function``, ``method``, ``class``, ``struct``, ``variable``, ``field``..."""
    container: str
    """The class, struct or impl it belongs to, or ``""``."""
    start_line: int
    """0-based, decorators and attributes included (not the doc comment above)."""
    end_line: int
    """0-based, inclusive."""
    header: str
    """The declaration up to its body: a signature, a class line, a whole assignment."""
    doc: str = ""
    """The doc comment, as written (a Python docstring, comment lines above)."""
    members: str = ""
    """For classes and structs: the body with function bodies left out."""

    @property
    def qualified(self) -> str:
        return f"{self.container}.{self.name}" if self.container else self.name


def outline(syntax: Syntax) -> list[Symbol]:
    """Every name ``syntax``'s text defines outside function bodies, in text order."""
    if syntax.tree is None:
        return _by_text(syntax)
    return _Walk(syntax).run()


def _by_text(syntax: Syntax) -> list[Symbol]:
    index = syntax.index
    found = []
    for line in range(index.line_count):
        text = index.line_text(line)
        match = _NAMED.match(text)
        if match:
            found.append(Symbol(match.group(1), "definition", "", line, line, text.rstrip()))
    return found


class _Walk:
    def __init__(self, syntax: Syntax) -> None:
        self.syntax = syntax
        self.spec = syntax.spec
        self.index = syntax.index
        self.variables = _VARIABLES.get(self.spec.id, frozenset())
        self.found: list[Symbol] = []
        self.visited = 0

    def run(self) -> list[Symbol]:
        assert self.syntax.tree is not None
        self.visit(self.syntax.tree.root_node, "")
        return self.found

    def line(self, node: Node) -> int:
        # ``Syntax`` maps tree-sitter's byte offsets to characters.
        return self.index.line_of(self.syntax._char(node.start_byte))

    def end_line(self, node: Node) -> int:
        end = self.syntax._char(node.end_byte)
        line = self.index.line_of(end)
        if line > self.line(node) and end == self.index.line_starts[line]:
            line -= 1
        return line

    def lines(self, first: int, last: int) -> list[str]:
        return [self.index.line_text(n) for n in range(first, last + 1)]

    def visit(self, node: Node, container: str) -> None:
        for child in node.named_children:
            self.visited += 1
            if self.visited > _MAX_NODES:
                return
            inner = child
            if child.type in self.spec.wrappers:
                wrapped = [
                    c
                    for c in child.named_children
                    if c.type in self.spec.definitions or c.type in self.variables
                ]
                inner = wrapped[-1] if wrapped else child
            if inner.type == "lexical_declaration":
                # JavaScript's const and let: each declarator is a variable.
                self.visit(inner, container)
            elif inner.type == "declaration" and not _declares_function(inner):
                # C's declarations other than function prototypes.
                self.variable(child, inner, container)
            elif inner.type in self.spec.definitions:
                self.definition(child, inner, container)
            elif inner.type in self.variables:
                self.variable(child, inner, container)
            elif not _FUNCTION.search(inner.type) and not _OPAQUE.search(inner.type):
                self.visit(inner, container)

    def definition(self, outer: Node, node: Node, container: str) -> None:
        name = _name(node)
        if node.type == "impl_item":
            # Rust: the methods belong to the implemented type; the impl itself is no name.
            target = node.child_by_field_name("type")
            body = node.child_by_field_name("body")
            if body is not None:
                self.visit(body, _text(target) if target is not None else container)
            return
        if not name:
            self.visit(node, container)
            return
        if node.type == "method_declaration" and self.spec.id == "go":
            receiver = node.child_by_field_name("receiver")
            text = _text(receiver) if receiver is not None else ""
            match = re.search(r"(\w+)\s*(\[[^\]]*\])?\s*\)\s*$", text)
            container = match.group(1) if match else container
        body = node.child_by_field_name("body")
        start = self.line(outer)
        end = self.end_line(outer)
        function = bool(_FUNCTION.search(node.type))
        header_end = self.line(body) if body is not None else end
        header_lines = self.lines(start, header_end)
        if body is not None:
            # The header stops where the body starts, on that line too.
            body_column = self.syntax._char(body.start_byte) - self.index.line_starts[header_end]
            header_lines[-1] = header_lines[-1][:body_column]
        header = "\n".join(header_lines).rstrip()
        doc = self.doc(outer, body)
        members = ""
        if not function and body is not None and end > header_end:
            members = self.members(body, start, end)
        elif not function and body is None and end > start:
            # A declaration without a body field (a Go type): all of it, within bounds.
            header = self.index.line_text(start).rstrip()
            members = self.members(None, start, end)
        kind = _kind(node.type, container)
        self.found.append(Symbol(name, kind, container, start, end, header, doc, members))
        if not function:
            self.visit(body if body is not None else node, name)

    def variable(self, outer: Node, node: Node, container: str) -> None:
        names = _names(node)
        if not names:
            return
        start = self.line(outer)
        end = self.end_line(outer)
        shown = self.lines(start, min(end, start + 2))
        header = "\n".join(line if len(line) <= 160 else line[:157] + "..." for line in shown)
        if end > start + 2:
            header += " ..."
        kind = "field" if container else "variable"
        if "const" in node.type or "enum" in node.type:
            kind = "constant"
        elif node.type == "type_spec":
            kind = "type"
        doc = self.doc(outer, None)
        for name in names:
            self.found.append(Symbol(name, kind, container, start, end, header.rstrip(), doc))

    def doc(self, outer: Node, body: Node | None) -> str:
        """A Python docstring, or the comment lines right above the definition."""
        if self.spec.doc_style == "python":
            if body is None or not body.named_children:
                return ""
            first = body.named_children[0]
            children = first.named_children
            if first.type == "expression_statement" and children and children[0].type == "string":
                lines = self.lines(self.line(first), self.end_line(first))
                return "\n".join(lines[:_DOC_LINES])
            return ""
        above: list[Node] = []
        sibling = outer.prev_named_sibling
        expected = self.line(outer) - 1
        while sibling is not None and _COMMENT.search(sibling.type):
            if self.end_line(sibling) != expected:
                break
            above.append(sibling)
            expected = self.line(sibling) - 1
            sibling = sibling.prev_named_sibling
        if not above:
            return ""
        lines = self.lines(self.line(above[-1]), self.end_line(above[0]))
        return "\n".join(lines[-_DOC_LINES:])

    def members(self, body: Node | None, start: int, end: int) -> str:
        """The class's text with its methods' bodies left out, at most ``_MEMBER_LINES``."""
        dropped: list[tuple[int, int, str]] = []
        for child in body.named_children if body is not None else ():
            inner = child
            if child.type in self.spec.wrappers and child.named_children:
                inner = child.named_children[-1]
            if not _FUNCTION.search(inner.type):
                continue
            inner_body = inner.child_by_field_name("body")
            if inner_body is None:
                continue
            first = self.line(inner_body)
            if self.spec.doc_style != "python" or first == self.line(inner):
                first += 1
            last = self.end_line(inner)
            if first <= last:
                indent = re.match(r"\s*", self.index.line_text(self.line(inner)))
                marker = (indent.group(0) if indent else "") + "    ..."
                if _name(inner) in _CONSTRUCTORS:
                    # What a constructor assigns are the object's fields (``self.invoice =
                    # ...``), often declared nowhere else: kept, the rest of its body dropped.
                    fields = [
                        self.index.line_text(n)
                        for n in range(first, last + 1)
                        if _FIELD.match(self.index.line_text(n))
                    ][:_MEMBER_LINES]
                    marker = "\n".join([*fields, marker])
                dropped.append((first, last, marker))
        out: list[str] = []
        line = start
        for first, last, marker in dropped:
            out.extend(self.lines(line, first - 1))
            out.append(marker)
            line = last + 1
        out.extend(self.lines(line, end))
        if len(out) > _MEMBER_LINES:
            out = [*out[:_MEMBER_LINES], "    ... (more members)"]
        return "\n".join(out).rstrip()


def declared_apart(symbol: Symbol, symbols: list[Symbol]) -> list[str]:
    """The headers of the members of ``symbol`` declared outside its own text, in the same
    file: Go's methods (``func (c *Cart) Total()``) and Rust's ``impl`` blocks, which a type's
    declaration does not show."""
    return [
        s.header.strip()
        for s in symbols
        if s.container == symbol.qualified
        and (s.start_line > symbol.end_line or s.end_line < symbol.start_line)
    ][:_MEMBER_LINES]


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text else ""


def _name(node: Node) -> str:
    names = _names(node)
    return names[0] if names else ""


def _names(node: Node) -> list[str]:
    """The names ``node`` defines: its ``name`` fields, Python's assignment target, or the name
    inside C-style declarators (``int *(*name)(void)``)."""
    found = [_text(n) for n in node.children_by_field_name("name")]
    if not found and node.type == "assignment":
        left = node.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            found = [_text(left)]
    if not found:
        declarators = node.children_by_field_name("declarator")
        for declarator in declarators:
            current: Node | None = declarator
            while current is not None:
                if current.type in ("identifier", "field_identifier", "qualified_identifier"):
                    found.append(_text(current))
                    break
                named = current.child_by_field_name("name")
                if named is not None:
                    found.append(_text(named))
                    break
                current = current.child_by_field_name("declarator")
    if not found and node.type in ("type_declaration", "lexical_declaration"):
        for child in node.named_children:
            found += _names(child)
    return [name for name in found if name]


def _declares_function(node: Node) -> bool:
    declarator = node.child_by_field_name("declarator")
    while declarator is not None:
        if declarator.type == "function_declarator":
            return True
        declarator = declarator.child_by_field_name("declarator")
    return False


def _kind(node_type: str, container: str) -> str:
    for word in ("class", "struct", "interface", "enum", "trait", "union", "record", "type"):
        if word in node_type:
            return word
    if "mod" in node_type or "namespace" in node_type:
        return "module"
    if _FUNCTION.search(node_type) or node_type == "declaration":
        return "method" if container else "function"
    return node_type.replace("_definition", "").replace("_declaration", "").replace("_", " ")
