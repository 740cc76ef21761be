"""Project rules end to end: the instruction files a project keeps for AI tools (``AGENTS.md``,
``.github/copilot-instructions.md``, ``CONVENTIONS.md``, ``.chatls/rules.md``) reach the system
message of the request the scripted backend receives, nearest folder first, within their bound,
under the workspace's confinement; the progress and the log say which were used."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from chatls_testing.editor import position_of
from chatls_testing.scripted_backend import Chat, Recorded, ScriptedBackend
from tests.conftest import Session, Start
from tests.e2e.test_cli_run import chatls_run
from tests.e2e.test_inline_completion import _inline, inline_capabilities
from tests.e2e.test_prefix_cache import function, functions, shared

SOURCE = "def area(width, height):\n    return width * height\n"
EXPLAINED = "It multiplies the width by the height."


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def whole(uri: str, lines: int = 2) -> dict[str, Any]:
    return {
        "uri": uri,
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": lines, "character": 0}},
        "quiet": True,
    }


async def explain(session: Session, uri: str, token: str = "tok") -> Recorded:
    """Explain the whole of ``uri`` through the command; the request the backend got."""
    before = len(session.backend.requests)
    session.backend.script(Chat(EXPLAINED))
    result = await session.command("chatls.explain", whole(uri), token=token)
    assert result["markdown"] == EXPLAINED
    (request,) = session.backend.requests[before:]
    return request


def system(request: Recorded) -> str:
    first = request.messages[0]
    assert first["role"] == "system"
    return str(first["content"])


def user(request: Recorded) -> str:
    return "\n".join(str(m["content"]) for m in request.messages[1:])


def progress(session: Session, token: str = "tok") -> list[str]:
    return [
        report.message
        for report in session.client.progress_reports.get(token, [])
        if isinstance(report, types.WorkDoneProgressReport) and report.message
    ]


def asking(session: Session, token: str = "tok") -> str:
    (message,) = [m for m in progress(session, token) if m.startswith("Asking ")]
    return message


async def test_nested_rules_go_into_the_system_message_nearest_first(start: Start) -> None:
    session = await start()
    root = session.editor.root
    write(root, "AGENTS.md", "ROOT-RULE: use tabs.\n")
    write(root, ".github/copilot-instructions.md", "COPILOT-RULE: say please.\n")
    write(root, "pkg/AGENTS.md", "PKG-RULE: prefer pure functions.\n")
    write(root, "pkg/.chatls/rules.md", "CHATLS-RULE: name things fully.\n")
    write(root, "pkg/sub/CONVENTIONS.md", "NOT-ABOVE: a folder below the file's.\n")
    write(root, "other/AGENTS.md", "SIBLING-RULE: a folder beside the file's.\n")
    uri = session.editor.open("pkg/shapes.py", SOURCE)

    request = await explain(session, uri)
    said = system(request)
    # The nearest folder's files first (in the list's order), then the folders above.
    order = ["PKG-RULE", "CHATLS-RULE", "ROOT-RULE", "COPILOT-RULE"]
    assert [said.index(rule) for rule in order] == sorted(said.index(rule) for rule in order)
    assert "NOT-ABOVE" not in request.prompt and "SIBLING-RULE" not in request.prompt
    assert "From pkg/AGENTS.md:\nPKG-RULE: prefer pure functions." in said
    # In the system message only, after the action's own.
    assert said.index("You are chatls") < said.index("PKG-RULE")
    assert "RULE" not in user(request)

    shown = asking(session)
    assert " with rules from pkg/AGENTS.md (" in shown
    assert shown.index("pkg/.chatls/rules.md (") < shown.index(", AGENTS.md (")
    assert shown.index(", AGENTS.md (") < shown.index(".github/copilot-instructions.md (")
    log = session.log()
    assert "explain: rules from pkg/AGENTS.md (" in log
    assert " tokens), .github/copilot-instructions.md (" in log


async def test_oversized_rules_are_cut_at_a_line_and_the_rest_left_out(start: Start) -> None:
    session = await start({"rules": {"maxTokens": 60}})
    root = session.editor.root
    lines = "".join(f"Rule {n}: keep line {n} of the rules in mind.\n" for n in range(1, 201))
    write(root, "pkg/AGENTS.md", lines)
    write(root, "AGENTS.md", "FAR-RULE: never reached.\n")
    uri = session.editor.open("pkg/shapes.py", SOURCE)

    said = system(await explain(session, uri))
    assert "Rule 1: keep line 1 of the rules in mind." in said
    assert "Rule 200:" not in said
    # Cut between lines, never inside one.
    kept = said[said.index("Rule 1:") :].split("\n\n")[0].splitlines()
    assert all(line.endswith("of the rules in mind.") for line in kept), kept[-1]
    # The rest of the nearer file matters more than a file further up, however small.
    assert "FAR-RULE" not in said
    log = session.log()
    assert f"explain: rules file pkg/AGENTS.md: cut after line {len(kept)}, to " in log
    assert "explain: rules file AGENTS.md: left out, the rules already take" in log
    assert "pkg/AGENTS.md (" in asking(session) and ", cut)" in asking(session)


async def test_a_huge_file_costs_a_bounded_read_and_a_small_context_a_smaller_bound(
    start: Start,
) -> None:
    # contextTokens 2,048: at most 256 tokens of rules, whatever rules.maxTokens says.
    session = await start({"contextTokens": 2048, "rules": {"maxTokens": 5000}})
    write(session.editor.root, "AGENTS.md", "Keep it short, keep it simple.\n" * 200_000)
    uri = session.editor.open("shapes.py", SOURCE)
    said = system(await explain(session, uri))
    assert "Keep it short" in said
    assert said.count("Keep it short") < 60
    assert ", cut)" in asking(session)


async def test_a_rules_file_linked_from_outside_the_workspace_is_refused(
    start: Start, tmp_path: Path
) -> None:
    session = await start()
    root = session.editor.root
    outside = write(tmp_path, "elsewhere/notes.md", "OUTSIDE-SECRET: do not send.\n")
    os.symlink(outside, root / "AGENTS.md")
    # A link that stays inside the workspace is followed.
    inside = write(root, "docs/conventions.md", "INSIDE-RULE: document every function.\n")
    os.symlink(inside, root / "CONVENTIONS.md")
    uri = session.editor.open("shapes.py", SOURCE)

    request = await explain(session, uri)
    assert "OUTSIDE-SECRET" not in request.prompt
    assert "INSIDE-RULE" in system(request)
    log = session.log()
    assert "explain: rules file AGENTS.md: leads outside the workspace" in log
    assert "explain: rules from CONVENTIONS.md (" in log


async def test_excluded_and_escaping_rules_files_never_reach_the_model(
    start: Start, tmp_path: Path
) -> None:
    write(tmp_path, "secret.md", "ESCAPED-RULE: never read.\n")
    session = await start(
        {
            "exclude": ["CONVENTIONS.md", "private/"],
            "rules": {"files": ["AGENTS.md", "CONVENTIONS.md", "private/rules.md", "../secret.md"]},
        }
    )
    root = session.editor.root
    write(root, "AGENTS.md", "KEPT-RULE: fine.\n")
    write(root, "CONVENTIONS.md", "EXCLUDED-RULE: never sent.\n")
    write(root, "private/rules.md", "EXCLUDED-FOLDER-RULE: never sent.\n")
    uri = session.editor.open("shapes.py", SOURCE)

    request = await explain(session, uri)
    assert "KEPT-RULE" in system(request)
    for secret in ("EXCLUDED-RULE", "EXCLUDED-FOLDER-RULE", "ESCAPED-RULE"):
        assert secret not in request.prompt
    log = session.log()
    assert "rules file CONVENTIONS.md: matches the `exclude` pattern `CONVENTIONS.md`" in log
    assert "rules file private/rules.md: matches the `exclude` pattern `private/`" in log
    assert "`rules.files` entry `../secret.md`: not a path relative to a folder" in log


async def test_rules_files_overrides_the_list(start: Start) -> None:
    session = await start({"rules": {"files": ["docs/AI.md", "AGENTS.md"]}})
    root = session.editor.root
    write(root, "docs/AI.md", "OWN-RULE: from the user's own list.\n")
    write(root, "AGENTS.md", "LISTED-RULE: second in the list.\n")
    write(root, "CONVENTIONS.md", "UNLISTED-RULE: not in the list.\n")
    uri = session.editor.open("shapes.py", SOURCE)

    said = system(await explain(session, uri))
    assert said.index("OWN-RULE") < said.index("LISTED-RULE")
    assert "UNLISTED-RULE" not in said


@pytest.mark.parametrize(
    "settings",
    [{"rules": {"enabled": False}}, {"workspaceTrusted": False}],
    ids=["off", "untrusted"],
)
async def test_no_rules_when_off_or_untrusted(start: Start, settings: dict[str, Any]) -> None:
    session = await start(settings)
    write(session.editor.root, "AGENTS.md", "ANY-RULE: must not be sent.\n")
    uri = session.editor.open("shapes.py", SOURCE)
    request = await explain(session, uri)
    assert "ANY-RULE" not in request.prompt
    assert "instructions for work on its code" not in request.prompt
    assert "with rules" not in asking(session)
    if "workspaceTrusted" in settings:
        assert "rules: none, the workspace is not trusted" in session.log()


async def test_an_open_rules_file_s_unsaved_text_wins_and_a_saved_change_is_read(
    start: Start,
) -> None:
    session = await start()
    root = session.editor.root
    uri = session.editor.open("shapes.py", SOURCE)
    write(root, "AGENTS.md", "DISK-RULE: the saved text.\n")
    assert "DISK-RULE" in system(await explain(session, uri, "t1"))

    # Edited in the editor, not saved: the editor's text is what the user sees.
    rules = session.editor.open("AGENTS.md", "DISK-RULE: the saved text.\n", "markdown")
    session.editor.type(rules, session.editor.range_of(rules, "DISK-RULE"), "UNSAVED-RULE")
    said = system(await explain(session, uri, "t2"))
    assert "UNSAVED-RULE: the saved text." in said and "DISK-RULE" not in said

    # Closed, then changed on disk: the new text is read (the cache follows the file's mtime).
    session.editor.close(rules)
    path = write(root, "AGENTS.md", "CHANGED-RULE: written since.\n")
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))
    said = system(await explain(session, uri, "t3"))
    assert "CHANGED-RULE" in said and "UNSAVED-RULE" not in said


async def test_inline_completion_gets_rules_only_when_asked(start: Start) -> None:
    marked = "def area(width, height):\n    return ‸\n"
    for setting, expected in ((False, False), (True, True)):
        session = await start(
            client=inline_capabilities(),
            settings={
                "inlineCompletion": {"debounceMs": 0},
                "rules": {"inlineCompletion": setting},
            },
        )
        write(session.editor.root, "AGENTS.md", "COMPLETION-RULE: multiply.\n")
        offset = marked.index("‸")
        text = marked.replace("‸", "")
        uri = session.editor.open("shapes.py", text)
        session.backend.script(Chat("width * height"))
        items = await _inline(session, uri, position_of(text, offset, session.editor.encoding))
        assert [item.insert_text for item in items] == ["width * height"]
        (request,) = session.backend.requests[-1:]
        assert ("COMPLETION-RULE" in system(request)) is expected
        assert "COMPLETION-RULE" not in user(request)


async def test_actions_in_one_file_still_share_their_prefix_with_rules(start: Start) -> None:
    session = await start()
    write(session.editor.root, "AGENTS.md", "# Conventions\n\nUse descriptive names.\n")
    text = functions(20)
    uri = session.editor.open("steps.py", text)
    renamed = function(9).replace("total", "result").rstrip()
    session.backend.script(
        Chat("It sums the large values."),
        Chat("It sums them too."),
        Chat(f"```python\n{renamed}\n```"),
    )
    for action, number in (("explain", 3), ("explain", 15), ("refactor", 9)):
        rng = session.editor.range_of(uri, function(number))
        argument = {
            "uri": uri,
            "range": {
                "start": {"line": rng.start.line, "character": 0},
                "end": {"line": rng.end.line, "character": 0},
            },
            "quiet": True,
        }
        if action == "refactor":
            argument["instruction"] = "Rename total to result."
        await session.command(f"chatls.{action}", argument)
    assert "result += value" in session.editor.text(uri)
    requests = session.backend.requests
    assert len(requests) == 3
    for earlier, later in itertools.pairwise(requests):
        # The same system message, rules included, and most of the prompt shared.
        assert earlier.messages[0] == later.messages[0]
        assert "Use descriptive names." in earlier.messages[0]["content"]
        assert shared(earlier, later) >= 0.8


def test_chatls_run_reads_the_rules_from_the_current_directory_up(
    backend: ScriptedBackend, server_env: dict[str, str], tmp_path: Path
) -> None:
    write(tmp_path, "AGENTS.md", "CLI-RULE: from the shell's workspace.\n")
    source = write(tmp_path, "pkg/shapes.py", SOURCE)
    backend.script(Chat(EXPLAINED))
    out = chatls_run(backend, server_env, tmp_path, "explain", str(source), "--range", "1-2")
    assert out.returncode == 0, out.stderr
    (request,) = backend.requests
    assert "From AGENTS.md:\nCLI-RULE: from the shell's workspace." in system(request)
