"""Syntax-aware spans (enclosing scopes, headers, definitions) with tree-sitter.

Grammars load on first use so that starting the server stays cheap. Languages without a
grammar fall back to indentation, which is right for most code people write.
"""

from __future__ import annotations

import collections
import functools
import importlib
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from chatls.source.languages import DEFINITION_LINE, LanguageSpec
from chatls.source.text import TextIndex, leading_whitespace, text_index

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Tree

log = logging.getLogger(__name__)

_FUNCTION_VALUES = frozenset(
    {
        "arrow_function",
        "function_expression",
        "function",
        "function_declarator",
        "generator_function",
    }
)
_SYNTAX_KEPT = 8
"""Parses ``Syntax.of`` keeps, newest used last."""
_NEAR_KEPT = 8
"""Outlines near a code (``Syntax.entries_near``) kept per parse: the target stage asks for
one or two per action."""

_VALUE_DEFINITIONS = frozenset({"lexical_declaration", "declaration"})
# Written between a doc comment and its definition.
_ATTRIBUTES = frozenset(
    {"attribute_item", "attribute", "attribute_list", "decorator", "annotation", "modifiers"}
)


def required_module(node: Node | None) -> str:
    """The module a CommonJS ``require("m")`` (or ``require("m").member``) loads, as written;
    empty for any other expression."""
    if node is not None and node.type == "member_expression":
        node = node.child_by_field_name("object")
    if node is None or node.type != "call_expression":
        return ""
    function = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if function is None or function.text != b"require" or arguments is None:
        return ""
    strings = [child for child in arguments.named_children if child.type == "string"]
    if len(strings) != 1 or len(arguments.named_children) != 1:
        return ""
    return "".join(
        part.text.decode("utf-8", "replace")
        for part in strings[0].named_children
        if part.type == "string_fragment" and part.text is not None
    )


@attrs.frozen
class Span:
    start: int
    end: int
    kind: str = ""
    name: str = ""


@attrs.frozen
class Definition:
    """Something that takes a doc comment."""

    span: Span
    """The definition itself, from its first line (decorators/attributes included)."""
    header_line: int
    """The line holding its keyword (``def``, ``fn``...)."""
    body_start: int | None = None
    """Offset of the first statement of a Python body."""
    docstring: Span | None = None
    """An existing Python docstring statement."""


@attrs.frozen
class OutlineEntry:
    """A definition as a reader of the text sees it: where its lines start (its doc comment,
    attributes and decorators above it included), where it ends, its name and the definitions
    it sits in."""

    lead: int
    """Where it starts for a reader: its doc comment or attributes above it, else ``start``."""
    start: int
    """Where its text starts, wrappers (decorators, ``export``, ``template``) included."""
    end: int
    name: str
    qualified: str
    """The name with the definitions around it: ``Stack.pop``, ``Stack.pop.helper``."""
    kind: str
    parent: int | None
    """The index of the entry it sits in, or None at the top level."""


@attrs.frozen
class Documented:
    """A definition and the documentation attached to it, as written in some text."""

    name: str
    kind: str
    span: Span
    """The definition, wrappers (decorators, ``export``) included."""
    doc: Span | None
    """Its doc comment block above it, or its Python docstring statement."""


def short_name(name: str) -> str:
    """The last part of a qualified name: ``M.run``, ``A::run`` and ``self.run`` are ``run``."""
    return re.split(r"[.:]+", name)[-1] if name else name


@functools.cache
def _definition_kinds(spec: LanguageSpec) -> frozenset[str]:
    """The node types that can hold a definition's span: definitions and their wrappers."""
    return frozenset({*spec.definitions, *spec.wrappers})


@functools.cache
def _definition_query(spec: LanguageSpec, language: Any) -> Any:
    """A query for every node that can hold a definition's span (definitions and their
    wrappers): it runs in C, where walking every node in Python costs milliseconds a file."""
    from tree_sitter import Query

    kinds = sorted(
        kind
        for kind in _definition_kinds(spec)
        if language.id_for_node_kind(kind, True) is not None
    )
    if not kinds:
        return None
    return Query(language, "[" + " ".join(f"({kind})" for kind in kinds) + "] @definition")


@functools.cache
def _parser(module: str, function: str) -> Parser | None:
    try:
        from tree_sitter import Language, Parser

        grammar = importlib.import_module(module)
        return Parser(Language(getattr(grammar, function)()))
    except Exception as error:  # a missing or broken grammar must not break the action
        log.warning("tree-sitter grammar %s unavailable (%s); using indentation", module, error)
        return None


class Syntax:
    """One parse of one text, with offsets in characters (tree-sitter counts bytes)."""

    _kept: ClassVar[collections.OrderedDict[tuple[str, str], Syntax]] = collections.OrderedDict()
    _kept_lock: ClassVar[threading.Lock] = threading.Lock()
    _lineages: ClassVar[collections.OrderedDict[tuple[str, str], Syntax]] = (
        collections.OrderedDict()
    )

    @classmethod
    def of(
        cls,
        text: str,
        spec: LanguageSpec,
        previous: Syntax | None = None,
        lineage: str | None = None,
    ) -> Syntax:
        """The parse of ``text``, shared: an edit's checks parse the text after it more than
        once, and that text is the document the next action in the file starts from.

        A new parse is incremental from ``previous`` (the text an edit was applied to) or, when
        ``lineage`` names a document, from the last parse of that document: tree-sitter then
        reparses only what changed, a tenth of the time of a whole parse."""
        key = (spec.id, text)
        with cls._kept_lock:
            found = cls._kept.get(key)
            if found is not None:
                cls._kept.move_to_end(key)
            elif previous is None and lineage is not None:
                previous = cls._lineages.get((spec.id, lineage))
        if found is None:
            found = cls(text, spec, previous=previous)
        with cls._kept_lock:
            cls._kept[key] = found
            while len(cls._kept) > _SYNTAX_KEPT:
                cls._kept.popitem(last=False)
            if lineage is not None:
                cls._lineages[(spec.id, lineage)] = found
                cls._lineages.move_to_end((spec.id, lineage))
                while len(cls._lineages) > _SYNTAX_KEPT:
                    cls._lineages.popitem(last=False)
        return found

    def __init__(
        self, text: str, spec: LanguageSpec, parse: bool = True, previous: Syntax | None = None
    ) -> None:
        """``parse=False`` skips tree-sitter (the indentation and regex fallbacks apply), for
        paths that cannot afford a parse of the whole file. ``previous``, a parse of an
        earlier version of the text, makes the parse incremental."""
        self.text = text
        self.spec = spec
        self._data = text.encode("utf-8") if parse else b""
        self._ascii = text.isascii()
        self.tree: Tree | None = None
        self._entry_nodes: dict[tuple[int, int, str, str], Node] = {}
        """The node of each entry the outline walks made, by ``_place``: the same for an entry
        of any walk (its ``parent`` counts in that walk's tuple)."""
        self._near: dict[tuple[int, int], tuple[OutlineEntry, ...]] = {}
        if parse and spec.grammar is not None:
            parser = _parser(*spec.grammar)
            if parser is not None:
                old = previous._edited(self._data) if previous is not None else None
                self.tree = parser.parse(self._data, old) if old else parser.parse(self._data)

    def _edited(self, data: bytes) -> Tree | None:
        """A copy of this tree told how ``data`` differs from this text (one edit from the
        first differing byte to the last), for tree-sitter to reparse only that."""
        if self.tree is None or not self._data:
            return None
        old = self._data
        shortest = min(len(old), len(data))
        low, high = 0, shortest
        while low < high:  # the common prefix, by halving (slices compare in C)
            middle = (low + high + 1) // 2
            if old[:middle] == data[:middle]:
                low = middle
            else:
                high = middle - 1
        start = low
        low, high = 0, shortest - start
        while low < high:
            middle = (low + high + 1) // 2
            if old[len(old) - middle :] == data[len(data) - middle :]:
                low = middle
            else:
                high = middle - 1
        old_end, new_end = len(old) - low, len(data) - low
        # To the end of the line: told of an edit that ends inside a line, tree-sitter often
        # reparsed everything after it (bench/overhead.py's Refactor: 0.55 ms for 200 lines of
        # Python, as much as a whole parse; told of it to the line's end, 0.07 ms).
        line_end = old.find(b"\n", old_end)
        grown = (line_end + 1 if line_end >= 0 else len(old)) - old_end
        old_end, new_end = old_end + grown, new_end + grown

        def point(text: bytes, offset: int) -> tuple[int, int]:
            return text.count(b"\n", 0, offset), offset - (text.rfind(b"\n", 0, offset) + 1)

        tree = self.tree.copy()
        tree.edit(
            start_byte=start,
            old_end_byte=old_end,
            new_end_byte=new_end,
            start_point=point(old, start),
            old_end_point=point(old, old_end),
            new_end_point=point(data, new_end),
        )
        return tree

    @functools.cached_property
    def _skeleton(self) -> frozenset[int]:
        """The ids of the nodes a walk for definitions needs to visit: every definition or
        wrapper and the nodes above it. The walks skip every other subtree, which cannot hold
        a definition, so they visit tens of nodes where the file has thousands."""
        return _with_ancestors(self._definition_nodes())

    def _definition_nodes(self, low: int | None = None, high: int | None = None) -> list[Node]:
        """Every definition or wrapper (that overlaps bytes ``[low, high]``, when given)."""
        if self.tree is None:
            return []
        from tree_sitter import QueryCursor

        root = self.tree.root_node
        query = _definition_query(self.spec, self.tree.language)
        if query is None:
            return []
        cursor = QueryCursor(query)
        if low is not None and high is not None:
            cursor.set_byte_range(low, min(max(high, low + 1), root.end_byte))
        return [node for nodes in cursor.captures(root).values() for node in nodes]

    def _inner_children(self, node: Node) -> list[Node]:
        """``node``'s named children that hold a definition, in text order."""
        skeleton = self._skeleton
        return [child for child in node.named_children if child.id in skeleton]

    @functools.cached_property
    def index(self) -> TextIndex:
        return text_index(self.text, "utf-32")

    def _char(self, byte: int) -> int:
        if self._ascii:
            return byte
        return len(self._data[:byte].decode("utf-8", errors="ignore"))

    def _byte(self, char: int) -> int:
        if self._ascii:
            return char
        return len(self.text[:char].encode("utf-8"))

    def _span(self, node: Node, kind: str | None = None) -> Span:
        name_node = node.child_by_field_name("name")
        # C and C++ name a function inside nested declarators: int *(*name)(void).
        declarator = node.child_by_field_name("declarator")
        while name_node is None and declarator is not None:
            if declarator.type in ("identifier", "field_identifier", "qualified_identifier"):
                name_node = declarator
            declarator = declarator.child_by_field_name("declarator")
        name = name_node.text.decode("utf-8", "replace") if name_node and name_node.text else ""
        return Span(self._char(node.start_byte), self._char(node.end_byte), kind or node.type, name)

    def _node_at(self, start: int, end: int) -> Node | None:
        if self.tree is None:
            return None
        node: Node | None = self.tree.root_node.descendant_for_byte_range(
            self._byte(start), self._byte(max(start, end - 1) if end > start else end)
        )
        return node

    def _ancestors(self, start: int, end: int) -> list[Node]:
        node = self._node_at(start, end)
        chain = []
        while node is not None:
            if self._char(node.start_byte) <= start and self._char(node.end_byte) >= end:
                chain.append(node)
            node = node.parent
        return chain

    def enclosing_scope(self, start: int, end: int) -> Span | None:
        """The smallest function/class/... around ``[start, end)`` (not equal to it)."""
        if self.tree is not None:
            for node in self._ancestors(start, end):
                if node.type in self.spec.scopes:
                    if node.has_error:
                        # Error recovery can stretch a broken scope over the rest of the file
                        # (an unclosed bracket swallows what follows); indentation is the
                        # better guide to where the author's block ends.
                        return self._indented_block(start, end) or self._span(node)
                    span = self._span(self._outermost_wrapper(node))
                    if (span.start, span.end) != (start, end):
                        return span
            return None
        return self._indented_block(start, end)

    def top_level_statement(self, start: int, end: int) -> Span | None:
        """The statement directly under the file's root that holds ``[start, end)``."""
        chain = self._ancestors(start, end)
        if len(chain) >= 2:
            return self._span(chain[-2])
        return None

    def _outermost_wrapper(self, node: Node) -> Node:
        while node.parent is not None and node.parent.type in self.spec.wrappers:
            node = node.parent
        return node

    def _indented_block(self, start: int, end: int) -> Span | None:
        """Indentation fallback: the nearest less-indented line above and the block it opens."""
        index = self.index
        first = index.line_of(start)
        own = leading_whitespace(index.line_text(first))
        header = None
        for line in range(first - 1, -1, -1):
            text = index.line_text(line)
            if text.strip() and len(leading_whitespace(text)) < len(own):
                header = line
                break
        if header is None:
            return None
        header_indent = len(leading_whitespace(index.line_text(header)))
        last = index.line_of(end)
        line = last + 1
        while line < index.line_count:
            text = index.line_text(line)
            if text.strip() and len(leading_whitespace(text)) <= header_indent:
                # A closing line at the header's depth (``}``, ``end``) belongs to the block.
                if re.match(r"\s*(\}|\]|\)|end\b|fi\b|done\b|esac\b)", text):
                    last = line
                break
            if text.strip():
                last = line
            line += 1
        start_offset = index.line_starts[header]
        return Span(start_offset, index.line_span(last)[1], "block")

    def error_count(self) -> int | None:
        """Syntax errors tree-sitter found (None without a grammar)."""
        if self.tree is None:
            return None
        if not self.tree.root_node.has_error:
            return 0
        count = 0
        stack = [self.tree.root_node]
        while stack:
            node = stack.pop()
            if node.is_error or node.is_missing:
                count += 1
            elif node.has_error:
                stack.extend(node.children)
        return count

    def error_lines(self) -> set[int]:
        """0-based lines where tree-sitter found a syntax error."""
        if self.tree is None or not self.tree.root_node.has_error:
            return set()
        found: set[int] = set()
        stack = [self.tree.root_node]
        while stack:
            node = stack.pop()
            if node.is_error or node.is_missing:
                found.add(node.start_point[0])
            elif node.has_error:
                stack.extend(node.children)
        return found

    def definitions(self, top_level_only: bool = False) -> list[Span]:
        """Named definitions (functions, classes...), outermost wrapper included."""
        return list(self._top_level_definitions if top_level_only else self._all_definitions)

    @functools.cached_property
    def _all_definitions(self) -> tuple[Span, ...]:
        return self._walk_definitions(top_level_only=False)

    @functools.cached_property
    def _top_level_definitions(self) -> tuple[Span, ...]:
        return self._walk_definitions(top_level_only=True)

    def _walk_definitions(self, top_level_only: bool) -> tuple[Span, ...]:
        if self.tree is None:
            return ()
        found: list[Span] = []
        stack = list(reversed(self._inner_children(self.tree.root_node)))
        while stack:
            node = stack.pop()
            inner = node
            if node.type in self.spec.wrappers:
                wrapped = [c for c in node.named_children if c.type in self.spec.definitions]
                inner = wrapped[-1] if wrapped else node
            if inner.type in self.spec.definitions and inner.type not in _VALUE_DEFINITIONS:
                span = self._span(inner)
                if span.name:
                    found.append(Span(self._char(node.start_byte), span.end, span.kind, span.name))
            if not top_level_only:
                stack.extend(reversed(self._inner_children(inner)))
        return tuple(found)

    def header_spans(self) -> list[Span]:
        """Imports, includes and package lines at the top level (CommonJS ``require`` lines
        too, where the language has them)."""
        if self.tree is not None:
            return [
                self._span(child)
                for child in self.tree.root_node.children
                if child.type in self.spec.imports or self._requires(child)
            ]
        pattern = re.compile(self.spec.import_line)
        spans = []
        for line in range(min(self.index.line_count, 200)):
            if pattern.match(self.index.line_text(line)):
                spans.append(Span(*self.index.line_span(line), "import"))
        return spans

    def _requires(self, node: Node) -> bool:
        """Whether a top-level statement is a CommonJS import: ``require("m");`` or a
        declaration with a ``require("m")`` value."""
        if not self.spec.commonjs:
            return False
        if node.type == "expression_statement":
            return any(required_module(child) for child in node.named_children)
        if node.type not in ("lexical_declaration", "variable_declaration"):
            return False
        return any(
            required_module(child.child_by_field_name("value"))
            for child in node.named_children
            if child.type == "variable_declarator"
        )

    @functools.cached_property
    def entries(self) -> tuple[OutlineEntry, ...]:
        """Every named definition in text order (outer before inner), for the target stage.
        Value definitions count when they hold a function (``const f = () => ...``)."""
        if self.tree is None:
            return ()
        return self._outline(self._inner_children)

    def entries_near(self, start: int, end: int) -> tuple[OutlineEntry, ...]:
        """``entries`` as far as a target for ``[start, end)`` can be one of them: the
        definitions whose text overlaps it, those they lie in, and at each level the one right
        after it (whose comments above may hold it), in the same order, ``parent`` counting in
        this tuple. A walk near the code: the whole file's outline took 0.7 ms for 200 lines
        of Python and 2.9 ms for 1,000 before every action's request (bench/overhead.py)."""
        if self.tree is None:
            return ()
        key = (start, end)
        found = self._near.get(key)
        if found is None:
            low, high = self._byte(start), self._byte(end)
            # The definitions that overlap the code, and the nodes around its end (where the
            # definition after it is looked for).
            assert self.tree is not None
            around_end = self.tree.root_node.descendant_for_byte_range(high, high)
            skeleton = _with_ancestors([*self._definition_nodes(low, high), around_end])
            found = self._outline(lambda node: self._near_children(node, low, high, skeleton))
            if len(self._near) >= _NEAR_KEPT:
                self._near.pop(next(iter(self._near)))
            self._near[key] = found
        return found

    def _near_children(
        self, node: Node, low: int, high: int, skeleton: frozenset[int]
    ) -> list[Node]:
        """``node``'s named children that hold a definition overlapping bytes ``[low, high]``,
        and the first one after ``high`` when it opens a definition."""
        if node.start_byte > high:
            # The definition after the code: its comments above matter, not what it holds
            # (unless it opens with a definition, as C#'s top-level statements do).
            first = node.named_children[0] if node.named_child_count else None
            if first is not None and first.start_byte == node.start_byte:
                return [first] if self._opens_definition(first) else []
            return []
        kept: list[Node] = []
        # A cursor finds the first child that holds or follows ``low`` without making a node of
        # each child before it (``Node.first_named_child_for_byte`` crashed py-tree-sitter 0.26
        # on the next sibling).
        cursor = node.walk()
        if cursor.goto_first_child_for_byte(low) is None:
            return kept
        while True:
            child = cursor.node
            if child is not None and child.is_named:
                if child.start_byte <= high:
                    if child.id in skeleton:
                        kept.append(child)
                elif "comment" not in child.type and child.type not in _ATTRIBUTES:
                    if self._opens_definition(child):
                        kept.append(child)
                    break
            if not cursor.goto_next_sibling():
                break
        return kept

    def _opens_definition(self, node: Node | None) -> bool:
        """Whether ``node``, or a child it starts with, is a definition or its wrapper."""
        kinds = _definition_kinds(self.spec)
        start = node.start_byte if node is not None else 0
        while node is not None and node.start_byte == start:
            if node.type in kinds:
                return True
            node = node.named_children[0] if node.named_child_count else None
        return False

    def _outline(self, children: Callable[[Node], list[Node]]) -> tuple[OutlineEntry, ...]:
        """The definitions a walk down ``children`` meets (from the root's), outer first."""
        assert self.tree is not None
        found: list[OutlineEntry] = []
        stack: list[tuple[Node, int | None]] = [
            (child, None) for child in reversed(children(self.tree.root_node))
        ]
        while stack:
            node, parent = stack.pop()
            inner = node
            if node.type in self.spec.wrappers:
                wrapped = [c for c in node.named_children if c.type in self.spec.definitions]
                inner = wrapped[-1] if wrapped else node
            own = parent
            if _is_definition(inner, self.spec):
                written = self._span(inner).name or _declared_name(inner)
                name = written or _container_name(inner)
                if name:
                    outer = self._outermost_wrapper(inner)
                    start = self._char(outer.start_byte)
                    above = self._above(outer)
                    # Lua's ``function Stack.pop`` says its container itself.
                    qualified = name.replace(":", ".")
                    if parent is not None:
                        qualified = f"{found[parent].qualified}.{qualified}"
                    elif (receiver := _receiver_type(inner)) is not None:
                        qualified = f"{receiver}.{qualified}"
                    entry = OutlineEntry(
                        lead=min(start, above.start) if above is not None else start,
                        start=start,
                        end=self._char(outer.end_byte),
                        name=short_name(name),
                        qualified=qualified,
                        kind=inner.type,
                        parent=parent,
                    )
                    found.append(entry)
                    self._entry_nodes[_place(entry)] = inner
                    own = len(found) - 1
            stack.extend((child, own) for child in reversed(children(inner)))
        return tuple(found)

    def entry_definition(self, entry: OutlineEntry) -> Definition:
        """The doc-comment view of one of ``entries`` (or of ``entries_near``)."""
        node = self._entry_nodes.get(_place(entry))
        if node is None:
            # An entry another parse of the same text found: walked to here.
            self.entries_near(entry.start, entry.end)
            node = self._entry_nodes.get(_place(entry))
        if node is None:
            raise ValueError(f"{entry.qualified} is not a definition of this text")
        return self._definition_from_node(node)

    def definition(self, start: int, end: int) -> Definition | None:
        """The innermost definition around ``[start, end)``, for doc comments."""
        if self.tree is None:
            return self._definition_by_text(start)
        for node in self._ancestors(start, end):
            if node.type in self.spec.wrappers:
                # A cursor on a decorator or an ``export`` means the definition it wraps.
                inner = [c for c in node.named_children if c.type in self.spec.definitions]
                if inner:
                    return self._definition_from_node(inner[-1])
            if node.type not in self.spec.definitions:
                continue
            if node.type in _VALUE_DEFINITIONS and not _holds_function(node):
                continue
            return self._definition_from_node(node)
        return None

    def _definition_from_node(self, node: Node) -> Definition:
        outer = self._outermost_wrapper(node)
        span = self._span(outer, node.type)
        span = attrs.evolve(span, name=self._span(node).name or _declared_name(node))
        header_line = self.index.line_of(self._char(node.start_byte))
        body_start = None
        docstring = None
        if self.spec.doc_style == "python":
            body = node.child_by_field_name("body")
            if body is not None and body.named_children:
                first = body.named_children[0]
                body_start = self._char(first.start_byte)
                if first.type == "expression_statement" and _is_string_statement(first):
                    docstring = self._span(first)
        return Definition(span, header_line, body_start, docstring)

    def _definition_by_text(self, start: int) -> Definition | None:
        """Without a grammar: the definition line the cursor is on, or the block opener
        right above it when that is a definition line. Anything else is a guess, and a doc
        comment placed on a guess lands on the wrong definition: None then."""
        index = self.index
        line = index.line_of(start)
        if DEFINITION_LINE.match(index.line_text(line)):
            line_start, line_end = index.line_span(line)
            return Definition(Span(line_start, line_end, "definition"), line)
        own = len(leading_whitespace(index.line_text(line)))
        for above in range(line - 1, -1, -1):
            text = index.line_text(above)
            if not text.strip() or len(leading_whitespace(text)) >= own:
                continue
            if DEFINITION_LINE.match(text):
                line_start, line_end = index.line_span(above)
                return Definition(Span(line_start, line_end, "definition"), above)
            return None
        return None

    def documented(self) -> list[Documented]:
        """Every definition with the documentation attached to it (None when it has none)."""
        return list(self._documented)

    @functools.cached_property
    def _documented(self) -> tuple[Documented, ...]:
        found: list[Documented] = []
        for node, name in self._documentable():
            outer = self._outermost_wrapper(node)
            span = self._span(outer, node.type)
            doc = self._docstring(node) if self.spec.doc_style == "python" else self._above(outer)
            found.append(Documented(name, node.type, attrs.evolve(span, name=name), doc))
        return tuple(found)

    def documented_names(self) -> list[str]:
        """The names of ``documented()``'s definitions, in the same order, without finding
        their spans and documentation (a third of the time)."""
        return [name for _, name in self._documentable()]

    def _documentable(self) -> Iterator[tuple[Node, str]]:
        if self.tree is None:
            return
        stack = [self.tree.root_node]
        while stack:
            node = stack.pop()
            stack.extend(reversed(self._inner_children(node)))
            if node.type not in self.spec.definitions:
                continue
            if node.type in _VALUE_DEFINITIONS and not _holds_function(node):
                continue
            yield node, self._span(node).name or _declared_name(node)

    def module_docstring(self) -> Span | None:
        """A Python module's docstring, or a bare string that is the whole text."""
        if self.tree is None or self.spec.doc_style != "python":
            return None
        children = self.tree.root_node.named_children
        if children and _is_string_statement(children[0]):
            return self._span(children[0])
        return None

    def comment_blocks(self) -> list[Span]:
        """Runs of comments on consecutive lines, anywhere."""
        if self.tree is None:
            return []
        blocks: list[Span] = []
        last_row = -2
        stack = [self.tree.root_node]
        comments = []
        while stack:
            node = stack.pop()
            if "comment" in node.type:
                comments.append(node)
                continue
            stack.extend(reversed(node.children))
        for node in comments:
            span = self._span(node)
            if blocks and node.start_point[0] <= last_row + 1:
                blocks[-1] = Span(blocks[-1].start, span.end, "comment")
            else:
                blocks.append(Span(span.start, span.end, "comment"))
            last_row = node.end_point[0]
        return blocks

    def _docstring(self, node: Node) -> Span | None:
        body = node.child_by_field_name("body")
        if body is not None and body.named_children:
            first = body.named_children[0]
            if first.type == "expression_statement" and _is_string_statement(first):
                return self._span(first)
        return None

    def _above(self, node: Node) -> Span | None:
        """The comments directly above ``node`` (attributes between them allowed)."""
        while (
            node.prev_sibling is None
            and node.parent is not None
            and node.parent.parent is not None
            and node.parent.start_byte == node.start_byte
        ):
            # A node that opens a statement of its own (C#'s top-level ``global_statement``):
            # its comments are that statement's neighbours.
            node = node.parent
        first: Node | None = None
        last: Node | None = None
        row = node.start_point[0]
        sibling = node.prev_sibling
        while sibling is not None:
            if sibling.end_point[0] < row - 1:
                break
            if "comment" in sibling.type:
                first = sibling
                last = last or sibling
            elif sibling.type not in _ATTRIBUTES:
                break
            row = sibling.start_point[0]
            sibling = sibling.prev_sibling
        if first is None or last is None:
            return None
        return Span(self._char(first.start_byte), self._char(last.end_byte), "comment")


def _place(entry: OutlineEntry) -> tuple[int, int, str, str]:
    """What makes an outline entry the same definition whichever walk found it."""
    return (entry.start, entry.end, entry.qualified, entry.kind)


def _with_ancestors(nodes: Iterable[Node | None]) -> frozenset[int]:
    """The ids of ``nodes`` and of every node above them."""
    kept: set[int] = set()
    for node in nodes:
        while node is not None and node.id not in kept:
            kept.add(node.id)
            node = node.parent
    return frozenset(kept)


def python_compiles(text: str) -> bool:
    """Whether Python's own compiler accepts ``text``. tree-sitter forgives what Python does
    not: a dedent to a column no enclosing block uses, and (past the parser, in the compiler)
    ``return``, ``yield`` or ``await`` outside a function."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(text, "<chatls>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return False
    return True


_MODULE_WIDE = re.compile(r"__future__|^\s*(?:global|nonlocal)\b", re.MULTILINE)


def python_compiles_where(syntax: Syntax, spans: list[tuple[int, int]]) -> bool:
    """Whether Python's compiler accepts ``syntax.text``, compiling only the top-level
    statements that hold ``spans`` (offsets in the text) and their neighbours: what an edit can
    break. Each of Python's compile errors lies within one top-level statement, but for
    ``from __future__`` placement and module-level ``global``, so text that has those, or that
    tree-sitter could not parse cleanly, is compiled whole. A 2,000-line file takes 10 ms to
    compile; one function, a twentieth of one."""
    tree = syntax.tree
    if tree is None or tree.root_node.has_error or not spans:
        return python_compiles(syntax.text)
    # Comments are not statements: the neighbour of an edit is the code next to it.
    statements = [
        (syntax._char(c.start_byte), syntax._char(c.end_byte))
        for c in tree.root_node.children
        if c.type != "comment"
    ]
    first = len(statements)
    last = -1
    for start, end in spans:
        for number, (statement_start, statement_end) in enumerate(statements):
            if statement_start <= end and statement_end >= start:
                first, last = min(first, number), max(last, number)
        before = [n for n, (_, statement_end) in enumerate(statements) if statement_end <= start]
        after = [n for n, (statement_start, _) in enumerate(statements) if statement_start >= end]
        if before:
            first, last = min(first, before[-1]), max(last, before[-1])
        if after:
            first, last = min(first, after[0]), max(last, after[0])
    if last < 0:
        return True  # an edit of a file with no statement left: nothing to compile
    begin = syntax.text.rfind("\n", 0, statements[first][0]) + 1
    segment = syntax.text[begin : statements[last][1]]
    if _MODULE_WIDE.search(segment):
        return python_compiles(syntax.text)
    return python_compiles(segment)


def python_error_line(text: str) -> int | None:
    """The 0-based line of the first error Python's compiler finds in ``text``, or None."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(text, "<chatls>", "exec", dont_inherit=True)
        except SyntaxError as error:
            return (error.lineno or 1) - 1
        except ValueError:
            return 0
    return None


def _declared_name(node: Node) -> str:
    """Names tree-sitter keeps outside a ``name`` field (Kotlin, Swift, Bash...)."""
    for child in node.named_children:
        if child.type in ("variable_declarator", "init_declarator"):
            inner = child.child_by_field_name("name") or child.child_by_field_name("declarator")
            if inner is not None and inner.text:
                return inner.text.decode("utf-8", "replace")
        if child.type in ("identifier", "simple_identifier", "type_identifier", "word", "constant"):
            return child.text.decode("utf-8", "replace") if child.text else ""
    return ""


def _is_definition(node: Node, spec: LanguageSpec) -> bool:
    if node.type not in spec.definitions:
        return False
    if node.type in _VALUE_DEFINITIONS:
        return _holds_function(node)
    # C's ``struct stack *s`` names a struct without defining it.
    return not node.type.endswith("_specifier") or node.child_by_field_name("body") is not None


def _container_name(node: Node) -> str:
    """The name of a definition that names another (Rust's ``impl Stack``, Go's ``type Stack
    struct``)."""
    named = node.child_by_field_name("type")
    if named is None:
        spec = next((c for c in node.named_children if c.type == "type_spec"), None)
        named = spec.child_by_field_name("name") if spec is not None else None
    if named is None or not named.text:
        return ""
    # ``impl<T> Display for Stack<T>``: the type without its parameters.
    return named.text.decode("utf-8", "replace").split("<", 1)[0]


def _receiver_type(node: Node) -> str | None:
    """A Go method's receiver type (``func (s *Stack) Pop()`` belongs to ``Stack``)."""
    receiver = node.child_by_field_name("receiver")
    if receiver is None or not receiver.text:
        return None
    found = re.search(r"(\w+)\s*(?:\[[^\]]*\])?\s*\)\s*$", receiver.text.decode("utf-8", "replace"))
    return found.group(1) if found else None


def _holds_function(node: Node) -> bool:
    stack: list[Any] = list(node.named_children)
    while stack:
        child = stack.pop()
        if child.type in _FUNCTION_VALUES:
            return True
        if child.type in ("variable_declarator", "init_declarator"):
            stack.extend(child.named_children)
    return False


def _is_string_statement(node: Node) -> bool:
    if node.type != "expression_statement":
        return False
    children = node.named_children
    return len(children) == 1 and children[0].type in ("string", "concatenated_string")


_FUNCTIONS = frozenset(
    {
        "function_definition",
        "function_declaration",
        "function_expression",
        "generator_function_declaration",
        "method_definition",
        "arrow_function",
    }
)


def signatures_without_annotations(syntax: Syntax) -> list[tuple[str, str]] | None:
    """The code outside functions as written, then each function's signature with its type
    annotations taken out (and its whitespace, which annotations change: ``x=1`` becomes
    ``x: int = 1``) with its body exactly as written; None without a syntax tree. Two versions
    of a file that differ only in their signatures' annotations give the same list."""
    if syntax.tree is None:
        return None
    found: list[tuple[str, str]] = []
    outside = bytearray()
    at_outside = 0
    stack = [(syntax.tree.root_node, False)]
    while stack:
        node, in_function = stack.pop()
        is_function = node.type in _FUNCTIONS
        stack.extend((child, in_function or is_function) for child in reversed(node.children))
        if not is_function:
            continue
        if not in_function:
            outside += syntax._data[at_outside : node.start_byte] + b"\0"
            at_outside = node.end_byte
        body = node.child_by_field_name("body")
        end = body.start_byte if body is not None else node.end_byte
        cuts = sorted(_annotation_bytes(node, end))
        data = syntax._data
        kept = bytearray()
        at = node.start_byte
        for cut_start, cut_end in cuts:
            if cut_start >= at:
                kept += data[at:cut_start]
                at = cut_end
        kept += data[at:end]
        signature = "".join(kept.decode("utf-8", "replace").split())
        found.append((signature, _body_without_headers(data, node, end)))
    outside += syntax._data[at_outside:]
    return [(outside.decode("utf-8", "replace"), ""), *found]


def _body_without_headers(data: bytes, function: Node, start: int) -> str:
    """A function's body from ``start`` with the signatures of functions nested in it left
    out: those are compared on their own, annotations aside."""
    kept = bytearray()
    at = start
    stack = [child for child in function.children if child.end_byte > start]
    nested: list[tuple[int, int]] = []
    while stack:
        node = stack.pop()
        if node.type in _FUNCTIONS:
            body = node.child_by_field_name("body")
            nested.append((node.start_byte, body.start_byte if body is not None else node.end_byte))
            continue
        stack.extend(node.children)
    for cut_start, cut_end in sorted(nested):
        if cut_start >= at:
            kept += data[at:cut_start] + b"\0"
            at = cut_end
    kept += data[at : function.end_byte]
    return kept.decode("utf-8", "replace")


def _annotation_bytes(function: Node, end: int) -> list[tuple[int, int]]:
    """Byte spans of the annotations in a signature (the ``:`` or ``->`` that opens each one
    included), up to ``end``, where the body starts."""
    spans: list[tuple[int, int]] = []
    stack = [child for child in function.children if child.start_byte < end]
    while stack:
        node = stack.pop()
        if node.type == "type_annotation":
            spans.append((node.start_byte, node.end_byte))
            continue
        if node.type in ("typed_parameter", "typed_default_parameter"):
            kind = node.child_by_field_name("type")
            colon = next((c for c in node.children if c.type == ":"), None)
            if kind is not None and colon is not None:
                spans.append((colon.start_byte, kind.end_byte))
            continue
        if node.type == "->":
            returned = function.child_by_field_name("return_type")
            if returned is not None:
                spans.append((node.start_byte, returned.end_byte))
            continue
        if node.type in _FUNCTIONS:
            continue
        stack.extend(child for child in node.children if child.start_byte < end)
    return spans
