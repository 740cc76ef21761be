"""What a checker's diagnostic says about a name: which name is unknown, whether it is a bare
name, a member looked up on something, or an imported name, and the name the checker
suggests instead, if it says one. Plain text matching: cheap enough to run while listing code
actions.

Recognised, by checker (the message, then any related information, is read):

- Python. Pyright/Pylance: ``"x" is not defined``, ``Cannot access attribute "y" for class
  "Z"`` (and the older ``Cannot access member "y" for type "Z"``), ``"y" is not a known
  attribute of module "m"``, ``"x" is unknown import symbol``. Pyflakes/flake8 and Ruff (F821):
  ``undefined name 'x'``, ``Undefined name `x```. mypy: ``Name "x" is not defined``, ``"Z" has
  no attribute "y"``, ``Module "m" has no attribute "y"`` (either with ``; maybe "w"?``).
  Pylint: ``Undefined variable 'x'``, ``Instance of 'Z' has no 'y' member``, ``Module 'm' has no
  'y' member`` (either with ``; maybe 'w'?``). Python's own errors: ``name 'x' is not
  defined``, ``'Z' object has no attribute 'y'``, ``module 'm' has no attribute 'y'``, ``cannot
  import name 'x' from 'm'``, each with ``Did you mean: 'w'?``.
- TypeScript and JavaScript. tsc/tsserver: ``Cannot find name 'x'.`` (2304), ``... Did you mean
  'w'?`` (2552), ``... Did you mean the instance member 'this.w'?`` (2663) or ``the static
  member 'K.w'?`` (2662), ``Property 'y' does not exist on type 'Z'.`` (2339), ``... Did you mean
  'w'?`` (2551), ``Module '"m"' has no exported member 'x'. Did you mean 'w'?`` (2305, 2724).
  ESLint no-undef: ``'x' is not defined.``
- Rust (rustc, as rust-analyzer shows it): ``cannot find value `x` in this scope`` (and
  function, type, struct, macro, trait...), ``failed to resolve: use of undeclared crate or
  module `m``` (or ``type `T```), ``no field `y` on type `T```, ``no method named `y` found for
  ... `T` in the current scope``, ``unresolved import `a::b```; the suggestion from a ``help:``
  line: ``a local variable with a similar name exists: `w```, ``there is a method `w` with a
  similar name``, ``a similar name exists in the module: `w```...
- Go (the compiler, gopls, go vet): ``undefined: x``, ``undefined: pkg.X``, ``undeclared name:
  x``, ``x.Y undefined (type T has no field or method Y)``, with ``, but does have field y`` or
  ``method y``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import attrs


@attrs.frozen
class Reported:
    """A name a diagnostic says is unknown."""

    name: str
    """The name as written in the code (``getencding``, ``lenght``)."""
    kind: str
    """``name`` (a bare name), ``member`` (looked up on something: ``x.y``, ``self.y``), or
    ``import`` (a name imported from a module)."""
    suggestion: str | None = None
    """What the checker says the name should be (``getencoding``, ``this.count``)."""
    owner: str | None = None
    """The class, type or module a member was looked up on, as the message names it."""


_Q = r"[\"'`‘’“”]"
"""Any of the quotes checkers put around names."""
_N = r"([A-Za-z_$][\w$]*)"
_PATH = r"([A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*)"

# (pattern, kind, group of the name, group of the owner or 0): the most specific first.
# Compiled on first use, which keeps them out of the server's start-up.
_SHAPES: tuple[tuple[str, str, int, int], ...] = (
    # Go: ``x.Y undefined (type T has no field or method Y...)``.
    (rf"^{_PATH}\.{_N} undefined \(type (\S+) has no field or method", "member", 2, 3),
    (rf"^undefined: {_N}\.{_N}\s*$", "member", 2, 1),
    (rf"^(?:undefined|undeclared name): {_N}\s*$", "name", 1, 0),
    # Pyright / Pylance.
    (
        rf"Cannot access (?:attribute|member) {_Q}{_N}{_Q} for (?:class|type) {_Q}([^\"”]+)",
        "member",
        1,
        2,
    ),
    (
        rf"^{_Q}{_N}{_Q} is not a known (?:attribute|member) of module {_Q}([\w.]+){_Q}",
        "member",
        1,
        2,
    ),
    (rf"^{_Q}{_N}{_Q} is unknown import symbol", "import", 1, 0),
    # mypy, pylint and Python's own errors on members.
    (rf"^Module {_Q}([\w.]+){_Q} has no attribute {_Q}{_N}{_Q}", "member", 2, 1),
    (rf"^module {_Q}([\w.]+){_Q} has no attribute {_Q}{_N}{_Q}", "member", 2, 1),
    (rf"(?:^|of ){_Q}([^\"']+){_Q} has no attribute {_Q}{_N}{_Q}", "member", 2, 1),
    (rf"^{_Q}([\w.]+){_Q} object has no attribute {_Q}{_N}{_Q}", "member", 2, 1),
    (rf"^(?:Instance of|Class) {_Q}([\w.]+){_Q} has no {_Q}{_N}{_Q} member", "member", 2, 1),
    (rf"^Module {_Q}([\w.]+){_Q} has no {_Q}{_N}{_Q} member", "member", 2, 1),
    (rf"^cannot import name {_Q}{_N}{_Q} from {_Q}([\w.]+){_Q}", "import", 1, 2),
    # TypeScript.
    (rf"^Property {_Q}{_N}{_Q} does not exist on type {_Q}(.+?){_Q}", "member", 1, 2),
    (rf"^Module {_Q}(.+?){_Q} has no exported member {_Q}{_N}{_Q}", "import", 2, 1),
    (rf"^Cannot find name {_Q}{_N}{_Q}", "name", 1, 0),
    # Rust.
    (rf"^no field {_Q}{_N}{_Q} on type {_Q}(.+?){_Q}", "member", 1, 2),
    (rf"^no method named {_Q}{_N}{_Q} found for .*?{_Q}(.+?){_Q}", "member", 1, 2),
    (rf"^cannot find [\w ,]+? {_Q}{_N}!?{_Q} in (?:this scope|module)", "name", 1, 0),
    (rf"use of undeclared (?:crate or module|type|lifetime name) {_Q}{_N}{_Q}", "name", 1, 0),
    (rf"^unresolved import {_Q}(?:{_PATH}::)?{_N}{_Q}", "import", 2, 1),
    # Pyright, Pyflakes, Ruff, mypy, pylint, Python, ESLint: an unknown bare name.
    (rf"^{_Q}{_N}{_Q} is not defined", "name", 1, 0),
    (rf"^[Uu]ndefined (?:name|variable) {_Q}{_N}{_Q}", "name", 1, 0),
    (rf"^Name {_Q}{_N}{_Q} is not defined", "name", 1, 0),
    (rf"^name {_Q}{_N}{_Q} is not defined", "name", 1, 0),
)

_SUGGESTIONS: tuple[str, ...] = (
    # Python 3.10+: ``Did you mean: 'w'?``; TypeScript: ``Did you mean 'w'?``, ``Did you
    # mean the instance member 'this.w'?``.
    rf"[Dd]id you mean(?::| the (?:instance|static) member)? {_Q}([\w$.]+){_Q}\s*\?",
    # mypy and pylint: ``; maybe "w"?`` (one name only: two are no suggestion).
    rf"; maybe {_Q}([\w$]+){_Q}\s*\?",
    # Go: ``, but does have field y)`` / ``method y``.
    r"but does have (?:field|method) ([\w$]+)\)",
    # rustc's help lines.
    rf"similar name exists(?: in the module)?: {_Q}([\w$:]+){_Q}",
    rf"similar name: {_Q}([\w$:]+){_Q}",
    rf"there is (?:a|an) [\w ]+? {_Q}([\w$:]+){_Q} with a similar name",
    rf"you might have meant to use the available field:? {_Q}([\w$.]+){_Q}",
)


@functools.cache
def _compiled_shapes() -> list[tuple[re.Pattern[str], str, int, int]]:
    return [(re.compile(pattern), kind, name, owner) for pattern, kind, name, owner in _SHAPES]


@functools.cache
def _compiled_suggestions() -> list[re.Pattern[str]]:
    return [re.compile(pattern) for pattern in _SUGGESTIONS]


def read(message: str, related: Iterable[str] = ()) -> Reported | None:
    """What ``message`` (and the related information's messages) say about an unknown name;
    None when it says nothing recognisable about one."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return None
    head = lines[0]
    for pattern, kind, name_group, owner_group in _compiled_shapes():
        match = pattern.search(head)
        if match is None:
            continue
        name = match.group(name_group)
        owner = match.group(owner_group) if owner_group else None
        return Reported(name, kind, _suggestion(name, [message, *related]), owner)
    return None


def _suggestion(name: str, texts: list[str]) -> str | None:
    """The one name the checker suggests; None when it suggests none or several."""
    found: list[str] = []
    for text in texts:
        if re.search(rf"; maybe {_Q}[\w$]+{_Q},? (?:or )?{_Q}", text):
            return None  # mypy's ``maybe "a" or "b"?``: no single answer
        for pattern in _compiled_suggestions():
            found += [m.group(1) for m in pattern.finditer(text)]
    unique = list(dict.fromkeys(s for s in found if s != name))
    if len(unique) != 1:
        return None
    return unique[0]
