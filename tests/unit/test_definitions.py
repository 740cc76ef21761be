"""Definitions from other files without a server: which names code uses from outside its file
and how directly, which definition each one means, what is shown of it, and what fits."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from chatls.context.outside import Outside, fit, summary
from chatls.context.tokens import TokenCounter
from chatls.source.languages import language_for
from chatls.source.syntax import Syntax
from chatls.source.uses import CALL, MEMBER, NAME, TYPE, outside_uses
from chatls.tools.definitions import BODY_LINES, look_up
from chatls.tools.files import FileRules, WorkspaceFiles
from chatls.tools.index import SymbolIndex

APP = """import os
from pkg.util import helper, Config
from pkg import shapes

LIMIT = 3


def local(x):
    return x


def target(a: Config, b) -> Result:
    y = helper(a, LIMIT)
    z = shapes.area(b)
    w = Config.load("x")
    q = b.frobnicate()
    print(os.getcwd(), OTHER)
    return local(y) + z
"""


def uses_of(text: str, path: str, first: str) -> list[tuple[str, int, str]]:
    syntax = Syntax(text, language_for(None, path))
    start = text.index(first)
    return [(u.name, u.how, u.hint) for u in outside_uses(syntax, start, len(text))]


def test_names_from_outside_ranked_calls_first_and_own_names_left_out() -> None:
    assert uses_of(APP, "app.py", "def target") == [
        ("helper", CALL, "pkg/util"),
        # A name the file imports, used as a module or a class: looked up qualified first.
        ("shapes.area", CALL, "pkg"),
        ("Config.load", CALL, "pkg/util"),
        ("getcwd", CALL, "os"),
        ("Config", TYPE, "pkg/util"),
        ("Result", TYPE, ""),
        ("shapes", NAME, "pkg"),
        ("OTHER", NAME, ""),
        ("frobnicate", MEMBER, ""),
    ]
    # Not `local`, `LIMIT`, the parameters and locals, `print` or `os`: the file binds them, or
    # they are built-ins, or modules (whose members are what counts).


def test_code_inside_a_function_counts_its_signature_and_the_call_around_it() -> None:
    text = "from models import User, save\n\n\ndef greet(user: User) -> str:\n    return save(x=user.name)\n"
    assert uses_of(text, "app.py", "x=user") == [
        ("save", CALL, "models"),
        ("User", TYPE, "models"),
        ("name", MEMBER, ""),
    ]


def test_go_and_typescript() -> None:
    go = 'package main\n\nimport "example.com/p/util"\n\nfunc run(p Point) int {\n\treturn util.Helper(p.X) + Scale(p)\n}\n'
    assert uses_of(go, "main.go", "func run")[:3] == [
        ("Helper", CALL, "example/com/p/util"),
        ("Scale", CALL, ""),
        ("Point", TYPE, ""),
    ]
    ts = 'import { helper, Cfg } from "./lib/util";\nfunction run(c: Cfg): number { return helper(c.x); }\n'
    assert uses_of(ts, "app.ts", "function run")[:2] == [
        ("helper", CALL, "lib/util"),
        ("Cfg", TYPE, "lib/util"),
    ]


UTIL = (
    '''"""Utilities."""


def helper(value: object, limit: int) -> int:
    """Count VALUE up to LIMIT."""
    return 1


def long_one(a: int) -> int:
    """A long function."""
'''
    + "".join(f"    a += {n}\n" for n in range(BODY_LINES + 5))
    + "    return a\n"
)


def test_look_up_chooses_shows_and_keeps_to_the_workspace(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "util.py").write_text(UTIL)
    (root / "other.py").write_text("def getcwd():\n    return 'not the os one'\n")
    (root / "secret").mkdir()
    (root / "secret" / "keys.py").write_text("def frobnicate():\n    return 'KEY'\n")
    (root / "app.py").write_text(APP)
    files = WorkspaceFiles([str(root)], FileRules(exclude=("secret/**",)))
    index = SymbolIndex(files)
    syntax = Syntax(APP, language_for(None, "app.py"))
    uses = outside_uses(syntax, APP.index("def target"), len(APP))
    uses.append(outside_uses(Syntax("long_one(1)", syntax.spec), 0, 11)[0])
    found = asyncio.run(look_up(index, {}, str(root / "app.py"), uses))
    assert [(f.name, f.where, f.start_line + 1) for f in found] == [
        ("helper", "pkg/util.py", 4),
        ("long_one", "pkg/util.py", 9),
    ]
    helper, long_one = found
    # Short: whole. Long: its signature and docstring.
    assert helper.text == (
        'def helper(value: object, limit: int) -> int:\n    """Count VALUE up to LIMIT."""\n'
        "    return 1"
    )
    assert long_one.text == 'def long_one(a: int) -> int:\n    """A long function."""'
    assert long_one.signature == "def long_one(a: int) -> int:"
    # `os.getcwd` is the standard library's, not other.py's; `frobnicate` is only in an
    # excluded file, never read.

    # An open document's text wins over the disk's.
    real = os.path.realpath(root / "pkg" / "util.py")
    edited = {real: UTIL.replace("def helper(value", "def helper(edited_value")}
    (again, _) = asyncio.run(look_up(index, edited, str(root / "app.py"), uses))
    assert again.text.startswith("def helper(edited_value: object")


def definition(name: str, lines: int) -> Outside:
    body = "\n".join(f"    step_{name}_{n}()" for n in range(lines))
    return Outside(
        name, f"{name}.py", 1, "function", f"def {name}():\n{body}", f"def {name}():", "python"
    )


def test_fit_keeps_the_order_and_falls_back_to_signatures() -> None:
    counter = TokenCounter("gpt-4o-mini")
    small, large, other = definition("small", 2), definition("large", 200), definition("other", 2)
    text, included = fit([small, large, other], counter, 200)
    assert [i.name for i in included] == ["small", "large", "other"]
    assert "step_large_0" not in text and "def large():" in text  # its signature alone
    assert text.index("small.py") < text.index("large.py") < text.index("other.py")
    assert sum(i.tokens for i in included) <= 200
    assert (
        summary(included)
        == f"3 definitions from other files ({sum(i.tokens for i in included)} tokens)"
    )
    assert fit([small], counter, 0) == ("", ())
    assert fit([small, large], counter, 40, brief=True)[0].count("step_") == 0
