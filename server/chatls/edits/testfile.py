"""Write tests' reply as a test file that can run: checked (it parses, holds tests in the
framework's own form that refer to the code under test, and does not define that code again),
with the imports that reach the code under test taken from the project's layout rather than
from the model (which guesses them), and the standard test library imports its tests use.

One function per language assembles the file; each returns the text to write (the whole new
file, or the tests to append) and the import lines an existing file lacks.
"""

from __future__ import annotations

import re
import sys

import attrs

from chatls.errors import ReplyError
from chatls.source.languages import LanguageSpec
from chatls.source.syntax import Syntax
from chatls.source.testcode import (
    Imported,
    defined,
    free_names,
    go_header,
    imports_in,
    parses,
    qualifiers,
    rust_test_module,
    sys_path_changes,
    tests_in,
)

LABELS = {
    "pytest": "pytest",
    "unittest": "unittest",
    "vitest": "Vitest",
    "jest": "Jest",
    "node": "Node's test runner (node:test)",
    "go": "Go's testing package",
    "rust": "Rust's built-in test harness (#[test])",
}
"""How the prompt and the messages name each framework."""
FORMS = {
    "pytest": "`def test_...` functions or `class Test...`",
    "unittest": "`unittest.TestCase` classes with `test_...` methods",
    "vitest": "`test(...)` or `it(...)` calls",
    "jest": "`test(...)` or `it(...)` calls",
    "node": "`test(...)` or `it(...)` calls",
    "go": "`func TestXxx(t *testing.T)` functions",
    "rust": "`#[test]` functions",
}
_MOCK_NAMES = frozenset(
    {
        "Mock",
        "MagicMock",
        "AsyncMock",
        "NonCallableMock",
        "PropertyMock",
        "patch",
        "call",
        "ANY",
        "sentinel",
        "DEFAULT",
        "create_autospec",
        "mock_open",
        "seal",
    }
)
_VITEST_NAMES = (
    "afterAll",
    "afterEach",
    "beforeAll",
    "beforeEach",
    "describe",
    "expect",
    "it",
    "suite",
    "test",
    "vi",
)
_NODE_TEST_NAMES = (
    "after",
    "afterEach",
    "before",
    "beforeEach",
    "describe",
    "it",
    "mock",
    "suite",
    "test",
)
_FOREIGN = {
    "node": ("expect", "jest", "vi"),
    "vitest": ("jest",),
    "jest": ("vi",),
}
"""Other frameworks' globals: tests that use them cannot run under this framework."""
GO_STANDARD = {
    name.rsplit("/", 1)[-1]: name
    for name in (
        "testing",
        "reflect",
        "strings",
        "fmt",
        "errors",
        "math",
        "bytes",
        "sort",
        "strconv",
        "time",
        "os",
        "io",
        "unicode",
        "unicode/utf8",
        "unicode/utf16",
        "regexp",
        "sync",
        "context",
        "math/rand",
        "math/big",
        "math/bits",
        "slices",
        "maps",
        "cmp",
        "encoding/json",
        "path",
        "path/filepath",
        "bufio",
        "io/fs",
        "net/url",
        "testing/quick",
    )
}


@attrs.frozen
class TestTarget:
    """The code under test as the test file must reach it."""

    __test__ = False  # not a pytest test class, whatever its name

    framework: str
    names: frozenset[str]
    """A test must mention one of these (the function, the method)."""
    own: frozenset[str]
    """What the answer must not define again (the function, the class; Go ``Type.Method``)."""
    module: str = ""
    """Python: the dotted module; JavaScript: the import specifier; Go: the package name."""
    stem: str = ""
    """The source file's name without extension (to recognise the model's own imports)."""
    provides: frozenset[str] = frozenset()
    """Python: the module's top-level names; JavaScript: its named exports."""
    default_export: str | None = None
    has_default: bool = False
    module_system: str = "esm"
    """JavaScript: the test file's syntax, ``esm`` (``import``) or ``cjs`` (``require``)."""
    globals: bool = False
    """JavaScript: the framework's functions are globals (Jest; Vitest with ``globals``)."""


@attrs.frozen
class WrittenTests:
    text: str
    """The new file, or (appending) the tests to add at the end of the existing one."""
    imports: tuple[str, ...] = ()
    """Appending: import lines the existing file lacks, to go after its own imports."""
    tests: tuple[str, ...] = ()
    """The tests as their runner names them."""
    module: str = ""
    """Rust: the test module's name."""


def write_tests(
    reply: str, spec: LanguageSpec, target: TestTarget, existing: str | None
) -> WrittenTests:
    """The test file (or, with ``existing``, what to append to it) from the model's code;
    raises ``ReplyError`` with the one reason when the answer cannot be written."""
    syntax = Syntax(reply, spec)
    found, line = parses(syntax)
    if not found:
        where = f" (line {line + 1})" if line is not None else ""
        raise ReplyError(
            f"The model's tests are not valid {spec.name}{where}; nothing was written."
        )
    tests = tests_in(syntax, target.framework)
    again = sorted(defined(syntax, tests) & target.own)
    if again:
        name = again[0]
        if not tests:
            raise ReplyError(
                f"The model answered with `{name}` itself rather than tests for it; nothing "
                "was written."
            )
        raise ReplyError(
            f"The model's tests define their own `{name}` instead of testing yours; nothing "
            "was written."
        )
    label = LABELS.get(target.framework, target.framework)
    if not tests:
        raise ReplyError(
            f"The model's answer holds no {label} tests ({FORMS[target.framework]}); nothing "
            "was written."
        )
    if not any(test.uses & target.names for test in tests):
        names = ", ".join(f"`{n}`" for n in sorted(target.names))
        raise ReplyError(f"None of the model's tests uses {names}; nothing was written.")
    if target.framework in ("pytest", "unittest"):
        written = _python(syntax, target, existing)
    elif target.framework in ("vitest", "jest", "node"):
        written = _javascript(syntax, target, existing)
    elif target.framework == "go":
        written = _go(syntax, target, existing)
    else:
        written = _rust(syntax, target, existing)
    written = attrs.evolve(written, tests=tuple(t.name for t in tests))
    check = written.text if existing is None else "\n".join([*written.imports, written.text])
    if not parses(Syntax(check, spec))[0]:
        raise ReplyError(
            "chatls could not add the imports the model's tests need without breaking them; "
            "nothing was written."
        )
    return written


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without the whole lines of ``spans`` (just the span when a line holds more)."""
    out: list[str] = []
    at = 0
    for start, end in sorted(spans):
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip():
            line_start = start
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end + 1
        if text[end:line_end].strip():
            line_end = end
        out.append(text[at:line_start])
        at = max(at, line_end)
    out.append(text[at:])
    return "".join(out)


def _body(text: str) -> str:
    return re.sub(r"^\s*\n", "", text).rstrip() + "\n"


def _python(syntax: Syntax, target: TestTarget, existing: str | None) -> WrittenTests:
    text = syntax.text
    module = target.module
    removed: list[tuple[int, int]] = []
    kept: list[str] = []
    requested: dict[str, str] = {}
    aliases: list[str] = []
    docstring = syntax.module_docstring()
    for item in imports_in(syntax):
        removed.append((item.start, item.end))
        statement = text[item.start : item.end]
        if _is_own_python(item, target):
            if item.kind == "from":
                for imported, local in item.names:
                    if imported == "*":
                        requested.update({n: n for n in target.provides})
                    elif imported in target.provides:
                        requested[local] = imported
            else:
                aliases.extend(local for _, local in item.names)
            continue
        if item.kind == "from" and item.source == "__future__":
            kept.insert(0, statement)
        else:
            kept.append(statement)
    removed += sys_path_changes(syntax)
    if docstring is not None:
        removed.append((docstring.start, docstring.end))
    body = _cut(text, removed)
    import_lines = [line for line in kept if not line.startswith("from __future__")]
    free = free_names(Syntax("\n".join([*import_lines, body]), syntax.spec))
    existing_names: set[str] = set()
    existing_lines: set[str] = set()
    if existing is not None:
        previous = Syntax(existing, syntax.spec)
        existing_names = _python_bound(previous)
        existing_lines = {" ".join(line.split()) for line in existing.splitlines()}
    free -= existing_names
    standard: list[str] = []
    for name in sorted(free):
        if name in requested or name in existing_names:
            continue
        if name in target.provides:
            requested[name] = name
        elif name in ("pytest", "unittest"):
            standard.append(f"import {name}")
        elif name == "mock":
            standard.append("from unittest import mock")
        elif name in sys.stdlib_module_names and not name.startswith("_"):
            standard.append(f"import {name}")
    mocks = sorted(free & _MOCK_NAMES - existing_names)
    if mocks:
        standard.append(f"from unittest.mock import {', '.join(mocks)}")
    kept = [line for line in kept if _python_line_used(line, body, kept)]
    project: list[str] = []
    names = sorted(
        f"{imported} as {local}" if imported != local else local
        for local, imported in requested.items()
    )
    if names:
        project.append(f"from {module} import {', '.join(names)}")
    for alias in aliases:
        project.append(f"import {module} as {alias}" if alias != module else f"import {module}")
    lines = sorted(dict.fromkeys([*kept, *standard]), key=_python_import_order)
    if existing is not None:
        new = [line for line in [*lines, *project] if " ".join(line.split()) not in existing_lines]
        return WrittenTests(_body(body), tuple(new))
    head = ""
    if docstring is not None:
        head = text[docstring.start : docstring.end] + "\n\n"
    future = [line for line in lines if line.startswith("from __future__")]
    rest = [line for line in lines if line not in future]
    groups = [group for group in (future, rest, project) if group]
    header = "\n\n".join("\n".join(group) for group in groups)
    return WrittenTests(head + header + ("\n\n\n" if header else "") + _body(body))


def _python_import_order(line: str) -> tuple[bool, bool, str]:
    """``from __future__`` first, then ``import x`` lines before ``from x import`` lines, each
    by module (as isort's default profile has them)."""
    words = line.split()
    return (
        not line.startswith("from __future__"),
        words[0] == "from",
        words[1].lower() if len(words) > 1 else "",
    )


def _python_line_used(line: str, body: str, kept: list[str]) -> bool:
    """``import sys``/``import os`` that only served a ``sys.path`` change go with it."""
    match = re.fullmatch(r"import (sys|os)", line.strip())
    if match is None:
        return True
    name = match.group(1)
    return bool(re.search(rf"\b{name}\b", body)) or any(
        re.search(rf"\b{name}\b", other) for other in kept if other != line
    )


def _python_bound(syntax: Syntax) -> set[str]:
    from chatls.source.testcode import python_top_level

    names = python_top_level(syntax)
    for item in imports_in(syntax):
        names.update(local for _, local in item.names if local != "*")
    return names


def _is_own_python(item: Imported, target: TestTarget) -> bool:
    """Whether an import is the model's go at importing the code under test."""
    source = item.source.lstrip(".")
    last = source.rsplit(".", 1)[-1]
    if item.kind == "import":
        return any(
            imported.rsplit(".", 1)[-1] == target.stem or imported == target.module
            for imported, _ in item.names
        )
    if source == target.module or last == target.stem or item.source.startswith("."):
        return True
    names = {imported for imported, _ in item.names}
    return bool(names & target.own) and names <= target.provides


def _relative_to_module(source: str, target: TestTarget) -> bool:
    if not source.startswith("."):
        return False
    base = source.rsplit("/", 1)[-1]
    base = re.sub(r"\.(m|c)?[jt]sx?$", "", base)
    return source == target.module or base == target.stem


def _javascript(syntax: Syntax, target: TestTarget, existing: str | None) -> WrittenTests:
    text = syntax.text
    framework = target.framework
    esm = target.module_system == "esm" or framework == "vitest"
    removed: list[tuple[int, int]] = []
    kept: list[str] = []
    defaults: list[str] = []
    named: dict[str, str] = {}
    namespaces: list[str] = []
    framework_sources = {
        "vitest",
        "@jest/globals",
        "node:test",
        "test",
        "node:assert",
        "node:assert/strict",
        "assert",
        "assert/strict",
        "@vitest/expect",
    }
    for item in imports_in(syntax):
        removed.append((item.start, item.end))
        if _relative_to_module(item.source, target):
            for imported, local in item.names:
                if imported == "default":
                    defaults.append(local)
                elif imported == "*":
                    namespaces.append(local)
                else:
                    named[local] = imported
            continue
        if item.source in framework_sources:
            continue
        if item.kind == "require" and not item.names:
            kept.append(f"import '{item.source}';" if esm else f"require('{item.source}');")
            continue
        kept.append(_js_import_line(item.source, item.names, esm))
    body = _cut(text, sorted(set(removed)))
    free = free_names(Syntax(body, syntax.spec))
    if existing is not None:
        previous = Syntax(existing, syntax.spec)
        bound = {local for item in imports_in(previous) for _, local in item.names}
        bound |= defined(previous, [])
        free -= bound
    else:
        bound = set()
    foreign = [name for name in _FOREIGN.get(framework, ()) if name in free]
    if framework == "vitest" and target.globals:
        foreign = [name for name in foreign if name not in _VITEST_NAMES]
    if foreign:
        raise ReplyError(
            f"The model's tests use `{foreign[0]}`, which {LABELS[framework]} does not "
            "provide; nothing was written."
        )
    lines: list[str] = []
    if framework == "vitest" and not target.globals:
        wanted = [name for name in _VITEST_NAMES if name in free]
        if wanted:
            lines.append(f"import {{ {', '.join(wanted)} }} from 'vitest';")
    elif framework == "node":
        wanted = [name for name in _NODE_TEST_NAMES if name in free]
        if wanted:
            lines.append(_js_import_line("node:test", tuple((n, n) for n in wanted), esm))
        if "assert" in free:
            lines.append(
                _js_import_line(
                    "node:assert/strict", (("*" if not esm else "default", "assert"),), esm
                )
            )
    lines += kept
    # The code under test, as its module exports it.
    bindings: list[tuple[str, str]] = []
    for local in defaults:
        if target.has_default:
            bindings.append(("default", local))
        elif local in target.provides:
            bindings.append((local, local))
        else:
            bindings.append(("*", local))
    for local, imported in named.items():
        if imported in target.provides:
            bindings.append((imported, local))
        elif target.has_default and imported == target.default_export:
            bindings.append(("default", local))
        else:
            bindings.append((imported, local))
    bindings += [("*", local) for local in namespaces]
    have = {local for _, local in bindings}
    for name in sorted(free - have - bound):
        if name in target.provides:
            bindings.append((name, name))
        elif target.has_default and name == target.default_export:
            bindings.append(("default", name))
    if bindings:
        lines += _js_module_lines(target.module, bindings, esm, target)
    lines = list(dict.fromkeys(lines))
    if existing is not None:
        present = {" ".join(line.split()) for line in existing.splitlines()}
        new = tuple(line for line in lines if " ".join(line.split()) not in present)
        return WrittenTests(_body(body), new)
    header = "\n".join(lines)
    return WrittenTests(header + ("\n\n" if header else "") + _body(body))


def _js_import_line(source: str, names: tuple[tuple[str, str], ...], esm: bool) -> str:
    default = [local for imported, local in names if imported == "default"]
    namespace = [local for imported, local in names if imported == "*"]
    named = [(imported, local) for imported, local in names if imported not in ("default", "*")]
    if esm:
        parts = []
        if default:
            parts.append(default[0])
        if namespace:
            parts.append(f"* as {namespace[0]}")
        if named:
            parts.append(
                "{ "
                + ", ".join(i if i == local else f"{i} as {local}" for i, local in named)
                + " }"
            )
        if not parts:
            return f"import '{source}';"
        return f"import {', '.join(parts)} from '{source}';"
    if named:
        inner = ", ".join(i if i == local else f"{i}: {local}" for i, local in named)
        return f"const {{ {inner} }} = require('{source}');"
    local = (default or namespace or [""])[0]
    if not local:
        return f"require('{source}');"
    return f"const {local} = require('{source}');"


def _js_module_lines(
    source: str, bindings: list[tuple[str, str]], esm: bool, target: TestTarget
) -> list[str]:
    default = [local for imported, local in bindings if imported == "default"]
    namespace = [local for imported, local in bindings if imported == "*"]
    named = [(i, local) for i, local in bindings if i not in ("default", "*")]
    lines = []
    if esm:
        parts = []
        if default:
            parts.append(default[0])
        if named:
            parts.append(
                "{ "
                + ", ".join(
                    i if i == local else f"{i} as {local}" for i, local in sorted(set(named))
                )
                + " }"
            )
        if parts:
            lines.append(f"import {', '.join(parts)} from '{source}';")
        lines += [f"import * as {local} from '{source}';" for local in namespace]
        return lines
    # CommonJS: a default export is the whole of ``module.exports``.
    for local in [*default, *namespace]:
        lines.append(f"const {local} = require('{source}');")
    if named:
        inner = ", ".join(i if i == local else f"{i}: {local}" for i, local in sorted(set(named)))
        lines.append(f"const {{ {inner} }} = require('{source}');")
    return lines


def _go(syntax: Syntax, target: TestTarget, existing: str | None) -> WrittenTests:
    text = syntax.text
    package = target.module
    removed = go_header(syntax)
    paths: dict[str, str] = {}
    own_locals: set[str] = set()
    for item in imports_in(syntax):
        for path, local in item.names:
            if local == package or path.rstrip("/").endswith("/" + package) or path == package:
                own_locals.add(local)
            else:
                paths[local] = path
    # An external test package (``package calc_test``) reaches the code as ``calc.Add``: the
    # same package reaches it as ``Add``.
    qualified = qualifiers(syntax, own_locals)
    for start, end in sorted(qualified, reverse=True):
        text = text[:start] + text[end:]
        removed = [
            (s - (end - start) if s >= end else s, e - (end - start) if e >= end else e)
            for s, e in removed
        ]
    body = _cut(text, removed)
    free = free_names(Syntax(f"package {package}\n" + body, syntax.spec))
    have: set[str] = set()
    if existing is not None:
        have = {
            path for item in imports_in(Syntax(existing, syntax.spec)) for path, _ in item.names
        }
    specs: list[str] = []
    for name in sorted(free):
        wanted = paths.get(name) or GO_STANDARD.get(name)
        if wanted is None or wanted in have:
            continue
        alias = f"{name} " if name in paths and _go_default_name(wanted) != name else ""
        specs.append(f'{alias}"{wanted}"')
    if existing is not None:
        return WrittenTests(_body(body), tuple(f"import {spec}" for spec in specs))
    if not specs:
        imports = ""
    elif len(specs) == 1:
        imports = f"import {specs[0]}\n\n"
    else:
        imports = "import (\n" + "".join(f"\t{spec}\n" for spec in specs) + ")\n\n"
    return WrittenTests(f"package {package}\n\n{imports}{_body(body)}")


def _go_default_name(path: str) -> str:
    from chatls.source.testcode import go_package_name

    return go_package_name(path)


def _rust(syntax: Syntax, target: TestTarget, existing: str | None) -> WrittenTests:
    """A ``#[cfg(test)]`` module (new) or the test functions to add to the file's own."""
    text = syntax.text
    module = rust_test_module(syntax)
    name = "tests"
    if module is not None:
        items = text[module.inner_start : module.inner_end]
        name = module.name
    else:
        items = re.sub(r"^\s*#\[cfg\(test\)\]\s*$", "", text, flags=re.MULTILINE)
    items = re.sub(r"^[ \t]*use\s+super::\*;[ \t]*\n?", "", items, flags=re.MULTILINE)
    items = _dedent(items).strip("\n")
    if existing is not None:
        present = rust_test_module(Syntax(existing, syntax.spec))
        if present is None:
            return WrittenTests(items + "\n", module=name)
        imports = () if present.glob else ("use super::*;",)
        return WrittenTests(items + "\n", imports, module=present.name)
    body = "\n".join(("    " + line) if line.strip() else "" for line in items.split("\n"))
    return WrittenTests(
        f"#[cfg(test)]\nmod {name} {{\n    use super::*;\n\n{body}\n}}\n", module=name
    )


def _dedent(text: str) -> str:
    lines = text.split("\n")
    widths = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(line[cut:] if line.strip() else "" for line in lines)


def appended(
    current: str, spec: LanguageSpec, addition: str, imports: tuple[str, ...]
) -> list[tuple[int, int, str]]:
    """Offset edits that add ``addition`` at the end of ``current`` and the ``imports`` it
    lacks after its own (Rust: ``use super::*;`` at the start of its test module)."""
    eol = "\r\n" if "\r\n" in current else "\n"
    present = {" ".join(line.split()) for line in current.splitlines()}
    missing = [line for line in imports if " ".join(line.split()) not in present]
    edits: list[tuple[int, int, str]] = []
    if missing:
        syntax = Syntax(current, spec)
        if spec.id == "rust":
            module = rust_test_module(syntax)
            at = module.inner_start if module is not None else 0
            line_end = current.find("\n", at)
            at = len(current) if line_end < 0 else line_end + 1
            edits.append((at, at, "".join(f"    {line}{eol}" for line in missing)))
        else:
            spans = syntax.header_spans()
            if spans:
                at = current.find("\n", spans[-1].end)
                at = len(current) if at < 0 else at + 1
            else:
                at = _after_preamble(current, syntax)
            edits.append((at, at, "".join(line + eol for line in missing)))
    lead = "" if not current else (eol if current.endswith(("\n", "\r")) else eol + eol)
    if spec.id == "python" and current.strip():
        lead = (eol if current.endswith("\n") else eol + eol) + eol
    edits.append((len(current), len(current), lead + addition.replace("\n", eol)))
    return edits


def _after_preamble(text: str, syntax: Syntax) -> int:
    """Where imports go in a file that has none: after a module docstring or leading comments."""
    docstring = syntax.module_docstring()
    if docstring is not None:
        end = text.find("\n", docstring.end)
        return len(text) if end < 0 else end + 1
    at = 0
    for line in text.splitlines(keepends=True):
        if line.startswith(("#!", "# -*-", "//", "/*", " *")):
            at += len(line)
        else:
            break
    return at


def rust_append(source: str, items: str, spec: LanguageSpec) -> tuple[int, str] | None:
    """Where and what to insert to add ``items`` at the end of the file's test module (None
    when it has none)."""
    module = rust_test_module(Syntax(source, spec))
    if module is None:
        return None
    eol = "\r\n" if "\r\n" in source else "\n"
    body = "\n".join(("    " + line if line.strip() else "") for line in items.rstrip().split("\n"))
    insert = eol + body.replace("\n", eol) + eol
    close = source.rfind("\n", 0, module.inner_end) + 1
    if source[close : module.inner_end].strip() or close <= module.inner_start:
        # The closing brace shares its line with code: the items go just before it.
        return module.inner_end, insert
    return close, insert
