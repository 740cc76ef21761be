"""Where a project keeps its tests and how they reach its code, read from the project's own
files: the framework (pytest or unittest, Vitest, Jest or Node's test runner, Go's testing,
Rust's test harness), the test file, and the import of the code under test (Python package
roots from ``pyproject.toml``/``setup.cfg``/a ``src/`` layout; a relative import in the
module's export style; the same Go package; ``use super::*;``)."""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import re
import tomllib
from typing import Any

import attrs

from chatls.edits.testfile import TestTarget
from chatls.errors import InvalidRequestError
from chatls.source.code import Code
from chatls.source.syntax import Span
from chatls.source.testcode import exports_of, function_values, go_package, python_top_level

_PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
_JS_LANGUAGES = ("javascript", "typescript", "typescriptreact", "javascriptreact")


@attrs.frozen
class TestPlacement:
    framework: str
    """``pytest``, ``unittest``, ``vitest``, ``jest``, ``node``, ``go`` or ``rust``."""
    path: str | None
    """The test file (None: inside the source file, Rust)."""
    project: str
    """The project's root: where its runner runs."""
    module: str = ""
    """How tests reach the code: Python's dotted module, a JavaScript import specifier."""
    module_system: str = "esm"
    globals: bool = False


def read(path: str, limit: int = 200_000) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(limit)
    except (OSError, UnicodeDecodeError):
        return ""


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([os.path.abspath(path), os.path.abspath(folder)]) == (
            os.path.abspath(folder)
        )
    except ValueError:
        return False


def _upwards(directory: str, root: str) -> list[str]:
    """``directory`` and its parents up to ``root`` (or the file system's root when
    ``directory`` is outside it)."""
    folders = []
    folder = os.path.abspath(directory)
    stop = os.path.abspath(root) if _inside(directory, root) else None
    while True:
        folders.append(folder)
        if folder == stop or os.path.dirname(folder) == folder:
            return folders
        folder = os.path.dirname(folder)


def _toml(path: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(read(path))
    except (tomllib.TOMLDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _ini(path: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    with contextlib.suppress(configparser.Error):
        parser.read_string(read(path))
    return parser


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _pytest_option(project: str, key: str) -> list[str]:
    """A pytest ini option (``testpaths``, ``pythonpath``) from the project's config files."""
    value = _get(
        _toml(os.path.join(project, "pyproject.toml")), "tool", "pytest", "ini_options", key
    )
    if value is not None:
        return _strings(value)
    for name, section in (
        ("pytest.ini", "pytest"),
        ("tox.ini", "pytest"),
        ("setup.cfg", "tool:pytest"),
    ):
        parser = _ini(os.path.join(project, name))
        if parser.has_option(section, key):
            return parser.get(section, key).split()
    return []


def python_project(path: str, root: str) -> str | None:
    """The nearest folder above ``path`` (up to the workspace root) that is a Python project:
    it holds ``pyproject.toml``, ``setup.cfg`` or ``setup.py``."""
    for folder in _upwards(os.path.dirname(path), root):
        if any(os.path.isfile(os.path.join(folder, name)) for name in _PROJECT_FILES):
            return folder
    return None


def package_roots(project: str) -> list[str]:
    """The folders a project's imports start from: what its packaging config names
    (setuptools ``where``/``package-dir``, Poetry's ``from``, Hatch's packages, setup.cfg's
    ``package_dir``), pytest's ``pythonpath``, ``src/``, and the project itself."""
    pyproject = _toml(os.path.join(project, "pyproject.toml"))
    found: list[str] = []
    found += _strings(_get(pyproject, "tool", "setuptools", "packages", "find", "where"))
    package_dir = _get(pyproject, "tool", "setuptools", "package-dir")
    if isinstance(package_dir, dict) and isinstance(package_dir.get(""), str):
        found.append(package_dir[""])
    for package in _get(pyproject, "tool", "poetry", "packages") or []:
        if isinstance(package, dict) and isinstance(package.get("from"), str):
            found.append(package["from"])
    for package in _strings(
        _get(pyproject, "tool", "hatch", "build", "targets", "wheel", "packages")
    ):
        found.append(os.path.dirname(package.rstrip("/")))
    setup_cfg = _ini(os.path.join(project, "setup.cfg"))
    if setup_cfg.has_option("options", "package_dir"):
        for line in setup_cfg.get("options", "package_dir").splitlines():
            key, _, value = line.partition("=")
            if not key.strip() and value.strip():
                found.append(value.strip())
    if setup_cfg.has_option("options.packages.find", "where"):
        found.append(setup_cfg.get("options.packages.find", "where").strip())
    found += _pytest_option(project, "pythonpath")
    found.append("src")
    roots = []
    for entry in found:
        folder = os.path.normpath(os.path.join(project, entry))
        if os.path.isdir(folder) and folder not in roots:
            roots.append(folder)
    roots.append(os.path.abspath(project))
    return roots


def python_module(path: str, roots: list[str]) -> str | None:
    """``path``'s dotted module name from the first package root holding it."""
    for root in roots:
        if _inside(path, root) and os.path.abspath(path) != os.path.abspath(root):
            relative = os.path.relpath(os.path.splitext(path)[0], root)
            parts = relative.split(os.sep)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts and all(part.isidentifier() for part in parts):
                return ".".join(parts)
    return None


def _python_framework(project: str, tests: str | None) -> str:
    for name in ("pytest.ini", "conftest.py"):
        if os.path.exists(os.path.join(project, name)):
            return "pytest"
    for name in ("pyproject.toml", "setup.cfg", "tox.ini"):
        if "pytest" in read(os.path.join(project, name)):
            return "pytest"
    if tests is not None and os.path.isdir(tests):
        for name in sorted(os.listdir(tests))[:50]:
            if name.startswith("test") and name.endswith(".py"):
                text = read(os.path.join(tests, name), 4000)
                if "import pytest" in text:
                    return "pytest"
                if "import unittest" in text or "unittest.TestCase" in text:
                    return "unittest"
    return "pytest"


def _python_placement(code: Code, path: str, root: str) -> TestPlacement:
    directory, base = os.path.split(path)
    stem = os.path.splitext(base)[0]
    project = python_project(path, root)
    top = project or (root if _inside(path, root) else directory)
    src = os.path.join(top, "src")
    src_layout = _inside(path, src)
    tests: str | None = None
    for entry in _pytest_option(top, "testpaths"):
        candidate = os.path.normpath(os.path.join(top, entry))
        if os.path.isdir(candidate):
            tests = candidate
            break
    if tests is None:
        for name in ("tests", "test"):
            if os.path.isdir(os.path.join(top, name)):
                tests = os.path.join(top, name)
                break
    if tests is None and (project is not None or src_layout):
        tests = os.path.join(top, "tests")
    roots = package_roots(top) if tests is not None else []
    module = python_module(path, roots) if tests is not None else None
    folder = tests if tests is not None and module is not None else directory
    if module is None:
        # A loose script: its tests sit beside it and import it by name.
        module = stem
        top = directory if project is None else top
    name = f"test_{stem}.py"
    candidate = os.path.join(folder, name)
    if folder != directory and _tests_another_module(candidate, module, stem):
        parent = module.rsplit(".", 2)[-2] if "." in module else "module"
        name = f"test_{parent}_{stem}.py"
    return TestPlacement(_python_framework(top, tests), os.path.join(folder, name), top, module)


def _tests_another_module(path: str, module: str, stem: str) -> bool:
    """Whether an existing test file of this name tests a namesake module elsewhere."""
    text = read(path, 20_000)
    if not text:
        return False
    imports = re.findall(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", text, re.MULTILINE)
    modules = {a or b for a, b in imports}
    namesakes = {m for m in modules if m.rsplit(".", 1)[-1] == stem}
    return bool(namesakes) and module not in namesakes


def _package_json(directory: str, root: str) -> tuple[str, dict[str, Any]]:
    for folder in _upwards(directory, root):
        text = read(os.path.join(folder, "package.json"))
        if text:
            try:
                data = json.loads(text)
            except ValueError:
                data = {}
            return folder, data if isinstance(data, dict) else {}
    return directory, {}


def _config_files(folder: str, stem: str) -> list[str]:
    return [
        os.path.join(folder, f"{stem}.config.{ext}")
        for ext in ("ts", "mts", "cts", "js", "mjs", "cjs")
        if os.path.isfile(os.path.join(folder, f"{stem}.config.{ext}"))
    ]


def _js_placement(code: Code, path: str, root: str) -> TestPlacement:
    directory, base = os.path.split(path)
    stem, extension = os.path.splitext(base)
    package_root, package = _package_json(directory, root)
    names: set[str] = set()
    for key in ("dependencies", "devDependencies"):
        section = package.get(key)
        if isinstance(section, dict):
            names |= set(section)
    scripts = package.get("scripts")
    test_script = str(scripts.get("test", "")) if isinstance(scripts, dict) else ""
    vitest_configs = _config_files(package_root, "vitest") + _config_files(package_root, "vite")
    globals_ = False
    if "vitest" in names or "vitest" in test_script or _config_files(package_root, "vitest"):
        framework = "vitest"
        globals_ = any(re.search(r"globals\s*:\s*true", read(f)) for f in vitest_configs)
    elif (
        {"jest", "ts-jest"} & names
        or "jest" in test_script
        or "jest" in package
        or _config_files(package_root, "jest")
    ):
        framework, globals_ = "jest", True
    else:
        framework = "node"
    if extension in (".ts", ".tsx", ".mts", ".mjs"):
        system = "esm"
    elif extension in (".cts", ".cjs"):
        system = "cjs"
    elif package.get("type") == "module":
        system = "esm"
    else:
        system = "esm" if exports_of(code.syntax).system == "esm" else "cjs"
    specifier = f"./{stem}" if framework != "node" else f"./{base}"
    test_extension = extension
    return TestPlacement(
        framework,
        os.path.join(directory, f"{stem}.test{test_extension}"),
        package_root,
        specifier,
        system,
        globals_,
    )


def _go_project(directory: str, root: str) -> str:
    for folder in _upwards(directory, root):
        if os.path.isfile(os.path.join(folder, "go.mod")):
            return folder
    return directory


def _rust_project(directory: str, root: str) -> str:
    for folder in _upwards(directory, root):
        if os.path.isfile(os.path.join(folder, "Cargo.toml")):
            return folder
    return directory


def placement(code: Code, root: str | None) -> TestPlacement:
    """The framework, the test file and the import for ``code``'s file."""
    path = code.document.path
    if not path:
        raise InvalidRequestError("Write tests needs the file on disk, to put the tests beside it.")
    directory, base = os.path.split(path)
    stem = os.path.splitext(base)[0]
    root = root or directory
    language = code.spec.id
    if language == "python":
        return _python_placement(code, path, root)
    if language in _JS_LANGUAGES:
        return _js_placement(code, path, root)
    if language == "go":
        return TestPlacement(
            "go",
            os.path.join(directory, f"{stem}_test.go"),
            _go_project(directory, root),
            go_package(code.syntax) or stem,
        )
    if language == "rust":
        return TestPlacement("rust", None, _rust_project(directory, root))
    raise InvalidRequestError(
        "Write tests knows the test frameworks of Python, JavaScript/TypeScript, Go and Rust; "
        f"this file is {code.spec.name}."
    )


def _contains(outer: Span, inner: Span) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end and outer != inner


_CLASSES = frozenset(
    {
        "class_definition",
        "class_declaration",
        "class",
        "abstract_class_declaration",
        "struct_item",
        "enum_item",
        "impl_item",
        "trait_item",
    }
)
_FUNCTIONS = frozenset(
    {
        "function_definition",
        "function_declaration",
        "method_definition",
        "function_item",
        "method_declaration",
        "generator_function_declaration",
        "lexical_declaration",
    }
)


def target(code: Code, start: int, end: int, place: TestPlacement) -> TestTarget:
    """What the tests are about (the definitions in the span, or the one around it) and how a
    test file reaches it; refused before asking when a test file cannot reach it."""
    definitions = [d for d in code.syntax.definitions() if d.name]
    definitions += function_values(code.syntax)
    chosen = [d for d in definitions if start <= d.start and d.end <= end]
    chosen = [d for d in chosen if not any(_contains(o, d) for o in chosen)]
    if not chosen:
        around = [d for d in definitions if d.start <= start and end <= d.end]
        if around:
            chosen = [min(around, key=lambda d: d.end - d.start)]
    language = code.spec.id
    stem = os.path.splitext(os.path.basename(code.document.path or ""))[0]
    names: set[str] = set()
    own: set[str] = set()
    imported: set[str] = set()
    for definition in chosen:
        containers = [d for d in definitions if _contains(d, definition)]
        outermost = min(containers, key=lambda d: d.start) if containers else None
        functions = [c for c in containers if c.kind in _FUNCTIONS]
        if functions:
            inside = max(functions, key=lambda d: d.start)
            raise InvalidRequestError(
                f"`{definition.name}` is defined inside `{inside.name}`, where tests cannot "
                f"reach it: write tests for `{inside.name}`."
            )
        names.add(definition.name)
        if outermost is not None:
            own.add(outermost.name)
            imported.add(outermost.name)
        elif language == "go" and definition.kind == "method_declaration":
            receiver = re.match(
                r"func\s*\(\s*\w*\s*\*?\s*(\w+)", code.text[definition.start : definition.end]
            )
            type_name = receiver.group(1) if receiver else ""
            own.add(f"{type_name}.{definition.name}")
        else:
            own.add(definition.name)
            imported.add(definition.name)
    if not names:
        raise InvalidRequestError(
            "Select the function to test: there is no function or class here."
        )
    if language == "python":
        provides = frozenset(python_top_level(code.syntax))
        return TestTarget(
            place.framework, frozenset(names), frozenset(own), place.module, stem, provides
        )
    if language in _JS_LANGUAGES:
        exports = exports_of(code.syntax)
        missing = sorted(n for n in imported if n not in exports.named and n != exports.default)
        if missing:
            name = os.path.basename(code.document.path or "")
            raise InvalidRequestError(
                f"`{missing[0]}` is not exported from {name}, so a test file cannot import it: "
                "export it first."
            )
        return TestTarget(
            place.framework,
            frozenset(names),
            frozenset(own),
            place.module,
            stem,
            exports.named,
            exports.default,
            exports.has_default,
            place.module_system,
            place.globals,
        )
    return TestTarget(place.framework, frozenset(names), frozenset(own), place.module, stem)
