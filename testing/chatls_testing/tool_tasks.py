"""Tasks whose right edit needs another file of the workspace: the Fix is asked on one file, and
what it must know is defined in another. Shared by the end-to-end tests (a scripted model that
looks the definition up) and ``bench/tools.py`` (real models, with and without tools).

Each task's ``check`` is a Python script run in the workspace after the edit: exit status 0
means the edit is right. For Python, it imports the edited module and calls the fixed code with
stand-ins; for JavaScript, it runs the edited module with Node; for Go, it builds and runs a
small program with the workspace's module (``go`` from ``scripts/system-deps.sh``, offline); for
TypeScript and Rust, whose compilers a test machine may lack, it reads the edited file: the
wrong text gone, the right one there. No check passes on the workspace as it is.

The diagnostics are what each language's checker prints: pyright for Python, tsc (``checkJs``
for JavaScript), the Go compiler, rustc.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    id: str
    what: str
    files: dict[str, str]
    target: str
    """The file the Fix runs on."""
    needle: str
    """The text the diagnostic points at."""
    diagnostic: str
    lookup: str
    """The name a model needs to look up."""
    fact: str
    """What the lookup shows that the prompt without it does not."""
    fixed: str
    """A right version of the enclosing function (what the scripted model answers)."""
    check: str

    @property
    def language(self) -> str:
        """The target's LSP language id (and its code fence's language)."""
        return LANGUAGES[os.path.splitext(self.target)[1]]


LANGUAGES = {".py": "python", ".js": "javascript", ".ts": "typescript", ".go": "go", ".rs": "rust"}


def _node_check(script: str) -> str:
    """A check that runs ``script`` with Node in the workspace (CommonJS: ``require``)."""
    return f"""import shutil
import subprocess
import sys

node = shutil.which("node") or sys.exit("no node on PATH")
sys.exit(subprocess.run([node, "-e", {script!r}]).returncode)
"""


def _go_check(main: str) -> str:
    """A check that builds and runs ``main`` (a ``package main`` using the workspace's module)
    with ``go run``, offline, with the build cache in the temporary directory."""
    return f"""import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

go = shutil.which("go") or sys.exit("no go on PATH")
pathlib.Path("checkmain").mkdir(exist_ok=True)
pathlib.Path("checkmain/main.go").write_text({main!r})
cache = os.path.join(tempfile.gettempdir(), "chatls-tool-tasks-go")
env = dict(
    os.environ,
    GOCACHE=os.path.join(cache, "build"),
    GOPATH=os.path.join(cache, "path"),
    GOPROXY="off",
    GOFLAGS="-mod=mod",
    GO111MODULE="on",
)
sys.exit(subprocess.run([go, "run", "./checkmain"], env=env).returncode)
"""


def _text_check(path: str, gone: tuple[str, ...], there: tuple[str, ...]) -> str:
    """A check that reads the edited file: no match of a ``gone`` pattern is left in it and each
    ``there`` pattern matches (regular expressions)."""
    return f"""import pathlib
import re

text = pathlib.Path({path!r}).read_text()
for pattern in {gone!r}:
    assert not re.search(pattern, text), f"still there: {{pattern}}"
for pattern in {there!r}:
    assert re.search(pattern, text), f"missing: {{pattern}}"
"""


GO_MOD = "module {}\n\ngo 1.19\n"
CARGO = '[package]\nname = "{}"\nversion = "0.1.0"\nedition = "2021"\n'


TASKS = (
    Task(
        id="argument-order",
        what="a call with its arguments in the wrong order, against a definition elsewhere",
        files={
            "mail/sender.py": '''"""Outgoing mail."""


def send_email(to: str, subject: str, body: str = "") -> None:
    """Send one message to the address TO."""
    raise RuntimeError("no mail server in tests")
''',
            "mail/__init__.py": "",
            "signup.py": """from mail.sender import send_email


def welcome(user):
    send_email("Welcome aboard", user.email)
""",
        },
        target="signup.py",
        needle='send_email("Welcome aboard", user.email)',
        diagnostic="test_welcome failed: the welcome mail was sent to 'Welcome aboard'",
        lookup="send_email",
        fact="to: str, subject: str",
        fixed="""def welcome(user):
    send_email(user.email, "Welcome aboard")
""",
        check="""import inspect
import mail.sender
import signup

calls = []
real = inspect.signature(mail.sender.send_email)
signup.send_email = lambda *a, **k: calls.append(real.bind(*a, **k).arguments)


class User:
    email = "ada@example.com"


signup.welcome(User())
assert calls and calls[0]["to"] == "ada@example.com", calls
assert calls[0]["subject"] == "Welcome aboard", calls
""",
    ),
    Task(
        id="renamed-field",
        what="a field renamed in a dataclass defined in another module",
        files={
            "models.py": '''from dataclasses import dataclass


@dataclass
class User:
    """A registered user."""

    username: str
    email: str
''',
            "greeting.py": """from models import User


def greeting(user: User) -> str:
    return f"Hello, {user.name}!"
""",
        },
        target="greeting.py",
        needle="user.name",
        diagnostic='Cannot access attribute "name" for class "User"',
        lookup="User",
        fact="username: str",
        fixed="""def greeting(user: User) -> str:
    return f"Hello, {user.username}!"
""",
        check="""from greeting import greeting
from models import User

assert greeting(User("ada", "ada@example.com")) == "Hello, ada!"
""",
    ),
    Task(
        id="missing-import",
        what="a missing import whose module must be found",
        files={
            "blog/__init__.py": "",
            "blog/text/__init__.py": "",
            "blog/text/slugs.py": '''import re


def slugify(title: str) -> str:
    """The URL slug of TITLE: lower case, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
''',
            "posts.py": """def post_url(title):
    return "/posts/" + slugify(title)
""",
        },
        target="posts.py",
        needle="slugify",
        diagnostic='"slugify" is not defined',
        lookup="slugify",
        fact="blog/text/slugs.py",
        fixed="""from blog.text.slugs import slugify


def post_url(title):
    return "/posts/" + slugify(title)
""",
        check="""from posts import post_url

assert post_url("Hello World") == "/posts/hello-world"
""",
    ),
    Task(
        id="keyword-renamed",
        what="a keyword argument the function elsewhere no longer takes",
        files={
            "settings.py": '''def load_settings(path: str, *, strict: bool = False) -> dict:
    """Read PATH; with STRICT, unknown keys are an error."""
    return {"path": path, "strict": strict}
''',
            "main.py": """from settings import load_settings


def start():
    return load_settings("app.toml", validate=True)
""",
        },
        target="main.py",
        needle="validate=True",
        diagnostic='No parameter named "validate"',
        lookup="load_settings",
        fact="strict: bool = False",
        fixed="""def start():
    return load_settings("app.toml", strict=True)
""",
        check="""from main import start

assert start() == {"path": "app.toml", "strict": True}
""",
    ),
    Task(
        id="method-renamed",
        what="a method renamed in a class defined in another module",
        files={
            "shop/__init__.py": "",
            "shop/cart.py": '''class Cart:
    """Items and their prices."""

    def __init__(self) -> None:
        self.prices: list[float] = []

    def add(self, price: float) -> None:
        self.prices.append(price)

    def total_price(self) -> float:
        """The sum of the prices."""
        return sum(self.prices)
''',
            "checkout.py": """from shop.cart import Cart


def pay(cart: Cart) -> str:
    return f"Paying {cart.total():.2f}"
""",
        },
        target="checkout.py",
        needle="total",
        diagnostic='Cannot access attribute "total" for class "Cart"',
        lookup="Cart",
        fact="def total_price(self) -> float:",
        fixed="""def pay(cart: Cart) -> str:
    return f"Paying {cart.total_price():.2f}"
""",
        check="""from checkout import pay
from shop.cart import Cart

cart = Cart()
cart.add(2.5)
cart.add(1)
assert pay(cart) == "Paying 3.50"
""",
    ),
    Task(
        id="return-changed",
        what="a function elsewhere that now returns a pair",
        files={
            "prices.py": '''"""Amounts of money."""


def parse_amount(text: str) -> tuple[int, str]:
    """The amount of TEXT ("12.50 EUR") as (cents, currency)."""
    number, currency = text.split()
    units, _, hundredths = number.partition(".")
    return int(units) * 100 + int(hundredths.ljust(2, "0")), currency
''',
            "invoice.py": """from prices import parse_amount


def in_cents(text: str) -> int:
    cents: int = parse_amount(text)
    return cents
""",
        },
        target="invoice.py",
        needle="parse_amount(text)",
        diagnostic='Type "tuple[int, str]" is not assignable to declared type "int"\n'
        '  "tuple[int, str]" is not assignable to "int"',
        lookup="parse_amount",
        fact="as (cents, currency)",
        fixed="""def in_cents(text: str) -> int:
    cents, _currency = parse_amount(text)
    return cents
""",
        check="""from invoice import in_cents

assert in_cents("12.50 EUR") == 1250, in_cents("12.50 EUR")
assert in_cents("3 USD") == 300
""",
    ),
    Task(
        id="method-moved",
        what="a method moved from a class to the class of one of its attributes",
        files={
            "billing.py": '''class Invoice:
    """What an order costs: its prices and the tax on them."""

    def __init__(self, prices: list[float], tax: float) -> None:
        self.prices = prices
        self.tax = tax

    def total(self) -> float:
        """The sum of the prices, tax included."""
        return sum(self.prices) * (1 + self.tax)


class Order:
    """An order: what it costs is on its invoice."""

    def __init__(self, prices: list[float], tax: float = 0.0) -> None:
        self.invoice = Invoice(prices, tax)
''',
            "receipt.py": """from billing import Order


def receipt(order: Order) -> str:
    return f"Total: {order.total():.2f}"
""",
        },
        target="receipt.py",
        needle="total",
        diagnostic='Cannot access attribute "total" for class "Order"',
        lookup="Order",
        fact="self.invoice = Invoice(prices, tax)",
        fixed="""def receipt(order: Order) -> str:
    return f"Total: {order.invoice.total():.2f}"
""",
        check="""from billing import Order
from receipt import receipt

assert receipt(Order([10.0, 5.0], tax=0.2)) == "Total: 18.00"
""",
    ),
    Task(
        id="js-argument-order",
        what="JavaScript: a call with its arguments in the wrong order (tsc checkJs)",
        files={
            "lib/money.js": """/**
 * The price as shown to customers: "12.50 EUR".
 * @param {string} currency
 * @param {number} cents
 * @returns {string}
 */
function formatPrice(currency, cents) {
  return `${(cents / 100).toFixed(2)} ${currency}`;
}

module.exports = { formatPrice };
""",
            "cart.js": """const { formatPrice } = require("./lib/money");

function label(cents) {
  return "Total: " + formatPrice(cents, "EUR");
}

module.exports = { label };
""",
        },
        target="cart.js",
        needle='formatPrice(cents, "EUR")',
        diagnostic="Argument of type 'number' is not assignable to parameter of type 'string'.",
        lookup="formatPrice",
        fact="function formatPrice(currency, cents)",
        fixed="""function label(cents) {
  return "Total: " + formatPrice("EUR", cents);
}
""",
        check=_node_check(
            'const assert = require("node:assert/strict");\n'
            'assert.equal(require("./cart.js").label(1250), "Total: 12.50 EUR");\n'
        ),
    ),
    Task(
        id="js-missing-import",
        what="JavaScript: a missing require whose module must be found",
        files={
            "text/slugs.js": """/** The URL slug of a title: lower case, words joined by hyphens. */
function slugify(title) {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

module.exports = { slugify };
""",
            "posts.js": """function postUrl(title) {
  return "/posts/" + slugify(title);
}

module.exports = { postUrl };
""",
        },
        target="posts.js",
        needle="slugify",
        diagnostic="Cannot find name 'slugify'.",
        lookup="slugify",
        fact="text/slugs.js",
        fixed="""const { slugify } = require("./text/slugs");

function postUrl(title) {
  return "/posts/" + slugify(title);
}
""",
        check=_node_check(
            'const assert = require("node:assert/strict");\n'
            'assert.equal(require("./posts.js").postUrl("Hello World"), "/posts/hello-world");\n'
        ),
    ),
    Task(
        id="js-renamed-field",
        what="JavaScript: a field renamed in a class defined in another module",
        files={
            "models.js": """class User {
  /**
   * @param {string} username
   * @param {string} email
   */
  constructor(username, email) {
    this.username = username;
    this.email = email;
  }
}

module.exports = { User };
""",
            "greeting.js": """const { User } = require("./models");

/** @param {User} user */
function greeting(user) {
  return `Hello, ${user.name}!`;
}

module.exports = { greeting };
""",
        },
        target="greeting.js",
        needle="name",
        diagnostic="Property 'name' does not exist on type 'User'.",
        lookup="User",
        fact="this.username = username;",
        fixed="""function greeting(user) {
  return `Hello, ${user.username}!`;
}
""",
        check=_node_check(
            'const assert = require("node:assert/strict");\n'
            'const { User } = require("./models.js");\n'
            'const { greeting } = require("./greeting.js");\n'
            'assert.equal(greeting(new User("ada", "ada@example.com")), "Hello, ada!");\n'
        ),
    ),
    Task(
        id="ts-renamed-field",
        what="TypeScript: a field renamed in a class defined in another module",
        files={
            "cart.ts": """export interface Item {
  name: string;
  cents: number;
}

export class Cart {
  items: Item[] = [];

  /** The sum of the items' prices, in cents. */
  totalCents = 0;

  add(item: Item): void {
    this.items.push(item);
    this.totalCents += item.cents;
  }
}
""",
            "checkout.ts": """import { Cart } from "./cart";

export function summary(cart: Cart): string {
  return `${cart.items.length} items, ${cart.total} cents`;
}
""",
        },
        target="checkout.ts",
        needle="total",
        diagnostic="Property 'total' does not exist on type 'Cart'.",
        lookup="Cart",
        fact="totalCents = 0;",
        fixed="""export function summary(cart: Cart): string {
  return `${cart.items.length} items, ${cart.totalCents} cents`;
}
""",
        check=_text_check(
            "checkout.ts",
            gone=(r"cart\.total\b",),
            there=(r"\$\{cart\.totalCents\} cents",),
        ),
    ),
    Task(
        id="ts-missing-import",
        what="TypeScript: a missing import whose module must be found",
        files={
            "text/slugs.ts": """/** The URL slug of a title: lower case, words joined by hyphens. */
export function slugify(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
""",
            "posts.ts": """export function postUrl(title: string): string {
  return "/posts/" + slugify(title);
}
""",
        },
        target="posts.ts",
        needle="slugify",
        diagnostic="Cannot find name 'slugify'.",
        lookup="slugify",
        fact="text/slugs.ts",
        fixed="""import { slugify } from "./text/slugs";

export function postUrl(title: string): string {
  return "/posts/" + slugify(title);
}
""",
        check=_text_check(
            "posts.ts",
            gone=(),
            there=(
                r"(?m)^import\s*\{[^}]*\bslugify\b[^}]*\}\s*from\s*[\"']\./text/slugs(\.js)?[\"']",
                r'return "/posts/" \+ slugify\(title\);',
            ),
        ),
    ),
    Task(
        id="ts-argument-order",
        what="TypeScript: a call with its arguments in the wrong order",
        files={
            "money.ts": """/** The price as shown to customers: "12.50 EUR". */
export function formatPrice(currency: string, cents: number): string {
  return `${(cents / 100).toFixed(2)} ${currency}`;
}
""",
            "label.ts": """import { formatPrice } from "./money";

export function label(cents: number): string {
  return "Total: " + formatPrice(cents, "EUR");
}
""",
        },
        target="label.ts",
        needle='formatPrice(cents, "EUR")',
        diagnostic="Argument of type 'number' is not assignable to parameter of type 'string'.",
        lookup="formatPrice",
        fact="formatPrice(currency: string, cents: number)",
        fixed="""export function label(cents: number): string {
  return "Total: " + formatPrice("EUR", cents);
}
""",
        check=_text_check(
            "label.ts",
            gone=(r"formatPrice\(\s*cents\s*,",),
            there=(r"\"Total: \" \+ formatPrice\(\s*[\"']EUR[\"']\s*,\s*cents\s*\)",),
        ),
    ),
    Task(
        id="ts-method-moved",
        what="TypeScript: a method moved from a class to the class of one of its fields",
        files={
            "billing.ts": """export class Invoice {
  constructor(
    readonly cents: number[],
    readonly tax: number,
  ) {}

  /** The sum of the prices, tax included, in cents. */
  total(): number {
    return Math.round(this.cents.reduce((a, b) => a + b, 0) * (1 + this.tax));
  }
}

/** An order: what it costs is on its invoice. */
export class Order {
  readonly invoice: Invoice;

  constructor(cents: number[], tax = 0) {
    this.invoice = new Invoice(cents, tax);
  }
}
""",
            "receipt.ts": """import { Order } from "./billing";

export function receipt(order: Order): string {
  return `Total: ${order.total()} cents`;
}
""",
        },
        target="receipt.ts",
        needle="total",
        diagnostic="Property 'total' does not exist on type 'Order'.",
        lookup="Order",
        fact="readonly invoice: Invoice;",
        fixed="""export function receipt(order: Order): string {
  return `Total: ${order.invoice.total()} cents`;
}
""",
        check=_text_check(
            "receipt.ts",
            gone=(r"order\.total\(",),
            there=(r"`Total: \$\{order\.invoice\.total\(\)\} cents`",),
        ),
    ),
    Task(
        id="go-method-renamed",
        what="Go: a method renamed on a type defined in another package",
        files={
            "go.mod": GO_MOD.format("shop"),
            "cart/cart.go": """package cart

// Cart holds the prices of the items in it, in cents.
type Cart struct {
\tprices []int
}

// Add puts an item's price in the cart.
func (c *Cart) Add(cents int) {
\tc.prices = append(c.prices, cents)
}

// TotalPrice is the sum of the prices, in cents.
func (c *Cart) TotalPrice() int {
\tsum := 0
\tfor _, p := range c.prices {
\t\tsum += p
\t}
\treturn sum
}
""",
            "checkout/checkout.go": """package checkout

import (
\t"fmt"

\t"shop/cart"
)

func Pay(c *cart.Cart) string {
\treturn fmt.Sprintf("Paying %d cents", c.Total())
}
""",
        },
        target="checkout/checkout.go",
        needle="Total",
        diagnostic="c.Total undefined (type *cart.Cart has no field or method Total)",
        lookup="Cart",
        fact="func (c *Cart) TotalPrice() int",
        fixed="""func Pay(c *cart.Cart) string {
\treturn fmt.Sprintf("Paying %d cents", c.TotalPrice())
}
""",
        check=_go_check(
            """package main

import (
\t"fmt"
\t"os"

\t"shop/cart"
\t"shop/checkout"
)

func main() {
\tc := &cart.Cart{}
\tc.Add(250)
\tc.Add(100)
\tif got := checkout.Pay(c); got != "Paying 350 cents" {
\t\tfmt.Println(got)
\t\tos.Exit(1)
\t}
}
"""
        ),
    ),
    Task(
        id="go-missing-import",
        what="Go: a function of another package used without its import",
        files={
            "go.mod": GO_MOD.format("blog"),
            "text/slugs.go": """package text

import "strings"

// Slugify is the URL slug of a title: lower case, words joined by hyphens.
func Slugify(title string) string {
\treturn strings.Join(strings.Fields(strings.ToLower(title)), "-")
}
""",
            "posts/posts.go": """package posts

func URL(title string) string {
\treturn "/posts/" + Slugify(title)
}
""",
        },
        target="posts/posts.go",
        needle="Slugify",
        diagnostic="undefined: Slugify",
        lookup="Slugify",
        fact="text/slugs.go",
        fixed="""import "blog/text"

func URL(title string) string {
\treturn "/posts/" + text.Slugify(title)
}
""",
        check=_go_check(
            """package main

import (
\t"fmt"
\t"os"

\t"blog/posts"
)

func main() {
\tif got := posts.URL("Hello World"); got != "/posts/hello-world" {
\t\tfmt.Println(got)
\t\tos.Exit(1)
\t}
}
"""
        ),
    ),
    Task(
        id="go-argument-order",
        what="Go: a call with its arguments in the wrong order",
        files={
            "go.mod": GO_MOD.format("shop"),
            "money/money.go": """package money

import "fmt"

// Format is the price as shown to customers: "12.50 EUR".
func Format(currency string, cents int) string {
\treturn fmt.Sprintf("%d.%02d %s", cents/100, cents%100, currency)
}
""",
            "labels/labels.go": """package labels

import "shop/money"

func Total(cents int) string {
\treturn "Total: " + money.Format(cents, "EUR")
}
""",
        },
        target="labels/labels.go",
        needle='money.Format(cents, "EUR")',
        diagnostic="cannot use cents (variable of type int) as string value in argument to "
        "money.Format",
        lookup="Format",
        fact="func Format(currency string, cents int) string",
        fixed="""func Total(cents int) string {
\treturn "Total: " + money.Format("EUR", cents)
}
""",
        check=_go_check(
            """package main

import (
\t"fmt"
\t"os"

\t"shop/labels"
)

func main() {
\tif got := labels.Total(1250); got != "Total: 12.50 EUR" {
\t\tfmt.Println(got)
\t\tos.Exit(1)
\t}
}
"""
        ),
    ),
    Task(
        id="go-return-changed",
        what="Go: a function of another package that now returns an error too",
        files={
            "go.mod": GO_MOD.format("app"),
            "config/config.go": """package config

import "fmt"

// Config is the application's settings.
type Config struct {
\tPort int
}

// Load reads the settings at path; an unknown path is an error.
func Load(path string) (Config, error) {
\tif path != "app.toml" {
\t\treturn Config{}, fmt.Errorf("no settings at %s", path)
\t}
\treturn Config{Port: 8080}, nil
}
""",
            "server/server.go": """package server

import "app/config"

// Port is the port to listen on: the settings' one, or 80 when they cannot be read.
func Port(path string) int {
\tcfg := config.Load(path)
\treturn cfg.Port
}
""",
        },
        target="server/server.go",
        needle="cfg := config.Load(path)",
        diagnostic="assignment mismatch: 1 variable but config.Load returns 2 values",
        lookup="Load",
        fact="func Load(path string) (Config, error)",
        fixed="""func Port(path string) int {
\tcfg, err := config.Load(path)
\tif err != nil {
\t\treturn 80
\t}
\treturn cfg.Port
}
""",
        check=_go_check(
            """package main

import (
\t"fmt"
\t"os"

\t"app/server"
)

func main() {
\tif got := server.Port("app.toml"); got != 8080 {
\t\tfmt.Println(got)
\t\tos.Exit(1)
\t}
\tif got := server.Port("missing.toml"); got != 80 {
\t\tfmt.Println(got)
\t\tos.Exit(1)
\t}
}
"""
        ),
    ),
    Task(
        id="go-renamed-field",
        what="Go: a field renamed in a struct defined in another package",
        files={
            "go.mod": GO_MOD.format("users"),
            "models/models.go": """package models

// User is a registered user.
type User struct {
\tUsername string
\tEmail    string
}
""",
            "greeting/greeting.go": """package greeting

import "users/models"

func Greeting(u *models.User) string {
\treturn "Hello, " + u.Name + "!"
}
""",
        },
        target="greeting/greeting.go",
        needle="Name",
        diagnostic="u.Name undefined (type *models.User has no field or method Name)",
        lookup="User",
        fact="Username string",
        fixed="""func Greeting(u *models.User) string {
\treturn "Hello, " + u.Username + "!"
}
""",
        check=_go_check(
            """package main

import (
\t"fmt"
\t"os"

\t"users/greeting"
\t"users/models"
)

func main() {
\tu := &models.User{Username: "ada", Email: "ada@example.com"}
\tif got := greeting.Greeting(u); got != "Hello, ada!" {
\t\tfmt.Println(got)
\t\tos.Exit(1)
\t}
}
"""
        ),
    ),
    Task(
        id="rust-method-renamed",
        what="Rust: a method renamed on a struct defined in another module",
        files={
            "Cargo.toml": CARGO.format("shop"),
            "src/lib.rs": "pub mod cart;\npub mod checkout;\n",
            "src/cart.rs": """/// Items' prices, in cents.
pub struct Cart {
    prices: Vec<u32>,
}

impl Cart {
    pub fn new() -> Self {
        Cart { prices: Vec::new() }
    }

    pub fn add(&mut self, cents: u32) {
        self.prices.push(cents);
    }

    /// The sum of the prices, in cents.
    pub fn total_price(&self) -> u32 {
        self.prices.iter().sum()
    }
}
""",
            "src/checkout.rs": """use crate::cart::Cart;

pub fn pay(cart: &Cart) -> String {
    format!("Paying {} cents", cart.total())
}
""",
        },
        target="src/checkout.rs",
        needle="total",
        diagnostic="no method named `total` found for reference `&Cart` in the current scope",
        lookup="Cart",
        fact="pub fn total_price(&self) -> u32",
        fixed="""pub fn pay(cart: &Cart) -> String {
    format!("Paying {} cents", cart.total_price())
}
""",
        check=_text_check(
            "src/checkout.rs",
            gone=(r"\.total\(\)",),
            there=(r'format!\("Paying \{\} cents", cart\.total_price\(\)\)',),
        ),
    ),
    Task(
        id="rust-missing-import",
        what="Rust: a function of another module used without its `use`",
        files={
            "Cargo.toml": CARGO.format("blog"),
            "src/lib.rs": "pub mod posts;\npub mod text;\n",
            "src/text.rs": """/// The URL slug of a title: lower case, words joined by hyphens.
pub fn slugify(title: &str) -> String {
    title.to_lowercase().split_whitespace().collect::<Vec<_>>().join("-")
}
""",
            "src/posts.rs": """pub fn post_url(title: &str) -> String {
    format!("/posts/{}", slugify(title))
}
""",
        },
        target="src/posts.rs",
        needle="slugify",
        diagnostic="cannot find function `slugify` in this scope",
        lookup="slugify",
        fact="src/text.rs",
        fixed="""use crate::text::slugify;

pub fn post_url(title: &str) -> String {
    format!("/posts/{}", slugify(title))
}
""",
        check=_text_check(
            "src/posts.rs",
            gone=(),
            there=(
                r"(?s)(?:\buse\s+(?:crate|super)::text::(?:slugify|\{[^}]*\bslugify\b[^}]*\})\s*;"
                r".*[^:]\bslugify\(title\))|(?:crate|super)::text::slugify\(title\)",
            ),
        ),
    ),
    Task(
        id="rust-renamed-field",
        what="Rust: a field renamed in a struct defined in another module",
        files={
            "Cargo.toml": CARGO.format("users"),
            "src/lib.rs": "pub mod greeting;\npub mod models;\n",
            "src/models.rs": """/// A registered user.
pub struct User {
    pub username: String,
    pub email: String,
}
""",
            "src/greeting.rs": """use crate::models::User;

pub fn greeting(user: &User) -> String {
    format!("Hello, {}!", user.name)
}
""",
        },
        target="src/greeting.rs",
        needle="name",
        diagnostic="no field `name` on type `&User`",
        lookup="User",
        fact="pub username: String",
        fixed="""pub fn greeting(user: &User) -> String {
    format!("Hello, {}!", user.username)
}
""",
        check=_text_check(
            "src/greeting.rs",
            gone=(r"user\.name\b",),
            there=(r'format!\("Hello, \{\}!", user\.username\)',),
        ),
    ),
    Task(
        id="rust-argument-order",
        what="Rust: a call with its arguments in the wrong order",
        files={
            "Cargo.toml": CARGO.format("shop"),
            "src/lib.rs": "pub mod labels;\npub mod money;\n",
            "src/money.rs": """/// The price as shown to customers: "12.50 EUR".
pub fn format_price(currency: &str, cents: u32) -> String {
    format!("{}.{:02} {}", cents / 100, cents % 100, currency)
}
""",
            "src/labels.rs": """use crate::money::format_price;

pub fn total_label(cents: u32) -> String {
    format!("Total: {}", format_price(cents, "EUR"))
}
""",
        },
        target="src/labels.rs",
        needle='format_price(cents, "EUR")',
        diagnostic="arguments to this function are incorrect",
        lookup="format_price",
        fact="pub fn format_price(currency: &str, cents: u32)",
        fixed="""pub fn total_label(cents: u32) -> String {
    format!("Total: {}", format_price("EUR", cents))
}
""",
        check=_text_check(
            "src/labels.rs",
            gone=(r"format_price\(\s*cents\s*,",),
            there=(r'format!\("Total: \{\}", format_price\(\s*"EUR"\s*,\s*cents\s*\)\)',),
        ),
    ),
)
