"""Messy model replies and the edit a careful human would make from each.

Each case is a document with the selection marked by ⟦ and ⟧, the model's raw reply, and the
document expected after the edit. Shared by the unit tests (replies + edits) and the end-to-end
tests (through the language server).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    id: str
    document: str
    reply: str
    expected: str
    language: str = "python"
    extension: str = "py"

    def split(self) -> tuple[str, int, int]:
        start = self.document.index("⟦")
        end = self.document.index("⟧") - 1
        return self.document.replace("⟦", "").replace("⟧", ""), start, end


PY = """def total(items):
⟦    result = 0
    for item in items:
        result = result + item
⟧    return result
"""
PY_AFTER = """def total(items):
    result = 0
    for item in items:
        result += item
    return result
"""

CASES = [
    Case(
        "fenced with tag and prose",
        PY,
        "Sure! Here is a cleaner version:\n\n```python\nresult = 0\nfor item in items:\n"
        "    result += item\n```\n\nThis uses augmented assignment.",
        PY_AFTER,
    ),
    Case(
        "fenced without tag",
        PY,
        "```\nresult = 0\nfor item in items:\n    result += item\n```",
        PY_AFTER,
    ),
    Case(
        "tilde fence",
        PY,
        "~~~py\nresult = 0\nfor item in items:\n    result += item\n~~~",
        PY_AFTER,
    ),
    Case(
        "unfenced code only", PY, "result = 0\nfor item in items:\n    result += item\n", PY_AFTER
    ),
    Case(
        "unfenced with prose around",
        PY,
        "Here is the refactored code:\n\nresult = 0\nfor item in items:\n    result += item\n\n"
        "This version is shorter and easier to read.",
        PY_AFTER,
    ),
    Case(
        "unclosed fence",
        PY,
        "```python\nresult = 0\nfor item in items:\n    result += item\n",
        PY_AFTER,
    ),
    Case(
        "usage example after the answer",
        PY,
        "```python\n    result = 0\n    for item in items:\n        result += item\n```\n\n"
        "Usage:\n\n```python\nprint(total([1, 2, 3]))\n```",
        PY_AFTER,
    ),
    Case(
        "before and after blocks",
        PY,
        "Before:\n```python\nresult = 0\nfor item in items:\n    result = result + item\n```\n"
        "After:\n```python\nresult = 0\nfor item in items:\n    result += item\n```",
        PY_AFTER,
    ),
    Case(
        "too deeply indented",
        PY,
        "```python\n            result = 0\n            for item in items:\n"
        "                result += item\n```",
        PY_AFTER,
    ),
    Case(
        "first line lost its indentation",
        PY,
        "```python\nresult = 0\n    for item in items:\n        result += item\n```",
        PY_AFTER,
    ),
    Case(
        "echoes the def line above",
        PY,
        "```python\ndef total(items):\n    result = 0\n    for item in items:\n"
        "        result += item\n```",
        PY_AFTER,
    ),
    Case(
        "echoes def line and the return below",
        PY,
        "```python\ndef total(items):\n    result = 0\n    for item in items:\n"
        "        result += item\n    return result\n```",
        PY_AFTER,
    ),
    Case(
        "changed the signature above",
        PY,
        "```python\ndef total(items: list[int]) -> int:\n    result = 0\n    for item in items:\n"
        "        result += item\n```",
        PY_AFTER.replace("def total(items):", "def total(items: list[int]) -> int:"),
    ),
    Case(
        "diff reply",
        PY,
        "```diff\n     result = 0\n     for item in items:\n-        result = result + item\n"
        "+        result += item\n```",
        PY_AFTER,
    ),
    Case(
        "blank lines and trailing spaces at the edges",
        PY,
        "```python\n\n\nresult = 0\nfor item in items:\n    result += item\n\n\n```",
        PY_AFTER,
    ),
    Case(
        "tabs stay tabs",
        "def total(items):\n⟦\tresult = 0\n\tfor item in items:\n\t\tresult = result + item\n⟧\treturn result\n",
        "```python\nresult = 0\nfor item in items:\n    result += item\n```",
        "def total(items):\n\tresult = 0\n\tfor item in items:\n\t\tresult += item\n\treturn result\n",
    ),
    Case(
        "two-space file keeps two spaces",
        "def total(items):\n⟦  result = 0\n  for item in items:\n    result = result + item\n⟧  return result\n",
        "```python\nresult = 0\nfor item in items:\n    result += item\n```",
        "def total(items):\n  result = 0\n  for item in items:\n    result += item\n  return result\n",
    ),
    Case(
        "CRLF stays CRLF",
        "def total(items):\r\n⟦    result = 0\r\n    for item in items:\r\n        result = result + item\r\n⟧    return result\r\n",
        "```python\nresult = 0\nfor item in items:\n    result += item\n```",
        "def total(items):\r\n    result = 0\r\n    for item in items:\r\n        result += item\r\n    return result\r\n",
    ),
    Case(
        "no trailing newline stays without",
        "def total(items):\n    result = 0\n⟦    return result⟧",
        "```python\nreturn int(result)\n```\n",
        "def total(items):\n    result = 0\n    return int(result)",
    ),
    Case(
        "selection from the first non-blank character",
        "def f(x):\n    ⟦y = x + 1\n    return y⟧\n",
        "```python\ny = x + 2\nreturn y\n```",
        "def f(x):\n    y = x + 2\n    return y\n",
    ),
    Case(
        "partial-line selection stays inline",
        "def f(a, b):\n    return ⟦a + b⟧ * 2\n",
        "```python\n(a - b)\n```",
        "def f(a, b):\n    return (a - b) * 2\n",
    ),
    Case(
        "partial-line reply repeats the line around it",
        "def f(a, b):\n    x = ⟦a + b⟧  # sum\n",
        "```python\nx = a - b  # sum\n```",
        "def f(a, b):\n    x = a - b  # sum\n",
    ),
    Case(
        "non-ASCII before the selection on the same line",
        'def f():\n    s = "héllo 😀"; t = ⟦s.upper()⟧\n',
        "```python\ns.lower()\n```",
        'def f():\n    s = "héllo 😀"; t = s.lower()\n',
    ),
    Case(
        "JavaScript body with echoed header and brace",
        "function total(items) {\n⟦  let result = 0;\n  for (const item of items) {\n    result = result + item;\n  }\n⟧  return result;\n}\n",
        "```js\nfunction total(items) {\n  let result = 0;\n  for (const item of items) {\n    result += item;\n  }\n```",
        "function total(items) {\n  let result = 0;\n  for (const item of items) {\n    result += item;\n  }\n  return result;\n}\n",
        language="javascript",
        extension="js",
    ),
    Case(
        "JavaScript reply with closing brace of the function",
        "function f(x) {\n⟦  return x + 1;\n⟧}\n",
        "```javascript\n  return x + 2;\n}\n```",
        "function f(x) {\n  return x + 2;\n}\n",
        language="javascript",
        extension="js",
    ),
    Case(
        "Go with tabs",
        "package main\n\nfunc add(a, b int) int {\n⟦\ts := a + b\n\treturn s\n⟧}\n",
        "```go\n    return a + b\n```",
        "package main\n\nfunc add(a, b int) int {\n\treturn a + b\n}\n",
        language="go",
        extension="go",
    ),
]
