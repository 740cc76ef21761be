"""Each stage of the reply → edit pipeline on its own: locate, the search/replace and unified
diff formats, hunk placement, the checks on meaning, and doc comments from every reply shape."""

from __future__ import annotations

import pytest
from lsprotocol import types

from chatls.actions import fix, refactor
from chatls.edits import search_replace, udiff
from chatls.edits.checks import check_definitions, check_fix, check_names_kept
from chatls.edits.diff import minimal_edits
from chatls.edits.docs import documentation_complete, reply_doc
from chatls.edits.fitting import Region, region_for_selection
from chatls.edits.hunks import place
from chatls.edits.locate import fragments, locate, trim_echoes
from chatls.edits.rewrite import Purpose, code_edit
from chatls.errors import NoChangeError, ReplyError
from chatls.source.code import Code
from chatls.source.document import Document
from chatls.source.languages import language_for
from chatls.source.syntax import Syntax
from chatls.source.text import apply_text_edits, text_index

PY = (
    "def area(width, height):\n"
    "    if width < 0:\n"
    "        return 0\n"
    "    return wdith * height\n"
    "\n"
    "\n"
    "def other():\n"
    "    return 1\n"
)


def code_of(text: str, language: str = "python") -> Code:
    return Code(Document(uri="file:///x", text=text, language_id=language), "utf-32")


def whole(text: str, needle: str) -> Region:
    start = text.index(needle)
    return region_for_selection(text_index(text, "utf-32"), start, start + len(needle))


def edit(text: str, needle: str, reply: str, language: str = "python", **purpose: object) -> str:
    code = code_of(text, language)
    change = code_edit(code, whole(text, needle), reply, False, Purpose(**purpose))  # type: ignore[arg-type]
    return apply_text_edits(text, list(change.edits), "utf-32")


# --- locate ---------------------------------------------------------------------------------


def test_a_one_line_reply_stands_for_the_line_it_resembles() -> None:
    index = text_index(PY, "utf-32")
    region = whole(
        PY,
        "def area(width, height):\n    if width < 0:\n        return 0\n    return wdith * height\n",
    )
    focus = (PY.index("wdith"), PY.index("wdith") + 5)
    (piece,) = locate(index, region, "    return width * height", focus, chosen=True)
    assert PY[piece.region.start : piece.region.end] == "    return wdith * height"


def test_a_selection_the_user_made_is_what_a_reply_stands_for() -> None:
    index = text_index(PY, "utf-32")
    region = whole(PY, "    if width < 0:\n        return 0\n")
    (piece,) = locate(index, region, "if width <= 0: return 0", None, chosen=False)
    assert piece.region == region


def test_a_reply_with_the_header_stands_for_the_whole_region() -> None:
    index = text_index(PY, "utf-32")
    region = whole(
        PY,
        "def area(width, height):\n    if width < 0:\n        return 0\n    return wdith * height\n",
    )
    (piece,) = locate(
        index, region, "def area(width, height):\n    return width * height", None, True
    )
    assert piece.region == region


def test_fragments_split_at_elisions_but_not_at_python_ellipsis() -> None:
    assert fragments("a = 1\n# ...\nb = 2\n...\nc = 3") == ["a = 1", "b = 2", "c = 3"]
    assert fragments("a = 1\n// ... rest unchanged ...\nb = 2") == ["a = 1", "b = 2"]
    assert fragments("class P:\n    ...\n", ["..."]) == ["class P:\n    ...\n"]


def test_a_fragment_that_matches_nothing_is_named() -> None:
    index = text_index(PY, "utf-32")
    region = whole(
        PY,
        "def area(width, height):\n    if width < 0:\n        return 0\n    return wdith * height\n",
    )
    with pytest.raises(ReplyError, match=r"Part 2 .*`completely\.different\(\)`"):
        locate(
            index, region, "    return width * height\n# ...\ncompletely.different()", None, True
        )


def test_echoed_surroundings_are_trimmed() -> None:
    text = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n"
    index = text_index(text, "utf-32")
    region = whole(text, "    def g(self):\n        return 2\n")
    reply = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 3\n"
    assert trim_echoes(index, region, reply).rstrip() == "    def g(self):\n        return 3"
    with pytest.raises(ReplyError, match="code from around the selection"):
        trim_echoes(index, region, "class A:\n    def f(self):\n        return 1\n")


# --- formats --------------------------------------------------------------------------------


def test_search_replace_blocks_parse() -> None:
    reply = "Here:\n```\n<<<<<<< SEARCH\na = 1\n=======\na = 2\n>>>>>>> REPLACE\n```\n<<<<<<< SEARCH\nb\n"
    assert search_replace.holds_blocks(reply)
    (hunk,) = search_replace.parse(reply)  # the unfinished second block is not one
    assert (hunk.before, hunk.after, hunk.label) == ("a = 1", "a = 2", "SEARCH/REPLACE block")


def test_unified_diffs_parse_with_or_without_headers() -> None:
    diff = "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n@@ -9 +9 @@\n-z\n+w\n"
    assert udiff.holds_diff(diff)
    hunks = udiff.parse(diff)
    assert [(h.before, h.after, h.label) for h in hunks] == [
        ("x = 1\ny = 2", "x = 1\ny = 3", "diff hunk 1"),
        ("z", "w", "diff hunk 2"),
    ]
    assert not udiff.holds_diff("- a bullet\n- another")
    assert udiff.holds_diff("-a\n+b")


def test_hunks_are_found_ignoring_whitespace_and_reindented() -> None:
    text = "def f():\n    if x:\n        a = 1\n    return a\n"
    index = text_index(text, "utf-32")
    (hunk,) = search_replace.parse(
        "<<<<<<< SEARCH\nif x:\n    a = 1\n=======\nif x:\n    a = 2\n>>>>>>> REPLACE"
    )
    (replacement,) = place(index, [hunk], 0)
    assert text[: replacement.start] + replacement.text + text[replacement.end :] == text.replace(
        "a = 1", "a = 2"
    )


def test_hunks_apply_all_or_nothing() -> None:
    index = text_index(PY, "utf-32")
    hunks = udiff.parse(
        "@@\n-    if width < 0:\n+    if width <= 0:\n@@\n-    return nothing\n+    return 1\n"
    )
    with pytest.raises(ReplyError, match=r"diff hunk 2 \(`return nothing`\) matches nothing"):
        place(index, hunks, 0)


# --- the pipeline's one entry point ---------------------------------------------------------


def test_code_edit_one_line_fix() -> None:
    region = (
        "def area(width, height):\n    if width < 0:\n        return 0\n    return wdith * height\n"
    )
    focus = (PY.index("wdith"), PY.index("wdith") + 5)
    after = edit(
        PY,
        region,
        "```python\nreturn width * height\n```",
        rules=fix.ACTION.rules,
        diagnostic=focus,
        message="x",
        chosen=True,
    )
    assert after == PY.replace("wdith", "width")


def test_code_edit_echo_is_said() -> None:
    region = "    if width < 0:\n        return 0\n"
    with pytest.raises(NoChangeError, match="unchanged"):
        edit(PY, region, "```python\nif width < 0:\n    return 0\n```")
    focus = (PY.index("wdith"), PY.index("wdith") + 5)
    with pytest.raises(ReplyError, match="`wdith` is still there"):
        edit(
            PY,
            "    return wdith * height\n",
            "return wdith * height",
            rules=fix.ACTION.rules,
            diagnostic=focus,
            message="m",
        )


# --- checks ---------------------------------------------------------------------------------


def _edits(text: str, old: str, new: str) -> list[types.TextEdit]:
    index = text_index(text, "utf-32")
    start = text.index(old)
    return minimal_edits(index, start, start + len(old), new)


def test_check_fix_wants_the_diagnosed_code_changed() -> None:
    code = code_of(PY)
    focus = (PY.index("wdith"), PY.index("wdith") + 5)
    assert check_fix(code, focus, "m", _edits(PY, "wdith", "width"), []) == []
    with pytest.raises(ReplyError, match="leaves `wdith` as it was"):
        check_fix(code, focus, "m", _edits(PY, "return 0", "return -1"), [])
    with pytest.raises(ReplyError, match="leaves `wdith` as it was"):
        check_fix(code, focus, "m", _edits(PY, "return wdith", "return -wdith"), [])
    assert check_fix(code, focus, "m", _edits(PY, "return wdith", "return self.wdith"), []) == []
    assert check_fix(code, focus, "m", _edits(PY, "wdith *", "wdithx *"), []) == []
    # The name fixed, and other code rewritten on the way: not a fix.
    both = _edits(PY, "return 0\n    return wdith", "return -1\n    return width")
    with pytest.raises(ReplyError, match="changes more than the line with `wdith`"):
        check_fix(code, focus, "m", both, [])
    with pytest.raises(ReplyError, match="only imports `wdith`"):
        check_fix(code, focus, "m", [], ["import wdith"])
    # A misspelling fixed and a bogus import on top: the import is dropped.
    assert check_fix(code, focus, "m", _edits(PY, "wdith", "width"), ["import wdith"]) == []
    # A name that is no misspelling may really need its import.
    text = "def now():\n    return datetime.now()\n"
    spot = (text.index("datetime"), text.index("datetime") + 8)
    assert check_fix(code_of(text), spot, "m", [], ["from datetime import datetime"]) == [
        "from datetime import datetime"
    ]


def test_check_definitions_refuses_lost_or_doubled_definitions() -> None:
    code = code_of(PY)
    gone = _edits(PY, "def other():\n    return 1\n", "")
    with pytest.raises(ReplyError, match="would remove `other`"):
        check_definitions(code, gone, [(0, 10, "x")], fix.ACTION.rules.instructed_removal)
    start = PY.index("def other")
    with pytest.raises(ReplyError, match="would remove `other`"):
        check_definitions(
            code, gone, [(start, len(PY), "pass")], refactor.ACTION.rules.instructed_removal
        )
    check_definitions(
        code,
        gone,
        [(start, len(PY), "pass")],
        refactor.ACTION.rules.instructed_removal,
        "Inline `other`",
    )
    doubled = _edits(PY, "    return 1\n", "    def area():\n        return 2\n    return 1\n")
    with pytest.raises(ReplyError, match="define `area` a second time"):
        check_definitions(
            code, doubled, [(start, len(PY), "x")], refactor.ACTION.rules.instructed_removal
        )


MEAN = (
    "import statistics\n"
    "\n"
    "\n"
    "def mean_of_positive(values):\n"
    "    result = []\n"
    "    for v in values:\n"
    "        if v > 0:\n"
    "            result.append(v)\n"
    "    return statistics.mean(result)\n"
)
SELECTED = MEAN[MEAN.index("def ") : MEAN.index("    return")]
"""The first five lines of the function, as ``make demo`` selects them."""


def test_an_edit_may_not_leave_a_name_undefined_where_the_function_still_uses_it() -> None:
    code = code_of(MEAN)
    # SmolLM2's answer in `make demo`: the selection rewritten into new functions, the line
    # after it left in the last of them.
    looped = SELECTED.replace(
        SELECTED[SELECTED.index("    result") :],
        "    return statistics.mean(values)\n\n"
        "def mean_of_positive_list(values):\n"
        "    return sum(values) / len(values)\n",
    )
    with pytest.raises(ReplyError, match=r"leave `result` undefined on line 9"):
        check_names_kept(code, _edits(MEAN, SELECTED, looped))
    # A variable renamed in the selection alone.
    renamed = SELECTED.replace("result", "positives")
    with pytest.raises(ReplyError, match=r"leave `result` undefined on line 9"):
        check_names_kept(code, _edits(MEAN, SELECTED, renamed))
    # Renamed everywhere it is used, or rewritten with the name kept: nothing to refuse.
    check_names_kept(code, _edits(MEAN, MEAN, MEAN.replace("result", "positives")))
    kept = "def mean_of_positive(values):\n    result = [v for v in values if v > 0]\n"
    check_names_kept(code, _edits(MEAN, SELECTED, kept))
    # A name the file defines elsewhere is still defined.
    module = "result = []\n\n\n" + MEAN
    check_names_kept(code_of(module), _edits(module, SELECTED, renamed))


@pytest.mark.parametrize(
    ("language", "text", "old", "new"),
    [
        (
            "javascript",
            "function total(items) {\n  let sum = 0;\n  for (const x of items) sum += x;\n"
            "  return sum;\n}\n",
            "  let sum = 0;\n  for (const x of items) sum += x;\n",
            "  let acc = 0;\n  for (const x of items) acc += x;\n",
        ),
        (
            "go",
            "package a\n\nfunc Total(items []int) int {\n\tsum := 0\n"
            "\tfor _, x := range items {\n\t\tsum += x\n\t}\n\treturn sum\n}\n",
            "\tsum := 0\n\tfor _, x := range items {\n\t\tsum += x\n\t}\n",
            "\tacc := 0\n\tfor _, x := range items {\n\t\tacc += x\n\t}\n",
        ),
        (
            "rust",
            "fn total(items: &[i32]) -> i32 {\n    let mut sum = 0;\n"
            "    for x in items { sum += x; }\n    sum\n}\n",
            "    let mut sum = 0;\n    for x in items { sum += x; }\n",
            "    let mut acc = 0;\n    for x in items { acc += x; }\n",
        ),
    ],
)
def test_a_variable_renamed_in_part_of_a_function_is_refused_in_every_language(
    language: str, text: str, old: str, new: str
) -> None:
    code = code_of(text, language)
    with pytest.raises(ReplyError, match=r"leave `sum` undefined"):
        check_names_kept(code, _edits(text, old, new))
    check_names_kept(code, _edits(text, text, text.replace("sum", "acc")))


def test_python_results_must_compile_not_only_parse() -> None:
    text = "def f(x):\n    if x:\n        return 1\n    return 2\n"
    with pytest.raises(ReplyError, match="not valid Python"):
        edit(text, text, "if x:\n    return 1\nreturn 2\n")


# --- documentation --------------------------------------------------------------------------

DOCS = {
    "go": ("package a\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n", "Add"),
    "rust": ("fn add(a: i32) -> i32 {\n    a\n}\n", "add"),
    "csharp": ("class A {\n    public int Run(int x) {\n        return x;\n    }\n}\n", "Run"),
    "kotlin": ("class A {\n    fun run(x: Int): Int {\n        return x\n    }\n}\n", "run"),
    "swift": ("func run(x: Int) -> Int {\n    return x\n}\n", "run"),
    "php": ("<?php\nfunction run($x) {\n    return $x;\n}\n", "run"),
    "ruby": ("def run(x)\n  x\nend\n", "run"),
    "lua": ("local function run(x)\n  return x\nend\n", "run"),
    "shellscript": ("run() {\n  echo 1\n}\n", "run"),
    "scala": ("object A {\n  def run(x: Int): Int = x\n}\n", "run"),
    "java": ("class A {\n    int run(int x) {\n        return x;\n    }\n}\n", "run"),
    "javascript": ("const run = (x) => {\n  return x;\n};\n", "run"),
}
MARKERS = {
    "go": "//",
    "rust": "///",
    "csharp": "///",
    "swift": "///",
    "ruby": "#",
    "shellscript": "#",
    "lua": "---",
}


def _definition(text: str, language: str, name: str) -> tuple[Code, object]:
    code = code_of(text, language)
    at = text.index(name)
    definition = code.syntax.definition(at, at)
    assert definition is not None and definition.span.name.endswith(name)
    return code, definition


@pytest.mark.parametrize("language", list(DOCS))
def test_doc_from_the_whole_definition_in_every_language(language: str) -> None:
    text, name = DOCS[language]
    code, definition = _definition(text, language, name)
    marker = MARKERS.get(language)
    comment = f"{marker} Does the thing." if marker else "/** Does the thing. */"
    member = text[text.index(name) :] if language in ("csharp", "kotlin", "java", "scala") else text
    header = text[: text.index(name)].rsplit("\n", 1)[-1]
    reply = f"```\n{comment}\n{header}{member}```"
    assert reply_doc(code, definition, reply, False) == ["Does the thing."]  # type: ignore[arg-type]


def test_doc_shapes_python() -> None:
    text = (
        '"""Shapes."""\n\n\nclass Box:\n    """A box."""\n\n    def area(self):\n        return 1\n'
    )
    code, definition = _definition(text, "python", "area")
    shapes = {
        "prose": "Return the area.",
        "docstring": '"""Return the area."""',
        "fenced def": '```python\ndef area(self):\n    """Return the area."""\n    return 1\n```',
        "json": '{"docstring": "Return the area."}',
        "prose then its own code": "Return the area. The implementation is:\n\n```python\n"
        "def area(self):\n    return 1\n```",
        "class echo": '```python\nclass Box:\n    """A box."""\n\n    def area(self):\n        """Return the area."""\n        return 1\n```',
    }
    for shape, reply in shapes.items():
        assert reply_doc(code, definition, reply, shape == "json") == ["Return the area."], shape  # type: ignore[arg-type]
    with pytest.raises(ReplyError, match="documentation of `Box`"):
        reply_doc(code, definition, "A box.", False)  # type: ignore[arg-type]
    with pytest.raises(ReplyError, match="documentation of the module"):
        reply_doc(code, definition, '"""Shapes."""', False)  # type: ignore[arg-type]
    with pytest.raises(ReplyError, match="another definition"):
        reply_doc(code, definition, '```python\nclass Box:\n    """A box, again."""\n```', False)  # type: ignore[arg-type]
    with pytest.raises(ReplyError, match="code instead of documentation"):
        reply_doc(code, definition, "```python\ndef area(self):\n    return 2\n```", False)  # type: ignore[arg-type]


def test_documentation_complete_stops_at_the_end_of_the_doc() -> None:
    spec = language_for("rust", None)
    done = documentation_complete(spec, "add")
    reply = "/// Adds one.\n/// More.\nfn add(a: i32) -> i32 {\n    a + 1\n}\n"
    cuts = [i for i in range(1, len(reply) + 1) if done(reply[:i])]
    assert reply[: cuts[0]].endswith("fn add(a: i32) -> i32 {\n")


def test_documented_definitions_in_new_grammars() -> None:
    for language, (text, name) in DOCS.items():
        syntax = Syntax(text, language_for(language, None))
        assert syntax.tree is not None and syntax.error_count() == 0, language
        assert any(entry.name.endswith(name) for entry in syntax.documented()), language


def test_the_indentation_fallback_refuses_to_guess() -> None:
    text = "section Main\n  entry run\n    emit 1\n"
    syntax = Syntax(text, language_for("zz", "a.zz"))
    assert syntax.definition(text.index("emit"), text.index("emit")) is None
    text = "def run\n  emit 1\nend\n"
    syntax = Syntax(text, language_for("zz", "a.zz"))
    found = syntax.definition(text.index("emit"), text.index("emit"))
    assert found is not None and found.header_line == 0
