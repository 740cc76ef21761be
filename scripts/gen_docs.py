"""Generate what describes chatls's settings from ``server/chatls/config.py``, their one source,
and the VS Code extension's actions from the server's action declarations (see
``scripts/gen_vscode_actions.py``).

Writes ``docs/settings.md``, the server settings in the VS Code extension's
``clients/vscode/package.json`` (``contributes.configuration``) and its action commands and
menus (``contributes.commands``, ``contributes.menus``), and
``clients/vscode/src/generated/actions.ts``. ``--check`` writes nothing and exits 1 when any of
them is out of date (``tests/unit/test_docs.py`` runs the same check).

    .venv/bin/python scripts/gen_docs.py            # rewrite the files
    .venv/bin/python scripts/gen_docs.py --check    # only say whether they are current
"""

from __future__ import annotations

import argparse
import ast
import functools
import inspect
import json
import re
import sys
import textwrap
import types as pytypes
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import attrs

from chatls import config

if not __package__:
    # Run as `python scripts/gen_docs.py`, which puts scripts/ on the path rather than the
    # repository that holds it.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts import gen_vscode_actions

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_DOC = ROOT / "docs" / "settings.md"
PACKAGE_JSON = ROOT / "clients" / "vscode" / "package.json"
COMMAND = ".venv/bin/python scripts/gen_docs.py"

SECTION = "chatls"

# The VS Code extension's own view of the settings. These are facts about the extension, not
# about a setting, so they live here rather than in config.py.
VSCODE_LEFT_OUT = {
    "apiKey": "the extension keeps the key in VS Code's secret storage",
    "workspaceTrusted": "the extension sends VS Code's own workspace trust",
    "tests.trustedFolders": "VS Code has workspace trust of its own",
}
VSCODE_NOTES = {
    "baseUrl": "The API key is set with the **chatls: Set API Key** command, never here.",
    "inlineCompletion.asCompletionItems": "Changing it restarts the server.",
}
VSCODE_ORDER = {
    "backend": 10,
    "baseUrl": 11,
    "model": 12,
    "localModel": 13,
    "localThreads": 14,
    "localPrefill": 15,
    "temperature": 20,
    "maxTokens": 21,
}
# An object setting's fields are contributed one by one, each with its own default; the object
# itself defaults to {} so that the extension sends only what the user set.
UNSET_OBJECT: dict[str, Any] = {}

HEADER = """\
# Settings reference

<!-- Generated from the docstrings in server/chatls/config.py: edit them there, then run
`{command}`. -->

Settings are camelCase. They arrive as `initializationOptions` (the settings object itself, or
wrapped as `{{"chatls": {{...}}}}`), are pulled with `workspace/configuration` (section `chatls`)
where the client supports it (pulled values override the initialization options) and are
re-read on `workspace/didChangeConfiguration` (from a pull, or from the pushed
`settings.chatls`). An unknown or invalid value produces one warning listing every problem;
its default is used and every other setting still applies. A `null` in a later settings object
removes what an earlier one set. `chatls run` reads the same settings from `--config FILE`
(JSON or TOML).

The VS Code extension contributes these settings under `chatls.` (its `package.json` is
generated from the same source), except {left_out}.

"""


@dataclass(frozen=True)
class Setting:
    """One field of a settings class, as users name it."""

    path: str
    """The camelCase path from the top of the section: ``inlineCompletion.maxTokens``."""
    field: attrs.Attribute[Any]
    annotation: Any
    doc: str


def _docstrings(cls: type[Any]) -> dict[str, str]:
    """Each field's docstring: the string literal right after its assignment in the class body."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0]
    assert isinstance(body, ast.ClassDef)
    docs: dict[str, str] = {}
    for node, after in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(after.value.value)
    return docs


def fields(cls: type[Any], prefix: str = "") -> list[Setting]:
    hints = typing.get_type_hints(cls)
    docs = _docstrings(cls)
    found = []
    for field in attrs.fields(cls):
        if field.name not in docs:
            raise SystemExit(f"{cls.__name__}.{field.name} has no docstring in config.py")
        found.append(
            Setting(prefix + config.camel(field.name), field, hints[field.name], docs[field.name])
        )
    return found


def _class_doc(cls: type[Any]) -> str:
    return inspect.cleandoc(cls.__doc__ or "")


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if typing.get_origin(annotation) in (typing.Union, pytypes.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return args[0], True
    return annotation, False


def _default(setting: Setting) -> Any:
    default: Any = setting.field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return default.factory()
    return default


@functools.cache
def _nested() -> dict[type[Any], tuple[str, str]]:
    """Each settings class that is a field's type: the path users know it by, and its anchor in
    docs/settings.md."""
    found: dict[type[Any], tuple[str, str]] = {}
    for setting in fields(config.Settings):
        inner, _ = _unwrap_optional(setting.annotation)
        args = typing.get_args(inner)
        if attrs.has(inner):
            found[inner] = (setting.path, setting.path.lower())
        elif args and attrs.has(args[-1]):
            shown = f"{setting.path}.<id>" if typing.get_origin(inner) is dict else setting.path
            found[args[-1]] = (shown, re.sub(r"[^a-z0-9-]", "", shown.lower()))
    return found


def _markdown(text: str, links: bool, scope: str = "", own: str = "") -> str:
    """A docstring as one Markdown paragraph: reST literals as code, class names as the
    settings they stand for (a link in docs/settings.md, dropped in package.json). In
    package.json a setting's name links to it: a sibling's (in ``scope``) before a top-level
    one's, never the setting's (``own``) itself, and never an action's id."""

    def setting_link(match: re.Match[str]) -> str:
        if match[1] in _action_ids():
            return match[0]
        for path in (scope + match[1], match[1]):
            if path in _contributed_paths() and path != own:
                return f"``#{SECTION}.{path}#``"
        return match[0]

    def reference(match: re.Match[str]) -> str:
        cls = getattr(config, match.group(2), None)
        if cls is None or cls not in _nested():
            return match.group(0)
        path, anchor = _nested()[cls]
        return f" (see [`{path}`](#{anchor}))" if links else ""

    text = re.sub(r"\s*\((see ``)(\w+)``\)", reference, text)
    if not links:
        # VS Code's settings UI turns `#chatls.name#` into a link to that setting.
        text = re.sub(r"``([\w.]+)``", setting_link, text)
    text = text.replace("``", "`")
    return " ".join(text.split())


@functools.cache
def _contributed_paths() -> frozenset[str]:
    """The settings VS Code shows, by their paths under ``chatls.``."""
    paths = set()
    for setting in fields(config.Settings):
        paths.add(setting.path)
        if attrs.has(setting.annotation):
            paths.update(s.path for s in fields(setting.annotation, setting.path + "."))
    return frozenset(paths - set(VSCODE_LEFT_OUT))


def _json(value: Any) -> Any:
    """A default as JSON shows it: ``60`` rather than ``60.0``."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _value(value: Any) -> str:
    return "`" + json.dumps(_json(value), ensure_ascii=False) + "`"


def _type_name(annotation: Any) -> str:
    inner, _ = _unwrap_optional(annotation)
    origin = typing.get_origin(inner)
    if origin is Literal:
        return " \\| ".join(_value(arg) for arg in typing.get_args(inner))
    if origin is list:
        (item,) = typing.get_args(inner)
        return "list of objects" if attrs.has(item) else f"list of {_type_name(item)}s"
    if origin is dict:
        return "object"
    if attrs.has(inner):
        return "object"
    name = {str: "string", int: "integer", float: "number", bool: "boolean"}[inner]
    return name


def _range(setting: Setting) -> str:
    low = setting.field.metadata.get("min")
    high = setting.field.metadata.get("max")
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"at least {low}"
    return ""


def _doc_default(setting: Setting) -> str:
    default = _default(setting)
    inner, _ = _unwrap_optional(setting.annotation)
    if attrs.has(inner):
        _, anchor = _nested()[inner]
        return f"[its fields](#{anchor})"
    if default is None:
        return "unset"
    return _value(default)


def _table(settings: list[Setting]) -> Iterator[str]:
    yield "| setting | type | default | meaning |"
    yield "|---|---|---|---|"
    for setting in settings:
        kind = _type_name(setting.annotation)
        bounds = _range(setting)
        if bounds:
            kind += f", {bounds}"
        doc = _markdown(setting.doc, links=True).replace("|", "\\|")
        yield f"| `{setting.path}` | {kind} | {_doc_default(setting)} | {doc} |"


def settings_markdown() -> str:
    left_out = ", ".join(f"`{name}` ({why})" for name, why in VSCODE_LEFT_OUT.items())
    lines = [HEADER.format(command=COMMAND, left_out=left_out).rstrip("\n"), ""]
    lines += ["## Top-level settings", "", _markdown(_class_doc(config.Settings), links=True), ""]
    lines += _table(fields(config.Settings))
    for cls, (path, _) in _nested().items():
        lines += ["", f"## `{path}`", "", _markdown(_class_doc(cls), links=True)]
        if cls is config.ActionSettings:
            ids = ", ".join(f"`{action}`" for action in _action_ids())
            lines += ["", f"`<id>` is one of {ids}."]
        lines += [""]
        lines += _table(fields(cls, "" if cls is config.CustomAction else path + "."))
    return "\n".join(lines) + "\n"


def _action_ids() -> tuple[str, ...]:
    from chatls.actions.registry import settable_ids

    return settable_ids()


def _enum_descriptions(doc: str, values: tuple[Any, ...]) -> list[str] | None:
    """One description per value when the docstring says what each value does in the form
    ``value``: what it does; ``value``: ..."""
    text = " ".join(doc.split())
    found = dict(re.findall(r"``(\w+)``: (.*?)(?=;\s*``\w+``:|$)", text))
    if set(found) != set(values):
        return None
    described = []
    for value in values:
        sentence = found[value].replace("``", "`").strip().rstrip(".")
        described.append(sentence[0].upper() + sentence[1:] + ".")
    return described


def _schema(setting: Setting, top: bool) -> dict[str, Any]:
    """The JSON schema VS Code shows and checks for one setting."""
    inner, optional = _unwrap_optional(setting.annotation)
    default = _json(_default(setting))
    schema: dict[str, Any] = {}
    described: list[str] | None = None
    origin = typing.get_origin(inner)
    if origin is Literal:
        values = typing.get_args(inner)
        schema = {"type": "string", "enum": list(values)}
        described = _enum_descriptions(setting.doc, values)
    elif origin is list:
        (item,) = typing.get_args(inner)
        if attrs.has(item):
            each = _object(item, required=("id", "prompt"))
            each["markdownDescription"] = _markdown(_class_doc(item), links=False)
            schema = {"type": "array", "items": each}
        else:
            schema = {"type": "array", "items": {"type": "string"}}
    elif origin is dict:
        _, item = typing.get_args(inner)
        each = _object(item)
        each["markdownDescription"] = _markdown(_class_doc(item), links=False)
        schema = {
            "type": "object",
            "additionalProperties": False,
            "properties": {action: each for action in _action_ids()},
        }
    elif attrs.has(inner):
        nested = _object(inner, prefix=setting.path + ".")
        schema = {"type": "object", **{k: v for k, v in nested.items() if k != "type"}}
    else:
        name = {str: "string", int: "integer", float: "number", bool: "boolean"}[inner]
        if inner is str and top:
            # The settings UI can only clear a text box to "", which the extension leaves out.
            schema = {"type": name}
            default = "" if default is None else default
        elif optional and default is None and top:
            schema = {"type": [name, "null"]}
        else:
            schema = {"type": name}
    if attrs.has(inner):
        default = UNSET_OBJECT
    if top or default not in (None, "", [], {}):
        schema["default"] = default
    if described is not None:
        schema["enumDescriptions"] = described
    for bound, key in (("min", "minimum"), ("max", "maximum")):
        if bound in setting.field.metadata:
            schema[key] = setting.field.metadata[bound]
    if setting.path == "id":
        schema["pattern"] = config._CUSTOM_ID.pattern
    description = _class_doc(inner) if attrs.has(inner) else setting.doc
    scope = setting.path.rpartition(".")[0] + "." if "." in setting.path else ""
    text = _markdown(description, links=False, scope=scope, own=setting.path)
    if attrs.has(inner):
        text += " Unset fields keep the server's defaults."
    note = VSCODE_NOTES.get(setting.path)
    schema["markdownDescription"] = f"{text} {note}" if note else text
    if top and setting.path in VSCODE_ORDER:
        schema["order"] = VSCODE_ORDER[setting.path]
    first = ("type", "enum", "default", "enumDescriptions")
    return {key: schema[key] for key in (*first, *schema) if key in schema}


def _object(cls: type[Any], prefix: str = "", required: tuple[str, ...] = ()) -> dict[str, Any]:
    properties = {
        setting.path.removeprefix(prefix): _schema(setting, top=False)
        for setting in fields(cls, prefix)
        if setting.path not in VSCODE_LEFT_OUT
    }
    schema: dict[str, Any] = {"type": "object"}
    if required:
        schema["required"] = list(required)
    else:
        schema["additionalProperties"] = False
    schema["properties"] = properties
    return schema


def contributed() -> dict[str, Any]:
    """The server's settings as ``contributes.configuration.properties`` entries."""
    return {
        f"{SECTION}.{setting.path}": _schema(setting, top=True)
        for setting in fields(config.Settings)
        if setting.path not in VSCODE_LEFT_OUT
    }


def package_json(current: str) -> str:
    """``package.json`` with its server settings replaced by the generated ones; the
    extension's own settings (``chatls.server.*``, ``chatls.trace.*``) stay as they are."""
    manifest = json.loads(current)
    properties: dict[str, Any] = manifest["contributes"]["configuration"]["properties"]
    generated = contributed()
    server_paths = {f"{SECTION}.{s.path}" for s in fields(config.Settings)}
    own = {key: value for key, value in properties.items() if key not in server_paths}
    first = {key: value for key, value in own.items() if key.startswith(f"{SECTION}.server.")}
    last = {key: value for key, value in own.items() if key not in first}
    manifest["contributes"]["configuration"]["properties"] = {**first, **generated, **last}
    manifest = gen_vscode_actions.with_actions(manifest)
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def outputs() -> dict[Path, str]:
    return {
        SETTINGS_DOC: settings_markdown(),
        PACKAGE_JSON: package_json(PACKAGE_JSON.read_text(encoding="utf-8")),
        gen_vscode_actions.ACTIONS_TS: gen_vscode_actions.typescript(),
    }


def stale() -> list[Path]:
    """The generated files whose content differs from what the generator would write."""
    return [
        path
        for path, text in outputs().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    if args.check:
        old = stale()
        for path in old:
            print(f"{path.relative_to(ROOT)} is out of date: run {COMMAND}", file=sys.stderr)
        return 1 if old else 0
    for path, text in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
