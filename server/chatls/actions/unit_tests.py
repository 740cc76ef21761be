"""Write tests: unit tests for the selected function (or the one around the cursor) in the
project's framework, where its ecosystem puts them: ``test_<name>.py`` (in ``tests/`` when the
project has one), ``<name>.test.ts``, ``<name>_test.go``, a ``#[cfg(test)]`` module at the end
of a Rust file. An existing test file is appended to, never overwritten."""

from __future__ import annotations

import json
import os
import re

import attrs

from chatls.actions.base import ActionRun, PromptCode
from chatls.actions.catalog import ActionResult, NewDocument
from chatls.actions.custom import whole_file
from chatls.config import Settings
from chatls.errors import InvalidRequestError, ReplyError
from chatls.exclude import excluded_by
from chatls.source.code import Code
from chatls.targets.rules import Rule, Target

TARGET = Rule(
    "definition",
    "definition",
    nothing="Select the code to test, or put the cursor in a function.",
    several="region",
)
"""A cursor or a selection in a function means that function; a selection over several, all of
them."""

_EXISTING_SHOWN = 4000
"""Characters of an existing test file shown to the model (its imports and style)."""
_RUST_TESTS = re.compile(r"^#\[cfg\(test\)\]\s*\n\s*mod\s+\w+\s*\{", re.MULTILINE)


@attrs.frozen
class Placement:
    framework: str
    path: str | None
    """The test file (None: inside the source file, Rust)."""
    import_from: str = ""


def _read(path: str, limit: int = 200_000) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(limit)
    except (OSError, UnicodeDecodeError):
        return ""


def _python_framework(root: str, directory: str) -> str:
    for folder in {directory, root}:
        for name in ("pytest.ini", "conftest.py"):
            if os.path.exists(os.path.join(folder, name)):
                return "pytest"
        for name in ("pyproject.toml", "setup.cfg", "tox.ini"):
            if "pytest" in _read(os.path.join(folder, name)):
                return "pytest"
    tests = os.path.join(root, "tests")
    if os.path.isdir(tests):
        for name in sorted(os.listdir(tests))[:50]:
            if name.startswith("test") and name.endswith(".py"):
                text = _read(os.path.join(tests, name), 4000)
                if "import unittest" in text or "unittest.TestCase" in text:
                    return "unittest"
    return "pytest"


def _js_framework(root: str, directory: str) -> str:
    folder = directory
    while True:
        text = _read(os.path.join(folder, "package.json"))
        if text:
            try:
                package = json.loads(text)
            except ValueError:
                package = {}
            names: set[str] = set()
            for key in ("dependencies", "devDependencies"):
                section = package.get(key) if isinstance(package, dict) else None
                if isinstance(section, dict):
                    names |= set(section)
            if "vitest" in names:
                return "Vitest"
            if "jest" in names or "ts-jest" in names:
                return "Jest"
        if os.path.abspath(folder) == os.path.abspath(root) or os.path.dirname(folder) == folder:
            return "Jest"
        folder = os.path.dirname(folder)


_LANGUAGES = (
    "python",
    "javascript",
    "typescript",
    "typescriptreact",
    "javascriptreact",
    "go",
    "rust",
)


def check(code: Code) -> None:
    """Write tests needs a file on disk in a language whose frameworks it knows."""
    if not code.document.path:
        raise InvalidRequestError("Write tests needs the file on disk, to put the tests beside it.")
    if code.spec.id not in _LANGUAGES:
        raise InvalidRequestError(
            "Write tests knows the test frameworks of Python, JavaScript/TypeScript, Go and Rust; "
            f"this file is {code.spec.name}."
        )


def placement(code: Code, root: str | None) -> Placement:
    """The framework and the test file for ``code``'s file."""
    path = code.document.path
    if not path:
        raise InvalidRequestError("Write tests needs the file on disk, to put the tests beside it.")
    directory, base = os.path.split(path)
    stem, extension = os.path.splitext(base)
    root = root or directory
    language = code.spec.id
    if language == "python":
        tests = os.path.join(root, "tests")
        folder = tests if os.path.isdir(tests) else directory
        relative = os.path.relpath(os.path.join(directory, stem), root)
        module = relative.replace(os.sep, ".") if not relative.startswith("..") else stem
        return Placement(
            _python_framework(root, directory), os.path.join(folder, f"test_{stem}.py"), module
        )
    if language in ("javascript", "typescript", "typescriptreact", "javascriptreact"):
        return Placement(
            _js_framework(root, directory),
            os.path.join(directory, f"{stem}.test{extension}"),
            f"./{stem}",
        )
    if language == "go":
        return Placement("Go's testing package", os.path.join(directory, f"{stem}_test.go"))
    if language == "rust":
        return Placement("Rust's built-in test harness (#[test])", None)
    raise InvalidRequestError(
        "Write tests knows the test frameworks of Python, JavaScript/TypeScript, Go and Rust; "
        f"this file is {code.spec.name}."
    )


async def run(action: ActionRun, target: Target) -> ActionResult:
    code = action.code
    place = placement(code, action.request.workspace_root)
    start, end = target.start, target.end
    existing, exists = _existing(code, place, action.request.workspace_root, action.settings)
    shown_path = _shown(place.path, action.request.workspace_root)
    prompt = action.prompt(
        PromptCode(start, end, code.syntax.enclosing_scope(start, end)),
        {
            "framework": place.framework,
            "test_path": shown_path,
            "existing": existing[:_EXISTING_SHOWN],
            "in_file": place.path is None,
            "import_from": place.import_from,
        },
    )
    reply = await action.ask(prompt, None)
    action.check_finished(reply)
    text = whole_file(reply.text)
    if not text.strip():
        raise ReplyError("The model's answer held no tests; nothing was written.")
    if place.path is None:
        return _rust_in_file(action, code, text, bool(existing), start, end, prompt.tokens)
    document = NewDocument(
        text,
        code.spec.id,
        os.path.basename(place.path),
        path=place.path,
        append=exists,
    )
    return action.result(start, end, new_document=document, prompt_tokens=prompt.tokens)


def _existing(
    code: Code, place: Placement, root: str | None, settings: Settings
) -> tuple[str, bool]:
    """What the test file (or Rust's test module) holds already, and whether it exists."""
    if place.path is None:
        found = _RUST_TESTS.search(code.text)
        return (found.group(0), True) if found else ("", False)
    if not os.path.exists(place.path):
        return "", False
    if excluded_by(place.path, root, settings.exclude):
        raise InvalidRequestError(
            f"{os.path.basename(place.path)} matches `exclude`, so chatls does not read or "
            "append to it."
        )
    existing = _read(place.path)
    if not existing and os.path.getsize(place.path) > 0:
        raise InvalidRequestError(f"chatls cannot read {place.path}; nothing was written.")
    return existing, True


def _shown(path: str | None, root: str | None) -> str:
    if path is None:
        return "the end of this file"
    return os.path.relpath(path, root or os.path.dirname(path))


def _rust_in_file(
    action: ActionRun, code: Code, text: str, exists: bool, start: int, end: int, tokens: int
) -> ActionResult:
    """Rust's tests live in the file: a new ``#[cfg(test)]`` module at its end, or new test
    functions at the end of the one it has."""
    from lsprotocol import types

    index = code.index
    eol = "\r\n" if "\r\n" in code.text else "\n"
    if exists:
        found = _RUST_TESTS.search(code.text)
        assert found is not None
        depth = 1
        at = found.end()
        while at < len(code.text) and depth:
            depth += {"{": 1, "}": -1}.get(code.text[at], 0)
            at += 1
        if depth:
            raise ReplyError("chatls could not find the end of the file's test module.")
        close = code.text.rfind("\n", 0, at - 1) + 1
        body = "\n".join(("    " + line if line.strip() else "") for line in text.split("\n"))
        insert = eol + body.rstrip().replace("\n", eol) + eol
        position = close
    else:
        if "#[cfg(test)]" not in text:
            raise ReplyError(
                "The model's answer is not a `#[cfg(test)]` module; nothing was written."
            )
        insert = eol + text.rstrip().replace("\n", eol) + eol
        position = len(code.text)
        if code.text and not code.text.endswith("\n"):
            insert = eol + insert
    edit = types.TextEdit(range=index.range(position, position), new_text=insert)
    return action.result(position, position, edits=(edit,), prompt_tokens=tokens)
