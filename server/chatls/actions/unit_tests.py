"""Write tests: unit tests for the selected function (or the one around the cursor) in the
project's framework, where its ecosystem puts them (``actions.test_layout``): the project's
tests folder for Python (``tests/`` for a packaged or ``src/`` project, beside a loose script),
``<name>.test.ts``, ``<name>_test.go``, a ``#[cfg(test)]`` module at the end of a Rust file. An
existing test file is appended to, never overwritten.

The model's answer is written only when it holds tests in the framework's own form that use
the code under test, does not define that code again, and parses; the imports that reach the
code come from the project's layout, not from the model (``edits.testfile``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from chatls.actions.catalog import NewDocument, TestsWritten
from chatls.actions.declaration import Action, Offer
from chatls.context.prompts import RequestPlan
from chatls.errors import InvalidRequestError, ReplyError
from chatls.exclude import excluded_by
from chatls.targets.rules import Rule, Target

if TYPE_CHECKING:
    from chatls.actions.base import ActionRun
    from chatls.actions.catalog import ActionResult
    from chatls.actions.test_layout import TestPlacement
    from chatls.config import Settings
    from chatls.edits.testfile import TestTarget
    from chatls.source.code import Code

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


async def run(action: ActionRun, target: Target) -> ActionResult:
    from chatls.actions.custom import whole_file
    from chatls.actions.test_layout import placement
    from chatls.actions.test_layout import target as test_target
    from chatls.context.builder import PromptCode
    from chatls.edits.testfile import FORMS, LABELS, write_tests

    code = action.code
    root = action.request.workspace_root
    place = placement(code, root)
    start, end = target.start, target.end
    aim = test_target(code, start, end, place)
    existing, exists = _existing(code, place, root, action.settings)
    reach = _reach(aim, place, code)
    prompt = action.prompt(
        PromptCode(start, end, code.syntax.enclosing_scope(start, end)),
        {
            "framework": LABELS[place.framework],
            "form": FORMS[place.framework],
            "names": ", ".join(f"`{n}`" for n in sorted(aim.names)),
            "test_path": _shown(place.path, root),
            "existing": existing[:_EXISTING_SHOWN],
            "in_file": place.path is None,
            "reach": reach,
        },
    )
    reply = await action.ask(prompt, None)
    action.check_finished(reply, circles=False)
    text = whole_file(reply.text)
    if not text.strip():
        raise ReplyError("The model's answer held no tests; nothing was written.")
    # Rust's tests go into the source itself: what they join is the whole file.
    before = code.text if place.path is None else existing
    written = write_tests(text, code.spec, aim, before if exists else None)
    held = TestsWritten(
        place.framework,
        written.tests,
        place.path or code.document.path or "",
        place.project,
        code.spec.id,
        written.module,
    )
    if place.path is None:
        return _rust_in_file(
            action, code, written.text, written.imports, exists, held, prompt.tokens
        )
    document = NewDocument(
        written.text,
        code.spec.id,
        os.path.basename(place.path),
        path=place.path,
        append=exists,
        imports=written.imports,
    )
    return action.result(start, end, new_document=document, prompt_tokens=prompt.tokens, tests=held)


def _reach(aim: TestTarget, place: TestPlacement, code: Code) -> str:
    """How the test file reaches the code, told to the model (chatls writes it either way)."""
    names = sorted(aim.own if place.framework in ("pytest", "unittest") else aim.names)
    importable = sorted(n for n in names if "." not in n)
    if place.framework in ("pytest", "unittest") and importable:
        return f"from {place.module} import {', '.join(importable)}"
    if place.framework in ("vitest", "jest", "node"):
        named = sorted(n for n in aim.own if n in aim.provides)
        default = next((n for n in aim.own if n == aim.default_export), None)
        source = place.module
        if place.module_system == "esm" or place.framework == "vitest":
            parts = ([default] if default else []) + (
                ["{ " + ", ".join(named) + " }"] if named else []
            )
            return f"import {', '.join(parts)} from '{source}';" if parts else ""
        if default:
            return f"const {default} = require('{source}');"
        return f"const {{ {', '.join(named)} }} = require('{source}');" if named else ""
    if place.framework == "go":
        return f"package {place.module} (the same package: no import)"
    return "use super::*;"


def _existing(
    code: Code, place: TestPlacement, root: str | None, settings: Settings
) -> tuple[str, bool]:
    """What the test file (or Rust's test module) holds already, and whether it exists."""
    from chatls.actions.test_layout import read
    from chatls.source.testcode import rust_test_module

    if place.path is None:
        module = rust_test_module(code.syntax)
        if module is None:
            return "", False
        return code.text[module.inner_start : module.inner_end], True
    if not os.path.exists(place.path):
        return "", False
    if excluded_by(place.path, root, settings.exclude):
        raise InvalidRequestError(
            f"{os.path.basename(place.path)} matches `exclude`, so chatls does not read or "
            "append to it."
        )
    existing = read(place.path)
    if not existing and os.path.getsize(place.path) > 0:
        raise InvalidRequestError(f"chatls cannot read {place.path}; nothing was written.")
    return existing, True


def _shown(path: str | None, root: str | None) -> str:
    if path is None:
        return "the end of this file"
    return os.path.relpath(path, root or os.path.dirname(path)).replace(os.sep, "/")


def _rust_in_file(
    action: ActionRun,
    code: Code,
    text: str,
    imports: tuple[str, ...],
    exists: bool,
    held: TestsWritten,
    tokens: int,
) -> ActionResult:
    """Rust's tests live in the file: a new ``#[cfg(test)]`` module at its end, or new test
    functions at the end of the one it has."""
    from lsprotocol import types

    from chatls.edits.testfile import rust_append
    from chatls.source.syntax import Syntax
    from chatls.source.testcode import rust_test_module
    from chatls.source.text import apply_text_edits

    index = code.index
    eol = "\r\n" if "\r\n" in code.text else "\n"
    edits: list[types.TextEdit] = []
    if exists:
        placed = rust_append(code.text, text, code.spec)
        if placed is None:
            raise ReplyError("chatls could not find the end of the file's test module.")
        position, insert = placed
        module = rust_test_module(code.syntax)
        if imports and module is not None:
            line_end = code.text.find("\n", module.inner_start)
            at = len(code.text) if line_end < 0 else line_end + 1
            lines = "".join(f"    {line}{eol}" for line in imports)
            edits.append(types.TextEdit(range=index.range(at, at), new_text=lines))
    else:
        insert = eol + text.rstrip().replace("\n", eol) + eol
        position = len(code.text)
        if code.text and not code.text.endswith("\n"):
            insert = eol + insert
    edits.append(types.TextEdit(range=index.range(position, position), new_text=insert))
    after = apply_text_edits(code.text, edits, action.request.encoding)
    if (Syntax(after, code.spec).error_count() or 0) > (code.syntax.error_count() or 0):
        raise ReplyError("The tests would break the file's syntax; nothing was written.")
    return action.result(position, position, edits=tuple(edits), prompt_tokens=tokens, tests=held)


ACTION = Action(
    "tests",
    "Write tests",
    "source.chatls.tests",
    run,
    order=90,
    output="document",
    offer=Offer("function", _LANGUAGES),
    check=check,
    plan=RequestPlan(context="scope", signatures=True),
    target=TARGET,
)
