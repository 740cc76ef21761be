"""The ``chatls`` command: the language server (stdio by default, or TCP).

Only argparse is imported before the arguments are read, so ``--version`` and ``--help`` are
instant and the server's own imports are paid once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chatls import __version__


def build_parser() -> argparse.ArgumentParser:
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
        default="info",
        choices=["debug", "info", "warning", "error"],
        type=str.lower,
        help="log verbosity (default info)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    from chatls import logs

    logs.setup(args.log_level, args.log_file)
    from chatls.server import create_server

    server = create_server()
    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        server.start_io()
    return 0


if __name__ == "__main__":
    sys.exit(main())
