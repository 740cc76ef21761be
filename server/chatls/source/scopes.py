"""How each language binds names, read from tree-sitter nodes: what opens a scope, what a
parameter list, an assignment, a declaration or an import binds, a language's built-ins, and
the members of a class or type. Python, JavaScript, TypeScript (and TSX), Go and Rust.
``names`` asks the questions."""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

import attrs

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


class ClassLookup(Protocol):
    """Finds a class, struct or type of the file by name (for base classes)."""

    def class_members(self, name: str, exclude: Node | None = None) -> Members | None: ...


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
class Scope:
    node: Node
    kind: str
    """module, function, class (members only, but Python's class body), impl (members only)."""
    label: str
    names: dict[str, Binding] = attrs.field(factory=dict)
    open: bool = False


Emit = Callable[[str, str], None]


class ScopeRules:
    """How one language binds names. ``scope`` says what a node opens; ``own`` what it binds
    in the scope around it; ``params`` what it binds inside; ``bind`` what a plain node binds."""

    self_names: tuple[str, ...] = ()

    def scope(self, node: Node) -> str | None:
        raise NotImplementedError

    def own(self, node: Node, emit: Emit, parent: Scope) -> None:
        """Bindings a scope-opening node makes in the scope around it."""

    def params(self, node: Node, emit: Emit) -> None:
        """Bindings a scope-opening node makes in its own scope."""

    def bind(self, node: Node, emit: Emit, scope: Scope) -> None:
        """Bindings an ordinary node makes in its scope."""

    def body(self, node: Node) -> list[Node]:
        """The children of a scope-opening node walked for its scope."""
        return list(node.children)

    def members(self, klass: Node, names: ClassLookup) -> Members | None:
        return None

    def receiver(self, function: Node, scopes: list[Scope]) -> tuple[frozenset[str], Node | None]:
        """How ``function`` calls itself (callee texts), and the class or type node whose
        members its receiver reaches, if it is a method."""
        name = node_name(function)
        return (frozenset({name}) if name else frozenset()), None


def node_text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def node_name(node: Node) -> str:
    return node_text(node.child_by_field_name("name"))


def scope_label(node: Node) -> str:
    """A scope's name: its own, or the one it is assigned to (``const f = () => ...``)."""
    name = node_name(node)
    parent = node.parent
    if not name and parent is not None and parent.type in ("variable_declarator", "pair"):
        name = node_text(parent.child_by_field_name("name") or parent.child_by_field_name("key"))
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


class _Python(ScopeRules):
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

    def own(self, node: Node, emit: Emit, parent: Scope) -> None:
        if node.type == "function_definition":
            emit(node_name(node), "method" if parent.kind == "class" else "function")
        elif node.type == "class_definition":
            emit(node_name(node), "class")

    def params(self, node: Node, emit: Emit) -> None:
        parameters = node.child_by_field_name("parameters")
        for child in parameters.named_children if parameters is not None else []:
            target = child
            if child.type in ("default_parameter", "typed_default_parameter"):
                target = child.child_by_field_name("name") or child
            elif child.type == "typed_parameter":
                target = child.named_children[0] if child.named_children else child
            for found in _identifiers(target, frozenset({"identifier"}), _PY_PATTERNS_STOP):
                emit(node_text(found), "parameter")
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
            emit(node_text(found), kind)

    def bind(self, node: Node, emit: Emit, scope: Scope) -> None:
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
                    emit(node_text(name.child_by_field_name("alias")), "import")
                elif name.named_children:
                    emit(node_text(name.named_children[0]), "module")
        elif kind == "import_from_statement":
            for name in node.children_by_field_name("name"):
                if name.type == "aliased_import":
                    emit(node_text(name.child_by_field_name("alias")), "import")
                elif name.named_children:
                    emit(node_text(name.named_children[-1]), "import")
            if any(child.type == "wildcard_import" for child in node.children):
                scope.open = True
        elif kind in ("global_statement", "nonlocal_statement"):
            for child in node.named_children:
                emit(node_text(child), "variable")

    def members(self, klass: Node, names: ClassLookup) -> Members | None:
        found: dict[str, Binding] = {}
        owner = node_name(klass)
        body = klass.child_by_field_name("body")
        for statement in body.named_children if body is not None else []:
            inner = statement
            if statement.type == "decorated_definition":
                inner = statement.child_by_field_name("definition") or statement
            if inner.type in ("function_definition", "class_definition"):
                kind = "method" if inner.type == "function_definition" else "class"
                found.setdefault(node_name(inner), Binding(node_name(inner), kind, owner))
            elif inner.type == "expression_statement":
                for child in inner.named_children:
                    if child.type == "assignment":
                        for target in _identifiers(
                            child.child_by_field_name("left"),
                            frozenset({"identifier"}),
                            _PY_PATTERNS_STOP,
                        ):
                            found.setdefault(
                                node_text(target), Binding(node_text(target), "field", owner)
                            )
            if inner.type != "function_definition":
                continue
            parameters = inner.child_by_field_name("parameters")
            first = (
                parameters.named_children[0] if parameters and parameters.named_children else None
            )
            if first is None or first.type != "identifier":
                continue
            receiver = node_text(first)
            for node in walk(inner.child_by_field_name("body")):
                if node.type not in ("assignment", "augmented_assignment", "for_statement"):
                    continue
                for target in _identifiers(
                    node.child_by_field_name("left"), frozenset({"attribute"}), frozenset()
                ):
                    obj = target.child_by_field_name("object")
                    attribute = node_text(target.child_by_field_name("attribute"))
                    if obj is not None and obj.type == "identifier" and node_text(obj) == receiver:
                        found.setdefault(attribute, Binding(attribute, "field", owner))
        bases = klass.child_by_field_name("superclasses")
        open_ = False
        for base in bases.named_children if bases is not None else []:
            if base.type == "keyword_argument":
                continue
            name = node_text(base)
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

    def receiver(self, function: Node, scopes: list[Scope]) -> tuple[frozenset[str], Node | None]:
        name = node_name(function)
        klass = _python_class(function)
        if klass is None:
            return frozenset({name}), None
        parameters = function.child_by_field_name("parameters")
        first = parameters.named_children[0] if parameters and parameters.named_children else None
        receiver = node_text(first) if first is not None and first.type == "identifier" else ""
        callers = {f"{receiver}.{name}"} if receiver else set()
        callers.add(f"{node_name(klass)}.{name}")
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
JS_CLASSES = frozenset({"class_declaration", "class", "abstract_class_declaration"})


class _JavaScript(ScopeRules):
    def scope(self, node: Node) -> str | None:
        if node.type in _JS_FUNCTIONS:
            return "function"
        if node.type in JS_CLASSES:
            return "class"
        return None

    def own(self, node: Node, emit: Emit, parent: Scope) -> None:
        if node.type in ("function_declaration", "generator_function_declaration"):
            emit(node_name(node), "function")
        elif node.type in JS_CLASSES and node.type != "class":
            emit(node_name(node), "class")

    def params(self, node: Node, emit: Emit) -> None:
        if node.type in ("function_expression", "function", "generator_function") and node_name(
            node
        ):
            emit(node_name(node), "function")
        single = node.child_by_field_name("parameter")
        if single is not None:
            emit(node_text(single), "parameter")
        parameters = node.child_by_field_name("parameters")
        for child in parameters.named_children if parameters is not None else []:
            target = child.child_by_field_name("pattern") or child
            if target.type == "assignment_pattern":
                target = target.child_by_field_name("left") or target
            for found in _identifiers(target, _JS_IDS, _JS_STOP | {"assignment_pattern"}):
                emit(node_text(found), "parameter")
            for found in _identifiers(target, frozenset({"assignment_pattern"}), _JS_STOP):
                left = found.child_by_field_name("left")
                for inner in _identifiers(left, _JS_IDS, _JS_STOP):
                    emit(node_text(inner), "parameter")

    def body(self, node: Node) -> list[Node]:
        if node.type in JS_CLASSES:
            return []
        body = node.child_by_field_name("body")
        return [body] if body is not None else []

    def _pattern(self, node: Node | None, emit: Emit, kind: str) -> None:
        for found in _identifiers(node, _JS_IDS, _JS_STOP | {"pair_pattern", "assignment_pattern"}):
            emit(node_text(found), kind)
        for found in _identifiers(
            node,
            frozenset({"pair_pattern", "assignment_pattern", "object_assignment_pattern"}),
            _JS_STOP,
        ):
            field = "value" if found.type == "pair_pattern" else "left"
            self._pattern(found.child_by_field_name(field), emit, kind)

    def bind(self, node: Node, emit: Emit, scope: Scope) -> None:
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
                    emit(node_text(child), "import")
                elif child.type == "namespace_import":
                    for inner in child.named_children:
                        emit(node_text(inner), "module")
                elif child.type == "named_imports":
                    for spec in child.named_children:
                        target = spec.child_by_field_name("alias") or spec.child_by_field_name(
                            "name"
                        )
                        if target is not None:
                            emit(node_text(target), "import")
        elif kind == "import_alias":
            emit(node_text(node.named_children[0]) if node.named_children else "", "import")
        elif kind in (
            "interface_declaration",
            "type_alias_declaration",
            "enum_declaration",
            "internal_module",
            "module",
        ):
            emit(node_name(node), "type")

    def members(self, klass: Node, names: ClassLookup) -> Members | None:
        owner = node_name(klass)
        found: dict[str, Binding] = {}
        body = klass.child_by_field_name("body")
        for member in body.named_children if body is not None else []:
            if member.type == "method_definition":
                name = node_name(member)
                found.setdefault(name, Binding(name, "method", owner))
                if name == "constructor":
                    parameters = member.child_by_field_name("parameters")
                    for parameter in parameters.named_children if parameters is not None else []:
                        if any(
                            c.type == "accessibility_modifier" or c.type == "readonly"
                            for c in parameter.children
                        ):
                            field = node_text(parameter.child_by_field_name("pattern"))
                            found.setdefault(field, Binding(field, "field", owner))
            elif member.type in ("public_field_definition", "field_definition"):
                name = node_text(
                    member.child_by_field_name("name") or member.child_by_field_name("property")
                )
                found.setdefault(name, Binding(name, "field", owner))
        for node in walk(body):
            if node.type not in ("assignment_expression", "augmented_assignment_expression"):
                continue
            left = node.child_by_field_name("left")
            if left is not None and left.type == "member_expression":
                obj = left.child_by_field_name("object")
                if obj is not None and obj.type == "this":
                    name = node_text(left.child_by_field_name("property"))
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
                    inherited = names.class_members(node_text(base), exclude=klass)
                    if inherited is None:
                        open_ = True
                    else:
                        open_ = open_ or inherited.open
                        for key, value in inherited.names.items():
                            found.setdefault(key, value)
        return Members(owner, found, open_)

    def receiver(self, function: Node, scopes: list[Scope]) -> tuple[frozenset[str], Node | None]:
        name = node_name(function)
        if function.type == "method_definition":
            klass = function.parent.parent if function.parent is not None else None
            if klass is not None and klass.type in JS_CLASSES:
                return frozenset({f"this.{name}", f"{node_name(klass)}.{name}"}), klass
            return frozenset({f"this.{name}"}), None
        if (
            not name
            and function.parent is not None
            and function.parent.type == "variable_declarator"
        ):
            name = node_text(function.parent.child_by_field_name("name"))
        this_class = None
        for scope in reversed(scopes):
            if scope.kind == "class":
                this_class = scope.node
                break
        return (frozenset({name}) if name else frozenset()), this_class


_GO_IDS = frozenset({"identifier"})


class _Go(ScopeRules):
    def scope(self, node: Node) -> str | None:
        if node.type in ("function_declaration", "method_declaration", "func_literal"):
            return "function"
        return None

    def own(self, node: Node, emit: Emit, parent: Scope) -> None:
        if node.type == "function_declaration":
            emit(node_name(node), "function")

    def params(self, node: Node, emit: Emit) -> None:
        for field in ("receiver", "parameters", "result"):
            parameters = node.child_by_field_name(field)
            if parameters is None or parameters.type != "parameter_list":
                continue
            for child in parameters.named_children:
                for name in child.children_by_field_name("name"):
                    emit(node_text(name), "parameter")

    def body(self, node: Node) -> list[Node]:
        body = node.child_by_field_name("body")
        return [body] if body is not None else []

    def bind(self, node: Node, emit: Emit, scope: Scope) -> None:
        kind = node.type
        if kind in ("short_var_declaration", "range_clause", "receive_statement"):
            left = node.child_by_field_name("left")
            for found in _identifiers(
                left, _GO_IDS, frozenset({"selector_expression", "index_expression"})
            ):
                emit(node_text(found), "variable")
        elif kind == "type_switch_statement":
            for found in _identifiers(node.child_by_field_name("alias"), _GO_IDS, frozenset()):
                emit(node_text(found), "variable")
        elif kind in ("var_spec", "const_spec"):
            for name in node.children_by_field_name("name"):
                emit(node_text(name), "constant" if kind == "const_spec" else "variable")
        elif kind in ("type_spec", "type_alias"):
            emit(node_name(node), "type")
        elif kind == "import_spec":
            alias = node_text(node.child_by_field_name("name"))
            if alias:
                if alias == ".":
                    scope.open = True
                elif alias != "_":
                    emit(alias, "import")
                return
            path = node_text(node.child_by_field_name("path")).strip('"`')
            last = path.rsplit("/", 1)[-1]
            if re.fullmatch(r"v\d+", last) and "/" in path:
                last = path.rsplit("/", 2)[-2]
            last = re.sub(r"^go-|[.-]v\d+$|\.go$", "", last).replace("-", "_")
            emit(last, "module")

    def members(self, klass: Node, names: ClassLookup) -> Members | None:
        owner = node_name(klass)
        found: dict[str, Binding] = {}
        open_ = True  # methods may be declared in any file of the package
        struct = klass.child_by_field_name("type")
        if struct is not None and struct.type == "struct_type":
            for field in walk(struct):
                if field.type == "field_declaration":
                    named = field.children_by_field_name("name")
                    for name in named:
                        found.setdefault(node_text(name), Binding(node_text(name), "field", owner))
        root = klass
        while root.parent is not None:
            root = root.parent
        for child in root.named_children:
            if child.type == "method_declaration" and _go_receiver_type(child) == owner:
                found.setdefault(node_name(child), Binding(node_name(child), "method", owner))
        return Members(owner, found, open_)

    def receiver(self, function: Node, scopes: list[Scope]) -> tuple[frozenset[str], Node | None]:
        name = node_name(function)
        if function.type != "method_declaration":
            return (frozenset({name}) if name else frozenset()), None
        receiver = function.child_by_field_name("receiver")
        names = [
            node_text(n)
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
                    if spec.type == "type_spec" and node_name(spec) == type_name:
                        klass = spec
        return frozenset(f"{n}.{name}" for n in names), klass


def _go_receiver_type(method: Node) -> str:
    receiver = method.child_by_field_name("receiver")
    for parameter in receiver.named_children if receiver is not None else []:
        kind = parameter.child_by_field_name("type")
        while kind is not None and kind.type in ("pointer_type", "generic_type"):
            kind = kind.named_children[0] if kind.named_children else None
        if kind is not None:
            return node_text(kind)
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


class _Rust(ScopeRules):
    def scope(self, node: Node) -> str | None:
        if node.type in ("function_item", "closure_expression"):
            return "function"
        if node.type in ("impl_item", "trait_item"):
            return "impl"
        if node.type == "mod_item" and node.child_by_field_name("body") is not None:
            return "module"
        return None

    def own(self, node: Node, emit: Emit, parent: Scope) -> None:
        if node.type == "function_item" and parent.kind != "impl":
            emit(node_name(node), "function")
        elif node.type in ("trait_item", "mod_item"):
            emit(node_name(node), _RUST_ITEMS[node.type])

    def params(self, node: Node, emit: Emit) -> None:
        parameters = node.child_by_field_name("parameters")
        for child in parameters.named_children if parameters is not None else []:
            if child.type == "self_parameter":
                emit("self", "parameter")
                continue
            target = child.child_by_field_name("pattern") if child.type == "parameter" else child
            for found in _identifiers(target, _RUST_IDS, _RUST_STOP | {"type"}):
                emit(node_text(found), "parameter")

    def body(self, node: Node) -> list[Node]:
        body = node.child_by_field_name("body")
        return [body] if body is not None else []

    def _pattern(self, node: Node | None, emit: Emit) -> None:
        for found in _identifiers(node, _RUST_IDS, _RUST_STOP):
            parent = found.parent
            if parent is not None and parent.child_by_field_name("type") == found:
                continue  # ``Some`` in ``Some(v)``
            emit(node_text(found), "variable")

    def bind(self, node: Node, emit: Emit, scope: Scope) -> None:
        kind = node.type
        if kind in ("let_declaration", "let_condition", "for_expression"):
            self._pattern(node.child_by_field_name("pattern"), emit)
        elif kind == "match_pattern":
            self._pattern(node, emit)
        elif kind in _RUST_ITEMS and kind not in ("trait_item", "mod_item"):
            emit(node_name(node), _RUST_ITEMS[kind])
        elif kind == "extern_crate_declaration":
            emit(
                node_text(node.child_by_field_name("alias") or node.child_by_field_name("name")),
                "module",
            )
        elif kind == "use_declaration":
            self._use(node.child_by_field_name("argument"), emit, scope, "")

    def _use(self, node: Node | None, emit: Emit, scope: Scope, parent: str) -> None:
        if node is None:
            return
        if node.type in ("identifier", "crate", "super"):
            emit(node_text(node), "import")
        elif node.type == "self":
            if parent:
                emit(parent, "import")
        elif node.type == "scoped_identifier":
            emit(node_text(node.child_by_field_name("name")), "import")
        elif node.type == "use_as_clause":
            emit(node_text(node.child_by_field_name("alias")), "import")
        elif node.type == "use_wildcard":
            scope.open = True
        elif node.type == "scoped_use_list":
            path = node.child_by_field_name("path")
            last = node_text(
                path.child_by_field_name("name")
                if path is not None and path.type == "scoped_identifier"
                else path
            )
            self._use(node.child_by_field_name("list"), emit, scope, last)
        elif node.type == "use_list":
            for child in node.named_children:
                self._use(child, emit, scope, parent)

    def members(self, klass: Node, names: ClassLookup) -> Members | None:
        owner = _rust_type(klass) if klass.type == "impl_item" else node_name(klass)
        found: dict[str, Binding] = {}
        root = klass
        while root.parent is not None:
            root = root.parent
        for node in walk(root):
            if node.type == "struct_item" and node_name(node) == owner:
                body = node.child_by_field_name("body")
                for field in body.named_children if body is not None else []:
                    if field.type == "field_declaration":
                        name = node_name(field)
                        found.setdefault(name, Binding(name, "field", owner))
            elif node.type == "impl_item" and _rust_type(node) == owner:
                body = node.child_by_field_name("body")
                for item in body.named_children if body is not None else []:
                    if item.type in ("function_item", "const_item"):
                        found.setdefault(node_name(item), Binding(node_name(item), "method", owner))
        # Traits bring methods from anywhere.
        return Members(owner, found, True)

    def receiver(self, function: Node, scopes: list[Scope]) -> tuple[frozenset[str], Node | None]:
        name = node_name(function)
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
    return node_text(kind)


RULES: dict[str, ScopeRules] = {
    "python": _Python(),
    "javascript": _JavaScript(),
    "typescript": _JavaScript(),
    "typescriptreact": _JavaScript(),
    "go": _Go(),
    "rust": _Rust(),
}
CALLS = frozenset({"call", "call_expression"})


def walk(node: Node | None) -> Iterator[Node]:
    if node is None:
        return
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))
