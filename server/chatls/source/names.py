"""Names defined where a piece of code is, from tree-sitter scopes: the parameters and locals of
the functions around it, the file's definitions and imports, the language's built-ins, and the
members of a class or type (what ``self.x``, ``this.x``, a Go receiver's ``r.x`` or a Rust
``self.x`` may name). Python, JavaScript, TypeScript (and TSX), Go and Rust; other languages
get no names, and callers then check nothing that needs them.

Only what the question needs is walked: the scopes around the offset asked about (nested
functions' insides are skipped), and a class when its members are asked for, so a large file
costs its parse and little more. Scopes are read generously (a block's ``let`` counts for the
whole function, a name assigned below counts above): a name this module calls defined may not
be, but one it calls undefined is not in any scope around the code, unless the scope is open
(a wildcard import), which ``Names.open`` says. Go's package scope also spans the package's
other files, which are not read: a name only they define counts as undefined here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from chatls.source.reported import Reported
from chatls.source.scopes import (
    BUILTINS,
    CALLS,
    JS_CLASSES,
    RULES,
    Binding,
    Emit,
    Members,
    Scope,
    node_name,
    node_text,
    scope_label,
    walk,
)
from chatls.source.syntax import Syntax

if TYPE_CHECKING:
    from tree_sitter import Node


@attrs.frozen
class Function:
    """A named function and the ways its body can call it."""

    name: str
    start: int
    end: int
    callers: frozenset[str]
    """Callee texts that call it: ``f``, or for a method ``self.f``, ``this.f``, ``r.f``."""


@attrs.frozen
class Intended:
    """What a misspelt name most likely should be."""

    text: str
    """As it should be written in place of the name: ``getencoding``, ``self.width``."""
    why: str
    """``the checker suggests it``, ``a parameter of `error_leader```..."""


@attrs.frozen
class Diagnosis:
    """A diagnostic about an unknown name, read against the code."""

    reported: Reported
    start: int
    end: int
    """The unknown name in the code (character offsets)."""
    qualifier: str
    """What a member is looked up on, as written just before it (``self``, ``this``, ``r``,
    ``math``); empty for a bare name."""
    intended: Intended | None
    candidates: tuple[str, ...]
    """The defined names closest to it: one is the intended name, two or more a tie."""


@functools.cache
def _builtin_bindings(language: str) -> dict[str, Binding]:
    """The language's built-ins as bindings, made once (a Python scope sees about 160)."""
    return {name: Binding(name, "builtin") for name in BUILTINS.get(language, frozenset())}


class Names:
    """Name resolution over one parse. Cheap to make: nothing is walked until asked."""

    def __init__(self, syntax: Syntax) -> None:
        self.syntax = syntax
        self._rules = RULES.get(syntax.spec.id)
        self._scopes: dict[tuple[int, int], Scope] = {}
        self._members: dict[tuple[str, int], Members | None] = {}
        self._visiting: set[str] = set()
        self._visible: dict[tuple[int, int], Mapping[str, Binding]] = {}

    @property
    def supported(self) -> bool:
        return self._rules is not None and self.syntax.tree is not None

    def _scope_chain(self, offset: int) -> list[Scope]:
        """The scopes around ``offset``, outermost (the file) first."""
        if self._rules is None or self.syntax.tree is None:
            return []
        rules = self._rules
        byte = self.syntax._byte(offset)
        root = self.syntax.tree.root_node
        chain = [self._scope(root, "module", "")]
        node: Node | None = root.descendant_for_byte_range(byte, byte)
        ancestors = []
        while node is not None and node != root:
            ancestors.append(node)
            node = node.parent
        for node in reversed(ancestors):
            kind = rules.scope(node)
            if kind is not None:
                chain.append(self._scope(node, kind, scope_label(node)))
        return chain

    def _scope(self, node: Node, kind: str, label: str) -> Scope:
        key = (node.start_byte, node.end_byte)
        found = self._scopes.get(key)
        if found is not None:
            return found
        assert self._rules is not None
        rules = self._rules
        scope = Scope(node, kind, label)

        def emit_into(target: Scope) -> Emit:
            def emit(name: str, what: str) -> None:
                if name and name not in target.names:
                    local = target.kind == "function"
                    target.names[name] = Binding(name, what, target.label, local)

            return emit

        emit = emit_into(scope)
        if kind != "module":
            rules.params(node, emit)
        stack = (
            list(reversed(rules.body(node))) if kind != "module" else list(reversed(node.children))
        )
        while stack:
            current = stack.pop()
            if rules.scope(current) is not None:
                rules.own(current, emit, scope)
                continue
            rules.bind(current, emit, scope)
            stack.extend(reversed(current.children))
        self._scopes[key] = scope
        return scope

    @property
    def open(self) -> bool:
        """The file's own scope may hold names the file does not show: a wildcard import
        (Python's ``from m import *``, Rust's ``use m::*``, Go's dot import). Go's package
        scope also spans the package's other files; names from those are not counted."""
        if not self.supported:
            return True
        chain = self._scope_chain(0)
        return bool(chain and chain[0].open)

    def visible(self, offset: int) -> Mapping[str, Binding]:
        """Bare names visible at ``offset``: innermost scope first, built-ins last. Read-only:
        the same mapping serves every offset in that scope."""
        chain = self._scope_chain(offset)
        key = (chain[-1].node.start_byte, chain[-1].node.end_byte) if chain else (-1, -1)
        cached = self._visible.get(key)
        if cached is not None:
            return cached
        found: dict[str, Binding] = {}
        for position, scope in enumerate(reversed(chain)):
            if scope.kind == "impl":
                continue
            if scope.kind == "class" and (position > 0 or self.syntax.spec.id != "python"):
                continue  # a Python class body's names are not seen inside its methods
            for name, binding in scope.names.items():
                found.setdefault(name, binding)
        for name, binding in _builtin_bindings(self.syntax.spec.id).items():
            found.setdefault(name, binding)
        view = MappingProxyType(found)
        self._visible[key] = view
        return view

    def is_open_at(self, offset: int) -> bool:
        return any(scope.open for scope in self._scope_chain(offset)) or self.open

    def function_at(self, offset: int) -> Function | None:
        """The innermost named function around ``offset``."""
        chain = self._scope_chain(offset)
        assert self._rules is not None or not chain
        for position in range(len(chain) - 1, 0, -1):
            scope = chain[position]
            if scope.kind != "function" or scope.node.type in (
                "lambda",
                "closure_expression",
                "func_literal",
            ):
                continue
            assert self._rules is not None
            callers, _ = self._rules.receiver(scope.node, chain[:position])
            if not callers:
                continue
            node = scope.node
            name = node_name(node) or node_text(
                node.parent.child_by_field_name("name") if node.parent is not None else None
            )
            return Function(
                name, self.syntax._char(node.start_byte), self.syntax._char(node.end_byte), callers
            )
        return None

    def calls_to(self, function: Function) -> int:
        """How many times ``function``'s body calls it."""
        if self.syntax.tree is None:
            return 0
        node = self.syntax.tree.root_node.descendant_for_byte_range(
            self.syntax._byte(function.start),
            self.syntax._byte(max(function.start, function.end - 1)),
        )
        while node is not None and (
            self.syntax._char(node.start_byte) > function.start
            or self.syntax._char(node.end_byte) < function.end
        ):
            node = node.parent
        body = node.child_by_field_name("body") if node is not None else None
        count = 0
        for call in walk(body):
            if call.type in CALLS:
                callee = call.child_by_field_name("function")
                if callee is not None and "".join(node_text(callee).split()) in function.callers:
                    count += 1
        return count

    def members_at(self, offset: int, qualifier: str) -> Members | None:
        """The members ``qualifier.`` reaches at ``offset``, when it is the method's own object
        (``self``, ``this``, the Go receiver, ``Self``) or a class of the file."""
        chain = self._scope_chain(offset)
        if self._rules is None or not chain:
            return None
        for position in range(len(chain) - 1, 0, -1):
            scope = chain[position]
            if scope.kind != "function":
                continue
            callers, klass = self._rules.receiver(scope.node, chain[:position])
            receivers = {c.rsplit(".", 1)[0] for c in callers if "." in c}
            receivers |= {c.rsplit("::", 1)[0] for c in callers if "::" in c}
            if klass is not None and (qualifier in receivers or qualifier in ("this", "Self")):
                return self._rules.members(klass, self)
        return self.class_members(qualifier)

    def class_members(self, name: str, exclude: Node | None = None) -> Members | None:
        """The members of the class, struct or type ``name`` if the file defines it."""
        if self._rules is None or self.syntax.tree is None:
            return None
        clean = re.sub(r"<.*|\[.*|^[*&]+|^.*[.:]", "", name.strip()).strip()
        if not clean or clean in self._visiting:
            return None  # unknown, or a cycle of base classes
        key = (clean, exclude.start_byte if exclude is not None else -1)
        if key in self._members:
            return self._members[key]
        kinds = {
            "python": ("class_definition",),
            "go": ("type_spec",),
            "rust": ("struct_item", "enum_item"),
        }.get(self.syntax.spec.id, tuple(JS_CLASSES))
        found = None
        self._visiting.add(clean)
        try:
            for node in _definitions_named(self.syntax.tree.root_node, kinds, clean):
                if node != exclude:
                    found = self._rules.members(node, self)
                    break
        finally:
            self._visiting.discard(clean)
        self._members[key] = found
        return found


def _definitions_named(root: Node, kinds: Iterable[str], name: str) -> Iterator[Node]:
    """Definitions of ``name`` at the file's top level or one level of nesting down (a class
    in a module, in a Go ``type (...)`` group, in an ``export``)."""
    wanted = set(kinds)
    stack = list(root.named_children)
    seen = 0
    while stack and seen < 100_000:
        node = stack.pop()
        seen += 1
        if node.type in wanted and node_name(node) == name:
            yield node
        if node.type in (
            "export_statement",
            "type_declaration",
            "decorated_definition",
            "mod_item",
            "declaration_list",
            "if_statement",
            "try_statement",
            "block",
            "else_clause",
            "except_clause",
        ):
            stack.extend(node.named_children)


def distance(a: str, b: str) -> int:
    """Edits between two names (optimal string alignment: a swap of neighbours is one edit)."""
    if a == b:
        return 0
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def limit(name: str) -> int:
    """How far a misspelling may be from what was meant: one edit up to five characters, two
    beyond. Names under three characters have too many neighbours to guess from."""
    if len(name) < 3:
        return 0
    return 1 if len(name) <= 5 else 2


def closest(name: str, pool: Iterable[str]) -> list[str]:
    """The names in ``pool`` nearest to ``name`` within ``limit``: one, or a tie, or none."""
    most = limit(name)
    best: list[str] = []
    best_distance = most + 1
    letters = set(name)
    for candidate in pool:
        if candidate == name or abs(len(candidate) - len(name)) > most:
            continue
        # Each edit adds at most two letters to the sets' difference: a cheap bound that spares
        # the full comparison for most of a large file's names.
        if len(letters.symmetric_difference(candidate)) > 2 * most:
            continue
        found = distance(name, candidate)
        if found > most:
            continue
        if found < best_distance:
            best, best_distance = [candidate], found
        elif found == best_distance:
            best.append(candidate)
    return sorted(best)


_QUALIFIER = re.compile(r"([A-Za-z_$][\w$]*)\s*(?:\?\.|\.|::|->)\s*$")
_WRITTEN = re.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*")


def find_name(text: str, start: int, end: int, name: str) -> tuple[int, int] | None:
    """Where ``name`` is written for a diagnostic over ``[start, end)``: inside the range, else
    the first occurrence on its line at or after its start, else the only one on that line."""
    pattern = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])")
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    inside = [
        m for m in pattern.finditer(text, start, max(end, start)) if m.end() <= max(end, start)
    ]
    if inside:
        return inside[0].start(), inside[0].end()
    after = list(pattern.finditer(text, start, line_end))
    if after:
        return after[0].start(), after[0].end()
    on_line = list(pattern.finditer(text, line_start, line_end))
    if len(on_line) == 1:
        return on_line[0].start(), on_line[0].end()
    return None


def diagnose(
    text: str,
    start: int,
    end: int,
    reported: Reported,
    names: Callable[[], Names | None],
) -> Diagnosis | None:
    """The unknown name a diagnostic over ``[start, end)`` reports, where it is written and what
    it most likely should be. ``names`` (the file's, parsed) is asked for only when the checker
    suggests nothing and the name is long enough to guess from: a checker's suggestion costs no
    parse."""
    found = find_name(text, start, end, reported.name)
    if found is None:
        return None
    at, stop = found
    qualifier = ""
    match = _QUALIFIER.search(text, max(0, at - 200), at)
    if match is not None and match.end() == at:
        qualifier = match.group(1)
    suggestion = reported.suggestion
    if suggestion and _WRITTEN.fullmatch(suggestion) and suggestion != reported.name:
        why = "the checker suggests it"
        return Diagnosis(reported, at, stop, qualifier, Intended(suggestion, why), (suggestion,))
    unknown = Diagnosis(reported, at, stop, qualifier, None, ())
    if reported.kind == "import" or not limit(reported.name):
        return unknown
    resolved = names()
    if resolved is None or not resolved.supported:
        return unknown
    pool: Mapping[str, Binding] = {}
    prefix = ""
    if qualifier:
        members = resolved.members_at(at, qualifier) if reported.kind == "member" else None
        if members is None and reported.kind == "member" and reported.owner:
            members = resolved.class_members(reported.owner)
        pool = dict(members.names) if members is not None else {}
        best = closest(reported.name, pool)
    else:
        pool = resolved.visible(at)
        best = closest(reported.name, pool)
        if not best and reported.name not in pool:
            # A bare name that is one of the object's own members: ``width`` for ``self.width``.
            for receiver in ("self", "this"):
                members = resolved.members_at(at, receiver)
                if members is not None:
                    pool, prefix = dict(members.names), f"{receiver}."
                    best = closest(reported.name, pool)
                    break
    if reported.name in pool:
        return unknown  # defined there after all: the diagnostic is stale, or wrong
    if len(best) != 1:
        return Diagnosis(reported, at, stop, qualifier, None, tuple(best))
    binding = pool[best[0]]
    return Diagnosis(
        reported, at, stop, qualifier, Intended(prefix + best[0], binding.describe()), (best[0],)
    )
