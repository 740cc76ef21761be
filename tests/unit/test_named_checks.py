"""The checks on a Fix of a misspelt name (edits/named.py), through the pipeline's entry point
with the diagnosis the Fix action makes, without a server."""

from __future__ import annotations

import pytest

from chatls.actions.fix import ACTION as FIX
from chatls.edits.fitting import region_for_selection
from chatls.edits.named import map_offset
from chatls.edits.rewrite import Purpose, code_edit
from chatls.errors import ReplyError
from chatls.source.code import Code
from chatls.source.document import Document
from chatls.source.names import Names, diagnose
from chatls.source.reported import read
from chatls.source.text import apply_text_edits, text_index

PY = """class Box:
    def __init__(self, width):
        self.width = width

    def area(self, height, side, seed):
        total = wdith * height + wdith
        return self.wdith * sied


def scale(factor):
    return factor * 2


def grow(box, factor):
    return scale(factr) + box.area(1, 2)
"""


def fix(message: str, needle: str, reply: str, occurrence: int = 0) -> str:
    """The document after a Fix of the ``occurrence``-th ``needle`` answered with ``reply``."""
    code = Code(Document(uri="file:///x.py", text=PY, language_id="python"), "utf-32")
    at = -1
    for _ in range(occurrence + 1):
        at = PY.index(needle, at + 1)
    reported = read(message)
    assert reported is not None
    named = diagnose(PY, at, at + len(needle), reported, lambda: Names(code.syntax))
    assert named is not None
    span = code.syntax.enclosing_scope(at, at + len(needle))
    assert span is not None
    region = region_for_selection(text_index(PY, "utf-32"), span.start, span.end)
    purpose = Purpose(FIX.rules, (named.start, named.end), message, chosen=True, named=named)
    change = code_edit(code, region, reply, False, purpose)
    return apply_text_edits(PY, list(change.edits), "utf-32")


def test_the_same_misspelling_fixed_twice_on_its_line_is_one_fix() -> None:
    after = fix(
        '"wdith" is not defined',
        "wdith",
        "```python\n        total = self.width * height + self.width\n```",
    )
    assert "total = self.width * height + self.width" in after


def test_a_bare_name_becomes_the_objects_member() -> None:
    # No bare name is that close; the object's own `width` is.
    after = fix(
        '"wdith" is not defined',
        "wdith",
        "```python\n        total = self.width * height + wdith\n```",
    )
    assert "total = self.width * height + wdith\n" in after


def test_a_member_is_replaced_by_the_member_meant() -> None:
    message = 'Cannot access attribute "wdith" for class "Box*"'
    after = fix(message, "wdith", "```python\n        return self.width * sied\n```", occurrence=2)
    assert "return self.width * sied" in after
    with pytest.raises(
        ReplyError,
        match=r"replaces `wdith` with `height`.*most likely means `width` \(a field of `Box`\)",
    ):
        fix(message, "wdith", "```python\n        return self.height * sied\n```", occurrence=2)


def test_a_tie_takes_either_name_but_not_an_undefined_one() -> None:
    message = '"sied" is not defined'
    assert "return self.wdith * side" in fix(
        message, "sied", "```python\n        return self.wdith * side\n```"
    )
    with pytest.raises(
        ReplyError, match="replaces `sied` with `sides`, which is not defined there"
    ):
        fix(message, "sied", "```python\n        return self.wdith * sides\n```")


def test_an_answer_that_removes_the_name_names_the_likely_one() -> None:
    with pytest.raises(
        ReplyError, match="replaces `factr` by nothing, but `factr` most likely means `factor`"
    ):
        fix(
            '"factr" is not defined',
            "factr",
            "```python\n    return scale() + box.area(1, 2)\n```",
        )


def test_recursion_unless_the_misspelling_was_of_the_functions_own_name() -> None:
    message = '"factr" is not defined'
    with pytest.raises(ReplyError, match="makes `grow` call itself"):
        fix(message, "factr", "```python\n    return grow(box, factor) + box.area(1, 2)\n```")


def test_a_misspelt_recursive_call_may_become_the_recursive_call() -> None:
    text = "def walk(node):\n    for child in node:\n        wlak(child)\n"
    code = Code(Document(uri="file:///w.py", text=text, language_id="python"), "utf-32")
    at = text.index("wlak")
    named = diagnose(text, at, at + 4, read('"wlak" is not defined'), lambda: Names(code.syntax))  # type: ignore[arg-type]
    assert named is not None and named.intended is not None and named.intended.text == "walk"
    region = region_for_selection(text_index(text, "utf-32"), 0, len(text))
    purpose = Purpose(FIX.rules, (at, at + 4), "x", chosen=True, named=named)
    change = code_edit(code, region, "```python\n        walk(child)\n```", False, purpose)
    assert apply_text_edits(text, list(change.edits), "utf-32") == text.replace("wlak", "walk")


def test_offsets_map_through_edits() -> None:
    assert map_offset([(2, 2, "ab\n")], 2, left=True) == 5  # a whole line before stays before
    assert map_offset([(2, 2, "ab")], 2, left=True) == 2  # text joining the line is on it
    assert map_offset([(2, 2, "ab")], 2, left=False) == 4
    assert map_offset([(2, 2, "\nab")], 2, left=False) == 2  # a line started after stays after
    spans = [(1, 1, "ab"), (5, 7, "x")]
    assert map_offset(spans, 6, left=True) == 7  # inside a replaced span: its start
    assert map_offset(spans, 6, left=False) == 8  # or its end
    assert map_offset(spans, 9, left=False) == 10


def test_a_member_of_a_class_defined_elsewhere_may_be_any_name() -> None:
    # `Cart` is not in the file: its members are unknown, so no name is refused as undefined.
    message = 'Cannot access attribute "totl" for class "Cart"'
    text = "from shop import Cart\n\n\ndef pay(cart: Cart) -> str:\n    return cart.totl()\n"
    code = Code(Document(uri="file:///c.py", text=text, language_id="python"), "utf-32")
    at = text.index("totl")
    named = diagnose(text, at, at + 4, read(message), lambda: Names(code.syntax))  # type: ignore[arg-type]
    assert named is not None and named.intended is None and named.qualifier == "cart"
    region = region_for_selection(text_index(text, "utf-32"), 0, len(text))
    purpose = Purpose(FIX.rules, (at, at + 4), message, chosen=True, named=named)
    change = code_edit(
        code, region, "```python\n    return cart.total_price()\n```", False, purpose
    )
    assert "cart.total_price()" in apply_text_edits(text, list(change.edits), "utf-32")


def test_a_member_of_a_class_in_the_file_must_be_one_of_its_members() -> None:
    # Nothing in `Box` is close to `colour`: any member will do, but only a member.
    message = 'Cannot access attribute "colour" for class "Box"'
    text = "class Box:\n    def __init__(self):\n        self.width = 1\n\n    def paint(self):\n        return self.colour\n"
    code = Code(Document(uri="file:///b.py", text=text, language_id="python"), "utf-32")
    at = text.index("colour")
    named = diagnose(text, at, at + 6, read(message), lambda: Names(code.syntax))  # type: ignore[arg-type]
    assert named is not None and named.intended is None
    region = region_for_selection(text_index(text, "utf-32"), 0, len(text))
    purpose = Purpose(FIX.rules, (at, at + 6), message, chosen=True, named=named)
    change = code_edit(code, region, "```python\n        return self.width\n```", False, purpose)
    assert "return self.width" in apply_text_edits(text, list(change.edits), "utf-32")
    with pytest.raises(
        ReplyError, match="replaces `colour` with `depth`, which is not a member of `Box`"
    ):
        code_edit(code, region, "```python\n        return self.depth\n```", False, purpose)


def test_a_missing_standard_module_is_imported_even_with_a_close_name_about() -> None:
    text = "def wait(times):\n    for _ in range(times):\n        time.sleep(1)\n"
    code = Code(Document(uri="file:///t.py", text=text, language_id="python"), "utf-32")
    at = text.index("time.")
    named = diagnose(text, at, at + 4, read('"time" is not defined'), lambda: Names(code.syntax))  # type: ignore[arg-type]
    assert named is not None and named.intended is not None and named.intended.text == "times"
    region = region_for_selection(text_index(text, "utf-32"), 0, len(text))
    purpose = Purpose(FIX.rules, (at, at + 4), "x", chosen=True, named=named)
    reply = "```python\nimport time\n\n\ndef wait(times):\n    for _ in range(times):\n        time.sleep(1)\n```"
    change = code_edit(code, region, reply, False, purpose)
    assert apply_text_edits(text, list(change.edits), "utf-32") == "import time\n" + text


POSTS = """const { basename } = require("node:path");

function postUrl(title) {
  return "/posts/" + slugify(title);
}
"""


def _fix_posts(reply: str, language: str = "javascript") -> str:
    """POSTS after a Fix of the undefined ``slugify`` answered with ``reply``."""
    uri = "file:///posts.js" if language == "javascript" else "file:///posts.ts"
    code = Code(Document(uri=uri, text=POSTS, language_id=language), "utf-32")
    at = POSTS.index("slugify")
    message = "Cannot find name 'slugify'."
    named = diagnose(POSTS, at, at + 7, read(message), lambda: Names(code.syntax))  # type: ignore[arg-type]
    assert named is not None
    span = code.syntax.enclosing_scope(at, at + 7)
    assert span is not None
    region = region_for_selection(text_index(POSTS, "utf-32"), span.start, span.end)
    purpose = Purpose(FIX.rules, (at, at + 7), message, chosen=True, named=named)
    change = code_edit(code, region, reply, False, purpose)
    return apply_text_edits(POSTS, list(change.edits), "utf-32")


def test_a_require_the_answer_adds_imports_the_missing_name_in_javascript() -> None:
    function = POSTS.split("\n\n", 1)[1]
    required = 'const { slugify } = require("./text/slugs");'
    after = _fix_posts(f"```javascript\n{required}\n\n{function}```")
    # Below the file's own require, as an import would go.
    assert after == POSTS.replace("\n\n", f"\n{required}\n\n", 1)
    whole = 'const slugs = require("./text/slugs");'
    reply = f"```javascript\n{whole}\n\n{function.replace('slugify', 'slugs.slugify')}```"
    assert _fix_posts(reply) == POSTS.replace("\n\n", f"\n{whole}\n\n", 1).replace(
        "+ slugify", "+ slugs.slugify"
    )


def test_in_typescript_a_require_is_no_import() -> None:
    # tsc types a ``require`` as ``any`` at best: TypeScript imports with ``import``.
    function = POSTS.split("\n\n", 1)[1]
    reply = f'```typescript\nconst {{ slugify }} = require("./text/slugs");\n\n{function}```'
    with pytest.raises(ReplyError, match="leaves `slugify` as it was"):
        _fix_posts(reply, "typescript")
    imported = 'import { slugify } from "./text/slugs";'
    after = _fix_posts(f"```typescript\n{imported}\n\n{function}```", "typescript")
    assert after == POSTS.replace("\n\n", f"\n{imported}\n\n", 1)


GO = """package path

func Join(elem ...string) string {
\tsize := 0
\tif size = 0 {
\t\treturn ""
\t}
\tfor _, e := range elem {
\t\tif len(buf) > 0 || e != "" {
\t\t\tbuf = append(buf, e...)
\t\t}
\t}
\treturn Clean(string(buf))
}
"""


def _fix_go(reply: str) -> str:
    code = Code(Document(uri="file:///p.go", text=GO, language_id="go"), "utf-32")
    at = GO.index("size = 0")
    region = region_for_selection(text_index(GO, "utf-32"), 0, len(GO))
    message = "syntax error: cannot use assignment (size) = (0) as value"
    purpose = Purpose(FIX.rules, (at, at + 8), message, chosen=True)
    change = code_edit(code, region, reply, False, purpose)
    return apply_text_edits(GO, list(change.edits), "utf-32")


def test_any_fix_changes_no_other_line() -> None:
    # SmolLM2's answer to this bench task (go-fix-2): the condition fixed, and the signature
    # and the loop rewritten with it.
    reply = GO.replace("size = 0", "size == 0").replace("...string", "[]string")
    with pytest.raises(
        ReplyError, match=r"also changes line 3 \(`func Join\(elem \.\.\.string\) string \{`\)"
    ):
        _fix_go(f"```go\n{reply}```")
    # Added code elsewhere is fine: a fix may need a line more.
    reply = GO.replace("size = 0", "size == 0").replace(
        "\tsize := 0\n", "\tsize := 0\n\tvar buf []byte\n"
    )
    assert _fix_go(f"```go\n{reply}```") == reply


def test_a_fix_may_take_the_lines_tied_to_it_by_a_variable() -> None:
    # Only the loop rewritten (it shares no variable with `if size = 0`): refused.
    reply = GO.replace("size = 0", "size == 0").replace(
        '\t\tif len(buf) > 0 || e != "" {\n\t\t\tbuf = append(buf, e...)\n\t\t}\n',
        "\t\tbuf = append(buf, e...)\n",
    )
    with pytest.raises(ReplyError, match=r"also changes line 9 \(`if len\(buf\) > 0"):
        _fix_go(f"```go\n{reply}```")
    # The declaration of `size` goes with the condition on it.
    reply = GO.replace("\tsize := 0\n\tif size = 0 {", "\tif size := len(elem); size == 0 {")
    assert _fix_go(f"```go\n{reply}```") == reply


SUM = """def total(items):
    print("adding up", len(items))
    result = 0
    for item in items:
        result = result + item
    return result


def count(items):
    return len(items)
"""


def _fix_sum(reply: str, message: str = "use sum()") -> str:
    code = Code(Document(uri="file:///s.py", text=SUM, language_id="python"), "utf-32")
    at = SUM.index("result + item")
    region = region_for_selection(text_index(SUM, "utf-32"), 0, SUM.index("\n\n\ndef count"))
    purpose = Purpose(FIX.rules, (at, at + len("result + item")), message, chosen=True)
    change = code_edit(code, region, reply, False, purpose)
    return apply_text_edits(SUM, list(change.edits), "utf-32")


def test_a_loop_replaced_by_a_call_takes_its_accumulator_with_it() -> None:
    fixed = 'def total(items):\n    print("adding up", len(items))\n    return sum(items)\n'
    before = SUM[: SUM.index("\n\n\n")] + "\n"
    assert _fix_sum(f"```python\n{fixed}```") == SUM.replace(before, fixed)
    # A statement that shares no variable with it is not the diagnostic's to change (a
    # parameter is no tie: it is used everywhere).
    with pytest.raises(ReplyError, match=r"also changes line 2 \(`print\(\"adding up\", len"):
        _fix_sum("```python\ndef total(items):\n    return sum(items)\n```")


def test_brackets_put_around_the_fixed_name_are_other_code() -> None:
    # Qwen's answer to rust-fix-3 in this shape: the name fixed, and a `(` put before it with
    # its `)` further along: the brackets are what the refusal names, not the name.
    with pytest.raises(
        ReplyError,
        match=r"also puts `\(` before `wdith`, which is not part of",
    ):
        fix(
            '"wdith" is not defined',
            "wdith",
            "```python\n        total = (self.width * height) + wdith\n```",
        )
