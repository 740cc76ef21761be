"""Review before a change lands (``review`` settings), over LSP against the scripted backend: the
client that shows chatls's own review, the one with change annotations, the one that can only be
asked; hunks accepted one by one, after the document moved on, or refused."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import attrs
import pytest
from lsprotocol import types

from chatls_testing.scripted_backend import Chat
from tests.conftest import Session, Start, capabilities

CODE = """def area(width, height):
    return width * height


def perimeter(width, height):
    return 2 * width + 2 * height
"""
NEW = """def area(width: float, height: float) -> float:
    return width * height


def perimeter(width: float, height: float) -> float:
    return 2 * (width + height)
"""
AREA_ONLY = CODE.replace(
    "def area(width, height):", "def area(width: float, height: float) -> float:"
)


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def whole(session: Session, uri: str) -> dict[str, Any]:
    end = session.editor.range_of(uri, CODE.splitlines()[-1]).end
    return {
        "uri": uri,
        "range": {
            "start": {"line": 0, "character": 0},
            "end": {"line": end.line + 1, "character": 0},
        },
    }


def reviewing(name: str = "neovim") -> types.ClientCapabilities:
    """An editor whose chatls plugin shows reviews itself."""
    return attrs.evolve(capabilities(name), experimental={"chatls": {"review": True}})


def asking() -> types.ClientCapabilities:
    """An editor that can be asked (``window/showMessageRequest``) and nothing more."""
    return types.ClientCapabilities(
        window=types.WindowClientCapabilities(
            show_message=types.ShowMessageRequestClientCapabilities()
        )
    )


async def refactor(session: Session, uri: str, reply: str = NEW) -> Any:
    session.backend.script(Chat(fenced(reply)))
    return await session.command(
        "chatls.refactor", {**whole(session, uri), "instruction": "Add types"}
    )


async def test_a_reviewing_client_gets_the_hunks_and_nothing_changes_until_accepted(
    start: Start,
) -> None:
    session = await start({"review": "always"}, client=reviewing())
    uri = session.editor.open("shapes.py", CODE)
    result = await refactor(session, uri)
    assert result["applied"] is False
    review = result["review"]
    assert session.editor.text(uri) == CODE and session.editor.applied == []
    assert review["textDocument"] == {"uri": uri, "version": 1}
    assert [(h["index"], h["oldText"], h["newText"]) for h in review["hunks"]] == [
        (0, "def area(width, height):\n", "def area(width: float, height: float) -> float:\n"),
        (
            1,
            "def perimeter(width, height):\n    return 2 * width + 2 * height\n",
            "def perimeter(width: float, height: float) -> float:\n    return 2 * (width + height)\n",
        ),
    ]
    assert review["hunks"][1]["range"] == {
        "start": {"line": 4, "character": 0},
        "end": {"line": 6, "character": 0},
    }
    assert "-def area(width, height):" in review["diff"]

    accepted = await session.command("chatls.review.accept", {"id": review["id"], "hunks": [0]})
    assert accepted["applied"] is True and accepted["hunks"] == [0]
    assert session.editor.text(uri) == AREA_ONLY
    # Answered once: a second answer finds nothing waiting.
    assert await session.command("chatls.review.reject", {"id": review["id"]}) is None
    assert "no change waiting for review" in session.messages()[-1]


async def test_refine_after_a_partial_accept_starts_from_what_was_kept(start: Start) -> None:
    session = await start({"review": "always"}, client=reviewing())
    uri = session.editor.open("shapes.py", CODE)
    review = (await refactor(session, uri))["review"]
    await session.command("chatls.review.accept", {"id": review["id"], "hunks": [0]})
    assert session.editor.text(uri) == AREA_ONLY

    session.backend.script(Chat(fenced(NEW)))
    at = session.editor.range_of(uri, "return width * height").start
    result = await session.command(
        "chatls.refine",
        {
            "uri": uri,
            "range": {"start": attrs.asdict(at), "end": attrs.asdict(at)},
            "instruction": "Use ints",
        },
    )
    assert result is not None, session.messages()
    sent = session.backend.requests[1].messages
    told = sent[2]["content"]
    assert sent[2]["role"] == "assistant"
    assert "applied only part of this change" in told
    assert "def perimeter(width, height):" in told  # the rejected hunk is what the code still says


async def test_a_rejected_review_changes_nothing(start: Start) -> None:
    session = await start({"review": "always"}, client=reviewing())
    uri = session.editor.open("shapes.py", CODE)
    review = (await refactor(session, uri))["review"]
    assert await session.command("chatls.review.reject", {"id": review["id"]}) == {
        "applied": False,
        "hunks": [],
    }
    assert session.editor.text(uri) == CODE and session.editor.applied == []


async def test_accepted_after_the_document_moved_on_lands_where_its_lines_went(
    start: Start,
) -> None:
    session = await start({"review": "always"}, client=reviewing())
    uri = session.editor.open("shapes.py", CODE)
    review = (await refactor(session, uri))["review"]
    top = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    session.editor.type(uri, top, "import math\n\n\n")
    accepted = await session.command("chatls.review.accept", {"id": review["id"]})
    assert accepted["applied"] is True
    assert session.editor.text(uri) == "import math\n\n\n" + NEW


async def test_accepted_after_its_own_lines_were_edited_is_refused(start: Start) -> None:
    session = await start({"review": "always"}, client=reviewing())
    uri = session.editor.open("shapes.py", CODE)
    review = (await refactor(session, uri))["review"]
    session.editor.type(
        uri, session.editor.range_of(uri, "2 * width + 2 * height"), "width + width"
    )
    edited = session.editor.text(uri)
    assert await session.command("chatls.review.accept", {"id": review["id"], "hunks": [1]}) is None
    assert session.editor.text(uri) == edited
    assert session.messages(types.MessageType.Error)[-1].startswith(
        "chatls: The document changed where hunk 2 of the change goes"
    )


async def test_a_partial_accept_that_leaves_a_syntax_error_is_refused(start: Start) -> None:
    session = await start({"review": "always"}, client=reviewing())
    code = "values = [\n    1,\n    2,\n]\n"
    uri = session.editor.open("values.py", code)
    session.backend.script(Chat(fenced("values = {\n    1,\n    2,\n}\n")))
    review = (
        await session.command(
            "chatls.refactor",
            {
                "uri": uri,
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 4, "character": 0}},
                "instruction": "A set",
            },
        )
    )["review"]
    assert [h["newText"] for h in review["hunks"]] == ["values = {\n", "}\n"]
    assert await session.command("chatls.review.accept", {"id": review["id"], "hunks": [0]}) is None
    assert session.editor.text(uri) == code and session.editor.applied == []
    assert session.messages(types.MessageType.Error)[-1] == (
        "chatls: Accepting only hunk 1 of the change would leave the file with syntax errors, so "
        "nothing was applied. Accept the hunks that go with them too, or reject the change."
    )
    # The review still waits: accepting both lands the whole change.
    both = await session.command("chatls.review.accept", {"id": review["id"], "hunks": [0, 1]})
    assert both["applied"] is True
    assert session.editor.text(uri) == "values = {\n    1,\n    2,\n}\n"


async def test_accepting_no_hunk_is_rejecting(start: Start) -> None:
    session = await start({"review": "always"}, client=reviewing())
    uri = session.editor.open("shapes.py", CODE)
    review = (await refactor(session, uri))["review"]
    assert await session.command("chatls.review.accept", {"id": review["id"], "hunks": []}) == {
        "applied": False,
        "hunks": [],
    }
    assert session.editor.text(uri) == CODE


async def test_change_annotations_ask_the_editor_to_confirm(start: Start) -> None:
    caps = capabilities("vscode")
    assert caps.workspace and caps.workspace.workspace_edit
    assert caps.workspace.workspace_edit.change_annotation_support is not None
    session = await start({"review": "always"}, client="vscode")
    uri = session.editor.open("shapes.py", CODE)
    result = await refactor(session, uri)
    assert result["applied"] is True
    (edit,) = session.editor.applied
    assert edit.change_annotations is not None
    annotation = edit.change_annotations["chatls-review"]
    assert annotation.needs_confirmation is True and annotation.label == "chatls: Refactor"
    (change,) = edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    assert all(getattr(e, "annotation_id", None) == "chatls-review" for e in change.edits)
    assert session.editor.text(uri) == NEW


async def test_without_review_no_annotations_are_sent(start: Start) -> None:
    session = await start(client="vscode")
    uri = session.editor.open("shapes.py", CODE)
    assert (await refactor(session, uri))["applied"] is True
    (edit,) = session.editor.applied
    assert edit.change_annotations is None


async def test_large_reviews_only_changes_over_the_line_count(start: Start) -> None:
    session = await start({"review": {"mode": "large", "lines": 3}}, client=reviewing())
    uri = session.editor.open("shapes.py", CODE)
    small = CODE.replace("return width * height", "return height * width")
    first = await refactor(session, uri, small)
    assert first["applied"] is True, (first, session.messages())  # 2 lines touched
    assert session.editor.text(uri) == small
    assert "review" in await refactor(
        session, uri, NEW.replace("return width * height", "return height * width")
    )


async def test_a_plain_client_is_asked_and_can_see_the_diff_first(start: Start) -> None:
    session = await start({"review": "always"}, client=asking())
    uri = session.editor.open("shapes.py", CODE)
    session.answers.extend(["Show diff", "Apply"])
    result = await refactor(session, uri)
    assert result["applied"] is True
    assert session.editor.text(uri) == NEW
    assert [a.title for a in session.asked[0].actions or []] == ["Apply", "Show diff", "Discard"]
    assert [a.title for a in session.asked[1].actions or []] == ["Apply", "Discard"]
    # Without window/showDocument, the diff comes as a message.
    assert any("+def perimeter(width: float" in m for m in session.messages())


async def test_a_plain_client_that_discards_or_does_not_answer_keeps_its_text(start: Start) -> None:
    session = await start({"review": "always"}, client=asking())
    uri = session.editor.open("shapes.py", CODE)
    session.answers.append("Discard")
    assert (await refactor(session, uri))["applied"] is False
    session.answers.append(None)  # the message was dismissed
    assert (await refactor(session, uri))["applied"] is False
    assert session.editor.text(uri) == CODE and session.editor.applied == []


async def test_per_action_review_overrides_the_global_mode(start: Start) -> None:
    session = await start(
        {"review": "off", "actions": {"refactor": {"review": "always"}}}, client=reviewing()
    )
    uri = session.editor.open("shapes.py", CODE)
    assert "review" in await refactor(session, uri)


async def test_a_client_that_can_neither_show_nor_ask_gets_no_edit_and_one_warning(
    start: Start,
) -> None:
    session = await start({"review": "always"}, client="plain")
    uri = session.editor.open("shapes.py", CODE)
    assert await refactor(session, uri) is None
    assert session.editor.text(uri) == CODE and session.editor.applied == []
    assert session.messages(types.MessageType.Warning) == [
        "chatls: Refactor: `review` asks to review this change, but this editor can show neither "
        "a diff nor a question, so nothing was applied. Set `review.mode` to `off` to apply "
        "changes directly."
    ]


async def test_show_diff_opens_the_diff_in_the_editor(start: Start) -> None:
    session = await start({"review": "always"}, client="neovim")  # Neovim without the plugin
    uri = session.editor.open("shapes.py", CODE)
    session.answers.extend(["Show diff", "Discard"])
    assert (await refactor(session, uri))["applied"] is False
    (shown,) = session.client.shown_documents
    diff = await asyncio.to_thread(Path(shown.uri.removeprefix("file://")).read_text, "utf-8")
    assert diff.startswith("--- a/shapes.py\n+++ b/shapes.py\n")
    assert "-    return 2 * width + 2 * height\n" in diff
    assert "+    return 2 * (width + height)\n" in diff
    assert session.editor.text(uri) == CODE


async def test_a_partial_accept_in_a_moved_document_keeps_the_whole_code_in_its_thread(
    start: Start,
) -> None:
    session = await start({"review": "always"}, client=reviewing())
    uri = session.editor.open("shapes.py", CODE)
    review = (await refactor(session, uri))["review"]
    top = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    session.editor.type(uri, top, "import math\n\n\n")
    await session.command("chatls.review.accept", {"id": review["id"], "hunks": [0]})
    assert session.editor.text(uri) == "import math\n\n\n" + AREA_ONLY

    session.backend.script(Chat(fenced(NEW)))
    at = session.editor.range_of(uri, "return width * height").start
    result = await session.command(
        "chatls.refine",
        {
            "uri": uri,
            "range": {"start": attrs.asdict(at), "end": attrs.asdict(at)},
            "instruction": "Use ints",
        },
    )
    assert result is not None, session.messages()
    told = session.backend.requests[1].messages[2]["content"]
    # The thread's code is both functions as they now read, not only the accepted line.
    assert "def area(width: float, height: float) -> float:" in told
    assert "def perimeter(width, height):" in told


@pytest.mark.parametrize("client", ["neovim", "asking"])
async def test_a_client_without_change_annotations_gets_an_edit_without_them(
    start: Start, client: str
) -> None:
    caps = asking() if client == "asking" else capabilities(client)
    edit_caps = caps.workspace.workspace_edit if caps.workspace else None
    assert edit_caps is None or edit_caps.change_annotation_support is None
    session = await start({"review": "always"}, client=caps)
    uri = session.editor.open("shapes.py", CODE)
    session.answers.append("Apply")
    result = await refactor(session, uri)
    assert result["applied"] is True and session.editor.text(uri) == NEW
    # On the wire: an editor that knows no annotations must not be sent a map or ids.
    assert "changeAnnotations" not in result["edit"]
    sent = [e for change in result["edit"]["documentChanges"] for e in change["edits"]]
    assert sent and all("annotationId" not in e for e in sent)
    (edit,) = session.editor.applied
    assert edit.change_annotations is None
    (change,) = edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    assert not any(isinstance(e, types.AnnotatedTextEdit) for e in change.edits)


async def test_asked_while_the_user_types_above_the_change_lands_where_its_lines_went(
    start: Start,
) -> None:
    session = await start({"review": "always"}, client=asking())
    uri = session.editor.open("shapes.py", CODE)
    top = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )

    def type_then_apply() -> str:
        session.editor.type(uri, top, "import math\n\n\n")
        return "Apply"

    session.answers.append(type_then_apply)
    result = await refactor(session, uri)
    assert result["applied"] is True, session.messages()
    assert session.editor.text(uri) == "import math\n\n\n" + NEW
    (edit,) = session.editor.applied
    (change,) = edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == 2  # the version typed, not the one reviewed


async def test_asked_while_the_user_edits_the_changed_lines_applies_nothing_and_says_why(
    start: Start,
) -> None:
    session = await start({"review": "always"}, client=asking())
    uri = session.editor.open("shapes.py", CODE)

    def edit_then_apply() -> str:
        rng = session.editor.range_of(uri, "2 * width + 2 * height")
        session.editor.type(uri, rng, "width + width")
        return "Apply"

    session.answers.append(edit_then_apply)
    assert await refactor(session, uri) is None
    assert session.editor.text(uri) == CODE.replace("2 * width + 2 * height", "width + width")
    assert session.editor.applied == []
    assert session.messages() == [
        "chatls: The document changed where hunk 2 of the change goes, so nothing was applied. "
        "Run the action again on the current code."
    ]
    # One record of the run, ended: the client cannot answer this review again.
    (record,) = (await session.command("chatls.history", {}))["records"]
    assert record["outcome"] == "refused"
    assert record["reason"].startswith("The document changed where hunk 2")


async def test_a_resolved_code_action_goes_through_the_review(start: Start) -> None:
    session = await start({"review": "always"}, client=reviewing("vscode"))
    reviews: list[Any] = []

    @session.client.feature("chatls/review")
    def on_review(params: Any) -> None:
        reviews.append(params)

    uri = session.editor.open("shapes.py", CODE)
    action = await session.action(
        uri, session.editor.range_of(uri, "return width * height"), "refactor.rewrite.chatls.types"
    )
    assert action.data is not None and action.command is None  # resolved, not a command
    session.backend.script(Chat(fenced(AREA_ONLY.split("\n\n\n")[0] + "\n")))
    resolved = await session.client.code_action_resolve_async(action)
    # Nothing for the editor to apply from the resolve: the change waits for review.
    assert resolved.edit is None
    assert session.editor.text(uri) == CODE and session.editor.applied == []
    (review,) = reviews
    accepted = await session.command("chatls.review.accept", {"id": review.id})
    assert accepted["applied"] is True, session.messages()
    assert session.editor.text(uri) == AREA_ONLY


async def test_a_partial_accept_chatls_cannot_parse_is_applied_with_a_warning(
    start: Start,
) -> None:
    session = await start({"review": "always"}, client=reviewing())
    code = "name: a\nitems:\n  - 1\nlast: z\n"
    uri = session.editor.open("config.yaml", code, language_id="yaml")
    session.backend.script(Chat("```yaml\nname: b\nitems:\n  - 1\nlast: y\n```"))
    result = await session.command(
        "chatls.refactor",
        {
            "uri": uri,
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 4, "character": 0}},
            "instruction": "Rename",
        },
    )
    review = result["review"]
    assert len(review["hunks"]) == 2
    accepted = await session.command("chatls.review.accept", {"id": review["id"], "hunks": [0]})
    assert accepted["applied"] is True
    assert session.editor.text(uri) == code.replace("name: a", "name: b")
    assert session.messages() == [
        "chatls: Refactor: applied only part of the change; chatls cannot check yaml syntax, so "
        "it could not tell whether the file is still valid without the hunks left out."
    ]


async def test_a_whole_accept_chatls_cannot_parse_says_nothing(start: Start) -> None:
    session = await start({"review": "always"}, client=reviewing())
    code = "name: a\nlast: z\n"
    uri = session.editor.open("config.yaml", code, language_id="yaml")
    session.backend.script(Chat("```yaml\nname: b\nlast: z\n```"))
    result = await session.command(
        "chatls.refactor",
        {
            "uri": uri,
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}},
            "instruction": "Rename",
        },
    )
    accepted = await session.command("chatls.review.accept", {"id": result["review"]["id"]})
    assert accepted["applied"] is True and session.editor.text(uri) == "name: b\nlast: z\n"
    assert session.messages() == []
