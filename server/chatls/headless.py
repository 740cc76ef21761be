"""``chatls run``: one action on one file from a shell, through the same code as the server.

Edits print as a unified diff (and are written only with ``--apply``); Explain and Ask print
Markdown. One shot: a conversation needs the server, which keeps it between requests.
Usage errors exit 2, failed actions 1, with a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from lsprotocol import types

from chatls.actions.catalog import ActionRequest, ActionResult, NewDocument
from chatls.actions.registry import builtin, builtin_ids, settable_ids
from chatls.config import Settings, merge, parse_settings
from chatls.errors import ChatlsError
from chatls.model.backends import Backends, apply_backend_defaults
from chatls.source.document import Document
from chatls.source.languages import language_for
from chatls.source.text import TextIndex, apply_text_edits, text_index

_RANGE = re.compile(r"^(\d+)(?::(\d+))?(?:-(\d+)(?::(\d+))?)?$")

# Command-line flags and the settings they set.
SETTING_FLAGS = {
    "model": "model",
    "base_url": "baseUrl",
    "backend": "backend",
    "local_model": "localModel",
    "structured_output": "structuredOutput",
    "max_tokens": "maxTokens",
    "temperature": "temperature",
    "context_tokens": "contextTokens",
    "timeout": "timeout",
    "max_retries": "maxRetries",
}

ASKED_FLAGS = {
    "question": ("--question TEXT", "question", "what to ask about the code"),
    "language": ("--to LANGUAGE", "to", "the language to translate into"),
    "instruction": ("--instruction TEXT", "instruction", "what to do"),
}
"""The flag that gives what an action asks the user for, where argparse keeps it, and what it
is."""


def runnable() -> list[str]:
    """The built-in actions a shell can run: all but those that continue an edit's thread,
    which only the server keeps."""
    return [action.id for action in builtin().values() if action.continues != "edit"]


class UsageError(Exception):
    pass


def parse_range(spec: str, index: TextIndex) -> types.Range:
    """``L1:C1-L2:C2`` (1-based, columns in characters) as an LSP range in code points.

    ``L`` and ``L1-L2`` take whole lines; ``L:C`` is a cursor.
    """
    match = _RANGE.match(spec.strip())
    if match is None:
        raise UsageError(f"bad range {spec!r}: expected L1:C1-L2:C2, L1-L2 or L:C")
    count = index.line_count
    visible = count - 1 if count > 1 and not index.line_text(count - 1) else count

    def check(line: int, column: int) -> tuple[int, int]:
        if line < 1 or column < 1:
            raise UsageError(f"bad range {spec!r}: lines and columns start at 1")
        if line > count:
            raise UsageError(f"bad range {spec!r}: the file has {visible} lines")
        width = len(index.line_text(line - 1))
        if column > width + 1:
            raise UsageError(f"bad range {spec!r}: line {line} has {width} characters")
        return line, column

    def after_line(line: int) -> tuple[int, int]:
        check(line, 1)
        return (line + 1, 1) if line < count else (line, len(index.line_text(line - 1)) + 1)

    line1, col1, line2, col2 = match.groups()
    start = check(int(line1), int(col1) if col1 else 1)
    if line2 is None:
        end = start if col1 else after_line(start[0])
    else:
        end = check(int(line2), int(col2)) if col2 else after_line(int(line2))
    if end < start or (line2 is not None and int(line2) < start[0]):
        raise UsageError(f"bad range {spec!r}: it ends before it starts")
    return types.Range(
        start=types.Position(line=start[0] - 1, character=start[1] - 1),
        end=types.Position(line=end[0] - 1, character=end[1] - 1),
    )


def load_settings(args: argparse.Namespace) -> tuple[Settings, list[str]]:
    data: dict[str, Any] = {}
    if args.config is not None:
        try:
            raw = args.config.read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot read --config {args.config}: {error.strerror}") from None
        try:
            data = tomllib.loads(raw) if args.config.suffix == ".toml" else json.loads(raw)
        except (ValueError, tomllib.TOMLDecodeError) as error:
            raise UsageError(f"--config {args.config} is not valid: {error}") from None
    flags: dict[str, Any] = {
        key: getattr(args, name)
        for name, key in SETTING_FLAGS.items()
        if getattr(args, name) is not None
    }
    if getattr(args, "run_tests", False):
        flags["tests"] = {"run": "on"}
    given = merge(data, flags)
    settings, problems = parse_settings(given, settable_ids(), builtin_ids())
    apply_backend_defaults(settings, given)
    if settings.custom_actions:
        from chatls.context.prompts import check_custom_actions

        problems += check_custom_actions(settings)
    return settings, problems


def unified_diff(path: Path, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


async def _run(request: ActionRequest, settings: Settings) -> ActionResult:
    from chatls.actions.runner import run_action

    toolbox = None
    tools_or_definitions = settings.tools.enabled != "off" or settings.definitions.enabled
    if tools_or_definitions and request.workspace_root:
        # The current directory is the workspace the model may look things up in.
        from chatls.tools.toolbox import Toolbox
        from chatls.tools.workspace import ToolState, rules

        index = ToolState().index([request.workspace_root], rules(settings.tools, settings.exclude))
        toolbox = Toolbox(index, dict, lambda real: (None, None))
    project_rules = None
    if request.workspace_root:
        # The current directory is the workspace, as for the tools; nothing is open in an editor.
        from chatls.tools.rules import finder

        project_rules = finder(settings, [request.workspace_root], dict)
    backends = Backends()
    try:
        client = await backends.client(settings)
        return await run_action(request, settings, client, toolbox=toolbox, rules=project_rules)
    finally:
        await backends.close()


def run(args: argparse.Namespace) -> int:
    try:
        return _main(args)
    except UsageError as error:
        print(f"chatls: {error}", file=sys.stderr)
        return 2
    except ChatlsError as error:
        print(f"chatls: {error}", file=sys.stderr)
        return 0 if error.severity == "info" else 1
    except KeyboardInterrupt:
        return 130


def _main(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    declared = builtin().get(args.action) if args.action in runnable() else None
    if declared is not None and declared.offer.when == "diagnostic" and not args.diagnostic:
        raise UsageError(f"{declared.id} needs --diagnostic MSG: the problem to fix")
    if declared is not None and declared.asks is not None and declared.asks.required:
        flag, name, what = ASKED_FLAGS[declared.asks.argument]
        if not (getattr(args, name) or "").strip():
            raise UsageError(f"{declared.id} needs {flag}: {what}")
    settings, problems = load_settings(args)
    for problem in problems:
        print(f"chatls: ignored setting {problem}", file=sys.stderr)
    if args.action not in runnable() and settings.custom(args.action) is None:
        known = ", ".join([*runnable(), *(a.id for a in settings.custom_actions)])
        raise UsageError(f"unknown action {args.action!r}: known actions are {known}")
    index = text_index(text, "utf-32")
    range_ = parse_range(args.range, index)
    diagnostic = None
    if args.diagnostic:
        diagnostic = types.Diagnostic(range=range_, message=args.diagnostic, source="chatls run")
    resolved = path.resolve()
    request = ActionRequest(
        action=args.action,
        document=Document(
            uri=resolved.as_uri(),
            text=text,
            version=0,
            path=str(resolved),
            language_id=args.language,
        ),
        range=range_,
        encoding="utf-32",
        diagnostic=diagnostic,
        diagnostics=[diagnostic] if diagnostic else [],
        instruction=args.instruction,
        workspace_root=str(Path.cwd()),
        question=args.question,
        language=args.to,
    )
    result = asyncio.run(_run(request, settings))
    if result.new_document is not None:
        sys.stdout.write(result.new_document.text)
        if args.apply:
            target, final = _write_document(result.new_document, resolved.parent)
            print(f"chatls: wrote {target}", file=sys.stderr)
            _run_tests(result, final, settings, args.apply)
        elif result.tests is not None:
            _run_tests(result, "", settings, args.apply)
        return 0
    if result.markdown is not None:
        print(result.markdown)
        return 0
    after = apply_text_edits(text, list(result.edits), "utf-32")
    sys.stdout.write(unified_diff(path, text, after))
    if args.apply:
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(after)
        print(f"chatls: applied to {path}", file=sys.stderr)
    if result.tests is not None:
        _run_tests(result, after, settings, args.apply)
    return 0


def _write_document(new: NewDocument, directory: Path) -> tuple[str, str]:
    """Write a document an action returned: appended to an existing test file (with the
    imports it lacks), else a new file, never over one. Where, and what the file holds then."""
    target = new.path or new.free_path(str(directory))
    if not new.append:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "x", encoding="utf-8") as handle:
            handle.write(new.text)
        return target, new.text
    from chatls.edits.testfile import appended

    with open(target, encoding="utf-8", newline="") as handle:
        current = handle.read()
    final = current
    changes = appended(current, language_for(new.language_id, target), new.text, new.imports)
    for start, end, text in sorted(changes, reverse=True):
        final = final[:start] + text + final[end:]
    with open(target, "w", encoding="utf-8", newline="") as handle:
        handle.write(final)
    return target, final


def _run_tests(result: ActionResult, final: str, settings: Settings, applied: bool) -> None:
    """``tests.run``: the tests Write tests wrote, run once written. ``chatls run`` is the
    user's own command in their own shell: the workspace counts as trusted unless the
    settings say ``workspaceTrusted: false``."""
    tests = result.tests
    if tests is None or settings.tests.run == "off":
        return
    from chatls.running.tests import TestRun, run_tests, summary

    count = len(tests.names)
    shown = os.path.relpath(tests.path)
    if not applied:
        print(
            f"chatls: {count} test{'s' if count != 1 else ''} written; not run: the tests run "
            "from their file, so `tests.run` needs --apply.",
            file=sys.stderr,
        )
        return
    if settings.workspace_trusted is False:
        print(f"chatls: {count} tests written to {shown}; not run: untrusted.", file=sys.stderr)
        return
    run = TestRun(
        tests.framework,
        tests.language_id,
        tests.path,
        final,
        tests.names,
        tests.project,
        tests.module,
        result.new_document is None or result.new_document.append,
    )
    report = asyncio.run(run_tests(run, settings.tests.timeout))
    message, _ = summary(report, count, shown, settings.tests.timeout)
    print(f"chatls: {message}", file=sys.stderr)
