"""A change under review: hunks of whole lines, found again in a document that moved on, and a
part of them refused when it would not parse."""

from __future__ import annotations

import pytest
from lsprotocol import types

from chatls.edits.review import accepted_edits, review_hunks, touched_lines
from chatls.errors import ReplyError
from chatls.source.document import Document
from chatls.source.text import apply_text_edits, text_index

BEFORE = "import os\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n"
AFTER = "import os\nimport sys\n\n\ndef f():\n    return 10\n\n\ndef g():\n    pass\n    return 2\n"


def doc(text: str, version: int = 1) -> Document:
    return Document(
        uri="file:///w/m.py", text=text, version=version, path="/w/m.py", language_id="python"
    )


def whole(text: str, new: str) -> list[types.TextEdit]:
    return [types.TextEdit(range=text_index(text).range(0, len(text)), new_text=new)]


def test_hunks_are_whole_lines_with_what_they_replace() -> None:
    hunks = review_hunks(BEFORE, whole(BEFORE, AFTER), "utf-16")
    assert [(h.start_line, h.end_line, h.old, h.new) for h in hunks] == [
        (1, 1, "", "import sys\n"),
        (4, 5, "    return 1\n", "    return 10\n"),
        (8, 8, "", "    pass\n"),
    ]
    assert [h.touched for h in hunks] == [1, 2, 1]
    assert touched_lines(hunks) == 4
    assert hunks[0].before == "import os\n" and hunks[0].after == "\n\n"


@pytest.mark.parametrize("accepted", [{0, 1, 2}, {0}, {1}, {2}, {0, 2}])
def test_any_part_applies_on_the_unchanged_document(accepted: set[int]) -> None:
    hunks = review_hunks(BEFORE, whole(BEFORE, AFTER), "utf-16")
    edits = accepted_edits(doc(BEFORE), doc(BEFORE), hunks, accepted, "utf-16").edits
    result = apply_text_edits(BEFORE, edits)
    lines = {0: "import sys\n", 1: "    return 10\n", 2: "    pass\n"}
    for number, line in lines.items():
        assert (line in result) == (number in accepted)


def test_a_moved_document_gets_each_hunk_where_its_lines_went() -> None:
    hunks = review_hunks(BEFORE, whole(BEFORE, AFTER), "utf-16")
    moved = "#!/usr/bin/env python\n" + BEFORE + "\n\ndef h():\n    return 3\n"
    accepted = accepted_edits(doc(BEFORE), doc(moved, 2), hunks, {0, 1, 2}, "utf-16")
    assert accepted.shift == 1
    assert apply_text_edits(moved, accepted.edits) == (
        "#!/usr/bin/env python\n" + AFTER + "\n\ndef h():\n    return 3\n"
    )


def test_a_hunk_whose_lines_were_edited_is_refused() -> None:
    hunks = review_hunks(BEFORE, whole(BEFORE, AFTER), "utf-16")
    edited = BEFORE.replace("return 1", "return 100")
    with pytest.raises(ReplyError, match="where hunk 2 of the change goes"):
        accepted_edits(doc(BEFORE), doc(edited, 2), hunks, {1}, "utf-16")
    # The other hunks still find their place.
    edits = accepted_edits(doc(BEFORE), doc(edited, 2), hunks, {0, 2}, "utf-16").edits
    assert "import sys\n" in apply_text_edits(edited, edits)


def test_a_part_that_would_not_parse_is_refused_and_the_whole_is_not() -> None:
    text = "values = [\n    1,\n]\n"
    new = "values = {\n    1,\n}\n"
    hunks = review_hunks(text, whole(text, new), "utf-16")
    assert len(hunks) == 2
    with pytest.raises(ReplyError, match="Accepting only hunk 2"):
        accepted_edits(doc(text), doc(text), hunks, {1}, "utf-16")
    assert (
        apply_text_edits(text, accepted_edits(doc(text), doc(text), hunks, {0, 1}, "utf-16").edits)
        == new
    )


def test_hunks_close_together_are_found_again_each_on_its_own_lines() -> None:
    # Their context lines overlap (two lines apart): only their own lines are replaced.
    text = "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"
    new = "a = 10\nb = 2\nc = 30\nd = 4\ne = 5\n"
    hunks = review_hunks(text, whole(text, new), "utf-16")
    assert len(hunks) == 2
    moved = "import os\n\n" + text
    accepted = accepted_edits(doc(text), doc(moved, 2), hunks, {0, 1}, "utf-16")
    assert apply_text_edits(moved, accepted.edits) == "import os\n\n" + new
    assert accepted.shift == 2


def test_a_part_in_a_language_without_a_parser_is_applied_and_said_unchecked() -> None:
    text = "name: a\nitems:\n  - 1\nlast: z\n"
    new = "name: b\nitems:\n  - 1\nlast: y\n"
    yaml = Document(
        uri="file:///w/c.yaml", text=text, version=1, path="/w/c.yaml", language_id="yaml"
    )
    hunks = review_hunks(text, whole(text, new), "utf-16")
    assert len(hunks) == 2
    part = accepted_edits(yaml, yaml, hunks, {0}, "utf-16")
    assert apply_text_edits(text, part.edits) == text.replace("name: a", "name: b")
    assert part.unchecked == "yaml"
    # The whole change is the model's reply, checked as any reply is: nothing to say.
    assert accepted_edits(yaml, yaml, hunks, {0, 1}, "utf-16").unchecked is None


def test_a_part_in_a_parsed_language_is_checked_not_said_unchecked() -> None:
    hunks = review_hunks(BEFORE, whole(BEFORE, AFTER), "utf-16")
    assert accepted_edits(doc(BEFORE), doc(BEFORE), hunks, {0}, "utf-16").unchecked is None
