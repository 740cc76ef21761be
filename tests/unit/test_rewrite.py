"""Reply parsing, fitting and diffing on the messy-reply table, without a server."""

from __future__ import annotations

import pytest
from lsprotocol import types

from chatls.edits.diff import minimal_edits
from chatls.edits.fitting import fit_replacement, region_for_selection
from chatls.edits.replies import extract_code
from chatls.source.text import TextIndex
from chatls_testing.editor import apply_edits
from chatls_testing.messy_replies import CASES, Case


def rewrite(case: Case, encoding: str = "utf-16") -> tuple[str, list[types.TextEdit]]:
    text, start, end = case.split()
    index = TextIndex(text, encoding)  # type: ignore[arg-type]
    region = region_for_selection(index, start, end)
    code = extract_code(case.reply, text[region.start : region.end])
    fitted = fit_replacement(index, region, code)
    edits = minimal_edits(index, fitted.region.start, fitted.region.end, fitted.text)
    return apply_edits(text, edits, encoding), edits


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
def test_messy_reply(case: Case, encoding: str) -> None:
    result, _ = rewrite(case, encoding)
    assert result == case.expected


def test_edits_touch_only_changed_lines() -> None:
    case = CASES[0]
    _, edits = rewrite(case)
    assert len(edits) == 1
    (edit,) = edits
    # Only "result = result + item" -> "result += item" on line 3 (0-based).
    assert edit.range.start.line == edit.range.end.line == 3
    assert edit.new_text in ("+", "+=")
