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
(a wildcard import, Go's package spread over files), which ``Names.open`` says.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import attrs

from chatls.source.reported import Reported
from chatls.source.syntax import Syntax

if TYPE_CHECKING:
    from tree_sitter import Node


@attrs.frozen
class Binding:
    name: str
    kind: str
    """parameter, variable, function, class, type, import, module, method, field, builtin."""
    owner: str = ""
    """The function or class it belongs to; empty at file level (or in an unnamed function)."""
    local: bool = False
    """It belongs to a function, named or not."""

    def describe(self) -> str:
        """``a parameter of `error_leader```, ``a function in the file``, ``a built-in``."""
        if self.kind == "builtin":
            return "a built-in"
        if self.kind in ("import", "module"):
            what = "a module" if self.kind == "module" else "a name"
            where = f" in `{self.owner}`" if self.owner else ""
            return f"{what} the file imports{where}"
        article = "an" if self.kind[0] in "aeiou" else "a"
        if self.owner:
            return f"{article} {self.kind} of `{self.owner}`"
        if self.local:
            return f"{article} {self.kind} of the function around it"
        return f"{article} {self.kind} in the file"


@attrs.frozen
class Members:
    """The members a class or type shows in this file."""

    owner: str
    names: dict[str, Binding]
    open: bool
    """It may have members this file does not show (a base class or trait defined elsewhere,
    Go methods in other files of the package)."""


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


# --- names by language --------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PY_BUILTINS = frozenset(dir(builtins)) | {
    "__name__",
    "__file__",
    "__doc__",
    "__spec__",
    "__loader__",
    "__package__",
    "__builtins__",
    "__path__",
    "__annotations__",
    "__dict__",
    "__class__",
}
_JS_BUILTINS = _words(
    """undefined NaN Infinity globalThis window self document console Math JSON Object Array
    String Number Boolean Symbol BigInt Date RegExp Error TypeError RangeError SyntaxError
    ReferenceError EvalError URIError AggregateError Promise Map Set WeakMap WeakSet WeakRef
    FinalizationRegistry Proxy Reflect Intl ArrayBuffer SharedArrayBuffer DataView Atomics
    Int8Array Uint8Array Uint8ClampedArray Int16Array Uint16Array Int32Array Uint32Array
    Float32Array Float64Array BigInt64Array BigUint64Array Function Iterator parseInt
    parseFloat isNaN isFinite encodeURI encodeURIComponent decodeURI decodeURIComponent escape
    unescape eval setTimeout clearTimeout setInterval clearInterval setImmediate clearImmediate
    queueMicrotask structuredClone fetch Request Response Headers FormData Blob File
    ReadableStream WritableStream require module exports process Buffer __dirname __filename
    global arguments URL URLSearchParams TextEncoder TextDecoder AbortController AbortSignal
    Event EventTarget CustomEvent navigator location history localStorage sessionStorage
    performance crypto atob btoa alert confirm prompt HTMLElement Element Node NodeList
    WebSocket Worker XMLHttpRequest MessageChannel MessagePort BroadcastChannel
    requestAnimationFrame cancelAnimationFrame getComputedStyle MutationObserver
    IntersectionObserver ResizeObserver string number boolean any unknown never void object
    symbol bigint Record Partial Required Readonly Pick Omit Exclude Extract NonNullable
    ReturnType Parameters InstanceType Awaited ReadonlyArray Iterable IterableIterator
    AsyncIterable PromiseLike ArrayLike PropertyKey ThisType Uppercase Lowercase Capitalize
    Uncapitalize NodeJS"""
)
_GO_BUILTINS = _words(
    """append cap clear close complex copy delete imag len make max min new panic print
    println real recover any bool byte comparable complex64 complex128 error float32 float64
    int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr true false
    iota nil"""
)
_RUST_BUILTINS = _words(
    """Some None Ok Err Option Result Vec String Box ToString ToOwned Clone Copy Default Drop
    Eq PartialEq Ord PartialOrd Iterator IntoIterator Extend FromIterator DoubleEndedIterator
    ExactSizeIterator Fn FnMut FnOnce Send Sync Sized Unpin AsRef AsMut Into From TryFrom
    TryInto Debug Hash drop std core alloc crate self super Self bool char str u8 u16 u32 u64
    u128 usize i8 i16 i32 i64 i128 isize f32 f64 println print eprintln eprint format
    format_args write writeln vec panic assert assert_eq assert_ne debug_assert
    debug_assert_eq debug_assert_ne unreachable unimplemented todo matches dbg concat
    stringify include include_str include_bytes env option_env cfg line column file
    module_path compile_error"""
)
BUILTINS: dict[str, frozenset[str]] = {
    "python": _PY_BUILTINS,
    "javascript": _JS_BUILTINS,
    "typescript": _JS_BUILTINS,
    "typescriptreact": _JS_BUILTINS,
    "go": _GO_BUILTINS,
    "rust": _RUST_BUILTINS,
}


@attrs.define
class _Scope:
    node: Node
    kind: str
    """module, function, class (members only, but Python's class body), impl (members only)."""
    label: str
    names: dict[str, Binding] = attrs.field(factory=dict)
    open: bool = False


Emit = Callable[[str, str], None]


class _Rules:
    """How one language binds names. ``scope`` says what a node opens; ``own`` what it binds
    in the scope around it; ``params`` what it binds inside; ``bind`` what a plain node binds."""

    self_names: tuple[str, ...] = ()

    def scope(self, node: Node) -> str | None:
        raise NotImplementedError

    def own(self, node: Node, emit: Emit, parent: _Scope) -> None:
        """Bindings a scope-opening node makes in the scope around it."""

    def params(self, node: Node, emit: Emit) -> None:
        """Bindings a scope-opening node makes in its own scope."""

    def bind(self, node: Node, emit: Emit, scope: _Scope) -> None:
        """Bindings an ordinary node makes in its scope."""

    def body(self, node: Node) -> list[Node]:
        """The children of a scope-opening node walked for its scope."""
        return list(node.children)

    def members(self, klass: Node, names: Names) -> Members | None:
        return None

    def receiver(self, function: Node, scopes: list[_Scope]) -> tuple[frozenset[str], Node | None]:
        """How ``function`` calls itself (callee texts), and the class or type node whose
        members its receiver reaches, if it is a method."""
        name = _name(function)
        return (frozenset({name}) if name else frozenset()), None


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _name(node: Node) -> str:
    return _text(node.child_by_field_name("name"))


def _label(node: Node) -> str:
    """A scope's name: its own, or the one it is assigned to (``const f = () => ...``)."""
    name = _name(node)
    parent = node.parent
    if not name and parent is not None and parent.type in ("variable_declarator", "pair"):
        name = _text(parent.child_by_field_name("name") or parent.child_by_field_name("key"))
    return name


def _identifiers(node: Node | None, kinds: frozenset[str], stop: frozenset[str]) -> Iterator[Node]:
    """Identifier nodes in a pattern, not descending into ``stop`` node types."""
    if node is None:
        return
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in kinds:
            yield current
            continue
        if current.type in stop:
            continue
        stack.extend(reversed(current.named_children))


_PY_PATTERNS_STOP = frozenset(
    {"attribute", "subscript", "call", "keyword_argument", "type", "string", "default_parameter"}
)


class _Python(_Rules):
    _COMPREHENSIONS = frozenset(
        {
            "list_comprehension",
            "set_comprehension",
            "dictionary_comprehension",
            "generator_expression",
        }
    )

    def scope(self, node: Node) -> str | None:
        if node.type in ("function_definition", "lambda") or node.type in self._COMPREHENSIONS:
            return "function"
        if node.type == "class_definition":
            return "class"
        return None

    def own(self, node: Node, emit: Emit, parent: _Scope) -> None:
        if node.type == "function_definition":
            emit(_name(node), "method" if parent.kind == "class" else "function")
        elif node.type == "class_definition":
            emit(_name(node), "class")

    def params(self, node: Node, emit: Emit) -> None:
        parameters = node.child_by_field_name("parameters")
        for child in parameters.named_children if parameters is not None else []:
            target = child
            if child.type in ("default_parameter", "typed_default_parameter"):
                target = child.child_by_field_name("name") or child
            elif child.type == "typed_parameter":
                target = child.named_children[0] if child.named_children else child
            for found in _identifiers(target, frozenset({"identifier"}), _PY_PATTERNS_STOP):
                emit(_text(found), "parameter")
        if node.type in self._COMPREHENSIONS:
            for clause in node.named_children:
                if clause.type == "for_in_clause":
                    self._targets(clause.child_by_field_name("left"), emit)

    def body(self, node: Node) -> list[Node]:
        if node.type in ("function_definition", "class_definition", "lambda"):
            body = node.child_by_field_name("body")
            return [body] if body is not None else []
        return list(node.children)

    def _targets(self, node: Node | None, emit: Emit, kind: str = "variable") -> None:
        for found in _identifiers(node, frozenset({"identifier"}), _PY_PATTERNS_STOP):
            emit(_text(found), kind)

    def bind(self, node: Node, emit: Emit, scope: _Scope) -> None:
        kind = node.type
        if kind in ("assignment", "augmented_assignment", "for_statement"):
            self._targets(node.child_by_field_name("left"), emit)
        elif kind == "as_pattern_target":
            self._targets(node, emit)
        elif kind == "named_expression":
            self._targets(node.child_by_field_name("name"), emit)
        elif kind == "import_statement":
            for name in node.children_by_field_name("name"):
                if name.type == "aliased_import":
                    emit(_text(name.child_by_field_name("alias")), "import")
                elif name.named_children:
                    emit(_text(name.named_children[0]), "module")
        elif kind == "import_from_statement":
            for name in node.children_by_field_name("name"):
                if name.type == "aliased_import":
                    emit(_text(name.child_by_field_name("alias")), "import")
                elif name.named_children:
                    emit(_text(name.named_children[-1]), "import")
            if any(child.type == "wildcard_import" for child in node.children):
                scope.open = True
        elif kind in ("global_statement", "nonlocal_statement"):
            for child in node.named_children:
                emit(_text(child), "variable")

    def members(self, klass: Node, names: Names) -> Members | None:
        found: dict[str, Binding] = {}
        owner = _name(klass)
        body = klass.child_by_field_name("body")
        for statement in body.named_children if body is not None else []:
            inner = statement
            if statement.type == "decorated_definition":
                inner = statement.child_by_field_name("definition") or statement
            if inner.type in ("function_definition", "class_definition"):
                kind = "method" if inner.type == "function_definition" else "class"
                found.setdefault(_name(inner), Binding(_name(inner), kind, owner))
            elif inner.type == "expression_statement":
                for child in inner.named_children:
                    if child.type == "assignment":
                        for target in _identifiers(
                            child.child_by_field_name("left"),
                            frozenset({"identifier"}),
                            _PY_PATTERNS_STOP,
                        ):
                            found.setdefault(_text(target), Binding(_text(target), "field", owner))
            if inner.type != "function_definition":
                continue
            parameters = inner.child_by_field_name("parameters")
            first = (
                parameters.named_children[0] if parameters and parameters.named_children else None
            )
            if first is None or first.type != "identifier":
                continue
            receiver = _text(first)
            for node in _walk(inner.child_by_field_name("body")):
                if node.type not in ("assignment", "augmented_assignment", "for_statement"):
                    continue
                for target in _identifiers(
                    node.child_by_field_name("left"), frozenset({"attribute"}), frozenset()
                ):
                    obj = target.child_by_field_name("object")
                    attribute = _text(target.child_by_field_name("attribute"))
                    if obj is not None and obj.type == "identifier" and _text(obj) == receiver:
                        found.setdefault(attribute, Binding(attribute, "field", owner))
        bases = klass.child_by_field_name("superclasses")
        open_ = False
        for base in bases.named_children if bases is not None else []:
            if base.type == "keyword_argument":
                continue
            name = _text(base)
            if name == "object":
                continue
            inherited = names.class_members(name, exclude=klass)
            if inherited is None:
                open_ = True
            else:
                open_ = open_ or inherited.open
                for key, value in inherited.names.items():
                    found.setdefault(key, value)
        return Members(owner, found, open_)

    def receiver(self, function: Node, scopes: list[_Scope]) -> tuple[frozenset[str], Node | None]:
        name = _name(function)
        klass = _python_class(function)
        if klass is None:
            return frozenset({name}), None
        parameters = function.child_by_field_name("parameters")
        first = parameters.named_children[0] if parameters and parameters.named_children else None
        receiver = _text(first) if first is not None and first.type == "identifier" else ""
        callers = {f"{receiver}.{name}"} if receiver else set()
        callers.add(f"{_name(klass)}.{name}")
        return frozenset(callers), klass


def _python_class(function: Node) -> Node | None:
    """The class a Python function is a method of (directly in its body), if any."""
    parent = function.parent
    if parent is not None and parent.type == "decorated_definition":
        parent = parent.parent
    if parent is not None and parent.type == "block":
        owner = parent.parent
        if owner is not None and owner.type == "class_definition":
            return owner
    return None


_JS_IDS = frozenset({"identifier", "shorthand_property_identifier_pattern"})
_JS_STOP = frozenset(
    {"type_annotation", "member_expression", "subscript_expression", "call_expression"}
)
_JS_FUNCTIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "function",
        "generator_function",
        "arrow_function",
        "method_definition",
    }
)
_JS_CLASSES = frozenset({"class_declaration", "class", "abstract_class_declaration"})


class _JavaScript(_Rules):
    def scope(self, node: Node) -> str | None:
        if node.type in _JS_FUNCTIONS:
            return "function"
        if node.type in _JS_CLASSES:
            return "class"
        return None

    def own(self, node: Node, emit: Emit, parent: _Scope) -> None:
        if node.type in ("function_declaration", "generator_function_declaration"):
            emit(_name(node), "function")
        elif node.type in _JS_CLASSES and node.type != "class":
            emit(_name(node), "class")

    def params(self, node: Node, emit: Emit) -> None:
        if node.type in ("function_expression", "function", "generator_function") and _name(node):
            emit(_name(node), "function")
        single = node.child_by_field_name("parameter")
        if single is not None:
            emit(_text(single), "parameter")
        parameters = node.child_by_field_name("parameters")
        for child in parameters.named_children if parameters is not None else []:
            target = child.child_by_field_name("pattern") or child
            if target.type == "assignment_pattern":
                target = target.child_by_field_name("left") or target
            for found in _identifiers(target, _JS_IDS, _JS_STOP | {"assignment_pattern"}):
                emit(_text(found), "parameter")
            for found in _identifiers(target, frozenset({"assignment_pattern"}), _JS_STOP):
                left = found.child_by_field_name("left")
                for inner in _identifiers(left, _JS_IDS, _JS_STOP):
                    emit(_text(inner), "parameter")

    def body(self, node: Node) -> list[Node]:
        if node.type in _JS_CLASSES:
            return []
        body = node.child_by_field_name("body")
        return [body] if body is not None else []

    def _pattern(self, node: Node | None, emit: Emit, kind: str) -> None:
        for found in _identifiers(node, _JS_IDS, _JS_STOP | {"pair_pattern", "assignment_pattern"}):
            emit(_text(found), kind)
        for found in _identifiers(
            node,
            frozenset({"pair_pattern", "assignment_pattern", "object_assignment_pattern"}),
            _JS_STOP,
        ):
            field = "value" if found.type == "pair_pattern" else "left"
            self._pattern(found.child_by_field_name(field), emit, kind)

    def bind(self, node: Node, emit: Emit, scope: _Scope) -> None:
        kind = node.type
        if kind == "variable_declarator":
            value = node.child_by_field_name("value")
            is_function = value is not None and value.type in _JS_FUNCTIONS
            self._pattern(
                node.child_by_field_name("name"), emit, "function" if is_function else "variable"
            )
        elif kind == "for_in_statement":
            self._pattern(node.child_by_field_name("left"), emit, "variable")
        elif kind == "catch_clause":
            self._pattern(node.child_by_field_name("parameter"), emit, "variable")
        elif kind == "import_clause":
            for child in node.named_children:
                if child.type == "identifier":
                    emit(_text(child), "import")
                elif child.type == "namespace_import":
                    for inner in child.named_children:
                        emit(_text(inner), "module")
                elif child.type == "named_imports":
                    for spec in child.named_children:
                        target = spec.child_by_field_name("alias") or spec.child_by_field_name(
                            "name"
                        )
                        if target is not None:
                            emit(_text(target), "import")
        elif kind == "import_alias":
            emit(_text(node.named_children[0]) if node.named_children else "", "import")
        elif kind in (
            "interface_declaration",
            "type_alias_declaration",
            "enum_declaration",
            "internal_module",
            "module",
        ):
            emit(_name(node), "type")

    def members(self, klass: Node, names: Names) -> Members | None:
        owner = _name(klass)
        found: dict[str, Binding] = {}
        body = klass.child_by_field_name("body")
        for member in body.named_children if body is not None else []:
            if member.type == "method_definition":
                name = _name(member)
                found.setdefault(name, Binding(name, "method", owner))
                if name == "constructor":
                    parameters = member.child_by_field_name("parameters")
                    for parameter in parameters.named_children if parameters is not None else []:
                        if any(
                            c.type == "accessibility_modifier" or c.type == "readonly"
                            for c in parameter.children
                        ):
                            field = _text(parameter.child_by_field_name("pattern"))
                            found.setdefault(field, Binding(field, "field", owner))
            elif member.type in ("public_field_definition", "field_definition"):
                name = _text(
                    member.child_by_field_name("name") or member.child_by_field_name("property")
                )
                found.setdefault(name, Binding(name, "field", owner))
        for node in _walk(body):
            if node.type not in ("assignment_expression", "augmented_assignment_expression"):
                continue
            left = node.child_by_field_name("left")
            if left is not None and left.type == "member_expression":
                obj = left.child_by_field_name("object")
                if obj is not None and obj.type == "this":
                    name = _text(left.child_by_field_name("property"))
                    found.setdefault(name, Binding(name, "field", owner))
        open_ = False
        for heritage in klass.named_children:
            if heritage.type != "class_heritage":
                continue
            for clause in heritage.named_children:
                if clause.type == "implements_clause":
                    continue
                bases = (
                    clause.children_by_field_name("value")
                    if clause.type == "extends_clause"
                    else [clause]
                )
                for base in bases:
                    inherited = names.class_members(_text(base), exclude=klass)
                    if inherited is None:
                        open_ = True
                    else:
                        open_ = open_ or inherited.open
                        for key, value in inherited.names.items():
                            found.setdefault(key, value)
        return Members(owner, found, open_)

    def receiver(self, function: Node, scopes: list[_Scope]) -> tuple[frozenset[str], Node | None]:
        name = _name(function)
        if function.type == "method_definition":
            klass = function.parent.parent if function.parent is not None else None
            if klass is not None and klass.type in _JS_CLASSES:
                return frozenset({f"this.{name}", f"{_name(klass)}.{name}"}), klass
            return frozenset({f"this.{name}"}), None
        if (
            not name
            and function.parent is not None
            and function.parent.type == "variable_declarator"
        ):
            name = _text(function.parent.child_by_field_name("name"))
        this_class = None
        for scope in reversed(scopes):
            if scope.kind == "class":
                this_class = scope.node
                break
        return (frozenset({name}) if name else frozenset()), this_class


_GO_IDS = frozenset({"identifier"})


class _Go(_Rules):
    def scope(self, node: Node) -> str | None:
        if node.type in ("function_declaration", "method_declaration", "func_literal"):
            return "function"
        return None

    def own(self, node: Node, emit: Emit, parent: _Scope) -> None:
        if node.type == "function_declaration":
            emit(_name(node), "function")

    def params(self, node: Node, emit: Emit) -> None:
        for field in ("receiver", "parameters", "result"):
            parameters = node.child_by_field_name(field)
            if parameters is None or parameters.type != "parameter_list":
                continue
            for child in parameters.named_children:
                for name in child.children_by_field_name("name"):
                    emit(_text(name), "parameter")

    def body(self, node: Node) -> list[Node]:
        body = node.child_by_field_name("body")
        return [body] if body is not None else []

    def bind(self, node: Node, emit: Emit, scope: _Scope) -> None:
        kind = node.type
        if kind in ("short_var_declaration", "range_clause"):
            left = node.child_by_field_name("left")
            for found in _identifiers(
                left, _GO_IDS, frozenset({"selector_expression", "index_expression"})
            ):
                emit(_text(found), "variable")
        elif kind == "type_switch_statement":
            for found in _identifiers(node.child_by_field_name("alias"), _GO_IDS, frozenset()):
                emit(_text(found), "variable")
        elif kind in ("var_spec", "const_spec"):
            for name in node.children_by_field_name("name"):
                emit(_text(name), "constant" if kind == "const_spec" else "variable")
        elif kind in ("type_spec", "type_alias"):
            emit(_name(node), "type")
        elif kind == "import_spec":
            alias = _text(node.child_by_field_name("name"))
            if alias:
                if alias == ".":
                    scope.open = True
                elif alias != "_":
                    emit(alias, "import")
                return
            path = _text(node.child_by_field_name("path")).strip('"`')
            last = path.rsplit("/", 1)[-1]
            if re.fullmatch(r"v\d+", last) and "/" in path:
                last = path.rsplit("/", 2)[-2]
            last = re.sub(r"^go-|[.-]v\d+$|\.go$", "", last).replace("-", "_")
            emit(last, "module")

    def members(self, klass: Node, names: Names) -> Members | None:
        owner = _name(klass)
        found: dict[str, Binding] = {}
        open_ = True  # methods may be declared in any file of the package
        struct = klass.child_by_field_name("type")
        if struct is not None and struct.type == "struct_type":
            for field in _walk(struct):
                if field.type == "field_declaration":
                    named = field.children_by_field_name("name")
                    for name in named:
                        found.setdefault(_text(name), Binding(_text(name), "field", owner))
        root = klass
        while root.parent is not None:
            root = root.parent
        for child in root.named_children:
            if child.type == "method_declaration" and _go_receiver_type(child) == owner:
                found.setdefault(_name(child), Binding(_name(child), "method", owner))
        return Members(owner, found, open_)

    def receiver(self, function: Node, scopes: list[_Scope]) -> tuple[frozenset[str], Node | None]:
        name = _name(function)
        if function.type != "method_declaration":
            return (frozenset({name}) if name else frozenset()), None
        receiver = function.child_by_field_name("receiver")
        names = [
            _text(n)
            for p in (receiver.named_children if receiver is not None else [])
            for n in p.children_by_field_name("name")
        ]
        type_name = _go_receiver_type(function)
        root = function
        while root.parent is not None:
            root = root.parent
        klass = None
        for child in root.named_children:
            if child.type == "type_declaration":
                for spec in child.named_children:
                    if spec.type == "type_spec" and _name(spec) == type_name:
                        klass = spec
        return frozenset(f"{n}.{name}" for n in names), klass


def _go_receiver_type(method: Node) -> str:
    receiver = method.child_by_field_name("receiver")
    for parameter in receiver.named_children if receiver is not None else []:
        kind = parameter.child_by_field_name("type")
        while kind is not None and kind.type in ("pointer_type", "generic_type"):
            kind = kind.named_children[0] if kind.named_children else None
        if kind is not None:
            return _text(kind)
    return ""


_RUST_IDS = frozenset({"identifier", "shorthand_field_identifier"})
_RUST_STOP = frozenset(
    {
        "scoped_identifier",
        "field_expression",
        "call_expression",
        "macro_invocation",
        "range_pattern",
    }
)
_RUST_ITEMS = {
    "const_item": "constant",
    "static_item": "constant",
    "struct_item": "type",
    "enum_item": "type",
    "union_item": "type",
    "type_item": "type",
    "trait_item": "type",
    "macro_definition": "macro",
    "mod_item": "module",
}


class _Rust(_Rules):
    def scope(self, node: Node) -> str | None:
        if node.type in ("function_item", "closure_expression"):
            return "function"
        if node.type in ("impl_item", "trait_item"):
            return "impl"
        if node.type == "mod_item" and node.child_by_field_name("body") is not None:
            return "module"
        return None

    def own(self, node: Node, emit: Emit, parent: _Scope) -> None:
        if node.type == "function_item" and parent.kind != "impl":
            emit(_name(node), "function")
        elif node.type in ("trait_item", "mod_item"):
            emit(_name(node), _RUST_ITEMS[node.type])

    def params(self, node: Node, emit: Emit) -> None:
        parameters = node.child_by_field_name("parameters")
        for child in parameters.named_children if parameters is not None else []:
            if child.type == "self_parameter":
                emit("self", "parameter")
                continue
            target = child.child_by_field_name("pattern") if child.type == "parameter" else child
            for found in _identifiers(target, _RUST_IDS, _RUST_STOP | {"type"}):
                emit(_text(found), "parameter")

    def body(self, node: Node) -> list[Node]:
        body = node.child_by_field_name("body")
        return [body] if body is not None else []

    def _pattern(self, node: Node | None, emit: Emit) -> None:
        for found in _identifiers(node, _RUST_IDS, _RUST_STOP):
            parent = found.parent
            if parent is not None and parent.child_by_field_name("type") == found:
                continue  # ``Some`` in ``Some(v)``
            emit(_text(found), "variable")

    def bind(self, node: Node, emit: Emit, scope: _Scope) -> None:
        kind = node.type
        if kind in ("let_declaration", "let_condition", "for_expression"):
            self._pattern(node.child_by_field_name("pattern"), emit)
        elif kind == "match_pattern":
            self._pattern(node, emit)
        elif kind in _RUST_ITEMS and kind not in ("trait_item", "mod_item"):
            emit(_name(node), _RUST_ITEMS[kind])
        elif kind == "extern_crate_declaration":
            emit(
                _text(node.child_by_field_name("alias") or node.child_by_field_name("name")),
                "module",
            )
        elif kind == "use_declaration":
            self._use(node.child_by_field_name("argument"), emit, scope, "")

    def _use(self, node: Node | None, emit: Emit, scope: _Scope, parent: str) -> None:
        if node is None:
            return
        if node.type in ("identifier", "crate", "super"):
            emit(_text(node), "import")
        elif node.type == "self":
            if parent:
                emit(parent, "import")
        elif node.type == "scoped_identifier":
            emit(_text(node.child_by_field_name("name")), "import")
        elif node.type == "use_as_clause":
            emit(_text(node.child_by_field_name("alias")), "import")
        elif node.type == "use_wildcard":
            scope.open = True
        elif node.type == "scoped_use_list":
            path = node.child_by_field_name("path")
            last = _text(
                path.child_by_field_name("name")
                if path is not None and path.type == "scoped_identifier"
                else path
            )
            self._use(node.child_by_field_name("list"), emit, scope, last)
        elif node.type == "use_list":
            for child in node.named_children:
                self._use(child, emit, scope, parent)

    def members(self, klass: Node, names: Names) -> Members | None:
        owner = _rust_type(klass) if klass.type == "impl_item" else _name(klass)
        found: dict[str, Binding] = {}
        root = klass
        while root.parent is not None:
            root = root.parent
        for node in _walk(root):
            if node.type == "struct_item" and _name(node) == owner:
                body = node.child_by_field_name("body")
                for field in body.named_children if body is not None else []:
                    if field.type == "field_declaration":
                        name = _name(field)
                        found.setdefault(name, Binding(name, "field", owner))
            elif node.type == "impl_item" and _rust_type(node) == owner:
                body = node.child_by_field_name("body")
                for item in body.named_children if body is not None else []:
                    if item.type in ("function_item", "const_item"):
                        found.setdefault(_name(item), Binding(_name(item), "method", owner))
        # Traits bring methods from anywhere.
        return Members(owner, found, True)

    def receiver(self, function: Node, scopes: list[_Scope]) -> tuple[frozenset[str], Node | None]:
        name = _name(function)
        impl = function.parent.parent if function.parent is not None else None
        if impl is None or impl.type != "impl_item":
            return (frozenset({name}) if name else frozenset()), None
        type_name = _rust_type(impl)
        callers = {f"Self::{name}", f"{type_name}::{name}"}
        parameters = function.child_by_field_name("parameters")
        if parameters is not None and any(
            c.type == "self_parameter" for c in parameters.named_children
        ):
            callers.add(f"self.{name}")
        return frozenset(callers), impl


def _rust_type(impl: Node) -> str:
    kind = impl.child_by_field_name("type")
    while kind is not None and kind.type in ("generic_type", "scoped_type_identifier"):
        kind = kind.child_by_field_name("type") or kind.child_by_field_name("name")
    return _text(kind)


_RULES: dict[str, _Rules] = {
    "python": _Python(),
    "javascript": _JavaScript(),
    "typescript": _JavaScript(),
    "typescriptreact": _JavaScript(),
    "go": _Go(),
    "rust": _Rust(),
}
_CALLS = frozenset({"call", "call_expression"})


def _walk(node: Node | None) -> Iterator[Node]:
    if node is None:
        return
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


# --- the question ---------------------------------------------------------------------------


class Names:
    """Name resolution over one parse. Cheap to make: nothing is walked until asked."""

    def __init__(self, syntax: Syntax) -> None:
        self.syntax = syntax
        self._rules = _RULES.get(syntax.spec.id)
        self._builtins = BUILTINS.get(syntax.spec.id, frozenset())
        self._scopes: dict[tuple[int, int], _Scope] = {}
        self._members: dict[tuple[str, int], Members | None] = {}
        self._visiting: set[str] = set()

    @property
    def supported(self) -> bool:
        return self._rules is not None and self.syntax.tree is not None

    def _scope_chain(self, offset: int) -> list[_Scope]:
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
                chain.append(self._scope(node, kind, _label(node)))
        return chain

    def _scope(self, node: Node, kind: str, label: str) -> _Scope:
        key = (node.start_byte, node.end_byte)
        found = self._scopes.get(key)
        if found is not None:
            return found
        assert self._rules is not None
        rules = self._rules
        scope = _Scope(node, kind, label)

        def emit_into(target: _Scope) -> Emit:
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

    def visible(self, offset: int) -> dict[str, Binding]:
        """Bare names visible at ``offset``: innermost scope first, built-ins last."""
        chain = self._scope_chain(offset)
        found: dict[str, Binding] = {}
        for position, scope in enumerate(reversed(chain)):
            if scope.kind == "impl":
                continue
            if scope.kind == "class" and (position > 0 or self.syntax.spec.id != "python"):
                continue  # a Python class body's names are not seen inside its methods
            for name, binding in scope.names.items():
                found.setdefault(name, binding)
        for name in self._builtins:
            found.setdefault(name, Binding(name, "builtin"))
        return found

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
            name = _name(node) or _text(
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
        for call in _walk(body):
            if call.type in _CALLS:
                callee = call.child_by_field_name("function")
                if callee is not None and "".join(_text(callee).split()) in function.callers:
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
        }.get(self.syntax.spec.id, tuple(_JS_CLASSES))
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
        if node.type in wanted and _name(node) == name:
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


# --- what a name should be --------------------------------------------------------------------


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
    pool: dict[str, Binding] = {}
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
