"""``chatls history``: the local history of actions (list, show, delete, export), and with
``--remote`` the completions the backend stored (``store``)."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatls.history.store import History, Record, default_path, newest_first

if TYPE_CHECKING:
    from chatls.config import Settings

_SINCE = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "what",
        choices=["list", "show", "delete", "export"],
        help="list (newest first), show ID, delete ID... (or --all), export (JSON Lines)",
    )
    parser.add_argument("ids", nargs="*", metavar="ID", help="records to show or delete")
    parser.add_argument("--path", metavar="FILE", help="the history file (default: chatls's)")
    parser.add_argument("--config", metavar="PATH", help="settings (history.path, the backend)")
    parser.add_argument("--action", help="list: only this action")
    parser.add_argument("--file", help="list: only this file (workspace-relative, or a part)")
    parser.add_argument("--since", help="list: only since a date (2026-12-01) or 3d, 12h, 30m, 2w")
    parser.add_argument("--limit", type=int, default=50, help="list: at most this many")
    parser.add_argument("--json", action="store_true", help="list: as JSON")
    parser.add_argument(
        "--all",
        action="store_true",
        help="delete: every record; export: every answer, not only the applied ones",
    )
    parser.add_argument(
        "--remote",
        action="store_true",
        help="list, show or delete the completions the backend stored (`store`)",
    )
    parser.add_argument("--base-url", help="--remote: the backend (default: the settings')")


class UsageError(Exception):
    pass


def run(args: argparse.Namespace) -> int:
    try:
        if args.remote:
            return asyncio.run(_remote(args))
        return _local(args)
    except UsageError as error:
        print(f"chatls history: {error}", file=sys.stderr)
        return 2


def _settings(args: argparse.Namespace) -> Settings:
    """The settings as ``chatls run`` reads them: --config, the environment, --base-url."""
    from chatls.headless import SETTING_FLAGS, load_settings
    from chatls.headless import UsageError as RunUsageError

    given = {name: None for name in SETTING_FLAGS}
    given["base_url"] = args.base_url
    namespace = argparse.Namespace(**given, config=Path(args.config) if args.config else None)
    try:
        settings, _ = load_settings(namespace)
    except RunUsageError as error:
        raise UsageError(str(error)) from None
    return settings


def _history(args: argparse.Namespace) -> History:
    path = args.path
    max_entries = 5000
    if path is None and args.config is not None:
        settings = _settings(args)
        path = settings.history.path
        max_entries = settings.history.max_entries
    return History(os.path.expanduser(path) if path else default_path(), max_entries)


def _since(text: str) -> float:
    found = _SINCE.match(text)
    if found:
        return datetime.datetime.now().timestamp() - int(found[1]) * _UNITS[found[2]]
    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise UsageError(f"--since {text!r}: a date (2026-12-01) or 3d, 12h, 30m, 2w") from None


def _when(record: Record) -> str:
    return datetime.datetime.fromtimestamp(record.time).strftime("%Y-%m-%d %H:%M")


def _local(args: argparse.Namespace) -> int:
    history = _history(args)
    records = history.records()
    if args.what == "list":
        chosen = list(newest_first(records))
        if args.action:
            chosen = [r for r in chosen if r.action == args.action]
        if args.file:
            chosen = [r for r in chosen if r.file == args.file or args.file in r.file]
        if args.since:
            since = _since(args.since)
            chosen = [r for r in chosen if r.time >= since]
        chosen = chosen[: args.limit]
        if args.json:
            print(json.dumps([_summary(r) for r in chosen], indent=2))
            return 0
        if not chosen:
            print("No actions recorded" + (" that match." if records else " yet."))
            return 0
        for record in chosen:
            where = f"{record.file}:{record.target}" if record.target else record.file
            outcome = record.outcome + (f" ({_short(record.reason)})" if record.reason else "")
            print(f"{record.id}  {_when(record)}  {record.action:<10} {where}  {outcome}")
        return 0
    if args.what == "show":
        if len(args.ids) != 1:
            raise UsageError("show takes one ID")
        found = next((r for r in records if r.id == args.ids[0]), None)
        if found is None:
            raise UsageError(f"no record {args.ids[0]} in {history.path}")
        print(_shown(found))
        return 0
    if args.what == "delete":
        if args.all == bool(args.ids):
            raise UsageError("delete takes IDs, or --all")
        missing = [i for i in args.ids if i not in {r.id for r in records}]
        if missing:
            raise UsageError(f"no record {', '.join(missing)} in {history.path}")
        gone = history.delete(None if args.all else args.ids)
        print(f"Deleted {gone} record{'s' if gone != 1 else ''}.")
        return 0
    for record in records:
        if (args.all or record.outcome == "applied") and record.messages:
            print(json.dumps(_exported(record), ensure_ascii=False))
    return 0


def _summary(record: Record) -> dict[str, Any]:
    data = record.to_json()
    data.pop("messages")
    return data


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(record: Record) -> str:
    head = [
        f"{record.id}  {_when(record)}  {record.action} on {record.file}:{record.target}",
        f"model {record.model}; {record.outcome}" + (f": {record.reason}" if record.reason else ""),
        f"tokens: {record.prompt_tokens or '?'} prompt, {record.answer_tokens or '?'} answer",
    ]
    parts = ["\n".join(head)]
    for message in record.messages:
        parts.append(f"--- {message.get('role', '?')} ---\n{message.get('content', '')}")
    parts.append(f"--- reply ---\n{record.reply}")
    return "\n\n".join(parts)


def _exported(record: Record) -> dict[str, Any]:
    return {
        "messages": [*record.messages, {"role": "assistant", "content": record.reply}],
        "metadata": {
            "id": record.id,
            "action": record.action,
            "file": record.file,
            "model": record.model,
            "outcome": record.outcome,
            "time": record.time,
        },
    }


async def _remote(args: argparse.Namespace) -> int:
    from chatls.errors import ChatlsError
    from chatls.model.backends import Backends
    from chatls.model.stored import delete_stored, list_stored, show_stored

    settings = _settings(args)
    backends = Backends()
    try:
        client = await backends.client(settings)
        if args.what == "list":
            stored = await list_stored(client, args.limit)
            if args.json:
                print(json.dumps(stored, indent=2, default=str))
            for item in [] if args.json else stored:
                metadata = item.get("metadata") or {}
                print(
                    f"{item.get('id')}  {item.get('model', '')}  "
                    f"{metadata.get('chatls_action', '-')}  {metadata.get('chatls_outcome', '')}"
                )
            if not stored and not args.json:
                print("The backend keeps no stored completions.")
        elif args.what == "show":
            if len(args.ids) != 1:
                raise UsageError("show takes one ID")
            print(json.dumps(await show_stored(client, args.ids[0]), indent=2, default=str))
        elif args.what == "delete":
            if not args.ids:
                raise UsageError("--remote delete takes IDs")
            for completion_id in args.ids:
                deleted = await delete_stored(client, completion_id)
                print(f"{completion_id}: {'deleted' if deleted else 'not deleted'}")
        else:
            raise UsageError("--remote lists, shows and deletes; export works on the local history")
        return 0
    except ChatlsError as error:
        print(f"chatls history: {error}", file=sys.stderr)
        return 1
    finally:
        await backends.close()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="chatls history")
    add_arguments(parser)
    return run(parser.parse_args(argv))
