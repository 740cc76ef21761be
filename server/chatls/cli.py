"""The ``chatls`` command: the language server (stdio by default, or TCP).

Only argparse is imported before the arguments are read, so ``--version`` and ``--help`` are
instant and the server's own imports are paid once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from chatls import __version__


def build_parser(running: bool = False) -> argparse.ArgumentParser:
    """The parser; ``running``: for ``chatls run``, whose help names the actions."""
    parser = argparse.ArgumentParser(
        prog="chatls",
        description="chatls language server: AI code actions through any OpenAI-compatible "
        "endpoint.",
    )
    parser.add_argument("--version", action="version", version=f"chatls {__version__}")
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument(
        "--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)"
    )
    transport.add_argument("--tcp", action="store_true", help="serve LSP over TCP")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    parser.add_argument("--log-file", metavar="PATH", help="write the log here instead of stderr")
    parser.add_argument(
        "--log-level",
        default=None,
        choices=["debug", "info", "warning", "error"],
        type=str.lower,
        help="log verbosity (default info for the server, warning for `run`)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run one action on a file and print the result (a diff, or Markdown)",
        description="Run one chatls action on a file, headless, with the same settings as "
        "the server ($OPENAI_API_KEY, $OPENAI_BASE_URL, --config, flags).",
    )
    _run_arguments(run, running)
    from chatls.history_command import add_arguments

    add_arguments(
        commands.add_parser(
            "history",
            help="the actions chatls ran: list, show, delete, export",
            description="The local history of actions (history.path), or with --remote the "
            "completions the backend stored (store).",
        )
    )
    return parser


def _run_arguments(parser: argparse.ArgumentParser, running: bool) -> None:
    known = "a built-in action"
    if running:
        # The actions' declarations cost an import that ``--version`` should not pay.
        from chatls.headless import runnable

        known = ", ".join(runnable())
    parser.add_argument(
        "action",
        metavar="ACTION",
        help=f"the action to run: {known}, or the id of one of your `customActions`",
    )
    parser.add_argument("file", type=Path, help="the file to act on")
    parser.add_argument(
        "--range",
        required=True,
        metavar="L1:C1-L2:C2",
        help="1-based lines and columns (characters); L1-L2 for whole lines, L:C for a cursor",
    )
    parser.add_argument("--diagnostic", metavar="MSG", help="the problem to fix (for `fix`)")
    parser.add_argument("--instruction", metavar="TEXT", help="what to do (for `refactor`)")
    parser.add_argument("--question", metavar="TEXT", help="what to ask (for `ask`)")
    parser.add_argument("--to", metavar="LANGUAGE", help="the language to translate into")
    parser.add_argument(
        "--apply",
        action="store_true",
        help="write the edit to the file (a new document: to a new file beside it)",
    )
    parser.add_argument(
        "--run-tests",
        action="store_true",
        help="for `tests` with --apply: run the new tests and report (sets tests.run = on)",
    )
    parser.add_argument(
        "--language", metavar="ID", help="language id (default: from the extension)"
    )
    parser.add_argument(
        "--config", type=Path, metavar="PATH", help="a JSON or TOML file of chatls settings"
    )
    parser.add_argument("--model")
    parser.add_argument("--base-url")
    parser.add_argument("--backend", choices=["auto", "local", "remote"])
    parser.add_argument("--local-model", metavar="GGUF")
    parser.add_argument("--structured-output", choices=["auto", "jsonSchema", "off"])
    parser.add_argument("--max-tokens", type=int)
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--context-tokens", type=int)
    parser.add_argument("--timeout", type=float)
    parser.add_argument("--max-retries", type=int)


def _log_origins() -> None:
    """Which chatls, Python and pygls run, for reports from installs that bundle their own
    libraries (the VS Code extension) beside the user's."""
    import importlib.metadata
    import importlib.util
    import logging

    spec = importlib.util.find_spec("pygls")
    try:
        pygls_version = importlib.metadata.version("pygls")
    except importlib.metadata.PackageNotFoundError:
        pygls_version = "unknown"
    logging.getLogger("chatls").info(
        "chatls %s from %s, Python %s at %s, pygls %s from %s",
        __version__,
        Path(__file__).parent,
        sys.version.split()[0],
        sys.executable,
        pygls_version,
        Path(spec.origin).parent if spec is not None and spec.origin else "nowhere",
    )


def main(argv: Sequence[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    args = build_parser("run" in given).parse_args(argv)

    from chatls import logs

    if args.command == "history":
        logs.setup(args.log_level or "warning", args.log_file)
        from chatls.history_command import run as history

        return history(args)
    if args.command == "run":
        logs.setup(args.log_level or "warning", args.log_file)
        from chatls.headless import run

        return run(args)
    logs.setup(args.log_level or "info", args.log_file)
    _log_origins()
    from chatls.lsp.app import create_server

    server = create_server()
    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        server.start_io()
    return 0


if __name__ == "__main__":
    sys.exit(main())
