"""What files define, per language, as find_definition shows it."""

from __future__ import annotations

import pytest

from chatls.source.languages import language_for
from chatls.source.outline import declared_apart, outline
from chatls.source.syntax import Syntax


def names(text: str, path: str) -> list[tuple[str, str, int]]:
    return [
        (s.qualified, s.kind, s.start_line) for s in outline(Syntax(text, language_for(None, path)))
    ]


def test_python() -> None:
    text = '''import os
LIMIT: int = 3


@dataclass
class User(Base):
    """A user."""

    name: str

    def greet(self, other,
              loud=False) -> str:
        """Say hello."""
        local = 1
        return local


def helper():
    pass
'''
    assert names(text, "m.py") == [
        ("LIMIT", "variable", 1),
        ("User", "class", 4),
        ("User.name", "field", 8),
        ("User.greet", "method", 10),
        ("helper", "function", 17),
    ]
    (_, user, _, greet, _) = outline(Syntax(text, language_for("python", None)))
    assert user.header == "@dataclass\nclass User(Base):"
    assert user.members.splitlines()[-2:] == ["              loud=False) -> str:", "        ..."]
    assert greet.header == "    def greet(self, other,\n              loud=False) -> str:"
    assert greet.doc == '        """Say hello."""'


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        (
            "a.ts",
            "// Adds.\nexport function add(a: number, b: number): number {\n  return a + b\n}\n"
            "export const mul = (a: number) => a * 2;\n"
            "interface Point {\n  x: number;\n}\n"
            "class Shape {\n  sides = 3;\n  area(): number {\n    return 0\n  }\n}\n",
            [
                ("add", "function", 1),
                ("mul", "variable", 4),
                ("Point", "interface", 5),
                ("Point.x", "field", 6),
                ("Shape", "class", 8),
                ("Shape.sides", "field", 9),
                ("Shape.area", "method", 10),
            ],
        ),
        (
            "a.go",
            "package p\n\n// Area is the area.\nfunc (r *Rect) Area() int {\n\treturn 1\n}\n\n"
            "type Rect struct {\n\tW, H int\n}\n\nconst Pi = 3\n",
            [
                ("Rect.Area", "method", 3),
                ("Rect", "type", 7),
                ("Rect.W", "field", 8),
                ("Rect.H", "field", 8),
                ("Pi", "constant", 11),
            ],
        ),
        (
            "a.rs",
            "/// Doc.\npub fn f(a: i32) -> i32 {\n    a\n}\npub struct S {\n    pub x: i32,\n}\n"
            "impl S {\n    fn g(&self) {}\n}\nconst K: i32 = 1;\n",
            [
                ("f", "function", 1),
                ("S", "struct", 4),
                ("S.x", "field", 5),
                ("S.g", "method", 8),
                ("K", "constant", 10),
            ],
        ),
        (
            "a.c",
            "struct point {\n  int x;\n};\nint add(int a, int b) {\n  return a + b;\n}\n"
            "int sub(int, int);\nstatic int limit = 3;\n",
            [
                ("point", "struct", 0),
                ("point.x", "field", 1),
                ("add", "function", 3),
                ("sub", "function", 6),
                ("limit", "variable", 7),
            ],
        ),
        (
            "a.rb",
            "class Greeter\n  def hello(name)\n  end\nend\n",
            [("Greeter", "class", 0), ("Greeter.hello", "method", 1)],
        ),
    ],
)
def test_other_languages(path: str, text: str, expected: list[tuple[str, str, int]]) -> None:
    assert names(text, path) == expected


def test_doc_comments_above_and_signatures_without_bodies() -> None:
    text = "package p\n\n// Area is the area.\n// In square units.\nfunc Area(w, h int) int {\n\treturn w * h\n}\n"
    (area,) = outline(Syntax(text, language_for("go", None)))
    assert area.doc == "// Area is the area.\n// In square units."
    assert area.header == "func Area(w, h int) int"


def test_a_class_shows_what_its_constructor_assigns() -> None:
    python = (
        "class Order:\n    def __init__(self, prices):\n        check(prices)\n"
        "        self.invoice = Invoice(prices)\n        self.count: int = 0\n"
        "        if self.count == 0:\n            pass\n\n    def total(self):\n        return 1\n"
    )
    (order,) = [
        s for s in outline(Syntax(python, language_for("python", None))) if s.name == "Order"
    ]
    assert order.members.splitlines()[2:5] == [
        "        self.invoice = Invoice(prices)",
        "        self.count: int = 0",
        "        ...",
    ]
    assert "check(prices)" not in order.members and "return 1" not in order.members
    js = (
        "class User {\n  constructor(name) {\n    this.username = name;\n    check(name);\n  }\n}\n"
    )
    (user,) = [s for s in outline(Syntax(js, language_for("javascript", None))) if s.name == "User"]
    assert "this.username = name;" in user.members and "check(name)" not in user.members


def test_members_declared_apart_from_the_type() -> None:
    go = (
        "package shop\n\ntype Cart struct {\n\tPrices []float64\n}\n\n"
        "func (c *Cart) Total() float64 { return 0 }\n\nfunc Other() {}\n"
    )
    symbols = outline(Syntax(go, language_for("go", None)))
    (cart,) = [s for s in symbols if s.name == "Cart"]
    assert declared_apart(cart, symbols) == ["func (c *Cart) Total() float64"]
    rust = "pub struct Cart { pub prices: Vec<f64> }\n\nimpl Cart {\n    pub fn total(&self) -> f64 { 0.0 }\n}\n"
    symbols = outline(Syntax(rust, language_for("rust", None)))
    (cart,) = [s for s in symbols if s.name == "Cart" and s.kind == "struct"]
    assert declared_apart(cart, symbols) == ["pub fn total(&self) -> f64"]
