"""The reply shapes real models send, end to end: the real server over LSP, real HTTP to the
scripted backend, the editor applying what comes back. Each failure shape from the issue
"Every reply a real model gives becomes the right edit", in several languages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsprotocol import types

from chatls_testing.scripted_backend import Chat
from tests.conftest import Session, Start


def _json(rng: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


async def run(
    session: Session,
    name: str,
    text: str,
    language: str,
    action: str,
    reply: str,
    at: str,
    message: str | None = None,
    **chat: Any,
) -> tuple[str, list[str]]:
    """Run ``action`` on ``at`` (a diagnostic's text for a fix, the cursor's word for a
    docstring, the selection otherwise); returns the document after and the new messages."""
    uri = session.editor.open(name, text, language_id=language)
    rng = session.editor.range_of(uri, at)
    argument: dict[str, Any] = {"uri": uri, "range": _json(rng)}
    if action == "docstring":
        argument["range"] = _json(types.Range(start=rng.start, end=rng.start))
    if action == "fix":
        argument["diagnostic"] = {"range": _json(rng), "message": message or "error"}
    seen = len(session.messages())
    session.backend.script(Chat(reply, **chat))
    await session.command(f"chatls.{action}", argument)
    return session.editor.text(uri), session.messages()[seen:]


FIX_ONE_LINE = [
    (
        "a.py",
        "python",
        "def area(width, height):\n    if width < 0:\n        return 0\n    return wdith * height\n",
        "wdith",
        "```python\n    return width * height\n```",
    ),
    (
        "a.go",
        "go",
        "package a\n\nfunc Area(width, height int) int {\n\tif width < 0 {\n\t\treturn 0\n\t}\n\treturn wdith * height\n}\n",
        "wdith",
        "```go\nreturn width * height\n```",
    ),
    (
        "a.js",
        "javascript",
        "function area(width, height) {\n  if (width < 0) {\n    return 0;\n  }\n  return wdith * height;\n}\n",
        "wdith",
        "Change the last line to:\n\n```js\nreturn width * height;\n```\n",
    ),
    (
        "a.rs",
        "rust",
        "fn area(width: i32, height: i32) -> i32 {\n    if width < 0 {\n        return 0;\n    }\n    wdith * height\n}\n",
        "wdith",
        "```rust\n    width * height\n```",
    ),
]


@pytest.mark.parametrize(("name", "language", "text", "at", "reply"), FIX_ONE_LINE)
async def test_a_one_line_fix_replaces_only_that_line(
    start: Start, name: str, language: str, text: str, at: str, reply: str
) -> None:
    session = await start()
    after, messages = await run(session, name, text, language, "fix", reply, at, "undefined")
    assert messages == []
    assert after == text.replace("wdith", "width")


async def test_fix_fragments_around_elisions_each_land_in_place(start: Start) -> None:
    session = await start()
    text = (
        "def f(items):\n    total = 0\n    for item in itmes:\n        total += item\n"
        "    count = len(items)\n    avg = totl / count\n    return avg\n"
    )
    reply = (
        "```python\n    for item in items:\n        total += item\n    # ...\n"
        "    avg = total / count\n```"
    )
    after, messages = await run(session, "f.py", text, "python", "fix", reply, "itmes", "x")
    assert messages == []
    assert after == text.replace("itmes", "items").replace("totl", "total")


DOC_ABOVE = [
    (
        "a.go",
        "go",
        "package a\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n",
        "Add(",
        "```go\n// Add returns the sum of a and b.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n```",
        "package a\n\n// Add returns the sum of a and b.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n",
    ),
    (
        "a.rs",
        "rust",
        "pub struct S;\n\nimpl S {\n    #[inline]\n    pub fn add(a: i32, b: i32) -> i32 {\n        a + b\n    }\n}\n",
        "add(",
        "```rust\n/// Adds two numbers.\n#[inline]\npub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n```",
        "pub struct S;\n\nimpl S {\n    /// Adds two numbers.\n    #[inline]\n    pub fn add(a: i32, b: i32) -> i32 {\n        a + b\n    }\n}\n",
    ),
    (
        "A.java",
        "java",
        "class A {\n    int twice(int x) {\n        return 2 * x;\n    }\n}\n",
        "twice(",
        "```java\n/**\n * Doubles x.\n *\n * @param x the value\n * @return twice x\n */\nint twice(int x) {\n    return 2 * x;\n}\n```",
        "class A {\n    /**\n     * Doubles x.\n     *\n     * @param x the value\n     * @return twice x\n     */\n"
        "    int twice(int x) {\n        return 2 * x;\n    }\n}\n",
    ),
    (
        "A.cs",
        "csharp",
        "namespace N {\n    public class A {\n        public int Run(int x) {\n            return x;\n        }\n    }\n}\n",
        "return x",
        "```csharp\n/// <summary>Returns x.</summary>\npublic int Run(int x) {\n    return x;\n}\n```",
        "namespace N {\n    public class A {\n        /// <summary>Returns x.</summary>\n        public int Run(int x) {\n            return x;\n        }\n    }\n}\n",
    ),
    (
        "a.kt",
        "kotlin",
        "class A {\n    fun run(x: Int): Int {\n        return x\n    }\n}\n",
        "run(",
        "```kotlin\n/**\n * Returns [x] unchanged.\n */\nfun run(x: Int): Int {\n    return x\n}\n```",
        "class A {\n    /** Returns [x] unchanged. */\n    fun run(x: Int): Int {\n        return x\n    }\n}\n",
    ),
    (
        "a.php",
        "php",
        "<?php\nfunction twice($x) {\n    return 2 * $x;\n}\n",
        "twice(",
        "```php\n<?php\n/**\n * Doubles $x.\n */\nfunction twice($x) {\n    return 2 * $x;\n}\n```",
        "<?php\n/** Doubles $x. */\nfunction twice($x) {\n    return 2 * $x;\n}\n",
    ),
    (
        "a.swift",
        "swift",
        "func twice(_ x: Int) -> Int {\n    return 2 * x\n}\n",
        "twice(",
        "```swift\n/// Doubles x.\nfunc twice(_ x: Int) -> Int {\n    return 2 * x\n}\n```",
        "/// Doubles x.\nfunc twice(_ x: Int) -> Int {\n    return 2 * x\n}\n",
    ),
    (
        "a.ts",
        "typescript",
        "export function twice(x: number): number {\n  return 2 * x;\n}\n",
        "twice(",
        "```typescript\n/** Doubles x. */\nexport function twice(x: number): number {\n  return 2 * x;\n}\n```",
        "/** Doubles x. */\nexport function twice(x: number): number {\n  return 2 * x;\n}\n",
    ),
]


@pytest.mark.parametrize(("name", "language", "text", "at", "reply", "expected"), DOC_ABOVE)
async def test_doc_comment_from_a_whole_definition_reply(
    start: Start, name: str, language: str, text: str, at: str, reply: str, expected: str
) -> None:
    session = await start()
    after, messages = await run(session, name, text, language, "docstring", reply, at)
    assert messages == []
    assert after == expected


async def test_docstring_stream_stops_once_the_documentation_is_complete(start: Start) -> None:
    session = await start()
    text = "def area(w, h):\n    return w * h\n"
    rambling = "\nThis function is useful because" + " it is very useful" * 300
    reply = (
        '```python\ndef area(w, h):\n    """Return the area of a w by h rectangle."""\n    return w * h\n```'
        + rambling
    )
    after, messages = await run(
        session,
        "a.py",
        text,
        "python",
        "docstring",
        reply,
        "area(",
        finish_reason="length",
        chunk_size=8,
        interval=0.002,
    )
    assert messages == []
    assert (
        after
        == 'def area(w, h):\n    """Return the area of a w by h rectangle."""\n    return w * h\n'
    )
    assert await asyncio.to_thread(
        session.backend.wait_for, lambda: session.backend.disconnects == 1
    )


async def test_a_doc_comment_that_belongs_to_another_definition_is_refused(start: Start) -> None:
    session = await start()
    text = (
        'class Shapes:\n    """A registry of shapes."""\n\n    def area(self, w, h):\n'
        "        return w * h\n"
    )
    reply = '```python\nclass Shapes:\n    """A registry of shapes."""\n```'
    after, messages = await run(session, "s.py", text, "python", "docstring", reply, "w * h")
    assert after == text
    assert len(messages) == 1 and "another definition" in messages[0]

    copied = "A registry of shapes."
    after, messages = await run(session, "t.py", text, "python", "docstring", copied, "w * h")
    assert after == text
    assert len(messages) == 1 and "copied the documentation of `Shapes`" in messages[0]

    java = "/** Shapes and their areas. */\nclass Shapes {\n    int area(int w, int h) {\n        return w * h;\n    }\n}\n"
    after, messages = await run(
        session, "S.java", java, "java", "docstring", "/** Shapes and their areas. */", "w * h"
    )
    assert after == java
    assert len(messages) == 1 and "copied the documentation of `Shapes`" in messages[0]


async def test_without_a_grammar_an_unclear_definition_is_refused(start: Start) -> None:
    session = await start()
    text = "section Main\n  entry run\n    emit 1\n  end\nend\n"
    after, messages = await run(session, "m.zz", text, "zz", "docstring", "Runs it.", "emit")
    assert after == text
    assert len(messages) == 1 and "cannot tell which definition" in messages[0]
    assert session.backend.requests == []


FIX_UNTOUCHED = [
    (
        "a.py",
        "python",
        "def area(width, height):\n    return wdith * height\n",
        "```python\ndef area(width, height):\n    return wdith * height\n```",
        "answered with the code unchanged: `wdith` is still there",
    ),
    (
        "b.py",
        "python",
        'def area(width, height):\n    """Area."""\n    return wdith * height\n',
        "```python\ndef area(width, height):\n    return wdith * height\n```",
        "leaves `wdith` as it was",
    ),
    (
        "a.go",
        "go",
        "package a\n\nfunc Area(width, height int) int {\n\tx := 1\n\treturn wdith * height * x\n}\n",
        "```go\nfunc Area(width, height int) int {\n\tx := 2\n\treturn wdith * height * x\n}\n```",
        "leaves `wdith` as it was",
    ),
]


@pytest.mark.parametrize(("name", "language", "text", "reply", "says"), FIX_UNTOUCHED)
async def test_a_fix_that_leaves_the_diagnosed_code_is_refused(
    start: Start, name: str, language: str, text: str, reply: str, says: str
) -> None:
    session = await start()
    after, messages = await run(
        session, name, text, language, "fix", reply, "wdith", "Undefined name `wdith`"
    )
    assert after == text
    assert len(messages) == 1 and says in messages[0] and "Undefined name `wdith`" in messages[0]


async def test_an_import_of_the_undefined_name_is_not_a_fix(start: Start) -> None:
    session = await start(settings={"structuredOutput": "jsonSchema"})
    text = "import os\n\n\ndef area(width, height):\n    return wdith * height\n"
    reply = {
        "code": "def area(width, height):\n    return wdith * height\n",
        "imports": ["import wdith"],
    }
    uri = session.editor.open("a.py", text)
    rng = session.editor.range_of(uri, "wdith")
    session.backend.script(Chat.json(reply))
    await session.command(
        "chatls.fix",
        {
            "uri": uri,
            "range": _json(rng),
            "diagnostic": {"range": _json(rng), "message": "Undefined name `wdith`"},
        },
    )
    assert session.editor.text(uri) == text
    (message,) = session.messages()
    assert "only imports `wdith`" in message and "misspelling of `width`" in message

    js = "function area(width, height) {\n  return wdith * height;\n}\n"
    reply_js = "```js\nconst wdith = require('wdith');\nfunction area(width, height) {\n  return wdith * height;\n}\n```"
    session2 = await start()
    after, messages = await run(
        session2, "a.js", js, "javascript", "fix", reply_js, "wdith", "'wdith' is not defined."
    )
    assert after == js
    assert len(messages) == 1


async def test_search_replace_blocks_apply_all_or_nothing(start: Start) -> None:
    session = await start()
    text = "def f(a):\n    x = a + 1\n    y = x * 2\n    return y\n"
    good = (
        "<<<<<<< SEARCH\n    x = a + 1\n=======\n    x = a + 2\n>>>>>>> REPLACE\n\n"
        "<<<<<<< SEARCH\nreturn y\n=======\nreturn y - 1\n>>>>>>> REPLACE\n"
    )
    after, messages = await run(session, "a.py", text, "python", "refactor", good, text)
    assert messages == []
    assert after == "def f(a):\n    x = a + 2\n    y = x * 2\n    return y - 1\n"

    bad = good.replace("return y\n=", "return z\n=")
    after, messages = await run(session, "b.py", text, "python", "refactor", bad, text)
    assert after == text
    assert (
        len(messages) == 1 and "SEARCH/REPLACE block 2 (`return z`) matches nothing" in messages[0]
    )

    go = "package a\n\nfunc F(a int) int {\n\tx := a + 1\n\treturn x\n}\n"
    diff = "```diff\n@@ -4,2 +4,2 @@\n-\tx := a + 1\n+\tx := a + 2\n \treturn x\n```"
    after, messages = await run(session, "a.go", go, "go", "refactor", diff, "x := a + 1")
    assert messages == []
    assert after == go.replace("a + 1", "a + 2")

    stale = "```diff\n-\tx := a + 3\n+\tx := a + 2\n```"
    after, messages = await run(session, "b.go", go, "go", "refactor", stale, "x := a + 1")
    assert after == go
    assert len(messages) == 1 and "diff hunk (`x := a + 3`) matches nothing" in messages[0]


async def test_python_results_must_compile(start: Start) -> None:
    session = await start()
    text = "def f(x):\n    if x:\n        return 1\n    return 2\n"
    # Parses (tree-sitter and ast), but `return` now sits outside any function.
    reply = "```python\nif x:\n    return 1\nreturn 2\n```"
    after, messages = await run(session, "a.py", text, "python", "refactor", reply, text)
    assert after == text
    assert len(messages) == 1 and "not valid Python" in messages[0]


async def test_an_edit_that_removes_a_definition_is_refused(start: Start) -> None:
    session = await start()
    go = "package a\n\nfunc Helper() int {\n\treturn 1\n}\n\nfunc F() int {\n\treturn Helpr()\n}\n"
    reply = "```go\nfunc F() int {\n\treturn Helper()\n}\n```"
    # The model's answer replaces the fix region but the region grew to take in Helper: refuse.
    after, messages = await run(
        session, "a.go", go, "go", "fix", reply, "Helpr", "undefined: Helpr"
    )
    assert messages == []
    assert after == go.replace("Helpr()", "Helper()")

    js = "function helper() {\n  return 1;\n}\nfunction main() {\n  return helper();\n}\n"
    reply_js = "```js\nfunction main() {\n  return 2;\n}\n```"
    after, messages = await run(
        session,
        "a.js",
        js,
        "javascript",
        "refactor",
        reply_js,
        "function helper() {\n  return 1;\n}\n",
    )
    assert after == js
    assert len(messages) == 1 and "`main`, defined elsewhere in the file" in messages[0]

    # A reply that drops the line opening the function around the selection.
    py = "def outer(x):\n    y = x + 1\n    return y\n\n\ndef other():\n    return 0\n"
    reply_py = "```python\ndef outr(x):\n    y = x + 2\n    return y\n```"
    after, messages = await run(session, "o.py", py, "python", "fix", reply_py, "x + 1", "wrong")
    assert after == py
    assert len(messages) == 1 and "would remove `outer`" in messages[0]
