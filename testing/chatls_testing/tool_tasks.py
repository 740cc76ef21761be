"""Tasks whose right edit needs another file of the workspace: the Fix is asked on one file, and
what it must know is defined in another. Shared by the end-to-end tests (a scripted model that
looks the definition up) and ``bench/tools.py`` (real models, with and without tools).

Each task's ``check`` is a script run in the workspace after the edit: exit status 0 means the
edit is right (it imports the edited module and calls the fixed code with stand-ins).
"""

from __future__ import annotations

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
)
