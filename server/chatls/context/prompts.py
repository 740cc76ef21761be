"""Prompt templates: Jinja text shipped as package data (``context/templates/*.toml``),
overridable per action with the ``actions.<id>.systemPrompt`` and ``actions.<id>.prompt``
settings.

Templates render in Jinja's sandbox because settings can come from a repository's own editor
configuration, which the user may not have written.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import attrs

from chatls.errors import ChatlsError

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment


@functools.cache
def _environment() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )


@functools.cache
def builtin(name: str) -> dict[str, str]:
    """The shipped templates in ``templates/<name>.toml``."""
    import importlib.resources
    import tomllib

    data = (
        importlib.resources.files("chatls")
        .joinpath(f"context/templates/{name}.toml")
        .read_text("utf-8")
    )
    return {key: str(value) for key, value in tomllib.loads(data).items()}


@attrs.frozen
class Plan:
    """What one action's request holds (``templates/_requests.toml``)."""

    context: str = "file"
    """How far the surrounding code reaches: ``none``, ``scope`` or ``file``."""
    signatures: bool = False
    """Show the first lines of the file's definitions that the code uses."""
    structured: bool = False
    """Ask for a JSON-schema reply when ``structuredOutput`` is ``auto``."""
    search_replace_lines: int = 0
    """Ask for SEARCH/REPLACE blocks instead of a rewrite when the code is longer than this
    many lines (0: never)."""


@functools.cache
def plan(action: str) -> Plan:
    """The request plan of ``action``: one table for every action, so what each request holds
    (and later, in which order) is decided in one place."""
    import importlib.resources
    import tomllib

    data = (
        importlib.resources.files("chatls")
        .joinpath("context/templates/_requests.toml")
        .read_text("utf-8")
    )
    entry = tomllib.loads(data).get(action, {})
    return Plan(**{key: value for key, value in entry.items() if key in attrs.fields_dict(Plan)})


@functools.cache
def _compile(source: str, origin: str) -> Template:
    from jinja2 import TemplateSyntaxError

    try:
        return _environment().from_string(source)
    except TemplateSyntaxError as error:
        raise ChatlsError(
            f"The prompt template {origin} is invalid: {error.message} (line {error.lineno})."
        ) from None


def render(source: str, variables: dict[str, Any], origin: str) -> str:
    from jinja2 import TemplateError, UndefinedError

    template = _compile(source, origin)
    try:
        text = template.render(**variables)
    except UndefinedError as error:
        known = ", ".join(sorted(variables))
        raise ChatlsError(
            f"The prompt template {origin} uses an unknown variable ({error.message}). "
            f"Available: {known}."
        ) from None
    except TemplateError as error:
        raise ChatlsError(f"The prompt template {origin} failed: {error}") from None
    # Blank lines inside the user's code are kept: collapsing them would teach the model to
    # drop them, and the edit would then delete them.
    return text.strip("\n")


def messages(
    action: str,
    variables: dict[str, Any],
    system_override: str | None = None,
    user_override: str | None = None,
    with_context: bool = True,
) -> list[dict[str, str]]:
    """The chat messages for ``action``: system first, then the user's request."""
    shipped = builtin(action)
    full = dict(variables)
    if with_context:
        full["context"] = render(builtin("_context")["context"], variables, "for the file context")
    system = render(
        system_override or shipped["system"],
        full,
        f"`actions.{action}.systemPrompt`" if system_override else f"{action}.system",
    )
    user = render(
        user_override or shipped["user"],
        full,
        f"`actions.{action}.prompt`" if user_override else f"{action}.user",
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
