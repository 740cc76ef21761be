"""Prompt templates: Jinja text shipped as package data (``context/templates/*.toml``),
overridable per action with the ``actions.<id>.systemPrompt`` and ``actions.<id>.prompt``
settings.

Templates render in Jinja's sandbox because settings can come from a repository's own editor
configuration, which the user may not have written.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from chatls.config import CustomAction, Settings
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
class RequestPlan:
    """What one action's request holds, as its declaration says (``chatls.actions``).

    Chosen by measurement with bench/quality.py (figures in the README): with
    Qwen2.5-Coder-0.5B, JSON replies made docstrings as good (20 of 20 against 19 of 20) and
    three times faster, and code worse (Fix 1 right of 20 against 5, Refactor 7 of 12 against
    9). The built-in local backend always gets free text under ``auto`` (SmolLM2-135M rambles
    inside JSON strings). The order the parts appear in is the templates' business, except
    ``stable``."""

    context: str = "file"
    """How far the surrounding code reaches: ``none``, ``definition`` (the innermost definition
    holding the code, without the file's imports), ``scope``, ``neighbours`` (the scope and the
    definitions just before and after it) or ``file``."""
    signatures: bool = False
    """Show the first lines of the file's definitions that the code uses."""
    structured: bool = False
    """Ask for a JSON-schema reply when ``structuredOutput`` is ``auto``."""
    search_replace_lines: int = 0
    """Ask for SEARCH/REPLACE blocks instead of a rewrite when the code is longer than this
    many lines (0: never)."""
    stable: bool = True
    """With ``context = "file"``: the file first in a stable window, under the system message
    all such actions share (for prefix caches); false: the action's own system message and
    the code in the middle of the context around it."""
    definitions: float = 0.15
    """The share of the budget definitions from other files may take (``definitions``
    settings; at most ``definitions.maxTokens``); 0: none."""
    local_context: str | None = None
    """``context`` for the built-in local model, whose tiny models lose the thread in a whole
    file (SmolLM2 explaining one function of the demo's file talked about the others and
    invented two, and given the file's imports made up ``statistics.count()``): Explain and Ask
    get the definition alone (``definition``; bench/local_plans.py), and so does Fix, whose
    ``scope`` is the class around a method: 3,688 tokens of ``imaplib.IMAP4`` for a Fix of
    ``sort`` and 26 s before SmolLM2's first token, against 439 tokens and 3.3 s for the method
    alone (bench/prefix_cache.py --mixed), for a model that fixed none of 38 seeded bugs with
    either (bench/local_plans.py --actions fix); None: ``context``."""

    extends: bool = False
    """With a narrower ``context``: when the backend's cache holds this file's stable window
    (the request before it on the endpoint began with it), send the window first all the same,
    with the action's own part after it, so the request extends the cached prefix instead of
    evicting it. A llama.cpp server with one slot threw the file away for a 300-token Generate
    docstring and read the next Refactor's 2,300 tokens again (bench/prefix_cache.py
    --mixed). Only where the answers stay as good (bench/quality.py, Qwen2.5-Coder-0.5B, Python):
    Generate docstring 12 of 12 right either way; Fix 3 of 12 with the window against 4 without,
    so Fix stays narrow. Not on the built-in backend, whose tiny models get the narrow context
    that works for them and whose llama.cpp keeps the prompts a slot gives up
    (``local.CACHE_RAM_MIB``)."""

    @property
    def shows_window(self) -> bool:
        """Whether the request begins with the file's stable window (``chatls.context.window``)."""
        return self.context == "file" and self.stable

    def for_backend(self, local: bool, window_cached: bool = False) -> RequestPlan:
        """The plan as it applies to this backend; ``window_cached``: the backend's cache holds
        the file's stable window."""
        if local and self.local_context is not None:
            return attrs.evolve(self, context=self.local_context)
        if window_cached and not local and self.extends and self.context != "file":
            return attrs.evolve(self, context="file", stable=True)
        return self


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


VARIABLES = (
    "language",
    "language_id",
    "fence",
    "path",
    "code",
    "context",
    "structured",
    "instruction",
    "diagnostics",
    "diagnostic",
    "kind",
    "name",
    "doc_convention",
    "signatures",
    "edit_format",
    "before",
    "after",
    "before_truncated",
    "after_truncated",
    "header",
    "prefix",
    "suffix",
    "partial",
    "output",
    "target",
    "file",
    "file_first",
    "file_last",
    "line_count",
    "lines",
    "definitions",
)
"""The variables every action's template may use (a custom action's too)."""


def unknown_variables(source: str) -> list[str] | str:
    """The variables ``source`` uses that no template has, or the syntax error that stops it
    from compiling."""
    from jinja2 import TemplateSyntaxError, meta

    environment = _environment()
    try:
        parsed = environment.parse(source)
    except TemplateSyntaxError as error:
        return f"{error.message} (line {error.lineno})"
    used = meta.find_undeclared_variables(parsed)
    return sorted(used - set(VARIABLES) - set(environment.globals))


def messages(
    action: str,
    variables: dict[str, Any],
    system_override: str | None = None,
    user_override: str | None = None,
    with_context: bool = True,
    task: tuple[str, str] | None = None,
    stable: bool = False,
    rules: Sequence[Mapping[str, str]] = (),
) -> list[dict[str, str]]:
    """The chat messages for ``action``: system first, then the user's request. ``task`` is a
    template of the user's own (its source, and where it came from, for messages): rendered
    with the same variables, it becomes the ``task`` of the action's templates. ``stable``:
    the variables are a stable window of the file (``window.build_stable_prompt``), which goes
    first, under the system message all actions share. ``rules``: the project's rules files
    (``path`` and ``text`` each), added to the end of the system message, whichever it is."""
    shipped = builtin(action)
    full = dict(variables)
    if stable:
        # The file first and the same system message for every action, so that requests on one
        # file share their prefix; the action's own part follows the file. A user's own
        # `prompt` gets the file as {{ context }} and is sent as it renders.
        file = render(builtin("_context")["file"], variables, "for the file")
        # Definitions from other files follow the file: the window stays the shared prefix.
        outside = variables.get("definitions") or ""
        if outside:
            file = f"{file}\n\n{outside}"
        full["context"] = file if user_override else ""
    elif with_context:
        full["context"] = render(builtin("_context")["context"], variables, "for the file context")
    if task is not None:
        full["task"] = render(task[0], full, task[1])
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
    if stable and not user_override:
        parts = [file, user]
        if not system_override:
            parts.insert(1, system)
            system = render(builtin("_context")["system"], variables, "_context.system")
        user = "\n\n".join(part for part in parts if part)
    if rules:
        # After the system message rather than in the user's: the rules are the same for
        # every request on the file, so the prefix they share stays as long as it was.
        shown = render(builtin("_context")["rules"], {"rules": list(rules)}, "_context.rules")
        system = f"{system}\n\n{shown}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def check_custom_actions(settings: Settings) -> list[str]:
    """Leave out the custom actions whose templates cannot render, one problem for each."""
    if not settings.custom_actions:
        return []
    problems: list[str] = []
    kept: list[CustomAction] = []
    for action in settings.custom_actions:
        problem = None
        for field, source in (("prompt", action.prompt), ("systemPrompt", action.system_prompt)):
            if source is None:
                continue
            unknown = unknown_variables(source)
            if isinstance(unknown, str):
                problem = f"`{field}` is not a valid template: {unknown}"
            elif unknown:
                problem = (
                    f"`{field}` uses unknown template variables ({', '.join(unknown)}); "
                    f"known: {', '.join(VARIABLES)}"
                )
            if problem:
                break
        if problem is not None:
            problems.append(f"`customActions` `{action.id}`: {problem}; it was left out")
        else:
            kept.append(action)
    settings.custom_actions = kept
    return problems
