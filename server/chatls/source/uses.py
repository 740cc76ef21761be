"""The names a piece of code uses that its file does not define: what a reader of that code
alone would have to look up elsewhere (calls, types, names a file imports, members of imported
modules), ranked by how directly the code uses them.

Read from the tree-sitter parse, whatever the language: identifiers, and the member accesses
and calls around them. A name bound in the file (a parameter, a local, a definition) is left
out, and so is a built-in; a name the file imports stays in, with the module it comes from as a
hint of where it is defined. Languages without scope rules (``chatls.source.names``) leave out
the names the file's outline defines.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import attrs

from chatls.source.languages import GENERIC, language_for
from chatls.source.names import Names
from chatls.source.scopes import BUILTINS
from chatls.source.syntax import Syntax, required_module

if TYPE_CHECKING:
    from tree_sitter import Node

CALL = 0
"""Called in the code (``f()``, ``new C()``, ``mod.f()``, ``C.make()``)."""
TYPE = 1
"""Named as a type (an annotation, a Go or Rust type)."""
NAME = 2
"""Otherwise named (a constant, a class passed around)."""
MEMBER = 3
"""A member of something whose type the file does not say (``x.load()``): worth showing only
when the workspace has one definition of that name."""

_CALLS = frozenset({"call", "call_expression", "new_expression", "method_invocation"})
# Member accesses: the object first, the member last.
_MEMBERS = frozenset(
    {
        "attribute",
        "member_expression",
        "selector_expression",
        "field_expression",
        "scoped_identifier",
        "qualified_type",
        "scoped_type_identifier",
        "field_access",
    }
)
_TYPES = frozenset({"type", "type_annotation", "generic_type", "type_arguments"})
_RECEIVERS = frozenset({"self", "this", "cls", "super", "Self", "crate"})
_SKIPPED = frozenset(
    {"import_statement", "import_from_statement", "import_declaration", "use_declaration"}
)
_MAX_NODES = 50_000
"""Nodes looked at per request at most: a huge selection must not stall the request."""
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_JSDOC_TYPE = re.compile(r"@\w+\s*\{([^{}]*)\}")
_MODULE = re.compile(r"""from\s+([\w.]+)\s+import|import\s+([\w.]+)\s+as|["']([^"']+)["']""")


@attrs.frozen
class Use:
    """A name the code uses and the file does not define."""

    name: str
    """As it is looked up: ``parse``, or ``Config.load`` for a member of a class the file
    imports."""
    how: int
    """``CALL``, ``TYPE``, ``NAME`` or ``MEMBER``: the lower, the more directly it is used."""
    hint: str = ""
    """Where it likely lives, as a path fragment (``pkg/util`` for ``from pkg.util import``,
    ``util`` for Go's ``util.Helper``); empty when nothing says."""
    first: int = 0
    """Where the code first uses it (an offset), to rank uses equally direct."""


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def _is_identifier(node: Node) -> bool:
    return node.type.endswith("identifier") or node.type in ("self", "this")


def _import_hints(syntax: Syntax) -> dict[str, str]:
    """For each name the file imports, the module it comes from as a path fragment."""
    hints: dict[str, str] = {}
    text = syntax.text
    statements: list[str] = []
    for span in syntax.header_spans():
        statement = text[span.start : span.end]
        if re.match(r"\s*import\s*\(", statement):
            # Go's ``import ( "fmt" \n "shop/cart" )``: each line its own module.
            statements += [f"import {line}" for line in statement.splitlines()[1:] if '"' in line]
        else:
            statements.append(statement)
    for statement in statements:
        match = _MODULE.search(statement)
        module = ""
        if match is not None:
            module = next((group for group in match.groups() if group), "")
        if not module:
            # ``import a.b`` and ``use crate::a::b::C``: the path is the statement's words.
            words = _WORD.findall(statement)
            module = "/".join(w for w in words[1:-1] if w not in ("crate", "super", "self"))
        if match is not None and match.group(3):
            # A path as written (``"./lib/money.js"``, ``"util.h"``): its file's extension is
            # not part of the module's name.
            if language_for(None, module) is not GENERIC:
                module = os.path.splitext(module)[0]
            if syntax.spec.commonjs:
                # JavaScript's imports name what they bind, so the path's words bind nothing
                # (``money`` in ``"./lib/money"``); Go's ``"x/util"`` binds ``util``.
                statement = statement[: match.start(3)] + statement[match.end(3) :]
        fragment = module.replace(".", "/").replace("::", "/").strip("/")
        fragment = re.sub(r"^(\./|\.\./)+", "", fragment)
        for word in _WORD.findall(statement):
            hints.setdefault(word, fragment)
    return hints


def commonjs_file(syntax: Syntax) -> bool:
    """Whether a JavaScript file is a CommonJS module: it loads with ``require`` or exports
    through ``module.exports`` and has no ES ``import``/``export`` statement, so an ``import``
    line added to it would not run (TypeScript compiles either form, so is never one)."""
    if syntax.tree is None or syntax.spec.id != "javascript":
        return False
    found = False
    for statement in syntax.tree.root_node.named_children:
        if statement.type in ("import_statement", "export_statement"):
            return False
        if statement.type in ("lexical_declaration", "variable_declaration"):
            found = found or any(
                required_module(declarator.child_by_field_name("value"))
                for declarator in statement.named_children
            )
        elif statement.type == "expression_statement":
            found = found or _text(statement).startswith(("module.exports", "exports."))
    return found


def _required(syntax: Syntax) -> dict[str, str]:
    """The names the file's top-level CommonJS ``require`` declarations bind, each as an
    import would (``import``, or ``module`` for a lower-case name bound to the whole module:
    ``const money = require("./money")`` is used as ``money.formatPrice``)."""
    found: dict[str, str] = {}
    if syntax.tree is None or not syntax.spec.commonjs:
        return found
    for statement in syntax.tree.root_node.named_children:
        if statement.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for declarator in statement.named_children:
            target = declarator.child_by_field_name("name")
            value = declarator.child_by_field_name("value")
            if target is None or not required_module(value):
                continue
            if target.type == "identifier":
                name = _text(target)
                whole = value is not None and value.type == "call_expression"
                found[name] = "module" if whole and name[:1].islower() else "import"
                continue
            # ``{ a, b: c, d = 1 }``: the names it binds, not the keys it reads.
            stack = [target]
            while stack:
                node = stack.pop()
                if node.type in ("identifier", "shorthand_property_identifier_pattern"):
                    found[_text(node)] = "import"
                elif node.type == "pair_pattern":
                    stack += [n for n in [node.child_by_field_name("value")] if n is not None]
                elif node.type in ("assignment_pattern", "object_assignment_pattern"):
                    stack += [n for n in [node.child_by_field_name("left")] if n is not None]
                else:
                    stack += node.named_children
    return found


def outside_uses(
    syntax: Syntax, start: int, end: int, limit: int = 40, names: Names | None = None
) -> list[Use]:
    """The names the code at ``[start, end)`` uses that its file does not define, most direct
    first (``CALL``, ``TYPE``, ``NAME``, ``MEMBER``; then by first use), at most ``limit``;
    ``names``: the scopes of ``syntax`` already made, to share them."""
    tree = syntax.tree
    if tree is None or start >= end:
        return []
    if names is None or names.syntax is not syntax:
        names = Names(syntax)
    scoped = names.supported
    builtins = BUILTINS.get(syntax.spec.id, frozenset())
    own: set[str] = set()
    if not scoped:
        own = {span.name.split(".")[-1] for span in syntax.definitions()}
    hints = _import_hints(syntax)
    required = _required(syntax)
    first_byte, last_byte = syntax._byte(start), syntax._byte(end)
    found: dict[str, Use] = {}

    def bound(name: str, offset: int) -> str | None:
        """How the file binds ``name`` where it is used (``import``, ``module``, ``function``,
        ``builtin``...), or None."""
        if name in builtins:
            return "builtin"
        if not scoped:
            return "function" if name in own else None
        binding = names.visible(offset).get(name)
        if binding is None:
            return None
        if binding.kind == "variable" and not binding.local and name in required:
            # The scope rules see a variable; for a reader it is an import.
            return required[name]
        return binding.kind

    def add(name: str, how: int, hint: str, offset: int) -> None:
        old = found.get(name)
        if old is None or how < old.how:
            found[name] = Use(name, how, hint, old.first if old is not None else offset)

    # The code itself, then the signature of the function around it: a parameter's type says
    # what ``user.name`` is, though the code does not name it.
    stack = [(tree.root_node, first_byte, last_byte)]
    stack += [(part, part.start_byte, part.end_byte) for part in _signature(syntax, first_byte)]
    # And the calls the code sits in: an argument's fix needs the callee's signature.
    stack += [
        (part, part.start_byte, part.end_byte) for part in _callees(syntax, first_byte, last_byte)
    ]
    stack.reverse()
    comments = _doc_comment(syntax, first_byte)
    seen = 0
    while stack and seen < _MAX_NODES:
        node, low, high = stack.pop()
        seen += 1
        if node.end_byte <= low or node.start_byte >= high:
            continue
        if node.type in _SKIPPED:
            continue
        if node.child_count:
            stack.extend((child, low, high) for child in reversed(node.children))
            continue
        if node.type == "comment" and node.start_byte >= low:
            comments.append(node)
        if not _is_identifier(node) or node.start_byte < low:
            continue
        name = _text(node)
        if not name or name in _RECEIVERS:
            continue
        parent = node.parent
        if parent is None:
            continue
        if _defined_here(syntax, node, parent):
            continue
        offset = syntax._char(node.start_byte)
        member = parent.type in _MEMBERS and parent.named_children[-1] == node
        expression = parent if member else node
        holder = expression.parent
        called = (
            holder is not None
            and holder.type in _CALLS
            and bool(holder.named_children)
            and holder.named_children[0] == expression
        )
        typed = node.type == "type_identifier" or _in_type(node, low)
        how = CALL if called else TYPE if typed else NAME
        if not member:
            if parent.type in _MEMBERS and parent.named_children[0] == node:
                # The object of ``x.y``: a module is not looked up itself (its member is).
                kind = bound(name, offset)
                package = kind is None and node.type.startswith("package")
                if kind in ("module", "builtin") or package:
                    continue
                if kind is None or kind == "import":
                    add(name, NAME, hints.get(name, ""), offset)
                continue
            kind = bound(name, offset)
            if kind is None or kind == "import":
                add(name, how, hints.get(name, ""), offset)
            continue
        qualifier_node = parent.named_children[0] if parent.named_children else None
        qualifier = _text(qualifier_node) if qualifier_node is not None else ""
        if qualifier_node is None or not _is_identifier(qualifier_node) or qualifier in _RECEIVERS:
            if qualifier not in _RECEIVERS:
                add(name, MEMBER, "", offset)
            continue
        kind = bound(qualifier, syntax._char(qualifier_node.start_byte))
        if kind == "module" or (kind is None and qualifier_node.type.startswith("package")):
            # ``util.helper()`` (Python, Go): the member, near the module's path.
            add(name, how, hints.get(qualifier) or qualifier, offset)
        elif kind == "import" or (kind is None and qualifier[:1].isupper()):
            # ``Config.load()``: the class's member, by its qualified name.
            add(f"{qualifier}.{name}", how, hints.get(qualifier, ""), offset)
        elif kind != "builtin":
            add(name, MEMBER, "", offset)
    if syntax.spec.id == "javascript":
        # JavaScript names its types only in JSDoc (``@param {User} user``): the type of
        # ``user.name`` is there or nowhere.
        for comment in comments:
            at = syntax._char(comment.start_byte)
            for tag in _JSDOC_TYPE.finditer(_text(comment)):
                for word in _WORD.finditer(tag.group(1)):
                    offset = at + tag.start(1) + word.start()
                    kind = bound(word.group(), offset)
                    if kind == "import" or (kind is None and word.group()[:1].isupper()):
                        add(word.group(), TYPE, hints.get(word.group(), ""), offset)
    ranked = sorted(found.values(), key=lambda use: (use.how, use.first))
    return ranked[:limit]


def _defined_here(syntax: Syntax, node: Node, parent: Node) -> bool:
    """Whether ``node`` is a name being defined (or a keyword argument's), not a use."""
    return parent.child_by_field_name("name") == node and (
        parent.type in syntax.spec.definitions
        or parent.type.endswith(("definition", "declaration", "parameter", "argument"))
    )


def bare_names(syntax: Syntax, start: int, end: int) -> list[tuple[str, int]]:
    """The bare names the code at ``[start, end)`` uses (not a member's, not one it defines), each
    with its offset; at most ``_MAX_NODES`` nodes are looked at."""
    tree = syntax.tree
    if tree is None or start >= end:
        return []
    low, high = syntax._byte(start), syntax._byte(end)
    found: list[tuple[str, int]] = []
    stack = [tree.root_node]
    seen = 0
    while stack and seen < _MAX_NODES:
        node = stack.pop()
        seen += 1
        if node.end_byte <= low or node.start_byte >= high or node.type in _SKIPPED:
            continue
        if node.child_count:
            stack.extend(reversed(node.children))
            continue
        parent = node.parent
        if not _is_identifier(node) or node.start_byte < low or parent is None:
            continue
        name = _text(node)
        if not name or name in _RECEIVERS or _defined_here(syntax, node, parent):
            continue
        if parent.type in _MEMBERS and parent.named_children[-1] == node:
            continue
        found.append((name, syntax._char(node.start_byte)))
    return found


def _signature(syntax: Syntax, byte: int) -> list[Node]:
    """The parts of the innermost definition around ``byte`` that come before its body (its
    parameters, their types, its return type), when ``byte`` is inside the body."""
    assert syntax.tree is not None
    node: Node | None = syntax.tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None:
        body = node.child_by_field_name("body")
        if node.type in syntax.spec.definitions and body is not None and body.start_byte <= byte:
            return [child for child in node.children if child.end_byte <= body.start_byte]
        node = node.parent
    return []


def _doc_comment(syntax: Syntax, byte: int) -> list[Node]:
    """The comment right above the innermost definition around ``byte`` (its doc comment, if
    it has one), which the code does not include when it starts inside the definition."""
    assert syntax.tree is not None
    node: Node | None = syntax.tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None and node.type not in syntax.spec.definitions:
        node = node.parent
    while node is not None and node.parent is not None and node.parent.type in syntax.spec.wrappers:
        node = node.parent
    before = node.prev_named_sibling if node is not None else None
    return [before] if before is not None and before.type == "comment" else []


def _callees(syntax: Syntax, first: int, last: int) -> list[Node]:
    """The callees of the calls around ``[first, last)`` (bytes), up to the definition around
    it."""
    assert syntax.tree is not None
    node: Node | None = syntax.tree.root_node.descendant_for_byte_range(first, max(first, last - 1))
    found = []
    while node is not None and node.type not in syntax.spec.definitions:
        if node.type in _CALLS and node.named_children and node.start_byte < first:
            found.append(node.named_children[0])
        node = node.parent
    return found


def _in_type(node: Node, floor: int) -> bool:
    """Whether ``node`` sits in a type annotation (a few levels up at most)."""
    current = node.parent
    for _ in range(4):
        if current is None or current.start_byte < floor:
            return False
        if current.type in _TYPES:
            return True
        current = current.parent
    return False
