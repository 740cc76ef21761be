"""Definitions from other files without a server: which names code uses from outside its file
and how directly, which definition each one means, what is shown of it, and what fits."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from chatls.context.outside import Fact, Outside, facts, fit, summary
from chatls.context.tokens import TokenCounter
from chatls.source.document import go_module
from chatls.source.languages import language_for
from chatls.source.reported import Reported
from chatls.source.syntax import Syntax
from chatls.source.uses import CALL, MEMBER, NAME, TYPE, commonjs_file, outside_uses
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


CART = """const { formatPrice, round: roundCents } = require("./lib/money.js");
const money = require("../money"), LIMIT = 3;
const User = require("./user");

/** @param {User} user @param {Order} order @param {string} note */
function label(user, order, cents) {
  const total = money.sum(cents, LIMIT);
  return formatPrice(roundCents(total)) + User.describe(user) + order.id;
}

function shadowed(formatPrice) {
  return formatPrice(1);
}
"""


def test_commonjs_requires_count_as_imports() -> None:
    assert uses_of(CART, "cart.js", "function label") == [
        # A whole module, lower case, is used through its members, near its path.
        ("sum", CALL, "money"),
        # Destructured names are the module's; the path's extension is not its name.
        ("formatPrice", CALL, "lib/money"),
        ("roundCents", CALL, "lib/money"),
        ("User.describe", CALL, "user"),
        # JSDoc is where JavaScript names types: an unknown one and a required one.
        ("Order", TYPE, ""),
        ("User", TYPE, "user"),
        ("id", MEMBER, ""),
    ]
    # A parameter of the same name shadows the required one.
    assert uses_of(CART, "cart.js", "function shadowed") == []
    # And they are the file's header, where imports a reply adds go.
    spans = Syntax(CART, language_for(None, "cart.js")).header_spans()
    assert [CART[span.start : span.end].split()[1] for span in spans] == ["{", "money", "User"]


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


def declared(
    name: str, where: str, members: tuple[str, ...] = (), parameters: tuple[str, ...] = ()
) -> Outside:
    return Outside(name, where, 1, "class", "", "", "python", members, parameters)


def test_facts_name_the_member_the_closest_one_and_what_the_type_has() -> None:
    user = declared("User", "models.py", members=("username", "email"))
    other = declared("Order", "orders.py", members=("number",))
    found = facts([other, user], Reported("name", "member", owner="User"), "", "python", None)
    assert found == [Fact("member", "User", "name", ("username", "email"), "username")]
    # Go spells the owner as a pointer type; a prefix that differs only in case still counts.
    cart = declared("Cart", "shop/cart.go", members=("Prices", "TotalPrice"))
    reported = Reported("Total", "member", owner="*shop.Cart")
    assert facts([cart], reported, "", "go", None)[0].closest == "TotalPrice"
    # No owner in the message: only a single type with a close member says which it was.
    unnamed = Reported("usrname", "member")
    assert facts([user, other], unnamed, "", "python", None)[0].name == "User"
    assert facts([user, user], unnamed, "", "python", None) == []
    # A member the type has is not the problem.
    assert facts([user], Reported("email", "member", owner="User"), "", "python", None) == []


def test_facts_name_the_unknown_keyword_and_the_parameter_left() -> None:
    load = declared("load_settings", "settings.py", parameters=("path", "strict"))
    line = 'return load_settings("app.toml", validate=True)'
    (fact,) = facts([load], None, line, "python", None)
    assert fact == Fact(
        "parameter", "load_settings", "validate", ("path", "strict"), "strict", ("strict",)
    )


def test_facts_give_the_import_a_missing_name_needs() -> None:
    slugify = declared("slugify", "blog/text/slugs.py")
    reported = Reported("slugify", "name")
    (fact,) = facts([slugify], reported, "x = slugify(t)", "python", "posts.py")
    assert fact.statement == "from blog.text.slugs import slugify"
    package = declared("slugify", "blog/text/__init__.py")
    assert facts([package], reported, "", "python", None)[0].statement == (
        "from blog.text import slugify"
    )
    ts = declared("slugify", "src/text/slugs.ts")
    assert facts([ts], reported, "", "typescript", "src/posts/index.ts")[0].statement == (
        'import { slugify } from "../text/slugs";'
    )
    js = declared("slugify", "src/text/slugs.js")
    assert facts([js], reported, "", "javascript", "src/posts.js", commonjs=True)[0].statement == (
        'const { slugify } = require("./text/slugs");'
    )
    rust = declared("slugify", "src/text/slugs.rs")
    assert facts([rust], reported, "", "rust", "src/main.rs")[0].statement == (
        "use crate::text::slugs::slugify;"
    )
    # Go imports packages by module path, which the file's path alone does not give.
    go = declared("Slugify", "text/slugs.go")
    (fact,) = facts([go], Reported("Slugify", "name"), "", "go", "main.go")
    assert (fact.where, fact.statement) == ("text/slugs.go", "")


def test_facts_give_the_order_of_parameters_when_nothing_else_is_reported() -> None:
    send = declared("send_email", "mail/sender.py", parameters=("to", "subject", "body"))
    one = declared("ping", "net.py", parameters=("host",))
    line = 'send_email("Welcome aboard", user.email); ping(h)'
    assert facts([send, one], None, line, "python", None) == [
        Fact("order", "send_email", names=("to", "subject", "body"))
    ]
    assert facts([send], None, "other(x)", "python", None) == []


def test_go_grouped_imports_give_each_name_its_own_module() -> None:
    go = (
        'package main\n\nimport (\n\t"fmt"\n\t"shop/cart"\n)\n\n'
        "func pay(c *cart.Cart) string {\n\treturn fmt.Sprint(cart.Total(c))\n}\n"
    )
    assert ("Total", CALL, "shop/cart") in uses_of(go, "main.go", "func pay")


def test_a_javascript_file_is_commonjs_when_it_requires_or_exports_and_never_imports() -> None:
    def commonjs(text: str, language: str = "javascript") -> bool:
        return commonjs_file(Syntax(text, language_for(language, None)))

    assert commonjs('const { a } = require("./a");\nf(a);\n')
    assert commonjs("function f() {}\nmodule.exports = { f };\n")
    assert commonjs("exports.f = function () {};\n")
    assert not commonjs('import { a } from "./a";\nconst b = require("./b");\n')
    assert not commonjs("export function f() {}\nmodule.exports = {};\n")
    assert not commonjs("function f() {}\n")
    # TypeScript compiles an import into either module system.
    assert not commonjs('const { a } = require("./a");\n', "typescript")


def test_go_facts_import_the_package_by_its_module_path(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "go.mod").write_text("module example.com/svc\n\ngo 1.21\n")
    (tmp_path / "svc" / "api").mkdir()
    document = tmp_path / "svc" / "api" / "handler.go"
    module = go_module(str(document), str(tmp_path))
    assert module == ("example.com/svc", "svc")
    # Outside any module, or above the workspace: nothing.
    assert go_module(str(tmp_path / "main.go"), str(tmp_path)) is None
    assert go_module(str(document), str(tmp_path / "svc" / "api")) is None

    slugify = declared("Slugify", "svc/text/slugs.go")
    reported = Reported("Slugify", "name")
    (fact,) = facts([slugify], reported, "", "go", "svc/api/handler.go", go_module=module)
    assert (fact.statement, fact.written) == ('import "example.com/svc/text"', "text.Slugify")
    # The same package needs no import.
    near = declared("Slugify", "svc/api/slugs.go")
    (fact,) = facts([near], reported, "", "go", "svc/api/handler.go", go_module=module)
    assert (fact.statement, fact.written) == ("", "")
