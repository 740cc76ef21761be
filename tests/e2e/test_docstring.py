"""Generate docstring: each language's convention, in its place, replacing never duplicating."""

from __future__ import annotations

import pytest
from lsprotocol import types

from chatls_testing.scripted_backend import Chat
from tests.conftest import Start

CASES = [
    (
        "python insert",
        "a.py",
        "python",
        "import os\n\n\nclass Box:\n    def area(self, w, h):\n        return w * h\n",
        "area(self",
        "Compute the area.\n\nArgs:\n    w: Width.\n    h: Height.",
        'import os\n\n\nclass Box:\n    def area(self, w, h):\n        """Compute the area.\n\n'
        '        Args:\n            w: Width.\n            h: Height.\n        """\n        return w * h\n',
    ),
    (
        "python replaces the existing docstring",
        "a.py",
        "python",
        'def f(x):\n    """Old doc."""\n    return x\n',
        "return x",
        '```python\n"""Return x unchanged."""\n```',
        'def f(x):\n    """Return x unchanged."""\n    return x\n',
    ),
    (
        "python from a model that returned the whole function",
        "a.py",
        "python",
        "@cache\ndef f(x):\n    return x\n",
        "@cache",
        '```python\n@cache\ndef f(x):\n    """Return x.\n\n    Cached.\n    """\n    return x\n```',
        '@cache\ndef f(x):\n    """Return x.\n\n    Cached.\n    """\n    return x\n',
    ),
    (
        "python one-line definition",
        "a.py",
        "python",
        "def f(x): return x\n",
        "return x",
        "Identity.",
        'def f(x):\n    """Identity."""\n    return x\n',
    ),
    (
        "javascript JSDoc above export",
        "a.js",
        "javascript",
        "export function add(a, b) {\n  return a + b;\n}\n",
        "return a",
        "Add two numbers.\n\n@param {number} a\n@param {number} b\n@returns {number}",
        "/**\n * Add two numbers.\n *\n * @param {number} a\n * @param {number} b\n * @returns {number}\n */\n"
        "export function add(a, b) {\n  return a + b;\n}\n",
    ),
    (
        "typescript replaces an existing JSDoc",
        "a.ts",
        "typescript",
        "class A {\n  /**\n   * Old.\n   */\n  run(): void {\n    go();\n  }\n}\n",
        "go()",
        "/**\n * Run it.\n */",
        "class A {\n  /** Run it. */\n  run(): void {\n    go();\n  }\n}\n",
    ),
    (
        "go comment",
        "a.go",
        "go",
        "package main\n\n// old\nfunc Add(a, b int) int {\n\treturn a + b\n}\n",
        "return a",
        "Add returns the sum of a and b.",
        "package main\n\n// Add returns the sum of a and b.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n",
    ),
    (
        "rust doc above attributes",
        "a.rs",
        "rust",
        "#[inline]\npub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
        "a + b",
        "Adds two numbers.\n\n# Examples\n\n```\nassert_eq!(add(1, 2), 3);\n```",
        "/// Adds two numbers.\n///\n/// # Examples\n///\n/// ```\n/// assert_eq!(add(1, 2), 3);\n/// ```\n"
        "#[inline]\npub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
    ),
    (
        "java javadoc",
        "A.java",
        "java",
        'class A {\n    @Override\n    public String toString() {\n        return "A";\n    }\n}\n',
        'return "A"',
        "Describe this object.\n\n@return the name",
        "class A {\n    /**\n     * Describe this object.\n     *\n     * @return the name\n     */\n"
        '    @Override\n    public String toString() {\n        return "A";\n    }\n}\n',
    ),
    (
        "c doxygen",
        "a.c",
        "c",
        "#include <stdio.h>\n\nint twice(int x) {\n    return 2 * x;\n}\n",
        "return 2",
        "/** Double x. */",
        "#include <stdio.h>\n\n/** Double x. */\nint twice(int x) {\n    return 2 * x;\n}\n",
    ),
    (
        "c# one-line summary above the whole method, after a lead-in",
        "A.cs",
        "csharp",
        "class A\n{\n    [Obsolete]\n    public int Twice(int x)\n    {\n        return 2 * x;\n    }\n}\n",
        "return 2",
        "Here is the documented method:\n\n```csharp\n/// <summary>Doubles x.</summary>\n[Obsolete]\n"
        "public int Twice(int x)\n{\n    return 2 * x;\n}\n```",
        "class A\n{\n    /// <summary>Doubles x.</summary>\n    [Obsolete]\n    public int Twice(int x)\n"
        "    {\n        return 2 * x;\n    }\n}\n",
    ),
    (
        "ruby without a grammar",
        "a.rb",
        "ruby",
        "class A\n  def go(x)\n    x * 2\n  end\nend\n",
        "x * 2",
        "Doubles x.\n@param x [Integer]",
        "class A\n  # Doubles x.\n  # @param x [Integer]\n  def go(x)\n    x * 2\n  end\nend\n",
    ),
]


@pytest.mark.parametrize(
    ("name", "file", "language", "source", "cursor", "reply", "expected"),
    CASES,
    ids=[c[0] for c in CASES],
)
async def test_docstring(
    start: Start,
    name: str,
    file: str,
    language: str,
    source: str,
    cursor: str,
    reply: str,
    expected: str,
) -> None:
    session = await start()
    uri = session.editor.open(file, source, language_id=language)
    position = session.editor.range_of(uri, cursor).start
    action = await session.action(
        uri, types.Range(start=position, end=position), "refactor.rewrite.chatls.docstring"
    )
    session.backend.script(Chat(reply))
    await session.run(action)
    assert session.messages() == []
    assert session.editor.text(uri) == expected


async def test_docstring_structured_and_crlf(start: Start) -> None:
    session = await start(settings={"structuredOutput": "auto"})
    source = "def f(x):\r\n    return x\r\n"
    uri = session.editor.open("c.py", source)
    position = session.editor.range_of(uri, "return").start
    action = await session.action(
        uri, types.Range(start=position, end=position), "refactor.rewrite.chatls.docstring"
    )
    session.backend.script(Chat.json({"docstring": "Return x.\n\nUnchanged."}))
    await session.run(action)
    assert session.editor.text(uri) == (
        'def f(x):\r\n    """Return x.\r\n\r\n    Unchanged.\r\n    """\r\n    return x\r\n'
    )
    schema = session.backend.requests[0].body["response_format"]["json_schema"]
    assert schema["name"] == "doc_comment"


async def test_docstring_twice_never_duplicates(start: Start) -> None:
    session = await start()
    uri = session.editor.open("d.py", "def f(x):\n    return x\n")
    for text in ("First.", "Second."):
        position = session.editor.range_of(uri, "return").start
        action = await session.action(
            uri, types.Range(start=position, end=position), "refactor.rewrite.chatls.docstring"
        )
        session.backend.script(Chat(text))
        await session.run(action)
    assert session.editor.text(uri) == 'def f(x):\n    """Second."""\n    return x\n'


async def test_docstring_outside_any_definition_says_so(start: Start) -> None:
    session = await start()
    uri = session.editor.open("e.py", "x = 1\n")
    rng = session.editor.range_of(uri, "x = 1")
    action = await session.action(uri, rng, "refactor.rewrite.chatls.docstring")
    resolved = await session.run(action)
    assert resolved.edit is None
    assert session.backend.requests == []
    assert session.messages(types.MessageType.Error) == [
        "chatls: Put the cursor in a function, method or class to document it."
    ]
